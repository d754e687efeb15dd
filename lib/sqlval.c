/* SPDX-License-Identifier: MIT */
/* sqlval.c — SQL values: MariaDB's BIGINT and DECIMAL arithmetic,
 * comparison, LIKE and rendering (see sqlval.h).
 *
 * BIGINT arithmetic is done exactly in 128 bits and then checked against
 * the result's type, which is what MariaDB's overflow checks amount to:
 * the result is unsigned when either operand is (for % the dividend), and
 * a result outside the type is error 1690. DECIMAL values are exact
 * (a wide binary magnitude and a count of fractional digits); only `/` rounds,
 * truncating the quotient at MariaDB's precision. No function here
 * allocates or recurses.
 */
#include "sqlval.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define I64MAX ((__int128)INT64_MAX)
#define I64MIN ((__int128)INT64_MIN)
#define U64MAX ((__int128)UINT64_MAX)

/* --- a small unsigned bignum ------------------------------------------------ */

static void big_set(struct sqlv_big *a, uint64_t v)
{
	memset(a, 0, sizeof(*a));
	a->w[0] = v;
}

static bool big_zero(const struct sqlv_big *a)
{
	for (int i = 0; i < SQLV_LIMBS; i++)
		if (a->w[i])
			return false;
	return true;
}

static int big_cmp(const struct sqlv_big *a, const struct sqlv_big *b)
{
	for (int i = SQLV_LIMBS - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* r = a + b; true on overflow. */
static bool big_add(struct sqlv_big *r, const struct sqlv_big *a, const struct sqlv_big *b)
{
	unsigned __int128 carry = 0;
	for (int i = 0; i < SQLV_LIMBS; i++) {
		carry += (unsigned __int128)a->w[i] + b->w[i];
		r->w[i] = (uint64_t)carry;
		carry >>= 64;
	}
	return carry != 0;
}

/* r = a - b, a >= b. */
static void big_sub(struct sqlv_big *r, const struct sqlv_big *a, const struct sqlv_big *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < SQLV_LIMBS; i++) {
		uint64_t x = a->w[i], y = b->w[i];
		uint64_t d = x - y - borrow;
		borrow = (x < y) || (x - y < borrow);
		r->w[i] = d;
	}
}

/* r = a * m; true on overflow. */
static bool big_mul_small(struct sqlv_big *r, const struct sqlv_big *a, uint64_t m)
{
	unsigned __int128 carry = 0;
	for (int i = 0; i < SQLV_LIMBS; i++) {
		carry += (unsigned __int128)a->w[i] * m;
		r->w[i] = (uint64_t)carry;
		carry >>= 64;
	}
	return carry != 0;
}

/* r = a * b; true on overflow. */
static bool big_mul(struct sqlv_big *r, const struct sqlv_big *a, const struct sqlv_big *b)
{
	uint64_t t[2 * SQLV_LIMBS] = {0};
	for (int i = 0; i < SQLV_LIMBS; i++) {
		unsigned __int128 carry = 0;
		if (!a->w[i])
			continue;
		for (int j = 0; j < SQLV_LIMBS; j++) {
			carry += (unsigned __int128)a->w[i] * b->w[j] + t[i + j];
			t[i + j] = (uint64_t)carry;
			carry >>= 64;
		}
		for (int k = i + SQLV_LIMBS; carry && k < 2 * SQLV_LIMBS; k++) {
			carry += t[k];
			t[k] = (uint64_t)carry;
			carry >>= 64;
		}
	}
	for (int i = SQLV_LIMBS; i < 2 * SQLV_LIMBS; i++)
		if (t[i])
			return true;
	memcpy(r->w, t, sizeof(r->w));
	return false;
}

/* q = a / d, returns a % d (d > 0). */
static uint64_t big_divmod_small(struct sqlv_big *q, const struct sqlv_big *a, uint64_t d)
{
	unsigned __int128 rem = 0;
	for (int i = SQLV_LIMBS - 1; i >= 0; i--) {
		rem = (rem << 64) | a->w[i];
		q->w[i] = (uint64_t)(rem / d);
		rem %= d;
	}
	return (uint64_t)rem;
}

static int big_bits(const struct sqlv_big *a)
{
	for (int i = SQLV_LIMBS - 1; i >= 0; i--)
		if (a->w[i])
			return i * 64 + 64 - __builtin_clzll(a->w[i]);
	return 0;
}

/* q = a / b, r = a % b (b != 0): shift and subtract, one bit at a time. */
static void big_divmod(struct sqlv_big *q, struct sqlv_big *r, const struct sqlv_big *a,
		       const struct sqlv_big *b)
{
	struct sqlv_big qq, rr;
	if (big_bits(b) <= 64) {
		big_set(&rr, big_divmod_small(&qq, a, b->w[0]));
	} else {
		memset(&qq, 0, sizeof(qq));
		memset(&rr, 0, sizeof(rr));
		for (int bit = big_bits(a) - 1; bit >= 0; bit--) {
			/* rr = rr << 1 | bit; rr < b < 2^639, so no bit is lost */
			for (int i = SQLV_LIMBS - 1; i > 0; i--)
				rr.w[i] = (rr.w[i] << 1) | (rr.w[i - 1] >> 63);
			rr.w[0] = (rr.w[0] << 1) | ((a->w[bit / 64] >> (bit % 64)) & 1);
			if (big_cmp(&rr, b) >= 0) {
				big_sub(&rr, &rr, b);
				qq.w[bit / 64] |= (uint64_t)1 << (bit % 64);
			}
		}
	}
	if (q)
		*q = qq;
	if (r)
		*r = rr;
}

/* a *= 10^n; true on overflow. */
static bool big_mul_pow10(struct sqlv_big *a, unsigned n)
{
	while (n > 0) {
		unsigned k = n > 19 ? 19 : n;
		uint64_t m = 1;
		for (unsigned i = 0; i < k; i++)
			m *= 10;
		if (big_mul_small(a, a, m))
			return true;
		n -= k;
	}
	return false;
}

/* 10^n (n <= 190). */
static void big_pow10(struct sqlv_big *a, unsigned n)
{
	big_set(a, 1);
	(void)big_mul_pow10(a, n);
}

/* Decimal digits of a into buf (NUL-terminated, "0" for zero); returns the
 * count. buf holds at least SQLV_BIG_DIGITS + 1 bytes. */
static size_t big_text(const struct sqlv_big *a, char *buf)
{
	char tmp[SQLV_BIG_DIGITS + 20];
	size_t n = 0;
	struct sqlv_big x = *a;
	do {
		uint64_t chunk = big_divmod_small(&x, &x, 10000000000000000000ull);
		bool last = big_zero(&x);
		for (int i = 0; i < 19 && (!last || chunk); i++) {
			tmp[n++] = (char)('0' + chunk % 10);
			chunk /= 10;
		}
		if (last)
			break;
	} while (n < sizeof(tmp) - 20);
	if (n == 0)
		tmp[n++] = '0';
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

static unsigned big_digits(const struct sqlv_big *a)
{
	char buf[SQLV_BIG_DIGITS + 1];
	return big_zero(a) ? 0 : (unsigned)big_text(a, buf);
}

/* --- constructors ------------------------------------------------------------- */

struct sqlv sqlv_null(void)
{
	struct sqlv v;
	memset(&v, 0, sizeof(v));
	return v;
}

struct sqlv sqlv_int(int64_t i)
{
	struct sqlv v = sqlv_null();
	v.t = SQLV_INT;
	v.i = i;
	return v;
}

struct sqlv sqlv_uint(uint64_t u)
{
	struct sqlv v = sqlv_int((int64_t)u);
	v.uns = true;
	return v;
}

struct sqlv sqlv_str(const char *s, size_t len)
{
	struct sqlv v = sqlv_null();
	v.t = SQLV_STR;
	v.s = s;
	v.len = len;
	return v;
}

static struct sqlv dec_from_u128(unsigned __int128 m, bool neg)
{
	struct sqlv v = sqlv_null();
	v.t = SQLV_DEC;
	v.mag.w[0] = (uint64_t)m;
	v.mag.w[1] = (uint64_t)(m >> 64);
	v.neg = neg && m != 0;
	return v;
}

struct sqlv sqlv_from_i128(__int128 x)
{
	if (x >= I64MIN && x <= I64MAX)
		return sqlv_int((int64_t)x);
	if (x > I64MAX && x <= U64MAX)
		return sqlv_uint((uint64_t)x);
	return dec_from_u128(x < 0 ? (unsigned __int128)(-x) : (unsigned __int128)x, x < 0);
}

static unsigned words(unsigned digits)
{
	return (digits + 8) / 9;
}

/* Fit a DECIMAL into MariaDB's nine words: the integer part must fit
 * (else -1: overflow), the fraction is truncated to the words left. */
static int dec_fix(struct sqlv *v)
{
	unsigned nd = big_digits(&v->mag);
	unsigned intg = nd > v->frac ? nd - v->frac : 0;
	unsigned max_words = SQLV_DEC_DIGITS / 9;
	if (words(intg) > max_words)
		return -1;
	unsigned room = (max_words - words(intg)) * 9;
	if (v->frac > room) {
		struct sqlv_big p;
		big_pow10(&p, v->frac - room);
		big_divmod(&v->mag, NULL, &v->mag, &p);
		v->frac = (uint8_t)room;
	}
	if (v->dec > SQLV_DEC_MAX_SCALE)
		v->dec = SQLV_DEC_MAX_SCALE;
	if (big_zero(&v->mag))
		v->neg = false;
	return 0;
}

int sqlv_dec_literal(const char *digits, size_t n, unsigned scale, bool neg, struct sqlv *out)
{
	struct sqlv v = sqlv_null();
	size_t sig = 0;
	v.t = SQLV_DEC;
	for (size_t i = 0; i < n; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return -1;
		if (sig || digits[i] != '0')
			sig++;
		if (sig > SQLV_DEC_DIGITS)
			return -1;
		(void)big_mul_small(&v.mag, &v.mag, 10);
		struct sqlv_big d;
		big_set(&d, (uint64_t)(digits[i] - '0'));
		(void)big_add(&v.mag, &v.mag, &d);
	}
	if (scale > SQLV_DEC_DIGITS)
		return -1;
	v.frac = (uint8_t)scale;
	v.dec = (uint8_t)(scale > SQLV_DEC_MAX_SCALE ? SQLV_DEC_MAX_SCALE : scale);
	v.neg = neg;
	if (dec_fix(&v) < 0)
		return -1;
	*out = v;
	return 0;
}

/* --- conversions ----------------------------------------------------------------- */

static void warn(const struct sqlv_sink *sink, const char *level, int code, const char *msg)
{
	if (sink && sink->warn)
		sink->warn(sink->arg, level, code, msg);
}

static void warn_truncated(const struct sqlv_sink *sink, const char *type, const struct sqlv *v)
{
	char msg[200];
	int n = (int)(v->len > 100 ? 100 : v->len);
	snprintf(msg, sizeof(msg), "Truncated incorrect %s value: '%.*s'", type, n, v->s);
	warn(sink, "Warning", 1292, msg);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The numeric prefix of a string: [blanks][sign]digits[.digits][e[sign]digits].
 * Fills the parts; returns the length of the prefix (0: none). */
struct numtext {
	bool neg;
	const char *ip, *fp; /* integer and fraction digits */
	size_t il, fl;
	long exp;
};

static size_t scan_number(const char *s, size_t n, struct numtext *t)
{
	size_t i = 0;
	memset(t, 0, sizeof(*t));
	while (i < n && is_blank(s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		t->neg = s[i++] == '-';
	t->ip = s + i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, t->il++;
	if (i < n && s[i] == '.') {
		t->fp = s + i + 1;
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, t->fl++;
	}
	if (t->il == 0 && t->fl == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		bool eneg = false;
		long e = 0;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			eneg = s[j++] == '-';
		if (j < n && s[j] >= '0' && s[j] <= '9') {
			while (j < n && s[j] >= '0' && s[j] <= '9') {
				if (e < 100000)
					e = e * 10 + (s[j] - '0');
				j++;
			}
			t->exp = eneg ? -e : e;
			i = j;
		}
	}
	return i;
}

/* Whether the rest of s after its numeric prefix is blank. */
static bool clean_number(const char *s, size_t n, size_t used)
{
	if (used == 0)
		return false;
	for (size_t i = used; i < n; i++)
		if (!is_blank(s[i]))
			return false;
	return true;
}

static double str_to_double(const struct sqlv *v, const struct sqlv_sink *sink)
{
	struct numtext t;
	size_t used = scan_number(v->s, v->len, &t);
	char buf[128];
	double d = 0;
	if (!clean_number(v->s, v->len, used))
		warn_truncated(sink, "DOUBLE", v);
	if (used && used < sizeof(buf)) {
		memcpy(buf, v->s, used);
		buf[used] = '\0';
		/* strtod reads the C locale's point, whatever the process set */
		locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (c) {
			d = strtod_l(buf, NULL, c);
			freelocale(c);
		}
	}
	return d;
}

static struct sqlv str_to_dec(const struct sqlv *v, const struct sqlv_sink *sink)
{
	struct numtext t;
	size_t used = scan_number(v->s, v->len, &t);
	struct sqlv d = dec_from_u128(0, false);
	if (!clean_number(v->s, v->len, used))
		warn_truncated(sink, "DECIMAL", v);
	if (!used)
		return d;
	/* digits = ip fp, scale = fl - exp (shifted into range) */
	char digits[2 * SQLV_DEC_DIGITS + 2];
	size_t nd = 0;
	long scale = (long)t.fl - t.exp;
	for (size_t i = 0; i < t.il && nd < sizeof(digits) - 1; i++)
		if (nd || t.ip[i] != '0')
			digits[nd++] = t.ip[i];
	for (size_t i = 0; i < t.fl && nd < sizeof(digits) - 1; i++)
		digits[nd++] = t.fp[i];
	while (scale < 0 && nd < sizeof(digits) - 1) {
		digits[nd++] = '0';
		scale++;
	}
	/* drop fraction digits beyond what a decimal holds */
	while (nd > 0 && scale > 0 && (nd > SQLV_DEC_DIGITS || scale > SQLV_DEC_DIGITS)) {
		nd--;
		scale--;
	}
	if (scale < 0 || nd == 0 || sqlv_dec_literal(digits, nd, (unsigned)scale, t.neg, &d) < 0)
		d = dec_from_u128(0, false);
	return d;
}

struct sqlv sqlv_to_number(const struct sqlv *v, bool as_double, const struct sqlv_sink *sink)
{
	if (v->t != SQLV_STR)
		return *v;
	if (as_double) {
		struct sqlv r = sqlv_null();
		r.t = SQLV_DBL;
		r.d = str_to_double(v, sink);
		return r;
	}
	return str_to_dec(v, sink);
}

static struct sqlv to_dec(const struct sqlv *v)
{
	if (v->t == SQLV_DEC)
		return *v;
	if (v->uns)
		return dec_from_u128((uint64_t)v->i, false);
	return dec_from_u128(v->i < 0 ? (unsigned __int128)(-(__int128)v->i) : (unsigned __int128)v->i,
			     v->i < 0);
}

static double to_double(const struct sqlv *v)
{
	switch (v->t) {
	case SQLV_INT:
		return v->uns ? (double)(uint64_t)v->i : (double)v->i;
	case SQLV_DBL:
		return v->d;
	case SQLV_DEC: {
		/* digits and a power of ten read at once, rounded once (as
		 * MariaDB's decimal2double); no point, so no locale issue */
		char buf[SQLV_BIG_DIGITS + 16];
		size_t n = big_text(&v->mag, buf);
		snprintf(buf + n, sizeof(buf) - n, "e-%u", v->frac);
		double d = strtod(buf, NULL);
		return v->neg ? -d : d;
	}
	default:
		return 0;
	}
}

static __int128 int_of(const struct sqlv *v)
{
	return v->uns ? (__int128)(uint64_t)v->i : (__int128)v->i;
}

/* --- arithmetic -------------------------------------------------------------------- */

/* An exact integer result into a BIGINT of the given signedness. */
static int int_result(__int128 x, bool uns, struct sqlv *out, const char **type_name)
{
	if (uns ? (x < 0 || x > U64MAX) : (x < I64MIN || x > I64MAX)) {
		*type_name = uns ? "BIGINT UNSIGNED" : "BIGINT";
		return 1690;
	}
	*out = uns ? sqlv_uint((uint64_t)x) : sqlv_int((int64_t)x);
	return 0;
}

static void div_by_zero(struct sqlv *out, const struct sqlv_sink *sink)
{
	*out = sqlv_null();
	warn(sink, "Warning", 1365, "Division by 0");
}

static int int_arith(enum sqlv_op op, const struct sqlv *a, const struct sqlv *b, struct sqlv *out,
		     const char **type_name, const struct sqlv_sink *sink)
{
	__int128 x = int_of(a), y = int_of(b), r;
	bool uns = a->uns || b->uns;
	switch (op) {
	case SQLV_ADD:
		return int_result(x + y, uns, out, type_name);
	case SQLV_SUB:
		return int_result(x - y, uns, out, type_name);
	case SQLV_MUL:
		if (__builtin_mul_overflow(x, y, &r)) {
			*type_name = uns ? "BIGINT UNSIGNED" : "BIGINT";
			return 1690;
		}
		return int_result(r, uns, out, type_name);
	case SQLV_INTDIV:
		if (y == 0) {
			div_by_zero(out, sink);
			return 0;
		}
		r = x / y;
		/* MariaDB negates the quotient's magnitude as a signed value:
		 * -2^63 itself is out of range */
		if (r < -I64MAX) {
			*type_name = uns ? "BIGINT UNSIGNED" : "BIGINT";
			return 1690;
		}
		return int_result(r, uns, out, type_name);
	case SQLV_MOD:
		if (y == 0) {
			div_by_zero(out, sink);
			return 0;
		}
		return int_result(x % y, a->uns, out, type_name);
	case SQLV_DIV:
		break;
	}
	return 0;
}

/* Both scaled to the larger number of fractional digits. */
static void dec_align(const struct sqlv *a, const struct sqlv *b, struct sqlv_big *x, struct sqlv_big *y,
		      unsigned *frac)
{
	unsigned f = a->frac > b->frac ? a->frac : b->frac;
	*x = a->mag;
	*y = b->mag;
	(void)big_mul_pow10(x, f - a->frac);
	(void)big_mul_pow10(y, f - b->frac);
	*frac = f;
}

static int dec_out(struct sqlv *r, struct sqlv *out, const char **type_name)
{
	if (dec_fix(r) < 0) {
		*type_name = "DECIMAL";
		return 1690;
	}
	*out = *r;
	return 0;
}

static int dec_arith(enum sqlv_op op, const struct sqlv *a0, const struct sqlv *b0, struct sqlv *out,
		     const char **type_name, const struct sqlv_sink *sink)
{
	struct sqlv a = to_dec(a0), b = to_dec(b0), r = dec_from_u128(0, false);
	struct sqlv_big x, y, p;
	unsigned f;
	switch (op) {
	case SQLV_ADD:
	case SQLV_SUB: {
		bool bneg = op == SQLV_SUB ? !b.neg : b.neg;
		if (big_zero(&b.mag))
			bneg = false;
		dec_align(&a, &b, &x, &y, &f);
		if (a.neg == bneg) {
			if (big_add(&r.mag, &x, &y)) {
				*type_name = "DECIMAL";
				return 1690;
			}
			r.neg = a.neg;
		} else if (big_cmp(&x, &y) >= 0) {
			big_sub(&r.mag, &x, &y);
			r.neg = a.neg;
		} else {
			big_sub(&r.mag, &y, &x);
			r.neg = bneg;
		}
		r.frac = (uint8_t)f;
		r.dec = a.dec > b.dec ? a.dec : b.dec;
		return dec_out(&r, out, type_name);
	}
	case SQLV_MUL: {
		/* MariaDB sizes the product's integer part as the sum of the
		 * operands' (in words of nine digits) before multiplying */
		unsigned ia = big_digits(&a.mag), ib = big_digits(&b.mag);
		ia = ia > a.frac ? ia - a.frac : 0;
		ib = ib > b.frac ? ib - b.frac : 0;
		if (!big_zero(&a.mag) && !big_zero(&b.mag) && words(ia + ib) > SQLV_DEC_DIGITS / 9) {
			*type_name = "DECIMAL";
			return 1690;
		}
		if (big_mul(&r.mag, &a.mag, &b.mag)) {
			*type_name = "DECIMAL";
			return 1690;
		}
		r.neg = a.neg != b.neg;
		r.frac = (uint8_t)(a.frac + b.frac > 2 * SQLV_DEC_DIGITS ? 2 * SQLV_DEC_DIGITS
									 : a.frac + b.frac);
		r.dec = (uint8_t)(a.dec + b.dec);
		return dec_out(&r, out, type_name);
	}
	case SQLV_DIV: {
		if (big_zero(&b.mag)) {
			div_by_zero(out, sink);
			return 0;
		}
		/* MariaDB's do_div_mod: the operands' fractions count in whole
		 * words of nine digits, the increment shrinks by the padding,
		 * and the quotient has a whole number of words of fraction,
		 * truncated */
		unsigned fa = words(a.frac) * 9, fb = words(b.frac) * 9;
		int inc = SQLV_DIV_INCREMENT - (int)(fa - a.frac) - (int)(fb - b.frac);
		if (inc < 0)
			inc = 0;
		unsigned fr = words(fa + fb + (unsigned)inc) * 9;
		if (fr > SQLV_DEC_DIGITS)
			fr = SQLV_DEC_DIGITS; /* dec_fix() truncates to what fits */
		/* Q = A * 10^(fb' + fr - fa') / B with the true fractions */
		x = a.mag;
		if (big_mul_pow10(&x, b.frac + fr - a.frac)) {
			*type_name = "DECIMAL";
			return 1690;
		}
		big_divmod(&r.mag, NULL, &x, &b.mag);
		r.neg = a.neg != b.neg;
		r.frac = (uint8_t)fr;
		r.dec = (uint8_t)(a.dec + SQLV_DIV_INCREMENT);
		return dec_out(&r, out, type_name);
	}
	case SQLV_MOD:
		if (big_zero(&b.mag)) {
			div_by_zero(out, sink);
			return 0;
		}
		dec_align(&a, &b, &x, &y, &f);
		big_divmod(NULL, &r.mag, &x, &y);
		r.neg = a.neg;
		r.frac = (uint8_t)f;
		r.dec = a.dec > b.dec ? a.dec : b.dec;
		return dec_out(&r, out, type_name);
	case SQLV_INTDIV: {
		if (big_zero(&b.mag)) {
			div_by_zero(out, sink);
			return 0;
		}
		/* trunc(A / 10^fa / (B / 10^fb)) = trunc(A * 10^fb / (B * 10^fa)) */
		x = a.mag;
		y = b.mag;
		(void)big_mul_pow10(&x, b.frac);
		(void)big_mul_pow10(&y, a.frac);
		big_divmod(&p, NULL, &x, &y);
		bool neg = a.neg != b.neg && !big_zero(&p);
		bool uns = (a0->t == SQLV_INT && a0->uns) || (b0->t == SQLV_INT && b0->uns);
		__int128 q = 0;
		bool big = big_bits(&p) > 64;
		if (!big)
			q = neg ? -(__int128)p.w[0] : (__int128)p.w[0];
		if (big || (uns ? (q < 0 || q > U64MAX) : (q < -I64MAX || q > I64MAX))) {
			char text[SQLV_BIG_DIGITS + 1], msg[SQLV_BIG_DIGITS + 80];
			big_text(&p, text);
			snprintf(msg, sizeof(msg),
				 "Got overflow when converting '%s%s' to INT. Value truncated",
				 neg ? "-" : "", text);
			warn(sink, "Warning", 1916, msg);
			*type_name = uns ? "BIGINT UNSIGNED" : "BIGINT";
			return 1690;
		}
		return int_result(q, uns, out, type_name);
	}
	}
	return 0;
}

/* Truncation toward zero without libm: beyond 2^52 a double is whole. */
static double dbl_trunc(double q)
{
	if (q >= 4503599627370496.0 || q <= -4503599627370496.0 || q != q)
		return q;
	return (double)(int64_t)q;
}

static int dbl_arith(enum sqlv_op op, double x, double y, struct sqlv *out, const char **type_name,
		     const struct sqlv_sink *sink)
{
	struct sqlv r = sqlv_null();
	r.t = SQLV_DBL;
	switch (op) {
	case SQLV_ADD:
		r.d = x + y;
		break;
	case SQLV_SUB:
		r.d = x - y;
		break;
	case SQLV_MUL:
		r.d = x * y;
		break;
	case SQLV_DIV:
	case SQLV_MOD:
		if (y == 0) {
			div_by_zero(out, sink);
			return 0;
		}
		r.d = op == SQLV_DIV ? x / y : x - dbl_trunc(x / y) * y;
		break;
	case SQLV_INTDIV:
		break;
	}
	if (r.d != r.d || r.d - r.d != 0) { /* NaN or infinite */
		*type_name = "DOUBLE";
		return 1690;
	}
	*out = r;
	return 0;
}

int sqlv_arith(enum sqlv_op op, const struct sqlv *a, const struct sqlv *b, struct sqlv *out,
	       const char **type_name, const struct sqlv_sink *sink)
{
	*type_name = "BIGINT";
	if (a->t == SQLV_NULL || b->t == SQLV_NULL) {
		/* MariaDB reads both operands all the same (DIV only its
		 * left one): a string there is converted, with its warning */
		if (op != SQLV_INTDIV) {
			if (a->t == SQLV_STR)
				(void)sqlv_to_number(a, true, sink);
			if (b->t == SQLV_STR)
				(void)sqlv_to_number(b, true, sink);
		} else if (a->t == SQLV_STR) {
			(void)sqlv_to_number(a, false, sink);
		}
		*out = sqlv_null();
		return 0;
	}
	if (op == SQLV_INTDIV) {
		/* DIV of anything but two integers goes through DECIMAL */
		if (a->t == SQLV_INT && b->t == SQLV_INT)
			return int_arith(op, a, b, out, type_name, sink);
		struct sqlv x = a->t == SQLV_DBL ? sqlv_null() : sqlv_to_number(a, false, sink);
		struct sqlv y = b->t == SQLV_DBL ? sqlv_null() : sqlv_to_number(b, false, sink);
		if (a->t == SQLV_DBL || b->t == SQLV_DBL) {
			double q = to_double(a->t == SQLV_DBL ? a : &x),
			       d = to_double(b->t == SQLV_DBL ? b : &y);
			if (d == 0) {
				div_by_zero(out, sink);
				return 0;
			}
			q = dbl_trunc(q / d);
			if (!(q >= -9.2233720368547758e18 && q < 9.2233720368547758e18))
				return 1690;
			*out = sqlv_int((int64_t)q);
			return 0;
		}
		return dec_arith(op, &x, &y, out, type_name, sink);
	}
	if (a->t == SQLV_STR || b->t == SQLV_STR || a->t == SQLV_DBL || b->t == SQLV_DBL) {
		struct sqlv x = sqlv_to_number(a, true, sink), y = sqlv_to_number(b, true, sink);
		return dbl_arith(op, to_double(&x), to_double(&y), out, type_name, sink);
	}
	if (a->t == SQLV_DEC || b->t == SQLV_DEC || op == SQLV_DIV)
		return dec_arith(op, a, b, out, type_name, sink);
	return int_arith(op, a, b, out, type_name, sink);
}

int sqlv_neg(const struct sqlv *a, bool constant, struct sqlv *out, const char **type_name,
	     const struct sqlv_sink *sink)
{
	*type_name = "BIGINT";
	switch (a->t) {
	case SQLV_NULL:
		*out = sqlv_null();
		return 0;
	case SQLV_INT: {
		__int128 x = int_of(a);
		/* a constant operand whose bit pattern is 2^63 or more makes the
		 * negation DECIMAL (Item_func_neg::fix_length_and_dec_int) */
		if (constant && (uint64_t)a->i >= (uint64_t)1 << 63) {
			struct sqlv d = to_dec(a);
			d.neg = !d.neg && !big_zero(&d.mag);
			*out = d;
			return 0;
		}
		return int_result(-x, false, out, type_name);
	}
	case SQLV_DEC:
		*out = *a;
		out->neg = !a->neg && !big_zero(&a->mag);
		return 0;
	case SQLV_DBL:
	case SQLV_STR: {
		struct sqlv x = sqlv_to_number(a, true, sink);
		*out = x;
		out->d = -x.d;
		return 0;
	}
	}
	return 0;
}

/* --- comparison ---------------------------------------------------------------------- */

/* v rounded half up to the digits it shows: MariaDB compares DECIMAL
 * values at that scale (Arg_comparator::compare_decimal). */
static void dec_round(struct sqlv *v)
{
	if (v->frac <= v->dec)
		return;
	struct sqlv_big p, r, half;
	big_pow10(&p, v->frac - v->dec);
	big_divmod(&v->mag, &r, &v->mag, &p);
	(void)big_add(&half, &r, &r);
	if (big_cmp(&half, &p) >= 0) {
		struct sqlv_big one;
		big_set(&one, 1);
		(void)big_add(&v->mag, &v->mag, &one);
	}
	v->frac = v->dec;
	if (big_zero(&v->mag))
		v->neg = false;
}

static int dec_cmp(const struct sqlv *a0, const struct sqlv *b0)
{
	struct sqlv a = to_dec(a0), b = to_dec(b0);
	dec_round(&a);
	dec_round(&b);
	struct sqlv_big x, y;
	unsigned f;
	if (a.neg != b.neg)
		return a.neg ? -1 : 1;
	dec_align(&a, &b, &x, &y, &f);
	int c = big_cmp(&x, &y);
	return a.neg ? -c : c;
}

static unsigned char fold(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* Collation compare: ASCII case-insensitive, trailing spaces ignored. */
static int str_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	while (an && a[an - 1] == ' ')
		an--;
	while (bn && b[bn - 1] == ' ')
		bn--;
	size_t n = an < bn ? an : bn;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = fold((unsigned char)a[i]), y = fold((unsigned char)b[i]);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return an < bn ? -1 : an > bn;
}

int sqlv_cmp(const struct sqlv *a, const struct sqlv *b, const struct sqlv_sink *sink)
{
	if (a->t == SQLV_NULL || b->t == SQLV_NULL)
		return 2;
	if (a->t == SQLV_STR && b->t == SQLV_STR)
		return str_cmp(a->s, a->len, b->s, b->len);
	if (a->t == SQLV_DBL || b->t == SQLV_DBL) {
		struct sqlv x = sqlv_to_number(a, true, sink), y = sqlv_to_number(b, true, sink);
		double p = to_double(&x), q = to_double(&y);
		return p < q ? -1 : p > q;
	}
	if (a->t == SQLV_INT && b->t == SQLV_INT) {
		__int128 x = int_of(a), y = int_of(b);
		return x < y ? -1 : x > y;
	}
	struct sqlv x = sqlv_to_number(a, false, sink), y = sqlv_to_number(b, false, sink);
	return dec_cmp(&x, &y);
}

/* --- LIKE ------------------------------------------------------------------------------ */

static size_t utf8_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return k > n ? n : k;
}

/* One pattern element at p[*j] against s[*i]: advances both on a match. */
static bool like_one(const char *s, size_t n, size_t *i, const char *p, size_t pn, size_t *j, bool ci)
{
	if (p[*j] == '_') {
		*i += utf8_len(s + *i, n - *i);
		(*j)++;
		return true;
	}
	size_t k = *j;
	if (p[k] == '\\' && k + 1 < pn)
		k++;
	unsigned char x = (unsigned char)s[*i], y = (unsigned char)p[k];
	if (ci ? fold(x) != fold(y) : x != y)
		return false;
	(*i)++;
	*j = k + 1;
	return true;
}

int sqlv_like(const char *s, size_t n, const char *p, size_t pn, bool ci)
{
	size_t i = 0, j = 0, star_j = SIZE_MAX, star_i = 0;
	while (i < n) {
		if (j < pn && p[j] == '%') {
			star_j = j++;
			star_i = i;
			continue;
		}
		if (j < pn && like_one(s, n, &i, p, pn, &j, ci))
			continue;
		if (star_j == SIZE_MAX)
			return 0;
		/* let the last % take one more character */
		star_i += utf8_len(s + star_i, n - star_i);
		i = star_i;
		j = star_j + 1;
	}
	while (j < pn && p[j] == '%')
		j++;
	return j == pn;
}

int sqlv_truth(const struct sqlv *v, const struct sqlv_sink *sink)
{
	switch (v->t) {
	case SQLV_NULL:
		return -1;
	case SQLV_INT:
		return v->i != 0;
	case SQLV_DEC:
		return !big_zero(&v->mag);
	case SQLV_DBL:
		return v->d != 0;
	case SQLV_STR: {
		struct sqlv d = sqlv_to_number(v, true, sink);
		return d.d != 0;
	}
	}
	return 0;
}

struct sqlv sqlv_dbl_literal(const char *text, bool neg)
{
	struct sqlv v = sqlv_null();
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	locale_t old = c ? uselocale(c) : (locale_t)0;
	v.t = SQLV_DBL;
	v.d = strtod(text, NULL);
	if (c) {
		uselocale(old);
		freelocale(c);
	}
	if (neg)
		v.d = -v.d;
	return v;
}

/* --- rendering ----------------------------------------------------------------------- */

/* A DOUBLE the way MariaDB prints one: the shortest digits that read back
 * the same; plain while the leading digit's power of ten is in [-15, 14]
 * (999999999999999, 0.000000000000001), else d.ddde[-]x, the exponent
 * without '+' or leading zeros (1e15, 1.2345678901234568e17, 1e-16). */
static size_t render_double(double d, char *buf)
{
	char tmp[64], digits[32];
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	locale_t old = c ? uselocale(c) : (locale_t)0;
	int p;
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (c) {
		uselocale(old);
		freelocale(c);
	}
	if (d == 0) /* -0 too */
		return (size_t)snprintf(buf, SQLV_TEXT_MAX, "0");
	/* tmp: [-]d[.ddd]e(+|-)xx */
	const char *q = tmp;
	bool neg = *q == '-';
	if (neg)
		q++;
	size_t nd = 0;
	for (; *q && *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	int x = atoi(q + 1);
	size_t k = 0;
	if (neg)
		buf[k++] = '-';
	if (x >= -15 && x <= 14) {
		if (x < 0) {
			buf[k++] = '0';
			buf[k++] = '.';
			for (int i = -1; i > x; i--)
				buf[k++] = '0';
			memcpy(buf + k, digits, nd);
			k += nd;
		} else {
			for (int i = 0; i <= x || i < (int)nd; i++) {
				if (i == x + 1)
					buf[k++] = '.';
				buf[k++] = i < (int)nd ? digits[i] : '0';
			}
		}
		buf[k] = '\0';
		return k;
	}
	buf[k++] = digits[0];
	if (nd > 1) {
		buf[k++] = '.';
		memcpy(buf + k, digits + 1, nd - 1);
		k += nd - 1;
	}
	k += (size_t)snprintf(buf + k, SQLV_TEXT_MAX - k, "e%d", x);
	return k;
}

size_t sqlv_render(const struct sqlv *v, char *buf, const char **out)
{
	*out = buf;
	switch (v->t) {
	case SQLV_NULL:
		*out = NULL;
		buf[0] = '\0';
		return 0;
	case SQLV_INT:
		if (v->uns)
			return (size_t)snprintf(buf, SQLV_TEXT_MAX, "%llu",
						(unsigned long long)(uint64_t)v->i);
		return (size_t)snprintf(buf, SQLV_TEXT_MAX, "%lld", (long long)v->i);
	case SQLV_DBL:
		return render_double(v->d, buf);
	case SQLV_STR:
		*out = v->s;
		return v->len;
	case SQLV_DEC:
		break;
	}
	/* rounded half away from zero to the digits shown */
	struct sqlv r = *v;
	dec_round(&r);
	struct sqlv_big m = r.mag;
	unsigned dec = v->dec;
	(void)big_mul_pow10(&m, dec - r.frac);
	char digits[SQLV_BIG_DIGITS + 1];
	size_t nd = big_text(&m, digits), k = 0;
	if (v->neg && !big_zero(&m))
		buf[k++] = '-';
	if (nd <= dec) {
		buf[k++] = '0';
		buf[k++] = '.';
		for (size_t i = nd; i < dec; i++)
			buf[k++] = '0';
		memcpy(buf + k, digits, nd);
		k += nd;
	} else {
		memcpy(buf + k, digits, nd - dec);
		k += nd - dec;
		if (dec) {
			buf[k++] = '.';
			memcpy(buf + k, digits + nd - dec, dec);
			k += dec;
		}
	}
	buf[k] = '\0';
	return k;
}
