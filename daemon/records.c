/* records.c — log record payloads: encoding and decoding (layouts in
 * records.h). Every payload read back is untrusted: its length, name and
 * value type are checked before anything is used. */
#include "records.h"

#include <errno.h>
#include <string.h>

/* The bytes of a REC_SEQ payload before its comment. Version history:
 *   REC_SEQ_V1 (type 1): this up to epoch_base, then comment_len, comment.
 *   REC_SEQ (type 4): epoch_base added before comment_len. */
struct disk_seq {
	uint64_t id;
	int64_t horizon;
	int64_t cycle_count;
	uint8_t name_len;
	char name[REC_NAME_BYTES];
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

#define DISK_AT(t, f, off) _Static_assert(offsetof(struct t, f) == (off), #t "." #f " at " #off)
DISK_AT(disk_seq, id, 0);
DISK_AT(disk_seq, horizon, 8);
DISK_AT(disk_seq, cycle_count, 16);
DISK_AT(disk_seq, name_len, 24);
DISK_AT(disk_seq, name, 25);
DISK_AT(disk_seq, cycle, 89);
DISK_AT(disk_seq, type, 90);
DISK_AT(disk_seq, is_unsigned, 91);
DISK_AT(disk_seq, pad, 92);
DISK_AT(disk_seq, start, 104);
DISK_AT(disk_seq, minvalue, 112);
DISK_AT(disk_seq, maxvalue, 120);
DISK_AT(disk_seq, increment, 128);
DISK_AT(disk_seq, cache, 136);
DISK_AT(disk_seq, epoch_base, 144);
DISK_AT(disk_seq, comment_len, 152);
_Static_assert(sizeof(struct disk_seq) == 154, "REC_SEQ: 154 bytes before the comment");
_Static_assert(REC_SEQ_MAX == sizeof(struct disk_seq) + SHMSEQ_COMMENT_MAX, "REC_SEQ_MAX");
/* REC_SEQ_V1: the same up to epoch_base, then comment_len and the comment */
#define V1_HEAD ((size_t)offsetof(struct disk_seq, epoch_base))
_Static_assert(V1_HEAD == 144, "REC_SEQ_V1: comment_len at 144");

/* A REC_DROP payload. Version history: one form (type 2). */
struct disk_drop {
	uint64_t id;
	uint8_t name_len;
	char name[REC_NAME_BYTES];
	uint8_t pad[7];
} __attribute__((packed));
DISK_AT(disk_drop, id, 0);
DISK_AT(disk_drop, name_len, 8);
DISK_AT(disk_drop, name, 9);
DISK_AT(disk_drop, pad, 73);
_Static_assert(sizeof(struct disk_drop) == 80, "REC_DROP: 80 bytes");
_Static_assert(REC_DROP_MAX == sizeof(struct disk_drop), "REC_DROP_MAX");

uint32_t rec_seq_encode(const struct rec_seq *r, void *buf)
{
	struct disk_seq d;
	memset(&d, 0, sizeof(d));
	d.id = r->id;
	d.horizon = r->horizon;
	d.cycle_count = r->cycle_count;
	d.name_len = (uint8_t)r->name_len;
	memcpy(d.name, r->name, r->name_len);
	d.cycle = r->cycle;
	d.type = r->type;
	d.is_unsigned = r->is_unsigned;
	d.start = r->start;
	d.minvalue = r->minvalue;
	d.maxvalue = r->maxvalue;
	d.increment = r->increment;
	d.cache = r->cache;
	d.epoch_base = r->epoch_base;
	d.comment_len = r->comment_len;
	memcpy(buf, &d, sizeof(d));
	memcpy((char *)buf + sizeof(d), r->comment, r->comment_len);
	return (uint32_t)(sizeof(d) + r->comment_len);
}

int rec_seq_decode(const void *p, uint32_t len, uint16_t type, struct rec_seq *r, const char **why)
{
	struct disk_seq d;
	const char *comment;
	*why = "a sequence record of the wrong length";
	memset(r, 0, offsetof(struct rec_seq, comment));
	if (type == REC_SEQ) {
		if (len < sizeof(d))
			return -EBADMSG;
		memcpy(&d, p, sizeof(d));
		comment = (const char *)p + sizeof(d);
		if (d.comment_len > SHMSEQ_COMMENT_MAX || len != sizeof(d) + d.comment_len)
			return -EBADMSG;
		r->epoch_base = d.epoch_base;
		r->has_base = true;
	} else if (type == REC_SEQ_V1) {
		if (len < V1_HEAD + sizeof(uint16_t))
			return -EBADMSG;
		memset(&d, 0, sizeof(d));
		memcpy(&d, p, V1_HEAD);
		memcpy(&d.comment_len, (const char *)p + V1_HEAD, sizeof(uint16_t));
		comment = (const char *)p + V1_HEAD + sizeof(uint16_t);
		if (d.comment_len > SHMSEQ_COMMENT_MAX || len != V1_HEAD + sizeof(uint16_t) + d.comment_len)
			return -EBADMSG;
		r->epoch_base = d.horizon;
		r->has_base = false;
	} else {
		*why = "not a sequence record";
		return -EBADMSG;
	}
	*why = "its name is empty, too long or holds a NUL";
	if (d.name_len == 0 || d.name_len > SHMSEQ_NAME_MAX || memchr(d.name, 0, d.name_len))
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
	r->cycle = d.cycle;
	r->type = d.type;
	r->is_unsigned = d.is_unsigned;
	r->name_len = d.name_len;
	memcpy(r->name, d.name, d.name_len);
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
	d.name_len = (uint8_t)r->name_len;
	memcpy(d.name, r->name, r->name_len);
	memcpy(buf, &d, sizeof(d));
	return (uint32_t)sizeof(d);
}

int rec_drop_decode(const void *p, uint32_t len, struct rec_drop *r, const char **why)
{
	struct disk_drop d;
	if (len != sizeof(d)) {
		*why = "a drop record of the wrong length";
		return -EBADMSG;
	}
	memcpy(&d, p, sizeof(d));
	if (d.name_len == 0 || d.name_len > SHMSEQ_NAME_MAX || memchr(d.name, 0, d.name_len)) {
		*why = "a drop record with an impossible name";
		return -EBADMSG;
	}
	*why = NULL;
	r->id = d.id;
	r->name_len = d.name_len;
	memcpy(r->name, d.name, d.name_len);
	r->name[d.name_len] = 0;
	return 0;
}
