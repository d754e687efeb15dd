/* SPDX-License-Identifier: MIT */
/* records.c — log record payloads: encoding and decoding (layouts in
 * records.h). Every payload read back is untrusted: its length, name and
 * value type are checked before anything is used. */
#include "records.h"

#include <errno.h>
#include <string.h>

#include "util.h"

#define DISK_AT(t, f, off) _Static_assert(offsetof(struct t, f) == (off), #t "." #f " at " #off)

/* The bytes of a REC_SEQ payload before its name and comment. Version
 * history: REC_SEQ_V1 (type 1), REC_SEQ_V2 (type 4, struct disk_seq_v2);
 * REC_SEQ (type 5): this, names of up to 192 bytes at their length. */
struct disk_seq {
	uint64_t id;
	int64_t horizon;
	int64_t cycle_count;
	int64_t start;
	int64_t minvalue;
	int64_t maxvalue;
	int64_t increment;
	int64_t cache;
	int64_t epoch_base;
	uint8_t cycle;
	uint8_t type;
	uint8_t is_unsigned;
	uint8_t pad;
	uint16_t name_len;
	uint16_t comment_len;
	/* then name_len bytes of name, comment_len bytes of comment */
};
DISK_AT(disk_seq, id, 0);
DISK_AT(disk_seq, horizon, 8);
DISK_AT(disk_seq, cycle_count, 16);
DISK_AT(disk_seq, start, 24);
DISK_AT(disk_seq, minvalue, 32);
DISK_AT(disk_seq, maxvalue, 40);
DISK_AT(disk_seq, increment, 48);
DISK_AT(disk_seq, cache, 56);
DISK_AT(disk_seq, epoch_base, 64);
DISK_AT(disk_seq, cycle, 72);
DISK_AT(disk_seq, type, 73);
DISK_AT(disk_seq, is_unsigned, 74);
DISK_AT(disk_seq, pad, 75);
DISK_AT(disk_seq, name_len, 76);
DISK_AT(disk_seq, comment_len, 78);
_Static_assert(sizeof(struct disk_seq) == 80, "REC_SEQ: 80 bytes before the name");
_Static_assert(REC_SEQ_MAX == sizeof(struct disk_seq) + SHMSEQ_NAME_MAX + SHMSEQ_COMMENT_MAX, "REC_SEQ_MAX");

/* REC_SEQ_V2 (type 4) before its comment; REC_SEQ_V1 (type 1) is the same up
 * to epoch_base, then comment_len and the comment. */
struct disk_seq_v2 {
	uint64_t id;
	int64_t horizon;
	int64_t cycle_count;
	uint8_t name_len;
	char name[REC_NAME_BYTES_V1];
	uint8_t cycle;
	uint8_t type;
	uint8_t is_unsigned;
	uint8_t pad[12];
	int64_t start;
	int64_t minvalue;
	int64_t maxvalue;
	int64_t increment;
	int64_t cache;
	int64_t epoch_base; /* not in REC_SEQ_V1 */
	uint16_t comment_len;
	/* then comment_len bytes of comment */
} __attribute__((packed));
DISK_AT(disk_seq_v2, id, 0);
DISK_AT(disk_seq_v2, horizon, 8);
DISK_AT(disk_seq_v2, cycle_count, 16);
DISK_AT(disk_seq_v2, name_len, 24);
DISK_AT(disk_seq_v2, name, 25);
DISK_AT(disk_seq_v2, cycle, 89);
DISK_AT(disk_seq_v2, type, 90);
DISK_AT(disk_seq_v2, is_unsigned, 91);
DISK_AT(disk_seq_v2, pad, 92);
DISK_AT(disk_seq_v2, start, 104);
DISK_AT(disk_seq_v2, minvalue, 112);
DISK_AT(disk_seq_v2, maxvalue, 120);
DISK_AT(disk_seq_v2, increment, 128);
DISK_AT(disk_seq_v2, cache, 136);
DISK_AT(disk_seq_v2, epoch_base, 144);
DISK_AT(disk_seq_v2, comment_len, 152);
_Static_assert(sizeof(struct disk_seq_v2) == 154, "REC_SEQ_V2: 154 bytes before the comment");
#define V1_HEAD ((size_t)offsetof(struct disk_seq_v2, epoch_base))
_Static_assert(V1_HEAD == 144, "REC_SEQ_V1: comment_len at 144");

/* REC_DROP (type 6) before its name. Version history: REC_DROP_V1 (type 2,
 * struct disk_drop_v1); REC_DROP: names of up to 192 bytes at their length. */
struct disk_drop {
	uint64_t id;
	uint16_t name_len;
	uint8_t pad[6];
	/* then name_len bytes of name */
};
DISK_AT(disk_drop, id, 0);
DISK_AT(disk_drop, name_len, 8);
DISK_AT(disk_drop, pad, 10);
_Static_assert(sizeof(struct disk_drop) == 16, "REC_DROP: 16 bytes before the name");
_Static_assert(REC_DROP_MAX == sizeof(struct disk_drop) + SHMSEQ_NAME_MAX, "REC_DROP_MAX");

struct disk_drop_v1 {
	uint64_t id;
	uint8_t name_len;
	char name[REC_NAME_BYTES_V1];
	uint8_t pad[7];
} __attribute__((packed));
DISK_AT(disk_drop_v1, id, 0);
DISK_AT(disk_drop_v1, name_len, 8);
DISK_AT(disk_drop_v1, name, 9);
DISK_AT(disk_drop_v1, pad, 73);
_Static_assert(sizeof(struct disk_drop_v1) == 80, "REC_DROP_V1: 80 bytes");

uint32_t rec_seq_encode(const struct rec_seq *r, void *buf)
{
	struct disk_seq d;
	memset(&d, 0, sizeof(d));
	d.id = r->id;
	d.horizon = r->horizon;
	d.cycle_count = r->cycle_count;
	d.start = r->start;
	d.minvalue = r->minvalue;
	d.maxvalue = r->maxvalue;
	d.increment = r->increment;
	d.cache = r->cache;
	d.epoch_base = r->epoch_base;
	d.cycle = r->cycle;
	d.type = r->type;
	d.is_unsigned = r->is_unsigned;
	d.name_len = r->name_len;
	d.comment_len = r->comment_len;
	char *p = buf;
	memcpy(p, &d, sizeof(d));
	memcpy(p + sizeof(d), r->name, r->name_len);
	memcpy(p + sizeof(d) + r->name_len, r->comment, r->comment_len);
	return (uint32_t)(sizeof(d) + r->name_len + r->comment_len);
}

/* The older forms, into the current one's head, name and comment. */
static int seq_decode_v12(const void *p, uint32_t len, uint16_t type, struct disk_seq *d, const char **name,
			  const char **comment, const char **why)
{
	struct disk_seq_v2 o;
	size_t head = type == REC_SEQ_V2 ? sizeof(o) : V1_HEAD + sizeof(uint16_t);
	if (len < head)
		return -EBADMSG;
	memset(&o, 0, sizeof(o));
	memcpy(&o, p, type == REC_SEQ_V2 ? sizeof(o) : V1_HEAD);
	if (type == REC_SEQ_V1)
		memcpy(&o.comment_len, (const char *)p + V1_HEAD, sizeof(uint16_t));
	if (o.comment_len > SHMSEQ_COMMENT_MAX || len != head + o.comment_len)
		return -EBADMSG;
	*why = "its name is empty, too long or holds a NUL";
	if (o.name_len > REC_NAME_BYTES_V1)
		return -EBADMSG;
	memset(d, 0, sizeof(*d));
	d->id = o.id;
	d->horizon = o.horizon;
	d->cycle_count = o.cycle_count;
	d->start = o.start;
	d->minvalue = o.minvalue;
	d->maxvalue = o.maxvalue;
	d->increment = o.increment;
	d->cache = o.cache;
	d->epoch_base = type == REC_SEQ_V2 ? o.epoch_base : o.horizon;
	d->cycle = o.cycle;
	d->type = o.type;
	d->is_unsigned = o.is_unsigned;
	d->name_len = o.name_len;
	d->comment_len = o.comment_len;
	*name = (const char *)p + offsetof(struct disk_seq_v2, name);
	*comment = (const char *)p + head;
	return 0;
}

int rec_seq_decode(const void *p, uint32_t len, uint16_t type, struct rec_seq *r, const char **why)
{
	struct disk_seq d;
	const char *name, *comment;
	*why = "a sequence record of the wrong length";
	memset(r, 0, offsetof(struct rec_seq, name));
	if (type == REC_SEQ) {
		if (len < sizeof(d))
			return -EBADMSG;
		memcpy(&d, p, sizeof(d));
		if (d.name_len > SHMSEQ_NAME_MAX || d.comment_len > SHMSEQ_COMMENT_MAX ||
		    len != sizeof(d) + d.name_len + d.comment_len)
			return -EBADMSG;
		*why = "non-zero padding";
		if (d.pad)
			return -EBADMSG;
		name = (const char *)p + sizeof(d);
		comment = name + d.name_len;
	} else if (type == REC_SEQ_V2 || type == REC_SEQ_V1) {
		if (seq_decode_v12(p, len, type, &d, &name, &comment, why) < 0)
			return -EBADMSG;
	} else {
		*why = "not a sequence record";
		return -EBADMSG;
	}
	*why = "its name is empty, too long or holds a NUL";
	if (!seq_name_fits(name, d.name_len))
		return -EBADMSG;
	*why = "its value type is unknown";
	if (d.is_unsigned > 1 || d.type > SEQ_TYPE_INT)
		return -EBADMSG;
	*why = NULL;
	r->id = d.id;
	r->horizon = d.horizon;
	r->cycle_count = d.cycle_count;
	r->start = d.start;
	r->minvalue = d.minvalue;
	r->maxvalue = d.maxvalue;
	r->increment = d.increment;
	r->cache = d.cache;
	r->epoch_base = d.epoch_base;
	r->has_base = type != REC_SEQ_V1;
	r->cycle = d.cycle;
	r->type = d.type;
	r->is_unsigned = d.is_unsigned;
	r->name_len = d.name_len;
	memcpy(r->name, name, d.name_len);
	r->name[d.name_len] = 0;
	r->comment_len = d.comment_len;
	memcpy(r->comment, comment, d.comment_len);
	r->comment[d.comment_len] = 0;
	return 0;
}

void rec_seq_def(const struct rec_seq *r, struct seq_def *def)
{
	memset(def, 0, offsetof(struct seq_def, comment));
	def->start = r->start;
	def->minvalue = r->minvalue;
	def->maxvalue = r->maxvalue;
	def->increment = r->increment;
	def->cache = r->cache;
	def->cycle = r->cycle;
	def->type = r->type;
	def->is_unsigned = r->is_unsigned;
	def->comment_len = r->comment_len;
	memcpy(def->comment, r->comment, r->comment_len);
	def->comment[r->comment_len] = 0;
}

uint32_t rec_drop_encode(const struct rec_drop *r, void *buf)
{
	struct disk_drop d;
	memset(&d, 0, sizeof(d));
	d.id = r->id;
	d.name_len = r->name_len;
	memcpy(buf, &d, sizeof(d));
	memcpy((char *)buf + sizeof(d), r->name, r->name_len);
	return (uint32_t)(sizeof(d) + r->name_len);
}

int rec_drop_decode(const void *p, uint32_t len, uint16_t type, struct rec_drop *r, const char **why)
{
	uint64_t id;
	size_t n;
	const char *name;
	*why = "a drop record of the wrong length";
	if (type == REC_DROP) {
		struct disk_drop d;
		if (len < sizeof(d))
			return -EBADMSG;
		memcpy(&d, p, sizeof(d));
		if (len != sizeof(d) + d.name_len)
			return -EBADMSG;
		*why = "a drop record with non-zero padding";
		for (size_t i = 0; i < sizeof(d.pad); i++)
			if (d.pad[i])
				return -EBADMSG;
		id = d.id;
		n = d.name_len;
		name = (const char *)p + sizeof(d);
	} else if (type == REC_DROP_V1) {
		struct disk_drop_v1 d;
		if (len != sizeof(d))
			return -EBADMSG;
		memcpy(&d, p, sizeof(d));
		id = d.id;
		n = d.name_len > REC_NAME_BYTES_V1 ? 0 : d.name_len;
		name = (const char *)p + offsetof(struct disk_drop_v1, name);
	} else {
		*why = "not a drop record";
		return -EBADMSG;
	}
	*why = "a drop record with an impossible name";
	if (!seq_name_fits(name, n))
		return -EBADMSG;
	*why = NULL;
	r->id = id;
	r->name_len = (uint16_t)n;
	memcpy(r->name, name, n);
	r->name[n] = 0;
	return 0;
}
