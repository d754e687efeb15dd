/* SPDX-License-Identifier: MIT */
/* test_region_index.c — the region's name index: put, delete, lookup, the
 * reuse of removed buckets, the verification of what a reader finds (a slot
 * that holds another sequence, a record that does not check), and a
 * scribbled index: lookups then miss or doubt, never name another slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "region_index.h"
#include "util.h"

struct fixture {
	struct region_header *h;
	size_t size;
	struct region_index ix;
};

static void make(struct fixture *f, uint64_t nslots)
{
	f->size = region_bytes_indexed(nslots);
	f->h = aligned_alloc(64, f->size);
	assert_non_null(f->h);
	memset(f->h, 0, f->size);
	f->h->magic = REGION_MAGIC;
	f->h->layout_version = REGION_LAYOUT_VERSION;
	f->h->header_size = sizeof(*f->h);
	f->h->slot_size = sizeof(struct region_slot);
	f->h->nslots = nslots;
	f->h->region_size = region_bytes(nslots);
	f->h->compat_flags = REGION_COMPAT_NAME_INDEX;
	atomic_store(&f->h->state, REGION_STATE_LIVE);
	assert_int_equal(region_header_validate(f->h, f->size, NULL), 0);
	assert_true(region_index_locate(f->h, f->size, &f->ix));
}

/* The daemon's order: the slot's epoch first, then the index. */
static void create(struct fixture *f, const char *name, uint32_t slot, uint64_t id)
{
	struct region_epoch e = {.seq_id = id, .inc = 1, .limit = 10, .end = 100, .refill_mark = UINT64_MAX};
	region_slot_freeze(&region_slots(f->h)[slot]);
	region_slot_publish(&region_slots(f->h)[slot], &e);
	assert_int_equal(
		region_index_put(&f->ix, name, strlen(name), util_hash(name, strlen(name)), slot, id), 0);
}

static void drop(struct fixture *f, const char *name, uint32_t slot)
{
	region_slot_freeze(&region_slots(f->h)[slot]);
	region_slot_clear(&region_slots(f->h)[slot]);
	region_index_del(&f->ix, util_hash(name, strlen(name)), slot);
}

static enum region_index_result look(struct fixture *f, const char *name, uint32_t *slot, uint64_t *id)
{
	return region_index_lookup(&f->ix, name, strlen(name), util_hash(name, strlen(name)), slot, id, NULL);
}

static void test_locate(void **state)
{
	(void)state;
	struct fixture f;
	make(&f, 100);
	struct region_index ix;
	/* no flag, or a mapping too small for the index: no index */
	f.h->compat_flags = 0;
	assert_false(region_index_locate(f.h, f.size, &ix));
	f.h->compat_flags = REGION_COMPAT_NAME_INDEX;
	assert_false(region_index_locate(f.h, f.size - 1, &ix));
	assert_false(region_index_locate(f.h, region_bytes(100), &ix));
	assert_true(region_index_locate(f.h, f.size, &ix));
	assert_true(ix.mask + 1 >= 200);
	free(f.h);
}

static void test_put_lookup_delete(void **state)
{
	(void)state;
	struct fixture f;
	make(&f, 1000);
	char name[64];
	for (uint32_t i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "db.seq_%u", i);
		create(&f, name, i, 1000 + i);
	}
	uint32_t slot;
	uint64_t id;
	for (uint32_t i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "db.seq_%u", i);
		assert_int_equal(look(&f, name, &slot, &id), INDEX_HIT);
		assert_int_equal(slot, i);
		assert_int_equal(id, 1000 + i);
	}
	assert_int_equal(look(&f, "db.nothing", &slot, &id), INDEX_ABSENT);
	assert_int_equal(look(&f, "db.seq_1000", &slot, &id), INDEX_ABSENT);
	/* put is idempotent */
	assert_int_equal(region_index_put(&f.ix, "db.seq_5", 8, util_hash("db.seq_5", 8), 5, 1005), 0);
	assert_int_equal(look(&f, "db.seq_5", &slot, &id), INDEX_HIT);
	/* drop every odd one */
	for (uint32_t i = 1; i < 1000; i += 2) {
		snprintf(name, sizeof(name), "db.seq_%u", i);
		drop(&f, name, i);
	}
	for (uint32_t i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "db.seq_%u", i);
		enum region_index_result r = look(&f, name, &slot, &id);
		if (i & 1) {
			assert_int_equal(r, INDEX_ABSENT);
		} else {
			assert_int_equal(r, INDEX_HIT);
			assert_int_equal(slot, i);
		}
	}
	/* OR REPLACE: the old slot emptied, the name in another slot, new id */
	drop(&f, "db.seq_2", 2);
	create(&f, "db.seq_2", 3, 5000);
	assert_int_equal(look(&f, "db.seq_2", &slot, &id), INDEX_HIT);
	assert_int_equal(slot, 3);
	assert_int_equal(id, 5000);
	/* churn: removed buckets are reused, so lookups stay within the probes */
	for (int round = 0; round < 50; round++)
		for (uint32_t i = 1; i < 1000; i += 2) {
			if (i == 3)
				continue;
			snprintf(name, sizeof(name), "churn.%d.%u", round, i);
			create(&f, name, i, 100000 + (uint64_t)round * 1000 + i);
			assert_int_equal(look(&f, name, &slot, &id), INDEX_HIT);
			drop(&f, name, i);
			assert_int_equal(look(&f, name, &slot, &id), INDEX_ABSENT);
		}
	for (uint32_t i = 0; i < 1000; i += 2) {
		if (i == 2)
			continue;
		snprintf(name, sizeof(name), "db.seq_%u", i);
		assert_int_equal(look(&f, name, &slot, &id), INDEX_HIT);
		assert_int_equal(slot, i);
	}
	free(f.h);
}

static void test_verification(void **state)
{
	(void)state;
	struct fixture f;
	make(&f, 16);
	uint32_t slot;
	uint64_t id;
	create(&f, "a.one", 1, 11);
	create(&f, "a.two", 2, 12);
	struct region_slot *s = region_slots(f.h);
	/* the slot holds another sequence now (the daemon is between the slot
	 * and the index): not a hit */
	struct region_epoch e = {.seq_id = 99, .inc = 1, .limit = 1, .end = 10};
	region_slot_freeze(&s[1]);
	region_slot_publish(&s[1], &e);
	assert_int_equal(look(&f, "a.one", &slot, &id), INDEX_SUSPECT);
	/* the slot mid-rewrite (gen odd) */
	e.seq_id = 11;
	region_slot_publish(&s[1], &e);
	assert_int_equal(look(&f, "a.one", &slot, &id), INDEX_HIT);
	region_slot_freeze(&s[1]);
	assert_int_equal(look(&f, "a.one", &slot, &id), INDEX_SUSPECT);
	region_slot_thaw(&s[1], 0);
	/* a record whose check word was changed */
	uint64_t ck = atomic_load(&s[1].name.check);
	atomic_store(&s[1].name.check, ck ^ 1);
	assert_int_equal(look(&f, "a.one", &slot, &id), INDEX_SUSPECT);
	atomic_store(&s[1].name.check, ck);
	assert_int_equal(look(&f, "a.one", &slot, &id), INDEX_HIT);
	/* a record copied whole into another slot: the check names its slot */
	struct region_epoch e3 = {.seq_id = 13, .inc = 1, .limit = 1, .end = 10};
	region_slot_publish(&s[3], &e3);
	memcpy((void *)&s[3].name, (void *)&s[1].name, sizeof(s[1].name));
	for (uint64_t i = 0; i <= f.ix.mask; i++) {
		uint64_t b = atomic_load(&f.ix.bucket[i]);
		if (b && b != REGION_INDEX_TOMB && (b & 0xffffffffu) == 2) /* a.one's: slot 1 + 1 */
			atomic_store(&f.ix.bucket[i], (b & ~0xffffffffull) | 4);
	}
	assert_int_not_equal(look(&f, "a.one", &slot, &id), INDEX_HIT);
	region_index_put(&f.ix, "a.one", 5, util_hash("a.one", 5), 1, 11);
	assert_int_equal(look(&f, "a.one", &slot, &id), INDEX_HIT);
	assert_int_equal(slot, 1);
	/* a bucket pointed at the other slot: its record names another name */
	for (uint64_t i = 0; i <= f.ix.mask; i++) {
		uint64_t b = atomic_load(&f.ix.bucket[i]);
		if (b && b != REGION_INDEX_TOMB && (b & 0xffffffffu) == 3) /* slot 2 + 1 */
			atomic_store(&f.ix.bucket[i], (b & ~0xffffffffull) | 2);
	}
	assert_int_equal(look(&f, "a.two", &slot, &id), INDEX_ABSENT);
	/* the daemon's next put for it repairs it */
	assert_int_equal(region_index_put(&f.ix, "a.two", 5, util_hash("a.two", 5), 2, 12), 0);
	assert_int_equal(look(&f, "a.two", &slot, &id), INDEX_HIT);
	assert_int_equal(slot, 2);
	/* a slot number past the region */
	for (uint64_t i = 0; i <= f.ix.mask; i++) {
		uint64_t b = atomic_load(&f.ix.bucket[i]);
		if (b && b != REGION_INDEX_TOMB && (b & 0xffffffffu) == 3)
			atomic_store(&f.ix.bucket[i], (b & ~0xffffffffull) | 0xfffffff0u);
	}
	assert_int_equal(look(&f, "a.two", &slot, &id), INDEX_SUSPECT);
	/* a full table of garbage: the reader stops after its probes, the
	 * daemon says it cannot place a name, a clear and a rebuild repair it */
	for (uint64_t i = 0; i <= f.ix.mask; i++)
		atomic_store(&f.ix.bucket[i], 0x1234567800000001ull);
	assert_int_not_equal(look(&f, "a.one", &slot, &id), INDEX_HIT);
	assert_int_equal(region_index_put(&f.ix, "a.three", 7, util_hash("a.three", 7), 3, 13), -ENOSPC);
	region_index_clear(&f.ix);
	create(&f, "a.one", 1, 11);
	create(&f, "a.two", 2, 12);
	assert_int_equal(look(&f, "a.one", &slot, &id), INDEX_HIT);
	assert_int_equal(look(&f, "a.two", &slot, &id), INDEX_HIT);
	/* up to REGION_INDEX_NAME_MAX bytes in the index; longer ones are not
	 * (their clients ask the daemon) */
	char n40[REGION_INDEX_NAME_MAX + 2];
	memset(n40, 'q', sizeof(n40));
	n40[REGION_INDEX_NAME_MAX] = 0;
	create(&f, n40, 5, 15);
	assert_int_equal(look(&f, n40, &slot, &id), INDEX_HIT);
	assert_int_equal(slot, 5);
	n40[REGION_INDEX_NAME_MAX] = 'q';
	n40[REGION_INDEX_NAME_MAX + 1] = 0;
	assert_int_equal(region_index_put(&f.ix, n40, strlen(n40), util_hash(n40, strlen(n40)), 6, 16),
			 -EINVAL);
	assert_int_equal(look(&f, n40, &slot, &id), INDEX_ABSENT);
	/* over-long and empty names are never in the index */
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(look(&f, longname, &slot, &id), INDEX_ABSENT);
	assert_int_equal(look(&f, "", &slot, &id), INDEX_ABSENT);
	free(f.h);
}

/* Random scribbles over the whole index (and the slots' identities): a
 * lookup may miss or doubt, but a hit always names the right slot. */
static void test_scribbled(void **state)
{
	(void)state;
	enum { N = 500 };
	struct fixture f;
	make(&f, N);
	char name[64];
	for (uint32_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "s.%u", i);
		create(&f, name, i, 7000 + i);
	}
	unsigned seed = 12345;
	size_t ibytes = region_index_bytes(N);
	unsigned char *ib = (unsigned char *)f.h + region_bytes(N);
	uint64_t hits = 0, misses = 0;
	for (int round = 0; round < 200; round++) {
		/* scribble: random bytes, random words copied from elsewhere */
		for (int k = 0; k < 20; k++) {
			size_t at = (size_t)rand_r(&seed) % ibytes;
			if (k % 4 == 3) { /* a slot's record: bytes 8..63 of its first line */
				unsigned char *rb = (unsigned char *)&region_slots(f.h)[rand_r(&seed) % N];
				rb[8 + rand_r(&seed) % 56] = (unsigned char)rand_r(&seed);
			} else if (k & 1) {
				ib[at] = (unsigned char)rand_r(&seed);
			} else {
				size_t from = ((size_t)rand_r(&seed) % (ibytes / 8)) * 8;
				memcpy(ib + (at & ~(size_t)7), ib + from, 8);
			}
		}
		if (round % 10 == 0) /* and a slot's identity */
			atomic_store(&region_slots(f.h)[rand_r(&seed) % N].seq_id,
				     7000 + (uint64_t)(rand_r(&seed) % N));
		for (uint32_t i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "s.%u", i);
			uint32_t slot;
			uint64_t id;
			if (look(&f, name, &slot, &id) == INDEX_HIT) {
				assert_int_equal(slot, i);
				assert_int_equal(id, 7000 + i);
				hits++;
			} else {
				misses++;
			}
		}
	}
	print_message("scribbled index: %llu hits (all right), %llu misses\n", (unsigned long long)hits,
		      (unsigned long long)misses);
	assert_true(hits > 0 && misses > 0);
	free(f.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_put_lookup_delete),
		cmocka_unit_test(test_verification),
		cmocka_unit_test(test_scribbled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
