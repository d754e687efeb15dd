/* SPDX-License-Identifier: MIT */
/* test_region.c — the region header validator and the slot protocol:
 * tickets within/beyond the durable limit and the end of the round, epochs
 * closed and reopened, and a race between takers and the daemon's side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "seqdef.h"

static struct region_header *make_region(uint64_t nslots)
{
	size_t size = region_bytes(nslots);
	struct region_header *h = aligned_alloc(64, size);
	memset(h, 0, size);
	h->magic = REGION_MAGIC;
	h->layout_version = REGION_LAYOUT_VERSION;
	h->header_size = sizeof(*h);
	h->slot_size = sizeof(struct region_slot);
	h->nslots = nslots;
	h->region_size = size;
	atomic_store(&h->state, REGION_STATE_LIVE);
	return h;
}

static void test_header_validation(void **state)
{
	(void)state;
	struct region_header *h = make_region(4);
	size_t size = region_bytes(4);
	const char *why = NULL;
	assert_int_equal(region_header_validate(h, size, &why), 0);
	assert_int_equal(region_header_validate(h, sizeof(*h) - 1, &why), -EPROTO);
	assert_int_equal(region_header_validate(h, size - 1, &why), -EPROTO); /* mapping too small */

	struct region_header bad;
	const struct {
		size_t off;
		uint64_t val;
		unsigned width;
	} flips[] = {
		{offsetof(struct region_header, magic), 0x1234, 8},
		{offsetof(struct region_header, layout_version), 2, 4},
		{offsetof(struct region_header, header_size), 64, 4},
		{offsetof(struct region_header, slot_size), 64, 4},
		{offsetof(struct region_header, incompat_flags), 1, 4},
		{offsetof(struct region_header, nslots), 0, 8},
		{offsetof(struct region_header, nslots), UINT64_MAX, 8},
		{offsetof(struct region_header, nslots), 5, 8},
		{offsetof(struct region_header, region_size), 12345, 8},
	};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(&bad, h, sizeof(bad));
		if (flips[i].width == 8)
			memcpy((char *)&bad + flips[i].off, &flips[i].val, 8);
		else {
			uint32_t v = (uint32_t)flips[i].val;
			memcpy((char *)&bad + flips[i].off, &v, 4);
		}
		why = NULL;
		assert_int_equal(region_header_validate(&bad, size, &why), -EPROTO);
		assert_non_null(why);
	}
	free(h);
}

static void publish(struct region_slot *s, uint64_t id, int64_t base, int64_t inc, uint64_t limit,
		    uint64_t end, uint64_t mark)
{
	region_slot_freeze(s);
	struct region_epoch e = {
		.seq_id = id, .base = base, .inc = inc, .limit = limit, .end = end, .refill_mark = mark};
	region_slot_publish(s, &e);
}

static void test_take_limits(void **state)
{
	(void)state;
	struct region_header *h = make_region(1);
	struct region_slot *s = region_slots(h);
	struct region_ticket tk = {0};
	int64_t v;
	publish(s, 7, 100, 5, 3, 10, 1);
	assert_int_equal(region_take(s, 7, &v, &tk), TAKE_OK);
	assert_int_equal(v, 100);
	assert_false(tk.nudge);
	assert_int_equal(region_take(s, 7, &v, &tk), TAKE_OK);
	assert_int_equal(v, 105);
	assert_true(tk.nudge); /* ticket 1 is the refill mark */
	assert_int_equal(region_take(s, 7, &v, &tk), TAKE_OK);
	assert_int_equal(v, 110);
	/* beyond the durable limit: the ticket is held, the daemon asked */
	assert_int_equal(region_take(s, 7, &v, &tk), TAKE_REFILL);
	assert_int_equal(tk.n, 3);
	assert_int_equal(region_redeem(s, 7, &tk, &v), TAKE_REFILL);
	region_slot_extend(s, 10, UINT64_MAX);
	assert_int_equal(region_redeem(s, 7, &tk, &v), TAKE_OK);
	assert_int_equal(v, 115);
	for (int i = 4; i < 10; i++) {
		assert_int_equal(region_take(s, 7, &v, &tk), TAKE_OK);
		assert_int_equal(v, 100 + 5 * i);
	}
	/* past the end of the round */
	assert_int_equal(region_take(s, 7, &v, &tk), TAKE_END);
	/* the wrong sequence, a closed epoch */
	assert_int_equal(region_take(s, 8, &v, &tk), TAKE_GONE);
	assert_int_equal(region_slot_freeze(s), 10); /* counted: all 10 valid, none beyond */
	assert_int_equal(region_take(s, 7, &v, &tk), TAKE_BUSY);
	region_slot_thaw(s, 10);
	assert_int_equal(region_take(s, 7, &v, &tk), TAKE_END);
	free(h);
}

static void test_stale_ticket_is_void(void **state)
{
	(void)state;
	struct region_header *h = make_region(1);
	struct region_slot *s = region_slots(h);
	struct region_ticket tk = {0};
	int64_t v;
	publish(s, 1, 1, 1, 0, 100, UINT64_MAX);
	assert_int_equal(region_take(s, 1, &v, &tk), TAKE_REFILL);
	/* a new epoch (SETVAL, ALTER, a wrap) voids the held ticket */
	publish(s, 1, 50, 1, 10, 100, UINT64_MAX);
	assert_int_equal(region_redeem(s, 1, &tk, &v), TAKE_RETRY);
	assert_int_equal(region_take(s, 1, &v, &tk), TAKE_OK);
	assert_int_equal(v, 50);
	/* overflow can never produce a value: a corrupt slot is reported
	 * (the fast path hands the ticket to the exact computation first) */
	publish(s, 1, INT64_MAX, 1, 5, 5, UINT64_MAX);
	assert_int_equal(region_take(s, 1, &v, &tk), TAKE_OK);
	assert_int_equal(region_take(s, 1, &v, &tk), TAKE_WIDE);
	assert_int_equal(region_redeem(s, 1, &tk, &v), TAKE_CORRUPT);
	free(h);
}

/* Takers race a daemon-role thread that keeps closing epochs and opening new
 * ones in disjoint value ranges. Every value handed out must be distinct and
 * be counted by the freeze that closed its epoch. */
#define TAKERS 3
#define EPOCHS 2000
#define PER_EPOCH 1000

static struct region_slot *race_slot;
static _Atomic int race_done;
static int64_t *race_values[TAKERS];
static size_t race_count[TAKERS];
static uint64_t race_counted;

static void *taker(void *arg)
{
	int me = (int)(intptr_t)arg;
	race_values[me] = malloc(sizeof(int64_t) * EPOCHS * PER_EPOCH);
	while (!atomic_load(&race_done)) {
		struct region_ticket tk;
		int64_t v;
		if (region_take(race_slot, 1, &v, &tk) == TAKE_OK)
			race_values[me][race_count[me]++] = v;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_race_with_epoch_changes(void **state)
{
	(void)state;
	struct region_header *h = make_region(1);
	race_slot = region_slots(h);
	struct region_epoch e = {.seq_id = 1,
				 .base = 0,
				 .inc = 1,
				 .limit = PER_EPOCH,
				 .end = PER_EPOCH,
				 .refill_mark = UINT64_MAX};
	region_slot_freeze(race_slot);
	region_slot_publish(race_slot, &e);
	pthread_t t[TAKERS];
	for (int i = 0; i < TAKERS; i++)
		pthread_create(&t[i], NULL, taker, (void *)(intptr_t)i);
	for (int ep = 1; ep < EPOCHS; ep++) {
		for (volatile int spin = 0; spin < 200; spin++)
			;
		race_counted += region_slot_freeze(race_slot);
		e.base = (int64_t)ep * PER_EPOCH;
		region_slot_publish(race_slot, &e);
	}
	race_counted += region_slot_freeze(race_slot);
	atomic_store(&race_done, 1);
	size_t total = 0;
	for (int i = 0; i < TAKERS; i++) {
		pthread_join(t[i], NULL);
		total += race_count[i];
	}
	int64_t *all = malloc(sizeof(int64_t) * total);
	size_t k = 0;
	for (int i = 0; i < TAKERS; i++) {
		memcpy(all + k, race_values[i], race_count[i] * sizeof(int64_t));
		k += race_count[i];
		free(race_values[i]);
	}
	qsort(all, total, sizeof(int64_t), cmp);
	for (size_t i = 1; i < total; i++)
		assert_true(all[i] != all[i - 1]);
	/* every value handed out was counted by a freeze (none escaped one) */
	assert_true(total <= race_counted);
	free(all);
	free(h);
}

/* region_value() at the int64/uint64 edges: exact whenever the true value
 * base + n·inc lies in the slot's domain (the product alone may not), and
 * false, without undefined behaviour, whenever it does not. */
static void test_value_edges(void **state)
{
	(void)state;
	const uint32_t U = SLOT_UNSIGNED;
	const struct {
		int64_t base, inc;
		uint64_t n;
		uint32_t flags;
		bool ok;
		int64_t v;
	} cases[] = {
		{100, 5, 3, 0, true, 115},
		/* n·inc is not an int64, the sum is (conformance q40, q41, q42) */
		{-2000000000000000000, 1000000000000000000, 10, 0, true, 8000000000000000000},
		{-2000000000000000000, 1000000000000000000, 11, 0, true, 9000000000000000000},
		{-2000000000000000000, 1000000000000000000, 12, 0, false, 0},
		{-9000000000000000000, 3000000000000000000, 6, 0, true, 9000000000000000000},
		{9223372036854775806, -1000000000000000000, 18, 0, true, -8776627963145224194},
		{9223372036854775806, -1000000000000000000, 19, 0, false, 0},
		{INT64_MIN, INT64_MAX, 2, 0, true, INT64_MAX - 1},
		{INT64_MAX, INT64_MIN, 1, 0, true, -1},
		{INT64_MAX, INT64_MIN, 2, 0, false, 0},
		/* tickets beyond 2^63 of the full range */
		{-9223372036854775807, 1, UINT64_MAX - 2, 0, true, 9223372036854775806},
		{-9223372036854775807, 1, UINT64_MAX, 0, false, 0},
		{9223372036854775806, -1, UINT64_MAX - 2, 0, true, -9223372036854775807},
		{INT64_MAX, 1, 1, 0, false, 0},
		{INT64_MIN, -1, 1, 0, false, 0},
		/* the largest product: no overflow of the wide arithmetic either */
		{INT64_MAX, INT64_MIN, UINT64_MAX, 0, false, 0},
		{INT64_MIN, INT64_MAX, UINT64_MAX, 0, false, 0},
		{-1, INT64_MIN, UINT64_MAX, U, false, 0},
		{0, 0, UINT64_MAX, 0, true, 0},
		/* BIGINT UNSIGNED: values are uint64 bit patterns */
		{1, 1, UINT64_MAX - 2, U, true, (int64_t)(UINT64_MAX - 1)},
		{1, 1, UINT64_MAX - 1, U, true, -1},
		{1, 1, UINT64_MAX, U, false, 0},
		{1, 4000000000000000000, 4, U, true, (int64_t)16000000000000000001u},
		{(int64_t)16000000000000000001u, -4000000000000000000, 4, U, true, 1},
		{(int64_t)16000000000000000001u, -4000000000000000000, 5, U, false, 0},
		{0, -1, 1, U, false, 0},
		{-2, 1, 1, U, true, -1},
		{-1, 1, 1, U, false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 12345;
		bool ok = region_value(cases[i].base, cases[i].inc, cases[i].n, cases[i].flags, &v);
		if (ok != cases[i].ok)
			fail_msg("case %zu: region_value says %d", i, ok);
		if (ok)
			assert_int_equal(v, cases[i].v);
	}
}

/* A published epoch whose n·inc leaves BIGINT: every ticket up to the end
 * is a value (this answered TAKE_CORRUPT, and the caller gave up or
 * skipped values); the fast path hands the rare ones to region_redeem(). */
static void test_take_huge_increment(void **state)
{
	(void)state;
	struct region_header *h = make_region(1);
	struct region_slot *s = region_slots(h);
	struct region_ticket tk = {0};
	int64_t v;
	publish(s, 3, -2000000000000000000, 1000000000000000000, 12, 12, UINT64_MAX);
	for (int64_t i = 0; i < 12; i++) {
		enum region_take_result r = region_take(s, 3, &v, &tk);
		/* from ticket 10 on n·inc leaves int64: computed exactly by
		 * region_redeem(), off the fast path */
		if (i >= 10) {
			assert_int_equal(r, TAKE_WIDE);
			r = region_redeem(s, 3, &tk, &v);
		}
		assert_int_equal(r, TAKE_OK);
		assert_int_equal(v, -2000000000000000000 + (__int128)i * 1000000000000000000);
	}
	assert_int_equal(region_take(s, 3, &v, &tk), TAKE_END);
	/* redeeming a held ticket past 2^63 / 1e18 ticks */
	publish(s, 3, 9223372036854775806, -1000000000000000000, 15, 19, UINT64_MAX);
	for (int i = 0; i < 15; i++) {
		enum region_take_result r = region_take(s, 3, &v, &tk);
		if (r == TAKE_WIDE)
			r = region_redeem(s, 3, &tk, &v);
		assert_int_equal(r, TAKE_OK);
		assert_int_equal(v, 9223372036854775806 - (__int128)i * 1000000000000000000);
	}
	assert_int_equal(region_take(s, 3, &v, &tk), TAKE_REFILL);
	region_slot_extend(s, 19, UINT64_MAX);
	assert_int_equal(region_redeem(s, 3, &tk, &v), TAKE_OK);
	assert_int_equal(v, -5776627963145224194);
	free(h);
}

/* The client's arithmetic against the daemon's: for definitions whose range
 * is wider than 2^63 and whose increments are huge, the value of every
 * ticket of an epoch is what seq_epoch_value() and MariaDB's serial
 * algorithm (seq_live) give. xorshift: deterministic. */
static void test_value_matches_serial_model(void **state)
{
	(void)state;
	static const struct seq_env env = {1, 1};
	uint64_t x = 0x2545F4914F6CDD1Du;
	int checked = 0;
	for (int iter = 0; iter < 3000; iter++) {
		x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
		uint64_t r = x * 2685821657736338717u;
		bool uns = r & 1;
		int64_t mag = (int64_t)(100000000000000000u + (r >> 8) % 4511686018427387903u);
		struct seq_options o = {
			.given = SEQ_OPT_INCREMENT | SEQ_OPT_CACHE | SEQ_OPT_MINVALUE | SEQ_OPT_MAXVALUE,
			.increment = (r & 2) ? mag : -mag,
			.cache = (int64_t)((r >> 2) % 3),
			.minvalue = uns ? 1 : -9223372036854775807,
			.maxvalue = uns ? (__int128)UINT64_MAX - 1 : 9223372036854775806,
		};
		if (uns) {
			o.given |= SEQ_OPT_AS;
			o.type = SEQ_TYPE_BIGINT;
			o.is_unsigned = true;
		}
		struct seq_def d;
		int64_t next;
		if (seq_def_create(&o, &env, &d, &next, NULL) != 0)
			continue;
		struct seq_live l;
		seq_live_load(&l, &d, next, 0, &env);
		uint64_t end = seq_epoch_end(&d, next, d.increment);
		uint32_t flags = uns ? SLOT_UNSIGNED : 0;
		for (uint64_t n = 0; n < end; n++) {
			int64_t want, got = 0;
			bool wrote;
			assert_int_equal(seq_live_nextval(&l, &env, &want, &wrote), 0);
			assert_int_equal(seq_epoch_value(next, d.increment, n), want);
			assert_true(region_value(next, d.increment, n, flags, &got));
			assert_int_equal(got, want);
		}
		int64_t v;
		assert_false(region_value(next, d.increment, end, flags, &v) &&
			     !seq_past_end(&d, d.increment, v) && end < UINT64_MAX);
		checked++;
	}
	assert_true(checked > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_validation),
		cmocka_unit_test(test_take_limits),
		cmocka_unit_test(test_stale_ticket_is_void),
		cmocka_unit_test(test_race_with_epoch_changes),
		cmocka_unit_test(test_value_edges),
		cmocka_unit_test(test_take_huge_increment),
		cmocka_unit_test(test_value_matches_serial_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
