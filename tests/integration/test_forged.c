/* SPDX-License-Identifier: MIT */
/* test_forged.c — a neighbour who may write the region forges a slot.
 *
 * Any process that may map the region read-write (the owner's, or a --group
 * member's, who cannot even read the data directory) can rewrite a slot. What
 * it may do is hurt the values other clients take from the live region; what
 * it must not do is have its forgery adopted by the next daemon and written
 * to the log (reissued values after restarts, values out of bounds, a log the
 * daemon refuses to replay), nor make anyone's NEXTVAL spin forever.
 *
 *  - A slot whose epoch base is moved back (kept self-consistent) and a base
 *    below MINVALUE, then a daemon SIGKILL: the successor refuses to adopt
 *    them; no value repeats after that restart nor after a clean one, every
 *    value stays in bounds, and every later start succeeds.
 *  - A log record that the replay rejects (as an older daemon could write
 *    after adopting such a slot): start-up refuses with a way out, and
 *    --accept-log-damage gets past it, says what it dropped and reissues
 *    nothing; the next start needs no flag.
 *  - A generation left odd, a limit lowered below the tickets taken, and 112
 *    rounds of random words written over a slot: every NEXTVAL returns (a
 *    value or an error) within a bound, and the daemon repairs the slot and
 *    says so.
 *
 * Every NEXTVAL after a forgery runs in a child with a deadline, so a hang
 * fails the test instead of blocking it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
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
#include "region.h"
#include "shmseq.h"
#include "util.h"
#include "wal.h"

static struct daemon d;
static char dlog[512]; /* the daemon's stderr, appended over its restarts */

/* A call that has not returned after this long hangs. The library gives up
 * on its own well before (10 s without a value); a repaired slot answers in
 * milliseconds. Generous: the machine may be busy. SHMSEQ_FORGED_BOUND_MS
 * changes it (to count hangs quickly on a build without the fix). */
#define CALL_BOUND_MS 30000
static int call_bound_ms = CALL_BOUND_MS;

/* --- values handed out ---------------------------------------------------------- */

#define VCAP 20000
static int64_t seen[VCAP];
static size_t nseen;

static bool was_seen(int64_t v)
{
	for (size_t i = 0; i < nseen; i++)
		if (seen[i] == v)
			return true;
	return false;
}

static void see(int64_t v)
{
	assert_true(nseen < VCAP);
	seen[nseen++] = v;
}

/* --- the daemon and its log ------------------------------------------------------- */

static void start(const char *extra)
{
	char args[1024];
	snprintf(args, sizeof(args), "%s 2>>%s", extra ? extra : "", dlog);
	assert_int_equal(daemon_start(&d, args), 0);
}

/* Start expecting a refusal; returns the daemon's exit status. */
static int start_refused(const char *extra)
{
	char args[1024];
	snprintf(args, sizeof(args), "%s 2>>%s", extra ? extra : "", dlog);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "exec \"$SHMSEQD\" --instance %s --data-dir %s/data \"$@\" %s", d.instance,
		 d.dir, args);
	const char *argv[] = {"/bin/sh", "-c", cmd, "sh", NULL};
	struct spawn_opts o = {.argv = argv, .ready_flag = "--ready-fd"};
	struct spawn sp;
	assert_int_equal(spawn_start(&sp, &o), 0);
	int code = -1;
	assert_int_equal(daemon_await_ready(&d, &sp, &code), -1);
	return code;
}

/* Lines of the daemon's log containing `what`. */
static int log_count(const char *what)
{
	FILE *f = fopen(dlog, "r");
	char line[4096];
	int n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

static void log_print(const char *what)
{
	FILE *f = fopen(dlog, "r");
	char line[4096];
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			printf("# daemon: %s", line);
	fclose(f);
}

static void setup_daemon(const char *prefix)
{
	daemon_setup(&d, prefix);
	snprintf(dlog, sizeof(dlog), "%s/daemon.log", d.dir);
	nseen = 0;
	start(NULL);
}

static void exec_ok(shmseq *c, const char *sql)
{
	shmseq_result *res;
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	if (shmseq_result_error(res))
		fprintf(stderr, "%s: %s\n", sql, shmseq_result_message(res));
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
}

/* --- the region, from a neighbour's side ------------------------------------------ */

struct forged {
	unsigned char *map;
	size_t size;
	struct region_slot *slot;
};

/* Map the instance's region read-write, as any process that may open it can,
 * and find the slot the daemon gave `name`. */
static void forge_open(shmseq *c, const char *name, struct forged *f)
{
	shmseq_seq *h;
	assert_int_equal(shmseq_seq_open(c, name, &h), 0);
	struct region_slot *s = atomic_load(&h->slot);
	struct region_header *hh = atomic_load(&h->hdr);
	size_t idx = (size_t)(s - region_slots(hh));

	struct stat st;
	int fd = region_fd(d.instance); /* a writable descriptor, as every client gets */
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	f->size = (size_t)st.st_size;
	f->map = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(f->map != MAP_FAILED);
	close(fd);
	struct region_header *rh = (struct region_header *)f->map;
	assert_true(idx < rh->nslots);
	f->slot = &region_slots(rh)[idx];
	assert_int_equal(atomic_load(&f->slot->seq_id), atomic_load(&h->seq_id));
}

static void forge_close(struct forged *f)
{
	munmap(f->map, f->size);
}

/* Move the epoch back (or forward) to new_base, self-consistently: the end of
 * the round moves with it, so every check of the slot's own arithmetic holds. */
static void forge_base(struct region_slot *s, int64_t new_base)
{
	int64_t base = atomic_load(&s->base), inc = atomic_load(&s->inc);
	uint64_t end = atomic_load(&s->end);
	__int128 shift = ((__int128)base - new_base) / inc;
	atomic_store(&s->base, new_base);
	atomic_store(&s->end, (uint64_t)((__int128)end + shift));
	printf("# forged: base %lld -> %lld, end %llu -> %llu (limit %llu, ticks %llu)\n", (long long)base,
	       (long long)new_base, (unsigned long long)end, (unsigned long long)atomic_load(&s->end),
	       (unsigned long long)atomic_load(&s->limit), (unsigned long long)atomic_load(&s->ticks));
}

/* --- NEXTVAL with a deadline ------------------------------------------------------ */

struct timed {
	int rc[8];
	int64_t v[8];
	uint64_t ns[8];
	int n;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* n NEXTVALs (n <= 8) of `name` in a child on a fresh session: each must
 * return within CALL_BOUND_MS. Returns false (after killing the child) when
 * one did not. */
static bool timed_nextvals(const char *name, int n, struct timed *t)
{
	int p[2];
	assert_true(n <= 8);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		struct timed r = {.n = n};
		shmseq *c;
		int e = shmseq_connect(d.instance, &c);
		for (int i = 0; i < n; i++) {
			uint64_t t0 = now_ns();
			r.rc[i] = e < 0 ? e : shmseq_nextval(c, name, &r.v[i]);
			r.ns[i] = now_ns() - t0;
			/* one result at a time: the parent's deadline is per call */
			if (write(p[1], &i, sizeof(i)) != sizeof(i))
				_exit(2);
		}
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		if (e == 0)
			shmseq_disconnect(c);
		_exit(0);
	}
	close(p[1]);
	bool ok = true;
	for (int i = 0; i < n && ok; i++) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		int k;
		ok = poll(&pf, 1, call_bound_ms) == 1 && read(p[0], &k, sizeof(k)) == sizeof(k) && k == i;
	}
	if (ok)
		ok = read(p[0], t, sizeof(*t)) == sizeof(*t);
	close(p[0]);
	if (!ok)
		kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	return ok;
}

/* --- item 1: a forged slot is never adopted ----------------------------------------- */

/* CREATE s CACHE 100, 5,000 values, RESTART WITH 100000, 10 values; then the
 * slot's base is moved back to 1 (its end shifted to match) and the daemon
 * is SIGKILLed. The successor must not adopt it: its values (and those after a
 * further clean restart) repeat nothing. */
static void test_forged_base_not_adopted(void **state)
{
	(void)state;
	setup_daemon("forged-base");
	shmseq *c;
	int64_t v;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	exec_ok(c, "CREATE SEQUENCE s CACHE 100");
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(shmseq_nextval(c, "s", &v), 0);
		see(v);
	}
	exec_ok(c, "ALTER SEQUENCE s RESTART WITH 100000");
	for (int i = 0; i < 10; i++) {
		assert_int_equal(shmseq_nextval(c, "s", &v), 0);
		assert_int_equal(v, 100000 + i);
		see(v);
	}
	struct forged f;
	forge_open(c, "s", &f);
	forge_base(f.slot, 1);
	forge_close(&f);

	daemon_kill(&d);
	start(NULL); /* adopts the region where it may */
	log_print("adopted");
	/* the old session (same mapping) and a new one */
	shmseq *c2;
	assert_int_equal(shmseq_connect(d.instance, &c2), 0);
	int dups = 0, low = 0;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(shmseq_nextval(i % 2 ? c2 : c, "s", &v), 0);
		if (i < 3)
			printf("# after SIGKILL: NEXTVAL = %lld\n", (long long)v);
		dups += was_seen(v);
		low += v < 100010;
		see(v);
	}
	printf("# after SIGKILL: %d of 20 values handed out before, %d below 100010\n", dups, low);
	shmseq_disconnect(c2);

	assert_int_equal(daemon_stop(&d), 0);
	start(NULL);
	assert_int_equal(shmseq_connect(d.instance, &c2), 0);
	int dups2 = 0, low2 = 0;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(shmseq_nextval(i % 2 ? c2 : c, "s", &v), 0);
		if (i < 3)
			printf("# after a clean restart: NEXTVAL = %lld\n", (long long)v);
		dups2 += was_seen(v);
		low2 += v < 100010;
		see(v);
	}
	printf("# after a clean restart: %d of 20 values handed out before, %d below 100010\n", dups2, low2);
	assert_int_equal(dups, 0);
	assert_int_equal(low, 0);
	assert_int_equal(dups2, 0);
	assert_int_equal(low2, 0);
	shmseq_disconnect(c2);
	shmseq_disconnect(c);
	daemon_teardown(&d);
}

/* A base below MINVALUE (outside the TINYINT's range too): never adopted, so
 * no value out of bounds is handed out and nothing is written that a later
 * start refuses to replay. */
static void test_base_below_minvalue(void **state)
{
	(void)state;
	setup_daemon("forged-min");
	shmseq *c;
	int64_t v;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	exec_ok(c, "CREATE SEQUENCE t AS tinyint CACHE 10");
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(shmseq_nextval(c, "t", &v), 0);
		assert_int_equal(v, i);
		see(v);
	}
	struct forged f;
	forge_open(c, "t", &f);
	forge_base(f.slot, -1000);
	forge_close(&f);

	daemon_kill(&d);
	start(NULL);
	int out = 0, dups = 0;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(shmseq_nextval(c, "t", &v), 0);
		if (i < 3)
			printf("# after SIGKILL: NEXTVAL = %lld\n", (long long)v);
		out += v < 1 || v > 126;
		dups += was_seen(v);
		see(v);
	}
	printf("# after SIGKILL: %d of 10 values out of bounds, %d handed out before\n", out, dups);
	/* the clean shutdown writes the exact position; every start after it
	 * replays the log */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(daemon_stop(&d), 0);
		start(NULL);
		assert_int_equal(shmseq_nextval(c, "t", &v), 0);
		printf("# after clean restart %d: NEXTVAL = %lld\n", round + 1, (long long)v);
		assert_true(v >= 1 && v <= 126);
		assert_false(was_seen(v));
		see(v);
	}
	assert_int_equal(log_count("replaying"), 0);
	assert_int_equal(out, 0);
	assert_int_equal(dups, 0);
	shmseq_disconnect(c);
	daemon_teardown(&d);
}

/* --- item 1: a way out of a record the replay rejects ------------------------------- */

/* A REC_SEQ record as the log's first format wrote it (type 1): what an older
 * daemon wrote at shutdown after adopting a slot whose base lay below
 * MINVALUE. Its own layout here, so that the test keeps writing the old
 * format whatever the daemon writes now. */
struct old_rec_seq {
	uint64_t id;
	int64_t horizon;
	int64_t cycle_count;
	uint8_t name_len;
	char name[64];
	uint8_t cycle;
	uint8_t type;
	uint8_t is_unsigned;
	uint8_t pad[5];
	int64_t start, minvalue, maxvalue, increment, cache;
	uint16_t comment_len;
};

static void append_bad_record(uint64_t id, const char *name, int64_t horizon)
{
	char data[300], err[512];
	struct wal *w;
	snprintf(data, sizeof(data), "%s/data", d.dir);
	/* no replay callback: the records are not interpreted here */
	assert_int_equal(wal_open(data, NULL, NULL, NULL, NULL, &w, err, sizeof(err)), 0);
	struct old_rec_seq r;
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.horizon = horizon;
	r.name_len = (uint8_t)strlen(name);
	memcpy(r.name, name, r.name_len);
	r.type = SEQ_TYPE_TINYINT;
	r.start = 1;
	r.minvalue = 1;
	r.maxvalue = 126;
	r.increment = 1;
	r.cache = 10;
	assert_int_equal(wal_append(w, 1 /* REC_SEQ */, &r,
				    (uint32_t)offsetof(struct old_rec_seq, comment_len) + sizeof(uint16_t),
				    NULL),
			 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
}

static void test_rejected_record_way_out(void **state)
{
	(void)state;
	setup_daemon("forged-log");
	shmseq *c;
	shmseq_seq *h;
	int64_t v;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	exec_ok(c, "CREATE SEQUENCE t AS tinyint CACHE 10; CREATE SEQUENCE other CACHE 10");
	assert_int_equal(shmseq_seq_open(c, "t", &h), 0);
	uint64_t id = atomic_load(&h->seq_id);
	for (int i = 0; i < 25; i++) {
		assert_int_equal(shmseq_nextval(c, "t", &v), 0);
		see(v);
		assert_int_equal(shmseq_nextval(c, "other", &v), 0);
	}
	int64_t other_last = v;
	assert_int_equal(daemon_stop(&d), 0);
	append_bad_record(id, "t", -995);

	int code = start_refused(NULL);
	printf("# start on the damaged log: exit %d\n", code);
	log_print("replay");
	assert_true(log_count("--accept-log-damage") >= 1);
	/* the flag really gets past it */
	start("--accept-log-damage");
	log_print("dropped");
	assert_true(log_count("dropped") >= 1);
	assert_true(log_count("'t'") >= 1);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(shmseq_nextval(c, "t", &v), 0);
		if (i == 0)
			printf("# after --accept-log-damage: t resumes at %lld\n", (long long)v);
		assert_true(v >= 1 && v <= 126);
		assert_false(was_seen(v));
		see(v);
	}
	assert_int_equal(shmseq_nextval(c, "other", &v), 0);
	assert_true(v > other_last);
	other_last = v;
	/* and the next start needs no flag: the damage is behind a snapshot */
	assert_int_equal(daemon_stop(&d), 0);
	start(NULL);
	assert_int_equal(shmseq_nextval(c, "t", &v), 0);
	assert_false(was_seen(v));
	assert_true(v >= 1 && v <= 126);
	assert_int_equal(shmseq_nextval(c, "other", &v), 0);
	assert_true(v > other_last);
	shmseq_disconnect(c);
	daemon_teardown(&d);
}

/* --- item 4: one stray word never makes NEXTVAL spin -------------------------------- */

/* n timed NEXTVALs that must all answer a value never seen, in bounds. */
static void expect_fresh_values(const char *name, int n, const char *when)
{
	struct timed t;
	bool ok = timed_nextvals(name, n, &t);
	if (!ok)
		printf("# %s: NEXTVAL did not return within %d ms\n", when, call_bound_ms);
	assert_true(ok);
	for (int i = 0; i < n; i++) {
		if (i == 0)
			printf("# %s: NEXTVAL = %lld (rc %d) in %.3f ms\n", when, (long long)t.v[i], t.rc[i],
			       (double)t.ns[i] / 1e6);
		assert_int_equal(t.rc[i], 0);
		assert_false(was_seen(t.v[i]));
		see(t.v[i]);
	}
}

static void test_odd_generation(void **state)
{
	(void)state;
	setup_daemon("forged-gen");
	shmseq *c;
	int64_t v;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	exec_ok(c, "CREATE SEQUENCE g CACHE 10; CREATE SEQUENCE n NOCACHE");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(shmseq_nextval(c, "g", &v), 0);
		see(v);
		assert_int_equal(shmseq_nextval(c, "n", &v), 0);
		see(1000000 + v);
	}
	struct forged f;
	forge_open(c, "g", &f);
	atomic_fetch_or(&f.slot->gen, 1); /* "mid-update", forever */
	expect_fresh_values("g", 4, "generation left odd");
	/* the slot is whole again: our own session's fast path works too */
	assert_int_equal(atomic_load(&f.slot->gen) & 1, 0);
	assert_int_equal(shmseq_nextval(c, "g", &v), 0);
	assert_false(was_seen(v));
	forge_close(&f);
	assert_true(log_count("repaired") >= 1);
	log_print("repaired");
	shmseq_disconnect(c);
	daemon_teardown(&d);
}

static void test_lowered_limit(void **state)
{
	(void)state;
	setup_daemon("forged-limit");
	shmseq *c;
	int64_t v;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	exec_ok(c, "CREATE SEQUENCE l CACHE 10; CREATE SEQUENCE n NOCACHE");
	const char *names[] = {"l", "n"};
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 3; i++) {
			assert_int_equal(shmseq_nextval(c, names[k], &v), 0);
			see(v + k * 1000000);
		}
		struct forged f;
		forge_open(c, names[k], &f);
		uint64_t ticks = atomic_load(&f.slot->ticks);
		atomic_store(&f.slot->limit, ticks > 1 ? ticks - 2 : 0); /* below the tickets taken */
		forge_close(&f);
		struct timed t;
		assert_true(timed_nextvals(names[k], 4, &t));
		for (int i = 0; i < 4; i++) {
			if (i == 0)
				printf("# %s: limit lowered below the tickets taken: NEXTVAL = %lld (rc %d) "
				       "in "
				       "%.3f ms\n",
				       names[k], (long long)t.v[i], t.rc[i], (double)t.ns[i] / 1e6);
			assert_int_equal(t.rc[i], 0);
			assert_false(was_seen(t.v[i] + k * 1000000));
			see(t.v[i] + k * 1000000);
		}
	}
	assert_true(log_count("repaired") >= 2);
	shmseq_disconnect(c);
	daemon_teardown(&d);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Random words of a slot, many rounds: every NEXTVAL returns within the bound
 * and the daemon survives. Values are not checked for uniqueness: a scribbler
 * who resets the ticket counter or the base makes clients repeat values, and
 * nothing can tell (region.h). SHMSEQ_FORGED_ROUNDS changes the count;
 * SHMSEQ_FORGED_ALL=1 goes on after a hang and counts the rounds that hung. */
static void test_random_scribbles(void **state)
{
	(void)state;
	setup_daemon("forged-rand");
	shmseq *c;
	int64_t v;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	exec_ok(c, "CREATE SEQUENCE r1 CACHE 20; CREATE SEQUENCE r2 NOCACHE; "
		   "CREATE SEQUENCE r3 MAXVALUE 50 CYCLE CACHE 5; CREATE SEQUENCE r4 INCREMENT -3 CACHE 7");
	const char *names[] = {"r1", "r2", "r3", "r4"};
	struct forged f[4];
	for (int k = 0; k < 4; k++) {
		assert_int_equal(shmseq_nextval(c, names[k], &v), 0);
		forge_open(c, names[k], &f[k]);
	}
	const char *e = getenv("SHMSEQ_FORGED_ROUNDS");
	int rounds = e ? atoi(e) : 112, hung = 0;
	bool all = getenv("SHMSEQ_FORGED_ALL") != NULL;
	unsigned seed = 112;
	int values = 0, errors = 0, calls = 0;
	uint64_t *lat = calloc((size_t)rounds * 3 + 1, sizeof(*lat));
	assert_non_null(lat);
	for (int round = 0; round < rounds; round++) {
		int k = rand_r(&seed) % 4;
		_Atomic uint64_t *w = (_Atomic uint64_t *)f[k].slot + rand_r(&seed) % 16;
		uint64_t old = atomic_load(w), x;
		switch (rand_r(&seed) % 6) {
		case 0:
			x = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11) ^
			    (uint64_t)rand_r(&seed);
			break;
		case 1:
			x = old + 1 + (uint64_t)(rand_r(&seed) % 5);
			break;
		case 2:
			x = old - 1 - (uint64_t)(rand_r(&seed) % 5);
			break;
		case 3:
			x = 0;
			break;
		case 4:
			x = UINT64_MAX;
			break;
		default:
			x = old | 1;
			break;
		}
		atomic_store(w, x);
		struct timed t;
		bool ok = timed_nextvals(names[k], 3, &t);
		if (!ok)
			printf("# round %d: slot of %s, word %d: %#llx -> %#llx: NEXTVAL hung\n", round,
			       names[k], (int)(w - (_Atomic uint64_t *)f[k].slot), (unsigned long long)old,
			       (unsigned long long)x);
		hung += !ok;
		if (!all)
			assert_true(ok);
		for (int i = 0; ok && i < 3; i++) {
			lat[calls++] = t.ns[i];
			if (t.rc[i] == 0)
				values++;
			else
				errors++;
		}
		assert_int_equal(kill(d.pid, 0), 0);
	}
	qsort(lat, (size_t)calls, sizeof(*lat), cmp_u64);
	printf("# %d rounds, %d hung; %d NEXTVALs returned: %d values, %d errors; each returned: median "
	       "%.3f ms, p99 %.3f ms, max %.3f ms; %d repairs logged\n",
	       rounds, hung, calls, values, errors, calls ? (double)lat[calls / 2] / 1e6 : 0.0,
	       calls ? (double)lat[calls * 99 / 100] / 1e6 : 0.0, calls ? (double)lat[calls - 1] / 1e6 : 0.0,
	       log_count("repaired"));
	free(lat);
	assert_int_equal(hung, 0);
	for (int k = 0; k < 4; k++)
		forge_close(&f[k]);
	/* the daemon is whole: a clean restart, and every sequence answers */
	assert_int_equal(daemon_stop(&d), 0);
	start(NULL);
	for (int k = 0; k < 4; k++)
		assert_int_equal(shmseq_nextval(c, names[k], &v), 0);
	shmseq_disconnect(c);
	daemon_teardown(&d);
}

/* A failed test leaves its daemon: stop it and remove its directory. */
static int teardown(void **state)
{
	(void)state;
	if (d.pid > 0)
		daemon_teardown(&d);
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const char *b = getenv("SHMSEQ_FORGED_BOUND_MS");
	if (b && atoi(b) > 0)
		call_bound_ms = atoi(b);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_base_not_adopted), cmocka_unit_test(test_base_below_minvalue),
		cmocka_unit_test(test_rejected_record_way_out), cmocka_unit_test(test_odd_generation),
		cmocka_unit_test(test_lowered_limit),		cmocka_unit_test(test_random_scribbles),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
