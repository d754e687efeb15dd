/* SPDX-License-Identifier: MIT */
/* segment.c — segments granted by the store (segment.h has the contract). */
#include "segment.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shmseq.h"

/* Txns lost for this long, from the grant's first lost one, then -EAGAIN:
 * ask again later. Counted from that first loss, not from the grant's
 * start: a grant that waited for a paused or electing store (an unknown
 * outcome, a re-read) and then lost one Txn has not been outrun by
 * others for 2 s. */
#define CONFLICT_NS 2000000000ll
#define UNKNOWN_MAX 3 /* unknown outcomes in a row, then -EHOSTUNREACH */

/* --- the arithmetic ------------------------------------------------------- */

/* A value in an order that holds for every type: BIGINT UNSIGNED travels as
 * its bit pattern. */
static __int128 wv(const struct seq_def *def, int64_t v)
{
	return def->is_unsigned ? (__int128)(uint64_t)v : (__int128)v;
}

/* Fence f's bounds in that order. */
static void fence_bounds(const struct seq_def *def, const struct seg_fence *f, __int128 *lo, __int128 *hi)
{
	__int128 a = wv(def, f->lo), b = wv(def, f->hi);
	*lo = a < b ? a : b;
	*hi = a < b ? b : a;
}

int seg_plan(const struct seq_def *def, const struct seq_env *env, const struct seg_pos *pos, uint64_t want,
	     struct segment *seg, struct seg_pos *after)
{
	int64_t inc = seq_real_increment(def, env);
	struct seg_pos p = *pos;
	if (want == 0 || inc == 0)
		return -EINVAL;
	uint64_t left = p.end ? 0 : seq_epoch_end(def, p.next, inc);
	if (left && seq_align(def, env, p.next) != p.next)
		return -EINVAL;
	if (left == 0) {
		/* the round is used up */
		if (!def->cycle) {
			*after = p;
			after->end = true;
			return -SHMSEQ_ERR_RUN_OUT;
		}
		p.round = (int64_t)((uint64_t)p.round + 1);
		p.next = seq_round_start(def, env, inc);
		p.end = false;
		p.nfences = 0; /* a fence ends with its round */
		left = seq_epoch_end(def, p.next, inc);
		if (left == 0) {
			/* an empty round (INCREMENT 0 aligned past MAXVALUE) */
			*after = *pos;
			after->end = true;
			return -SHMSEQ_ERR_RUN_OUT;
		}
	}
	/* step over the fences: out of one, then stop short of the next */
	for (unsigned k = 0; k <= p.nfences && left; k++) {
		bool moved = false;
		for (unsigned i = 0; i < p.nfences && left; i++) {
			__int128 lo, hi, v = wv(def, p.next);
			fence_bounds(def, &p.fences[i], &lo, &hi);
			__int128 past = inc > 0 ? hi + 1 : lo - 1;
			if (v < lo || v > hi)
				continue;
			/* the first value of the lattice past the fence */
			__int128 steps = (past - v) / inc + ((past - v) % inc != 0);
			if ((unsigned __int128)steps >= left) {
				left = 0;
				break;
			}
			p.next = seq_epoch_value(p.next, inc, (uint64_t)steps);
			left -= (uint64_t)steps;
			moved = true;
		}
		if (!moved)
			break;
	}
	if (left == 0) {
		/* fenced to the round's end */
		*after = p;
		after->end = true;
		if (!def->cycle)
			return -SHMSEQ_ERR_RUN_OUT;
		struct seg_pos q = p;
		q.round = (int64_t)((uint64_t)p.round + 1);
		q.next = seq_round_start(def, env, inc);
		q.end = false;
		q.nfences = 0;
		return seg_plan(def, env, &q, want, seg, after);
	}
	uint64_t cut = left; /* values before the next fence */
	for (unsigned i = 0; i < p.nfences; i++) {
		__int128 lo, hi, v = wv(def, p.next);
		fence_bounds(def, &p.fences[i], &lo, &hi);
		__int128 to = inc > 0 ? lo : hi; /* the fence's near edge */
		if (inc > 0 ? to <= v : to >= v)
			continue;					/* behind us */
		__int128 room = (to - v) / inc + ((to - v) % inc != 0); /* values before it */
		if ((unsigned __int128)room < cut)
			cut = (uint64_t)room;
	}
	uint64_t n = want < cut ? want : cut;
	*seg = (struct segment){.epoch = p.epoch, .round = p.round, .first = p.next, .n = n};
	*after = p;
	if (n < left)
		after->next = seq_epoch_value(p.next, inc, n);
	else
		after->end = true; /* next stays: the round's last grant started there */
	/* fences behind the position are of no more use */
	unsigned k = 0;
	for (unsigned i = 0; i < after->nfences; i++) {
		__int128 lo, hi, v = wv(def, after->next);
		fence_bounds(def, &after->fences[i], &lo, &hi);
		if (!after->end && (inc > 0 ? hi >= v : lo <= v))
			after->fences[k++] = after->fences[i];
	}
	after->nfences = k;
	return 0;
}

/* --- pos as JSON ------------------------------------------------------------ */

int seg_pos_format(const struct seg_pos *p, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "{\"epoch\":\"%llu\",\"round\":\"%lld\",\"next\":\"%lld\"%s",
			 (unsigned long long)p->epoch, (long long)p->round, (long long)p->next,
			 p->end ? ",\"end\":true" : "");
	for (unsigned i = 0; n >= 0 && (size_t)n < cap && i < p->nfences; i++) {
		int k = snprintf(buf + n, cap - (size_t)n, "%s[\"%lld\",\"%lld\",\"%llx\"]",
				 i ? "," : ",\"fences\":[", (long long)p->fences[i].lo,
				 (long long)p->fences[i].hi, (unsigned long long)p->fences[i].tag);
		n = k < 0 ? k : n + k;
	}
	if (n >= 0 && (size_t)n < cap) {
		int k = snprintf(buf + n, cap - (size_t)n, "%s}", p->nfences ? "]" : "");
		n = k < 0 ? k : n + k;
	}
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

uint64_t seg_host_tag(const char *host, size_t len)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)host[i]) * 1099511628211ull;
	return h ? h : 1;
}

unsigned seg_pos_unfence(struct seg_pos *p, bool (*done)(uint64_t tag, void *ctx), void *ctx)
{
	unsigned k = 0, n = p->nfences;
	for (unsigned i = 0; i < n; i++)
		if (!p->fences[i].tag || !done(p->fences[i].tag, ctx))
			p->fences[k++] = p->fences[i];
	p->nfences = k;
	return n - k;
}

void seg_pos_fence(struct seg_pos *p, const struct seq_def *def, int64_t a, int64_t b, uint64_t tag)
{
	struct seg_fence f = {
		.lo = wv(def, a) < wv(def, b) ? a : b, .hi = wv(def, a) < wv(def, b) ? b : a, .tag = tag};
	if (p->nfences < SEG_FENCES_MAX) {
		p->fences[p->nfences++] = f;
		return;
	}
	/* full: widen this host's own fence if it has one (it still comes off
	 * when the host answers), else the last one, which becomes several
	 * hosts' (tag 0) and stays until its round ends */
	struct seg_fence *l = &p->fences[SEG_FENCES_MAX - 1];
	for (unsigned i = 0; tag && i < p->nfences; i++)
		if (p->fences[i].tag == tag)
			l = &p->fences[i];
	__int128 lo, hi;
	fence_bounds(def, l, &lo, &hi);
	l->lo = wv(def, f.lo) < lo ? f.lo : l->lo;
	l->hi = wv(def, f.hi) > hi ? f.hi : l->hi;
	if (l->tag != tag)
		l->tag = 0;
}

bool seg_pos_fence_held(struct seg_pos *p, const struct seq_def *def, const struct seq_env *env,
			const struct seg_held *h, uint64_t tag)
{
	int64_t inc = seq_real_increment(def, env);
	__int128 v = wv(def, p->next), a = wv(def, h->first), b = wv(def, h->last);
	/* of any round: an ALTER starts round 0 again (MariaDB resets
	 * cycle_count), and a host cut off keeps serving the round it holds */
	if (inc == 0 || (inc > 0 ? a < v && b < v : a > v && b > v))
		return false;
	seg_pos_fence(p, def, h->first, h->last, tag);
	return true;
}

/* A JSON string holding a whole number: base 10 and signed, or base 16
 * and unsigned (a tag's bits, in *v as they are). */
static bool str_int(json_object *x, bool hex, int64_t *v)
{
	if (!json_object_is_type(x, json_type_string))
		return false;
	const char *s = json_object_get_string(x);
	char *end;
	errno = 0;
	*v = hex ? (int64_t)strtoull(s, &end, 16) : strtoll(s, &end, 10);
	return *s && !(hex && *s == '-') && !*end && !errno;
}

static bool str_num(json_object *x, int64_t *v)
{
	return str_int(x, false, v);
}

static bool str_hex(json_object *x, uint64_t *v)
{
	int64_t t;
	bool ok = str_int(x, true, &t);
	*v = (uint64_t)t;
	return ok;
}

static bool num_field(json_object *o, const char *k, bool is_unsigned, int64_t *v)
{
	json_object *x;
	if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_string))
		return false;
	const char *s = json_object_get_string(x);
	char *end;
	errno = 0;
	if (is_unsigned) {
		if (*s == '-')
			return false;
		*v = (int64_t)strtoull(s, &end, 10);
	} else {
		*v = strtoll(s, &end, 10);
	}
	return *s && !*end && !errno;
}

/* value, all of it, as one JSON object: 1 and *o (put it after use), 0
 * when it is not one (*o may still need a put), -ENOMEM. */
static int json_whole(const void *value, size_t len, json_object **o)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	*o = json_tokener_parse_ex(tok, value, (int)len);
	bool ok = json_tokener_get_error(tok) == json_tokener_success &&
		  json_tokener_get_parse_end(tok) == len && json_object_is_type(*o, json_type_object);
	json_tokener_free(tok);
	return ok;
}

int seg_pos_parse(const void *value, size_t len, struct seg_pos *p)
{
	json_object *o;
	int w = json_whole(value, len, &o);
	if (w < 0)
		return w;
	bool ok = w == 1;
	int64_t epoch = 0;
	struct seg_pos r = {0};
	json_object *e;
	ok = ok && num_field(o, "epoch", true, &epoch) && num_field(o, "round", false, &r.round) &&
	     num_field(o, "next", false, &r.next);
	if (ok && json_object_object_get_ex(o, "end", &e)) {
		ok = json_object_is_type(e, json_type_boolean);
		r.end = ok && json_object_get_boolean(e);
	}
	if (ok && json_object_object_get_ex(o, "fences", &e)) {
		size_t n = json_object_is_type(e, json_type_array) ? json_object_array_length(e) : 0;
		ok = json_object_is_type(e, json_type_array) && n <= SEG_FENCES_MAX;
		for (size_t i = 0; ok && i < n; i++) {
			json_object *f = json_object_array_get_idx(e, i);
			int64_t lo, hi;
			uint64_t tag = 0;
			ok = json_object_is_type(f, json_type_array) && json_object_array_length(f) == 3 &&
			     str_num(json_object_array_get_idx(f, 0), &lo) &&
			     str_num(json_object_array_get_idx(f, 1), &hi) &&
			     str_hex(json_object_array_get_idx(f, 2), &tag);
			if (ok)
				r.fences[r.nfences++] = (struct seg_fence){lo, hi, tag};
		}
	}
	json_object_put(o);
	if (!ok)
		return -EBADMSG;
	r.epoch = (uint64_t)epoch;
	r.mod_revision = p->mod_revision;
	*p = r;
	return 0;
}

int seg_hold_parse(const void *value, size_t len, struct seg_held held[2])
{
	json_object *o;
	int w = json_whole(value, len, &o);
	if (w < 0)
		return w;
	bool ok = w == 1;
	json_object *a;
	int n = 0;
	/* a hold of an older daemon ({"epoch","round","first","n"}) names no
	 * last value: nothing to fence by */
	if (ok && json_object_object_get_ex(o, "segs", &a)) {
		size_t k = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
		ok = json_object_is_type(a, json_type_array) && k <= 2;
		for (size_t i = 0; ok && i < k; i++) {
			json_object *f = json_object_array_get_idx(a, i);
			int64_t v[4];
			ok = json_object_is_type(f, json_type_array) && json_object_array_length(f) == 4;
			for (size_t j = 0; ok && j < 4; j++)
				ok = str_num(json_object_array_get_idx(f, j), &v[j]);
			if (ok)
				held[n++] = (struct seg_held){
					.epoch = (uint64_t)v[0], .round = v[1], .first = v[2], .last = v[3]};
		}
	}
	json_object_put(o);
	return ok ? n : -EBADMSG;
}

/* --- the grantor ------------------------------------------------------------ */

struct seg_grantor {
	struct store *st;
	char *pos_key, *hold_key;
	const struct seq_def *def;
	const struct seq_env *env;
	struct seg_pos pos;
	uint64_t expect; /* the epoch the caller's definition is of; 0: any */
	struct seg_stats stats;
	/* the grant in flight */
	bool busy;
	bool fresh; /* pos was read during this grant */
	uint64_t want;
	unsigned conflicts, unknown;
	int64_t lost_ns; /* when this grant first lost a Txn (0: not yet) */
	seg_cb cb;
	void *ctx;
	struct seg_pos after;
	struct segment seg;
	struct seg_held prev; /* the last grant (epoch 0: none yet) */
	char pos_text[SEG_POS_TEXT_MAX], hold_text[300];
};

int seg_grantor_new(struct store *st, const char *pos_key, const char *hold_key, const struct seq_def *def,
		    const struct seq_env *env, struct seg_grantor **out)
{
	struct seg_grantor *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->st = st;
	g->def = def;
	g->env = env;
	g->pos_key = strdup(pos_key);
	g->hold_key = hold_key ? strdup(hold_key) : NULL;
	if (!g->pos_key || (hold_key && !g->hold_key)) {
		seg_grantor_free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

void seg_grantor_free(struct seg_grantor *g)
{
	if (!g)
		return;
	free(g->pos_key);
	free(g->hold_key);
	free(g);
}

const struct seg_pos *seg_grantor_pos(const struct seg_grantor *g)
{
	return &g->pos;
}

const struct seg_stats *seg_grantor_stats(const struct seg_grantor *g)
{
	return &g->stats;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void done(struct seg_grantor *g, int status)
{
	g->busy = false;
	g->cb(g->ctx, status, status == 0 ? &g->seg : NULL);
}

static void read_pos(struct seg_grantor *g);
static void txn(struct seg_grantor *g);

/* Take pos from a range answer; an error when there is none or it is not
 * pos's form. */
static int take_pos(struct seg_grantor *g, const struct store_range *r)
{
	if (!r || r->count == 0)
		return -ENOENT;
	const struct store_kv *kv = &r->kvs[0];
	struct seg_pos p = {0};
	if (seg_pos_parse(kv->value, kv->value_len, &p) < 0)
		return -EBADMSG;
	p.mod_revision = kv->mod_revision;
	g->pos = p;
	g->fresh = true;
	return 0;
}

static int store_error(enum store_status s)
{
	return s == STORE_BAD_REPLY			       ? -EBADMSG
	       : s == STORE_REJECTED || s == STORE_AUTH_FAILED ? -EACCES
							       : -EHOSTUNREACH;
}

static void on_read(void *ctx, const struct store_reply *r)
{
	struct seg_grantor *g = ctx;
	g->stats.reads++;
	if (r->status != STORE_OK) {
		done(g, store_error(r->status));
		return;
	}
	int e = take_pos(g, r->nranges ? &r->ranges[0] : NULL);
	if (e < 0) {
		done(g, e);
		return;
	}
	txn(g);
}

static void read_pos(struct seg_grantor *g)
{
	int e = store_range(g->st, g->pos_key, strlen(g->pos_key), NULL, 0, on_read, g);
	if (e < 0)
		done(g, e);
}

static void on_txn(void *ctx, const struct store_reply *r)
{
	struct seg_grantor *g = ctx;
	switch (r->status) {
	case STORE_OK:
		break;
	case STORE_AMBIGUOUS:
	case STORE_BAD_REPLY:
		/* it may have committed: never grant that range again */
		g->stats.ambiguous++;
		g->pos.mod_revision = 0;
		if (++g->unknown > UNKNOWN_MAX) {
			done(g, -EHOSTUNREACH);
			return;
		}
		read_pos(g);
		return;
	default:
		/* nothing was applied */
		done(g, store_error(r->status));
		return;
	}
	g->unknown = 0;
	if (r->succeeded) {
		g->stats.grants++;
		g->prev = (struct seg_held){.epoch = g->seg.epoch,
					    .round = g->seg.round,
					    .first = g->seg.first,
					    .last = seq_epoch_value(g->seg.first,
								    seq_real_increment(g->def, g->env),
								    g->seg.n - 1)};
		g->pos = g->after;
		/* the Txn's puts carry its revision */
		g->pos.mod_revision = r->revision;
		done(g, 0);
		return;
	}
	g->stats.conflicts++;
	int e = take_pos(g, r->nranges ? &r->ranges[0] : NULL);
	if (e < 0) {
		g->pos.mod_revision = 0;
		done(g, e);
		return;
	}
	/* a host that just won asks again first: bounded in time, not in
	 * count, a loser keeps trying while others win */
	g->conflicts++;
	if (g->conflicts > g->stats.max_conflicts)
		g->stats.max_conflicts = g->conflicts;
	int64_t t = now_ns();
	if (!g->lost_ns)
		g->lost_ns = t;
	else if (t - g->lost_ns > CONFLICT_NS) {
		done(g, -EAGAIN);
		return;
	}
	txn(g);
}

void seg_grantor_expect(struct seg_grantor *g, uint64_t epoch)
{
	g->expect = epoch;
}

static void txn(struct seg_grantor *g)
{
	if (g->expect && g->pos.epoch != g->expect) {
		/* pos is of another definition than the caller's: planning with
		 * it would grant with the wrong increment or bounds. What this
		 * grantor saw last may be older than the caller: read it. */
		if (!g->fresh) {
			read_pos(g);
			return;
		}
		done(g, -ESTALE);
		return;
	}
	int e = seg_plan(g->def, g->env, &g->pos, g->want, &g->seg, &g->after);
	if (e == -SHMSEQ_ERR_RUN_OUT && !g->fresh) {
		/* what this host saw may be stale (a statement elsewhere may
		 * have moved pos): run out only on a fresh read */
		read_pos(g);
		return;
	}
	if (e < 0) {
		done(g, e);
		return;
	}
	if (seg_pos_format(&g->after, g->pos_text, sizeof(g->pos_text)) < 0) {
		done(g, -EINVAL);
		return;
	}
	/* the hold: this grant and the one before it (the live segment and
	 * the one granted ahead are among them): what a statement fences */
	int64_t last = seq_epoch_value(g->seg.first, seq_real_increment(g->def, g->env), g->seg.n - 1);
	char prev[120] = "";
	if (g->prev.epoch)
		snprintf(prev, sizeof(prev), "[\"%llu\",\"%lld\",\"%lld\",\"%lld\"],",
			 (unsigned long long)g->prev.epoch, (long long)g->prev.round,
			 (long long)g->prev.first, (long long)g->prev.last);
	snprintf(g->hold_text, sizeof(g->hold_text), "{\"segs\":[%s[\"%llu\",\"%lld\",\"%lld\",\"%lld\"]]}",
		 prev, (unsigned long long)g->seg.epoch, (long long)g->seg.round, (long long)g->seg.first,
		 (long long)last);
	struct store_cmp cmp = {.key = g->pos_key,
				.key_len = strlen(g->pos_key),
				.target = STORE_CMP_MOD,
				.result = STORE_EQUAL,
				.number = g->pos.mod_revision};
	struct store_op ok[2] = {
		{.kind = STORE_OP_PUT,
		 .key = g->pos_key,
		 .key_len = strlen(g->pos_key),
		 .value = g->pos_text,
		 .value_len = strlen(g->pos_text)},
		{.kind = STORE_OP_PUT,
		 .key = g->hold_key,
		 .key_len = g->hold_key ? strlen(g->hold_key) : 0,
		 .value = g->hold_text,
		 .value_len = strlen(g->hold_text)},
	};
	struct store_op no = {.kind = STORE_OP_RANGE, .key = g->pos_key, .key_len = strlen(g->pos_key)};
	struct store_txn t = {.cmp = &cmp,
			      .ncmp = 1,
			      .success = ok,
			      .nsuccess = g->hold_key ? 2 : 1,
			      .failure = &no,
			      .nfailure = 1};
	e = store_txn(g->st, &t, on_txn, g);
	if (e < 0)
		done(g, e);
}

int seg_grant(struct seg_grantor *g, uint64_t want, seg_cb cb, void *ctx)
{
	if (g->busy)
		return -EBUSY;
	if (want == 0)
		return -EINVAL;
	g->busy = true;
	g->fresh = false;
	g->want = want;
	g->conflicts = g->unknown = 0;
	g->lost_ns = 0;
	g->cb = cb;
	g->ctx = ctx;
	if (g->pos.mod_revision == 0)
		read_pos(g);
	else
		txn(g);
	return 0;
}
