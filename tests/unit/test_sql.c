/* SPDX-License-Identifier: MIT */
/* test_sql.c — unit tests of the statement parser (lib/sql.c).
 *
 * Every grammar variant of sql.h, every 1064/1225/1221 case of
 * shared/conformance and SEMANTICS §1.1/§1.2/§5.1 with MariaDB's exact
 * message text, the source-text spans of SELECT items (column headings),
 * splitting, the completeness check, and random-input loops that must
 * neither crash nor leak (run under ASan or valgrind).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql.h"
#include "sqlval.h"

/* --- helpers -------------------------------------------------------------- */

static struct sql_stmt *parse_ok(const char *sql)
{
	struct sql_stmt *st = NULL;
	struct sql_error e;
	int rc = sql_parse(sql, strlen(sql), &st, &e);

	if (rc != 0)
		fail_msg("expected success for [%s], got %d: %s", sql, rc, e.message);
	assert_non_null(st);
	return st;
}

static void parse_err(const char *sql, int code, const char *msg)
{
	struct sql_stmt *st = (struct sql_stmt *)1;
	struct sql_error e;
	int rc = sql_parse(sql, strlen(sql), &st, &e);

	if (rc != -code)
		fail_msg("expected %d for [%s], got %d: %s", code, sql, rc, rc ? e.message : "(ok)");
	assert_null(st);
	assert_int_equal(e.code, code);
	if (msg && strcmp(e.message, msg) != 0)
		fail_msg("[%s]: message\n  got  [%s]\n  want [%s]", sql, e.message, msg);
}

/* A 1064 whose message shows `near` at `line`. */
static void syntax(const char *sql, const char *near, unsigned line)
{
	char msg[600];
	struct sql_stmt *st;
	struct sql_error e;

	snprintf(msg, sizeof(msg),
		 "You have an error in your SQL syntax; check the manual that "
		 "corresponds to your MariaDB server version for the right "
		 "syntax to use near '%s' at line %u",
		 near, line);
	parse_err(sql, 1064, msg);
	sql_parse(sql, strlen(sql), &st, &e);
	assert_string_equal(e.sqlstate, "42000");
	assert_int_equal(e.line, line);
	assert_true(e.offset <= strlen(sql));
	{
		size_t nn = strlen(near); /* without a "..." that marks a cut */

		if (nn >= 3 && strcmp(near + nn - 3, "...") == 0 &&
		    strncmp(sql + e.offset + nn - 3, "...", 3) != 0)
			nn -= 3;
		assert_memory_equal(sql + e.offset, near, nn);
	}
}

/* A 1064 at `near` that the parser leaves to the executor, after its check
 * of the options (CREATE) or of repeated names (DROP). */
static void syntax_later(const char *sql, const char *near)
{
	char msg[600];
	struct sql_stmt *st = parse_ok(sql);
	const struct sql_error *e = st->kind == SQL_DROP ? st->u.drop.after_names
							 : st->u.create.after_options;

	snprintf(msg, sizeof(msg),
		 "You have an error in your SQL syntax; check the manual that "
		 "corresponds to your MariaDB server version for the right "
		 "syntax to use near '%s' at line 1",
		 near);
	assert_non_null(e);
	assert_int_equal(e->code, 1064);
	assert_string_equal(e->message, msg);
	sql_stmt_free(st);
}

static void dup(const char *sql, const char *opt)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "Option '%s' used twice in statement", opt);
	parse_err(sql, 1225, msg);
}

static void check_name(const struct sql_name *n, const char *db, const char *name)
{
	assert_string_equal(n->db, db);
	assert_string_equal(n->name, name);
}

static struct sql_create *create_ok(const char *sql, struct sql_stmt **st)
{
	*st = parse_ok(sql);
	assert_int_equal((*st)->kind, SQL_CREATE_SEQUENCE);
	return &(*st)->u.create;
}

#define I128_EQ(a, b) assert_true((__int128)(a) == (__int128)(b))

/* --- CREATE --------------------------------------------------------------- */

static void test_create_basic(void **state)
{
	struct sql_stmt *st;
	struct sql_create *c;

	(void)state;
	c = create_ok("CREATE SEQUENCE s1", &st);
	check_name(&c->name, "", "s1");
	assert_false(c->or_replace || c->temporary || c->if_not_exists);
	assert_int_equal(c->opt.given, 0);
	assert_string_equal(c->engine, "");
	assert_string_equal(st->text, "CREATE SEQUENCE s1");
	sql_stmt_free(st);

	c = create_ok("CREATE SEQUENCE o1 START WITH 100 INCREMENT BY 5 MINVALUE 50 "
		      "MAXVALUE 200 CACHE 10 NOCYCLE",
		      &st);
	assert_int_equal(c->opt.given, SEQ_OPT_START | SEQ_OPT_INCREMENT | SEQ_OPT_MINVALUE |
					       SEQ_OPT_MAXVALUE | SEQ_OPT_CACHE | SEQ_OPT_CYCLE);
	I128_EQ(c->opt.start, 100);
	assert_int_equal(c->opt.increment, 5);
	I128_EQ(c->opt.minvalue, 50);
	I128_EQ(c->opt.maxvalue, 200);
	assert_false(c->opt.min_none || c->opt.max_none);
	assert_int_equal(c->opt.cache, 10);
	assert_false(c->opt.cycle);
	sql_stmt_free(st);

	c = create_ok("CREATE SEQUENCE c2 MINVALUE 1 MAXVALUE 4 INCREMENT BY -1 CACHE 3 CYCLE", &st);
	assert_int_equal(c->opt.increment, -1);
	assert_true(c->opt.cycle);
	sql_stmt_free(st);

	c = create_ok("create sequence `my seq` start = 5 increment = 2 minvalue = 1 "
		      "maxvalue = 99 cache = 4 cycle",
		      &st);
	check_name(&c->name, "", "my seq");
	I128_EQ(c->opt.start, 5);
	assert_int_equal(c->opt.increment, 2);
	I128_EQ(c->opt.minvalue, 1);
	I128_EQ(c->opt.maxvalue, 99);
	assert_int_equal(c->opt.cache, 4);
	assert_true(c->opt.cycle);
	sql_stmt_free(st);

	c = create_ok("CREATE SEQUENCE s2 NOMAXVALUE NOMINVALUE NOCACHE NOCYCLE", &st);
	assert_true(c->opt.min_none && c->opt.max_none);
	assert_int_equal(c->opt.cache, 0);
	assert_int_equal(c->opt.given, SEQ_OPT_MINVALUE | SEQ_OPT_MAXVALUE | SEQ_OPT_CACHE | SEQ_OPT_CYCLE);
	sql_stmt_free(st);

	c = create_ok("CREATE SEQUENCE s3 NO MAXVALUE NO MINVALUE", &st);
	assert_true(c->opt.min_none && c->opt.max_none);
	sql_stmt_free(st);

	/* optional words, signs, spaces after the sign, any case */
	c = create_ok("cReAtE sEqUeNcE s START 5 INCREMENT 2 MINVALUE 1 CACHE +1", &st);
	I128_EQ(c->opt.start, 5);
	assert_int_equal(c->opt.increment, 2);
	assert_int_equal(c->opt.cache, 1);
	sql_stmt_free(st);
	c = create_ok("create sequence s start=5 increment=- 5 minvalue=-100 maxvalue=+ 7 cache=- 1", &st);
	I128_EQ(c->opt.start, 5);
	assert_int_equal(c->opt.increment, -5);
	I128_EQ(c->opt.minvalue, -100);
	I128_EQ(c->opt.maxvalue, 7);
	assert_int_equal(c->opt.cache, -1);
	sql_stmt_free(st);

	/* statements may span lines; comments anywhere */
	c = create_ok("CREATE /* c */ SEQUENCE\n  s9 # hash\n  START WITH -- dash\n 7\n", &st);
	check_name(&c->name, "", "s9");
	I128_EQ(c->opt.start, 7);
	sql_stmt_free(st);
}

static void test_create_flags(void **state)
{
	struct sql_stmt *st;
	struct sql_create *c;

	(void)state;
	c = create_ok("CREATE OR REPLACE SEQUENCE n1 START WITH 8 COMMENT 'order ids'", &st);
	assert_true(c->or_replace);
	assert_false(c->temporary || c->if_not_exists);
	assert_int_equal(c->opt.comment_len, 9);
	assert_string_equal(c->opt.comment, "order ids");
	assert_true(c->opt.given & SEQ_OPT_COMMENT);
	sql_stmt_free(st);

	c = create_ok("CREATE SEQUENCE IF NOT EXISTS n1 START WITH 7", &st);
	assert_true(c->if_not_exists);
	sql_stmt_free(st);

	c = create_ok("CREATE OR REPLACE TEMPORARY SEQUENCE test.t1", &st);
	assert_true(c->or_replace && c->temporary);
	check_name(&c->name, "test", "t1");
	sql_stmt_free(st);

	c = create_ok("CREATE TEMPORARY SEQUENCE `my db`.`a``b` START WITH 50", &st);
	check_name(&c->name, "my db", "a`b");
	sql_stmt_free(st);

	parse_err("CREATE OR REPLACE SEQUENCE IF NOT EXISTS s", 1221,
		  "Incorrect usage of OR REPLACE and IF NOT EXISTS");
	/* MariaDB checks right after the name, before the options */
	parse_err("CREATE OR REPLACE TEMPORARY SEQUENCE IF NOT EXISTS s start with 5.5", 1221, NULL);
}

static void test_create_syntax_errors(void **state)
{
	(void)state;
	syntax("CREATE SEQUENCE s3 NO MAXVALUE NO MINVALUE NO CYCLE", "CYCLE", 1);
	syntax("create sequence s no cache", "cache", 1);
	syntax("create sequence s no", "", 1);
	/* STARTS is a keyword: the options are checked first */
	syntax_later("CREATE SEQUENCE i1 STARTS WITH 1", "STARTS WITH 1");
	/* keywords after the options: checked first (4085 before the 1064);
	 * identifiers and table options' keywords: 1064 at once (MariaDB 10.11) */
	syntax_later("CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5 TEMPORARY", "TEMPORARY");
	syntax_later("CREATE SEQUENCE s START 1 value", "value");
	syntax_later("CREATE SEQUENCE s START 1 Type 1", "Type 1");
	syntax_later("CREATE SEQUENCE s START 1 ENGINE=x last", "last");
	syntax_later("CREATE SEQUENCE s START 1 AS 4", "AS 4");
	syntax("CREATE SEQUENCE s START 1 foo", "", 1);
	syntax("CREATE SEQUENCE s START 1 foo x", "x", 1);
	syntax("CREATE SEQUENCE s START 1 DATA", "", 1);
	syntax("CREATE SEQUENCE s START 1 PAGE_CHECKSUM", "", 1);
	syntax("create sequence s start with = 10", "= 10", 1);
	syntax("create sequence s increment by = 2", "= 2", 1);
	syntax_later("create sequence s maxvalue=13, increment by -1", ", increment by -1");
	syntax("create sequence s restart with 5", "restart with 5", 1);
	syntax("create sequence s RESTART", "RESTART", 1);
	syntax("create sequence s start with 5.5", "5.5", 1);
	syntax("create sequence s start with '5'", "'5'", 1);
	syntax("create sequence s start with 1e3", "1e3", 1);
	syntax("create sequence s start with 0x10", "0x10", 1);
	syntax("create sequence s start with (5)", "(5)", 1);
	syntax_later("create sequence s start with 5+1", "+1");
	syntax("create sequence s start with +-5", "-5", 1);
	syntax("create sequence s start with --5", "-5", 1);
	syntax("create sequence s start with x", "x", 1);
	syntax("create sequence s start with", "", 1);
	syntax("create sequence s cache .5", ".5", 1);
	syntax("create sequence s start with 9223372036854775808", "9223372036854775808", 1);
	syntax("create sequence s increment -9223372036854775808", "9223372036854775808", 1);
	syntax("create sequence s cache 99999999999999999999999", "99999999999999999999999", 1);
	syntax_later("create sequence s comment 'x' start with 3", "start with 3");
	syntax_later("create sequence s engine=innodb start with 3", "start with 3");
	syntax("create sequence s engine=innodb,", "", 1);
	syntax("create sequence s engine=innodb,,comment 'x'", ",comment 'x'", 1);
	syntax("create sequence s comment", "", 1);
	syntax("create sequence s comment x", "x", 1);
	syntax_later("CREATE TEMPORARY SEQUENCE s1 (s1 INT)", "(s1 INT)");
	syntax("CREATE SEQUENCE", "", 1);
	syntax_later("CREATE SEQUENCE s1 START WITH 1,", ",");
	syntax("CREATE TABLE t (a int)", "TABLE t (a int)", 1);
	syntax("create sequence select", "select", 1);
	syntax("create sequence maxvalue", "maxvalue", 1);
	syntax("create sequence 123", "123", 1);
	syntax("create sequence s.", "", 1);
	syntax("create or sequence s", "sequence s", 1);
	syntax("create sequence if exists s", "exists s", 1);
	syntax_later("create sequence s start with 1; select 1", "; select 1");
	syntax_later("create sequence s as float", "as float");
	syntax_later("create sequence s as int(10)", "(10)");
	syntax_later("create sequence s cycle = 1", "= 1");
	syntax_later("create sequence s nocycle 1", "1");
}

static void test_create_limits(void **state)
{
	struct sql_stmt *st;
	struct sql_create *c;

	(void)state;
	c = create_ok("create sequence s start with 9223372036854775807 "
		      "increment -9223372036854775807 cache 9223372036854775806",
		      &st);
	I128_EQ(c->opt.start, INT64_MAX);
	assert_int_equal(c->opt.increment, -INT64_MAX);
	assert_int_equal(c->opt.cache, 9223372036854775806LL);
	sql_stmt_free(st);

	c = create_ok("create sequence s start with -9223372036854775807", &st);
	I128_EQ(c->opt.start, -INT64_MAX);
	sql_stmt_free(st);

	/* MINVALUE/MAXVALUE: any length, clamped into [INT64_MIN, UINT64_MAX] */
	c = create_ok("create sequence s minvalue -9223372036854775808 maxvalue 9223372036854775807", &st);
	I128_EQ(c->opt.minvalue, INT64_MIN);
	I128_EQ(c->opt.maxvalue, INT64_MAX);
	sql_stmt_free(st);
	c = create_ok("create sequence s minvalue -999999999999999999999 "
		      "maxvalue 9999999999999999999999",
		      &st);
	I128_EQ(c->opt.minvalue, INT64_MIN);
	I128_EQ(c->opt.maxvalue, UINT64_MAX);
	sql_stmt_free(st);
	c = create_ok("create sequence s maxvalue 18446744073709551615 minvalue "
		      "999999999999999999999999999999999999999999999999999999",
		      &st);
	I128_EQ(c->opt.maxvalue, UINT64_MAX);
	I128_EQ(c->opt.minvalue, UINT64_MAX);
	sql_stmt_free(st);

	/* START above INT64_MAX only with AS … UNSIGNED (in any order) */
	c = create_ok("create sequence s as bigint unsigned start with 12345678901234567890", &st);
	I128_EQ(c->opt.start, 12345678901234567890ULL);
	assert_true(c->opt.is_unsigned);
	sql_stmt_free(st);
	c = create_ok("create sequence s start with 18446744073709551615 as bigint unsigned", &st);
	I128_EQ(c->opt.start, UINT64_MAX);
	sql_stmt_free(st);
	syntax("create sequence s start with 12345678901234567890", "12345678901234567890", 1);
	syntax("create sequence s start with 12345678901234567890 as bigint",
	       "12345678901234567890 as bigint", 1);
	syntax("create sequence s start with 18446744073709551616 as bigint unsigned",
	       "18446744073709551616 as bigint unsigned", 1);
	syntax("create sequence s start with -9223372036854775808", "9223372036854775808", 1);
}

static void test_create_as(void **state)
{
	static const struct {
		const char *sql;
		enum seq_type type;
		bool is_unsigned;
	} cases[] = {
		{"create sequence s as tinyint", SEQ_TYPE_TINYINT, false},
		{"create sequence s as tinyint unsigned", SEQ_TYPE_TINYINT, true},
		{"create sequence s as SMALLINT SIGNED", SEQ_TYPE_SMALLINT, false},
		{"create sequence s as mediumint unsigned", SEQ_TYPE_MEDIUMINT, true},
		{"create sequence s as int", SEQ_TYPE_INT, false},
		{"create sequence s as integer unsigned", SEQ_TYPE_INT, true},
		{"create sequence s as bigint", SEQ_TYPE_BIGINT, false},
		{"create sequence s start with 5 as bigint unsigned cache 5", SEQ_TYPE_BIGINT, true},
		{"create sequence s as int8 unsigned signed", SEQ_TYPE_BIGINT, true},
	};
	struct sql_stmt *st;
	struct sql_create *c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = create_ok(cases[i].sql, &st);
		assert_true(c->opt.given & SEQ_OPT_AS);
		assert_int_equal(c->opt.type, cases[i].type);
		assert_int_equal(c->opt.is_unsigned, cases[i].is_unsigned);
		sql_stmt_free(st);
	}
	parse_err("create sequence s as int zerofill", 1912, "Incorrect value 'ZEROFILL' for option 'AS'");
	parse_err("create sequence s as int unsigned zerofill start with 1", 1912, NULL);
	dup("create sequence s as int as bigint", "AS");
	syntax_later("create sequence s as", "as");
	syntax_later("create sequence s as zerofill", "as zerofill");
}

static void test_create_duplicates(void **state)
{
	(void)state;
	/* SEMANTICS §1.2, with the recommendation: every duplicate is 1225 */
	dup("create sequence e6 start with 1 start with 2", "START");
	dup("create sequence s start 1 start=2", "START");
	dup("create sequence s increment 1 increment 3", "INCREMENT");
	dup("create sequence s cache 5 nocache", "CACHE");
	dup("create sequence s nocache nocache", "CACHE");
	dup("create sequence s nocache cache 5", "CACHE");
	dup("create sequence s cycle nocycle", "CYCLE");
	dup("create sequence s cycle cycle", "CYCLE");
	dup("create sequence s maxvalue 5 maxvalue 7", "MAXVALUE");
	dup("create sequence s maxvalue 50 nomaxvalue", "MAXVALUE");
	dup("create sequence s nomaxvalue maxvalue 50", "MAXVALUE");
	dup("create sequence s no maxvalue nomaxvalue", "MAXVALUE");
	dup("create sequence s minvalue 5 no minvalue", "MINVALUE");
	dup("create sequence s no minvalue no minvalue", "MINVALUE");
	dup("create sequence s minvalue 5 nominvalue", "MINVALUE");
	dup("create sequence s no minvalue minvalue 3 no minvalue", "MINVALUE");
	/* 10.11 never counts MINVALUE n as a repetition: the last one wins */
	{
		struct sql_stmt *st;
		struct sql_create *c = create_ok("create sequence s minvalue 5 minvalue 7", &st);

		I128_EQ(c->opt.minvalue, 7);
		assert_false(c->opt.min_none);
		sql_stmt_free(st);
		c = create_ok("create sequence s start with 10 NO MINVALUE minvalue=1", &st);
		I128_EQ(c->opt.minvalue, 1);
		assert_false(c->opt.min_none);
		assert_true(c->opt.given & SEQ_OPT_MINVALUE);
		sql_stmt_free(st);
		c = create_ok("create sequence s nominvalue minvalue 3", &st);
		I128_EQ(c->opt.minvalue, 3);
		assert_false(c->opt.min_none);
		sql_stmt_free(st);
	}
	/* the value is parsed before the duplicate is noticed (as in MariaDB) */
	syntax("create sequence s start with 1 start with 5.5", "5.5", 1);
}

static void test_create_table_options(void **state)
{
	struct sql_stmt *st;
	struct sql_create *c;
	char sql[3000];

	(void)state;
	c = create_ok("create sequence s start with 3 engine=innodb, comment='hello'", &st);
	assert_string_equal(c->engine, "innodb");
	assert_string_equal(c->opt.comment, "hello");
	assert_int_equal(c->opt.given, SEQ_OPT_START | SEQ_OPT_ENGINE | SEQ_OPT_COMMENT);
	sql_stmt_free(st);

	c = create_ok("create sequence s COMMENT = 'it''s \\n\\t\\\\ \\' \\% \\x' 'more' ENGINE 'Aria'", &st);
	assert_string_equal(c->engine, "Aria");
	assert_string_equal(c->opt.comment, "it's \n\t\\ ' \\% xmore");
	assert_int_equal(c->opt.comment_len, strlen("it's \n\t\\ ' \\% xmore"));
	sql_stmt_free(st);

	c = create_ok("create sequence s comment \"dq \"\"x\"\" 'y'\" engine=MyISAM comment='second'", &st);
	assert_string_equal(c->opt.comment, "second");
	assert_string_equal(c->engine, "MyISAM");
	sql_stmt_free(st);

	c = create_ok("create sequence s comment 'a\\0b'", &st);
	assert_int_equal(c->opt.comment_len, 3);
	assert_memory_equal(c->opt.comment, "a\0b", 4);
	sql_stmt_free(st);

	/* SHMSEQ_COMMENT_MAX bytes fit, one more is 1628 */
	strcpy(sql, "create sequence s comment '");
	memset(sql + strlen(sql), 'c', SHMSEQ_COMMENT_MAX);
	strcpy(sql + strlen("create sequence s comment '") + SHMSEQ_COMMENT_MAX, "'");
	c = create_ok(sql, &st);
	assert_int_equal(c->opt.comment_len, SHMSEQ_COMMENT_MAX);
	sql_stmt_free(st);
	strcpy(sql, "create sequence s comment '");
	memset(sql + strlen(sql), 'c', SHMSEQ_COMMENT_MAX + 1);
	strcpy(sql + strlen("create sequence s comment '") + SHMSEQ_COMMENT_MAX + 1, "'");
	/* too long: the executor says 1628 after the options and the name */
	c = create_ok(sql, &st);
	assert_true(c->comment_too_long);
	assert_int_equal(c->opt.comment_len, 0);
	sql_stmt_free(st);

	syntax("create sequence s comment 'unterminated", "'unterminated", 1);
}

/* --- ALTER ---------------------------------------------------------------- */

static struct sql_alter *alter_ok(const char *sql, struct sql_stmt **st)
{
	*st = parse_ok(sql);
	assert_int_equal((*st)->kind, SQL_ALTER_SEQUENCE);
	return &(*st)->u.alter;
}

static void test_alter(void **state)
{
	struct sql_stmt *st;
	struct sql_alter *a;

	(void)state;
	a = alter_ok("ALTER SEQUENCE a1 INCREMENT BY 10", &st);
	check_name(&a->name, "", "a1");
	assert_false(a->if_exists);
	assert_int_equal(a->opt.given, SEQ_OPT_INCREMENT);
	assert_int_equal(a->opt.increment, 10);
	sql_stmt_free(st);

	a = alter_ok("ALTER SEQUENCE a1 RESTART", &st);
	assert_int_equal(a->opt.given, SEQ_OPT_RESTART);
	assert_false(a->opt.restart_with);
	sql_stmt_free(st);

	static const char *restarts[] = {
		"ALTER SEQUENCE a1 RESTART WITH 1000",
		"alter sequence a1 restart = 1000",
		"alter sequence a1 restart 1000",
		"alter sequence a1 restart +1000",
	};
	for (size_t i = 0; i < 4; i++) {
		a = alter_ok(restarts[i], &st);
		assert_true(a->opt.restart_with);
		I128_EQ(a->opt.restart, 1000);
		sql_stmt_free(st);
	}
	a = alter_ok("alter sequence a1 restart - 5 cycle", &st);
	I128_EQ(a->opt.restart, -5);
	assert_true(a->opt.cycle);
	sql_stmt_free(st);

	a = alter_ok("ALTER SEQUENCE a1 MAXVALUE 1015 CYCLE", &st);
	assert_int_equal(a->opt.given, SEQ_OPT_MAXVALUE | SEQ_OPT_CYCLE);
	sql_stmt_free(st);

	a = alter_ok("ALTER SEQUENCE IF EXISTS db1.nosuch RESTART", &st);
	assert_true(a->if_exists);
	check_name(&a->name, "db1", "nosuch");
	sql_stmt_free(st);

	a = alter_ok("alter sequence s start with 5 restart", &st);
	assert_int_equal(a->opt.given, SEQ_OPT_START | SEQ_OPT_RESTART);
	assert_false(a->opt.restart_with);
	sql_stmt_free(st);
	a = alter_ok("alter sequence s restart start with 5", &st);
	assert_false(a->opt.restart_with);
	I128_EQ(a->opt.start, 5);
	sql_stmt_free(st);
	a = alter_ok("alter sequence s minvalue 20 start 20 restart", &st);
	assert_int_equal(a->opt.given, SEQ_OPT_MINVALUE | SEQ_OPT_START | SEQ_OPT_RESTART);
	sql_stmt_free(st);
	a = alter_ok("alter sequence s no minvalue nomaxvalue nocache nocycle", &st);
	assert_true(a->opt.min_none && a->opt.max_none);
	sql_stmt_free(st);
	a = alter_ok("alter sequence s restart with 18446744073709551615", &st);
	I128_EQ(a->opt.restart, UINT64_MAX);
	sql_stmt_free(st);

	a = alter_ok("alter sequence s as smallint unsigned", &st);
	assert_int_equal(a->opt.given, SEQ_OPT_AS);
	assert_int_equal(a->opt.type, SEQ_TYPE_SMALLINT);
	assert_true(a->opt.is_unsigned);
	sql_stmt_free(st);

	syntax("ALTER SEQUENCE s", "", 1);
	syntax("ALTER SEQUENCE s\n", "", 2);
	syntax("ALTER SEQUENCE", "", 1);
	syntax("alter sequence s engine=myisam", "engine=myisam", 1);
	syntax("alter sequence s comment='x'", "comment='x'", 1);
	syntax("alter sequence s restart comment='x'", "comment='x'", 1);
	syntax("alter sequence s as int restart", "restart", 1);
	syntax("alter sequence s restart as int", "as int", 1);
	syntax("alter sequence s restart with", "", 1);
	syntax("alter sequence s restart with = 5", "= 5", 1);
	syntax("alter sequence s restart with 9223372036854775808x", "9223372036854775808x", 1);
	syntax("alter sequence s no cycle", "cycle", 1);
	syntax("alter sequence if not exists s restart", "not exists s restart", 1);
	syntax("alter table s restart", "table s restart", 1);
	dup("alter sequence s restart restart", "RESTART");
	dup("alter sequence s restart with 5 restart 6", "RESTART");
	dup("alter sequence s increment 1 increment 2", "INCREMENT");
	dup("alter sequence s minvalue 5 no minvalue", "MINVALUE");
	a = alter_ok("alter sequence s minvalue 5 minvalue 7", &st);
	I128_EQ(a->opt.minvalue, 7);
	sql_stmt_free(st);
	a = alter_ok("alter sequence s no minvalue minvalue 4", &st);
	I128_EQ(a->opt.minvalue, 4);
	assert_false(a->opt.min_none);
	sql_stmt_free(st);
}

/* --- DROP ----------------------------------------------------------------- */

static void test_drop(void **state)
{
	struct sql_stmt *st;
	struct sql_drop *d;

	(void)state;
	/* .name: the current database; any word after the dot */
	st = parse_ok("DROP SEQUENCE .x1, . `x2`, .select");
	assert_int_equal(st->u.drop.n_names, 3);
	assert_string_equal(st->u.drop.names[0].db, "");
	assert_string_equal(st->u.drop.names[0].name, "x1");
	assert_string_equal(st->u.drop.names[1].name, "x2");
	assert_string_equal(st->u.drop.names[2].db, "");
	assert_string_equal(st->u.drop.names[2].name, "select");
	sql_stmt_free(st);
	syntax("DROP SEQUENCE .db.x1", ".x1", 1);
	syntax("DROP SEQUENCE ..x1", ".x1", 1);
	syntax("DROP SEQUENCE .5", ".5", 1);
	parse_err("DROP SEQUENCE .``", 1103, "Incorrect table name ''");
	/* a 1064 that waits for the option check (4085 first) */
	syntax_later("CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5 ENGINE=InnoDB 5", "5");
	syntax_later("CREATE SEQUENCE s COMMENT 'x' START WITH 1", "START WITH 1");
	syntax_later("CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5 SELECT", "SELECT");
	syntax("CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5 junk", "", 1);
	syntax("CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5 DEFAULT", "", 1);
	syntax("CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5 ENGINE=InnoDB, 5", "5", 1);
	st = parse_ok("CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5");
	assert_null(st->u.create.after_options);
	sql_stmt_free(st);
	/* an error after two complete names waits for the 1066 check */
	st = parse_ok("DROP SEQUENCE x1, db.x1 junk");
	d = &st->u.drop;
	assert_int_equal(d->n_names, 2);
	assert_non_null(d->after_names);
	assert_int_equal(d->after_names->code, 1064);
	assert_non_null(strstr(d->after_names->message, "near 'junk' at line 1"));
	sql_stmt_free(st);
	st = parse_ok("DROP SEQUENCE x1, x2, ``");
	assert_int_equal(st->u.drop.n_names, 2);
	assert_int_equal(st->u.drop.after_names->code, 1103);
	sql_stmt_free(st);
	syntax("DROP SEQUENCE x1 junk, x1", "junk, x1", 1);
	syntax("DROP SEQUENCE x1, x1.", "", 1);
	st = parse_ok("DROP SEQUENCE x1, x2");
	assert_null(st->u.drop.after_names);
	sql_stmt_free(st);
	st = parse_ok("DROP SEQUENCE x1, x2");
	assert_int_equal(st->kind, SQL_DROP);
	d = &st->u.drop;
	assert_int_equal(d->kind, SQL_DROP_SEQUENCE);
	assert_false(d->temporary || d->if_exists);
	assert_int_equal(d->n_names, 2);
	check_name(&d->names[0], "", "x1");
	check_name(&d->names[1], "", "x2");
	sql_stmt_free(st);

	st = parse_ok("drop temporary sequence if exists a, test.nosuch, `t`, a");
	d = &st->u.drop;
	assert_true(d->temporary && d->if_exists);
	assert_int_equal(d->n_names, 4);
	check_name(&d->names[1], "test", "nosuch");
	check_name(&d->names[3], "", "a");
	sql_stmt_free(st);

	st = parse_ok("DROP TABLE IF EXISTS s, nosuch");
	assert_int_equal(st->u.drop.kind, SQL_DROP_TABLE);
	assert_true(st->u.drop.if_exists);
	sql_stmt_free(st);
	st = parse_ok("drop temporary table t1");
	assert_int_equal(st->u.drop.kind, SQL_DROP_TABLE);
	assert_true(st->u.drop.temporary);
	sql_stmt_free(st);
	st = parse_ok("DROP VIEW IF EXISTS s");
	assert_int_equal(st->u.drop.kind, SQL_DROP_VIEW);
	sql_stmt_free(st);

	/* many names: the array grows */
	{
		char sql[4096] = "drop sequence n0";

		for (int i = 1; i < 200; i++)
			snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ",n%d", i);
		st = parse_ok(sql);
		assert_int_equal(st->u.drop.n_names, 200);
		check_name(&st->u.drop.names[199], "", "n199");
		sql_stmt_free(st);
	}

	syntax("DROP SEQUENCE", "", 1);
	syntax("DROP SEQUENCE a,", "", 1);
	syntax("DROP SEQUENCE a b", "b", 1);
	syntax("DROP TEMPORARY VIEW v", "VIEW v", 1);
	syntax("DROP SEQUENCE IF s", "s", 1);
	syntax("DROP DATABASE d", "DATABASE d", 1);
}

/* --- SELECT / DO ---------------------------------------------------------- */

/* kind: the expression's kind, or ITEM_STAR */
#define ITEM_STAR 0
static void check_item(const struct sql_item *it, int kind, const char *text)
{
	if (kind == ITEM_STAR) {
		assert_int_equal(it->kind, SQL_ITEM_STAR);
	} else {
		assert_int_equal(it->kind, SQL_ITEM_EXPR);
		assert_int_equal(it->expr->kind, kind);
	}
	assert_string_equal(it->text, text);
	assert_int_equal(it->text_len, strlen(text));
}

static struct sql_select *select_ok(const char *sql, struct sql_stmt **st)
{
	*st = parse_ok(sql);
	assert_int_equal((*st)->kind, SQL_SELECT);
	return &(*st)->u.select;
}

static void test_select_items(void **state)
{
	struct sql_stmt *st;
	struct sql_select *s;

	(void)state;
	s = select_ok("SELECT NEXTVAL(s1)", &st);
	assert_int_equal(s->n_items, 1);
	check_item(&s->items[0], SQL_EXPR_NEXTVAL, "NEXTVAL(s1)");
	check_name(&s->items[0].expr->seq, "", "s1");
	assert_false(s->items[0].has_alias);
	assert_string_equal(s->items[0].name, "NEXTVAL(s1)");
	assert_false(s->has_from);
	assert_null(s->where);
	sql_stmt_free(st);

	s = select_ok("SELECT NEXTVAL(s1), NEXTVAL(s1)", &st);
	assert_int_equal(s->n_items, 2);
	check_item(&s->items[1], SQL_EXPR_NEXTVAL, "NEXTVAL(s1)");
	sql_stmt_free(st);

	s = select_ok("SELECT NEXT VALUE FOR s1", &st);
	check_item(&s->items[0], SQL_EXPR_NEXTVAL, "NEXT VALUE FOR s1");
	sql_stmt_free(st);
	s = select_ok("SELECT LASTVAL(s1), PREVIOUS VALUE FOR test.s1", &st);
	check_item(&s->items[0], SQL_EXPR_LASTVAL, "LASTVAL(s1)");
	check_item(&s->items[1], SQL_EXPR_LASTVAL, "PREVIOUS VALUE FOR test.s1");
	check_name(&s->items[1].expr->seq, "test", "s1");
	sql_stmt_free(st);

	s = select_ok("select nextval(`my seq`), next value for `my seq`", &st);
	check_item(&s->items[0], SQL_EXPR_NEXTVAL, "nextval(`my seq`)");
	check_item(&s->items[1], SQL_EXPR_NEXTVAL, "next value for `my seq`");
	check_name(&s->items[1].expr->seq, "", "my seq");
	sql_stmt_free(st);

	s = select_ok("Select NextVal(s3)", &st);
	check_item(&s->items[0], SQL_EXPR_NEXTVAL, "NextVal(s3)");
	sql_stmt_free(st);

	/* spacing and comments inside an item are part of its text */
	s = select_ok("select  nextval ( s1 ) ,next/*x*/value for\ns1", &st);
	check_item(&s->items[0], SQL_EXPR_NEXTVAL, "nextval ( s1 )");
	check_item(&s->items[1], SQL_EXPR_NEXTVAL, "next/*x*/value for\ns1");
	sql_stmt_free(st);

	s = select_ok("SELECT SETVAL(v1, 100)", &st);
	check_item(&s->items[0], SQL_EXPR_SETVAL, "SETVAL(v1, 100)");
	assert_int_equal(s->items[0].expr->setval_value, 100);
	assert_true(s->items[0].expr->setval_is_used);
	assert_int_equal(s->items[0].expr->setval_round, 0);
	sql_stmt_free(st);
	s = select_ok("SELECT SETVAL(v1, 200, 0)", &st);
	check_item(&s->items[0], SQL_EXPR_SETVAL, "SETVAL(v1, 200, 0)");
	assert_false(s->items[0].expr->setval_is_used);
	sql_stmt_free(st);
	s = select_ok("SELECT SETVAL(w1, 5, 1, 2)", &st);
	assert_true(s->items[0].expr->setval_is_used);
	assert_int_equal(s->items[0].expr->setval_round, 2);
	sql_stmt_free(st);
	s = select_ok("select setval(s,300,2), setval(s, -9223372036854775807, false, "
		      "18446744073709551615), setval(s, - 5, TRUE), setval(s, +5, 00)",
		      &st);
	assert_true(s->items[0].expr->setval_is_used);
	assert_int_equal(s->items[1].expr->setval_value, -INT64_MAX);
	assert_false(s->items[1].expr->setval_is_used);
	assert_true(s->items[1].expr->setval_round == UINT64_MAX);
	assert_int_equal(s->items[2].expr->setval_value, -5);
	assert_true(s->items[2].expr->setval_is_used);
	assert_int_equal(s->items[3].expr->setval_value, 5);
	assert_false(s->items[3].expr->setval_is_used);
	check_item(&s->items[2], SQL_EXPR_SETVAL, "setval(s, - 5, TRUE)");
	assert_false(s->items[0].expr->setval_big);
	sql_stmt_free(st);
	s = select_ok("SELECT SETVAL(u, 9223372036854775808), SETVAL(u, 18446744073709551615)", &st);
	assert_true(s->items[0].expr->setval_big);
	assert_true((uint64_t)s->items[0].expr->setval_value == 9223372036854775808ull);
	assert_true(s->items[1].expr->setval_big);
	assert_true((uint64_t)s->items[1].expr->setval_value == UINT64_MAX);
	sql_stmt_free(st);

	s = select_ok("SELECT * FROM s1", &st);
	check_item(&s->items[0], ITEM_STAR, "*");
	assert_true(s->has_from);
	check_name(&s->from, "", "s1");
	sql_stmt_free(st);

	s = select_ok("SELECT *, nextval(s) FROM s", &st);
	assert_int_equal(s->n_items, 2);
	sql_stmt_free(st);

	s = select_ok("SELECT next_not_cached_value, cycle_count, s.increment FROM c1", &st);
	check_item(&s->items[0], SQL_EXPR_COLUMN, "next_not_cached_value");
	assert_string_equal(s->items[0].expr->column, "next_not_cached_value");
	assert_string_equal(s->items[0].expr->table, "");
	assert_string_equal(s->items[2].expr->table, "s");
	assert_string_equal(s->items[2].expr->column, "increment");
	sql_stmt_free(st);

	/* column names that look like our keywords */
	s = select_ok("select nextval, lastval, next, cache, start from s", &st);
	assert_int_equal(s->n_items, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(s->items[i].kind, SQL_EXPR_COLUMN);
	sql_stmt_free(st);

	s = select_ok("SELECT 1, -5, + 7, NULL, true, FALSE, 99999999999999999999999", &st);
	check_item(&s->items[0], SQL_EXPR_INT, "1");
	I128_EQ(s->items[0].expr->ival, 1);
	check_item(&s->items[1], SQL_EXPR_INT, "-5");
	I128_EQ(s->items[1].expr->ival, -5);
	check_item(&s->items[2], SQL_EXPR_INT, "+ 7");
	check_item(&s->items[3], SQL_EXPR_NULL, "NULL");
	check_item(&s->items[4], SQL_EXPR_INT, "true");
	I128_EQ(s->items[4].expr->ival, 1);
	I128_EQ(s->items[5].expr->ival, 0);
	/* beyond 2^64-1 a literal is DECIMAL, with its digits as typed */
	assert_int_equal(s->items[6].expr->kind, SQL_EXPR_DECIMAL);
	assert_string_equal(s->items[6].expr->str, "99999999999999999999999");
	assert_int_equal(s->items[6].expr->scale, 0);
	sql_stmt_free(st);

	/* aliases */
	s = select_ok("select nextval(s) as n, lastval(s) l, 1 AS `x y`, 2 'str', "
		      "3 as \"dq\", 4 AS 'a' 'b' from s",
		      &st);
	assert_string_equal(s->items[0].name, "n");
	check_item(&s->items[0], SQL_EXPR_NEXTVAL, "nextval(s)");
	assert_string_equal(s->items[1].name, "l");
	assert_string_equal(s->items[2].name, "x y");
	assert_string_equal(s->items[3].name, "str");
	assert_string_equal(s->items[4].name, "dq");
	assert_string_equal(s->items[5].name, "ab");
	assert_int_equal(s->items[5].name_len, 2);
	sql_stmt_free(st);

	s = select_ok("SELECT * FROM information_schema.SEQUENCES", &st);
	check_name(&s->from, "information_schema", "SEQUENCES");
	sql_stmt_free(st);
	s = select_ok("SELECT 1 FROM DUAL", &st);
	assert_false(s->has_from);
	sql_stmt_free(st);
	s = select_ok("select nextval(db.select)", &st);
	check_name(&s->items[0].expr->seq, "db", "select");
	sql_stmt_free(st);
}

static void test_select_errors(void **state)
{
	(void)state;
	syntax("SELECT", "", 1);
	syntax("SELECT 1,", "", 1);
	syntax("SELECT 1, *", "*", 1);
	syntax("SELECT * AS x FROM s", "AS x FROM s", 1);
	syntax("SELECT nextval(s", "", 1);
	syntax("SELECT nextval()", ")", 1);
	syntax("SELECT nextval(s, 1)", ", 1)", 1);
	syntax("SELECT next value s", "s", 1);
	syntax("SELECT next value for", "", 1);
	syntax("SELECT previous value from s", "from s", 1);
	syntax("SELECT setval(s)", ")", 1);
	syntax("SELECT setval(s, x)", "x)", 1);
	syntax("SELECT setval(s, 1+1)", "+1)", 1);
	syntax("SELECT setval(s, NULL)", "NULL)", 1);
	syntax("SELECT setval(s, @v)", "@v)", 1);
	syntax("SELECT setval(s, 5.5)", "5.5)", 1);
	/* above INT64_MAX only an unsigned sequence can take it (the executor
	 * decides); 2^64 fits no sequence at all */
	syntax("SELECT setval(s, 18446744073709551616)", "18446744073709551616)", 1);
	syntax("SELECT setval(s, -9223372036854775808)", "9223372036854775808)", 1);
	syntax("SELECT setval(s, 5, -1)", "-1)", 1);
	syntax("SELECT setval(s, 5, 1, -1)", "-1)", 1);
	syntax("SELECT setval(s, 5, 1, 0x10)", "0x10)", 1);
	syntax("SELECT setval(s, +2147483648)", "2147483648)", 1);
	syntax("SELECT setval(s, 5, +TRUE)", "TRUE)", 1);
	syntax("CREATE SEQUENCE s START WITH +3000000000", "3000000000", 1);
	syntax("CREATE SEQUENCE s CACHE +02147483648", "02147483648", 1);
	syntax("ALTER SEQUENCE s RESTART +3000000000", "3000000000", 1);
	{
		/* round and is_used are MariaDB's ulong_num: plus, decimals
		 * (integer part), saturation at 2^64-1 */
		struct sql_stmt *st = parse_ok("SELECT setval(s, +2147483647, +0.5, +18446744073709551616)");
		struct sql_expr *x = st->u.select.items[0].expr;

		assert_true(x->setval_value == 2147483647);
		assert_false(x->setval_is_used);
		assert_true(x->setval_round == UINT64_MAX);
		sql_stmt_free(st);
	}
	syntax("SELECT setval(s, 5, 1, 2, 3)", ", 3)", 1);
	syntax("SELECT setval(s, 5, yes)", "yes)", 1);
	syntax("SELECT 0x10", "0x10", 1);
	syntax("SELECT 1.5.5", ".5", 1); /* as MariaDB: 1.5 then .5 */
	syntax("SELECT nextval(s) FROM", "", 1);
	syntax("SELECT nextval(s) AS", "", 1);
	syntax("SELECT nextval(s) AS select", "select", 1);
	syntax("SELECT nextval(s) FROM s LIMIT -1", "-1", 1);
	syntax("SELECT nextval(s) FROM s LIMIT 1.5", "1.5", 1);
	syntax("SELECT * FROM s LIMIT 18446744073709551616", "18446744073709551616", 1);
	syntax("SELECT * FROM s LIMIT @x", "@x", 1);
	syntax("SELECT * FROM s ORDER 1", "1", 1);
	syntax("SELECT * FROM s LIMIT 1 ORDER BY 1", "ORDER BY 1", 1);
	syntax("SELECT a b c", "c", 1);
	syntax("SELECT now()", "()", 1);
	syntax("SELECT s.", "", 1);
	syntax("select\n  nextval(s1),\n  nextval(s2) +\n  ", "", 4);
	syntax("select\n  nextval(s1),\n  nextval(s2) !\n  1", "!\n  1", 3);
}

static void test_select_where(void **state)
{
	struct sql_stmt *st;
	struct sql_select *s;
	struct sql_expr *w, *e;

	(void)state;
	s = select_ok("SELECT * FROM information_schema.SEQUENCES WHERE sequence_name = 's1'", &st);
	w = s->where;
	assert_non_null(w);
	assert_int_equal(w->kind, SQL_EXPR_CMP);
	assert_int_equal(w->cmp, SQL_CMP_EQ);
	assert_int_equal(w->l->kind, SQL_EXPR_COLUMN);
	assert_string_equal(w->l->column, "sequence_name");
	assert_int_equal(w->r->kind, SQL_EXPR_STRING);
	assert_string_equal(w->r->str, "s1");
	sql_stmt_free(st);

	s = select_ok("select a from s where d != 4 and e<5 and f>6 and g<=7 and h>=8", &st);
	assert_int_equal(s->where->n_args, 5);
	assert_int_equal(s->where->args[0]->cmp, SQL_CMP_NE);
	assert_int_equal(s->where->args[1]->cmp, SQL_CMP_LT);
	assert_int_equal(s->where->args[2]->cmp, SQL_CMP_GT);
	assert_int_equal(s->where->args[3]->cmp, SQL_CMP_LE);
	assert_int_equal(s->where->args[4]->cmp, SQL_CMP_GE);
	sql_stmt_free(st);
	s = select_ok("select a from s where i is null and j is not null", &st);
	assert_int_equal(s->where->args[0]->kind, SQL_EXPR_IS_NULL);
	assert_false(s->where->args[0]->negated);
	assert_true(s->where->args[1]->negated);
	sql_stmt_free(st);
	syntax("select a from s where i is 5", "5", 1);

	s = select_ok("select a from s where a = 1 and (b <> 'x' or not c >= -3) and s.d != NULL", &st);
	w = s->where;
	assert_int_equal(w->kind, SQL_EXPR_AND);
	assert_int_equal(w->n_args, 3);
	assert_int_equal(w->args[0]->kind, SQL_EXPR_CMP);
	I128_EQ(w->args[0]->r->ival, 1);
	e = w->args[1];
	assert_int_equal(e->kind, SQL_EXPR_OR);
	assert_int_equal(e->n_args, 2);
	assert_int_equal(e->args[0]->cmp, SQL_CMP_NE);
	assert_int_equal(e->args[1]->kind, SQL_EXPR_NOT);
	assert_int_equal(e->args[1]->l->kind, SQL_EXPR_CMP);
	assert_int_equal(e->args[1]->l->cmp, SQL_CMP_GE);
	I128_EQ(e->args[1]->l->r->ival, -3);
	e = w->args[2];
	assert_int_equal(e->cmp, SQL_CMP_NE);
	assert_string_equal(e->l->table, "s");
	assert_string_equal(e->l->column, "d");
	assert_int_equal(e->r->kind, SQL_EXPR_NULL);
	sql_stmt_free(st);

	/* precedence: AND binds tighter than OR; comparisons chain left */
	s = select_ok("select 1 where 1 = 0 or a < b and true", &st);
	w = s->where;
	assert_int_equal(w->kind, SQL_EXPR_OR);
	assert_int_equal(w->args[1]->kind, SQL_EXPR_AND);
	assert_int_equal(w->args[1]->args[0]->cmp, SQL_CMP_LT);
	I128_EQ(w->args[1]->args[1]->ival, 1);
	sql_stmt_free(st);
	s = select_ok("select 1 where a = b = c", &st);
	assert_int_equal(s->where->kind, SQL_EXPR_CMP);
	assert_int_equal(s->where->l->kind, SQL_EXPR_CMP);
	sql_stmt_free(st);
	s = select_ok("select 1 where 1", &st);
	assert_int_equal(s->where->kind, SQL_EXPR_INT);
	sql_stmt_free(st);

	syntax("select 1 where", "", 1);
	syntax("select 1 where a =", "", 1);
	syntax("select 1 where (a = 1", "", 1);
	syntax("select 1 where a = 1)", ")", 1);
	syntax("select 1 where a <=> 1", "<=> 1", 1);
	syntax("select 1 where a and", "", 1);
	syntax("select 1 where not", "", 1);

	/* bounded depth: a long flat AND list is fine, deep nesting is not */
	{
		size_t n = 4000, k = 0;
		char *sql = malloc(n * 10 + 64);

		k += sprintf(sql, "select 1 where a=1");
		for (size_t i = 0; i < n; i++)
			k += sprintf(sql + k, " and a=1");
		st = parse_ok(sql);
		assert_int_equal(st->u.select.where->n_args, n + 1);
		sql_stmt_free(st);

		k = sprintf(sql, "select 1 where ");
		for (int i = 0; i < SQL_MAX_DEPTH - 1; i++)
			sql[k++] = '(';
		sql[k++] = '1';
		for (int i = 0; i < SQL_MAX_DEPTH - 1; i++)
			sql[k++] = ')';
		sql[k] = '\0';
		st = parse_ok(sql);
		sql_stmt_free(st);

		k = sprintf(sql, "select 1 where ");
		for (int i = 0; i < 1000; i++)
			sql[k++] = '(';
		sql[k] = '\0';
		parse_err(sql, 1064, NULL);

		k = sprintf(sql, "select 1 where ");
		for (int i = 0; i < 1000; i++)
			k += sprintf(sql + k, "not ");
		k += sprintf(sql + k, "1");
		parse_err(sql, 1064, NULL);

		k = sprintf(sql, "select 1 where a");
		for (int i = 0; i < 1000; i++)
			k += sprintf(sql + k, "=a");
		parse_err(sql, 1064, NULL);
		free(sql);
	}
}

static void test_do(void **state)
{
	struct sql_stmt *st;

	(void)state;
	st = parse_ok("DO NEXTVAL(s), SETVAL(`d`, -11, 0), LASTVAL(s), next value for s");
	assert_int_equal(st->kind, SQL_DO);
	assert_int_equal(st->u.do_.n_items, 4);
	check_item(&st->u.do_.items[1], SQL_EXPR_SETVAL, "SETVAL(`d`, -11, 0)");
	check_name(&st->u.do_.items[1].expr->seq, "", "d");
	assert_int_equal(st->u.do_.items[1].expr->setval_value, -11);
	assert_false(st->u.do_.items[1].expr->setval_is_used);
	sql_stmt_free(st);

	syntax("DO", "", 1);
	syntax("DO *", "*", 1);
	syntax("DO nextval(s) AS x", "AS x", 1);
	syntax("DO nextval(s) x", "x", 1);
}

/* --- expressions ---------------------------------------------------------- */

static struct sql_expr *item_expr(const char *sql, struct sql_stmt **st)
{
	struct sql_select *s = select_ok(sql, st);

	assert_int_equal(s->items[0].kind, SQL_ITEM_EXPR);
	return s->items[0].expr;
}

static void test_expressions(void **state)
{
	struct sql_stmt *st;
	struct sql_expr *e;

	(void)state;
	/* * binds tighter than +, both left-associative */
	e = item_expr("select 2 + 3 * 4 - 5", &st);
	assert_int_equal(e->kind, SQL_EXPR_ARITH);
	assert_int_equal(e->op, SQL_OP_SUB);
	assert_int_equal(e->l->op, SQL_OP_ADD);
	assert_int_equal(e->l->r->op, SQL_OP_MUL);
	I128_EQ(e->r->ival, 5);
	sql_stmt_free(st);
	e = item_expr("select 8 div 2 mod 3 / 4 % 5", &st);
	assert_int_equal(e->op, SQL_OP_MOD);
	assert_int_equal(e->l->op, SQL_OP_DIV);
	assert_int_equal(e->l->l->op, SQL_OP_MOD);
	assert_int_equal(e->l->l->l->op, SQL_OP_INTDIV);
	sql_stmt_free(st);
	e = item_expr("select (2 + 3) * 4", &st);
	assert_int_equal(e->op, SQL_OP_MUL);
	assert_int_equal(e->l->op, SQL_OP_ADD);
	assert_string_equal(e->l->text, "2 + 3"); /* the parentheses are not its text */
	sql_stmt_free(st);

	/* a minus over a number literal is folded into it, over anything
	 * else it is a node; a plus is nothing */
	e = item_expr("select -5", &st);
	assert_int_equal(e->kind, SQL_EXPR_INT);
	I128_EQ(e->ival, -5);
	assert_true(e->negated);
	sql_stmt_free(st);
	e = item_expr("select - - 5", &st);
	I128_EQ(e->ival, 5);
	sql_stmt_free(st);
	e = item_expr("select -18446744073709551615", &st);
	I128_EQ(e->ival, -(__int128)UINT64_MAX);
	sql_stmt_free(st);
	e = item_expr("select -1.50", &st);
	assert_int_equal(e->kind, SQL_EXPR_DECIMAL);
	assert_true(e->neg_value);
	assert_string_equal(e->str, "150");
	assert_int_equal(e->scale, 2);
	sql_stmt_free(st);
	e = item_expr("select -nextval(s)", &st);
	assert_int_equal(e->kind, SQL_EXPR_NEG);
	assert_int_equal(e->l->kind, SQL_EXPR_NEXTVAL);
	sql_stmt_free(st);
	e = item_expr("select +nextval(s)", &st);
	assert_int_equal(e->kind, SQL_EXPR_NEXTVAL);
	sql_stmt_free(st);
	e = item_expr("select .5 + 1. + 0.25", &st);
	assert_int_equal(e->r->kind, SQL_EXPR_DECIMAL);
	assert_string_equal(e->r->str, "025");
	assert_int_equal(e->r->scale, 2);
	assert_string_equal(e->l->l->str, "5");
	assert_int_equal(e->l->l->scale, 1);
	assert_string_equal(e->l->r->str, "1");
	assert_int_equal(e->l->r->scale, 0);
	sql_stmt_free(st);
	/* 1.5abc is 1.5 and an alias, as in MariaDB */
	st = parse_ok("select 1.5abc");
	assert_string_equal(st->u.select.items[0].name, "abc");
	sql_stmt_free(st);

	/* comparisons, LIKE, IS NULL chain left to right over + and -; NOT
	 * is looser than all of them */
	e = item_expr("select not a + 1 = 2 like 'x' is not null", &st);
	assert_int_equal(e->kind, SQL_EXPR_NOT);
	e = e->l;
	assert_int_equal(e->kind, SQL_EXPR_IS_NULL);
	assert_true(e->negated);
	assert_int_equal(e->l->kind, SQL_EXPR_LIKE);
	assert_false(e->l->negated);
	assert_int_equal(e->l->l->kind, SQL_EXPR_CMP);
	assert_int_equal(e->l->l->l->kind, SQL_EXPR_ARITH);
	sql_stmt_free(st);
	e = item_expr("select a not like b", &st);
	assert_int_equal(e->kind, SQL_EXPR_LIKE);
	assert_true(e->negated);
	sql_stmt_free(st);

	/* functions and variables */
	e = item_expr("select count(*) + count(nextval(s))", &st);
	assert_int_equal(e->l->kind, SQL_EXPR_COUNT);
	assert_null(e->l->l);
	assert_int_equal(e->r->l->kind, SQL_EXPR_NEXTVAL);
	sql_stmt_free(st);
	e = item_expr("select @`a b` + @'c' + @\"d\" + @e", &st);
	assert_string_equal(e->r->str, "e");
	assert_string_equal(e->l->r->str, "d");
	assert_string_equal(e->l->l->r->str, "c");
	assert_string_equal(e->l->l->l->str, "a b");
	sql_stmt_free(st);
	parse_err("select @@version", 1193, "Unknown system variable 'version'");
	parse_err("select @@session.sql_mode", 1193, "Unknown system variable 'sql_mode'");

	syntax("select 1 +", "", 1);
	syntax("select 1 * * 2", "* 2", 1);
	syntax("select 1 = not 0", "not 0", 1);
	syntax("select 1 is 2", "2", 1);
	syntax("select 1 like", "", 1);
	syntax("select count(*", "", 1);
	syntax("select abs(1)", "(1)", 1);
	syntax("select 1 ! 2", "! 2", 1);
	syntax("select @x := 1", ":= 1", 1);
	{
		/* a float literal is a DOUBLE, named as typed */
		struct sql_stmt *st = parse_ok("select 1e3, -2.5E-3");

		assert_int_equal(st->u.select.items[0].expr->kind, SQL_EXPR_DOUBLE);
		assert_string_equal(st->u.select.items[0].name, "1e3");
		assert_int_equal(st->u.select.items[1].expr->kind, SQL_EXPR_DOUBLE);
		assert_true(st->u.select.items[1].expr->neg_value);
		sql_stmt_free(st);
	}
	/* more than 81 significant digits fit no DECIMAL */
	syntax("select 1234567890123456789012345678901234567890123456789012345678901234567890123456789012",
	       "12345678901234567890123456789012345678901234567890123456789012345678901234567...", 1);

	/* bounded height: chains of operators, minus signs, parentheses */
	{
		char *sql = malloc(8192);
		size_t k = sprintf(sql, "select 1");

		for (int i = 0; i < SQL_MAX_DEPTH - 1; i++)
			k += sprintf(sql + k, "+1");
		sql_stmt_free(parse_ok(sql));
		k = sprintf(sql, "select 1");
		for (int i = 0; i < 1000; i++)
			k += sprintf(sql + k, "+1");
		parse_err(sql, 1064, NULL);
		k = sprintf(sql, "select ");
		for (int i = 0; i < 1000; i++)
			sql[k++] = '-';
		strcpy(sql + k, "1");
		parse_err(sql, 1064, NULL);
		k = sprintf(sql, "select ");
		for (int i = 0; i < 1000; i++)
			k += sprintf(sql + k, "count(");
		parse_err(sql, 1064, NULL);
		free(sql);
	}
}

/* MariaDB's column headings: an alias, a literal's own name, a column's
 * name, else the text as typed. */
static void test_item_names(void **state)
{
	static const struct {
		const char *sql, *name;
	} cases[] = {
		{"select nextval(s)+1", "nextval(s)+1"},
		{"select (3)", "3"},
		{"select +3", "3"},
		{"select + 3", "3"},
		{"select 00012", "00012"},
		{"select -00012", "-00012"},
		{"select (-3)", "(-3)"},
		{"select - - 3", "- - 3"},
		{"select true", "TRUE"},
		{"select FALSE", "FALSE"},
		{"select -true", "-true"},
		{"select null", "NULL"},
		{"select (null)", "NULL"},
		{"select +null", "NULL"},
		{"select -null", "-null"},
		{"select 'a' 'b'", "ab"},
		{"select ''", ""},
		{"select +'abc'", "abc"},
		{"select 1.50", "1.50"},
		{"select (next_not_cached_value) from s", "next_not_cached_value"},
		{"select +s.increment from s", "increment"},
		{"select @x", "@x"},
		{"select (@x)", "(@x)"},
		{"select COUNT( * )", "COUNT( * )"},
		{"select nextval(s) as `my id`", "my id"},
		{"select 1 'lit'", "lit"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sql_stmt *st = parse_ok(cases[i].sql);
		const struct sql_item *it = &st->u.select.items[0];

		if (strlen(cases[i].name) != it->name_len || memcmp(cases[i].name, it->name, it->name_len))
			fail_msg("[%s]: name [%.*s], want [%s]", cases[i].sql, (int)it->name_len, it->name,
				 cases[i].name);
		sql_stmt_free(st);
	}
}

static void test_select_clauses(void **state)
{
	struct sql_stmt *st;
	struct sql_select *s;

	(void)state;
	s = select_ok("select a.increment from s as a where a.increment = 1 order by 1 desc, increment "
		      "asc, -a.increment limit 2, 3",
		      &st);
	assert_string_equal(s->alias, "a");
	assert_int_equal(s->n_order, 3);
	assert_true(s->order[0].desc);
	assert_false(s->order[1].desc);
	assert_int_equal(s->order[2].expr->kind, SQL_EXPR_NEG);
	assert_true(s->has_limit);
	assert_int_equal(s->offset, 2);
	assert_int_equal(s->limit, 3);
	sql_stmt_free(st);
	s = select_ok("select * from s b limit 18446744073709551615 offset 7", &st);
	assert_string_equal(s->alias, "b");
	assert_true(s->limit == UINT64_MAX);
	assert_int_equal(s->offset, 7);
	sql_stmt_free(st);
	s = select_ok("select * from s", &st);
	assert_string_equal(s->alias, "");
	assert_false(s->has_limit);
	sql_stmt_free(st);
	syntax("select * from s as", "", 1);
	syntax("select * from s as limit", "limit", 1);
	syntax("select * from s a b", "b", 1);
	syntax("select * from s, t", "t", 1); /* MariaDB takes the comma */
	/* the near text: at most 80 bytes, else 77 and "..." (MariaDB's %-.80T) */
	syntax("select 1 )xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	       ")xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1);
	parse_err(
		"select 1 )xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		1064,
		"You have an error in your SQL syntax; check the manual that corresponds to your "
		"MariaDB server version for the right syntax to use near "
		"')xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' at line "
		"1");
	syntax("select * from s order by", "", 1);
	syntax("select * from s limit 1, 2 offset 3", "offset 3", 1);
}

static void test_set(void **state)
{
	struct sql_stmt *st;

	(void)state;
	st = parse_ok("SET @x = NEXTVAL(s), @`y` := @x + 1");
	assert_int_equal(st->kind, SQL_SET);
	assert_int_equal(st->u.set.n, 2);
	assert_string_equal(st->u.set.v[0].var, "x");
	assert_int_equal(st->u.set.v[0].expr->kind, SQL_EXPR_NEXTVAL);
	assert_string_equal(st->u.set.v[1].var, "y");
	assert_int_equal(st->u.set.v[1].expr->kind, SQL_EXPR_ARITH);
	sql_stmt_free(st);
	syntax("SET", "", 1);
	syntax("SET @x", "", 1);
	syntax("SET @x = ", "", 1);
	syntax("SET @x 1", "1", 1);
	syntax("SET NAMES utf8", "utf8", 1);
	parse_err("SET x = 1", 1193, "Unknown system variable 'x'");
	parse_err("SET @x = 1, y = 2", 1193, NULL);
	parse_err("SET SESSION sql_mode = ''", 1193, "Unknown system variable 'sql_mode'");
	parse_err("SET @@global.x = 1", 1193, "Unknown system variable 'x'");
}

static void test_show_filters(void **state)
{
	struct sql_stmt *st;

	(void)state;
	st = parse_ok("SHOW FULL TABLES FROM db LIKE 'a\\_%'");
	assert_int_equal(st->kind, SQL_SHOW_TABLES);
	assert_true(st->u.show.full);
	assert_string_equal(st->u.show.name.db, "db");
	assert_string_equal(st->u.show.like, "a\\_%");
	sql_stmt_free(st);
	st = parse_ok("SHOW TABLES WHERE Table_type = 'SEQUENCE'");
	assert_int_equal(st->u.show.where->kind, SQL_EXPR_CMP);
	sql_stmt_free(st);
	st = parse_ok("SHOW WARNINGS LIMIT 1, 2");
	assert_int_equal(st->kind, SQL_SHOW_WARNINGS);
	assert_int_equal(st->u.show.offset, 1);
	assert_int_equal(st->u.show.limit, 2);
	sql_stmt_free(st);
	st = parse_ok("SHOW FULL FIELDS IN db.s FROM other WHERE Field LIKE '%value'");
	assert_int_equal(st->kind, SQL_SHOW_COLUMNS);
	assert_true(st->u.show.full);
	check_name(&st->u.show.name, "other", "s");
	assert_non_null(st->u.show.where);
	sql_stmt_free(st);
	st = parse_ok("DESCRIBE s cycle_option");
	assert_int_equal(st->kind, SQL_SHOW_COLUMNS);
	assert_string_equal(st->u.show.like, "cycle_option");
	sql_stmt_free(st);
	st = parse_ok("desc db.s 'c%'");
	check_name(&st->u.show.name, "db", "s");
	assert_string_equal(st->u.show.like, "c%");
	sql_stmt_free(st);
	st = parse_ok("EXPLAIN s");
	assert_null(st->u.show.like);
	sql_stmt_free(st);
	syntax("SHOW COLUMNS s", "s", 1);
	syntax("DESCRIBE", "", 1);
	syntax("DESCRIBE s x y", "y", 1);
	syntax("EXPLAIN SELECT 1", "SELECT 1", 1);
	syntax("SHOW WARNINGS LIMIT", "", 1);
}

/* Names: 64 characters of utf8mb3, whatever their bytes. */
static void test_name_characters(void **state)
{
	struct sql_stmt *st;
	char sql[1024], name[300];

	(void)state;
	/* 64 two-byte and 64 three-byte characters are names */
	name[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(name, "\xc3\xa9");
	snprintf(sql, sizeof(sql), "create sequence `%s`", name);
	st = parse_ok(sql);
	assert_int_equal(strlen(st->u.create.name.name), 128);
	sql_stmt_free(st);
	name[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(name, "\xe4\xb8\xad");
	snprintf(sql, sizeof(sql), "select nextval(%s.%s)", name, name);
	st = parse_ok(sql);
	assert_int_equal(strlen(st->u.select.items[0].expr->seq.name), SQL_NAME_BYTES);
	assert_int_equal(strlen(st->u.select.items[0].expr->seq.db), SQL_NAME_BYTES);
	sql_stmt_free(st);
	/* 65 are not: 1103 for a table, 1102 for a database, message cut at
	 * 100 bytes without splitting a character */
	strcat(name, "\xe4\xb8\xad");
	snprintf(sql, sizeof(sql), "drop sequence %s", name);
	parse_err(sql, 1103,
		  "Incorrect table name "
		  "'\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad"
		  "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad"
		  "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad"
		  "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad"
		  "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad'");
	snprintf(sql, sizeof(sql), "create sequence %s.s", name);
	parse_err(sql, 1102, NULL);
	/* CREATE: the syntax, then 1221, then the length */
	snprintf(sql, sizeof(sql), "create or replace sequence if not exists %s", name);
	parse_err(sql, 1221, NULL);
	/* 4-byte characters and bytes that are not UTF-8: 1300, shown as \xHH */
	parse_err("create sequence `a\xf0\x9f\x98\x80`", 1300,
		  "Invalid utf8mb4 character string: 'a\\xF0\\x9F\\x98\\x80'");
	parse_err("select nextval(`a\xf0\x9f\x98\x80"
		  "bcdef\xf0\x9f\x98\x80`)",
		  1300, "Invalid utf8mb4 character string: 'a\\xF0\\x9F\\x98\\x80bcdef\\xF0\\x9F\\x98\\x80'");
	parse_err("select nextval(`a\xff"
		  "b`)",
		  1300, "Invalid utf8mb4 character string: 'a\\xFFb'");
	parse_err("select 1 as `\xed\xa0\x80`", 1300, NULL); /* a surrogate */
	parse_err("select 1 as `\xc0\x80`", 1300, NULL);     /* overlong */
	parse_err("select @`\xf0\x9f\x98\x80`", 1300, NULL);
	parse_err("select * from s a\xf0\x9f\x98\x80", 1300, NULL);
	/* an alias or a column name has no length limit of its own */
	memset(name, 'a', 257);
	name[257] = '\0';
	snprintf(sql, sizeof(sql), "select 1 as %s, %s from s %s", name, name, name);
	st = parse_ok(sql);
	assert_int_equal(st->u.select.items[0].name_len, 257);
	assert_int_equal(strlen(st->u.select.items[1].expr->column), 257);
	assert_int_equal(strlen(st->u.select.alias), 257);
	sql_stmt_free(st);
}

/* --- values (sqlval.c) ----------------------------------------------------- */

static char g_warnings[1024];

static void collect_warning(void *arg, const char *level, int code, const char *msg)
{
	size_t n = strlen(g_warnings);

	(void)arg;
	snprintf(g_warnings + n, sizeof(g_warnings) - n, "%s%s %d %s", n ? "|" : "", level, code, msg);
}

static const struct sqlv_sink g_sink = {collect_warning, NULL};

static struct sqlv num(const char *text)
{
	struct sqlv v;
	const char *dot = strchr(text, '.');
	bool neg = text[0] == '-';
	char digits[128];
	size_t n = 0;

	if (!dot && strlen(text) <= (size_t)20 + neg) {
		__int128 x = 0;

		for (const char *p = text + neg; *p; p++)
			x = x * 10 + (*p - '0');
		return sqlv_from_i128(neg ? -x : x);
	}
	for (const char *p = text + neg; *p; p++)
		if (*p != '.')
			digits[n++] = *p;
	assert_int_equal(sqlv_dec_literal(digits, n, dot ? (unsigned)strlen(dot + 1) : 0, neg, &v), 0);
	return v;
}

static const char *show(const struct sqlv *v, char *buf)
{
	const char *out;

	sqlv_render(v, buf, &out);
	return out ? out : "NULL";
}

/* a <op> b: the rendered answer, or "E1690 <type>" */
static void arith(const char *a, enum sqlv_op op, const char *b, const char *want)
{
	struct sqlv x = num(a), y = num(b), r;
	const char *type;
	char buf[SQLV_TEXT_MAX], got[SQLV_TEXT_MAX + 32];
	int rc = sqlv_arith(op, &x, &y, &r, &type, &g_sink);

	if (rc)
		snprintf(got, sizeof(got), "E%d %s", rc, type);
	else
		snprintf(got, sizeof(got), "%s", show(&r, buf));
	if (strcmp(got, want) != 0)
		fail_msg("%s op%d %s = [%s], want [%s]", a, (int)op, b, got, want);
}

static void test_values_integer(void **state)
{
	(void)state;
	arith("9223372036854775806", SQLV_ADD, "1", "9223372036854775807");
	arith("9223372036854775807", SQLV_ADD, "1", "E1690 BIGINT");
	arith("-9223372036854775807", SQLV_SUB, "1", "-9223372036854775808");
	arith("-9223372036854775807", SQLV_SUB, "2", "E1690 BIGINT");
	arith("9223372036854775807", SQLV_MUL, "2", "E1690 BIGINT");
	arith("-9223372036854775808", SQLV_MUL, "-1", "E1690 BIGINT");
	arith("4611686018427387904", SQLV_MUL, "-2", "-9223372036854775808");
	/* unsigned when either operand is: a negative result is out of range */
	arith("9223372036854775808", SQLV_SUB, "1", "9223372036854775807");
	arith("18446744073709551615", SQLV_ADD, "1", "E1690 BIGINT UNSIGNED");
	arith("1", SQLV_SUB, "18446744073709551615", "E1690 BIGINT UNSIGNED");
	arith("9223372036854775808", SQLV_ADD, "-1", "9223372036854775807");
	arith("18446744073709551615", SQLV_MUL, "2", "E1690 BIGINT UNSIGNED");
	arith("18446744073709551615", SQLV_MUL, "18446744073709551615", "E1690 BIGINT UNSIGNED");
	/* DIV truncates; -2^63 itself is out of range as a quotient */
	arith("7", SQLV_INTDIV, "2", "3");
	arith("-7", SQLV_INTDIV, "2", "-3");
	arith("-9223372036854775808", SQLV_INTDIV, "1", "E1690 BIGINT");
	arith("-9223372036854775808", SQLV_INTDIV, "-1", "E1690 BIGINT");
	arith("9223372036854775808", SQLV_INTDIV, "-1", "E1690 BIGINT UNSIGNED");
	arith("-9223372036854775807", SQLV_INTDIV, "-1", "9223372036854775807");
	/* % takes the dividend's sign (and signedness) */
	arith("-7", SQLV_MOD, "3", "-1");
	arith("7", SQLV_MOD, "-3", "1");
	arith("18446744073709551615", SQLV_MOD, "-10", "5");
	/* division by zero: NULL and a warning */
	g_warnings[0] = '\0';
	arith("1", SQLV_INTDIV, "0", "NULL");
	arith("1", SQLV_MOD, "0", "NULL");
	arith("1", SQLV_DIV, "0", "NULL");
	assert_string_equal(
		g_warnings,
		"Warning 1365 Division by 0|Warning 1365 Division by 0|Warning 1365 Division by 0");
	/* NULL in, NULL out, no warning */
	{
		struct sqlv n = sqlv_null(), z = sqlv_int(0), r;
		const char *type;

		g_warnings[0] = '\0';
		assert_int_equal(sqlv_arith(SQLV_DIV, &n, &z, &r, &type, &g_sink), 0);
		assert_int_equal(r.t, SQLV_NULL);
		assert_string_equal(g_warnings, "");
	}
	/* negation: a constant of 2^63 or more becomes DECIMAL */
	{
		struct sqlv a = sqlv_int(INT64_MIN), r;
		const char *type;
		char buf[SQLV_TEXT_MAX];

		assert_int_equal(sqlv_neg(&a, false, &r, &type, NULL), 1690);
		assert_string_equal(type, "BIGINT");
		assert_int_equal(sqlv_neg(&a, true, &r, &type, NULL), 0);
		assert_int_equal(r.t, SQLV_DEC);
		assert_string_equal(show(&r, buf), "9223372036854775808");
		a = sqlv_uint(1ull << 63);
		assert_int_equal(sqlv_neg(&a, false, &r, &type, NULL), 0);
		assert_string_equal(show(&r, buf), "-9223372036854775808");
		a = sqlv_uint((1ull << 63) + 1);
		assert_int_equal(sqlv_neg(&a, false, &r, &type, NULL), 1690);
		a = sqlv_int(-5);
		assert_int_equal(sqlv_neg(&a, false, &r, &type, NULL), 0);
		assert_int_equal(r.t, SQLV_INT);
		assert_string_equal(show(&r, buf), "5");
	}
}

/* '' <op> b: a string turns the arithmetic into DOUBLE; the rendered
 * answer as MariaDB 10.11 sends it (SELECT ''+100, ... on the server). */
static void dbl(const char *b, enum sqlv_op op, const char *want)
{
	struct sqlv x = sqlv_str("", 0), y = num(b), r;
	const char *type;
	char buf[SQLV_TEXT_MAX];

	assert_int_equal(sqlv_arith(op, &x, &y, &r, &type, &g_sink), 0);
	if (strcmp(show(&r, buf), want) != 0)
		fail_msg("'' op%d %s = [%s], want [%s]", (int)op, b, buf, want);
}

static void test_values_double(void **state)
{
	(void)state;
	dbl("100", SQLV_SUB, "-100");
	dbl("1000000", SQLV_ADD, "1000000");
	dbl("999999999999999", SQLV_ADD, "999999999999999");
	dbl("123456789012345", SQLV_ADD, "123456789012345");
	dbl("1000000000000000", SQLV_ADD, "1e15");
	dbl("1234567890123456", SQLV_ADD, "1.234567890123456e15");
	dbl("123456789012345678", SQLV_ADD, "1.2345678901234568e17");
	dbl("12345678901234567890", SQLV_ADD, "1.2345678901234567e19");
	dbl("100000000000000000000000", SQLV_SUB, "-1e23");
	dbl("0.5", SQLV_SUB, "-0.5");
	dbl("0.1", SQLV_ADD, "0.1");
	dbl("0.000001", SQLV_ADD, "0.000001");
	dbl("0.000000000000001", SQLV_ADD, "0.000000000000001");
	dbl("0.0000000000000001", SQLV_ADD, "1e-16");
	dbl("0.123456789", SQLV_SUB, "-0.123456789");
	dbl("0.00000000000123456789", SQLV_SUB, "-0.00000000000123456789");
	dbl("123.456", SQLV_ADD, "123.456");
	dbl("0", SQLV_SUB, "0");
}

static void test_values_decimal(void **state)
{
	(void)state;
	/* '/': four more digits shown, nine digits (a word) kept inside */
	arith("7", SQLV_DIV, "2", "3.5000");
	arith("2", SQLV_DIV, "3", "0.6667");
	arith("-1", SQLV_DIV, "3", "-0.3333");
	arith("1", SQLV_DIV, "7", "0.1429");
	arith("1.5", SQLV_DIV, "2", "0.75000");
	arith("0.0001", SQLV_DIV, "3", "0.00003333");
	{
		struct sqlv a = num("2"), b = num("3"), t = num("300000"), q, r;
		const char *type;
		char buf[SQLV_TEXT_MAX];

		assert_int_equal(sqlv_arith(SQLV_DIV, &a, &b, &q, &type, NULL), 0);
		assert_int_equal(q.frac, 9);
		assert_int_equal(sqlv_arith(SQLV_MUL, &q, &t, &r, &type, NULL), 0);
		assert_string_equal(show(&r, buf), "199999.9998"); /* 0.666666666 * 300000 */
		/* a quotient of a quotient: 18 digits inside, 8 shown */
		assert_int_equal(sqlv_arith(SQLV_DIV, &q, &b, &r, &type, NULL), 0);
		assert_int_equal(r.frac, 18);
		assert_string_equal(show(&r, buf), "0.22222222");
		/* many divisions: the fraction stops at 81 digits, 38 shown */
		r = num("1");
		for (int i = 0; i < 11; i++)
			assert_int_equal(sqlv_arith(SQLV_DIV, &r, &b, &r, &type, NULL), 0);
		assert_int_equal(r.frac, 81);
		assert_string_equal(show(&r, buf), "0.00000564502926383173296753543667123914");
	}
	arith("1.5", SQLV_MUL, "2", "3.0");
	arith("1.5", SQLV_MUL, "1.5", "2.25");
	arith("1.5", SQLV_ADD, "1", "2.5");
	arith("1.5", SQLV_SUB, "2", "-0.5");
	arith("-1.5", SQLV_ADD, "1.5", "0.0");
	arith("7", SQLV_MOD, "2.5", "2.0");
	arith("-7.5", SQLV_MOD, "2", "-1.5");
	arith("5", SQLV_INTDIV, "0.3", "16");
	arith("-7.5", SQLV_INTDIV, "2", "-3");
	g_warnings[0] = '\0';
	arith("9223372036854775807", SQLV_INTDIV, "0.5", "E1690 BIGINT");
	assert_string_equal(
		g_warnings,
		"Warning 1916 Got overflow when converting '18446744073709551614' to INT. Value truncated");
	arith("99999999999999999999999999999999999999999999999999999999999999999", SQLV_ADD, "1",
	      "100000000000000000000000000000000000000000000000000000000000000000");
	/* the product's integer part is sized as MariaDB does: 20 + 62 digits
	 * need ten words */
	arith("13835058055282163710.5", SQLV_MUL,
	      "10000000000000000000000000000000000000000000000000000000000000", "E1690 DECIMAL");
	arith("123456789012345678901234567890", SQLV_MUL, "-2", "-246913578024691357802469135780");
	/* literals */
	{
		struct sqlv v;
		char buf[SQLV_TEXT_MAX];

		assert_int_equal(sqlv_dec_literal("0012", 4, 0, false, &v), 0);
		assert_string_equal(show(&v, buf), "12");
		assert_int_equal(sqlv_dec_literal("5", 1, 1, true, &v), 0);
		assert_string_equal(show(&v, buf), "-0.5");
		assert_int_equal(sqlv_dec_literal("5", 1, 82, false, &v), -1);
		v = sqlv_from_i128(-(__int128)UINT64_MAX);
		assert_int_equal(v.t, SQLV_DEC);
		assert_string_equal(show(&v, buf), "-18446744073709551615");
		v = sqlv_from_i128((__int128)INT64_MAX + 1);
		assert_int_equal(v.t, SQLV_INT);
		assert_true(v.uns);
	}
}

static int cmp_text(const char *a, const char *b)
{
	struct sqlv x = num(a), y = num(b);

	return sqlv_cmp(&x, &y, NULL);
}

static void test_values_compare(void **state)
{
	(void)state;
	assert_int_equal(cmp_text("18446744073709551615", "-1"), 1);
	assert_int_equal(cmp_text("9223372036854775808", "9223372036854775807"), 1);
	assert_int_equal(cmp_text("2", "2.0"), 0);
	assert_int_equal(cmp_text("10", "9.5"), 1);
	assert_int_equal(cmp_text("-0.5", "0.5"), -1);
	/* a DECIMAL compares at the digits it shows */
	{
		struct sqlv one = num("1"), three = num("3"), q, lit = num("0.3333");
		const char *type;

		assert_int_equal(sqlv_arith(SQLV_DIV, &one, &three, &q, &type, NULL), 0);
		assert_int_equal(sqlv_cmp(&q, &lit, NULL), 0);
	}
	/* strings: case and trailing spaces do not count; against a number
	 * a string is a DECIMAL (1292 when it is not one) */
	{
		struct sqlv a = sqlv_str("abc", 3), b = sqlv_str("ABC  ", 5), n = sqlv_null();
		struct sqlv s10 = sqlv_str("10", 2), i10 = sqlv_int(10), x = sqlv_str("x", 1),
			    zero = sqlv_int(0);

		assert_int_equal(sqlv_cmp(&a, &b, NULL), 0);
		assert_int_equal(sqlv_cmp(&a, &n, NULL), 2);
		g_warnings[0] = '\0';
		assert_int_equal(sqlv_cmp(&s10, &i10, &g_sink), 0);
		assert_string_equal(g_warnings, "");
		assert_int_equal(sqlv_cmp(&x, &zero, &g_sink), 0);
		assert_string_equal(g_warnings, "Warning 1292 Truncated incorrect DECIMAL value: 'x'");
	}
	/* LIKE */
	assert_int_equal(sqlv_like("abc", 3, "a%", 2, false), 1);
	assert_int_equal(sqlv_like("abc", 3, "A%", 2, false), 0);
	assert_int_equal(sqlv_like("abc", 3, "A_C", 3, true), 1);
	assert_int_equal(sqlv_like("a_c", 3, "a\\_c", 4, false), 1);
	assert_int_equal(sqlv_like("abc", 3, "a\\_c", 4, false), 0);
	assert_int_equal(sqlv_like("a%", 2, "a\\%", 3, false), 1);
	assert_int_equal(sqlv_like("ab", 2, "a\\%", 3, false), 0);
	assert_int_equal(sqlv_like("", 0, "%", 1, false), 1);
	assert_int_equal(sqlv_like("", 0, "_", 1, false), 0);
	assert_int_equal(sqlv_like("\xc3\xa9", 2, "_", 1, false), 1); /* one character */
	assert_int_equal(sqlv_like("xaaab", 5, "x%a%b", 5, false), 1);
	assert_int_equal(sqlv_like("xaaac", 5, "x%a%b", 5, false), 0);
	assert_int_equal(sqlv_like("next_not_cached_value", 21, "%value", 6, true), 1);
	/* strings as numbers: DOUBLE, warned when not numbers */
	{
		struct sqlv s = sqlv_str("1.5", 3), one = sqlv_int(1), r, bad = sqlv_str("12abc", 5);
		const char *type;
		char buf[SQLV_TEXT_MAX];

		g_warnings[0] = '\0';
		assert_int_equal(sqlv_arith(SQLV_ADD, &s, &one, &r, &type, &g_sink), 0);
		assert_int_equal(r.t, SQLV_DBL);
		assert_string_equal(show(&r, buf), "2.5");
		assert_int_equal(sqlv_arith(SQLV_MUL, &bad, &one, &r, &type, &g_sink), 0);
		assert_string_equal(show(&r, buf), "12");
		assert_string_equal(g_warnings, "Warning 1292 Truncated incorrect DOUBLE value: '12abc'");
	}
}

/* --- SHOW, INSERT, others ------------------------------------------------- */

static void test_show(void **state)
{
	struct sql_stmt *st;

	(void)state;
	st = parse_ok("SHOW CREATE SEQUENCE s1");
	assert_int_equal(st->kind, SQL_SHOW_CREATE_SEQUENCE);
	check_name(&st->u.show.name, "", "s1");
	sql_stmt_free(st);
	st = parse_ok("show create table test.`my seq`");
	assert_int_equal(st->kind, SQL_SHOW_CREATE_TABLE);
	check_name(&st->u.show.name, "test", "my seq");
	sql_stmt_free(st);
	st = parse_ok("SHOW TABLES");
	assert_int_equal(st->kind, SQL_SHOW_TABLES);
	assert_false(st->u.show.full);
	sql_stmt_free(st);
	st = parse_ok("show full tables in db1");
	assert_true(st->u.show.full);
	assert_string_equal(st->u.show.name.db, "db1");
	sql_stmt_free(st);

	syntax("SHOW", "", 1);
	syntax("SHOW CREATE VIEW v", "VIEW v", 1);
	syntax("SHOW CREATE SEQUENCE", "", 1);
	syntax("SHOW FULL", "", 1);
	syntax("SHOW TABLES LIKE x", "x", 1);
	syntax("SHOW TABLES LIKE 'x' 'y'", "'y'", 1);
	syntax("SHOW TABLES LIKE 'x' WHERE 1", "WHERE 1", 1);
	syntax("SHOW TABLES WHERE a = 1 ORDER BY 1", "ORDER BY 1", 1);
	syntax("SHOW ERRORS", "ERRORS", 1);
	syntax("SHOW DATABASES", "DATABASES", 1);
}

static void test_insert(void **state)
{
	struct sql_stmt *st;
	struct sql_insert *in;

	(void)state;
	st = parse_ok("INSERT INTO s VALUES (1, 1, 9223372036854775806, 1, 1, 1000, 0, 0)");
	assert_int_equal(st->kind, SQL_INSERT);
	in = &st->u.insert;
	assert_false(in->replace || in->has_columns);
	check_name(&in->table, "", "s");
	assert_int_equal(in->n_rows, 1);
	assert_int_equal(in->rows[0].n, 8);
	I128_EQ(in->rows[0].v[2], 9223372036854775806LL);
	I128_EQ(in->rows[0].v[7], 0);
	sql_stmt_free(st);

	st = parse_ok("insert into db.s values (20,1,100,1,1,10,0,0),(30, -1, - 100, +1, 1, 10, 1, "
		      "18446744073709551615)");
	in = &st->u.insert;
	assert_int_equal(in->n_rows, 2);
	I128_EQ(in->rows[1].v[0], 30);
	I128_EQ(in->rows[1].v[1], -1);
	I128_EQ(in->rows[1].v[2], -100);
	I128_EQ(in->rows[1].v[7], UINT64_MAX);
	sql_stmt_free(st);

	st = parse_ok("INSERT INTO s (next_not_cached_value, `minimum_value`) VALUES (1, 2)");
	in = &st->u.insert;
	assert_true(in->has_columns);
	assert_int_equal(in->n_columns, 2);
	assert_string_equal(in->columns[0], "next_not_cached_value");
	assert_string_equal(in->columns[1], "minimum_value");
	sql_stmt_free(st);

	st = parse_ok("replace s () value ()");
	in = &st->u.insert;
	assert_true(in->replace && in->has_columns);
	assert_int_equal(in->n_columns, 0);
	assert_int_equal(in->rows[0].n, 0);
	sql_stmt_free(st);

	syntax("INSERT INTO s VALUES (1.5, 1)", "1.5, 1)", 1);
	syntax("INSERT INTO s VALUES (1,)", ")", 1);
	syntax("INSERT INTO s VALUES", "", 1);
	syntax("INSERT INTO s VALUES (1),", "", 1);
	syntax("INSERT INTO s SELECT 1", "SELECT 1", 1);
	syntax("INSERT INTO s (a,) VALUES (1)", ") VALUES (1)", 1);
	syntax("INSERT INTO s VALUES (NULL)", "NULL)", 1);
}

static void test_other_statements(void **state)
{
	(void)state;
	parse_err("", 1065, "Query was empty");
	parse_err("   \n -- just a comment\n# another\n/* and */ ", 1065, NULL);
	syntax("UPDATE s SET x=1", "UPDATE s SET x=1", 1);
	syntax("TRUNCATE s", "TRUNCATE s", 1);
	syntax("x", "x", 1);
	syntax("@", "@", 1);
	syntax(";", ";", 1);
	syntax("/* open", "/* open", 1);
	syntax("select `open", "`open", 1);
	syntax("\n\n  garbage here", "garbage here", 3);

	/* near text: the rest of the statement, at most 80 bytes, else its
	 * first 77 and "..." (MariaDB's %-.80T) */
	{
		char sql[256], want[128];

		strcpy(sql, "create sequence s start with 5.5 ");
		memset(sql + 33, 'a', 100);
		sql[133] = '\0';
		memcpy(want, sql + 29, 77);
		strcpy(want + 77, "...");
		assert_memory_equal(want, "5.5 aaaa", 8);
		syntax(sql, want, 1);
	}
	/* … and never half a UTF-8 character: 76 ASCII bytes then "é" */
	{
		char sql[256], want[128];

		strcpy(sql, "show x");
		memset(sql + 6, 'b', 75);
		strcpy(sql + 81, "\xc3\xa9zzzzzz");
		memcpy(want, sql + 5, 76);
		strcpy(want + 76, "...");
		syntax(sql, want, 1);
		/* an é that ends exactly at byte 77 is kept */
		strcpy(sql, "show x");
		memset(sql + 6, 'b', 74);
		strcpy(sql + 80, "\xc3\xa9zzzzzz");
		memcpy(want, sql + 5, 77);
		strcpy(want + 77, "...");
		syntax(sql, want, 1);
	}
}

static void test_identifiers(void **state)
{
	struct sql_stmt *st;
	char sql[256], name65[66];

	(void)state;
	memset(name65, 'n', 65);
	name65[65] = '\0';
	snprintf(sql, sizeof(sql), "create sequence %.64s", name65);
	st = parse_ok(sql);
	assert_int_equal(strlen(st->u.create.name.name), 64);
	sql_stmt_free(st);

	snprintf(sql, sizeof(sql), "create sequence %s", name65);
	snprintf(sql + 128, 128, "Incorrect table name '%s'", name65);
	parse_err(sql, 1103, sql + 128);
	snprintf(sql, sizeof(sql), "select nextval(%s.s)", name65);
	parse_err(sql, 1102, NULL);
	snprintf(sql, sizeof(sql), "drop sequence `%s`", name65);
	parse_err(sql, 1103, NULL);

	parse_err("create sequence ``", 1103, "Incorrect table name ''");
	parse_err("create sequence `s `", 1103, "Incorrect table name 's '");
	parse_err("create sequence ``.s", 1102, "Incorrect database name ''");
	/* an empty column name is only unknown (the executor's 1054) */
	sql_stmt_free(parse_ok("insert into s (``) values (1)"));
	sql_stmt_free(parse_ok("select `` from s where `` = 1"));
	/* a sequence function's name is checked when the call is complete */
	parse_err("select nextval(``) junk", 1103, "Incorrect table name ''");
	syntax("select nextval(`` junk)", "junk)", 1);
	syntax("select setval(``, +3000000000)", "3000000000)", 1);
	parse_err("select setval(``.s, 1)", 1102, "Incorrect database name ''");
	parse_err("select next value for `` junk", 1103, "Incorrect table name ''");
	/* @`` fails at the next token */
	syntax("select @`` junk", "junk", 1);
	syntax("set @`` = 1", "= 1", 1);

	st = parse_ok("create sequence $a_1");
	check_name(&st->u.create.name, "", "$a_1");
	sql_stmt_free(st);
	st = parse_ok("create sequence 1abc");
	check_name(&st->u.create.name, "", "1abc");
	sql_stmt_free(st);
	st = parse_ok("create sequence s\xc3\xa9q");
	check_name(&st->u.create.name, "", "s\xc3\xa9q");
	sql_stmt_free(st);
	st = parse_ok("create sequence `select`.`*;`");
	check_name(&st->u.create.name, "select", "*;");
	sql_stmt_free(st);
	st = parse_ok("create sequence db . s");
	check_name(&st->u.create.name, "db", "s");
	sql_stmt_free(st);
	/* non-reserved keywords are names */
	st = parse_ok("create sequence sequence start with 1");
	check_name(&st->u.create.name, "", "sequence");
	sql_stmt_free(st);
	st = parse_ok("create sequence cache cache 5");
	check_name(&st->u.create.name, "", "cache");
	sql_stmt_free(st);

	/* NUL inside a quoted name is refused */
	{
		static const char q[] = "create sequence `a\0b`";
		struct sql_error e;

		assert_int_equal(sql_parse(q, sizeof(q) - 1, &st, &e), -1064);
	}
}

static void test_comments(void **state)
{
	struct sql_stmt *st;

	(void)state;
	st = parse_ok("-- leading\nSELECT /* in */ NEXTVAL(s1) # trailing");
	check_item(&st->u.select.items[0], SQL_EXPR_NEXTVAL, "NEXTVAL(s1)");
	sql_stmt_free(st);
	st = parse_ok("SELECT NEXTVAL(s1)--\t");
	sql_stmt_free(st);
	st = parse_ok("SELECT NEXTVAL(s1)--");
	sql_stmt_free(st);
	/* "--" not followed by whitespace is two minus signs */
	syntax("create sequence s start with --1", "-1", 1);
	syntax_later("create sequence s start with 1 --x", "--x");
	/* ';' in a comment or a string is not a separator here either */
	st = parse_ok("create sequence s comment 'a;b' /* ; */ -- ;");
	assert_string_equal(st->u.create.opt.comment, "a;b");
	sql_stmt_free(st);
	/* the statement text is copied: the input may go away */
	{
		char *buf = strdup("select nextval(s) as x");

		st = parse_ok(buf);
		memset(buf, 'z', strlen(buf));
		free(buf);
		assert_string_equal(st->u.select.items[0].text, "nextval(s)");
		assert_string_equal(st->u.select.items[0].name, "x");
		assert_string_equal(st->text, "select nextval(s) as x");
		sql_stmt_free(st);
	}
	/* not NUL-terminated input: only len bytes are read */
	{
		char buf[] = {'S', 'H', 'O', 'W', ' ', 'T', 'A', 'B', 'L', 'E', 'S', 'x'};
		struct sql_error e;

		assert_int_equal(sql_parse(buf, 11, &st, &e), 0);
		assert_int_equal(st->kind, SQL_SHOW_TABLES);
		sql_stmt_free(st);
	}
	/* error without an error struct */
	assert_int_equal(sql_parse("bad", 3, &st, NULL), -1064);
	assert_null(st);
}

/* --- splitting and completeness ------------------------------------------- */

static void test_split(void **state)
{
	static const char text[] = "-- The plain ascending sequence with every default.\n"
				   "CREATE SEQUENCE s1;\n"
				   "SELECT NEXTVAL(s1) ;; ;\n"
				   "  select ';' , \"a;\\\"\" , `b;``` # c;\n"
				   "  from t /* ; */ ;\n"
				   "/* only a comment */;\n"
				   "SHOW TABLES";
	struct sql_piece *v;
	size_t n;

	(void)state;
	assert_int_equal(sql_split(text, strlen(text), &v, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(text + v[0].off, "CREATE SEQUENCE s1", v[0].len);
	assert_int_equal(v[0].len, strlen("CREATE SEQUENCE s1"));
	assert_int_equal(v[0].line, 2);
	assert_memory_equal(text + v[1].off, "SELECT NEXTVAL(s1)", v[1].len);
	assert_int_equal(v[1].line, 3);
	assert_int_equal(v[2].len, strlen("select ';' , \"a;\\\"\" , `b;``` # c;\n  from t"));
	assert_memory_equal(text + v[2].off, "select ';' , \"a;\\\"\" , `b;``` # c;\n  from t", v[2].len);
	assert_int_equal(v[2].line, 4);
	assert_memory_equal(text + v[3].off, "SHOW TABLES", v[3].len);
	assert_int_equal(v[3].line, 7);
	free(v);

	assert_int_equal(sql_split("", 0, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(sql_split(" ;; -- x\n ; ", 12, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);

	/* an open quote runs to the end; the parser then reports it */
	assert_int_equal(sql_split("select 1; select 'a;b", 21, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].len, strlen("select 'a;b"));
	free(v);

	/* every piece of a conformance-like script parses */
	{
		static const char script[] = "CREATE SEQUENCE w1 MINVALUE 1 MAXVALUE 10 CYCLE CACHE 2;\n"
					     "SELECT NEXTVAL(w1);\nSELECT SETVAL(w1, 5, 1, 2);\n"
					     "SELECT next_not_cached_value, cycle_count FROM w1;\n"
					     "DROP SEQUENCE w1;\n";

		assert_int_equal(sql_split(script, strlen(script), &v, &n), 0);
		assert_int_equal(n, 5);
		for (size_t i = 0; i < n; i++) {
			struct sql_stmt *st;
			struct sql_error e;

			assert_int_equal(sql_parse(script + v[i].off, v[i].len, &st, &e), 0);
			sql_stmt_free(st);
		}
		free(v);
	}
}

static void test_complete(void **state)
{
	size_t end = 12345;

	(void)state;
	assert_false(sql_complete("", 0, &end));
	assert_false(sql_complete("select 1", 8, &end));
	assert_int_equal(end, 12345);
	assert_true(sql_complete("select 1;", 9, &end));
	assert_int_equal(end, 9);
	assert_true(sql_complete("select 1; select 2;", 19, &end));
	assert_int_equal(end, 9);
	assert_true(sql_complete("select\n1\n;\n", 11, &end));
	assert_int_equal(end, 10);
	assert_false(sql_complete("select ';'", 10, &end));
	assert_false(sql_complete("select 'a\\';", 12, &end));
	assert_true(sql_complete("select 'a\\'';", 13, &end));
	assert_false(sql_complete("select `a;", 10, &end));
	assert_false(sql_complete("select \"a;", 10, &end));
	assert_false(sql_complete("select 1 -- ;", 13, &end));
	assert_false(sql_complete("select 1 # ;", 12, &end));
	assert_true(sql_complete("select 1 -- ;\n;", 15, &end));
	assert_int_equal(end, 15);
	assert_true(sql_complete("select 1 --;", 12, &end));
	assert_false(sql_complete("/* ; ", 5, &end));
	assert_true(sql_complete("/* ; */ select 1;", 17, &end));
	assert_int_equal(end, 17);
	assert_true(sql_complete(";", 1, &end));
	assert_int_equal(end, 1);

	assert_true(sql_is_blank("", 0));
	assert_true(sql_is_blank("  -- x\n # y\n /* z */ ", 21));
	assert_false(sql_is_blank(" /* open", 8));
	assert_false(sql_is_blank(";", 1));
	assert_false(sql_is_blank("x", 1));
}

/* --- robustness ----------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void parse_any(const char *buf, size_t len)
{
	struct sql_stmt *st;
	struct sql_error e;
	struct sql_piece *v;
	size_t n, end;
	int rc = sql_parse(buf, len, &st, &e);

	if (rc == 0) {
		assert_non_null(st);
		sql_stmt_free(st);
	} else {
		assert_null(st);
		assert_true(rc == -e.code);
		assert_true(e.code >= 1000);
		assert_non_null(memchr(e.message, '\0', sizeof(e.message)));
	}
	assert_int_equal(sql_split(buf, len, &v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].off + v[i].len <= len);
		if (sql_parse(buf + v[i].off, v[i].len, &st, &e) == 0)
			sql_stmt_free(st);
	}
	free(v);
	if (sql_complete(buf, len, &end))
		assert_true(end >= 1 && end <= len && buf[end - 1] == ';');
	(void)sql_is_blank(buf, len);
}

static void test_random_bytes(void **state)
{
	char buf[256];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t len = rnd() % sizeof(buf);

		for (size_t j = 0; j < len; j++)
			buf[j] = (char)rnd();
		parse_any(buf, len);
	}
}

static void test_random_tokens(void **state)
{
	static const char *const words[] = {
		"CREATE",
		"OR",
		"REPLACE",
		"TEMPORARY",
		"SEQUENCE",
		"IF",
		"NOT",
		"EXISTS",
		"s1",
		"`q``x`",
		"db",
		".",
		"START",
		"WITH",
		"=",
		"INCREMENT",
		"BY",
		"MINVALUE",
		"MAXVALUE",
		"NO",
		"NOMINVALUE",
		"NOMAXVALUE",
		"CACHE",
		"NOCACHE",
		"CYCLE",
		"NOCYCLE",
		"AS",
		"INT",
		"UNSIGNED",
		"ZEROFILL",
		"RESTART",
		"ENGINE",
		"COMMENT",
		"'c''x'",
		",",
		"ALTER",
		"DROP",
		"TABLE",
		"VIEW",
		"SELECT",
		"NEXTVAL",
		"LASTVAL",
		"SETVAL",
		"(",
		")",
		"NEXT",
		"PREVIOUS",
		"VALUE",
		"FOR",
		"*",
		"FROM",
		"WHERE",
		"AND",
		"<>",
		"<=",
		"DO",
		"SHOW",
		"TABLES",
		"FULL",
		"INSERT",
		"INTO",
		"VALUES",
		"NULL",
		"TRUE",
		"1",
		"-",
		"+",
		"9223372036854775808",
		"99999999999999999999999",
		"5.5",
		"0x1",
		"-- c\n",
		"/* c */",
		"#c\n",
		";",
		"'",
		"`",
		"\"",
		"\n",
		"information_schema",
		"SEQUENCES",
	};
	const size_t nw = sizeof(words) / sizeof(words[0]);
	char buf[1024];

	(void)state;
	for (int i = 0; i < 30000; i++) {
		size_t len = 0, ntok = rnd() % 24;

		for (size_t j = 0; j < ntok; j++) {
			const char *w = words[rnd() % nw];
			size_t wl = strlen(w);

			if (len + wl + 2 >= sizeof(buf))
				break;
			memcpy(buf + len, w, wl);
			len += wl;
			if (rnd() % 4)
				buf[len++] = ' ';
		}
		parse_any(buf, len);
	}
}

/* Every prefix of valid statements parses or fails cleanly. */
static void test_prefixes(void **state)
{
	static const char *const stmts[] = {
		("CREATE OR REPLACE TEMPORARY SEQUENCE db.`s 1` START WITH -5 "
		 "INCREMENT BY 2 MINVALUE = -10 NO MAXVALUE CACHE 3 CYCLE AS int unsigned "
		 "ENGINE=InnoDB, COMMENT 'x''y'"),
		"ALTER SEQUENCE IF EXISTS s RESTART WITH 5 NOCACHE NOCYCLE NOMINVALUE",
		("SELECT *, NEXTVAL(s) AS a, next value for s, SETVAL(s, 5, 1, 2) 'b' FROM "
		 "information_schema.SEQUENCES WHERE (a = 1 OR NOT b <> 'x') AND c >= -2"),
		"DROP TEMPORARY SEQUENCE IF EXISTS a, b.c",
		"INSERT INTO s (a, b) VALUES (1, -2), (3, 4)",
		"SHOW FULL TABLES FROM db",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		sql_stmt_free(parse_ok(stmts[i]));
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		for (size_t len = 0; len <= strlen(stmts[i]); len++)
			parse_any(stmts[i], len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_basic),
		cmocka_unit_test(test_create_flags),
		cmocka_unit_test(test_create_syntax_errors),
		cmocka_unit_test(test_create_limits),
		cmocka_unit_test(test_create_as),
		cmocka_unit_test(test_create_duplicates),
		cmocka_unit_test(test_create_table_options),
		cmocka_unit_test(test_alter),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_select_items),
		cmocka_unit_test(test_select_errors),
		cmocka_unit_test(test_select_where),
		cmocka_unit_test(test_do),
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_item_names),
		cmocka_unit_test(test_select_clauses),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_show_filters),
		cmocka_unit_test(test_name_characters),
		cmocka_unit_test(test_values_integer),
		cmocka_unit_test(test_values_double),
		cmocka_unit_test(test_values_decimal),
		cmocka_unit_test(test_values_compare),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_other_statements),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_random_tokens),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
