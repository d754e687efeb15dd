/* SPDX-License-Identifier: MIT */
/* reclaim.h — private: deferred reclamation for libshmseq's lock-free readers.
 *
 * The fast path holds pointers into things a writer wants to free: a region
 * mapping a daemon restart retired, a name table that grew, the entry of a
 * dropped name, the descriptor of a socket a re-attach replaced (a NUDGE may
 * be in flight on it). The writer unlinks the thing, then frees it only when
 * no reader that may have seen it can still be running: an epoch scheme in
 * the style of liburcu's memb flavour, with the cost on the writer's side.
 *
 *   reader (any application thread)       writer (under the connection's lock)
 *   r = reclaim_enter()                   unlink x (no new reader can reach it)
 *     ctr odd          [relaxed]          reclaim_defer(x)
 *     compiler barrier                    … later, reclaim_poll():
 *   … load pointers, use them …             membarrier(): a full barrier on
 *   reclaim_exit(r)                         every running thread of the process
 *     ctr even         [release]            note every reader whose ctr is odd
 *                                           free x once each of them moved on
 *                                           [acquire]
 *
 * Why it is safe: the membarrier() is a full barrier in every thread at some
 * point of its execution. A reader whose odd store came before that point is
 * seen odd and waited for; one whose odd store came after it also loads its
 * pointers after it, when x is already unlinked. A waited-for reader's
 * release store of its next ctr pairs with the writer's acquire load, so its
 * uses of x happen before x is freed. Readers pay an initial-exec TLS load,
 * one load and two stores to their own cache line, and no fence: nothing a
 * benchmark of the fast path can see (docs/RELIABILITY.md has the figures).
 *
 * Not liburcu itself: its readers reach their thread state through
 * __tls_get_addr() from another shared object and must be registered by
 * every application thread (or, in the bulletproof flavour, pay a check and
 * a fence), and call_rcu() starts threads in the application; here polling
 * from the slow paths that already hold the connection's lock is enough.
 *
 * Readers register themselves on first use (a record per thread, reused
 * after the thread exits, never freed) and do not nest: an inner
 * reclaim_enter() returns NULL and its reclaim_exit() does nothing. Without
 * membarrier() (Linux < 4.3), or if a thread's record cannot be allocated,
 * nothing deferred is ever freed: the old behaviour, growth and all. */
#ifndef SHMSEQ_RECLAIM_H
#define SHMSEQ_RECLAIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "region.h" /* REGION_TSAN */

struct reclaim_reader {
	_Atomic uint64_t ctr; /* odd while inside */
	_Atomic bool in_use;  /* a live thread owns it */
	struct reclaim_reader *next;
} __attribute__((aligned(64)));

extern __thread struct reclaim_reader *reclaim_self __attribute__((tls_model("initial-exec")));

struct reclaim_reader *reclaim_register(void);

/* ThreadSanitizer does not know membarrier(): there the reader's odd store
 * is seq_cst (and the writer's scan too), which is the same argument in C11
 * terms. It costs a locked instruction, under TSan only. */
#if REGION_TSAN
#define RECLAIM_ENTER_ORDER memory_order_seq_cst
#else
#define RECLAIM_ENTER_ORDER memory_order_relaxed
#endif

/* Start a read-side section. Returns what reclaim_exit() takes: NULL when
 * the thread was inside one already. */
static inline __attribute__((always_inline)) struct reclaim_reader *reclaim_enter(void)
{
	struct reclaim_reader *r = reclaim_self;
	if (__builtin_expect(!r, 0))
		r = reclaim_register();
	uint64_t c = atomic_load_explicit(&r->ctr, memory_order_relaxed);
	if (__builtin_expect(c & 1, 0))
		return NULL;
	/* pairs with the membarrier() in reclaim_poll() */
	atomic_store_explicit(&r->ctr, c + 1, RECLAIM_ENTER_ORDER);
	atomic_signal_fence(memory_order_seq_cst);
	return r;
}

static inline __attribute__((always_inline)) void reclaim_exit(struct reclaim_reader *r)
{
	if (__builtin_expect(r != NULL, 1)) {
		atomic_signal_fence(memory_order_seq_cst);
		uint64_t c = atomic_load_explicit(&r->ctr, memory_order_relaxed);
		/* pairs with the acquire load in reclaim_poll() */
		atomic_store_explicit(&r->ctr, c + 1, memory_order_release);
	}
}

/* --- the writer's side: one per connection, under its lock ------------------ */

struct reclaim_item;
typedef void reclaim_fn(void *ctx, struct reclaim_item *it);

/* Something unlinked, waiting to be freed. Allocated by the caller (with
 * malloc: reclaim frees it after fn ran). */
struct reclaim_item {
	struct reclaim_item *next;
	reclaim_fn *fn; /* frees what the item stands for */
	void *ptr;
	size_t size;
	int fd;
};

struct reclaim_batch;

struct reclaim {
	struct reclaim_item *pending;	 /* deferred since the last poll */
	struct reclaim_batch *batches;	 /* waiting for their readers, oldest last */
	uint64_t deferred, freed, polls; /* counters, for tests */
};

/* Queue it; freed by a later reclaim_poll(). */
void reclaim_defer(struct reclaim *rc, struct reclaim_item *it);

/* Free whatever no reader can still see; start waiting for what was
 * deferred since the last call. Never blocks on a reader (a reader may be
 * the caller itself). ctx goes to the items' fn. */
void reclaim_poll(struct reclaim *rc, void *ctx);

/* Free everything now: no reader may be left (the connection is ending). */
void reclaim_drain(struct reclaim *rc, void *ctx);

/* Whether deferred things are ever freed in this process. */
bool reclaim_works(void);

#endif
