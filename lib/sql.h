/* SPDX-License-Identifier: MIT */
/* sql.h — private: the statement parser (MariaDB's sequence statements).
 *
 * Used by the client library's statement executor (shmseq_exec) and by the
 * SQL shell. The parser turns the text of ONE statement into a struct
 * sql_stmt, or into MariaDB's error code and message (1064 with MariaDB's
 * exact "near '…' at line N" text, 1225, 1221, 1103, 1300, …). It does no
 * I/O, holds no global state and never looks names up: every semantic check
 * that needs the catalog is the executor's job. SEMANTICS.md §1.1, §1.2,
 * §2.1, §3, §4.1, §5.1, §6, §7 are the reference for the grammar.
 *
 * Grammar accepted (keywords case-insensitive; `name` is [db.]ident, ident
 * unquoted [A-Za-z0-9_$\x80-\xff]+ that is not a reserved word and not all
 * digits, or `back quoted` with `` for a back quote; at most 64 characters
 * of UTF-8 without 4-byte characters, MariaDB's utf8mb3):
 *   CREATE [OR REPLACE] [TEMPORARY] SEQUENCE [IF NOT EXISTS] name
 *          seq_option* [table_option [[,] table_option]*]
 *   ALTER SEQUENCE [IF EXISTS] name alter_option+
 *   DROP [TEMPORARY] {SEQUENCE|TABLE|VIEW} [IF EXISTS] name [, name]*
 *   SELECT item [, item]* [FROM {DUAL | name [[AS] alias]}] [WHERE expr]
 *          [ORDER BY expr [ASC|DESC] [, …]] [LIMIT [offset,] n | LIMIT n OFFSET m]
 *   DO expr [, expr]*
 *   SET @var {=|:=} expr [, @var {=|:=} expr]*
 *   SHOW CREATE {SEQUENCE|TABLE} name | SHOW WARNINGS [LIMIT [offset,] n]
 *   SHOW [FULL] TABLES [{FROM|IN} db] [LIKE 'pattern' | WHERE expr]
 *   SHOW [FULL] {COLUMNS|FIELDS} {FROM|IN} name [{FROM|IN} db] [LIKE 'p' | WHERE expr]
 *   {DESCRIBE|DESC|EXPLAIN} name [column | 'pattern']
 *   {INSERT|REPLACE} [INTO] name [(col, …)] {VALUES|VALUE} (int, …) [, (…)]*
 * Expressions (MariaDB's precedence, loosest first): OR; AND; NOT; the
 * comparisons = <> != < > <= >=, [NOT] LIKE, IS [NOT] NULL (left to right);
 * + -; * / DIV % MOD; unary - and +; then literals (integers, decimals,
 * strings, NULL, TRUE, FALSE), @var, [table.]column, NEXTVAL(name),
 * LASTVAL(name), SETVAL(name, int [, bool [, int]]), NEXT VALUE FOR name,
 * PREVIOUS VALUE FOR name, COUNT(*), COUNT(expr) and ( expr ).
 * Comments: "-- " (dash dash + whitespace) and '#' to end of line, C-style
 * slash-star comments (the "slash-star-bang" version comments of
 * mariadb-dump are plain comments here: their contents are ignored).
 *
 * Ownership: a struct sql_stmt owns everything reachable from it (one arena);
 * sql_stmt_free() releases it all. Pointers in the AST never point into the
 * caller's text. Thread safety: all functions are reentrant.
 */
#ifndef SHMSEQ_SQL_H
#define SHMSEQ_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seqdef.h"
#include "shmseq.h"

/* Error numbers the parser produces besides those in shmseq.h. */
enum {
	SQL_ERR_EMPTY_QUERY = 1065,	  /* 42000 Query was empty */
	SQL_ERR_WRONG_DB_NAME = 1102,	  /* 42000 Incorrect database name '%s' */
	SQL_ERR_WRONG_TABLE_NAME = 1103,  /* 42000 Incorrect table name '%s' */
	SQL_ERR_WRONG_COLUMN_NAME = 1166, /* 42000 Incorrect column name '%s' */
	SQL_ERR_UNKNOWN_SYSVAR = 1193,	  /* HY000 Unknown system variable '%s' */
	SQL_ERR_TOO_LONG_COMMENT = 1628,  /* HY000 Comment for table '%s' is too long (max = 2048) */
	SQL_ERR_INVALID_CHARSET = 1300,	  /* HY000 Invalid utf8mb4 character string: '%s' */
	SQL_ERR_BAD_OPTION_VALUE = 1912,  /* HY000 Incorrect value 'ZEROFILL' for option 'AS' */
};

/* Names: MariaDB limits a table or database name to 64 characters of
 * utf8mb3 (at most 3 bytes each). The parser takes every such name, and
 * shmseq stores every such sequence name (SHMSEQ_NAME_MAX bytes). */
#define SQL_NAME_CHARS 64
#define SQL_NAME_BYTES (3 * SQL_NAME_CHARS)

/* Maximum height of an expression: every parenthesis, unary operator, NOT
 * and every link of a chain of binary operators (a + b + c …) counts one
 * level; AND and OR lists are flat. Deeper is a 1064 at the token that goes
 * too deep, so neither the parser nor an executor walking the tree can be
 * driven into a stack overflow. */
#define SQL_MAX_DEPTH 256

/* What a failed parse reports. */
struct sql_error {
	int code;	   /* MariaDB error number (1064, 1225, …); 0 = none */
	char sqlstate[6];  /* "42000", "HY000" */
	char message[512]; /* MariaDB's message text, NUL-terminated */
	size_t offset;	   /* 1064: byte offset of the offending token in the
				   statement text (== len at end of input); else 0 */
	unsigned line;	   /* 1064: 1-based line of that token; else 0 */
};

/* A possibly qualified object name. db is "" when unqualified. Both are
 * NUL-terminated, at most SQL_NAME_CHARS characters (SQL_NAME_BYTES bytes),
 * valid UTF-8, never contain NUL. */
struct sql_name {
	char db[SQL_NAME_BYTES + 1];
	char name[SQL_NAME_BYTES + 1];
};

enum sql_kind {
	SQL_CREATE_SEQUENCE = 1,
	SQL_ALTER_SEQUENCE,
	SQL_DROP,
	SQL_SELECT,
	SQL_DO,
	SQL_SHOW_CREATE_SEQUENCE,
	SQL_SHOW_CREATE_TABLE,
	SQL_SHOW_TABLES,
	SQL_INSERT,
	SQL_SET,	   /* SET @var = expr, … */
	SQL_SHOW_WARNINGS, /* SHOW WARNINGS */
	SQL_SHOW_COLUMNS,  /* SHOW COLUMNS, DESCRIBE */
	SQL_USE,	   /* USE db: u.show.name.db ("" for USE ``) */
};

struct sql_create {
	bool or_replace;
	bool temporary;
	bool if_not_exists;
	struct sql_name name;
	/* given: START INCREMENT MINVALUE MAXVALUE CACHE CYCLE AS COMMENT ENGINE
	 * (never RESTART). opt.start may exceed INT64_MAX only together with
	 * AS … UNSIGNED; min/max are clamped into [INT64_MIN, UINT64_MAX];
	 * increment/cache are as written (cache may be negative). */
	struct seq_options opt;
	char engine[SHMSEQ_NAME_MAX + 1]; /* ENGINE=x as written, "" if absent */
	/* COMMENT longer than SHMSEQ_COMMENT_MAX: opt has no comment; MariaDB
	 * says 1628 only after the options and the name were checked */
	bool comment_too_long;
	/* A 1064 after complete options that MariaDB reports only when the
	 * options pass their check (its parser checks them on reducing the
	 * statement, which it does before failing on such a token); else NULL. */
	const struct sql_error *after_options;
};

struct sql_alter {
	bool if_exists;
	struct sql_name name;
	/* given: any of START INCREMENT MINVALUE MAXVALUE CACHE CYCLE RESTART,
	 * or AS alone. start/restart are in [-(2^63-1), 2^64-1]: a value above
	 * INT64_MAX is only meaningful for an unsigned sequence, which the
	 * parser cannot know; the executor must reject it otherwise. */
	struct seq_options opt;
};

enum sql_drop_kind {
	SQL_DROP_SEQUENCE = 1,
	SQL_DROP_TABLE,
	SQL_DROP_VIEW,
};

struct sql_drop {
	enum sql_drop_kind kind;
	bool temporary; /* never with SQL_DROP_VIEW */
	bool if_exists;
	size_t n_names;		/* >= 1 */
	struct sql_name *names; /* in list order, duplicates kept (1066 is the
				   executor's) */
	/* An error the parser met after the first n_names (>= 2) names:
	 * reported only when those names hold no repetition (1066 first,
	 * as MariaDB checks each name as soon as it is complete); else NULL. */
	const struct sql_error *after_names;
};

/* Expressions: select items, WHERE, ORDER BY, SET and DO. */
enum sql_expr_kind {
	SQL_EXPR_COLUMN = 1, /* [table.]column */
	SQL_EXPR_INT,	     /* integer literal (TRUE, FALSE too): ival */
	SQL_EXPR_DECIMAL,    /* decimal literal: str = digits, scale, negated */
	SQL_EXPR_DOUBLE,     /* float literal (1e3, 1.5E-2): str = its text, neg_value */
	SQL_EXPR_STRING,     /* str, str_len (escapes resolved) */
	SQL_EXPR_NULL,
	SQL_EXPR_VAR,	  /* @name: str, str_len */
	SQL_EXPR_NEXTVAL, /* NEXTVAL(seq) / NEXT VALUE FOR seq */
	SQL_EXPR_LASTVAL, /* LASTVAL(seq) / PREVIOUS VALUE FOR seq */
	SQL_EXPR_SETVAL,  /* SETVAL(seq, value [, is_used [, round]]) */
	SQL_EXPR_COUNT,	  /* COUNT(*) (l NULL) or COUNT(l) */
	SQL_EXPR_NEG,	  /* -l (never over a literal: the parser folds those) */
	SQL_EXPR_ARITH,	  /* l op r */
	SQL_EXPR_CMP,	  /* l cmp r */
	SQL_EXPR_LIKE,	  /* l [NOT] LIKE r */
	SQL_EXPR_IS_NULL, /* l IS [NOT] NULL */
	SQL_EXPR_AND,	  /* args[0] AND args[1] AND … (n_args >= 2) */
	SQL_EXPR_OR,	  /* args[0] OR args[1] OR … (n_args >= 2) */
	SQL_EXPR_NOT,	  /* NOT l */
};

enum sql_cmp {
	SQL_CMP_EQ = 1, /* = */
	SQL_CMP_NE,	/* <> or != */
	SQL_CMP_LT,
	SQL_CMP_GT,
	SQL_CMP_LE,
	SQL_CMP_GE,
};

enum sql_arith {
	SQL_OP_ADD = 1,
	SQL_OP_SUB,
	SQL_OP_MUL,
	SQL_OP_DIV,    /* / */
	SQL_OP_INTDIV, /* DIV */
	SQL_OP_MOD,    /* % or MOD */
};

struct sql_expr {
	enum sql_expr_kind kind;
	enum sql_cmp cmp;	/* CMP */
	enum sql_arith op;	/* ARITH */
	bool negated;		/* LIKE: NOT LIKE; IS_NULL: IS NOT NULL; INT,
				   DECIMAL: a unary minus was folded in */
	bool is_bool;		/* INT: written TRUE or FALSE */
	struct sql_expr *l, *r; /* operands */
	struct sql_expr **args; /* AND, OR: the flat operand list */
	size_t n_args;
	__int128 ival;	 /* INT: in [-(2^64-1), 2^64-1] */
	const char *str; /* STRING, VAR (name), DECIMAL (digits, no point);
			     NUL-terminated, may contain NUL (use str_len) */
	size_t str_len;
	unsigned scale; /* DECIMAL: digits after the point */
	/* The expression exactly as typed, from its first token to its last
	 * (parentheses around it not included). NUL-terminated. */
	const char *text;
	size_t text_len;
	const char *db;	       /* COLUMN: db of db.table.column, "" if none */
	const char *table;     /* COLUMN: qualifier, "" if none */
	const char *column;    /* COLUMN */
	bool neg_value;	       /* DECIMAL: the value is negative */
	struct sql_name seq;   /* NEXTVAL, LASTVAL, SETVAL */
	int64_t setval_value;  /* SETVAL; a uint64 bit pattern when setval_big */
	bool setval_big;       /* SETVAL value in (INT64_MAX, UINT64_MAX]: only an
					    unsigned sequence can take it */
	bool setval_is_used;   /* SETVAL; default true, any non-zero = true */
	uint64_t setval_round; /* SETVAL; default 0 */
};

enum sql_item_kind {
	SQL_ITEM_EXPR = 1,
	SQL_ITEM_STAR, /* * or table.* (SELECT only; bare * first only) */
};

struct sql_item {
	enum sql_item_kind kind;
	struct sql_expr *expr; /* EXPR */
	const char *db;	       /* STAR: db of db.table.*, "" if none */
	const char *table;     /* STAR: qualifier, "" if none */
	/* The item exactly as typed, e.g. "NEXTVAL(s1) + 1", comments inside
	 * kept. NUL-terminated. */
	const char *text;
	size_t text_len;
	/* The column heading MariaDB gives it: the alias if any; else a
	 * literal's own name ("3" for +3 or (3), "NULL", "TRUE", a string's
	 * value), a column's name, or the text as typed. */
	const char *name;
	size_t name_len;
	bool has_alias;
};

struct sql_order {
	struct sql_expr *expr; /* an integer literal is a position in the list */
	bool desc;
};

struct sql_select {
	size_t n_items; /* >= 1 */
	struct sql_item *items;
	bool has_from;
	struct sql_name from;	/* e.g. {"information_schema", "SEQUENCES"} */
	const char *alias;	/* FROM … [AS] alias, "" if none */
	struct sql_expr *where; /* NULL if no WHERE */
	size_t n_order;
	struct sql_order *order;
	bool has_limit;
	uint64_t limit, offset;
};

struct sql_do {
	size_t n_items; /* >= 1; kind EXPR */
	struct sql_item *items;
};

struct sql_assign {
	const char *var; /* the name after @, NUL-terminated */
	size_t var_len;
	struct sql_expr *expr;
};

struct sql_set {
	size_t n; /* >= 1 */
	struct sql_assign *v;
};

struct sql_show {
	struct sql_name name; /* SHOW CREATE, SHOW COLUMNS: the object; SHOW
				 TABLES: name.db is the FROM/IN database */
	bool full;	      /* SHOW FULL TABLES / COLUMNS */
	const char *like;     /* LIKE pattern (DESCRIBE's column too), or NULL */
	size_t like_len;
	struct sql_expr *where; /* WHERE, or NULL */
	bool has_limit;		/* SHOW WARNINGS LIMIT */
	uint64_t limit, offset;
};

struct sql_insert_row {
	size_t n;    /* may be 0: VALUES () */
	__int128 *v; /* signed literals, saturating at ±2^64 */
};

struct sql_insert {
	bool replace; /* REPLACE instead of INSERT */
	struct sql_name table;
	bool has_columns; /* a column list was given (possibly empty) */
	size_t n_columns;
	const char **columns;
	size_t n_rows; /* >= 1 */
	struct sql_insert_row *rows;
};

struct sql_arena;

struct sql_stmt {
	enum sql_kind kind;
	const char *text; /* copy of the statement text, NUL-terminated */
	size_t text_len;
	union {
		struct sql_create create; /* SQL_CREATE_SEQUENCE */
		struct sql_alter alter;	  /* SQL_ALTER_SEQUENCE */
		struct sql_drop drop;	  /* SQL_DROP */
		struct sql_select select; /* SQL_SELECT */
		struct sql_do do_;	  /* SQL_DO */
		struct sql_show show;	  /* SQL_SHOW_* */
		struct sql_insert insert; /* SQL_INSERT */
		struct sql_set set;	  /* SQL_SET */
	} u;
	struct sql_arena *arena; /* private: owns all of the above */
};

/* sql_parse - parse ONE statement.
 * @text, @len: the statement without its terminating ';' (it may contain
 *   comments, newlines and any bytes, NUL included; it need not be
 *   NUL-terminated).
 * On success returns 0 and *out (free with sql_stmt_free).
 * On a statement error returns -code (e.g. -1064) with *err filled (code,
 * sqlstate, MariaDB's message; for 1064 also offset and line of the
 * offending token) and *out NULL. Codes: 1064 syntax, 1065 empty, 1225
 * duplicate option, 1221 OR REPLACE with IF NOT EXISTS, 1102/1103 a
 * database/table name longer than 64 characters, empty or ending in a
 * space, 1166 an empty column name, 1300 an identifier that is not utf8mb3,
 * 1912 AS … ZEROFILL.
 * Returns -ENOMEM (err->code 0) when memory runs out.
 * err may be NULL. Never reads beyond text[len - 1]. */
int sql_parse(const char *text, size_t len, struct sql_stmt **out, struct sql_error *err);

/* sql_stmt_free - free a statement from sql_parse. NULL is ignored. */
void sql_stmt_free(struct sql_stmt *st);

/* One statement found by sql_split: text[off, off + len) is the statement
 * from its first token to its last (leading/trailing whitespace and comments
 * dropped, no ';'); line is the 1-based line in the input where it starts. */
struct sql_piece {
	size_t off;
	size_t len;
	unsigned line;
};

/* sql_split - cut text into statements at ';' outside quotes and comments.
 * Statements holding no token (";;", a comment alone) are skipped. The last
 * statement needs no ';'. A quote or comment left open runs to the end of
 * the text (sql_parse then reports it). On success returns 0, *out an
 * array to free() (NULL when *n == 0) and *n its length; -ENOMEM otherwise. */
int sql_split(const char *text, size_t len, struct sql_piece **out, size_t *n);

/* sql_complete - whether buf holds at least one complete statement, i.e. a
 * ';' outside quotes and comments. If so returns true and sets *end to the
 * offset just after that first ';' (the statement is buf[0, *end - 1)).
 * Returns false (and leaves *end alone) while a quote or comment is open
 * or no ';' was typed yet: the shell should read another line. */
bool sql_complete(const char *buf, size_t len, size_t *end);

/* sql_is_blank - whether text holds nothing but whitespace and complete
 * comments (an unterminated slash-star comment is not blank: more input is
 * needed, and sql_complete() says false). */
bool sql_is_blank(const char *text, size_t len);

#endif
