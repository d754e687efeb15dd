/* SPDX-License-Identifier: MIT */
/* region.h — private: the shared-memory region's layout and the fast path.
 *
 * One region per instance, created by the daemon (owner), mapped read-write
 * by every client. A header (magic, layout version, sizes, incarnation) is
 * followed by fixed-size, cache-line aligned slots, one per live sequence.
 *
 * A slot publishes an *epoch*: the n-th ticket taken by fetch-and-add on
 * `ticks` is worth base + n·inc. Tickets below `limit` are covered by a durable
 * reservation (write-ahead: the daemon raises `limit` only after the record
 * covering it is on disk); tickets at or past `end` are past the end of the
 * round (run out, or wrap with CYCLE). Within an epoch `limit` only grows and
 * nothing else changes. Everything else that changes a sequence (DDL, SETVAL,
 * a wrap) starts a new epoch under `gen`, a seqlock:
 *
 *   daemon (sole writer)                 client (region_take)
 *   gen = g+1 (odd)      [seq_cst]       g  = gen            [acquire]
 *   fence(release)                       base, inc, limit …  [relaxed]
 *   c = xchg(ticks, 0)   [seq_cst]       fence(acquire)
 *   base, inc, limit …   [relaxed]       t  = ticks++        [seq_cst]
 *   gen = g+2 (even)     [release]       g2 = gen            [seq_cst]
 *                                        use t only if g2 == g
 *
 * Why it is safe: (1) the client's ticks++ and gen re-read against the
 * daemon's gen store and ticks exchange is the store-buffering pattern, so
 * both sides are seq_cst: if the client sees the old gen, its ticks++ came
 * before the exchange and is counted in c; otherwise it discards the ticket
 * (a gap, never a duplicate). (2) The release fence after the odd store
 * pairs with the client's acquire fence after its field reads: a client that
 * read any field of a newer epoch sees gen changed. On x86 all of this costs
 * the one locked instruction of the fetch-and-add.
 *
 * Whatever the daemon reads back from the region is untrusted: any process
 * that may map it read-write can change any word. It reads only the ticket
 * counter (how many tickets were taken, bounded by what it published), a
 * crashed predecessor's epochs (adopted only when the log recorded that very
 * epoch: daemon/catalog.c, epoch_adopt) and, when a client asks about a
 * slot, the epoch it published there (a slot that differs is repaired:
 * catalog_check_slot). Clients trust it the way they trust their own memory:
 * a scribbler can hurt other clients' values, never the daemon, its files or
 * the values handed out after a restart; and no stray word makes a client
 * wait forever (the slow path is bounded, lib/client.c).
 *
 * The object. The region is a memfd sealed with F_SEAL_SHRINK | F_SEAL_GROW |
 * F_SEAL_SEAL, not a named POSIX shm object: nobody can open it by a name,
 * squat its name, or change its size — not a client, not the owner's other
 * processes, not the daemon. (A named object could be ftruncate()d to 0 by
 * any process allowed to open it read-write, and every process mapping it,
 * the daemon first, then died of SIGBUS at its next access.) Clients get the
 * descriptor in the daemon's HELLO reply over the socket, after the
 * SO_PEERCRED check, and refuse a region that is not sealed. The descriptor
 * may still be written through (a scribble, as above) and holes punched in
 * it (zeros: a scribble too); neither raises a signal.
 *
 * Lifetime. A memfd lives while something holds it, so a small keeper
 * process (daemon/keeper.h) holds it for the daemon's life and past a crash:
 * the next daemon takes it from the keeper and adopts it (its clients carry
 * on, no value skipped) or closes it and starts a new one. A clean shutdown
 * lets the keeper go; the region goes once its last client unmaps it.
 *
 * Size and growth. The region is sized once, when it is made, for its
 * capacity (--max-sequences slots, 128 bytes each) and never changes size;
 * memory is spent only as slots are first written (a memfd is sparse), so a
 * large capacity costs address space, not memory. More capacity is a restart
 * with a larger --max-sequences: the new daemon cannot adopt a region of
 * another size, makes a new one (a new incarnation), and clients re-attach
 * by themselves. Growing without a restart would be a second sealed region
 * (a segment) handed out next to the first, slots numbered across segments
 * — never a region that changes size under its mappings.
 *
 * The name index. After the slots, announced by REGION_COMPAT_NAME_INDEX,
 * the daemon publishes name -> slot (lib/region_index.c has the layout and
 * the rules), so that a client resolves a name without a round trip. The
 * header's region_size still counts only the header and the slots (what an
 * older client checks); the memfd is that much larger.
 */
#ifndef SHMSEQ_REGION_H
#define SHMSEQ_REGION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

#define REGION_MAGIC 0x3147455351534d48ull /* "HMSQSEG1" little-endian */
#define REGION_LAYOUT_VERSION 1u
#define REGION_CACHELINE 64u

/* Header state. */
enum {
	REGION_STATE_LIVE = 1,	 /* a daemon owns it */
	REGION_STATE_CLOSED = 2, /* the daemon shut down or was replaced: re-attach */
};

struct region_header {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t header_size;	 /* sizeof(struct region_header) */
	uint32_t slot_size;	 /* sizeof(struct region_slot) */
	uint32_t compat_flags;	 /* features a reader may ignore */
	uint32_t incompat_flags; /* features a reader must understand: none yet */
	uint32_t daemon_pid;
	uint64_t nslots;	/* capacity */
	uint64_t region_size;	/* bytes: header_size + nslots * slot_size */
	uint64_t incarnation;	/* new for every daemon start */
	_Atomic uint32_t state; /* REGION_STATE_* */
	uint32_t slots_used;	/* daemon's high-water mark: slots beyond were never used */
	uint8_t reserved[64];
};
_Static_assert(sizeof(struct region_header) == 128, "header size is part of the layout");
_Static_assert(offsetof(struct region_header, nslots) == 32, "layout");
_Static_assert(offsetof(struct region_header, state) == 56, "layout");

/* Slot flags. */
enum {
	SLOT_CYCLE = 1u << 0,
	SLOT_UNSIGNED = 1u << 1, /* values are uint64 bit patterns (AS … UNSIGNED) */
};

/* What region_value_wide() answers, in registers. */
struct region_wide_value {
	int64_t v;
	bool ok;
};

/* base + n·inc exactly, for every n and inc, in the slot's domain (int64, or
 * uint64 with SLOT_UNSIGNED); ok false when the true result lies outside it
 * (a corrupt slot: the daemon never publishes a limit whose value leaves
 * the domain). Out of line and cold: region_value() calls it only when the
 * product or the sum does not fit int64, which a sequence whose range is
 * wider than 2^63 reaches legitimately (-2e18 + 10·1e18 = 8e18 while
 * 10·1e18 is not an int64; a ticket n >= 2^63 of the full range).
 * Bounds: |n| < 2^64 and |inc| <= 2^63 give |n·inc| <= 2^127 - 2^63, and
 * base >= -2^63, so neither builtin below can overflow __int128; they are
 * checked all the same, as every step computation is. */
static __attribute__((noinline, cold, unused)) struct region_wide_value
region_value_wide(int64_t base, int64_t inc, uint64_t n, uint32_t flags)
{
	struct region_wide_value r = {0, false};
	__int128 b = (flags & SLOT_UNSIGNED) ? (__int128)(uint64_t)base : (__int128)base;
	__int128 lo = (flags & SLOT_UNSIGNED) ? 0 : (__int128)INT64_MIN;
	__int128 hi = (flags & SLOT_UNSIGNED) ? (__int128)UINT64_MAX : (__int128)INT64_MAX;
	__int128 off, x;
	if (__builtin_mul_overflow((__int128)n, (__int128)inc, &off) || __builtin_add_overflow(b, off, &x))
		return r;
	if (x < lo || x > hi)
		return r;
	r.v = (int64_t)(uint64_t)x; /* the low 64 bits: the stored representation in both domains */
	r.ok = true;
	return r;
}

/* Ticket n's value in the common case — n < 2^63, and for a signed slot
 * n·inc and the sum within int64 (a multiply and an add with their
 * overflow flags), for an unsigned one |n·inc| < 2^126 exactly in __int128
 * — as the fast path always computed it. False means "not this case", not
 * "no value": region_value() then asks region_value_wide(). */
static inline bool region_value_fast(int64_t base, int64_t inc, uint64_t n, uint32_t flags, int64_t *v)
{
	if (__builtin_expect(n > (uint64_t)INT64_MAX, 0))
		return false;
	if (__builtin_expect(!(flags & SLOT_UNSIGNED), 1)) {
		int64_t off;
		return !__builtin_mul_overflow((int64_t)n, inc, &off) &&
		       !__builtin_add_overflow(base, off, v);
	}
	__int128 x = (__int128)(uint64_t)base + (__int128)(int64_t)n * inc;
	if (x < 0 || x > (__int128)UINT64_MAX)
		return false;
	*v = (int64_t)(uint64_t)x;
	return true;
}

/* The value of ticket n: base + n·inc in the slot's domain, or false when
 * it cannot be a value. */
static inline bool region_value(int64_t base, int64_t inc, uint64_t n, uint32_t flags, int64_t *v)
{
	if (region_value_fast(base, inc, n, flags, v))
		return true;
	struct region_wide_value w = region_value_wide(base, inc, n, flags);
	if (w.ok)
		*v = w.v;
	return w.ok;
}

/* The name index's record of a slot (lib/region_index.c): the name of the
 * sequence the slot holds (up to 40 bytes, zero-padded) and a check word
 * over (name hash, length, seq_id, slot), under a seqlock (ver odd while
 * the daemon rewrites it). In the slot's first line, which a NEXTVAL by
 * name reads anyway for its fetch-and-add. */
struct region_index_rec {
	_Atomic uint32_t ver;
	_Atomic uint32_t len; /* name bytes; 0: none */
	_Atomic uint64_t check;
	_Atomic uint64_t name[5];
};
_Static_assert(sizeof(struct region_index_rec) == REGION_CACHELINE - 8, "fills the ticket counter's line");

struct region_slot {
	/* Line 0: the only field clients write (ticks), and the name index's
	 * record, written by the daemon only (zeros in a region without one) */
	_Atomic uint64_t ticks;
	struct region_index_rec name;
	/* Line 1: written by the daemon only, read-mostly. */
	_Atomic uint64_t gen;	      /* seqlock; odd while an epoch is rewritten */
	_Atomic uint64_t seq_id;      /* identity of the sequence here; 0 = free */
	_Atomic int64_t base;	      /* value of ticket 0 */
	_Atomic int64_t inc;	      /* the real increment; never 0 while live */
	_Atomic uint64_t limit;	      /* tickets below are durable and valid */
	_Atomic uint64_t end;	      /* tickets at/after are past the round */
	_Atomic uint64_t refill_mark; /* the taker of this ticket nudges the daemon */
	_Atomic uint32_t flags;	      /* SLOT_* */
	uint32_t pad1;
} __attribute__((aligned(REGION_CACHELINE)));
_Static_assert(sizeof(struct region_slot) == 128, "slot size is part of the layout");
_Static_assert(offsetof(struct region_slot, gen) == 64, "hot line split");
_Static_assert(offsetof(struct region_slot, flags) == 120, "layout");

static inline struct region_slot *region_slots(struct region_header *h)
{
	return (struct region_slot *)((char *)h + sizeof(*h));
}

static inline size_t region_bytes(uint64_t nslots)
{
	return sizeof(struct region_header) + (size_t)nslots * sizeof(struct region_slot);
}

/* Check a mapped header before trusting its sizes. 0, or -EPROTO with a
 * reason in *why. size is the mapping's size (from fstat). */
int region_header_validate(const struct region_header *h, size_t size, const char **why);

/* --- the client's fast path ------------------------------------------------ */

enum region_take_result {
	TAKE_OK = 0,  /* *value is ours */
	TAKE_RETRY,   /* the epoch changed under us: take again */
	TAKE_BUSY,    /* the daemon is rewriting the slot (or died doing it) */
	TAKE_GONE,    /* the slot holds another sequence or none */
	TAKE_REFILL,  /* ticket held beyond the durable limit: ask the daemon */
	TAKE_END,     /* ticket past the end of the round */
	TAKE_CORRUPT, /* the slot's numbers cannot be right */
	TAKE_WIDE,    /* ticket held; its value needs the exact computation: region_redeem() */
};

struct region_ticket {
	uint64_t gen;
	uint64_t n;
	bool nudge; /* this ticket is the refill mark: ask for more, don't wait */
	bool cycle;
};

/* ThreadSanitizer does not model fences (and gcc refuses one in an inlined
 * function under it): there the field loads below are acquire loads instead,
 * which synchronize with the same release fence (C11 fence-to-atomic
 * synchronization) and cost nothing more on x86. */
#if defined(__SANITIZE_THREAD__)
#define REGION_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define REGION_TSAN 1
#endif
#endif
#ifndef REGION_TSAN
#define REGION_TSAN 0
#endif
#if REGION_TSAN
#define REGION_FIELD_ORDER memory_order_acquire
#else
#define REGION_FIELD_ORDER memory_order_relaxed
#endif

/* Take one value. Lock-free, no system call. Caller owns nothing. Always
 * inlined: under contention every instruction between two fetch-and-adds on
 * the same line costs throughput (docs/BENCHMARKS.md). */
static inline __attribute__((always_inline)) enum region_take_result
region_take(struct region_slot *s, uint64_t seq_id, int64_t *value, struct region_ticket *tk)
{
	/* pairs with the release store of gen in region_slot_publish() */
	uint64_t g = atomic_load_explicit(&s->gen, memory_order_acquire);
	if (__builtin_expect(g & 1, 0))
		return TAKE_BUSY;
	if (__builtin_expect(atomic_load_explicit(&s->seq_id, memory_order_relaxed) != seq_id, 0))
		return TAKE_GONE;
	int64_t base = atomic_load_explicit(&s->base, REGION_FIELD_ORDER);
	int64_t inc = atomic_load_explicit(&s->inc, REGION_FIELD_ORDER);
	uint64_t limit = atomic_load_explicit(&s->limit, REGION_FIELD_ORDER);
	uint64_t mark = atomic_load_explicit(&s->refill_mark, REGION_FIELD_ORDER);
	uint32_t flags = atomic_load_explicit(&s->flags, REGION_FIELD_ORDER);
#if !REGION_TSAN
	/* pairs with the release fence after the odd gen store (region_slot_freeze) */
	atomic_thread_fence(memory_order_acquire);
#endif
	uint64_t n = atomic_fetch_add_explicit(&s->ticks, 1, memory_order_seq_cst);
	/* store-buffering pair with region_slot_freeze(): both seq_cst */
	if (__builtin_expect(atomic_load_explicit(&s->gen, memory_order_seq_cst) != g, 0))
		return TAKE_RETRY;
	tk->gen = g;
	tk->n = n;
	tk->nudge = (n == mark);
	if (__builtin_expect(n >= limit, 0)) {
		/* pairs with the release store in region_slot_extend() */
		limit = atomic_load_explicit(&s->limit, memory_order_acquire);
		if (n >= limit) {
			tk->cycle = flags & SLOT_CYCLE;
			uint64_t end = atomic_load_explicit(&s->end, memory_order_relaxed);
			return n >= end ? TAKE_END : TAKE_REFILL;
		}
	}
	/* Only the common case here: an out-of-line call for the others would
	 * keep more registers (and the value's address) alive across the
	 * fast path; they are rare (a range wider than 2^63 and a huge
	 * increment, or BIGINT UNSIGNED) and region_redeem() computes them. */
	if (__builtin_expect(!region_value_fast(base, inc, n, flags, value), 0))
		return TAKE_WIDE;
	return TAKE_OK;
}

/* After the daemon answered a refill for ticket tk, or after TAKE_WIDE: is
 * the ticket good? TAKE_OK with *value, TAKE_RETRY (epoch changed: the
 * ticket is void), TAKE_REFILL (still not covered), TAKE_END, TAKE_CORRUPT
 * (no value in the slot's domain). */
static inline enum region_take_result region_redeem(struct region_slot *s, uint64_t seq_id,
						    const struct region_ticket *tk, int64_t *value)
{
	if (atomic_load_explicit(&s->gen, memory_order_seq_cst) != tk->gen ||
	    atomic_load_explicit(&s->seq_id, memory_order_relaxed) != seq_id)
		return TAKE_RETRY;
	uint64_t limit = atomic_load_explicit(&s->limit, memory_order_acquire);
	if (tk->n >= limit)
		return tk->n >= atomic_load_explicit(&s->end, memory_order_relaxed) ? TAKE_END : TAKE_REFILL;
	int64_t base = atomic_load_explicit(&s->base, memory_order_relaxed);
	int64_t inc = atomic_load_explicit(&s->inc, memory_order_relaxed);
	int64_t v;
	if (!region_value(base, inc, tk->n, atomic_load_explicit(&s->flags, memory_order_relaxed), &v))
		return TAKE_CORRUPT;
	/* the epoch may have changed while we read base/inc */
	if (atomic_load_explicit(&s->gen, memory_order_seq_cst) != tk->gen)
		return TAKE_RETRY;
	*value = v;
	return TAKE_OK;
}

/* --- the daemon's side (sole writer) --------------------------------------- */

struct region_epoch {
	uint64_t seq_id;
	int64_t base;
	int64_t inc;
	uint64_t limit;
	uint64_t end;
	uint64_t refill_mark;
	uint32_t flags;
	uint64_t ticks; /* tickets already taken: 0 for a new epoch */
};

/* Close the current epoch: gen becomes odd, the ticket counter is taken and
 * reset. Returns how many tickets of the epoch were validly taken:
 * min(tickets taken, limit) — every one of them may have been handed out. */
uint64_t region_slot_freeze(struct region_slot *s);

/* Close the current epoch as region_slot_freeze() does, but return every
 * ticket taken, whatever the slot's limit says: for a daemon that no longer
 * trusts the slot's limit (a scribbled slot) and bounds the count itself. */
uint64_t region_slot_seize(struct region_slot *s);

/* Open a new epoch (after region_slot_freeze): fields, then gen even. The
 * ticket counter starts at e->ticks (0 for a new epoch; the tickets a
 * repaired epoch had already handed out). */
void region_slot_publish(struct region_slot *s, const struct region_epoch *e);

/* Reopen the frozen epoch unchanged, as if `consumed` tickets were taken. */
void region_slot_thaw(struct region_slot *s, uint64_t consumed);

/* Raise the durable limit of the current epoch (never lowers it). */
void region_slot_extend(struct region_slot *s, uint64_t limit, uint64_t refill_mark);

/* How many tickets of the current epoch were validly taken so far, without
 * closing it: a linearization point for reads of the position. */
uint64_t region_slot_consumed(const struct region_slot *s);

/* Empty the slot (after freeze): seq_id 0, gen even. */
void region_slot_clear(struct region_slot *s);

#endif
