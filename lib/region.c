/* SPDX-License-Identifier: MIT */
/* region.c — validation of a region's header, which clients and the daemon
 * both do. The slot writers are the daemon's (region_slot.c).
 */
#include "region.h"

#include <errno.h>

int region_header_validate(const struct region_header *h, size_t size, const char **why)
{
	const char *w = NULL;
	if (size < sizeof(*h))
		w = "region smaller than its header";
	else if (h->magic != REGION_MAGIC)
		w = "bad magic: not a shmseq region";
	else if (h->layout_version != REGION_LAYOUT_VERSION)
		w = "unsupported region layout version";
	else if (h->header_size != sizeof(struct region_header))
		w = "unexpected header size";
	else if (h->slot_size != sizeof(struct region_slot))
		w = "unexpected slot size";
	else if (h->incompat_flags != 0)
		w = "region uses features this library does not know";
	else if (h->nslots == 0 || h->nslots > (UINT64_MAX - sizeof(*h)) / sizeof(struct region_slot))
		w = "impossible slot count";
	else if (h->region_size != region_bytes(h->nslots) || h->region_size > size)
		w = "region size does not match its header";
	if (w) {
		if (why)
			*why = w;
		return -EPROTO;
	}
	return 0;
}
