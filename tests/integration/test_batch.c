/* SPDX-License-Identifier: MIT */
/* test_batch.c — batches (shmseq_seq_nextval_n, shmseq_nextval_n) against the
 * real daemon: consecutive values across refill windows, cut short at the
 * end of a round, CYCLE going on in the next round, run-out, LASTVAL the
 * last of a batch, descending and huge increments, unsigned values past
 * 2^63, TEMPORARY sequences one value per call, and threads mixing batches
 * with single NEXTVALs: every value once; leased handles (per-thread blocks,
 * retired by every statement, bounded by the sequence's range). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shmseq.h"

static struct daemon d;

static void exec_ok(shmseq *c, const char *sql)
{
	shmseq_result *res;
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	for (const shmseq_result *r = res; r; r = shmseq_result_next(r)) {
		if (shmseq_result_error(r))
			fprintf(stderr, "%s: %s\n", sql, shmseq_result_message(r));
		assert_int_equal(shmseq_result_error(r), 0);
	}
	shmseq_result_free(res);
}

static shmseq *conn(void)
{
	shmseq *c;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	return c;
}

static void test_consecutive_across_windows(void **state)
{
	(void)state;
	shmseq *c = conn();
	exec_ok(c, "CREATE OR REPLACE SEQUENCE b1 CACHE 10");
	shmseq_seq *h;
	assert_int_equal(shmseq_seq_open(c, "b1", &h), 0);
	int64_t first, expect = 1, v;
	uint64_t got;
	/* 25 at a time over windows of 10: whole batches */
	for (int i = 0; i < 40; i++) {
		assert_int_equal(shmseq_seq_nextval_n(h, 25, &first, &got), 0);
		assert_int_equal(first, expect);
		assert_int_equal(got, 25);
		expect += 25;
	}
	assert_int_equal(shmseq_lastval(c, "b1", &v), 0);
	assert_int_equal(v, expect - 1);
	/* singles and batches interleave */
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, expect);
	assert_int_equal(shmseq_nextval_n(c, "b1", 3, &first, &got), 0);
	assert_int_equal(first, expect + 1);
	assert_int_equal(got, 3);
	/* n 0 is an error, n 1 a single value, a huge n is capped */
	assert_int_equal(shmseq_seq_nextval_n(h, 0, &first, &got), -EINVAL);
	assert_int_equal(got, 0);
	assert_int_equal(shmseq_seq_nextval_n(h, 1, &first, &got), 0);
	assert_int_equal(got, 1);
	assert_int_equal(shmseq_seq_nextval_n(h, UINT64_MAX, &first, &got), 0);
	assert_true(got >= 1 && got <= SHMSEQ_BATCH_MAX);
	int64_t next = first + (int64_t)got;
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, next);
	shmseq_seq_close(h);
	shmseq_disconnect(c);
}

static void test_round_end(void **state)
{
	(void)state;
	shmseq *c = conn();
	exec_ok(c, "CREATE OR REPLACE SEQUENCE b2 MAXVALUE 20 CACHE 5");
	int64_t first, v;
	uint64_t got;
	assert_int_equal(shmseq_nextval_n(c, "b2", 15, &first, &got), 0);
	assert_int_equal(first, 1);
	assert_int_equal(got, 15);
	assert_int_equal(shmseq_nextval_n(c, "b2", 15, &first, &got), 0);
	assert_int_equal(first, 16);
	assert_int_equal(got, 5); /* cut at MAXVALUE */
	assert_int_equal(shmseq_lastval(c, "b2", &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(shmseq_nextval_n(c, "b2", 15, &first, &got), -SHMSEQ_ERR_RUN_OUT);
	assert_int_equal(got, 0);

	exec_ok(c, "CREATE OR REPLACE SEQUENCE b3 MAXVALUE 10 CYCLE CACHE 3");
	assert_int_equal(shmseq_nextval_n(c, "b3", 8, &first, &got), 0);
	assert_int_equal(first, 1);
	assert_int_equal(got, 8);
	assert_int_equal(shmseq_nextval_n(c, "b3", 8, &first, &got), 0);
	assert_int_equal(first, 9);
	assert_int_equal(got, 2);
	/* the next round: one value from the wrap, then batches again */
	int64_t seen = 0;
	for (int k = 0; k < 3 && seen < 10; k++) {
		assert_int_equal(shmseq_nextval_n(c, "b3", 10, &first, &got), 0);
		assert_int_equal(first, seen + 1);
		seen += (int64_t)got;
	}
	assert_int_equal(seen, 10);
	shmseq_disconnect(c);
}

static void test_increments_and_types(void **state)
{
	(void)state;
	shmseq *c = conn();
	int64_t first, v;
	uint64_t got;
	exec_ok(c, "CREATE OR REPLACE SEQUENCE b4 INCREMENT BY -7 CACHE 4");
	assert_int_equal(shmseq_nextval_n(c, "b4", 6, &first, &got), 0);
	assert_int_equal(first, -1);
	assert_int_equal(got, 6);
	assert_int_equal(shmseq_nextval(c, "b4", &v), 0);
	assert_int_equal(v, -1 - 6 * 7);

	/* issue 11's shape: a range wider than 2^63 with steps of 1e18 */
	exec_ok(c, "CREATE OR REPLACE SEQUENCE b5 MINVALUE -9223372036854775807 START WITH "
		   "-2000000000000000000 INCREMENT BY 1000000000000000000 NOCACHE");
	assert_int_equal(shmseq_nextval_n(c, "b5", 100, &first, &got), 0);
	assert_int_equal(first, -2000000000000000000);
	assert_int_equal(got, 12); /* -2e18 … 9e18 */
	assert_int_equal(shmseq_lastval(c, "b5", &v), 0);
	assert_int_equal(v, 9000000000000000000);

	exec_ok(c, "CREATE OR REPLACE SEQUENCE b6 AS BIGINT UNSIGNED START WITH 9223372036854775806 CACHE 2");
	assert_int_equal(shmseq_nextval_n(c, "b6", 4, &first, &got), 0);
	assert_int_equal((uint64_t)first, 9223372036854775806ull);
	assert_int_equal(got, 4);
	assert_int_equal(shmseq_lastval(c, "b6", &v), 0);
	assert_int_equal((uint64_t)v, 9223372036854775809ull);

	exec_ok(c, "CREATE TEMPORARY SEQUENCE b7");
	assert_int_equal(shmseq_nextval_n(c, "b7", 5, &first, &got), 0);
	assert_int_equal(first, 1);
	assert_int_equal(got, 1);
	assert_int_equal(shmseq_nextval_n(c, "nosuch", 5, &first, &got), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	shmseq_disconnect(c);
}

#define THREADS 4
#define ROUNDS 3000
static int64_t *drawn[THREADS];
static size_t ndrawn[THREADS];

static void *drawer(void *arg)
{
	int t = (int)(intptr_t)arg;
	shmseq *c = conn();
	shmseq_seq *h;
	assert_int_equal(shmseq_seq_open(c, "b8", &h), 0);
	drawn[t] = malloc(sizeof(int64_t) * ROUNDS * 16);
	size_t k = 0;
	int64_t prev = 0;
	for (int i = 0; i < ROUNDS; i++) {
		int64_t first;
		uint64_t got = 1;
		if ((i + t) % 3 == 0)
			assert_int_equal(shmseq_seq_nextval(h, &first), 0);
		else
			assert_int_equal(shmseq_seq_nextval_n(h, 1 + (uint64_t)(i % 16), &first, &got), 0);
		/* increasing per thread */
		assert_true(first > prev);
		for (uint64_t j = 0; j < got; j++)
			drawn[t][k++] = first + (int64_t)j;
		prev = first + (int64_t)got - 1;
	}
	ndrawn[t] = k;
	shmseq_seq_close(h);
	shmseq_disconnect(c);
	return NULL;
}

static void test_threads_every_value_once(void **state)
{
	(void)state;
	shmseq *c = conn();
	exec_ok(c, "CREATE OR REPLACE SEQUENCE b8 CACHE 50");
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, drawer, (void *)(intptr_t)t), 0);
	size_t total = 0;
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		total += ndrawn[t];
	}
	int64_t *all = malloc(sizeof(int64_t) * total);
	size_t k = 0;
	for (int t = 0; t < THREADS; t++) {
		memcpy(all + k, drawn[t], ndrawn[t] * sizeof(int64_t));
		k += ndrawn[t];
		free(drawn[t]);
	}
	qsort(all, total, sizeof(int64_t), cmp_i64);
	size_t dups = 0;
	for (size_t i = 1; i < total; i++)
		dups += all[i] == all[i - 1];
	printf("# %zu values from %d threads (batches and singles), %zu duplicates, last %lld\n", total,
	       THREADS, dups, (long long)all[total - 1]);
	assert_int_equal(dups, 0);
	/* no gaps either: nothing was lost while the daemon ran */
	assert_int_equal(all[0], 1);
	assert_int_equal(all[total - 1], (int64_t)total);
	free(all);
	shmseq_disconnect(c);
}

/* Leased handles: each thread draws from its own block. */
#define LTHREADS 4
#define LVALUES 20000
static shmseq_seq *lh;
static int64_t *ldrawn[LTHREADS];
static size_t lcount[LTHREADS];
static int lerr[LTHREADS];

static void *leased_drawer(void *arg)
{
	int t = (int)(intptr_t)arg;
	ldrawn[t] = malloc(sizeof(int64_t) * LVALUES);
	int64_t prev = INT64_MIN;
	size_t k = 0;
	for (; k < LVALUES; k++) {
		int64_t v;
		int r = shmseq_seq_nextval(lh, &v);
		if (r < 0) {
			lerr[t] = r;
			break;
		}
		assert_true(v > prev); /* increasing per thread */
		prev = v;
		ldrawn[t][k] = v;
	}
	lcount[t] = k;
	return NULL;
}

/* Draw with LTHREADS threads through lh; returns every value, sorted. */
static int64_t *leased_run(size_t *total)
{
	pthread_t th[LTHREADS];
	for (int t = 0; t < LTHREADS; t++) {
		lerr[t] = 0;
		assert_int_equal(pthread_create(&th[t], NULL, leased_drawer, (void *)(intptr_t)t), 0);
	}
	*total = 0;
	for (int t = 0; t < LTHREADS; t++) {
		pthread_join(th[t], NULL);
		*total += lcount[t];
	}
	int64_t *all = malloc(sizeof(int64_t) * (*total + 1));
	size_t k = 0;
	for (int t = 0; t < LTHREADS; t++) {
		memcpy(all + k, ldrawn[t], lcount[t] * sizeof(int64_t));
		k += lcount[t];
		free(ldrawn[t]);
	}
	qsort(all, *total, sizeof(int64_t), cmp_i64);
	for (size_t i = 1; i < *total; i++)
		assert_true(all[i] != all[i - 1]);
	return all;
}

static void test_leased_threads(void **state)
{
	(void)state;
	shmseq *c = conn();
	exec_ok(c, "CREATE OR REPLACE SEQUENCE l1 CACHE 100");
	assert_int_equal(shmseq_seq_open_leased(c, "l1", 0, &lh), -EINVAL);
	assert_int_equal(shmseq_seq_open_leased(c, "nosuch", 64, &lh), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	assert_int_equal(shmseq_seq_open_leased(c, "l1", 64, &lh), 0);
	assert_false(shmseq_seq_is_unsigned(lh));
	size_t total;
	int64_t *all = leased_run(&total);
	/* unique; the gaps are at most the blocks left when the threads ended */
	assert_int_equal(total, (size_t)LTHREADS * LVALUES);
	assert_true(all[total - 1] - all[0] + 1 <= (int64_t)total + LTHREADS * 64);
	printf("# %zu values from %d threads through one leased handle (blocks of 64), 0 duplicates, span "
	       "%lld\n",
	       total, LTHREADS, (long long)(all[total - 1] - all[0] + 1));
	free(all);

	/* a statement retires every block: the first value after it is the
	 * restart point, though this thread's block had values left */
	int64_t v;
	assert_int_equal(shmseq_seq_nextval(lh, &v), 0);
	exec_ok(c, "ALTER SEQUENCE l1 RESTART WITH 1000000");
	assert_int_equal(shmseq_seq_nextval(lh, &v), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(shmseq_seq_nextval(lh, &v), 0);
	assert_int_equal(v, 1000001);
	exec_ok(c, "SELECT SETVAL(l1, 5000000)");
	assert_int_equal(shmseq_seq_nextval(lh, &v), 0);
	assert_int_equal(v, 5000001);
	/* a batch on a leased handle is its own */
	int64_t first;
	uint64_t got;
	assert_int_equal(shmseq_seq_nextval_n(lh, 10, &first, &got), 0);
	assert_true(first > 5000001);
	shmseq_seq_close(lh);

	/* bounds: 100 values in all, shared out in blocks, then run out */
	exec_ok(c, "CREATE OR REPLACE SEQUENCE l2 MAXVALUE 100 CACHE 10");
	assert_int_equal(shmseq_seq_open_leased(c, "l2", 30, &lh), 0);
	all = leased_run(&total);
	assert_int_equal(total, 100);
	assert_int_equal(all[0], 1);
	assert_int_equal(all[99], 100);
	for (int t = 0; t < LTHREADS; t++)
		assert_int_equal(lerr[t], -SHMSEQ_ERR_RUN_OUT);
	free(all);
	/* left open: shmseq_disconnect() closes it */
	shmseq_disconnect(c);
}

static int setup(void **state)
{
	(void)state;
	daemon_setup(&d, "batch");
	return daemon_start(&d, NULL);
}

static int teardown(void **state)
{
	(void)state;
	daemon_teardown(&d);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consecutive_across_windows),
		cmocka_unit_test(test_round_end),
		cmocka_unit_test(test_increments_and_types),
		cmocka_unit_test(test_threads_every_value_once),
		cmocka_unit_test(test_leased_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
