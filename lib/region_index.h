/* SPDX-License-Identifier: MIT */
/* region_index.h — private: the region's name index, name -> slot, which the
 * daemon publishes after the slot array so that a client resolves a name it
 * has never seen without asking the daemon. The design is at the top of
 * lib/region_index.c. */
#ifndef SHMSEQ_REGION_INDEX_H
#define SHMSEQ_REGION_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "region.h"

/* Header compat flag: the index follows the slot array (a reader that does
 * not know it ignores it). */
#define REGION_COMPAT_NAME_INDEX (1u << 0)

/* The longest name an index record holds, in bytes: a record is one cache
 * line. A longer name (SHMSEQ_NAME_MAX is 192) is not in the index: its
 * clients ask the daemon, as before. */
#define REGION_INDEX_NAME_MAX 40u
#define REGION_INDEX_NAME_WORDS (REGION_INDEX_NAME_MAX / 8u)
_Static_assert(REGION_INDEX_NAME_WORDS == sizeof(((struct region_index_rec *)0)->name) / 8, "layout");

/* A bucket word: the name hash's high half << 32 | (slot + 1); 0 empty. */
#define REGION_INDEX_EMPTY 0ull
#define REGION_INDEX_TOMB UINT64_MAX
/* Buckets a reader probes before it gives up and asks the daemon. */
#define REGION_INDEX_PROBES 64u

/* Where the index lies: computed from nslots and the mapping's size, never
 * from anything else in the region. */
struct region_index {
	_Atomic uint64_t *bucket;
	struct region_slot *slots;
	uint64_t mask; /* buckets - 1 */
	uint64_t nslots;
};

/* Buckets for nslots: a power of two, at least twice nslots. */
uint64_t region_index_buckets(uint64_t nslots);

/* Bytes of the index of a region of nslots slots: its buckets (the records
 * are in the slots). */
size_t region_index_bytes(uint64_t nslots);

/* The full size of a region of nslots slots with its index. */
static inline size_t region_bytes_indexed(uint64_t nslots)
{
	return region_bytes(nslots) + region_index_bytes(nslots);
}

/* Locate the index of the validated region at h, mapped over size bytes.
 * False when the region announces none or the mapping cannot hold it. */
bool region_index_locate(struct region_header *h, size_t size, struct region_index *ix);

/* The record's check word: a scribble that does not know it is caught. */
uint64_t region_index_check(uint64_t hash, uint32_t len, uint64_t seq_id, uint32_t slot);

/* --- the client's side (reader) ---------------------------------------------- */

enum region_index_result {
	INDEX_HIT = 0, /* *slot, *seq_id: verified against the slot */
	INDEX_ABSENT,  /* not in the index (or not findable within the probes) */
	INDEX_SUSPECT, /* something read did not add up: ask the daemon */
};

/* Look name (len bytes, hash util_hash()) up; *flags (when not NULL): the
 * slot's SLOT_* flags, read in the same epoch. Everything read is checked:
 * bounds, the record's seqlock, the full name, the check word, and the slot
 * holding that very seq_id in a published epoch. Any doubt is not a hit. */
enum region_index_result region_index_lookup(const struct region_index *ix, const char *name, size_t len,
					     uint64_t hash, uint32_t *slot, uint64_t *seq_id,
					     uint32_t *flags);

/* --- the daemon's side (sole writer) ------------------------------------------- */

/* Record that slot holds name (seq_id) and make it findable. Idempotent.
 * 0, or -ENOSPC when no bucket could be found (a scribbled table: the
 * caller rebuilds it). */
int region_index_put(struct region_index *ix, const char *name, size_t len, uint64_t hash, uint32_t slot,
		     uint64_t seq_id);

/* Forget the name of slot (hash: of its name). Never fails: a bucket it
 * cannot find leaves a record that no longer verifies. */
void region_index_del(struct region_index *ix, uint64_t hash, uint32_t slot);

/* Empty every bucket (a rebuild follows: region_index_put for each live
 * sequence). Readers meanwhile miss and ask the daemon. */
void region_index_clear(struct region_index *ix);

#endif
