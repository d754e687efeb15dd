/* SPDX-License-Identifier: MIT */
/* seqmath.c — MariaDB's sequence arithmetic: defaults, validation, SHOW
 * CREATE text, the serial NEXTVAL/SETVAL algorithm and the epoch projection
 * used by the shared-memory fast path. Contract: seqdef.h; reference:
 * SEMANTICS.md §1-§5, §7.1.
 *
 * Pure computation: no I/O, no globals, no allocation, no locking (callers
 * serialise access to a struct seq_live).
 *
 * Representation. Every value field is an int64_t; for BIGINT UNSIGNED it
 * carries the uint64_t bit pattern. All comparisons and steps are done in
 * `wide` (__int128) after widening by type (wof()), so that signed and
 * unsigned domains, the sentinels max+1 / min-1 and products such as
 * increment × cache are exact. Results are narrowed back (wto()) only when
 * they are known to lie in the type's domain [TMIN, TMAX]:
 *   - a validated definition has TMIN+1 <= min < max <= TMAX-1, so the
 *     sentinels min-1 and max+1 are representable;
 *   - step() never leaves [min-1, max+1] ∪ {v + d between the bounds};
 *   - align() never exceeds max+1.
 *
 * Decisions beyond SEMANTICS.md (documented in the report too):
 *   - MAXVALUE exactly INT64_MAX for signed BIGINT is kept as given and then
 *     fails rule 6 (4085), as the recorded 10.11 answer says; a larger literal
 *     (only expressible with 11.5 long literals, which the parser clamps to
 *     UINT64_MAX) is truncated with Note 1292 per §1.6.
 *   - ALTER … AS <type> fails with 4085 when START, MINVALUE, MAXVALUE or the
 *     stored position does not fit the new type (§13 gap 1).
 *   - seq_epoch_end counts ticks until the serial algorithm would see a value
 *     past the end of the round (> max ascending, < min descending), which is
 *     "values within [min, max]" for every base the algorithm can reach
 *     normally; a base before min (possible only after SETVAL with a larger
 *     round) is served like MariaDB serves it.
 *   - NO MINVALUE / NO MAXVALUE in CREATE give 1 / TMAX-1 regardless of the
 *     direction, exactly as in ALTER: that is what a real 10.11 answers
 *     (tests/conformance/cases/q25), although SEMANTICS.md §1.3 says they
 *     mean "the default".
 *   - seq_def_create/alter reset notes->count before appending; notes may be
 *     NULL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "seqdef.h"

typedef __int128 wide;

#define NOTE_TRUNCATED 1292 /* ER_TRUNCATED_WRONG_VALUE */
#define INVALID (-SHMSEQ_ERR_INVALID_DATA)

static const wide W_INT64_MAX = INT64_MAX;
static const wide W_UINT64_MAX = UINT64_MAX;

struct trange {
	wide lo; /* TMIN */
	wide hi; /* TMAX */
};

static bool type_valid(uint8_t type)
{
	return type <= SEQ_TYPE_INT;
}

/* [TMIN, TMAX] of §1.6. Callers check type_valid() first. */
static struct trange type_range(uint8_t type, bool uns)
{
	static const int bits[] = {
		[SEQ_TYPE_BIGINT] = 64,	   [SEQ_TYPE_TINYINT] = 8, [SEQ_TYPE_SMALLINT] = 16,
		[SEQ_TYPE_MEDIUMINT] = 24, [SEQ_TYPE_INT] = 32,
	};
	int b = type_valid(type) ? bits[type] : 64;
	struct trange r;

	if (uns) {
		r.lo = 0;
		r.hi = ((wide)1 << b) - 1;
	} else {
		r.lo = -((wide)1 << (b - 1));
		r.hi = ((wide)1 << (b - 1)) - 1;
	}
	return r;
}

static struct trange def_range(const struct seq_def *d)
{
	return type_range(d->type, d->is_unsigned);
}

static bool is_u64(const struct seq_def *d)
{
	return d->type == SEQ_TYPE_BIGINT && d->is_unsigned;
}

/* Widen a stored value by its type. */
static wide wof(const struct seq_def *d, int64_t v)
{
	return is_u64(d) ? (wide)(uint64_t)v : (wide)v;
}

/* Narrow a value known to lie in the type's domain (or in [INT64_MIN,
 * UINT64_MAX] for the raw bit pattern): the low 64 bits are the stored
 * representation in both the signed and the unsigned case. */
static int64_t wto(wide v)
{
	return (int64_t)(uint64_t)v;
}

static wide clampw(wide v, wide lo, wide hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static wide wabs(wide v)
{
	return v < 0 ? -v : v;
}

static int64_t env_aii(const struct seq_env *env)
{
	return env && env->auto_increment_increment >= 1 ? env->auto_increment_increment : 1;
}

static int64_t env_aio(const struct seq_env *env)
{
	return env && env->auto_increment_offset >= 1 ? env->auto_increment_offset : 1;
}

static void note_add(struct seq_notes *n, int code, const char *text)
{
	if (!n || n->count < 0 || n->count >= (int)(sizeof(n->code) / sizeof(n->code[0])))
		return;
	n->code[n->count] = code;
	snprintf(n->text[n->count], sizeof(n->text[0]), "%s", text);
	n->count++;
}

/* --- arithmetic ----------------------------------------------------------- */

int64_t seq_real_increment(const struct seq_def *def, const struct seq_env *env)
{
	return def->increment ? def->increment : env_aii(env);
}

/* step(v, d) of §2.2 in the wide domain: v + d, or the sentinel beyond the
 * bound it would cross. d == 0 leaves v alone. Every caller passes a v of
 * the domain or a sentinel (|v| <= 2^64) and a d that is an increment or a
 * block (|d| <= 2^63 · 2^63 = 2^126, see block_add), so the sum is within
 * __int128; checked anyway, an overflow being past the bound it crosses. */
static wide stepw(const struct seq_def *d, wide v, wide by)
{
	wide r;

	if (__builtin_add_overflow(v, by, &r))
		r = by > 0 ? wof(d, d->maxvalue) + 1 : wof(d, d->minvalue) - 1;

	if (by > 0)
		return r > wof(d, d->maxvalue) ? wof(d, d->maxvalue) + 1 : r;
	if (by < 0)
		return r < wof(d, d->minvalue) ? wof(d, d->minvalue) - 1 : r;
	return v;
}

int64_t seq_step(const struct seq_def *def, int64_t v, int64_t d)
{
	return wto(stepw(def, wof(def, v), d));
}

/* align(v) of §2.5 (MariaDB's adjust_values) in the wide domain. */
static wide alignw(const struct seq_def *d, const struct seq_env *env, wide v)
{
	wide inc, off, rem, to_add, r;

	if (d->increment != 0)
		return v;
	inc = env_aii(env);
	off = inc == 1 ? 0 : env_aio(env) % inc;
	rem = v % inc;
	if (rem < 0)
		rem += inc;
	to_add = (inc + off - rem) % inc;
	r = v + to_add;
	return r > wof(d, d->maxvalue) ? wof(d, d->maxvalue) + 1 : r;
}

int64_t seq_align(const struct seq_def *def, const struct seq_env *env, int64_t v)
{
	return wto(alignw(def, env, wof(def, v)));
}

static bool beforew(int64_t real_inc, wide a, wide b)
{
	return real_inc > 0 ? a < b : a > b;
}

bool seq_before(const struct seq_def *def, int64_t real_inc, int64_t a, int64_t b)
{
	return beforew(real_inc, wof(def, a), wof(def, b));
}

static bool past_endw(const struct seq_def *d, int64_t real_inc, wide v)
{
	return real_inc > 0 ? v > wof(d, d->maxvalue) : v < wof(d, d->minvalue);
}

bool seq_past_end(const struct seq_def *def, int64_t real_inc, int64_t v)
{
	return past_endw(def, real_inc, wof(def, v));
}

int64_t seq_round_start(const struct seq_def *def, const struct seq_env *env, int64_t real_inc)
{
	if (real_inc > 0)
		return wto(alignw(def, env, wof(def, def->minvalue)));
	return def->maxvalue;
}

/* The block a refill reserves: real_inc × cache (CACHE 0 behaves as 1).
 * |real_inc| <= 2^63 and 0 <= cache < 2^63: |product| < 2^126, exact. */
static wide block_add(const struct seq_def *d, int64_t real_inc)
{
	return (wide)real_inc * (d->cache > 0 ? (wide)d->cache : 1);
}

/* The beyond-the-end sentinel of the direction: max+1 / min-1. */
static wide sentinelw(const struct seq_def *d, int64_t real_inc)
{
	return real_inc > 0 ? wof(d, d->maxvalue) + 1 : wof(d, d->minvalue) - 1;
}

/* --- definitions ---------------------------------------------------------- */

int seq_def_validate(const struct seq_def *def, int64_t next_not_cached, const struct seq_env *env)
{
	struct trange t;
	wide inc, ainc, mn, mx, st, nx;

	if (!type_valid(def->type) || def->is_unsigned > 1 || def->comment_len > SHMSEQ_COMMENT_MAX)
		return INVALID;
	t = def_range(def);
	inc = seq_real_increment(def, env);
	ainc = wabs(inc);

	/* Rules 1 and 2: cache × inc' can never overflow int64. */
	if (def->cache < 0 || !((wide)def->cache < (W_INT64_MAX - ainc) / ainc))
		return INVALID;

	mn = wof(def, def->minvalue);
	mx = wof(def, def->maxvalue);
	st = wof(def, def->start);
	nx = wof(def, next_not_cached);
	/* Rules 3-5. */
	if (!(mx >= st && mx > mn && st >= mn))
		return INVALID;
	/* Rule 6, per type: the extremes are the "beyond the end" sentinels. */
	if (mn < t.lo + 1 || mx > t.hi - 1)
		return INVALID;
	/* The position must be storable in the type's columns, and rule 7. */
	if (nx < t.lo || nx > t.hi)
		return INVALID;
	if (inc > 0 ? nx < mn : nx > mx)
		return INVALID;
	return 0;
}

/* MINVALUE as given, after §1.6 truncation. */
static wide trunc_min(struct trange t, wide v, struct seq_notes *notes)
{
	v = clampw(v, t.lo, t.hi);
	if (v <= t.lo) {
		note_add(notes, NOTE_TRUNCATED, "Truncated incorrect INTEGER value: 'MINVALUE'");
		v = t.lo + 1;
	}
	return v;
}

/* MAXVALUE as given, after §1.6 truncation. Signed BIGINT keeps exactly
 * INT64_MAX (a literal 10.11 parses) so that rule 6 rejects it as recorded. */
static wide trunc_max(struct trange t, bool bigint_signed, wide v, struct seq_notes *notes)
{
	if (bigint_signed && v == W_INT64_MAX)
		return v;
	v = clampw(v, t.lo, t.hi);
	if (v >= t.hi) {
		note_add(notes, NOTE_TRUNCATED, "Truncated incorrect INTEGER value: 'MAXVALUE'");
		v = t.hi - 1;
	}
	return v;
}

static void copy_comment(struct seq_def *d, const struct seq_options *opt)
{
	size_t n = opt->comment_len;

	if (n > SHMSEQ_COMMENT_MAX)
		n = SHMSEQ_COMMENT_MAX;
	memcpy(d->comment, opt->comment, n);
	d->comment[n] = '\0';
	d->comment_len = (uint16_t)n;
}

int seq_def_create(const struct seq_options *opt, const struct seq_env *env, struct seq_def *def,
		   int64_t *next_not_cached, struct seq_notes *notes)
{
	struct seq_def d;
	struct trange t;
	wide inc, mn, mx, st;
	bool uns;

	if (notes)
		notes->count = 0;
	memset(&d, 0, sizeof(d));
	if (opt->given & SEQ_OPT_AS) {
		if (!type_valid(opt->type))
			return INVALID;
		d.type = opt->type;
		d.is_unsigned = opt->is_unsigned;
	}
	uns = d.is_unsigned;
	t = def_range(&d);

	d.increment = (opt->given & SEQ_OPT_INCREMENT) ? opt->increment : 1;
	d.cache = (opt->given & SEQ_OPT_CACHE) ? opt->cache : 1000;
	d.cycle = (opt->given & SEQ_OPT_CYCLE) && opt->cycle;
	inc = seq_real_increment(&d, env);

	/* §1.3 defaults by type when not mentioned; truncation of §1.6 for
	 * given values. NO MINVALUE / NO MAXVALUE are *not* "not mentioned":
	 * as in ALTER they mean 1 and TMAX-1 whatever the direction (recorded
	 * 10.11 answers, tests/conformance/cases/q25; SEMANTICS §1.3 says
	 * otherwise and is wrong there). */
	if (opt->given & SEQ_OPT_MINVALUE)
		mn = opt->min_none ? 1 : trunc_min(t, opt->minvalue, notes);
	else
		mn = (!uns && inc < 0) ? t.lo + 1 : 1;
	if (opt->given & SEQ_OPT_MAXVALUE)
		mx = opt->max_none ? t.hi - 1
				   : trunc_max(t, d.type == SEQ_TYPE_BIGINT && !uns, opt->maxvalue, notes);
	else
		mx = (!uns && inc < 0) ? -1 : t.hi - 1;
	if (opt->given & SEQ_OPT_START)
		st = clampw(opt->start, t.lo, t.hi);
	else
		st = inc < 0 ? mx : mn;

	d.minvalue = wto(mn);
	d.maxvalue = wto(mx);
	d.start = wto(st);
	if (opt->given & SEQ_OPT_COMMENT)
		copy_comment(&d, opt);

	if (seq_def_validate(&d, d.start, env) != 0)
		return INVALID;
	*def = d;
	*next_not_cached = d.start;
	return 0;
}

int seq_def_alter(const struct seq_def *cur, int64_t cur_next, const struct seq_options *opt,
		  const struct seq_env *env, struct seq_def *def, int64_t *next_not_cached,
		  struct seq_notes *notes)
{
	struct seq_def d = *cur;
	struct trange t;
	wide nx;

	if (notes)
		notes->count = 0;
	if (!type_valid(cur->type))
		return INVALID;
	nx = wof(cur, cur_next);

	if (opt->given & SEQ_OPT_AS) {
		/* §5.5: the value columns change type; what does not fit fails. */
		wide st = wof(cur, cur->start), mn = wof(cur, cur->minvalue), mx = wof(cur, cur->maxvalue);

		if (!type_valid(opt->type))
			return INVALID;
		t = type_range(opt->type, opt->is_unsigned);
		if (st < t.lo || st > t.hi || mn < t.lo || mn > t.hi || mx < t.lo || mx > t.hi || nx < t.lo ||
		    nx > t.hi)
			return INVALID;
		d.type = opt->type;
		d.is_unsigned = opt->is_unsigned;
		d.start = wto(st);
		d.minvalue = wto(mn);
		d.maxvalue = wto(mx);
	}
	t = def_range(&d);

	if (opt->given & SEQ_OPT_INCREMENT)
		d.increment = opt->increment;
	/* §5.2 step 3: NO MINVALUE / NO MAXVALUE are fixed, not direction
	 * dependent, and nothing else is re-defaulted. */
	if (opt->given & SEQ_OPT_MINVALUE)
		d.minvalue = opt->min_none ? 1 : wto(trunc_min(t, opt->minvalue, notes));
	if (opt->given & SEQ_OPT_MAXVALUE)
		d.maxvalue = opt->max_none ? wto(t.hi - 1)
					   : wto(trunc_max(t, d.type == SEQ_TYPE_BIGINT && !d.is_unsigned,
							   opt->maxvalue, notes));
	if (opt->given & SEQ_OPT_START)
		d.start = wto(clampw(opt->start, t.lo, t.hi));
	if (opt->given & SEQ_OPT_CACHE)
		d.cache = opt->cache;
	/* ALTER writes the row from the in-memory definition, where CYCLE is
	 * a boolean: an inserted cycle_option 2 reads back as 1 (recorded,
	 * conformance case q45). */
	d.cycle = (opt->given & SEQ_OPT_CYCLE) ? opt->cycle : d.cycle != 0;
	if (opt->given & SEQ_OPT_COMMENT)
		copy_comment(&d, opt);
	if (opt->given & SEQ_OPT_RESTART)
		nx = opt->restart_with ? clampw(opt->restart, t.lo, t.hi) : wof(&d, d.start);

	if (seq_def_validate(&d, wto(nx), env) != 0)
		return INVALID;
	*def = d;
	*next_not_cached = wto(nx);
	return 0;
}

const char *seq_type_name(uint8_t type, bool is_unsigned)
{
	static const char *const names[2][5] = {
		{"bigint", "tinyint", "smallint", "mediumint", "int"},
		{"bigint unsigned", "tinyint unsigned", "smallint unsigned", "mediumint unsigned",
		 "int unsigned"},
	};

	if (!type_valid(type))
		return "bigint";
	return names[is_unsigned ? 1 : 0][type];
}

char *seq_value_format(const struct seq_def *def, int64_t v, char *buf)
{
	if (is_u64(def))
		snprintf(buf, 22, "%" PRIu64, (uint64_t)v);
	else
		snprintf(buf, 22, "%" PRId64, v);
	return buf;
}

/* snprintf-style appender: counts everything, stores what fits. */
struct sbuf {
	char *buf;
	size_t cap;
	size_t len;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->cap && b->len < b->cap - 1)
		b->buf[b->len] = c;
	b->len++;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

size_t seq_def_show_create(const struct seq_def *def, const char *name, char *buf, size_t cap)
{
	struct sbuf b = {buf, cap, 0};
	char num[24];
	size_t i;

	sb_puts(&b, "CREATE SEQUENCE `");
	for (; *name; name++) {
		if (*name == '`')
			sb_putc(&b, '`');
		sb_putc(&b, *name);
	}
	sb_putc(&b, '`');
	if (def->type != SEQ_TYPE_BIGINT || def->is_unsigned) {
		sb_puts(&b, " as ");
		sb_puts(&b, seq_type_name(def->type, def->is_unsigned));
	}
	sb_puts(&b, " start with ");
	sb_puts(&b, seq_value_format(def, def->start, num));
	sb_puts(&b, " minvalue ");
	sb_puts(&b, seq_value_format(def, def->minvalue, num));
	sb_puts(&b, " maxvalue ");
	sb_puts(&b, seq_value_format(def, def->maxvalue, num));
	snprintf(num, sizeof(num), "%" PRId64, def->increment);
	sb_puts(&b, " increment by ");
	sb_puts(&b, num);
	if (def->cache == 0) {
		sb_puts(&b, " nocache");
	} else {
		snprintf(num, sizeof(num), "%" PRId64, def->cache);
		sb_puts(&b, " cache ");
		sb_puts(&b, num);
	}
	sb_puts(&b, def->cycle ? " cycle" : " nocycle");
	sb_puts(&b, " ENGINE=InnoDB");
	if (def->comment_len) {
		size_t n = def->comment_len > SHMSEQ_COMMENT_MAX ? SHMSEQ_COMMENT_MAX : def->comment_len;

		/* MariaDB's append_unescaped(). */
		sb_puts(&b, " COMMENT='");
		for (i = 0; i < n; i++) {
			char c = def->comment[i];

			switch (c) {
			case '\0':
				sb_puts(&b, "\\0");
				break;
			case '\n':
				sb_puts(&b, "\\n");
				break;
			case '\r':
				sb_puts(&b, "\\r");
				break;
			case '\\':
				sb_puts(&b, "\\\\");
				break;
			case '\'':
				sb_puts(&b, "''");
				break;
			default:
				sb_putc(&b, c);
				break;
			}
		}
		sb_putc(&b, '\'');
	}
	if (cap)
		buf[b.len < cap ? b.len : cap - 1] = '\0';
	return b.len;
}

/* --- the serial model ----------------------------------------------------- */

int64_t seq_row_cycle_count(int64_t cc)
{
	return (uint64_t)cc > (uint64_t)INT64_MAX ? INT64_MAX : cc;
}

/* A row write (MariaDB's SEQUENCE::write and ha_sequence::write_row): the
 * stored row becomes the in-memory state, CYCLE a boolean, and the sticky
 * run-out flag is cleared. */
static void live_written(struct seq_live *s)
{
	s->row_next = s->reserved_until;
	s->row_cycle_count = seq_row_cycle_count(s->cycle_count);
	s->def.cycle = s->def.cycle != 0;
	s->all_values_used = false;
}

void seq_live_load(struct seq_live *s, const struct seq_def *def, int64_t next_not_cached,
		   int64_t cycle_count, const struct seq_env *env)
{
	s->def = *def;
	s->real_inc = seq_real_increment(def, env);
	s->reserved_until = next_not_cached;
	s->next_free = wto(alignw(def, env, wof(def, next_not_cached)));
	s->cycle_count = cycle_count;
	s->all_values_used = false;
	s->row_next = next_not_cached;
	s->row_cycle_count = cycle_count;
}

int seq_live_nextval(struct seq_live *s, const struct seq_env *env, int64_t *value, bool *wrote)
{
	const struct seq_def *d = &s->def;
	bool second_round = false;

	*wrote = false;
	for (;;) {
		wide res = wof(d, s->next_free);
		wide ru = wof(d, s->reserved_until);

		s->next_free = wto(stepw(d, res, s->real_inc));
		if (beforew(s->real_inc, res, ru)) {
			*value = wto(res);
			return 0;
		}
		if (s->all_values_used)
			break;
		/* Stepped before the end of the round is checked and kept when
		 * it has run out (unwritten): MariaDB's next_value() does so,
		 * and ALTER continues from it (conformance case q43). */
		s->reserved_until = wto(stepw(d, ru, block_add(d, s->real_inc)));
		if (past_endw(d, s->real_inc, res)) {
			if (!d->cycle || second_round)
				break;
			/* an unsigned round: 2^63 follows 9223372036854775807 */
			s->cycle_count = (int64_t)((uint64_t)s->cycle_count + 1);
			s->reserved_until = s->real_inc > 0 ? d->minvalue : d->maxvalue;
			s->next_free = wto(alignw(d, env, wof(d, s->reserved_until)));
			second_round = true;
			continue;
		}
		*wrote = true;
		live_written(s);
		*value = wto(res);
		return 0;
	}
	s->all_values_used = true;
	return -SHMSEQ_ERR_RUN_OUT;
}

int seq_live_setval(struct seq_live *s, const struct seq_env *env, int64_t v, bool is_used, uint64_t round,
		    bool *wrote)
{
	const struct seq_def *d = &s->def;
	struct trange t = def_range(d);
	wide wv = wof(d, v), target, nf;
	uint64_t cur_round = (uint64_t)s->cycle_count;
	bool must_write = false;

	*wrote = false;
	if (wv < t.lo || wv > t.hi)
		return 0; /* 11.5: outside the value type, NULL */
	target = is_used ? stepw(d, wv, s->real_inc) : wv;
	if (cur_round > round)
		return 0;
	if (cur_round == round) {
		nf = wof(d, s->next_free);
		if (beforew(s->real_inc, target, nf))
			return 0;
		if (target == nf)
			return 1;
	} else {
		if (!d->cycle)
			return -SHMSEQ_ERR_RUN_OUT;
		must_write = true;
	}
	s->cycle_count = (int64_t)round;
	nf = alignw(d, env, target);
	s->next_free = wto(nf);
	if (must_write || beforew(s->real_inc, wof(d, s->reserved_until), nf)) {
		s->reserved_until = s->next_free;
		*wrote = true;
		live_written(s);
	}
	return 1;
}

void seq_live_row(const struct seq_live *s, struct seq_row *row)
{
	row->next_not_cached_value = s->row_next;
	row->minimum_value = s->def.minvalue;
	row->maximum_value = s->def.maxvalue;
	row->start_value = s->def.start;
	row->increment = s->def.increment;
	row->cache_size = s->def.cache;
	row->cycle_option = s->def.cycle;
	row->cycle_count = s->row_cycle_count;
}

/* --- epochs --------------------------------------------------------------- */

uint64_t seq_epoch_end(const struct seq_def *def, int64_t base, int64_t real_inc)
{
	wide b = wof(def, base), n;

	if (real_inc == 0 || past_endw(def, real_inc, b))
		return 0;
	if (real_inc > 0)
		n = (wof(def, def->maxvalue) - b) / real_inc + 1;
	else
		n = (b - wof(def, def->minvalue)) / -(wide)real_inc + 1;
	return n > W_UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

int64_t seq_epoch_value(int64_t base, int64_t real_inc, uint64_t n)
{
	/* With n < seq_epoch_end(def, base, real_inc) the true value lies
	 * between base and the last value of the round, so within the domain
	 * (int64, or uint64 for BIGINT UNSIGNED); arithmetic modulo 2^64 then
	 * yields exactly its 64-bit representation, whatever n·inc alone would
	 * be (10·1e18 does not fit an int64, -2e18 + 10·1e18 does). */
	return (int64_t)((uint64_t)base + n * (uint64_t)real_inc);
}

int64_t seq_epoch_reserved(const struct seq_def *def, int64_t base, int64_t r0, int64_t real_inc,
			   uint64_t consumed)
{
	wide r = wof(def, r0), add, v, off, k, kadd, res;

	if (consumed == 0 || real_inc == 0)
		return r0;
	/* v, the last value served: |consumed - 1| < 2^64 and |real_inc| <=
	 * 2^63, so neither builtin can overflow; a v beyond the bound cannot
	 * have been served (consumed <= seq_epoch_end), and would give the
	 * sentinel anyway: k·add carries r past v. */
	if (__builtin_mul_overflow((wide)(consumed - 1), (wide)real_inc, &off) ||
	    __builtin_add_overflow(wof(def, base), off, &v) || past_endw(def, real_inc, v))
		return wto(sentinelw(def, real_inc));
	if (beforew(real_inc, v, r))
		return r0;
	/* Now r and v are in the domain (or r is past it in the other
	 * direction, at most 2^64 away), so |v - r| < 2^65, k <= 2^65 and
	 * k·|add| <= |v - r| + |add| < 2^127: exact; saturate like step. */
	add = block_add(def, real_inc);
	k = wabs(v - r) / wabs(add) + 1;
	if (__builtin_mul_overflow(k, add, &kadd) || __builtin_add_overflow(r, kadd, &res) ||
	    past_endw(def, real_inc, res))
		return wto(sentinelw(def, real_inc));
	return wto(res);
}

int64_t seq_skip_ahead(const struct seq_def *def, const struct seq_env *env, int64_t h, uint64_t ticks,
		       int64_t *cycle_count)
{
	int64_t inc = seq_real_increment(def, env);
	wide lo = wof(def, def->minvalue), hi = wof(def, def->maxvalue), off, to;
	/* |ticks| < 2^64, |inc| <= 2^63: |off| < 2^127 - 2^63, never an
	 * overflow; checked as everywhere, an overflow being past the end. */
	bool off_ok = !__builtin_mul_overflow((wide)ticks, (wide)inc, &off);

	if (off_ok && !__builtin_add_overflow(wof(def, h), off, &to) && to >= lo && to <= hi)
		return wto(to);
	/* Past the end: NOCYCLE is exhausted; CYCLE starts the next round,
	 * skipping there too (the lost record may have been that wrap). The
	 * sentinel itself, not a step by INT64_MAX from h: h + INT64_MAX is
	 * still inside a range wider than 2^63 (conformance q40 shape). */
	if (!def->cycle)
		return wto(sentinelw(def, inc));
	*cycle_count = (int64_t)((uint64_t)*cycle_count + 1);
	if (off_ok && !__builtin_add_overflow(wof(def, seq_round_start(def, env, inc)), off, &to) &&
	    to >= lo && to <= hi)
		return wto(to);
	return wto(sentinelw(def, inc));
}
