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
	/* overflow can never produce a value: a corrupt slot is reported */
	publish(s, 1, INT64_MAX, 1, 5, 5, UINT64_MAX);
	assert_int_equal(region_take(s, 1, &v, &tk), TAKE_OK);
	assert_int_equal(region_take(s, 1, &v, &tk), TAKE_CORRUPT);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_validation),
		cmocka_unit_test(test_take_limits),
		cmocka_unit_test(test_stale_ticket_is_void),
		cmocka_unit_test(test_race_with_epoch_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
