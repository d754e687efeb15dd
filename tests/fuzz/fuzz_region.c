/* SPDX-License-Identifier: MIT */
/* fuzz_region.c — libFuzzer target for the region: arbitrary bytes as a
 * mapped header must be refused or accepted by region_header_validate()
 * without reading out of bounds, and arbitrary slot contents must never make
 * the fast path produce a value other than base + n·inc (in the slot's
 * signed or unsigned domain) or crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"

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
	return 0;
}
