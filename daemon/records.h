/* SPDX-License-Identifier: MIT */
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
 * Payloads (offset: width field), one per type. Written now (data format
 * version 3, wal.c):
 *
 *   REC_SEQ (5): upsert a sequence, 80 + n + c bytes
 *       0: u64 id              8: i64 horizon         16: i64 cycle_count
 *      24: i64 start          32: i64 minvalue       40: i64 maxvalue
 *      48: i64 increment      56: i64 cache          64: i64 epoch_base
 *      72: u8  cycle          73: u8  type           74: u8  is_unsigned
 *      75: 1 pad              76: u16 name_len (n)   78: u16 comment_len (c)
 *      80: name[n]        80 + n: comment[c]
 *   REC_DROP (6): a sequence is gone, 16 + n bytes
 *       0: u64 id              8: u16 name_len (n)   10: 6 pad
 *      16: name[n]
 *   REC_NOP (3): nothing, 0 bytes
 *
 * Read, no longer written (data format version 2 and before, names of at
 * most 64 bytes in fixed fields):
 *
 *   REC_SEQ_V1 (1): a sequence, first form (no epoch base), 146 + c bytes
 *       0: u64 id              8: i64 horizon         16: i64 cycle_count
 *      24: u8  name_len       25: name[64]           89: u8  cycle
 *      90: u8  type           91: u8  is_unsigned    92: 12 pad
 *     104: i64 start         112: i64 minvalue      120: i64 maxvalue
 *     128: i64 increment     136: i64 cache         144: u16 comment_len (c)
 *     146: comment[c]
 *   REC_DROP_V1 (2): a sequence is gone, 80 bytes
 *       0: u64 id              8: u8  name_len        9: name[64]
 *      73: 7 pad
 *   REC_SEQ_V2 (4): a sequence, 154 + c bytes: as REC_SEQ_V1 up to 144, then
 *     144: i64 epoch_base    152: u16 comment_len (c) 154: comment[c]
 *
 * Field meanings (struct rec_seq): id, the sequence's identity (a name
 * re-created gets a new one); horizon, the restart point: no value at or
 * after it was handed out; cycle_count, MariaDB's round as its bit pattern;
 * the definition (start ... cache, cycle, type: enum seq_type,
 * is_unsigned); epoch_base, the first value of the slot's current epoch
 * (the floor a successor checks a slot against before adopting it); the
 * name (name_len bytes, no NUL, seq_name_fits: 1..SHMSEQ_NAME_MAX bytes,
 * at most 64 characters) and the comment (c bytes, 0..SHMSEQ_COMMENT_MAX).
 * Values of an unsigned sequence are uint64_t bit patterns. Pad bytes of
 * REC_SEQ and REC_DROP are checked to be zero on read; those of the older
 * forms are not (ignored, as their readers did).
 *
 * History: a record's format never changes under its type: a new format is
 * a new type, and the replay keeps reading the old ones.
 *   REC_SEQ_V1 (1), REC_DROP_V1 (2), REC_NOP (3): the first log format.
 *   REC_SEQ_V2 (4): adds epoch_base (adoption checks a slot against it).
 *   REC_SEQ (5), REC_DROP (6): names of 64 characters (up to 192 bytes),
 *     stored at their length; the fixed fields first, naturally aligned.
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
	REC_SEQ_V1 = 1,	 /* the first form of REC_SEQ (no epoch base): replayed, no longer written */
	REC_DROP_V1 = 2, /* the first form of REC_DROP (64-byte name): replayed, no longer written */
	REC_NOP = 3,	 /* nothing: closes a batch that holds a statement (catalog_prepare) */
	REC_SEQ_V2 = 4,	 /* the second form of REC_SEQ (64-byte name): replayed, no longer written */
	REC_SEQ = 5,	 /* upsert a sequence: definition, round, restart point, epoch base */
	REC_DROP = 6,	 /* a sequence is gone */
};

/* Bytes of a name in REC_SEQ_V1, REC_SEQ_V2 and REC_DROP_V1. */
#define REC_NAME_BYTES_V1 64
_Static_assert(SHMSEQ_NAME_MAX <= 255, "a name's length fits struct seq's u8");

/* A sequence record, decoded (REC_SEQ, REC_SEQ_V2 or REC_SEQ_V1). */
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
#define REC_SEQ_MAX (80u + SHMSEQ_NAME_MAX + SHMSEQ_COMMENT_MAX)

/* Encode r (name_len 1..SHMSEQ_NAME_MAX, comment_len <= SHMSEQ_COMMENT_MAX)
 * as a REC_SEQ payload into buf (REC_SEQ_MAX bytes). Returns its length. */
uint32_t rec_seq_encode(const struct rec_seq *r, void *buf);

/* Decode a REC_SEQ, REC_SEQ_V2 or REC_SEQ_V1 payload (untrusted bytes): 0,
 * or -EBADMSG with the reason in *why (a wrong length, a name that does not
 * fit, an unknown value type, non-zero padding). The definition is not
 * checked. */
int rec_seq_decode(const void *p, uint32_t len, uint16_t type, struct rec_seq *r, const char **why);

/* The definition a decoded record holds. */
void rec_seq_def(const struct rec_seq *r, struct seq_def *def);

/* Encode a REC_DROP payload into buf (REC_DROP_MAX bytes). Returns its
 * length. */
#define REC_DROP_MAX (16u + SHMSEQ_NAME_MAX)
uint32_t rec_drop_encode(const struct rec_drop *d, void *buf);

/* Decode a REC_DROP or REC_DROP_V1 payload: 0, or -EBADMSG with the reason
 * in *why. */
int rec_drop_decode(const void *p, uint32_t len, uint16_t type, struct rec_drop *d, const char **why);

#endif
