/* SPDX-License-Identifier: MIT */
/* common.h — what the cluster tests share: the clock, a sleep, and SQL on
 * an instance. */
#ifndef SHMSEQ_TEST_CLUSTER_COMMON_H
#define SHMSEQ_TEST_CLUSTER_COMMON_H

#include <stdint.h>
#include <time.h>

#include "shmseq.h"

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ms(void)
{
	return now_ns() / 1000000u;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* SQL on an instance: 0 or the statement's error (a positive number: a
 * MariaDB error or an errno), -1 when no connection. */
static inline int cluster_sql(const char *instance, const char *text)
{
	shmseq *c;
	if (shmseq_connect(instance, &c) < 0)
		return -1;
	shmseq_result *res = NULL;
	int r = shmseq_exec(c, text, &res);
	int e = r < 0 ? -r : 0;
	for (const shmseq_result *p = res; p && !e; p = shmseq_result_next(p))
		e = shmseq_result_error(p);
	shmseq_result_free(res);
	shmseq_disconnect(c);
	return e < 0 ? -e : e;
}

#endif
