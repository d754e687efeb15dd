/* SPDX-License-Identifier: MIT */
/* hist.c — see hist.h. */
#include "hist.h"

#include <math.h>
#include <string.h>

uint64_t hist_upper(unsigned idx)
{
	if (idx < HIST_SUB)
		return idx;
	unsigned msb = idx / HIST_SUB + 3u, sub = idx % HIST_SUB;
	uint64_t low = (uint64_t)(HIST_SUB + sub) << (msb - 4u);
	return low + ((uint64_t)1 << (msb - 4u)) - 1u;
}

uint64_t hist_percentile(const uint64_t *hist, uint64_t total, double q, uint64_t max)
{
	if (!total)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)total);
	if (rank < 1)
		rank = 1;
	uint64_t cum = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		cum += hist[i];
		if (cum >= rank) {
			uint64_t u = hist_upper(i);
			return u < max ? u : max;
		}
	}
	return max;
}

void hist_fold_pow2(const uint64_t *hist, uint64_t pow2[64])
{
	memset(pow2, 0, 64 * sizeof(*pow2));
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!hist[i])
			continue;
		uint64_t u = hist_upper(i);
		pow2[u ? 63u - (unsigned)__builtin_clzll(u) : 0] += hist[i];
	}
}
