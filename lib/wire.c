/* wire.c — framing checks and validators for the client/daemon protocol.
 * Every byte received is untrusted: nothing is used before these pass. */
#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

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

int wire_name_set(struct wire_name *n, const char *s)
{
	size_t len = strlen(s);
	memset(n, 0, sizeof(*n));
	if (len == 0 || len > SHMSEQ_NAME_MAX)
		return -EINVAL;
	n->len = (uint8_t)len;
	memcpy(n->s, s, len);
	return 0;
}

int wire_name_get(const struct wire_name *n, char *out)
{
	if (n->len == 0 || n->len > SHMSEQ_NAME_MAX || memchr(n->s, 0, n->len))
		return -EINVAL;
	memcpy(out, n->s, n->len);
	out[n->len] = 0;
	return 0;
}

/* Read a bool that arrived as raw bytes without reading an invalid bool. */
static bool raw_bool(bool *b, bool *ok)
{
	unsigned char c;
	memcpy(&c, b, 1);
	if (c > 1)
		*ok = false;
	bool v = c != 0;
	memcpy(b, &v, 1);
	return v;
}

int wire_options_sanitize(struct seq_options *o)
{
	bool ok = true;
	raw_bool(&o->min_none, &ok);
	raw_bool(&o->max_none, &ok);
	raw_bool(&o->cycle, &ok);
	raw_bool(&o->restart_with, &ok);
	raw_bool(&o->is_unsigned, &ok);
	if (o->given >= (SEQ_OPT_ENGINE << 1))
		ok = false;
	if (o->type > SEQ_TYPE_INT)
		ok = false;
	if (o->comment_len > SHMSEQ_COMMENT_MAX)
		ok = false;
	else
		o->comment[o->comment_len] = 0;
	return ok ? 0 : -EINVAL;
}
