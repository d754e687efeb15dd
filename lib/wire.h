/* wire.h — private: the protocol between libshmseq and shmseqd.
 *
 * A Unix SOCK_SEQPACKET connection per client session: every message is one
 * datagram (boundaries kept by the kernel), at most WIRE_MSG_MAX bytes, a
 * fixed header then an op-specific fixed-size payload. Requests carry a
 * req_id that the reply echoes; NUDGE is one-way. Both ends run on the same
 * machine, so payloads are native-endian fixed-width structs; sizes are
 * _Static_assert'ed and every received message is checked by wire_check()
 * and the payload-specific validators before use: the daemon never trusts a
 * client's bytes.
 */
#ifndef SHMSEQ_WIRE_H
#define SHMSEQ_WIRE_H

#include <stdint.h>
#include <stddef.h>

#include "seqdef.h"

#define WIRE_MAGIC 0x51455353u /* "SSEQ" */
#define WIRE_VERSION 1u
#define WIRE_MSG_MAX 8192u
#define WIRE_LIST_MAX 48u

enum wire_op {
	WIRE_HELLO = 1, /* -> region fd (SCM_RIGHTS) and instance facts */
	WIRE_OPEN,	/* name -> slot, seq_id */
	WIRE_CREATE,	/* CREATE SEQUENCE */
	WIRE_ALTER,	/* ALTER SEQUENCE */
	WIRE_DROP,	/* DROP one sequence */
	WIRE_SETVAL,	/* SETVAL */
	WIRE_REFILL,	/* a ticket beyond the durable limit: extend, then answer */
	WIRE_WRAP,	/* a ticket past the end of a CYCLE round */
	WIRE_NUDGE,	/* one-way: the refill mark was taken, extend ahead */
	WIRE_ROW,	/* SELECT * / SHOW CREATE: definition and position */
	WIRE_LIST,	/* names, in order, after a cursor */
	WIRE_STATUS,	/* instance facts */
	WIRE_INSERT,	/* INSERT INTO s VALUES: replace the row */
	WIRE_OP_MAX,
};

struct wire_hdr {
	uint32_t magic;
	uint16_t op;
	uint16_t version;
	uint32_t len;	/* whole message, header included */
	int32_t status; /* replies: 0, a positive op-specific answer, or -error */
	uint64_t req_id;
};
_Static_assert(sizeof(struct wire_hdr) == 24, "wire header");

struct wire_name {
	uint8_t len; /* 1..SHMSEQ_NAME_MAX */
	char s[SHMSEQ_NAME_MAX];
	uint8_t pad[7];
};
_Static_assert(sizeof(struct wire_name) == 72, "wire name");

struct wire_hello {
	uint32_t version;
	uint32_t pid;
};

struct wire_hello_reply {
	uint64_t incarnation;
	uint64_t nslots;
	uint64_t region_size;
	struct seq_env env;
	struct wire_name instance;
};

struct wire_open {
	struct wire_name name;
};

struct wire_open_reply {
	uint64_t seq_id;
	uint32_t slot;
	uint8_t type;
	uint8_t is_unsigned;
	uint8_t cycle;
	uint8_t pad;
};

enum wire_ddl_flags {
	WIRE_DDL_OR_REPLACE = 1u << 0,
	WIRE_DDL_IF_NOT_EXISTS = 1u << 1,
	WIRE_DDL_IF_EXISTS = 1u << 2,
};

struct wire_ddl {
	uint32_t flags;
	uint32_t pad;
	struct wire_name name;
	struct seq_options opt;
};

struct wire_ddl_reply {
	int32_t note; /* a Note's code (1050 for IF NOT EXISTS on an existing name), or 0 */
	int32_t pad;
	struct seq_notes notes;
};

struct wire_drop {
	struct wire_name name;
};

struct wire_setval {
	struct wire_name name;
	int64_t value;
	uint64_t round;
	uint8_t is_used;
	uint8_t pad[7];
};

/* REFILL, WRAP and NUDGE: a ticket of an epoch. */
struct wire_ticket {
	uint32_t slot;
	uint32_t pad;
	uint64_t seq_id;
	uint64_t gen;
	uint64_t n;
};

struct wire_row_reply {
	uint64_t seq_id;
	uint64_t reserve_ahead; /* values a host crash may skip (promise 5) */
	struct seq_row row;
	struct seq_def def;
};

struct wire_list {
	struct wire_name after; /* len 0: from the start */
};

struct wire_list_reply {
	uint32_t count;
	uint32_t more;
	struct wire_name names[WIRE_LIST_MAX];
};

struct wire_status_reply {
	uint64_t incarnation;
	uint64_t nslots;
	uint64_t nsequences;
	uint64_t region_size;
	uint64_t connections;
	uint64_t uptime_ms;
	uint64_t log_bytes;
	uint64_t syncs;
	uint64_t records;
	uint32_t pid;
	uint32_t failed; /* the wal failed: no new limits are published */
	struct seq_env env;
	char region_name[128];
	char data_dir[512];
};

struct wire_insert {
	struct wire_name name;
	struct seq_row row;
};

_Static_assert(sizeof(struct wire_hdr) + sizeof(struct wire_ddl) <= WIRE_MSG_MAX, "ddl fits");
_Static_assert(sizeof(struct wire_hdr) + sizeof(struct wire_row_reply) <= WIRE_MSG_MAX, "row fits");
_Static_assert(sizeof(struct wire_hdr) + sizeof(struct wire_list_reply) <= WIRE_MSG_MAX, "list fits");
_Static_assert(sizeof(struct wire_hdr) + sizeof(struct wire_status_reply) <= WIRE_MSG_MAX, "status fits");

/* The payload size an op's request (reply=0) or reply (reply=1) must have;
 * 0 for none, SIZE_MAX for an unknown op. */
size_t wire_payload_size(uint16_t op, int reply);

/* Check a received message of n bytes: magic, version, length, known op and
 * exact payload size. 0 or -EPROTO. */
int wire_check(const void *msg, size_t n, int reply);

/* Fill a header. */
void wire_hdr_init(struct wire_hdr *h, uint16_t op, uint32_t payload, uint64_t req_id, int32_t status);

/* Names: set from a C string (0 or -EINVAL if empty/too long), and validate a
 * received one into a NUL-terminated buffer of SHMSEQ_NAME_MAX + 1 bytes
 * (0 or -EINVAL: bad length or a NUL inside). */
int wire_name_set(struct wire_name *n, const char *s);
int wire_name_get(const struct wire_name *n, char *out);

/* Make received options safe to compute with: booleans 0/1, lengths within
 * bounds, type known, comment NUL-terminated. 0 or -EINVAL. */
int wire_options_sanitize(struct seq_options *o);

#endif
