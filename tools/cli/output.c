/* SPDX-License-Identifier: MIT */
/* output.c — results of statements as a table (mariadb's look), batch
 * (tab-separated) or JSON lines, errors and warnings included. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "json.h"
#include "util.h"

void grid_free(struct grid *g)
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
void print_grid_table(const struct grid *g, FILE *f)
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
	if (!g->skip_names) {
		putc('|', f);
		for (size_t c = 0; c < g->ncols; c++)
			table_cell(g->names[c], w[c], false, f);
		putc('\n', f);
		table_rule(w, g->ncols, f);
	}
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

void print_grid_batch(const struct grid *g, FILE *f)
{
	for (size_t c = 0; c < g->ncols && !g->skip_names; c++) {
		if (c)
			putc('\t', f);
		batch_text(g->names[c], f);
		if (c + 1 == g->ncols)
			putc('\n', f);
	}
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

/* The mariadb client's vertical output (-E, \G): per row a rule with its
 * number, then "name: value" lines, names right-aligned. */
void print_grid_vertical(const struct grid *g, FILE *f)
{
	size_t w = 0;
	for (size_t c = 0; c < g->ncols; c++)
		if (text_width(g->names[c]) > w)
			w = text_width(g->names[c]);
	for (size_t r = 0; r < g->nrows; r++) {
		fprintf(f, "*************************** %zu. row ***************************\n", r + 1);
		for (size_t c = 0; c < g->ncols; c++) {
			const char *v = g->cells[r * g->ncols + c];
			put_repeat(' ', w - text_width(g->names[c]), f);
			fprintf(f, "%s: %s\n", g->names[c], v ? v : "NULL");
		}
	}
}

void print_grid_json(const struct grid *g, FILE *f)
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
			/* every value a string: a JSON number above 2^53 reads
			 * back rounded in JavaScript and jq, and two IDs as one */
			if (!v)
				fputs("null", f);
			else
				json_write_str(f, v);
		}
		putc(']', f);
	}
	fputs("]}\n", f);
}

int error_code(int err)
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
void print_error(const struct printer *p, const shmseq_result *res, int err, unsigned long line)
{
	const char *msg = error_message(res, err);
	char why[2048];

	/* the daemon went away or is not trusted: say where it was looked for */
	if (err == -ECONNREFUSED || err == -EPERM) {
		shmseq_connect_explain(opt_instance, err, why, sizeof(why));
		msg = why;
	}
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
		g.skip_names = p->skip_names;
		bool vertical = p->vertical || p->vertical_once;
		switch (p->fmt) {
		case FMT_JSON:
			print_grid_json(&g, stdout);
			break;
		case FMT_BATCH:
			if (g.nrows && vertical)
				print_grid_vertical(&g, stdout);
			else if (g.nrows)
				print_grid_batch(&g, stdout);
			break;
		default:
			if (g.nrows && vertical)
				print_grid_vertical(&g, stdout);
			else if (g.nrows)
				print_grid_table(&g, stdout);
			if (p->silent) {
				print_warnings_table(res, nw);
				break;
			}
			if (g.nrows)
				printf("%zu %s in set", g.nrows, g.nrows == 1 ? "row" : "rows");
			else
				fputs("Empty set", stdout);
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
		if (p->silent) {
			print_warnings_table(res, nw);
			break;
		}
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
int run_sql(shmseq *conn, const struct printer *p, const char *sql, unsigned long line)
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
