/* SPDX-License-Identifier: MIT */
/* worker.c — a worker process: T threads drawing bursts of values, checking
 * each, publishing them to the parent through their rings. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "torture.h"

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
	snprintf(sql, sizeof(sql), "SELECT NEXTVAL(%s)", run.names[k]);
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
			violation(V_ERROR, "SELECT NEXTVAL(%s) answered '%s'", run.names[k], s ? s : "NULL");
			r = -EBADMSG;
		} else {
			*v = x;
		}
	}
	shmseq_result_free(res);
	return r;
}

/* The path of a burst: the enabled paths (--paths) with these weights, out
 * of 32: exec 1, by name 5, by name in batches 4, handle 8, batches 6,
 * leased 8. */
static enum path pick_path(uint64_t r64)
{
	static const unsigned weight[NPATHS] = {
		[P_EXEC] = 1, [P_NAME] = 5, [P_NAME_N] = 4, [P_HANDLE] = 8, [P_HANDLE_N] = 6, [P_LEASED] = 8};
	unsigned total = 0;
	for (unsigned p = 0; p < NPATHS; p++)
		if (cfg.paths & (1u << p))
			total += weight[p];
	unsigned x = (unsigned)(r64 % total);
	for (unsigned p = 0; p < NPATHS; p++)
		if (cfg.paths & (1u << p)) {
			if (x < weight[p])
				return (enum path)p;
			x -= weight[p];
		}
	return P_HANDLE;
}

/* The process's leased handle on sequence k, shared by its threads, opened
 * by the first thread that wants it with a lease of 2 to LEASE_MAX (never
 * closed: the process is killed or exits). NULL with *r set on failure. */
static shmseq_seq *leased[MAX_SEQ];
static pthread_mutex_t leased_lock = PTHREAD_MUTEX_INITIALIZER;

static shmseq_seq *leased_handle(struct worker_ctx *w, unsigned k, int *r)
{
	*r = 0;
	pthread_mutex_lock(&leased_lock);
	shmseq_seq *lh = leased[k];
	if (!lh) {
		static const uint64_t leases[] = {2, 5, 16, LEASE_MAX};
		uint64_t lease = leases[rnd(&w->rng) % (sizeof(leases) / sizeof(leases[0]))];
		*r = shmseq_seq_open_leased(w->conn, run.names[k], lease, &lh);
		if (*r < 0)
			lh = NULL;
		leased[k] = lh;
	}
	pthread_mutex_unlock(&leased_lock);
	return lh;
}

static void *worker_thread(void *arg)
{
	struct worker_ctx *w = arg;
	struct thread_slot *ts = &run.sh->slots[w->slot];
	uint64_t *ring = run.rings + (size_t)w->slot * RING_WORDS;
	uint64_t head = atomic_load_explicit(&ts->head, memory_order_relaxed);
	static _Thread_local shmseq_seq *h[MAX_SEQ];
	/* per thread and sequence; a leased handle's values are ordered
	 * among themselves only (st[1]), not with the other paths' (st[0]) */
	static _Thread_local struct tstate st[2][MAX_SEQ];
	static _Thread_local struct era_def defs[MAX_SEQ];
	static _Thread_local uint32_t def_era[MAX_SEQ];
	int64_t vals[BURST_MAX];
	unsigned nseq = cfg.sequences;

	for (unsigned k = 0; k < nseq; k++)
		def_era[k] = UINT32_MAX;
	while (!atomic_load_explicit(&run.sh->stop, memory_order_relaxed)) {
		unsigned k = (unsigned)(rnd(&w->rng) % nseq);
		enum kind kd = kind_of(k);
		struct seq_state *ss = &run.sh->seq[k];
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
		enum path path = pick_path(r64);
		unsigned n;
		if (path == P_EXEC || slow)
			n = 1 + (unsigned)((r64 >> 8) % 4);
		else if (kind_cycle(kd))
			n = 1 + (unsigned)((r64 >> 8) % 64);
		else
			n = 1 + (unsigned)((r64 >> 8) % BURST_MAX);

		int r = 0;
		if ((path == P_HANDLE || path == P_HANDLE_N) && !h[k]) {
			r = shmseq_seq_open(w->conn, run.names[k], &h[k]);
			if (r < 0)
				h[k] = NULL;
		}
		shmseq_seq *lh = NULL;
		if (path == P_LEASED && !(lh = leased_handle(w, k, &r)) && r == 0)
			r = -ENOMEM;
		unsigned cnt = 0;
		while (r == 0 && cnt < n) {
			int64_t v;
			uint64_t got = 1;
			if (path == P_EXEC)
				r = exec_nextval(w->conn, k, &v);
			else if (path == P_NAME)
				r = shmseq_nextval(w->conn, run.names[k], &v);
			else if (path == P_NAME_N)
				r = shmseq_nextval_n(w->conn, run.names[k], n - cnt, &v, &got);
			else if (path == P_HANDLE)
				r = shmseq_seq_nextval(h[k], &v);
			else if (path == P_HANDLE_N)
				r = shmseq_seq_nextval_n(h[k], n - cnt, &v, &got);
			else
				r = shmseq_seq_nextval(lh, &v);
			if (r < 0)
				break;
			if (got == 0 || got > n - cnt) {
				violation(V_ERROR,
					  "%s (%s) slot %u: %s asked for %u values answered %" PRIu64,
					  run.names[k], kind_names[kd], w->slot, path_names[path], n - cnt,
					  got);
				break;
			}
			/* a batch: first, first + inc, ... with the increment of the
			 * era the first value says it belongs to (a value of no era is
			 * reported below, with the rest of the batch) */
			struct era_def bd;
			era_def(k, era_of(v), &bd);
			for (uint64_t i = 0; i < got; i++)
				vals[cnt++] = (int64_t)((uint64_t)v + i * (uint64_t)bd.inc);
		}
		atomic_fetch_add_explicit(&ts->by_path[path], cnt, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		uint64_t va = atomic_load_explicit(&ss->ver, memory_order_relaxed);
		bool stable = va == vb && !(vb & 1);
		uint32_t max_era = atomic_load_explicit(&ss->max_era, memory_order_acquire);
		uint64_t tag = atomic_load_explicit(&run.sh->tag, memory_order_relaxed);

		/* check every value; keep the good NOCYCLE ones for the parent */
		unsigned keep = 0;
		for (unsigned i = 0; i < cnt; i++) {
			int64_t v = vals[i];
			uint32_t e = era_of(v);
			if (seq_of(v) != k || e > max_era) {
				violation(V_OOB,
					  "%s (%s): value %" PRId64 " belongs to no era ever created "
					  "(sequence %u era %u, highest era %u)",
					  run.names[k], kind_names[kd], v, seq_of(v), e, max_era);
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
					  run.names[k], kind_names[kd], e, v, d->min, d->max, d->start,
					  d->inc);
				continue;
			}
			if (stable && (!present_b || e != era_b))
				violation(V_STALE,
					  "%s (%s): value %" PRId64 " of era %u drawn (%s) while the "
					  "acknowledged state was %s era %u",
					  run.names[k], kind_names[kd], v, e, path_names[path],
					  present_b ? "present in" : "dropped after", era_b);
			struct tstate *t = &st[path == P_LEASED][k];
			if (t->has) {
				if (e < t->era) {
					violation(V_ORDER,
						  "%s (%s) slot %u: value %" PRId64 " of era %u (%s) after "
						  "value %" PRId64 " of the later era %u",
						  run.names[k], kind_names[kd], w->slot, v, e,
						  path_names[path], t->last, t->era);
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
							  " (%s) after %" PRId64 " (increment %" PRId64 ")",
							  run.names[k], kind_names[kd], w->slot, e, v,
							  path_names[path], t->last, d->inc);
					}
				}
			}
			t->has = true;
			t->last = v;
			t->era = e;
			if (!kind_cycle(kd))
				vals[keep++] = v;
		}
		if (cnt && st[path == P_LEASED][k].has)
			atomic_store_explicit(&ts->last[k], st[path == P_LEASED][k].last,
					      memory_order_relaxed);
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
						  run.names[k], kind_names[kd], era_b);
				tk = T_UNKNOWN;
			} else if (tk < 0) {
				violation(V_ERROR, "%s (%s) slot %u: %s %d (%s)", run.names[k],
					  kind_names[kd], w->slot, path_names[path], r, shmseq_strerror(r));
				tk = T_CONN;
			}
			atomic_fetch_add_explicit(&ts->tol[tk], 1, memory_order_relaxed);
			sleep_us(1000);
		}
	}
	return NULL;
}

void worker_main(unsigned proc, uint64_t incarnation)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	shmseq *conn = NULL;
	while (!atomic_load(&run.sh->stop)) {
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
		ctx[t].rng = mix64(run.seed ^ mix64(((uint64_t)ctx[t].slot << 40) ^ incarnation));
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
