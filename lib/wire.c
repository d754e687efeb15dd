/* SPDX-License-Identifier: MIT */
/* wire.c — framing checks and validators for the client/daemon protocol.
 * Every byte received is untrusted: nothing is used before these pass. */
#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "util.h"

size_t wire_payload_size(uint16_t op, int reply)
{
	switch (op) {
	case WIRE_HELLO:
		return reply ? sizeof(struct wire_hello_reply) : sizeof(struct wire_hello);
	case WIRE_OPEN:
		return reply ? sizeof(struct wire_open_reply) : sizeof(struct wire_open);
	case WIRE_CREATE:
	case WIRE_ALTER:
		return reply ? sizeof(struct wire_ddl_reply) : sizeof(struct wire_ddl);
	case WIRE_DROP:
		return reply ? 0 : sizeof(struct wire_drop);
	case WIRE_SETVAL:
		return reply ? 0 : sizeof(struct wire_setval);
	case WIRE_REFILL:
	case WIRE_WRAP:
		return reply ? 0 : sizeof(struct wire_ticket);
	case WIRE_NUDGE:
		return reply ? SIZE_MAX : sizeof(struct wire_ticket);
	case WIRE_ROW:
		return reply ? sizeof(struct wire_row_reply) : sizeof(struct wire_open);
	case WIRE_LIST:
		return reply ? sizeof(struct wire_list_reply) : sizeof(struct wire_list);
	case WIRE_STATUS:
		return reply ? sizeof(struct wire_status_reply) : 0;
	case WIRE_INSERT:
		return reply ? 0 : sizeof(struct wire_insert);
	case WIRE_COUNTERS:
		return reply ? sizeof(struct wire_counters_reply) : sizeof(struct wire_open);
	case WIRE_CLUSTER:
		return reply ? sizeof(struct wire_cluster_reply) : 0;
	default:
		return SIZE_MAX;
	}
}

int wire_check(const void *msg, size_t n, int reply)
{
	struct wire_hdr h;
	if (n < sizeof(h))
		return -EPROTO;
	memcpy(&h, msg, sizeof(h));
	if (h.magic != WIRE_MAGIC || h.version != WIRE_VERSION || h.len != n)
		return -EPROTO;
	size_t want = wire_payload_size(h.op, reply);
	if (want == SIZE_MAX)
		return -EPROTO;
	/* an error reply carries no payload */
	if (reply && h.status < 0)
		return n == sizeof(h) ? 0 : -EPROTO;
	return n == sizeof(h) + want ? 0 : -EPROTO;
}

void wire_hdr_init(struct wire_hdr *h, uint16_t op, uint32_t payload, uint64_t req_id, int32_t status)
{
	h->magic = WIRE_MAGIC;
	h->op = op;
	h->version = WIRE_VERSION;
	h->len = (uint32_t)sizeof(*h) + payload;
	h->status = status;
	h->req_id = req_id;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int wire_name_set(struct wire_name *n, const char *s)
{
	size_t len = strnlen(s, SHMSEQ_NAME_MAX + 1);
	memset(n, 0, sizeof(*n));
	if (!seq_name_fits(s, len))
		return -EINVAL;
	n->len = (uint16_t)len;
	memcpy(n->s, s, len);
	return 0;
}

int wire_name_get(const struct wire_name *n, char *out)
{
	if (n->len > SHMSEQ_NAME_MAX || !seq_name_fits(n->s, n->len) || !all_zero(n->pad, sizeof(n->pad)) ||
	    !all_zero(n->s + n->len, sizeof(n->s) - n->len))
		return -EINVAL;
	memcpy(out, n->s, n->len);
	out[n->len] = 0;
	return 0;
}

/* --- conversions ------------------------------------------------------------ */

static int bad(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EINVAL;
}

#define WIDE_MIN ((__int128)INT64_MIN)
#define WIDE_MAX ((__int128)UINT64_MAX)

static int wide_encode(struct wire_wide *w, __int128 v)
{
	if (v < WIDE_MIN || v > WIDE_MAX)
		return -EINVAL;
	w->lo = (uint64_t)v;
	w->hi = v < 0 ? -1 : 0;
	return 0;
}

static bool wide_decode(const struct wire_wide *w, __int128 *v)
{
	if (w->hi == 0)
		*v = (__int128)w->lo;
	else if (w->hi == -1 && w->lo >= (1ull << 63))
		*v = (__int128)(int64_t)w->lo;
	else
		return false;
	return true;
}

int wire_options_encode(struct wire_options *w, const struct seq_options *o)
{
	memset(w, 0, sizeof(*w));
	if (o->comment_len > SHMSEQ_COMMENT_MAX)
		return -EINVAL;
	w->given = o->given;
	w->type = o->type;
	w->flags = (o->min_none ? WIRE_OPT_MIN_NONE : 0) | (o->max_none ? WIRE_OPT_MAX_NONE : 0) |
		   (o->cycle ? WIRE_OPT_CYCLE : 0) | (o->restart_with ? WIRE_OPT_RESTART_WITH : 0) |
		   (o->is_unsigned ? WIRE_OPT_UNSIGNED : 0);
	w->comment_len = o->comment_len;
	w->increment = o->increment;
	w->cache = o->cache;
	memcpy(w->comment, o->comment, o->comment_len);
	if (wide_encode(&w->start, o->start) < 0 || wide_encode(&w->minvalue, o->minvalue) < 0 ||
	    wide_encode(&w->maxvalue, o->maxvalue) < 0 || wide_encode(&w->restart, o->restart) < 0)
		return -EINVAL;
	return 0;
}

int wire_options_decode(const struct wire_options *w, struct seq_options *o, const char **why)
{
	memset(o, 0, offsetof(struct seq_options, comment));
	if (w->given & ~(unsigned)((SEQ_OPT_ENGINE << 1) - 1))
		return bad(why, "unknown option bits");
	if (w->flags & ~WIRE_OPT_KNOWN)
		return bad(why, "unknown option flags");
	if (w->type > SEQ_TYPE_INT)
		return bad(why, "unknown value type");
	if (w->comment_len > SHMSEQ_COMMENT_MAX)
		return bad(why, "comment too long");
	if (!all_zero(w->comment + w->comment_len, sizeof(w->comment) - w->comment_len))
		return bad(why, "bytes after the comment");
	if (!wide_decode(&w->start, &o->start) || !wide_decode(&w->minvalue, &o->minvalue) ||
	    !wide_decode(&w->maxvalue, &o->maxvalue) || !wide_decode(&w->restart, &o->restart))
		return bad(why, "a value outside [-2^63, 2^64-1]");
	o->given = w->given;
	o->type = w->type;
	o->min_none = w->flags & WIRE_OPT_MIN_NONE;
	o->max_none = w->flags & WIRE_OPT_MAX_NONE;
	o->cycle = w->flags & WIRE_OPT_CYCLE;
	o->restart_with = w->flags & WIRE_OPT_RESTART_WITH;
	o->is_unsigned = w->flags & WIRE_OPT_UNSIGNED;
	o->increment = w->increment;
	o->cache = w->cache;
	o->comment_len = w->comment_len;
	memcpy(o->comment, w->comment, w->comment_len);
	o->comment[w->comment_len] = 0;
	return 0;
}

void wire_def_encode(struct wire_def *w, const struct seq_def *d)
{
	memset(w, 0, sizeof(*w));
	w->start = d->start;
	w->minvalue = d->minvalue;
	w->maxvalue = d->maxvalue;
	w->increment = d->increment;
	w->cache = d->cache;
	w->cycle = d->cycle;
	w->type = d->type;
	w->is_unsigned = d->is_unsigned;
	w->comment_len = d->comment_len <= SHMSEQ_COMMENT_MAX ? d->comment_len : 0;
	memcpy(w->comment, d->comment, w->comment_len);
}

int wire_def_decode(const struct wire_def *w, struct seq_def *d, const char **why)
{
	memset(d, 0, offsetof(struct seq_def, comment));
	d->comment[0] = 0;
	if (w->type > SEQ_TYPE_INT || w->is_unsigned > 1)
		return bad(why, "unknown value type");
	if (w->comment_len > SHMSEQ_COMMENT_MAX)
		return bad(why, "comment too long");
	if (w->pad || !all_zero(w->pad2, sizeof(w->pad2)) ||
	    !all_zero(w->comment + w->comment_len, sizeof(w->comment) - w->comment_len))
		return bad(why, "non-zero padding");
	d->start = w->start;
	d->minvalue = w->minvalue;
	d->maxvalue = w->maxvalue;
	d->increment = w->increment;
	d->cache = w->cache;
	d->cycle = w->cycle;
	d->type = w->type;
	d->is_unsigned = w->is_unsigned;
	d->comment_len = w->comment_len;
	memcpy(d->comment, w->comment, w->comment_len);
	d->comment[w->comment_len] = 0;
	return 0;
}

void wire_row_encode(struct wire_row *w, const struct seq_row *r)
{
	w->next_not_cached_value = r->next_not_cached_value;
	w->minimum_value = r->minimum_value;
	w->maximum_value = r->maximum_value;
	w->start_value = r->start_value;
	w->increment = r->increment;
	w->cache_size = r->cache_size;
	w->cycle_option = r->cycle_option;
	w->cycle_count = r->cycle_count;
}

void wire_row_decode(const struct wire_row *w, struct seq_row *r)
{
	r->next_not_cached_value = w->next_not_cached_value;
	r->minimum_value = w->minimum_value;
	r->maximum_value = w->maximum_value;
	r->start_value = w->start_value;
	r->increment = w->increment;
	r->cache_size = w->cache_size;
	r->cycle_option = w->cycle_option;
	r->cycle_count = w->cycle_count;
}

_Static_assert(sizeof(((struct seq_notes *)0)->code) / sizeof(int) == WIRE_NOTES_MAX, "notes");
_Static_assert(sizeof(((struct seq_notes *)0)->text[0]) == WIRE_NOTE_BYTES, "note text");

void wire_notes_encode(struct wire_notes *w, const struct seq_notes *n)
{
	memset(w, 0, sizeof(*w));
	w->count = n->count < 0 ? 0 : n->count > WIRE_NOTES_MAX ? WIRE_NOTES_MAX : n->count;
	for (int i = 0; i < w->count; i++) {
		w->code[i] = n->code[i];
		size_t len = strnlen(n->text[i], WIRE_NOTE_BYTES - 1);
		memcpy(w->text[i], n->text[i], len);
	}
}

int wire_notes_decode(const struct wire_notes *w, struct seq_notes *n, const char **why)
{
	memset(n, 0, sizeof(*n));
	if (w->count < 0 || w->count > WIRE_NOTES_MAX)
		return bad(why, "note count out of range");
	for (int i = 0; i < w->count; i++)
		if (!memchr(w->text[i], 0, WIRE_NOTE_BYTES))
			return bad(why, "a note's text is not terminated");
	n->count = w->count;
	for (int i = 0; i < w->count; i++) {
		n->code[i] = w->code[i];
		memcpy(n->text[i], w->text[i], WIRE_NOTE_BYTES);
	}
	return 0;
}

void wire_env_encode(struct wire_env *w, const struct seq_env *e)
{
	w->auto_increment_increment = e->auto_increment_increment;
	w->auto_increment_offset = e->auto_increment_offset;
}

int wire_env_decode(const struct wire_env *w, struct seq_env *e, const char **why)
{
	if (w->auto_increment_increment < 1 || w->auto_increment_offset < 1)
		return bad(why, "auto_increment settings below 1");
	e->auto_increment_increment = w->auto_increment_increment;
	e->auto_increment_offset = w->auto_increment_offset;
	return 0;
}
