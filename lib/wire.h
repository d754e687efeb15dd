/* SPDX-License-Identifier: MIT */
/* wire.h — private: the protocol between libshmseq and shmseqd.
 *
 * A Unix SOCK_SEQPACKET connection per client session: every message is one
 * datagram (boundaries kept by the kernel), at most WIRE_MSG_MAX bytes, a
 * fixed header then an op-specific fixed-size payload. Requests carry a
 * req_id that the reply echoes; NUDGE is one-way. Both ends run on the same
 * machine, so payloads are native-endian fixed-width structs.
 *
 * The payloads are the protocol's own structs, never the parser's or the
 * arithmetic's (struct seq_options, seq_def, seq_row, seq_env, seq_notes):
 * those are converted by the functions at the end (wire_*_encode/decode),
 * so that editing them cannot change the bytes. Every struct here has only
 * fixed-width fields, explicit padding (zero) and an exact _Static_assert
 * on its size and every offset: a change fails the build, and a change of
 * the bytes is a new WIRE_VERSION. Every received message is checked by
 * wire_check() (frame, exact payload size) and decoded by the functions
 * here (range checks) before use: the daemon never trusts a client's
 * bytes, and the client checks the daemon's.
 *
 * WIRE_VERSION history:
 *   1: the first protocol (payloads carried struct seq_options, seq_def,
 *      seq_row, seq_env and seq_notes as the compiler laid them out).
 *   2: the protocol's own fixed-layout structs (wire_options, wire_def,
 *      wire_row, wire_env, wire_notes).
 *   3: names of 64 characters: wire_name holds 192 bytes (64 characters of
 *      utf8mb3) with a 16-bit length; WIRE_LIST_MAX 48 -> 40.
 *   4: WIRE_COUNTERS (a new op: a daemon of version 3 would close the
 *      session on it, so the version says which ops are there).
 */
#ifndef SHMSEQ_WIRE_H
#define SHMSEQ_WIRE_H

#include <stdint.h>
#include <stddef.h>

#include "seqdef.h"

/* Layout checks: every offset of every payload struct. */
#define WIRE_AT(t, f, off) _Static_assert(offsetof(struct t, f) == (off), #t "." #f " at " #off)
#define WIRE_SIZE(t, n) _Static_assert(sizeof(struct t) == (n), #t " is " #n " bytes")

#define WIRE_MAGIC 0x51455353u /* "SSEQ" */
#define WIRE_VERSION 4u
#define WIRE_MSG_MAX 8192u
#define WIRE_LIST_MAX 40u

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
	WIRE_COUNTERS,	/* the daemon's counters, and a sequence's (wire_open; empty name: none) */
	WIRE_CLUSTER,	/* local or clustered, the store, live segments: text */
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
WIRE_AT(wire_hdr, magic, 0);
WIRE_AT(wire_hdr, op, 4);
WIRE_AT(wire_hdr, version, 6);
WIRE_AT(wire_hdr, len, 8);
WIRE_AT(wire_hdr, status, 12);
WIRE_AT(wire_hdr, req_id, 16);
WIRE_SIZE(wire_hdr, 24);

/* The sizes the wire fixes, whatever the public header says. */
#define WIRE_NAME_BYTES 192
#define WIRE_COMMENT_BYTES 2048
_Static_assert(SHMSEQ_NAME_MAX == WIRE_NAME_BYTES, "a name fits the wire");
_Static_assert(SHMSEQ_INSTANCE_MAX <= WIRE_NAME_BYTES, "an instance name fits the wire");
_Static_assert(SHMSEQ_COMMENT_MAX == WIRE_COMMENT_BYTES, "a comment fits the wire");

/* A sequence's or an instance's name (seq_name_fits). */
struct wire_name {
	uint16_t len; /* 1..SHMSEQ_NAME_MAX */
	uint8_t pad[6];
	char s[WIRE_NAME_BYTES]; /* len bytes, zeros after */
};
WIRE_AT(wire_name, len, 0);
WIRE_AT(wire_name, pad, 2);
WIRE_AT(wire_name, s, 8);
WIRE_SIZE(wire_name, 200);

/* struct seq_env */
struct wire_env {
	int64_t auto_increment_increment; /* >= 1 */
	int64_t auto_increment_offset;	  /* >= 1 */
};
WIRE_AT(wire_env, auto_increment_increment, 0);
WIRE_AT(wire_env, auto_increment_offset, 8);
WIRE_SIZE(wire_env, 16);

/* A value in [INT64_MIN, UINT64_MAX] (the parser's wide literals): the low
 * and high 64 bits of its 128-bit two's complement. */
struct wire_wide {
	uint64_t lo;
	int64_t hi; /* 0, or -1 with lo >= 2^63 */
};
WIRE_AT(wire_wide, lo, 0);
WIRE_AT(wire_wide, hi, 8);
WIRE_SIZE(wire_wide, 16);

/* struct seq_options: what a CREATE or ALTER said. */
enum wire_opt_flags {
	WIRE_OPT_MIN_NONE = 1u << 0,
	WIRE_OPT_MAX_NONE = 1u << 1,
	WIRE_OPT_CYCLE = 1u << 2,
	WIRE_OPT_RESTART_WITH = 1u << 3,
	WIRE_OPT_UNSIGNED = 1u << 4,
	WIRE_OPT_KNOWN = (1u << 5) - 1,
};
struct wire_options {
	uint32_t given;	      /* enum seq_opt_bit */
	uint8_t type;	      /* enum seq_type */
	uint8_t flags;	      /* enum wire_opt_flags */
	uint16_t comment_len; /* <= SHMSEQ_COMMENT_MAX */
	int64_t increment;
	int64_t cache;
	struct wire_wide start;
	struct wire_wide minvalue;
	struct wire_wide maxvalue;
	struct wire_wide restart;
	char comment[WIRE_COMMENT_BYTES]; /* comment_len bytes, zeros after */
};
WIRE_AT(wire_options, given, 0);
WIRE_AT(wire_options, type, 4);
WIRE_AT(wire_options, flags, 5);
WIRE_AT(wire_options, comment_len, 6);
WIRE_AT(wire_options, increment, 8);
WIRE_AT(wire_options, cache, 16);
WIRE_AT(wire_options, start, 24);
WIRE_AT(wire_options, minvalue, 40);
WIRE_AT(wire_options, maxvalue, 56);
WIRE_AT(wire_options, restart, 72);
WIRE_AT(wire_options, comment, 88);
WIRE_SIZE(wire_options, 2136);

/* struct seq_def: a definition. */
struct wire_def {
	int64_t start;
	int64_t minvalue;
	int64_t maxvalue;
	int64_t increment;
	int64_t cache;
	uint8_t cycle;
	uint8_t type;
	uint8_t is_unsigned;
	uint8_t pad;
	uint16_t comment_len;
	uint8_t pad2[2];
	char comment[WIRE_COMMENT_BYTES]; /* comment_len bytes, zeros after */
};
WIRE_AT(wire_def, start, 0);
WIRE_AT(wire_def, minvalue, 8);
WIRE_AT(wire_def, maxvalue, 16);
WIRE_AT(wire_def, increment, 24);
WIRE_AT(wire_def, cache, 32);
WIRE_AT(wire_def, cycle, 40);
WIRE_AT(wire_def, type, 41);
WIRE_AT(wire_def, is_unsigned, 42);
WIRE_AT(wire_def, pad, 43);
WIRE_AT(wire_def, comment_len, 44);
WIRE_AT(wire_def, pad2, 46);
WIRE_AT(wire_def, comment, 48);
WIRE_SIZE(wire_def, 2096);

/* struct seq_row: the 8 columns of SELECT *. */
struct wire_row {
	int64_t next_not_cached_value;
	int64_t minimum_value;
	int64_t maximum_value;
	int64_t start_value;
	int64_t increment;
	int64_t cache_size;
	int64_t cycle_option;
	int64_t cycle_count;
};
WIRE_AT(wire_row, next_not_cached_value, 0);
WIRE_AT(wire_row, minimum_value, 8);
WIRE_AT(wire_row, maximum_value, 16);
WIRE_AT(wire_row, start_value, 24);
WIRE_AT(wire_row, increment, 32);
WIRE_AT(wire_row, cache_size, 40);
WIRE_AT(wire_row, cycle_option, 48);
WIRE_AT(wire_row, cycle_count, 56);
WIRE_SIZE(wire_row, 64);

/* struct seq_notes: Notes raised by a DDL. */
#define WIRE_NOTES_MAX 4
#define WIRE_NOTE_BYTES 96
struct wire_notes {
	int32_t count; /* 0..WIRE_NOTES_MAX */
	int32_t code[WIRE_NOTES_MAX];
	char text[WIRE_NOTES_MAX][WIRE_NOTE_BYTES]; /* NUL-terminated */
	uint8_t pad[4];
};
WIRE_AT(wire_notes, count, 0);
WIRE_AT(wire_notes, code, 4);
WIRE_AT(wire_notes, text, 20);
WIRE_AT(wire_notes, pad, 404);
WIRE_SIZE(wire_notes, 408);

struct wire_hello {
	uint32_t version;
	uint32_t pid;
};
WIRE_AT(wire_hello, version, 0);
WIRE_AT(wire_hello, pid, 4);
WIRE_SIZE(wire_hello, 8);

struct wire_hello_reply {
	uint64_t incarnation;
	uint64_t nslots;
	uint64_t region_size;
	struct wire_env env;
	struct wire_name instance;
};
WIRE_AT(wire_hello_reply, incarnation, 0);
WIRE_AT(wire_hello_reply, nslots, 8);
WIRE_AT(wire_hello_reply, region_size, 16);
WIRE_AT(wire_hello_reply, env, 24);
WIRE_AT(wire_hello_reply, instance, 40);
WIRE_SIZE(wire_hello_reply, 240);

/* OPEN and ROW requests */
struct wire_open {
	struct wire_name name;
};
WIRE_AT(wire_open, name, 0);
WIRE_SIZE(wire_open, 200);

struct wire_open_reply {
	uint64_t seq_id;
	uint32_t slot;
	uint8_t type;
	uint8_t is_unsigned;
	uint8_t cycle;
	uint8_t pad;
};
WIRE_AT(wire_open_reply, seq_id, 0);
WIRE_AT(wire_open_reply, slot, 8);
WIRE_AT(wire_open_reply, type, 12);
WIRE_AT(wire_open_reply, is_unsigned, 13);
WIRE_AT(wire_open_reply, cycle, 14);
WIRE_AT(wire_open_reply, pad, 15);
WIRE_SIZE(wire_open_reply, 16);

enum wire_ddl_flags {
	WIRE_DDL_OR_REPLACE = 1u << 0,
	WIRE_DDL_IF_NOT_EXISTS = 1u << 1,
	WIRE_DDL_IF_EXISTS = 1u << 2,
};

struct wire_ddl {
	uint32_t flags;
	uint32_t pad;
	struct wire_name name;
	struct wire_options opt;
};
WIRE_AT(wire_ddl, flags, 0);
WIRE_AT(wire_ddl, pad, 4);
WIRE_AT(wire_ddl, name, 8);
WIRE_AT(wire_ddl, opt, 208);
WIRE_SIZE(wire_ddl, 2344);

struct wire_ddl_reply {
	int32_t note; /* a Note's code (1050 for IF NOT EXISTS on an existing name), or 0 */
	int32_t pad;
	struct wire_notes notes;
};
WIRE_AT(wire_ddl_reply, note, 0);
WIRE_AT(wire_ddl_reply, pad, 4);
WIRE_AT(wire_ddl_reply, notes, 8);
WIRE_SIZE(wire_ddl_reply, 416);

struct wire_drop {
	struct wire_name name;
};
WIRE_AT(wire_drop, name, 0);
WIRE_SIZE(wire_drop, 200);

struct wire_setval {
	struct wire_name name;
	int64_t value;
	uint64_t round;
	uint8_t is_used;
	uint8_t pad[7];
};
WIRE_AT(wire_setval, name, 0);
WIRE_AT(wire_setval, value, 200);
WIRE_AT(wire_setval, round, 208);
WIRE_AT(wire_setval, is_used, 216);
WIRE_AT(wire_setval, pad, 217);
WIRE_SIZE(wire_setval, 224);

/* REFILL, WRAP and NUDGE: a ticket of an epoch. */
struct wire_ticket {
	uint32_t slot;
	uint32_t pad;
	uint64_t seq_id;
	uint64_t gen;
	uint64_t n;
};
WIRE_AT(wire_ticket, slot, 0);
WIRE_AT(wire_ticket, pad, 4);
WIRE_AT(wire_ticket, seq_id, 8);
WIRE_AT(wire_ticket, gen, 16);
WIRE_AT(wire_ticket, n, 24);
WIRE_SIZE(wire_ticket, 32);

struct wire_row_reply {
	uint64_t seq_id;
	uint64_t reserve_ahead; /* values a host crash may skip (promise 5) */
	struct wire_row row;
	struct wire_def def;
};
WIRE_AT(wire_row_reply, seq_id, 0);
WIRE_AT(wire_row_reply, reserve_ahead, 8);
WIRE_AT(wire_row_reply, row, 16);
WIRE_AT(wire_row_reply, def, 80);
WIRE_SIZE(wire_row_reply, 2176);

struct wire_list {
	struct wire_name after; /* len 0: from the start */
};
WIRE_AT(wire_list, after, 0);
WIRE_SIZE(wire_list, 200);

struct wire_list_reply {
	uint32_t count;
	uint32_t more;
	struct wire_name names[WIRE_LIST_MAX];
};
WIRE_AT(wire_list_reply, count, 0);
WIRE_AT(wire_list_reply, more, 4);
WIRE_AT(wire_list_reply, names, 8);
WIRE_SIZE(wire_list_reply, 8 + 200 * WIRE_LIST_MAX);

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
	struct wire_env env;
	char region_name[128];
	char data_dir[512];
};
WIRE_AT(wire_status_reply, incarnation, 0);
WIRE_AT(wire_status_reply, nslots, 8);
WIRE_AT(wire_status_reply, nsequences, 16);
WIRE_AT(wire_status_reply, region_size, 24);
WIRE_AT(wire_status_reply, connections, 32);
WIRE_AT(wire_status_reply, uptime_ms, 40);
WIRE_AT(wire_status_reply, log_bytes, 48);
WIRE_AT(wire_status_reply, syncs, 56);
WIRE_AT(wire_status_reply, records, 64);
WIRE_AT(wire_status_reply, pid, 72);
WIRE_AT(wire_status_reply, failed, 76);
WIRE_AT(wire_status_reply, env, 80);
WIRE_AT(wire_status_reply, region_name, 96);
WIRE_AT(wire_status_reply, data_dir, 224);
WIRE_SIZE(wire_status_reply, 736);

/* WIRE_COUNTERS' reply: the daemon's counters since its start and, for a
 * named sequence, that sequence's (zero otherwise; has_seq says which). */
#define WIRE_SYNC_BUCKETS 24
struct wire_counters_reply {
	uint64_t uptime_ms;
	uint64_t connections; /* sessions attached now */
	uint64_t sessions;    /* accepted since the start */
	uint64_t refused;     /* sessions refused */
	uint64_t statements;  /* DDL, SETVAL and INSERT answered */
	uint64_t refills;     /* window extensions asked for (waits included) */
	uint64_t waits;	      /* of those, asked by a client that waited */
	uint64_t records;
	uint64_t syncs;
	uint64_t sync_ns; /* the syncs' total time */
	uint64_t sync_hist[WIRE_SYNC_BUCKETS];
	uint64_t snapshots;
	uint64_t repairs;
	uint64_t seq_refills;
	uint64_t seq_waits;
	uint64_t seq_taken;   /* tickets taken in the sequence's current epoch */
	uint64_t seq_reserve; /* durable tickets not taken yet */
	uint32_t failed;
	uint32_t has_seq;
};
WIRE_AT(wire_counters_reply, uptime_ms, 0);
WIRE_AT(wire_counters_reply, sync_ns, 72);
WIRE_AT(wire_counters_reply, sync_hist, 80);
WIRE_AT(wire_counters_reply, snapshots, 272);
WIRE_AT(wire_counters_reply, seq_reserve, 312);
WIRE_AT(wire_counters_reply, failed, 320);
WIRE_AT(wire_counters_reply, has_seq, 324);
WIRE_SIZE(wire_counters_reply, 328);

struct wire_cluster_reply {
	char text[4096]; /* NUL-terminated */
};
WIRE_SIZE(wire_cluster_reply, 4096);

struct wire_insert {
	struct wire_name name;
	struct wire_row row;
};
WIRE_AT(wire_insert, name, 0);
WIRE_AT(wire_insert, row, 200);
WIRE_SIZE(wire_insert, 264);

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

/* Names: set from a C string (0 or -EINVAL if it does not fit:
 * seq_name_fits), and validate a received one into a NUL-terminated buffer
 * of SHMSEQ_NAME_MAX + 1 bytes (0 or -EINVAL: a bad length, more than
 * SHMSEQ_NAME_CHARS characters, a NUL inside, non-zero padding). */
int wire_name_set(struct wire_name *n, const char *s);
int wire_name_get(const struct wire_name *n, char *out);

/* Conversions between the protocol's structs and the program's. Encoding
 * fills every byte (pads zero). Decoding checks every field's range and
 * returns 0, or -EINVAL with what is wrong in *why (why may be NULL). */
int wire_options_encode(struct wire_options *w, const struct seq_options *o); /* -EINVAL: out of range */
int wire_options_decode(const struct wire_options *w, struct seq_options *o, const char **why);
void wire_def_encode(struct wire_def *w, const struct seq_def *d);
int wire_def_decode(const struct wire_def *w, struct seq_def *d, const char **why);
void wire_row_encode(struct wire_row *w, const struct seq_row *r);
void wire_row_decode(const struct wire_row *w, struct seq_row *r);
void wire_notes_encode(struct wire_notes *w, const struct seq_notes *n);
int wire_notes_decode(const struct wire_notes *w, struct seq_notes *n, const char **why);
void wire_env_encode(struct wire_env *w, const struct seq_env *e);
int wire_env_decode(const struct wire_env *w, struct seq_env *e, const char **why);

#endif
