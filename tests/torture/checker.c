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

static struct chunk *g_chunks;
size_t g_chunk_cap, g_nchunks;
static uint64_t g_last_key;
static uint64_t *g_last_bits;
uint64_t g_unique; /* values checked for uniqueness */
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

size_t drain_all(void)
{
	size_t done = 0;
	for (unsigned s = 0; s < cfg.processes * cfg.threads; s++)
		done += drain_slot(s, 1u << 16);
	return done;
}
struct gapstat g_gaps[64];
unsigned g_ngaps;
uint64_t g_slack;

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

void gap_analysis(void)
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
