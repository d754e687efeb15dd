/* shmseq.c — the admin CLI and SQL shell of shmseq.
 *
 *   shmseq [--instance NAME] VERB [ARGS]
 *
 * Verbs: sql (a mariadb-like client: REPL on a terminal, statements from
 * standard input or -e otherwise, output as table, batch or JSON lines),
 * status (the readiness check scripts use), list, create, drop, nextval,
 * setval, show, dump and stats.
 *
 * Everything goes through the public API (include/shmseq.h): statements run
 * through shmseq_exec(), `nextval` uses the shared-memory fast path through a
 * sequence handle.
 *
 * Statement splitting: the shell cuts its input into statements with the
 * library's own lexer (lib/sql.h: sql_complete, sql_split; the one
 * shmseq_exec() uses), so that it can run them one at a time, report the line
 * each one started on and stop at the first error. The JSON mode of the conformance
 * runner is the exception: there every input line goes to shmseq_exec() as it
 * is and every result becomes exactly one output line, flushed at once.
 *
 * Exit codes: 0 success, 1 a statement or the connection failed, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "json.h"
#include "shmseq.h"
#include "sql.h"
#include "util.h"

#define PROG "shmseq"

enum format { FMT_DEFAULT, FMT_TABLE, FMT_BATCH, FMT_JSON };

static const char *opt_instance; /* NULL: the library's default */

/* --- small helpers -------------------------------------------------------- */

static void die_oom(void)
{
	fputs(PROG ": out of memory\n", stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die_oom();
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die_oom();
	return d;
}

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (n >= b->cap - b->len || !b->s) {
		size_t need;

		if (__builtin_add_overflow(b->len, n + 1, &need))
			die_oom();
		size_t cap = b->cap ? b->cap : 256;
		while (cap < need) {
			if (__builtin_mul_overflow(cap, 2, &cap))
				die_oom();
		}
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *t;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom();
	sb_add(b, t, (size_t)n);
	free(t);
}

/* Append `name` quoted with backticks, doubling any backtick inside. */
static void sb_ident(struct sbuf *b, const char *name)
{
	sb_add(b, "`", 1);
	for (const char *p = name; *p; p++) {
		if (*p == '`')
			sb_add(b, "`", 1);
		sb_add(b, p, 1);
	}
	sb_add(b, "`", 1);
}

static const char *instance_label(shmseq *conn)
{
	if (conn)
		return shmseq_instance(conn);
	return opt_instance ? opt_instance : shmseq_default_instance();
}

/* Strict decimal int64 parse: optional sign, digits, nothing else. */
static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* Whether text is a JSON-valid integer: -?(0|[1-9][0-9]*). */
static bool json_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		return s[1] == '\0';
	if (*s < '1' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

static bool parse_format(const char *s, enum format *f)
{
	if (!strcmp(s, "table"))
		*f = FMT_TABLE;
	else if (!strcmp(s, "batch") || !strcmp(s, "tsv"))
		*f = FMT_BATCH;
	else if (!strcmp(s, "json"))
		*f = FMT_JSON;
	else
		return false;
	return true;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help' for more information.\n", stderr);
	return 2;
}

/* --- a table of text cells, whatever produced it --------------------------- */

struct grid {
	size_t ncols, nrows;
	const char **names; /* ncols */
	bool *numeric;	    /* ncols */
	const char **cells; /* nrows * ncols, NULL = SQL NULL */
};

static void grid_free(struct grid *g)
{
	free(g->names);
	free(g->numeric);
	free(g->cells);
	memset(g, 0, sizeof(*g));
}

/* Borrow the cells of a result set (valid while res lives). */
static void grid_from_result(struct grid *g, const shmseq_result *res)
{
	size_t nc = shmseq_result_columns(res), nr = shmseq_result_rows(res), n;

	if (__builtin_mul_overflow(nc, nr, &n) || __builtin_mul_overflow(n, sizeof(char *), &n))
		die_oom();
	g->ncols = nc;
	g->nrows = nr;
	g->names = xrealloc(NULL, nc * sizeof(char *));
	g->numeric = xrealloc(NULL, nc * sizeof(bool));
	g->cells = xrealloc(NULL, n);
	for (size_t c = 0; c < nc; c++) {
		const char *name = shmseq_result_column_name(res, c);

		g->names[c] = name ? name : "";
		g->numeric[c] = shmseq_result_column_numeric(res, c);
	}
	for (size_t r = 0; r < nr; r++)
		for (size_t c = 0; c < nc; c++)
			g->cells[r * nc + c] = shmseq_result_value(res, r, c);
}

/* Display width: UTF-8 code points (no East Asian wide handling). */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void put_repeat(int c, size_t n, FILE *f)
{
	while (n--)
		putc(c, f);
}

static void table_rule(const size_t *w, size_t nc, FILE *f)
{
	putc('+', f);
	for (size_t c = 0; c < nc; c++) {
		put_repeat('-', w[c] + 2, f);
		putc('+', f);
	}
	putc('\n', f);
}

static void table_cell(const char *s, size_t width, bool right, FILE *f)
{
	size_t pad = width - text_width(s);

	putc(' ', f);
	if (right)
		put_repeat(' ', pad, f);
	fputs(s, f);
	if (!right)
		put_repeat(' ', pad, f);
	fputs(" |", f);
}

/* Prints the boxed table (not the "rows in set" line). */
static void print_grid_table(const struct grid *g, FILE *f)
{
	size_t *w = xrealloc(NULL, (g->ncols ? g->ncols : 1) * sizeof(size_t));

	for (size_t c = 0; c < g->ncols; c++) {
		w[c] = text_width(g->names[c]);
		for (size_t r = 0; r < g->nrows; r++) {
			const char *v = g->cells[r * g->ncols + c];
			size_t x = text_width(v ? v : "NULL");

			if (x > w[c])
				w[c] = x;
		}
	}
	table_rule(w, g->ncols, f);
	putc('|', f);
	for (size_t c = 0; c < g->ncols; c++)
		table_cell(g->names[c], w[c], false, f);
	putc('\n', f);
	table_rule(w, g->ncols, f);
	for (size_t r = 0; r < g->nrows; r++) {
		putc('|', f);
		for (size_t c = 0; c < g->ncols; c++) {
			const char *v = g->cells[r * g->ncols + c];

			table_cell(v ? v : "NULL", w[c], g->numeric[c], f);
		}
		putc('\n', f);
	}
	table_rule(w, g->ncols, f);
	free(w);
}

/* mariadb --batch escapes: \0 \t \n \\ so rows stay one line each. */
static void batch_text(const char *s, FILE *f)
{
	for (; *s; s++) {
		switch (*s) {
		case '\t':
			fputs("\\t", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		default:
			putc(*s, f);
			break;
		}
	}
}

static void print_grid_batch(const struct grid *g, FILE *f)
{
	for (size_t c = 0; c < g->ncols; c++) {
		if (c)
			putc('\t', f);
		batch_text(g->names[c], f);
	}
	putc('\n', f);
	for (size_t r = 0; r < g->nrows; r++) {
		for (size_t c = 0; c < g->ncols; c++) {
			const char *v = g->cells[r * g->ncols + c];

			if (c)
				putc('\t', f);
			batch_text(v ? v : "NULL", f);
		}
		putc('\n', f);
	}
}

static void print_grid_json(const struct grid *g, FILE *f)
{
	fputs("{\"columns\": [", f);
	for (size_t c = 0; c < g->ncols; c++) {
		if (c)
			fputs(", ", f);
		json_write_str(f, g->names[c]);
	}
	fputs("], \"rows\": [", f);
	for (size_t r = 0; r < g->nrows; r++) {
		if (r)
			fputs(", ", f);
		putc('[', f);
		for (size_t c = 0; c < g->ncols; c++) {
			const char *v = g->cells[r * g->ncols + c];

			if (c)
				fputs(", ", f);
			if (!v)
				fputs("null", f);
			else if (g->numeric[c] && json_integer(v))
				fputs(v, f);
			else
				json_write_str(f, v);
		}
		putc(']', f);
	}
	fputs("]}\n", f);
}

/* --- printing results ----------------------------------------------------- */

struct printer {
	enum format fmt;
	bool interactive; /* REPL: blank line after each answer */
};

static int error_code(int err)
{
	return err < 0 ? -err : err;
}

static const char *error_message(const shmseq_result *res, int err)
{
	const char *m = res ? shmseq_result_message(res) : NULL;

	return (m && *m) ? m : shmseq_strerror(err);
}

static const char *error_sqlstate(const shmseq_result *res)
{
	const char *s = res ? shmseq_result_sqlstate(res) : NULL;

	return (s && *s && strcmp(s, "00000")) ? s : "HY000";
}

/* An error (res may be NULL when shmseq_exec itself failed). line 0: none. */
static void print_error(const struct printer *p, const shmseq_result *res, int err, unsigned long line)
{
	const char *msg = error_message(res, err);
	const char *state = error_sqlstate(res);

	if (p->fmt == FMT_JSON) {
		printf("{\"error\": {\"code\": %d, \"sqlstate\": ", error_code(err));
		json_write_str(stdout, state);
		fputs(", \"message\": ", stdout);
		json_write_str(stdout, msg);
		fputs("}}\n", stdout);
		return;
	}
	fflush(stdout); /* keep stdout and stderr in statement order */
	if (p->fmt == FMT_BATCH && line)
		fprintf(stderr, "ERROR %d (%s) at line %lu: %s\n", error_code(err), state, line, msg);
	else
		fprintf(stderr, "ERROR %d (%s): %s\n", error_code(err), state, msg);
}

static void print_warnings_json(const shmseq_result *res, size_t nw)
{
	fputs(", \"warnings\": [", stdout);
	for (size_t i = 0; i < nw; i++) {
		const char *level = NULL, *msg;
		int code = 0;

		msg = shmseq_result_warning(res, i, &level, &code);
		if (i)
			fputs(", ", stdout);
		fputs("{\"level\": ", stdout);
		json_write_str(stdout, level ? level : "Warning");
		printf(", \"code\": %d, \"message\": ", code);
		json_write_str(stdout, msg ? msg : "");
		putc('}', stdout);
	}
	putc(']', stdout);
}

static void print_warnings_table(const shmseq_result *res, size_t nw)
{
	for (size_t i = 0; i < nw; i++) {
		const char *level = NULL, *msg;
		int code = 0;

		msg = shmseq_result_warning(res, i, &level, &code);
		printf("%s (Code %d): %s\n", level ? level : "Warning", code, msg ? msg : "");
	}
}

/* One statement's result. Returns 0, or the statement's negative error. */
static int print_result(const struct printer *p, const shmseq_result *res, unsigned long line)
{
	int err = shmseq_result_error(res);
	size_t nw = shmseq_result_warnings(res);

	if (err) {
		print_error(p, res, err, line);
		return err;
	}
	if (shmseq_result_has_rows(res)) {
		struct grid g = {0};

		grid_from_result(&g, res);
		switch (p->fmt) {
		case FMT_JSON:
			print_grid_json(&g, stdout);
			break;
		case FMT_BATCH:
			if (g.nrows)
				print_grid_batch(&g, stdout);
			break;
		default:
			if (g.nrows) {
				print_grid_table(&g, stdout);
				printf("%zu %s in set", g.nrows, g.nrows == 1 ? "row" : "rows");
			} else {
				fputs("Empty set", stdout);
			}
			if (nw)
				printf(", %zu %s", nw, nw == 1 ? "warning" : "warnings");
			putc('\n', stdout);
			print_warnings_table(res, nw);
			if (p->interactive)
				putc('\n', stdout);
			break;
		}
		grid_free(&g);
		return 0;
	}
	switch (p->fmt) {
	case FMT_JSON:
		fputs("{\"ok\": true", stdout);
		if (nw)
			print_warnings_json(res, nw);
		fputs("}\n", stdout);
		break;
	case FMT_BATCH:
		break;
	default:
		fputs("Query OK, 0 rows affected", stdout);
		if (nw)
			printf(", %zu %s", nw, nw == 1 ? "warning" : "warnings");
		putc('\n', stdout);
		print_warnings_table(res, nw);
		if (p->interactive)
			putc('\n', stdout);
		break;
	}
	return 0;
}

/* Run SQL text and print every result. Returns 0 or the first error. */
static int run_sql(shmseq *conn, const struct printer *p, const char *sql, unsigned long line)
{
	shmseq_result *res = NULL;
	int rc = shmseq_exec(conn, sql, &res), first = 0;

	if (rc < 0) {
		print_error(p, NULL, rc, line);
		if (fflush(stdout) == EOF)
			return -EIO;
		return rc;
	}
	for (const shmseq_result *r = res; r; r = shmseq_result_next(r)) {
		int e = print_result(p, r, line);

		if (e && !first)
			first = e;
	}
	shmseq_result_free(res);
	if (fflush(stdout) == EOF && !first)
		first = -EIO;
	return first;
}

/* --- gathering statements ----------------------------------------------- */

/* Input arrives in pieces (lines); the library's lexer, the one shmseq_exec()
 * uses, says where each statement ends: sql_complete() finds the first ';'
 * outside quotes and comments, sql_split() trims the statement to its tokens
 * and gives the line it starts on. A statement may span lines, a quote or
 * comment may stay open across them. */
struct gather {
	struct sbuf buf;    /* input not yet run */
	unsigned long line; /* input line of buf's first byte (1-based) */
	/* called for every statement (without its ';'); nonzero stops */
	int (*emit)(void *ctx, const char *stmt, unsigned long line);
	void *ctx;
};

static void gather_init(struct gather *g, int (*emit)(void *, const char *, unsigned long), void *ctx)
{
	memset(g, 0, sizeof(*g));
	g->line = 1;
	g->emit = emit;
	g->ctx = ctx;
	sb_add(&g->buf, "", 0);
}

/* Drop the first n bytes of the buffer, counting the lines they held. */
static void gather_drop(struct gather *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (g->buf.s[i] == '\n')
			g->line++;
	memmove(g->buf.s, g->buf.s + n, g->buf.len - n + 1);
	g->buf.len -= n;
}

/* Whether something is gathered that is not yet a complete statement. */
static bool gather_pending(const struct gather *g)
{
	return !sql_is_blank(g->buf.s, g->buf.len);
}

/* Whether the gathered text ends inside a quote or a slash-star comment. */
static bool gather_open(struct gather *g)
{
	size_t len = g->buf.len, end;
	bool open;

	sb_add(&g->buf, "\n;", 2);
	open = !sql_complete(g->buf.s, g->buf.len, &end);
	g->buf.len = len;
	g->buf.s[len] = '\0';
	return open;
}

/* Run the statement in buf[0, end) (none if it holds no token), then drop it. */
static int gather_emit(struct gather *g, size_t end)
{
	struct sql_piece *pieces;
	size_t n;
	int rc = 0;

	if (sql_split(g->buf.s, end, &pieces, &n) < 0)
		die_oom();
	for (size_t i = 0; i < n && !rc; i++) {
		char *stmt = strndup(g->buf.s + pieces[i].off, pieces[i].len);

		if (!stmt)
			die_oom();
		rc = g->emit(g->ctx, stmt, g->line + pieces[i].line - 1);
		free(stmt);
	}
	free(pieces);
	gather_drop(g, end);
	return rc;
}

/* Add text and run the statements it completes. */
static int gather_feed(struct gather *g, const char *t, size_t n)
{
	size_t end;

	sb_add(&g->buf, t, n);
	while (sql_complete(g->buf.s, g->buf.len, &end)) {
		int rc = gather_emit(g, end);

		if (rc)
			return rc;
	}
	return 0;
}

/* End of input: the last statement may lack its ';'. */
static int gather_finish(struct gather *g)
{
	return gather_emit(g, g->buf.len);
}

/* Forget what is gathered (the lines it held still count). */
static void gather_clear(struct gather *g)
{
	gather_drop(g, g->buf.len);
}

/* --- the sql verb --------------------------------------------------------- */

struct session {
	shmseq *conn;
	struct printer p;
	bool stop_on_error; /* non-interactive table/batch without --force */
	bool failed;	    /* some statement failed */
};

static int session_emit(void *ctx, const char *stmt, unsigned long line)
{
	struct session *ss = ctx;
	int rc = run_sql(ss->conn, &ss->p, stmt, line);

	if (rc) {
		ss->failed = true;
		if (ss->stop_on_error)
			return 1;
	}
	return 0;
}

/* JSON lines: every line as it is, one output line per result. */
static int sql_json_lines(struct session *ss, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (sql_is_blank(line, (size_t)n))
			continue;
		if (run_sql(ss->conn, &ss->p, line, lineno))
			ss->failed = true;
		if (fflush(stdout) == EOF) {
			free(line);
			fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
			return 1;
		}
	}
	free(line);
	if (ferror(in)) {
		fprintf(stderr, PROG ": reading input: %s\n", strerror(errno));
		return 1;
	}
	return 0; /* JSON mode reports errors in-band */
}

/* Statements that may span lines, from a stream. */
static int sql_stream(struct session *ss, FILE *in)
{
	struct gather g;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int stopped = 0;

	gather_init(&g, session_emit, ss);
	while ((n = getline(&line, &cap, in)) >= 0) {
		stopped = gather_feed(&g, line, (size_t)n);
		if (stopped)
			break;
	}
	if (!stopped && ferror(in)) {
		fprintf(stderr, PROG ": reading input: %s\n", strerror(errno));
		ss->failed = true;
	} else if (!stopped) {
		gather_finish(&g);
	}
	free(line);
	free(g.buf.s);
	return ss->failed ? 1 : 0;
}

static int sql_text(struct session *ss, const char *text)
{
	struct gather g;

	gather_init(&g, session_emit, ss);
	if (gather_feed(&g, text, strlen(text)) == 0)
		gather_finish(&g);
	free(g.buf.s);
	if (ss->p.fmt == FMT_JSON)
		return 0;
	return ss->failed ? 1 : 0;
}

/* Whether a line, trimmed and without a trailing ';', is a quit command. */
static bool is_quit(const char *line)
{
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && strchr(" \t\r\n", line[n - 1]))
		n--;
	if (n && line[n - 1] == ';')
		n--;
	while (n && strchr(" \t", line[n - 1]))
		n--;
	return (n == 4 && !strncasecmp(line, "quit", 4)) || (n == 4 && !strncasecmp(line, "exit", 4)) ||
	       (n == 2 && !strncmp(line, "\\q", 2));
}

static bool is_clear(const char *line)
{
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && strchr(" \t\r\n", line[n - 1]))
		n--;
	return n == 2 && !strncmp(line, "\\c", 2);
}

#ifdef HAVE_LIBEDIT
static char *history_path(void)
{
	const char *home = getenv("HOME");
	char *p;

	if (!home || !*home)
		return NULL;
	if (asprintf(&p, "%s/.shmseq_history", home) < 0)
		return NULL;
	return p;
}
#endif

/* Read one line for the REPL (malloc'd, no newline) or NULL at EOF. */
static char *repl_read(const char *prompt)
{
#ifdef HAVE_LIBEDIT
	return readline(prompt);
#else
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, stdout);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
#endif
}

static int sql_repl(struct session *ss)
{
	struct gather g;
	char *prompt;
	char *line;

	if (asprintf(&prompt, "shmseq [%s]> ", shmseq_instance(ss->conn)) < 0)
		die_oom();
	printf("Welcome to the shmseq SQL shell (instance %s).\n"
	       "Statements end with ';'. Type 'quit' or '\\q' to leave, '\\c' to "
	       "clear the statement.\n\n",
	       shmseq_instance(ss->conn));
#ifdef HAVE_LIBEDIT
	char *hist = history_path();

	using_history();
	if (hist)
		read_history(hist); /* a missing file is fine */
#endif
	gather_init(&g, session_emit, ss);
	for (;;) {
		line = repl_read(gather_pending(&g) ? "    -> " : prompt);
		if (!line) {
			putchar('\n');
			break;
		}
#ifdef HAVE_LIBEDIT
		if (*line)
			add_history(line);
#endif
		if (!gather_pending(&g) && is_quit(line)) {
			free(line);
			break;
		}
		if (is_clear(line) && !gather_open(&g)) {
			gather_clear(&g);
			free(line);
			continue;
		}
		gather_feed(&g, line, strlen(line));
		gather_feed(&g, "\n", 1);
		free(line);
		if (!gather_pending(&g))
			gather_clear(&g); /* drop trailing blanks and comments */
	}
	puts("Bye");
#ifdef HAVE_LIBEDIT
	if (hist) {
		write_history(hist);
		free(hist);
	}
#endif
	free(g.buf.s);
	free(prompt);
	return 0;
}

/* Connect or say why not (exit status 1). */
static shmseq *connect_or_complain(bool quiet)
{
	shmseq *conn = NULL;
	int rc = shmseq_connect(opt_instance, &conn);

	if (rc < 0) {
		char why[1024];

		if (!quiet) {
			shmseq_connect_explain(opt_instance, rc, why, sizeof(why));
			fprintf(stderr, PROG ": cannot connect to instance '%s': %s\n", instance_label(NULL),
				why);
		}
		return NULL;
	}
	return conn;
}

static enum format resolve_format(enum format f)
{
	if (f != FMT_DEFAULT)
		return f;
	return isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_BATCH;
}

static void sql_help(FILE *f)
{
	fputs("Usage: " PROG " [--instance NAME] sql [OPTIONS]\n"
	      "Run SQL statements: from -e, else from standard input; an interactive\n"
	      "shell when standard input and output are terminals.\n\n"
	      "  -e, --execute=STATEMENTS   run these ';'-separated statements and exit\n"
	      "  -f, --format=FORMAT        table (default on a terminal), batch\n"
	      "                             (tab-separated, the default otherwise) or\n"
	      "                             json (one line per statement result)\n"
	      "      --force                continue after errors (table/batch input)\n"
	      "  -h, --help                 show this help\n",
	      f);
}

static int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{"execute", required_argument, NULL, 'e'},
		{"format", required_argument, NULL, 'f'},
		{"force", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *exec_text = NULL;
	enum format fmt = FMT_DEFAULT;
	bool force = false, interactive;
	struct session ss = {0};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+e:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			exec_text = optarg;
			break;
		case 'f':
			if (!parse_format(optarg, &fmt))
				return usage_error("sql: unknown format '%s' "
						   "(table, batch or json)",
						   optarg);
			break;
		case 'F':
			force = true;
			break;
		case 'h':
			sql_help(stdout);
			return 0;
		default:
			return usage_error("sql: bad option");
		}
	}
	if (optind < argc)
		return usage_error("sql: unexpected argument '%s'", argv[optind]);

	interactive = !exec_text && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	ss.p.fmt = resolve_format(fmt);
	ss.p.interactive = interactive && ss.p.fmt == FMT_TABLE;
	ss.stop_on_error = !interactive && !force && ss.p.fmt != FMT_JSON;
	ss.conn = connect_or_complain(false);
	if (!ss.conn)
		return 1;

	if (exec_text)
		rc = sql_text(&ss, exec_text);
	else if (interactive)
		rc = sql_repl(&ss);
	else if (ss.p.fmt == FMT_JSON)
		rc = sql_json_lines(&ss, stdin);
	else
		rc = sql_stream(&ss, stdin);
	shmseq_disconnect(ss.conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}

/* --- status --------------------------------------------------------------- */

static void print_duration(uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		printf("%" PRIu64 "d ", s / 86400);
	if (s >= 3600)
		printf("%" PRIu64 "h ", s / 3600 % 24);
	if (s >= 60)
		printf("%" PRIu64 "m ", s / 60 % 60);
	printf("%" PRIu64 ".%03" PRIu64 "s\n", s % 60, ms % 1000);
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct shmseq_status st;
	bool quiet = false;
	shmseq *conn;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			puts("Usage: " PROG " [--instance NAME] status [-q|--quiet]\n"
			     "Show how the instance's daemon is. Exit status 0 exactly when\n"
			     "the daemon answered; with --quiet nothing is printed.");
			return 0;
		default:
			return usage_error("status: bad option");
		}
	}
	if (optind < argc)
		return usage_error("status: unexpected argument '%s'", argv[optind]);

	conn = connect_or_complain(quiet);
	if (!conn)
		return 1;
	memset(&st, 0, sizeof(st));
	rc = shmseq_status(conn, &st);
	if (rc < 0) {
		if (!quiet)
			fprintf(stderr, PROG ": instance '%s' did not answer: %s\n", shmseq_instance(conn),
				shmseq_strerror(rc));
		shmseq_disconnect(conn);
		return 1;
	}
	if (!quiet) {
		st.region_name[sizeof(st.region_name) - 1] = '\0';
		st.data_dir[sizeof(st.data_dir) - 1] = '\0';
		printf("instance:     %s\n", shmseq_instance(conn));
		printf("daemon pid:   %" PRIu32 "\n", st.daemon_pid);
		printf("sequences:    %" PRIu64 " of %" PRIu64 " slots\n", st.sequences, st.capacity);
		printf("region:       %s (%" PRIu64 " bytes)\n", st.region_name, st.region_bytes);
		printf("data dir:     %s\n", st.data_dir);
		printf("connections:  %" PRIu64 "\n", st.connections);
		printf("uptime:       ");
		print_duration(st.uptime_ms);
		printf("log bytes:    %" PRIu64 "\n", st.log_bytes);
		printf("syncs:        %" PRIu64 "\n", st.syncs);
		printf("records:      %" PRIu64 "\n", st.records);
		printf("auto_increment_increment: %" PRId64 ", auto_increment_offset: %" PRId64 "\n",
		       st.auto_increment_increment, st.auto_increment_offset);
		printf("state:        %s\n", st.failed ? "FAILED (persistence failed: no new values until "
							 "the daemon restarts)"
						       : "ok");
	}
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF)
		return 1;
	return 0;
}

/* --- verbs built on statements -------------------------------------------- */

/* Parse the options of a friendly verb: --format/-f and --help/-h may
 * stand anywhere, "--" ends them; every other argument is an operand, so
 * negative numbers ("setval s -5", "create s increment by -1") need no "--".
 * The operands are moved to the front of argv[1..]; *nargs is their count.
 * Returns -1 to go on, else an exit status. */
static int verb_options(int argc, char **argv, enum format *fmt, const char *help, int *nargs)
{
	const char *verb = argv[0];
	bool opts_done = false;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const char *val = NULL;

		if (opts_done || a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9')) {
			argv[1 + n++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(help, stdout);
			return 0;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--format")) {
			if (i + 1 >= argc)
				return usage_error("%s: option '%s' needs an argument", verb, a);
			val = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			val = a + 9;
		} else if (!strncmp(a, "-f", 2)) {
			val = a + 2;
		} else {
			return usage_error("%s: unknown option '%s' (put '--' before "
					   "arguments that start with '-')",
					   verb, a);
		}
		if (val && !parse_format(val, fmt))
			return usage_error("%s: unknown format '%s' (table, batch or "
					   "json)",
					   verb, val);
	}
	*nargs = n;
	return -1;
}

/* Run one statement with the friendly verbs' printer. 0 or 1. */
static int verb_run(shmseq *conn, enum format fmt, const char *sql)
{
	struct printer p = {.fmt = fmt == FMT_DEFAULT ? FMT_TABLE : fmt};

	return run_sql(conn, &p, sql, 1) ? 1 : 0;
}

/* Run a statement and hand back its (successful) result set, or print the
 * error and return NULL. */
static shmseq_result *query(shmseq *conn, const char *sql)
{
	struct printer p = {.fmt = FMT_TABLE};
	shmseq_result *res = NULL;
	int rc = shmseq_exec(conn, sql, &res);

	if (rc < 0) {
		print_error(&p, NULL, rc, 0);
		return NULL;
	}
	if (!res) {
		fprintf(stderr, PROG ": no result for: %s\n", sql);
		return NULL;
	}
	rc = shmseq_result_error(res);
	if (rc) {
		print_error(&p, res, rc, 0);
		shmseq_result_free(res);
		return NULL;
	}
	if (!shmseq_result_has_rows(res)) {
		fprintf(stderr, PROG ": no result set for: %s\n", sql);
		shmseq_result_free(res);
		return NULL;
	}
	return res;
}

static long find_column(const shmseq_result *res, const char *name, long fallback)
{
	size_t nc = shmseq_result_columns(res);

	for (size_t c = 0; c < nc; c++) {
		const char *n = shmseq_result_column_name(res, c);

		if (n && !strcasecmp(n, name))
			return (long)c;
	}
	return fallback >= 0 && (size_t)fallback < nc ? fallback : -1;
}

/* The names of all sequences (SHOW TABLES), NULL-terminated; NULL on error. */
static char **sequence_names(shmseq *conn, size_t *count)
{
	shmseq_result *res = query(conn, "SHOW TABLES");
	char **v;
	size_t n, k = 0;

	if (!res)
		return NULL;
	n = shmseq_result_rows(res);
	v = xrealloc(NULL, (n + 1) * sizeof(char *));
	for (size_t r = 0; r < n && shmseq_result_columns(res) > 0; r++) {
		const char *name = shmseq_result_value(res, r, 0);

		if (name)
			v[k++] = xstrdup(name);
	}
	v[k] = NULL;
	shmseq_result_free(res);
	*count = k;
	return v;
}

static void free_names(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static int cmd_list(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	shmseq *conn;
	char **names;
	size_t n;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] list\n"
			      "Print the names of the sequences, one per line.\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs > 0)
		return usage_error("list: unexpected argument '%s'", argv[1]);
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	names = sequence_names(conn, &n);
	shmseq_disconnect(conn);
	if (!names)
		return 1;
	for (size_t i = 0; i < n; i++)
		puts(names[i]);
	free_names(names);
	return fflush(stdout) == EOF ? 1 : 0;
}

/* Run SQL a friendly verb built on a new session, print it, free it. */
static int verb_run_sql(enum format fmt, struct sbuf *sql)
{
	shmseq *conn = connect_or_complain(false);
	int rc = 1;
	if (conn) {
		rc = verb_run(conn, fmt, sql->s);
		shmseq_disconnect(conn);
	}
	free(sql->s);
	return rc;
}

static int cmd_create(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf sql = {0};
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] create [--format=F] NAME [OPTIONS...]\n"
			      "CREATE SEQUENCE NAME OPTIONS, e.g.\n"
			      "  " PROG " create orders start with 1000 cache 100 cycle\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	argc = nargs + 1;
	if (nargs < 1)
		return usage_error("create: missing sequence name");
	sb_str(&sql, "CREATE SEQUENCE ");
	sb_ident(&sql, argv[1]);
	for (int i = 2; i < argc; i++) {
		sb_str(&sql, " ");
		sb_str(&sql, argv[i]);
	}
	return verb_run_sql(fmt, &sql);
}

static int cmd_drop(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf sql = {0};
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] drop [--format=F] NAME...\n"
			      "DROP SEQUENCE NAME, ...\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	argc = nargs + 1;
	if (nargs < 1)
		return usage_error("drop: missing sequence name");
	sb_str(&sql, "DROP SEQUENCE ");
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			sb_str(&sql, ", ");
		sb_ident(&sql, argv[i]);
	}
	return verb_run_sql(fmt, &sql);
}

static int cmd_setval(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf sql = {0};
	int64_t v;
	uint64_t u;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG
			      " [--instance NAME] setval [--format=F] NAME VALUE [IS_USED [ROUND]]\n"
			      "SELECT SETVAL(NAME, VALUE[, IS_USED[, ROUND]]): move the sequence\n"
			      "forward; prints VALUE when applied, NULL when ignored.\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs < 2)
		return usage_error("setval: expected NAME VALUE [IS_USED [ROUND]]");
	if (nargs > 4)
		return usage_error("setval: too many arguments");
	/* a BIGINT UNSIGNED sequence takes values up to 2^64 - 1: the
	 * statement checks VALUE against the sequence's own type */
	if (parse_i64(argv[2], &v))
		u = 0;
	else if (parse_u64(argv[2], &u))
		v = 0;
	else
		return usage_error("setval: VALUE '%s' is not a 64-bit integer", argv[2]);
	sb_str(&sql, "SELECT SETVAL(");
	sb_ident(&sql, argv[1]);
	if (u)
		sb_printf(&sql, ", %" PRIu64, u);
	else
		sb_printf(&sql, ", %" PRId64, v);
	if (nargs >= 3) {
		if (!parse_u64(argv[3], &u) || u > 1) {
			free(sql.s);
			return usage_error("setval: IS_USED must be 0 or 1");
		}
		sb_printf(&sql, ", %" PRIu64, u);
	}
	if (nargs >= 4) {
		if (!parse_u64(argv[4], &u)) {
			free(sql.s);
			return usage_error("setval: ROUND '%s' is not a non-negative integer", argv[4]);
		}
		sb_printf(&sql, ", %" PRIu64, u);
	}
	sb_str(&sql, ")");
	return verb_run_sql(fmt, &sql);
}

static int cmd_show(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf a = {0}, b = {0};
	shmseq *conn;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] show [--format=F] NAME\n"
			      "SHOW CREATE SEQUENCE NAME and SELECT * FROM NAME.\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs != 1)
		return usage_error("show: expected one sequence name");
	sb_str(&a, "SHOW CREATE SEQUENCE ");
	sb_ident(&a, argv[1]);
	sb_str(&b, "SELECT * FROM ");
	sb_ident(&b, argv[1]);
	conn = connect_or_complain(false);
	if (!conn) {
		free(a.s);
		free(b.s);
		return 1;
	}
	rc = verb_run(conn, fmt, a.s);
	if (rc == 0)
		rc = verb_run(conn, fmt, b.s);
	shmseq_disconnect(conn);
	free(a.s);
	free(b.s);
	return rc;
}

static int cmd_nextval(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	uint64_t count = 1;
	shmseq_seq *seq = NULL;
	shmseq *conn;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] nextval [--format=F] NAME [COUNT]\n"
			      "Take COUNT (default 1) values of the sequence and print them, one\n"
			      "per line (json: one result set).\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs < 1 || nargs > 2)
		return usage_error("nextval: expected NAME [COUNT]");
	if (nargs == 2 && !parse_u64(argv[2], &count))
		return usage_error("nextval: COUNT '%s' is not a non-negative integer", argv[2]);
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	rc = shmseq_seq_open(conn, argv[1], &seq);
	if (rc < 0)
		goto fail;
	if (fmt == FMT_JSON) {
		fputs("{\"columns\": [", stdout);
		struct sbuf col = {0};
		sb_str(&col, "NEXTVAL(");
		sb_str(&col, argv[1]);
		sb_str(&col, ")");
		json_write_str(stdout, col.s);
		free(col.s);
		fputs("], \"rows\": [", stdout);
	}
	for (uint64_t i = 0; i < count; i++) {
		int64_t v;

		char text[24];

		rc = shmseq_seq_nextval(seq, &v);
		if (rc < 0)
			break;
		/* by the type of the sequence that gave this value (the name
		 * may have been re-created meanwhile) */
		if (shmseq_seq_is_unsigned(seq))
			snprintf(text, sizeof(text), "%" PRIu64, (uint64_t)v);
		else
			snprintf(text, sizeof(text), "%" PRId64, v);
		if (fmt == FMT_JSON)
			printf("%s[%s]", i ? ", " : "", text);
		else
			printf("%s\n", text);
	}
	if (fmt == FMT_JSON)
		fputs("]}\n", stdout);
	shmseq_seq_close(seq);
	if (rc < 0)
		goto fail;
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return 0;
fail:
	fflush(stdout);
	fprintf(stderr, PROG ": nextval %s: %s (error %d)\n", argv[1], shmseq_strerror(rc), error_code(rc));
	shmseq_disconnect(conn);
	return 1;
}

/* Print "-- shmseq dump" text: CREATE statements and SETVAL calls that put
 * every sequence back where it is, round included. */
static int cmd_dump(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	shmseq *conn;
	char **names;
	size_t n;
	int status = 0;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] dump\n"
			      "Print SQL that recreates every sequence with its current position\n"
			      "and cycle count (load it with '" PROG " sql').\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs > 0)
		return usage_error("dump: unexpected argument '%s'", argv[1]);
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	names = sequence_names(conn, &n);
	if (!names) {
		shmseq_disconnect(conn);
		return 1;
	}
	printf("-- shmseq dump of instance %s\n", shmseq_instance(conn));
	for (size_t i = 0; i < n; i++) {
		struct sbuf a = {0}, b = {0};
		shmseq_result *cr = NULL, *sr = NULL;
		const char *create, *next, *round;
		long cnext, cround;

		sb_str(&a, "SHOW CREATE SEQUENCE ");
		sb_ident(&a, names[i]);
		sb_str(&b, "SELECT * FROM ");
		sb_ident(&b, names[i]);
		cr = query(conn, a.s);
		if (cr)
			sr = query(conn, b.s);
		free(a.s);
		free(b.s);
		if (!cr || !sr)
			goto next_fail;
		if (shmseq_result_rows(cr) < 1 || shmseq_result_columns(cr) < 2 || shmseq_result_rows(sr) < 1)
			goto next_bad;
		create = shmseq_result_value(cr, 0, 1);
		cnext = find_column(sr, "next_not_cached_value", 0);
		cround = find_column(sr, "cycle_count", 7);
		if (!create || cnext < 0 || cround < 0)
			goto next_bad;
		next = shmseq_result_value(sr, 0, (size_t)cnext);
		round = shmseq_result_value(sr, 0, (size_t)cround);
		if (!next || !round)
			goto next_bad;
		printf("%s;\n", create);
		fputs("DO SETVAL(", stdout);
		{
			struct sbuf q = {0};
			sb_ident(&q, names[i]);
			fputs(q.s, stdout);
			free(q.s);
		}
		printf(", %s, 0, %s);\n", next, round);
		shmseq_result_free(cr);
		shmseq_result_free(sr);
		continue;
next_bad:
		fflush(stdout);
		fprintf(stderr, PROG ": dump: unexpected answer for sequence '%s'\n", names[i]);
next_fail:
		shmseq_result_free(cr);
		shmseq_result_free(sr);
		status = 1;
	}
	free_names(names);
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return status;
}

static int cmd_stats(int argc, char **argv)
{
	static const char *cols[] = {"name", "next_not_cached_value", "cycle_count", "cache"};
	static const char *src[] = {NULL, "next_not_cached_value", "cycle_count", "cache_size"};
	static const long fallback[] = {-1, 0, 7, 5};
	enum format fmt = FMT_DEFAULT;
	struct grid g = {0};
	shmseq_result **keep;
	shmseq *conn;
	char **names;
	size_t n, k = 0;
	int status = 0;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] stats [--format=F]\n"
			      "Show every sequence's position, cycle count and cache size.\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs > 0)
		return usage_error("stats: unexpected argument '%s'", argv[1]);
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	names = sequence_names(conn, &n);
	if (!names) {
		shmseq_disconnect(conn);
		return 1;
	}
	keep = xrealloc(NULL, (n ? n : 1) * sizeof(*keep));
	g.ncols = ARRAY_SIZE(cols);
	g.names = xrealloc(NULL, sizeof(cols));
	memcpy(g.names, cols, sizeof(cols));
	g.numeric = xrealloc(NULL, g.ncols * sizeof(bool));
	for (size_t c = 0; c < g.ncols; c++)
		g.numeric[c] = c > 0;
	g.cells = xrealloc(NULL, (n ? n : 1) * g.ncols * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		struct sbuf q = {0};
		shmseq_result *res;

		sb_str(&q, "SELECT * FROM ");
		sb_ident(&q, names[i]);
		res = query(conn, q.s);
		free(q.s);
		if (!res) {
			status = 1; /* e.g. dropped meanwhile: already reported */
			continue;
		}
		if (shmseq_result_rows(res) < 1) {
			shmseq_result_free(res);
			continue;
		}
		keep[k] = res;
		g.cells[k * g.ncols] = names[i];
		for (size_t c = 1; c < g.ncols; c++) {
			long col = find_column(res, src[c], fallback[c]);

			g.cells[k * g.ncols + c] = col < 0 ? NULL : shmseq_result_value(res, 0, (size_t)col);
		}
		k++;
	}
	g.nrows = k;
	switch (fmt) {
	case FMT_JSON:
		print_grid_json(&g, stdout);
		break;
	case FMT_BATCH:
		print_grid_batch(&g, stdout);
		break;
	default:
		if (k) {
			print_grid_table(&g, stdout);
			printf("%zu %s\n", k, k == 1 ? "sequence" : "sequences");
		} else {
			puts("No sequences");
		}
		break;
	}
	for (size_t i = 0; i < k; i++)
		shmseq_result_free(keep[i]);
	free(keep);
	grid_free(&g);
	free_names(names);
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return status;
}

/* --- main ----------------------------------------------------------------- */

static void main_help(FILE *f)
{
	fputs("Usage: " PROG " [--instance NAME] [-h|--help] [-V|--version] VERB [ARGS]\n"
	      "The admin tool and SQL shell of shmseq (shared-memory sequences).\n\n"
	      "Global options:\n"
	      "  -i, --instance=NAME  the instance to talk to (default: $SHMSEQ_INSTANCE,\n"
	      "                       else 'default'); $SHMSEQ_RUNTIME_DIR locates sockets\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n\n"
	      "Verbs (options go before the verb's arguments; VERB --help for more):\n"
	      "  sql [-e STATEMENTS] [--format=table|batch|json] [--force]\n"
	      "                       run SQL: -e text, standard input, or a shell\n"
	      "  status [--quiet]     daemon summary; exit 0 exactly when it answers\n"
	      "  list                 sequence names, one per line\n"
	      "  create NAME [OPTIONS...]   CREATE SEQUENCE NAME OPTIONS\n"
	      "  drop NAME...         DROP SEQUENCE\n"
	      "  nextval NAME [COUNT] take COUNT values (default 1)\n"
	      "  setval NAME VALUE [IS_USED [ROUND]]   SELECT SETVAL(...)\n"
	      "  show NAME            SHOW CREATE SEQUENCE and SELECT * FROM NAME\n"
	      "  dump                 SQL that recreates every sequence and its position\n"
	      "  stats                position, cycle count and cache of every sequence\n\n"
	      "create, drop, nextval, setval, show and stats take --format=FORMAT\n"
	      "(table by default).\n"
	      "Exit status: 0 success, 1 failure, 2 bad usage.\n",
	      f);
}

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct verb verbs[] = {
	{"sql", cmd_sql},   {"status", cmd_status},   {"list", cmd_list},     {"create", cmd_create},
	{"drop", cmd_drop}, {"nextval", cmd_nextval}, {"setval", cmd_setval}, {"show", cmd_show},
	{"dump", cmd_dump}, {"stats", cmd_stats},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"instance", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+i:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!shmseq_instance_name_valid(optarg))
				return usage_error("invalid instance name '%s' (1 to %d "
						   "letters, digits, '-' or '_')",
						   optarg, SHMSEQ_NAME_MAX);
			opt_instance = optarg;
			break;
		case 'h':
			main_help(stdout);
			return 0;
		case 'V':
#ifdef SHMSEQ_VERSION
			puts(PROG " " SHMSEQ_VERSION);
#else
			puts(PROG " 0.1.0");
#endif
			return 0;
		default:
			return usage_error("bad option");
		}
	}
	if (optind >= argc)
		return usage_error("missing verb");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(argv[optind], verbs[i].name))
			return verbs[i].fn(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "help")) {
		main_help(stdout);
		return 0;
	}
	return usage_error("unknown verb '%s'", argv[optind]);
}
