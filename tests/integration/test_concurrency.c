/* SPDX-License-Identifier: MIT */
/* test_concurrency.c — many processes and threads drawing from one sequence
 * against the real daemon: every value distinct, each thread's increasing.
 * The name cache grows, and names come and go, while other threads of the
 * connection read it, through daemon restarts; a NUDGE in flight while
 * another thread re-attaches never lands in the application's own socket.
 * CI runs this file under ThreadSanitizer too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "shmseq.h"
#include "wire.h"

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

/* --- a NUDGE in flight while another thread re-attaches ---------------------------
 *
 * sendmsg() here stands in for libc's (the library's calls resolve to the
 * executable's first): armed, it holds the next NUDGE between the moment the
 * library chose the socket's descriptor and the send, as a preempted thread
 * would be held. */
static _Atomic int nudge_arm, nudge_held, nudge_go;

__attribute__((visibility("default"))) ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	if (!real)
		real = (ssize_t(*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT, "sendmsg");
	const size_t len = sizeof(struct wire_hdr) + sizeof(struct wire_ticket);
	if (atomic_load(&nudge_arm) && msg->msg_iovlen == 1 && msg->msg_iov[0].iov_len == len) {
		struct wire_hdr h;
		memcpy(&h, msg->msg_iov[0].iov_base, sizeof(h));
		if (h.op == WIRE_NUDGE && atomic_exchange(&nudge_arm, 0)) {
			atomic_store(&nudge_held, fd);
			for (int i = 0; i < 20000 && !atomic_load(&nudge_go); i++)
				usleep(500);
		}
	}
	return real(fd, msg, flags);
}

struct nudger {
	shmseq_seq *h;
	int draws;
};

static void *nudger_main(void *arg)
{
	struct nudger *n = arg;
	int64_t v;
	for (int i = 0; i < 100000 && !atomic_load(&nudge_held); i++, n->draws++)
		if (shmseq_seq_nextval(n->h, &v) < 0)
			break;
	return NULL;
}

/* A thread's NUDGE is held after it read the socket's descriptor; another
 * thread finds the daemon gone and detaches; the application then opens
 * sockets, which take the lowest free descriptor numbers; the NUDGE goes.
 * Before the fix the descriptor was closed at once, the application's new
 * socket got its number, and the 56-byte NUDGE landed in it. */
static void test_nudge_never_lands_in_app_socket(void **state)
{
	(void)state;
	shmseq *c;
	shmseq_seq *h;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	exec_ok(c, "CREATE SEQUENCE ndg CACHE 100");
	assert_int_equal(shmseq_seq_open(c, "ndg", &h), 0);
	atomic_store(&nudge_held, 0);
	atomic_store(&nudge_go, 0);
	atomic_store(&nudge_arm, 1);
	struct nudger n = {.h = h};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, nudger_main, &n), 0);
	for (int i = 0; i < 20000 && !atomic_load(&nudge_held); i++)
		usleep(500);
	int held = atomic_load(&nudge_held);
	assert_true(held > 0);
	/* the daemon goes; this thread's call finds it gone and detaches */
	assert_int_equal(daemon_stop(&d), 0);
	struct shmseq_status st;
	assert_true(shmseq_status(c, &st) < 0);
	/* the application's sockets take the lowest free numbers */
	int sp[16][2];
	bool reused = false;
	for (int i = 0; i < 16; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp[i]), 0);
		reused = reused || sp[i][0] == held || sp[i][1] == held;
	}
	atomic_store(&nudge_go, 1);
	pthread_join(t, NULL);
	int landed = 0;
	for (int i = 0; i < 16; i++) {
		char buf[256];
		for (int k = 0; k < 2; k++)
			if (recv(sp[i][k], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				landed++;
		close(sp[i][0]);
		close(sp[i][1]);
	}
	printf("# NUDGE held on descriptor %d after %d draws; the application's sockets %s that "
	       "number; %d NUDGE(s) landed in them\n",
	       held, n.draws, reused ? "reused" : "did not reuse", landed);
	assert_false(reused);
	assert_int_equal(landed, 0);
	assert_int_equal(daemon_start(&d, NULL), 0);
	int64_t v;
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	shmseq_seq_close(h);
	shmseq_disconnect(c);
}

/* --- names come and go under readers, through daemon restarts ----------------------- */

#define CH_NAMES 64
struct churn {
	shmseq *conn;
	_Atomic int stop;
	long draws, errors;
	int t;
};

static bool churn_value_ok(int i, int64_t v)
{
	return v > (int64_t)i * 1000000 && v <= (int64_t)i * 1000000 + 1000000;
}

static void *churn_reader(void *arg)
{
	struct churn *w = arg;
	unsigned seed = (unsigned)w->t * 7919u + 1;
	while (!atomic_load(&w->stop)) {
		int i = (int)(rand_r(&seed) % CH_NAMES);
		char name[32];
		snprintf(name, sizeof(name), "ch_%d", i);
		int64_t v = 0;
		int r;
		if (rand_r(&seed) % 4 == 0) {
			shmseq_seq *h;
			r = shmseq_seq_open(w->conn, name, &h);
			if (r == 0) {
				for (int k = 0; k < 10 && r == 0; k++)
					if ((r = shmseq_seq_nextval(h, &v)) == 0 && !churn_value_ok(i, v))
						w->errors++;
				shmseq_seq_close(h);
			}
		} else {
			r = shmseq_nextval(w->conn, name, &v);
			if (r == 0 && !churn_value_ok(i, v))
				w->errors++;
		}
		/* dropped meanwhile, or the daemon restarting: fine */
		if (r < 0 && r != -SHMSEQ_ERR_UNKNOWN_SEQUENCE && r != -ECONNREFUSED && r != -ECONNRESET &&
		    r != -EPIPE && r != -ENOENT) {
			fprintf(stderr, "%s: %d %s\n", name, r, shmseq_strerror(r));
			w->errors++;
		}
		w->draws++;
	}
	return NULL;
}

static int ch_create(shmseq *c, int i)
{
	char name[32];
	snprintf(name, sizeof(name), "ch_%d", i);
	struct shmseq_def def = {
		.set = SHMSEQ_SET_START | SHMSEQ_SET_CACHE, .start = (int64_t)i * 1000000 + 1, .cache = 10};
	return shmseq_create(c, name, &def, SHMSEQ_IF_NOT_EXISTS);
}

static void *churn_writer(void *arg)
{
	struct churn *w = arg;
	unsigned seed = 4242;
	while (!atomic_load(&w->stop)) {
		int i = (int)(rand_r(&seed) % CH_NAMES);
		char name[32];
		snprintf(name, sizeof(name), "ch_%d", i);
		shmseq_drop(w->conn, name);
		ch_create(w->conn, i);
		/* and a name used once, then dropped */
		snprintf(name, sizeof(name), "once_%ld", w->draws++);
		int64_t v;
		if (shmseq_create(w->conn, name, NULL, 0) == 0) {
			shmseq_nextval(w->conn, name, &v);
			shmseq_drop(w->conn, name);
		}
	}
	return NULL;
}

static int region_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "memfd:shmseq."))
			n++;
	if (f)
		fclose(f);
	return n;
}

/* Three threads draw by name and by handle from 64 names while a fourth
 * drops and re-creates them and uses names once, all on one connection, and
 * the daemon restarts twice under them: every value comes from the sequence
 * named. What left the cache, the outgrown tables and the old regions are
 * freed (under TSan: without a race), and one region stays mapped. */
static void test_names_churn_under_readers(void **state)
{
	(void)state;
	shmseq *c;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	for (int i = 0; i < CH_NAMES; i++)
		assert_int_equal(ch_create(c, i), 0);
	pthread_t th[4];
	struct churn w[4];
	for (int t = 0; t < 4; t++) {
		w[t] = (struct churn){.conn = c, .t = t};
		assert_int_equal(pthread_create(&th[t], NULL, t == 3 ? churn_writer : churn_reader, &w[t]),
				 0);
	}
	for (int restart = 0; restart < 2; restart++) {
		usleep(700000);
		assert_int_equal(daemon_stop(&d), 0);
		assert_int_equal(daemon_start(&d, NULL), 0);
	}
	usleep(700000);
	long draws = 0;
	for (int t = 0; t < 4; t++)
		atomic_store(&w[t].stop, 1);
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(w[t].errors, 0);
		if (t < 3)
			draws += w[t].draws;
	}
	long churns = w[3].draws; /* read once the writer was joined */
	/* one more slow path with no reader left frees what still waits */
	int64_t v;
	assert_int_equal(ch_create(c, 0), 0);
	assert_int_equal(shmseq_drop(c, "ch_0"), 0);
	assert_int_equal(shmseq_nextval(c, "ch_1", &v), 0);
	pthread_mutex_lock(&c->lock);
	struct reclaim rc = c->rc;
	size_t nnames = c->nnames;
	pthread_mutex_unlock(&c->lock);
	int maps = region_mappings();
	printf("# %ld draws, %ld names used once, 2 restarts: %llu things deferred, %llu freed, %zu "
	       "names cached, %d region(s) mapped\n",
	       draws, churns, (unsigned long long)rc.deferred, (unsigned long long)rc.freed, nnames, maps);
	assert_true(draws > 0 && churns > 0);
	assert_true(rc.freed > 0);
	assert_true(rc.deferred - rc.freed <= 2);
	assert_true(nnames <= CH_NAMES + 4);
	assert_int_equal(maps, 1);
	shmseq_disconnect(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_cache_4x4x50000),
		cmocka_unit_test(test_nocache_every_value_durable),
		cmocka_unit_test(test_descending_small_cache),
		cmocka_unit_test(test_name_cache_grows_under_readers),
		cmocka_unit_test(test_names_churn_under_readers),
		cmocka_unit_test(test_nudge_never_lands_in_app_socket),
	};
	return daemon_group_tests(tests, &d, "conc");
}
