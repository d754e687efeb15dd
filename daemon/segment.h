/* SPDX-License-Identifier: MIT */
/* segment.h — cluster mode's segments: a run of a sequence's values granted
 * to one host by one Txn on the store (shared/CLUSTER.md).
 *
 * The store holds, per sequence, its position (the "pos" key): the value
 * next granted to anyone, its CYCLE round and the definition's epoch (bumped
 * by every statement that moves the sequence: the fence). A grant is
 *
 *     If mod_revision(pos) == R  Then put(pos, after) [, put(hold, …)]
 *                                Else range(pos)
 *
 * with R the revision this host last saw of pos, so a steady grant is one
 * round trip and a conflict brings the fresh position back in the same one.
 * A segment is the caller's only after the Txn committed. An outcome the
 * store leaves unknown (time-out, lost reply) never reuses the range: R is
 * forgotten, pos is read again, and if the Txn did commit its range is a
 * gap, counted.
 *
 * pos's value is JSON, readable with etcdctl:
 *     {"epoch":"3","round":"0","next":"1001"}         (int64 as strings)
 *     {"epoch":"3","round":"0","next":"…","end":true}  (a NOCYCLE round ran out)
 *     …,"fences":[["1001","2000","9f2c…"],…]          (values not to grant; the host's tag)
 *
 * Fences. A statement (ALTER, SETVAL, CREATE OR REPLACE) writes a new epoch;
 * a host the store cannot reach keeps serving the segments it holds, of the
 * old state, until it hears of it. So that those values never meet the new
 * state's, the statement's pos lists as fences the value ranges of the
 * segments every other host holds (their `hold` keys: each host's last two
 * grants, which cover its live segment and the one granted ahead) in the
 * new round, and every grant of the new epoch steps over them. A fence ends
 * with its round (a value of another round is another value). Once the
 * hosts that answer the statement did (they dropped those segments first),
 * a second Txn takes their fences off: only a host that did not answer
 * leaves a gap in the new state.
 */
#ifndef SHMSEQD_SEGMENT_H
#define SHMSEQD_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seqdef.h"
#include "store.h"

/* Values [lo, hi] that no grant may hand out (lo <= hi in the type's order:
 * BIGINT UNSIGNED's bit patterns compare as unsigned). */
#define SEG_FENCES_MAX 16
/* pos as text at its longest: the fields with the widest numbers (about
 * 120 bytes) and SEG_FENCES_MAX fences of at most 67 bytes each */
#define SEG_POS_TEXT_MAX (128 + SEG_FENCES_MAX * 72)
struct seg_fence {
	int64_t lo, hi;
	uint64_t tag; /* seg_host_tag() of the host holding it; 0: several */
};

/* What a host knows of a sequence's position in the store. */
struct seg_pos {
	uint64_t epoch;	      /* the definition's epoch */
	int64_t round;	      /* CYCLE round of next (MariaDB's cycle_count) */
	int64_t next;	      /* the first value not granted (a position of the definition) */
	bool end;	      /* the round is used up and the sequence does not cycle */
	int64_t mod_revision; /* of the pos key when read; 0: unknown, read first */
	unsigned nfences;     /* of round `round` */
	struct seg_fence fences[SEG_FENCES_MAX];
};

/* Add the values [a, b] (either order) as a fence of pos; past
 * SEG_FENCES_MAX the same host's fence grows to cover it, or else the last
 * one, then of several hosts (tag 0): more of a gap, never less of a fence. */
void seg_pos_fence(struct seg_pos *p, const struct seq_def *def, int64_t a, int64_t b, uint64_t tag);

/* A host's tag in fences (a hash of its name, never 0). */
uint64_t seg_host_tag(const char *host, size_t len);

/* Drop the fences of hosts `done` says answered the statement (they dropped
 * those segments before answering); how many went. Fences of several hosts
 * (tag 0) stay. */
unsigned seg_pos_unfence(struct seg_pos *p, bool (*done)(uint64_t tag, void *ctx), void *ctx);

/* A hold key's value: the host's last two grants (round, first, last),
 * epoch-tagged; n is how many parse (0-2), -EBADMSG for garbage. */
struct seg_held {
	uint64_t epoch;
	int64_t round, first, last;
};
int seg_hold_parse(const void *value, size_t len, struct seg_held held[2]);

/* A granted run: values first, first+inc, … (n of them) of round `round`
 * of epoch `epoch`. */
struct segment {
	uint64_t epoch;
	int64_t round;
	int64_t first;
	uint64_t n;
};

/* Fence the run a host holds (h, read by seg_hold_parse) in a statement's
 * new position p (whatever round it was of: an ALTER starts round 0 again),
 * unless the new state can never hand it out: wholly behind p's next value
 * in the sequence's direction (seg_plan drops such fences anyway). true when
 * it fenced. */
bool seg_pos_fence_held(struct seg_pos *p, const struct seq_def *def, const struct seq_env *env,
			const struct seg_held *h, uint64_t tag);

/* The grant of up to `want` values (want >= 1) at pos: *seg, and the
 * position after it in *after. A round's end cuts a segment short; at the
 * end of a round a CYCLE sequence starts the next round, a NOCYCLE one
 * answers -SHMSEQ_ERR_RUN_OUT (4084). -EINVAL for a position that is not
 * one of the definition. Pure arithmetic (lib/seqmath.c's), no overflow. */
int seg_plan(const struct seq_def *def, const struct seq_env *env, const struct seg_pos *pos, uint64_t want,
	     struct segment *seg, struct seg_pos *after);

/* pos's value, and its strict reading (-EBADMSG when it is not one). */
int seg_pos_format(const struct seg_pos *p, char *buf, size_t cap);
int seg_pos_parse(const void *value, size_t len, struct seg_pos *p);

/* The outcome of seg_grant: 0 and the segment; -SHMSEQ_ERR_RUN_OUT;
 * -ENOENT (no pos: the sequence is not in the store); -EHOSTUNREACH (the
 * store could not be reached in time); -EBADMSG (pos holds garbage, or the
 * store's answers are not etcd's); -EAGAIN (other hosts won every Txn for
 * 2 s, counted from the grant's first lost Txn: time spent waiting for the
 * store before it, an unknown outcome and its re-read, does not count);
 * -ENOMEM. */
typedef void (*seg_cb)(void *ctx, int status, const struct segment *seg);

/* Counters of one sequence's grants, for status and tests. */
struct seg_stats {
	uint64_t grants;	/* Txns that granted a segment */
	uint64_t conflicts;	/* Txns that found pos moved by another host */
	uint64_t ambiguous;	/* outcomes the store left unknown: each a possible gap */
	uint64_t reads;		/* reads of pos */
	uint64_t max_conflicts; /* most conflicts one grant met */
};

/* One sequence's grants through one store. pos_key (and hold_key, which may
 * be NULL) are copied; def and env are read at every grant and must stay
 * valid while a grant is in flight. One grant at a time per grantor. */
struct seg_grantor;
int seg_grantor_new(struct store *st, const char *pos_key, const char *hold_key, const struct seq_def *def,
		    const struct seq_env *env, struct seg_grantor **out);
void seg_grantor_free(struct seg_grantor *g);

/* Ask for up to `want` values; cb runs once, from store_dispatch (or at
 * once when the store cannot even queue a request: -ENOMEM). 0 when asked,
 * -EBUSY when a grant is in flight, -EINVAL for want 0. The hold key, when
 * given, is set to the granted segment in the same Txn (which host holds
 * what: for status and for adoption after a crash). */
int seg_grant(struct seg_grantor *g, uint64_t want, seg_cb cb, void *ctx);

/* Grant only from a pos of this epoch (the definition's the caller gave):
 * a pos of another epoch ends the grant with -ESTALE, nothing granted (a
 * statement elsewhere changed the sequence: read the definition again).
 * 0 (the default): any epoch. */
void seg_grantor_expect(struct seg_grantor *g, uint64_t epoch);

const struct seg_pos *seg_grantor_pos(const struct seg_grantor *g);
const struct seg_stats *seg_grantor_stats(const struct seg_grantor *g);

#endif
