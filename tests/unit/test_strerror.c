/* SPDX-License-Identifier: MIT */
/* shmseq_strerror() from several threads at once: each thread's text stays
 * its own while the others ask for other errors. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shmseq.h"

#define ROUNDS 200000

struct worker {
	int errs[4];
	char want[4][128];
	pthread_barrier_t *start;
	long bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->start);
	for (int i = 0; i < ROUNDS; i++) {
		int k = i % 4;
		const char *s = shmseq_strerror(w->errs[k]);
		/* the other thread runs meanwhile; this text must not change */
		for (volatile int spin = 0; spin < 8; spin++)
			;
		if (!s || strcmp(s, w->want[k]) != 0)
			w->bad++;
	}
	return NULL;
}

static void texts(void **state)
{
	(void)state;
	assert_string_equal(shmseq_strerror(-SHMSEQ_ERR_RUN_OUT), "Sequence has run out");
	assert_string_equal(shmseq_strerror(0), "Success");
	assert_string_equal(shmseq_strerror(-EINVAL), "Invalid argument");
	assert_string_equal(shmseq_strerror(-999), "Unknown error 999");
	assert_string_equal(shmseq_strerror(-5000), "Unknown error");
	assert_string_equal(shmseq_strerror(7), "Unknown error");
	for (int e = 1; e < 1000; e++)
		assert_non_null(shmseq_strerror(-e));
}

static void two_threads(void **state)
{
	(void)state;
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	/* unknown system errors (formatted into a buffer), known ones and
	 * MariaDB's, different in each thread */
	struct worker w[2] = {
		{.errs = {-998, -EINVAL, -SHMSEQ_ERR_RUN_OUT, -EBADF}, .start = &start},
		{.errs = {-997, -ENOMEM, -SHMSEQ_ERR_UNKNOWN_SEQUENCE, -999}, .start = &start},
	};
	for (int t = 0; t < 2; t++)
		for (int k = 0; k < 4; k++)
			snprintf(w[t].want[k], sizeof(w[t].want[k]), "%s", shmseq_strerror(w[t].errs[k]));
	assert_string_equal(w[0].want[0], "Unknown error 998");
	assert_string_equal(w[1].want[3], "Unknown error 999");
	pthread_t th[2];
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&th[t], NULL, work, &w[t]), 0);
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(w[0].bad, 0);
	assert_int_equal(w[1].bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(texts),
		cmocka_unit_test(two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
