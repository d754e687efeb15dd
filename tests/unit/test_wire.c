/* SPDX-License-Identifier: MIT */
/* test_wire.c — the protocol's framing checks and validators: nothing the
 * daemon receives is used before these pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void test_check_frames(void **state)
{
	(void)state;
	char buf[WIRE_MSG_MAX];
	struct wire_hdr h;
	for (uint16_t op = WIRE_HELLO; op < WIRE_OP_MAX; op++) {
		size_t want = wire_payload_size(op, 0);
		assert_true(want != SIZE_MAX);
		wire_hdr_init(&h, op, (uint32_t)want, 1, 0);
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &h, sizeof(h));
		assert_int_equal(wire_check(buf, sizeof(h) + want, 0), 0);
		/* any other length is refused */
		assert_int_equal(wire_check(buf, sizeof(h) + want + 1, 0), -EPROTO);
		if (want)
			assert_int_equal(wire_check(buf, sizeof(h) + want - 1, 0), -EPROTO);
	}
	wire_hdr_init(&h, WIRE_STATUS, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h) - 1, 0), -EPROTO);
	h.magic ^= 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	wire_hdr_init(&h, WIRE_STATUS, 0, 1, 0);
	h.version = 9;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	wire_hdr_init(&h, WIRE_OP_MAX, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	wire_hdr_init(&h, 0, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	/* an error reply has no payload; a one-way op has no reply */
	wire_hdr_init(&h, WIRE_ROW, 0, 1, -4091);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 1), 0);
	wire_hdr_init(&h, WIRE_NUDGE, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 1), -EPROTO);
}

static void test_names(void **state)
{
	(void)state;
	struct wire_name n;
	char out[SHMSEQ_NAME_MAX + 1];
	char long_name[SHMSEQ_NAME_MAX + 8] = "";
	assert_int_equal(wire_name_set(&n, ""), -EINVAL);
	/* 64 characters of any width up to utf8mb3's 3 bytes, as MariaDB */
	const char *chars[] = {"x", "\xc3\xa9" /* é */, "\xe2\x82\xac" /* € */};
	for (size_t c = 0; c < 3; c++) {
		long_name[0] = 0;
		for (int i = 0; i < SHMSEQ_NAME_CHARS; i++)
			strcat(long_name, chars[c]);
		assert_int_equal(strlen(long_name), SHMSEQ_NAME_CHARS * (c + 1));
		assert_int_equal(wire_name_set(&n, long_name), 0);
		assert_int_equal(wire_name_get(&n, out), 0);
		assert_string_equal(out, long_name);
		strcat(long_name, chars[c]); /* 65 characters */
		assert_int_equal(wire_name_set(&n, long_name), -EINVAL);
	}
	/* received: 65 characters, or bytes after the name, are refused */
	memset(&n, 0, sizeof(n));
	memset(n.s, 'x', 65);
	n.len = 65;
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
	n.len = 64;
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
	n.s[64] = 0;
	assert_int_equal(wire_name_get(&n, out), 0);
	n.pad[0] = 1;
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
	assert_int_equal(wire_name_set(&n, "my seq"), 0);
	assert_int_equal(wire_name_get(&n, out), 0);
	assert_string_equal(out, "my seq");
	n.s[2] = 0; /* a NUL inside */
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
	n.len = 0;
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
	n.len = SHMSEQ_NAME_MAX + 1;
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
}

/* The parser's options cross the wire and come back equal; the wide
 * values at both ends of [INT64_MIN, UINT64_MAX] included. */
static void test_options_roundtrip(void **state)
{
	(void)state;
	struct seq_options *o = calloc(1, sizeof(*o)), *back = calloc(1, sizeof(*back));
	struct wire_options *w = calloc(1, sizeof(*w));
	o->given = SEQ_OPT_START | SEQ_OPT_MINVALUE | SEQ_OPT_MAXVALUE | SEQ_OPT_CYCLE | SEQ_OPT_AS |
		   SEQ_OPT_COMMENT | SEQ_OPT_RESTART;
	o->start = (__int128)UINT64_MAX;
	o->minvalue = (__int128)INT64_MIN;
	o->maxvalue = -1;
	o->restart = (__int128)INT64_MAX + 1;
	o->increment = -7;
	o->cache = -3;
	o->cycle = true;
	o->max_none = true;
	o->restart_with = true;
	o->is_unsigned = true;
	o->type = SEQ_TYPE_INT;
	o->comment_len = 5;
	memcpy(o->comment, "hello", 6);
	assert_int_equal(wire_options_encode(w, o), 0);
	const char *why = NULL;
	assert_int_equal(wire_options_decode(w, back, &why), 0);
	assert_true(back->start == o->start && back->minvalue == o->minvalue &&
		    back->maxvalue == o->maxvalue && back->restart == o->restart);
	assert_int_equal(back->given, o->given);
	assert_int_equal(back->increment, -7);
	assert_int_equal(back->cache, -3);
	assert_true(back->cycle && back->max_none && back->restart_with && back->is_unsigned);
	assert_false(back->min_none);
	assert_int_equal(back->type, SEQ_TYPE_INT);
	assert_int_equal(back->comment_len, 5);
	assert_string_equal(back->comment, "hello");
	/* a value the wire cannot carry is refused when encoding */
	o->start = (__int128)UINT64_MAX + 1;
	assert_int_equal(wire_options_encode(w, o), -EINVAL);
	o->start = (__int128)INT64_MIN - 1;
	assert_int_equal(wire_options_encode(w, o), -EINVAL);
	free(o);
	free(back);
	free(w);
}

/* Garbage on the wire is refused with a reason, field by field. */
static void test_options_decode_refuses(void **state)
{
	(void)state;
	struct seq_options *o = calloc(1, sizeof(*o));
	struct wire_options *w = calloc(1, sizeof(*w));
	const char *why = NULL;
	assert_int_equal(wire_options_decode(w, o, &why), 0);
	w->flags = 0x20; /* an unknown flag bit */
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	assert_string_equal(why, "unknown option flags");
	memset(w, 0, sizeof(*w));
	w->type = 200;
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	assert_string_equal(why, "unknown value type");
	memset(w, 0, sizeof(*w));
	w->comment_len = SHMSEQ_COMMENT_MAX + 1;
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	assert_string_equal(why, "comment too long");
	memset(w, 0, sizeof(*w));
	w->comment_len = 2;
	w->comment[3] = 'x';
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	assert_string_equal(why, "bytes after the comment");
	memset(w, 0, sizeof(*w));
	w->given = 1u << 20;
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	assert_string_equal(why, "unknown option bits");
	memset(w, 0, sizeof(*w));
	w->minvalue.hi = 1; /* 2^64: beyond UINT64_MAX */
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	assert_string_equal(why, "a value outside [-2^63, 2^64-1]");
	memset(w, 0, sizeof(*w));
	w->restart.hi = -1;
	w->restart.lo = 5; /* -2^64 + 5: below INT64_MIN */
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	memset(w, 0xff, sizeof(*w)); /* garbage everywhere */
	assert_int_equal(wire_options_decode(w, o, &why), -EINVAL);
	free(o);
	free(w);
}

/* Definitions, rows, notes and settings: round trips, and garbage refused. */
static void test_def_row_notes_env(void **state)
{
	(void)state;
	struct seq_def *d = calloc(1, sizeof(*d)), *back = calloc(1, sizeof(*back));
	struct wire_def *w = calloc(1, sizeof(*w));
	d->start = 5;
	d->minvalue = -10;
	d->maxvalue = 100;
	d->increment = 3;
	d->cache = 20;
	d->cycle = 1;
	d->type = SEQ_TYPE_SMALLINT;
	d->is_unsigned = 0;
	d->comment_len = 3;
	memcpy(d->comment, "abc", 4);
	wire_def_encode(w, d);
	const char *why = NULL;
	assert_int_equal(wire_def_decode(w, back, &why), 0);
	assert_int_equal(back->start, 5);
	assert_int_equal(back->minvalue, -10);
	assert_int_equal(back->maxvalue, 100);
	assert_int_equal(back->increment, 3);
	assert_int_equal(back->cache, 20);
	assert_int_equal(back->cycle, 1);
	assert_int_equal(back->type, SEQ_TYPE_SMALLINT);
	assert_string_equal(back->comment, "abc");
	w->is_unsigned = 2;
	assert_int_equal(wire_def_decode(w, back, &why), -EINVAL);
	wire_def_encode(w, d);
	w->pad = 1;
	assert_int_equal(wire_def_decode(w, back, &why), -EINVAL);
	wire_def_encode(w, d);
	w->comment_len = SHMSEQ_COMMENT_MAX + 1;
	assert_int_equal(wire_def_decode(w, back, &why), -EINVAL);

	struct seq_row row = {1, 2, 3, 4, 5, 6, 7, 8}, rb;
	struct wire_row wr;
	wire_row_encode(&wr, &row);
	wire_row_decode(&wr, &rb);
	assert_memory_equal(&row, &rb, sizeof(row));

	struct seq_notes n = {.count = 1, .code = {1292}}, nb;
	snprintf(n.text[0], sizeof(n.text[0]), "Truncated incorrect MINVALUE value");
	struct wire_notes wn;
	wire_notes_encode(&wn, &n);
	assert_int_equal(wire_notes_decode(&wn, &nb, &why), 0);
	assert_int_equal(nb.count, 1);
	assert_int_equal(nb.code[0], 1292);
	assert_string_equal(nb.text[0], n.text[0]);
	wn.count = 5;
	assert_int_equal(wire_notes_decode(&wn, &nb, &why), -EINVAL);
	wire_notes_encode(&wn, &n);
	memset(wn.text[0], 'x', sizeof(wn.text[0])); /* not terminated */
	assert_int_equal(wire_notes_decode(&wn, &nb, &why), -EINVAL);

	struct seq_env e = {3, 2}, eb;
	struct wire_env we;
	wire_env_encode(&we, &e);
	assert_int_equal(wire_env_decode(&we, &eb, &why), 0);
	assert_int_equal(eb.auto_increment_increment, 3);
	assert_int_equal(eb.auto_increment_offset, 2);
	we.auto_increment_offset = 0;
	assert_int_equal(wire_env_decode(&we, &eb, &why), -EINVAL);
	free(d);
	free(back);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_frames),	  cmocka_unit_test(test_names),
		cmocka_unit_test(test_options_roundtrip), cmocka_unit_test(test_options_decode_refuses),
		cmocka_unit_test(test_def_row_notes_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
