/* sql.h — private: the statement parser (MariaDB's sequence statements).
 *
 * Used by the client library's statement executor (shmseq_exec) and by the
 * SQL shell. The parser turns the text of ONE statement into a struct
 * sql_stmt, or into MariaDB's error code and message (1064 with MariaDB's
 * exact "near '…' at line N" text, 1225, 1221, 1059, …). It does no I/O,
 * holds no global state and never looks names up: every semantic check that
 * needs the catalog is the executor's job. SEMANTICS.md §1.1, §1.2, §2.1, §3,
 * §4.1, §5.1, §6, §7 are the reference for the grammar.
 *
 * Grammar accepted (keywords case-insensitive; `name` is [db.]ident, ident
 * unquoted [A-Za-z0-9_$\x80-\xff]+ that is not a reserved word and not all
 * digits, or `back quoted` with `` for a back quote):
 *   CREATE [OR REPLACE] [TEMPORARY] SEQUENCE [IF NOT EXISTS] name
 *          seq_option* [table_option [[,] table_option]*]
 *   ALTER SEQUENCE [IF EXISTS] name alter_option+
 *   DROP [TEMPORARY] {SEQUENCE|TABLE|VIEW} [IF EXISTS] name [, name]*
 *   SELECT item [, item]* [FROM name] [WHERE expr]
 *   DO item [, item]*
 *   SHOW CREATE {SEQUENCE|TABLE} name | SHOW [FULL] TABLES [{FROM|IN} db]
 *   {INSERT|REPLACE} [INTO] name [(col, …)] {VALUES|VALUE} (int, …) [, (…)]*
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
	SQL_ERR_TOO_LONG_IDENT = 1059,	  /* 42000 Identifier name '%s' is too long */
	SQL_ERR_EMPTY_QUERY = 1065,	  /* 42000 Query was empty */
	SQL_ERR_WRONG_DB_NAME = 1102,	  /* 42000 Incorrect database name '%s' */
	SQL_ERR_WRONG_TABLE_NAME = 1103,  /* 42000 Incorrect table name '%s' */
	SQL_ERR_WRONG_COLUMN_NAME = 1166, /* 42000 Incorrect column name '%s' */
	SQL_ERR_TOO_LONG_COMMENT = 1628,  /* HY000 Comment for table '%s' is too long (max = 2048) */
	SQL_ERR_BAD_OPTION_VALUE = 1912,  /* HY000 Incorrect value 'ZEROFILL' for option 'AS' */
};

/* Maximum nesting of parentheses, NOT and chained comparisons in a WHERE
 * clause; deeper is a 1064 at the token that goes too deep. The tree an
 * executor walks is then at most about 2 * SQL_MAX_DEPTH levels high. */
#define SQL_MAX_DEPTH 64

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
 * NUL-terminated, at most SHMSEQ_NAME_MAX bytes, never contain NUL. */
struct sql_name {
	char db[SHMSEQ_NAME_MAX + 1];
	char name[SHMSEQ_NAME_MAX + 1];
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
};

enum sql_item_kind {
	SQL_ITEM_NEXTVAL = 1, /* NEXTVAL(seq) / NEXT VALUE FOR seq */
	SQL_ITEM_LASTVAL,     /* LASTVAL(seq) / PREVIOUS VALUE FOR seq */
	SQL_ITEM_SETVAL,      /* SETVAL(seq, value [, is_used [, round]]) */
	SQL_ITEM_STAR,	      /* * or table.* (SELECT only; bare * first only) */
	SQL_ITEM_COLUMN,      /* [table.]column */
	SQL_ITEM_INT,	      /* [+|-] digits, TRUE, FALSE */
	SQL_ITEM_NULL,	      /* NULL */
};

struct sql_item {
	enum sql_item_kind kind;
	/* The item exactly as typed (MariaDB's column heading when there is no
	 * alias), e.g. "NEXTVAL(s1)", "next value for `my seq`",
	 * "SETVAL(v1, 100)": from the first byte of its first token to the last
	 * byte of its last token, comments inside kept. NUL-terminated. */
	const char *text;
	size_t text_len;
	/* [AS] alias: identifier (unquoted) or string literal value; NULL if
	 * none. NUL-terminated; alias_len excludes the NUL. */
	const char *alias;
	size_t alias_len;
	struct sql_name seq;		  /* NEXTVAL, LASTVAL, SETVAL */
	int64_t setval_value;		  /* SETVAL; a uint64 bit pattern when setval_big */
	bool setval_big;		  /* SETVAL value in (INT64_MAX, UINT64_MAX]: only an
				   unsigned sequence can take it */
	bool setval_is_used;		  /* SETVAL; default true, any non-zero = true */
	uint64_t setval_round;		  /* SETVAL; default 0 */
	char table[SHMSEQ_NAME_MAX + 1];  /* COLUMN: qualifier, "" if none */
	char column[SHMSEQ_NAME_MAX + 1]; /* COLUMN */
	/* INT: the value; literals beyond ±2^64 saturate at ±2^64 (so they
	 * compare right against any 64-bit value but are not exact). */
	__int128 ival;
};

/* WHERE expressions: a small tree. */
enum sql_expr_kind {
	SQL_EXPR_COLUMN = 1, /* table (qualifier or ""), column */
	SQL_EXPR_INT,	     /* ival (saturating at ±2^64); TRUE=1, FALSE=0 */
	SQL_EXPR_STRING,     /* str, str_len (escapes resolved) */
	SQL_EXPR_NULL,
	SQL_EXPR_CMP, /* l <cmp> r */
	SQL_EXPR_AND, /* args[0] AND args[1] AND … (n_args >= 2) */
	SQL_EXPR_OR,  /* args[0] OR args[1] OR … (n_args >= 2) */
	SQL_EXPR_NOT, /* NOT l */
};

enum sql_cmp {
	SQL_CMP_EQ = 1, /* = */
	SQL_CMP_NE,	/* <> or != */
	SQL_CMP_LT,
	SQL_CMP_GT,
	SQL_CMP_LE,
	SQL_CMP_GE,
};

struct sql_expr {
	enum sql_expr_kind kind;
	enum sql_cmp cmp;	/* SQL_EXPR_CMP */
	struct sql_expr *l, *r; /* CMP operands; NOT has l only */
	struct sql_expr **args; /* AND, OR: the flat operand list */
	size_t n_args;
	__int128 ival;
	const char *str; /* NUL-terminated; may contain NUL (use str_len) */
	size_t str_len;
	char table[SHMSEQ_NAME_MAX + 1];
	char column[SHMSEQ_NAME_MAX + 1];
};

struct sql_select {
	size_t n_items; /* >= 1 */
	struct sql_item *items;
	bool has_from;
	struct sql_name from;	/* e.g. {"information_schema", "SEQUENCES"} */
	struct sql_expr *where; /* NULL if no WHERE */
};

struct sql_do {
	size_t n_items; /* >= 1; never STAR, never an alias */
	struct sql_item *items;
};

struct sql_show {
	struct sql_name name; /* SHOW CREATE: the object; SHOW TABLES: name.db
				   is the FROM/IN database ("" if none) */
	bool full;	      /* SHOW FULL TABLES */
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
	char (*columns)[SHMSEQ_NAME_MAX + 1];
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
 * duplicate option, 1221 OR REPLACE with IF NOT EXISTS, 1059 identifier
 * longer than 64 bytes, 1102/1103 empty or badly formed db/table name,
 * 1628 COMMENT longer than SHMSEQ_COMMENT_MAX, 1912 AS … ZEROFILL.
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
