/* SPDX-License-Identifier: MIT */
/* torture.h — shmseq-torture: crash torture for the promises of DESIGN.md.
 *
 * The parts: main.c (configuration, shared memory, the supervisor), model.c
 * (sequence kinds and eras: what every process can compute), util.c
 * (clocks, random numbers, violations, tolerated errors), worker.c (the
 * worker processes), churner.c (the DDL churner and its checks after each
 * restart), checker.c (the parent's uniqueness bitmap and gap analysis).
 *
 * What it does. It starts its own shmseqd ($SHMSEQD or --daemon) on a
 * private instance and temp dir (SHMSEQ_RUNTIME_DIR, --data-dir, readiness
 * through --ready-fd, as tests/integration/harness.c does), forks
 *   - P worker processes of T threads each, drawing bursts of values from K
 *     sequences of eight kinds (ascending/descending, CYCLE, NOCACHE, small
 *     and huge CACHE, large INCREMENT) through every path of the API
 *     (--paths): by handle, by name, batches of random size through
 *     shmseq_seq_nextval_n() and shmseq_nextval_n(), leased handles (one
 *     per process and sequence, shared by its threads, leases of 2 to
 *     LEASE_MAX) and shmseq_exec("SELECT NEXTVAL(..)");
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
 *    waiting for a refill; P·T·256 with batches, whose refill covers a whole
 *    batch) + T·256 (a killed worker's unpublished burst)
 *    + P·T·LEASE_MAX when leased handles are drawn from (the blocks every
 *    thread holds, retired at a restart or a DDL, lost with a killed worker).
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
#ifndef SHMSEQ_TORTURE_H
#define SHMSEQ_TORTURE_H

#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "shmseq.h"
#include "spawn.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

#define MAX_SEQ 100 /* k * 2^56 + 2^56 - 1 must stay below INT64_MAX */

#define MAX_PROCS 64

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

#define PRINT_MAX 10 /* violation messages printed per kind */

#define AHEAD_CAP (UINT64_C(1) << 24)

#define LEASE_MAX 50 /* the largest lease of a leased handle */

/* How a worker draws a burst of values. */
enum path {
	P_EXEC,	    /* shmseq_exec("SELECT NEXTVAL(..)"), one value per call */
	P_NAME,	    /* shmseq_nextval(), by name */
	P_NAME_N,   /* shmseq_nextval_n(), by name, batches of random size */
	P_HANDLE,   /* shmseq_seq_nextval() on a plain handle */
	P_HANDLE_N, /* shmseq_seq_nextval_n() on a plain handle, random sizes */
	P_LEASED,   /* shmseq_seq_nextval() on a leased handle the process's threads share */
	NPATHS
};

extern const char *const path_names[NPATHS];

#define PATHS_ALL ((1u << NPATHS) - 1u)

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

extern const char *const kind_names[NKINDS];

struct era_def {
	int64_t start, min, max, inc, cache;
	bool cycle;
};

uint64_t mix64(uint64_t x);

static inline enum kind kind_of(unsigned k)
{
	return (enum kind)(k % NKINDS);
}

static inline bool kind_cycle(enum kind kd)
{
	return kd == K_ASC_CYCLE || kd == K_DESC_CYCLE;
}

void era_def(unsigned k, uint32_t e, struct era_def *d);

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

uint64_t reserve_bound(int64_t cache);

/* ------------------------------------------------------------------------ */
/* shared memory                                                            */

enum viol { V_DUP, V_OOB, V_ORDER, V_LOST_DDL, V_STALE, V_POSITION, V_GAP, V_ERROR, V_CRASH, NVIOL };

extern const char *const viol_names[NVIOL];

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
	_Atomic uint64_t by_path[NPATHS]; /* values drawn per path */
	_Atomic int64_t last[MAX_SEQ];	  /* last value drawn per sequence (INT64_MIN: none) */
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

/* What every process shares: set up by main() before it forks anything,
 * inherited by the children (state.c). */
struct run {
	uint64_t seed;		 /* --seed: every era's definition derives from it */
	struct shared *sh;	 /* the MAP_SHARED area */
	uint64_t *rings;	 /* the workers' rings, RING_WORDS per thread slot */
	char dir[PATH_MAX];	 /* the private temp dir */
	char names[MAX_SEQ][32]; /* the sequences' names */
};

extern struct run run;

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
	unsigned paths;	       /* bit (1 << enum path): the paths workers draw through */
	const char *daemon;
	unsigned progress; /* s between progress lines */
};

extern struct config cfg;

uint64_t now_ms(void);

void sleep_us(long us);

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

__attribute__((format(printf, 2, 3))) void violation(enum viol v, const char *fmt, ...);

int tolerated(int r);

void worker_main(unsigned proc, uint64_t incarnation);

enum ddl_op { OP_CREATE, OP_REPLACE, OP_ALTER, OP_SETVAL, OP_DROP, OP_SETVAL_IGNORED };

void churner_main(void);

size_t drain_all(void);

/* --- the gap analysis (end of run) --- */

struct gapstat {
	int64_t cache;
	uint64_t max_gap; /* largest unexplained run of missing values */
	uint64_t bound;
	uint64_t big_gaps; /* runs beyond the slack: crash gaps */
	uint64_t eras;
};

struct chunk;

/* A recent burst, shown with a duplicate. */
struct recent {
	int64_t lo, hi;
	uint32_t slot, n;
	uint64_t tags;
};

/* The checker's state (the parent only). */
struct checker {
	struct chunk *chunks; /* open addressing: (sequence, era, index >> 15) -> 4 KiB bitmap */
	size_t chunk_cap, nchunks;
	uint64_t last_key; /* the previous value's chunk */
	uint64_t *last_bits;
	uint64_t unique;	  /* values checked for uniqueness */
	uint64_t tail[MAX_SLOTS]; /* ring words consumed, per thread slot */
	struct recent recent[MAX_SEQ][RECENT_MAX];
	unsigned recent_pos[MAX_SEQ];
	struct gapstat gaps[64]; /* per CACHE */
	unsigned ngaps;
	uint64_t
		slack; /* P x T (x BURST_MAX with batches) + T x BURST_MAX (+ P x T x LEASE_MAX with leases) */
};

extern struct checker chk;

void gap_analysis(void);

void progress(uint64_t t0);

#endif
