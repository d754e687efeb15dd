/* torture.c — shmseq-torture: crash torture for the promises of DESIGN.md.
 *
 * What it does. It starts its own shmseqd ($SHMSEQD or --daemon) on a
 * private instance and temp dir (SHMSEQ_RUNTIME_DIR, --data-dir, readiness
 * through --ready-fd, as tests/integration/harness.c does), forks
 *   - P worker processes of T threads each, drawing bursts of values from K
 *     sequences of eight kinds (ascending/descending, CYCLE, NOCACHE, small
 *     and huge CACHE, large INCREMENT), by handle, by name and through
 *     shmseq_exec("SELECT NEXTVAL(..)");
 *   - one DDL churner process: CREATE [OR REPLACE], ALTER ... RESTART (new
 *     increment, cache and range), SETVAL forward, DROP then CREATE, half of
 *     them through the typed calls and half as SQL text;
 * and the parent, in one thread, is both the supervisor (SIGKILLs the daemon
 * every --kill-interval ms and restarts it after 0-10 ms, adopting its
 * predecessor's region or with --no-adopt at random (--adopt), SIGKILLs a
 * random worker process every --client-kill-interval ms and forks a
 * replacement) and the online checker. Only the public API (shmseq.h) is
 * used.
 *
 * Value ranges (what makes uniqueness checkable through DDL churn). Sequence
 * k in era e lives in [k·2^56 + e·2^40, k·2^56 + (e+1)·2^40): every CREATE,
 * CREATE OR REPLACE and ALTER ... RESTART moves a sequence to a new era whose
 * definition (range, START, INCREMENT, CACHE) is a pure function of
 * (seed, k, e) — era_def() — that every process can compute. So values of
 * different eras can never collide, the era of any value is read off its
 * bits, and the checker verifies the global uniqueness of every NOCYCLE value
 * ever handed out. START is MINVALUE (ascending) or MAXVALUE (descending) and
 * SETVAL targets lie on the START + n·INCREMENT lattice, so every value must
 * lie on that lattice too. An era whose DDL was lost (in flight at a kill and
 * not durable) is used again by the next DDL: values leaked from it would
 * then show up as duplicates or as order violations.
 *
 * Checks, and who makes them:
 *  - worker, per value: the era exists (<= the highest era any DDL asked
 *    for), the value is within that era's [MINVALUE, MAXVALUE] and on its
 *    lattice (out of bounds otherwise); per thread and sequence, eras never go
 *    back and within an era NOCYCLE values strictly increase (descending:
 *    decrease) — order violations. CYCLE sequences: bounds and lattice only
 *    (a decrease is a wrap; uniqueness within a round is not checked, since
 *    the round of a value is not observable).
 *  - worker, per burst: the churner publishes each sequence's acknowledged
 *    state under a seqlock (seq_state.ver, odd while a DDL is in flight or
 *    its outcome is unknown). A burst that saw the same even ver before and
 *    after must hold values of the acknowledged era only, none if the
 *    sequence was acknowledged dropped, and -4091 only if it was.
 *  - parent, per NOCYCLE value: uniqueness. Values stream to the parent
 *    through one single-producer ring per worker thread in MAP_SHARED memory
 *    (a record is published with a release store of `head` only once
 *    complete, so a worker killed mid-burst loses only its unpublished
 *    values). Instead of a hash set of 64-bit values (16 bytes per value at
 *    load 0.5) the parent keeps one bit per lattice point: a hash of 4 KiB
 *    bitmap chunks keyed by (sequence, era, index >> 15). That is 1 bit per
 *    value where values are dense, a cache hit for consecutive values of a
 *    burst, and it also gives the gap analysis below for free.
 *  - churner, after every daemon restart (and twice at the end: after a final
 *    SIGKILL and after a clean SIGTERM restart): every acknowledged CREATE/
 *    ALTER is present with exactly its definition (SELECT * FROM s, and
 *    SHOW CREATE SEQUENCE on every 8th pass and at the end), every
 *    acknowledged DROP is absent, a DDL whose outcome was unknown (its
 *    connection broke) resolved to either the old or the new state, and for
 *    NOCYCLE sequences next_not_cached_value lies beyond every value the
 *    workers have reported (the last value of each thread, read before the
 *    SELECT).
 *  - parent, at the end, per NOCYCLE era: the gap analysis. Walking the
 *    bitmap, every run of missing lattice points that no SETVAL explains
 *    (a SETVAL to index t explains everything up to t) must be at most
 *    F·reserve-ahead + CACHE + slack values, where reserve-ahead is
 *    README's "What a crash costs" bound (CACHE <= 1: 1; else
 *    min(1024·CACHE, max(CACHE, 16,777,216))), F is --reserve-factor
 *    (default 2, as documented: a nudge can make a window and a half
 *    durable before it is published) and slack = P·T (tickets held by threads
 *    waiting for a refill) + T·256 (a killed worker's unpublished burst).
 *    Gaps come from daemon crashes (a slot not adopted resumes at its
 *    durable floor), from killed clients and from SETVAL, so the largest
 *    unexplained gap of an era bounds the gap of each crash in it. Gaps are
 *    measured on values, not per crash, because a value's incarnation (and
 *    whether its slot was adopted) is not observable through the public
 *    API.
 *
 * Errors clients tolerate (counted, back off 1 ms, retry): connection errors
 * while the daemon is down (-ECONNREFUSED, -ECONNRESET, -EPIPE, -ENOENT ...),
 * -EAGAIN, -EIO, and -4091 while the sequence is (or may be) dropped.
 * Anything else is an unexpected error and counts as a violation; so does
 * -4084, since no range is ever near exhaustion (the churner moves a
 * sequence to a new era long before).
 *
 * Processes and memory: the parent maps one MAP_SHARED area (struct shared,
 * then the rings) before forking anything. seq_state is written by the
 * churner only; a thread slot (ring head, counters, last values) by the
 * worker thread that holds it — a replacement process takes over the slots
 * of the one it replaces and carries on from the published head; ring tails
 * by the parent only. The supervisor's incarnation tag is 2i while daemon i
 * is serving and 2i+1 from its SIGKILL until daemon i+1 reports ready; the
 * churner resolves an unknown DDL outcome only once the tag is even and
 * beyond the tag it read after the failure (a later daemon has replayed the
 * log). The churner is not killed (its model of acknowledged DDL is the
 * reference); worker processes are.
 *
 * Exit: 0 with zero violations, 1 otherwise, 2 on bad usage, 77 (skip) when
 * no daemon binary is found.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmseq.h"
#include "spawn.h"
#include "tmpdir.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

#define MAX_SEQ 100 /* k * 2^56 + 2^56 - 1 must stay below INT64_MAX */
#define MAX_PROCS 64
#define DAEMON_READY_MS 30000
#define MAX_THREADS 16
#define MAX_SLOTS (MAX_PROCS * MAX_THREADS)
#define BURST_MAX 256
#define RING_WORDS (1u << 17) /* per worker thread: 1 MiB */
#define RING_MAGIC 0x7e57u
#define SEQ_SHIFT 56
#define ERA_SHIFT 40
#define ERA_MAX 0xffffu
#define CHUNK_SHIFT 15 /* bits per bitmap chunk: 32768 (4 KiB) */
#define CHUNK_WORDS ((1u << CHUNK_SHIFT) / 64u)
#define SETVAL_LOG_MAX (1u << 20)
#define RECENT_MAX 256 /* bursts remembered per sequence for duplicate reports */
#define PRINT_MAX 10   /* violation messages printed per kind */
#define AHEAD_CAP (UINT64_C(1) << 24)

/* ------------------------------------------------------------------------ */
/* sequence kinds and eras                                                  */

enum kind {
	K_ASC,		/* cache 2..1000 */
	K_ASC_NOCACHE,	/* NOCACHE / CACHE 1 */
	K_DESC,		/* cache 5..500 */
	K_ASC_BIGCACHE, /* cache 10^4..10^6: the reserve-ahead cap */
	K_ASC_CYCLE,	/* a few thousand values per round */
	K_DESC_CYCLE,
	K_DESC_NOCACHE,
	K_ASC_BIGINC, /* INCREMENT 7..1000 */
	NKINDS
};
static const char *const kind_names[NKINDS] = {
	"asc", "asc_nocache", "desc", "asc_bigcache", "asc_cycle", "desc_cycle", "desc_nocache", "asc_biginc",
};

struct era_def {
	int64_t start, min, max, inc, cache;
	bool cycle;
};

static uint64_t g_seed;

static uint64_t mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static inline enum kind kind_of(unsigned k)
{
	return (enum kind)(k % NKINDS);
}

static inline bool kind_cycle(enum kind kd)
{
	return kd == K_ASC_CYCLE || kd == K_DESC_CYCLE;
}

/* The definition of sequence k in era e: a pure function of (seed, k, e). */
static void era_def(unsigned k, uint32_t e, struct era_def *d)
{
	uint64_t h = mix64(g_seed ^ mix64(((uint64_t)k << 32) | e));
	int64_t lo = ((int64_t)k << SEQ_SHIFT) + ((int64_t)e << ERA_SHIFT);
	int64_t hi = lo + (INT64_C(1) << ERA_SHIFT) - 1;
	int64_t mag = 1, span = 0;
	bool desc = false;
	static const int64_t asc_cache[] = {2, 10, 100, 1000};
	static const int64_t desc_cache[] = {5, 50, 500};
	static const int64_t big_cache[] = {10000, 100000, 1000000};
	static const int64_t cyc_cache[] = {0, 1, 10, 100};
	static const int64_t big_inc[] = {7, 100, 1000};
	static const int64_t biginc_cache[] = {3, 30, 100};
	memset(d, 0, sizeof(*d));
	switch (kind_of(k)) {
	case K_ASC:
		mag = 1 + (int64_t)(h % 3);
		d->cache = asc_cache[(h >> 8) % 4];
		break;
	case K_ASC_NOCACHE:
		mag = 1 + (int64_t)(h % 2);
		d->cache = (h >> 8) & 1;
		break;
	case K_DESC:
		desc = true;
		mag = 1 + (int64_t)(h % 3);
		d->cache = desc_cache[(h >> 8) % 3];
		break;
	case K_ASC_BIGCACHE:
		mag = 1 + (int64_t)(h % 4);
		d->cache = big_cache[(h >> 8) % 3];
		break;
	case K_ASC_CYCLE:
	case K_DESC_CYCLE:
		desc = kind_of(k) == K_DESC_CYCLE;
		mag = 1 + (int64_t)(h % 3);
		d->cache = cyc_cache[(h >> 8) % 4];
		d->cycle = true;
		span = 2000 + (int64_t)((h >> 16) % 20000);
		break;
	case K_DESC_NOCACHE:
		desc = true;
		d->cache = (h >> 8) & 1;
		break;
	case K_ASC_BIGINC:
		mag = big_inc[h % 3];
		d->cache = biginc_cache[(h >> 8) % 3];
		break;
	case NKINDS:
		break;
	}
	if (!desc) {
		d->inc = mag;
		d->min = d->start = lo;
		d->max = span ? lo + span * mag - 1 : hi;
	} else {
		d->inc = -mag;
		d->max = d->start = hi;
		d->min = span ? hi - span * mag + 1 : lo;
	}
}

static inline uint32_t era_of(int64_t v)
{
	return (uint32_t)(((uint64_t)v >> ERA_SHIFT) & ERA_MAX);
}

static inline unsigned seq_of(int64_t v)
{
	return (unsigned)((uint64_t)v >> SEQ_SHIFT);
}

/* The lattice index of v (0 = START), or -1 when v is outside the era's
 * bounds or off its lattice. */
static inline int64_t lattice_index(const struct era_def *d, int64_t v)
{
	if (v < d->min || v > d->max)
		return -1;
	int64_t off = d->inc > 0 ? v - d->start : d->start - v;
	int64_t mag = d->inc > 0 ? d->inc : -d->inc;
	if (off < 0)
		return -1;
	if (mag == 1)
		return off;
	if (off % mag)
		return -1;
	return off / mag;
}

/* README "What a crash costs": the largest reserve-ahead of a sequence. */
static uint64_t reserve_bound(int64_t cache)
{
	if (cache <= 1)
		return 1;
	uint64_t c = (uint64_t)cache, max = c * 1024u;
	if (max > AHEAD_CAP)
		max = c > AHEAD_CAP ? c : AHEAD_CAP;
	return max;
}

/* ------------------------------------------------------------------------ */
/* shared memory                                                            */

enum viol { V_DUP, V_OOB, V_ORDER, V_LOST_DDL, V_STALE, V_POSITION, V_GAP, V_ERROR, V_CRASH, NVIOL };
static const char *const viol_names[NVIOL] = {
	"duplicates",
	"out of bounds",
	"order violations",
	"lost acknowledged DDL",
	"values contradicting acknowledged DDL",
	"positions behind handed-out values",
	"gaps beyond the documented bound",
	"unexpected errors",
	"crashes (daemon or worker died by itself, daemon failed to start)",
};

enum tol {
	T_CONN, /* daemon down / restarting */
	T_AGAIN,
	T_EIO,
	T_UNKNOWN, /* -4091 while the sequence was (maybe) dropped */
	NTOL
};

/* One per sequence, written by the churner only (a seqlock). */
struct seq_state {
	_Atomic uint64_t ver;	  /* odd: a DDL in flight, or its outcome unknown */
	_Atomic uint32_t era;	  /* acknowledged era (when ver is even) */
	_Atomic uint32_t present; /* acknowledged present (when ver is even) */
	_Atomic uint32_t max_era; /* highest era any DDL asked for; stored before it is sent */
	_Atomic uint32_t created; /* some DDL ever created it */
	char pad[40];
};

/* One per worker thread; see the header for who writes what. */
struct thread_slot {
	_Atomic uint64_t head; /* ring words published (worker) */
	char pad0[56];
	_Atomic uint64_t tail; /* ring words consumed (parent) */
	char pad1[56];
	_Atomic uint64_t drawn; /* values drawn and checked by the worker */
	_Atomic uint64_t wraps; /* CYCLE wraps seen */
	_Atomic uint64_t tol[NTOL];
	_Atomic int64_t last[MAX_SEQ]; /* last value drawn per sequence (INT64_MIN: none) */
} __attribute__((aligned(64)));

struct setval_rec {
	uint32_t k, era;
	int64_t idx; /* lattice index SETVAL(.., is_used=1) aimed at */
};

enum phase { PH_RUN, PH_QUIET, PH_EXIT };

struct shared {
	_Atomic uint32_t stop;			  /* workers: finish the burst and exit */
	_Atomic uint32_t phase;			  /* churner: enum phase */
	_Atomic uint64_t tag;			  /* 2i: daemon i serving; 2i+1: killed */
	_Atomic uint64_t verify_req, verify_done; /* parent asks the churner for a full pass */
	_Atomic uint64_t viol[NVIOL];
	_Atomic uint64_t printed[NVIOL];
	_Atomic uint64_t ddl_ok, ddl_unknown, ddl_unknown_applied, ddl_ops[6];
	_Atomic uint64_t verify_passes, verify_seqs;
	_Atomic uint64_t churner_tol;
	_Atomic uint32_t nsetval;
	struct seq_state seq[MAX_SEQ];
	struct thread_slot slots[MAX_SLOTS];
	struct setval_rec setvals[SETVAL_LOG_MAX];
};

static struct shared *g_sh;
static uint64_t *g_rings;
static char g_dir[PATH_MAX]; /* the private temp dir */

/* ------------------------------------------------------------------------ */
/* configuration                                                            */

struct config {
	double duration;
	unsigned processes, threads, sequences;
	unsigned kill_min, kill_max;   /* ms between daemon kills */
	unsigned ckill_min, ckill_max; /* ms between client kills */
	unsigned ddl_min, ddl_max;     /* ms between DDL statements */
	unsigned down_max;	       /* ms the daemon stays down at most */
	bool client_kills, ddl;
	bool keep_dir;
	int adopt;	       /* 1 always, 0 never (--no-adopt), -1 at random */
	double reserve_factor; /* gap bound: this many reserve-aheads (README: 2) */
	const char *daemon;
	unsigned progress; /* s between progress lines */
};

static struct config cfg = {
	.duration = 60,
	.processes = 2,
	.threads = 2,
	.sequences = 8,
	.kill_min = 50,
	.kill_max = 500,
	.ckill_min = 500,
	.ckill_max = 2000,
	.ddl_min = 5,
	.ddl_max = 40,
	.down_max = 10,
	.client_kills = true,
	.ddl = true,
	.adopt = -1,
	.reserve_factor = 2,
	.progress = 5,
};

static char g_instance[SHMSEQ_NAME_MAX + 1];
static char g_names[MAX_SEQ][32];

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline uint64_t rnd(uint64_t *s)
{
	*s += UINT64_C(0x9e3779b97f4a7c15);
	uint64_t z = *s;
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t rnd_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + rnd(s) % (hi - lo + 1);
}

/* Count a violation; print the first few of each kind (any process). */
__attribute__((format(printf, 2, 3))) static void violation(enum viol v, const char *fmt, ...)
{
	atomic_fetch_add(&g_sh->viol[v], 1);
	if (atomic_fetch_add(&g_sh->printed[v], 1) >= PRINT_MAX)
		return;
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "VIOLATION (%s): ", viol_names[v]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	if (len < sizeof(buf) - 1)
		buf[len++] = '\n';
	(void)!write(2, buf, len);
	/* and beside the daemon's log in the kept dir, for the post-mortem */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/violations.log", g_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)!write(fd, buf, len);
		close(fd);
	}
}

static bool conn_error(int r)
{
	switch (-r) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ENOENT:
	case ENOTCONN:
	case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

/* Errors any client tolerates; -1 if r is not one of them. */
static int tolerated(int r)
{
	if (conn_error(r))
		return T_CONN;
	if (r == -EAGAIN || r == -EWOULDBLOCK || r == -EINTR)
		return T_AGAIN;
	if (r == -EIO)
		return T_EIO;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* workers                                                                  */

struct worker_ctx {
	shmseq *conn;
	unsigned slot;
	uint64_t rng;
	pthread_t thr;
};

struct tstate {
	int64_t last;
	uint32_t era;
	bool has;
};

/* The value of SELECT NEXTVAL(name) through the SQL path. */
static int exec_nextval(shmseq *c, unsigned k, int64_t *v)
{
	char sql[96];
	shmseq_result *res = NULL;
	snprintf(sql, sizeof(sql), "SELECT NEXTVAL(%s)", g_names[k]);
	int r = shmseq_exec(c, sql, &res);
	if (r < 0)
		return r;
	r = shmseq_result_error(res);
	if (r == 0) {
		const char *s = shmseq_result_rows(res) == 1 ? shmseq_result_value(res, 0, 0) : NULL;
		char *end;
		errno = 0;
		long long x = s ? strtoll(s, &end, 10) : 0;
		if (!s || errno || *end) {
			violation(V_ERROR, "SELECT NEXTVAL(%s) answered '%s'", g_names[k], s ? s : "NULL");
			r = -EBADMSG;
		} else {
			*v = x;
		}
	}
	shmseq_result_free(res);
	return r;
}

static void *worker_thread(void *arg)
{
	struct worker_ctx *w = arg;
	struct thread_slot *ts = &g_sh->slots[w->slot];
	uint64_t *ring = g_rings + (size_t)w->slot * RING_WORDS;
	uint64_t head = atomic_load_explicit(&ts->head, memory_order_relaxed);
	static _Thread_local shmseq_seq *h[MAX_SEQ];
	static _Thread_local struct tstate st[MAX_SEQ];
	static _Thread_local struct era_def defs[MAX_SEQ];
	static _Thread_local uint32_t def_era[MAX_SEQ];
	int64_t vals[BURST_MAX];
	unsigned nseq = cfg.sequences;

	for (unsigned k = 0; k < nseq; k++)
		def_era[k] = UINT32_MAX;
	while (!atomic_load_explicit(&g_sh->stop, memory_order_relaxed)) {
		unsigned k = (unsigned)(rnd(&w->rng) % nseq);
		enum kind kd = kind_of(k);
		struct seq_state *ss = &g_sh->seq[k];
		/* the acknowledged state before the burst (seqlock read) */
		uint64_t vb = atomic_load_explicit(&ss->ver, memory_order_acquire);
		uint32_t era_b = atomic_load_explicit(&ss->era, memory_order_relaxed);
		bool present_b = atomic_load_explicit(&ss->present, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (def_era[k] != era_b) {
			era_def(k, era_b, &defs[k]);
			def_era[k] = era_b;
		}
		/* every value of a NOCACHE era is a round trip with a disk sync:
		 * draw them rarely and few at a time */
		bool slow = defs[k].cache <= 1;
		if (slow && rnd(&w->rng) % 16)
			continue;
		uint64_t r64 = rnd(&w->rng);
		unsigned mode = (unsigned)(r64 % 32); /* 0: exec, 1-8: by name, else handle */
		unsigned n;
		if (mode == 0 || slow)
			n = 1 + (unsigned)((r64 >> 8) % 4);
		else if (kind_cycle(kd))
			n = 1 + (unsigned)((r64 >> 8) % 64);
		else
			n = 1 + (unsigned)((r64 >> 8) % BURST_MAX);

		int r = 0;
		if (mode > 8 && !h[k]) {
			r = shmseq_seq_open(w->conn, g_names[k], &h[k]);
			if (r < 0)
				h[k] = NULL;
		}
		unsigned cnt = 0;
		while (r == 0 && cnt < n) {
			int64_t v;
			if (mode == 0)
				r = exec_nextval(w->conn, k, &v);
			else if (mode <= 8)
				r = shmseq_nextval(w->conn, g_names[k], &v);
			else
				r = shmseq_seq_nextval(h[k], &v);
			if (r == 0)
				vals[cnt++] = v;
		}
		atomic_thread_fence(memory_order_acquire);
		uint64_t va = atomic_load_explicit(&ss->ver, memory_order_relaxed);
		bool stable = va == vb && !(vb & 1);
		uint32_t max_era = atomic_load_explicit(&ss->max_era, memory_order_acquire);
		uint64_t tag = atomic_load_explicit(&g_sh->tag, memory_order_relaxed);

		/* check every value; keep the good NOCYCLE ones for the parent */
		unsigned keep = 0;
		for (unsigned i = 0; i < cnt; i++) {
			int64_t v = vals[i];
			uint32_t e = era_of(v);
			if (seq_of(v) != k || e > max_era) {
				violation(V_OOB,
					  "%s (%s): value %" PRId64 " belongs to no era ever created "
					  "(sequence %u era %u, highest era %u)",
					  g_names[k], kind_names[kd], v, seq_of(v), e, max_era);
				continue;
			}
			if (def_era[k] != e) {
				era_def(k, e, &defs[k]);
				def_era[k] = e;
			}
			const struct era_def *d = &defs[k];
			if (lattice_index(d, v) < 0) {
				violation(V_OOB,
					  "%s (%s) era %u: value %" PRId64 " outside [%" PRId64 ", %" PRId64
					  "] or off the lattice START %" PRId64 " + n * %" PRId64,
					  g_names[k], kind_names[kd], e, v, d->min, d->max, d->start, d->inc);
				continue;
			}
			if (stable && (!present_b || e != era_b))
				violation(V_STALE,
					  "%s (%s): value %" PRId64 " of era %u drawn while the "
					  "acknowledged state was %s era %u",
					  g_names[k], kind_names[kd], v, e,
					  present_b ? "present in" : "dropped after", era_b);
			struct tstate *t = &st[k];
			if (t->has) {
				if (e < t->era) {
					violation(V_ORDER,
						  "%s (%s) slot %u: value %" PRId64 " of era %u after "
						  "value %" PRId64 " of the later era %u",
						  g_names[k], kind_names[kd], w->slot, v, e, t->last, t->era);
				} else if (e == t->era) {
					bool up = d->inc > 0;
					bool ok = up ? v > t->last : v < t->last;
					if (kind_cycle(kd)) {
						if (!ok)
							atomic_fetch_add_explicit(&ts->wraps, 1,
										  memory_order_relaxed);
					} else if (!ok) {
						violation(V_ORDER,
							  "%s (%s) slot %u era %u: value %" PRId64
							  " after %" PRId64 " (increment %" PRId64 ")",
							  g_names[k], kind_names[kd], w->slot, e, v, t->last,
							  d->inc);
					}
				}
			}
			t->has = true;
			t->last = v;
			t->era = e;
			if (!kind_cycle(kd))
				vals[keep++] = v;
		}
		if (cnt && st[k].has)
			atomic_store_explicit(&ts->last[k], st[k].last, memory_order_relaxed);
		atomic_fetch_add_explicit(&ts->drawn, cnt, memory_order_relaxed);

		/* publish the burst: header, tags, values; then head (release) */
		if (keep) {
			uint64_t need = keep + 2u;
			for (;;) {
				/* pairs with the parent's release store of tail */
				uint64_t tail = atomic_load_explicit(&ts->tail, memory_order_acquire);
				if (head + need - tail <= RING_WORDS)
					break;
				sleep_us(50);
			}
			ring[head % RING_WORDS] = ((uint64_t)RING_MAGIC << 48) | ((uint64_t)k << 32) | keep;
			ring[(head + 1) % RING_WORDS] = (vb << 32) | (uint32_t)tag;
			for (unsigned i = 0; i < keep; i++)
				ring[(head + 2 + i) % RING_WORDS] = (uint64_t)vals[i];
			head += need;
			/* pairs with the parent's acquire load of head */
			atomic_store_explicit(&ts->head, head, memory_order_release);
		}

		if (r < 0) {
			int tk = tolerated(r);
			if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
				if (stable && present_b)
					violation(V_LOST_DDL,
						  "%s (%s): NEXTVAL says unknown sequence (-4091) while "
						  "its CREATE of era %u was acknowledged and no DDL was in "
						  "flight",
						  g_names[k], kind_names[kd], era_b);
				tk = T_UNKNOWN;
			} else if (tk < 0) {
				violation(V_ERROR, "%s (%s) slot %u: %s %d (%s)", g_names[k], kind_names[kd],
					  w->slot,
					  mode == 0   ? "SELECT NEXTVAL"
					  : mode <= 8 ? "shmseq_nextval"
						      : "shmseq_seq_nextval",
					  r, shmseq_strerror(r));
				tk = T_CONN;
			}
			atomic_fetch_add_explicit(&ts->tol[tk], 1, memory_order_relaxed);
			sleep_us(1000);
		}
	}
	return NULL;
}

static void worker_main(unsigned proc, uint64_t incarnation)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	shmseq *conn = NULL;
	while (!atomic_load(&g_sh->stop)) {
		int r = shmseq_connect(NULL, &conn);
		if (r == 0)
			break;
		conn = NULL;
		if (tolerated(r) < 0) {
			violation(V_ERROR, "worker %u: shmseq_connect %d (%s)", proc, r, shmseq_strerror(r));
			sleep_us(100000);
		}
		sleep_us(1000);
	}
	if (!conn)
		_exit(0);
	struct worker_ctx ctx[MAX_THREADS];
	for (unsigned t = 0; t < cfg.threads; t++) {
		ctx[t].conn = conn;
		ctx[t].slot = proc * cfg.threads + t;
		ctx[t].rng = mix64(g_seed ^ mix64(((uint64_t)ctx[t].slot << 40) ^ incarnation));
		if (pthread_create(&ctx[t].thr, NULL, worker_thread, &ctx[t]) != 0) {
			fprintf(stderr, "shmseq-torture: pthread_create failed\n");
			_exit(3);
		}
	}
	for (unsigned t = 0; t < cfg.threads; t++)
		pthread_join(ctx[t].thr, NULL);
	shmseq_disconnect(conn);
	_exit(0);
}

/* ------------------------------------------------------------------------ */
/* the DDL churner                                                          */

struct model {
	bool present;
	bool created; /* era is meaningful */
	uint32_t era;
	/* an unknown outcome: the state is either the above or alt_* */
	bool unknown;
	bool alt_present;
	uint32_t alt_era;
	uint64_t fail_tag; /* tag read after the failed call */
	const char *what;  /* the statement of unknown outcome */
	bool rotate;	   /* the era's range is a quarter used: move on */
};

struct row {
	int64_t next, min, max, start, inc, cache, cycle, cycle_count;
};

static struct model g_model[MAX_SEQ];
static shmseq *g_cc; /* the churner's connection */
static uint64_t g_crng;
static uint64_t g_setval_idx[MAX_SEQ]; /* highest SETVAL index asked of the era */

/* Run one statement; 0 and the result in *out (if out), or its error. */
static int exec1(const char *sql, shmseq_result **out)
{
	shmseq_result *res = NULL;
	int r = shmseq_exec(g_cc, sql, &res);
	if (r < 0)
		return r;
	r = shmseq_result_error(res);
	if (r < 0 || !out)
		shmseq_result_free(res);
	else
		*out = res;
	return r;
}

static int read_row(unsigned k, struct row *row)
{
	char sql[96];
	shmseq_result *res;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", g_names[k]);
	int r = exec1(sql, &res);
	if (r < 0)
		return r;
	int64_t *f[] = {&row->next, &row->min,	 &row->max,   &row->start,
			&row->inc,  &row->cache, &row->cycle, &row->cycle_count};
	if (shmseq_result_rows(res) != 1 || shmseq_result_columns(res) < 8) {
		shmseq_result_free(res);
		return -EBADMSG;
	}
	for (size_t i = 0; i < 8; i++) {
		const char *s = shmseq_result_value(res, 0, i);
		char *end;
		errno = 0;
		long long x = s ? strtoll(s, &end, 10) : 0;
		if (!s || errno || *end) {
			shmseq_result_free(res);
			return -EBADMSG;
		}
		*f[i] = x;
	}
	shmseq_result_free(res);
	return 0;
}

static bool row_matches(const struct row *row, const struct era_def *d)
{
	return row->min == d->min && row->max == d->max && row->start == d->start && row->inc == d->inc &&
	       row->cache == d->cache && row->cycle == (d->cycle ? 1 : 0);
}

static void publish(unsigned k)
{
	struct seq_state *ss = &g_sh->seq[k];
	struct model *m = &g_model[k];
	atomic_store_explicit(&ss->era, m->era, memory_order_relaxed);
	atomic_store_explicit(&ss->present, m->present, memory_order_relaxed);
	atomic_store_explicit(&ss->created, m->created, memory_order_relaxed);
	/* even again: pairs with the workers' acquire loads of ver */
	atomic_fetch_add_explicit(&ss->ver, 1, memory_order_release);
}

static void begin_ddl(unsigned k, uint32_t new_era)
{
	struct seq_state *ss = &g_sh->seq[k];
	if (new_era > atomic_load_explicit(&ss->max_era, memory_order_relaxed) ||
	    !atomic_load_explicit(&ss->created, memory_order_relaxed))
		atomic_store_explicit(&ss->max_era, new_era, memory_order_release);
	atomic_fetch_add_explicit(&ss->ver, 1, memory_order_release); /* odd */
	atomic_thread_fence(memory_order_seq_cst);
}

static void format_show_create(unsigned k, const struct era_def *d, char *buf, size_t len)
{
	char cache[32];
	if (d->cache == 0)
		snprintf(cache, sizeof(cache), "nocache");
	else
		snprintf(cache, sizeof(cache), "cache %" PRId64, d->cache);
	snprintf(buf, len,
		 "CREATE SEQUENCE `%s` start with %" PRId64 " minvalue %" PRId64 " maxvalue %" PRId64
		 " increment by %" PRId64 " %s %s ENGINE=InnoDB",
		 g_names[k], d->start, d->min, d->max, d->inc, cache, d->cycle ? "cycle" : "nocycle");
}

/* Gather, before reading the position, the values the workers reported for
 * era e of k: the largest (ascending) or smallest (descending). */
static bool reported_extreme(unsigned k, uint32_t e, bool up, int64_t *out)
{
	bool any = false;
	int64_t x = 0;
	for (unsigned s = 0; s < cfg.processes * cfg.threads; s++) {
		int64_t v = atomic_load_explicit(&g_sh->slots[s].last[k], memory_order_relaxed);
		if (v == INT64_MIN || seq_of(v) != k || era_of(v) != e)
			continue;
		if (!any || (up ? v > x : v < x))
			x = v;
		any = true;
	}
	*out = x;
	return any;
}

/* Check sequence k against the model (resolving an unknown outcome).
 * 0 done, 1 skipped (cannot resolve yet), <0 a connection error. */
static int verify_seq(unsigned k, uint64_t tag, bool full)
{
	struct model *m = &g_model[k];
	if (m->unknown && !(tag > m->fail_tag && !(tag & 1)))
		return 1;
	struct era_def d;
	int64_t extreme = 0;
	bool have_extreme = false;
	if (m->present && !m->unknown) {
		era_def(k, m->era, &d);
		if (!d.cycle)
			have_extreme = reported_extreme(k, m->era, d.inc > 0, &extreme);
		atomic_thread_fence(memory_order_seq_cst);
	}
	struct row row;
	int r = read_row(k, &row);
	if (r < 0 && tolerated(r) >= 0)
		return r;
	bool absent = r == -SHMSEQ_ERR_NO_SUCH_TABLE || r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	if (r < 0 && !absent) {
		violation(V_ERROR, "SELECT * FROM %s: %d (%s)", g_names[k], r, shmseq_strerror(r));
		return 0;
	}
	atomic_fetch_add(&g_sh->verify_seqs, 1);
	if (m->unknown) {
		/* either outcome is fine; anything else is not */
		struct era_def da, db;
		bool is_old = false, is_new = false;
		if (absent) {
			is_old = !m->present;
			is_new = !m->alt_present;
		} else {
			if (m->present) {
				era_def(k, m->era, &da);
				is_old = row_matches(&row, &da);
			}
			if (m->alt_present) {
				era_def(k, m->alt_era, &db);
				is_new = row_matches(&row, &db);
			}
		}
		if (!is_old && !is_new) {
			violation(V_LOST_DDL,
				  "%s: after an unacknowledged %s the sequence is %s, neither "
				  "the state before (%s era %u) nor after (%s era %u)",
				  g_names[k], m->what, absent ? "absent" : "present with another definition",
				  m->present ? "present" : "absent", m->era,
				  m->alt_present ? "present" : "absent", m->alt_era);
			if (!absent) {
				/* adopt what is there so the run can go on */
				m->present = true;
				m->era = era_of(row.min);
			} else {
				m->present = false;
			}
		} else if (is_new && !(is_old && m->present == m->alt_present && m->era == m->alt_era)) {
			if (!is_old)
				atomic_fetch_add(&g_sh->ddl_unknown_applied, 1);
			m->present = m->alt_present;
			m->era = m->alt_era;
			m->created = m->created || m->alt_present;
		}
		m->unknown = false;
		publish(k);
		return 0;
	}
	if (!m->created)
		return 0;
	if (!m->present) {
		if (!absent)
			violation(V_LOST_DDL,
				  "%s: acknowledged DROP undone: the sequence exists again "
				  "(minvalue %" PRId64 ", era %u)",
				  g_names[k], row.min, era_of(row.min));
		return 0;
	}
	if (absent) {
		violation(V_LOST_DDL,
			  "%s: acknowledged CREATE/ALTER of era %u lost: the sequence "
			  "does not exist",
			  g_names[k], m->era);
		return 0;
	}
	if (!row_matches(&row, &d)) {
		violation(V_LOST_DDL,
			  "%s: acknowledged definition of era %u (start %" PRId64 " min %" PRId64
			  " max %" PRId64 " inc %" PRId64 " cache %" PRId64 " cycle %d) but the daemon "
			  "has start %" PRId64 " min %" PRId64 " max %" PRId64 " inc %" PRId64
			  " cache %" PRId64 " cycle %" PRId64,
			  g_names[k], m->era, d.start, d.min, d.max, d.inc, d.cache, d.cycle, row.start,
			  row.min, row.max, row.inc, row.cache, row.cycle);
		return 0;
	}
	if (!d.cycle) {
		if (row.cycle_count != 0)
			violation(V_LOST_DDL, "%s: NOCYCLE sequence with cycle_count %" PRId64, g_names[k],
				  row.cycle_count);
		if (have_extreme && (d.inc > 0 ? row.next < extreme + d.inc : row.next > extreme + d.inc))
			violation(V_POSITION,
				  "%s (%s) era %u: next_not_cached_value %" PRId64 " but %" PRId64
				  " was already handed out (increment %" PRId64 ", tag %" PRIu64 ")",
				  g_names[k], kind_names[kind_of(k)], m->era, row.next, extreme, d.inc, tag);
		/* move on long before the range could run out */
		int64_t idx = lattice_index(&d, row.next);
		if (idx < 0 || idx > (INT64_C(1) << (ERA_SHIFT - 3)) / (d.inc > 0 ? d.inc : -d.inc))
			m->rotate = true;
	}
	if (full) {
		char sql[96], want[512];
		shmseq_result *res;
		snprintf(sql, sizeof(sql), "SHOW CREATE SEQUENCE %s", g_names[k]);
		r = exec1(sql, &res);
		if (r < 0)
			return tolerated(r) >= 0 ? r : 0;
		format_show_create(k, &d, want, sizeof(want));
		const char *got = shmseq_result_rows(res) == 1 ? shmseq_result_value(res, 0, 1) : NULL;
		if (!got || strcmp(got, want) != 0)
			violation(V_LOST_DDL, "%s: SHOW CREATE SEQUENCE answers '%s', acknowledged '%s'",
				  g_names[k], got ? got : "(nothing)", want);
		shmseq_result_free(res);
	}
	return 0;
}

/* A verification pass over every sequence. 0 complete, <0 interrupted. */
static int verify_all(uint64_t tag, bool full)
{
	for (unsigned k = 0; k < cfg.sequences; k++) {
		int r = verify_seq(k, tag, full);
		if (r < 0)
			return r;
		if (r > 0 && full)
			return -EAGAIN;
	}
	atomic_fetch_add(&g_sh->verify_passes, 1);
	return 0;
}

static void set_def(struct shmseq_def *def, const struct era_def *d)
{
	memset(def, 0, sizeof(*def));
	def->set = SHMSEQ_SET_START | SHMSEQ_SET_INCREMENT | SHMSEQ_SET_MINVALUE | SHMSEQ_SET_MAXVALUE |
		   SHMSEQ_SET_CACHE | SHMSEQ_SET_CYCLE;
	def->start = d->start;
	def->increment = d->inc;
	def->minvalue = d->min;
	def->maxvalue = d->max;
	def->cache = d->cache;
	def->cycle = d->cycle;
}

static int sql_options(char *buf, size_t len, const struct era_def *d)
{
	char cache[32];
	if (d->cache == 0)
		snprintf(cache, sizeof(cache), "NOCACHE");
	else
		snprintf(cache, sizeof(cache), "CACHE %" PRId64, d->cache);
	return snprintf(buf, len,
			"START WITH %" PRId64 " MINVALUE %" PRId64 " MAXVALUE %" PRId64
			" INCREMENT BY %" PRId64 " %s %s",
			d->start, d->min, d->max, d->inc, cache, d->cycle ? "CYCLE" : "NOCYCLE");
}

enum ddl_op { OP_CREATE, OP_REPLACE, OP_ALTER, OP_SETVAL, OP_DROP, OP_SETVAL_IGNORED };
static const char *const op_names[] = {"CREATE", "CREATE OR REPLACE", "ALTER ... RESTART", "SETVAL",
				       "DROP",	 "SETVAL (ignored)"};

/* One DDL statement on sequence k. */
static void churn_one(unsigned k)
{
	struct model *m = &g_model[k];
	if (m->unknown)
		return;
	bool sql = rnd(&g_crng) & 1;
	enum ddl_op op;
	uint64_t pick = rnd(&g_crng) % 100;
	if (!m->present)
		op = OP_CREATE;
	else if (m->rotate)
		op = OP_ALTER;
	else if (pick < 35)
		op = OP_SETVAL;
	else if (pick < 60)
		op = OP_ALTER;
	else if (pick < 85)
		op = OP_REPLACE;
	else
		op = OP_DROP;
	m->rotate = false;

	uint32_t new_era = m->created ? m->era + 1 : 0;
	if (new_era > ERA_MAX) {
		fprintf(stderr, "shmseq-torture: %s has used all %u eras; ending its churn\n", g_names[k],
			ERA_MAX + 1);
		return;
	}
	struct era_def d, cur;
	era_def(k, new_era, &d);
	if (m->present)
		era_def(k, m->era, &cur);
	char buf[512], opts[400];
	struct shmseq_def def;
	int r;
	int64_t setval_v = 0, setval_idx = 0;
	uint64_t round = 0;

	if (op == OP_SETVAL) {
		/* forward from the current position, on the lattice */
		struct row row;
		r = read_row(k, &row);
		if (r < 0) {
			if (tolerated(r) < 0 && r != -SHMSEQ_ERR_NO_SUCH_TABLE)
				violation(V_ERROR, "SELECT * FROM %s before SETVAL: %d (%s)", g_names[k], r,
					  shmseq_strerror(r));
			atomic_fetch_add(&g_sh->churner_tol, 1);
			return;
		}
		int64_t mag = cur.inc > 0 ? cur.inc : -cur.inc;
		int64_t idx = lattice_index(&cur, row.next);
		if (idx < 0)
			idx = cur.cycle ? 0 : (int64_t)g_setval_idx[k];
		int64_t room = (cur.max - cur.min) / mag;
		int64_t jump = cur.cycle ? (int64_t)rnd_range(&g_crng, 0, (uint64_t)room / 4)
					 : (int64_t)rnd_range(&g_crng, 1, 1000000);
		setval_idx = idx + jump;
		if (cur.cycle && setval_idx >= room)
			setval_idx = room - 1;
		setval_v = cur.inc > 0 ? cur.start + setval_idx * mag : cur.start - setval_idx * mag;
		round = (uint64_t)row.cycle_count;
		if (!cur.cycle) {
			uint32_t i = atomic_fetch_add(&g_sh->nsetval, 1);
			if (i < SETVAL_LOG_MAX) {
				g_sh->setvals[i].k = k;
				g_sh->setvals[i].era = m->era;
				g_sh->setvals[i].idx = setval_idx;
			} else {
				return; /* the gap analysis could not explain it */
			}
		}
		new_era = m->era;
	} else if (op == OP_DROP) {
		new_era = m->era;
	}

	begin_ddl(k, new_era);
	switch (op) {
	case OP_CREATE:
	case OP_REPLACE:
		if (sql) {
			sql_options(opts, sizeof(opts), &d);
			snprintf(buf, sizeof(buf), "CREATE %sSEQUENCE %s %s",
				 op == OP_REPLACE ? "OR REPLACE " : "", g_names[k], opts);
			r = exec1(buf, NULL);
		} else {
			set_def(&def, &d);
			r = shmseq_create(g_cc, g_names[k], &def, op == OP_REPLACE ? SHMSEQ_OR_REPLACE : 0);
		}
		break;
	case OP_ALTER:
		if (sql) {
			sql_options(opts, sizeof(opts), &d);
			/* CYCLE/NOCYCLE is the same for every era of a kind */
			snprintf(buf, sizeof(buf), "ALTER SEQUENCE %s %s %s", g_names[k], opts,
				 rnd(&g_crng) & 1 ? "RESTART" : "RESTART WITH ");
			if (buf[strlen(buf) - 1] == ' ')
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%" PRId64, d.start);
			r = exec1(buf, NULL);
		} else {
			set_def(&def, &d);
			def.set &= ~(unsigned)SHMSEQ_SET_CYCLE;
			if (rnd(&g_crng) & 1) {
				def.set |= SHMSEQ_SET_RESTART;
				def.restart = d.start;
			} else {
				def.set |= SHMSEQ_SET_RESTART_START;
			}
			r = shmseq_alter(g_cc, g_names[k], &def);
		}
		break;
	case OP_SETVAL:
		if (sql) {
			shmseq_result *res;
			snprintf(buf, sizeof(buf), "SELECT SETVAL(%s, %" PRId64 ", 1, %" PRIu64 ")",
				 g_names[k], setval_v, round);
			r = exec1(buf, &res);
			if (r == 0) {
				if (shmseq_result_rows(res) == 1 && !shmseq_result_value(res, 0, 0))
					op = OP_SETVAL_IGNORED;
				shmseq_result_free(res);
			}
		} else {
			r = shmseq_setval(g_cc, g_names[k], setval_v, true, round);
			if (r == -ENODATA) {
				r = 0;
				op = OP_SETVAL_IGNORED;
			}
		}
		if (r == 0 && (uint64_t)setval_idx > g_setval_idx[k])
			g_setval_idx[k] = (uint64_t)setval_idx;
		break;
	case OP_DROP:
		if (sql) {
			snprintf(buf, sizeof(buf), "DROP SEQUENCE %s", g_names[k]);
			r = exec1(buf, NULL);
		} else {
			r = shmseq_drop(g_cc, g_names[k]);
		}
		break;
	default:
		r = -EINVAL;
		break;
	}
	uint64_t fail_tag = atomic_load(&g_sh->tag);
	bool to_present = op != OP_DROP;
	if (r == 0) {
		atomic_fetch_add(&g_sh->ddl_ok, 1);
		atomic_fetch_add(&g_sh->ddl_ops[op], 1);
		if (op != OP_SETVAL && op != OP_SETVAL_IGNORED && op != OP_DROP) {
			m->era = new_era;
			m->created = true;
			g_setval_idx[k] = 0;
		}
		m->present = to_present;
		publish(k);
		return;
	}
	if (tolerated(r) < 0)
		violation(V_ERROR, "%s on %s (%s, era %u -> %u, %s): %d (%s)", op_names[op], g_names[k],
			  kind_names[kind_of(k)], m->era, new_era, sql ? "SQL" : "typed call", r,
			  shmseq_strerror(r));
	/* unknown outcome: resolved by the first verification pass after a
	 * later daemon has replayed the log */
	atomic_fetch_add(&g_sh->ddl_unknown, 1);
	m->unknown = true;
	m->alt_present = to_present;
	m->alt_era = (op == OP_SETVAL || op == OP_DROP) ? m->era : new_era;
	m->fail_tag = fail_tag;
	m->what = op_names[op];
	if (!m->created && op == OP_CREATE) {
		/* nothing to fall back to: "absent" is the old state */
		m->present = false;
	}
}

static void churner_main(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	g_crng = mix64(g_seed ^ UINT64_C(0xc4c4c4c4));
	uint64_t verified_tag = UINT64_MAX, passes = 0;
	uint64_t next_ddl = now_ms();
	while (atomic_load(&g_sh->phase) != PH_EXIT) {
		if (!g_cc) {
			int r = shmseq_connect(NULL, &g_cc);
			if (r < 0) {
				g_cc = NULL;
				if (tolerated(r) < 0)
					violation(V_ERROR, "churner: shmseq_connect %d (%s)", r,
						  shmseq_strerror(r));
				sleep_us(1000);
				continue;
			}
		}
		uint64_t tag = atomic_load(&g_sh->tag);
		uint64_t req = atomic_load(&g_sh->verify_req);
		if (req != atomic_load(&g_sh->verify_done) && !(tag & 1)) {
			if (verify_all(tag, true) == 0) {
				verified_tag = tag;
				atomic_store(&g_sh->verify_done, req);
			} else {
				sleep_us(1000);
			}
			continue;
		}
		if (!(tag & 1) && tag != verified_tag) {
			if (verify_all(tag, passes++ % 8 == 0) == 0)
				verified_tag = tag;
			else
				atomic_fetch_add(&g_sh->churner_tol, 1);
		}
		/* resolve unknown outcomes as soon as a later daemon serves */
		if (!(tag & 1) && tag == verified_tag)
			for (unsigned k = 0; k < cfg.sequences; k++)
				if (g_model[k].unknown && tag > g_model[k].fail_tag)
					verify_seq(k, tag, false);
		if (atomic_load(&g_sh->phase) == PH_RUN && now_ms() >= next_ddl) {
			int uncreated = -1;
			for (unsigned k = 0; k < cfg.sequences && uncreated < 0; k++)
				if (!g_model[k].created)
					uncreated = (int)k;
			if (uncreated >= 0)
				churn_one((unsigned)uncreated);
			else if (cfg.ddl)
				churn_one((unsigned)(rnd(&g_crng) % cfg.sequences));
			next_ddl = now_ms() +
				   (uncreated >= 0 ? 0 : rnd_range(&g_crng, cfg.ddl_min, cfg.ddl_max));
		} else {
			sleep_us(1000);
		}
	}
	shmseq_disconnect(g_cc);
	_exit(0);
}

/* ------------------------------------------------------------------------ */
/* the checker (parent)                                                     */

struct chunk {
	uint64_t key; /* (k << 56 | era << 40 | index >> 15) + 1; 0 = empty */
	uint64_t *bits;
};

static struct chunk *g_chunks;
static size_t g_chunk_cap, g_nchunks;
static uint64_t g_last_key;
static uint64_t *g_last_bits;
static uint64_t g_unique; /* values checked for uniqueness */
static uint64_t g_tail[MAX_SLOTS];

struct recent {
	int64_t lo, hi;
	uint32_t slot, n;
	uint64_t tags;
};
static struct recent g_recent[MAX_SEQ][RECENT_MAX];
static unsigned g_recent_pos[MAX_SEQ];

static inline size_t chunk_hash(uint64_t key)
{
	return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 20);
}

static void chunks_grow(void)
{
	size_t cap = g_chunk_cap ? g_chunk_cap * 2 : 4096;
	struct chunk *t = calloc(cap, sizeof(*t));
	if (!t) {
		fprintf(stderr, "shmseq-torture: out of memory for the checker\n");
		exit(1);
	}
	for (size_t i = 0; i < g_chunk_cap; i++) {
		if (!g_chunks[i].key)
			continue;
		size_t j = chunk_hash(g_chunks[i].key) & (cap - 1);
		while (t[j].key)
			j = (j + 1) & (cap - 1);
		t[j] = g_chunks[i];
	}
	free(g_chunks);
	g_chunks = t;
	g_chunk_cap = cap;
}

static uint64_t *chunk_get(uint64_t key)
{
	if ((g_nchunks + 1) * 2 > g_chunk_cap)
		chunks_grow();
	size_t mask = g_chunk_cap - 1, i = chunk_hash(key) & mask;
	while (g_chunks[i].key) {
		if (g_chunks[i].key == key)
			return g_chunks[i].bits;
		i = (i + 1) & mask;
	}
	uint64_t *bits = calloc(CHUNK_WORDS, sizeof(uint64_t));
	if (!bits) {
		fprintf(stderr, "shmseq-torture: out of memory for the checker\n");
		exit(1);
	}
	g_chunks[i].key = key;
	g_chunks[i].bits = bits;
	g_nchunks++;
	return bits;
}

static void report_duplicate(unsigned k, int64_t v, uint32_t e, unsigned slot, uint64_t tags)
{
	char ctx[600] = "";
	size_t len = 0;
	for (unsigned i = 0; i < RECENT_MAX && len < sizeof(ctx) - 100; i++) {
		const struct recent *b = &g_recent[k][i];
		if (b->n && v >= b->lo && v <= b->hi)
			len += (size_t)snprintf(ctx + len, sizeof(ctx) - len,
						" [recent burst of slot %u: %u values %" PRId64 "..%" PRId64
						", tag %" PRIu64 "]",
						b->slot, b->n, b->lo, b->hi, b->tags & 0xffffffffu);
	}
	violation(V_DUP,
		  "%s (%s) era %u: value %" PRId64 " handed out twice; second time to slot %u "
		  "(process %u thread %u) with daemon tag %" PRIu64 " (incarnation %" PRIu64 ")%s",
		  g_names[k], kind_names[kind_of(k)], e, v, slot, slot / cfg.threads, slot % cfg.threads,
		  tags & 0xffffffffu, (tags & 0xffffffffu) / 2, ctx);
}

/* Consume published records of one slot; returns values consumed. */
static size_t drain_slot(unsigned s, size_t budget)
{
	struct thread_slot *ts = &g_sh->slots[s];
	const uint64_t *ring = g_rings + (size_t)s * RING_WORDS;
	/* pairs with the worker's release store of head */
	uint64_t head = atomic_load_explicit(&ts->head, memory_order_acquire);
	uint64_t tail = g_tail[s];
	size_t done = 0;
	static struct era_def defs[MAX_SEQ];
	static uint32_t def_era[MAX_SEQ];
	static bool def_init;
	if (!def_init) {
		for (unsigned k = 0; k < MAX_SEQ; k++)
			def_era[k] = UINT32_MAX;
		def_init = true;
	}
	while (tail < head && done < budget) {
		uint64_t w0 = ring[tail % RING_WORDS];
		unsigned n = (unsigned)(w0 & 0xffffffffu), k = (unsigned)((w0 >> 32) & 0xffffu);
		if ((w0 >> 48) != RING_MAGIC || n == 0 || n > BURST_MAX || k >= cfg.sequences ||
		    tail + 2 + n > head) {
			fprintf(stderr, "shmseq-torture: internal error: bad ring record in slot %u\n", s);
			exit(1);
		}
		uint64_t tags = ring[(tail + 1) % RING_WORDS];
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		for (unsigned i = 0; i < n; i++) {
			int64_t v = (int64_t)ring[(tail + 2 + i) % RING_WORDS];
			uint32_t e = era_of(v);
			if (def_era[k] != e) {
				era_def(k, e, &defs[k]);
				def_era[k] = e;
			}
			int64_t idx = lattice_index(&defs[k], v);
			if (idx < 0 || seq_of(v) != k)
				continue; /* the worker reported it */
			uint64_t key = (((uint64_t)k << SEQ_SHIFT) | ((uint64_t)e << ERA_SHIFT) |
					((uint64_t)idx >> CHUNK_SHIFT)) +
				       1;
			if (key != g_last_key) {
				g_last_bits = chunk_get(key);
				g_last_key = key;
			}
			uint64_t bit = (uint64_t)idx & ((1u << CHUNK_SHIFT) - 1);
			uint64_t *w = &g_last_bits[bit >> 6], m = UINT64_C(1) << (bit & 63);
			if (*w & m)
				report_duplicate(k, v, e, s, tags);
			*w |= m;
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		struct recent *rb = &g_recent[k][g_recent_pos[k]++ % RECENT_MAX];
		rb->lo = lo;
		rb->hi = hi;
		rb->n = n;
		rb->slot = s;
		rb->tags = tags;
		g_unique += n;
		tail += 2 + n;
		done += n;
	}
	g_tail[s] = tail;
	/* pairs with the worker's acquire load of tail */
	atomic_store_explicit(&ts->tail, tail, memory_order_release);
	return done;
}

static size_t drain_all(void)
{
	size_t done = 0;
	for (unsigned s = 0; s < cfg.processes * cfg.threads; s++)
		done += drain_slot(s, 1u << 16);
	return done;
}

/* --- the gap analysis (end of run) --- */

struct gapstat {
	int64_t cache;
	uint64_t max_gap; /* largest unexplained run of missing values */
	uint64_t bound;
	uint64_t big_gaps; /* runs beyond the slack: crash gaps */
	uint64_t eras;
};
static struct gapstat g_gaps[64];
static unsigned g_ngaps;
static uint64_t g_slack;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_chunk(const void *a, const void *b)
{
	return cmp_u64(&((const struct chunk *)a)->key, &((const struct chunk *)b)->key);
}

static struct gapstat *gapstat_for(int64_t cache)
{
	for (unsigned i = 0; i < g_ngaps; i++)
		if (g_gaps[i].cache == cache)
			return &g_gaps[i];
	if (g_ngaps == sizeof(g_gaps) / sizeof(g_gaps[0]))
		return &g_gaps[g_ngaps - 1];
	struct gapstat *g = &g_gaps[g_ngaps++];
	memset(g, 0, sizeof(*g));
	g->cache = cache;
	g->bound = (uint64_t)((double)reserve_bound(cache) * cfg.reserve_factor) +
		   (uint64_t)(cache > 1 ? cache : 1) + g_slack;
	return g;
}

struct era_walk {
	unsigned k;
	uint32_t era;
	struct era_def d;
	int64_t prev;	    /* last present index; -1 before the first */
	const uint64_t *sv; /* SETVAL targets of this era, sorted */
	size_t nsv, psv;
	int64_t setval; /* largest SETVAL target below the current index */
	struct gapstat *gs;
	uint64_t max_gap;
};

static void walk_gap(struct era_walk *w, int64_t idx)
{
	while (w->psv < w->nsv && (int64_t)w->sv[w->psv] < idx)
		w->setval = (int64_t)w->sv[w->psv++];
	int64_t from = w->prev > w->setval ? w->prev : w->setval;
	uint64_t gap = (uint64_t)(idx - 1 - from);
	if (gap > w->max_gap)
		w->max_gap = gap;
	if (gap > g_slack)
		w->gs->big_gaps++;
	if (gap > w->gs->bound) {
		int64_t mag = w->d.inc > 0 ? w->d.inc : -w->d.inc;
		int64_t a = w->d.start + (w->d.inc > 0 ? 1 : -1) * from * mag;
		int64_t b = w->d.start + (w->d.inc > 0 ? 1 : -1) * idx * mag;
		violation(V_GAP,
			  "%s (%s) era %u, CACHE %" PRId64 ": %" PRIu64 " values skipped between %s%" PRId64
			  " and %" PRId64 " (bound %" PRIu64 ")",
			  g_names[w->k], kind_names[kind_of(w->k)], w->era, w->d.cache, gap,
			  from < 0 ? "the START before " : "", a, b, w->gs->bound);
	}
}

static void gap_analysis(void)
{
	g_slack = (uint64_t)cfg.processes * cfg.threads + (uint64_t)cfg.threads * BURST_MAX;
	/* the SETVAL targets, as keys (k << 56 | era << 40) + index, sorted */
	uint32_t nsv = atomic_load(&g_sh->nsetval);
	if (nsv > SETVAL_LOG_MAX)
		nsv = SETVAL_LOG_MAX;
	uint64_t *sv = malloc(((size_t)nsv + 1) * sizeof(uint64_t));
	struct chunk *all = malloc((g_nchunks + 1) * sizeof(*all));
	if (!sv || !all) {
		fprintf(stderr, "shmseq-torture: out of memory for the gap analysis\n");
		exit(1);
	}
	for (uint32_t i = 0; i < nsv; i++)
		sv[i] = ((uint64_t)g_sh->setvals[i].k << SEQ_SHIFT) |
			((uint64_t)g_sh->setvals[i].era << ERA_SHIFT) | (uint64_t)g_sh->setvals[i].idx;
	qsort(sv, nsv, sizeof(uint64_t), cmp_u64);
	size_t n = 0;
	for (size_t i = 0; i < g_chunk_cap; i++)
		if (g_chunks[i].key)
			all[n++] = g_chunks[i];
	qsort(all, n, sizeof(*all), cmp_chunk);

	const uint64_t era_mask = ~((UINT64_C(1) << ERA_SHIFT) - 1);
	size_t i = 0, s = 0;
	while (i < n) {
		uint64_t group = (all[i].key - 1) & era_mask;
		struct era_walk w = {.k = (unsigned)(group >> SEQ_SHIFT),
				     .era = (uint32_t)((group >> ERA_SHIFT) & ERA_MAX),
				     .prev = -1,
				     .setval = -2};
		era_def(w.k, w.era, &w.d);
		while (s < nsv && (sv[s] & era_mask) < group)
			s++;
		size_t s0 = s;
		while (s < nsv && (sv[s] & era_mask) == group)
			s++;
		uint64_t *idx = malloc((s - s0 + 1) * sizeof(uint64_t));
		for (size_t j = s0; j < s; j++)
			idx[j - s0] = sv[j] & ~era_mask;
		w.sv = idx;
		w.nsv = s - s0;
		w.gs = gapstat_for(w.d.cache);
		w.gs->eras++;
		for (; i < n && ((all[i].key - 1) & era_mask) == group; i++) {
			int64_t base = (int64_t)(((all[i].key - 1) & ~era_mask) << CHUNK_SHIFT);
			const uint64_t *bits = all[i].bits;
			for (unsigned wd = 0; wd < CHUNK_WORDS; wd++) {
				uint64_t word = bits[wd];
				int64_t wbase = base + (int64_t)wd * 64;
				if (!word)
					continue;
				if (word == ~UINT64_C(0) && w.prev == wbase - 1) {
					w.prev = wbase + 63;
					continue;
				}
				while (word) {
					int64_t x = wbase + __builtin_ctzll(word);
					word &= word - 1;
					if (x != w.prev + 1)
						walk_gap(&w, x);
					w.prev = x;
				}
			}
		}
		if (w.max_gap > w.gs->max_gap)
			w.gs->max_gap = w.max_gap;
		free(idx);
	}
	free(all);
	free(sv);
}

/* ------------------------------------------------------------------------ */
/* the supervisor (parent)                                                  */

enum role { R_NONE, R_DAEMON, R_WORKER, R_CHURNER };

static struct spawn g_dsp = {.pid = -1, .ready_fd = -1}; /* the daemon */
static pid_t g_churner = -1;
static pid_t g_workers[MAX_PROCS];
static uint64_t g_worker_inc[MAX_PROCS];
static volatile sig_atomic_t g_interrupted;
static uint64_t g_kills, g_client_kills, g_starts, g_noadopt_starts;
static uint64_t g_sup_rng;

static void on_signal(int sig)
{
	(void)sig;
	g_interrupted = 1;
}

/* Fork the daemon (its stdout and stderr to <dir>/daemon.log); readiness
 * arrives on g_dsp.ready_fd. */
static int daemon_spawn(void)
{
	bool no_adopt = cfg.adopt == 0 || (cfg.adopt < 0 && (rnd(&g_sup_rng) & 1));
	g_noadopt_starts += no_adopt;
	char data[PATH_MAX + 8], logp[PATH_MAX + 16];
	snprintf(data, sizeof(data), "%s/data", g_dir);
	snprintf(logp, sizeof(logp), "%s/daemon.log", g_dir);
	const char *argv[] = {cfg.daemon,   "--instance", g_instance,
			      "--data-dir", data,	  no_adopt ? "--no-adopt" : NULL,
			      NULL};
	struct spawn_opts o = {.argv = argv,
			       .ready_flag = "--ready-fd",
			       .log_path = logp,
			       .log_stdout = true,
			       .ignore_sigint = true};
	int r = spawn_start(&g_dsp, &o);
	if (r < 0)
		return r;
	g_starts++;
	return 0;
}

static void print_daemon_log_tail(void)
{
	char path[PATH_MAX + 16], cmd[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/daemon.log", g_dir);
	snprintf(cmd, sizeof(cmd), "tail -n 20 '%s' >&2", path);
	fprintf(stderr, "--- last lines of %s ---\n", path);
	(void)!system(cmd);
}

/* Start the daemon and wait for it; drains rings meanwhile. */
static int daemon_start_wait(void)
{
	if (daemon_spawn() < 0)
		return -1;
	for (;;) {
		int r = spawn_poll_ready(&g_dsp, 1, DAEMON_READY_MS);
		if (r > 0) {
			atomic_fetch_add(&g_sh->tag, 1); /* even: serving */
			return 0;
		}
		if (r < 0) {
			violation(V_CRASH, "the daemon did not become ready (start %" PRIu64 ")", g_starts);
			print_daemon_log_tail();
			spawn_kill(&g_dsp);
			return -1;
		}
		drain_all();
	}
}

static void daemon_kill9(void)
{
	kill(g_dsp.pid, SIGKILL);
	waitpid(g_dsp.pid, NULL, 0);
	g_dsp.pid = -1;
	atomic_fetch_add(&g_sh->tag, 1); /* odd: down */
	g_kills++;
}

static int daemon_term(void)
{
	int st = 0;
	kill(g_dsp.pid, SIGTERM);
	while (waitpid(g_dsp.pid, &st, 0) < 0 && errno == EINTR)
		;
	g_dsp.pid = -1;
	atomic_fetch_add(&g_sh->tag, 1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void spawn_worker(unsigned p)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("shmseq-torture: fork");
		exit(1);
	}
	if (pid == 0) {
		if (g_dsp.ready_fd >= 0)
			close(g_dsp.ready_fd);
		worker_main(p, ++g_worker_inc[p]);
	}
	g_worker_inc[p]++;
	g_workers[p] = pid;
}

static void kill_worker(unsigned p)
{
	kill(g_workers[p], SIGKILL);
	waitpid(g_workers[p], NULL, 0);
	g_workers[p] = -1;
	g_client_kills++;
}

/* Reap children that exited by themselves. */
static void reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		char how[64];
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(st));
		if (pid == g_dsp.pid) {
			violation(V_CRASH, "the daemon died by itself: %s", how);
			print_daemon_log_tail();
			g_dsp.pid = -1;
			if (g_dsp.ready_fd >= 0) {
				close(g_dsp.ready_fd);
				g_dsp.ready_fd = -1;
			}
			atomic_fetch_add(&g_sh->tag, 1);
			if (daemon_start_wait() < 0)
				g_interrupted = 1;
		} else if (pid == g_churner) {
			violation(V_CRASH, "the DDL churner died: %s", how);
			g_churner = -1;
			g_interrupted = 1;
		} else {
			for (unsigned p = 0; p < cfg.processes; p++)
				if (g_workers[p] == pid) {
					if (!atomic_load(&g_sh->stop)) {
						violation(V_CRASH, "worker process %u died by itself: %s", p,
							  how);
						spawn_worker(p);
					} else {
						g_workers[p] = -1;
					}
				}
		}
	}
}

static uint64_t sum_slots(size_t off_tol, bool drawn)
{
	uint64_t n = 0;
	for (unsigned s = 0; s < cfg.processes * cfg.threads; s++) {
		if (drawn)
			n += atomic_load_explicit(&g_sh->slots[s].drawn, memory_order_relaxed);
		else
			n += atomic_load_explicit(&g_sh->slots[s].tol[off_tol], memory_order_relaxed);
	}
	return n;
}

static uint64_t total_violations(void)
{
	uint64_t n = 0;
	for (int v = 0; v < NVIOL; v++)
		n += atomic_load(&g_sh->viol[v]);
	return n;
}

static uint64_t total_tolerated(void)
{
	uint64_t n = atomic_load(&g_sh->churner_tol);
	for (int t = 0; t < NTOL; t++)
		n += sum_slots((size_t)t, false);
	return n;
}

static void progress(uint64_t t0)
{
	fprintf(stderr,
		"[%5.0fs] daemon kills %" PRIu64 ", client kills %" PRIu64 ", DDL %" PRIu64 " (+%" PRIu64
		" unknown), values %.1fM drawn, %.1fM checked unique, tolerated errors %" PRIu64
		", restarts verified %" PRIu64 ", violations %" PRIu64 "\n",
		(double)(now_ms() - t0) / 1000.0, g_kills, g_client_kills, atomic_load(&g_sh->ddl_ok),
		atomic_load(&g_sh->ddl_unknown), (double)sum_slots(0, true) / 1e6, (double)g_unique / 1e6,
		total_tolerated(), atomic_load(&g_sh->verify_passes), total_violations());
}

/* Ask the churner for a full verification pass and wait for it. */
static bool churner_verify(const char *when)
{
	uint64_t req = atomic_fetch_add(&g_sh->verify_req, 1) + 1;
	uint64_t t0 = now_ms();
	while (atomic_load(&g_sh->verify_done) < req) {
		if (now_ms() - t0 > 60000 || g_churner < 0) {
			violation(V_LOST_DDL, "the final verification (%s) did not complete", when);
			return false;
		}
		reap();
		sleep_us(1000);
	}
	return true;
}

static bool parse_range(const char *s, unsigned *lo, unsigned *hi)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (end == s)
		return false;
	if (*end == '-') {
		const char *t = end + 1;
		b = strtoul(t, &end, 10);
		if (end == t)
			return false;
	}
	if (*end || a > b || b > 3600000)
		return false;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return true;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shmseq-torture [options]\n"
		   "Draws from many sequences in P processes x T threads while it SIGKILLs the\n"
		   "daemon and workers and churns DDL; checks no value is handed out twice.\n\n"
		   "  --duration S                 seconds to run (default 60)\n"
		   "  --processes P                worker processes (default 2)\n"
		   "  --threads T                  threads per worker (default 2)\n"
		   "  --sequences K                sequences, kinds in turn (default 8: one of each)\n"
		   "  --kill-interval MIN-MAX      ms between daemon SIGKILLs (default 50-500)\n"
		   "  --client-kill-interval MIN-MAX  ms between worker SIGKILLs (default 500-2000)\n"
		   "  --no-client-kills            never kill workers\n"
		   "  --ddl-interval MIN-MAX       ms between DDL statements (default 5-40)\n"
		   "  --no-ddl                     create the sequences, then no DDL\n"
		   "  --adopt always|never|random  restart the daemon adopting its predecessor's region,\n"
		   "                               from the durable floor (--no-adopt), or either at\n"
		   "                               random per restart (default)\n"
		   "  --reserve-factor F           allow gaps of F reserve-aheads per crash (default 2,\n"
		   "                               README's \"What a crash costs\")\n"
		   "  --seed N                     random seed (default: time and pid)\n"
		   "  --daemon PATH                shmseqd to run (default $SHMSEQD)\n"
		   "  --keep-dir                   keep the temp dir (kept anyway on violations)\n"
		   "  --progress S                 seconds between progress lines (default 5)\n"
		   "Exit status: 0 no violation, 1 violations, 2 bad usage, 77 no daemon.\n");
}

int main(int argc, char **argv)
{
	enum {
		O_DURATION = 1000,
		O_PROCS,
		O_THREADS,
		O_SEQS,
		O_KILL,
		O_CKILL,
		O_NOCKILL,
		O_DDL,
		O_NODDL,
		O_SEED,
		O_DAEMON,
		O_KEEP,
		O_PROGRESS,
		O_ADOPT,
		O_RFACTOR,
		O_HELP
	};
	static const struct option opts[] = {
		{"duration", required_argument, NULL, O_DURATION},
		{"processes", required_argument, NULL, O_PROCS},
		{"threads", required_argument, NULL, O_THREADS},
		{"sequences", required_argument, NULL, O_SEQS},
		{"kill-interval", required_argument, NULL, O_KILL},
		{"client-kill-interval", required_argument, NULL, O_CKILL},
		{"no-client-kills", no_argument, NULL, O_NOCKILL},
		{"ddl-interval", required_argument, NULL, O_DDL},
		{"no-ddl", no_argument, NULL, O_NODDL},
		{"seed", required_argument, NULL, O_SEED},
		{"daemon", required_argument, NULL, O_DAEMON},
		{"keep-dir", no_argument, NULL, O_KEEP},
		{"progress", required_argument, NULL, O_PROGRESS},
		{"adopt", required_argument, NULL, O_ADOPT},
		{"reserve-factor", required_argument, NULL, O_RFACTOR},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	bool seeded = false;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		unsigned long v;
		switch (c) {
		case O_DURATION:
			cfg.duration = strtod(optarg, &end);
			if (*end || end == optarg || !(cfg.duration > 0) || cfg.duration > 1e7)
				goto bad;
			break;
		case O_PROCS:
		case O_THREADS:
		case O_SEQS:
		case O_PROGRESS:
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v == 0)
				goto bad;
			if (c == O_PROCS && v <= MAX_PROCS)
				cfg.processes = (unsigned)v;
			else if (c == O_THREADS && v <= MAX_THREADS)
				cfg.threads = (unsigned)v;
			else if (c == O_SEQS && v <= MAX_SEQ)
				cfg.sequences = (unsigned)v;
			else if (c == O_PROGRESS && v <= 3600)
				cfg.progress = (unsigned)v;
			else
				goto bad;
			break;
		case O_KILL:
			if (!parse_range(optarg, &cfg.kill_min, &cfg.kill_max) || cfg.kill_max == 0)
				goto bad;
			break;
		case O_CKILL:
			if (!parse_range(optarg, &cfg.ckill_min, &cfg.ckill_max) || cfg.ckill_max == 0)
				goto bad;
			break;
		case O_NOCKILL:
			cfg.client_kills = false;
			break;
		case O_DDL:
			if (!parse_range(optarg, &cfg.ddl_min, &cfg.ddl_max))
				goto bad;
			break;
		case O_NODDL:
			cfg.ddl = false;
			break;
		case O_SEED:
			g_seed = strtoull(optarg, &end, 0);
			if (*end || end == optarg)
				goto bad;
			seeded = true;
			break;
		case O_DAEMON:
			cfg.daemon = optarg;
			break;
		case O_KEEP:
			cfg.keep_dir = true;
			break;
		case O_RFACTOR:
			cfg.reserve_factor = strtod(optarg, &end);
			if (*end || end == optarg || !(cfg.reserve_factor >= 1) || cfg.reserve_factor > 1e6)
				goto bad;
			break;
		case O_ADOPT:
			if (strcmp(optarg, "always") == 0)
				cfg.adopt = 1;
			else if (strcmp(optarg, "never") == 0)
				cfg.adopt = 0;
			else if (strcmp(optarg, "random") == 0)
				cfg.adopt = -1;
			else
				goto bad;
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!cfg.daemon)
		cfg.daemon = getenv("SHMSEQD");
	if (!cfg.daemon || access(cfg.daemon, X_OK) != 0) {
		fprintf(stderr, "shmseq-torture: no daemon to run (--daemon PATH or $SHMSEQD): skipping\n");
		return 77;
	}
	if (!seeded)
		g_seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
	g_sup_rng = mix64(g_seed ^ 0xdae);

	/* a private instance and temp dir */
	int tr = tmpdir_make(g_dir, sizeof(g_dir), NULL, "shmseq-torture-");
	if (tr < 0) {
		fprintf(stderr, "shmseq-torture: mkdtemp: %s\n", strerror(-tr));
		return 1;
	}
	snprintf(g_instance, sizeof(g_instance), "torture-%d", (int)getpid());
	char run[PATH_MAX + 8];
	snprintf(run, sizeof(run), "%s/run", g_dir);
	setenv("SHMSEQ_RUNTIME_DIR", run, 1);
	setenv("SHMSEQ_INSTANCE", g_instance, 1);
	for (unsigned k = 0; k < cfg.sequences; k++)
		snprintf(g_names[k], sizeof(g_names[k]), "s%02u_%s", k, kind_names[kind_of(k)]);

	unsigned nslots = cfg.processes * cfg.threads;
	g_sh = mmap(NULL, sizeof(*g_sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	g_rings = mmap(NULL, (size_t)nslots * RING_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_sh == MAP_FAILED || g_rings == MAP_FAILED) {
		perror("shmseq-torture: mmap");
		return 1;
	}
	for (unsigned s = 0; s < nslots; s++)
		for (unsigned k = 0; k < MAX_SEQ; k++)
			atomic_store(&g_sh->slots[s].last[k], INT64_MIN);

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf("shmseq-torture: seed %" PRIu64 ", %u processes x %u threads, %u sequences, %.0f s, "
	       "daemon kills every %u-%u ms, client kills %s, DDL every %u-%u ms, dir %s\n",
	       g_seed, cfg.processes, cfg.threads, cfg.sequences, cfg.duration, cfg.kill_min, cfg.kill_max,
	       cfg.client_kills ? "on" : "off", cfg.ddl_min, cfg.ddl_max, g_dir);
	fflush(stdout);

	int rc = 1;
	atomic_store(&g_sh->tag, 1); /* no daemon yet: "killed" */
	if (daemon_start_wait() < 0)
		goto out;
	g_churner = fork();
	if (g_churner == 0)
		churner_main();
	for (unsigned p = 0; p < cfg.processes; p++)
		spawn_worker(p);

	uint64_t seed_rng = mix64(g_seed ^ 0x5eed);
	uint64_t t0 = now_ms(), end_ms = t0 + (uint64_t)(cfg.duration * 1000.0);
	uint64_t next_kill = t0 + rnd_range(&seed_rng, cfg.kill_min, cfg.kill_max);
	uint64_t next_ckill = t0 + rnd_range(&seed_rng, cfg.ckill_min, cfg.ckill_max);
	uint64_t next_progress = t0 + cfg.progress * 1000u;
	bool down = false;
	uint64_t up_at = 0;
	while (!g_interrupted) {
		uint64_t now = now_ms();
		if (now >= end_ms)
			break;
		size_t done = drain_all();
		if (!down && g_dsp.pid > 0 && now >= next_kill) {
			daemon_kill9();
			down = true;
			up_at = now + rnd_range(&seed_rng, 0, cfg.down_max);
		}
		if (down && now >= up_at) {
			down = false;
			if (daemon_start_wait() < 0)
				break;
			next_kill = now_ms() + rnd_range(&seed_rng, cfg.kill_min, cfg.kill_max);
		}
		if (cfg.client_kills && now >= next_ckill) {
			unsigned p = (unsigned)(rnd(&seed_rng) % cfg.processes);
			kill_worker(p);
			spawn_worker(p);
			next_ckill = now + rnd_range(&seed_rng, cfg.ckill_min, cfg.ckill_max);
		}
		reap();
		if (now >= next_progress) {
			progress(t0);
			next_progress += cfg.progress * 1000u;
		}
		if (done == 0)
			sleep_us(200);
	}
	double elapsed = (double)(now_ms() - t0) / 1000.0;

	/* the end: workers finish, the rings drain */
	atomic_store(&g_sh->phase, PH_QUIET);
	atomic_store(&g_sh->stop, 1);
	if (down && daemon_start_wait() < 0)
		goto out;
	for (;;) {
		drain_all();
		reap();
		bool alive = false;
		for (unsigned p = 0; p < cfg.processes; p++)
			alive |= g_workers[p] > 0;
		if (!alive)
			break;
		sleep_us(200);
	}
	while (drain_all())
		;
	/* a last SIGKILL, then a clean stop: every acknowledged DDL and every
	 * position must survive both */
	if (g_dsp.pid > 0) {
		daemon_kill9();
		if (daemon_start_wait() == 0 && churner_verify("after the last SIGKILL")) {
			int st = daemon_term();
			if (st != 0)
				violation(V_CRASH, "the daemon exited with status %d on SIGTERM", st);
			if (daemon_start_wait() == 0)
				churner_verify("after a clean restart");
		}
	}
	atomic_store(&g_sh->phase, PH_EXIT);
	if (g_churner > 0) {
		int st;
		waitpid(g_churner, &st, 0);
		g_churner = -1;
	}
	gap_analysis();

	/* the summary */
	uint64_t drawn = sum_slots(0, true), wraps = 0;
	for (unsigned s = 0; s < nslots; s++)
		wraps += atomic_load(&g_sh->slots[s].wraps);
	printf("\nshmseq-torture summary (seed %" PRIu64 ")\n", g_seed);
	printf("  duration                 %.1f s\n", elapsed);
	printf("  daemon kills             %" PRIu64 " (%" PRIu64 " of %" PRIu64 " starts with --no-adopt; "
	       "verification passes: %" PRIu64 ")\n",
	       g_kills, g_noadopt_starts, g_starts, atomic_load(&g_sh->verify_passes));
	printf("  client kills             %" PRIu64 "\n", g_client_kills);
	printf("  DDL acknowledged         %" PRIu64 " (CREATE %" PRIu64 ", OR REPLACE %" PRIu64
	       ", ALTER %" PRIu64 ", SETVAL %" PRIu64 " + %" PRIu64 " ignored, DROP %" PRIu64 ")\n",
	       atomic_load(&g_sh->ddl_ok), atomic_load(&g_sh->ddl_ops[OP_CREATE]),
	       atomic_load(&g_sh->ddl_ops[OP_REPLACE]), atomic_load(&g_sh->ddl_ops[OP_ALTER]),
	       atomic_load(&g_sh->ddl_ops[OP_SETVAL]), atomic_load(&g_sh->ddl_ops[OP_SETVAL_IGNORED]),
	       atomic_load(&g_sh->ddl_ops[OP_DROP]));
	printf("  DDL outcome unknown      %" PRIu64 " (found applied after restart: %" PRIu64 ")\n",
	       atomic_load(&g_sh->ddl_unknown), atomic_load(&g_sh->ddl_unknown_applied));
	printf("  values drawn and checked %" PRIu64 " (bounds, lattice, per-thread order; %" PRIu64
	       " CYCLE wraps)\n",
	       drawn, wraps);
	printf("  values checked unique    %" PRIu64 " (%.1f MiB of bitmap)\n", g_unique,
	       (double)g_nchunks * CHUNK_WORDS * 8 / 1048576.0);
	printf("  tolerated errors         %" PRIu64 " (daemon down %" PRIu64 ", EAGAIN %" PRIu64
	       ", EIO %" PRIu64 ", dropped sequence %" PRIu64 ", churner %" PRIu64 ")\n",
	       total_tolerated(), sum_slots(T_CONN, false), sum_slots(T_AGAIN, false),
	       sum_slots(T_EIO, false), sum_slots(T_UNKNOWN, false), atomic_load(&g_sh->churner_tol));
	printf("  violations:\n");
	for (int v = 0; v < NVIOL; v++)
		printf("    %-8" PRIu64 " %s\n", atomic_load(&g_sh->viol[v]), viol_names[v]);
	printf("  largest gap per CACHE (values no SETVAL explains; bound = %g x reserve-ahead + CACHE + "
	       "%" PRIu64 "):\n",
	       cfg.reserve_factor, g_slack);
	for (unsigned i = 0; i < g_ngaps; i++)
		printf("    CACHE %-8" PRId64 " max gap %-10" PRIu64 " bound %-10" PRIu64
		       " (reserve-ahead %" PRIu64 ", %" PRIu64 " eras, %" PRIu64 " gaps beyond the slack)\n",
		       g_gaps[i].cache, g_gaps[i].max_gap, g_gaps[i].bound, reserve_bound(g_gaps[i].cache),
		       g_gaps[i].eras, g_gaps[i].big_gaps);
	uint64_t nv = total_violations();
	printf("  result                   %s\n", nv ? "VIOLATIONS" : "ok");
	rc = nv ? 1 : 0;
out:
	atomic_store(&g_sh->stop, 1);
	atomic_store(&g_sh->phase, PH_EXIT);
	for (unsigned p = 0; p < cfg.processes; p++)
		if (g_workers[p] > 0)
			kill_worker(p);
	if (g_churner > 0) {
		kill(g_churner, SIGKILL);
		waitpid(g_churner, NULL, 0);
	}
	if (g_dsp.pid > 0)
		daemon_term();
	if (rc == 0 && !cfg.keep_dir) {
		tmpdir_remove(g_dir);
	} else {
		char shm[160];
		snprintf(shm, sizeof(shm), "/shmseq.%u.%s", (unsigned)getuid(), g_instance);
		shm_unlink(shm);
		printf("  kept                     %s (seed %" PRIu64 ")\n", g_dir, g_seed);
	}
	fflush(stdout);
	return rc;
bad:
	usage(stderr);
	return 2;
}
