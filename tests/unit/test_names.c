/* SPDX-License-Identifier: MIT */
/* test_names.c — the client's name cache table (lib/names.[ch]): lookups
 * through removed buckets and colliding hashes, copies to larger and smaller
 * tables, and readers that never lose a published name while a writer adds
 * names and replaces the table under them (run under ThreadSanitizer too). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "names.h"
#include "util.h"

static char region[4096] __attribute__((aligned(128))); /* prefetch target only */
#define HDR ((const struct region_header *)region)

static inline const char *name_of(const struct shmseq_seq *e)
{
	return e->name;
}

static uint64_t hash_of(const struct shmseq_seq *e)
{
	return util_hash(e->name, strlen(e->name));
}

static uint32_t hint_of(const struct shmseq_seq *e)
{
	(void)e;
	return 0;
}

static struct shmseq_seq *entries(size_t n)
{
	struct shmseq_seq *e = aligned_alloc(_Alignof(struct shmseq_seq), n * sizeof(*e));
	assert_non_null(e);
	memset(e, 0, n * sizeof(*e));
	for (size_t i = 0; i < n; i++)
		snprintf(e[i].name, sizeof(e[i].name), "seq_%zu", i);
	return e;
}

static struct shmseq_seq *find(const struct name_table *t, const char *name)
{
	return names_lookup(t, name, util_hash(name, strlen(name)), HDR, name_of);
}

static void test_put_lookup_remove(void **state)
{
	(void)state;
	struct name_table *t = names_new(64);
	struct shmseq_seq *e = entries(30);
	for (int i = 0; i < 30; i++)
		assert_false(names_put(t, hash_of(&e[i]), &e[i], (uint32_t)i));
	for (int i = 0; i < 30; i++)
		assert_ptr_equal(find(t, e[i].name), &e[i]);
	assert_null(find(t, "seq_30"));
	assert_null(find(t, "seq_"));
	/* remove every third: the others are still found past the gaps */
	for (int i = 0; i < 30; i += 3) {
		struct name_bucket *b = names_find(t, hash_of(&e[i]), &e[i]);
		assert_non_null(b);
		assert_int_equal(atomic_load(&b->slot), i);
		names_mark_gone(b);
	}
	for (int i = 0; i < 30; i++)
		assert_ptr_equal(find(t, e[i].name), i % 3 ? &e[i] : NULL);
	assert_null(names_find(t, hash_of(&e[0]), &e[0]));
	/* putting back reuses a removed bucket on the probe path */
	bool reused = false;
	for (int i = 0; i < 30; i += 3)
		reused |= names_put(t, hash_of(&e[i]), &e[i], 0);
	assert_true(reused);
	for (int i = 0; i < 30; i++)
		assert_ptr_equal(find(t, e[i].name), &e[i]);
	free(t);
	free(e);
}

/* The same bucket and the same tag for different names: the name decides. */
static void test_collisions(void **state)
{
	(void)state;
	struct name_table *t = names_new(16);
	struct shmseq_seq *e = entries(6);
	const uint64_t h = 0xabcdef0100000005ull;
	for (int i = 0; i < 6; i++)
		names_put(t, h, &e[i], 0);
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(names_lookup(t, e[i].name, h, HDR, name_of), &e[i]);
	/* the same bucket, another tag: never compared */
	assert_null(names_lookup(t, e[0].name, h ^ (1ull << 40), HDR, name_of));
	/* the probe wraps around the end of the table */
	struct name_table *w = names_new(8);
	for (int i = 0; i < 4; i++)
		names_put(w, 7 | ((uint64_t)i << 32), &e[i], 0);
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(names_lookup(w, e[i].name, 7 | ((uint64_t)i << 32), HDR, name_of), &e[i]);
	free(w);
	free(t);
	free(e);
}

static void test_copy(void **state)
{
	(void)state;
	struct name_table *t = names_new(64);
	struct shmseq_seq *e = entries(20);
	for (int i = 0; i < 20; i++)
		names_put(t, hash_of(&e[i]), &e[i], 0);
	for (int i = 0; i < 20; i += 2)
		names_mark_gone(names_find(t, hash_of(&e[i]), &e[i]));
	static const size_t sizes[] = {32, 256};
	for (int k = 0; k < 2; k++) {
		struct name_table *n = names_copy(t, sizes[k], hash_of, hint_of);
		assert_non_null(n);
		assert_int_equal(n->mask + 1, sizes[k]);
		size_t used = 0;
		for (size_t i = 0; i <= n->mask; i++) {
			struct shmseq_seq *x = atomic_load(&n->b[i].e);
			assert_true(x != NAME_GONE); /* removed ones stay behind */
			used += x != NULL;
		}
		assert_int_equal(used, 10);
		for (int i = 0; i < 20; i++)
			assert_ptr_equal(find(n, e[i].name), i % 2 ? &e[i] : NULL);
		free(n);
	}
	free(t);
	free(e);
}

/* --- readers while the writer grows the table ------------------------------- */

#define NAMES 20000
#define READERS 2
static struct shmseq_seq *all;
static _Atomic(struct name_table *) current;
static _Atomic size_t published; /* names 0 .. published-1 are in */
static _Atomic bool writer_done;
static struct name_table *retired[64];
static int nretired;

static void *writer(void *arg)
{
	(void)arg;
	struct name_table *t = names_new(64);
	atomic_store_explicit(&current, t, memory_order_release);
	size_t buckets = 64;
	for (size_t i = 0; i < NAMES; i++) {
		if ((i + 1) * 2 > buckets) {
			/* as the client does: a new table, published, the old
			 * one retired (freed here only once readers are done) */
			buckets *= 2;
			struct name_table *n = names_copy(t, buckets, hash_of, hint_of);
			assert_non_null(n);
			atomic_store_explicit(&current, n, memory_order_release);
			retired[nretired++] = t;
			t = n;
		}
		names_put(t, hash_of(&all[i]), &all[i], (uint32_t)i);
		atomic_store_explicit(&published, i + 1, memory_order_release);
	}
	atomic_store(&writer_done, true);
	return NULL;
}

static void *reader(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	long lookups = 0, missed = 0;
	while (!atomic_load(&writer_done) || lookups < 200000) {
		size_t n = atomic_load_explicit(&published, memory_order_acquire);
		if (n == 0)
			continue;
		size_t i = (size_t)rand_r(&seed) % n;
		/* the table is loaded after the name was published: it holds it */
		const struct name_table *t = atomic_load_explicit(&current, memory_order_acquire);
		struct shmseq_seq *e = find(t, all[i].name);
		missed += e != &all[i];
		lookups++;
	}
	printf("# reader %u: %ld lookups, %ld missed\n", (unsigned)(uintptr_t)arg, lookups, missed);
	return (void *)missed;
}

static void test_readers_while_growing(void **state)
{
	(void)state;
	all = entries(NAMES);
	pthread_t w, r[READERS];
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&r[i], NULL, reader, (void *)(uintptr_t)(i + 1)), 0);
	assert_int_equal(pthread_create(&w, NULL, writer, NULL), 0);
	pthread_join(w, NULL);
	long missed = 0;
	for (int i = 0; i < READERS; i++) {
		void *m;
		pthread_join(r[i], &m);
		missed += (long)m;
	}
	assert_int_equal(missed, 0);
	struct name_table *t = atomic_load(&current);
	assert_int_equal(t->mask + 1, 65536);
	for (size_t i = 0; i < NAMES; i++)
		assert_ptr_equal(find(t, all[i].name), &all[i]);
	free(t);
	for (int i = 0; i < nretired; i++)
		free(retired[i]);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_lookup_remove),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_readers_while_growing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
