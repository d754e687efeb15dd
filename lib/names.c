/* SPDX-License-Identifier: MIT */
/* names.c — the client's name cache table (names.h). */
#include "names.h"

#include <stdlib.h>

/* Distinct from every entry; never dereferenced. */
static char gone_marker[256] __attribute__((aligned(128)));
struct shmseq_seq *const names_gone = (struct shmseq_seq *)gone_marker;

struct name_table *names_new(size_t buckets)
{
	struct name_table *t = calloc(1, sizeof(*t) + buckets * sizeof(t->b[0]));
	if (t)
		t->mask = buckets - 1;
	return t;
}

bool names_put(struct name_table *t, uint64_t hash, struct shmseq_seq *e, uint32_t hint)
{
	size_t i = hash & t->mask;
	struct shmseq_seq *x;
	while ((x = atomic_load_explicit(&t->b[i].e, memory_order_relaxed)) && x != NAME_GONE)
		i = (i + 1) & t->mask;
	atomic_store_explicit(&t->b[i].tag, (uint32_t)(hash >> 32), memory_order_relaxed);
	atomic_store_explicit(&t->b[i].slot, hint, memory_order_relaxed);
	/* pairs with the acquire load in names_lookup() */
	atomic_store_explicit(&t->b[i].e, e, memory_order_release);
	return x == NAME_GONE;
}

struct name_bucket *names_find(struct name_table *t, uint64_t hash, const struct shmseq_seq *e)
{
	for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		struct shmseq_seq *x = atomic_load_explicit(&t->b[i].e, memory_order_relaxed);
		if (!x)
			return NULL;
		if (x == e)
			return &t->b[i];
	}
}

struct name_table *names_copy(const struct name_table *t, size_t buckets,
			      uint64_t (*hash_of)(const struct shmseq_seq *),
			      uint32_t (*hint_of)(const struct shmseq_seq *))
{
	struct name_table *n = names_new(buckets);
	if (!n)
		return NULL;
	for (size_t i = 0; i <= t->mask; i++) {
		struct shmseq_seq *e = atomic_load_explicit(&t->b[i].e, memory_order_relaxed);
		if (e && e != NAME_GONE)
			names_put(n, hash_of(e), e, hint_of(e));
	}
	return n;
}
