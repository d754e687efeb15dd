/* SPDX-License-Identifier: MIT */
/* fuzz_region.c — libFuzzer target for the region: arbitrary bytes as a
 * mapped header must be refused or accepted by region_header_validate()
 * without reading out of bounds, and arbitrary slot contents must never make
 * the fast path produce a value other than base + n·inc (in the slot's
 * signed or unsigned domain) or crash. Arbitrary bytes over the slots and
 * the name index of a small region must never make a lookup return a slot
 * out of bounds or one that does not hold the name it was asked for, nor
 * make the daemon's put and delete loop or write out of bounds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "region_index.h"
#include "util.h"

enum { IX_SLOTS = 4 };

static void fuzz_index(const uint8_t *data, size_t size)
{
	size_t total = region_bytes_indexed(IX_SLOTS);
	struct region_header *h = aligned_alloc(64, (total + 63) & ~(size_t)63);
	memset(h, 0, total);
	h->magic = REGION_MAGIC;
	h->layout_version = REGION_LAYOUT_VERSION;
	h->header_size = sizeof(*h);
	h->slot_size = sizeof(struct region_slot);
	h->nslots = IX_SLOTS;
	h->region_size = region_bytes(IX_SLOTS);
	h->compat_flags = REGION_COMPAT_NAME_INDEX;
	struct region_index ix;
	if (!region_index_locate(h, total, &ix))
		abort();
	/* a name from the input's first bytes, then the rest over slots and index */
	char name[17] = "n";
	size_t nl = 1;
	if (size > 0) {
		nl = data[0] % 16 + 1;
		for (size_t i = 0; i < nl; i++)
			name[i] = (char)(size > i + 1 && data[i + 1] ? data[i + 1] : 'x');
		name[nl] = 0;
	}
	size_t skip = nl + 1 < size ? nl + 1 : size;
	size_t room = total - sizeof(*h);
	size_t n = size - skip < room ? size - skip : room;
	/* half the time a real entry first, scribbled over after */
	if (size & 1) {
		struct region_epoch e = {.seq_id = 77, .inc = 1, .limit = 1, .end = 2};
		region_slot_publish(&region_slots(h)[1], &e);
		region_index_put(&ix, name, nl, util_hash(name, nl), 1, 77);
	}
	memcpy((char *)h + sizeof(*h), data + skip, n);
	const char *names[] = {name, "a", "ab"};
	for (int k = 0; k < 3; k++) {
		size_t len = strlen(names[k]);
		uint32_t slot = UINT32_MAX, flags;
		uint64_t id = 0;
		if (region_index_lookup(&ix, names[k], len, util_hash(names[k], len), &slot, &id, &flags) ==
		    INDEX_HIT) {
			if (slot >= IX_SLOTS || atomic_load(&region_slots(h)[slot].seq_id) != id || id == 0 ||
			    atomic_load(&region_slots(h)[slot].name.len) != len ||
			    memcmp((const void *)region_slots(h)[slot].name.name, names[k], len) != 0)
				abort();
		}
	}
	/* the daemon's writers over whatever is there: bounded, in bounds */
	region_index_put(&ix, name, nl, util_hash(name, nl), 2, 99);
	region_index_del(&ix, util_hash(name, nl), 2);
	region_index_del(&ix, util_hash("a", 1), 3);
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size < 4096 ? size : 4096;
	struct region_header *h = aligned_alloc(64, 4096);
	memset(h, 0, 4096);
	memcpy(h, data, n);
	const char *why;
	region_header_validate(h, n, &why);
	if (n >= sizeof(*h) + sizeof(struct region_slot)) {
		struct region_slot *s = region_slots(h);
		uint64_t id = atomic_load(&s->seq_id);
		for (int i = 0; i < 4; i++) {
			struct region_ticket tk = {0};
			int64_t v;
			if (region_take(s, id, &v, &tk) == TAKE_OK) {
				/* base + n·inc exactly, in the slot's domain */
				bool uns = atomic_load(&s->flags) & SLOT_UNSIGNED;
				int64_t b = atomic_load(&s->base);
				__int128 want = (uns ? (__int128)(uint64_t)b : (__int128)b) +
						(__int128)tk.n * atomic_load(&s->inc);
				if (want != (uns ? (__int128)(uint64_t)v : (__int128)v))
					abort();
			}
		}
	}
	free(h);
	fuzz_index(data, size);
	return 0;
}
