/* SPDX-License-Identifier: MIT */
/* hotnames.h — private: the connection's first level in front of the
 * region's name index, name -> (slot, seq_id), for the names a session uses
 * often.
 *
 * Why. A NEXTVAL by a name the connection's cache does not hold goes through
 * the region's name index (region_index.c) and makes no cache entry, so that
 * a session that touches a million names keeps 16 bytes per name, not a
 * 256-byte entry. But the index verifies everything it reads on every call
 * (the bucket, the record's seqlock, the name's words, the check word, the
 * slot's epoch), which more than doubled the cost of one hot name by name.
 * This table remembers a few names the session has just resolved there: a
 * hit costs one private line and the name's compare, and then the slot.
 *
 * Bounded. HOT_SETS sets of HOT_WAYS one-line entries (16 KiB), per region
 * mapping: it never grows with the number of names, so the memory per name
 * stays the index's. A name is admitted after it missed twice in a row in
 * its set (or at once into an empty way): names taken at random over many
 * sequences mostly do not get in and so do not push hot ones out, and the
 * table is written only on misses, never on a hit. Two hot names that keep
 * missing in the same full set alternately are not admitted: they cost what
 * the index costs, as before.
 *
 * Validated as a cache entry is. The table is private memory, written only
 * from a verified index hit (region_index_lookup(): the record, its check
 * word and the slot's epoch). What a hit gives is checked by the take itself:
 * region_take() refuses (TAKE_GONE, before its fetch-and-add) a slot that no
 * longer holds that seq_id, and a seq_id is never given to another sequence,
 * so a dropped, replaced or recreated sequence is noticed on its first call;
 * the caller then forgets the entry (hot_forget) and asks the index again. A
 * new region (a daemon restart) comes with a new mapping and a new, empty
 * table: the old one is freed with the old mapping, after a grace period.
 *
 * Threads. A connection is used by any number of threads at once, without a
 * lock on this path. Each entry is a seqlock whose writers are any threads:
 * a writer takes it by a compare-and-swap of ver from even to odd (one that
 * loses gives up: this is only a cache), stores the fields and releases it
 * with ver + 2; a reader reads ver (acquire), the fields, fences, and reads
 * ver again, and believes only an even, unchanged, nonzero ver. All fields
 * are atomics, so a torn read is never a data race, only a miss. The aux
 * words are hints outside the seqlock. */
#ifndef SHMSEQ_HOTNAMES_H
#define SHMSEQ_HOTNAMES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "region_index.h"

#define HOT_SETS 128u
#define HOT_WAYS 2u

struct hot_entry {
	_Atomic uint32_t ver; /* seqlock: odd while written; 0: never written */
	/* not under the seqlock, hints: way 0's is the admission tag (the
	 * last name that missed in this set), way 1's the way to replace next */
	_Atomic uint32_t aux;
	_Atomic uint32_t slot;
	_Atomic uint32_t len; /* the name's bytes; 0: empty */
	_Atomic uint64_t seq_id;
	_Atomic uint64_t name[REGION_INDEX_NAME_WORDS]; /* zero-padded */
};
_Static_assert(sizeof(struct hot_entry) == 64, "one cache line");

struct hot_table {
	struct hot_entry e[HOT_SETS * HOT_WAYS];
};

/* The set of a name: its entries e[set * HOT_WAYS …]. The index's buckets
 * and the cache's take the hash's low bits; mixed in the high half, so that
 * names crowded there are spread here. */
static inline struct hot_entry *hot_set(struct hot_table *t, uint64_t hash)
{
	return &t->e[((hash ^ (hash >> 29)) & (HOT_SETS - 1)) * HOT_WAYS];
}

/* name as zero-padded words (len <= REGION_INDEX_NAME_MAX) */
static inline void hot_words(const char *name, size_t len, uint64_t w[REGION_INDEX_NAME_WORDS])
{
	memset(w, 0, REGION_INDEX_NAME_WORDS * sizeof(uint64_t));
	memcpy(w, name, len);
}

static inline uint64_t hot_load8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* The last len & 7 bytes of name (len bytes), as the low bytes of a word:
 * its zero-padded last word, as hot_words() makes it. Reads no byte
 * outside the name. */
static inline uint64_t hot_tail(const char *name, size_t len)
{
	size_t r = len & 7;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len >= 8)
		return hot_load8(name + len - 8) >> (8 * (8 - r)); /* r > 0 */
	uint32_t a4, b4;
	uint16_t a2, b2;
	if (r >= 4) { /* two loads of 4 that overlap: the same bytes */
		memcpy(&a4, name, 4);
		memcpy(&b4, name + r - 4, 4);
		return (uint64_t)a4 | ((uint64_t)b4 << (8 * (r - 4)));
	}
	if (r >= 2) {
		memcpy(&a2, name, 2);
		memcpy(&b2, name + r - 2, 2);
		return (uint64_t)a2 | ((uint64_t)b2 << (8 * (r - 2)));
	}
	return (unsigned char)name[0];
#else
	uint64_t x = 0;
	memcpy(&x, name + (len - r), r);
	return x;
#endif
}

/* Reader: whether e holds name (len bytes); then *slot, *seq_id, and *ver
 * the version read (for hot_forget). The name is compared word by word
 * against its bytes in place, without copying it. */
static inline bool hot_match(struct hot_entry *e, const char *name, uint32_t len, uint32_t *slot,
			     uint64_t *seq_id, uint32_t *ver)
{
	/* pairs with the release store of ver in hot_put() */
	uint32_t v = atomic_load_explicit(&e->ver, memory_order_acquire);
	if ((v & 1) || v == 0 || atomic_load_explicit(&e->len, memory_order_relaxed) != len)
		return false;
	unsigned i = 0;
	for (; i < len / 8; i++)
		if (atomic_load_explicit(&e->name[i], memory_order_relaxed) != hot_load8(name + 8 * i))
			return false;
	if ((len & 7) && atomic_load_explicit(&e->name[i], memory_order_relaxed) != hot_tail(name, len))
		return false;
	*slot = atomic_load_explicit(&e->slot, memory_order_relaxed);
	*seq_id = atomic_load_explicit(&e->seq_id, memory_order_relaxed);
	/* pairs with the release fence after the odd ver store in hot_put() */
	atomic_thread_fence(memory_order_acquire);
	*ver = v;
	return atomic_load_explicit(&e->ver, memory_order_relaxed) == v;
}

/* Reader side: any thread, no lock. The entry that holds name (len bytes,
 * 1..REGION_INDEX_NAME_MAX, hash util_hash()) with *slot, *seq_id, *ver;
 * or NULL. */
static inline struct hot_entry *hot_lookup(struct hot_table *t, const char *name, size_t len, uint64_t hash,
					   uint32_t *slot, uint64_t *seq_id, uint32_t *ver)
{
	struct hot_entry *e = hot_set(t, hash);
	for (unsigned i = 0; i < HOT_WAYS; i++)
		if (hot_match(&e[i], name, (uint32_t)len, slot, seq_id, ver))
			return &e[i];
	return NULL;
}

/* Writer: fill e if it is still at version v (even). False when another
 * thread got there first. */
static inline bool hot_put(struct hot_entry *e, uint32_t v, const uint64_t *w, uint32_t len, uint32_t slot,
			   uint64_t seq_id)
{
	if ((v & 1) || !atomic_compare_exchange_strong_explicit(&e->ver, &v, v + 1, memory_order_relaxed,
								memory_order_relaxed))
		return false;
	/* pairs with the acquire fence in hot_match() */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->len, len, memory_order_relaxed);
	atomic_store_explicit(&e->slot, slot, memory_order_relaxed);
	atomic_store_explicit(&e->seq_id, seq_id, memory_order_relaxed);
	for (unsigned i = 0; i < REGION_INDEX_NAME_WORDS; i++)
		atomic_store_explicit(&e->name[i], w[i], memory_order_relaxed);
	/* pairs with the acquire load of ver in hot_match() */
	atomic_store_explicit(&e->ver, v + 2, memory_order_release);
	return true;
}

/* After a verified index hit for name (slot, seq_id): admit it to its set
 * by the rule at the top. Any thread, no lock. */
static inline void hot_admit(struct hot_table *t, const char *name, size_t len, uint64_t hash, uint32_t slot,
			     uint64_t seq_id)
{
	struct hot_entry *e = hot_set(t, hash);
	const uint32_t tag = (uint32_t)(hash >> 32) | 1u;
	unsigned way = HOT_WAYS;
	uint32_t v = 0;
	for (unsigned i = 0; i < HOT_WAYS && way == HOT_WAYS; i++) {
		v = atomic_load_explicit(&e[i].ver, memory_order_relaxed);
		if (v == 0 || (!(v & 1) && atomic_load_explicit(&e[i].len, memory_order_relaxed) == 0))
			way = i; /* empty */
	}
	if (way == HOT_WAYS) {
		if (atomic_load_explicit(&e[0].aux, memory_order_relaxed) != tag) {
			atomic_store_explicit(&e[0].aux, tag, memory_order_relaxed);
			return;
		}
		way = atomic_load_explicit(&e[1].aux, memory_order_relaxed) % HOT_WAYS;
		atomic_store_explicit(&e[1].aux, (way + 1) % HOT_WAYS, memory_order_relaxed);
		v = atomic_load_explicit(&e[way].ver, memory_order_relaxed);
	}
	uint64_t w[REGION_INDEX_NAME_WORDS];
	hot_words(name, len, w);
	hot_put(&e[way], v, w, (uint32_t)len, slot, seq_id);
}

/* e (found at version v) no longer holds what it said: empty it, unless
 * another thread rewrote it meanwhile. */
static inline void hot_forget(struct hot_entry *e, uint32_t v)
{
	static const uint64_t none[REGION_INDEX_NAME_WORDS];
	hot_put(e, v, none, 0, 0, 0);
}

#endif
