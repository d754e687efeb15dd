/* SPDX-License-Identifier: MIT */
/* bench.h — shmseq-bench: how fast NEXTVAL is, next to the hardware's limit.
 *
 * The parts: main.c (globals, options, main), util.c (clocks, random
 * numbers, cleanup), worker.c (the worker processes and their loops),
 * phase.c (one timed phase: fork, barrier, merge), verify.c (--verify),
 * setup.c (the daemon, the names, CREATE), report.c (text and JSON).
 *
 * A run: (optionally) start a private shmseqd, create the sequence(s) from
 * many connections at once (so the daemon's group commit shares each
 * fdatasync), then fork P worker processes of T threads each; every thread
 * calls NEXTVAL in a loop (through a handle, by name, or as SQL through
 * shmseq_exec) until the duration elapses or its share of --count is done.
 * The same P x T layout then runs the baselines for the same time: a bare
 * atomic fetch-and-add on one shared counter (the floor no shared sequence
 * can beat; the report gives the ratio of the two per-op costs) and, with
 * --baseline mutex, a counter behind a PTHREAD_PROCESS_SHARED mutex in a
 * shared mapping (what a naive shared-memory sequence would cost). --verify
 * records every value and checks each thread saw them in order and no value
 * was handed out twice.
 *
 * Warm-up: before the start barrier each worker process resolves every name
 * once and takes one value of each sequence, so that the timed loop measures
 * the steady state (names in the client's cache, first windows published),
 * not K first-touch round trips. --no-warmup measures the cold start.
 *
 * Processes and memory: the parent maps one MAP_SHARED|MAP_ANONYMOUS area per
 * phase before forking (struct phase_shm). Workers write only their own
 * slot (one cache-line-aligned struct per thread), their process record and
 * the start-barrier counter; the parent reads them after the workers have
 * exited (waitpid is the synchronisation), except `progress`, an atomic read
 * live for the progress line. Each worker process opens its own connection
 * after fork: a connection is never shared across fork. The parent's own
 * connections (CREATE, status) are closed before any worker is forked.
 *
 * Start barrier: each thread increments `ready` then spins on `go`; the
 * parent stores the deadline and then `go` with release order (pairs with the
 * workers' acquire load of `go`), so every thread starts within a few
 * microseconds of the others and reads the same deadline.
 *
 * Latency: every 64th operation is timed (rdtsc on x86-64, calibrated against
 * CLOCK_MONOTONIC; clock_gettime elsewhere) into a per-thread log-linear
 * histogram (powers of two, 16 sub-buckets each: <= 6.25% error); the parent
 * merges them for p50/p99/p99.9/max and the histogram. The other 63
 * operations run untimed. The baselines are sampled the same way, so both
 * sides of a ratio carry the same measuring overhead.
 *
 * Memory: each worker process reports its private (anonymous) and shared
 * resident memory from /proc/self/status; the daemon's comes from
 * /proc/PID/status when readable, the region's size and the daemon's
 * fdatasync count from shmseq_status() before and after the timed phase.
 */
#ifndef SHMSEQ_BENCH_H
#define SHMSEQ_BENCH_H

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#endif

#include "hist.h"
#include "shmseq.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

/* MODE_BATCH: shmseq_seq_nextval_n(handle, --batch N) per call, each value
 * an op; MODE_LEASED: shmseq_seq_nextval() on handles opened with
 * shmseq_seq_open_leased(--lease N), one per process and sequence, shared by
 * its threads. */
enum mode { MODE_HANDLE, MODE_NAME, MODE_EXEC, MODE_BATCH, MODE_LEASED };

extern const char *const mode_names[];

enum pick_kind { PICK_RANDOM, PICK_ROUND_ROBIN };

extern const char *const pick_names[];

enum phase_kind { PHASE_SHMSEQ, PHASE_BARE, PHASE_MUTEX };

extern const char *const phase_names[];

#define MAX_WORKERS 4096 /* P x T */

#define SAMPLE_MASK 63u /* time one op in 64 */

#define CHECK_EVERY 1024u /* look at the clock once per this many ops */

#define CREATE_BATCH 100u /* CREATE statements per shmseq_exec call, at most */

#define ERRMSG_MAX 200

#define DAEMON_READY_MS 30000

#define DISCONNECT_MAX 10000u /* a worker skips shmseq_disconnect() above this many names */

struct config {
	const char *instance;
	bool self_daemon;
	const char *daemon_path;
	unsigned processes, threads;
	double duration_s;
	uint64_t count; /* 0: run for duration_s */
	const char *sequence;
	enum mode mode;
	uint64_t batch;	    /* MODE_BATCH: values asked per call */
	uint64_t lease;	    /* MODE_LEASED: the handles' lease */
	const char *create; /* NULL: use existing sequences */
	uint64_t sequences;
	enum pick_kind pick;
	unsigned create_threads;
	bool warmup;
	bool verify;
	bool json;
	bool histogram; /* text: print the latency histogram */
	bool bare;	/* baseline: bare fetch-and-add */
	bool mutex;	/* baseline: mutex-protected counter */
	bool disk;	/* baseline: the disk's pwrite+fdatasync latency */
	const char *disk_dir;
};

/* One per thread, written only by that thread (progress live, the rest at
 * its end); read by the parent after waitpid. */
struct slot {
	_Atomic uint64_t progress; /* ops so far, published every CHECK_EVERY */
	uint64_t ops;		   /* successful operations (values: a batch counts each) */
	uint64_t calls;		   /* successful calls (a batch is one) */
	uint64_t attempts;
	uint64_t errors;
	int first_error;
	char first_error_msg[ERRMSG_MAX];
	uint64_t end_ns; /* CLOCK_MONOTONIC when it stopped */
	uint64_t samples, max_ns;
	/* --verify */
	uint64_t recorded;
	uint64_t violations;
	int direction; /* +1 increasing, -1 decreasing, 0 unknown */
	int64_t viol_prev, viol_cur;
	uint64_t viol_seq;
	int write_error;
	uint64_t hist[HIST_BUCKETS];
} __attribute__((aligned(64)));

struct proc_rec {
	int setup_error;
	char setup_msg[ERRMSG_MAX];
	uint64_t warmup_ns;
	/* from /proc/self/status at the end, in kB (0: unknown) */
	uint64_t rss_anon_kb, rss_shmem_kb, hwm_kb;
};

struct phase_shm {
	_Atomic uint32_t ready;		/* threads at the barrier */
	_Atomic uint32_t go;		/* set by the parent: start */
	_Atomic uint32_t stop;		/* set on interrupt / setup failure */
	_Atomic uint32_t failed;	/* a process could not set up */
	uint64_t start_ns, deadline_ns; /* published before `go` (release) */
	char pad0[64];
	_Atomic uint64_t counter __attribute__((aligned(64))); /* the bare phase's */
	char pad1[64];
	/* the mutex phase's: PTHREAD_PROCESS_SHARED, and the count it guards */
	pthread_mutex_t mutex __attribute__((aligned(64)));
	uint64_t mutex_counter;
	char pad2[64];
	struct proc_rec procs[MAX_WORKERS];
	struct slot slots[];
};

struct phase_result {
	uint64_t ops, errors, elapsed_ns;
	double ops_per_s, ns_per_op;
	uint64_t samples, p50, p99, p999, max_ns;
	uint64_t hist[HIST_BUCKETS]; /* merged latency histogram */
	bool setup_failed;
	bool interrupted;
	/* worker processes (shmseq phase) */
	uint64_t warmup_ns_max;
	uint64_t rss_anon_kb_max, rss_shmem_kb_max, hwm_kb_max;
};

/* What the daemon said before and after the timed phase (shmseq_status) and
 * its memory from /proc. */
struct daemon_info {
	bool have;
	struct shmseq_status before, after;
	bool have_mem;
	uint64_t rss_kb, rss_anon_kb, rss_shmem_kb, hwm_kb;
	bool have_cpu;
	double cpu_before_s, cpu_after_s; /* the daemon's user + system CPU time */
};

extern struct config cfg;

/* The disk baseline (disk.c): one thread's pwrite+fdatasync of 64 bytes,
 * before and after the timed phase. */
struct disk_result {
	uint64_t ops, p50_ns, p99_ns;
	double mean_ns;
};
int disk_baseline(const char *dir, double seconds); /* adds samples; 0 or -1 (said) */
void disk_result(struct disk_result *out);	    /* of the samples so far */

/* The bare phase's counters with K > 1 sequences: K of them, 128 bytes apart
 * like the region's slots, picked the same way as the sequences. */
#define BARE_STRIDE (128 / sizeof(uint64_t))

/* What the parent sets up before it forks the workers, who read it. */
struct run {
	double ns_per_tick;
	/* "<seq>_0", "<seq>_1", … (or just "<seq>"), name_stride bytes apart:
	 * one cache miss to read a name, so the loop's own cost stays small
	 * next to the name lookup it measures. */
	char *name_buf;
	size_t name_stride;
	struct phase_shm *shm;	      /* the phase's shared area */
	_Atomic uint64_t *bare_slots; /* the bare phase's counters (K > 1) */
};

/* The parent's own state. */
struct parent {
	char tmpdir[PATH_MAX];
	pid_t worker_pids[MAX_WORKERS];
	unsigned nworker_pids;
	pid_t daemon_pid; /* --self-daemon */
	char instance[SHMSEQ_INSTANCE_MAX + 1];
	volatile sig_atomic_t interrupted;
	uint64_t create_ns;	 /* time the CREATE statements took */
	uint64_t create_syncs;	 /* the daemon's fdatasyncs meanwhile */
	bool create_syncs_known; /* whether create_syncs was measured */
	unsigned create_threads_used;
	bool mutex_ready;		  /* shm->mutex is initialised */
	struct daemon_info *phase_daemon; /* filled at the shmseq phase's start */
};

extern struct run run;
extern struct parent par;

uint64_t now_ns(void);

static inline uint64_t ticks(void)
{
#ifdef BENCH_HAVE_TSC
	return __rdtsc();
#else
	return now_ns();
#endif
}

void calibrate_ticks(void);

static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* The sequence of the next call: uniformly at random, or round-robin from
 * the thread's own starting point (threads start spread over the K names). */
static inline uint64_t pick(uint64_t *rng, uint64_t *rr)
{
	if (cfg.sequences == 1)
		return 0;
	if (cfg.pick == PICK_ROUND_ROBIN) {
		uint64_t i = *rr;
		*rr = i + 1 == cfg.sequences ? 0 : i + 1;
		return i;
	}
	return (uint64_t)(((unsigned __int128)xorshift64(rng) * cfg.sequences) >> 64);
}

static inline const char *seq_name(uint64_t i)
{
	return run.name_buf + i * run.name_stride;
}

void set_msg(char *dst, const char *src);

void on_signal(int sig);

void sleep_ms(unsigned ms);

void kill_workers(void);

void cleanup(void);

_Noreturn void die_cleanup(int code);

void read_proc_status(const char *path, uint64_t *rss, uint64_t *anon, uint64_t *shmem, uint64_t *hwm);

double proc_cpu_s(uint32_t pid);

_Noreturn void worker_process(unsigned p, enum phase_kind kind);

int run_phase(enum phase_kind kind, struct phase_result *r);

void report_setup_errors(void);

void free_phase(void);

struct verify_result {
	bool ran, ok;
	uint64_t values, duplicates, violations;
	bool mixed_direction;
	int direction;
};

void verify(struct verify_result *vr);

void make_tmpdir(void);

void start_daemon(void);

void build_names(void);

bool daemon_status(struct shmseq_status *st);

int create_sequences(void);

void print_text(const struct phase_result *r, const struct phase_result *b, const struct phase_result *mx,
		const struct disk_result *dk, const struct verify_result *vr, const struct daemon_info *di);

void print_json(const struct phase_result *r, const struct phase_result *b, const struct phase_result *mx,
		const struct disk_result *dk, const struct verify_result *vr, const struct daemon_info *di);

void report_errors(void);

bool run_baseline(enum phase_kind kind, struct phase_result *res);

#endif
