/* SPDX-License-Identifier: MIT */
/* checker.c — the parent's checks: one bit per lattice point for the
 * uniqueness of every NOCYCLE value, and the gap analysis at the end. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torture.h"

/* ------------------------------------------------------------------------ */
/* the checker (parent)                                                     */

struct chunk {
	uint64_t key; /* (k << 56 | era << 40 | index >> 15) + 1; 0 = empty */
	uint64_t *bits;
};

struct checker chk;

static inline size_t chunk_hash(uint64_t key)
{
	return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 20);
}

static void chunks_grow(void)
{
	size_t cap = chk.chunk_cap ? chk.chunk_cap * 2 : 4096;
	struct chunk *t = calloc(cap, sizeof(*t));
	if (!t) {
		fprintf(stderr, "shmseq-torture: out of memory for the checker\n");
		exit(1);
	}
	for (size_t i = 0; i < chk.chunk_cap; i++) {
		if (!chk.chunks[i].key)
			continue;
		size_t j = chunk_hash(chk.chunks[i].key) & (cap - 1);
		while (t[j].key)
			j = (j + 1) & (cap - 1);
		t[j] = chk.chunks[i];
	}
	free(chk.chunks);
	chk.chunks = t;
	chk.chunk_cap = cap;
}

static uint64_t *chunk_get(uint64_t key)
{
	if ((chk.nchunks + 1) * 2 > chk.chunk_cap)
		chunks_grow();
	size_t mask = chk.chunk_cap - 1, i = chunk_hash(key) & mask;
	while (chk.chunks[i].key) {
		if (chk.chunks[i].key == key)
			return chk.chunks[i].bits;
		i = (i + 1) & mask;
	}
	uint64_t *bits = calloc(CHUNK_WORDS, sizeof(uint64_t));
	if (!bits) {
		fprintf(stderr, "shmseq-torture: out of memory for the checker\n");
		exit(1);
	}
	chk.chunks[i].key = key;
	chk.chunks[i].bits = bits;
	chk.nchunks++;
	return bits;
}

static void report_duplicate(unsigned k, int64_t v, uint32_t e, unsigned slot, uint64_t tags)
{
	char ctx[600] = "";
	size_t len = 0;
	for (unsigned i = 0; i < RECENT_MAX && len < sizeof(ctx) - 100; i++) {
		const struct recent *b = &chk.recent[k][i];
		if (b->n && v >= b->lo && v <= b->hi)
			len += (size_t)snprintf(ctx + len, sizeof(ctx) - len,
						" [recent burst of slot %u: %u values %" PRId64 "..%" PRId64
						", tag %" PRIu64 "]",
						b->slot, b->n, b->lo, b->hi, b->tags & 0xffffffffu);
	}
	violation(V_DUP,
		  "%s (%s) era %u: value %" PRId64 " handed out twice; second time to slot %u "
		  "(process %u thread %u) with daemon tag %" PRIu64 " (incarnation %" PRIu64 ")%s",
		  run.names[k], kind_names[kind_of(k)], e, v, slot, slot / cfg.threads, slot % cfg.threads,
		  tags & 0xffffffffu, (tags & 0xffffffffu) / 2, ctx);
}

/* Consume published records of one slot; returns values consumed. */
static size_t drain_slot(unsigned s, size_t budget)
{
	struct thread_slot *ts = &run.sh->slots[s];
	const uint64_t *ring = run.rings + (size_t)s * RING_WORDS;
	/* pairs with the worker's release store of head */
	uint64_t head = atomic_load_explicit(&ts->head, memory_order_acquire);
	uint64_t tail = chk.tail[s];
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
			if (key != chk.last_key) {
				chk.last_bits = chunk_get(key);
				chk.last_key = key;
			}
			uint64_t bit = (uint64_t)idx & ((1u << CHUNK_SHIFT) - 1);
			uint64_t *w = &chk.last_bits[bit >> 6], m = UINT64_C(1) << (bit & 63);
			if (*w & m)
				report_duplicate(k, v, e, s, tags);
			*w |= m;
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		struct recent *rb = &chk.recent[k][chk.recent_pos[k]++ % RECENT_MAX];
		rb->lo = lo;
		rb->hi = hi;
		rb->n = n;
		rb->slot = s;
		rb->tags = tags;
		chk.unique += n;
		tail += 2 + n;
		done += n;
	}
	chk.tail[s] = tail;
	/* pairs with the worker's acquire load of tail */
	atomic_store_explicit(&ts->tail, tail, memory_order_release);
	return done;
}

size_t drain_all(void)
{
	size_t done = 0;
	for (unsigned s = 0; s < cfg.processes * cfg.threads; s++)
		done += drain_slot(s, 1u << 16);
	return done;
}

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
	for (unsigned i = 0; i < chk.ngaps; i++)
		if (chk.gaps[i].cache == cache)
			return &chk.gaps[i];
	if (chk.ngaps == sizeof(chk.gaps) / sizeof(chk.gaps[0]))
		return &chk.gaps[chk.ngaps - 1];
	struct gapstat *g = &chk.gaps[chk.ngaps++];
	memset(g, 0, sizeof(*g));
	g->cache = cache;
	g->bound = (uint64_t)((double)reserve_bound(cache) * cfg.reserve_factor) +
		   (uint64_t)(cache > 1 ? cache : 1) + chk.slack;
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
	if (gap > chk.slack)
		w->gs->big_gaps++;
	if (gap > w->gs->bound) {
		int64_t mag = w->d.inc > 0 ? w->d.inc : -w->d.inc;
		int64_t a = w->d.start + (w->d.inc > 0 ? 1 : -1) * from * mag;
		int64_t b = w->d.start + (w->d.inc > 0 ? 1 : -1) * idx * mag;
		violation(V_GAP,
			  "%s (%s) era %u, CACHE %" PRId64 ": %" PRIu64 " values skipped between %s%" PRId64
			  " and %" PRId64 " (bound %" PRIu64 ")",
			  run.names[w->k], kind_names[kind_of(w->k)], w->era, w->d.cache, gap,
			  from < 0 ? "the START before " : "", a, b, w->gs->bound);
	}
}

void gap_analysis(void)
{
	/* a thread waiting for a refill holds one ticket, a batch up to
	 * BURST_MAX: void if the daemon dies before it answers */
	uint64_t held = cfg.paths & (1u << P_NAME_N | 1u << P_HANDLE_N) ? BURST_MAX : 1;
	chk.slack = (uint64_t)cfg.processes * cfg.threads * held + (uint64_t)cfg.threads * BURST_MAX;
	if (cfg.paths & (1u << P_LEASED))
		chk.slack += (uint64_t)cfg.processes * cfg.threads * LEASE_MAX;
	/* the SETVAL targets, as keys (k << 56 | era << 40) + index, sorted */
	uint32_t nsv = atomic_load(&run.sh->nsetval);
	if (nsv > SETVAL_LOG_MAX)
		nsv = SETVAL_LOG_MAX;
	uint64_t *sv = malloc(((size_t)nsv + 1) * sizeof(uint64_t));
	struct chunk *all = malloc((chk.nchunks + 1) * sizeof(*all));
	if (!sv || !all) {
		fprintf(stderr, "shmseq-torture: out of memory for the gap analysis\n");
		exit(1);
	}
	for (uint32_t i = 0; i < nsv; i++)
		sv[i] = ((uint64_t)run.sh->setvals[i].k << SEQ_SHIFT) |
			((uint64_t)run.sh->setvals[i].era << ERA_SHIFT) | (uint64_t)run.sh->setvals[i].idx;
	qsort(sv, nsv, sizeof(uint64_t), cmp_u64);
	size_t n = 0;
	for (size_t i = 0; i < chk.chunk_cap; i++)
		if (chk.chunks[i].key)
			all[n++] = chk.chunks[i];
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
