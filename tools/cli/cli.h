/* SPDX-License-Identifier: MIT */
/* cli.h — what the parts of the CLI (tools/cli/) share. */
#ifndef SHMSEQ_CLI_H
#define SHMSEQ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shmseq.h"

#define PROG "shmseq"

enum format { FMT_DEFAULT, FMT_TABLE, FMT_BATCH, FMT_JSON };

extern const char *opt_instance; /* --instance; NULL: the library's default */

void die_oom(void);

void *xrealloc(void *p, size_t n);

char *xstrdup(const char *s);

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
};

void sb_add(struct sbuf *b, const char *s, size_t n);

void sb_str(struct sbuf *b, const char *s);

__attribute__((format(printf, 2, 3))) void sb_printf(struct sbuf *b, const char *fmt, ...);

void sb_ident(struct sbuf *b, const char *name);

const char *instance_label(shmseq *conn);

bool parse_i64(const char *s, int64_t *out);

bool parse_u64(const char *s, uint64_t *out);

bool parse_format(const char *s, enum format *f);

__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...);

struct grid {
	size_t ncols, nrows;
	const char **names; /* ncols */
	bool *numeric;	    /* ncols */
	const char **cells; /* nrows * ncols, NULL = SQL NULL */
	bool skip_names;    /* table and batch: no line of column names (-N) */
};

void grid_free(struct grid *g);

void print_grid_table(const struct grid *g, FILE *f);

void print_grid_batch(const struct grid *g, FILE *f);

void print_grid_json(const struct grid *g, FILE *f);

void print_grid_vertical(const struct grid *g, FILE *f);

struct printer {
	enum format fmt;
	bool interactive;   /* REPL: blank line after each answer */
	bool vertical;	    /* -E: every result set as "column: value" lines */
	bool vertical_once; /* \G ended the statement being run */
	bool skip_names;    /* -N, or -s in batch: no column names */
	bool silent;	    /* -s: no "rows in set" and "Query OK" lines */
};

int error_code(int err);

void print_error(const struct printer *p, const shmseq_result *res, int err, unsigned long line);

int run_sql(shmseq *conn, const struct printer *p, const char *sql, unsigned long line);

shmseq *connect_or_complain(bool quiet);

int cmd_sql(int argc, char **argv);

int cmd_status(int argc, char **argv);
int cmd_cluster(int argc, char **argv);

int cmd_list(int argc, char **argv);

int cmd_create(int argc, char **argv);

int cmd_drop(int argc, char **argv);

int cmd_setval(int argc, char **argv);

int cmd_show(int argc, char **argv);

int cmd_nextval(int argc, char **argv);

int cmd_dump(int argc, char **argv);

int cmd_stats(int argc, char **argv);

/* Shared by the verbs (verbs.c, service.c). Parse a friendly verb's options
 * (--format/-f, --help/-h anywhere, "--" ends them); operands moved to the
 * front of argv[1..], their count in *nargs. -1 to go on, else an exit
 * status. */
int verb_options(int argc, char **argv, enum format *fmt, const char *help, int *nargs);
/* Every sequence's name, sorted (NULL-terminated; free_names), or NULL after
 * saying why. */
char **sequence_names(shmseq *conn, size_t *count);
void free_names(char **v);
int cmd_metrics(int argc, char **argv);

int cmd_shutdown(int argc, char **argv);

#endif
