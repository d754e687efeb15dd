/* records.h — the payloads of the daemon's log records: what each REC_*
 * type holds, byte by byte, and their encoding and decoding.
 *
 * The log (wal.h, wal.c) frames, checksums and orders records; it treats a
 * payload as opaque bytes with a 16-bit type. This module is the only code
 * that knows what the bytes of a payload mean. The catalog fills a struct
 * rec_seq / struct rec_drop (the decoded forms, in memory, any layout) and
 * the functions here turn them into payload bytes and back.
 *
 * Byte order and widths: integers are little-endian (the files are written
 * and read on the same machine, in its order, and the build is refused on
 * a big-endian one: _Static_assert below), fixed width, at the offsets
 * below: every size and offset is _Static_assert'ed, so that editing a
 * struct here fails the build instead of silently changing the format.
 * Pad bytes are written as zeros.
 *
 * Payloads (offset: width field), one per type:
 *
 *   REC_SEQ_V1 (1): a sequence, first form (no epoch base), 146 + c bytes
 *       0: u64 id              8: i64 horizon         16: i64 cycle_count
 *      24: u8  name_len       25: name[64]           89: u8  cycle
 *      90: u8  type           91: u8  is_unsigned    92: 12 pad
 *     104: i64 start         112: i64 minvalue      120: i64 maxvalue
 *     128: i64 increment     136: i64 cache         144: u16 comment_len (c)
 *     146: comment[c]
 *   REC_DROP (2): a sequence is gone, 80 bytes
 *       0: u64 id              8: u8  name_len        9: name[64]
 *      73: 7 pad
 *   REC_NOP (3): nothing, 0 bytes
 *   REC_SEQ (4): a sequence, 154 + c bytes: as REC_SEQ_V1 up to 144, then
 *     144: i64 epoch_base    152: u16 comment_len (c) 154: comment[c]
 *
 * Field meanings (struct rec_seq): id, the sequence's identity (a name
 * re-created gets a new one); horizon, the restart point: no value at or
 * after it was handed out; cycle_count, MariaDB's round as its bit pattern;
 * the definition (start ... cache, cycle, type: enum seq_type,
 * is_unsigned); epoch_base, the first value of the slot's current epoch
 * (the floor a successor checks a slot against before adopting it); the
 * name (name_len bytes, no NUL, 1..64) and the comment (c bytes,
 * 0..SHMSEQ_COMMENT_MAX). Values of an unsigned sequence are uint64_t bit
 * patterns.
 *
 * History: a record's format never changes under its type: a new format is
 * a new type, and the replay keeps reading the old ones.
 *   REC_SEQ_V1, REC_DROP, REC_NOP: the first log format.
 *   REC_SEQ (4): adds epoch_base (adoption checks a slot against it).
 */
#ifndef SHMSEQD_RECORDS_H
#define SHMSEQD_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seqdef.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the data files are little-endian: a big-endian build needs explicit conversions in records.c "
	       "and wal.c");

/* Log record types. */
enum {
	REC_SEQ_V1 = 1, /* the first form of REC_SEQ (no epoch base): replayed, no longer written */
	REC_DROP = 2,	/* a sequence is gone */
	REC_NOP = 3,	/* nothing: closes a batch that holds a statement (catalog_prepare) */
	REC_SEQ = 4,	/* upsert a sequence: definition, round, restart point, epoch base */
};

/* Bytes of a name in REC_SEQ_V1, REC_SEQ and REC_DROP. */
#define REC_NAME_BYTES 64
_Static_assert(SHMSEQ_NAME_MAX <= REC_NAME_BYTES, "a name fits its record");

/* A sequence record, decoded (REC_SEQ or REC_SEQ_V1). */
struct rec_seq {
	uint64_t id;
	int64_t horizon; /* restart point: no value at or after it was handed out */
	int64_t cycle_count;
	int64_t start, minvalue, maxvalue, increment, cache;
	/* REC_SEQ: the base of the epoch the horizon belongs to; REC_SEQ_V1:
	 * the horizon (has_base false) */
	int64_t epoch_base;
	bool has_base;
	uint8_t cycle;
	uint8_t type;
	uint8_t is_unsigned;
	uint16_t name_len;
	uint16_t comment_len;
	char name[SHMSEQ_NAME_MAX + 1];	      /* NUL-terminated too */
	char comment[SHMSEQ_COMMENT_MAX + 1]; /* NUL-terminated too */
};

/* A drop record, decoded. */
struct rec_drop {
	uint64_t id;
	uint16_t name_len;
	char name[SHMSEQ_NAME_MAX + 1]; /* NUL-terminated too */
};

/* The largest REC_SEQ payload: a buffer of this size holds any. */
#define REC_SEQ_MAX (154u + SHMSEQ_COMMENT_MAX)

/* Encode r (name_len 1..SHMSEQ_NAME_MAX, comment_len <= SHMSEQ_COMMENT_MAX)
 * as a REC_SEQ payload into buf (REC_SEQ_MAX bytes). Returns its length. */
uint32_t rec_seq_encode(const struct rec_seq *r, void *buf);

/* Decode a REC_SEQ or REC_SEQ_V1 payload (untrusted bytes): 0, or -EBADMSG
 * with the reason in *why (a wrong length, an empty or too long name or one
 * holding a NUL, an unknown value type). The definition is not checked. */
int rec_seq_decode(const void *p, uint32_t len, uint16_t type, struct rec_seq *r, const char **why);

/* The definition a decoded record holds. */
void rec_seq_def(const struct rec_seq *r, struct seq_def *def);

/* Encode a REC_DROP payload into buf (REC_DROP_MAX bytes). Returns its
 * length. */
#define REC_DROP_MAX 80u
uint32_t rec_drop_encode(const struct rec_drop *d, void *buf);

/* Decode a REC_DROP payload: 0, or -EBADMSG with the reason in *why. */
int rec_drop_decode(const void *p, uint32_t len, struct rec_drop *d, const char **why);

#endif
