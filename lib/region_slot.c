/* SPDX-License-Identifier: MIT */
/* region_slot.c — the daemon's side of the slot protocol: the writers of a
 * slot (seize, freeze, publish, thaw, extend, clear). Not in libshmseq.so:
 * clients only read slots (region.h). The memory-ordering story is in
 * region.h; each barrier here names its pair.
 */
#include "region.h"

uint64_t region_slot_seize(struct region_slot *s)
{
	uint64_t g = atomic_load_explicit(&s->gen, memory_order_relaxed);
	/* store-buffering pair with region_take()'s ticks++ / gen re-read */
	atomic_store_explicit(&s->gen, g | 1, memory_order_seq_cst);
	/* pairs with the acquire fence in region_take() after its field reads */
	atomic_thread_fence(memory_order_release);
	return atomic_exchange_explicit(&s->ticks, 0, memory_order_seq_cst);
}

uint64_t region_slot_freeze(struct region_slot *s)
{
	uint64_t taken = region_slot_seize(s);
	uint64_t limit = atomic_load_explicit(&s->limit, memory_order_relaxed);
	return taken < limit ? taken : limit;
}

void region_slot_publish(struct region_slot *s, const struct region_epoch *e)
{
	atomic_store_explicit(&s->seq_id, e->seq_id, memory_order_relaxed);
	atomic_store_explicit(&s->base, e->base, memory_order_relaxed);
	atomic_store_explicit(&s->inc, e->inc, memory_order_relaxed);
	atomic_store_explicit(&s->limit, e->limit, memory_order_relaxed);
	atomic_store_explicit(&s->end, e->end, memory_order_relaxed);
	atomic_store_explicit(&s->refill_mark, e->refill_mark, memory_order_relaxed);
	atomic_store_explicit(&s->flags, e->flags, memory_order_relaxed);
	atomic_store_explicit(&s->ticks, e->ticks, memory_order_relaxed);
	uint64_t g = atomic_load_explicit(&s->gen, memory_order_relaxed);
	/* pairs with the acquire load of gen in region_take() */
	atomic_store_explicit(&s->gen, (g | 1) + 1, memory_order_release);
}

void region_slot_thaw(struct region_slot *s, uint64_t consumed)
{
	atomic_store_explicit(&s->ticks, consumed, memory_order_relaxed);
	uint64_t g = atomic_load_explicit(&s->gen, memory_order_relaxed);
	/* pairs with the acquire load of gen in region_take() */
	atomic_store_explicit(&s->gen, (g | 1) + 1, memory_order_release);
}

void region_slot_extend(struct region_slot *s, uint64_t limit, uint64_t refill_mark)
{
	if (limit > atomic_load_explicit(&s->limit, memory_order_relaxed)) {
		atomic_store_explicit(&s->refill_mark, refill_mark, memory_order_relaxed);
		/* pairs with the acquire re-load of limit in region_take()/region_redeem() */
		atomic_store_explicit(&s->limit, limit, memory_order_release);
	}
}

uint64_t region_slot_consumed(const struct region_slot *s)
{
	uint64_t taken = atomic_load_explicit(&s->ticks, memory_order_seq_cst);
	uint64_t limit = atomic_load_explicit(&s->limit, memory_order_acquire);
	return taken < limit ? taken : limit;
}

void region_slot_clear(struct region_slot *s)
{
	struct region_epoch e = {0};
	region_slot_publish(s, &e);
}
