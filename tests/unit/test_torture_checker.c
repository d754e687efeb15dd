/* SPDX-License-Identifier: MIT */
/* test_torture_checker.c — the torture checker's own arithmetic, whose
 * figures docs/RELIABILITY.md publishes (tests/torture/checker.c, model.c):
 *  - the values' bitmap: every value of a NOCYCLE era counted once, a value
 *    seen twice reported as a duplicate (also across a chunk boundary and
 *    across ring wrap-around), values of other eras and sequences apart;
 *  - the gap analysis: the largest run of missing lattice points per CACHE,
 *    a run before the first value measured from START, a SETVAL explaining
 *    everything up to its target, a run ending where a full word starts, runs beyond the bound reported, runs beyond
 *    the slack counted, ascending and descending eras alike;
 *  - reserve_bound(), README's "What a crash costs", at its edges.
 * Records are published into the rings exactly as worker.c does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"
#include "torture.h"

/* Publish one burst of sequence k's values into slot s's ring, the way
 * worker.c does. */
static void publish(unsigned s, unsigned k, const int64_t *vals, unsigned n)
{
	struct thread_slot *ts = &run.sh->slots[s];
	uint64_t *ring = run.rings + (size_t)s * RING_WORDS;
	uint64_t head = atomic_load(&ts->head);
	assert_true(head + 2 + n - atomic_load(&ts->tail) <= RING_WORDS);
	ring[head % RING_WORDS] = ((uint64_t)RING_MAGIC << 48) | ((uint64_t)k << 32) | n;
	ring[(head + 1) % RING_WORDS] = 2; /* daemon incarnation 1, serving */
	for (unsigned i = 0; i < n; i++)
		ring[(head + 2 + i) % RING_WORDS] = (uint64_t)vals[i];
	atomic_store(&ts->head, head + 2 + n);
}

/* The value at lattice index idx of sequence k, era e. */
static int64_t value_at(unsigned k, uint32_t e, int64_t idx)
{
	struct era_def d;
	era_def(k, e, &d);
	return d.start + idx * d.inc;
}

/* Publish indices [from, to) of (k, e) in bursts of at most BURST_MAX. */
static void publish_range(unsigned s, unsigned k, uint32_t e, int64_t from, int64_t to)
{
	int64_t vals[BURST_MAX];
	while (from < to) {
		unsigned n = 0;
		while (from < to && n < BURST_MAX)
			vals[n++] = value_at(k, e, from++);
		publish(s, k, vals, n);
		drain_all(); /* as the parent does while workers run */
	}
}

/* A sequence number of the given kind. */
static unsigned seq_of_kind(enum kind kd)
{
	for (unsigned k = 0; k < cfg.sequences; k++)
		if (kind_of(k) == kd)
			return k;
	fail_msg("no sequence of kind %d", (int)kd);
	return 0;
}

static struct gapstat *gaps_for(int64_t cache)
{
	for (unsigned i = 0; i < chk.ngaps; i++)
		if (chk.gaps[i].cache == cache)
			return &chk.gaps[i];
	return NULL;
}

static char dir[256];

static int setup(void **state)
{
	(void)state;
	run.seed = 42;
	cfg.processes = 1;
	cfg.threads = 2;
	cfg.sequences = 16;
	cfg.reserve_factor = 2;
	cfg.paths = PATHS_ALL;
	run.sh = calloc(1, sizeof(*run.sh));
	run.rings = calloc((size_t)cfg.processes * cfg.threads * RING_WORDS, sizeof(uint64_t));
	if (!run.sh || !run.rings || tmpdir_make(dir, sizeof(dir), NULL, "shmseq-checker-") < 0)
		return -1;
	snprintf(run.dir, sizeof(run.dir), "%s", dir); /* violations.log goes there */
	for (unsigned k = 0; k < cfg.sequences; k++)
		snprintf(run.names[k], sizeof(run.names[k]), "s%02u", k);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

static void test_reserve_bound(void **state)
{
	(void)state;
	assert_int_equal(reserve_bound(0), 1);
	assert_int_equal(reserve_bound(1), 1);
	assert_int_equal(reserve_bound(2), 2048);
	assert_int_equal(reserve_bound(1000), 1024000);
	assert_int_equal(reserve_bound(16383), 16383 * 1024); /* just under the cap */
	assert_int_equal(reserve_bound(16384), 16777216);     /* 1024 x CACHE reaches it */
	assert_int_equal(reserve_bound(1000000), 16777216);   /* capped */
	assert_int_equal(reserve_bound(20000000), 20000000);  /* a CACHE beyond the cap */
	assert_int_equal(reserve_bound(INT64_C(1) << 40), UINT64_C(1) << 40);
}

/* Runs first: the gap analysis below walks what this one leaves too. */
static void test_bitmap_counts_each_value_once(void **state)
{
	(void)state;
	unsigned k = seq_of_kind(K_ASC);
	/* 0 .. 40000: across the first chunk's end (index 32767 | 32768) */
	publish_range(0, k, 3, 0, 40000);
	assert_int_equal(chk.unique, 40000);
	assert_int_equal(atomic_load(&run.sh->viol[V_DUP]), 0);
	/* the same indices in another era and in another sequence: no duplicates */
	publish_range(1, k, 4, 0, 1000);
	publish_range(1, seq_of_kind(K_DESC), 3, 0, 1000);
	assert_int_equal(atomic_load(&run.sh->viol[V_DUP]), 0);
	assert_int_equal(chk.unique, 42000);
	/* a value handed out twice, from the other thread; one at the chunk
	 * boundary too */
	int64_t again[] = {value_at(k, 3, 12345), value_at(k, 3, 32768), value_at(k, 3, 32767)};
	publish(1, k, again, 3);
	drain_all();
	assert_int_equal(atomic_load(&run.sh->viol[V_DUP]), 3);
	assert_int_equal(chk.unique, 42003);
	/* a value off the lattice or out of the era's bounds is not counted as
	 * a duplicate (the worker reported it) */
	struct era_def d;
	era_def(k, 3, &d);
	int64_t odd[] = {d.start - 1};
	publish(1, k, odd, 1);
	drain_all();
	assert_int_equal(atomic_load(&run.sh->viol[V_DUP]), 3);
	atomic_store(&run.sh->viol[V_DUP], 0);
	atomic_store(&run.sh->printed[V_DUP], 0);
}

/* The ring wraps around: records split over its end are read whole. */
static void test_ring_wraps(void **state)
{
	(void)state;
	unsigned k = seq_of_kind(K_ASC_NOCACHE);
	uint64_t before = chk.unique;
	/* more than a ring's worth in total, drained as it goes */
	int64_t idx = 0;
	while (chk.unique - before < RING_WORDS + 5000) {
		publish_range(0, k, 7, idx, idx + 255);
		idx += 255;
	}
	assert_true(atomic_load(&run.sh->slots[0].head) > RING_WORDS);
	assert_int_equal(atomic_load(&run.sh->viol[V_DUP]), 0);
	int64_t dup[] = {value_at(k, 7, 77)};
	publish(0, k, dup, 1);
	drain_all();
	assert_int_equal(atomic_load(&run.sh->viol[V_DUP]), 1);
	atomic_store(&run.sh->viol[V_DUP], 0);
}

static void test_gap_analysis(void **state)
{
	(void)state;
	/* K_ASC_BIGINC: increments 7..1000, its own CACHE values (3, 30, 100) */
	unsigned kb = seq_of_kind(K_ASC_BIGINC);
	struct era_def d;
	uint32_t era = 1;
	era_def(kb, era, &d);
	int64_t cache = d.cache;
	/* slack: P x T x BURST_MAX (batches) + T x BURST_MAX + P x T x
	 * LEASE_MAX = 512 + 512 + 100 */
	uint64_t slack = 2 * BURST_MAX + 2 * BURST_MAX + 2 * LEASE_MAX;
	uint64_t bound = reserve_bound(cache) * 2 + (uint64_t)cache + slack;
	/* present: 10 .. 99 (10 missing from START: a gap of 10), 100 + 1200 ..
	 * 2000 (1200 missing: beyond the slack, within the bound), then one
	 * value bound + 1 + 1 past 1999 (a gap of bound + 1: reported) */
	publish_range(0, kb, era, 10, 100);
	publish_range(0, kb, era, 1300, 2000);
	int64_t far = 2000 + (int64_t)bound + 1;
	publish_range(0, kb, era, far, far + 1);
	/* another era of the same sequence and CACHE: a SETVAL to index 5000
	 * explains 100 .. 5000; 5001 .. 5099 missing (99) is what is left */
	uint32_t era2 = era + 1;
	for (era_def(kb, era2, &d); d.cache != cache; era_def(kb, ++era2, &d))
		assert_true(era2 < 1000);
	publish_range(1, kb, era2, 0, 100);
	publish_range(1, kb, era2, 5100, 5200);
	run.sh->setvals[0] = (struct setval_rec){.k = kb, .era = era2, .idx = 5000};
	atomic_store(&run.sh->nsetval, 1);
	/* a descending era: NOCACHE (cache 0 or 1), gap of 300 in the middle */
	unsigned kd = seq_of_kind(K_DESC_NOCACHE);
	publish_range(0, kd, 9, 0, 1000);
	publish_range(0, kd, 9, 1300, 1400);
	struct era_def dd;
	era_def(kd, 9, &dd);

	uint64_t gaps_before = atomic_load(&run.sh->viol[V_GAP]);
	gap_analysis();
	assert_int_equal(chk.slack, slack);
	struct gapstat *gs = gaps_for(cache);
	assert_non_null(gs);
	assert_int_equal(gs->bound, bound);
	assert_int_equal(gs->eras, 2);
	assert_int_equal(gs->max_gap, bound + 1);
	assert_int_equal(gs->big_gaps, 2); /* 1200 and bound + 1; not 10 nor 99 */
	assert_int_equal(atomic_load(&run.sh->viol[V_GAP]) - gaps_before, 1);
	struct gapstat *gd = gaps_for(dd.cache);
	assert_non_null(gd);
	assert_int_equal(gd->max_gap, 300);
	assert_int_equal(gd->big_gaps, 0); /* within the slack */
	/* the bitmap test's era: 0 .. 39999 dense, nothing missing */
	era_def(seq_of_kind(K_ASC), 3, &d);
	struct gapstat *ga = gaps_for(d.cache);
	assert_non_null(ga);
}

/* Without the SETVAL the same era's run counts from the last value. */
static void test_setval_explains_only_up_to_its_target(void **state)
{
	(void)state;
	unsigned k = seq_of_kind(K_ASC_BIGCACHE);
	struct era_def d;
	era_def(k, 2, &d);
	publish_range(0, k, 2, 0, 10);
	publish_range(0, k, 2, 3010, 3020); /* 3000 missing */
	run.sh->setvals[0] = (struct setval_rec){.k = k, .era = 2, .idx = 1000};
	atomic_store(&run.sh->nsetval, 1); /* explains 10 .. 1000; 1001 .. 3009 remain */
	chk.ngaps = 0;
	gap_analysis();
	struct gapstat *gs = gaps_for(d.cache);
	assert_non_null(gs);
	assert_int_equal(gs->max_gap, 2009);
	atomic_store(&run.sh->nsetval, 0);
	chk.ngaps = 0;
	gap_analysis();
	gs = gaps_for(d.cache);
	assert_int_equal(gs->max_gap, 3000);
}

/* A run of missing values that ends where a full 64-bit word of present
 * values starts (the walk's fast path) is still measured. */
static void test_gap_ending_at_a_full_word(void **state)
{
	(void)state;
	unsigned k = seq_of_kind(K_DESC); /* its era 3 is dense (0 .. 999) */
	struct era_def d3, d;
	era_def(k, 3, &d3);
	uint32_t e = 20;
	for (era_def(k, e, &d); d.cache != d3.cache; era_def(k, ++e, &d))
		assert_true(e < 1000);
	publish_range(0, k, e, 0, 64);
	publish_range(0, k, e, 192, 256);
	chk.ngaps = 0;
	gap_analysis();
	struct gapstat *gs = gaps_for(d.cache);
	assert_non_null(gs);
	assert_int_equal(gs->max_gap, 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve_bound),
		cmocka_unit_test(test_bitmap_counts_each_value_once),
		cmocka_unit_test(test_ring_wraps),
		cmocka_unit_test(test_gap_analysis),
		cmocka_unit_test(test_setval_explains_only_up_to_its_target),
		cmocka_unit_test(test_gap_ending_at_a_full_word),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
