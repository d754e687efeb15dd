/* SPDX-License-Identifier: MIT */
/* sqlval.h — private: the values of SQL expressions and MariaDB's
 * arithmetic, comparison and LIKE on them.
 *
 * Used by the statement executor (exec.c) to evaluate select lists, WHERE
 * clauses and user variables; pure computation, no I/O, no globals.
 *
 * The types are those MariaDB gives a constant or column of the statements
 * shmseq runs (SEMANTICS.md §2.1 and MariaDB's item types):
 *   - INT: BIGINT, signed or unsigned (`uns`: i holds a uint64 bit pattern);
 *     arithmetic outside the type is error 1690, as in MariaDB;
 *   - DEC: DECIMAL, an exact value mag / 10^frac of at most 81 digits (nine
 *     words of nine digits, as MariaDB's decimal library) shown rounded to
 *     `dec` digits; `/` computes MariaDB's precision (frac rounded up to
 *     whole words, div_precision_increment 4), the rest is exact;
 *   - DBL: DOUBLE, only for strings used as numbers;
 *   - STR: text (not owned: it points into the statement, a row or a
 *     variable), compared case-insensitively with trailing spaces ignored
 *     (MariaDB's default utf8mb4_general_ci, ASCII letters only).
 */
#ifndef SHMSEQ_SQLVAL_H
#define SHMSEQ_SQLVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Digits of a DECIMAL: MariaDB's decimal holds 9 words of 9 digits. */
#define SQLV_DEC_DIGITS 81
/* The most digits a DECIMAL shows after the point (DECIMAL_MAX_SCALE). */
#define SQLV_DEC_MAX_SCALE 38
/* div_precision_increment: digits `/` adds to the dividend's scale. */
#define SQLV_DIV_INCREMENT 4
/* Room for any rendered value (81 digits, up to 38 more shown after the
 * point, sign, point, NUL). */
#define SQLV_TEXT_MAX 128

/* An unsigned integer of 896 bits (14 limbs, least significant first):
 * room for an 81-digit dividend scaled by 10^162 before a division, and
 * for the product of two 81-digit values. SQLV_BIG_DIGITS bounds the
 * decimal digits of any such number. */
#define SQLV_LIMBS 14
#define SQLV_BIG_DIGITS 270
struct sqlv_big {
	uint64_t w[SQLV_LIMBS];
};

enum sqlv_type {
	SQLV_NULL = 0,
	SQLV_INT,
	SQLV_DEC,
	SQLV_DBL,
	SQLV_STR,
};

struct sqlv {
	enum sqlv_type t;
	bool uns;	     /* INT: unsigned (i is a uint64 bit pattern) */
	int64_t i;	     /* INT */
	bool neg;	     /* DEC: negative (never for zero) */
	uint8_t frac;	     /* DEC: digits of mag after the point */
	uint8_t dec;	     /* DEC: digits shown after the point */
	struct sqlv_big mag; /* DEC: magnitude */
	double d;	     /* DBL */
	const char *s;	     /* STR: text, not owned, may contain NUL */
	size_t len;	     /* STR: bytes */
};

enum sqlv_op {
	SQLV_ADD = 1,
	SQLV_SUB,
	SQLV_MUL,
	SQLV_DIV,    /* `/`: DECIMAL (DOUBLE for strings) */
	SQLV_INTDIV, /* DIV: BIGINT, truncated */
	SQLV_MOD,    /* % and MOD: the sign of the dividend */
};

/* Where an operation reports its warnings (level "Warning" or "Note"). */
struct sqlv_sink {
	void (*warn)(void *arg, const char *level, int code, const char *msg);
	void *arg;
};

/* Constructors. */
struct sqlv sqlv_null(void);
struct sqlv sqlv_int(int64_t v);
struct sqlv sqlv_uint(uint64_t v);
struct sqlv sqlv_str(const char *s, size_t len);
/* An integer literal of any size in [-(2^64-1), 2^64-1] (as MariaDB types
 * it: signed when it fits int64, unsigned up to 2^64-1 when positive, else
 * DECIMAL). */
struct sqlv sqlv_from_i128(__int128 v);
/* A float literal's value (text: digits[.digits]e[+|-]digits), negated if neg. */
struct sqlv sqlv_dbl_literal(const char *text, bool neg);
/* A decimal literal: digits (no sign, no point, at most SQLV_DEC_DIGITS
 * significant ones) and the number of them after the point. -1 (with *out
 * untouched) when it has too many digits. */
int sqlv_dec_literal(const char *digits, size_t n, unsigned scale, bool neg, struct sqlv *out);

/* a <op> b into *out. Returns 0, or 1690 when the result is outside its
 * type: *type_name is then "BIGINT", "BIGINT UNSIGNED" or "DECIMAL" (the
 * caller prints MariaDB's "%s value is out of range in '%s'"). Division by
 * zero gives NULL and Warning 1365 through sink; strings used as numbers
 * may warn 1292. */
int sqlv_arith(enum sqlv_op op, const struct sqlv *a, const struct sqlv *b, struct sqlv *out,
	       const char **type_name, const struct sqlv_sink *sink);

/* Unary minus (MariaDB's Item_func_neg). 0 or 1690 as sqlv_arith.
 * constant: the operand is a constant expression (not a literal, those are
 * negated by the parser): a value of 2^63 or more then becomes DECIMAL, as
 * MariaDB types such an expression. */
int sqlv_neg(const struct sqlv *a, bool constant, struct sqlv *out, const char **type_name,
	     const struct sqlv_sink *sink);

/* Compare: -1, 0, 1, or 2 when either side is NULL. Strings compare
 * case-insensitively (ASCII) with trailing spaces ignored; a string against
 * a number compares as DECIMAL (Warning 1292 when it is not one). */
int sqlv_cmp(const struct sqlv *a, const struct sqlv *b, const struct sqlv_sink *sink);

/* s LIKE pattern with escape character '\': 1, 0. ci: ASCII letters
 * match either case. '_' matches one UTF-8 character. */
int sqlv_like(const char *s, size_t n, const char *pat, size_t pn, bool ci);

/* Truth value: 1, 0, or -1 for NULL (WHERE takes only 1). */
int sqlv_truth(const struct sqlv *v, const struct sqlv_sink *sink);

/* Render as MariaDB sends it (buf has SQLV_TEXT_MAX bytes; STR values are
 * not copied: *out points at the string). Returns the length, with *out
 * NULL for SQL NULL. */
size_t sqlv_render(const struct sqlv *v, char *buf, const char **out);

/* The value as a number when it is a string (DECIMAL, or DOUBLE when
 * as_double), else unchanged. Warns 1292 like MariaDB. */
struct sqlv sqlv_to_number(const struct sqlv *v, bool as_double, const struct sqlv_sink *sink);

#endif
