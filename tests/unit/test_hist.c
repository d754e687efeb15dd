/* SPDX-License-Identifier: MIT */
/* test_hist.c — the latency histogram (tools/common/hist.c) whose
 * percentiles docs/BENCHMARKS.md publishes: every value lands in a bucket
 * whose upper bound is >= it and within 1/16 of it, buckets are contiguous
 * and ordered, and the percentiles are right at the edges (no value, one
 * value, all in one bucket, ranks on a bucket boundary, q = 1, the clamp to
 * the largest value seen, 0 and UINT64_MAX). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hist.h"

static void test_buckets(void **state)
{
	(void)state;
	/* exact below 16 */
	for (uint64_t v = 0; v < 16; v++) {
		assert_int_equal(hist_index(v), v);
		assert_int_equal(hist_upper((unsigned)v), v);
	}
	/* contiguous: bucket i + 1 starts right after bucket i ends */
	unsigned last = hist_index(UINT64_MAX);
	assert_int_equal(last, 975);
	assert_true(last < HIST_BUCKETS);
	assert_int_equal(hist_upper(last), UINT64_MAX);
	for (unsigned i = 0; i < last; i++) {
		uint64_t u = hist_upper(i);
		assert_int_equal(hist_index(u), i);
		assert_int_equal(hist_index(u + 1), i + 1);
		assert_true(hist_upper(i + 1) > u);
	}
	/* the bound is within 1/16 of the value: powers of two and their
	 * neighbours, and a sweep */
	for (unsigned k = 4; k < 64; k++) {
		uint64_t p = (uint64_t)1 << k;
		uint64_t vs[] = {p - 1, p, p + 1, p + p / 2, p + (p - 1)};
		for (size_t j = 0; j < sizeof(vs) / sizeof(vs[0]); j++) {
			uint64_t v = vs[j], u = hist_upper(hist_index(v));
			assert_true(u >= v);
			assert_true(u - v <= v / 16);
		}
	}
	for (uint64_t v = 16; v < 100000; v += 7) {
		uint64_t u = hist_upper(hist_index(v));
		assert_true(u >= v && u - v <= v / 16);
	}
}

static void test_percentiles(void **state)
{
	(void)state;
	static uint64_t h[HIST_BUCKETS];
	memset(h, 0, sizeof(h));
	/* nothing counted */
	assert_int_equal(hist_percentile(h, 0, 0.5, 0), 0);
	assert_int_equal(hist_percentile(h, 0, 0.999, 123), 0);
	/* one value of 0 */
	h[hist_index(0)] = 1;
	assert_int_equal(hist_percentile(h, 1, 0.5, 0), 0);
	assert_int_equal(hist_percentile(h, 1, 1.0, 0), 0);
	/* one value, 1000: every percentile is the bucket's bound, clamped to
	 * the value itself */
	memset(h, 0, sizeof(h));
	h[hist_index(1000)] = 1;
	assert_true(hist_upper(hist_index(1000)) > 1000);
	assert_int_equal(hist_percentile(h, 1, 0.5, 1000), 1000);
	assert_int_equal(hist_percentile(h, 1, 0.999, 1000), 1000);
	assert_int_equal(hist_percentile(h, 1, 0.001, 1000), 1000);
	/* without a lower max the bound itself */
	assert_int_equal(hist_percentile(h, 1, 0.5, UINT64_MAX), hist_upper(hist_index(1000)));
	/* 1 to 100, one each: p50 is the 50th smallest (50), p99 the 99th, p100
	 * the largest; each as its bucket's bound */
	memset(h, 0, sizeof(h));
	for (uint64_t v = 1; v <= 100; v++)
		h[hist_index(v)]++;
	assert_int_equal(hist_percentile(h, 100, 0.50, 100), hist_upper(hist_index(50)));
	assert_int_equal(hist_percentile(h, 100, 0.99, 100), hist_upper(hist_index(99)));
	assert_int_equal(hist_percentile(h, 100, 0.999, 100), 100); /* rank 100 */
	assert_int_equal(hist_percentile(h, 100, 1.0, 100), 100);
	assert_int_equal(hist_percentile(h, 100, 0.01, 100), 1);
	assert_int_equal(hist_percentile(h, 100, 0.0, 100), 1); /* rank at least 1 */
	/* a rank exactly at a bucket's last value stays in that bucket */
	memset(h, 0, sizeof(h));
	h[hist_index(10)] = 999;
	h[hist_index(5000)] = 1;
	assert_int_equal(hist_percentile(h, 1000, 0.999, 5000), 10);
	assert_int_equal(hist_percentile(h, 1000, 0.9991, 5000), 5000);
	/* the largest values */
	memset(h, 0, sizeof(h));
	h[hist_index(UINT64_MAX)] = 3;
	assert_int_equal(hist_percentile(h, 3, 0.5, UINT64_MAX), UINT64_MAX);
	/* counts that do not add up to total (a torn merge): the max */
	memset(h, 0, sizeof(h));
	h[hist_index(7)] = 1;
	assert_int_equal(hist_percentile(h, 10, 0.99, 77), 77);
}

static void test_fold(void **state)
{
	(void)state;
	static uint64_t h[HIST_BUCKETS];
	uint64_t pow2[64];
	memset(h, 0, sizeof(h));
	h[hist_index(0)] = 1;
	h[hist_index(1)] = 2;
	h[hist_index(2)] = 4;
	h[hist_index(3)] = 8;
	h[hist_index(1023)] = 16;
	h[hist_index(1024)] = 32;
	h[hist_index(UINT64_MAX)] = 64;
	hist_fold_pow2(h, pow2);
	assert_int_equal(pow2[0], 3);
	assert_int_equal(pow2[1], 12);
	assert_int_equal(pow2[9], 16);
	assert_int_equal(pow2[10], 32);
	assert_int_equal(pow2[63], 64);
	uint64_t sum = 0;
	for (int k = 0; k < 64; k++)
		sum += pow2[k];
	assert_int_equal(sum, 127);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_fold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
