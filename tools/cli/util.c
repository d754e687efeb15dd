/* SPDX-License-Identifier: MIT */
/* util.c — the CLI's small helpers: memory, growing strings, numbers,
 * output formats. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "util.h"

/* --- small helpers -------------------------------------------------------- */

void die_oom(void)
{
	fputs(PROG ": out of memory\n", stderr);
	exit(1);
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die_oom();
	return q;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die_oom();
	return d;
}

void sb_add(struct sbuf *b, const char *s, size_t n)
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

void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) void sb_printf(struct sbuf *b, const char *fmt, ...)
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
void sb_ident(struct sbuf *b, const char *name)
{
	sb_add(b, "`", 1);
	for (const char *p = name; *p; p++) {
		if (*p == '`')
			sb_add(b, "`", 1);
		sb_add(b, p, 1);
	}
	sb_add(b, "`", 1);
}

const char *instance_label(shmseq *conn)
{
	if (conn)
		return shmseq_instance(conn);
	return opt_instance ? opt_instance : util_default_instance();
}

/* Strict decimal int64 parse: optional sign, digits, nothing else. */
bool parse_i64(const char *s, int64_t *out)
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

bool parse_u64(const char *s, uint64_t *out)
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
bool parse_format(const char *s, enum format *f)
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

__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help' for more information.\n", stderr);
	return 2;
}
