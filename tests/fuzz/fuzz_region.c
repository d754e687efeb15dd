/* fuzz_region.c — libFuzzer target for the region: arbitrary bytes as a
 * mapped header must be refused or accepted by region_header_validate()
 * without reading out of bounds, and arbitrary slot contents must never make
 * the fast path produce a value outside base + n·inc or crash. */
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
				int64_t want;
				if (__builtin_mul_overflow((int64_t)tk.n, atomic_load(&s->inc), &want) ||
				    __builtin_add_overflow(want, atomic_load(&s->base), &want) || want != v)
					abort();
			}
		}
	}
	free(h);
	return 0;
}
