/* SPDX-License-Identifier: MIT */
/* fuzz_wire.c — libFuzzer target for the wire decoder: any datagram is
 * framed-checked as a request and as a reply, and a payload that passes is
 * run through the validators the daemon applies before using it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > WIRE_MSG_MAX)
		return 0;
	for (int reply = 0; reply < 2; reply++) {
		if (wire_check(data, size, reply) != 0)
			continue;
		struct wire_hdr h;
		memcpy(&h, data, sizeof(h));
		const uint8_t *p = data + sizeof(h);
		char name[SHMSEQ_NAME_MAX + 1];
		if (reply || h.status < 0)
			continue;
		switch (h.op) {
		case WIRE_OPEN:
		case WIRE_ROW:
		case WIRE_DROP:
		case WIRE_COUNTERS: {
			struct wire_open o;
			memcpy(&o, p, sizeof(o));
			wire_name_get(&o.name, name);
			break;
		}
		case WIRE_CREATE:
		case WIRE_ALTER: {
			struct wire_ddl *d = malloc(sizeof(*d));
			struct seq_options *o = malloc(sizeof(*o));
			memcpy(d, p, sizeof(*d));
			if (wire_name_get(&d->name, name) == 0 &&
			    wire_options_decode(&d->opt, o, NULL) == 0) {
				/* what the daemon then computes with must be safe too */
				struct seq_def def;
				int64_t next;
				struct seq_notes notes = {0};
				struct seq_env env = {1, 1};
				seq_def_create(o, &env, &def, &next, &notes);
				/* and what decodes encodes back to the same bytes */
				struct wire_options *again = malloc(sizeof(*again));
				if (wire_options_encode(again, o) != 0 ||
				    memcmp(again, &d->opt, sizeof(*again)) != 0)
					abort();
				free(again);
			}
			free(o);
			free(d);
			break;
		}
		case WIRE_INSERT: {
			struct wire_insert ins;
			struct seq_row row;
			memcpy(&ins, p, sizeof(ins));
			wire_row_decode(&ins.row, &row);
			break;
		}
		default:
			break;
		}
	}
	return 0;
}
