/* SPDX-License-Identifier: MIT */
/* worker.c — a worker process: P x T threads calling NEXTVAL (or a
 * baseline) in a loop, sampling latencies, recording values for --verify. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_HAVE_TSC 1
#endif

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
	shmseq_seq **handles; /* MODE_HANDLE, MODE_BATCH, MODE_LEASED: one per sequence */
	int64_t *incs;	      /* MODE_BATCH with --verify: each sequence's step */
};

static void barrier_wait(void)
{
	atomic_fetch_add_explicit(&run.shm->ready, 1, memory_order_relaxed);
	unsigned spins = 0;
	/* pairs with the parent's release store of `go` */
	while (!atomic_load_explicit(&run.shm->go, memory_order_acquire)) {
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

/* One NEXTVAL in the given mode (a constant where it is inlined); a batch
 * asks for `want` values and answers *got of them from *val on. */
static inline __attribute__((always_inline)) int do_nextval(const enum mode mode, struct worker *w,
							    struct slot *s, uint64_t seq, int64_t *val,
							    uint64_t want, uint64_t *got)
{
	switch (mode) {
	case MODE_HANDLE:
	case MODE_LEASED:
		return shmseq_seq_nextval(w->handles[seq], val);
	case MODE_BATCH:
		return shmseq_seq_nextval_n(w->handles[seq], want, val, got);
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
	snprintf(path, sizeof(path), "%s/v%u", par.tmpdir, index);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(v->vals, sizeof(int64_t), v->n, f) != v->n) {
		s->write_error = errno ? errno : EIO;
	} else if (cfg.sequences > 1) {
		snprintf(path, sizeof(path), "%s/s%u", par.tmpdir, index);
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
	uint64_t ns = t1 > t0 ? (uint64_t)((double)(t1 - t0) * run.ns_per_tick) : 0;
	s->hist[hist_index(ns)]++;
	s->samples++;
	if (ns > s->max_ns)
		s->max_ns = ns;
}

static inline void baseline_op(const enum phase_kind kind, const bool one, uint64_t *rng, uint64_t *rr)
{
	if (kind == PHASE_BARE) {
		_Atomic uint64_t *ctr = one ? &run.shm->counter
					    : &run.bare_slots[pick(rng, rr) * BARE_STRIDE];
		atomic_fetch_add_explicit(ctr, 1, memory_order_seq_cst);
	} else {
		pthread_mutex_lock(&run.shm->mutex);
		run.shm->mutex_counter++;
		pthread_mutex_unlock(&run.shm->mutex);
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
		if (atomic_load_explicit(&run.shm->stop, memory_order_relaxed))
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
	uint64_t ops = 0, attempts = 0, calls = 0;
	for (;;) {
		for (unsigned k = 0; k < CHECK_EVERY; k++) {
			/* a batch counts its values against the quota */
			if (counted && (mode == MODE_BATCH ? ops >= quota : attempts == quota))
				goto done;
			uint64_t seq = one ? 0 : pick(rng, rr);
			int64_t val = 0;
			uint64_t want = mode != MODE_BATCH		     ? 1
					: counted && quota - ops < cfg.batch ? quota - ops
									     : cfg.batch;
			uint64_t got = 1;
			int rc;
			attempts++;
			if ((attempts & SAMPLE_MASK) == 1) {
				uint64_t t0 = ticks();
				rc = do_nextval(mode, w, s, seq, &val, want, &got);
				sample(s, t0, ticks());
			} else {
				rc = do_nextval(mode, w, s, seq, &val, want, &got);
			}
			if (__builtin_expect(rc != 0, 0)) {
				if (rc < 0)
					note_error(s, rc, NULL);
				continue;
			}
			calls++;
			if (mode != MODE_BATCH) {
				ops++;
				if (vr)
					record_value(s, vr, last, seen, seq, val);
				continue;
			}
			if (__builtin_expect(got == 0 || got > want, 0)) {
				note_error(s, -EPROTO, "shmseq_seq_nextval_n answered a count out of range");
				continue;
			}
			ops += got;
			if (vr)
				for (uint64_t i = 0; i < got; i++)
					record_value(s, vr, last, seen, seq,
						     (int64_t)((uint64_t)val + i * (uint64_t)w->incs[seq]));
		}
		atomic_store_explicit(&s->progress, attempts, memory_order_relaxed);
		if (atomic_load_explicit(&run.shm->stop, memory_order_relaxed))
			break;
		if (!counted && now_ns() >= deadline)
			break;
	}
done:
	*ops_out = ops;
	*attempts_out = attempts;
	s->calls = calls;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct slot *s = &run.shm->slots[w->index];
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
	const uint64_t deadline = run.shm->deadline_ns;
	uint64_t ops = 0, attempts = 0;
	if (atomic_load_explicit(&run.shm->stop, memory_order_relaxed))
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
	else if (cfg.mode == MODE_BATCH && cfg.sequences == 1)
		SHMSEQ_LOOP(MODE_BATCH, true);
	else if (cfg.mode == MODE_BATCH)
		SHMSEQ_LOOP(MODE_BATCH, false);
	else if (cfg.mode == MODE_LEASED && cfg.sequences == 1)
		SHMSEQ_LOOP(MODE_LEASED, true);
	else if (cfg.mode == MODE_LEASED)
		SHMSEQ_LOOP(MODE_LEASED, false);
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
void read_proc_status(const char *path, uint64_t *rss, uint64_t *anon, uint64_t *shmem, uint64_t *hwm)
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
double proc_cpu_s(uint32_t pid)
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
		if (atomic_load_explicit(&run.shm->stop, memory_order_relaxed))
			return 0;
		int64_t val;
		if (cfg.mode == MODE_NAME) {
			/* what the run does: by name (no handle, which would put
			 * every name in the connection's cache) */
			int rc = shmseq_nextval(conn, seq_name(i), &val);
			if (rc < 0) {
				pr->setup_error = rc;
				snprintf(pr->setup_msg, ERRMSG_MAX, "nextval %s: %s", seq_name(i),
					 shmseq_strerror(rc));
				return rc;
			}
			continue;
		}
		shmseq_seq *h = handles ? handles[i] : NULL;
		int rc = h ? 0 : shmseq_seq_open(conn, seq_name(i), &h);
		if (rc < 0) {
			pr->setup_error = rc;
			snprintf(pr->setup_msg, ERRMSG_MAX, "open sequence %s: %s", seq_name(i),
				 shmseq_strerror(rc));
			return rc;
		}
		(void)shmseq_seq_nextval(h, &val);
		if (!handles)
			shmseq_seq_close(h);
	}
	return 0;
}

/* Each sequence's INCREMENT (SELECT * FROM name), so that --verify can
 * spell out a batch's values; NULL with pr->setup_error set on failure. */
static int64_t *read_increments(shmseq *conn, struct proc_rec *pr)
{
	int64_t *incs = calloc(cfg.sequences, sizeof(*incs));
	if (!incs) {
		pr->setup_error = -ENOMEM;
		set_msg(pr->setup_msg, "no memory for increments");
		return NULL;
	}
	for (uint64_t i = 0; i < cfg.sequences; i++) {
		char sql[SHMSEQ_NAME_MAX * 2 + 32];
		snprintf(sql, sizeof(sql), "SELECT * FROM %s", seq_name(i));
		shmseq_result *res = NULL;
		int rc = shmseq_exec(conn, sql, &res);
		if (rc == 0)
			rc = shmseq_result_error(res);
		const char *v = NULL;
		for (size_t c = 0; rc == 0 && c < shmseq_result_columns(res); c++)
			if (!strcmp(shmseq_result_column_name(res, c), "increment") &&
			    shmseq_result_rows(res) == 1)
				v = shmseq_result_value(res, 0, c);
		char *end = NULL;
		long long x = v ? strtoll(v, &end, 10) : 0;
		bool ok = rc == 0 && v && !*end && x != 0;
		shmseq_result_free(res);
		if (!ok) {
			/* INCREMENT 0 (auto_increment mode) steps by a setting the
			 * definition does not show */
			pr->setup_error = rc < 0 ? rc : -EPROTO;
			snprintf(pr->setup_msg, ERRMSG_MAX, "%s: no INCREMENT to check batches with",
				 seq_name(i));
			free(incs);
			return NULL;
		}
		incs[i] = x;
	}
	return incs;
}

/* Body of worker process p: connect, open, run T threads. Never returns. */
_Noreturn void worker_process(unsigned p, enum phase_kind kind)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	struct proc_rec *pr = &run.shm->procs[p];
	shmseq *conn = NULL;
	shmseq_seq **handles = NULL;
	int64_t *incs = NULL;
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
		if (cfg.mode == MODE_HANDLE || cfg.mode == MODE_BATCH || cfg.mode == MODE_LEASED) {
			handles = calloc(cfg.sequences, sizeof(*handles));
			if (!handles) {
				pr->setup_error = -ENOMEM;
				set_msg(pr->setup_msg, "no memory for handles");
				goto fail;
			}
			for (uint64_t i = 0; i < cfg.sequences; i++) {
				rc = cfg.mode == MODE_LEASED
					     ? shmseq_seq_open_leased(conn, seq_name(i), cfg.lease,
								      &handles[i])
					     : shmseq_seq_open(conn, seq_name(i), &handles[i]);
				if (rc < 0) {
					pr->setup_error = rc;
					snprintf(pr->setup_msg, ERRMSG_MAX, "open sequence %s: %s",
						 seq_name(i), shmseq_strerror(rc));
					goto fail;
				}
			}
		}
		if (cfg.mode == MODE_BATCH && cfg.verify && !(incs = read_increments(conn, pr)))
			goto fail;
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
			.incs = incs,
		};
		rc = pthread_create(&tids[t], NULL, worker_main, &ws[t]);
		if (rc) {
			pr->setup_error = -rc;
			snprintf(pr->setup_msg, ERRMSG_MAX, "pthread_create: %s", strerror(rc));
			atomic_store(&run.shm->failed, 1);
			atomic_store(&run.shm->stop, 1);
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
	free(incs);
	/* With many names cached, shmseq_disconnect() takes long (it removes
	 * them from the name cache one at a time: minutes for a million); the
	 * process exit releases all of it at once, and the daemon ends the
	 * session when the socket closes. */
	if (cfg.sequences <= DISCONNECT_MAX)
		shmseq_disconnect(conn);
	_exit(started == T ? 0 : 3);

fail:
	atomic_store(&run.shm->failed, 1);
	atomic_store(&run.shm->stop, 1);
	_exit(3);
}
