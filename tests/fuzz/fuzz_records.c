/* SPDX-License-Identifier: MIT */
/* fuzz_records.c — libFuzzer target for the log record decoders
 * (daemon/records.c): any payload, decoded as each record type, never
 * crashes or reads out of bounds; a sequence or drop record that decodes
 * encodes to a record that decodes to the same fields.
 *
 * Input: byte 0 picks the type (0..7), the rest is the payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

static void same_seq(const struct rec_seq *a, const struct rec_seq *b)
{
	if (a->id != b->id || a->horizon != b->horizon || a->cycle_count != b->cycle_count ||
	    a->start != b->start || a->minvalue != b->minvalue || a->maxvalue != b->maxvalue ||
	    a->increment != b->increment || a->cache != b->cache || a->epoch_base != b->epoch_base ||
	    a->cycle != b->cycle || a->type != b->type || a->is_unsigned != b->is_unsigned ||
	    a->name_len != b->name_len || a->comment_len != b->comment_len ||
	    memcmp(a->name, b->name, a->name_len + 1) != 0 ||
	    memcmp(a->comment, b->comment, a->comment_len + 1) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 + REC_SEQ_MAX + 64)
		return 0;
	uint16_t type = data[0] & 7;
	/* a copy of exactly the payload's size, so that reading past it is
	 * caught */
	size_t n = size - 1;
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, data + 1, n);
	const char *why = NULL;
	struct rec_seq *r = malloc(sizeof(*r)), *back = malloc(sizeof(*back));
	unsigned char *buf = malloc(REC_SEQ_MAX);
	if (!r || !back || !buf)
		abort();
	if (rec_seq_decode(p, (uint32_t)n, type, r, &why) == 0) {
		if (why)
			abort();
		uint32_t len = rec_seq_encode(r, buf);
		if (len > REC_SEQ_MAX || rec_seq_decode(buf, len, REC_SEQ, back, &why) != 0)
			abort();
		/* the older forms keep has_base apart: compare the rest */
		back->has_base = r->has_base;
		if (type == REC_SEQ_V1)
			back->epoch_base = r->epoch_base;
		same_seq(r, back);
		/* the current form is canonical: the same bytes again */
		if (type == REC_SEQ && (len != n || memcmp(buf, p, n) != 0))
			abort();
		struct seq_def def;
		rec_seq_def(r, &def);
	} else if (!why) {
		abort();
	}
	struct rec_drop d, db;
	if (rec_drop_decode(p, (uint32_t)n, type, &d, &why) == 0) {
		unsigned char dbuf[REC_DROP_MAX];
		uint32_t len = rec_drop_encode(&d, dbuf);
		if (rec_drop_decode(dbuf, len, REC_DROP, &db, &why) != 0 || db.id != d.id ||
		    db.name_len != d.name_len || memcmp(db.name, d.name, d.name_len + 1) != 0)
			abort();
	}
	free(buf);
	free(back);
	free(r);
	free(p);
	return 0;
}
