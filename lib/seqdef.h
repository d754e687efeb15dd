/* SPDX-License-Identifier: MIT */
/* seqdef.h — private: a sequence's definition and MariaDB's arithmetic on it.
 *
 * Shared by the daemon (authoritative state of base sequences), the client
 * library (TEMPORARY sequences live in the client, and the statement
 * executor) and the parser (which produces struct seq_options).
 * Everything here is pure computation: no I/O, no globals, no allocation.
 * SEMANTICS.md is the reference; section numbers below point into it.
 *
 * Values: every value field is an int64_t. For BIGINT UNSIGNED sequences
 * (11.5+ `AS bigint unsigned`) the field holds the uint64_t bit pattern;
 * compare and step only through the functions here, which know the type.
 */
#ifndef SHMSEQ_SEQDEF_H
#define SHMSEQ_SEQDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shmseq.h"

/* Value types of `AS <int type>` (§1.6). BIGINT signed is the default. */
enum seq_type {
	SEQ_TYPE_BIGINT = 0,
	SEQ_TYPE_TINYINT,
	SEQ_TYPE_SMALLINT,
	SEQ_TYPE_MEDIUMINT,
	SEQ_TYPE_INT,
};

/* The definition: the durable row's fields other than the position. */
struct seq_def {
	int64_t start;
	int64_t minvalue;
	int64_t maxvalue;
	int64_t increment;		      /* as declared; 0 = auto_increment mode (§2.5) */
	int64_t cache;			      /* >= 0; 0 = NOCACHE */
	uint8_t cycle;			      /* 0/1 */
	uint8_t type;			      /* enum seq_type */
	uint8_t is_unsigned;		      /* 0/1 */
	uint16_t comment_len;		      /* bytes in comment, <= SHMSEQ_COMMENT_MAX */
	char comment[SHMSEQ_COMMENT_MAX + 1]; /* NUL-terminated too */
};

/* The 8 columns of `SELECT * FROM s` (§0). */
struct seq_row {
	int64_t next_not_cached_value;
	int64_t minimum_value;
	int64_t maximum_value;
	int64_t start_value;
	int64_t increment;
	int64_t cache_size;
	int64_t cycle_option;
	int64_t cycle_count;
};

/* Instance-wide settings that MariaDB takes from globals (§2.5). */
struct seq_env {
	int64_t auto_increment_increment; /* >= 1 */
	int64_t auto_increment_offset;	  /* >= 1 */
};

/* What a CREATE or ALTER statement said, before defaults (§1.1, §5.1).
 * `given` has a bit per logical option; duplicates are the parser's 1225. */
enum seq_opt_bit {
	SEQ_OPT_START = 1u << 0,
	SEQ_OPT_INCREMENT = 1u << 1,
	SEQ_OPT_MINVALUE = 1u << 2, /* MINVALUE n, or NO MINVALUE (min_none) */
	SEQ_OPT_MAXVALUE = 1u << 3, /* MAXVALUE n, or NO MAXVALUE (max_none) */
	SEQ_OPT_CACHE = 1u << 4,    /* CACHE n or NOCACHE (cache = 0) */
	SEQ_OPT_CYCLE = 1u << 5,    /* CYCLE / NOCYCLE */
	SEQ_OPT_RESTART = 1u << 6,  /* ALTER: RESTART [WITH n] */
	SEQ_OPT_AS = 1u << 7,	    /* AS type */
	SEQ_OPT_COMMENT = 1u << 8,  /* CREATE: COMMENT '...' */
	SEQ_OPT_ENGINE = 1u << 9,   /* CREATE: ENGINE=x (accepted, not stored) */
};

/* MINVALUE/MAXVALUE literals in 11.5+ may have any length (§1.6): the parser
 * stores them clamped into [INT64_MIN, UINT64_MAX] as a wide integer. */
struct seq_options {
	unsigned given; /* enum seq_opt_bit */
	__int128 start;
	int64_t increment;
	__int128 minvalue;
	bool min_none; /* NO MINVALUE / NOMINVALUE */
	__int128 maxvalue;
	bool max_none; /* NO MAXVALUE / NOMAXVALUE */
	int64_t cache; /* may be negative as written: validation says 4085 */
	bool cycle;
	bool restart_with; /* RESTART with a value (else RESTART = START) */
	__int128 restart;
	uint8_t type; /* enum seq_type, with SEQ_OPT_AS */
	bool is_unsigned;
	uint16_t comment_len;
	char comment[SHMSEQ_COMMENT_MAX + 1];
};

/* A note raised while applying options (§1.6 truncation: Note 1292). */
struct seq_notes {
	int count;
	int code[4];
	char text[4][96];
};

/* --- definitions --------------------------------------------------------- */

/* CREATE: fill defaults (§1.3, §1.6), clamp (§1.6), validate (§1.4).
 * On success *def is complete and *next_not_cached = START; returns 0.
 * Returns -SHMSEQ_ERR_INVALID_DATA (4085) when the options cannot hold. */
int seq_def_create(const struct seq_options *opt, const struct seq_env *env, struct seq_def *def,
		   int64_t *next_not_cached, struct seq_notes *notes);

/* ALTER (§5.2): start from cur and the *stored* position cur_next, apply opt
 * (NO MINVALUE -> 1, NO MAXVALUE -> type max - 1, whatever the direction;
 * RESTART -> START, RESTART n -> n), validate. On success fills *def and
 * *next_not_cached and returns 0; the caller resets cycle_count to 0.
 * Returns -4085 and leaves the outputs unspecified when invalid. */
int seq_def_alter(const struct seq_def *cur, int64_t cur_next, const struct seq_options *opt,
		  const struct seq_env *env, struct seq_def *def, int64_t *next_not_cached,
		  struct seq_notes *notes);

/* §1.4 rules 1-7 on a complete definition and a position (used for CREATE,
 * ALTER and INSERT INTO s VALUES). 0 or -4085. */
int seq_def_validate(const struct seq_def *def, int64_t next_not_cached, const struct seq_env *env);

/* Text of SHOW CREATE SEQUENCE (§7.1) for `name`, with ` ENGINE=InnoDB`
 * after the cycle option (as MariaDB's default engine prints it) and the
 * COMMENT if any. Writes at most cap bytes including the NUL; returns the
 * length it needed (like snprintf). */
size_t seq_def_show_create(const struct seq_def *def, const char *name, char *buf, size_t cap);

/* The type name as SHOW CREATE / information_schema print it:
 * "bigint", "tinyint unsigned", … */
const char *seq_type_name(uint8_t type, bool is_unsigned);

/* Format a value of this definition's type into buf (>= 21 bytes + NUL):
 * signed decimal, or unsigned for BIGINT UNSIGNED. Returns buf. */
char *seq_value_format(const struct seq_def *def, int64_t v, char *buf);

/* --- arithmetic (§2.2, §2.5) --------------------------------------------- */

/* The step actually taken: increment, or auto_increment_increment when the
 * increment is 0. Never 0. */
int64_t seq_real_increment(const struct seq_def *def, const struct seq_env *env);

/* step(v, d) of §2.2, saturating to max+1 / min-1 ("beyond the end"). */
int64_t seq_step(const struct seq_def *def, int64_t v, int64_t d);

/* align(v) of §2.5: identity unless increment is 0; else the smallest value
 * >= v congruent to the offset, or max+1 if that is past max. */
int64_t seq_align(const struct seq_def *def, const struct seq_env *env, int64_t v);

/* Whether a is strictly "before" b in the sequence's direction (real_inc's
 * sign), comparing as the type's domain (unsigned for BIGINT UNSIGNED). */
bool seq_before(const struct seq_def *def, int64_t real_inc, int64_t a, int64_t b);

/* Whether v is past the end of the round (> max ascending, < min descending). */
bool seq_past_end(const struct seq_def *def, int64_t real_inc, int64_t v);

/* The first value of a new round after a wrap (§2.3): align(min) ascending,
 * max descending. */
int64_t seq_round_start(const struct seq_def *def, const struct seq_env *env, int64_t real_inc);

/* --- the serial model (MariaDB's own algorithm, §2.3, §4.2) ---------------
 * Used verbatim for TEMPORARY sequences, and by the daemon to decide SETVAL
 * and to present the logical state of a shared sequence. Not thread-safe:
 * the caller serialises. */
struct seq_live {
	struct seq_def def;
	int64_t real_inc;
	int64_t next_free;
	int64_t reserved_until;
	/* MariaDB's `round`, an unsigned counter: the int64 holds its uint64
	 * bit pattern (an INSERT of -5 is round 2^64-5; a wrap past
	 * 9223372036854775807 gives 2^63). Rounds compare unsigned. */
	int64_t cycle_count;
	bool all_values_used;
	/* The stored row, which SELECT * shows, is the state above as of the
	 * last write. It differs from the live state in these only: a NEXTVAL
	 * that runs out moves reserved_until (to MAXVALUE+1 / MINVALUE-1) and,
	 * in an empty second round, the round, without writing; and a write
	 * stores the round clamped to 9223372036854775807 (MariaDB keeps an
	 * unsigned round in a signed column) and CYCLE as 0/1 (def.cycle is
	 * made 0/1 then: an INSERT may have loaded cycle_option 2). */
	int64_t row_next;
	int64_t row_cycle_count;
};

/* (Re)load from a row position, as after CREATE/ALTER/INSERT/restart:
 * next_free = align(next_not_cached), reserved_until = next_not_cached,
 * the stored row as given. */
void seq_live_load(struct seq_live *s, const struct seq_def *def, int64_t next_not_cached,
		   int64_t cycle_count, const struct seq_env *env);

/* NEXTVAL. Returns 0 and *value, or -4084 (run out). *wrote is set true when
 * MariaDB would have written the row (a refill or a wrap). A run-out writes
 * nothing but, the first time (all_values_used clear), still steps
 * reserved_until by a block, as MariaDB's next_value() does: ALTER and
 * SETVAL continue from there. */
int seq_live_nextval(struct seq_live *s, const struct seq_env *env, int64_t *value, bool *wrote);

/* SETVAL(v, is_used, round) of §4.2. Returns 1 when applied (answer v),
 * 0 when ignored (answer NULL), -4084 for a round increase without CYCLE.
 * *wrote as above; a write clears all_values_used (MariaDB's write_row). */
int seq_live_setval(struct seq_live *s, const struct seq_env *env, int64_t v, bool is_used, uint64_t round,
		    bool *wrote);

/* The row of SELECT * for this state: the stored row. */
void seq_live_row(const struct seq_live *s, struct seq_row *row);

/* The cycle_count a written row holds for round cc (MariaDB stores its
 * unsigned round in a signed BIGINT column: clamped to INT64_MAX). */
int64_t seq_row_cycle_count(int64_t cc);

/* --- the shared-memory projection (the fast path's epochs) ----------------
 * A shared sequence hands out values base, base+inc, base+2·inc, … where the
 * n-th value (tick n) is base + n·inc. An epoch starts at `base` with the
 * logical reservation `r0` (MariaDB's reserved_until at that moment; base is
 * at or before r0). */

/* Number of ticks from base to the end of the round: how many values
 * base + n·inc lie within [min, max]. 0 if base itself is past the end.
 * Saturates at UINT64_MAX. */
uint64_t seq_epoch_end(const struct seq_def *def, int64_t base, int64_t real_inc);

/* The value of tick n: base + n·inc. Precondition (the caller's own
 * invariant): n < seq_epoch_end(def, base, real_inc), so that the value lies
 * between base and the end of the round, in the domain. */
int64_t seq_epoch_value(int64_t base, int64_t real_inc, uint64_t n);

/* MariaDB's reserved_until after `consumed` values of the epoch were handed
 * out one by one with the serial algorithm, i.e. r0 stepped by
 * add = real_inc · max(cache, 1) once for every value v_i that was at or
 * past the reservation when it was served (saturating with seq_step). Equals
 * r0 when consumed == 0. Closed form: with v = the last value served,
 * k = 0 if v is before r0, else floor(|v - r0| / |add|) + 1. */
int64_t seq_epoch_reserved(const struct seq_def *def, int64_t base, int64_t r0, int64_t real_inc,
			   uint64_t consumed);

/* The restart point `ticks` values after horizon h (0 <= ticks, any size):
 * h + ticks·inc while that is within [min, max]; past the end, NOCYCLE
 * gives the beyond-the-end sentinel (MAXVALUE+1 / MINVALUE-1) and CYCLE
 * starts the next round (*cycle_count + 1, as an unsigned round) and skips
 * ticks values there too, or gives the sentinel if the round is shorter.
 * Used to step over a log record that may be lost: never before any value
 * that record could have covered. */
int64_t seq_skip_ahead(const struct seq_def *def, const struct seq_env *env, int64_t h, uint64_t ticks,
		       int64_t *cycle_count);

#endif
