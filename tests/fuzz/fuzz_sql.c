/* SPDX-License-Identifier: MIT */
/* fuzz_sql.c — libFuzzer target for the statement parser (lib/sql.c).
 *
 * Feeds arbitrary bytes to every entry point of sql.h: sql_parse on the whole
 * input, sql_split and sql_parse on each piece, sql_complete and
 * sql_is_blank; the constant parts of a parsed SELECT list are computed with
 * sqlval.c (MariaDB's arithmetic on whatever literals the input holds).
 * Everything is freed, so LeakSanitizer sees any leak; the invariants
 * checked with __builtin_trap are those sql.h and sqlval.h promise.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "sqlval.h"

/* The value of a constant expression (literals, arithmetic, comparisons,
 * NOT/AND/OR); anything else is NULL. Recursion is bounded by the height
 * the parser allows. */
static struct sqlv fold(const struct sql_expr *e)
{
	static const enum sqlv_op ops[] = {0, SQLV_ADD, SQLV_SUB, SQLV_MUL, SQLV_DIV, SQLV_INTDIV, SQLV_MOD};
	struct sqlv a, b, r = sqlv_null();
	const char *type;
	char buf[SQLV_TEXT_MAX];
	const char *out;

	switch (e->kind) {
	case SQL_EXPR_INT:
		return sqlv_from_i128(e->ival);
	case SQL_EXPR_DECIMAL:
		if (sqlv_dec_literal(e->str, e->str_len, e->scale, e->neg_value, &r) < 0)
			r = sqlv_null();
		return r;
	case SQL_EXPR_STRING:
		return sqlv_str(e->str, e->str_len);
	case SQL_EXPR_NEG:
		a = fold(e->l);
		if (sqlv_neg(&a, true, &r, &type, NULL) != 0)
			r = sqlv_null();
		return r;
	case SQL_EXPR_ARITH:
		a = fold(e->l);
		b = fold(e->r);
		if (sqlv_arith(ops[e->op], &a, &b, &r, &type, NULL) != 0)
			r = sqlv_null();
		break;
	case SQL_EXPR_CMP:
	case SQL_EXPR_LIKE: {
		char ta[SQLV_TEXT_MAX], tb[SQLV_TEXT_MAX];
		const char *sa, *sb;
		size_t la, lb;

		a = fold(e->l);
		b = fold(e->r);
		if (e->kind == SQL_EXPR_CMP) {
			int c = sqlv_cmp(&a, &b, NULL);

			if (c < -1 || c > 2)
				__builtin_trap();
			return c == 2 ? sqlv_null() : sqlv_int(c);
		}
		la = sqlv_render(&a, ta, &sa);
		lb = sqlv_render(&b, tb, &sb);
		return sa && sb ? sqlv_int(sqlv_like(sa, la, sb, lb, true)) : sqlv_null();
	}
	case SQL_EXPR_NOT:
		a = fold(e->l);
		return sqlv_int(sqlv_truth(&a, NULL) == 0);
	case SQL_EXPR_AND:
	case SQL_EXPR_OR:
		for (size_t i = 0; i < e->n_args; i++) {
			a = fold(e->args[i]);
			(void)sqlv_truth(&a, NULL);
		}
		return sqlv_null();
	default:
		return sqlv_null();
	}
	/* what a result renders to fits the buffer and reads back */
	size_t n = sqlv_render(&r, buf, &out);
	if (out == buf && (n >= SQLV_TEXT_MAX || buf[n] != '\0'))
		__builtin_trap();
	return r;
}

static void check_parse(const char *text, size_t len)
{
	struct sql_stmt *st = NULL;
	struct sql_error err;
	int rc = sql_parse(text, len, &st, &err);

	if (rc == 0) {
		if (!st || st->text_len != len)
			__builtin_trap();
		if (st->kind == SQL_SELECT)
			for (size_t i = 0; i < st->u.select.n_items; i++)
				if (st->u.select.items[i].kind == SQL_ITEM_EXPR)
					(void)fold(st->u.select.items[i].expr);
		sql_stmt_free(st);
		return;
	}
	if (st)
		__builtin_trap();
	if (rc != -ENOMEM) {
		if (rc != -err.code || err.code < 1000)
			__builtin_trap();
		if (!memchr(err.message, '\0', sizeof(err.message)))
			__builtin_trap();
		if (err.code == 1064 && (err.offset > len || err.line < 1))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct sql_piece *pieces = NULL;
	size_t n = 0, end;

	check_parse(text, size);
	if (sql_split(text, size, &pieces, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (pieces[i].off + pieces[i].len > size || pieces[i].len == 0)
				__builtin_trap();
			check_parse(text + pieces[i].off, pieces[i].len);
		}
		free(pieces);
	}
	if (sql_complete(text, size, &end) && (end == 0 || end > size || text[end - 1] != ';'))
		__builtin_trap();
	(void)sql_is_blank(text, size);
	return 0;
}
