/* bench.c — shmseq-bench: how fast NEXTVAL is, next to the hardware's limit.
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
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#endif

#include "shmseq.h"
#include "hist.h"
#include "json.h"
#include "spawn.h"
#include "tmpdir.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

enum mode { MODE_HANDLE, MODE_NAME, MODE_EXEC };
static const char *const mode_names[] = {"handle", "name", "exec"};

enum pick_kind { PICK_RANDOM, PICK_ROUND_ROBIN };
static const char *const pick_names[] = {"random", "round-robin"};

enum phase_kind { PHASE_SHMSEQ, PHASE_BARE, PHASE_MUTEX };
static const char *const phase_names[] = {"shmseq", "bare", "mutex"};

#define MAX_WORKERS 4096   /* P x T */
#define SAMPLE_MASK 63u	   /* time one op in 64 */
#define CHECK_EVERY 1024u  /* look at the clock once per this many ops */
#define CREATE_BATCH 100u  /* CREATE statements per shmseq_exec call, at most */
#define CREATE_THREADS 64u /* connections creating sequences at once */
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
};

/* One per thread, written only by that thread (progress live, the rest at
 * its end); read by the parent after waitpid. */
struct slot {
	_Atomic uint64_t progress; /* ops so far, published every CHECK_EVERY */
	uint64_t ops;		   /* successful operations */
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

/* ---- globals shared by parent and (read-only, via fork) workers ---- */
static struct config cfg;
static double ns_per_tick = 1.0;
/* "<seq>_0", "<seq>_1", … (or just "<seq>"), name_stride bytes apart: one
 * cache miss to read a name, so the loop's own cost stays small next to the
 * name lookup it measures. */
static char *name_buf;
static size_t name_stride;
static char tmpdir[PATH_MAX];
static struct phase_shm *shm;
static pid_t worker_pids[MAX_WORKERS];
static unsigned nworker_pids;
static pid_t daemon_pid;
static char instance_buf[SHMSEQ_NAME_MAX + 1];
static volatile sig_atomic_t interrupted;
static uint64_t create_ns;	/* time the CREATE statements took */
static uint64_t create_syncs;	/* the daemon's fdatasyncs meanwhile */
static bool create_syncs_known; /* whether create_syncs was measured */
static unsigned create_threads_used;
/* The bare phase's counters with K > 1 sequences: K of them, 128 bytes apart
 * like the region's slots, picked the same way as the sequences. */
#define BARE_STRIDE (128 / sizeof(uint64_t))
static _Atomic uint64_t *bare_slots;
static bool mutex_ready;		 /* shm->mutex is initialised */
static struct daemon_info *phase_daemon; /* filled at the shmseq phase's start */

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ticks(void)
{
#ifdef BENCH_HAVE_TSC
	return __rdtsc();
#else
	return now_ns();
#endif
}

static void calibrate_ticks(void)
{
#ifdef BENCH_HAVE_TSC
	uint64_t t0 = now_ns(), c0 = ticks();
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	uint64_t t1 = now_ns(), c1 = ticks();
	if (c1 > c0)
		ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
#endif
}

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
	return name_buf + i * name_stride;
}

static void set_msg(char *dst, const char *src)
{
	snprintf(dst, ERRMSG_MAX, "%s", src);
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	if (shm)
		atomic_store_explicit(&shm->stop, 1, memory_order_relaxed);
}

static void sleep_ms(unsigned ms)
{
	struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&d, NULL);
}

static void remove_tmpdir(void)
{
	tmpdir_remove(tmpdir);
	tmpdir[0] = '\0';
}

static void stop_daemon(void)
{
	if (daemon_pid <= 0)
		return;
	kill(daemon_pid, SIGTERM);
	int st;
	uint64_t t0 = now_ns();
	/* it persists every sequence's position on the way out */
	uint64_t patience_s = 10 + cfg.sequences / 10000;
	while (waitpid(daemon_pid, &st, WNOHANG) == 0) {
		if (now_ns() - t0 > patience_s * 1000000000ull) {
			fprintf(stderr, "shmseq-bench: shmseqd did not stop in %" PRIu64 " s; killing it\n",
				patience_s);
			kill(daemon_pid, SIGKILL);
			waitpid(daemon_pid, &st, 0);
			break;
		}
		sleep_ms(10);
	}
	daemon_pid = 0;
}

static void kill_workers(void)
{
	for (unsigned i = 0; i < nworker_pids; i++)
		if (worker_pids[i] > 0)
			kill(worker_pids[i], SIGTERM);
	for (unsigned i = 0; i < nworker_pids; i++)
		if (worker_pids[i] > 0)
			waitpid(worker_pids[i], NULL, 0);
	nworker_pids = 0;
}

static void cleanup(void)
{
	kill_workers();
	stop_daemon();
	remove_tmpdir();
}

static _Noreturn void die_cleanup(int code)
{
	cleanup();
	exit(code);
}

/* ---- the worker side ---- */

struct vec {
	int64_t *vals;
	uint32_t *seqs;
	uint64_t n, cap;
};

static bool vec_push(struct vec *v, int64_t val, uint64_t seq)
{
	if (v->n == v->cap) {
		uint64_t cap = v->cap ? v->cap * 2 : 65536;
		int64_t *nv = realloc(v->vals, cap * sizeof(*nv));
		if (!nv)
			return false;
		v->vals = nv;
		if (cfg.sequences > 1) {
			uint32_t *ns = realloc(v->seqs, cap * sizeof(*ns));
			if (!ns)
				return false;
			v->seqs = ns;
		}
		v->cap = cap;
	}
	v->vals[v->n] = val;
	if (cfg.sequences > 1)
		v->seqs[v->n] = (uint32_t)seq;
	v->n++;
	return true;
}

struct worker {
	unsigned index; /* p * T + t */
	uint64_t quota; /* ops to do in count mode */
	enum phase_kind kind;
	shmseq *conn;
	shmseq_seq **handles; /* MODE_HANDLE: one per sequence */
};

static void barrier_wait(void)
{
	atomic_fetch_add_explicit(&shm->ready, 1, memory_order_relaxed);
	unsigned spins = 0;
	/* pairs with the parent's release store of `go` */
	while (!atomic_load_explicit(&shm->go, memory_order_acquire)) {
		if (++spins > 64)
			sched_yield();
#ifdef BENCH_HAVE_TSC
		else
			_mm_pause();
#endif
	}
}

static void note_error(struct slot *s, int err, const char *msg)
{
	if (s->errors++ == 0) {
		s->first_error = err;
		set_msg(s->first_error_msg, msg ? msg : shmseq_strerror(err));
	}
}

/* One NEXTVAL in the given mode (a constant where it is inlined). */
static inline __attribute__((always_inline)) int do_nextval(const enum mode mode, struct worker *w,
							    struct slot *s, uint64_t seq, int64_t *val)
{
	switch (mode) {
	case MODE_HANDLE:
		return shmseq_seq_nextval(w->handles[seq], val);
	case MODE_NAME:
		return shmseq_nextval(w->conn, seq_name(seq), val);
	case MODE_EXEC: {
		char sql[SHMSEQ_NAME_MAX * 2 + 32];
		snprintf(sql, sizeof(sql), "SELECT NEXTVAL(%s)", seq_name(seq));
		shmseq_result *res = NULL;
		int rc = shmseq_exec(w->conn, sql, &res);
		if (rc < 0)
			return rc;
		rc = shmseq_result_error(res);
		if (rc < 0) {
			note_error(s, rc, shmseq_result_message(res));
			shmseq_result_free(res);
			return 1; /* already counted */
		}
		const char *v = shmseq_result_rows(res) && shmseq_result_columns(res)
					? shmseq_result_value(res, 0, 0)
					: NULL;
		char *end;
		errno = 0;
		long long x = v ? strtoll(v, &end, 10) : 0;
		if (!v || errno || end == v || *end) {
			note_error(s, -EPROTO, "SELECT NEXTVAL answered no number");
			shmseq_result_free(res);
			return 1;
		}
		*val = x;
		shmseq_result_free(res);
		return 0;
	}
	}
	return -EINVAL;
}

static void record_value(struct slot *s, struct vec *v, int64_t *last, uint8_t *seen, uint64_t seq,
			 int64_t val)
{
	if (seen[seq]) {
		int64_t prev = last[seq];
		int d = val > prev ? 1 : val < prev ? -1 : 0;
		if (s->direction == 0 && d != 0)
			s->direction = d;
		else if (d != s->direction) {
			if (s->violations++ == 0) {
				s->viol_prev = prev;
				s->viol_cur = val;
				s->viol_seq = seq;
			}
		}
	}
	seen[seq] = 1;
	last[seq] = val;
	if (!s->write_error && !vec_push(v, val, seq))
		s->write_error = ENOMEM;
}

static void dump_values(struct slot *s, unsigned index, struct vec *v)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/v%u", tmpdir, index);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(v->vals, sizeof(int64_t), v->n, f) != v->n) {
		s->write_error = errno ? errno : EIO;
	} else if (cfg.sequences > 1) {
		snprintf(path, sizeof(path), "%s/s%u", tmpdir, index);
		FILE *g = fopen(path, "wb");
		if (!g || fwrite(v->seqs, sizeof(uint32_t), v->n, g) != v->n)
			s->write_error = errno ? errno : EIO;
		if (g && fclose(g) != 0)
			s->write_error = errno;
	}
	if (f && fclose(f) != 0)
		s->write_error = errno;
	s->recorded = v->n;
}

/* Time one call in 64: the histogram and the maximum. */
static inline void sample(struct slot *s, uint64_t t0, uint64_t t1)
{
	uint64_t ns = t1 > t0 ? (uint64_t)((double)(t1 - t0) * ns_per_tick) : 0;
	s->hist[hist_index(ns)]++;
	s->samples++;
	if (ns > s->max_ns)
		s->max_ns = ns;
}

static inline void baseline_op(const enum phase_kind kind, const bool one, uint64_t *rng, uint64_t *rr)
{
	if (kind == PHASE_BARE) {
		_Atomic uint64_t *ctr = one ? &shm->counter : &bare_slots[pick(rng, rr) * BARE_STRIDE];
		atomic_fetch_add_explicit(ctr, 1, memory_order_seq_cst);
	} else {
		pthread_mutex_lock(&shm->mutex);
		shm->mutex_counter++;
		pthread_mutex_unlock(&shm->mutex);
	}
}

/* The baseline loop, the same shape as the shmseq loop (quota check, one
 * call in 64 timed, the clock read every CHECK_EVERY calls). Inlined with a
 * constant kind and `one` (one counter, not K), so each baseline gets its own
 * loop. Returns the ops done. */
static inline __attribute__((always_inline)) uint64_t baseline_loop(const enum phase_kind kind,
								    const bool one, struct slot *s,
								    uint64_t quota, uint64_t deadline,
								    uint64_t *rng, uint64_t *rr)
{
	const bool counted = cfg.count > 0;
	uint64_t ops = 0;
	for (;;) {
		for (unsigned k = 0; k < CHECK_EVERY; k++) {
			if (counted && ops == quota)
				return ops;
			ops++;
			if ((ops & SAMPLE_MASK) == 1) {
				uint64_t t0 = ticks();
				baseline_op(kind, one, rng, rr);
				sample(s, t0, ticks());
			} else {
				baseline_op(kind, one, rng, rr);
			}
		}
		atomic_store_explicit(&s->progress, ops, memory_order_relaxed);
		if (atomic_load_explicit(&shm->stop, memory_order_relaxed))
			return ops;
		if (!counted && now_ns() >= deadline)
			return ops;
	}
}

/* The timed shmseq loop, the same shape as baseline_loop. Inlined with a
 * constant mode and `one` (a single sequence). vr: record values (--verify). */
static inline __attribute__((always_inline)) void
shmseq_loop(const enum mode mode, const bool one, struct worker *w, struct slot *s, struct vec *vr,
	    int64_t *last, uint8_t *seen, uint64_t quota, uint64_t deadline, uint64_t *rng, uint64_t *rr,
	    uint64_t *ops_out, uint64_t *attempts_out)
{
	const bool counted = cfg.count > 0;
	uint64_t ops = 0, attempts = 0;
	for (;;) {
		for (unsigned k = 0; k < CHECK_EVERY; k++) {
			if (counted && attempts == quota)
				goto done;
			uint64_t seq = one ? 0 : pick(rng, rr);
			int64_t val = 0;
			int rc;
			attempts++;
			if ((attempts & SAMPLE_MASK) == 1) {
				uint64_t t0 = ticks();
				rc = do_nextval(mode, w, s, seq, &val);
				sample(s, t0, ticks());
			} else {
				rc = do_nextval(mode, w, s, seq, &val);
			}
			if (__builtin_expect(rc != 0, 0)) {
				if (rc < 0)
					note_error(s, rc, NULL);
				continue;
			}
			ops++;
			if (vr)
				record_value(s, vr, last, seen, seq, val);
		}
		atomic_store_explicit(&s->progress, attempts, memory_order_relaxed);
		if (atomic_load_explicit(&shm->stop, memory_order_relaxed))
			break;
		if (!counted && now_ns() >= deadline)
			break;
	}
done:
	*ops_out = ops;
	*attempts_out = attempts;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct slot *s = &shm->slots[w->index];
	uint64_t rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)(w->index + 1) * 0xBF58476D1CE4E5B9ull);
	unsigned PT = cfg.processes * cfg.threads;
	uint64_t rr = (uint64_t)(((unsigned __int128)cfg.sequences * w->index) / PT);
	struct vec v = {0};
	int64_t *last = NULL;
	uint8_t *seen = NULL;
	bool verify = cfg.verify && w->kind == PHASE_SHMSEQ;
	if (verify) {
		last = calloc(cfg.sequences, sizeof(*last));
		seen = calloc(cfg.sequences, 1);
		if (!last || !seen) {
			note_error(s, -ENOMEM, "no memory for --verify");
			verify = false;
		}
	}
	const uint64_t quota = w->quota;

	barrier_wait();
	const uint64_t deadline = shm->deadline_ns;
	uint64_t ops = 0, attempts = 0;
	if (atomic_load_explicit(&shm->stop, memory_order_relaxed))
		goto done;

	if (w->kind == PHASE_BARE) {
		ops = attempts = cfg.sequences > 1
					 ? baseline_loop(PHASE_BARE, false, s, quota, deadline, &rng, &rr)
					 : baseline_loop(PHASE_BARE, true, s, quota, deadline, &rng, &rr);
		goto done;
	}
	if (w->kind == PHASE_MUTEX) {
		ops = attempts = baseline_loop(PHASE_MUTEX, true, s, quota, deadline, &rng, &rr);
		goto done;
	}

	/* one loop per mode, and one for a single sequence: nothing the loop
	 * could decide once is decided per call */
#define SHMSEQ_LOOP(m, one)                                                                                  \
	shmseq_loop(m, one, w, s, verify ? &v : NULL, last, seen, quota, deadline, &rng, &rr, &ops, &attempts)
	if (cfg.mode == MODE_HANDLE && cfg.sequences == 1)
		SHMSEQ_LOOP(MODE_HANDLE, true);
	else if (cfg.mode == MODE_HANDLE)
		SHMSEQ_LOOP(MODE_HANDLE, false);
	else if (cfg.mode == MODE_NAME && cfg.sequences == 1)
		SHMSEQ_LOOP(MODE_NAME, true);
	else if (cfg.mode == MODE_NAME)
		SHMSEQ_LOOP(MODE_NAME, false);
	else
		SHMSEQ_LOOP(MODE_EXEC, false);
#undef SHMSEQ_LOOP
done:
	s->end_ns = now_ns();
	s->ops = ops;
	s->attempts = attempts;
	atomic_store_explicit(&s->progress, attempts, memory_order_relaxed);
	if (verify)
		dump_values(s, w->index, &v);
	free(v.vals);
	free(v.seqs);
	free(last);
	free(seen);
	return NULL;
}

/* Resident memory of this process, in kB, from /proc/self/status. */
static void read_proc_status(const char *path, uint64_t *rss, uint64_t *anon, uint64_t *shmem, uint64_t *hwm)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		if (rss && sscanf(line, "VmRSS: %llu kB", &v) == 1)
			*rss = v;
		else if (anon && sscanf(line, "RssAnon: %llu kB", &v) == 1)
			*anon = v;
		else if (shmem && sscanf(line, "RssShmem: %llu kB", &v) == 1)
			*shmem = v;
		else if (hwm && sscanf(line, "VmHWM: %llu kB", &v) == 1)
			*hwm = v;
	}
	fclose(f);
}

/* User + system CPU seconds of a process, from /proc/PID/stat; -1 unknown. */
static double proc_cpu_s(uint32_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip past the last ')' */
	char *p = strrchr(buf, ')');
	unsigned long long ut, st;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? (double)(ut + st) / (double)hz : -1;
}

/* Before the barrier: resolve every name once (the name cache) and take one
 * value of each sequence (its first window), through the handles when there
 * are some. Errors here are not fatal: the timed loop meets and counts them. */
static int warm_up(shmseq *conn, shmseq_seq **handles, struct proc_rec *pr)
{
	for (uint64_t i = 0; i < cfg.sequences; i++) {
		if (atomic_load_explicit(&shm->stop, memory_order_relaxed))
			return 0;
		shmseq_seq *h = handles ? handles[i] : NULL;
		int rc = h ? 0 : shmseq_seq_open(conn, seq_name(i), &h);
		if (rc < 0) {
			pr->setup_error = rc;
			snprintf(pr->setup_msg, ERRMSG_MAX, "open sequence %s: %s", seq_name(i),
				 shmseq_strerror(rc));
			return rc;
		}
		int64_t val;
		(void)shmseq_seq_nextval(h, &val);
		if (!handles)
			shmseq_seq_close(h);
	}
	return 0;
}

/* Body of worker process p: connect, open, run T threads. Never returns. */
static _Noreturn void worker_process(unsigned p, enum phase_kind kind)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	struct proc_rec *pr = &shm->procs[p];
	shmseq *conn = NULL;
	shmseq_seq **handles = NULL;
	int rc;

	if (kind == PHASE_SHMSEQ) {
		rc = shmseq_connect(cfg.instance, &conn);
		if (rc < 0) {
			pr->setup_error = rc;
			snprintf(pr->setup_msg, ERRMSG_MAX, "connect to instance '%s': %s",
				 cfg.instance ? cfg.instance : "(default)", shmseq_strerror(rc));
			goto fail;
		}
		uint64_t t0 = now_ns();
		if (cfg.mode == MODE_HANDLE) {
			handles = calloc(cfg.sequences, sizeof(*handles));
			if (!handles) {
				pr->setup_error = -ENOMEM;
				set_msg(pr->setup_msg, "no memory for handles");
				goto fail;
			}
			for (uint64_t i = 0; i < cfg.sequences; i++) {
				rc = shmseq_seq_open(conn, seq_name(i), &handles[i]);
				if (rc < 0) {
					pr->setup_error = rc;
					snprintf(pr->setup_msg, ERRMSG_MAX, "open sequence %s: %s",
						 seq_name(i), shmseq_strerror(rc));
					goto fail;
				}
			}
		}
		if (cfg.warmup && warm_up(conn, handles, pr) < 0)
			goto fail;
		pr->warmup_ns = now_ns() - t0;
	}

	unsigned T = cfg.threads, PT = cfg.processes * cfg.threads;
	struct worker *ws = calloc(T, sizeof(*ws));
	pthread_t *tids = calloc(T, sizeof(*tids));
	if (!ws || !tids) {
		pr->setup_error = -ENOMEM;
		set_msg(pr->setup_msg, "no memory for threads");
		goto fail;
	}
	unsigned started = 0;
	for (unsigned t = 0; t < T; t++) {
		unsigned g = p * T + t;
		ws[t] = (struct worker){
			.index = g,
			.quota = cfg.count / PT + (g < cfg.count % PT ? 1 : 0),
			.kind = kind,
			.conn = conn,
			.handles = handles,
		};
		rc = pthread_create(&tids[t], NULL, worker_main, &ws[t]);
		if (rc) {
			pr->setup_error = -rc;
			snprintf(pr->setup_msg, ERRMSG_MAX, "pthread_create: %s", strerror(rc));
			atomic_store(&shm->failed, 1);
			atomic_store(&shm->stop, 1);
			break;
		}
		started++;
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	if (kind == PHASE_SHMSEQ)
		read_proc_status("/proc/self/status", NULL, &pr->rss_anon_kb, &pr->rss_shmem_kb, &pr->hwm_kb);
	if (handles)
		for (uint64_t i = 0; i < cfg.sequences; i++)
			shmseq_seq_close(handles[i]);
	/* With many names cached, shmseq_disconnect() takes long (it removes
	 * them from the name cache one at a time: minutes for a million); the
	 * process exit releases all of it at once, and the daemon ends the
	 * session when the socket closes. */
	if (cfg.sequences <= DISCONNECT_MAX)
		shmseq_disconnect(conn);
	_exit(started == T ? 0 : 3);

fail:
	atomic_store(&shm->failed, 1);
	atomic_store(&shm->stop, 1);
	_exit(3);
}

/* ---- the parent side ---- */

static void progress_line(const char *what, uint64_t start, unsigned PT)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < PT; i++)
		sum += atomic_load_explicit(&shm->slots[i].progress, memory_order_relaxed);
	double el = (double)(now_ns() - start) / 1e9;
	fprintf(stderr, "\r%-8s %6.1f s  %14" PRIu64 " ops  %8.2f M ops/s\033[K", what, el, sum,
		el > 0 ? (double)sum / el / 1e6 : 0.0);
}

static bool daemon_status(struct shmseq_status *st);

static void daemon_before(struct daemon_info *di)
{
	di->have = daemon_status(&di->before);
	if (di->have)
		di->cpu_before_s = proc_cpu_s(di->before.daemon_pid);
}

/* Fork the workers of one phase, start them together, wait, sum up. The
 * phase's shared area stays mapped (in `shm`) for the caller to read slots. */
static int run_phase(enum phase_kind kind, struct phase_result *r)
{
	unsigned P = cfg.processes, T = cfg.threads, PT = P * T;
	size_t bytes = sizeof(struct phase_shm) + (size_t)PT * sizeof(struct slot);
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "shmseq-bench: mmap %zu bytes: %s\n", bytes, strerror(errno));
		return -1;
	}
	shm = m;
	memset(r, 0, sizeof(*r));
	if (kind == PHASE_BARE && cfg.sequences > 1) {
		size_t sz = cfg.sequences * BARE_STRIDE * sizeof(uint64_t);
		void *bs = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (bs == MAP_FAILED) {
			fprintf(stderr, "shmseq-bench: mmap %zu bytes: %s\n", sz, strerror(errno));
			return -1;
		}
		bare_slots = bs;
		/* touched before the clock, as the warm-up touches the region */
		for (uint64_t i = 0; i < cfg.sequences; i++)
			bare_slots[i * BARE_STRIDE] = 0;
	}
	const char *what = kind == PHASE_SHMSEQ ? mode_names[cfg.mode] : phase_names[kind];
	if (kind == PHASE_MUTEX) {
		pthread_mutexattr_t ma;
		int e = pthread_mutexattr_init(&ma);
		if (!e)
			e = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		if (!e)
			e = pthread_mutex_init(&shm->mutex, &ma);
		if (e) {
			fprintf(stderr, "shmseq-bench: a process-shared mutex: %s\n", strerror(e));
			return -1;
		}
		pthread_mutexattr_destroy(&ma);
		mutex_ready = true;
	}

	fflush(NULL);
	for (unsigned p = 0; p < P; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "shmseq-bench: fork: %s\n", strerror(errno));
			atomic_store(&shm->stop, 1);
			atomic_store_explicit(&shm->go, 1, memory_order_release);
			kill_workers();
			return -1;
		}
		if (pid == 0)
			worker_process(p, kind);
		worker_pids[nworker_pids++] = pid;
	}

	/* Wait for every thread at the barrier (or a failure), then start. */
	while (atomic_load(&shm->ready) < PT && !atomic_load(&shm->failed) && !interrupted) {
		int st;
		bool early_exit = false;
		for (unsigned i = 0; i < nworker_pids; i++) {
			if (worker_pids[i] > 0 && waitpid(worker_pids[i], &st, WNOHANG) == worker_pids[i]) {
				worker_pids[i] = -1;
				early_exit = true;
			}
		}
		if (early_exit) {
			atomic_store(&shm->failed, 1);
			break;
		}
		sleep_ms(1);
	}
	if (atomic_load(&shm->failed) || interrupted)
		atomic_store(&shm->stop, 1);
	else if (kind == PHASE_SHMSEQ && phase_daemon)
		daemon_before(phase_daemon); /* after the warm-up: count the timed run only */
	uint64_t start = now_ns();
	shm->start_ns = start;
	shm->deadline_ns = start + (uint64_t)(cfg.duration_s * 1e9);
	/* pairs with the acquire load in barrier_wait(): publishes deadline_ns */
	atomic_store_explicit(&shm->go, 1, memory_order_release);

	bool live = isatty(STDERR_FILENO) && !cfg.json;
	bool shown = false;
	uint64_t last_shown = 0;
	unsigned remaining = 0;
	for (unsigned i = 0; i < nworker_pids; i++)
		remaining += worker_pids[i] > 0;
	bool killed = false;
	while (remaining) {
		int st;
		for (unsigned i = 0; i < nworker_pids; i++) {
			if (worker_pids[i] <= 0)
				continue;
			pid_t w = waitpid(worker_pids[i], &st, WNOHANG);
			if (w == worker_pids[i] || (w < 0 && errno == ECHILD)) {
				worker_pids[i] = -1;
				remaining--;
				if (w > 0 && WIFSIGNALED(st) && !interrupted)
					fprintf(stderr,
						"%sshmseq-bench: worker process %u died of signal %d\n",
						shown ? "\n" : "", i, WTERMSIG(st));
				if (w > 0 && WIFSIGNALED(st))
					r->setup_failed = true;
			}
		}
		if (!remaining)
			break;
		if (interrupted && !killed) {
			/* the handler set stop; give workers a moment, then insist */
			sleep_ms(200);
			for (unsigned i = 0; i < nworker_pids; i++)
				if (worker_pids[i] > 0)
					kill(worker_pids[i], SIGTERM);
			killed = true;
		}
		uint64_t now = now_ns();
		if (live && now - start > 1000000000ull && now - last_shown > 250000000ull) {
			progress_line(what, start, PT);
			shown = true;
			last_shown = now;
		}
		sleep_ms(5);
	}
	nworker_pids = 0;
	if (shown)
		fputs("\r\033[K", stderr);

	uint64_t end = start;
	uint64_t *hist = r->hist;
	for (unsigned p = 0; p < P; p++) {
		const struct proc_rec *pr = &shm->procs[p];
		if (pr->warmup_ns > r->warmup_ns_max)
			r->warmup_ns_max = pr->warmup_ns;
		if (pr->rss_anon_kb > r->rss_anon_kb_max)
			r->rss_anon_kb_max = pr->rss_anon_kb;
		if (pr->rss_shmem_kb > r->rss_shmem_kb_max)
			r->rss_shmem_kb_max = pr->rss_shmem_kb;
		if (pr->hwm_kb > r->hwm_kb_max)
			r->hwm_kb_max = pr->hwm_kb;
	}
	for (unsigned i = 0; i < PT; i++) {
		struct slot *s = &shm->slots[i];
		r->ops += s->ops;
		r->errors += s->errors;
		if (s->end_ns > end)
			end = s->end_ns;
		r->samples += s->samples;
		if (s->max_ns > r->max_ns)
			r->max_ns = s->max_ns;
		for (unsigned b = 0; b < HIST_BUCKETS; b++)
			hist[b] += s->hist[b];
	}
	if (atomic_load(&shm->failed))
		r->setup_failed = true;
	r->interrupted = interrupted;
	r->elapsed_ns = end - start;
	double el = (double)r->elapsed_ns;
	r->ops_per_s = el > 0 ? (double)r->ops / (el / 1e9) : 0;
	r->ns_per_op = r->ops ? el * PT / (double)r->ops : 0;
	r->p50 = hist_percentile(hist, r->samples, 0.50, r->max_ns);
	r->p99 = hist_percentile(hist, r->samples, 0.99, r->max_ns);
	r->p999 = hist_percentile(hist, r->samples, 0.999, r->max_ns);
	return 0;
}

static void report_setup_errors(void)
{
	for (unsigned p = 0; p < cfg.processes; p++)
		if (shm->procs[p].setup_error)
			fprintf(stderr, "shmseq-bench: worker process %u: %s\n", p, shm->procs[p].setup_msg);
}

static void free_phase(void)
{
	if (shm && mutex_ready)
		pthread_mutex_destroy(&shm->mutex);
	mutex_ready = false;
	if (bare_slots)
		munmap(bare_slots, cfg.sequences * BARE_STRIDE * sizeof(uint64_t));
	bare_slots = NULL;
	if (shm)
		munmap(shm,
		       sizeof(struct phase_shm) + (size_t)cfg.processes * cfg.threads * sizeof(struct slot));
	shm = NULL;
}

/* ---- verify ---- */

struct rec {
	int64_t v;
	uint32_t seq;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (x->v > y->v) - (x->v < y->v);
}

static bool read_file(const char *path, void *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool ok = fread(buf, 1, size, f) == size;
	fclose(f);
	return ok;
}

struct verify_result {
	bool ran, ok;
	uint64_t values, duplicates, violations;
	bool mixed_direction;
	int direction;
};

/* Reads the slots of the shmseq phase (shm still mapped). */
static void verify(struct verify_result *vr)
{
	unsigned PT = cfg.processes * cfg.threads;
	uint64_t total = 0;
	int dir = 0;
	memset(vr, 0, sizeof(*vr));
	vr->ran = true;
	vr->ok = true;
	for (unsigned i = 0; i < PT; i++) {
		struct slot *s = &shm->slots[i];
		if (s->write_error) {
			fprintf(stderr, "verify: thread %u could not keep its values: %s\n", i,
				strerror(s->write_error));
			vr->ok = false;
		}
		if (s->violations) {
			fprintf(stderr,
				"verify: thread %u: %" PRIu64 " out-of-order steps; first on %s: %" PRId64
				" then %" PRId64 "\n",
				i, s->violations, seq_name(s->viol_seq), s->viol_prev, s->viol_cur);
			vr->violations += s->violations;
			vr->ok = false;
		}
		if (s->direction) {
			if (dir && dir != s->direction)
				vr->mixed_direction = true;
			dir = s->direction;
		}
		total += s->recorded;
	}
	if (vr->mixed_direction) {
		fprintf(stderr, "verify: threads saw values move in different directions\n");
		vr->ok = false;
	}
	vr->values = total;
	vr->direction = dir;
	bool multi = cfg.sequences > 1;
	void *all = malloc(total ? total * (multi ? sizeof(struct rec) : sizeof(int64_t)) : 1);
	int64_t *tmpv = NULL;
	uint32_t *tmps = NULL;
	if (!all) {
		fprintf(stderr, "verify: no memory for %" PRIu64 " values\n", total);
		vr->ok = false;
		return;
	}
	uint64_t at = 0;
	char path[PATH_MAX + 32];
	for (unsigned i = 0; i < PT; i++) {
		uint64_t n = shm->slots[i].recorded;
		if (!n)
			continue;
		snprintf(path, sizeof(path), "%s/v%u", tmpdir, i);
		if (!multi) {
			if (!read_file(path, (int64_t *)all + at, n * sizeof(int64_t)))
				goto unreadable;
		} else {
			tmpv = realloc(tmpv, n * sizeof(*tmpv));
			tmps = realloc(tmps, n * sizeof(*tmps));
			if (!tmpv || !tmps || !read_file(path, tmpv, n * sizeof(*tmpv)))
				goto unreadable;
			snprintf(path, sizeof(path), "%s/s%u", tmpdir, i);
			if (!read_file(path, tmps, n * sizeof(*tmps)))
				goto unreadable;
			struct rec *rs = (struct rec *)all + at;
			for (uint64_t j = 0; j < n; j++)
				rs[j] = (struct rec){tmpv[j], tmps[j]};
		}
		snprintf(path, sizeof(path), "%s/v%u", tmpdir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/s%u", tmpdir, i);
		unlink(path);
		at += n;
	}
	free(tmpv);
	free(tmps);
	if (!multi) {
		int64_t *a = all;
		qsort(a, total, sizeof(*a), cmp_i64);
		for (uint64_t j = 1; j < total; j++)
			if (a[j] == a[j - 1] && vr->duplicates++ < 5)
				fprintf(stderr, "verify: value %" PRId64 " handed out more than once\n",
					a[j]);
	} else {
		struct rec *a = all;
		qsort(a, total, sizeof(*a), cmp_rec);
		for (uint64_t j = 1; j < total; j++)
			if (a[j].v == a[j - 1].v && a[j].seq == a[j - 1].seq && vr->duplicates++ < 5)
				fprintf(stderr, "verify: %s: value %" PRId64 " handed out more than once\n",
					seq_name(a[j].seq), a[j].v);
	}
	if (vr->duplicates) {
		fprintf(stderr, "verify: %" PRIu64 " duplicate values\n", vr->duplicates);
		vr->ok = false;
	}
	free(all);
	return;
unreadable:
	fprintf(stderr, "verify: cannot read %s: %s\n", path, strerror(errno));
	free(tmpv);
	free(tmps);
	free(all);
	vr->ok = false;
}

/* ---- setup: daemon, names, CREATE ---- */

static void make_tmpdir(void)
{
	if (tmpdir[0])
		return;
	int r = tmpdir_make(tmpdir, sizeof(tmpdir), NULL, "shmseq-bench-");
	if (r < 0) {
		fprintf(stderr, "shmseq-bench: mkdtemp in %s: %s\n",
			getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(-r));
		exit(1);
	}
}

static void start_daemon(void)
{
	const char *path = cfg.daemon_path ? cfg.daemon_path : getenv("SHMSEQD");
	if (!path || !*path)
		path = "shmseqd";
	make_tmpdir();
	char run[PATH_MAX + 8], data[PATH_MAX + 8];
	snprintf(run, sizeof(run), "%s/run", tmpdir);
	snprintf(data, sizeof(data), "%s/data", tmpdir);
	if (mkdir(run, 0700) < 0 || mkdir(data, 0700) < 0) {
		fprintf(stderr, "shmseq-bench: mkdir under %s: %s\n", tmpdir, strerror(errno));
		die_cleanup(1);
	}
	snprintf(instance_buf, sizeof(instance_buf), "bench-%ld", (long)getpid());
	cfg.instance = instance_buf;
	setenv("SHMSEQ_RUNTIME_DIR", run, 1);

	char maxseq[32];
	snprintf(maxseq, sizeof(maxseq), "%" PRIu64, cfg.sequences + 1024);
	bool more_slots = cfg.sequences + 1024 > 1048576;
	const char *argv[] = {path,	    "--instance", instance_buf,
			      "--data-dir", data,	  more_slots ? "--max-sequences" : NULL,
			      maxseq,	    NULL};
	/* own process group: a terminal ^C reaches the parent, which stops the
	 * daemon after the workers */
	struct spawn_opts o = {.argv = argv,
			       .ready_flag = "--ready-fd",
			       .own_group = true,
			       .prog = "shmseq-bench",
			       .hint = " (set $SHMSEQD or --daemon)"};
	struct spawn sp;
	int r = spawn_start(&sp, &o);
	if (r < 0) {
		fprintf(stderr, "shmseq-bench: fork: %s\n", strerror(-r));
		die_cleanup(1);
	}
	daemon_pid = sp.pid;
	int code = 0;
	r = spawn_await_ready(&sp, DAEMON_READY_MS, &code);
	if (r < 0) {
		daemon_pid = 0;
		if (r == -ETIMEDOUT)
			fprintf(stderr, "shmseq-bench: %s did not report ready in %d s\n", path,
				DAEMON_READY_MS / 1000);
		else if (code > 128)
			fprintf(stderr, "shmseq-bench: %s exited before it was ready (signal %d)\n", path,
				code - 128);
		else
			fprintf(stderr, "shmseq-bench: %s exited before it was ready (status %d)\n", path,
				code);
		die_cleanup(1);
	}
}

static void build_names(void)
{
	char longest[SHMSEQ_NAME_MAX + 32];
	size_t len = (size_t)snprintf(longest, sizeof(longest), "%s_%" PRIu64, cfg.sequence, cfg.sequences);
	name_stride = (len + 1 + 7) & ~(size_t)7;
	name_buf = aligned_alloc(64, (cfg.sequences * name_stride + 63) & ~(size_t)63);
	if (!name_buf) {
		fprintf(stderr, "shmseq-bench: no memory for %" PRIu64 " names\n", cfg.sequences);
		exit(1);
	}
	for (uint64_t i = 0; i < cfg.sequences; i++) {
		char *at = name_buf + i * name_stride;
		if (cfg.sequences == 1)
			snprintf(at, name_stride, "%s", cfg.sequence);
		else
			snprintf(at, name_stride, "%s_%" PRIu64, cfg.sequence, i);
	}
}

/* Creating K sequences: up to CREATE_BATCH statements per shmseq_exec call, from
 * create_threads connections at once. Each CREATE returns once its record is
 * durable; the daemon's group commit makes one fdatasync serve every record
 * that arrived meanwhile, so concurrent connections share the syncs. */
struct creator {
	pthread_t tid;
	uint64_t end_ns; /* when it finished */
	int error;	 /* 0, or the first failure (already printed) */
};

static _Atomic uint64_t create_next; /* the next batch's first index */
static uint64_t create_batch;	     /* statements per shmseq_exec call */
static _Atomic uint64_t create_done; /* statements done, for the progress line */
static _Atomic int create_failed;
static pthread_mutex_t create_print = PTHREAD_MUTEX_INITIALIZER;

/* Record a creator's failure; only the first one of the run is printed. */
static void create_fail(struct creator *cr, int err, const char *what, const char *why)
{
	if (!atomic_exchange(&create_failed, 1)) {
		pthread_mutex_lock(&create_print);
		fprintf(stderr, "shmseq-bench: %s: %s\n", what, why);
		pthread_mutex_unlock(&create_print);
	}
	cr->error = err ? err : -EIO;
}

static void *creator_main(void *arg)
{
	struct creator *cr = arg;
	shmseq *conn;
	int rc = shmseq_connect(cfg.instance, &conn);
	if (rc < 0) {
		create_fail(cr, rc, "connect", shmseq_strerror(rc));
		return NULL;
	}
	size_t stmt_max = strlen(cfg.sequence) + strlen(cfg.create) + 64;
	char *sql = malloc(stmt_max * create_batch + 1);
	if (!sql) {
		create_fail(cr, -ENOMEM, "CREATE", "no memory for the statements");
		shmseq_disconnect(conn);
		return NULL;
	}
	while (!interrupted && !atomic_load(&create_failed)) {
		uint64_t i = atomic_fetch_add(&create_next, create_batch);
		if (i >= cfg.sequences)
			break;
		uint64_t end = i + create_batch < cfg.sequences ? i + create_batch : cfg.sequences;
		size_t at = 0;
		for (uint64_t j = i; j < end; j++)
			at += (size_t)sprintf(sql + at, "CREATE OR REPLACE SEQUENCE %s %s;", seq_name(j),
					      cfg.create);
		shmseq_result *res = NULL;
		rc = shmseq_exec(conn, sql, &res);
		if (rc < 0) {
			create_fail(cr, rc, "CREATE", shmseq_strerror(rc));
			break;
		}
		uint64_t n = 0;
		for (const shmseq_result *r = res; r; r = shmseq_result_next(r), n++) {
			int e = shmseq_result_error(r);
			if (e < 0) {
				create_fail(cr, e, shmseq_result_statement(r), shmseq_result_message(r));
				break;
			}
		}
		shmseq_result_free(res);
		if (!cr->error && n != end - i)
			create_fail(cr, -EPROTO, "CREATE", "a batch did not run all its statements");
		if (cr->error)
			break;
		atomic_fetch_add(&create_done, end - i);
	}
	cr->end_ns = now_ns();
	free(sql);
	shmseq_disconnect(conn);
	return NULL;
}

/* shmseq_status() on a connection of this process. */
static bool status_here(struct shmseq_status *st)
{
	shmseq *conn;
	if (shmseq_connect(cfg.instance, &conn) < 0)
		return false;
	bool ok = shmseq_status(conn, st) == 0;
	shmseq_disconnect(conn);
	return ok;
}

/* The parent never uses the library itself: what it needs of the daemon it
 * asks through a short-lived child. A process's first connection is the
 * only one libshmseq gives an auto-resizing name cache (a child of a process
 * that connected gets fixed buckets), so every worker process must be a
 * child of a process that never connected, like the workers of an
 * application's clean master. fn runs in the child and leaves its results
 * in `shared`, a MAP_SHARED area. */
static int run_in_child(int (*fn)(void *), void *shared)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "shmseq-bench: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(fn(shared) < 0 ? 1 : 0);
	int st;
	bool forwarded = false;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
		if (interrupted && !forwarded) {
			kill(pid, SIGTERM);
			forwarded = true;
		}
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void *shared_alloc(size_t bytes)
{
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

static int status_child(void *shared)
{
	return status_here(shared) ? 0 : -1;
}

/* The daemon's status (fdatasyncs, region, pid), or false when it cannot be had. */
static bool daemon_status(struct shmseq_status *st)
{
	struct shmseq_status *sh = shared_alloc(sizeof(*sh));
	if (!sh)
		return false;
	bool ok = run_in_child(status_child, sh) == 0;
	if (ok)
		*st = *sh;
	munmap(sh, sizeof(*sh));
	return ok;
}

/* What the creating child hands back. */
struct create_out {
	uint64_t ns, syncs;
	bool syncs_known;
	unsigned threads_used;
};

static int create_here(void *shared)
{
	struct create_out *out = shared;
	unsigned n = cfg.create_threads;
	/* batches small enough to keep every connection busy */
	create_batch = (cfg.sequences + n - 1) / n;
	if (create_batch > CREATE_BATCH)
		create_batch = CREATE_BATCH;
	uint64_t batches = (cfg.sequences + create_batch - 1) / create_batch;
	if (n > batches)
		n = (unsigned)batches;
	out->threads_used = n;
	struct creator *crs = calloc(n, sizeof(*crs));
	if (!crs) {
		fprintf(stderr, "shmseq-bench: no memory for %u creator threads\n", n);
		return -1;
	}
	struct shmseq_status st0, st1;
	bool have0 = status_here(&st0);
	uint64_t t0 = now_ns(), last_shown = t0;
	bool live = isatty(STDERR_FILENO) && !cfg.json, shown = false;
	unsigned started = 0;
	int ret = 0;
	for (; started < n; started++) {
		int e = pthread_create(&crs[started].tid, NULL, creator_main, &crs[started]);
		if (e) {
			fprintf(stderr, "shmseq-bench: pthread_create: %s\n", strerror(e));
			atomic_store(&create_failed, 1);
			ret = -1;
			break;
		}
	}
	/* on a terminal, the progress line until every creator is done */
	while (live && started && atomic_load(&create_done) < cfg.sequences && !atomic_load(&create_failed) &&
	       !interrupted) {
		sleep_ms(20);
		uint64_t now = now_ns();
		if (now - t0 > 1000000000ull && now - last_shown > 250000000ull) {
			fprintf(stderr, "\rcreating sequences: %" PRIu64 " / %" PRIu64 "\033[K",
				atomic_load(&create_done), cfg.sequences);
			shown = true;
			last_shown = now;
		}
	}
	uint64_t end = t0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(crs[i].tid, NULL);
		if (crs[i].error)
			ret = -1;
		if (crs[i].end_ns > end)
			end = crs[i].end_ns;
	}
	out->ns = end - t0;
	if (shown)
		fputs("\r\033[K", stderr);
	if (ret == 0 && have0 && status_here(&st1)) {
		out->syncs = st1.syncs - st0.syncs;
		out->syncs_known = true;
	}
	free(crs);
	if (interrupted)
		return -1;
	return ret;
}

/* CREATE the K sequences, from a child process (see run_in_child). */
static int create_sequences(void)
{
	struct create_out *out = shared_alloc(sizeof(*out));
	if (!out) {
		fprintf(stderr, "shmseq-bench: mmap: %s\n", strerror(errno));
		return -1;
	}
	int rc = run_in_child(create_here, out);
	create_ns = out->ns;
	create_syncs = out->syncs;
	create_syncs_known = out->syncs_known;
	create_threads_used = out->threads_used;
	munmap(out, sizeof(*out));
	return rc;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs("Usage: shmseq-bench [OPTIONS]\n"
	      "Measure NEXTVAL throughput and latency of a shmseq instance, next to a bare\n"
	      "atomic fetch-and-add on shared memory with the same processes and threads.\n\n"
	      "  -i, --instance NAME      instance to use (default $SHMSEQ_INSTANCE or 'default')\n"
	      "      --self-daemon        start a private shmseqd for the run, stop it after\n"
	      "      --daemon PATH        the shmseqd to start (default $SHMSEQD, else from PATH)\n"
	      "  -p, --processes P        worker processes (default 1)\n"
	      "  -t, --threads T          threads per process (default 1)\n"
	      "  -d, --duration S         run for S seconds (default 2; decimals allowed)\n"
	      "  -n, --count N            instead: N NEXTVAL calls in all, split over the threads\n"
	      "  -s, --sequence NAME      sequence name (default 'bench')\n"
	      "  -m, --mode MODE          handle: shmseq_seq_nextval on an opened handle (default)\n"
	      "                           name:   shmseq_nextval by name\n"
	      "                           exec:   shmseq_exec(\"SELECT NEXTVAL(name)\")\n"
	      "  -c, --create 'OPTIONS'   first run CREATE OR REPLACE SEQUENCE NAME OPTIONS\n"
	      "                           (done with empty OPTIONS by default with --self-daemon)\n"
	      "      --create-threads N   connections creating the sequences at once (default 64):\n"
	      "                           the daemon's group commit shares each fdatasync\n"
	      "  -k, --sequences K        use K sequences NAME_0 .. NAME_K-1 (default 1: just NAME)\n"
	      "      --pick HOW           which of the K each call takes: random (default) or\n"
	      "                           round-robin (each thread from its own starting point)\n"
	      "      --no-warmup          time the cold start: by default each process resolves\n"
	      "                           every name and takes one value of each sequence first\n"
	      "      --verify             record every value; check each thread's values move\n"
	      "                           one way and no value was handed out twice\n"
	      "                           (for NOCYCLE sequences; memory: 8 bytes a value)\n"
	      "  -b, --baseline LIST      what to run next to shmseq, same processes and threads,\n"
	      "                           same duration: comma-separated from\n"
	      "                             faa    a bare atomic fetch-and-add on shared memory\n"
	      "                                    (with K sequences: on K counters 128 bytes\n"
	      "                                    apart, like the region's slots, picked alike)\n"
	      "                             mutex  a counter behind a process-shared pthread mutex\n"
	      "                             none\n"
	      "                           (default faa)\n"
	      "      --no-bare            the same as --baseline none\n"
	      "  -f, --format FORMAT      text (default) or json\n"
	      "      --histogram          text: also print the latency histogram\n"
	      "  -h, --help               this text\n\n"
	      "ns/op is wall time per operation per thread: elapsed x P x T / operations.\n"
	      "Latency percentiles come from timing one call in 64 (the baselines too).\n"
	      "A progress line is shown on a terminal.\n"
	      "Exit status: 0 ok, 1 errors or a --verify violation, 2 bad options.\n",
	      f);
}

static _Noreturn void bad_option(const char *msg, const char *arg)
{
	fprintf(stderr, "shmseq-bench: %s%s%s%s\n", msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	fprintf(stderr, "Try 'shmseq-bench --help'.\n");
	exit(2);
}

static uint64_t parse_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
		fprintf(stderr,
			"shmseq-bench: --%s wants a whole number from %" PRIu64 " to %" PRIu64 ", not '%s'\n",
			opt, lo, hi, s);
		exit(2);
	}
	return v;
}

static void parse_baselines(const char *arg)
{
	cfg.bare = cfg.mutex = false;
	const char *p = arg;
	for (;;) {
		size_t n = strcspn(p, ",");
		if (n == 3 && !strncmp(p, "faa", 3))
			cfg.bare = true;
		else if (n == 5 && !strncmp(p, "mutex", 5))
			cfg.mutex = true;
		else if (!(n == 4 && !strncmp(p, "none", 4)))
			bad_option("--baseline wants a list of faa, mutex and none, not", arg);
		if (!p[n])
			break;
		p += n + 1;
	}
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SHMSEQ_NAME_MAX)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '$'))
			return false;
	return true;
}

static void parse_options(int argc, char **argv)
{
	enum { O_SELF = 256, O_DAEMON, O_VERIFY, O_NOBARE, O_PICK, O_CTHREADS, O_NOWARM, O_HIST };
	static const struct option opts[] = {
		{"instance", required_argument, NULL, 'i'},
		{"self-daemon", no_argument, NULL, O_SELF},
		{"daemon", required_argument, NULL, O_DAEMON},
		{"processes", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},
		{"duration", required_argument, NULL, 'd'},
		{"count", required_argument, NULL, 'n'},
		{"sequence", required_argument, NULL, 's'},
		{"mode", required_argument, NULL, 'm'},
		{"create", required_argument, NULL, 'c'},
		{"sequences", required_argument, NULL, 'k'},
		{"verify", no_argument, NULL, O_VERIFY},
		{"baseline", required_argument, NULL, 'b'},
		{"no-bare", no_argument, NULL, O_NOBARE},
		{"pick", required_argument, NULL, O_PICK},
		{"create-threads", required_argument, NULL, O_CTHREADS},
		{"no-warmup", no_argument, NULL, O_NOWARM},
		{"histogram", no_argument, NULL, O_HIST},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	cfg = (struct config){
		.processes = 1,
		.threads = 1,
		.duration_s = 2.0,
		.sequence = "bench",
		.mode = MODE_HANDLE,
		.sequences = 1,
		.pick = PICK_RANDOM,
		.create_threads = CREATE_THREADS,
		.warmup = true,
		.bare = true,
	};
	bool have_duration = false;
	int c;
	while ((c = getopt_long(argc, argv, "i:p:t:d:n:s:m:c:k:b:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			cfg.instance = optarg;
			break;
		case O_SELF:
			cfg.self_daemon = true;
			break;
		case O_DAEMON:
			cfg.daemon_path = optarg;
			break;
		case 'p':
			cfg.processes = (unsigned)parse_uint("processes", optarg, 1, MAX_WORKERS);
			break;
		case 't':
			cfg.threads = (unsigned)parse_uint("threads", optarg, 1, MAX_WORKERS);
			break;
		case 'd': {
			char *end;
			errno = 0;
			double d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(d > 0) || d > 86400)
				bad_option("--duration wants seconds above 0 (at most 86400), not", optarg);
			cfg.duration_s = d;
			have_duration = true;
			break;
		}
		case 'n':
			cfg.count = parse_uint("count", optarg, 1, UINT64_MAX / 2);
			break;
		case 's':
			cfg.sequence = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "handle"))
				cfg.mode = MODE_HANDLE;
			else if (!strcmp(optarg, "name"))
				cfg.mode = MODE_NAME;
			else if (!strcmp(optarg, "exec"))
				cfg.mode = MODE_EXEC;
			else
				bad_option("--mode wants handle, name or exec, not", optarg);
			break;
		case 'c':
			cfg.create = optarg;
			break;
		case 'k':
			cfg.sequences = parse_uint("sequences", optarg, 1, UINT32_MAX);
			break;
		case O_VERIFY:
			cfg.verify = true;
			break;
		case O_NOBARE:
			cfg.bare = cfg.mutex = false;
			break;
		case 'b':
			parse_baselines(optarg);
			break;
		case O_PICK:
			if (!strcmp(optarg, "random"))
				cfg.pick = PICK_RANDOM;
			else if (!strcmp(optarg, "round-robin") || !strcmp(optarg, "rr"))
				cfg.pick = PICK_ROUND_ROBIN;
			else
				bad_option("--pick wants random or round-robin, not", optarg);
			break;
		case O_CTHREADS:
			cfg.create_threads = (unsigned)parse_uint("create-threads", optarg, 1, 1024);
			break;
		case O_NOWARM:
			cfg.warmup = false;
			break;
		case O_HIST:
			cfg.histogram = true;
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				cfg.json = false;
			else if (!strcmp(optarg, "json"))
				cfg.json = true;
			else
				bad_option("--format wants text or json, not", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'shmseq-bench --help'.\n");
			exit(2);
		}
	}
	if (optind < argc)
		bad_option("unexpected argument", argv[optind]);
	if (have_duration && cfg.count)
		bad_option("give --duration or --count, not both", NULL);
	if ((uint64_t)cfg.processes * cfg.threads > MAX_WORKERS)
		bad_option("--processes x --threads is at most 4096", NULL);
	if (cfg.self_daemon && cfg.instance)
		bad_option("--self-daemon makes its own instance: drop --instance", NULL);
	if (cfg.daemon_path && !cfg.self_daemon)
		bad_option("--daemon only goes with --self-daemon", NULL);
	char longest[SHMSEQ_NAME_MAX + 32];
	snprintf(longest, sizeof(longest), "%s_%" PRIu64, cfg.sequence,
		 cfg.sequences > 1 ? cfg.sequences - 1 : 0);
	if (!valid_name(cfg.sequence) || (cfg.sequences > 1 && !valid_name(longest)))
		bad_option("--sequence wants a plain name (letters, digits, '_', '$'; with --sequences"
			   " K it plus '_K' at most 64 bytes), not",
			   cfg.sequence);
	if (cfg.create && strchr(cfg.create, ';'))
		bad_option("--create takes sequence options, not statements:", cfg.create);
	if (cfg.self_daemon && !cfg.create)
		cfg.create = "";
}

/* ---- output ---- */

static void human_rate(char *buf, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(buf, n, "%.3f G", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%.3f M", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, n, "%.3f k", v / 1e3);
	else
		snprintf(buf, n, "%.1f ", v);
}

static void print_hist_text(const char *what, const struct phase_result *r)
{
	uint64_t pow2[64], top = 0;
	hist_fold_pow2(r->hist, pow2);
	int lo = -1, hi = -1;
	for (int k = 0; k < 64; k++) {
		if (!pow2[k])
			continue;
		if (lo < 0)
			lo = k;
		hi = k;
		if (pow2[k] > top)
			top = pow2[k];
	}
	if (lo < 0)
		return;
	printf("histogram       %s, ns per call (1 call in 64 timed):\n", what);
	for (int k = lo; k <= hi; k++) {
		uint64_t from = k ? (uint64_t)1 << k : 0, to = ((uint64_t)1 << (k + 1)) - 1;
		int bar = (int)((pow2[k] * 50 + top - 1) / top);
		printf("  %12" PRIu64 " .. %-12" PRIu64 " %12" PRIu64 " %6.2f%%  %.*s\n", from, to, pow2[k],
		       100.0 * (double)pow2[k] / (double)r->samples, bar,
		       "##################################################");
	}
}

static void print_baseline_text(const char *label, const struct phase_result *b, const struct phase_result *r)
{
	char rate[32];
	human_rate(rate, sizeof(rate), b->ops_per_s);
	printf("%-15s %sops/s, %.2f ns per op per thread (%.3f s, %" PRIu64 " ops)\n", label, rate,
	       b->ns_per_op, (double)b->elapsed_ns / 1e9, b->ops);
	printf("%-15s p50 %" PRIu64 " ns, p99 %" PRIu64 " ns, p99.9 %" PRIu64 " ns, max %" PRIu64 " ns\n", "",
	       b->p50, b->p99, b->p999, b->max_ns);
	if (b->ns_per_op > 0 && r->ns_per_op > 0)
		printf("%-15s %.2fx its cost (shmseq ops/s = %.3fx its ops/s)\n", "ratio",
		       r->ns_per_op / b->ns_per_op, r->ops_per_s / b->ops_per_s);
}

static void print_text(const struct phase_result *r, const struct phase_result *b,
		       const struct phase_result *mx, const struct verify_result *vr,
		       const struct daemon_info *di)
{
	char rate[32];
	unsigned P = cfg.processes, T = cfg.threads;
	printf("mode            %s, %u process%s x %u thread%s, %" PRIu64 " sequence%s%s%s%s%s%s\n",
	       mode_names[cfg.mode], P, P == 1 ? "" : "es", T, T == 1 ? "" : "s", cfg.sequences,
	       cfg.sequences == 1 ? "" : "s", cfg.sequences > 1 ? " picked " : "",
	       cfg.sequences > 1 ? pick_names[cfg.pick] : "", cfg.create ? " (" : "",
	       cfg.create ? (*cfg.create ? cfg.create : "default options") : "", cfg.create ? ")" : "");
	if (cfg.create) {
		double cs = (double)create_ns / 1e9;
		printf("create          %" PRIu64 " sequence%s in %.3f s (%.0f per s, %u connection%s",
		       cfg.sequences, cfg.sequences == 1 ? "" : "s", cs,
		       cs > 0 ? (double)cfg.sequences / cs : 0.0, create_threads_used,
		       create_threads_used == 1 ? "" : "s");
		if (create_syncs_known && create_syncs)
			printf(", %" PRIu64 " fdatasyncs: %.1f CREATEs per sync", create_syncs,
			       (double)cfg.sequences / (double)create_syncs);
		printf(")\n");
	}
	if (cfg.warmup)
		printf("warm-up         %.3f s (each process resolves every name and takes one value of "
		       "each)\n",
		       (double)r->warmup_ns_max / 1e9);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus > 0 && (long)(P * T) > cpus)
		printf("note            %u threads on %ld CPUs: ns/op includes time-slicing\n", P * T, cpus);
	printf("duration        %.3f s\n", (double)r->elapsed_ns / 1e9);
	printf("total ops       %" PRIu64 "\n", r->ops);
	human_rate(rate, sizeof(rate), r->ops_per_s);
	printf("ops/s           %sops/s\n", rate);
	printf("ns/op           %.2f ns per op per thread\n", r->ns_per_op);
	printf("errors          %" PRIu64 "\n", r->errors);
	printf("latency         p50 %" PRIu64 " ns, p99 %" PRIu64 " ns, p99.9 %" PRIu64 " ns, max %" PRIu64
	       " ns (%" PRIu64 " samples, 1 op in 64)\n",
	       r->p50, r->p99, r->p999, r->max_ns, r->samples);
	if (b)
		print_baseline_text("bare fetch-add", b, r);
	if (mx)
		print_baseline_text("mutex counter", mx, r);
	if (di->have) {
		uint64_t syncs = di->after.syncs - di->before.syncs;
		uint64_t recs = di->after.records - di->before.records;
		printf("daemon          %" PRIu64 " fdatasyncs, %" PRIu64 " log records during the run",
		       syncs, recs);
		if (syncs)
			printf(" (%.1f values per sync)", (double)r->ops / (double)syncs);
		if (di->have_cpu)
			printf(", %.2f s of CPU", di->cpu_after_s - di->cpu_before_s);
		printf("\n");
		const struct shmseq_status *st = &di->after;
		if (st->capacity)
			printf("region          %" PRIu64 " bytes for %" PRIu64
			       " slots: %.1f bytes per sequence;"
			       " %" PRIu64 " live sequence%s\n",
			       st->region_bytes, st->capacity,
			       (double)st->region_bytes / (double)st->capacity, st->sequences,
			       st->sequences == 1 ? "" : "s");
		if (di->have_mem)
			printf("daemon memory   %" PRIu64 " kB resident: %" PRIu64 " kB private, %" PRIu64
			       " kB shared (peak %" PRIu64 " kB)\n",
			       di->rss_kb, di->rss_anon_kb, di->rss_shmem_kb, di->hwm_kb);
	}
	if (r->rss_anon_kb_max || r->rss_shmem_kb_max)
		printf("client memory   %" PRIu64 " kB private, %" PRIu64 " kB shared resident"
		       " (largest worker process; peak RSS %" PRIu64 " kB)\n",
		       r->rss_anon_kb_max, r->rss_shmem_kb_max, r->hwm_kb_max);
	if (cfg.histogram) {
		print_hist_text("shmseq", r);
		if (b)
			print_hist_text("bare fetch-add", b);
		if (mx)
			print_hist_text("mutex counter", mx);
	}
	if (vr->ran) {
		if (vr->ok)
			printf("verify: %" PRIu64 " values, all distinct, each thread %s%s\n", vr->values,
			       vr->direction < 0 ? "decreasing" : "increasing",
			       cfg.sequences > 1 ? " per sequence" : "");
		else
			printf("verify: FAILED: %" PRIu64 " values, %" PRIu64 " duplicates, %" PRIu64
			       " out-of-order steps%s\n",
			       vr->values, vr->duplicates, vr->violations,
			       vr->mixed_direction ? ", mixed directions" : "");
	}
}

/* "latency_ns":{…} with the non-empty histogram buckets as [upper bound, count]. */
static void print_latency_json(const struct phase_result *r)
{
	printf("\"latency_ns\":{\"samples\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
	       ",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 ",\"histogram\":[",
	       r->samples, r->p50, r->p99, r->p999, r->max_ns);
	bool first = true;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!r->hist[i])
			continue;
		printf("%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", hist_upper(i), r->hist[i]);
		first = false;
	}
	printf("]}");
}

static void print_baseline_json(const char *key, const struct phase_result *b, const struct phase_result *r)
{
	printf(",\"%s\":{\"duration_s\":%.6f,\"ops\":%" PRIu64 ",\"ops_per_s\":%.1f,\"ns_per_op\":%.3f,", key,
	       (double)b->elapsed_ns / 1e9, b->ops, b->ops_per_s, b->ns_per_op);
	if (b->ns_per_op > 0 && r->ns_per_op > 0)
		printf("\"ratio\":%.4f,\"throughput_ratio\":%.4f,", r->ns_per_op / b->ns_per_op,
		       r->ops_per_s / b->ops_per_s);
	print_latency_json(b);
	printf("}");
}

static void print_json(const struct phase_result *r, const struct phase_result *b,
		       const struct phase_result *mx, const struct verify_result *vr,
		       const struct daemon_info *di)
{
	printf("{\"mode\":\"%s\",\"processes\":%u,\"threads\":%u,\"sequences\":%" PRIu64 ",\"pick\":\"%s\",",
	       mode_names[cfg.mode], cfg.processes, cfg.threads, cfg.sequences, pick_names[cfg.pick]);
	printf("\"cpus\":%ld,\"sequence\":", sysconf(_SC_NPROCESSORS_ONLN));
	json_write_str(stdout, cfg.sequence);
	printf(",\"create\":");
	if (cfg.create)
		json_write_str(stdout, cfg.create);
	else
		printf("null");
	if (cfg.create) {
		printf(",\"create_s\":%.6f,\"create_threads\":%u", (double)create_ns / 1e9,
		       create_threads_used);
		if (create_syncs_known)
			printf(",\"create_syncs\":%" PRIu64, create_syncs);
	}
	printf(",\"warmup\":%s,\"warmup_s\":%.6f", cfg.warmup ? "true" : "false",
	       (double)r->warmup_ns_max / 1e9);
	printf(",\"count\":%" PRIu64 ",\"duration_s\":%.6f,\"ops\":%" PRIu64
	       ",\"ops_per_s\":%.1f,\"ns_per_op\":%.3f,\"errors\":%" PRIu64 ",",
	       cfg.count, (double)r->elapsed_ns / 1e9, r->ops, r->ops_per_s, r->ns_per_op, r->errors);
	print_latency_json(r);
	if (b) {
		print_baseline_json("bare", b, r);
		/* the cost ratio to the bare fetch-and-add, at the top level too */
		if (b->ns_per_op > 0 && r->ns_per_op > 0)
			printf(",\"ratio\":%.4f", r->ns_per_op / b->ns_per_op);
	}
	if (mx)
		print_baseline_json("mutex", mx, r);
	printf(",\"client\":{\"rss_anon_kb\":%" PRIu64 ",\"rss_shmem_kb\":%" PRIu64 ",\"hwm_kb\":%" PRIu64
	       "}",
	       r->rss_anon_kb_max, r->rss_shmem_kb_max, r->hwm_kb_max);
	if (di->have) {
		const struct shmseq_status *st = &di->after;
		printf(",\"daemon\":{\"syncs\":%" PRIu64 ",\"records\":%" PRIu64 ",\"region_bytes\":%" PRIu64
		       ",\"capacity\":%" PRIu64 ",\"live_sequences\":%" PRIu64,
		       st->syncs - di->before.syncs, st->records - di->before.records, st->region_bytes,
		       st->capacity, st->sequences);
		if (di->have_cpu)
			printf(",\"cpu_s\":%.3f", di->cpu_after_s - di->cpu_before_s);
		if (di->have_mem)
			printf(",\"rss_kb\":%" PRIu64 ",\"rss_anon_kb\":%" PRIu64 ",\"rss_shmem_kb\":%" PRIu64
			       ",\"hwm_kb\":%" PRIu64,
			       di->rss_kb, di->rss_anon_kb, di->rss_shmem_kb, di->hwm_kb);
		printf("}");
	}
	if (vr->ran)
		printf(",\"verify\":{\"ok\":%s,\"values\":%" PRIu64 ",\"duplicates\":%" PRIu64
		       ",\"violations\":%" PRIu64 "}",
		       vr->ok ? "true" : "false", vr->values, vr->duplicates, vr->violations);
	printf("}\n");
}

/* Print each thread's first error (and how many it had). */
static void report_errors(void)
{
	unsigned PT = cfg.processes * cfg.threads;
	for (unsigned i = 0; i < PT; i++) {
		struct slot *s = &shm->slots[i];
		if (s->errors)
			fprintf(stderr,
				"shmseq-bench: thread %u (process %u): %" PRIu64 " error%s; first: %s (%d)\n",
				i, i / cfg.threads, s->errors, s->errors == 1 ? "" : "s", s->first_error_msg,
				s->first_error);
	}
}

/* Run one baseline phase; false when interrupted or it could not run. */
static bool run_baseline(enum phase_kind kind, struct phase_result *res)
{
	if (run_phase(kind, res) < 0)
		die_cleanup(1);
	if (res->setup_failed) {
		report_setup_errors();
		fprintf(stderr, "shmseq-bench: the %s baseline could not start\n", phase_names[kind]);
		free_phase();
		die_cleanup(1);
	}
	free_phase();
	if (res->interrupted) {
		fprintf(stderr, "shmseq-bench: interrupted\n");
		die_cleanup(130);
	}
	return true;
}

int main(int argc, char **argv)
{
	parse_options(argc, argv);

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	calibrate_ticks();
	build_names();
	if (cfg.verify)
		make_tmpdir();
	if (cfg.self_daemon)
		start_daemon();
	if (cfg.create && create_sequences() < 0)
		die_cleanup(interrupted ? 130 : 1);
	if (interrupted)
		die_cleanup(130);

	static struct phase_result r, b, mx;
	struct verify_result vr = {0};
	struct daemon_info di = {0};
	phase_daemon = &di;
	if (run_phase(PHASE_SHMSEQ, &r) < 0)
		die_cleanup(1);
	if (r.interrupted) {
		fprintf(stderr, "shmseq-bench: interrupted\n");
		free_phase();
		die_cleanup(130);
	}
	int status = 0;
	if (r.setup_failed) {
		report_setup_errors();
		fprintf(stderr, "shmseq-bench: the workers could not all start\n");
		free_phase();
		die_cleanup(1);
	}
	if (r.errors) {
		report_errors();
		status = 1;
	}
	if (cfg.verify) {
		verify(&vr);
		if (!vr.ok)
			status = 1;
	}
	free_phase();
	if (di.have && daemon_status(&di.after)) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/status", di.after.daemon_pid);
		read_proc_status(path, &di.rss_kb, &di.rss_anon_kb, &di.rss_shmem_kb, &di.hwm_kb);
		di.have_mem = di.rss_kb > 0;
		di.cpu_after_s = proc_cpu_s(di.after.daemon_pid);
		di.have_cpu = di.before.daemon_pid == di.after.daemon_pid && di.cpu_before_s >= 0 &&
			      di.cpu_after_s >= 0;
	} else {
		di.have = false;
	}

	if (cfg.bare)
		run_baseline(PHASE_BARE, &b);
	if (cfg.mutex)
		run_baseline(PHASE_MUTEX, &mx);

	if (cfg.json)
		print_json(&r, cfg.bare ? &b : NULL, cfg.mutex ? &mx : NULL, &vr, &di);
	else
		print_text(&r, cfg.bare ? &b : NULL, cfg.mutex ? &mx : NULL, &vr, &di);
	fflush(stdout);
	cleanup();
	return status;
}
