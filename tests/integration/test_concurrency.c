/* test_concurrency.c — many processes and threads drawing from one sequence
 * against the real daemon: every value distinct, each thread's increasing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"

static struct daemon d;

struct draw {
	int64_t *values; /* shared: procs * threads * per */
	int procs, threads;
	long per;
	int *errors; /* shared counter per (proc, thread) */
	const char *name;
};

struct worker {
	struct draw *dr;
	shmseq *conn;
	int proc, thread;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct draw *dr = w->dr;
	size_t slot = (size_t)w->proc * (size_t)dr->threads + (size_t)w->thread;
	int64_t *out = dr->values + slot * (size_t)dr->per;
	shmseq_seq *h = NULL;
	bool by_name = w->thread % 2 == 0; /* half by name, half by handle */
	if (!by_name && shmseq_seq_open(w->conn, dr->name, &h) < 0) {
		dr->errors[slot]++;
		return NULL;
	}
	for (long i = 0; i < dr->per; i++) {
		int r = by_name ? shmseq_nextval(w->conn, dr->name, &out[i]) : shmseq_seq_nextval(h, &out[i]);
		if (r < 0) {
			fprintf(stderr, "nextval: %s\n", shmseq_strerror(r));
			dr->errors[slot]++;
			return NULL;
		}
		if (i > 0 && out[i] <= out[i - 1])
			dr->errors[slot]++; /* a thread's values must increase */
	}
	shmseq_seq_close(h);
	return NULL;
}

static void run_draw(struct draw *dr)
{
	size_t total = (size_t)dr->procs * (size_t)dr->threads * (size_t)dr->per;
	dr->values = shared_alloc(total * sizeof(int64_t));
	dr->errors = shared_alloc((size_t)dr->procs * (size_t)dr->threads * sizeof(int));
	pid_t pids[64];
	for (int p = 0; p < dr->procs; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			shmseq *c;
			if (shmseq_connect(NULL, &c) < 0)
				_exit(2);
			pthread_t t[64];
			struct worker w[64];
			for (int i = 0; i < dr->threads; i++) {
				w[i] = (struct worker){.dr = dr, .conn = c, .proc = p, .thread = i};
				pthread_create(&t[i], NULL, worker_main, &w[i]);
			}
			for (int i = 0; i < dr->threads; i++)
				pthread_join(t[i], NULL);
			shmseq_disconnect(c);
			_exit(0);
		}
	}
	for (int p = 0; p < dr->procs; p++) {
		int st;
		waitpid(pids[p], &st, 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	int errors = 0;
	for (int i = 0; i < dr->procs * dr->threads; i++)
		errors += dr->errors[i];
	assert_int_equal(errors, 0);
	qsort(dr->values, total, sizeof(int64_t), cmp_i64);
	size_t dups = 0;
	for (size_t i = 1; i < total; i++)
		dups += dr->values[i] == dr->values[i - 1];
	printf("# %d processes x %d threads x %ld values: %zu values, %zu duplicates, min %lld max %lld\n",
	       dr->procs, dr->threads, dr->per, total, dups, (long long)dr->values[0],
	       (long long)dr->values[total - 1]);
	assert_int_equal(dups, 0);
	assert_true(dr->values[0] >= 1);
}

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

static void test_default_cache_4x4x50000(void **state)
{
	(void)state;
	shmseq *c;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	exec_ok(c, "CREATE SEQUENCE conc");
	shmseq_disconnect(c);
	struct draw dr = {.procs = 4, .threads = 4, .per = 50000, .name = "conc"};
	run_draw(&dr);
}

static void test_nocache_every_value_durable(void **state)
{
	(void)state;
	shmseq *c;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	exec_ok(c, "CREATE SEQUENCE nc NOCACHE");
	shmseq_disconnect(c);
	struct draw dr = {.procs = 4, .threads = 2, .per = 1000, .name = "nc"};
	run_draw(&dr);
	/* every value was handed out under its own durable record: the stored
	 * position is exactly one past the last value */
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	shmseq_result *res;
	assert_int_equal(shmseq_exec(c, "SELECT next_not_cached_value FROM nc", &res), 0);
	assert_string_equal(shmseq_result_value(res, 0, 0), "8001");
	shmseq_result_free(res);
	shmseq_disconnect(c);
}

static void test_descending_small_cache(void **state)
{
	(void)state;
	shmseq *c;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	exec_ok(c, "CREATE SEQUENCE dn INCREMENT BY -3 CACHE 7");
	shmseq_disconnect(c);
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	shmseq_seq *h;
	assert_int_equal(shmseq_seq_open(c, "dn", &h), 0);
	int64_t prev = 0, v;
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(shmseq_seq_nextval(h, &v), 0);
		if (i)
			assert_int_equal(v, prev - 3);
		else
			assert_int_equal(v, -1);
		prev = v;
	}
	shmseq_disconnect(c);
}

/* The name cache grows while other threads of the same connection read it:
 * four threads resolve 3,000 new names at once, in different orders, and
 * every value must come from the sequence named (sequence i starts at
 * i * 1,000,000 + 1). A second pass finds them all cached. */
#define NC_NAMES 3000
struct nc_thread {
	shmseq *conn;
	int t;
	int errors;
};

static void *nc_main(void *arg)
{
	struct nc_thread *w = arg;
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < NC_NAMES; k++) {
			int i = (int)(((long)k * (2 * w->t + 1) + w->t * 997L) % NC_NAMES);
			char name[32];
			snprintf(name, sizeof(name), "nc_%d", i);
			int64_t v;
			int r = shmseq_nextval(w->conn, name, &v);
			if (r < 0 || v <= (int64_t)i * 1000000 || v > (int64_t)i * 1000000 + 1000000) {
				fprintf(stderr, "%s: r=%d v=%lld\n", name, r, (long long)v);
				w->errors++;
			}
		}
	return NULL;
}

static void test_name_cache_grows_under_readers(void **state)
{
	(void)state;
	shmseq *c;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	for (int i = 0; i < NC_NAMES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "nc_%d", i);
		struct shmseq_def def = {.set = SHMSEQ_SET_START, .start = (int64_t)i * 1000000 + 1};
		assert_int_equal(shmseq_create(c, name, &def, 0), 0);
	}
	shmseq_disconnect(c);
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	pthread_t th[4];
	struct nc_thread w[4];
	for (int t = 0; t < 4; t++) {
		w[t] = (struct nc_thread){.conn = c, .t = t};
		assert_int_equal(pthread_create(&th[t], NULL, nc_main, &w[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(w[t].errors, 0);
	}
	/* a name never created is still not found, after all that growth */
	int64_t v;
	assert_int_equal(shmseq_nextval(c, "nc_none", &v), -4091);
	shmseq_disconnect(c);
}

static int setup(void **state)
{
	(void)state;
	daemon_setup(&d, "conc");
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
		cmocka_unit_test(test_default_cache_4x4x50000),
		cmocka_unit_test(test_nocache_every_value_durable),
		cmocka_unit_test(test_descending_small_cache),
		cmocka_unit_test(test_name_cache_grows_under_readers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
