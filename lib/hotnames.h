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
 * hit costs the set's hint word, one private line and the name's compare,
 * and then the slot. Names longer than the index's 40 bytes never come here
 * (they get a cache entry).
 *
 * Bounded. HOT_SETS sets of HOT_WAYS one-line entries (16 KiB, and 1 KiB of
 * hints) per region mapping: it never grows with the number of names, so
 * the memory per name stays the index's. A name is admitted after it missed twice in a row in
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
 * new region (a daemon restart that does not adopt the old one) comes with a
 * new mapping and a new, empty table: the old one is freed with the old
 * mapping, after a grace period.
 *
 * Threads. A connection is used by any number of threads at once, without a
 * lock on this path. Each entry is a seqlock whose writers are any threads:
 * a writer takes it by a compare-and-swap of ver from even to odd (one that
 * loses gives up: this is only a cache), stores the fields and releases it
 * with ver + 2; a reader reads ver (acquire), the fields, fences, and reads
 * ver again, and believes only an even, unchanged, nonzero ver. All fields
 * are atomics, so a torn read is never a data race, only a miss. The hints
 * (hot_table.hint) are outside the seqlocks and only ever cost a miss. */
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
	_Atomic uint32_t len; /* the name's bytes; 0: empty */
	_Atomic uint32_t slot;
	uint32_t pad;
	_Atomic uint64_t seq_id;
	_Atomic uint64_t name[REGION_INDEX_NAME_WORDS]; /* zero-padded */
};
_Static_assert(sizeof(struct hot_entry) == 64, "one cache line");

/* A set's hints, outside the seqlocks, in one word: the tag of the name in
 * each way (bits 0-15, 16-31; 0: empty), so that a miss is known from this
 * word alone, which with 8 sets to a line stays in the nearest cache even
 * when names are taken at random; the tag of the last name that missed
 * (bits 32-47: admission) and the way to replace next (bit 48). A hint that
 * disagrees with its entry costs a miss (the entry is still checked in
 * full), never a wrong answer; two threads that update it at once may lose
 * one update, with the same effect. */
#define HOT_HINT_WANT 32
#define HOT_HINT_NEXT 48

struct hot_table {
	struct hot_entry e[HOT_SETS * HOT_WAYS];
	_Atomic uint64_t hint[HOT_SETS];
};
_Static_assert(HOT_WAYS == 2, "the hint word");

static inline unsigned hot_set_of(uint64_t hash)
{
	/* the index's buckets and the cache's take the hash's low bits;
	 * mixed with the high half, so that names crowded there are spread */
	return (unsigned)((hash ^ (hash >> 29)) & (HOT_SETS - 1));
}

/* A name's tag: bits of its hash the set does not use; never 0. */
static inline uint64_t hot_tag(uint64_t hash)
{
	return (hash >> 48) | 1u;
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
	const unsigned set = hot_set_of(hash);
	const uint64_t tag = hot_tag(hash);
	const uint64_t h = atomic_load_explicit(&t->hint[set], memory_order_relaxed);
	struct hot_entry *e = &t->e[set * HOT_WAYS];
	if ((h & 0xffff) == tag && hot_match(e, name, (uint32_t)len, slot, seq_id, ver))
		return e;
	if (((h >> 16) & 0xffff) == tag && hot_match(e + 1, name, (uint32_t)len, slot, seq_id, ver))
		return e + 1;
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
 * by the rule at the top. Any thread, no lock. Reads only the set's hint
 * word unless it admits. */
static inline void hot_admit(struct hot_table *t, const char *name, size_t len, uint64_t hash, uint32_t slot,
			     uint64_t seq_id)
{
	const unsigned set = hot_set_of(hash);
	const uint64_t tag = hot_tag(hash);
	uint64_t h = atomic_load_explicit(&t->hint[set], memory_order_relaxed);
	unsigned way;
	if ((h & 0xffff) == 0) {
		way = 0; /* empty */
	} else if (((h >> 16) & 0xffff) == 0) {
		way = 1;
	} else if (((h >> HOT_HINT_WANT) & 0xffff) != tag) {
		h = (h & ~(0xffffull << HOT_HINT_WANT)) | (tag << HOT_HINT_WANT);
		atomic_store_explicit(&t->hint[set], h, memory_order_relaxed);
		return; /* missed once: not yet */
	} else {
		way = (unsigned)(h >> HOT_HINT_NEXT) & 1;
		h ^= 1ull << HOT_HINT_NEXT;
	}
	struct hot_entry *e = &t->e[set * HOT_WAYS + way];
	uint64_t w[REGION_INDEX_NAME_WORDS];
	hot_words(name, len, w);
	if (!hot_put(e, atomic_load_explicit(&e->ver, memory_order_relaxed), w, (uint32_t)len, slot, seq_id))
		return;
	h = (h & ~(0xffffull << (16 * way))) | (tag << (16 * way));
	atomic_store_explicit(&t->hint[set], h, memory_order_relaxed);
}

/* e (found at version v) no longer holds what it said: empty it, unless
 * another thread rewrote it meanwhile. */
static inline void hot_forget(struct hot_table *t, struct hot_entry *e, uint32_t v)
{
	static const uint64_t none[REGION_INDEX_NAME_WORDS];
	size_t at = (size_t)(e - t->e);
	if (!hot_put(e, v, none, 0, 0, 0))
		return;
	_Atomic uint64_t *hp = &t->hint[at / HOT_WAYS];
	uint64_t h = atomic_load_explicit(hp, memory_order_relaxed);
	atomic_store_explicit(hp, h & ~(0xffffull << (16 * (at % HOT_WAYS))), memory_order_relaxed);
}

#endif
