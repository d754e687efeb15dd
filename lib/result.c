/* SPDX-License-Identifier: MIT */
/* result.c — results of shmseq_exec(): a chain, one per statement, each an
 * error, a plain success, or a result set of text cells (NULL = SQL NULL). */
#include "result.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct warning {
	char level[8];
	int code;
	char *text;
};

struct shmseq_result {
	struct shmseq_result *next;
	char *stmt;
	int error;
	char sqlstate[6];
	char *message;
	bool has_rows;
	size_t ncols, nrows, caprows;
	char **cols;
	bool *numeric;
	char **cells;
	size_t nwarn;
	struct warning *warn;
	size_t error_at; /* warnings raised before the error */
	bool oom;
};

const char *result_sqlstate(int code)
{
	switch (code) {
	case 1046:
		return "3D000";
	case 1050:
		return "42S01";
	case 1049:
	case 1059:
	case 1064:
	case 1065:
	case 1066:
	case 1102:
	case 1103:
	case 1166:
	case 1235:
		return "42000";
	case 1051:
	case 1146:
	case 1965:
	case 4089:
	case 4090:
	case 4091:
	case 4092:
		return "42S02";
	case 1054:
		return "42S22";
	case 1292:
		return "22007";
	case 1365:
		return "22012";
	case 1690:
		return "22003";
	default:
		return "HY000";
	}
}

shmseq_result *result_new(const char *stmt, size_t len)
{
	shmseq_result *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->stmt = strndup(stmt ? stmt : "", stmt ? len : 0);
	r->message = strdup("");
	if (!r->stmt || !r->message) {
		free(r->stmt);
		free(r->message);
		free(r);
		return NULL;
	}
	memcpy(r->sqlstate, "00000", 6);
	return r;
}

void result_error(shmseq_result *r, int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->error = code > 0 ? -code : code;
	r->error_at = r->nwarn;
	memcpy(r->sqlstate, result_sqlstate(code > 0 ? code : 0), 6);
	char *m = strdup(buf);
	if (m) {
		free(r->message);
		r->message = m;
	}
	/* an error statement has no result set */
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	r->nrows = 0;
}

int result_add_column(shmseq_result *r, const char *name, size_t len, bool numeric)
{
	r->has_rows = true;
	if (r->nrows)
		return -EINVAL;
	char **c = realloc(r->cols, (r->ncols + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	r->cols = c;
	bool *nu = realloc(r->numeric, (r->ncols + 1) * sizeof(*nu));
	if (!nu)
		return -ENOMEM;
	r->numeric = nu;
	r->cols[r->ncols] = strndup(name, len);
	if (!r->cols[r->ncols])
		return -ENOMEM;
	r->numeric[r->ncols] = numeric;
	r->ncols++;
	return 0;
}

long result_add_row(shmseq_result *r)
{
	r->has_rows = true;
	if (r->nrows == r->caprows) {
		size_t cap = r->caprows ? r->caprows * 2 : 4;
		char **n = realloc(r->cells, cap * (r->ncols ? r->ncols : 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->cells = n;
		r->caprows = cap;
	}
	for (size_t i = 0; i < r->ncols; i++)
		r->cells[r->nrows * r->ncols + i] = NULL;
	return (long)r->nrows++;
}

int result_set(shmseq_result *r, size_t row, size_t col, const char *text)
{
	if (row >= r->nrows || col >= r->ncols)
		return -EINVAL;
	char **cell = &r->cells[row * r->ncols + col];
	free(*cell);
	*cell = NULL;
	if (text && !(*cell = strdup(text)))
		return -ENOMEM;
	return 0;
}

void result_warn(shmseq_result *r, const char *level, int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct warning *w = realloc(r->warn, (r->nwarn + 1) * sizeof(*w));
	if (!w)
		return;
	r->warn = w;
	snprintf(w[r->nwarn].level, sizeof(w[r->nwarn].level), "%s", level);
	w[r->nwarn].code = code;
	w[r->nwarn].text = strdup(buf);
	if (w[r->nwarn].text)
		r->nwarn++;
}

/* The first condition of level Error becomes the statement's error, in its
 * place among the others (a statement that carried on after it, as SET
 * does); 1 if there was one. */
int result_promote_error(shmseq_result *r)
{
	for (size_t i = 0; i < r->nwarn; i++) {
		if (strcmp(r->warn[i].level, "Error") != 0)
			continue;
		struct warning w = r->warn[i];
		memmove(&r->warn[i], &r->warn[i + 1], (r->nwarn - i - 1) * sizeof(*r->warn));
		r->nwarn--;
		size_t keep = r->nwarn;
		r->nwarn = i; /* result_error places the error after the first i */
		result_error(r, w.code, "%s", w.text ? w.text : "");
		r->nwarn = keep;
		free(w.text);
		return 1;
	}
	return 0;
}

/* --- the public readers ------------------------------------------------------------ */

SHMSEQ_API const shmseq_result *shmseq_result_next(const shmseq_result *r)
{
	return r ? r->next : NULL;
}
SHMSEQ_API int shmseq_result_error(const shmseq_result *r)
{
	return r ? r->error : -EINVAL;
}
SHMSEQ_API const char *shmseq_result_sqlstate(const shmseq_result *r)
{
	return r ? r->sqlstate : "HY000";
}
SHMSEQ_API const char *shmseq_result_message(const shmseq_result *r)
{
	return r ? r->message : "";
}
SHMSEQ_API const char *shmseq_result_statement(const shmseq_result *r)
{
	return r ? r->stmt : "";
}
SHMSEQ_API bool shmseq_result_has_rows(const shmseq_result *r)
{
	return r && r->has_rows && !r->error;
}
SHMSEQ_API size_t shmseq_result_columns(const shmseq_result *r)
{
	return r && !r->error ? r->ncols : 0;
}
SHMSEQ_API size_t shmseq_result_rows(const shmseq_result *r)
{
	return r && !r->error ? r->nrows : 0;
}
SHMSEQ_API size_t shmseq_result_warnings(const shmseq_result *r)
{
	return r ? r->nwarn : 0;
}

SHMSEQ_API const char *shmseq_result_column_name(const shmseq_result *r, size_t col)
{
	return r && col < r->ncols ? r->cols[col] : NULL;
}

SHMSEQ_API bool shmseq_result_column_numeric(const shmseq_result *r, size_t col)
{
	return r && col < r->ncols && r->numeric[col];
}

SHMSEQ_API const char *shmseq_result_value(const shmseq_result *r, size_t row, size_t col)
{
	if (!r || row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

SHMSEQ_API const char *shmseq_result_warning(const shmseq_result *r, size_t i, const char **level, int *code)
{
	if (!r || i >= r->nwarn)
		return NULL;
	if (level)
		*level = r->warn[i].level;
	if (code)
		*code = r->warn[i].code;
	return r->warn[i].text;
}

SHMSEQ_API void shmseq_result_free(shmseq_result *r)
{
	while (r) {
		shmseq_result *n = r->next;
		for (size_t i = 0; i < r->nrows * r->ncols; i++)
			free(r->cells[i]);
		for (size_t i = 0; i < r->ncols; i++)
			free(r->cols[i]);
		for (size_t i = 0; i < r->nwarn; i++)
			free(r->warn[i].text);
		free(r->warn);
		free(r->cells);
		free(r->cols);
		free(r->numeric);
		free(r->stmt);
		free(r->message);
		free(r);
		r = n;
	}
}

size_t result_error_at(const shmseq_result *r)
{
	return r->error_at;
}

void result_chain(shmseq_result *a, shmseq_result *b)
{
	while (a->next)
		a = a->next;
	a->next = b;
}
