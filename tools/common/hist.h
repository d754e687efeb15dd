/* SPDX-License-Identifier: MIT */
/* hist.h — a log-linear latency histogram.
 *
 * Values below HIST_SUB have a bucket each; above, every power of two
 * [2^m, 2^(m+1)) is cut into HIST_SUB equal sub-buckets, so a bucket's upper
 * bound is within 1/HIST_SUB (6.25%) of any value in it. Index of v >= 16:
 * (m - 3) * 16 + the four bits below the top one, m = floor(log2 v); every
 * uint64_t has a bucket (UINT64_MAX: index 975). */
#ifndef SHMSEQ_HIST_H
#define SHMSEQ_HIST_H

#include <stdint.h>

#define HIST_SUB 16u /* sub-buckets per power of two */
#define HIST_BUCKETS (64u * HIST_SUB)

static inline unsigned hist_index(uint64_t v)
{
	if (v < HIST_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	return (msb - 3u) * HIST_SUB + (unsigned)((v >> (msb - 4u)) & (HIST_SUB - 1u));
}

/* The largest value of bucket idx (idx < hist_index(UINT64_MAX) + 1). */
uint64_t hist_upper(unsigned idx);

/* The q-quantile (0 < q <= 1) of total values counted in hist: the upper
 * bound of the bucket holding the ceil(q * total)-th smallest value, but
 * never above max (the largest value seen). 0 when total is 0. */
uint64_t hist_percentile(const uint64_t *hist, uint64_t total, double q, uint64_t max);

/* The buckets folded into powers of two: pow2[k] counts the values of
 * [2^k, 2^(k+1)) (pow2[0]: 0 and 1). */
void hist_fold_pow2(const uint64_t *hist, uint64_t pow2[64]);

#endif
