/* SPDX-License-Identifier: MIT */
/* names.h — private: the client's name cache table, name -> entry, read by
 * the application's threads without a lock (the policy around it — what
 * leaves the cache, when the table is rebuilt, when memory is reused — is
 * client.c's).
 *
 * {tag, slot hint, entry} buckets (the tag is the hash's high half), linear
 * probing, never more than half full (entries and removed ones together), so
 * a lookup reads one bucket line and then the entry, whose first line holds
 * what the fast path needs. The hint lets the slot's lines be fetched while
 * the entry is (names_lookup).
 *
 * Readers are any threads, with no lock, inside a reader section
 * (reclaim.h): they probe from hash & mask until an empty bucket, stepping
 * over removed ones. Writers are serialized by the caller. Filling a bucket
 * (an empty one, or a removed one) stores the tag and hint, then the entry
 * pointer with a release store, so a reader that sees the pointer (acquire)
 * sees the tag. Removing one stores NAME_GONE there. A reader that raced a
 * removal may still return the removed entry: the caller keeps it valid
 * until the reader's section ends. Only the hint changes otherwise
 * (names_find, then a relaxed store). A table is never resized in place:
 * names_copy() makes the next one, which the caller publishes with a release
 * store and retires the old one after a grace period; a reader still probing
 * the old one may miss a name added since (it then looks again, under the
 * writer's lock).
 *
 * Not liburcu's cds_lfht (the client used one until 2026): its lookups walk
 * a split-ordered list, one dependent cache miss per node, and its automatic
 * resize often left the table at its first size in practice, with a chain
 * of over a thousand entries per lookup at 100,000 names
 * (docs/BENCHMARKS.md has the figures). */
#ifndef SHMSEQ_NAMES_H
#define SHMSEQ_NAMES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "region.h"

struct shmseq_seq; /* the entry: client.h; it starts with its name's use here */

struct name_bucket {
	_Atomic uint32_t tag;		/* the name's hash, high half */
	_Atomic uint32_t slot;		/* a hint: the entry's slot index, for prefetch */
	_Atomic(struct shmseq_seq *) e; /* NULL: empty; NAME_GONE: removed */
};

struct name_table {
	size_t mask; /* buckets - 1 */
	struct name_bucket b[];
};

/* A removed bucket's entry: never dereferenced. */
extern struct shmseq_seq *const names_gone;
#define NAME_GONE (names_gone)

/* An empty table of `buckets` (a power of two), or NULL. free() it. */
struct name_table *names_new(size_t buckets);

/* Start fetching the two lines of slot idx of the region at hdr. With many
 * names, the entry and the slot are each a cache miss, the slot's address
 * known only from the entry: started from the bucket's hint, the two misses
 * overlap instead of following each other (docs/BENCHMARKS.md). A stale hint
 * costs a useless prefetch, never a wrong value. */
static inline void names_prefetch_slot(const struct region_header *hdr, uint32_t idx)
{
	uintptr_t p = (uintptr_t)hdr + sizeof(struct region_header) +
		      (uintptr_t)idx * sizeof(struct region_slot);
	__builtin_prefetch((const void *)p, 1);			     /* ticks: the fetch-and-add */
	__builtin_prefetch((const void *)(p + REGION_CACHELINE), 0); /* gen, base, limit … */
}

/* Reader side: any thread, no lock, inside a reader section. The entry of
 * name in t, or NULL; the slot of a candidate is prefetched in the region at
 * hdr. name_of gives an entry's name: a static inline function of the caller
 * (which knows the entry's layout), so the call is inlined too. */
static inline struct shmseq_seq *names_lookup(const struct name_table *t, const char *name, uint64_t hash,
					      const struct region_header *hdr,
					      const char *(*name_of)(const struct shmseq_seq *))
{
	const uint32_t tag = (uint32_t)(hash >> 32);
	for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		/* pairs with the release store in names_put() */
		struct shmseq_seq *e = atomic_load_explicit(&t->b[i].e, memory_order_acquire);
		if (!e)
			return NULL;
		if (e != NAME_GONE && atomic_load_explicit(&t->b[i].tag, memory_order_relaxed) == tag) {
			names_prefetch_slot(hdr, atomic_load_explicit(&t->b[i].slot, memory_order_relaxed));
			if (strcmp(name_of(e), name) == 0)
				return e;
		}
	}
}

/* Writer side (serialized by the caller, or t not yet published). Fill the
 * first empty or removed bucket for hash with e and its slot hint; t must
 * have an empty bucket. Returns whether it was a removed one. */
bool names_put(struct name_table *t, uint64_t hash, struct shmseq_seq *e, uint32_t hint);

/* e's bucket in t (whose name hashes to hash), or NULL. */
struct name_bucket *names_find(struct name_table *t, uint64_t hash, const struct shmseq_seq *e);

/* Mark a bucket removed: readers step over it from now on. */
static inline void names_mark_gone(struct name_bucket *b)
{
	atomic_store_explicit(&b->e, NAME_GONE, memory_order_release);
}

/* A new table of `buckets` holding t's live entries (hashes from hash_of,
 * hints from hint_of), or NULL. The caller publishes it and retires t. */
struct name_table *names_copy(const struct name_table *t, size_t buckets,
			      uint64_t (*hash_of)(const struct shmseq_seq *),
			      uint32_t (*hint_of)(const struct shmseq_seq *));

#endif
