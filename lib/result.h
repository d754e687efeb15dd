/* SPDX-License-Identifier: MIT */
/* result.h — private: building the results shmseq_exec() hands back. */
#ifndef SHMSEQ_RESULT_H
#define SHMSEQ_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "shmseq.h"

/* A new, successful, row-less result for statement text stmt (copied).
 * NULL when out of memory. */
shmseq_result *result_new(const char *stmt, size_t len);

/* Fail the statement with MariaDB error `code` (positive) and a message;
 * the SQLSTATE follows from the code. System errors: pass -errno as code. */
void result_error(shmseq_result *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Start a result set (even one with no rows). */
int result_add_column(shmseq_result *r, const char *name, size_t len, bool numeric);
/* Append a row of NULLs; returns its index or -ENOMEM. */
long result_add_row(shmseq_result *r);
/* Set a cell (text copied; NULL = SQL NULL). */
int result_set(shmseq_result *r, size_t row, size_t col, const char *text);
void result_warn(shmseq_result *r, const char *level, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* How many of r's warnings were raised before its error (SHOW WARNINGS
 * lists the error among them at that place). */
size_t result_error_at(const shmseq_result *r);
int result_promote_error(shmseq_result *r);

/* Append b at the end of a's chain. */
void result_chain(shmseq_result *a, shmseq_result *b);

/* The SQLSTATE MariaDB reports with an error code. */
const char *result_sqlstate(int code);

#endif
