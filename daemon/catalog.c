/* SPDX-License-Identifier: MIT */
/* catalog.c — the daemon's sequences and their durable horizons.
 *
 * Invariants (the promises of DESIGN.md rest on these):
 *  - A sequence's slot publishes `limit` only up to `written` tickets, and only
 *    after the record saying so is durable (catalog_publish runs after
 *    wal_sync). Hence every value a client can hand out lies before the
 *    horizon of a durable record, and a restart from that horizon never
 *    repeats a value (write-ahead reservation).
 *  - Every change of position or definition closes the epoch first
 *    (region_slot_freeze): the tickets taken so far are counted, later ones
 *    are void. The new epoch is published with limit 0 and widened once its
 *    record is durable, so nothing is handed out from an unacknowledged state.
 *  - A dropped sequence's slot is reused only after its REC_DROP is durable.
 *  - Records read back at start-up are untrusted: each is checked in full.
 *
 * Concurrency: single-threaded (the daemon's event loop), so the name table
 * is a plain chained hash table (liburcu's cds_hlist chains, not the RCU
 * variants: nothing reads it from another thread) grown by doubling when the count passes the
 * number of buckets (a cds_lfht with CDS_LFHT_AUTO_RESIZE grew late or far
 * too much: 8M buckets of 16 bytes for 1M names, and iterating or destroying
 * those dominated shutdown).
 *
 * Memory: a million sequences must fit, so a struct seq holds no fixed-size
 * buffer: the name is stored at its length, the comment (up to 2 KiB in a
 * struct seq_def) is allocated only when there is one, and a full
 * struct seq_def is assembled on the stack when a computation needs one
 * (def_view, def_full).
 */
#include "catalog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "wire.h"

#define AHEAD_CAP (1ull << 24)
/* The most one record advances a horizon, in values: a refill's largest
 * reservation plus room for tickets already taken by waiting clients, so
 * that one batch still serves them all (group commit). Also what a torn
 * last record costs every sequence (WAL_TAIL_LOST). */
#define RECORD_SLACK 1024u
#define RECORD_STRIDE(s) ((s)->ahead_max + RECORD_SLACK)
/* Tickets past the published limit that threads can legitimately hold: each
 * waiting thread holds one. A counter further ahead was scribbled on. */
#define TICKS_SLACK (1ull << 20)
/* A window at its largest asks for the next after 1/MARK_EARLY_DIV of it. */
#define MARK_EARLY_DIV 8u
/* Lines logged per kind of event before the daemon only counts them. */
#define SAY_MAX 50u

/* The daemon's log (stderr, as server.c's say()). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("shmseqd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* --- definitions ---------------------------------------------------------------- */

/* A struct seq_def for the arithmetic of seqdef.h: every field but the
 * comment, which is left empty (only ~48 bytes written, not 2 KiB). */
static const struct seq_def *def_view(const struct seq *s, struct seq_def *d)
{
	d->start = s->def.start;
	d->minvalue = s->def.minvalue;
	d->maxvalue = s->def.maxvalue;
	d->increment = s->def.increment;
	d->cache = s->def.cache;
	d->cycle = s->def.cycle;
	d->type = s->def.type;
	d->is_unsigned = s->def.is_unsigned;
	d->comment_len = 0;
	d->comment[0] = 0;
	return d;
}

/* The whole definition, comment included. */
static void def_full(const struct seq *s, struct seq_def *d)
{
	def_view(s, d);
	d->comment_len = s->def.comment_len;
	if (s->def.comment_len)
		memcpy(d->comment, s->comment, s->def.comment_len);
	d->comment[s->def.comment_len] = 0;
}

/* Store def in s (the comment out of line). 0 or -ENOMEM (s unchanged). */
static int def_store(struct seq *s, const struct seq_def *def)
{
	uint16_t len = def->comment_len <= SHMSEQ_COMMENT_MAX ? def->comment_len : SHMSEQ_COMMENT_MAX;
	if (len != s->def.comment_len || (len && memcmp(s->comment, def->comment, len) != 0)) {
		char *p = NULL;
		if (len) {
			p = malloc((size_t)len + 1);
			if (!p)
				return -ENOMEM;
			memcpy(p, def->comment, len);
			p[len] = 0;
		}
		free(s->comment);
		s->comment = p;
	}
	s->def.start = def->start;
	s->def.minvalue = def->minvalue;
	s->def.maxvalue = def->maxvalue;
	s->def.increment = def->increment;
	s->def.cache = def->cache;
	s->def.cycle = def->cycle;
	s->def.type = def->type;
	s->def.is_unsigned = def->is_unsigned;
	s->def.comment_len = len;
	return 0;
}

/* --- the name table ------------------------------------------------------------ */

static uint32_t name_hash(const char *name, size_t len)
{
	uint64_t h = util_hash(name, len);
	return (uint32_t)(h ^ (h >> 32));
}

static struct seq *seq_alloc(const char *name)
{
	size_t len = strnlen(name, SHMSEQ_NAME_MAX);
	struct seq *s = calloc(1, sizeof(*s) + len + 1);
	if (!s)
		return NULL;
	memcpy(s->name, name, len);
	s->name[len] = 0;
	s->name_len = (uint8_t)len;
	s->hash = name_hash(s->name, len);
	return s;
}

static void seq_free(struct seq *s)
{
	free(s->comment);
	free(s);
}

struct seq *catalog_find(struct catalog *c, const char *name)
{
	if (!c->nbuckets)
		return NULL;
	size_t len = strlen(name);
	uint32_t h = name_hash(name, len);
	struct seq *s;
	cds_hlist_for_each_entry_2(s, &c->buckets[h & (c->nbuckets - 1)],
				   hnode) if (s->hash == h && s->name_len == len &&
					      memcmp(s->name, name, len) == 0) return s;
	return NULL;
}

/* Double the buckets (or make the first ones). On failure the table stays
 * as it is: longer chains, nothing lost. */
static void names_grow(struct catalog *c)
{
	uint64_t n = c->nbuckets ? c->nbuckets * 2 : 1024;
	struct cds_hlist_head *b = calloc(n, sizeof(*b)); /* all empty: NULL */
	if (!b)
		return;
	for (uint64_t i = 0; i < c->nbuckets; i++) {
		struct seq *s, *next;
		cds_hlist_for_each_entry_safe_2(s, next, &c->buckets[i], hnode)
			cds_hlist_add_head(&s->hnode, &b[s->hash & (n - 1)]);
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

/* 0, or -ENOMEM when there is no table at all. */
static int names_add(struct catalog *c, struct seq *s)
{
	if (c->count >= c->nbuckets)
		names_grow(c);
	if (!c->nbuckets)
		return -ENOMEM;
	cds_hlist_add_head(&s->hnode, &c->buckets[s->hash & (c->nbuckets - 1)]);
	c->count++;
	c->list_valid = false;
	return 0;
}

static void names_del(struct catalog *c, struct seq *s)
{
	if (!s->hnode.prev)
		return; /* not in the table */
	cds_hlist_del(&s->hnode);
	s->hnode.next = s->hnode.prev = NULL;
	c->count--;
	c->list_valid = false;
}

/* Every sequence, in table order; the body must not add or remove any. */
#define for_each_seq(c, s)                                                                                   \
	for (uint64_t b_ = 0; b_ < (c)->nbuckets; b_++)                                                      \
		for (struct seq *s = cds_hlist_entry_safe((c)->buckets[b_].next, struct seq, hnode); s;      \
		     s = cds_hlist_entry_safe(s->hnode.next, struct seq, hnode))

int catalog_init(struct catalog *c, struct region_header *region, const struct seq_env *env)
{
	memset(c, 0, sizeof(*c));
	names_grow(c);
	if (!c->buckets)
		return -ENOMEM;
	c->region = region;
	c->slots = region_slots(region);
	c->nslots = region->nslots;
	c->owner = calloc(c->nslots, sizeof(*c->owner));
	if (!c->owner)
		return -ENOMEM;
	c->env = *env;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* ids are never reused, across restarts too: LASTVAL ties to them */
	c->next_id = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

void catalog_deinit(struct catalog *c)
{
	for (uint64_t i = 0; i < c->nbuckets; i++) {
		struct seq *s, *next;
		cds_hlist_for_each_entry_safe_2(s, next, &c->buckets[i], hnode) seq_free(s);
	}
	free(c->buckets);
	free(c->free_slots);
	free(c->owner);
	free(c->released);
	free(c->sorted);
	memset(c, 0, sizeof(*c));
}

/* --- slots ------------------------------------------------------------------ */

static int slot_alloc(struct catalog *c, uint32_t *slot)
{
	if (c->nfree) {
		*slot = c->free_slots[--c->nfree];
		return 0;
	}
	if (c->next_unused >= c->nslots)
		return -ENOSPC;
	*slot = (uint32_t)c->next_unused++;
	/* a successor daemon adopting this region looks no further */
	c->region->slots_used = (uint32_t)c->next_unused;
	return 0;
}

/* Push v on a growable array of slot numbers. 0 or -ENOMEM. */
static int u32_push(uint32_t **v, uint64_t *n, uint64_t *cap, uint32_t x)
{
	if (*n == *cap) {
		uint64_t ncap = *cap ? *cap * 2 : 64;
		uint32_t *p = realloc(*v, ncap * sizeof(uint32_t));
		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static int slot_release(struct catalog *c, uint32_t slot)
{
	/* on -ENOMEM the slot leaks; nothing breaks */
	return u32_push(&c->free_slots, &c->nfree, &c->free_cap, slot);
}

/* --- the region's name index ------------------------------------------------- */

void catalog_index_attach(struct catalog *c, size_t size)
{
	if (size != region_bytes_indexed(c->nslots) || c->nslots >= UINT32_MAX)
		return;
	/* the layout from what we know, whatever the header's words say */
	char *base = (char *)c->region + region_bytes(c->nslots);
	c->index.bucket = (_Atomic uint64_t *)base;
	c->index.mask = region_index_buckets(c->nslots) - 1;
	c->index.slots = c->slots;
	c->index.nslots = c->nslots;
}

static void index_rebuild(struct catalog *c);

static int index_put_one(struct catalog *c, const struct seq *s)
{
	if (s->slot >= c->nslots)
		return 0;
	return region_index_put(&c->index, s->name, s->name_len, util_hash(s->name, s->name_len), s->slot,
				s->id);
}

void catalog_index_put(struct catalog *c, struct seq *s)
{
	if (c->index.bucket && index_put_one(c, s) == -ENOSPC) {
		c->index_rebuilds++;
		index_rebuild(c);
	}
}

/* Every bucket emptied and every live sequence put again: for a table a
 * scribbler filled, and after adopting a predecessor's region. */
static void index_rebuild(struct catalog *c)
{
	if (!c->index.bucket)
		return;
	region_index_clear(&c->index);
	for_each_seq(c, t)
	{
		if (index_put_one(c, t) == -ENOSPC) {
			/* cannot happen in a table we just emptied, at most half full */
			say("the region's name index cannot hold '%s': clients ask the daemon", t->name);
			break;
		}
	}
}

static void index_del(struct catalog *c, const struct seq *s)
{
	if (c->index.bucket && s->slot < c->nslots)
		region_index_del(&c->index, util_hash(s->name, s->name_len), s->slot);
}

/* --- epochs ------------------------------------------------------------------ */

/* 0 or -ENOMEM (only a new comment can fail to fit; s is then unchanged). */
static int seq_set_def(struct catalog *c, struct seq *s, const struct seq_def *def)
{
	if (def_store(s, def) < 0)
		return -ENOMEM;
	s->real_inc = seq_real_increment(def, &c->env);
	if (def->cache <= 1) {
		s->ahead = s->ahead_max = 1; /* NOCACHE: every value durable alone */
	} else {
		uint64_t cache = (uint64_t)def->cache, max;
		if (__builtin_mul_overflow(cache, 1024u, &max) || max > AHEAD_CAP)
			max = cache > AHEAD_CAP ? cache : AHEAD_CAP;
		s->ahead = cache;
		s->ahead_max = max;
	}
	return 0;
}

/* The restart point after n tickets of the epoch: the first value not
 * covered, or the beyond-the-end sentinel. */
static int64_t horizon_at(const struct seq *s, uint64_t n)
{
	if (n < s->end)
		return seq_epoch_value(s->base, s->real_inc, n);
	if (s->end == 0)
		return s->base;
	struct seq_def d;
	return seq_step(def_view(s, &d), seq_epoch_value(s->base, s->real_inc, s->end - 1), s->real_inc);
}

static void mark_dirty(struct catalog *c, struct seq *s)
{
	if (!s->dirty) {
		s->dirty = true;
		s->next_dirty = c->dirty;
		c->dirty = s;
	}
}

/* MariaDB wrote the row (a refill, a wrap, a SETVAL that writes): from now
 * on it holds CYCLE as a boolean and the round clamped (seq_live.row_cycle_count). */
static void row_written(struct seq *s)
{
	s->row_raw = false;
	s->def.cycle = s->def.cycle != 0;
}

static uint32_t slot_flags(const struct seq *s)
{
	return (s->def.cycle ? SLOT_CYCLE : 0) | (s->def.is_unsigned ? SLOT_UNSIGNED : 0);
}

/* Close the current epoch; returns the tickets that may have been handed
 * out. Never trust the region's limit: every ticket below the catalog's was
 * valid; if a scribbler raised the slot's own, clients may have handed out
 * tickets up to it too (within the round), and those are counted as well —
 * a gap, never a value handed out again. Unscribbled, both limits agree. */
static uint64_t epoch_close(struct catalog *c, struct seq *s)
{
	struct region_slot *slot = &c->slots[s->slot];
	uint64_t rl = atomic_load_explicit(&slot->limit, memory_order_relaxed);
	uint64_t taken = region_slot_seize(slot);
	uint64_t hi = rl > s->limit ? rl : s->limit;
	if (hi > s->end)
		hi = s->end;
	uint64_t n = taken < hi ? taken : hi;
	/* The first value of an epoch is a refill in MariaDB's terms: a write. */
	if (n > 0)
		row_written(s);
	/* A ticket past the end of a NOCYCLE round, once every value of it was
	 * handed out, was a NEXTVAL that ran out: MariaDB moved its in-memory
	 * reservation then (epoch_logical). (A ticket the closing raced with
	 * is counted too: its taker retries in the new epoch, which orders
	 * that NEXTVAL after a run-out nobody saw, a state MariaDB reaches by
	 * the same NEXTVAL from another connection.) */
	if (!s->def.cycle && n == s->end && taken > s->end)
		s->run_out = true;
	return n;
}
/* Publish s's current epoch in its slot again (after epoch_close), under a
 * new gen, as if `used` tickets were taken: every field from the catalog,
 * none kept from the region. Tickets past what the log covers (handed out
 * under a limit a scribbler raised) are covered by the next record, in one
 * step if need be (s->jump). */
static void epoch_republish(struct catalog *c, struct seq *s, uint64_t used)
{
	struct region_slot *slot = &c->slots[s->slot];
	struct region_epoch e = {
		.seq_id = s->id,
		.base = s->base,
		.inc = s->real_inc,
		.limit = s->limit,
		.end = s->end,
		.refill_mark = s->mark,
		.flags = slot_flags(s),
		.ticks = used,
	};
	region_slot_publish(slot, &e);
	s->gen = atomic_load_explicit(&slot->gen, memory_order_relaxed);
	if (used > s->written) {
		if (used > s->want)
			s->want = used;
		s->jump = true;
		mark_dirty(c, s);
	}
}

/* Reopen an epoch closed for nothing (a refused ALTER, an ignored SETVAL):
 * the same epoch under a new gen, as if `used` tickets were taken. */
static void epoch_reopen(struct catalog *c, struct seq *s, uint64_t used)
{
	epoch_republish(c, s, used);
}

/* MariaDB's volatile state after `consumed` tickets of the epoch (the
 * definition without its comment: nothing here reads it), and after the
 * NEXTVAL that ran out at its end if there was one (s->run_out): that one
 * steps the in-memory reservation and sets all_values_used, writing
 * nothing, exactly as seq_live_nextval() models it. */
static void epoch_logical(const struct catalog *c, const struct seq *s, uint64_t consumed, struct seq_live *l)
{
	l->all_values_used = false;
	def_view(s, &l->def);
	l->real_inc = s->real_inc;
	l->cycle_count = s->cycle_count;
	l->next_free = horizon_at(s, consumed);
	l->reserved_until = seq_epoch_reserved(&l->def, s->base, s->r0, s->real_inc, consumed);
	l->row_next = l->reserved_until;
	if (s->row_raw && consumed == 0) {
		l->row_cycle_count = s->cycle_count;
	} else {
		l->row_cycle_count = seq_row_cycle_count(s->cycle_count);
		l->def.cycle = l->def.cycle != 0;
	}
	if (s->run_out && consumed == s->end) {
		/* past the end of the round, res is never before the
		 * reservation, so this is the run-out; were it a value, the
		 * state stays as it was (nothing was handed out) */
		struct seq_live t = *l;
		int64_t v;
		bool wrote;
		if (seq_live_nextval(&t, &c->env, &v, &wrote) < 0)
			*l = t;
	}
}

/* Start an epoch at base (MariaDB's next_free) with reservation r0. With
 * record, the new state is appended in this batch (DDL); without, the first
 * refill writes it (start-up). Published with limit 0 either way. */
static void epoch_open(struct catalog *c, struct seq *s, int64_t base, int64_t r0, bool record)
{
	s->base = base;
	s->r0 = r0;
	s->limit = 0;
	s->written = 0;
	s->want = 0;
	s->run_out = false;
	s->mark = UINT64_MAX;
	s->jump = false;
	/* cluster mode: nothing until the store grants a segment */
	s->cap = c->clustered ? 0 : UINT64_MAX;
	struct seq_def d;
	s->end = seq_epoch_end(def_view(s, &d), base, s->real_inc);
	struct region_epoch e = {
		.seq_id = s->id,
		.base = base,
		.inc = s->real_inc,
		.limit = 0,
		.end = s->end,
		.refill_mark = UINT64_MAX,
		.flags = slot_flags(s),
	};
	struct region_slot *slot = &c->slots[s->slot];
	c->owner[s->slot] = s;
	region_slot_publish(slot, &e);
	s->gen = atomic_load_explicit(&slot->gen, memory_order_relaxed);
	/* after the slot: a reader that finds the name finds its epoch */
	catalog_index_put(c, s);
	if (record) {
		s->want = s->end < s->ahead ? s->end : s->ahead;
		s->horizon = INT64_MIN; /* force a record even for an empty round */
		mark_dirty(c, s);
	}
}

/* --- records ----------------------------------------------------------------- */

/* s's record as of restart point horizon. */
static void rec_fill(const struct seq *s, int64_t horizon, struct rec_seq *r)
{
	memset(r, 0, offsetof(struct rec_seq, comment));
	r->id = s->id;
	r->horizon = horizon;
	/* the row as MariaDB stores it (a restart reloads that) */
	r->cycle_count = s->row_raw ? s->cycle_count : seq_row_cycle_count(s->cycle_count);
	r->name_len = s->name_len;
	memcpy(r->name, s->name, r->name_len);
	r->cycle = s->row_raw ? s->def.cycle : s->def.cycle != 0;
	r->type = s->def.type;
	r->is_unsigned = s->def.is_unsigned;
	r->start = s->def.start;
	r->minvalue = s->def.minvalue;
	r->maxvalue = s->def.maxvalue;
	r->increment = s->def.increment;
	r->cache = s->def.cache;
	r->epoch_base = s->base;
	r->has_base = true;
	r->comment_len = s->def.comment_len;
	if (s->def.comment_len)
		memcpy(r->comment, s->comment, s->def.comment_len);
}

/* Whether v can be stored in the definition's value type (MariaDB's
 * next_not_cached_value column): BIGINT always, the smaller types within
 * their range. */
static bool in_type(const struct seq_def *def, int64_t v)
{
	static const int bits[] = {[SEQ_TYPE_TINYINT] = 8,
				   [SEQ_TYPE_SMALLINT] = 16,
				   [SEQ_TYPE_MEDIUMINT] = 24,
				   [SEQ_TYPE_INT] = 32};
	if (def->type == SEQ_TYPE_BIGINT || def->type > SEQ_TYPE_INT)
		return true;
	int64_t span = (int64_t)1 << bits[def->type];
	return def->is_unsigned ? v >= 0 && v < span : v >= -span / 2 && v < span / 2;
}

/* Whether the replay accepts a decoded record: a valid definition, and
 *  - REC_SEQ (and REC_SEQ_V2): a restart point and an epoch base its value
 *    type can hold.
 *    Not necessarily within [MINVALUE, MAXVALUE]: MariaDB's SETVAL with a
 *    higher round may put the position below MINVALUE (and hand out values
 *    from there), and MariaDB stores and restarts from it. The daemon never
 *    takes an epoch from the region without the log's word for it
 *    (epoch_adopt), so such a position in a REC_SEQ is MariaDB's, not a
 *    forger's;
 *  - REC_SEQ_V1: a restart point within the definition's bounds (§1.4 rule
 *    7), as always: a daemon before epoch bases could log a forged epoch's
 *    position, and one below MINVALUE is refused rather than resumed from.
 * 0, or -EBADMSG with the reason in why. */
static int rec_check(const struct catalog *c, const struct rec_seq *r, const struct seq_def *def, char *why,
		     size_t len)
{
	char a[32], b[32], v[32];
	if (seq_def_validate(def, def->start, &c->env) < 0) {
		snprintf(why, len,
			 "its definition is invalid (START %s, MINVALUE %s, MAXVALUE %s, INCREMENT %lld)",
			 seq_value_format(def, def->start, v), seq_value_format(def, def->minvalue, a),
			 seq_value_format(def, def->maxvalue, b), (long long)def->increment);
		return -EBADMSG;
	}
	if (!r->has_base) {
		if (seq_def_validate(def, r->horizon, &c->env) == 0)
			return 0;
		snprintf(why, len, "its restart point %s lies outside the sequence's bounds [%s, %s]",
			 seq_value_format(def, r->horizon, v), seq_value_format(def, def->minvalue, a),
			 seq_value_format(def, def->maxvalue, b));
		return -EBADMSG;
	}
	const char *what = !in_type(def, r->horizon)	  ? "restart point"
			   : !in_type(def, r->epoch_base) ? "epoch base"
							  : NULL;
	if (!what)
		return 0;
	snprintf(why, len, "its %s %s lies outside what its type (%s) can hold", what,
		 seq_value_format(def, what[0] == 'r' ? r->horizon : r->epoch_base, v),
		 seq_type_name(def->type, def->is_unsigned));
	return -EBADMSG;
}

static void set_broken(struct catalog *c, struct seq *s, bool broken)
{
	if (broken != s->broken)
		c->nbroken += broken ? 1 : (uint64_t)-1;
	s->broken = broken;
}

/* Append s's record, never one that the replay would reject (that would
 * refuse every later start): it is decoded and checked exactly as the
 * replay will. A record that fails is not written and its sequence is
 * "broken": it hands out no new window (refills answer -EIO) until a
 * statement gives it a valid state; the log keeps its last good record.
 * 0, -EINVAL (refused), or the wal's error. */
static int rec_append_seq(struct catalog *c, struct seq *s, int64_t horizon)
{
	struct rec_seq r, back;
	struct seq_def def;
	unsigned char buf[REC_SEQ_MAX];
	char why[256];
	const char *bad;
	rec_fill(s, horizon, &r);
	uint32_t len = rec_seq_encode(&r, buf);
	if (rec_seq_decode(buf, len, REC_SEQ, &back, &bad) < 0) {
		snprintf(why, sizeof(why), "%s", bad);
	} else if (rec_seq_def(&back, &def), rec_check(c, &back, &def, why, sizeof(why)) == 0) {
		set_broken(c, s, false);
		c->records++;
		return wal_append(c->wal, REC_SEQ, buf, len, NULL);
	}
	if (!s->broken)
		say("refusing to log sequence '%s': the replay would reject the record (%s); it hands out no "
		    "new values until a statement gives it a valid state, and the log keeps its last good "
		    "record",
		    s->name, why);
	set_broken(c, s, true);
	return -EINVAL;
}

static int rec_append_drop(struct catalog *c, const struct seq *s)
{
	c->statement = true;
	struct rec_drop d = {.id = s->id, .name_len = s->name_len};
	unsigned char buf[REC_DROP_MAX];
	memcpy(d.name, s->name, d.name_len);
	uint32_t len = rec_drop_encode(&d, buf);
	c->records++;
	return wal_append(c->wal, REC_DROP, buf, len, NULL);
}

/* The restart point after `ticks` more values than horizon h, wrapping into
 * the next round of a CYCLE sequence (or the beyond-the-end sentinel). */
static void skip_ahead(struct catalog *c, struct seq *s, uint64_t ticks)
{
	struct seq_def d;
	s->horizon = seq_skip_ahead(def_view(s, &d), &c->env, s->horizon, ticks, &s->cycle_count);
}

/* Whether a record keeps s in the same definition and round, so that the
 * positions it records compare with the ones before (for far). */
static bool same_course(const struct seq *s, const struct seq_def *def, int64_t cycle_count)
{
	return s->def.type == def->type && s->def.is_unsigned == def->is_unsigned &&
	       s->def.minvalue == def->minvalue && s->def.maxvalue == def->maxvalue &&
	       s->def.increment == def->increment && s->cycle_count == cycle_count;
}

/* A record the replay cannot take. Without --accept-log-damage the start is
 * refused (why is kept for the daemon's message). With it the record is
 * dropped and said, and nothing it may have covered is handed out again:
 *  - a sequence it belonged to keeps its state from before it and is marked
 *    damaged: catalog_start() resumes it beyond the furthest position the
 *    log recorded for it in its definition and round, the dropped record's
 *    own included — a position past the end of the round exhausts it, one
 *    before its start covered no value in bounds — or, when the dropped
 *    record was of another definition or round, beyond what a lost record
 *    could have reserved as well (as for WAL_TAIL_LOST);
 *  - a sequence the record would have created is not restored, and what its
 *    record said is logged;
 *  - a record that cannot even be decoded (r and def NULL) may have been
 *    anyone's: with lost_all, every sequence is skipped as for a lost record;
 *    without (a malformed drop record), nothing is lost by keeping them. */
static int replay_reject(struct catalog *c, uint64_t lsn, const char *why, const struct rec_seq *r,
			 const struct seq_def *def, bool lost_all)
{
	char what[160] = "";
	if (r)
		snprintf(what, sizeof(what), " of sequence '%.*s' (id %llu)", (int)r->name_len, r->name,
			 (unsigned long long)r->id);
	if (!c->accept_damage) {
		snprintf(c->replay_why, sizeof(c->replay_why),
			 "the record%s cannot be replayed: %s. Restore the data directory from a backup, or "
			 "start "
			 "once with --accept-log-damage: records the replay rejects are then dropped and "
			 "listed, "
			 "each sequence they belonged to keeps its last good state and resumes beyond the "
			 "furthest "
			 "position the log recorded for it (a gap, never a value handed out again), and a "
			 "snapshot puts the damage behind the next start",
			 what, why);
		return -EBADMSG;
	}
	bool loud = ++c->dropped <= SAY_MAX;
	if (!r) {
		if (loud)
			say("--accept-log-damage: dropped log record LSN %llu: %s%s", (unsigned long long)lsn,
			    why, lost_all ? "; every sequence skips past what it could have reserved" : "");
		if (lost_all)
			for_each_seq(c, t) t->damaged = t->lost = true;
		return 0;
	}
	const char *name = r->name;
	struct seq *s = catalog_find(c, name);
	if (s && s->id == r->id) {
		struct seq_def d;
		def_view(s, &d);
		/* the dropped position counts when it is one of s's */
		if (!same_course(s, def, r->cycle_count))
			s->lost = true;
		else if (seq_past_end(&d, s->real_inc, r->horizon))
			s->far = seq_step(&d, s->real_inc > 0 ? d.maxvalue : d.minvalue, s->real_inc);
		else if (seq_def_validate(&d, r->horizon, &c->env) == 0 &&
			 seq_before(&d, s->real_inc, s->far, r->horizon))
			s->far = r->horizon;
		s->damaged = true;
		if (loud)
			say("--accept-log-damage: dropped log record LSN %llu of sequence '%s': %s; '%s' "
			    "keeps its "
			    "state from before it and resumes beyond every position its records reached",
			    (unsigned long long)lsn, name, why, name);
		return 0;
	}
	if (loud) {
		char st[32], mn[32], mx[32], h[32];
		say("--accept-log-damage: dropped log record LSN %llu of sequence '%s' (id %llu): %s; that "
		    "sequence is not restored%s. Its record said: START %s MINVALUE %s MAXVALUE %s INCREMENT "
		    "%lld "
		    "CACHE %lld %sCYCLE, round %lld, restart point %s; create it again by hand beyond every "
		    "value it "
		    "handed out",
		    (unsigned long long)lsn, name, (unsigned long long)r->id, why,
		    s ? " (the older sequence of that name is kept)" : "",
		    seq_value_format(def, def->start, st), seq_value_format(def, def->minvalue, mn),
		    seq_value_format(def, def->maxvalue, mx), (long long)def->increment,
		    (long long)def->cache, def->cycle ? "" : "NO", (long long)r->cycle_count,
		    seq_value_format(def, r->horizon, h));
	}
	return 0;
}

int catalog_replay(void *ctx, uint16_t type, const void *payload, uint32_t len, uint64_t lsn)
{
	struct catalog *c = ctx;
	if (type == WAL_TAIL_LOST) {
		/* The log's last record is lost and may have been acknowledged.
		 * A refill record moves a horizon by at most RECORD_STRIDE(s)
		 * values (catalog_prepare caps it), so skipping that far on
		 * every sequence covers whatever it reserved. */
		for_each_seq(c, s) skip_ahead(c, s, RECORD_STRIDE(s));
		/* the skip is in memory only and the lost record is cleared:
		 * the daemon makes it durable before serving (replay_and_start) */
		c->tail_lost = true;
		return 0;
	}
	if (type == REC_NOP)
		return 0;
	if (type == REC_DROP || type == REC_DROP_V1) {
		struct rec_drop d;
		const char *bad;
		char why[160];
		if (rec_drop_decode(payload, len, type, &d, &bad) < 0) {
			snprintf(why, sizeof(why), "%s (the sequence it dropped, if any, is kept)", bad);
			return replay_reject(c, lsn, why, NULL, NULL, false);
		}
		struct seq *s = catalog_find(c, d.name);
		if (s && s->id == d.id) {
			names_del(c, s);
			seq_free(s);
		}
		return 0;
	}
	if (type != REC_SEQ && type != REC_SEQ_V2 && type != REC_SEQ_V1) {
		char why[96];
		snprintf(why, sizeof(why), "unknown record type %u (written by a newer shmseq?)",
			 (unsigned)type);
		return replay_reject(c, lsn, why, NULL, NULL, true);
	}
	struct rec_seq r;
	struct seq_def def;
	char why[256];
	const char *bad;
	if (rec_seq_decode(payload, len, type, &r, &bad) < 0)
		return replay_reject(c, lsn, bad, NULL, NULL, true);
	rec_seq_def(&r, &def);
	if (rec_check(c, &r, &def, why, sizeof(why)) < 0)
		return replay_reject(c, lsn, why, &r, &def, false);
	const char *name = r.name;
	struct seq *s = catalog_find(c, name);
	if (s && s->id != r.id) {
		names_del(c, s);
		seq_free(s);
		s = NULL;
	}
	bool same = s && same_course(s, &def, r.cycle_count);
	if (!s) {
		s = seq_alloc(name);
		if (!s)
			return -ENOMEM;
		s->id = r.id;
		if (names_add(c, s) < 0) {
			seq_free(s);
			return -ENOMEM;
		}
	}
	if (seq_set_def(c, s, &def) < 0)
		return -ENOMEM;
	s->cycle_count = r.cycle_count;
	s->horizon = r.horizon;
	s->row_raw = true; /* the row as stored, until the next write */
	s->floor = r.epoch_base;
	s->has_floor = r.has_base;
	if (!same || seq_before(&def, s->real_inc, s->far, r.horizon))
		s->far = r.horizon;
	if (r.id >= c->next_id)
		c->next_id = r.id + 1;
	return 0;
}

/* A value as a wide integer in its type's domain. */
static __int128 wide(const struct seq_def *def, int64_t v)
{
	return def->is_unsigned ? (__int128)(uint64_t)v : (__int128)v;
}

/* Adopt the epoch a crashed predecessor left in s's slot, if every check
 * holds: then clients carry on where they were, without a gap. The slot is
 * untrusted (any process that may write the region may have forged it), so
 * the epoch must be the one the log knows, not merely a consistent one:
 *  - not mid-update, and a limit published (a new epoch's first record was
 *    durable);
 *  - its base is the epoch base of the sequence's last record (the floor
 *    the log knows for this epoch: a REC_SEQ_V1 has none, and then nothing
 *    is adopted), a position of the definition, on its lattice (aligned);
 *  - the increment, flags and end of round the recovered definition gives
 *    for that base, so every published value base + n·inc is in bounds;
 *  - a published limit that the durable horizon covers (the write-ahead
 *    invariant the predecessor kept).
 * NULL when adopted; else why not (*odd: a reason a forged slot gives, as
 * opposed to a crash's ordinary leftovers). */
static const char *epoch_adopt(struct catalog *c, struct seq *s, struct region_slot *slot, bool *odd)
{
	struct seq_def d;
	const struct seq_def *def = def_view(s, &d);
	uint64_t g = atomic_load_explicit(&slot->gen, memory_order_acquire);
	int64_t base = atomic_load_explicit(&slot->base, memory_order_relaxed);
	int64_t inc = atomic_load_explicit(&slot->inc, memory_order_relaxed);
	uint64_t limit = atomic_load_explicit(&slot->limit, memory_order_relaxed);
	uint64_t end = atomic_load_explicit(&slot->end, memory_order_relaxed);
	uint64_t mark = atomic_load_explicit(&slot->refill_mark, memory_order_relaxed);
	uint32_t flags = atomic_load_explicit(&slot->flags, memory_order_relaxed);
	*odd = false;
	if (g & 1)
		return "it was left mid-update";
	if (limit == 0)
		return "its epoch was not durable yet";
	if (!s->has_floor)
		return "its last record predates recorded epoch bases";
	*odd = true;
	if (base != s->floor)
		return "its base is not the epoch base the log recorded";
	if (seq_def_validate(def, base, &c->env) < 0 || seq_align(def, &c->env, base) != base)
		return "its base is not a position of the definition";
	if (inc != s->real_inc || flags != slot_flags(s))
		return "its increment or flags differ from the definition";
	if (limit > end || end != seq_epoch_end(def, base, inc))
		return "its end of round does not match the definition";
	int64_t last = seq_epoch_value(base, inc, limit - 1);
	if (!seq_before(def, inc, last, s->horizon))
		return "it publishes values the log does not cover";
	/* tickets the durable horizon covers: the first n whose value is not
	 * before it */
	__int128 dist = wide(def, s->horizon) - wide(def, base);
	__int128 n = inc > 0 ? (dist + inc - 1) / inc : (-dist + (-(__int128)inc) - 1) / (-(__int128)inc);
	uint64_t written = n >= (__int128)end ? end : (uint64_t)n;
	if (written < limit)
		return "it publishes values the log does not cover";
	if (atomic_load_explicit(&slot->gen, memory_order_acquire) != g) {
		*odd = false;
		return "it changed while it was checked";
	}
	s->mark = mark;
	s->base = base;
	s->r0 = base; /* the logical block restarts here, as after MariaDB's reload */
	s->end = end;
	s->limit = limit;
	s->written = written;
	s->cap = c->clustered ? written : UINT64_MAX;
	s->want = 0;
	s->gen = g;
	return NULL;
}

static int cmp_seq_id(const void *a, const void *b)
{
	const struct seq *x = *(struct seq *const *)a, *y = *(struct seq *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int catalog_start(struct catalog *c, bool adopt, uint64_t *adopted, char *err, size_t errlen)
{
	struct seq *s;
	struct seq_def d;
	uint64_t refused = 0, damaged = 0;
	*adopted = 0;
	/* Sequences a dropped record belonged to (--accept-log-damage): beyond
	 * the furthest position their records reached (and as far as a lost
	 * record could have reserved, when the dropped one's reach is unknown);
	 * never adopted. */
	for_each_seq(c, t)
	{
		if (!t->damaged)
			continue;
		def_view(t, &d);
		if (seq_before(&d, t->real_inc, t->horizon, t->far))
			t->horizon = t->far;
		if (t->lost)
			skip_ahead(c, t, RECORD_STRIDE(t));
		t->has_floor = false;
		t->damaged = t->lost = false;
		if (++damaged <= SAY_MAX) {
			char h[32];
			say("--accept-log-damage: sequence '%s' resumes at %s, round %lld", t->name,
			    seq_value_format(&d, t->horizon, h), (long long)t->cycle_count);
		}
	}
	if (c->dropped)
		say("--accept-log-damage: %llu log records dropped, %llu sequences moved beyond them",
		    (unsigned long long)c->dropped, (unsigned long long)damaged);
	struct seq **byid = calloc(c->count ? c->count : 1, sizeof(*byid));
	if (!byid)
		return -ENOMEM;
	uint64_t n = 0;
	for_each_seq(c, t)
	{
		t->slot = UINT32_MAX;
		byid[n++] = t;
	}
	qsort(byid, n, sizeof(*byid), cmp_seq_id);
	if (adopt) {
		uint64_t used = c->region->slots_used < c->nslots ? c->region->slots_used : c->nslots;
		for (uint64_t i = 0; i < used; i++) {
			struct region_slot *slot = &c->slots[i];
			struct seq key = {.id = atomic_load_explicit(&slot->seq_id, memory_order_relaxed)};
			struct seq *kp = &key, **hit = NULL;
			if (key.id)
				hit = bsearch(&kp, byid, n, sizeof(*byid), cmp_seq_id);
			if (!hit || (*hit)->slot != UINT32_MAX) {
				/* dropped, never durable, or a duplicate: free it */
				region_slot_freeze(slot);
				region_slot_clear(slot);
				continue;
			}
			s = *hit;
			s->slot = (uint32_t)i;
			c->owner[i] = s;
			bool odd;
			const char *why = epoch_adopt(c, s, slot, &odd);
			if (!why) {
				(*adopted)++;
			} else {
				if (odd && ++refused <= SAY_MAX)
					say("not adopting the slot of sequence '%s': %s (base %lld, the "
					    "log's epoch "
					    "base %lld); it resumes from its durable floor",
					    s->name, why,
					    (long long)atomic_load_explicit(&slot->base,
									    memory_order_relaxed),
					    (long long)s->floor);
				/* the same slot, so handles stay valid; from the restart floor */
				region_slot_freeze(slot);
				epoch_open(c, s, seq_align(def_view(s, &d), &c->env, s->horizon), s->horizon,
					   false);
			}
		}
		c->next_unused = used;
		for (uint64_t i = used; i-- > 0;)
			if (!c->owner[i])
				slot_release(c, (uint32_t)i);
		if (refused)
			say("%llu slots disagreed with the log and were not adopted",
			    (unsigned long long)refused);
	} else {
		c->region->slots_used = 0;
	}
	int r = 0;
	for (uint64_t i = 0; i < n && r == 0; i++) {
		s = byid[i];
		if (s->slot != UINT32_MAX)
			continue;
		if (slot_alloc(c, &s->slot) < 0) {
			snprintf(err, errlen,
				 "the data directory holds more sequences than the region has slots "
				 "(%llu); start with a larger --max-sequences",
				 (unsigned long long)c->nslots);
			r = -ENOSPC;
			break;
		}
		/* restart floor: MariaDB reloads from next_not_cached_value */
		epoch_open(c, s, seq_align(def_view(s, &d), &c->env, s->horizon), s->horizon, false);
	}
	free(byid);
	/* a predecessor's index may name what is gone and misses the adopted */
	if (adopt && r == 0)
		index_rebuild(c);
	return r;
}

/* --- slots a scribbler changed -------------------------------------------------- */

bool catalog_check_slot(struct catalog *c, struct seq *s)
{
	struct region_slot *slot = &c->slots[s->slot];
	const char *what = NULL;
	uint64_t is = 0, was = 0;
#define SLOT_DIFFERS(field, expect, name)                                                                    \
	do {                                                                                                 \
		uint64_t v_ = (uint64_t)atomic_load_explicit(&slot->field, memory_order_relaxed);            \
		if (!what && v_ != (uint64_t)(expect)) {                                                     \
			what = name;                                                                         \
			is = v_;                                                                             \
			was = (uint64_t)(expect);                                                            \
		}                                                                                            \
	} while (0)
	SLOT_DIFFERS(gen, s->gen, "generation");
	SLOT_DIFFERS(seq_id, s->id, "sequence id");
	SLOT_DIFFERS(base, s->base, "base");
	SLOT_DIFFERS(inc, s->real_inc, "increment");
	SLOT_DIFFERS(limit, s->limit, "limit");
	SLOT_DIFFERS(end, s->end, "end of round");
	SLOT_DIFFERS(refill_mark, s->mark, "refill mark");
	SLOT_DIFFERS(flags, slot_flags(s), "flags");
#undef SLOT_DIFFERS
	if (!what && s->limit < s->end) {
		/* the clients' own counter: only one far past the window is
		 * impossible (each waiting thread holds one ticket there) */
		uint64_t t = atomic_load_explicit(&slot->ticks, memory_order_relaxed);
		if (t > s->limit && t - s->limit > TICKS_SLACK) {
			what = "ticket counter";
			is = t;
			was = s->limit;
		}
	}
	if (!what)
		return false;
	uint64_t used = epoch_close(c, s);
	epoch_republish(c, s, used);
	c->repairs++;
	if (c->repairs <= SAY_MAX || (c->repairs & (c->repairs - 1)) == 0)
		say("slot %u of sequence '%s' disagreed with the catalog (%s %#llx, published %#llx): "
		    "repaired "
		    "under a new generation, %llu tickets of its epoch counted as taken (%llu repairs so "
		    "far)",
		    s->slot, s->name, what, (unsigned long long)is, (unsigned long long)was,
		    (unsigned long long)used, (unsigned long long)c->repairs);
	return true;
}

bool catalog_take_refused(struct catalog *c)
{
	bool r = c->refused;
	c->refused = false;
	return r;
}

/* --- batches ------------------------------------------------------------------- */

int catalog_prepare(struct catalog *c)
{
	int r = 0;
	for (struct seq *s = c->dirty; s; s = s->next_dirty) {
		bool force = s->horizon == INT64_MIN;
		if (!force && s->want <= s->written)
			continue;
		uint64_t target = s->written;
		if (__builtin_add_overflow(target, s->ahead, &target))
			target = UINT64_MAX;
		if (target < s->want)
			target = s->want;
		/* one record moves the horizon by at most RECORD_STRIDE: the
		 * bound a lost last record costs (WAL_TAIL_LOST); tickets beyond
		 * wait for the next batch. Except a jump (a repaired slot had
		 * tickets beyond the log handed out): it covers them at once,
		 * and is written as a statement's record, never the last. */
		if (target - s->written > RECORD_STRIDE(s) && !s->jump)
			target = s->written + RECORD_STRIDE(s);
		if (target > s->end)
			target = s->end;
		if (target > s->cap)
			target = s->cap; /* cluster mode: the segment's end */
		/* a refill record: tickets of the epoch were taken, and
		 * MariaDB wrote the row at the first of them */
		if (!force)
			row_written(s);
		int64_t h = horizon_at(s, target);
		int e = rec_append_seq(c, s, h);
		if (e < 0) {
			/* a statement whose record is refused is not acknowledged */
			if (e == -EINVAL && force)
				c->refused = true;
			r = e;
			continue;
		}
		if (force || s->jump)
			c->statement = true;
		s->jump = false;
		s->written = target;
		s->horizon = h;
	}
	/* A statement's record is never the log's last: a damaged last record
	 * is taken for a refill (WAL_TAIL_LOST skips ahead), which would lose
	 * an acknowledged statement and could reissue values after a SETVAL or
	 * RESTART. Followed by this record in the same sync, damage to it is
	 * damage in the middle, and refused. */
	if (c->statement && r == 0) {
		c->records++;
		r = wal_append(c->wal, REC_NOP, NULL, 0, NULL);
	}
	c->statement = false;
	return r;
}

void catalog_publish(struct catalog *c)
{
	bool failed = wal_failed(c->wal);
	if (!failed) {
		for (uint64_t i = 0; i < c->nreleased; i++)
			slot_release(c, c->released[i]);
		c->nreleased = 0;
	}
	struct seq *s = c->dirty;
	c->dirty = NULL;
	while (s) {
		struct seq *next = s->next_dirty;
		s->dirty = false;
		s->next_dirty = NULL;
		/* fail closed: nothing new is published after a write error */
		if (!failed && s->written > s->limit) {
			struct region_slot *slot = &c->slots[s->slot];
			uint64_t mark = UINT64_MAX;
			/* The ticket that asks for the next window (a nudge):
			 * halfway through this one while windows still grow;
			 * an eighth of the way once it is as large as it gets
			 * (a hot sequence: a window that emptied in less than
			 * a refill's time would only empty as fast again, so
			 * the refill gets 7/8 of it to become durable; what a
			 * crash skips stays under two reserve-aheads). 0
			 * (already taken: no nudge) in the window that cannot
			 * hold the distance. */
			uint64_t back = s->ahead >= s->ahead_max ? s->ahead - s->ahead / MARK_EARLY_DIV
								 : s->ahead / 2;
			if (s->ahead >= 2 && s->written < s->end &&
			    __builtin_sub_overflow(s->written, back, &mark))
				mark = 0;
			s->limit = s->written;
			s->mark = mark;
			region_slot_extend(slot, s->limit, mark);
		}
		s = next;
	}
}

/* --- statements ------------------------------------------------------------------ */

static struct seq *seq_new(struct catalog *c, const char *name, const struct seq_def *def)
{
	struct seq *s = seq_alloc(name);
	if (!s || seq_set_def(c, s, def) < 0) {
		if (s)
			seq_free(s);
		errno = ENOMEM;
		return NULL;
	}
	if (slot_alloc(c, &s->slot) < 0) {
		seq_free(s);
		errno = ENOSPC;
		return NULL;
	}
	s->id = c->next_id++;
	return s;
}

/* Remove s: its slot emptied now, released once the batch is durable. With
 * record, a drop record is appended; without, the caller's record replaces
 * it (a REC_SEQ of the same name and a new id drops it on replay). */
static int seq_remove(struct catalog *c, struct seq *s, bool record)
{
	epoch_close(c, s);
	region_slot_clear(&c->slots[s->slot]);
	/* after the slot: a reader that still finds the name finds no epoch */
	index_del(c, s);
	c->owner[s->slot] = NULL;
	names_del(c, s);
	int r = record ? rec_append_drop(c, s) : 0;
	if (s->dirty) {
		/* unlink from the dirty list */
		struct seq **pp = &c->dirty;
		while (*pp && *pp != s)
			pp = &(*pp)->next_dirty;
		if (*pp)
			*pp = s->next_dirty;
	}
	/* the slot is reused only once the drop is durable (catalog_publish) */
	u32_push(&c->released, &c->nreleased, &c->released_cap, s->slot);
	set_broken(c, s, false);
	seq_free(s);
	return r;
}

int catalog_create(struct catalog *c, const char *name, const struct seq_options *opt, uint32_t flags,
		   int32_t *note, struct seq_notes *notes)
{
	*note = 0;
	if ((flags & WIRE_DDL_OR_REPLACE) && (flags & WIRE_DDL_IF_NOT_EXISTS))
		return -SHMSEQ_ERR_WRONG_USAGE;
	if (wal_failed(c->wal))
		return -EIO;
	struct seq *old = catalog_find(c, name);
	if (old && !(flags & WIRE_DDL_OR_REPLACE)) {
		if (flags & WIRE_DDL_IF_NOT_EXISTS) {
			*note = SHMSEQ_ERR_TABLE_EXISTS;
			return 0;
		}
		return -SHMSEQ_ERR_TABLE_EXISTS;
	}
	struct seq_def def;
	int64_t next;
	int r = seq_def_create(opt, &c->env, &def, &next, notes);
	if (r < 0)
		return r; /* an invalid replacement leaves the old one untouched */
	if (!old && c->next_unused >= c->nslots && c->nfree == 0)
		return -ENOSPC;
	/* OR REPLACE writes no drop record: the new sequence's one record
	 * replaces the old on replay, so a crash leaves either the old or the
	 * new, never neither (a drop record written at once and the create's
	 * at the end of the batch could be split by a kill). */
	if (old)
		seq_remove(c, old, false);
	struct seq *s = seq_new(c, name, &def);
	if (!s)
		return -errno;
	names_add(c, s);
	s->cycle_count = 0;
	epoch_open(c, s, seq_align(&def, &c->env, next), next, true);
	return 0;
}

int catalog_alter(struct catalog *c, const char *name, const struct seq_options *opt, uint32_t flags,
		  int32_t *note, struct seq_notes *notes)
{
	*note = 0;
	struct seq *s = catalog_find(c, name);
	if (!s) {
		if (flags & WIRE_DDL_IF_EXISTS) {
			*note = SHMSEQ_ERR_UNKNOWN_SEQUENCE;
			return 0;
		}
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	}
	if (wal_failed(c->wal))
		return -EIO;
	uint64_t used = epoch_close(c, s);
	struct seq_live l;
	epoch_logical(c, s, used, &l);
	struct seq_def cur, def;
	int64_t next;
	def_full(s, &cur);
	int r = seq_def_alter(&cur, l.reserved_until, opt, &c->env, &def, &next, notes);
	if (r == 0)
		r = seq_set_def(c, s, &def);
	if (r < 0) {
		epoch_reopen(c, s, used);
		return r;
	}
	s->cycle_count = 0; /* every ALTER resets the round (§5.2 rule 5) */
	s->row_raw = false; /* and writes the row */
	epoch_open(c, s, seq_align(&def, &c->env, next), next, true);
	return 0;
}

int catalog_drop(struct catalog *c, const char *name)
{
	struct seq *s = catalog_find(c, name);
	if (!s)
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	if (wal_failed(c->wal))
		return -EIO;
	return seq_remove(c, s, true);
}

int catalog_setval(struct catalog *c, const char *name, int64_t v, bool is_used, uint64_t round)
{
	struct seq *s = catalog_find(c, name);
	if (!s)
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	if (wal_failed(c->wal))
		return -EIO;
	uint64_t used = epoch_close(c, s);
	struct seq_live l;
	epoch_logical(c, s, used, &l);
	int64_t before_next = l.next_free, before_count = l.cycle_count;
	bool wrote;
	int r = seq_live_setval(&l, &c->env, v, is_used, round, &wrote);
	if (r <= 0 || (l.next_free == before_next && l.cycle_count == before_count)) {
		epoch_reopen(c, s, used);
		return r;
	}
	s->cycle_count = l.cycle_count;
	if (wrote)
		row_written(s);
	epoch_open(c, s, l.next_free, l.reserved_until, true);
	return 1;
}

int catalog_insert(struct catalog *c, const char *name, const struct seq_row *row)
{
	struct seq *s = catalog_find(c, name);
	if (!s)
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	if (wal_failed(c->wal))
		return -EIO;
	struct seq_def def;
	def_full(s, &def);
	def.minvalue = row->minimum_value;
	def.maxvalue = row->maximum_value;
	def.start = row->start_value;
	def.increment = row->increment;
	def.cache = row->cache_size;
	/* cycle_option is a tinyint unsigned: any non-zero value means CYCLE
	 * and SELECT shows it back as stored; cycle_count may be negative */
	if (row->cycle_option < 0 || row->cycle_option > UINT8_MAX)
		return -SHMSEQ_ERR_INVALID_DATA;
	def.cycle = (uint8_t)row->cycle_option;
	if (seq_def_validate(&def, row->next_not_cached_value, &c->env) < 0)
		return -SHMSEQ_ERR_INVALID_DATA;
	uint64_t used = epoch_close(c, s);
	if (seq_set_def(c, s, &def) < 0) {
		epoch_reopen(c, s, used);
		return -ENOMEM;
	}
	s->cycle_count = row->cycle_count;
	s->row_raw = true; /* shown as inserted until the row is written again */
	epoch_open(c, s, seq_align(&def, &c->env, row->next_not_cached_value), row->next_not_cached_value,
		   true);
	return 0;
}

int catalog_refill(struct catalog *c, uint32_t slot, uint64_t id, uint64_t gen, uint64_t n, bool blocking)
{
	if (wal_failed(c->wal))
		return -EIO; /* fail closed: no new window will ever be durable */
	struct seq *s = slot < c->nslots ? c->owner[slot] : NULL;
	if (!s || s->id != id)
		return 0; /* the client re-checks and finds its ticket void */
	/* a client stuck on a scribbled slot asks here: repaired, its ticket
	 * is void and its next one good */
	catalog_check_slot(c, s);
	if (s->broken)
		return -EIO; /* its record was refused: no new window */
	if (s->gen != gen)
		return 0;
	s->refills++;
	c->refills++;
	s->waits += blocking;
	c->waits += blocking;
	uint64_t want = n;
	if (blocking) {
		if (__builtin_add_overflow(n, 1, &want))
			want = UINT64_MAX;
		/* the window ran dry while someone waited: reserve further */
		uint64_t twice;
		if (s->ahead < s->ahead_max && n >= s->limit)
			s->ahead = __builtin_mul_overflow(s->ahead, 2, &twice) || twice > s->ahead_max
					   ? s->ahead_max
					   : twice;
	} else {
		want = s->written + 1; /* a nudge: one more window ahead */
	}
	if (want > s->end)
		want = s->end;
	if (want > s->cap)
		want = s->cap;
	if (want > s->want)
		s->want = want;
	mark_dirty(c, s);
	return 0;
}

int catalog_counters(struct catalog *c, const char *name, uint64_t *refills, uint64_t *waits, uint64_t *taken,
		     uint64_t *reserve)
{
	struct seq *s = catalog_find(c, name);
	if (!s)
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	*refills = s->refills;
	*waits = s->waits;
	/* read, not trusted: a scribbled counter only skews the figure */
	uint64_t used = region_slot_consumed(&c->slots[s->slot]);
	if (used > s->limit)
		used = s->limit;
	*taken = used;
	*reserve = s->limit - used;
	return 0;
}

int catalog_wrap(struct catalog *c, uint32_t slot, uint64_t id, uint64_t gen)
{
	if (wal_failed(c->wal))
		return -EIO;
	struct seq *s = slot < c->nslots ? c->owner[slot] : NULL;
	if (!s || s->id != id)
		return 0;
	catalog_check_slot(c, s);
	if (s->broken)
		return -EIO;
	if (s->gen != gen || !s->def.cycle)
		return 0;
	if (s->limit < s->end) {
		/* tickets before the end are still waiting for their window:
		 * the round ends only when all of it was handed out */
		return catalog_refill(c, slot, id, gen, s->end - 1, true);
	}
	struct seq_def d;
	int64_t start = seq_round_start(def_view(s, &d), &c->env, s->real_inc);
	if (seq_epoch_end(&d, start, s->real_inc) == 0) {
		/* The new round would be empty (INCREMENT 0 whose first aligned
		 * value is past MAXVALUE): MariaDB's second_round run-out. The
		 * epoch stays; its logical state takes that NEXTVAL
		 * (epoch_logical), and every later one answers the same. */
		s->run_out = true;
		return -SHMSEQ_ERR_RUN_OUT;
	}
	epoch_close(c, s);
	/* an unsigned round: 2^63 follows 9223372036854775807 */
	s->cycle_count = (int64_t)((uint64_t)s->cycle_count + 1);
	row_written(s);
	int64_t r0 = s->real_inc > 0 ? s->def.minvalue : s->def.maxvalue;
	epoch_open(c, s, start, r0, true);
	return 0;
}

/* --- cluster mode ---------------------------------------------------------------- */

int catalog_cluster_define(struct catalog *c, const char *name, const struct seq_def *def, int64_t round,
			   uint64_t cl_epoch)
{
	if (wal_failed(c->wal))
		return -EIO;
	struct seq *s = catalog_find(c, name);
	if (s) {
		epoch_close(c, s);
		if (seq_set_def(c, s, def) < 0) {
			epoch_reopen(c, s, 0);
			return -ENOMEM;
		}
	} else {
		s = seq_new(c, name, def);
		if (!s)
			return -errno;
		names_add(c, s);
	}
	s->cycle_count = round;
	s->row_raw = false;
	s->cl_epoch = cl_epoch;
	/* the base is only what the local record shows: in cluster mode a
	 * restart never serves from the local horizon (catalog_start: cap 0) */
	epoch_open(c, s, seq_align(def, &c->env, def->start), def->start, true);
	return 0;
}

void catalog_segment_open(struct catalog *c, struct seq *s, int64_t first, uint64_t n, int64_t round)
{
	epoch_close(c, s);
	s->cycle_count = round;
	row_written(s);
	epoch_open(c, s, first, first, true);
	s->cap = n < s->end ? n : s->end;
	if (s->want > s->cap)
		s->want = s->cap;
}

/* --- reads ------------------------------------------------------------------------ */

int catalog_row(struct catalog *c, const char *name, struct seq_row *row, struct seq_def *def, uint64_t *id,
		uint64_t *ahead)
{
	struct seq *s = catalog_find(c, name);
	if (!s)
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	catalog_check_slot(c, s);
	uint64_t used = region_slot_consumed(&c->slots[s->slot]);
	if (used > s->limit)
		used = s->limit;
	struct seq_live l;
	epoch_logical(c, s, used, &l);
	seq_live_row(&l, row);
	def_full(s, def);
	*id = s->id;
	*ahead = s->ahead_max;
	return 0;
}

static int cmp_seq_name(const void *a, const void *b)
{
	const struct seq *x = *(struct seq *const *)a, *y = *(struct seq *const *)b;
	return strcmp(x->name, y->name);
}

uint32_t catalog_list(struct catalog *c, const char *after, const char **out, uint32_t max, bool *more)
{
	if (!c->list_valid) {
		struct seq **v = realloc(c->sorted, (c->count ? c->count : 1) * sizeof(*v));
		if (!v) {
			*more = false;
			return 0;
		}
		c->sorted = v;
		c->nsorted = 0;
		for_each_seq(c, s) c->sorted[c->nsorted++] = s;
		qsort(c->sorted, c->nsorted, sizeof(*v), cmp_seq_name);
		c->list_valid = true;
	}
	/* binary search for the first name after the cursor */
	uint64_t lo = 0, hi = c->nsorted;
	while (*after && lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->sorted[mid]->name, after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t n = 0;
	for (uint64_t i = lo; i < c->nsorted && n < max; i++)
		out[n++] = c->sorted[i]->name;
	*more = lo + n < c->nsorted;
	return n;
}

int catalog_shutdown(struct catalog *c)
{
	int r = 0;
	struct seq_def d;
	for_each_seq(c, s)
	{
		uint64_t used = epoch_close(c, s);
		/* MariaDB's stored next_not_cached_value (epoch_logical's
		 * reserved_until): at or beyond every value handed out, and the
		 * region stays frozen from here on */
		int64_t reserved = seq_epoch_reserved(def_view(s, &d), s->base, s->r0, s->real_inc, used);
		if (reserved != s->horizon) {
			int e = rec_append_seq(c, s, reserved);
			if (e < 0)
				r = e;
		}
	}
	return r;
}

int catalog_snapshot_next(void *ctx, uint16_t *type, const void **payload, uint32_t *len)
{
	struct catalog_iter *ci = ctx;
	struct catalog *c = ci->c;
	while (!ci->next && ci->bucket < c->nbuckets)
		ci->next = cds_hlist_entry_safe(c->buckets[ci->bucket++].next, struct seq, hnode);
	struct seq *s = ci->next;
	if (!s)
		return 0;
	ci->next = cds_hlist_entry_safe(s->hnode.next, struct seq, hnode);
	*type = REC_SEQ;
	rec_fill(s, s->horizon, &ci->rec);
	*len = rec_seq_encode(&ci->rec, ci->buf);
	*payload = ci->buf;
	return 1;
}
