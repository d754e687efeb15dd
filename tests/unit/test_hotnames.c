/* SPDX-License-Identifier: MIT */
/* test_hotnames.c — the connection's first level in front of the region's
 * name index (lib/hotnames.h): names of every length compared in place,
 * never a hit for another name, the admission rule, forgetting, a fixed
 * size, and readers that never see a name with another name's slot while
 * writers rewrite the entries under them (run under ThreadSanitizer too). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotnames.h"
#include "util.h"

static struct hot_table *table(void)
{
	struct hot_table *t = aligned_alloc(64, sizeof(*t));
	assert_non_null(t);
	memset(t, 0, sizeof(*t));
	return t;
}

static uint64_t hash_of(const char *name)
{
	return util_hash(name, strlen(name));
}

/* Admit name at (slot, id) as the client does after a verified index hit. */
static void admit(struct hot_table *t, const char *name, uint32_t slot, uint64_t id)
{
	hot_admit(t, name, strlen(name), hash_of(name), slot, id);
}

static struct hot_entry *find(struct hot_table *t, const char *name, uint32_t *slot, uint64_t *id,
			      uint32_t *ver)
{
	return hot_lookup(t, name, strlen(name), hash_of(name), slot, id, ver);
}

/* The tail read in place equals the zero-padded copy's last word, for every
 * length and alignment, with bytes right up to the end of a buffer. */
static void test_tail_matches_words(void **state)
{
	(void)state;
	char buf[64 + REGION_INDEX_NAME_MAX];
	for (size_t len = 1; len <= REGION_INDEX_NAME_MAX; len++) {
		for (size_t at = 0; at < 16; at++) {
			char *name = buf + at;
			for (size_t i = 0; i < len; i++)
				name[i] = (char)(0x80 + 7 * i + at); /* high bits set too */
			uint64_t w[REGION_INDEX_NAME_WORDS];
			hot_words(name, len, w);
			if (len & 7)
				assert_true(hot_tail(name, len) == w[len / 8]);
			/* a name at the very end of its buffer: nothing read beyond */
			char *end = malloc(len);
			assert_non_null(end);
			memcpy(end, name, len);
			if (len & 7)
				assert_true(hot_tail(end, len) == w[len / 8]);
			free(end);
		}
	}
}

/* A name is found with its own slot and id; a name that differs in one
 * byte, is a prefix or extends it, is not. */
static void test_exact_names_only(void **state)
{
	(void)state;
	struct hot_table *t = table();
	const char *names[] = {"a",
			       "ab",
			       "abc",
			       "abcd",
			       "abcde",
			       "abcdefg",
			       "abcdefgh",
			       "abcdefghi",
			       "orders_2026_12",
			       "a_name_of_exactly_forty_bytes_0123456789"};
	size_t n = sizeof(names) / sizeof(names[0]);
	assert_int_equal(strlen(names[n - 1]), REGION_INDEX_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		admit(t, names[i], (uint32_t)i + 10, 1000 + i);
	for (size_t i = 0; i < n; i++) {
		uint32_t slot, ver;
		uint64_t id;
		if (!find(t, names[i], &slot, &id, &ver))
			continue; /* two of them may share a set with a third */
		assert_int_equal(slot, i + 10);
		assert_int_equal(id, 1000 + i);
		assert_true(ver > 0 && !(ver & 1));
	}
	/* each name once more: any still missing missed twice in a row */
	unsigned found = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t slot, ver;
		uint64_t id;
		if (find(t, names[i], &slot, &id, &ver))
			found++;
	}
	assert_true(found >= n - 2);
	const char *others[] = {"b",
				"abd",
				"abcdf",
				"abcdefgi",
				"abcdefghj",
				"orders_2026_13",
				"orders_2026_1",
				"orders_2026_123",
				"A_name_of_exactly_forty_bytes_0123456789"};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		uint32_t slot, ver;
		uint64_t id;
		assert_null(find(t, others[i], &slot, &id, &ver));
	}
	free(t);
}

/* Two names sharing a full set: the one that misses twice in a row is
 * admitted; a name that misses once is not, so names taken once each do
 * not push the hot ones out. */
static void test_admission(void **state)
{
	(void)state;
	struct hot_table *t = table();
	/* names of one set */
	char pool[8][24];
	unsigned have = 0;
	unsigned want = HOT_SETS;
	for (unsigned i = 0; have < 8; i++) {
		char nm[24];
		snprintf(nm, sizeof(nm), "set_%u", i);
		unsigned s = hot_set_of(hash_of(nm));
		if (want == HOT_SETS)
			want = s;
		if (s == want)
			memcpy(pool[have++], nm, sizeof(nm));
	}
	uint32_t slot, ver;
	uint64_t id;
	admit(t, pool[0], 1, 1); /* empty ways: in at once */
	admit(t, pool[1], 2, 2);
	assert_non_null(find(t, pool[0], &slot, &id, &ver));
	assert_non_null(find(t, pool[1], &slot, &id, &ver));
	/* the set is full: names that miss once each stay out */
	for (unsigned i = 2; i < 8; i++)
		admit(t, pool[i], 10 + i, 10 + i);
	assert_non_null(find(t, pool[0], &slot, &id, &ver));
	assert_non_null(find(t, pool[1], &slot, &id, &ver));
	for (unsigned i = 2; i < 8; i++)
		assert_null(find(t, pool[i], &slot, &id, &ver));
	/* one that misses twice in a row is admitted, in place of one */
	admit(t, pool[5], 15, 15);
	admit(t, pool[5], 15, 15);
	assert_non_null(find(t, pool[5], &slot, &id, &ver));
	assert_int_equal(slot, 15);
	assert_int_equal((find(t, pool[0], &slot, &id, &ver) != NULL) +
				 (find(t, pool[1], &slot, &id, &ver) != NULL),
			 1);
	free(t);
}

/* A forgotten entry is empty (the next name for the set goes in at once);
 * one rewritten since it was found is left alone. */
static void test_forget(void **state)
{
	(void)state;
	struct hot_table *t = table();
	uint32_t slot, ver;
	uint64_t id;
	admit(t, "seq_a", 3, 33);
	struct hot_entry *e = find(t, "seq_a", &slot, &id, &ver);
	assert_non_null(e);
	uint32_t stale = ver;
	hot_forget(t, e, ver);
	assert_null(find(t, "seq_a", &slot, &id, &ver));
	admit(t, "seq_a", 4, 44); /* a recreated sequence: its new slot */
	e = find(t, "seq_a", &slot, &id, &ver);
	assert_non_null(e);
	assert_int_equal(slot, 4);
	assert_int_equal(id, 44);
	hot_forget(t, e, stale); /* an old version: not this entry any more */
	assert_non_null(find(t, "seq_a", &slot, &id, &ver));
	free(t);
}

/* Bounded: a million names admitted leave HOT_SETS × HOT_WAYS entries, each
 * hit still its own name's. */
static void test_bounded(void **state)
{
	(void)state;
	struct hot_table *t = table();
	assert_int_equal(sizeof(*t), HOT_SETS * HOT_WAYS * 64 + HOT_SETS * 8);
	char nm[24];
	for (unsigned i = 0; i < 1000000; i++) {
		snprintf(nm, sizeof(nm), "n_%u", i);
		admit(t, nm, i, (uint64_t)i * 7 + 1);
		if (i % 3 == 0)
			admit(t, nm, i, (uint64_t)i * 7 + 1);
	}
	unsigned hits = 0;
	for (unsigned i = 0; i < 1000000; i++) {
		uint32_t slot, ver;
		uint64_t id;
		snprintf(nm, sizeof(nm), "n_%u", i);
		if (find(t, nm, &slot, &id, &ver)) {
			assert_int_equal(slot, i);
			assert_int_equal(id, (uint64_t)i * 7 + 1);
			hits++;
		}
	}
	assert_true(hits > 0 && hits <= HOT_SETS * HOT_WAYS);
	free(t);
}

/* Readers and writers on one table: a hit always carries its own name's
 * slot and id (id = a function of the name), however the entries are
 * rewritten and forgotten meanwhile. */
#define RACE_NAMES 512u
#define RACE_ITERS 400000u
static struct hot_table *race_t;
static _Atomic unsigned race_hits, race_bad;

static void race_name(unsigned i, char *buf, size_t cap)
{
	snprintf(buf, cap, "race_name_%u_%s", i, i % 2 ? "long_enough_for_words" : "x");
}

static void *race_thread(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg, hits = 0, bad = 0;
	char nm[64];
	for (unsigned k = 0; k < RACE_ITERS; k++) {
		seed = seed * 1103515245u + 12345u;
		unsigned i = (seed >> 8) % RACE_NAMES;
		race_name(i, nm, sizeof(nm));
		uint32_t slot, ver;
		uint64_t id;
		size_t len = strlen(nm);
		struct hot_entry *e = hot_lookup(race_t, nm, len, util_hash(nm, len), &slot, &id, &ver);
		if (e) {
			hits++;
			if (slot != i || id != (uint64_t)i * 31 + 5)
				bad++;
			if ((seed >> 20) % 16 == 0)
				hot_forget(race_t, e, ver);
		} else {
			hot_admit(race_t, nm, len, util_hash(nm, len), i, (uint64_t)i * 31 + 5);
		}
	}
	atomic_fetch_add(&race_hits, hits);
	atomic_fetch_add(&race_bad, bad);
	return NULL;
}

static void test_concurrent_readers_writers(void **state)
{
	(void)state;
	race_t = table();
	pthread_t th[4];
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, (void *)(i + 1)), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	printf("# %u hits, %u wrong\n", atomic_load(&race_hits), atomic_load(&race_bad));
	assert_true(atomic_load(&race_hits) > 0);
	assert_int_equal(atomic_load(&race_bad), 0);
	free(race_t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_matches_words),
		cmocka_unit_test(test_exact_names_only),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_concurrent_readers_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
