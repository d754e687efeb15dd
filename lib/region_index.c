/* SPDX-License-Identifier: MIT */
/* region_index.c — the region's name index (region_index.h).
 *
 * Why. A client that meets a name for the first time used to ask the daemon
 * where it lives (a socket round trip, tens of microseconds) and then keep a
 * private copy of the name in its cache. With a million names and many
 * processes, that is a round trip per process per name and a copy of the
 * catalog in every process. The daemon already knows every name and slot;
 * publishing that map in the region lets every client read it in place.
 *
 * Layout. After the slot array (region_bytes(nslots)), announced by
 * REGION_COMPAT_NAME_INDEX in the header's compat flags (a reader that does
 * not know it ignores it: the header's region_size still covers only the
 * header and slots, so an older client's checks pass):
 *   - buckets: a power of two, at least 2·nslots, of one 64-bit word each,
 *     (hash >> 32) << 32 | (slot + 1), 0 empty, all ones removed; linear
 *     probing from hash & mask. One word, so never torn.
 *   - records: one per slot, in the slot's first line beside the ticket
 *     counter (struct region_index_rec, region.h): the name of the
 *     sequence the slot holds (up to 40 bytes, zero-padded 64-bit words)
 *     and a check word over (name hash, length, the slot's seq_id, slot),
 *     under a per-record seqlock. A NEXTVAL by name needs that line for its
 *     fetch-and-add anyway, so a lookup costs the bucket and the slot: two
 *     dependent misses (the client's private cache cost two as well: its
 *     bucket, then the entry with the slot prefetched), plus the checks
 *     below on every call (docs/BENCHMARKS.md has what that costs). A
 *     longer name is not indexed (its clients ask the daemon, as before).
 * Memory is spent as buckets are first written (the memfd is sparse): 16
 * bytes of buckets per slot in use, nothing more in the slot.
 *
 * Writer: only the daemon (daemon/catalog.c). It puts a sequence when it
 * opens an epoch in its slot (CREATE, OR REPLACE, ALTER, restart, adoption:
 * put is idempotent and touches nothing when the record is already right),
 * deletes it when it empties the slot (DROP, the old one of OR REPLACE), and
 * rebuilds the buckets when it adopts a predecessor's region or finds the
 * table full (scribbled). A client that asks the daemon where a name is
 * (WIRE_OPEN) has the name put again, which repairs a scribbled entry. A record is rewritten as a seqlock:
 * ver odd, fence, fields, ver even (release). The order against the slot
 * makes a stale read harmless: on CREATE the slot's epoch is published
 * (seq_id) before the record and the bucket; on DROP the slot is emptied
 * before the bucket is removed and the record cleared. A bucket is filled
 * after its record is complete, so a reader that finds the bucket finds the
 * record (or a newer one, which it rejects and re-probes past). Removed
 * buckets are reused by the next put on their chain, so DROP/CREATE churn
 * does not lengthen the chains. TEMPORARY sequences are the session's own
 * (lib/client.c) and never reach the daemon's catalog, hence never here.
 *
 * Reader: any client, no lock, no system call. The index is in memory every
 * client can write, so nothing read is believed until checked: the slot
 * number is bounded by nslots (computed from the validated header and the
 * mapping's size, never from index words), the probe count is bounded, the
 * record is read under its seqlock, the full name is compared, and the
 * check word must match the slot's own seq_id, read in one published epoch
 * (gen even, unchanged across the reads). Any doubt is INDEX_SUSPECT or INDEX_ABSENT and the
 * client asks the daemon, as before. A random scribble (a stray write, a
 * wrong pointer) thus never resolves a name to another sequence: it would
 * have to forge the name and a check that matches the slot's seq_id. A
 * process that means harm and may write the region can of course forge all
 * three — as it can rewrite any slot's epoch; that is region.h's trust
 * model, unchanged: the index trusts no more than the slots did.
 *
 * Not the daemon's own map: the daemon reads nothing back from here but
 * bucket words while it probes (bounded; a table it cannot place a name in
 * is rebuilt from the catalog), and records only to skip an identical
 * rewrite. */
#include "region_index.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* splitmix64's finalizer */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t region_index_check(uint64_t hash, uint32_t len, uint64_t seq_id, uint32_t slot)
{
	/* one mixing chain (this is on every lookup): a different id, slot,
	 * length or name gives another word but by a 2^-64 chance */
	return mix64((hash ^ (seq_id * 0x9e3779b97f4a7c15ull)) +
		     ((((uint64_t)slot << 32) | len) ^ 0x6e69647873686d73ull));
}

uint64_t region_index_buckets(uint64_t nslots)
{
	uint64_t b = 64;
	while (b < 2 * nslots)
		b <<= 1;
	return b;
}

size_t region_index_bytes(uint64_t nslots)
{
	return (size_t)region_index_buckets(nslots) * sizeof(uint64_t);
}

bool region_index_locate(struct region_header *h, size_t size, struct region_index *ix)
{
	memset(ix, 0, sizeof(*ix));
	if (!(h->compat_flags & REGION_COMPAT_NAME_INDEX))
		return false;
	uint64_t n = h->nslots;
	/* a validated header bounds nslots by the mapping; the index must fit too */
	if (n == 0 || n >= UINT32_MAX || region_bytes(n) > size ||
	    region_index_bytes(n) > size - region_bytes(n))
		return false;
	char *base = (char *)h + region_bytes(n);
	ix->bucket = (_Atomic uint64_t *)base;
	ix->mask = region_index_buckets(n) - 1;
	ix->slots = region_slots(h);
	ix->nslots = n;
	return true;
}

/* name as zero-padded words, for word-wise compares and stores */
static void name_words(const char *name, size_t len, uint64_t w[REGION_INDEX_NAME_WORDS])
{
	memset(w, 0, REGION_INDEX_NAME_WORDS * sizeof(uint64_t));
	memcpy(w, name, len);
}

static inline uint64_t bucket_word(uint64_t hash, uint32_t slot)
{
	return (hash & 0xffffffff00000000ull) | ((uint64_t)slot + 1);
}

/* 1: the record names w/len (*check: its check word); 0: another name; -1:
 * torn or being written */
static int rec_matches(const struct region_index_rec *r, const uint64_t *w, uint32_t len, uint64_t *check)
{
	/* pairs with the release store of ver in rec_write() */
	uint32_t v = atomic_load_explicit(&r->ver, memory_order_acquire);
	if (v & 1)
		return -1;
	/* the words past len are zeros as the daemon wrote them; any others
	 * there change nothing a reader uses (the check covers the name) */
	int same = atomic_load_explicit(&r->len, memory_order_relaxed) == len;
	for (unsigned i = 0; same && i < (len + 7) / 8; i++)
		same = atomic_load_explicit(&r->name[i], memory_order_relaxed) == w[i];
	*check = atomic_load_explicit(&r->check, memory_order_relaxed);
	/* pairs with the release fence after the odd ver store in rec_write() */
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&r->ver, memory_order_relaxed) != v)
		return -1;
	return same;
}

enum region_index_result region_index_lookup(const struct region_index *ix, const char *name, size_t len,
					     uint64_t hash, uint32_t *slot, uint64_t *seq_id, uint32_t *flags)
{
	if (!ix->bucket || len == 0 || len > REGION_INDEX_NAME_MAX)
		return INDEX_ABSENT;
	uint64_t w[REGION_INDEX_NAME_WORDS];
	name_words(name, len, w);
	const uint64_t tag = hash & 0xffffffff00000000ull;
	uint64_t i = hash & ix->mask;
	/* A bucket that does not check out is stepped over, not believed: the
	 * right one may follow (a scribbled word ahead of it in the chain). */
	enum region_index_result none = INDEX_ABSENT;
	for (unsigned p = 0; p < REGION_INDEX_PROBES; p++, i = (i + 1) & ix->mask) {
		uint64_t b = atomic_load_explicit(&ix->bucket[i], memory_order_acquire);
		if (b == REGION_INDEX_EMPTY)
			return none;
		if (b == REGION_INDEX_TOMB || (b & 0xffffffff00000000ull) != tag)
			continue;
		uint64_t s1 = (b & 0xffffffffu);
		if (s1 == 0 || s1 > ix->nslots) {
			none = INDEX_SUSPECT; /* no slot of ours: scribbled */
			continue;
		}
		uint32_t s = (uint32_t)(s1 - 1);
		struct region_slot *sl = &ix->slots[s];
		/* both lines at once: the record's (for writing: the caller's
		 * fetch-and-add follows) and the epoch's */
		__builtin_prefetch(sl, 1);
		__builtin_prefetch((const char *)sl + REGION_CACHELINE, 0);
		uint64_t check;
		int m = -1;
		for (int tries = 0; m < 0 && tries < 4; tries++)
			m = rec_matches(&sl->name, w, (uint32_t)len, &check);
		if (m < 0) {
			none = INDEX_SUSPECT; /* being rewritten: the daemon knows */
			continue;
		}
		if (m == 0)
			continue; /* another name with the same tag, or a stale bucket */
		/* the slot holds a sequence, in one published epoch, read as
		 * region_take() reads it; the check ties the name to its id */
		uint64_t g = atomic_load_explicit(&sl->gen, memory_order_acquire);
		uint64_t id = atomic_load_explicit(&sl->seq_id, REGION_FIELD_ORDER);
		uint32_t f = atomic_load_explicit(&sl->flags, REGION_FIELD_ORDER);
#if !REGION_TSAN
		atomic_thread_fence(memory_order_acquire);
#endif
		if ((g & 1) || id == 0 || atomic_load_explicit(&sl->gen, memory_order_relaxed) != g ||
		    check != region_index_check(hash, (uint32_t)len, id, s)) {
			none = INDEX_SUSPECT;
			continue;
		}
		*slot = s;
		*seq_id = id;
		if (flags)
			*flags = f;
		return INDEX_HIT;
	}
	return none;
}

/* --- the daemon's side ------------------------------------------------------------ */

static void rec_write(struct region_index_rec *r, const uint64_t *w, uint32_t len, uint64_t check)
{
	uint32_t v = atomic_load_explicit(&r->ver, memory_order_relaxed);
	atomic_store_explicit(&r->ver, v | 1, memory_order_relaxed);
	/* pairs with the acquire fence in rec_matches() */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&r->len, len, memory_order_relaxed);
	atomic_store_explicit(&r->check, check, memory_order_relaxed);
	for (unsigned i = 0; i < REGION_INDEX_NAME_WORDS; i++)
		atomic_store_explicit(&r->name[i], w[i], memory_order_relaxed);
	/* pairs with the acquire load of ver in rec_matches() */
	atomic_store_explicit(&r->ver, (v | 1) + 1, memory_order_release);
}

int region_index_put(struct region_index *ix, const char *name, size_t len, uint64_t hash, uint32_t slot,
		     uint64_t seq_id)
{
	if (!ix->bucket || slot >= ix->nslots || len == 0 || len > REGION_INDEX_NAME_MAX)
		return -EINVAL;
	uint64_t w[REGION_INDEX_NAME_WORDS], check;
	name_words(name, len, w);
	uint64_t want = region_index_check(hash, (uint32_t)len, seq_id, slot);
	struct region_index_rec *r = &ix->slots[slot].name;
	if (rec_matches(r, w, (uint32_t)len, &check) != 1 || check != want)
		rec_write(r, w, (uint32_t)len, want);
	/* the bucket, if it is there already; else the first free one */
	const uint64_t word = bucket_word(hash, slot);
	uint64_t i = hash & ix->mask, free_at = UINT64_MAX;
	for (uint64_t p = 0; p <= ix->mask; p++, i = (i + 1) & ix->mask) {
		uint64_t b = atomic_load_explicit(&ix->bucket[i], memory_order_relaxed);
		if (b == word)
			return 0;
		if (b == REGION_INDEX_TOMB && free_at == UINT64_MAX)
			free_at = i;
		if (b == REGION_INDEX_EMPTY) {
			if (free_at == UINT64_MAX)
				free_at = i;
			break;
		}
	}
	if (free_at == UINT64_MAX)
		return -ENOSPC;
	/* pairs with the acquire load of the bucket in region_index_lookup():
	 * the record is complete before the bucket leads to it */
	atomic_store_explicit(&ix->bucket[free_at], word, memory_order_release);
	return 0;
}

void region_index_del(struct region_index *ix, uint64_t hash, uint32_t slot)
{
	if (!ix->bucket || slot >= ix->nslots)
		return;
	const uint64_t word = bucket_word(hash, slot);
	uint64_t i = hash & ix->mask;
	for (uint64_t p = 0; p <= ix->mask; p++, i = (i + 1) & ix->mask) {
		uint64_t b = atomic_load_explicit(&ix->bucket[i], memory_order_relaxed);
		if (b == REGION_INDEX_EMPTY)
			break;
		if (b == word) {
			atomic_store_explicit(&ix->bucket[i], REGION_INDEX_TOMB, memory_order_release);
			break;
		}
	}
	static const uint64_t none[REGION_INDEX_NAME_WORDS];
	rec_write(&ix->slots[slot].name, none, 0, 0);
}

static void clear_words(_Atomic uint64_t *w, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (atomic_load_explicit(&w[i], memory_order_relaxed) != REGION_INDEX_EMPTY)
			atomic_store_explicit(&w[i], REGION_INDEX_EMPTY, memory_order_relaxed);
}

void region_index_clear(struct region_index *ix)
{
	if (!ix->bucket)
		return;
	/* The whole pages inside are given back (a hole reads as zeros, and
	 * the sparse memfd spends nothing on them), the edges are stored. */
	uintptr_t lo = (uintptr_t)ix->bucket, hi = lo + (ix->mask + 1) * sizeof(uint64_t);
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (lo + pg - 1) & ~(pg - 1), b = hi & ~(pg - 1);
	if (a < b && madvise((void *)a, b - a, MADV_REMOVE) == 0) {
		clear_words(ix->bucket, (a - lo) / sizeof(uint64_t));
		clear_words((_Atomic uint64_t *)b, (hi - b) / sizeof(uint64_t));
		return;
	}
	clear_words(ix->bucket, ix->mask + 1);
}
