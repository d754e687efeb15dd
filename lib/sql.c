/* SPDX-License-Identifier: MIT */
/* sql.c — tokenizer and recursive-descent parser for the statements of sql.h.
 *
 * Shape: sql_parse() copies the statement text into a fresh arena, cuts it
 * into an array of tokens, then descends over that array with one function
 * per grammar rule. The error positions and messages follow MariaDB's own
 * yacc parser: a 1064 names the first token that cannot continue the
 * statement, shows the text from that token on (at most 80 bytes, never
 * cutting a UTF-8 character) and its line.
 *
 * Invariants and ownership:
 *  - Every allocation made while parsing a statement comes from its arena
 *    (struct sql_arena), so the statement is freed in one sweep and an error
 *    path never has anything to release but the arena.
 *  - Errors unwind with longjmp() from the point of detection back to
 *    sql_parse(); nothing between holds a resource of its own, which is what
 *    makes the jump safe. No other function of this file jumps.
 *  - Recursion happens only in WHERE expressions, and nesting is capped at
 *    SQL_MAX_DEPTH (AND/OR lists are flat, so a long chain costs no depth):
 *    neither this parser nor an executor walking the tree can be driven into
 *    a stack overflow.
 *  - The lexer never reads past text[len - 1]; the copy is NUL-terminated only
 *    for the convenience of the AST's string fields.
 * No global state: everything is reentrant.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

/* --- arena ---------------------------------------------------------------- */

struct arena_blk {
	struct arena_blk *next;
	max_align_t data[];
};

struct sql_arena {
	struct arena_blk *head;
};

static void *arena_alloc(struct sql_arena *a, size_t n)
{
	struct arena_blk *b;

	if (n > SIZE_MAX - sizeof(*b))
		return NULL;
	b = calloc(1, sizeof(*b) + n);
	if (!b)
		return NULL;
	b->next = a->head;
	a->head = b;
	return b->data;
}

static void arena_free(struct sql_arena *a)
{
	struct arena_blk *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

/* --- lexer ---------------------------------------------------------------- */

enum tk {
	TK_EOF = 0,
	TK_WORD,	 /* unquoted identifier or keyword */
	TK_QIDENT,	 /* `back quoted` */
	TK_STRING,	 /* '…' or "…" */
	TK_NUMBER,	 /* digits only */
	TK_DECNUM,	 /* digits.digits, digits. or .digits */
	TK_FLOAT,	 /* digits[.digits]e[+|-]digits */
	TK_BADNUM,	 /* float, hex, binary: never valid here */
	TK_VAR,		 /* @name, @`name`, @'name', @"name" */
	TK_OP,		 /* punctuation, see enum op */
	TK_SEMI,	 /* ; */
	TK_OPEN_QUOTE,	 /* a quote left open: runs to the end of the text */
	TK_OPEN_COMMENT, /* a slash-star comment left open */
};

enum op {
	OP_NONE = 0,
	OP_LPAREN,
	OP_RPAREN,
	OP_COMMA,
	OP_DOT,
	OP_STAR,
	OP_EQ,
	OP_LT,
	OP_GT,
	OP_LE,
	OP_GE,
	OP_NE,
	OP_NSEQ, /* <=> (recognised so it is one token; never accepted) */
	OP_PLUS,
	OP_MINUS,
	OP_SLASH,
	OP_PERCENT,
	OP_ASSIGN, /* := */
	OP_OTHER,  /* any other byte */
};

struct tok {
	enum tk kind;
	enum op op;
	size_t off;
	size_t len;
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Bytes of an unquoted identifier: MariaDB also takes any non-ASCII byte. */
static bool is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '$' ||
	       c >= 0x80;
}

static unsigned char upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* Skip whitespace and comments from pos. Returns the new position; *open is
 * set when a slash-star comment runs to the end (then the return value is
 * the comment's start). */
static size_t skip_blank(const char *s, size_t len, size_t pos, bool *open)
{
	*open = false;
	while (pos < len) {
		unsigned char c = (unsigned char)s[pos];

		if (is_space(c)) {
			pos++;
		} else if (c == '#' || (c == '-' && pos + 1 < len && s[pos + 1] == '-' &&
					(pos + 2 == len || (unsigned char)s[pos + 2] <= ' '))) {
			/* "-- " needs whitespace or a control byte after it */
			while (pos < len && s[pos] != '\n')
				pos++;
		} else if (c == '/' && pos + 1 < len && s[pos + 1] == '*') {
			size_t i = pos + 2;

			while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'))
				i++;
			if (i + 1 >= len) {
				*open = true;
				return pos;
			}
			pos = i + 2;
		} else {
			break;
		}
	}
	return pos;
}

/* Scan a quoted token starting at s[pos] (the quote). Returns the offset just
 * past the closing quote, or len if it is never closed (*closed false). */
static size_t scan_quoted(const char *s, size_t len, size_t pos, bool *closed)
{
	char q = s[pos];
	size_t i = pos + 1;

	*closed = false;
	while (i < len) {
		if (q != '`' && s[i] == '\\') {
			i += 2;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i += 2;
				continue;
			}
			*closed = true;
			return i + 1;
		}
		i++;
	}
	return len;
}

/* The next token at or after pos. Returns the offset just past it. */
static size_t lex(const char *s, size_t len, size_t pos, struct tok *t)
{
	bool open;
	size_t i;
	unsigned char c;

	pos = skip_blank(s, len, pos, &open);
	t->off = pos;
	t->op = OP_NONE;
	if (open) {
		t->kind = TK_OPEN_COMMENT;
		t->len = len - pos;
		return len;
	}
	if (pos >= len) {
		t->kind = TK_EOF;
		t->len = 0;
		return len;
	}
	c = (unsigned char)s[pos];
	i = pos + 1;
	if (c == '\'' || c == '"' || c == '`') {
		bool closed;

		i = scan_quoted(s, len, pos, &closed);
		t->kind = closed ? (c == '`' ? TK_QIDENT : TK_STRING) : TK_OPEN_QUOTE;
	} else if (is_digit(c)) {
		/* digits; digits.digits; 1e5; 0x1F; 0b01; or an identifier such
		 * as 1abc (MariaDB's rules, simplified to what matters here) */
		while (i < len && is_digit((unsigned char)s[i]))
			i++;
		t->kind = TK_NUMBER;
		if (i < len && s[i] == '.') {
			i++;
			while (i < len && is_digit((unsigned char)s[i]))
				i++;
			t->kind = TK_DECNUM;
		}
		if (i < len && (s[i] == 'e' || s[i] == 'E')) {
			size_t j = i + 1;

			if (j < len && (s[j] == '+' || s[j] == '-'))
				j++;
			if (j < len && is_digit((unsigned char)s[j])) {
				while (j < len && is_digit((unsigned char)s[j]))
					j++;
				i = j;
				t->kind = TK_FLOAT;
			}
		}
		if (t->kind == TK_NUMBER && i == pos + 1 && c == '0' && i < len &&
		    (s[i] == 'x' || s[i] == 'b')) {
			size_t j = i + 1;

			while (j < len &&
			       (s[i] == 'x' ? is_xdigit((unsigned char)s[j]) : (s[j] == '0' || s[j] == '1')))
				j++;
			if (j > i + 1 && (j == len || !is_ident((unsigned char)s[j]))) {
				i = j;
				t->kind = TK_BADNUM;
			}
		}
		if (t->kind != TK_DECNUM && i < len && is_ident((unsigned char)s[i])) {
			/* the digits were the start of an identifier (1abc); a
			 * decimal number ends where letters start (1.5abc is 1.5
			 * and abc, as in MariaDB) */
			while (i < len && is_ident((unsigned char)s[i]))
				i++;
			t->kind = t->kind == TK_NUMBER ? TK_WORD : TK_BADNUM;
		}
	} else if (c == '.' && i < len && is_digit((unsigned char)s[i])) {
		while (i < len && is_digit((unsigned char)s[i]))
			i++;
		t->kind = TK_DECNUM;
		if (i < len && (s[i] == 'e' || s[i] == 'E' || s[i] == '.')) {
			while (i < len && (is_ident((unsigned char)s[i]) || s[i] == '.'))
				i++;
			t->kind = TK_BADNUM;
		}
	} else if (c == '@' && i < len &&
		   (is_ident((unsigned char)s[i]) || s[i] == '`' || s[i] == '\'' || s[i] == '"')) {
		if (is_ident((unsigned char)s[i])) {
			while (i < len && is_ident((unsigned char)s[i]))
				i++;
			t->kind = TK_VAR;
		} else {
			bool closed;

			i = scan_quoted(s, len, i, &closed);
			t->kind = closed ? TK_VAR : TK_OPEN_QUOTE;
		}
	} else if (is_ident(c)) {
		while (i < len && is_ident((unsigned char)s[i]))
			i++;
		t->kind = TK_WORD;
	} else if (c == ';') {
		t->kind = TK_SEMI;
	} else {
		t->kind = TK_OP;
		switch (c) {
		case '(':
			t->op = OP_LPAREN;
			break;
		case ')':
			t->op = OP_RPAREN;
			break;
		case ',':
			t->op = OP_COMMA;
			break;
		case '.':
			t->op = OP_DOT;
			break;
		case '*':
			t->op = OP_STAR;
			break;
		case '=':
			t->op = OP_EQ;
			break;
		case '+':
			t->op = OP_PLUS;
			break;
		case '-':
			t->op = OP_MINUS;
			break;
		case '/':
			t->op = OP_SLASH;
			break;
		case '%':
			t->op = OP_PERCENT;
			break;
		case ':':
			t->op = OP_OTHER;
			if (i < len && s[i] == '=') {
				t->op = OP_ASSIGN;
				i++;
			}
			break;
		case '<':
			t->op = OP_LT;
			if (i < len && s[i] == '=') {
				t->op = OP_LE;
				i++;
				if (i < len && s[i] == '>') {
					t->op = OP_NSEQ;
					i++;
				}
			} else if (i < len && s[i] == '>') {
				t->op = OP_NE;
				i++;
			}
			break;
		case '>':
			t->op = OP_GT;
			if (i < len && s[i] == '=') {
				t->op = OP_GE;
				i++;
			}
			break;
		case '!':
			t->op = OP_OTHER;
			if (i < len && s[i] == '=') {
				t->op = OP_NE;
				i++;
			}
			break;
		default:
			t->op = OP_OTHER;
			break;
		}
	}
	t->len = i - pos;
	return i;
}

/* --- splitting and completeness ------------------------------------------- */

static unsigned count_lines(const char *s, size_t from, size_t to, unsigned line)
{
	for (size_t i = from; i < to; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

int sql_split(const char *text, size_t len, struct sql_piece **out, size_t *n)
{
	struct sql_piece *v = NULL;
	size_t cap = 0, cnt = 0, pos = 0, start = 0, end = 0, counted = 0;
	unsigned line = 1;
	bool in_stmt = false;
	struct tok t;

	*out = NULL;
	*n = 0;
	for (;;) {
		pos = lex(text, len, pos, &t);
		if (t.kind == TK_SEMI || t.kind == TK_EOF) {
			if (in_stmt) {
				if (cnt == cap) {
					size_t ncap = cap ? cap * 2 : 8;
					struct sql_piece *nv;

					nv = realloc(v, ncap * sizeof(*v));
					if (!nv) {
						free(v);
						return -ENOMEM;
					}
					v = nv;
					cap = ncap;
				}
				line = count_lines(text, counted, start, line);
				counted = start;
				v[cnt].off = start;
				v[cnt].len = end - start;
				v[cnt].line = line;
				cnt++;
				in_stmt = false;
			}
			if (t.kind == TK_EOF)
				break;
			continue;
		}
		if (!in_stmt) {
			in_stmt = true;
			start = t.off;
		}
		end = t.off + t.len;
	}
	*out = v;
	*n = cnt;
	return 0;
}

bool sql_complete(const char *buf, size_t len, size_t *end)
{
	size_t pos = 0;
	struct tok t;

	for (;;) {
		pos = lex(buf, len, pos, &t);
		if (t.kind == TK_SEMI) {
			*end = t.off + 1;
			return true;
		}
		if (t.kind == TK_EOF || t.kind == TK_OPEN_QUOTE || t.kind == TK_OPEN_COMMENT)
			return false;
	}
}

bool sql_is_blank(const char *text, size_t len)
{
	struct tok t;

	lex(text, len, 0, &t);
	return t.kind == TK_EOF;
}

/* --- parser state and errors ---------------------------------------------- */

struct parser {
	const char *s; /* the arena copy of the statement */
	size_t len;
	struct tok *toks; /* ends with one TK_EOF */
	size_t ntok;
	size_t pos; /* current token */
	struct sql_arena *arena;
	struct sql_error *err;
	const char *names_src[2]; /* the last name parsed, before checks */
	struct sql_stmt *drop;	  /* a DROP whose name list has begun */
	int rc;			  /* what sql_parse returns after the jump */
	jmp_buf jb;
};

#define NORETURN _Noreturn

static const char syntax_msg[] = "You have an error in your SQL syntax; check the manual that "
				 "corresponds to your MariaDB server version for the right syntax to "
				 "use near '%s' at line %u";

/* Copy at most max bytes of s (stopping at a NUL) into buf without cutting a
 * UTF-8 sequence, as MariaDB's "%-.80s" does. */
static void copy_cut(char *buf, const char *s, size_t n, size_t max)
{
	size_t k = 0;

	while (k < n && k < max && s[k] != '\0')
		k++;
	if (k < n && k == max && s[k] != '\0') {
		/* cut inside a multi-byte character? back off to its start */
		size_t j = k;

		while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
			j--;
		if (j < k && (unsigned char)s[j] >= 0xC0) {
			unsigned char lead = (unsigned char)s[j];
			size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;

			if (j + need > k)
				k = j;
		}
	}
	memcpy(buf, s, k);
	buf[k] = '\0';
}

static NORETURN void fail(struct parser *p, int code, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static NORETURN void fail(struct parser *p, int code, const char *state, const char *fmt, ...)
{
	va_list ap;

	if (p->err) {
		memset(p->err, 0, sizeof(*p->err));
		p->err->code = code;
		snprintf(p->err->sqlstate, sizeof(p->err->sqlstate), "%s", state);
		va_start(ap, fmt);
		vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
		va_end(ap);
	}
	p->rc = -code;
	longjmp(p->jb, 1);
}

/* Fill *err with the 1064 at token i. */
static void syntax_fill(const struct parser *p, size_t i, struct sql_error *err)
{
	const struct tok *t = &p->toks[i < p->ntok ? i : p->ntok - 1];
	char near[81];
	unsigned line = count_lines(p->s, 0, t->off, 1);
	size_t rest = strnlen(p->s + t->off, p->len - t->off);

	/* MariaDB's '%-.80T': at most 80 bytes, else 77 and "..." */
	if (rest > 80) {
		copy_cut(near, p->s + t->off, rest, 77);
		strcat(near, "...");
	} else {
		copy_cut(near, p->s + t->off, rest, 80);
	}
	memset(err, 0, sizeof(*err));
	err->code = SHMSEQ_ERR_PARSE;
	memcpy(err->sqlstate, "42000", 6);
	snprintf(err->message, sizeof(err->message), syntax_msg, near, line);
	err->offset = t->off;
	err->line = line;
}

/* 1064 at token i. */
static NORETURN void syntax_error(struct parser *p, size_t i)
{
	if (p->err)
		syntax_fill(p, i, p->err);
	p->rc = -SHMSEQ_ERR_PARSE;
	longjmp(p->jb, 1);
}

static NORETURN void out_of_memory(struct parser *p)
{
	if (p->err) {
		memset(p->err, 0, sizeof(*p->err));
		snprintf(p->err->message, sizeof(p->err->message), "out of memory");
	}
	p->rc = -ENOMEM;
	longjmp(p->jb, 1);
}

static void *xalloc(struct parser *p, size_t n)
{
	void *m = arena_alloc(p->arena, n ? n : 1);

	if (!m)
		out_of_memory(p);
	return m;
}

/* Make room for element n of a growing array of elem-byte elements. */
static void *grow(struct parser *p, void *arr, size_t *cap, size_t n, size_t elem)
{
	void *na;

	if (n < *cap)
		return arr;
	if (*cap > SIZE_MAX / 2 / elem)
		out_of_memory(p);
	*cap = *cap ? *cap * 2 : 4;
	na = xalloc(p, *cap * elem);
	if (n)
		memcpy(na, arr, n * elem);
	return na;
}

/* --- token helpers -------------------------------------------------------- */

static const struct tok *tk(const struct parser *p, size_t i)
{
	return &p->toks[i < p->ntok ? i : p->ntok - 1];
}

static const struct tok *cur(const struct parser *p)
{
	return tk(p, p->pos);
}

static bool word_is(const struct parser *p, const struct tok *t, const char *kw)
{
	size_t n = strlen(kw);

	if (t->kind != TK_WORD || t->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (upper((unsigned char)p->s[t->off + i]) != (unsigned char)kw[i])
			return false;
	return true;
}

static bool is_kw(const struct parser *p, size_t i, const char *kw)
{
	return word_is(p, tk(p, i), kw);
}

static bool accept_kw(struct parser *p, const char *kw)
{
	if (!is_kw(p, p->pos, kw))
		return false;
	p->pos++;
	return true;
}

static void expect_kw(struct parser *p, const char *kw)
{
	if (!accept_kw(p, kw))
		syntax_error(p, p->pos);
}

static bool is_op(const struct parser *p, size_t i, enum op op)
{
	const struct tok *t = tk(p, i);

	return t->kind == TK_OP && t->op == op;
}

static bool accept_op(struct parser *p, enum op op)
{
	if (!is_op(p, p->pos, op))
		return false;
	p->pos++;
	return true;
}

static void expect_op(struct parser *p, enum op op)
{
	if (!accept_op(p, op))
		syntax_error(p, p->pos);
}

static void expect_end(struct parser *p)
{
	if (cur(p)->kind != TK_EOF)
		syntax_error(p, p->pos);
}

/* MariaDB's reserved words (10.11): these are never unquoted identifiers. */
static const char *const reserved[] = {
	"ACCESSIBLE",
	"ADD",
	"ALL",
	"ALTER",
	"ANALYZE",
	"AND",
	"AS",
	"ASC",
	"ASENSITIVE",
	"BEFORE",
	"BETWEEN",
	"BIGINT",
	"BINARY",
	"BLOB",
	"BOTH",
	"BY",
	"CALL",
	"CASCADE",
	"CASE",
	"CHANGE",
	"CHAR",
	"CHARACTER",
	"CHECK",
	"COLLATE",
	"COLUMN",
	"CONDITION",
	"CONSTRAINT",
	"CONTINUE",
	"CONVERT",
	"CREATE",
	"CROSS",
	"CURRENT_DATE",
	"CURRENT_ROLE",
	"CURRENT_TIME",
	"CURRENT_TIMESTAMP",
	"CURRENT_USER",
	"CURSOR",
	"DATABASE",
	"DATABASES",
	"DAY_HOUR",
	"DAY_MICROSECOND",
	"DAY_MINUTE",
	"DAY_SECOND",
	"DEC",
	"DECIMAL",
	"DECLARE",
	"DEFAULT",
	"DELAYED",
	"DELETE",
	"DELETE_DOMAIN_ID",
	"DESC",
	"DESCRIBE",
	"DETERMINISTIC",
	"DISTINCT",
	"DISTINCTROW",
	"DIV",
	"DO_DOMAIN_IDS",
	"DOUBLE",
	"DROP",
	"DUAL",
	"EACH",
	"ELSE",
	"ELSEIF",
	"ENCLOSED",
	"ESCAPED",
	"EXCEPT",
	"EXISTS",
	"EXIT",
	"EXPLAIN",
	"FALSE",
	"FETCH",
	"FLOAT",
	"FLOAT4",
	"FLOAT8",
	"FOR",
	"FORCE",
	"FOREIGN",
	"FROM",
	"FULLTEXT",
	"GENERAL",
	"GRANT",
	"GROUP",
	"HAVING",
	"HIGH_PRIORITY",
	"HOUR_MICROSECOND",
	"HOUR_MINUTE",
	"HOUR_SECOND",
	"IF",
	"IGNORE",
	"IGNORE_DOMAIN_IDS",
	"IGNORE_SERVER_IDS",
	"IN",
	"INDEX",
	"INFILE",
	"INNER",
	"INOUT",
	"INSENSITIVE",
	"INSERT",
	"INT",
	"INT1",
	"INT2",
	"INT3",
	"INT4",
	"INT8",
	"INTEGER",
	"INTERSECT",
	"INTERVAL",
	"INTO",
	"IS",
	"ITERATE",
	"JOIN",
	"KEY",
	"KEYS",
	"KILL",
	"LEADING",
	"LEAVE",
	"LEFT",
	"LIKE",
	"LIMIT",
	"LINEAR",
	"LINES",
	"LOAD",
	"LOCALTIME",
	"LOCALTIMESTAMP",
	"LOCK",
	"LONG",
	"LONGBLOB",
	"LONGTEXT",
	"LOOP",
	"LOW_PRIORITY",
	"MASTER_HEARTBEAT_PERIOD",
	"MASTER_SSL_VERIFY_SERVER_CERT",
	"MATCH",
	"MAXVALUE",
	"MEDIUMBLOB",
	"MEDIUMINT",
	"MEDIUMTEXT",
	"MIDDLEINT",
	"MINUTE_MICROSECOND",
	"MINUTE_SECOND",
	"MOD",
	"MODIFIES",
	"NATURAL",
	"NOT",
	"NO_WRITE_TO_BINLOG",
	"NULL",
	"NUMERIC",
	"OFFSET",
	"ON",
	"OPTIMIZE",
	"OPTION",
	"OPTIONALLY",
	"OR",
	"ORDER",
	"OUT",
	"OUTER",
	"OUTFILE",
	"OVER",
	"PAGE_CHECKSUM",
	"PARSE_VCOL_EXPR",
	"PARTITION",
	"POSITION",
	"PRECISION",
	"PRIMARY",
	"PROCEDURE",
	"PURGE",
	"RANGE",
	"READ",
	"READS",
	"READ_WRITE",
	"REAL",
	"RECURSIVE",
	"REF_SYSTEM_ID",
	"REFERENCES",
	"REGEXP",
	"RELEASE",
	"RENAME",
	"REPEAT",
	"REPLACE",
	"REQUIRE",
	"RESIGNAL",
	"RESTRICT",
	"RETURN",
	"RETURNING",
	"REVOKE",
	"RIGHT",
	"RLIKE",
	"ROW_NUMBER",
	"ROWS",
	"SCHEMA",
	"SCHEMAS",
	"SECOND_MICROSECOND",
	"SELECT",
	"SENSITIVE",
	"SEPARATOR",
	"SET",
	"SHOW",
	"SIGNAL",
	"SLOW",
	"SMALLINT",
	"SPATIAL",
	"SPECIFIC",
	"SQL",
	"SQLEXCEPTION",
	"SQLSTATE",
	"SQLWARNING",
	"SQL_BIG_RESULT",
	"SQL_CALC_FOUND_ROWS",
	"SQL_SMALL_RESULT",
	"SSL",
	"STARTING",
	"STATS_AUTO_RECALC",
	"STATS_PERSISTENT",
	"STATS_SAMPLE_PAGES",
	"STRAIGHT_JOIN",
	"TABLE",
	"TERMINATED",
	"THEN",
	"TINYBLOB",
	"TINYINT",
	"TINYTEXT",
	"TO",
	"TRAILING",
	"TRIGGER",
	"TRUE",
	"UNDO",
	"UNION",
	"UNIQUE",
	"UNLOCK",
	"UNSIGNED",
	"UPDATE",
	"USAGE",
	"USE",
	"USING",
	"UTC_DATE",
	"UTC_TIME",
	"UTC_TIMESTAMP",
	"VALUES",
	"VARBINARY",
	"VARCHAR",
	"VARCHARACTER",
	"VARYING",
	"WHEN",
	"WHERE",
	"WHILE",
	"WINDOW",
	"WITH",
	"WRITE",
	"XOR",
	"YEAR_MONTH",
	"ZEROFILL",
};

static bool is_reserved(const struct parser *p, const struct tok *t)
{
	if (t->kind != TK_WORD)
		return false;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (word_is(p, t, reserved[i]))
			return true;
	return false;
}

/* Whether token i can be an unquoted or quoted identifier. */
static bool is_ident_tok(const struct parser *p, size_t i)
{
	const struct tok *t = tk(p, i);

	return t->kind == TK_QIDENT || (t->kind == TK_WORD && !is_reserved(p, t));
}

/* --- identifiers and names ------------------------------------------------ */

enum ident_role { ROLE_TABLE, ROLE_DB, ROLE_COLUMN, ROLE_OTHER };

/* Length of the utf8mb3 character at s (MariaDB's identifier character
 * set: no 4-byte characters, no surrogates, no overlong forms), or 0 when
 * the bytes there are not one. */
static size_t utf8mb3_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))
			return 0;
		return 3;
	}
	return 0;
}

/* 1300 unless name is utf8mb3; MariaDB shows the name with every byte of a
 * character it refuses as \xHH. */
static void check_utf8(struct parser *p, const char *name, size_t n)
{
	const unsigned char *u = (const unsigned char *)name;
	size_t i = 0;

	while (i < n && utf8mb3_len(u + i, n - i))
		i += utf8mb3_len(u + i, n - i);
	if (i == n)
		return;

	char shown[256];
	size_t k = 0;

	for (i = 0; i < n && k + 5 < sizeof(shown);) {
		size_t l = utf8mb3_len(u + i, n - i);

		if (l) {
			if (k + l >= sizeof(shown) - 1)
				break;
			memcpy(shown + k, name + i, l);
			k += l;
			i += l;
			continue;
		}
		/* a 4-byte character is shown whole, anything else byte by byte */
		l = 1;
		if (u[i] >= 0xF0 && u[i] <= 0xF4)
			while (l < 4 && i + l < n && (u[i + l] & 0xC0) == 0x80)
				l++;
		for (size_t j = 0; j < l && k + 5 < sizeof(shown); j++)
			k += (size_t)snprintf(shown + k, sizeof(shown) - k, "\\x%02X", u[i + j]);
		i += l;
	}
	shown[k] = '\0';
	fail(p, SQL_ERR_INVALID_CHARSET, "HY000", "Invalid utf8mb4 character string: '%s'", shown);
}

/* The text of identifier token i (quotes removed, `` undoubled) into a fresh
 * arena string; *n its length. NUL bytes are refused with a 1064, bytes that
 * are not utf8mb3 with a 1300. */
static char *ident_text(struct parser *p, size_t i, size_t *n)
{
	const struct tok *t = tk(p, i);
	const char *s = p->s + t->off;
	char *out = xalloc(p, t->len + 1);
	size_t k = 0;

	if (t->kind == TK_QIDENT) {
		for (size_t j = 1; j + 1 < t->len; j++) {
			if (s[j] == '`')
				j++; /* doubled back quote */
			out[k++] = s[j];
		}
	} else {
		memcpy(out, s, t->len);
		k = t->len;
	}
	if (memchr(out, '\0', k))
		syntax_error(p, i);
	out[k] = '\0';
	check_utf8(p, out, k);
	*n = k;
	return out;
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* Check a name like MariaDB's check_table_name()/check_db_name(): a table
 * or database name longer than 64 characters, empty or ending in a space is
 * 1103/1102; a column name is never refused here: an empty or long one is
 * just unknown (1054, from the executor). */
static void check_name(struct parser *p, const char *name, size_t n, enum ident_role role)
{
	char shown[101];
	bool bad = n == 0 || name[n - 1] == ' ';

	copy_cut(shown, name, n, 100);
	if ((role == ROLE_TABLE || role == ROLE_DB) && utf8_chars(name, n) > SQL_NAME_CHARS)
		bad = true;
	if (!bad)
		return;
	switch (role) {
	case ROLE_TABLE:
		fail(p, SQL_ERR_WRONG_TABLE_NAME, "42000", "Incorrect table name '%s'", shown);
	case ROLE_DB:
		fail(p, SQL_ERR_WRONG_DB_NAME, "42000", "Incorrect database name '%s'", shown);
	case ROLE_COLUMN: /* even an empty one is just unknown (1054) */
	case ROLE_OTHER:
		break;
	}
}

/* One identifier as a fresh arena string. any_word: a reserved word is fine
 * too (MariaDB takes any word after "db."). */
static char *parse_ident_str(struct parser *p, enum ident_role role, bool any_word, size_t *len)
{
	const struct tok *t = cur(p);
	size_t n;
	char *s;

	if (!(t->kind == TK_QIDENT || (t->kind == TK_WORD && (any_word || !is_reserved(p, t)))))
		syntax_error(p, p->pos);
	s = ident_text(p, p->pos, &n);
	check_name(p, s, n, role);
	p->pos++;
	if (len)
		*len = n;
	return s;
}

/* One database name into out[SQL_NAME_BYTES + 1]. */
static void parse_db(struct parser *p, char *out)
{
	size_t n;
	char *s = parse_ident_str(p, ROLE_DB, false, &n);

	memcpy(out, s, n + 1);
}

/* [db.]name; the length and emptiness checks wait for check_names() when
 * defer is set (CREATE says 1221 between the two). */
static void parse_name_only(struct parser *p, struct sql_name *nm, size_t lens[2])
{
	char *a, *b;
	bool leading_dot = false;

	if (accept_op(p, OP_DOT)) {
		/* .name: the current database (MariaDB's '.' ident); any word
		 * may follow the dot, as after db. */
		if (!(cur(p)->kind == TK_QIDENT || cur(p)->kind == TK_WORD))
			syntax_error(p, p->pos);
		leading_dot = true;
	} else if (!is_ident_tok(p, p->pos)) {
		syntax_error(p, p->pos);
	}
	a = ident_text(p, p->pos, &lens[0]);
	p->pos++;
	if (leading_dot || !accept_op(p, OP_DOT)) {
		/* a name of more than SQL_NAME_BYTES bytes has more than 64
		 * characters: check_names() refuses it */
		nm->db[0] = '\0';
		lens[1] = lens[0];
		lens[0] = 0;
		memcpy(nm->name, a, lens[1] > SQL_NAME_BYTES ? SQL_NAME_BYTES : lens[1]);
		nm->name[lens[1] > SQL_NAME_BYTES ? SQL_NAME_BYTES : lens[1]] = '\0';
		p->names_src[0] = NULL;
		p->names_src[1] = a;
		return;
	}
	if (!(cur(p)->kind == TK_QIDENT || cur(p)->kind == TK_WORD))
		syntax_error(p, p->pos);
	b = ident_text(p, p->pos, &lens[1]);
	p->pos++;
	memcpy(nm->db, a, lens[0] > SQL_NAME_BYTES ? SQL_NAME_BYTES : lens[0]);
	nm->db[lens[0] > SQL_NAME_BYTES ? SQL_NAME_BYTES : lens[0]] = '\0';
	memcpy(nm->name, b, lens[1] > SQL_NAME_BYTES ? SQL_NAME_BYTES : lens[1]);
	nm->name[lens[1] > SQL_NAME_BYTES ? SQL_NAME_BYTES : lens[1]] = '\0';
	p->names_src[0] = a;
	p->names_src[1] = b;
}

/* The checks parse_name_only() left: MariaDB checks the table part first,
 * then the database. */
static void check_names(struct parser *p, const size_t lens[2])
{
	check_name(p, p->names_src[1], lens[1], ROLE_TABLE);
	if (p->names_src[0])
		check_name(p, p->names_src[0], lens[0], ROLE_DB);
}

/* [db.]name */
static void parse_name(struct parser *p, struct sql_name *nm)
{
	size_t lens[2];

	parse_name_only(p, nm, lens);
	check_names(p, lens);
}

/* --- literals ------------------------------------------------------------- */

/* 2^64: the saturation bound of literals that are not range-checked. */
#define SAT64 ((__int128)1 << 64)
#define I64MAX ((__int128)INT64_MAX)
#define U64MAX ((__int128)UINT64_MAX)

/* [+|-] digits. Returns the value with its magnitude saturated at 2^100 (far
 * beyond anything valid) and the index of the digits token in *numtok. */
static __int128 parse_sint(struct parser *p, size_t *numtok)
{
	const struct tok *t;
	bool neg = false;
	__int128 mag = 0;
	const __int128 cap = (__int128)1 << 100;

	if (accept_op(p, OP_MINUS))
		neg = true;
	else
		accept_op(p, OP_PLUS);
	t = cur(p);
	if (t->kind != TK_NUMBER)
		syntax_error(p, p->pos);
	for (size_t i = 0; i < t->len; i++) {
		mag = mag * 10 + (p->s[t->off + i] - '0');
		if (mag > cap)
			mag = cap;
	}
	*numtok = p->pos++;
	return neg ? -mag : mag;
}

/* An int that must fit a signed 64-bit literal: [-(2^63-1), 2^63-1]
 * (MariaDB cannot form -2^63: the magnitude overflows before negation). */
/* MariaDB's longlong_num: [-] digits, or + digits where the digits form a
 * NUM token (at most 2147483647: a larger literal is a LONG_NUM, which the
 * grammar takes only without a plus sign, so +3000000000 is a 1064). */
static __int128 parse_longlong(struct parser *p, size_t *numtok)
{
	bool plus = is_op(p, p->pos, OP_PLUS);
	__int128 v = parse_sint(p, numtok);

	if (plus && v > INT32_MAX)
		syntax_error(p, *numtok);
	return v;
}

static int64_t parse_i64(struct parser *p)
{
	size_t at;
	__int128 v = parse_longlong(p, &at);

	if (v > I64MAX || v < -I64MAX)
		syntax_error(p, at);
	return (int64_t)v;
}

static __int128 sat64(__int128 v)
{
	return v > SAT64 ? SAT64 : v < -SAT64 ? -SAT64 : v;
}

/* An unsigned literal (no sign) up to max; *at the token. */
static __int128 parse_uint(struct parser *p, __int128 max)
{
	size_t at = p->pos;
	__int128 v;

	if (cur(p)->kind != TK_NUMBER)
		syntax_error(p, p->pos);
	v = parse_sint(p, &at);
	if (v > max)
		syntax_error(p, at);
	return v;
}

/* Decode one or more adjacent string literals (MariaDB concatenates them)
 * with MariaDB's escapes into a fresh arena string. */
static char *parse_string(struct parser *p, size_t *n)
{
	size_t first = p->pos, last, total = 0, k = 0;
	char *out;

	if (cur(p)->kind != TK_STRING)
		syntax_error(p, p->pos);
	while (cur(p)->kind == TK_STRING) {
		total += cur(p)->len;
		p->pos++;
	}
	last = p->pos;
	out = xalloc(p, total + 1);
	for (size_t i = first; i < last; i++) {
		const struct tok *t = tk(p, i);
		const char *s = p->s + t->off;
		char q = s[0];

		for (size_t j = 1; j + 1 < t->len; j++) {
			char c = s[j];

			if (c == q) { /* doubled quote */
				j++;
				out[k++] = q;
			} else if (c == '\\' && j + 2 < t->len) {
				char e = s[++j];

				switch (e) {
				case '0':
					out[k++] = '\0';
					break;
				case 'b':
					out[k++] = '\b';
					break;
				case 'n':
					out[k++] = '\n';
					break;
				case 'r':
					out[k++] = '\r';
					break;
				case 't':
					out[k++] = '\t';
					break;
				case 'Z':
					out[k++] = '\032';
					break;
				case '%':
				case '_': /* kept with the backslash */
					out[k++] = '\\';
					out[k++] = e;
					break;
				default:
					out[k++] = e;
					break;
				}
			} else {
				out[k++] = c;
			}
		}
	}
	out[k] = '\0';
	*n = k;
	return out;
}

/* --- CREATE / ALTER options (§1.1, §1.2, §5.1) ------------------------------ */

static void set_given(struct parser *p, struct seq_options *o, unsigned bit, const char *name)
{
	if (o->given & bit)
		fail(p, SHMSEQ_ERR_DUP_ARGUMENT, "HY000", "Option '%s' used twice in statement", name);
	o->given |= bit;
}

/* AS int_type [SIGNED|UNSIGNED|ZEROFILL]* (11.5+, §1.6) */
/* Whether the token after AS names an integer type. */
static bool as_type_follows(const struct parser *p)
{
	static const char *const kw[] = {"TINYINT",   "INT1", "SMALLINT", "INT2", "MEDIUMINT", "INT3",
					 "MIDDLEINT", "INT",  "INTEGER",  "INT4", "BIGINT",    "INT8"};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (is_kw(p, p->pos + 1, kw[i]))
			return true;
	return false;
}

static void parse_as(struct parser *p, struct seq_options *o)
{
	static const struct {
		const char *kw;
		enum seq_type type;
	} types[] = {
		{"TINYINT", SEQ_TYPE_TINYINT},	   {"INT1", SEQ_TYPE_TINYINT},
		{"SMALLINT", SEQ_TYPE_SMALLINT},   {"INT2", SEQ_TYPE_SMALLINT},
		{"MEDIUMINT", SEQ_TYPE_MEDIUMINT}, {"INT3", SEQ_TYPE_MEDIUMINT},
		{"MIDDLEINT", SEQ_TYPE_MEDIUMINT}, {"INT", SEQ_TYPE_INT},
		{"INTEGER", SEQ_TYPE_INT},	   {"INT4", SEQ_TYPE_INT},
		{"BIGINT", SEQ_TYPE_BIGINT},	   {"INT8", SEQ_TYPE_BIGINT},
	};
	bool found = false, is_unsigned = false, zerofill = false;
	enum seq_type type = SEQ_TYPE_BIGINT;

	expect_kw(p, "AS");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (accept_kw(p, types[i].kw)) {
			type = types[i].type;
			found = true;
			break;
		}
	}
	if (!found)
		syntax_error(p, p->pos);
	for (;;) {
		if (accept_kw(p, "SIGNED"))
			continue;
		if (accept_kw(p, "UNSIGNED")) {
			is_unsigned = true;
			continue;
		}
		if (accept_kw(p, "ZEROFILL")) {
			zerofill = true;
			continue;
		}
		break;
	}
	if (zerofill)
		fail(p, SQL_ERR_BAD_OPTION_VALUE, "HY000", "Incorrect value 'ZEROFILL' for option 'AS'");
	set_given(p, o, SEQ_OPT_AS, "AS");
	o->type = (uint8_t)type;
	o->is_unsigned = is_unsigned;
}

/* Whether the current token can start an int literal. */
static bool at_int(const struct parser *p)
{
	const struct tok *t = cur(p);

	return t->kind == TK_NUMBER || (t->kind == TK_OP && (t->op == OP_PLUS || t->op == OP_MINUS));
}

/* START value: a signed 64-bit literal, or up to 2^64-1 (meaningful only for
 * an unsigned type; *big gets the token of such a value). */
static __int128 parse_start_value(struct parser *p, size_t *big)
{
	size_t at;
	__int128 v = parse_longlong(p, &at);

	if (v > U64MAX || v < -I64MAX)
		syntax_error(p, at);
	if (v > I64MAX && *big == SIZE_MAX)
		*big = at;
	return v;
}

/* MINVALUE/MAXVALUE value: any length, clamped into [INT64_MIN, UINT64_MAX]
 * (11.5+: seqdef applies the type's truncation rules and notes). */
static __int128 parse_bound_value(struct parser *p)
{
	size_t at;
	__int128 v = parse_longlong(p, &at);

	if (v < (__int128)INT64_MIN)
		v = INT64_MIN;
	if (v > U64MAX)
		v = U64MAX;
	return v;
}

/* One sequence option, if the current token starts one; false otherwise.
 * alter: RESTART is allowed. AS is not handled here. *big: see
 * parse_start_value. */
static bool parse_seq_option(struct parser *p, struct seq_options *o, bool alter, size_t *big)
{
	if (accept_kw(p, "START")) {
		if (!accept_kw(p, "WITH"))
			accept_op(p, OP_EQ);
		o->start = parse_start_value(p, big);
		set_given(p, o, SEQ_OPT_START, "START");
	} else if (accept_kw(p, "INCREMENT")) {
		if (!accept_kw(p, "BY"))
			accept_op(p, OP_EQ);
		o->increment = parse_i64(p);
		set_given(p, o, SEQ_OPT_INCREMENT, "INCREMENT");
	} else if (accept_kw(p, "MINVALUE")) {
		accept_op(p, OP_EQ);
		o->minvalue = parse_bound_value(p);
		o->min_none = false;
		/* MariaDB 10.11 does not count MINVALUE n as a repetition (only
		 * NO MINVALUE after any MINVALUE is 1225): the last one wins */
		o->given |= SEQ_OPT_MINVALUE;
	} else if (accept_kw(p, "MAXVALUE")) {
		accept_op(p, OP_EQ);
		o->maxvalue = parse_bound_value(p);
		o->max_none = false;
		set_given(p, o, SEQ_OPT_MAXVALUE, "MAXVALUE");
	} else if (is_kw(p, p->pos, "NO") &&
		   (is_kw(p, p->pos + 1, "MINVALUE") || is_kw(p, p->pos + 1, "MAXVALUE"))) {
		p->pos++;
		if (accept_kw(p, "MINVALUE")) {
			o->min_none = true;
			set_given(p, o, SEQ_OPT_MINVALUE, "MINVALUE");
		} else {
			expect_kw(p, "MAXVALUE");
			o->max_none = true;
			set_given(p, o, SEQ_OPT_MAXVALUE, "MAXVALUE");
		}
	} else if (is_kw(p, p->pos, "NO")) {
		/* NO CYCLE, NO CACHE, …: MariaDB fails at the second word */
		syntax_error(p, p->pos + 1);
	} else if (accept_kw(p, "NOMINVALUE")) {
		o->min_none = true;
		set_given(p, o, SEQ_OPT_MINVALUE, "MINVALUE");
	} else if (accept_kw(p, "NOMAXVALUE")) {
		o->max_none = true;
		set_given(p, o, SEQ_OPT_MAXVALUE, "MAXVALUE");
	} else if (accept_kw(p, "CACHE")) {
		accept_op(p, OP_EQ);
		o->cache = parse_i64(p);
		set_given(p, o, SEQ_OPT_CACHE, "CACHE");
	} else if (accept_kw(p, "NOCACHE")) {
		o->cache = 0;
		set_given(p, o, SEQ_OPT_CACHE, "CACHE");
	} else if (accept_kw(p, "CYCLE")) {
		o->cycle = true;
		set_given(p, o, SEQ_OPT_CYCLE, "CYCLE");
	} else if (accept_kw(p, "NOCYCLE")) {
		o->cycle = false;
		set_given(p, o, SEQ_OPT_CYCLE, "CYCLE");
	} else if (alter && accept_kw(p, "RESTART")) {
		bool with = accept_kw(p, "WITH") || accept_op(p, OP_EQ);

		if (with || at_int(p)) {
			o->restart = parse_start_value(p, big);
			o->restart_with = true;
		} else {
			o->restart_with = false;
		}
		set_given(p, o, SEQ_OPT_RESTART, "RESTART");
	} else {
		return false;
	}
	return true;
}

/* MariaDB 10.11's keywords that are not reserved (information_schema.KEYWORDS
 * less reserved[]), except those that start a table option (DATA, ENGINE,
 * SEQUENCE, ...) or a sequence option: sorted, upper case. */
static const char *const nonreserved_kw[] = {
	"ACCOUNT",
	"ACTION",
	"ADMIN",
	"AFTER",
	"AGAINST",
	"AGGREGATE",
	"ALGORITHM",
	"ALWAYS",
	"ANY",
	"ASCII",
	"AT",
	"ATOMIC",
	"AUTHORS",
	"AUTO",
	"AUTOEXTEND_SIZE",
	"AVG",
	"BACKUP",
	"BEGIN",
	"BINLOG",
	"BIT",
	"BLOCK",
	"BODY",
	"BOOL",
	"BOOLEAN",
	"BTREE",
	"BYTE",
	"CASCADED",
	"CATALOG_NAME",
	"CHAIN",
	"CHANGED",
	"CHANNEL",
	"CHECKPOINT",
	"CIPHER",
	"CLASS_ORIGIN",
	"CLIENT",
	"CLOB",
	"CLOSE",
	"COALESCE",
	"CODE",
	"COLLATION",
	"COLUMNS",
	"COLUMN_ADD",
	"COLUMN_CHECK",
	"COLUMN_CREATE",
	"COLUMN_DELETE",
	"COLUMN_GET",
	"COLUMN_NAME",
	"COMMIT",
	"COMMITTED",
	"COMPACT",
	"COMPLETION",
	"COMPRESSED",
	"CONCURRENT",
	"CONSISTENT",
	"CONSTRAINT_CATALOG",
	"CONSTRAINT_NAME",
	"CONSTRAINT_SCHEMA",
	"CONTAINS",
	"CONTEXT",
	"CONTRIBUTORS",
	"CPU",
	"CUBE",
	"CURRENT",
	"CURRENT_POS",
	"CURSOR_NAME",
	"CYCLE",
	"DATAFILE",
	"DATE",
	"DATETIME",
	"DAY",
	"DEALLOCATE",
	"DEFINER",
	"DES_KEY_FILE",
	"DIAGNOSTICS",
	"DIRECTORY",
	"DISABLE",
	"DISCARD",
	"DISK",
	"DO",
	"DUMPFILE",
	"DUPLICATE",
	"DYNAMIC",
	"ELSIF",
	"EMPTY",
	"ENABLE",
	"END",
	"ENDS",
	"ENGINES",
	"ENUM",
	"ERROR",
	"ERRORS",
	"ESCAPE",
	"EVENT",
	"EVENTS",
	"EVERY",
	"EXAMINED",
	"EXCEPTION",
	"EXCHANGE",
	"EXCLUDE",
	"EXECUTE",
	"EXPANSION",
	"EXPIRE",
	"EXPORT",
	"EXTENDED",
	"EXTENT_SIZE",
	"FAST",
	"FAULTS",
	"FEDERATED",
	"FIELDS",
	"FILE",
	"FIRST",
	"FIXED",
	"FLUSH",
	"FOLLOWING",
	"FOLLOWS",
	"FORMAT",
	"FOUND",
	"FULL",
	"FUNCTION",
	"GENERATED",
	"GET",
	"GET_FORMAT",
	"GLOBAL",
	"GOTO",
	"GRANTS",
	"HANDLER",
	"HARD",
	"HASH",
	"HELP",
	"HISTORY",
	"HOST",
	"HOSTS",
	"HOUR",
	"ID",
	"IDENTIFIED",
	"IGNORED",
	"IMMEDIATE",
	"IMPORT",
	"INDEXES",
	"INITIAL_SIZE",
	"INSTALL",
	"INVISIBLE",
	"INVOKER",
	"IO",
	"IO_THREAD",
	"IPC",
	"ISOLATION",
	"ISOPEN",
	"ISSUER",
	"JSON",
	"JSON_TABLE",
	"LANGUAGE",
	"LAST",
	"LASTVAL",
	"LAST_VALUE",
	"LEAVES",
	"LESS",
	"LEVEL",
	"LIST",
	"LOCAL",
	"LOCKED",
	"LOCKS",
	"LOGFILE",
	"LOGS",
	"MASTER",
	"MASTER_CONNECT_RETRY",
	"MASTER_DELAY",
	"MASTER_DEMOTE_TO_REPLICA",
	"MASTER_DEMOTE_TO_SLAVE",
	"MASTER_GTID_POS",
	"MASTER_HOST",
	"MASTER_LOG_FILE",
	"MASTER_LOG_POS",
	"MASTER_PASSWORD",
	"MASTER_PORT",
	"MASTER_SERVER_ID",
	"MASTER_SSL",
	"MASTER_SSL_CA",
	"MASTER_SSL_CAPATH",
	"MASTER_SSL_CERT",
	"MASTER_SSL_CIPHER",
	"MASTER_SSL_CRL",
	"MASTER_SSL_CRLPATH",
	"MASTER_SSL_KEY",
	"MASTER_USER",
	"MASTER_USE_GTID",
	"MAX_CONNECTIONS_PER_HOUR",
	"MAX_QUERIES_PER_HOUR",
	"MAX_SIZE",
	"MAX_STATEMENT_TIME",
	"MAX_UPDATES_PER_HOUR",
	"MAX_USER_CONNECTIONS",
	"MEDIUM",
	"MEMORY",
	"MERGE",
	"MESSAGE_TEXT",
	"MICROSECOND",
	"MIGRATE",
	"MINUS",
	"MINUTE",
	"MODE",
	"MODIFY",
	"MONITOR",
	"MONTH",
	"MUTEX",
	"MYSQL",
	"MYSQL_ERRNO",
	"NAME",
	"NAMES",
	"NATIONAL",
	"NCHAR",
	"NESTED",
	"NEVER",
	"NEXT",
	"NEXTVAL",
	"NOCACHE",
	"NOCYCLE",
	"NODEGROUP",
	"NOMAXVALUE",
	"NOMINVALUE",
	"NONE",
	"NOTFOUND",
	"NOWAIT",
	"NO_WAIT",
	"NUMBER",
	"NVARCHAR",
	"OF",
	"OLD_PASSWORD",
	"ONE",
	"ONLINE",
	"ONLY",
	"OPEN",
	"OPTIONS",
	"ORDINALITY",
	"OTHERS",
	"OVERLAPS",
	"OWNER",
	"PACKAGE",
	"PAGE",
	"PARSER",
	"PARTIAL",
	"PARTITIONING",
	"PARTITIONS",
	"PATH",
	"PERIOD",
	"PERSISTENT",
	"PHASE",
	"PLUGIN",
	"PLUGINS",
	"PORT",
	"PORTION",
	"PRECEDES",
	"PRECEDING",
	"PREPARE",
	"PRESERVE",
	"PREV",
	"PREVIOUS",
	"PRIVILEGES",
	"PROCESS",
	"PROCESSLIST",
	"PROFILE",
	"PROFILES",
	"PROXY",
	"QUARTER",
	"QUERY",
	"QUICK",
	"RAISE",
	"RAW",
	"READ_ONLY",
	"REBUILD",
	"RECOVER",
	"REDOFILE",
	"REDO_BUFFER_SIZE",
	"REDUNDANT",
	"RELAY",
	"RELAYLOG",
	"RELAY_LOG_FILE",
	"RELAY_LOG_POS",
	"RELAY_THREAD",
	"RELOAD",
	"REMOVE",
	"REORGANIZE",
	"REPAIR",
	"REPEATABLE",
	"REPLAY",
	"REPLICA",
	"REPLICAS",
	"REPLICATION",
	"REPLICA_POS",
	"RESET",
	"RESTORE",
	"RESUME",
	"RETURNED_SQLSTATE",
	"RETURNS",
	"REUSE",
	"REVERSE",
	"ROLE",
	"ROLLBACK",
	"ROLLUP",
	"ROUTINE",
	"ROW",
	"ROWCOUNT",
	"ROWNUM",
	"ROWTYPE",
	"ROW_COUNT",
	"RTREE",
	"SAVEPOINT",
	"SCHEDULE",
	"SCHEMA_NAME",
	"SECOND",
	"SECURITY",
	"SERIAL",
	"SERIALIZABLE",
	"SERVER",
	"SESSION",
	"SETVAL",
	"SHARE",
	"SHUTDOWN",
	"SIGNED",
	"SIMPLE",
	"SKIP",
	"SLAVE",
	"SLAVES",
	"SLAVE_POS",
	"SNAPSHOT",
	"SOCKET",
	"SOFT",
	"SOME",
	"SONAME",
	"SOUNDS",
	"SOURCE",
	"SQL_BUFFER_RESULT",
	"SQL_CACHE",
	"SQL_NO_CACHE",
	"SQL_THREAD",
	"SQL_TSI_DAY",
	"SQL_TSI_HOUR",
	"SQL_TSI_MINUTE",
	"SQL_TSI_MONTH",
	"SQL_TSI_QUARTER",
	"SQL_TSI_SECOND",
	"SQL_TSI_WEEK",
	"SQL_TSI_YEAR",
	"STAGE",
	"STARTS",
	"STATEMENT",
	"STATUS",
	"STOP",
	"STORED",
	"STRING",
	"SUBCLASS_ORIGIN",
	"SUBJECT",
	"SUBPARTITION",
	"SUBPARTITIONS",
	"SUPER",
	"SUSPEND",
	"SWAPS",
	"SWITCHES",
	"SYSDATE",
	"SYSTEM",
	"SYSTEM_TIME",
	"TABLES",
	"TABLE_NAME",
	"TEMPORARY",
	"TEMPTABLE",
	"TEXT",
	"THAN",
	"THREADS",
	"TIES",
	"TIME",
	"TIMESTAMP",
	"TIMESTAMPADD",
	"TIMESTAMPDIFF",
	"TRANSACTION",
	"TRIGGERS",
	"TRUNCATE",
	"TYPE",
	"UNBOUNDED",
	"UNCOMMITTED",
	"UNDEFINED",
	"UNDOFILE",
	"UNDO_BUFFER_SIZE",
	"UNICODE",
	"UNINSTALL",
	"UNKNOWN",
	"UNTIL",
	"UPGRADE",
	"USER",
	"USER_RESOURCES",
	"USE_FRM",
	"VALUE",
	"VARCHAR2",
	"VARIABLES",
	"VERSIONING",
	"VIA",
	"VIEW",
	"VIRTUAL",
	"VISIBLE",
	"WAIT",
	"WARNINGS",
	"WEEK",
	"WEIGHT_STRING",
	"WITHIN",
	"WITHOUT",
	"WORK",
	"WRAPPER",
	"X509",
	"XA",
	"XML",
	"YEAR",
};

static int kw_cmp(const void *a, const void *b)
{
	return strcmp(a, *(const char *const *)b);
}

/* Whether word token t is one of nonreserved_kw. */
static bool is_nonreserved_kw(const struct parser *p, const struct tok *t)
{
	char up[32];

	if (t->len >= sizeof(up))
		return false;
	for (size_t i = 0; i < t->len; i++)
		up[i] = (char)upper((unsigned char)p->s[t->off + i]);
	up[t->len] = '\0';
	return bsearch(up, nonreserved_kw, sizeof(nonreserved_kw) / sizeof(nonreserved_kw[0]),
		       sizeof(nonreserved_kw[0]), kw_cmp) != NULL;
}

/* Whether MariaDB checks the options (4085) before the 1064 at the current
 * token, which cannot continue a CREATE SEQUENCE whose options (and table
 * options, after_table) are complete. Its parser reduces the statement, and
 * so checks the options, on any token it cannot shift there; it shifts a
 * word that can start an option (or an engine-defined table option: any
 * identifier) and fails on what follows. Keywords, reserved or not, cannot
 * start one, except the table options' (DEFAULT, CHARACTER, CHAR, COLLATE,
 * INDEX, UNION, PAGE_CHECKSUM, STATS_*, and the non-reserved ones left out
 * of nonreserved_kw); nor can a sequence option after a table option. */
static bool options_first(const struct parser *p, bool after_table)
{
	static const char *const table_kw[] = {"DEFAULT",
					       "CHARACTER",
					       "CHAR",
					       "COLLATE",
					       "INDEX",
					       "UNION",
					       "PAGE_CHECKSUM",
					       "STATS_AUTO_RECALC",
					       "STATS_PERSISTENT",
					       "STATS_SAMPLE_PAGES"};
	static const char *const seq_kw[] = {"START",	"INCREMENT",  "MINVALUE",   "MAXVALUE",
					     "NO",	"NOMINVALUE", "NOMAXVALUE", "CACHE",
					     "NOCACHE", "CYCLE",      "NOCYCLE",    "RESTART"};
	const struct tok *t = cur(p);

	if (t->kind == TK_QIDENT)
		return false;
	if (t->kind != TK_WORD)
		return true;
	for (size_t i = 0; i < sizeof(table_kw) / sizeof(table_kw[0]); i++)
		if (word_is(p, t, table_kw[i]))
			return false;
	if (is_reserved(p, t))
		return true;
	for (size_t i = 0; i < sizeof(seq_kw) / sizeof(seq_kw[0]); i++)
		if (word_is(p, t, seq_kw[i]))
			return after_table;
	return is_nonreserved_kw(p, t);
}

/* Whether MariaDB's parser shifts the current token after complete
 * options as the start of a table option (an identifier, a table option's
 * keyword) and so fails only on the token after it. */
static bool shifted_word(const struct parser *p)
{
	static const char *const seq_kw[] = {"START",	"INCREMENT",  "MINVALUE",   "MAXVALUE",
					     "NO",	"NOMINVALUE", "NOMAXVALUE", "CACHE",
					     "NOCACHE", "CYCLE",      "NOCYCLE",    "RESTART"};
	const struct tok *t = cur(p);

	if (t->kind == TK_QIDENT)
		return true;
	if (t->kind != TK_WORD)
		return false;
	for (size_t i = 0; i < sizeof(seq_kw) / sizeof(seq_kw[0]); i++)
		if (word_is(p, t, seq_kw[i]))
			return false;
	return true;
}

static void parse_create(struct parser *p, struct sql_stmt *st)
{
	struct sql_create *c = &st->u.create;
	struct seq_options *o = &c->opt;
	size_t big = SIZE_MAX;
	bool after_table = false;

	st->kind = SQL_CREATE_SEQUENCE;
	if (accept_kw(p, "OR")) {
		expect_kw(p, "REPLACE");
		c->or_replace = true;
	}
	if (accept_kw(p, "TEMPORARY"))
		c->temporary = true;
	expect_kw(p, "SEQUENCE");
	if (accept_kw(p, "IF")) {
		expect_kw(p, "NOT");
		expect_kw(p, "EXISTS");
		c->if_not_exists = true;
	}
	{
		/* MariaDB: the name's syntax, then 1221, then its length */
		size_t lens[2];

		parse_name_only(p, &c->name, lens);
		if (c->or_replace && c->if_not_exists)
			fail(p, SHMSEQ_ERR_WRONG_USAGE, "HY000",
			     "Incorrect usage of OR REPLACE and IF NOT EXISTS");
		check_names(p, lens);
	}

	for (;;) {
		/* AS <type> (11.5+); an AS without a type is 10.11's: a
		 * reserved word after the options (4085 before its 1064) */
		if (is_kw(p, p->pos, "AS") && as_type_follows(p)) {
			parse_as(p, o);
			continue;
		}
		if (!parse_seq_option(p, o, false, &big))
			break;
	}
	/* a START beyond INT64_MAX only exists for unsigned types (11.5+) */
	if (big != SIZE_MAX && !((o->given & SEQ_OPT_AS) && o->is_unsigned))
		syntax_error(p, big);

	/* table options: ENGINE [=] x, COMMENT [=] '…', optionally with commas */
	for (;;) {
		if (accept_kw(p, "ENGINE")) {
			size_t n;
			char *e;

			accept_op(p, OP_EQ);
			if (cur(p)->kind == TK_STRING) {
				e = parse_string(p, &n);
			} else {
				if (!(cur(p)->kind == TK_WORD || cur(p)->kind == TK_QIDENT))
					syntax_error(p, p->pos);
				e = ident_text(p, p->pos, &n);
				p->pos++;
			}
			if (n > SHMSEQ_NAME_MAX)
				n = SHMSEQ_NAME_MAX; /* unknown engine anyway */
			memcpy(c->engine, e, n);
			c->engine[n] = '\0';
			o->given |= SEQ_OPT_ENGINE;
		} else if (accept_kw(p, "SEQUENCE")) {
			/* SEQUENCE [=] n|DEFAULT: the table option that makes a
			 * table a sequence; said of a sequence, it changes nothing */
			accept_op(p, OP_EQ);
			if (!accept_kw(p, "DEFAULT")) {
				/* any unsigned number (MariaDB's ulonglong_num) */
				if (cur(p)->kind != TK_NUMBER && cur(p)->kind != TK_DECNUM)
					syntax_error(p, p->pos);
				p->pos++;
			}
		} else if (accept_kw(p, "COMMENT")) {
			size_t n;
			char *s;

			accept_op(p, OP_EQ);
			s = parse_string(p, &n);
			/* too long: 1628, but only after the executor checked the
			 * options and the name (MariaDB's order) */
			c->comment_too_long = n > SHMSEQ_COMMENT_MAX;
			if (c->comment_too_long)
				n = 0;
			memcpy(o->comment, s, n);
			o->comment[n] = '\0';
			o->comment_len = (uint16_t)n;
			o->given |= SEQ_OPT_COMMENT;
		} else {
			break;
		}
		after_table = true;
		if (accept_op(p, OP_COMMA) && !(is_kw(p, p->pos, "ENGINE") || is_kw(p, p->pos, "COMMENT")))
			syntax_error(p, p->pos);
	}
	if (cur(p)->kind != TK_EOF) {
		struct sql_error *e;

		/* a word MariaDB shifts (an identifier, a table option's
		 * keyword) fails on the token after it */
		if (!options_first(p, after_table))
			syntax_error(p, shifted_word(p) ? p->pos + 1 : p->pos);
		e = xalloc(p, sizeof(*e));
		syntax_fill(p, p->pos, e);
		c->after_options = e;
	}
}

static void parse_alter(struct parser *p, struct sql_stmt *st)
{
	struct sql_alter *a = &st->u.alter;
	size_t n = 0, big = SIZE_MAX;

	st->kind = SQL_ALTER_SEQUENCE;
	expect_kw(p, "SEQUENCE");
	if (accept_kw(p, "IF")) {
		expect_kw(p, "EXISTS");
		a->if_exists = true;
	}
	parse_name(p, &a->name);
	for (;;) {
		if (is_kw(p, p->pos, "AS")) {
			/* AS must be the only option (§5.5) */
			if (n != 0)
				syntax_error(p, p->pos);
			parse_as(p, &a->opt);
			n++;
			break;
		}
		if (!parse_seq_option(p, &a->opt, true, &big))
			break;
		n++;
	}
	if (n == 0)
		syntax_error(p, p->pos);
	expect_end(p);
}

/* --- DROP (§6) ------------------------------------------------------------ */

static void parse_drop(struct parser *p, struct sql_stmt *st)
{
	struct sql_drop *d = &st->u.drop;
	size_t cap = 0;

	st->kind = SQL_DROP;
	p->drop = st;
	if (accept_kw(p, "TEMPORARY"))
		d->temporary = true;
	if (accept_kw(p, "SEQUENCE"))
		d->kind = SQL_DROP_SEQUENCE;
	else if (accept_kw(p, "TABLE") || accept_kw(p, "TABLES"))
		d->kind = SQL_DROP_TABLE;
	else if (!d->temporary && accept_kw(p, "VIEW"))
		d->kind = SQL_DROP_VIEW;
	else
		syntax_error(p, p->pos);
	if (accept_kw(p, "IF")) {
		expect_kw(p, "EXISTS");
		d->if_exists = true;
	}
	do {
		d->names = grow(p, d->names, &cap, d->n_names, sizeof(*d->names));
		parse_name(p, &d->names[d->n_names]);
		d->n_names++;
	} while (accept_op(p, OP_COMMA));
	expect_end(p);
}

/* --- expressions (§2.1, §3, §4.1; MariaDB's precedence) ------------------- */

static char *span_text(struct parser *p, size_t first, size_t last, size_t *n)
{
	const struct tok *a = tk(p, first), *b = tk(p, last);
	size_t len = b->off + b->len - a->off;
	char *s = xalloc(p, len + 1);

	memcpy(s, p->s + a->off, len);
	s[len] = '\0';
	*n = len;
	return s;
}

/* MariaDB's ulong_num / ulonglong_num: [+] digits or [+] decimal; the value
 * is the integer part (my_strtoll10 stops at the point), saturated at
 * 2^64-1. */
static uint64_t parse_ulong_num(struct parser *p)
{
	const struct tok *t;
	__int128 v = 0;

	accept_op(p, OP_PLUS);
	t = cur(p);
	if (t->kind != TK_NUMBER && t->kind != TK_DECNUM)
		syntax_error(p, p->pos);
	for (size_t i = 0; i < t->len && is_digit((unsigned char)p->s[t->off + i]); i++) {
		v = v * 10 + (p->s[t->off + i] - '0');
		if (v > U64MAX)
			v = U64MAX;
	}
	p->pos++;
	return (uint64_t)v;
}

/* SETVAL's is_used: an unsigned literal (non-zero = true), TRUE or FALSE. */
static bool parse_bool(struct parser *p)
{
	if (accept_kw(p, "TRUE"))
		return true;
	if (accept_kw(p, "FALSE"))
		return false;
	return parse_ulong_num(p) != 0;
}

static struct sql_expr *new_expr(struct parser *p, enum sql_expr_kind kind)
{
	struct sql_expr *e = xalloc(p, sizeof(*e));

	e->kind = kind;
	return e;
}

/* e's text: tokens first .. the one before the current. */
static struct sql_expr *spanned(struct parser *p, struct sql_expr *e, size_t first)
{
	e->text = span_text(p, first, p->pos - 1, &e->text_len);
	return e;
}

/* Whether token i, a word, touches a dot: MariaDB's lexer reads a word
 * right after a '.' or right before one as an identifier even where it is
 * a reserved word (t.select, select.c), but not across a space (t. select). */
static bool touches_dot(const struct parser *p, size_t i)
{
	const struct tok *t = tk(p, i);

	if (i > 0 && is_op(p, i - 1, OP_DOT) && tk(p, i - 1)->off + tk(p, i - 1)->len == t->off)
		return true;
	return is_op(p, i + 1, OP_DOT) && t->off + t->len == tk(p, i + 1)->off;
}

/* The part of a column reference after a dot. */
static char *column_part(struct parser *p)
{
	return parse_ident_str(p, ROLE_COLUMN, cur(p)->kind == TK_WORD && touches_dot(p, p->pos), NULL);
}

/* [[db.]table.]column: the names as arena strings */
static void parse_column(struct parser *p, struct sql_expr *e)
{
	size_t n;
	char *a = parse_ident_str(p, ROLE_COLUMN, false, &n);

	e->db = "";
	e->table = "";
	e->column = a;
	if (!accept_op(p, OP_DOT))
		return;
	e->table = a;
	e->column = column_part(p);
	if (!accept_op(p, OP_DOT))
		return;
	e->db = a;
	e->table = e->column;
	e->column = column_part(p);
}

/* The name of a @variable token. */
static char *var_name(struct parser *p, size_t *n)
{
	const struct tok *t = cur(p);
	const char *s = p->s + t->off + 1;
	size_t len = t->len - 1;
	char *out = xalloc(p, len + 1), q = s[0];
	size_t k = 0;

	if (q == '`' || q == '\'' || q == '"') {
		for (size_t j = 1; j + 1 < len; j++) {
			if (s[j] == q && j + 2 < len && s[j + 1] == q)
				j++; /* doubled quote */
			else if (q != '`' && s[j] == '\\' && j + 2 < len)
				j++;
			out[k++] = s[j];
		}
	} else {
		memcpy(out, s, len);
		k = len;
	}
	out[k] = '\0';
	if (memchr(out, '\0', k))
		syntax_error(p, p->pos);
	if (k == 0) /* @``, @'': MariaDB fails at the next token */
		syntax_error(p, p->pos + 1);
	check_utf8(p, out, k);
	p->pos++;
	*n = k;
	return out;
}

/* NEXTVAL(...), LASTVAL(...), SETVAL(...), NEXT VALUE FOR, PREVIOUS VALUE
 * FOR: NULL if the current token starts none of them. */
static struct sql_expr *parse_seq_function(struct parser *p)
{
	struct sql_expr *e;
	size_t lens[2];

	if ((is_kw(p, p->pos, "NEXTVAL") || is_kw(p, p->pos, "LASTVAL")) && is_op(p, p->pos + 1, OP_LPAREN)) {
		e = new_expr(p, is_kw(p, p->pos, "NEXTVAL") ? SQL_EXPR_NEXTVAL : SQL_EXPR_LASTVAL);
		p->pos += 2;
		/* MariaDB checks the name when the call is complete */
		parse_name_only(p, &e->seq, lens);
		expect_op(p, OP_RPAREN);
		check_names(p, lens);
		return e;
	}
	if (is_kw(p, p->pos, "SETVAL") && is_op(p, p->pos + 1, OP_LPAREN)) {
		e = new_expr(p, SQL_EXPR_SETVAL);
		e->setval_is_used = true;
		p->pos += 2;
		parse_name_only(p, &e->seq, lens);
		expect_op(p, OP_COMMA);
		{
			/* 11.5 unsigned sequences take values up to 2^64-1 */
			size_t at;
			__int128 v = parse_longlong(p, &at);
			if (v > (__int128)UINT64_MAX || v < -I64MAX)
				syntax_error(p, at);
			e->setval_big = v > I64MAX;
			e->setval_value = (int64_t)(uint64_t)v;
		}
		if (accept_op(p, OP_COMMA)) {
			e->setval_is_used = parse_bool(p);
			if (accept_op(p, OP_COMMA))
				e->setval_round = parse_ulong_num(p);
		}
		expect_op(p, OP_RPAREN);
		check_names(p, lens);
		return e;
	}
	if ((is_kw(p, p->pos, "NEXT") || is_kw(p, p->pos, "PREVIOUS")) && is_kw(p, p->pos + 1, "VALUE")) {
		e = new_expr(p, is_kw(p, p->pos, "NEXT") ? SQL_EXPR_NEXTVAL : SQL_EXPR_LASTVAL);
		p->pos += 2;
		expect_kw(p, "FOR");
		parse_name(p, &e->seq);
		return e;
	}
	return NULL;
}

static struct sql_expr *parse_expr(struct parser *p, int depth);

/* Whether @@name starts here (the lexer sees '@' and then @name). */
static bool at_sysvar(const struct parser *p)
{
	const struct tok *t = cur(p), *n = tk(p, p->pos + 1);

	return t->kind == TK_OP && p->s[t->off] == '@' && n->kind == TK_VAR && n->off == t->off + 1;
}

/* @@[scope.]name: shmseq has no system variables (1193, as MariaDB says
 * for one it does not know). */
static NORETURN void unknown_sysvar(struct parser *p)
{
	size_t n;
	char *name;

	p->pos++;
	name = var_name(p, &n);
	if (accept_op(p, OP_DOT)) {
		if (!is_ident_tok(p, p->pos) && cur(p)->kind != TK_WORD)
			syntax_error(p, p->pos);
		name = ident_text(p, p->pos, &n);
	}
	fail(p, SQL_ERR_UNKNOWN_SYSVAR, "HY000", "Unknown system variable '%s'", name);
}

/* A number token as a literal: INT up to 2^64-1, else DECIMAL (at most
 * SQLV_DEC_DIGITS significant digits: more is a 1064 here). */
static struct sql_expr *parse_number(struct parser *p)
{
	const struct tok *t = cur(p);
	const char *s = p->s + t->off;
	struct sql_expr *e;
	char *digits = xalloc(p, t->len + 1);
	size_t nd = 0, sig = 0, scale = 0;
	bool point = false;

	for (size_t i = 0; i < t->len; i++) {
		if (s[i] == '.') {
			point = true;
			continue;
		}
		if (sig || s[i] != '0')
			sig++;
		digits[nd++] = s[i];
		if (point)
			scale++;
	}
	digits[nd] = '\0';
	if (sig > 81)
		syntax_error(p, p->pos);
	if (t->kind == TK_NUMBER && sig <= 20) {
		__int128 v = 0;

		for (size_t i = 0; i < nd; i++)
			v = v * 10 + (digits[i] - '0');
		if (v <= U64MAX) {
			e = new_expr(p, SQL_EXPR_INT);
			e->ival = v;
			p->pos++;
			return e;
		}
	}
	e = new_expr(p, SQL_EXPR_DECIMAL);
	e->str = digits;
	e->str_len = nd;
	e->scale = (unsigned)scale;
	p->pos++;
	return e;
}

static struct sql_expr *parse_primary(struct parser *p, int depth)
{
	size_t first = p->pos;
	const struct tok *t = cur(p);
	struct sql_expr *e;

	if (accept_op(p, OP_LPAREN)) {
		if (depth >= SQL_MAX_DEPTH)
			syntax_error(p, p->pos - 1);
		e = parse_expr(p, depth + 1);
		expect_op(p, OP_RPAREN);
		return e; /* its text stays without the parentheses */
	}
	if (t->kind == TK_NUMBER || t->kind == TK_DECNUM) {
		e = parse_number(p);
	} else if (t->kind == TK_FLOAT) {
		e = new_expr(p, SQL_EXPR_DOUBLE);
		e->str = span_text(p, p->pos, p->pos, &e->str_len);
		p->pos++;
	} else if (t->kind == TK_STRING) {
		e = new_expr(p, SQL_EXPR_STRING);
		e->str = parse_string(p, &e->str_len);
	} else if (at_sysvar(p)) {
		unknown_sysvar(p);
	} else if (t->kind == TK_VAR) {
		e = new_expr(p, SQL_EXPR_VAR);
		e->str = var_name(p, &e->str_len);
	} else if (accept_kw(p, "NULL")) {
		e = new_expr(p, SQL_EXPR_NULL);
	} else if (is_kw(p, p->pos, "TRUE") || is_kw(p, p->pos, "FALSE")) {
		e = new_expr(p, SQL_EXPR_INT);
		e->is_bool = true;
		e->ival = is_kw(p, p->pos, "TRUE");
		p->pos++;
	} else if ((e = parse_seq_function(p)) != NULL) {
		/* done */
	} else if (is_kw(p, p->pos, "COUNT") && is_op(p, p->pos + 1, OP_LPAREN)) {
		e = new_expr(p, SQL_EXPR_COUNT);
		p->pos += 2;
		if (!accept_op(p, OP_STAR)) {
			if (depth >= SQL_MAX_DEPTH)
				syntax_error(p, p->pos);
			e->l = parse_expr(p, depth + 1);
		}
		expect_op(p, OP_RPAREN);
	} else if (is_kw(p, p->pos, "MOD")) {
		/* MOD(a, b) is a % b; MOD alone fails on the token after it */
		if (!is_op(p, p->pos + 1, OP_LPAREN) || depth >= SQL_MAX_DEPTH)
			syntax_error(p, p->pos + 1);
		p->pos += 2;
		e = new_expr(p, SQL_EXPR_ARITH);
		e->op = SQL_OP_MOD;
		e->l = parse_expr(p, depth + 1);
		expect_op(p, OP_COMMA);
		e->r = parse_expr(p, depth + 1);
		if (is_op(p, p->pos, OP_COMMA))
			syntax_error(p, p->pos + 1); /* MariaDB takes the comma */
		expect_op(p, OP_RPAREN);
	} else if (is_ident_tok(p, p->pos)) {
		e = new_expr(p, SQL_EXPR_COLUMN);
		parse_column(p, e);
	} else {
		syntax_error(p, p->pos);
	}
	return spanned(p, e, first);
}

/* - and + in front: a minus over a number literal is folded into it, as
 * MariaDB's parser does (-5 is the literal -5, --5 the literal 5). */
static struct sql_expr *parse_unary(struct parser *p, int depth)
{
	size_t first = p->pos;
	struct sql_expr *e;

	if (is_op(p, p->pos, OP_MINUS) || is_op(p, p->pos, OP_PLUS)) {
		bool minus = is_op(p, p->pos, OP_MINUS);

		if (depth >= SQL_MAX_DEPTH)
			syntax_error(p, p->pos);
		p->pos++;
		e = parse_unary(p, depth + 1);
		if (!minus)
			return e;
		if (e->kind == SQL_EXPR_INT) {
			e->ival = -e->ival;
			e->negated = true;
		} else if (e->kind == SQL_EXPR_DECIMAL || e->kind == SQL_EXPR_DOUBLE) {
			e->neg_value = !e->neg_value;
			e->negated = true;
		} else {
			struct sql_expr *n = new_expr(p, SQL_EXPR_NEG);

			n->l = e;
			e = n;
		}
		return spanned(p, e, first);
	}
	return parse_primary(p, depth);
}

static bool arith_op(const struct parser *p, bool mul, enum sql_arith *op)
{
	const struct tok *t = cur(p);

	if (t->kind == TK_OP) {
		if (!mul && (t->op == OP_PLUS || t->op == OP_MINUS)) {
			*op = t->op == OP_PLUS ? SQL_OP_ADD : SQL_OP_SUB;
			return true;
		}
		if (mul && (t->op == OP_STAR || t->op == OP_SLASH || t->op == OP_PERCENT)) {
			*op = t->op == OP_STAR ? SQL_OP_MUL : t->op == OP_SLASH ? SQL_OP_DIV : SQL_OP_MOD;
			return true;
		}
		return false;
	}
	if (mul && word_is(p, t, "DIV")) {
		*op = SQL_OP_INTDIV;
		return true;
	}
	if (mul && word_is(p, t, "MOD")) {
		*op = SQL_OP_MOD;
		return true;
	}
	return false;
}

/* A left-associative chain of binary operators of one precedence; every
 * link is one level deeper. */
static struct sql_expr *parse_binary(struct parser *p, int depth, bool mul)
{
	size_t first = p->pos;
	struct sql_expr *e = mul ? parse_unary(p, depth) : parse_binary(p, depth, true);
	enum sql_arith op;

	while (arith_op(p, mul, &op)) {
		struct sql_expr *n;

		if (++depth > SQL_MAX_DEPTH)
			syntax_error(p, p->pos);
		p->pos++;
		n = new_expr(p, SQL_EXPR_ARITH);
		n->op = op;
		n->l = e;
		n->r = mul ? parse_unary(p, depth) : parse_binary(p, depth, true);
		e = spanned(p, n, first);
	}
	return e;
}

static bool cmp_op(const struct parser *p, enum sql_cmp *c)
{
	const struct tok *t = cur(p);

	if (t->kind != TK_OP)
		return false;
	switch (t->op) {
	case OP_EQ:
		*c = SQL_CMP_EQ;
		return true;
	case OP_NE:
		*c = SQL_CMP_NE;
		return true;
	case OP_LT:
		*c = SQL_CMP_LT;
		return true;
	case OP_GT:
		*c = SQL_CMP_GT;
		return true;
	case OP_LE:
		*c = SQL_CMP_LE;
		return true;
	case OP_GE:
		*c = SQL_CMP_GE;
		return true;
	default:
		return false;
	}
}

/* operand (cmp operand | [NOT] LIKE unary | IS [NOT] NULL)*, left to right */
static struct sql_expr *parse_predicate(struct parser *p, int depth)
{
	size_t first = p->pos;
	struct sql_expr *e = parse_binary(p, depth, false);

	for (;;) {
		struct sql_expr *n;
		enum sql_cmp c;

		if (cmp_op(p, &c)) {
			n = new_expr(p, SQL_EXPR_CMP);
			n->cmp = c;
		} else if (is_kw(p, p->pos, "LIKE") ||
			   (is_kw(p, p->pos, "NOT") && is_kw(p, p->pos + 1, "LIKE"))) {
			n = new_expr(p, SQL_EXPR_LIKE);
			n->negated = accept_kw(p, "NOT");
		} else if (is_kw(p, p->pos, "IS")) {
			n = new_expr(p, SQL_EXPR_IS_NULL);
		} else {
			return e;
		}
		if (++depth > SQL_MAX_DEPTH)
			syntax_error(p, p->pos);
		n->l = e;
		if (n->kind == SQL_EXPR_IS_NULL) {
			p->pos++;
			n->negated = accept_kw(p, "NOT");
			expect_kw(p, "NULL");
		} else {
			p->pos++;
			n->r = n->kind == SQL_EXPR_LIKE ? parse_unary(p, depth)
							: parse_binary(p, depth, false);
		}
		e = spanned(p, n, first);
	}
}

static struct sql_expr *parse_not(struct parser *p, int depth)
{
	if (is_kw(p, p->pos, "NOT")) {
		size_t first = p->pos;
		struct sql_expr *e;

		if (depth >= SQL_MAX_DEPTH)
			syntax_error(p, p->pos);
		p->pos++;
		e = new_expr(p, SQL_EXPR_NOT);
		e->l = parse_not(p, depth + 1);
		return spanned(p, e, first);
	}
	return parse_predicate(p, depth);
}

/* A flat AND or OR list: sub (KW sub)* */
static struct sql_expr *parse_list(struct parser *p, int depth, const char *kw, enum sql_expr_kind kind,
				   struct sql_expr *(*sub)(struct parser *, int))
{
	size_t first = p->pos;
	struct sql_expr *e = sub(p, depth), *l;
	size_t cap = 0;

	if (!is_kw(p, p->pos, kw))
		return e;
	l = new_expr(p, kind);
	l->args = grow(p, NULL, &cap, 0, sizeof(*l->args));
	l->args[l->n_args++] = e;
	while (accept_kw(p, kw)) {
		l->args = grow(p, l->args, &cap, l->n_args, sizeof(*l->args));
		l->args[l->n_args++] = sub(p, depth);
	}
	return spanned(p, l, first);
}

static struct sql_expr *parse_and(struct parser *p, int depth)
{
	return parse_list(p, depth, "AND", SQL_EXPR_AND, parse_not);
}

static struct sql_expr *parse_expr(struct parser *p, int depth)
{
	return parse_list(p, depth, "OR", SQL_EXPR_OR, parse_and);
}

/* --- SELECT / DO / SET ---------------------------------------------------- */

/* The heading MariaDB gives an item without alias: a literal's own name,
 * a column's name, else the text as typed. */
static void item_name(struct sql_item *it)
{
	const struct sql_expr *e = it->expr;

	it->name = it->text;
	it->name_len = it->text_len;
	if (it->kind != SQL_ITEM_EXPR)
		return;
	switch (e->kind) {
	case SQL_EXPR_INT:
	case SQL_EXPR_DECIMAL:
	case SQL_EXPR_DOUBLE:
		if (e->negated)
			return;
		if (e->is_bool) {
			it->name = e->ival ? "TRUE" : "FALSE";
			it->name_len = strlen(it->name);
		} else {
			it->name = e->text;
			it->name_len = e->text_len;
		}
		return;
	case SQL_EXPR_STRING:
		it->name = e->str;
		it->name_len = e->str_len;
		return;
	case SQL_EXPR_NULL:
		it->name = "NULL";
		it->name_len = 4;
		return;
	case SQL_EXPR_COLUMN:
		it->name = e->column;
		it->name_len = strlen(e->column);
		return;
	default:
		return;
	}
}

static void parse_item(struct parser *p, struct sql_item *it, bool star_ok, bool alias_ok)
{
	size_t first = p->pos;

	if (star_ok && accept_op(p, OP_STAR)) {
		it->kind = SQL_ITEM_STAR;
		it->db = "";
		it->table = "";
		it->text = span_text(p, first, first, &it->text_len);
		item_name(it);
		return;
	}
	/* table.* : a SELECT item anywhere in the list, without alias; the
	 * qualifier goes to it->table (the executor checks it) */
	if (alias_ok && is_ident_tok(p, p->pos) && is_op(p, p->pos + 1, OP_DOT) &&
	    is_op(p, p->pos + 2, OP_STAR)) {
		it->kind = SQL_ITEM_STAR;
		it->db = "";
		it->table = parse_ident_str(p, ROLE_TABLE, false, NULL);
		p->pos += 2;
		it->text = span_text(p, first, p->pos - 1, &it->text_len);
		item_name(it);
		return;
	}
	/* db.table.* */
	if (alias_ok && is_ident_tok(p, p->pos) && is_op(p, p->pos + 1, OP_DOT) &&
	    (tk(p, p->pos + 2)->kind == TK_QIDENT || tk(p, p->pos + 2)->kind == TK_WORD) &&
	    is_op(p, p->pos + 3, OP_DOT) && is_op(p, p->pos + 4, OP_STAR)) {
		it->kind = SQL_ITEM_STAR;
		it->db = parse_ident_str(p, ROLE_OTHER, false, NULL);
		p->pos++;
		it->table = parse_ident_str(p, ROLE_TABLE, true, NULL);
		p->pos += 2;
		it->text = span_text(p, first, p->pos - 1, &it->text_len);
		item_name(it);
		return;
	}
	it->kind = SQL_ITEM_EXPR;
	it->db = "";
	it->table = "";
	it->expr = parse_expr(p, 1);
	it->text = span_text(p, first, p->pos - 1, &it->text_len);
	item_name(it);

	if (!alias_ok)
		return;
	if (accept_kw(p, "AS")) {
		if (cur(p)->kind != TK_STRING && !is_ident_tok(p, p->pos))
			syntax_error(p, p->pos);
	} else if (cur(p)->kind != TK_STRING && !is_ident_tok(p, p->pos)) {
		return;
	}
	if (cur(p)->kind == TK_STRING) {
		it->name = parse_string(p, &it->name_len);
	} else {
		it->name = ident_text(p, p->pos, &it->name_len);
		p->pos++;
	}
	it->has_alias = true;
}

static struct sql_item *parse_items(struct parser *p, size_t *n, bool is_select)
{
	struct sql_item *items = NULL;
	size_t cap = 0;

	*n = 0;
	do {
		items = grow(p, items, &cap, *n, sizeof(*items));
		memset(&items[*n], 0, sizeof(*items));
		/* like MariaDB, '*' may only be the first item */
		parse_item(p, &items[*n], is_select && *n == 0, is_select);
		(*n)++;
	} while (accept_op(p, OP_COMMA));
	return items;
}

/* LIMIT n | LIMIT offset, n | LIMIT n OFFSET offset */
static void parse_limit(struct parser *p, bool *has, uint64_t *limit, uint64_t *offset)
{
	uint64_t a;

	*has = true;
	*offset = 0;
	a = (uint64_t)parse_uint(p, U64MAX);
	if (accept_op(p, OP_COMMA)) {
		*offset = a;
		*limit = (uint64_t)parse_uint(p, U64MAX);
	} else {
		*limit = a;
		if (accept_kw(p, "OFFSET"))
			*offset = (uint64_t)parse_uint(p, U64MAX);
	}
}

static void parse_select(struct parser *p, struct sql_stmt *st)
{
	struct sql_select *s = &st->u.select;

	st->kind = SQL_SELECT;
	s->alias = "";
	s->items = parse_items(p, &s->n_items, true);
	if (accept_kw(p, "FROM")) {
		if (!accept_kw(p, "DUAL")) {
			parse_name(p, &s->from);
			s->has_from = true;
			if (accept_kw(p, "AS")) {
				s->alias = parse_ident_str(p, ROLE_OTHER, false, NULL);
			} else if (is_ident_tok(p, p->pos)) {
				s->alias = parse_ident_str(p, ROLE_OTHER, false, NULL);
			}
			/* a second table (not run here): a list that ends at
			 * the comma fails on the token after it */
			if (is_op(p, p->pos, OP_COMMA))
				syntax_error(p, p->pos + 1);
		}
	}
	if (accept_kw(p, "WHERE"))
		s->where = parse_expr(p, 1);
	if (accept_kw(p, "ORDER")) {
		size_t cap = 0;

		expect_kw(p, "BY");
		do {
			struct sql_order *o;

			s->order = grow(p, s->order, &cap, s->n_order, sizeof(*s->order));
			o = &s->order[s->n_order++];
			o->expr = parse_expr(p, 1);
			o->desc = false;
			if (accept_kw(p, "DESC"))
				o->desc = true;
			else
				accept_kw(p, "ASC");
		} while (accept_op(p, OP_COMMA));
	}
	if (accept_kw(p, "LIMIT"))
		parse_limit(p, &s->has_limit, &s->limit, &s->offset);
	/* FOR starts a locking clause (FOR UPDATE) in MariaDB's grammar: a
	 * wrong one fails on the token after it */
	if (is_kw(p, p->pos, "FOR"))
		syntax_error(p, p->pos + 1);
	expect_end(p);
}

static void parse_do(struct parser *p, struct sql_stmt *st)
{
	st->kind = SQL_DO;
	st->u.do_.items = parse_items(p, &st->u.do_.n_items, false);
	expect_end(p);
}

/* SET @v {=|:=} expr [, …] (user variables only: shmseq has no system
 * variable, and says so as MariaDB does for an unknown one) */
static void parse_set(struct parser *p, struct sql_stmt *st)
{
	struct sql_set *s = &st->u.set;
	size_t cap = 0;

	st->kind = SQL_SET;
	do {
		struct sql_assign *a;

		if (at_sysvar(p))
			unknown_sysvar(p);
		if (accept_kw(p, "GLOBAL") || accept_kw(p, "SESSION") || accept_kw(p, "LOCAL") ||
		    is_ident_tok(p, p->pos)) {
			if (!is_ident_tok(p, p->pos))
				syntax_error(p, p->pos);
			/* name = value: a system variable (SET NAMES … and the
			 * like are not run here: 1064 after the word) */
			if (!is_op(p, p->pos + 1, OP_EQ) && !is_op(p, p->pos + 1, OP_ASSIGN))
				syntax_error(p, p->pos + 1);
			fail(p, SQL_ERR_UNKNOWN_SYSVAR, "HY000", "Unknown system variable '%s'",
			     ident_text(p, p->pos, &(size_t){0}));
		}
		if (cur(p)->kind != TK_VAR)
			syntax_error(p, p->pos);
		s->v = grow(p, s->v, &cap, s->n, sizeof(*s->v));
		a = &s->v[s->n++];
		a->var = var_name(p, &a->var_len);
		if (!accept_op(p, OP_EQ))
			expect_op(p, OP_ASSIGN);
		a->expr = parse_expr(p, 1);
	} while (accept_op(p, OP_COMMA));
	expect_end(p);
}

/* --- SHOW, DESCRIBE (§7.1, §7.3) ------------------------------------------ */

/* One string literal (SHOW … LIKE takes no concatenation). */
static char *parse_one_string(struct parser *p, size_t *n)
{
	if (cur(p)->kind != TK_STRING || tk(p, p->pos + 1)->kind == TK_STRING) {
		if (cur(p)->kind == TK_STRING)
			syntax_error(p, p->pos + 1);
		syntax_error(p, p->pos);
	}
	return parse_string(p, n);
}

/* [LIKE 'pattern' | WHERE expr] */
static void parse_show_filter(struct parser *p, struct sql_show *sh)
{
	if (accept_kw(p, "LIKE"))
		sh->like = parse_one_string(p, &sh->like_len);
	else if (accept_kw(p, "WHERE"))
		sh->where = parse_expr(p, 1);
}

static void parse_show(struct parser *p, struct sql_stmt *st)
{
	struct sql_show *sh = &st->u.show;

	if (accept_kw(p, "CREATE")) {
		if (accept_kw(p, "SEQUENCE"))
			st->kind = SQL_SHOW_CREATE_SEQUENCE;
		else if (accept_kw(p, "TABLE"))
			st->kind = SQL_SHOW_CREATE_TABLE;
		else
			syntax_error(p, p->pos);
		parse_name(p, &sh->name);
	} else if (accept_kw(p, "WARNINGS")) {
		st->kind = SQL_SHOW_WARNINGS;
		if (accept_kw(p, "LIMIT"))
			parse_limit(p, &sh->has_limit, &sh->limit, &sh->offset);
	} else {
		if (accept_kw(p, "FULL"))
			sh->full = true;
		if (accept_kw(p, "COLUMNS") || accept_kw(p, "FIELDS")) {
			st->kind = SQL_SHOW_COLUMNS;
			if (!accept_kw(p, "FROM"))
				expect_kw(p, "IN");
			parse_name(p, &sh->name);
			if (accept_kw(p, "FROM") || accept_kw(p, "IN"))
				parse_db(p, sh->name.db);
		} else {
			st->kind = SQL_SHOW_TABLES;
			expect_kw(p, "TABLES");
			if (accept_kw(p, "FROM") || accept_kw(p, "IN"))
				parse_db(p, sh->name.db);
		}
		parse_show_filter(p, sh);
	}
	expect_end(p);
}

/* {DESCRIBE|DESC|EXPLAIN} name [column | 'pattern'] */
static void parse_describe(struct parser *p, struct sql_stmt *st)
{
	struct sql_show *sh = &st->u.show;

	st->kind = SQL_SHOW_COLUMNS;
	parse_name(p, &sh->name);
	if (cur(p)->kind == TK_STRING) {
		sh->like = parse_one_string(p, &sh->like_len);
	} else if (cur(p)->kind != TK_EOF) {
		sh->like = parse_ident_str(p, ROLE_COLUMN, false, &sh->like_len);
	}
	expect_end(p);
}

/* USE db. MariaDB checks the name only after the whole statement parsed:
 * an empty one is "No database selected" (1046), not an incorrect name. */
static void parse_use(struct parser *p, struct sql_stmt *st)
{
	struct sql_name *nm = &st->u.show.name;
	const struct tok *t = cur(p);
	size_t n;
	char *s;

	st->kind = SQL_USE;
	if (!(t->kind == TK_QIDENT || (t->kind == TK_WORD && !is_reserved(p, t))))
		syntax_error(p, p->pos);
	s = ident_text(p, p->pos, &n);
	p->pos++;
	expect_end(p);
	if (n)
		check_name(p, s, n, ROLE_DB);
	memcpy(nm->db, s, n > SQL_NAME_BYTES ? SQL_NAME_BYTES : n);
	nm->db[n > SQL_NAME_BYTES ? SQL_NAME_BYTES : n] = '\0';
}

/* --- INSERT (§7.4) -------------------------------------------------------- */

static void parse_insert(struct parser *p, struct sql_stmt *st, bool replace)
{
	struct sql_insert *in = &st->u.insert;
	size_t rcap = 0;

	st->kind = SQL_INSERT;
	in->replace = replace;
	accept_kw(p, "INTO");
	parse_name(p, &in->table);
	if (accept_op(p, OP_LPAREN)) {
		size_t ccap = 0;

		in->has_columns = true;
		if (!accept_op(p, OP_RPAREN)) {
			do {
				in->columns = grow(p, in->columns, &ccap, in->n_columns,
						   sizeof(*in->columns));
				in->columns[in->n_columns] = parse_ident_str(p, ROLE_COLUMN, false, NULL);
				in->n_columns++;
			} while (accept_op(p, OP_COMMA));
			expect_op(p, OP_RPAREN);
		}
	}
	if (!accept_kw(p, "VALUES"))
		expect_kw(p, "VALUE");
	do {
		struct sql_insert_row *r;
		size_t vcap = 0;

		in->rows = grow(p, in->rows, &rcap, in->n_rows, sizeof(*in->rows));
		r = &in->rows[in->n_rows++];
		memset(r, 0, sizeof(*r));
		expect_op(p, OP_LPAREN);
		if (accept_op(p, OP_RPAREN))
			continue;
		do {
			size_t at;

			r->v = grow(p, r->v, &vcap, r->n, sizeof(*r->v));
			r->v[r->n++] = sat64(parse_sint(p, &at));
		} while (accept_op(p, OP_COMMA));
		expect_op(p, OP_RPAREN);
	} while (accept_op(p, OP_COMMA));
	expect_end(p);
}

/* --- entry points --------------------------------------------------------- */

static void parse_statement(struct parser *p, struct sql_stmt *st)
{
	if (cur(p)->kind == TK_EOF)
		fail(p, SQL_ERR_EMPTY_QUERY, "42000", "Query was empty");
	if (accept_kw(p, "CREATE"))
		parse_create(p, st);
	else if (accept_kw(p, "ALTER"))
		parse_alter(p, st);
	else if (accept_kw(p, "DROP"))
		parse_drop(p, st);
	else if (accept_kw(p, "SELECT"))
		parse_select(p, st);
	else if (accept_kw(p, "DO"))
		parse_do(p, st);
	else if (accept_kw(p, "SHOW"))
		parse_show(p, st);
	else if (accept_kw(p, "INSERT"))
		parse_insert(p, st, false);
	else if (accept_kw(p, "REPLACE"))
		parse_insert(p, st, true);
	else if (accept_kw(p, "SET"))
		parse_set(p, st);
	else if (accept_kw(p, "DESCRIBE") || accept_kw(p, "DESC") || accept_kw(p, "EXPLAIN"))
		parse_describe(p, st);
	else if (accept_kw(p, "USE"))
		parse_use(p, st);
	else
		syntax_error(p, p->pos);
}

static void tokenize(struct parser *p)
{
	size_t cap = 0, pos = 0;
	struct tok t;

	do {
		pos = lex(p->s, p->len, pos, &t);
		p->toks = grow(p, p->toks, &cap, p->ntok, sizeof(*p->toks));
		p->toks[p->ntok++] = t;
	} while (t.kind != TK_EOF);
}

/* The part of sql_parse that errors jump out of. It lives in its own frame so
 * that no automatic object of the function calling setjmp() changes before
 * the jump (C11 7.13.2.1): all state is in *p, owned by the caller. */
static int parse_run(struct parser *p, const char *text, size_t len, struct sql_stmt **out)
{
	struct sql_stmt *st;
	char *copy;

	if (setjmp(p->jb)) {
		/* MariaDB checks each DROP name for a repetition (1066) as soon
		 * as the name is complete, before anything after it: an error
		 * met after two or more names waits for the executor, which
		 * alone can tell db.a from a in the current database */
		struct sql_stmt *d = p->drop;
		struct sql_error *later;

		if (!d || d->u.drop.n_names < 2 || p->err->code == 0)
			return p->rc;
		later = arena_alloc(p->arena, sizeof(*later));
		if (!later)
			return p->rc;
		*later = *p->err;
		memset(p->err, 0, sizeof(*p->err));
		d->u.drop.after_names = later;
		*out = d;
		return 0;
	}
	st = xalloc(p, sizeof(*st));
	st->arena = p->arena;
	copy = xalloc(p, len + 1);
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	st->text = copy;
	st->text_len = len;
	p->s = copy;
	p->len = len;
	tokenize(p);
	parse_statement(p, st);
	*out = st;
	return 0;
}

int sql_parse(const char *text, size_t len, struct sql_stmt **out, struct sql_error *err)
{
	struct sql_error own;
	struct parser p = {.err = err ? err : &own};
	struct sql_stmt *st = NULL;
	int rc;

	*out = NULL;
	memset(p.err, 0, sizeof(*p.err));
	p.arena = calloc(1, sizeof(*p.arena));
	if (!p.arena) {
		if (err)
			snprintf(err->message, sizeof(err->message), "out of memory");
		return -ENOMEM;
	}
	rc = parse_run(&p, text, len, &st);
	if (rc < 0) {
		arena_free(p.arena);
		return rc;
	}
	*out = st;
	return 0;
}

void sql_stmt_free(struct sql_stmt *st)
{
	if (st)
		arena_free(st->arena);
}
