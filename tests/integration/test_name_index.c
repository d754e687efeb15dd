/* SPDX-License-Identifier: MIT */
/* test_name_index.c — the region's name index against a real daemon: a
 * fresh client process resolves every one of N sequences (100,000 unless
 * $SHMSEQ_NAME_INDEX_N says otherwise) with the daemon stopped (SIGSTOP), so
 * without a single round trip, and gets each sequence's own values; DROP and
 * CREATE OR REPLACE are seen through the index; a scribbled index makes
 * clients ask the daemon, never take another sequence's values; and a
 * restarted daemon that adopts the region rebuilds it. Prints the client's
 * private memory per resolved name and the time per first resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "region_index.h"
#include "shmseq.h"
#include "util.h"

static struct daemon d;
static unsigned n_seqs = 100000;

/* Sequence i starts at i·1000 + 1: a value tells whose it is. */
static void seq_name(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "ni_%u", i);
}

static void exec_ok(shmseq *c, const char *sql)
{
	shmseq_result *res = NULL;
	int rc = shmseq_exec(c, sql, &res);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", sql, shmseq_strerror(rc));
	assert_true(rc >= 0);
	for (const shmseq_result *r = res; r; r = shmseq_result_next(r))
		if (shmseq_result_error(r)) {
			fprintf(stderr, "%s: %s\n", shmseq_result_statement(r), shmseq_result_message(r));
			fail();
		}
	shmseq_result_free(res);
}

static _Atomic unsigned next_batch;
#define BATCH 200u

static void *creator(void *arg)
{
	(void)arg;
	shmseq *c;
	if (shmseq_connect(d.instance, &c) < 0)
		return (void *)1;
	char *sql = malloc(BATCH * 96);
	uintptr_t bad = 0;
	for (;;) {
		unsigned i = atomic_fetch_add(&next_batch, BATCH);
		if (i >= n_seqs)
			break;
		size_t at = 0;
		for (unsigned j = i; j < i + BATCH && j < n_seqs; j++)
			at += (size_t)sprintf(sql + at, "CREATE SEQUENCE ni_%u START WITH %llu CACHE 100;", j,
					      (unsigned long long)j * 1000 + 1);
		shmseq_result *res = NULL;
		if (shmseq_exec(c, sql, &res) < 0)
			bad = 1;
		for (const shmseq_result *r = res; r; r = shmseq_result_next(r))
			if (shmseq_result_error(r))
				bad = 1;
		shmseq_result_free(res);
	}
	free(sql);
	shmseq_disconnect(c);
	return (void *)bad;
}

/* This process's private dirty memory, in bytes. */
static long private_dirty(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	if (!f)
		return -1;
	char line[256];
	long kb = 0, v;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Private_Dirty: %ld kB", &v) == 1)
			kb += v;
	fclose(f);
	return kb * 1024;
}

static int setup(void **state)
{
	(void)state;
	const char *n = getenv("SHMSEQ_NAME_INDEX_N");
	if (n && atoi(n) > 10)
		n_seqs = (unsigned)atoi(n);
	daemon_setup(&d, "nidx");
	char args[64];
	snprintf(args, sizeof(args), "--max-sequences %u", n_seqs + 1024);
	if (daemon_start(&d, args) < 0)
		return -1;
	uint64_t t0 = util_now_ns();
	pthread_t th[8];
	for (int t = 0; t < 8; t++)
		if (pthread_create(&th[t], NULL, creator, NULL) != 0)
			return -1;
	int bad = 0;
	for (int t = 0; t < 8; t++) {
		void *r;
		pthread_join(th[t], &r);
		bad |= r != NULL;
	}
	printf("# %u sequences created in %.1f s\n", n_seqs, (double)(util_now_ns() - t0) / 1e9);
	return bad ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_teardown(&d);
	return 0;
}

/* The daemon's region mapped writable (as a scribbling client would), its
 * size and its name index. */
static struct region_header *map_region(size_t *size, struct region_index *ix)
{
	int fd = region_fd(d.instance);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	*size = (size_t)st.st_size;
	struct region_header *h = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(h != MAP_FAILED);
	close(fd);
	assert_true(region_index_locate(h, *size, ix));
	return h;
}

/* A fresh process, the daemon stopped: every name from the index. */
static void test_fresh_client_no_round_trips(void **state)
{
	(void)state;
	pid_t kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		shmseq *c;
		if (shmseq_connect(d.instance, &c) < 0)
			_exit(10);
		/* the connection's own setup first, then nothing from the daemon */
		int64_t v;
		if (shmseq_nextval(c, "ni_0", &v) < 0 || v != 1)
			_exit(11);
		long before = private_dirty();
		uint64_t opens0 = atomic_load(&c->opens);
		if (kill(d.pid, SIGSTOP) < 0)
			_exit(12);
		alarm(120); /* a round trip would wait for the stopped daemon */
		uint64_t t0 = util_now_ns();
		char name[32];
		for (unsigned i = 1; i < n_seqs; i++) {
			seq_name(i, name, sizeof(name));
			if (shmseq_nextval(c, name, &v) < 0 || v != (int64_t)i * 1000 + 1) {
				fprintf(stderr, "%s: %lld\n", name, (long long)v);
				_exit(13);
			}
		}
		uint64_t t1 = util_now_ns();
		long after = private_dirty();
		kill(d.pid, SIGCONT);
		uint64_t opens = atomic_load(&c->opens) - opens0;
		printf("# fresh client: %u names resolved and used, %llu round trips, "
		       "%.0f ns per first NEXTVAL\n",
		       n_seqs, (unsigned long long)opens, (double)(t1 - t0) / (n_seqs - 1));
		printf("# private memory: %ld bytes before, %ld after: %.1f bytes per name\n", before, after,
		       (double)(after - before) / (n_seqs - 1));
		fflush(stdout);
		if (opens != 0)
			_exit(14);
		shmseq_disconnect(c);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(kid, &st, 0), kid);
	kill(d.pid, SIGCONT);
	if (!WIFEXITED(st))
		printf("# the client died of signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* DROP and CREATE OR REPLACE, seen by clients that had the name cached and
 * by fresh ones, through the index. */
static void test_drop_and_replace_seen(void **state)
{
	(void)state;
	shmseq *a, *b, *f;
	assert_int_equal(shmseq_connect(d.instance, &a), 0);
	assert_int_equal(shmseq_connect(d.instance, &b), 0);
	int64_t v, first;
	assert_int_equal(shmseq_nextval(b, "ni_5", &first), 0);
	assert_true(first > 5000 && first < 6000);
	assert_int_equal(shmseq_nextval(b, "ni_6", &v), 0);
	assert_int_equal(shmseq_nextval(b, "ni_7", &v), 0);
	exec_ok(a, "CREATE OR REPLACE SEQUENCE ni_5 START WITH 77000000; DROP SEQUENCE ni_6; "
		   "CREATE SEQUENCE ni_new START WITH 88000000");
	uint64_t opens = atomic_load(&b->opens);
	assert_int_equal(shmseq_nextval(b, "ni_5", &v), 0);
	assert_int_equal(v, 77000000);
	assert_int_equal(shmseq_nextval(b, "ni_new", &v), 0);
	assert_int_equal(v, 88000000);
	assert_int_equal(atomic_load(&b->opens), opens); /* both from the index */
	assert_int_equal(shmseq_nextval(b, "ni_6", &v), -4091);
	/* a fresh connection: the same through the index alone */
	assert_int_equal(shmseq_connect(d.instance, &f), 0);
	opens = atomic_load(&f->opens);
	assert_int_equal(shmseq_nextval(f, "ni_5", &v), 0);
	assert_int_equal(v, 77000001);
	assert_int_equal(shmseq_nextval(f, "ni_7", &v), 0);
	assert_true(v > 7000 && v < 8000);
	assert_int_equal(atomic_load(&f->opens), opens);
	assert_int_equal(shmseq_nextval(f, "ni_6", &v), -4091); /* asks the daemon: absent */
	assert_int_equal(shmseq_nextval(f, "no_such_name", &v), -4091);
	/* a name too long for the index: the daemon is asked, once */
	exec_ok(a, "CREATE SEQUENCE ni_a_name_longer_than_forty_bytes_is_not_indexed START WITH 3");
	opens = atomic_load(&f->opens);
	assert_int_equal(shmseq_nextval(f, "ni_a_name_longer_than_forty_bytes_is_not_indexed", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(shmseq_nextval(f, "ni_a_name_longer_than_forty_bytes_is_not_indexed", &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(atomic_load(&f->opens), opens + 1);
	/* TEMPORARY sequences stay the session's: not in the index */
	exec_ok(a, "CREATE TEMPORARY SEQUENCE ni_temp START WITH 5");
	assert_int_equal(shmseq_nextval(a, "ni_temp", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(shmseq_nextval(f, "ni_temp", &v), -4091);
	exec_ok(a, "CREATE SEQUENCE ni_6 START WITH 6001"); /* as it was, for the next tests */
	shmseq_disconnect(f);
	shmseq_disconnect(b);
	shmseq_disconnect(a);
}

/* Through the index without a cache entry: refills (every value of a
 * NOCACHE sequence, the nudge of a cached one) keep their ticket, so values
 * follow each other; LASTVAL is kept, and carried into an entry made later
 * (a handle). */
static void test_lastval_and_refills(void **state)
{
	(void)state;
	shmseq *a, *f;
	assert_int_equal(shmseq_connect(d.instance, &a), 0);
	exec_ok(a, "CREATE SEQUENCE ni_nc NOCACHE; CREATE SEQUENCE ni_c CACHE 20");
	assert_int_equal(shmseq_connect(d.instance, &f), 0);
	uint64_t opens = atomic_load(&f->opens);
	int64_t v;
	assert_int_equal(shmseq_lastval(f, "ni_nc", &v), -ENODATA);
	for (int64_t i = 1; i <= 5; i++) {
		assert_int_equal(shmseq_nextval(f, "ni_nc", &v), 0);
		assert_int_equal(v, i);
	}
	for (int64_t i = 1; i <= 150; i++) {
		assert_int_equal(shmseq_nextval(f, "ni_c", &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(atomic_load(&f->opens), opens); /* refills, but no name asked */
	assert_int_equal(shmseq_lastval(f, "ni_nc", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(shmseq_lastval(f, "ni_c", &v), 0);
	assert_int_equal(v, 150);
	assert_int_equal(shmseq_lastval(a, "ni_c", &v), -ENODATA); /* the session's own */
	shmseq_seq *h;
	assert_int_equal(shmseq_seq_open(f, "ni_nc", &h), 0);
	assert_int_equal(shmseq_lastval(f, "ni_nc", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, 6);
	assert_int_equal(shmseq_nextval(f, "ni_nc", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(shmseq_lastval(f, "ni_nc", &v), 0);
	assert_int_equal(v, 7);
	shmseq_seq_close(h);
	/* a replaced sequence's LASTVAL is NULL */
	exec_ok(a, "CREATE OR REPLACE SEQUENCE ni_c CACHE 20");
	assert_int_equal(shmseq_lastval(f, "ni_c", &v), -ENODATA);
	exec_ok(a, "DROP SEQUENCE ni_nc; DROP SEQUENCE ni_c");
	shmseq_disconnect(f);
	shmseq_disconnect(a);
}

/* The connection's first level for names used often (lib/hotnames.h): a hot
 * name is served without the index (so a record scribbled after it was
 * admitted changes nothing for it, while a fresh connection has to ask the
 * daemon), and it notices a dropped, recreated or replaced sequence on its
 * next call, wherever the new one lives; LASTVAL follows. */
static void test_hot_names(void **state)
{
	(void)state;
	shmseq *a, *f, *g;
	assert_int_equal(shmseq_connect(d.instance, &a), 0);
	exec_ok(a, "CREATE SEQUENCE ni_hot START WITH 1 CACHE 1000; CREATE SEQUENCE ni_hot2 START WITH 1");
	assert_int_equal(shmseq_connect(d.instance, &f), 0);
	uint64_t opens = atomic_load(&f->opens);
	int64_t v;
	for (int64_t i = 1; i <= 3; i++) {
		assert_int_equal(shmseq_nextval(f, "ni_hot", &v), 0);
		assert_int_equal(v, i);
	}
	/* the index record of its slot scribbled: the check word no longer
	 * matches, so the index cannot vouch for the name any more */
	size_t size;
	struct region_index ix;
	struct region_header *h = map_region(&size, &ix);
	uint32_t slot, flags;
	uint64_t id;
	assert_int_equal(region_index_lookup(&ix, "ni_hot", 6, util_hash("ni_hot", 6), &slot, &id, &flags),
			 INDEX_HIT);
	atomic_fetch_xor(&ix.slots[slot].name.check, 1);
	assert_int_not_equal(
		region_index_lookup(&ix, "ni_hot", 6, util_hash("ni_hot", 6), &slot, &id, &flags), INDEX_HIT);
	for (int64_t i = 4; i <= 100; i++) {
		assert_int_equal(shmseq_nextval(f, "ni_hot", &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(atomic_load(&f->opens), opens); /* no round trip */
	assert_int_equal(shmseq_connect(d.instance, &g), 0);
	uint64_t gopens = atomic_load(&g->opens);
	assert_int_equal(shmseq_nextval(g, "ni_hot", &v), 0); /* the daemon, which repairs the record */
	assert_int_equal(v, 101);
	assert_int_equal(atomic_load(&g->opens), gopens + 1);
	assert_int_equal(region_index_lookup(&ix, "ni_hot", 6, util_hash("ni_hot", 6), &slot, &id, &flags),
			 INDEX_HIT);
	assert_int_equal(shmseq_lastval(f, "ni_hot", &v), 0); /* the session's own */
	assert_int_equal(v, 100);
	shmseq_disconnect(g);
	munmap(h, size);

	/* dropped, another sequence made (it may take the freed slot), the
	 * name made again: the new sequence's values, never the old one's or
	 * the other's */
	assert_int_equal(shmseq_nextval(f, "ni_hot2", &v), 0);
	assert_int_equal(shmseq_nextval(f, "ni_hot2", &v), 0);
	assert_int_equal(v, 2);
	exec_ok(a, "DROP SEQUENCE ni_hot; CREATE SEQUENCE ni_other START WITH 9000000; "
		   "CREATE SEQUENCE ni_hot START WITH 500");
	opens = atomic_load(&f->opens);
	assert_int_equal(shmseq_nextval(f, "ni_hot", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(shmseq_nextval(f, "ni_hot", &v), 0);
	assert_int_equal(v, 501);
	assert_int_equal(shmseq_lastval(f, "ni_hot", &v), 0);
	assert_int_equal(v, 501);
	assert_int_equal(shmseq_nextval(f, "ni_other", &v), 0);
	assert_int_equal(v, 9000000);
	/* replaced: the same name, a new identity */
	exec_ok(a, "CREATE OR REPLACE SEQUENCE ni_hot2 START WITH 70");
	assert_int_equal(shmseq_lastval(f, "ni_hot2", &v), -ENODATA);
	assert_int_equal(shmseq_nextval(f, "ni_hot2", &v), 0);
	assert_int_equal(v, 70);
	assert_int_equal(atomic_load(&f->opens), opens); /* all through the index */
	/* dropped for good: the daemon says so */
	exec_ok(a, "DROP SEQUENCE ni_hot; DROP SEQUENCE ni_hot2; DROP SEQUENCE ni_other");
	assert_int_equal(shmseq_nextval(f, "ni_hot", &v), -4091);
	assert_int_equal(shmseq_nextval(f, "ni_hot2", &v), -4091);
	shmseq_disconnect(f);
	shmseq_disconnect(a);
}

/* Threads of one connection take values by name from a few sequences at
 * random (their first level's entries admitted, rewritten and read at
 * once): every value is its own sequence's, none twice. */
#define HOT_SEQS 8u
#define HOT_THREADS 4u
#define HOT_PER_THREAD 50000u
static shmseq *hot_conn;
static int64_t *hot_vals[HOT_THREADS];

static void *hot_taker(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg, seed = t + 1;
	char name[32];
	for (unsigned k = 0; k < HOT_PER_THREAD; k++) {
		seed = seed * 1103515245u + 12345u;
		unsigned j = (seed >> 8) % HOT_SEQS;
		snprintf(name, sizeof(name), "ni_th_%u", j);
		int64_t v;
		if (shmseq_nextval(hot_conn, name, &v) < 0 || v / 1000000000 != (int64_t)j + 1)
			return (void *)1;
		hot_vals[t][k] = v;
	}
	return NULL;
}

static void test_hot_names_threads(void **state)
{
	(void)state;
	shmseq *a;
	assert_int_equal(shmseq_connect(d.instance, &a), 0);
	char sql[128];
	for (unsigned j = 0; j < HOT_SEQS; j++) {
		snprintf(sql, sizeof(sql), "CREATE SEQUENCE ni_th_%u START WITH %llu CACHE 1000", j,
			 (unsigned long long)(j + 1) * 1000000000ull);
		exec_ok(a, sql);
	}
	assert_int_equal(shmseq_connect(d.instance, &hot_conn), 0);
	pthread_t th[HOT_THREADS];
	for (uintptr_t t = 0; t < HOT_THREADS; t++) {
		hot_vals[t] = malloc(HOT_PER_THREAD * sizeof(int64_t));
		assert_non_null(hot_vals[t]);
		assert_int_equal(pthread_create(&th[t], NULL, hot_taker, (void *)t), 0);
	}
	int bad = 0;
	for (unsigned t = 0; t < HOT_THREADS; t++) {
		void *r;
		pthread_join(th[t], &r);
		bad |= r != NULL;
	}
	assert_false(bad);
	int64_t *all = malloc(HOT_THREADS * HOT_PER_THREAD * sizeof(int64_t));
	assert_non_null(all);
	for (unsigned t = 0; t < HOT_THREADS; t++) {
		memcpy(all + t * HOT_PER_THREAD, hot_vals[t], HOT_PER_THREAD * sizeof(int64_t));
		free(hot_vals[t]);
	}
	qsort(all, HOT_THREADS * HOT_PER_THREAD, sizeof(int64_t), cmp_i64);
	for (unsigned i = 1; i < HOT_THREADS * HOT_PER_THREAD; i++)
		assert_true(all[i] != all[i - 1]);
	free(all);
	shmseq_disconnect(hot_conn);
	for (unsigned j = 0; j < HOT_SEQS; j++) {
		snprintf(sql, sizeof(sql), "DROP SEQUENCE ni_th_%u", j);
		exec_ok(a, sql);
	}
	shmseq_disconnect(a);
}

/* Random bytes over the index: fresh clients still get each sequence's own
 * values (asking the daemon where the index fails them), and the daemon
 * repairs the entries it is asked about. */
static void test_scribbled_index(void **state)
{
	(void)state;
	size_t size;
	struct region_index ix;
	struct region_header *h = map_region(&size, &ix);
	unsigned seed = 4242;
	unsigned char *p = (unsigned char *)ix.bucket;
	size_t bytes = region_index_bytes(h->nslots);
	struct region_slot *slots = region_slots(h);
	for (int k = 0; k < 20000; k++) {
		size_t at = (size_t)rand_r(&seed) % bytes;
		if (k % 3 == 0) { /* a bucket copied from elsewhere: a plausible one */
			size_t from = ((size_t)rand_r(&seed) % (bytes / 8)) * 8;
			memcpy(p + (at & ~(size_t)7), p + from, 8);
		} else if (k % 3 == 1) { /* a byte of a used slot's name record */
			unsigned char *rb = (unsigned char *)&slots[(unsigned)rand_r(&seed) % h->slots_used];
			rb[8 + rand_r(&seed) % 56] = (unsigned char)rand_r(&seed);
		} else {
			p[at] = (unsigned char)rand_r(&seed);
		}
	}
	shmseq *f;
	assert_int_equal(shmseq_connect(d.instance, &f), 0);
	char name[32];
	unsigned checked = 0;
	for (unsigned i = 0; i < n_seqs; i += 7) {
		if (i == 5 || i == 6)
			continue; /* replaced above */
		seq_name(i, name, sizeof(name));
		int64_t v;
		assert_int_equal(shmseq_nextval(f, name, &v), 0);
		if (!(v > (int64_t)i * 1000 && v < (int64_t)i * 1000 + 1000)) {
			fprintf(stderr, "%s gave %lld\n", name, (long long)v);
			fail();
		}
		checked++;
	}
	uint64_t asked = atomic_load(&f->opens);
	printf("# scribbled index: %u names right, %llu asked of the daemon\n", checked,
	       (unsigned long long)asked);
	assert_true(asked > 0);
	shmseq_disconnect(f);
	/* the entries the daemon was asked about are whole again */
	assert_int_equal(shmseq_connect(d.instance, &f), 0);
	for (unsigned i = 0; i < n_seqs; i += 7) {
		if (i == 5 || i == 6)
			continue;
		seq_name(i, name, sizeof(name));
		int64_t v;
		assert_int_equal(shmseq_nextval(f, name, &v), 0);
	}
	printf("# after the repairs: %llu asked\n", (unsigned long long)atomic_load(&f->opens));
	assert_true(atomic_load(&f->opens) < asked);
	shmseq_disconnect(f);
	munmap(h, size);
}

/* A daemon killed and restarted adopts the region and rebuilds the index. */
static void test_rebuilt_on_adoption(void **state)
{
	(void)state;
	daemon_kill(&d);
	char args[64];
	snprintf(args, sizeof(args), "--max-sequences %u", n_seqs + 1024);
	assert_int_equal(daemon_start(&d, args), 0);
	shmseq *f;
	assert_int_equal(shmseq_connect(d.instance, &f), 0);
	char name[32];
	for (unsigned i = 0; i < n_seqs; i += 97) {
		if (i == 5 || i == 6)
			continue;
		seq_name(i, name, sizeof(name));
		int64_t v;
		assert_int_equal(shmseq_nextval(f, name, &v), 0);
		assert_true(v > (int64_t)i * 1000 && v < (int64_t)i * 1000 + 1000);
	}
	assert_int_equal(atomic_load(&f->opens), 0);
	shmseq_disconnect(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_client_no_round_trips),
		cmocka_unit_test(test_drop_and_replace_seen),
		cmocka_unit_test(test_lastval_and_refills),
		cmocka_unit_test(test_hot_names),
		cmocka_unit_test(test_hot_names_threads),
		cmocka_unit_test(test_scribbled_index),
		cmocka_unit_test(test_rebuilt_on_adoption),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
