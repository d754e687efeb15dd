/* SPDX-License-Identifier: MIT */
/* test_seqmath.c — unit tests for lib/seqmath.c (seqdef.h).
 *
 * Every worked example of SEMANTICS.md §1.3, §1.4, §1.6, §2.3, §2.5, §4.3,
 * §5.2 and §7.1 with exact expected values, the recorded conformance answers
 * that exercise pure arithmetic, and a randomised property test tying the
 * shared-memory epoch projection (seq_epoch_*) to MariaDB's serial
 * algorithm (seq_live_*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seqdef.h"

#define ST SEQ_OPT_START
#define INC SEQ_OPT_INCREMENT
#define MIN SEQ_OPT_MINVALUE
#define MAX SEQ_OPT_MAXVALUE
#define CACHE SEQ_OPT_CACHE
#define CYC SEQ_OPT_CYCLE
#define RST SEQ_OPT_RESTART
#define AS SEQ_OPT_AS
#define CMT SEQ_OPT_COMMENT

#define OPT(...) (&(struct seq_options){__VA_ARGS__})

#define I64MAX INT64_MAX
#define I64MIN INT64_MIN
#define INVALID (-SHMSEQ_ERR_INVALID_DATA)
#define RUN_OUT (-SHMSEQ_ERR_RUN_OUT)

static const struct seq_env ENV = {1, 1};

static int create_rc(const struct seq_options *o, const struct seq_env *env)
{
	struct seq_def d;
	int64_t next;

	return seq_def_create(o, env, &d, &next, NULL);
}

static struct seq_def create_ok(const struct seq_options *o, const struct seq_env *env,
				struct seq_notes *notes)
{
	struct seq_def d;
	int64_t next = 12345;

	assert_int_equal(seq_def_create(o, env, &d, &next, notes), 0);
	assert_int_equal(next, d.start);
	return d;
}

static void assert_def(const struct seq_def *d, int64_t start, int64_t min, int64_t max, int64_t inc,
		       int64_t cache, int cycle)
{
	assert_int_equal(d->start, start);
	assert_int_equal(d->minvalue, min);
	assert_int_equal(d->maxvalue, max);
	assert_int_equal(d->increment, inc);
	assert_int_equal(d->cache, cache);
	assert_int_equal(d->cycle, cycle);
}

static void live_create(struct seq_live *s, const struct seq_options *o, const struct seq_env *env)
{
	struct seq_def d = create_ok(o, env, NULL);

	seq_live_load(s, &d, d.start, 0, env);
}

static int64_t nv(struct seq_live *s, const struct seq_env *env)
{
	int64_t v = 0;
	bool wrote;

	assert_int_equal(seq_live_nextval(s, env, &v, &wrote), 0);
	return v;
}

static void nv_runout(struct seq_live *s, const struct seq_env *env)
{
	int64_t v;
	bool wrote = true;

	assert_int_equal(seq_live_nextval(s, env, &v, &wrote), RUN_OUT);
	assert_false(wrote);
}

/* ALTER as the executor does it: from the stored row, reload, count 0. */
static int alter_live(struct seq_live *s, const struct seq_options *o, const struct seq_env *env)
{
	struct seq_def d;
	int64_t next;
	int rc = seq_def_alter(&s->def, s->reserved_until, o, env, &d, &next, NULL);

	if (rc == 0)
		seq_live_load(s, &d, next, 0, env);
	return rc;
}

/* FLUSH TABLES: reload from the stored row. */
static void flush(struct seq_live *s, const struct seq_env *env)
{
	struct seq_def d = s->def;

	seq_live_load(s, &d, s->row_next, s->row_cycle_count, env);
}

static int sv(struct seq_live *s, const struct seq_env *env, int64_t v, bool used, uint64_t round,
	      bool *wrote)
{
	bool w;

	return seq_live_setval(s, env, v, used, round, wrote ? wrote : &w);
}

/* --- §1.3 defaults ----------------------------------------------------- */

static void test_defaults(void **state)
{
	struct seq_def d;
	(void)state;

	d = create_ok(OPT(0), &ENV, NULL);
	assert_def(&d, 1, 1, 9223372036854775806, 1, 1000, 0);
	assert_int_equal(d.type, SEQ_TYPE_BIGINT);
	assert_int_equal(d.is_unsigned, 0);

	d = create_ok(OPT(.given = INC, .increment = -1), &ENV, NULL);
	assert_def(&d, -1, -9223372036854775807, -1, -1, 1000, 0);

	d = create_ok(OPT(.given = INC | MAX, .increment = -1, .maxvalue = 10), &ENV, NULL);
	assert_def(&d, 10, -9223372036854775807, 10, -1, 1000, 0);

	d = create_ok(OPT(.given = INC | MIN, .increment = -1, .minvalue = -3), &ENV, NULL);
	assert_def(&d, -1, -3, -1, -1, 1000, 0);

	assert_int_equal(create_rc(OPT(.given = INC | MIN, .increment = -1, .minvalue = 3), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = INC | ST, .increment = -1, .start = 5), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = INC | MAX, .increment = 0, .maxvalue = -1), &ENV), INVALID);

	d = create_ok(OPT(.given = MIN | MAX, .minvalue = 5, .maxvalue = 6), &ENV, NULL);
	assert_def(&d, 5, 5, 6, 1, 1000, 0);

	/* NO MINVALUE / NO MAXVALUE in CREATE are 1 and 9223372036854775806
	 * whatever the direction (recorded 10.11 answers, q25; §1.3 is wrong). */
	d = create_ok(OPT(.given = INC | MIN | MAX, .increment = -5, .min_none = true, .max_none = true),
		      &ENV, NULL);
	assert_def(&d, 9223372036854775806, 1, 9223372036854775806, -5, 1000, 0);
	{
		struct seq_live s;

		seq_live_load(&s, &d, d.start, 0, &ENV);
		assert_int_equal(nv(&s, &ENV), 9223372036854775806);
		assert_int_equal(nv(&s, &ENV), 9223372036854775801);
		assert_int_equal(s.reserved_until, 9223372036854770806);
	}
	d = create_ok(OPT(.given = INC | MAX, .increment = -1, .max_none = true), &ENV, NULL);
	assert_def(&d, 9223372036854775806, -9223372036854775807, 9223372036854775806, -1, 1000, 0);
	assert_int_equal(create_rc(OPT(.given = INC | MIN, .increment = -1, .min_none = true), &ENV),
			 INVALID);
	d = create_ok(OPT(.given = INC | MIN | MAX, .increment = -1, .min_none = true, .maxvalue = 10), &ENV,
		      NULL);
	assert_def(&d, 10, 1, 10, -1, 1000, 0);
	d = create_ok(OPT(.given = MIN | MAX, .min_none = true, .max_none = true), &ENV, NULL);
	assert_def(&d, 1, 1, 9223372036854775806, 1, 1000, 0);
	/* Per type: TMAX - 1. */
	d = create_ok(
		OPT(.given = AS | MAX | INC, .type = SEQ_TYPE_SMALLINT, .max_none = true, .increment = -1),
		&ENV, NULL);
	assert_def(&d, 32766, -32767, 32766, -1, 1000, 0);

	/* INCREMENT 0 defaults as ascending, whatever auto_increment says. */
	d = create_ok(OPT(.given = INC, .increment = 0), &(struct seq_env){7, 3}, NULL);
	assert_def(&d, 1, 1, 9223372036854775806, 0, 1000, 0);

	/* CYCLE, NOCACHE and COMMENT are copied. */
	d = create_ok(
		OPT(.given = CYC | CACHE | CMT, .cycle = true, .cache = 0, .comment_len = 2, .comment = "c1"),
		&ENV, NULL);
	assert_def(&d, 1, 1, 9223372036854775806, 1, 0, 1);
	assert_int_equal(d.comment_len, 2);
	assert_string_equal(d.comment, "c1");
}

/* --- §1.4 validation --------------------------------------------------- */

static void test_validation_table(void **state)
{
	const struct seq_env aii3 = {3, 1};
	struct seq_def d;
	(void)state;

	assert_int_equal(create_rc(OPT(.given = MAX, .maxvalue = I64MAX), &ENV), INVALID);
	d = create_ok(OPT(.given = MAX | ST, .maxvalue = 9223372036854775806, .start = 10), &ENV, NULL);
	assert_def(&d, 10, 1, 9223372036854775806, 1, 1000, 0);
	d = create_ok(OPT(.given = MIN | INC, .minvalue = -9223372036854775807, .increment = -1), &ENV, NULL);
	assert_def(&d, -1, -9223372036854775807, -1, -1, 1000, 0);
	assert_int_equal(create_rc(OPT(.given = MIN | MAX, .minvalue = 5, .maxvalue = 5), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = ST, .start = 0), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = ST, .start = -5), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = CACHE, .cache = 9223372036854775805), &ENV), 0);
	assert_int_equal(create_rc(OPT(.given = CACHE, .cache = 9223372036854775806), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = CACHE, .cache = -1), &ENV), INVALID);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 4611686018427387903, .cache = 0), &ENV), 0);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 4611686018427387903, .cache = 1), &ENV),
		INVALID);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 9223372036854775806, .cache = 0), &ENV),
		INVALID);
	assert_int_equal(create_rc(OPT(.given = INC, .increment = 123456789012345678), &ENV), INVALID);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 123456789012345678, .cache = 72), &ENV), 0);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 123456789012345678, .cache = 73), &ENV),
		INVALID);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = -9223372036854775807, .cache = 0), &ENV),
		INVALID);
	/* INCREMENT 0: the overflow rule uses auto_increment_increment. With
	 * 3: (INT64_MAX - 3) / 3 = 3074457345618258601. */
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 0, .cache = 3074457345618258600), &aii3), 0);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 0, .cache = 3074457345618258601), &aii3),
		INVALID);
	assert_int_equal(
		create_rc(OPT(.given = INC | CACHE, .increment = 0, .cache = 3074457345618258601), &ENV), 0);
	/* Appendix A2. */
	assert_int_equal(create_rc(OPT(.given = ST | MAX, .start = 10, .maxvalue = 9), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = MIN | MAX, .minvalue = 100, .maxvalue = 10), &ENV), INVALID);
	/* Recorded p11: START 20 MAXVALUE 10; INCREMENT -1 START 5. */
	assert_int_equal(create_rc(OPT(.given = ST | MAX, .start = 20, .maxvalue = 10), &ENV), INVALID);
	assert_int_equal(create_rc(OPT(.given = INC | ST, .increment = -1, .start = 5), &ENV), INVALID);
}

static void test_validate_direct(void **state)
{
	struct seq_def d = create_ok(OPT(.given = MAX, .maxvalue = 10), &ENV, NULL);
	(void)state;

	/* Rule 7: ascending needs next >= min; exhausted (> max) is fine. */
	assert_int_equal(seq_def_validate(&d, 1, &ENV), 0);
	assert_int_equal(seq_def_validate(&d, 11, &ENV), 0);
	assert_int_equal(seq_def_validate(&d, 1000, &ENV), 0);
	assert_int_equal(seq_def_validate(&d, 0, &ENV), INVALID);
	d.increment = -1;
	assert_int_equal(seq_def_validate(&d, 10, &ENV), 0);
	assert_int_equal(seq_def_validate(&d, -5, &ENV), 0);
	assert_int_equal(seq_def_validate(&d, 11, &ENV), INVALID);
	/* Rule 6 on a row (INSERT path). */
	d.increment = 1;
	d.maxvalue = I64MAX;
	assert_int_equal(seq_def_validate(&d, 1, &ENV), INVALID);
	d.maxvalue = 10;
	d.minvalue = I64MIN;
	d.start = 0;
	assert_int_equal(seq_def_validate(&d, 0, &ENV), INVALID);
	d.minvalue = 1;
	d.start = 1;
	d.type = 9;
	assert_int_equal(seq_def_validate(&d, 1, &ENV), INVALID);
	/* The position must be storable in the type: tinyint TMAX 127 is the
	 * exhausted sentinel at most. */
	d.type = SEQ_TYPE_TINYINT;
	assert_int_equal(seq_def_validate(&d, 127, &ENV), 0);
	assert_int_equal(seq_def_validate(&d, 128, &ENV), INVALID);
	d.maxvalue = 127;
	assert_int_equal(seq_def_validate(&d, 1, &ENV), INVALID);
}

/* --- §1.6 types and truncation ----------------------------------------- */

static void test_type_defaults(void **state)
{
	static const struct {
		uint8_t type;
		bool uns;
		int64_t amin, amax, dmin, dmax;
		const char *name;
	} t[] = {
		{SEQ_TYPE_TINYINT, false, 1, 126, -127, -1, "tinyint"},
		{SEQ_TYPE_SMALLINT, false, 1, 32766, -32767, -1, "smallint"},
		{SEQ_TYPE_MEDIUMINT, false, 1, 8388606, -8388607, -1, "mediumint"},
		{SEQ_TYPE_INT, false, 1, 2147483646, -2147483647, -1, "int"},
		{SEQ_TYPE_BIGINT, false, 1, 9223372036854775806, -9223372036854775807, -1, "bigint"},
		{SEQ_TYPE_TINYINT, true, 1, 254, 1, 254, "tinyint unsigned"},
		{SEQ_TYPE_SMALLINT, true, 1, 65534, 1, 65534, "smallint unsigned"},
		{SEQ_TYPE_MEDIUMINT, true, 1, 16777214, 1, 16777214, "mediumint unsigned"},
		{SEQ_TYPE_INT, true, 1, 4294967294, 1, 4294967294, "int unsigned"},
		{SEQ_TYPE_BIGINT, true, 1, (int64_t)18446744073709551614u, 1, (int64_t)18446744073709551614u,
		 "bigint unsigned"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct seq_def d = create_ok(OPT(.given = AS, .type = t[i].type, .is_unsigned = t[i].uns),
					     &ENV, NULL);

		assert_def(&d, t[i].amin, t[i].amin, t[i].amax, 1, 1000, 0);
		assert_int_equal(d.type, t[i].type);
		assert_int_equal(d.is_unsigned, t[i].uns);
		assert_string_equal(seq_type_name(t[i].type, t[i].uns), t[i].name);
		d = create_ok(
			OPT(.given = AS | INC, .type = t[i].type, .is_unsigned = t[i].uns, .increment = -1),
			&ENV, NULL);
		assert_def(&d, t[i].dmax, t[i].dmin, t[i].dmax, -1, 1000, 0);
	}
}

static void test_truncation(void **state)
{
	struct seq_notes n;
	struct seq_def d;
	char buf[32];
	(void)state;

	/* minvalue -999999999999999999999: the parser clamps to INT64_MIN. */
	memset(&n, 0x55, sizeof(n));
	d = create_ok(OPT(.given = MIN | INC, .minvalue = I64MIN, .increment = -1), &ENV, &n);
	assert_int_equal(d.minvalue, -9223372036854775807);
	assert_int_equal(n.count, 1);
	assert_int_equal(n.code[0], 1292);
	assert_string_equal(n.text[0], "Truncated incorrect INTEGER value: 'MINVALUE'");

	/* maxvalue 9999999999999999999999: clamped to UINT64_MAX by the parser. */
	d = create_ok(OPT(.given = MAX, .maxvalue = (__int128)UINT64_MAX), &ENV, &n);
	assert_int_equal(d.maxvalue, 9223372036854775806);
	assert_int_equal(n.count, 1);
	assert_string_equal(n.text[0], "Truncated incorrect INTEGER value: 'MAXVALUE'");

	/* Exactly INT64_MAX is a 10.11 literal: rule 6, as recorded (p11). */
	assert_int_equal(create_rc(OPT(.given = MAX, .maxvalue = I64MAX), &ENV), INVALID);
	/* A MINVALUE clamped to TMAX is not noted and fails. */
	assert_int_equal(seq_def_create(OPT(.given = MIN, .minvalue = I64MAX), &ENV, &d, &(int64_t){0}, &n),
			 INVALID);
	assert_int_equal(n.count, 0);

	d = create_ok(OPT(.given = MIN | MAX | AS, .minvalue = -32768, .maxvalue = 32767,
			  .type = SEQ_TYPE_SMALLINT),
		      &ENV, &n);
	assert_int_equal(d.minvalue, -32767);
	assert_int_equal(d.maxvalue, 32766);
	assert_int_equal(d.start, -32767);
	assert_int_equal(n.count, 2);
	assert_int_equal(n.code[1], 1292);
	assert_string_equal(n.text[0], "Truncated incorrect INTEGER value: 'MINVALUE'");
	assert_string_equal(n.text[1], "Truncated incorrect INTEGER value: 'MAXVALUE'");

	d = create_ok(OPT(.given = AS | ST, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
			  .start = (__int128)12345678901234567890u),
		      &ENV, &n);
	assert_int_equal((uint64_t)d.start, 12345678901234567890u);
	assert_string_equal(seq_value_format(&d, d.start, buf), "12345678901234567890");
	assert_string_equal(seq_value_format(&d, d.maxvalue, buf), "18446744073709551614");
	assert_int_equal(n.count, 0);

	assert_int_equal(
		create_rc(OPT(.given = AS | ST, .type = SEQ_TYPE_TINYINT, .is_unsigned = true, .start = 255),
			  &ENV),
		INVALID);
	assert_int_equal(
		create_rc(OPT(.given = AS | ST, .type = SEQ_TYPE_TINYINT, .is_unsigned = true, .start = 0),
			  &ENV),
		INVALID);
	d = create_ok(OPT(.given = AS | ST, .type = SEQ_TYPE_TINYINT, .is_unsigned = true, .start = 254),
		      &ENV, NULL);
	assert_def(&d, 254, 1, 254, 1, 1000, 0);
	/* START beyond the type clamps silently and fails. */
	assert_int_equal(create_rc(OPT(.given = AS | ST, .type = SEQ_TYPE_TINYINT, .start = 1000), &ENV),
			 INVALID);
	assert_int_equal(create_rc(OPT(.given = ST, .start = (__int128)I64MAX + 5), &ENV), INVALID);

	/* Negative MAXVALUE for unsigned: clamps to 0 without a note, 4085. */
	assert_int_equal(seq_def_create(OPT(.given = AS | MAX, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
					    .maxvalue = -1),
					&ENV, &d, &(int64_t){0}, &n),
			 INVALID);
	assert_int_equal(n.count, 0);
	/* Zero or negative MINVALUE for unsigned: 1 with a note. */
	d = create_ok(OPT(.given = AS | MIN, .type = SEQ_TYPE_INT, .is_unsigned = true, .minvalue = -5), &ENV,
		      &n);
	assert_int_equal(d.minvalue, 1);
	assert_int_equal(n.count, 1);
	/* BIGINT UNSIGNED MAXVALUE 18446744073709551615 = TMAX: noted. */
	d = create_ok(OPT(.given = AS | MAX, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
			  .maxvalue = (__int128)UINT64_MAX),
		      &ENV, &n);
	assert_int_equal((uint64_t)d.maxvalue, 18446744073709551614u);
	assert_int_equal(n.count, 1);

	/* Negative increment on unsigned. */
	d = create_ok(OPT(.given = AS | INC, .type = SEQ_TYPE_TINYINT, .is_unsigned = true, .increment = -1),
		      &ENV, NULL);
	assert_def(&d, 254, 1, 254, -1, 1000, 0);
	/* Cache rule still on INT64_MAX. */
	assert_int_equal(create_rc(OPT(.given = AS | INC, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
				       .increment = 12345678901234567),
				   &ENV),
			 INVALID);
	/* Bad type. */
	assert_int_equal(create_rc(OPT(.given = AS, .type = 7), &ENV), INVALID);
}

static void test_unsigned_bigint_serial(void **state)
{
	struct seq_live s;
	struct seq_row row;
	(void)state;

	live_create(&s,
		    OPT(.given = AS | ST | CACHE, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
			.start = (__int128)18446744073709551613u, .cache = 5),
		    &ENV);
	assert_int_equal((uint64_t)nv(&s, &ENV), 18446744073709551613u);
	seq_live_row(&s, &row);
	assert_int_equal((uint64_t)row.next_not_cached_value, UINT64_MAX);
	assert_int_equal((uint64_t)nv(&s, &ENV), 18446744073709551614u);
	nv_runout(&s, &ENV);

	/* Descending across the signed boundary of the bit pattern. */
	live_create(&s,
		    OPT(.given = AS | ST | INC | MIN | CACHE, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
			.start = (__int128)9223372036854775809u, .minvalue = (__int128)9223372036854775806u,
			.increment = -1, .cache = 2),
		    &ENV);
	assert_int_equal((uint64_t)nv(&s, &ENV), 9223372036854775809u);
	assert_int_equal((uint64_t)s.reserved_until, 9223372036854775807u);
	assert_int_equal((uint64_t)nv(&s, &ENV), 9223372036854775808u);
	assert_int_equal((uint64_t)nv(&s, &ENV), 9223372036854775807u);
	assert_int_equal((uint64_t)nv(&s, &ENV), 9223372036854775806u);
	assert_int_equal((uint64_t)s.reserved_until, 9223372036854775805u);
	nv_runout(&s, &ENV);
}

/* --- §2.3 NEXTVAL ------------------------------------------------------ */

static void test_nextval_cache2_cycle(void **state)
{
	static const int64_t reserved[] = {3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 3};
	struct seq_live s;
	struct seq_row row;
	int64_t v;
	bool wrote;
	(void)state;

	live_create(&s,
		    OPT(.given = ST | MIN | MAX | INC | CACHE | CYC, .start = 1, .minvalue = 1,
			.maxvalue = 10, .increment = 1, .cache = 2, .cycle = true),
		    &ENV);
	for (int i = 0; i < 11; i++) {
		assert_int_equal(seq_live_nextval(&s, &ENV, &v, &wrote), 0);
		assert_int_equal(v, i < 10 ? i + 1 : 1);
		assert_int_equal(wrote, i % 2 == 0 || i == 10);
		seq_live_row(&s, &row);
		assert_int_equal(row.next_not_cached_value, reserved[i]);
		assert_int_equal(row.cycle_count, i == 10 ? 1 : 0);
	}
	assert_int_equal(row.minimum_value, 1);
	assert_int_equal(row.maximum_value, 10);
	assert_int_equal(row.start_value, 1);
	assert_int_equal(row.increment, 1);
	assert_int_equal(row.cache_size, 2);
	assert_int_equal(row.cycle_option, 1);
}

static void test_nextval_a3(void **state)
{
	struct seq_live s;
	(void)state;

	live_create(&s,
		    OPT(.given = ST | MIN | MAX | INC | CACHE | CYC, .start = 1, .minvalue = 1, .maxvalue = 4,
			.increment = 1, .cache = 2, .cycle = true),
		    &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(s.reserved_until, 3);
	assert_int_equal(s.cycle_count, 0);
	assert_int_equal(nv(&s, &ENV), 2);
	assert_int_equal(nv(&s, &ENV), 3);
	assert_int_equal(s.reserved_until, 5);
	assert_int_equal(nv(&s, &ENV), 4);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(s.reserved_until, 3);
	assert_int_equal(s.cycle_count, 1);
}

static void expect_series(struct seq_live *s, const int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(nv(s, &ENV), v[i]);
}

static void test_nextval_cycle_examples(void **state)
{
	struct seq_live s;
	(void)state;

	live_create(
		&s,
		OPT(.given = ST | MIN | MAX | CYC, .start = 5, .minvalue = 1, .maxvalue = 7, .cycle = true),
		&ENV);
	expect_series(&s, (int64_t[]){5, 6, 7, 1, 2, 3, 4, 5}, 8);

	live_create(&s,
		    OPT(.given = ST | MIN | MAX | INC | CYC, .start = 3, .minvalue = -2, .maxvalue = 4,
			.increment = -2, .cycle = true),
		    &ENV);
	expect_series(&s, (int64_t[]){3, 1, -1, 4, 2, 0, -2, 4}, 8);
	assert_int_equal(s.cycle_count, 2);

	live_create(&s,
		    OPT(.given = MIN | MAX | INC | CYC, .minvalue = 1, .maxvalue = 10, .increment = 4,
			.cycle = true),
		    &ENV);
	expect_series(&s, (int64_t[]){1, 5, 9, 1, 5, 9, 1}, 7);

	live_create(&s,
		    OPT(.given = MIN | MAX | INC | CYC, .minvalue = 1, .maxvalue = 3, .increment = 5,
			.cycle = true),
		    &ENV);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(nv(&s, &ENV), 1);
		assert_int_equal(s.cycle_count, i);
	}
}

static void test_nextval_edges(void **state)
{
	struct seq_live s;
	struct seq_row row;
	(void)state;

	/* start with 9223372036854775805 cache 5. */
	live_create(&s, OPT(.given = ST | CACHE, .start = 9223372036854775805, .cache = 5), &ENV);
	assert_int_equal(nv(&s, &ENV), 9223372036854775805);
	assert_int_equal(nv(&s, &ENV), 9223372036854775806);
	nv_runout(&s, &ENV);
	nv_runout(&s, &ENV); /* sticky */
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, I64MAX);

	/* increment 3074457345618258602 cache 1. */
	live_create(&s, OPT(.given = INC | CACHE, .increment = 3074457345618258602, .cache = 1), &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(nv(&s, &ENV), 3074457345618258603);
	assert_int_equal(nv(&s, &ENV), 6148914691236517205);
	nv_runout(&s, &ENV);
	assert_int_equal(s.reserved_until, I64MAX);

	/* A4: maxvalue 2 nocache. */
	live_create(&s, OPT(.given = MAX | CACHE, .maxvalue = 2, .cache = 0), &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(nv(&s, &ENV), 2);
	nv_runout(&s, &ENV);
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, 3);
	assert_int_equal(row.cache_size, 0);

	/* Descending reservation clamps to min - 1. */
	live_create(&s,
		    OPT(.given = MIN | MAX | INC | CACHE, .minvalue = -2, .maxvalue = 0, .increment = -1,
			.cache = 10),
		    &ENV);
	assert_int_equal(nv(&s, &ENV), 0);
	assert_int_equal(s.reserved_until, -3);

	/* Recorded p02: descending default, one call, stored -1001. */
	live_create(&s, OPT(.given = INC, .increment = -1), &ENV);
	assert_int_equal(nv(&s, &ENV), -1);
	assert_int_equal(s.reserved_until, -1001);

	/* Recorded p18. */
	live_create(&s,
		    OPT(.given = MAX | ST | INC, .maxvalue = 9223372036854775806,
			.start = 9223372036854775805, .increment = 10),
		    &ENV);
	assert_int_equal(nv(&s, &ENV), 9223372036854775805);
	nv_runout(&s, &ENV);
	live_create(&s,
		    OPT(.given = MIN | MAX | INC, .minvalue = -9223372036854775807,
			.maxvalue = -9223372036854775800, .increment = -3),
		    &ENV);
	expect_series(&s, (int64_t[]){-9223372036854775800, -9223372036854775803, -9223372036854775806}, 3);
	nv_runout(&s, &ENV);
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, I64MIN);
	assert_int_equal(row.start_value, -9223372036854775800);

	/* Recorded p11: MINVALUE 1 MAXVALUE 10 INCREMENT BY 100. */
	live_create(&s, OPT(.given = MIN | MAX | INC, .minvalue = 1, .maxvalue = 10, .increment = 100), &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	nv_runout(&s, &ENV);

	/* §2.4: CACHE 0 and CACHE 1 write every call, stored = last + inc. */
	for (int64_t c = 0; c <= 1; c++) {
		int64_t v;
		bool wrote;

		live_create(&s, OPT(.given = CACHE | INC, .cache = c, .increment = 2), &ENV);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(seq_live_nextval(&s, &ENV, &v, &wrote), 0);
			assert_true(wrote);
			assert_int_equal(v, 1 + 2 * i);
			assert_int_equal(s.reserved_until, v + 2);
		}
	}

	/* §2.4 FLUSH discards the cache: cache 10, 1, flush, 11. */
	live_create(&s, OPT(.given = CACHE, .cache = 10), &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	flush(&s, &ENV);
	assert_int_equal(nv(&s, &ENV), 11);
}

static void test_alter_cycle_flip(void **state)
{
	const struct seq_options *nocycle = OPT(.given = CYC, .cycle = false);
	const struct seq_options *cycle = OPT(.given = CYC, .cycle = true);
	struct seq_live s;
	(void)state;

	live_create(
		&s,
		OPT(.given = ST | MAX | CYC | CACHE, .start = 1, .maxvalue = 5, .cycle = true, .cache = 0),
		&ENV);
	expect_series(&s, (int64_t[]){1, 2, 3, 4, 5, 1}, 6);
	assert_int_equal(s.cycle_count, 1);
	assert_int_equal(alter_live(&s, nocycle, &ENV), 0);
	assert_int_equal(s.cycle_count, 0);
	assert_int_equal(s.reserved_until, 2);
	expect_series(&s, (int64_t[]){2, 3, 4, 5}, 4);
	nv_runout(&s, &ENV);
	assert_int_equal(alter_live(&s, cycle, &ENV), 0);
	assert_false(s.all_values_used);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(s.cycle_count, 1);
}

/* --- §2.5 INCREMENT 0 --------------------------------------------------- */

static void test_increment0(void **state)
{
	const struct seq_env e32 = {3, 2}, e51 = {5, 1}, e22 = {2, 2}, e46 = {4, 6}, e103 = {10, 3};
	struct seq_live s;
	struct seq_def d;
	char buf[512];
	(void)state;

	live_create(&s, OPT(.given = INC | CACHE, .increment = 0, .cache = 0), &e32);
	assert_int_equal(s.real_inc, 3);
	expect_series(&s, (int64_t[]){2, 5, 8, 11}, 4);
	assert_int_equal(s.reserved_until, 13);
	/* Globals change: no effect until reload. */
	assert_int_equal(nv(&s, &e51), 14);
	flush(&s, &e51);
	assert_int_equal(s.real_inc, 5);
	assert_int_equal(nv(&s, &e51), 16);
	assert_int_equal(nv(&s, &e51), 21);

	live_create(&s, OPT(.given = ST | MIN | INC, .start = -3, .minvalue = -1000, .increment = 0), &e22);
	assert_int_equal(nv(&s, &e22), -2);
	assert_int_equal(nv(&s, &e22), 0);
	assert_int_equal(s.reserved_until, 1997);
	flush(&s, &e22);
	assert_int_equal(nv(&s, &e22), 1998);

	live_create(&s, OPT(.given = INC, .increment = 0), &e46);
	expect_series(&s, (int64_t[]){2, 6, 10}, 3);

	live_create(
		&s,
		OPT(.given = ST | MAX | INC | CYC, .start = 1, .maxvalue = 50, .increment = 0, .cycle = true),
		&e103);
	for (int i = 0; i < 7; i++)
		assert_int_equal(nv(&s, &e103), i < 5 ? 3 + 10 * i : 3 + 10 * (i - 5));
	assert_int_equal(s.cycle_count, 1);

	/* No value of the residue class in [min, max]: the wrap's second round
	 * runs out even with CYCLE (align(1) = 4 > 2 -> max+1). */
	{
		const struct seq_env e54 = {5, 4};
		int64_t v;
		bool wrote = true;

		live_create(&s, OPT(.given = MAX | INC | CYC, .maxvalue = 2, .increment = 0, .cycle = true),
			    &e54);
		assert_int_equal(s.next_free, 3);
		assert_int_equal(seq_live_nextval(&s, &e54, &v, &wrote), RUN_OUT);
		assert_false(wrote);
		assert_int_equal(s.cycle_count, 1);
		assert_int_equal(s.reserved_until, 3);
		assert_true(s.all_values_used);
		nv_runout(&s, &e54);
		assert_int_equal(s.cycle_count, 1);
	}

	/* Recorded p19: default globals, INCREMENT 0 shows as 0 and counts 1, 2. */
	live_create(&s, OPT(.given = INC, .increment = 0), &ENV);
	expect_series(&s, (int64_t[]){1, 2}, 2);
	d = s.def;
	seq_def_show_create(&d, "z1", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `z1` start with 1 minvalue 1 maxvalue "
				 "9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB");

	/* align: non-negative remainder, max+1 past the end, identity with an
	 * increment. */
	d = create_ok(OPT(.given = INC | MIN | MAX | ST, .increment = 0, .minvalue = -20, .maxvalue = 10,
			  .start = -20),
		      &ENV, NULL);
	assert_int_equal(seq_align(&d, &(struct seq_env){4, 3}, -6), -5);
	assert_int_equal(seq_align(&d, &(struct seq_env){4, 3}, -5), -5);
	assert_int_equal(seq_align(&d, &(struct seq_env){4, 1}, 8), 9);
	assert_int_equal(seq_align(&d, &(struct seq_env){7, 1}, 9), 11);
	assert_int_equal(seq_align(&d, &(struct seq_env){4, 3}, 12), 11);
	assert_int_equal(seq_align(&d, &(struct seq_env){4, 2}, 9), 10);
	assert_int_equal(seq_align(&d, &(struct seq_env){1, 1}, 7), 7);
	assert_int_equal(seq_round_start(&d, &(struct seq_env){4, 3}, 4), -17);
	assert_int_equal(seq_real_increment(&d, &(struct seq_env){4, 3}), 4);
	d.increment = 3;
	assert_int_equal(seq_align(&d, &(struct seq_env){4, 3}, -6), -6);
	assert_int_equal(seq_round_start(&d, &ENV, 3), -20);
	assert_int_equal(seq_round_start(&d, &ENV, -3), 10);
	assert_int_equal(seq_real_increment(&d, &ENV), 3);

	/* §4.3: increment 0, setval 10 -> next 11. */
	live_create(&s, OPT(.given = INC, .increment = 0), &ENV);
	assert_int_equal(sv(&s, &ENV, 10, true, 0, NULL), 1);
	assert_int_equal(nv(&s, &ENV), 11);
	/* With a stride the target is aligned: aii 3 offset 2, setval 10 ->
	 * target 13 -> aligned 14. */
	live_create(&s, OPT(.given = INC, .increment = 0), &e32);
	{
		/* target == next_free (aligned past the stored 1): nothing to do,
		 * no write. */
		bool w = true;

		assert_int_equal(s.next_free, 2);
		assert_int_equal(sv(&s, &e32, 2, false, 0, &w), 1);
		assert_false(w);
		assert_int_equal(s.reserved_until, 1);
	}
	assert_int_equal(sv(&s, &e32, 10, true, 0, NULL), 1);
	assert_int_equal(s.next_free, 14);
	assert_int_equal(nv(&s, &e32), 14);
}

/* --- §4 SETVAL ---------------------------------------------------------- */

static void test_setval_43(void **state)
{
	struct seq_live s;
	bool w;
	(void)state;

	live_create(&s, OPT(.given = CACHE, .cache = 5), &ENV);
	assert_int_equal(sv(&s, &ENV, 10, true, 0, &w), 1);
	assert_true(w);
	assert_int_equal(s.reserved_until, 11);
	assert_int_equal(nv(&s, &ENV), 11);
	assert_int_equal(s.reserved_until, 16);
	assert_int_equal(sv(&s, &ENV, 11, true, 0, &w), 1);
	assert_false(w);
	assert_int_equal(sv(&s, &ENV, 12, true, 0, &w), 1);
	assert_false(w);
	assert_int_equal(s.reserved_until, 16);
	assert_int_equal(nv(&s, &ENV), 13);
	assert_int_equal(sv(&s, &ENV, 13, false, 0, &w), 0);
	assert_false(w);
	assert_int_equal(sv(&s, &ENV, 14, false, 0, &w), 1);
	assert_int_equal(nv(&s, &ENV), 14);
	assert_int_equal(sv(&s, &ENV, 16, false, 0, NULL), 1);
	assert_int_equal(sv(&s, &ENV, 16, false, 0, NULL), 1);
	assert_int_equal(sv(&s, &ENV, 16, true, 0, NULL), 1);
	assert_int_equal(sv(&s, &ENV, 17, false, 0, NULL), 1);
	assert_int_equal(s.reserved_until, 17);
	assert_int_equal(nv(&s, &ENV), 17);
	assert_int_equal(s.reserved_until, 22);
	assert_int_equal(s.cycle_count, 0);
}

static void test_setval_other(void **state)
{
	struct seq_live s;
	bool w;
	(void)state;

	live_create(&s, OPT(0), &ENV);
	assert_int_equal(sv(&s, &ENV, -5, true, 0, NULL), 0);
	assert_int_equal(s.next_free, 1);

	live_create(&s, OPT(0), &ENV);
	assert_int_equal(sv(&s, &ENV, I64MAX, true, 0, &w), 1);
	assert_true(w);
	assert_int_equal(s.reserved_until, I64MAX);
	nv_runout(&s, &ENV);

	live_create(&s, OPT(.given = MAX, .maxvalue = 10), &ENV);
	assert_int_equal(sv(&s, &ENV, 50, true, 0, NULL), 1);
	assert_int_equal(s.reserved_until, 11);
	nv_runout(&s, &ENV);

	live_create(&s, OPT(.given = MAX, .maxvalue = 10), &ENV);
	assert_int_equal(sv(&s, &ENV, 5, true, 1, &w), RUN_OUT);
	assert_false(w);
	assert_int_equal(s.cycle_count, 0);

	live_create(&s, OPT(.given = MAX | CYC | CACHE, .maxvalue = 10, .cycle = true, .cache = 3), &ENV);
	assert_int_equal(sv(&s, &ENV, 5, true, 1, &w), 1);
	assert_true(w);
	assert_int_equal(s.reserved_until, 6);
	assert_int_equal(s.cycle_count, 1);
	assert_int_equal(nv(&s, &ENV), 6);
	assert_int_equal(sv(&s, &ENV, 3, true, 0, NULL), 0);
	assert_int_equal(sv(&s, &ENV, 10, true, 1, NULL), 1);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(s.cycle_count, 2);
	/* A round increase writes even inside the reserved block. */
	assert_int_equal(s.reserved_until, 4);
	assert_int_equal(sv(&s, &ENV, 1, false, 3, &w), 1);
	assert_true(w);
	assert_int_equal(s.reserved_until, 1);
	assert_int_equal(s.cycle_count, 3);
	assert_int_equal(nv(&s, &ENV), 1);

	live_create(&s, OPT(.given = INC | CACHE, .increment = -1, .cache = 5), &ENV);
	assert_int_equal(nv(&s, &ENV), -1);
	assert_int_equal(sv(&s, &ENV, -3, true, 0, &w), 1);
	assert_false(w);
	assert_int_equal(nv(&s, &ENV), -4);
	assert_int_equal(sv(&s, &ENV, 0, true, 0, NULL), 0);
	assert_int_equal(sv(&s, &ENV, -10, false, 0, &w), 1);
	assert_true(w);
	assert_int_equal(nv(&s, &ENV), -10);

	live_create(&s, OPT(.given = MIN, .minvalue = 10), &ENV);
	assert_int_equal(sv(&s, &ENV, 10, false, 0, &w), 1);
	assert_false(w);
	assert_int_equal(sv(&s, &ENV, 9, true, 0, &w), 1);
	assert_false(w);
	assert_int_equal(nv(&s, &ENV), 10);

	/* Appendix A5. */
	live_create(&s, OPT(.given = CACHE, .cache = 5), &ENV);
	assert_int_equal(sv(&s, &ENV, 10, true, 0, NULL), 1);
	assert_int_equal(nv(&s, &ENV), 11);
	assert_int_equal(sv(&s, &ENV, 5, true, 0, NULL), 0);
	assert_int_equal(sv(&s, &ENV, 20, false, 0, NULL), 1);
	assert_int_equal(nv(&s, &ENV), 20);
	assert_int_equal(s.reserved_until, 25);

	/* SETVAL does not clear the sticky run-out flag. */
	live_create(&s, OPT(.given = MAX | CACHE, .maxvalue = 2, .cache = 0), &ENV);
	expect_series(&s, (int64_t[]){1, 2}, 2);
	nv_runout(&s, &ENV);
	assert_true(s.all_values_used);

	/* 11.5: a value outside the type is ignored. */
	live_create(&s, OPT(.given = AS, .type = SEQ_TYPE_TINYINT), &ENV);
	assert_int_equal(sv(&s, &ENV, 1000, true, 0, NULL), 0);
	assert_int_equal(sv(&s, &ENV, -129, false, 0, NULL), 0);
	assert_int_equal(sv(&s, &ENV, 127, true, 0, NULL), 1);
	assert_int_equal(s.reserved_until, 127);
	nv_runout(&s, &ENV);
}

/* --- §5.2 ALTER --------------------------------------------------------- */

static void test_alter_restart(void **state)
{
	struct seq_live s;
	(void)state;

	live_create(&s, OPT(.given = CACHE, .cache = 10), &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(s.reserved_until, 11);
	assert_int_equal(alter_live(&s, OPT(.given = RST), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(alter_live(&s, OPT(.given = RST, .restart_with = true, .restart = 50), &ENV), 0);
	assert_int_equal(s.reserved_until, 50);
	assert_int_equal(s.def.start, 1);
	assert_int_equal(alter_live(&s, OPT(.given = RST, .restart_with = true, .restart = 60), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 60);
	assert_int_equal(alter_live(&s, OPT(.given = RST, .restart_with = true, .restart = 70), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 70);
	assert_int_equal(alter_live(&s, OPT(.given = RST, .restart_with = true, .restart = 0), &ENV),
			 INVALID);
	assert_int_equal(alter_live(&s, OPT(.given = ST | RST, .start = 5), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 5);
	assert_int_equal(s.def.start, 5);

	/* The cache is discarded; continues from the stored position. */
	live_create(&s, OPT(.given = CACHE, .cache = 10), &ENV);
	expect_series(&s, (int64_t[]){1, 2}, 2);
	assert_int_equal(alter_live(&s, OPT(.given = INC, .increment = 3), &ENV), 0);
	expect_series(&s, (int64_t[]){11, 14}, 2);
}

static void test_alter_validation(void **state)
{
	struct seq_live s;
	struct seq_def d;
	int64_t next;
	struct seq_notes n;
	char buf[512];
	(void)state;

	live_create(&s, OPT(0), &ENV);
	assert_int_equal(alter_live(&s, OPT(.given = MIN, .minvalue = 10), &ENV), INVALID);
	assert_int_equal(
		alter_live(&s, OPT(.given = MIN | RST, .minvalue = 10, .restart_with = true, .restart = 10),
			   &ENV),
		INVALID);
	assert_int_equal(alter_live(&s, OPT(.given = MIN | ST | RST, .minvalue = 20, .start = 20), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 20);

	live_create(&s, OPT(.given = MAX | CACHE, .maxvalue = 5, .cache = 0), &ENV);
	expect_series(&s, (int64_t[]){1, 2, 3}, 3);
	assert_int_equal(alter_live(&s, OPT(.given = MAX, .maxvalue = 2), &ENV), 0);
	nv_runout(&s, &ENV);
	assert_int_equal(
		alter_live(&s, OPT(.given = MAX | RST, .maxvalue = 30, .restart_with = true, .restart = 31),
			   &ENV),
		0);
	assert_int_equal(s.reserved_until, 31);
	nv_runout(&s, &ENV);

	live_create(&s, OPT(.given = MAX, .maxvalue = 100), &ENV);
	assert_int_equal(alter_live(&s, OPT(.given = INC | ST, .increment = -2, .start = 50), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 1);
	nv_runout(&s, &ENV);
	assert_int_equal(s.reserved_until, 0);
	assert_int_equal(alter_live(&s, OPT(.given = RST), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 50);

	/* NO MINVALUE -> 1 and NO MAXVALUE -> type max - 1, whatever the
	 * direction. */
	live_create(&s, OPT(.given = INC, .increment = -1), &ENV);
	assert_int_equal(alter_live(&s, OPT(.given = MIN, .min_none = true), &ENV), INVALID);
	assert_int_equal(alter_live(&s, OPT(.given = MAX, .max_none = true), &ENV), 0);
	assert_int_equal(s.def.maxvalue, 9223372036854775806);
	assert_int_equal(s.def.minvalue, -9223372036854775807);
	assert_int_equal(s.def.start, -1);

	/* Appendix A6. */
	live_create(&s, OPT(.given = CACHE, .cache = 5), &ENV);
	assert_int_equal(alter_live(&s, OPT(.given = RST, .restart_with = true, .restart = 3), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 3);
	assert_int_equal(alter_live(&s, OPT(.given = MIN, .minvalue = 10), &ENV), INVALID);
	assert_int_equal(alter_live(&s, OPT(.given = INC | RST, .increment = 5), &ENV), 0);
	expect_series(&s, (int64_t[]){1, 6}, 2);
	seq_def_show_create(&s.def, "v", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `v` start with 1 minvalue 1 maxvalue "
				 "9223372036854775806 increment by 5 cache 5 nocycle ENGINE=InnoDB");

	/* Failure leaves the caller's state alone (outputs untouched here). */
	d = create_ok(OPT(0), &ENV, NULL);
	next = 777;
	assert_int_equal(seq_def_alter(&d, 1, OPT(.given = MAX, .maxvalue = I64MAX), &ENV, &d, &next, NULL),
			 INVALID);
	assert_int_equal(next, 777);

	/* Truncation notes in ALTER, per type. */
	d = create_ok(OPT(.given = AS, .type = SEQ_TYPE_TINYINT), &ENV, NULL);
	assert_int_equal(seq_def_alter(&d, 5, OPT(.given = MAX, .maxvalue = 1000), &ENV, &d, &next, &n), 0);
	assert_int_equal(d.maxvalue, 126);
	assert_int_equal(next, 5);
	assert_int_equal(n.count, 1);
	assert_string_equal(n.text[0], "Truncated incorrect INTEGER value: 'MAXVALUE'");
	d.maxvalue = 100;
	assert_int_equal(seq_def_alter(&d, 5, OPT(.given = MAX, .max_none = true), &ENV, &d, &next, &n), 0);
	assert_int_equal(d.maxvalue, 126);
	assert_int_equal(n.count, 0);
	/* RESTART beyond the type clamps to TMAX: exhausted, allowed. */
	assert_int_equal(seq_def_alter(&d, 5, OPT(.given = RST, .restart_with = true, .restart = 1000), &ENV,
				       &d, &next, NULL),
			 0);
	assert_int_equal(next, 127);
}

static void test_alter_as(void **state)
{
	struct seq_def d, e;
	int64_t next;
	(void)state;

	/* Default bigint max does not fit INT. */
	d = create_ok(OPT(0), &ENV, NULL);
	assert_int_equal(seq_def_alter(&d, 1, OPT(.given = AS, .type = SEQ_TYPE_INT), &ENV, &e, &next, NULL),
			 INVALID);

	d = create_ok(OPT(.given = MAX | CMT, .maxvalue = 100, .comment_len = 1, .comment = "x"), &ENV, NULL);
	assert_int_equal(
		seq_def_alter(&d, 42, OPT(.given = AS, .type = SEQ_TYPE_TINYINT), &ENV, &e, &next, NULL), 0);
	assert_int_equal(e.type, SEQ_TYPE_TINYINT);
	assert_def(&e, 1, 1, 100, 1, 1000, 0);
	assert_int_equal(next, 42);
	assert_string_equal(e.comment, "x");
	/* The position must fit too. */
	assert_int_equal(
		seq_def_alter(&d, 101, OPT(.given = AS, .type = SEQ_TYPE_TINYINT), &ENV, &e, &next, NULL), 0);
	assert_int_equal(
		seq_def_alter(&d, 128, OPT(.given = AS, .type = SEQ_TYPE_TINYINT), &ENV, &e, &next, NULL),
		INVALID);
	/* 100 fits tinyint unsigned but max 100 then is fine; to bigint unsigned. */
	assert_int_equal(seq_def_alter(&d, 42, OPT(.given = AS, .type = SEQ_TYPE_BIGINT, .is_unsigned = true),
				       &ENV, &e, &next, NULL),
			 0);
	assert_int_equal(e.is_unsigned, 1);
	assert_def(&e, 1, 1, 100, 1, 1000, 0);

	/* Negative values do not fit an unsigned type. */
	d = create_ok(OPT(.given = INC | MAX, .increment = -1, .maxvalue = 10), &ENV, NULL);
	assert_int_equal(seq_def_alter(&d, 10,
				       OPT(.given = AS, .type = SEQ_TYPE_SMALLINT, .is_unsigned = true), &ENV,
				       &e, &next, NULL),
			 INVALID);

	/* Widening keeps the values; a smallint's bounds stay as they were. */
	d = create_ok(OPT(.given = AS, .type = SEQ_TYPE_SMALLINT), &ENV, NULL);
	assert_int_equal(seq_def_alter(&d, 7, OPT(.given = AS, .type = SEQ_TYPE_INT), &ENV, &e, &next, NULL),
			 0);
	assert_def(&e, 1, 1, 32766, 1, 1000, 0);
	assert_int_equal(e.type, SEQ_TYPE_INT);

	/* From BIGINT UNSIGNED values beyond INT64_MAX to signed: 4085. */
	d = create_ok(OPT(.given = AS | ST, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
			  .start = (__int128)9223372036854775808u),
		      &ENV, NULL);
	assert_int_equal(
		seq_def_alter(&d, d.start, OPT(.given = AS, .type = SEQ_TYPE_BIGINT), &ENV, &e, &next, NULL),
		INVALID);
	/* Even when the bit patterns would happen to make a valid signed row. */
	d = create_ok(OPT(.given = AS | MIN | MAX, .type = SEQ_TYPE_BIGINT, .is_unsigned = true,
			  .minvalue = (__int128)9223372036854775809u,
			  .maxvalue = (__int128)9223372036854775818u),
		      &ENV, NULL);
	assert_int_equal(
		seq_def_alter(&d, d.start, OPT(.given = AS, .type = SEQ_TYPE_BIGINT), &ENV, &e, &next, NULL),
		INVALID);
	assert_int_equal(seq_def_alter(&d, d.start,
				       OPT(.given = AS, .type = SEQ_TYPE_BIGINT, .is_unsigned = true), &ENV,
				       &e, &next, NULL),
			 0);
}

/* --- §7.1 SHOW CREATE --------------------------------------------------- */

static void test_show_create(void **state)
{
	struct seq_def d;
	char buf[512];
	char small[16];
	size_t n;
	(void)state;

	d = create_ok(OPT(.given = ST | MIN | MAX | INC | CACHE | CYC, .start = 5, .minvalue = 1,
			  .maxvalue = 100, .increment = 2, .cache = 10, .cycle = true),
		      &ENV, NULL);
	n = seq_def_show_create(&d, "s1", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `s1` start with 5 minvalue 1 maxvalue 100 "
				 "increment by 2 cache 10 cycle ENGINE=InnoDB");
	assert_int_equal(n, strlen(buf));

	d = create_ok(OPT(.given = ST | MIN | MAX | INC | CACHE | CYC | CMT, .start = 10, .minvalue = -50,
			  .maxvalue = 100, .increment = -3, .cache = 7, .cycle = true, .comment_len = 2,
			  .comment = "c1"),
		      &ENV, NULL);
	seq_def_show_create(&d, "s", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `s` start with 10 minvalue -50 maxvalue 100 "
				 "increment by -3 cache 7 cycle ENGINE=InnoDB COMMENT='c1'");

	d = create_ok(OPT(.given = CACHE, .cache = 0), &ENV, NULL);
	seq_def_show_create(&d, "s", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `s` start with 1 minvalue 1 maxvalue "
				 "9223372036854775806 increment by 1 nocache nocycle ENGINE=InnoDB");

	d = create_ok(OPT(.given = AS, .type = SEQ_TYPE_TINYINT, .is_unsigned = true), &ENV, NULL);
	seq_def_show_create(&d, "t1", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `t1` as tinyint unsigned start with 1 minvalue 1 "
				 "maxvalue 254 increment by 1 cache 1000 nocycle ENGINE=InnoDB");

	d = create_ok(OPT(.given = AS, .type = SEQ_TYPE_BIGINT, .is_unsigned = true), &ENV, NULL);
	seq_def_show_create(&d, "u", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `u` as bigint unsigned start with 1 minvalue 1 "
				 "maxvalue 18446744073709551614 increment by 1 cache 1000 nocycle "
				 "ENGINE=InnoDB");

	d = create_ok(OPT(.given = AS | INC, .type = SEQ_TYPE_INT, .increment = -1), &ENV, NULL);
	seq_def_show_create(&d, "i", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `i` as int start with -1 minvalue -2147483647 "
				 "maxvalue -1 increment by -1 cache 1000 nocycle ENGINE=InnoDB");

	/* Appendix A1. */
	d = create_ok(OPT(0), &ENV, NULL);
	seq_def_show_create(&d, "a", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `a` start with 1 minvalue 1 maxvalue "
				 "9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB");
	d = create_ok(OPT(.given = INC | CACHE, .increment = -1, .cache = 100), &ENV, NULL);
	seq_def_show_create(&d, "d", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `d` start with -1 minvalue -9223372036854775807 "
				 "maxvalue -1 increment by -1 cache 100 nocycle ENGINE=InnoDB");

	/* Quoting: backticks doubled in the name; ' and \ escaped in the
	 * comment (plus NUL, \n, \r as append_unescaped does). */
	d = create_ok(
		OPT(.given = CMT | CACHE, .cache = 1, .comment_len = 14, .comment = "it's a\\b\n\r\0`x'"),
		&ENV, NULL);
	seq_def_show_create(&d, "my`seq", buf, sizeof(buf));
	assert_string_equal(buf, "CREATE SEQUENCE `my``seq` start with 1 minvalue 1 maxvalue "
				 "9223372036854775806 increment by 1 cache 1 nocycle ENGINE=InnoDB "
				 "COMMENT='it''s a\\\\b\\n\\r\\0`x'''");

	/* snprintf contract. */
	d = create_ok(OPT(0), &ENV, NULL);
	n = seq_def_show_create(&d, "a", small, sizeof(small));
	assert_int_equal(n, strlen("CREATE SEQUENCE `a` start with 1 minvalue 1 maxvalue "
				   "9223372036854775806 increment by 1 cache 1000 nocycle "
				   "ENGINE=InnoDB"));
	assert_string_equal(small, "CREATE SEQUENCE");
	assert_int_equal(seq_def_show_create(&d, "a", NULL, 0), n);
	small[0] = 'X';
	assert_int_equal(seq_def_show_create(&d, "a", small, 1), n);
	assert_int_equal(small[0], '\0');
}

static void test_value_format(void **state)
{
	struct seq_def d = create_ok(OPT(0), &ENV, NULL);
	char buf[22];
	(void)state;

	assert_string_equal(seq_value_format(&d, I64MIN, buf), "-9223372036854775808");
	assert_string_equal(seq_value_format(&d, -1, buf), "-1");
	d.is_unsigned = 1;
	assert_string_equal(seq_value_format(&d, -1, buf), "18446744073709551615");
	d.type = SEQ_TYPE_INT;
	assert_string_equal(seq_value_format(&d, 4294967294, buf), "4294967294");
	assert_string_equal(seq_type_name(SEQ_TYPE_INT, false), "int");
}

/* --- step / before / past_end ------------------------------------------ */

static void test_step(void **state)
{
	struct seq_def d = create_ok(OPT(.given = MIN | MAX, .minvalue = -10, .maxvalue = 10), &ENV, NULL);
	struct seq_def big = create_ok(OPT(0), &ENV, NULL);
	struct seq_def u = create_ok(OPT(.given = AS, .type = SEQ_TYPE_BIGINT, .is_unsigned = true), &ENV,
				     NULL);
	(void)state;

	assert_int_equal(seq_step(&d, 5, 5), 10);
	assert_int_equal(seq_step(&d, 5, 6), 11);
	assert_int_equal(seq_step(&d, 11, 1), 11);
	assert_int_equal(seq_step(&d, 50, 1), 11);
	assert_int_equal(seq_step(&d, -5, -5), -10);
	assert_int_equal(seq_step(&d, -5, -6), -11);
	assert_int_equal(seq_step(&d, -11, -1), -11);
	assert_int_equal(seq_step(&d, -50, 3), -47);
	assert_int_equal(seq_step(&big, 9223372036854775800, I64MAX), I64MAX);
	assert_int_equal(seq_step(&big, I64MAX, I64MAX), I64MAX);
	assert_int_equal(seq_step(&big, I64MIN, I64MAX), -1);
	assert_int_equal(seq_step(&big, 1, I64MIN + 1), 0);
	assert_int_equal((uint64_t)seq_step(&u, (int64_t)18446744073709551610u, 100), UINT64_MAX);
	assert_int_equal((uint64_t)seq_step(&u, (int64_t)9223372036854775807u, 1), 9223372036854775808u);
	assert_int_equal(seq_step(&u, 5, -10), 0);

	assert_true(seq_before(&d, 1, 1, 2));
	assert_false(seq_before(&d, 1, 2, 2));
	assert_true(seq_before(&d, -1, 2, 1));
	assert_true(seq_before(&u, 1, 1, -1)); /* 1 < UINT64_MAX */
	assert_false(seq_before(&big, 1, 1, -1));
	assert_true(seq_past_end(&d, 1, 11));
	assert_false(seq_past_end(&d, 1, 10));
	assert_true(seq_past_end(&d, -1, -11));
	assert_false(seq_past_end(&d, -1, 100));
	assert_true(seq_past_end(&u, 1, -1));
}

/* --- epochs ------------------------------------------------------------- */

static void test_epoch_basic(void **state)
{
	struct seq_def d = create_ok(
		OPT(.given = MIN | MAX | CACHE, .minvalue = 1, .maxvalue = 10, .cache = 2), &ENV, NULL);
	struct seq_def big = create_ok(OPT(0), &ENV, NULL);
	struct seq_def u = create_ok(OPT(.given = AS, .type = SEQ_TYPE_BIGINT, .is_unsigned = true), &ENV,
				     NULL);
	struct seq_def full = create_ok(OPT(.given = MIN, .minvalue = -9223372036854775807), &ENV, NULL);
	(void)state;

	assert_int_equal(seq_epoch_end(&d, 1, 4), 3);
	assert_int_equal(seq_epoch_end(&d, 1, 1), 10);
	assert_int_equal(seq_epoch_end(&d, 10, 1), 1);
	assert_int_equal(seq_epoch_end(&d, 11, 1), 0);
	assert_int_equal(seq_epoch_end(&d, 10, -3), 4);
	assert_int_equal(seq_epoch_end(&d, 1, -1), 1);
	assert_int_equal(seq_epoch_end(&d, 0, -1), 0);
	assert_int_equal(seq_epoch_end(&big, 1, 1), 9223372036854775806u);
	assert_int_equal(seq_epoch_end(&big, 1, I64MAX), 1);
	assert_int_equal(seq_epoch_end(&full, -9223372036854775807, 1), UINT64_MAX - 1);
	assert_int_equal(seq_epoch_end(&full, -9223372036854775807, 2), 9223372036854775807u);
	assert_int_equal(seq_epoch_end(&u, 1, 1), UINT64_MAX - 1);
	assert_int_equal(seq_epoch_end(&u, -2, -1), UINT64_MAX - 1);
	assert_int_equal(seq_epoch_end(&u, -1, 1), 0);

	assert_int_equal(seq_epoch_value(1, 4, 2), 9);
	assert_int_equal(seq_epoch_value(10, -3, 3), 1);
	assert_int_equal(seq_epoch_value(-9223372036854775807, 1, UINT64_MAX - 2), 9223372036854775806);
	assert_int_equal((uint64_t)seq_epoch_value((int64_t)(UINT64_MAX - 5), 1, 2), UINT64_MAX - 3);
	assert_int_equal((uint64_t)seq_epoch_value(1, 1, 18446744073709551613u), 18446744073709551614u);

	/* cache 2 from 1: reservations 3,3,5,5,...,11. */
	for (uint64_t c = 0; c <= 10; c++)
		assert_int_equal(seq_epoch_reserved(&d, 1, 1, 1, c), c == 0 ? 1 : (int64_t)(c + 1 + c % 2));
	/* Inside a block: base before r0. */
	assert_int_equal(seq_epoch_reserved(&d, 2, 3, 1, 1), 3);
	assert_int_equal(seq_epoch_reserved(&d, 2, 3, 1, 2), 5);
	/* Saturation at both ends. */
	assert_int_equal(seq_epoch_reserved(&big, 9223372036854775805, 9223372036854775805, 1, 2), I64MAX);
	assert_int_equal(seq_epoch_reserved(&full, -9223372036854775806, -9223372036854775806, -1, 2),
			 I64MIN);
	assert_int_equal((uint64_t)seq_epoch_reserved(&u, (int64_t)18446744073709551613u,
						      (int64_t)18446744073709551613u, 1, 2),
			 UINT64_MAX);
	/* increment 3074457345618258602 cache 1: r0 1 -> ... -> INT64_MAX. */
	big.increment = 3074457345618258602;
	big.cache = 1;
	assert_int_equal(seq_epoch_end(&big, 1, big.increment), 3);
	assert_int_equal(seq_epoch_reserved(&big, 1, 1, big.increment, 2), 6148914691236517205);
	assert_int_equal(seq_epoch_reserved(&big, 1, 1, big.increment, 3), I64MAX);
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717u;
}

static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* Check seq_epoch_* against seq_live from the live state s (any state the
 * serial algorithm reaches): the next consumed values are base + i·inc and
 * the reservation follows the closed form, up to the end of the round; the
 * call after the last tick of the epoch wraps or runs out. */
static void check_epoch(struct seq_live *s, const struct seq_env *env)
{
	int64_t base = s->next_free, r0 = s->reserved_until, inc = s->real_inc;
	uint64_t end = seq_epoch_end(&s->def, base, inc);
	int64_t cc = s->cycle_count;

	assert_true(end < 1000);
	assert_false(seq_before(&s->def, inc, r0, base) && base != seq_align(&s->def, env, r0));
	for (uint64_t i = 0; i < end; i++) {
		int64_t v;
		bool wrote;

		assert_int_equal(seq_live_nextval(s, env, &v, &wrote), 0);
		assert_int_equal(v, seq_epoch_value(base, inc, i));
		assert_int_equal(s->reserved_until, seq_epoch_reserved(&s->def, base, r0, inc, i + 1));
		assert_int_equal(s->cycle_count, cc);
	}
	/* One more: the round is over. */
	{
		int64_t v;
		bool wrote;
		int rc = seq_live_nextval(s, env, &v, &wrote);

		if (s->def.cycle && rc == 0)
			assert_int_equal(s->cycle_count, cc + 1);
		else
			assert_int_equal(rc, RUN_OUT);
	}
}

static void test_epoch_property(void **state)
{
	int checked = 0;
	(void)state;

	for (int iter = 0; iter < 4000; iter++) {
		struct seq_env env = {1, 1};
		struct seq_options o = {0};
		struct seq_def d;
		struct seq_live s;
		int64_t next, center;
		int dom = (int)(rnd() % 7);
		int64_t span = rnd_in(1, 60);
		uint64_t wide_inc;

		o.given = MIN | MAX | INC | CACHE | CYC;
		o.increment = rnd_in(-7, 7);
		if (o.increment == 0) {
			env.auto_increment_increment = rnd_in(1, 6);
			env.auto_increment_offset = rnd_in(1, 9);
		}
		static const int64_t caches[] = {0, 1, 2, 3, 5, 7, 1000};
		o.cache = caches[rnd() % 7];
		o.cycle = rnd() & 1;
		switch (dom) {
		case 0: /* around zero */
			center = rnd_in(-40, 40);
			o.minvalue = center - rnd_in(0, span);
			o.maxvalue = o.minvalue + span;
			break;
		case 1: /* at the top of BIGINT */
			o.maxvalue = 9223372036854775806 - rnd_in(0, 3);
			o.minvalue = o.maxvalue - span;
			break;
		case 2: /* at the bottom of BIGINT */
			o.minvalue = -9223372036854775807 + rnd_in(0, 3);
			o.maxvalue = o.minvalue + span;
			break;
		case 3: /* at the top of BIGINT UNSIGNED */
			o.given |= AS;
			o.type = SEQ_TYPE_BIGINT;
			o.is_unsigned = true;
			o.maxvalue = (__int128)UINT64_MAX - 1 - rnd_in(0, 3);
			o.minvalue = o.maxvalue - span;
			break;
		case 5: /* a range wider than 2^63, increments near its size:
			 * ticks x increment leaves BIGINT, the values do not */
			o.minvalue = -9223372036854775807 + rnd_in(0, 1000000);
			o.maxvalue = 9223372036854775806 - rnd_in(0, 1000000);
			o.cache = caches[rnd() % 3];
			wide_inc = (uint64_t)rnd_in(200000000000000000, 4611686018427387903);
			o.increment = (rnd() & 1) ? (int64_t)wide_inc : -(int64_t)wide_inc;
			break;
		case 6: /* the same over BIGINT UNSIGNED */
			o.given |= AS;
			o.type = SEQ_TYPE_BIGINT;
			o.is_unsigned = true;
			o.minvalue = 1 + rnd_in(0, 1000000);
			o.maxvalue = (__int128)UINT64_MAX - 1 - rnd_in(0, 1000000);
			o.cache = caches[rnd() % 3];
			wide_inc = (uint64_t)rnd_in(400000000000000000, 4611686018427387903);
			o.increment = (rnd() & 1) ? (int64_t)wide_inc : -(int64_t)wide_inc;
			break;
		default: /* TINYINT, both signs */
			o.given |= AS;
			o.type = SEQ_TYPE_TINYINT;
			o.is_unsigned = rnd() & 1;
			o.minvalue = o.is_unsigned ? rnd_in(1, 100) : rnd_in(-127, 60);
			o.maxvalue = o.minvalue + span;
			if (o.maxvalue > (o.is_unsigned ? 254 : 126))
				o.maxvalue = o.is_unsigned ? 254 : 126;
			break;
		}
		if (seq_def_create(&o, &env, &d, &next, NULL) != 0)
			continue;
		assert_true(d.maxvalue != d.minvalue);

		/* A position: any stored value rule 7 allows near the range. */
		{
			__int128 lo = (__int128)o.minvalue, hi = (__int128)o.maxvalue;
			int64_t real = seq_real_increment(&d, &env);
			__int128 pos = real > 0 ? lo + (__int128)(rnd() % (uint64_t)(hi - lo + 2))
						: lo - 1 + (__int128)(rnd() % (uint64_t)(hi - lo + 2));

			next = (int64_t)(uint64_t)pos;
			assert_int_equal(seq_def_validate(&d, next, &env), 0);
		}
		seq_live_load(&s, &d, next, 0, &env);

		/* A random prefix, then perhaps a SETVAL inside or past the
		 * block, then the property from wherever the state is. */
		for (int k = (int)(rnd() % 4); k > 0; k--) {
			int64_t v;
			bool wrote;

			if (seq_live_nextval(&s, &env, &v, &wrote) != 0 || s.cycle_count != 0)
				break;
		}
		if (s.cycle_count != 0 || s.all_values_used)
			continue;
		if (rnd() & 1) {
			__int128 lo = (__int128)o.minvalue, hi = (__int128)o.maxvalue;
			__int128 v = lo - 2 + (__int128)(rnd() % (uint64_t)(hi - lo + 5));
			bool wrote;

			if (o.type == SEQ_TYPE_BIGINT && o.is_unsigned && v < 0)
				v = 0;
			if (o.type == SEQ_TYPE_BIGINT && o.is_unsigned && v > (__int128)UINT64_MAX)
				v = UINT64_MAX;
			if (o.type == SEQ_TYPE_BIGINT && !o.is_unsigned && v < INT64_MIN)
				v = INT64_MIN;
			if (o.type == SEQ_TYPE_BIGINT && !o.is_unsigned && v > INT64_MAX)
				v = INT64_MAX;
			seq_live_setval(&s, &env, (int64_t)(uint64_t)v, rnd() & 1, 0, &wrote);
		}
		check_epoch(&s, &env);
		checked++;
	}
	/* Most random definitions are valid; make sure the test tested. */
	assert_true(checked > 2000);
}

/* --- huge increments over ranges wider than 2^63 (issue: ticks × increment
 * leaves BIGINT while base + ticks × increment does not) ------------------ */

static void test_epoch_huge_increment(void **state)
{
	/* conformance q40: minvalue -9223372036854775807 start -2e18 inc 1e18 */
	struct seq_def q = create_ok(OPT(.given = MIN | ST | INC | CACHE, .minvalue = -9223372036854775807,
					 .start = -2000000000000000000, .increment = 1000000000000000000),
				     &ENV, NULL);
	struct seq_def u = create_ok(OPT(.given = AS | INC | CACHE, .type = SEQ_TYPE_BIGINT,
					 .is_unsigned = true, .increment = 4000000000000000000),
				     &ENV, NULL);
	struct seq_live s;
	(void)state;

	assert_int_equal(seq_epoch_end(&q, q.start, q.increment), 12);
	for (uint64_t n = 0; n < 12; n++)
		assert_int_equal(seq_epoch_value(q.start, q.increment, n),
				 (int64_t)(-2000000000000000000 + (__int128)n * 1000000000000000000));
	assert_int_equal(seq_epoch_value(q.start, q.increment, 10), 8000000000000000000);
	assert_int_equal(seq_epoch_value(q.start, q.increment, 11), 9000000000000000000);
	/* reservations: NOCACHE, one per value; the 12th saturates */
	assert_int_equal(seq_epoch_reserved(&q, q.start, q.start, q.increment, 11), 9000000000000000000);
	assert_int_equal(seq_epoch_reserved(&q, q.start, q.start, q.increment, 12), I64MAX);
	/* out-of-contract counts saturate instead of overflowing */
	assert_int_equal(seq_epoch_reserved(&q, q.start, q.start, q.increment, 13), I64MAX);
	assert_int_equal(seq_epoch_reserved(&q, q.start, q.start, q.increment, UINT64_MAX), I64MAX);
	assert_int_equal(seq_epoch_reserved(&q, q.start, q.start, -q.increment, UINT64_MAX), I64MIN);
	/* the serial model agrees value for value */
	seq_live_load(&s, &q, q.start, 0, &ENV);
	for (uint64_t n = 0; n < 12; n++)
		assert_int_equal(nv(&s, &ENV), seq_epoch_value(q.start, q.increment, n));
	nv_runout(&s, &ENV);

	/* descending from the top of BIGINT to its bottom: -1e18 (q42) */
	struct seq_def d = create_ok(OPT(.given = MAX | INC | CYC | CACHE, .max_none = true, .cycle = true,
					 .cache = 1, .increment = -1000000000000000000),
				     &ENV, NULL);
	assert_int_equal(seq_epoch_end(&d, d.start, d.increment), 19);
	assert_int_equal(seq_epoch_value(d.start, d.increment, 18), -8776627963145224194);
	assert_int_equal(seq_epoch_reserved(&d, d.start, d.start, d.increment, 19), I64MIN);

	/* BIGINT UNSIGNED: 1, 4e18+1, …, 16e18+1 (> INT64_MAX), then the end */
	assert_int_equal(seq_epoch_end(&u, 1, u.increment), 5);
	assert_int_equal((uint64_t)seq_epoch_value(1, u.increment, 4), 16000000000000000001u);
	assert_int_equal((uint64_t)seq_epoch_value((int64_t)16000000000000000001u, -u.increment, 4), 1);
	assert_int_equal((uint64_t)seq_epoch_reserved(&u, 1, 1, u.increment, 5), UINT64_MAX);
	assert_int_equal((uint64_t)seq_epoch_reserved(&u, 1, 1, u.increment, UINT64_MAX), UINT64_MAX);

	/* the full signed range with increment 1: the last tick is 2^64 - 3 */
	struct seq_def full = create_ok(OPT(.given = MIN, .minvalue = -9223372036854775807), &ENV, NULL);
	assert_int_equal(seq_epoch_value(-9223372036854775807, 1, UINT64_MAX - 2), 9223372036854775806);
	assert_int_equal(
		seq_epoch_reserved(&full, -9223372036854775807, -9223372036854775807, 1, UINT64_MAX - 1),
		I64MAX);
	assert_int_equal(seq_epoch_value(9223372036854775806, -1, UINT64_MAX - 2), -9223372036854775807);
}

static void test_skip_ahead(void **state)
{
	struct seq_def q = create_ok(OPT(.given = MIN | ST | INC | CACHE, .minvalue = -9223372036854775807,
					 .start = -2000000000000000000, .increment = 1000000000000000000),
				     &ENV, NULL);
	struct seq_def c = create_ok(OPT(.given = MIN | MAX | ST | INC | CACHE | CYC,
					 .minvalue = -9000000000000000000, .maxvalue = 9000000000000000000,
					 .start = -9000000000000000000, .increment = 3000000000000000000,
					 .cycle = true),
				     &ENV, NULL);
	struct seq_def d = create_ok(OPT(.given = INC, .increment = -1), &ENV, NULL);
	struct seq_def u = create_ok(
		OPT(.given = AS | INC, .type = SEQ_TYPE_BIGINT, .is_unsigned = true, .increment = 1), &ENV,
		NULL);
	int64_t cc = 0;
	(void)state;

	/* within the round */
	assert_int_equal(seq_skip_ahead(&q, &ENV, q.start, 10, &cc), 8000000000000000000);
	assert_int_equal(cc, 0);
	/* past it, NOCYCLE: the sentinel INT64_MAX. A step by INT64_MAX from
	 * -2e18 (what this used to compute) lands on 7223372036854775807,
	 * inside the range and off the increment's lattice. */
	assert_int_equal(seq_skip_ahead(&q, &ENV, q.start, 1025, &cc), I64MAX);
	assert_int_equal(seq_skip_ahead(&q, &ENV, q.start, UINT64_MAX, &cc), I64MAX);
	assert_int_equal(seq_skip_ahead(&q, &ENV, I64MAX, 1, &cc), I64MAX);
	assert_int_equal(cc, 0);
	/* CYCLE: the next round from MINVALUE, skipping there too */
	assert_int_equal(seq_skip_ahead(&c, &ENV, 6000000000000000000, 2, &cc), -3000000000000000000);
	assert_int_equal(cc, 1);
	/* a skip longer than a round: the sentinel, the round counted */
	assert_int_equal(seq_skip_ahead(&c, &ENV, 6000000000000000000, 1025, &cc), 9000000000000000001);
	assert_int_equal(cc, 2);
	/* the round counter is unsigned: 2^63 follows INT64_MAX */
	cc = I64MAX;
	assert_int_equal(seq_skip_ahead(&c, &ENV, 9000000000000000000, 1, &cc), -6000000000000000000);
	assert_int_equal((uint64_t)cc, (uint64_t)I64MAX + 1);
	cc = 0;
	/* descending to MINVALUE - 1 = INT64_MIN */
	assert_int_equal(seq_skip_ahead(&d, &ENV, -9223372036854775806, 1, &cc), -9223372036854775807);
	assert_int_equal(seq_skip_ahead(&d, &ENV, -9223372036854775806, 2, &cc), I64MIN);
	assert_int_equal(seq_skip_ahead(&d, &ENV, -1, UINT64_MAX, &cc), I64MIN);
	/* BIGINT UNSIGNED across 2^63 and to UINT64_MAX */
	assert_int_equal((uint64_t)seq_skip_ahead(&u, &ENV, (int64_t)9223372036854775000u, 10000, &cc),
			 9223372036854785000u);
	assert_int_equal((uint64_t)seq_skip_ahead(&u, &ENV, 1, UINT64_MAX - 3, &cc), UINT64_MAX - 2);
	assert_int_equal((uint64_t)seq_skip_ahead(&u, &ENV, 1, UINT64_MAX - 2, &cc), UINT64_MAX - 1);
	assert_int_equal((uint64_t)seq_skip_ahead(&u, &ENV, 1, UINT64_MAX - 1, &cc), UINT64_MAX);
	assert_int_equal(cc, 0);
}

/* --- a NEXTVAL that runs out (conformance q43, q44) --------------------- */

static void test_runout_moves_reservation(void **state)
{
	struct seq_live s;
	struct seq_row row;
	bool wrote;
	(void)state;

	/* start 20 minvalue 3 maxvalue 20 increment 2; SETVAL(s,23,0) */
	live_create(&s,
		    OPT(.given = ST | MIN | MAX | INC, .start = 20, .minvalue = 3, .maxvalue = 20,
			.increment = 2),
		    &ENV);
	assert_int_equal(sv(&s, &ENV, 23, false, 0, &wrote), 1);
	assert_true(wrote);
	nv_runout(&s, &ENV);
	/* in memory: MAXVALUE + 1; the stored row: still 23 */
	assert_int_equal(s.reserved_until, 21);
	assert_int_equal(s.next_free, 21);
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, 23);
	/* a second run-out changes nothing (all_values_used) */
	nv_runout(&s, &ENV);
	assert_int_equal(s.reserved_until, 21);
	/* ALTER … NO MAXVALUE continues from 21 */
	assert_int_equal(alter_live(&s, OPT(.given = MAX, .max_none = true), &ENV), 0);
	assert_int_equal(nv(&s, &ENV), 21);
	assert_int_equal(nv(&s, &ENV), 23);

	/* SETVAL compares with the in-memory position: 21 is "no change", 22
	 * moves forward and writes */
	live_create(&s,
		    OPT(.given = ST | MIN | MAX | INC, .start = 20, .minvalue = 3, .maxvalue = 20,
			.increment = 2),
		    &ENV);
	assert_int_equal(sv(&s, &ENV, 23, false, 0, NULL), 1);
	nv_runout(&s, &ENV);
	assert_int_equal(sv(&s, &ENV, 21, false, 0, &wrote), 1);
	assert_false(wrote);
	assert_int_equal(sv(&s, &ENV, 22, false, 0, &wrote), 1);
	assert_true(wrote);
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, 22);
	/* the write cleared the run-out: the next one moves it again */
	assert_false(s.all_values_used);
	nv_runout(&s, &ENV);
	assert_int_equal(s.reserved_until, 21);
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, 22);

	/* descending, below MINVALUE */
	live_create(&s,
		    OPT(.given = ST | MIN | MAX | INC, .start = -20, .minvalue = -20, .maxvalue = -3,
			.increment = -2),
		    &ENV);
	assert_int_equal(sv(&s, &ENV, -23, false, 0, NULL), 1);
	nv_runout(&s, &ENV);
	assert_int_equal(s.reserved_until, -21);
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, -23);

	/* an ordinary run-out at MAXVALUE: reservation and row agree */
	live_create(&s, OPT(.given = MAX | CACHE, .maxvalue = 2, .cache = 0), &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(nv(&s, &ENV), 2);
	nv_runout(&s, &ENV);
	seq_live_row(&s, &row);
	assert_int_equal(row.next_not_cached_value, 3);
	assert_int_equal(s.reserved_until, 3);
}

/* --- what a row write stores (conformance q45, q46) --------------------- */

static void test_row_write_normalises(void **state)
{
	struct seq_def d = create_ok(OPT(.given = MAX | CACHE, .maxvalue = 100, .cache = 10), &ENV, NULL);
	struct seq_live s;
	struct seq_row row;
	int64_t next;
	(void)state;

	/* INSERT … cycle_option 2: shown as stored until the first write */
	d.cycle = 2;
	seq_live_load(&s, &d, 1, 0, &ENV);
	seq_live_row(&s, &row);
	assert_int_equal(row.cycle_option, 2);
	assert_int_equal(sv(&s, &ENV, 0, true, 0, NULL), 1); /* target 1: no change, no write */
	seq_live_row(&s, &row);
	assert_int_equal(row.cycle_option, 2);
	assert_int_equal(nv(&s, &ENV), 1); /* a refill writes */
	seq_live_row(&s, &row);
	assert_int_equal(row.cycle_option, 1);
	assert_int_equal(row.next_not_cached_value, 11);

	/* a run-out writes nothing */
	d.cycle = 0;
	seq_live_load(&s, &d, 101, 0, &ENV);
	nv_runout(&s, &ENV);
	seq_live_row(&s, &row);
	assert_int_equal(row.cycle_option, 0);
	assert_int_equal(row.next_not_cached_value, 101);

	/* ALTER writes CYCLE as a boolean */
	d.cycle = 7;
	assert_int_equal(seq_def_alter(&d, 1, OPT(.given = CACHE, .cache = 5), &ENV, &d, &next, NULL), 0);
	assert_int_equal(d.cycle, 1);

	/* the round is unsigned; a write stores it clamped to INT64_MAX */
	d = create_ok(OPT(.given = MAX | CACHE | CYC, .maxvalue = 2, .cache = 0, .cycle = true), &ENV, NULL);
	seq_live_load(&s, &d, 1, I64MAX, &ENV);
	assert_int_equal(nv(&s, &ENV), 1);
	assert_int_equal(nv(&s, &ENV), 2);
	assert_int_equal(nv(&s, &ENV), 1); /* the wrap */
	assert_int_equal((uint64_t)s.cycle_count, (uint64_t)I64MAX + 1);
	seq_live_row(&s, &row);
	assert_int_equal(row.cycle_count, I64MAX);
	/* SETVAL rounds compare unsigned: INT64_MAX is an older round */
	assert_int_equal(sv(&s, &ENV, 1, true, (uint64_t)I64MAX, NULL), 0);
	assert_int_equal(sv(&s, &ENV, 1, true, (uint64_t)I64MAX + 1, NULL), 1);
	/* a negative inserted count: round 2^64 - 5, shown as inserted until
	 * a write stores INT64_MAX */
	seq_live_load(&s, &d, 1, -5, &ENV);
	seq_live_row(&s, &row);
	assert_int_equal(row.cycle_count, -5);
	assert_int_equal(sv(&s, &ENV, 1, true, 0, NULL), 0);
	assert_int_equal(nv(&s, &ENV), 1);
	seq_live_row(&s, &row);
	assert_int_equal(row.cycle_count, I64MAX);
	assert_int_equal(seq_row_cycle_count(-1), I64MAX);
	assert_int_equal(seq_row_cycle_count(I64MIN), I64MAX);
	assert_int_equal(seq_row_cycle_count(0), 0);
	assert_int_equal(seq_row_cycle_count(I64MAX), I64MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_validation_table),
		cmocka_unit_test(test_validate_direct),
		cmocka_unit_test(test_type_defaults),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_unsigned_bigint_serial),
		cmocka_unit_test(test_nextval_cache2_cycle),
		cmocka_unit_test(test_nextval_a3),
		cmocka_unit_test(test_nextval_cycle_examples),
		cmocka_unit_test(test_nextval_edges),
		cmocka_unit_test(test_alter_cycle_flip),
		cmocka_unit_test(test_increment0),
		cmocka_unit_test(test_setval_43),
		cmocka_unit_test(test_setval_other),
		cmocka_unit_test(test_alter_restart),
		cmocka_unit_test(test_alter_validation),
		cmocka_unit_test(test_alter_as),
		cmocka_unit_test(test_show_create),
		cmocka_unit_test(test_value_format),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_epoch_basic),
		cmocka_unit_test(test_epoch_property),
		cmocka_unit_test(test_epoch_huge_increment),
		cmocka_unit_test(test_skip_ahead),
		cmocka_unit_test(test_runout_moves_reservation),
		cmocka_unit_test(test_row_write_normalises),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
