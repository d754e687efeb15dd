/* SPDX-License-Identifier: MIT */
/* reclaim.c — deferred reclamation for libshmseq (reclaim.h has the story):
 * the registry of reader threads, and the writer's grace periods.
 *
 * The registry is process-wide (a thread reads through many connections), a
 * list of records under reg_lock that only grows: a record is never freed,
 * so a batch may keep pointers to the records it waits for. A thread's
 * record is released by a thread-specific-data destructor when the thread
 * exits (its ctr left even first), and taken again by a new thread. After
 * fork() only the forking thread exists in the child: the other records are
 * left even and free, and membarrier() is registered again (the child's mm
 * starts unregistered). */
#include "reclaim.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread struct reclaim_reader *reclaim_self __attribute__((tls_model("initial-exec")));

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reclaim_reader *readers; /* under reg_lock */
static pthread_key_t reader_key;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
/* Set once a reader ran without a record of its own: from then on nothing
 * is freed (see reclaim_poll for why that is enough). */
static _Atomic bool broken;
static struct reclaim_reader fallback;

enum { MB_UNKNOWN, MB_PRIVATE, MB_GLOBAL, MB_NONE };
static _Atomic int mb_state;

static void thread_gone(void *p)
{
	struct reclaim_reader *r = p;
	uint64_t c = atomic_load_explicit(&r->ctr, memory_order_relaxed);
	if (c & 1) /* cancelled inside a section */
		atomic_store_explicit(&r->ctr, c + 1, memory_order_release);
	atomic_store_explicit(&r->in_use, false, memory_order_release);
}

static void fork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&reg_lock);
}

static void fork_child(void)
{
	for (struct reclaim_reader *r = readers; r; r = r->next) {
		if (r == reclaim_self)
			continue;
		uint64_t c = atomic_load_explicit(&r->ctr, memory_order_relaxed);
		if (c & 1)
			atomic_store_explicit(&r->ctr, c + 1, memory_order_relaxed);
		atomic_store_explicit(&r->in_use, false, memory_order_relaxed);
	}
	if (atomic_load(&mb_state) == MB_PRIVATE)
		atomic_store(&mb_state, MB_UNKNOWN);
	pthread_mutex_unlock(&reg_lock);
}

static void reg_init(void)
{
	if (pthread_key_create(&reader_key, thread_gone) != 0 ||
	    pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
		atomic_store(&broken, true);
}

struct reclaim_reader *reclaim_register(void)
{
	pthread_once(&reg_once, reg_init);
	struct reclaim_reader *r = NULL;
	if (!atomic_load(&broken)) {
		pthread_mutex_lock(&reg_lock);
		for (r = readers; r; r = r->next)
			if (!atomic_load_explicit(&r->in_use, memory_order_acquire))
				break;
		if (!r && (r = aligned_alloc(_Alignof(struct reclaim_reader), sizeof(*r))) != NULL) {
			memset(r, 0, sizeof(*r));
			r->next = readers;
			readers = r;
		}
		if (r)
			atomic_store_explicit(&r->in_use, true, memory_order_relaxed);
		pthread_mutex_unlock(&reg_lock);
		if (r && pthread_setspecific(reader_key, r) != 0) {
			atomic_store_explicit(&r->in_use, false, memory_order_release);
			r = NULL;
		}
	}
	if (!r) {
		/* before any pointer is loaded: pairs with the check after the
		 * membarrier() in reclaim_poll() */
		atomic_store(&broken, true);
		return &fallback;
	}
	reclaim_self = r;
	return r;
}

static int membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

/* A full memory barrier in every running thread of the process. */
static int barrier_all(void)
{
	int st = atomic_load(&mb_state);
	if (st == MB_UNKNOWN) {
		int q = membarrier(MEMBARRIER_CMD_QUERY);
		if (q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
			st = MB_PRIVATE;
		else if (q > 0 && (q & MEMBARRIER_CMD_GLOBAL))
			st = MB_GLOBAL;
		else
			st = MB_NONE;
		atomic_store(&mb_state, st);
	}
	if (st == MB_PRIVATE)
		return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	if (st == MB_GLOBAL)
		return membarrier(MEMBARRIER_CMD_GLOBAL);
	return -1;
}

bool reclaim_works(void)
{
	return barrier_all() == 0 && !atomic_load(&broken);
}

struct reclaim_wait {
	struct reclaim_reader *r;
	uint64_t ctr;
};

struct reclaim_batch {
	struct reclaim_batch *next;
	struct reclaim_item *items;
	size_t n;
	struct reclaim_wait wait[];
};

void reclaim_defer(struct reclaim *rc, struct reclaim_item *it)
{
	it->next = rc->pending;
	rc->pending = it;
	rc->deferred++;
}

static void free_items(struct reclaim *rc, struct reclaim_item *it, void *ctx)
{
	while (it) {
		struct reclaim_item *next = it->next;
		it->fn(ctx, it);
		free(it);
		rc->freed++;
		it = next;
	}
}

/* Whether every reader the batch waits for has left the section it was in. */
static bool batch_done(struct reclaim_batch *b)
{
	for (; b->n > 0; b->n--) {
		struct reclaim_wait *w = &b->wait[b->n - 1];
		/* pairs with the release store in reclaim_exit() */
		if (atomic_load_explicit(&w->r->ctr, memory_order_acquire) == w->ctr)
			return false;
	}
	return true;
}

void reclaim_poll(struct reclaim *rc, void *ctx)
{
	rc->polls++;
	for (struct reclaim_batch **pp = &rc->batches; *pp;) {
		struct reclaim_batch *b = *pp;
		if (!batch_done(b)) {
			pp = &b->next;
			continue;
		}
		*pp = b->next;
		free_items(rc, b->items, ctx);
		free(b);
	}
	if (!rc->pending)
		return;
	/* The barrier first; then a reader that ran without a record shows
	 * itself here, or loads its pointers after the barrier, when the
	 * pending things were already unlinked. */
	if (barrier_all() < 0 || atomic_load(&broken))
		return; /* nothing is ever freed: kept pending */
	pthread_mutex_lock(&reg_lock);
	size_t n = 0;
	for (struct reclaim_reader *r = readers; r; r = r->next)
		n++;
	struct reclaim_batch *b = malloc(sizeof(*b) + n * sizeof(b->wait[0]));
	if (!b) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	b->n = 0;
	for (struct reclaim_reader *r = readers; r; r = r->next) {
		/* pairs with the release store in reclaim_exit() (and, under
		 * TSan, the seq_cst store in reclaim_enter()) */
		uint64_t c = atomic_load_explicit(&r->ctr,
						  REGION_TSAN ? memory_order_seq_cst : memory_order_acquire);
		if (c & 1)
			b->wait[b->n++] = (struct reclaim_wait){r, c};
	}
	pthread_mutex_unlock(&reg_lock);
	b->items = rc->pending;
	rc->pending = NULL;
	if (b->n == 0) {
		free_items(rc, b->items, ctx);
		free(b);
		return;
	}
	b->next = rc->batches;
	rc->batches = b;
}

void reclaim_drain(struct reclaim *rc, void *ctx)
{
	free_items(rc, rc->pending, ctx);
	rc->pending = NULL;
	while (rc->batches) {
		struct reclaim_batch *b = rc->batches;
		rc->batches = b->next;
		free_items(rc, b->items, ctx);
		free(b);
	}
}
