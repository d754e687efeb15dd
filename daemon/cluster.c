/* SPDX-License-Identifier: MIT */
/* cluster.c — cluster mode: definitions in the store, values in segments.
 *
 * Per sequence this host keeps a `struct cseq`: the definition as the store
 * holds it and its epoch, a grantor (segment.h), at most one segment granted
 * ahead (the reserve) and the clients waiting for a segment.
 *
 * Values. A segment is a catalog epoch whose `cap` is the segment's length:
 * within it refills, records and publication are local mode's (the log
 * records every window before it is published, so a daemon crash reuses
 * nothing); a ticket at or past the cap (a spent segment) switches to the
 * reserve at once, or waits for the grant in flight. The next segment is
 * asked for when half of the current one is taken, sized for about six
 * seconds of this host's demand (SEG_T_NS). With the store unreachable and the
 * segments spent, a refill is answered SHMSEQ_ERR_STORE_UNAVAILABLE at once.
 *
 * Statements. CREATE, ALTER, DROP and SETVAL read the sequence's keys, then
 * change def and pos in one Txn that compares both keys' revisions, bumping
 * the epoch, and puts the `ddl` key; only after it committed is the local
 * catalog changed. A Txn whose outcome is unknown is answered
 * SHMSEQ_ERR_OUTCOME_UNKNOWN.
 *
 * The fence. Every host watches acks/ and the `ddl` key (one stream,
 * store_watch); when `ddl` moved, it reads the definitions at once (else
 * every poll_ms), applies them — a newer epoch drops the live segment and
 * the reserve, freezing the slot — and then writes acks/<host> = {rev: the
 * revision applied, t: wall clock}, also once a second as a heartbeat. The
 * acknowledgements the watch brings fill a table of the other hosts. A
 * statement is answered as soon as every other host whose ack is recent
 * (LIVE_MS) has acknowledged its Txn's revision, or after ACK_WAIT_NS
 * (counted as a fence time-out). Behind the watch, every FALLBACK_NS, the
 * `ddl` key is read (a statement the stream did not bring reopens it) and,
 * while a statement waits, acks/ too: a broken stream delays, never loses,
 * a statement. So
 * once ALTER RESTART, SETVAL or DROP returned, no host that answers the
 * store hands out a value of the old state; a host cut off from the store
 * may, until it reads the definitions again: stale values, but never ones
 * the new state hands out too, since the statement's position fences the
 * segments every other host holds (segment.h) and, once the answers are
 * in, takes off only the fences of the hosts that acknowledged (ddl_fenced). Grants are fenced independently of all this: a
 * grant compares pos's revision, and a pos of a newer epoch ends it with
 * -ESTALE (segment.c), and the definitions are read before anything is
 * granted. Clocks only decide which hosts count as live, never uniqueness.
 *
 * The host registry (`shmseq cluster status`): each daemon keeps a lease
 * (LEASE_TTL_S) alive and puts hosts/<host> = {host, pid, boot, started,
 * version, sequences} on it, created only when absent and put again only on
 * its own revision; a clean stop deletes it. It keeps one daemon per host
 * name (name_held): two would share hold/ and acks/ keys. The fence's use
 * of it: a host whose key vanished after its last acknowledgement is not
 * waited for (the time-out stays the bound).
 */
#include "cluster.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "segment.h"
#include "shmseq_version.h"
#include "store.h"
#include "util.h"

#define NBUCKETS 256u
/* A segment: about this much of the host's demand; the next is asked for at
 * half use, so at least half of it is in hand when a grant starts — more
 * than a store leader election takes (test_leader: a grant during one took
 * 2.0-2.1 s, and segments of 2 s ran out). */
#define SEG_T_NS 6000000000ull
#define SEG_MIN 1000u
#define SEG_MAX (1ull << 31) /* 6 s at 350 M values/s */
#define LAT_N 4096u
#define DDL_TRIES 8
/* A client waits this long at most for a grant in flight, then is answered
 * SHMSEQ_ERR_STORE_UNAVAILABLE (the grant goes on: its segment is kept). */
#define WAIT_MAX_NS 1000000000ull
/* The fence (see the top): how often this host looks at the ddl key and at
 * the acknowledgements a statement waits for, how long a statement waits
 * for them, and how recent a host's acknowledgement must be for it to
 * count as a live host that must acknowledge. */
#define TICK_MS 20
#define FALLBACK_NS 500000000ull /* the reads behind the watch */
#define ACK_WAIT_NS 2000000000ull
#define LIVE_MS 5000
#define HEARTBEAT_NS 1000000000ull
/* The host registry: hosts/<host> on a lease of LEASE_TTL_S,
 * renewed every RENEW_NS, its value written again every REGISTER_NS. */
#define LEASE_TTL_S 5
#define RENEW_NS 1500000000ull
#define REGISTER_NS 5000000000ull
#define TAKEN_RETRY_NS 1000000000ull /* another daemon holds the name: look again */

/* A hosts/<host> key as the watch (or a read) saw it: present, or gone
 * (its lease expired, or its daemon stopped) at gone_rev. */
struct hostent {
	char host[128];
	char info[320];
	int64_t mod, gone_rev;
	bool present, seen;
};

/* Another host's last acknowledgement, as the watch (or a read) saw it. */
struct peer {
	char host[128];
	int64_t rev, t;
	int64_t mod; /* the store's revision of what this says */
	bool seen;
};

struct waiter {
	void *conn;
	struct wire_hdr h;
};

struct cseq {
	struct cseq *next;
	struct cluster *cl;
	struct seq_def def;
	uint64_t epoch;
	struct seg_grantor *g;
	bool inflight, dead, has_reserve;
	struct segment reserve;
	uint64_t grant_ns, opened_ns, seen;
	struct waiter *w;
	size_t nw, capw;
	uint64_t grants, spent_waits;
	char name[SHMSEQ_NAME_MAX + 1];
};

enum ddl_kind { DDL_CREATE, DDL_ALTER, DDL_DROP, DDL_SETVAL };

struct ddl {
	struct ddl *next;
	struct cluster *cl;
	void *conn;
	struct wire_hdr h;
	enum ddl_kind kind;
	char name[SHMSEQ_NAME_MAX + 1];
	uint32_t flags;
	struct seq_options opt;
	struct wire_setval sv;
	int tries;
	uint64_t start_ns;
	/* committed: waiting for every live host's acknowledgement of rev */
	bool fencing;
	int64_t target_rev;
	uint64_t deadline_ns;
	uint64_t acks_need; /* the read of acks/ sent after the commit */
	uint32_t reply_len;
	/* what the Txn puts */
	struct seq_def def;
	int64_t round;
	uint64_t epoch;
	int32_t status;
	struct wire_ddl_reply rep;
	char key_def[400], key_pos[400], def_text[4096], pos_text[SEG_POS_TEXT_MAX];
	/* fences (segment.h): the hosts whose holds the new position fences,
	 * and, once the acknowledgements are in, the Txn that takes off those
	 * of the hosts that answered */
	unsigned ntags, unfence_tries;
	uint64_t tags[SEG_FENCES_MAX], done_tags[SEG_FENCES_MAX];
	unsigned ndone;
};

struct cluster {
	struct store *st;
	struct catalog *cat;
	const struct seq_env *env;
	struct cluster_ops ops;
	char prefix[200];
	char host[128];
	int tfd;
	long poll_ms;
	struct cseq *b[NBUCKETS];
	struct ddl *ddls;
	struct rowq *rows; /* SELECT * reading pos */
	bool polling, poll_again, healthy, closing, synced, said_local;
	uint64_t poll_gen;
	int64_t applied_rev;
	/* the fence: the ddl key's last revision seen, the revision of the last
	 * definitions applied and acknowledged, requests in flight */
	char key_ddl[256], key_ack[400], key_acks[256], ack_text[128];
	int64_t ddl_rev, seen_rev, acked_rev, suspect_rev;
	bool watching, acking, acks_reading;
	uint64_t last_poll_ns, last_ack_ns, last_check_ns, last_acks_ns;
	struct store_watch *sw; /* acks/, ddl (and what lies between) */
	struct peer *peers;
	size_t npeers, cappeers;
	/* reads of acks/: sent, the last one ended, another one wanted */
	uint64_t acks_sent, acks_done;
	bool acks_again;
	/* the host registry */
	char key_hosts[256], key_host[400], host_text[400];
	int64_t lease, started_ms;
	bool granting, renewing, registering, hosts_reading;
	uint64_t last_renew_ns, last_register_ns;
	/* hosts/<host> is this daemon's: its mod revision as last put (0: not
	 * known to be ours); name_taken: another live daemon holds it */
	int64_t owned_rev;
	bool name_taken;
	char boot_id[40], pidns[40], taken_by[200];
	struct hostent *hosts;
	size_t nhosts, caphosts;
	uint64_t fence_timeouts, fence_ranges;
	char last_error[640];
	uint64_t waits, unavailable, stale, fenced, gaps;
	uint64_t lat_grant[LAT_N], ngrant;
	uint64_t lat_ddl[LAT_N], nddl;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("shmseqd: cluster: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* --- definitions as JSON ---------------------------------------------------- */

static void put_i64(json_object *o, const char *k, int64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRId64, v);
	json_object_object_add(o, k, json_object_new_string(b));
}

static int def_format(const struct seq_def *d, uint64_t epoch, char *buf, size_t cap)
{
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	put_i64(o, "epoch", (int64_t)epoch);
	put_i64(o, "start", d->start);
	put_i64(o, "min", d->minvalue);
	put_i64(o, "max", d->maxvalue);
	put_i64(o, "inc", d->increment);
	put_i64(o, "cache", d->cache);
	json_object_object_add(o, "cycle", json_object_new_int(d->cycle));
	json_object_object_add(o, "type", json_object_new_int(d->type));
	json_object_object_add(o, "unsigned", json_object_new_boolean(d->is_unsigned));
	json_object_object_add(o, "comment", json_object_new_string_len(d->comment, d->comment_len));
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int r = t && strlen(t) < cap ? 0 : -E2BIG;
	if (r == 0)
		strcpy(buf, t);
	json_object_put(o);
	return r;
}

static bool get_i64(json_object *o, const char *k, int64_t *v)
{
	json_object *e;
	if (!json_object_object_get_ex(o, k, &e) || !json_object_is_type(e, json_type_string))
		return false;
	const char *s = json_object_get_string(e);
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

static bool get_int(json_object *o, const char *k, int lo, int hi, int *v)
{
	json_object *e;
	if (!json_object_object_get_ex(o, k, &e) || !json_object_is_type(e, json_type_int))
		return false;
	int x = json_object_get_int(e);
	if (x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

/* A key's value as JSON (to put after use), or NULL: not JSON, or no memory. */
static json_object *kv_json(const struct store_kv *kv)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)kv->value, (int)kv->value_len) : NULL;
	if (tok)
		json_tokener_free(tok);
	return o;
}

static int def_parse(const void *v, size_t len, const struct seq_env *env, struct seq_def *d, uint64_t *epoch)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_object *o = json_tokener_parse_ex(tok, v, (int)len);
	json_tokener_free(tok);
	if (!o)
		return -EBADMSG;
	memset(d, 0, offsetof(struct seq_def, comment));
	int64_t e = 0;
	int cycle = 0, type = 0;
	json_object *u, *c;
	bool ok = json_object_is_type(o, json_type_object) && get_i64(o, "epoch", &e) && e > 0 &&
		  get_i64(o, "start", &d->start) && get_i64(o, "min", &d->minvalue) &&
		  get_i64(o, "max", &d->maxvalue) && get_i64(o, "inc", &d->increment) &&
		  get_i64(o, "cache", &d->cache) && get_int(o, "cycle", 0, 255, &cycle) &&
		  get_int(o, "type", 0, SEQ_TYPE_INT, &type) &&
		  json_object_object_get_ex(o, "unsigned", &u) &&
		  json_object_object_get_ex(o, "comment", &c) && json_object_is_type(c, json_type_string) &&
		  json_object_get_string_len(c) <= SHMSEQ_COMMENT_MAX;
	if (ok) {
		d->cycle = (uint8_t)cycle;
		d->type = (uint8_t)type;
		d->is_unsigned = json_object_get_boolean(u);
		d->comment_len = (uint16_t)json_object_get_string_len(c);
		memcpy(d->comment, json_object_get_string(c), d->comment_len);
		d->comment[d->comment_len] = 0;
		ok = seq_def_validate(d, d->start, env) == 0;
	}
	json_object_put(o);
	if (!ok)
		return -EBADMSG;
	*epoch = (uint64_t)e;
	return 0;
}

/* --- per-sequence state ------------------------------------------------------ */

static uint64_t now_ns(void)
{
	return util_now_ns();
}

static unsigned bucket(const char *name)
{
	return (unsigned)(util_hash(name, strlen(name)) % NBUCKETS);
}

static struct cseq *cseq_find(struct cluster *cl, const char *name)
{
	for (struct cseq *c = cl->b[bucket(name)]; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void key_of(const struct cluster *cl, const char *name, const char *what, char *buf, size_t cap)
{
	snprintf(buf, cap, "%sseq/%s/%s", cl->prefix, name, what);
}

static struct cseq *cseq_get(struct cluster *cl, const char *name)
{
	struct cseq *c = cseq_find(cl, name);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cl = cl;
	snprintf(c->name, sizeof(c->name), "%s", name);
	char pos[400], hold[600];
	key_of(cl, name, "pos", pos, sizeof(pos));
	snprintf(hold, sizeof(hold), "%sseq/%s/hold/%s", cl->prefix, name, cl->host);
	if (seg_grantor_new(cl->st, pos, hold, &c->def, cl->env, &c->g) < 0) {
		free(c);
		return NULL;
	}
	unsigned i = bucket(name);
	c->next = cl->b[i];
	cl->b[i] = c;
	return c;
}

static void cseq_answer(struct cseq *c, int32_t status)
{
	struct cluster *cl = c->cl;
	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].conn)
			cl->ops.reply(cl->ops.ctx, c->w[i].conn, &c->w[i].h, status, NULL, 0);
	c->nw = 0;
}

static void cseq_free(struct cseq *c)
{
	seg_grantor_free(c->g);
	free(c->w);
	free(c);
}

/* Out of the table; freed now, or by its grant's end. */
static void cseq_remove(struct cluster *cl, struct cseq *c, int32_t status)
{
	cseq_answer(c, status);
	struct cseq **pp = &cl->b[bucket(c->name)];
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->inflight)
		c->dead = true;
	else
		cseq_free(c);
}

static void lat_add(uint64_t *v, uint64_t *n, uint64_t ns)
{
	v[(*n)++ % LAT_N] = ns;
}

/* The store's definition of epoch `epoch` for c: the live segment and the
 * reserve are dropped (the fence), the catalog takes the definition. */
static int cseq_define(struct cluster *cl, struct cseq *c, const struct seq_def *def, int64_t round,
		       uint64_t epoch)
{
	c->def = *def;
	c->epoch = epoch;
	if (c->has_reserve)
		cl->gaps++;
	c->has_reserve = false;
	seg_grantor_expect(c->g, epoch);
	struct seq *s = catalog_find(cl->cat, c->name);
	if (s && s->cl_epoch)
		cl->fenced++;
	return catalog_cluster_define(cl->cat, c->name, def, round, epoch);
}

/* --- segments ----------------------------------------------------------------- */

static void on_grant(void *ctx, int status, const struct segment *seg);
static void poll_now(struct cluster *cl);
static void send_ack(struct cluster *cl);
static void read_acks(struct cluster *cl);
static void fence_check(struct cluster *cl);
static bool fencing(const struct cluster *cl);
static struct hostent *host_find(const struct cluster *cl, const char *host);

static uint64_t seg_size(struct cluster *cl, struct cseq *c, struct seq *s)
{
	uint64_t min = c->def.cache > SEG_MIN ? (uint64_t)c->def.cache : SEG_MIN;
	uint64_t want = min;
	uint64_t t = now_ns();
	if (s && c->opened_ns && t > c->opened_ns) {
		uint64_t used = region_slot_consumed(&cl->cat->slots[s->slot]);
		if (used > s->cap)
			used = s->cap;
		__int128 w = (__int128)used * SEG_T_NS / (t - c->opened_ns);
		want = w > SEG_MAX ? SEG_MAX : (uint64_t)w;
		/* grow at most 64-fold at a time (a burst is not a rate) */
		if (s->cap && want / 64 > s->cap)
			want = 64 * s->cap;
	}
	return want < min ? min : want > SEG_MAX ? SEG_MAX : want;
}

static void grant(struct cluster *cl, struct cseq *c)
{
	if (c->inflight || c->has_reserve || c->dead || cl->closing || !c->epoch)
		return;
	if (cl->name_taken || !cl->owned_rev) {
		/* another daemon is this host (name_held), or this one is not
		 * registered yet: a grant would write the host's hold key */
		cl->unavailable += c->nw;
		cseq_answer(c, -SHMSEQ_ERR_STORE_UNAVAILABLE);
		return;
	}
	struct seq *s = catalog_find(cl->cat, c->name);
	c->inflight = true;
	c->grant_ns = now_ns();
	int e = seg_grant(c->g, seg_size(cl, c, s), on_grant, c);
	if (e < 0) {
		c->inflight = false;
		cseq_answer(c, e);
	}
}

/* Put c's reserve (or seg) to use now. */
static void open_segment(struct cluster *cl, struct cseq *c, struct seq *s, const struct segment *seg)
{
	catalog_segment_open(cl->cat, s, seg->first, seg->n, seg->round);
	c->opened_ns = now_ns();
	c->grants++;
}

static void on_grant(void *ctx, int status, const struct segment *seg)
{
	struct cseq *c = ctx;
	struct cluster *cl = c->cl;
	c->inflight = false;
	if (c->dead) {
		if (status == 0)
			cl->gaps++;
		cseq_free(c);
		return;
	}
	if (cl->closing)
		return;
	if (status == 0) {
		lat_add(cl->lat_grant, &cl->ngrant, now_ns() - c->grant_ns);
		cl->healthy = true;
		struct seq *s = catalog_find(cl->cat, c->name);
		if (seg->epoch != c->epoch || !s || s->cl_epoch != c->epoch) {
			/* granted from a definition this host no longer follows: a gap */
			cl->gaps++;
			if (c->nw)
				grant(cl, c);
			return;
		}
		if (c->nw) {
			open_segment(cl, c, s, seg);
			cseq_answer(c, 0);
		} else {
			c->reserve = *seg;
			c->has_reserve = true;
		}
		return;
	}
	if (status == -ESTALE) {
		/* a statement elsewhere: read the definitions, then grant */
		cl->stale++;
		poll_now(cl);
		return;
	}
	if (status == -EHOSTUNREACH || status == -EACCES || status == -EBADMSG) {
		cl->healthy = false;
		snprintf(cl->last_error, sizeof(cl->last_error), "a grant for '%s' failed: %s", c->name,
			 strerror(-status));
		cl->unavailable += c->nw;
		cseq_answer(c, -SHMSEQ_ERR_STORE_UNAVAILABLE);
		return;
	}
	if (status == -ENOENT) {
		/* its pos is gone: dropped elsewhere */
		poll_now(cl);
		status = -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	}
	cseq_answer(c, status); /* -4084 run out, -EAGAIN, -ENOMEM */
}

static int ticket(struct cluster *cl, void *conn, const struct wire_hdr *h, const struct wire_ticket *t)
{
	struct catalog *cat = cl->cat;
	struct seq *s = t->slot < cat->nslots ? cat->owner[t->slot] : NULL;
	if (!s || s->id != t->seq_id)
		return CLUSTER_LOCAL; /* the client finds its ticket void */
	if (catalog_check_slot(cat, s) || s->gen != t->gen)
		return CLUSTER_LOCAL;
	struct cseq *c = cseq_find(cl, s->name);
	if (!c || !c->epoch || c->epoch != s->cl_epoch) {
		/* not (yet) in step with the store: nothing to grant from */
		poll_now(cl);
		if (h->op == WIRE_NUDGE)
			return CLUSTER_TAKEN;
		cl->unavailable++;
		cl->ops.reply(cl->ops.ctx, conn, h, -SHMSEQ_ERR_STORE_UNAVAILABLE, NULL, 0);
		return CLUSTER_TAKEN;
	}
	if (h->op != WIRE_WRAP && t->n < s->cap) {
		/* within the segment: local mode's refill; the next segment
		 * once half of this one is taken */
		if (t->n >= s->cap / 2)
			grant(cl, c);
		return CLUSTER_LOCAL;
	}
	/* the segment is spent */
	if (h->op == WIRE_NUDGE) {
		grant(cl, c);
		return CLUSTER_TAKEN;
	}
	if (c->has_reserve && cl->name_taken) {
		/* another daemon now holds this host's name and its hold key:
		 * the reserve is no longer fenced as this host's, so it goes
		 * unused (a gap) */
		c->has_reserve = false;
		cl->gaps++;
	}
	if (c->has_reserve) {
		c->has_reserve = false;
		open_segment(cl, c, s, &c->reserve);
		cl->ops.reply(cl->ops.ctx, conn, h, 0, NULL, 0);
		return CLUSTER_TAKEN;
	}
	cl->waits++;
	c->spent_waits++;
	if (!cl->healthy) {
		/* at once, never a wait; a grant in the background tries again */
		grant(cl, c);
		cl->unavailable++;
		cl->ops.reply(cl->ops.ctx, conn, h, -SHMSEQ_ERR_STORE_UNAVAILABLE, NULL, 0);
		return CLUSTER_TAKEN;
	}
	if (c->nw == c->capw) {
		size_t n = c->capw ? c->capw * 2 : 8;
		struct waiter *w = realloc(c->w, n * sizeof(*w));
		if (!w) {
			cl->ops.reply(cl->ops.ctx, conn, h, -ENOMEM, NULL, 0);
			return CLUSTER_TAKEN;
		}
		c->w = w;
		c->capw = n;
	}
	c->w[c->nw++] = (struct waiter){.conn = conn, .h = *h};
	grant(cl, c);
	return CLUSTER_TAKEN;
}

/* --- the poll of definitions ----------------------------------------------------- */

struct found {
	char name[SHMSEQ_NAME_MAX + 1];
	const struct store_kv *def, *pos;
};

static int name_of(const struct cluster *cl, const struct store_kv *kv, char *name, const char **what)
{
	size_t pl = strlen(cl->prefix) + 4; /* "seq/" */
	if (kv->key_len <= pl + 4)
		return -1;
	const char *k = (const char *)kv->key + pl;
	size_t n = kv->key_len - pl;
	if (n > 4 && memcmp(k + n - 4, "/def", 4) == 0)
		*what = "def";
	else if (n > 4 && memcmp(k + n - 4, "/pos", 4) == 0)
		*what = "pos";
	else
		return -1;
	n -= 4;
	if (n == 0 || n > SHMSEQ_NAME_MAX || memchr(k, 0, n))
		return -1;
	memcpy(name, k, n);
	name[n] = 0;
	return 0;
}

/* 0, or -1 when a definition could not be applied (its old segments may
 * still be served: not to be acknowledged). */
static int apply_poll(struct cluster *cl, const struct store_range *r)
{
	int failed = 0;
	uint64_t gen = ++cl->poll_gen;
	struct found *f = calloc(r->count ? r->count : 1, sizeof(*f));
	size_t nf = 0;
	if (!f)
		return -1;
	for (size_t i = 0; i < r->count; i++) {
		char name[SHMSEQ_NAME_MAX + 1];
		const char *what;
		if (name_of(cl, &r->kvs[i], name, &what) < 0)
			continue;
		/* keys come sorted: a name's def and pos are neighbours */
		if (!nf || strcmp(f[nf - 1].name, name) != 0)
			snprintf(f[nf++].name, sizeof(f->name), "%s", name);
		if (what[0] == 'd')
			f[nf - 1].def = &r->kvs[i];
		else
			f[nf - 1].pos = &r->kvs[i];
	}
	for (size_t i = 0; i < nf; i++) {
		struct seq_def def;
		struct seg_pos pos = {0};
		uint64_t de;
		if (!f[i].def || !f[i].pos)
			continue; /* dropped (a tombstone pos), or half-written by hand */
		if (def_parse(f[i].def->value, f[i].def->value_len, cl->env, &def, &de) < 0 ||
		    seg_pos_parse(f[i].pos->value, f[i].pos->value_len, &pos) < 0) {
			say("sequence '%s': its keys in the store are not shmseq's: left as it is",
			    f[i].name);
			continue;
		}
		struct cseq *c = cseq_get(cl, f[i].name);
		if (!c)
			continue;
		c->seen = gen;
		struct seq *s = catalog_find(cl->cat, f[i].name);
		if (c->epoch < pos.epoch || !s || s->cl_epoch != pos.epoch) {
			int e = cseq_define(cl, c, &def, pos.round, pos.epoch);
			if (e < 0) {
				say("sequence '%s': cannot take its definition from the store: %s", c->name,
				    strerror(-e));
				failed = -1;
			}
		}
		if (c->nw)
			grant(cl, c);
	}
	/* gone from the store: dropped elsewhere */
	for (unsigned b = 0; b < NBUCKETS; b++) {
		struct cseq *c = cl->b[b];
		while (c) {
			struct cseq *next = c->next;
			if (c->seen != gen) {
				if (catalog_find(cl->cat, c->name))
					catalog_drop(cl->cat, c->name);
				cseq_remove(cl, c, -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
			}
			c = next;
		}
	}
	/* In the local log but not followed: dropped in the cluster while this
	 * daemon was down (a tombstone pos, no def) goes; one the store never
	 * held stays, serving nothing (9001), said once: a local instance
	 * turned into a cluster member loses no definition by it. */
	char after[SHMSEQ_NAME_MAX + 1] = "";
	uint64_t unknown = 0;
	for (;;) {
		const char *names[64];
		bool more;
		uint32_t n = catalog_list(cl->cat, after, names, 64, &more);
		char drop[64][SHMSEQ_NAME_MAX + 1];
		uint32_t nd = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (cseq_find(cl, names[i]))
				continue;
			bool tomb = false;
			for (size_t j = 0; j < nf && !tomb; j++)
				tomb = !f[j].def && f[j].pos && strcmp(f[j].name, names[i]) == 0;
			if (tomb)
				snprintf(drop[nd++], sizeof(drop[0]), "%s", names[i]);
			else
				unknown++;
		}
		if (n)
			snprintf(after, sizeof(after), "%s", names[n - 1]);
		for (uint32_t i = 0; i < nd; i++)
			catalog_drop(cl->cat, drop[i]);
		if (!more || !n)
			break;
	}
	free(f);
	if (unknown && !cl->said_local) {
		say("%llu sequences of the local log are not in the cluster's store: they serve nothing "
		    "here (9001) until created in the cluster",
		    (unsigned long long)unknown);
		cl->said_local = true;
	}
	cl->synced = true;
	return failed;
}

static void on_poll(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->polling = false;
	if (cl->closing)
		return;
	if (r->status != STORE_OK) {
		cl->healthy = false;
		snprintf(cl->last_error, sizeof(cl->last_error), "reading the definitions: %s: %.250s",
			 store_status_name(r->status), r->error);
		return;
	}
	cl->healthy = true;
	if (r->revision >= cl->applied_rev && r->nranges) {
		/* acknowledged only once applied: a host that cannot apply a
		 * statement keeps its fences (the next poll tries again) */
		if (apply_poll(cl, &r->ranges[0]) == 0 && r->revision > cl->seen_rev)
			cl->seen_rev = r->revision;
		if (cl->seen_rev != cl->acked_rev)
			send_ack(cl);
	} else
		cl->poll_again = true; /* older than a statement applied here */
	if (cl->poll_again) {
		cl->poll_again = false;
		poll_now(cl);
	}
}

static void poll_now(struct cluster *cl)
{
	if (cl->closing)
		return;
	if (cl->polling) {
		cl->poll_again = true;
		return;
	}
	char k[256], end[256];
	snprintf(k, sizeof(k), "%sseq/", cl->prefix);
	snprintf(end, sizeof(end), "%sseq0", cl->prefix); /* '0' follows '/' */
	if (store_range(cl->st, k, strlen(k), end, strlen(end), on_poll, cl) == 0)
		cl->polling = true;
}

/* --- statements --------------------------------------------------------------------- */

static void ddl_read(struct ddl *d);

static void ddl_end(struct ddl *d, int32_t status, const void *payload, uint32_t len)
{
	struct cluster *cl = d->cl;
	if (d->conn)
		cl->ops.reply(cl->ops.ctx, d->conn, &d->h, status, payload, len);
	lat_add(cl->lat_ddl, &cl->nddl, now_ns() - d->start_ns);
	struct ddl **pp = &cl->ddls;
	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	free(d);
}

static int32_t store_err(enum store_status s)
{
	/* refused by the store (an error reply, e.g. permissions): not
	 * applied, and not for want of a store */
	return s == STORE_AMBIGUOUS || s == STORE_BAD_REPLY    ? -SHMSEQ_ERR_OUTCOME_UNKNOWN
	       : s == STORE_REJECTED || s == STORE_AUTH_FAILED ? -EACCES
							       : -SHMSEQ_ERR_STORE_UNAVAILABLE;
}

/* The Txn committed: the local catalog follows, then the answer. */
static void ddl_apply(struct ddl *d, int64_t revision)
{
	struct cluster *cl = d->cl;
	if (revision > cl->applied_rev)
		cl->applied_rev = revision;
	struct cseq *c = cseq_get(cl, d->name);
	int r;
	if (d->kind == DDL_DROP) {
		r = catalog_find(cl->cat, d->name) ? catalog_drop(cl->cat, d->name) : 0;
		if (c)
			cseq_remove(cl, c, -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	} else {
		r = c ? cseq_define(cl, c, &d->def, d->round, d->epoch) : -ENOMEM;
		if (r == 0 && c && c->nw)
			grant(cl, c);
	}
	/* the answer waits for the other live hosts to have dropped their
	 * segments of the old state (the fence), ACK_WAIT_NS at most */
	d->status = r < 0 ? r : d->kind == DDL_SETVAL ? 1 : 0;
	d->reply_len = r < 0 || d->kind == DDL_SETVAL || d->kind == DDL_DROP ? 0 : sizeof(d->rep);
	d->fencing = true;
	d->target_rev = revision;
	d->deadline_ns = now_ns() + ACK_WAIT_NS;
	/* the table answers only once acks/ was read after the commit: a host
	 * the watch has not (yet) told of is waited for all the same */
	d->acks_need = cl->acks_sent + 1;
	if (cl->acks_reading)
		cl->acks_again = true;
	else
		read_acks(cl);
}

/* --- the fence: acknowledgements ---------------------------------------------------- */

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_ack(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->acking = false;
	if (cl->closing || r->status != STORE_OK)
		return;
	cl->last_ack_ns = now_ns();
	/* definitions applied while this one was on its way: at once, not
	 * with the next heartbeat */
	if (cl->seen_rev != cl->acked_rev)
		send_ack(cl);
}

/* Say which definitions this host follows: the revision of the last ones
 * applied (its old segments are dropped up to there), and when. */
static void send_ack(struct cluster *cl)
{
	if (cl->acking || cl->closing || cl->name_taken || !cl->owned_rev)
		return; /* an acknowledgement speaks for the host: registered first */
	snprintf(cl->ack_text, sizeof(cl->ack_text), "{\"rev\":\"%lld\",\"t\":\"%lld\"}",
		 (long long)cl->seen_rev, (long long)wall_ms());
	if (store_put(cl->st, cl->key_ack, strlen(cl->key_ack), cl->ack_text, strlen(cl->ack_text), on_ack,
		      cl) == 0) {
		cl->acking = true;
		cl->acked_rev = cl->seen_rev;
	}
}

/* The host an acks/ key names, or NULL (this host's own, or not one). */
static const char *ack_host(const struct cluster *cl, const struct store_kv *kv, char *host, size_t cap)
{
	size_t pl = strlen(cl->key_acks);
	if (kv->key_len <= pl || kv->key_len - pl >= cap || memcmp(kv->key, cl->key_acks, pl) != 0)
		return NULL;
	memcpy(host, kv->key + pl, kv->key_len - pl);
	host[kv->key_len - pl] = 0;
	if (memchr(host, 0, kv->key_len - pl) || strcmp(host, cl->host) == 0)
		return NULL; /* this host applied it itself */
	return host;
}

static struct peer *peer_get(struct cluster *cl, const char *host, bool add)
{
	for (size_t i = 0; i < cl->npeers; i++)
		if (strcmp(cl->peers[i].host, host) == 0)
			return &cl->peers[i];
	if (!add)
		return NULL;
	if (cl->npeers == cl->cappeers) {
		size_t n = cl->cappeers ? cl->cappeers * 2 : 8;
		struct peer *p = realloc(cl->peers, n * sizeof(*p));
		if (!p)
			return NULL;
		cl->peers = p;
		cl->cappeers = n;
	}
	struct peer *p = &cl->peers[cl->npeers++];
	memset(p, 0, sizeof(*p));
	snprintf(p->host, sizeof(p->host), "%s", host);
	return p;
}

/* An acks/<host> key as stored (or deleted): the table follows. */
static void peer_ack(struct cluster *cl, const struct store_kv *kv, bool deleted)
{
	char host[128];
	if (!ack_host(cl, kv, host, sizeof(host)))
		return;
	struct peer *p = peer_get(cl, host, false);
	if (p && kv->mod_revision < p->mod)
		return; /* older than what the table holds (a read behind the watch) */
	if (p)
		p->seen = true;
	if (deleted) {
		if (p)
			*p = cl->peers[--cl->npeers];
		return;
	}
	json_object *o = kv_json(kv);
	int64_t rev = 0, t = 0;
	bool ok = o && get_i64(o, "rev", &rev) && get_i64(o, "t", &t);
	if (o)
		json_object_put(o);
	if (ok && !p)
		p = peer_get(cl, host, true);
	if (ok && p) {
		p->rev = rev;
		p->t = t;
		p->mod = kv->mod_revision;
		p->seen = true;
	}
}

/* --- the host registry -------------------------------------------------------------- */

static struct hostent *host_find(const struct cluster *cl, const char *host)
{
	for (size_t i = 0; i < cl->nhosts; i++)
		if (strcmp(cl->hosts[i].host, host) == 0)
			return &cl->hosts[i];
	return NULL;
}

static void host_register(struct cluster *cl);

/* A hosts/<host> key as stored (or deleted, at kv->mod_revision). */
static void host_seen(struct cluster *cl, const struct store_kv *kv, bool deleted)
{
	size_t pl = strlen(cl->key_hosts);
	char host[128];
	if (kv->key_len <= pl || kv->key_len - pl >= sizeof(host) || memcmp(kv->key, cl->key_hosts, pl) != 0)
		return;
	memcpy(host, kv->key + pl, kv->key_len - pl);
	host[kv->key_len - pl] = 0;
	if (memchr(host, 0, kv->key_len - pl))
		return;
	if (deleted && cl->name_taken && strcmp(host, cl->host) == 0) {
		/* the daemon that held this host's name stopped: take it now */
		cl->last_register_ns = 0;
		host_register(cl);
	}
	struct hostent *h = host_find(cl, host);
	if (h && kv->mod_revision < h->mod)
		return;
	if (!h) {
		if (deleted)
			return;
		if (cl->nhosts == cl->caphosts) {
			size_t n = cl->caphosts ? cl->caphosts * 2 : 8;
			struct hostent *x = realloc(cl->hosts, n * sizeof(*x));
			if (!x)
				return;
			cl->hosts = x;
			cl->caphosts = n;
		}
		h = &cl->hosts[cl->nhosts++];
		memset(h, 0, sizeof(*h));
		snprintf(h->host, sizeof(h->host), "%s", host);
	}
	h->mod = kv->mod_revision;
	h->seen = true;
	h->present = !deleted;
	if (deleted)
		h->gone_rev = kv->mod_revision;
	else
		snprintf(h->info, sizeof(h->info), "%.*s", (int)kv->value_len, (const char *)kv->value);
}

static void on_hosts(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->hosts_reading = false;
	if (cl->closing || r->status != STORE_OK || !r->nranges)
		return;
	for (size_t i = 0; i < cl->nhosts; i++)
		cl->hosts[i].seen = false;
	for (size_t i = 0; i < r->ranges[0].count; i++)
		host_seen(cl, &r->ranges[0].kvs[i], false);
	for (size_t i = 0; i < cl->nhosts; i++) {
		struct hostent *h = &cl->hosts[i];
		if (!h->seen && h->present && h->mod <= r->revision) {
			h->present = false; /* gone while the watch was away */
			h->gone_rev = h->mod = r->revision;
		}
	}
	fence_check(cl);
}

static void read_hosts(struct cluster *cl)
{
	if (cl->hosts_reading)
		return;
	char end[260];
	snprintf(end, sizeof(end), "%s", cl->key_hosts);
	end[strlen(end) - 1]++; /* "hosts/" -> "hosts0" */
	if (store_range(cl->st, cl->key_hosts, strlen(cl->key_hosts), end, strlen(end), on_hosts, cl) == 0)
		cl->hosts_reading = true;
}

/* Whether the process pid on this boot is alive (EPERM: alive, not ours). */
static bool pid_alive(int64_t pid)
{
	return pid > 0 && pid <= INT32_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* hosts/<host> held by someone else: kv, its value. Ours to take when it was
 * put by this daemon, or by an earlier daemon on this boot of this machine
 * that no longer runs (a restart: its lease outlives it by up to
 * LEASE_TTL_S). Otherwise another daemon calls itself this host: sharing
 * hold/ and acks/ keys with it would let a statement miss the values one of
 * them holds, so this one draws no segment, answers no statement and writes
 * no acknowledgement until that key is gone (its lease ends LEASE_TTL_S after
 * that daemon stops). */
static void name_held(struct cluster *cl, const struct store_kv *kv)
{
	json_object *o = kv_json(kv);
	int64_t pid = 0;
	json_object *b = NULL, *ns = NULL;
	bool parsed = o && json_object_is_type(o, json_type_object) && get_i64(o, "pid", &pid) &&
		      json_object_object_get_ex(o, "boot", &b) && json_object_is_type(b, json_type_string) &&
		      json_object_object_get_ex(o, "pidns", &ns) && json_object_is_type(ns, json_type_string);
	/* the same boot and pid namespace: its pid says whether it runs
	 * (containers share a boot, not their pids) */
	bool same = parsed && cl->boot_id[0] && cl->pidns[0] &&
		    strcmp(json_object_get_string(b), cl->boot_id) == 0 &&
		    strcmp(json_object_get_string(ns), cl->pidns) == 0;
	bool mine = same && (pid == (int64_t)getpid() || !pid_alive(pid));
	if (mine) {
		cl->owned_rev = kv->mod_revision; /* take it over: compared on that */
		cl->last_register_ns = 0;
	} else {
		char by[200];
		snprintf(by, sizeof(by), "%.*s", (int)(kv->value_len < 180 ? kv->value_len : 180),
			 (const char *)kv->value);
		if (!cl->name_taken || strcmp(by, cl->taken_by) != 0)
			say("another daemon is registered as host '%s' (%s): each daemon of a cluster "
			    "needs its own --host; this one draws no segments and answers no statements "
			    "until that one stops",
			    cl->host, by);
		snprintf(cl->taken_by, sizeof(cl->taken_by), "%s", by);
		cl->name_taken = true;
		cl->owned_rev = 0;
	}
	if (o)
		json_object_put(o);
}

static void on_register(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->registering = false;
	if (cl->closing)
		return;
	if (r->status == STORE_REJECTED) {
		cl->lease = 0; /* the lease is gone: a new one */
		return;
	}
	if (r->status != STORE_OK)
		return;
	if (r->succeeded) {
		cl->owned_rev = r->revision;
		cl->last_register_ns = now_ns();
		if (cl->name_taken)
			say("host name '%s' is this daemon's now", cl->host);
		cl->name_taken = false;
		cl->taken_by[0] = 0;
		if (cl->seen_rev != cl->acked_rev)
			send_ack(cl); /* held back until now */
		return;
	}
	/* the key is not (or no longer) as this daemon put it */
	const struct store_kv *kv = r->nranges && r->ranges[0].count == 1 ? &r->ranges[0].kvs[0] : NULL;
	if (!kv) {
		cl->owned_rev = 0; /* gone meanwhile (its lease ended): create it */
		host_register(cl);
		return;
	}
	name_held(cl, kv);
	if (!cl->name_taken)
		host_register(cl);
	else
		cl->last_register_ns = now_ns() - REGISTER_NS + TAKEN_RETRY_NS;
}

/* hosts/<host> = what this daemon is, on its lease: created, or put again
 * on the revision this daemon last put (never over another daemon's). */
static void host_register(struct cluster *cl)
{
	if (cl->registering || !cl->lease || cl->closing)
		return;
	size_t live = 0;
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (const struct cseq *c = cl->b[b]; c; c = c->next)
			live += c->epoch != 0;
	snprintf(cl->host_text, sizeof(cl->host_text),
		 "{\"host\":\"%s\",\"pid\":\"%ld\",\"boot\":\"%s\",\"pidns\":\"%s\",\"started\":\"%lld\","
		 "\"version\":\"%s\",\"sequences\":\"%zu\"}",
		 cl->host, (long)getpid(), cl->boot_id, cl->pidns, (long long)cl->started_ms,
		 SHMSEQ_VERSION_STRING, live);
	struct store_cmp cmp = {.key = cl->key_host,
				.key_len = strlen(cl->key_host),
				.target = cl->owned_rev ? STORE_CMP_MOD : STORE_CMP_CREATE,
				.result = STORE_EQUAL,
				.number = cl->owned_rev};
	struct store_op op = {.kind = STORE_OP_PUT,
			      .key = cl->key_host,
			      .key_len = strlen(cl->key_host),
			      .value = cl->host_text,
			      .value_len = strlen(cl->host_text),
			      .lease = cl->lease};
	struct store_op get = {.kind = STORE_OP_RANGE, .key = cl->key_host, .key_len = strlen(cl->key_host)};
	struct store_txn t = {
		.cmp = &cmp, .ncmp = 1, .success = &op, .nsuccess = 1, .failure = &get, .nfailure = 1};
	if (store_txn(cl->st, &t, on_register, cl) == 0)
		cl->registering = true;
}

static void on_lease(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->granting = false;
	if (cl->closing || r->status != STORE_OK)
		return;
	cl->lease = r->lease;
	cl->last_renew_ns = now_ns();
	host_register(cl);
}

static void on_renew(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->renewing = false;
	if (cl->closing || r->status != STORE_OK)
		return;
	if (r->ttl <= 0) {
		say("this host's lease in the store expired: registering again");
		cl->lease = 0;
		return;
	}
	cl->last_renew_ns = now_ns();
}

static void registry_tick(struct cluster *cl, uint64_t t)
{
	if (!cl->lease) {
		if (!cl->granting && store_lease_grant(cl->st, LEASE_TTL_S, on_lease, cl) == 0)
			cl->granting = true;
		return;
	}
	if (!cl->renewing && t - cl->last_renew_ns >= RENEW_NS &&
	    store_lease_keepalive(cl->st, cl->lease, on_renew, cl) == 0)
		cl->renewing = true;
	if (t - cl->last_register_ns >= REGISTER_NS)
		host_register(cl);
}

/* Unfencing: the statement's position loses the fences of the hosts that
 * acknowledged it, in a Txn on pos's revision (a grant may have moved it:
 * read again, 4 times at most); then the statement is answered. A failure
 * leaves the fences: a gap, never a duplicate. */
static void unfence_read(struct ddl *d);

static bool tag_done(uint64_t tag, void *ctx)
{
	const struct ddl *d = ctx;
	for (unsigned i = 0; i < d->ndone; i++)
		if (d->done_tags[i] == tag)
			return true;
	return false;
}

static void ddl_answer(struct ddl *d)
{
	ddl_end(d, d->status, d->reply_len ? &d->rep : NULL, d->reply_len);
}

static void on_unfence_txn(void *ctx, const struct store_reply *r)
{
	struct ddl *d = ctx;
	if (d->cl->closing)
		return;
	if (r->status == STORE_OK && !r->succeeded && ++d->unfence_tries < 4) {
		unfence_read(d);
		return;
	}
	ddl_answer(d);
}

static void on_unfence_read(void *ctx, const struct store_reply *r)
{
	struct ddl *d = ctx;
	struct cluster *cl = d->cl;
	if (cl->closing)
		return;
	const struct store_kv *kv = r->status == STORE_OK && r->nranges && r->ranges[0].count == 1
					    ? &r->ranges[0].kvs[0]
					    : NULL;
	struct seg_pos pos = {0};
	if (!kv || seg_pos_parse(kv->value, kv->value_len, &pos) < 0 || pos.epoch != d->epoch ||
	    !seg_pos_unfence(&pos, tag_done, d) ||
	    seg_pos_format(&pos, d->pos_text, sizeof(d->pos_text)) < 0) {
		ddl_answer(d); /* nothing to take off (or a newer statement did) */
		return;
	}
	struct store_cmp cmp = {.key = d->key_pos,
				.key_len = strlen(d->key_pos),
				.target = STORE_CMP_MOD,
				.result = STORE_EQUAL,
				.number = kv->mod_revision};
	struct store_op op = {.kind = STORE_OP_PUT,
			      .key = d->key_pos,
			      .key_len = strlen(d->key_pos),
			      .value = d->pos_text,
			      .value_len = strlen(d->pos_text)};
	struct store_txn t = {.cmp = &cmp, .ncmp = 1, .success = &op, .nsuccess = 1};
	if (store_txn(cl->st, &t, on_unfence_txn, d) < 0)
		ddl_answer(d);
}

static void unfence_read(struct ddl *d)
{
	if (store_range(d->cl->st, d->key_pos, strlen(d->key_pos), NULL, 0, on_unfence_read, d) < 0)
		ddl_answer(d);
}

/* The statement's wait is over: answer, or first unfence the hosts that
 * acknowledged. */
static void ddl_fenced(struct cluster *cl, struct ddl *d)
{
	d->fencing = false;
	d->ndone = 0;
	/* this host applied it (d->status >= 0): its segments of the old
	 * state are dropped */
	uint64_t mine = seg_host_tag(cl->host, strlen(cl->host));
	for (unsigned j = 0; j < d->ntags && d->status >= 0; j++)
		if (d->tags[j] == mine)
			d->done_tags[d->ndone++] = mine;
	for (size_t i = 0; i < cl->npeers; i++) {
		const struct peer *p = &cl->peers[i];
		if (p->rev < d->target_rev)
			continue;
		uint64_t tag = seg_host_tag(p->host, strlen(p->host));
		for (unsigned j = 0; j < d->ntags && d->ndone < SEG_FENCES_MAX; j++)
			if (d->tags[j] == tag)
				d->done_tags[d->ndone++] = tag;
	}
	if (d->ndone && d->status >= 0)
		unfence_read(d);
	else
		ddl_answer(d);
}

/* Answer the statements every live host has acknowledged (or whose wait
 * is over). From the table: no store round trip. */
static void fence_check(struct cluster *cl)
{
	int64_t lowest = INT64_MAX, t0 = wall_ms();
	for (size_t i = 0; i < cl->npeers; i++) {
		const struct peer *p = &cl->peers[i];
		const struct hostent *h = host_find(cl, p->host);
		if (h && !h->present && h->gone_rev > p->mod)
			continue; /* its registry key vanished after its last ack */
		if (t0 - p->t <= LIVE_MS && p->rev < lowest)
			lowest = p->rev; /* a live host, as far as it said */
	}
	uint64_t t = now_ns();
	for (struct ddl *d = cl->ddls, *next; d; d = next) {
		next = d->next;
		if (!d->fencing)
			continue;
		bool acked = lowest >= d->target_rev && cl->acks_done >= d->acks_need;
		if (acked || t >= d->deadline_ns) {
			if (!acked)
				cl->fence_timeouts++;
			ddl_fenced(cl, d);
		}
	}
}

static bool fencing(const struct cluster *cl)
{
	for (const struct ddl *d = cl->ddls; d; d = d->next)
		if (d->fencing)
			return true;
	return false;
}

/* The acknowledgements as stored: the table anew (behind the watch: at a
 * new stream, and while a statement waits, every FALLBACK_NS). */
static void on_acks(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->acks_reading = false;
	if (cl->closing)
		return;
	if (r->status == STORE_OK && r->nranges) {
		cl->acks_done = cl->acks_sent;
		for (size_t i = 0; i < cl->npeers; i++)
			cl->peers[i].seen = false;
		for (size_t i = 0; i < r->ranges[0].count; i++)
			peer_ack(cl, &r->ranges[0].kvs[i], false);
		/* gone before the read (not written since): out */
		for (size_t i = 0; i < cl->npeers;)
			if (!cl->peers[i].seen && cl->peers[i].mod <= r->revision)
				cl->peers[i] = cl->peers[--cl->npeers];
			else
				i++;
		fence_check(cl);
	}
	if (cl->acks_again) {
		cl->acks_again = false;
		read_acks(cl);
	}
}

static void read_acks(struct cluster *cl)
{
	if (cl->acks_reading)
		return;
	char end[260];
	snprintf(end, sizeof(end), "%s", cl->key_acks);
	end[strlen(end) - 1]++; /* "acks/" -> "acks0" */
	cl->last_acks_ns = now_ns();
	if (store_range(cl->st, cl->key_acks, strlen(cl->key_acks), end, strlen(end), on_acks, cl) == 0) {
		cl->acks_reading = true;
		cl->acks_sent++;
	}
}

/* The watch on acks/ and ddl: a statement elsewhere is read at once, an
 * acknowledgement answers the statement it was the last one for. */
static void on_events(void *ctx, const struct store_event *ev, size_t n, bool resync)
{
	struct cluster *cl = ctx;
	if (cl->closing)
		return;
	if (resync) {
		/* a new stream: what it may have missed is read again */
		poll_now(cl);
		read_acks(cl);
		read_hosts(cl);
	}
	size_t dl = strlen(cl->key_ddl);
	for (size_t i = 0; i < n; i++) {
		const struct store_kv *kv = &ev[i].kv;
		if (kv->key_len == dl && memcmp(kv->key, cl->key_ddl, dl) == 0) {
			if (kv->mod_revision > cl->ddl_rev) {
				cl->ddl_rev = kv->mod_revision;
				poll_now(cl);
			}
		} else if (kv->key_len > strlen(cl->key_hosts) &&
			   memcmp(kv->key, cl->key_hosts, strlen(cl->key_hosts)) == 0) {
			host_seen(cl, kv, ev[i].deleted);
		} else {
			peer_ack(cl, kv, ev[i].deleted);
		}
	}
	if (n)
		fence_check(cl);
}

/* Behind the watch, every FALLBACK_NS: the ddl key read. A statement the
 * watch did not bring is read now, and the stream is taken as silent. */
static void on_ddl_key(void *ctx, const struct store_reply *r)
{
	struct cluster *cl = ctx;
	cl->watching = false;
	if (cl->closing || r->status != STORE_OK)
		return;
	int64_t mod = r->nranges && r->ranges[0].count ? r->ranges[0].kvs[0].mod_revision : 0;
	/* the stream may only be behind this read: a miss is one it has not
	 * brought by the next read either */
	if (cl->sw && cl->suspect_rev && store_watch_revision(cl->sw) < cl->suspect_rev) {
		say("the watch on the store missed a statement (revision %lld): opened again",
		    (long long)cl->suspect_rev);
		store_watch_restart(cl->sw);
	}
	cl->suspect_rev = 0;
	if (mod > cl->ddl_rev) {
		if (cl->sw && mod > store_watch_revision(cl->sw))
			cl->suspect_rev = mod;
		cl->ddl_rev = mod;
		poll_now(cl);
	}
}

static void ddl_check(struct cluster *cl)
{
	if (cl->watching)
		return;
	cl->last_check_ns = now_ns();
	if (store_range(cl->st, cl->key_ddl, strlen(cl->key_ddl), NULL, 0, on_ddl_key, cl) == 0)
		cl->watching = true;
}

static void on_ddl_txn(void *ctx, const struct store_reply *r)
{
	struct ddl *d = ctx;
	struct cluster *cl = d->cl;
	if (cl->closing)
		return;
	if (r->status != STORE_OK) {
		if (r->status == STORE_UNAVAILABLE)
			cl->healthy = false;
		snprintf(cl->last_error, sizeof(cl->last_error), "a statement on '%s': %s: %.250s", d->name,
			 store_status_name(r->status), r->error);
		if (r->status == STORE_AMBIGUOUS || r->status == STORE_BAD_REPLY)
			poll_now(cl); /* learn what became of it */
		ddl_end(d, store_err(r->status), NULL, 0);
		return;
	}
	if (!r->succeeded) {
		/* another host changed the sequence meanwhile: again */
		if (++d->tries >= DDL_TRIES) {
			ddl_end(d, -EAGAIN, NULL, 0);
			return;
		}
		ddl_read(d);
		return;
	}
	ddl_apply(d, r->revision);
}

/* The sequence's keys as read: decide, then one Txn. */
/* The fences of a statement's new position (segment.h): the values every
 * host holds (this one's too), of any round, not behind its position. A
 * host that does not hear of the statement (cut off from the store) may
 * serve them until it does; the new state never will. A hold that cannot be read could hide
 * such values: the statement is refused (-EBADMSG, the key and what to do
 * in the log) rather than risk them. */
static int fence_holds(struct cluster *cl, struct ddl *d, const struct store_reply *r, struct seg_pos *np)
{
	char hp[420];
	key_of(cl, d->name, "hold/", hp, sizeof(hp));
	size_t hl = strlen(hp);
	d->ntags = 0; /* of this read (a conflict reads again) */
	for (size_t i = 0; r->nranges && i < r->ranges[0].count; i++) {
		const struct store_kv *kv = &r->ranges[0].kvs[i];
		if (kv->key_len <= hl || memcmp(kv->key, hp, hl) != 0)
			continue;
		/* this host's own too: it drops them when it applies the
		 * statement, but an outcome it never learns (the answer lost,
		 * the store cut off) leaves them live; once it applied, they
		 * come off with the others' (ddl_fenced) */
		struct seg_held held[2];
		int n = seg_hold_parse(kv->value, kv->value_len, held);
		if (n < 0) {
			snprintf(
				cl->last_error, sizeof(cl->last_error),
				"a statement on '%s' refused: hold key %.*s cannot be read (%.*s); once that "
				"host is known to be stopped, delete the key",
				d->name, (int)kv->key_len, (const char *)kv->key,
				(int)(kv->value_len < 120 ? kv->value_len : 120), (const char *)kv->value);
			say("%s", cl->last_error);
			return -EBADMSG;
		}
		uint64_t tag = seg_host_tag((const char *)kv->key + hl, kv->key_len - hl);
		for (int k = 0; k < n; k++) {
			if (!seg_pos_fence_held(np, &d->def, cl->env, &held[k], tag))
				continue;
			bool known = false;
			for (unsigned j = 0; j < d->ntags; j++)
				known = known || d->tags[j] == tag;
			if (!known && d->ntags < SEG_FENCES_MAX)
				d->tags[d->ntags++] = tag;
		}
	}
	if (np->nfences)
		cl->fence_ranges += np->nfences;
	return 0;
}

static void on_ddl_read(void *ctx, const struct store_reply *r)
{
	struct ddl *d = ctx;
	struct cluster *cl = d->cl;
	if (cl->closing)
		return;
	if (r->status != STORE_OK) {
		cl->healthy = r->status != STORE_UNAVAILABLE && cl->healthy;
		ddl_end(d, -SHMSEQ_ERR_STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	cl->healthy = true;
	const struct store_kv *kdef = NULL, *kpos = NULL;
	for (size_t i = 0; r->nranges && i < r->ranges[0].count; i++) {
		const struct store_kv *kv = &r->ranges[0].kvs[i];
		if (kv->key_len == strlen(d->key_def) && memcmp(kv->key, d->key_def, kv->key_len) == 0)
			kdef = kv;
		else if (kv->key_len == strlen(d->key_pos) && memcmp(kv->key, d->key_pos, kv->key_len) == 0)
			kpos = kv;
	}
	struct seq_def cur;
	struct seg_pos pos = {0};
	uint64_t de = 0;
	if (kpos && seg_pos_parse(kpos->value, kpos->value_len, &pos) < 0) {
		ddl_end(d, -EBADMSG, NULL, 0);
		return;
	}
	if (kdef && (def_parse(kdef->value, kdef->value_len, cl->env, &cur, &de) < 0 || !kpos)) {
		ddl_end(d, -EBADMSG, NULL, 0);
		return;
	}
	d->epoch = (pos.epoch > de ? pos.epoch : de) + 1;
	d->round = 0;
	/* where the sequence stands: a used-up round's pos keeps the first
	 * value of its last grant (segment.c), already handed out; what comes
	 * after the round is the beyond-the-end sentinel, as in local mode */
	int64_t cur_next = pos.next;
	if (kdef && pos.end) {
		int64_t ci = seq_real_increment(&cur, cl->env);
		cur_next = seq_step(&cur, ci > 0 ? cur.maxvalue : cur.minvalue, ci);
	}
	struct seq_notes notes = {0};
	int64_t next = 0;
	int e = 0;
	bool exists = kdef != NULL;
	switch (d->kind) {
	case DDL_CREATE:
		if (exists && !(d->flags & WIRE_DDL_OR_REPLACE)) {
			if (d->flags & WIRE_DDL_IF_NOT_EXISTS) {
				d->rep.note = SHMSEQ_ERR_TABLE_EXISTS;
				ddl_end(d, 0, &d->rep, sizeof(d->rep));
			} else {
				ddl_end(d, -SHMSEQ_ERR_TABLE_EXISTS, NULL, 0);
			}
			return;
		}
		e = seq_def_create(&d->opt, cl->env, &d->def, &next, &notes);
		break;
	case DDL_ALTER:
		if (!exists) {
			if (d->flags & WIRE_DDL_IF_EXISTS) {
				d->rep.note = SHMSEQ_ERR_UNKNOWN_SEQUENCE;
				ddl_end(d, 0, &d->rep, sizeof(d->rep));
			} else {
				ddl_end(d, -SHMSEQ_ERR_UNKNOWN_SEQUENCE, NULL, 0);
			}
			return;
		}
		e = seq_def_alter(&cur, cur_next, &d->opt, cl->env, &d->def, &next, &notes);
		break;
	case DDL_DROP:
		if (!exists) {
			ddl_end(d, -SHMSEQ_ERR_UNKNOWN_SEQUENCE, NULL, 0);
			return;
		}
		d->def = cur;
		next = pos.next;
		break;
	case DDL_SETVAL: {
		if (!exists) {
			ddl_end(d, -SHMSEQ_ERR_UNKNOWN_SEQUENCE, NULL, 0);
			return;
		}
		struct seq_live l;
		bool wrote;
		seq_live_load(&l, &cur, cur_next, pos.round, cl->env);
		int64_t before = l.next_free, cc = l.cycle_count;
		e = seq_live_setval(&l, cl->env, d->sv.value, d->sv.is_used, d->sv.round, &wrote);
		if (e <= 0 || (l.next_free == before && l.cycle_count == cc)) {
			ddl_end(d, e, NULL, 0);
			return;
		}
		d->def = cur;
		next = l.next_free;
		d->round = l.cycle_count;
		e = 0;
		break;
	}
	}
	if (e < 0) {
		ddl_end(d, e, NULL, 0);
		return;
	}
	wire_notes_encode(&d->rep.notes, &notes);
	struct seg_pos np = {.epoch = d->epoch, .round = d->round, .next = next, .end = d->kind == DDL_DROP};
	if (d->kind != DDL_DROP && (e = fence_holds(cl, d, r, &np)) < 0) {
		ddl_end(d, e, NULL, 0);
		return;
	}
	if (seg_pos_format(&np, d->pos_text, sizeof(d->pos_text)) < 0 ||
	    def_format(&d->def, d->epoch, d->def_text, sizeof(d->def_text)) < 0) {
		ddl_end(d, -EINVAL, NULL, 0);
		return;
	}
	struct store_cmp cmp[2] = {
		{.key = d->key_def,
		 .key_len = strlen(d->key_def),
		 .target = STORE_CMP_MOD,
		 .result = STORE_EQUAL,
		 .number = kdef ? kdef->mod_revision : 0},
		{.key = d->key_pos,
		 .key_len = strlen(d->key_pos),
		 .target = STORE_CMP_MOD,
		 .result = STORE_EQUAL,
		 .number = kpos ? kpos->mod_revision : 0},
	};
	struct store_op ops[3] = {
		{.kind = d->kind == DDL_DROP ? STORE_OP_DELETE : STORE_OP_PUT,
		 .key = d->key_def,
		 .key_len = strlen(d->key_def),
		 .value = d->def_text,
		 .value_len = strlen(d->def_text)},
		{.kind = STORE_OP_PUT,
		 .key = d->key_pos,
		 .key_len = strlen(d->key_pos),
		 .value = d->pos_text,
		 .value_len = strlen(d->pos_text)},
		/* every host looks at this one key often: it says "read again" */
		{.kind = STORE_OP_PUT,
		 .key = cl->key_ddl,
		 .key_len = strlen(cl->key_ddl),
		 .value = d->name,
		 .value_len = strlen(d->name)},
	};
	if (d->kind == DDL_DROP)
		ops[0].value = NULL, ops[0].value_len = 0;
	struct store_txn t = {.cmp = cmp, .ncmp = 2, .success = ops, .nsuccess = 3};
	e = store_txn(cl->st, &t, on_ddl_txn, d);
	if (e < 0)
		ddl_end(d, e, NULL, 0);
}

static void ddl_read(struct ddl *d)
{
	struct cluster *cl = d->cl;
	char k[400], end[400];
	snprintf(k, sizeof(k), "%sseq/%s/", cl->prefix, d->name);
	snprintf(end, sizeof(end), "%sseq/%s0", cl->prefix, d->name);
	int e = store_range(cl->st, k, strlen(k), end, strlen(end), on_ddl_read, d);
	if (e < 0)
		ddl_end(d, e, NULL, 0);
}

static int statement(struct cluster *cl, void *conn, const struct wire_hdr *h, const void *p)
{
	if (cl->name_taken || !cl->owned_rev) {
		/* another daemon is this host (name_held), or this one is not
		 * registered yet: nothing changes */
		cl->ops.reply(cl->ops.ctx, conn, h, -SHMSEQ_ERR_STORE_UNAVAILABLE, NULL, 0);
		return CLUSTER_TAKEN;
	}
	struct ddl *d = calloc(1, sizeof(*d));
	if (!d) {
		cl->ops.reply(cl->ops.ctx, conn, h, -ENOMEM, NULL, 0);
		return CLUSTER_TAKEN;
	}
	const char *why = NULL;
	int bad = 0;
	d->cl = cl;
	d->conn = conn;
	d->h = *h;
	d->start_ns = now_ns();
	switch (h->op) {
	case WIRE_CREATE:
	case WIRE_ALTER: {
		struct wire_ddl w;
		memcpy(&w, p, sizeof(w));
		d->kind = h->op == WIRE_CREATE ? DDL_CREATE : DDL_ALTER;
		d->flags = w.flags;
		bad = wire_name_get(&w.name, d->name) < 0 || wire_options_decode(&w.opt, &d->opt, &why) < 0;
		if (!bad && (d->flags & WIRE_DDL_OR_REPLACE) && (d->flags & WIRE_DDL_IF_NOT_EXISTS)) {
			cl->ops.reply(cl->ops.ctx, conn, h, -SHMSEQ_ERR_WRONG_USAGE, NULL, 0);
			free(d);
			return CLUSTER_TAKEN;
		}
		break;
	}
	case WIRE_DROP: {
		const struct wire_drop *w = p;
		d->kind = DDL_DROP;
		bad = wire_name_get(&w->name, d->name) < 0;
		break;
	}
	default: /* WIRE_SETVAL */
		memcpy(&d->sv, p, sizeof(d->sv));
		d->kind = DDL_SETVAL;
		bad = wire_name_get(&d->sv.name, d->name) < 0 || d->sv.is_used > 1;
		break;
	}
	if (bad) {
		free(d);
		return CLUSTER_BAD;
	}
	key_of(cl, d->name, "def", d->key_def, sizeof(d->key_def));
	key_of(cl, d->name, "pos", d->key_pos, sizeof(d->key_pos));
	d->next = cl->ddls;
	cl->ddls = d;
	ddl_read(d);
	return CLUSTER_TAKEN;
}

/* --- SELECT * FROM s: the global position --------------------------------------------- */

/* MariaDB's next_not_cached_value is the first value no server cached; in
 * a cluster that is the store's pos (the first value not granted to any
 * host), read at the statement's time, and cycle_count its round. The rest
 * of the row is the definition, as in local mode. A store that cannot be
 * read answers SHMSEQ_ERR_STORE_UNAVAILABLE, never a position it cannot
 * vouch for. */
struct rowq {
	struct rowq *next;
	struct cluster *cl;
	void *conn; /* NULL once the session is gone */
	struct wire_hdr h;
	char name[SHMSEQ_NAME_MAX + 1];
	char key[400];
};

static void on_row_pos(void *ctx, const struct store_reply *r)
{
	struct rowq *q = ctx;
	struct cluster *cl = q->cl;
	for (struct rowq **pp = &cl->rows; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	if (cl->closing || !q->conn) {
		free(q);
		return;
	}
	int32_t status = 0;
	struct seg_pos pos;
	const struct store_kv *kv = r->status == STORE_OK && r->nranges && r->ranges[0].count == 1
					    ? &r->ranges[0].kvs[0]
					    : NULL;
	if (r->status != STORE_OK)
		status = store_err(r->status);
	else if (!kv)
		status = -SHMSEQ_ERR_UNKNOWN_SEQUENCE; /* dropped meanwhile */
	else if (seg_pos_parse(kv->value, kv->value_len, &pos) < 0)
		status = -EBADMSG;
	struct wire_row_reply *rep = calloc(1, sizeof(*rep));
	struct seq_def *def = calloc(1, sizeof(*def));
	if (!rep || !def) {
		status = -ENOMEM;
	} else if (status == 0) {
		struct seq_row row = {0};
		status = catalog_row(cl->cat, q->name, &row, def, &rep->seq_id, &rep->reserve_ahead);
		if (status == 0) {
			/* a used-up round: the beyond-the-end sentinel, as in
			 * local mode (MAXVALUE+1 / MINVALUE-1) */
			int64_t inc = seq_real_increment(def, cl->env);
			row.next_not_cached_value =
				pos.end ? seq_step(def, inc > 0 ? def->maxvalue : def->minvalue, inc)
					: pos.next;
			row.cycle_count = pos.round;
			wire_row_encode(&rep->row, &row);
			wire_def_encode(&rep->def, def);
		}
	}
	cl->ops.reply(cl->ops.ctx, q->conn, &q->h, status, rep, status == 0 ? sizeof(*rep) : 0);
	free(rep);
	free(def);
	free(q);
}

static int row(struct cluster *cl, void *conn, const struct wire_hdr *h, const void *payload)
{
	const struct wire_open *o = payload;
	char name[SHMSEQ_NAME_MAX + 1];
	if (wire_name_get(&o->name, name) < 0 || !cseq_find(cl, name))
		return CLUSTER_LOCAL; /* not the store's: TEMPORARY, or unknown */
	struct rowq *q = calloc(1, sizeof(*q));
	if (!q) {
		cl->ops.reply(cl->ops.ctx, conn, h, -ENOMEM, NULL, 0);
		return CLUSTER_TAKEN;
	}
	q->cl = cl;
	q->conn = conn;
	q->h = *h;
	memcpy(q->name, name, sizeof(name));
	key_of(cl, name, "pos", q->key, sizeof(q->key));
	int e = store_range(cl->st, q->key, strlen(q->key), NULL, 0, on_row_pos, q);
	if (e < 0) {
		free(q);
		cl->ops.reply(cl->ops.ctx, conn, h, e, NULL, 0);
		return CLUSTER_TAKEN;
	}
	q->next = cl->rows;
	cl->rows = q;
	return CLUSTER_TAKEN;
}

/* --- the interface ---------------------------------------------------------------------- */

int cluster_handle(struct cluster *cl, void *conn, const struct wire_hdr *h, const void *payload, size_t len)
{
	(void)len; /* wire_check() checked each op's size */
	switch (h->op) {
	case WIRE_CREATE:
	case WIRE_ALTER:
	case WIRE_DROP:
	case WIRE_SETVAL:
		return statement(cl, conn, h, payload);
	case WIRE_ROW:
		return row(cl, conn, h, payload);
	case WIRE_INSERT:
		/* INSERT INTO s VALUES (…) sets every column of the row at
		 * once, outside the store's Txn: refused, nothing changes */
		cl->ops.reply(cl->ops.ctx, conn, h, -SHMSEQ_ERR_NOT_SUPPORTED, NULL, 0);
		return CLUSTER_TAKEN;
	case WIRE_REFILL:
	case WIRE_WRAP:
	case WIRE_NUDGE: {
		struct wire_ticket t;
		memcpy(&t, payload, sizeof(t));
		return ticket(cl, conn, h, &t);
	}
	default:
		return CLUSTER_LOCAL;
	}
}

void cluster_conn_gone(struct cluster *cl, void *conn)
{
	for (struct ddl *d = cl->ddls; d; d = d->next)
		if (d->conn == conn)
			d->conn = NULL;
	for (struct rowq *q = cl->rows; q; q = q->next)
		if (q->conn == conn)
			q->conn = NULL;
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (struct cseq *c = cl->b[b]; c; c = c->next)
			for (size_t i = 0; i < c->nw; i++)
				if (c->w[i].conn == conn)
					c->w[i].conn = NULL;
}

void cluster_fds(const struct cluster *cl, int fds[2])
{
	fds[0] = store_fd(cl->st);
	fds[1] = cl->tfd;
}

void cluster_event(struct cluster *cl, int i)
{
	if (i == 0) {
		store_dispatch(cl->st);
		return;
	}
	uint64_t x;
	if (read(cl->tfd, &x, sizeof(x)) < 0)
		return;
	uint64_t t = now_ns();
	if (t - cl->last_check_ns >= FALLBACK_NS)
		ddl_check(cl);
	if (t - cl->last_poll_ns >= (uint64_t)cl->poll_ms * 1000000u) {
		cl->last_poll_ns = t;
		poll_now(cl);
	}
	if (cl->synced && t - cl->last_ack_ns >= HEARTBEAT_NS)
		send_ack(cl);
	registry_tick(cl, t);
	if (fencing(cl)) {
		fence_check(cl); /* the time-outs */
		if (fencing(cl) && t - cl->last_acks_ns >= FALLBACK_NS)
			read_acks(cl);
	}
	/* a store back after being down: the waiting ones try again; a grant
	 * that takes too long (a store pausing or electing) answers them */
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (struct cseq *c = cl->b[b]; c; c = c->next) {
			if (c->nw && !c->inflight)
				grant(cl, c);
			else if (c->nw && t - c->grant_ns > WAIT_MAX_NS) {
				/* taken as unreachable until an answer says otherwise:
				 * the next spent refills fail at once */
				cl->healthy = false;
				snprintf(cl->last_error, sizeof(cl->last_error),
					 "a grant for '%s' has waited for the store over %llu ms", c->name,
					 WAIT_MAX_NS / 1000000);
				cl->unavailable += c->nw;
				cseq_answer(c, -SHMSEQ_ERR_STORE_UNAVAILABLE);
			}
		}
}

int cluster_open(const struct cluster_config *cfg, struct catalog *cat, const struct seq_env *env,
		 const struct cluster_ops *ops, struct cluster **out, char *err, size_t errlen)
{
	struct cluster *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cl->cat = cat;
	cl->env = env;
	cl->ops = *ops;
	cl->tfd = -1;
	cl->healthy = true;
	cl->poll_ms = cfg->poll_ms > 0 ? cfg->poll_ms : 500;
	snprintf(cl->prefix, sizeof(cl->prefix), "/shmseq/%s/v1/", cfg->name);
	snprintf(cl->host, sizeof(cl->host), "%s", cfg->host);
	snprintf(cl->key_ddl, sizeof(cl->key_ddl), "%sddl", cl->prefix);
	snprintf(cl->key_acks, sizeof(cl->key_acks), "%sacks/", cl->prefix);
	snprintf(cl->key_ack, sizeof(cl->key_ack), "%sacks/%s", cl->prefix, cl->host);
	snprintf(cl->key_hosts, sizeof(cl->key_hosts), "%shosts/", cl->prefix);
	snprintf(cl->key_host, sizeof(cl->key_host), "%shosts/%s", cl->prefix, cl->host);
	cl->started_ms = wall_ms();
	/* this boot of this machine: a registry key of an earlier daemon here
	 * whose pid is gone was a restart, not another host (name_held) */
	FILE *bf = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (bf) {
		if (!fgets(cl->boot_id, sizeof(cl->boot_id), bf))
			cl->boot_id[0] = 0;
		cl->boot_id[strcspn(cl->boot_id, "\n\"\\")] = 0;
		fclose(bf);
	}
	ssize_t nl = readlink("/proc/self/ns/pid", cl->pidns, sizeof(cl->pidns) - 1);
	cl->pidns[nl > 0 ? nl : 0] = 0;
	cl->pidns[strcspn(cl->pidns, "\"\\")] = 0;
	struct store_config sc = {.endpoints = cfg->endpoints, .bind = cfg->bind};
	int r = store_open(&sc, &cl->st, err, errlen);
	if (r < 0) {
		free(cl);
		return r;
	}
	cl->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {
		.it_interval = {0, TICK_MS * 1000000},
		.it_value = {0, TICK_MS * 1000000},
	};
	if (cl->tfd < 0 || timerfd_settime(cl->tfd, 0, &its, NULL) < 0) {
		r = -errno;
		snprintf(err, errlen, "timerfd: %s", strerror(errno));
		cluster_close(cl);
		return r;
	}
	/* one stream for acks/<host>, ddl and hosts/<host>: what lies
	 * between them in the key space */
	char wend[256];
	snprintf(wend, sizeof(wend), "%shosts0", cl->prefix);
	r = store_watch(cl->st, cl->key_acks, strlen(cl->key_acks), wend, strlen(wend), 0, on_events, cl,
			&cl->sw);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		cluster_close(cl);
		return r;
	}
	poll_now(cl);
	registry_tick(cl, now_ns()); /* the name known before the first grant */
	store_wait(cl->st, 5000);
	if (!cl->synced)
		say("the store at %s did not answer at start (%s): serving nothing until it does",
		    cfg->endpoints, cl->last_error[0] ? cl->last_error : "no answer in 5 s");
	*out = cl;
	return 0;
}

void cluster_close(struct cluster *cl)
{
	if (!cl)
		return;
	if (cl->lease && cl->owned_rev && cl->st) {
		/* gone from the registry at once, not after the lease's TTL;
		 * only the key this daemon put (never another's of its name) */
		cl->closing = true;
		struct store_cmp cmp = {.key = cl->key_host,
					.key_len = strlen(cl->key_host),
					.target = STORE_CMP_MOD,
					.result = STORE_EQUAL,
					.number = cl->owned_rev};
		struct store_op op = {
			.kind = STORE_OP_DELETE, .key = cl->key_host, .key_len = strlen(cl->key_host)};
		struct store_txn t = {.cmp = &cmp, .ncmp = 1, .success = &op, .nsuccess = 1};
		if (store_txn(cl->st, &t, NULL, NULL) == 0)
			store_wait(cl->st, 500);
	}
	cl->closing = true;
	store_close(cl->st); /* pending callbacks run, and do nothing */
	for (unsigned b = 0; b < NBUCKETS; b++) {
		struct cseq *c = cl->b[b];
		while (c) {
			struct cseq *n = c->next;
			cseq_free(c);
			c = n;
		}
	}
	while (cl->ddls) {
		struct ddl *d = cl->ddls;
		cl->ddls = d->next;
		free(d);
	}
	if (cl->tfd >= 0)
		close(cl->tfd);
	free(cl->peers);
	free(cl->hosts);
	free(cl);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* p50 and p99 of the last samples, in µs. */
static void pct(const uint64_t *v, uint64_t n, double *p50, double *p99)
{
	uint64_t k = n < LAT_N ? n : LAT_N;
	*p50 = *p99 = 0;
	if (!k)
		return;
	uint64_t *t = malloc(k * sizeof(*t));
	if (!t)
		return;
	memcpy(t, v, k * sizeof(*t));
	qsort(t, k, sizeof(*t), cmp_u64);
	*p50 = (double)t[k / 2] / 1000.0;
	*p99 = (double)t[(k * 99) / 100 < k ? (k * 99) / 100 : k - 1] / 1000.0;
	free(t);
}

void cluster_status(const struct cluster *cl, char *buf, size_t cap)
{
	double g50, g99, d50, d99;
	pct(cl->lat_grant, cl->ngrant, &g50, &g99);
	pct(cl->lat_ddl, cl->nddl, &d50, &d99);
	size_t o = 0;
#define OUT(...)                                                                                             \
	do {                                                                                                 \
		if (o < cap) {                                                                               \
			int n_ = snprintf(buf + o, cap - o, __VA_ARGS__);                                    \
			o += n_ > 0 ? (size_t)n_ : 0;                                                        \
		}                                                                                            \
	} while (0)
	const char *cur = store_current(cl->st);
	OUT("mode: clustered\nstore: %s\nstore answered last: %s\nhealth: %s%s%s\nkey prefix: %s\nhost: %s\n",
	    store_endpoints(cl->st), cur ? cur : "(none yet)", cl->healthy ? "reachable" : "UNREACHABLE",
	    cl->healthy || !cl->last_error[0] ? "" : ": ", cl->healthy ? "" : cl->last_error, cl->prefix,
	    cl->host);
	OUT("grants: %" PRIu64 " (p50 %.0f us, p99 %.0f us); statements: %" PRIu64
	    " (p50 %.0f us, p99 %.0f us)\n",
	    cl->ngrant, g50, g99, cl->nddl, d50, d99);
	OUT("refills that waited on the store: %" PRIu64 "; answered store-unavailable: %" PRIu64
	    "; stale grants: %" PRIu64 "; fences: %" PRIu64 "; segments left unused: %" PRIu64
	    "; other hosts' ranges fenced by statements: %" PRIu64 "; fence time-outs: %" PRIu64 "\n",
	    cl->waits, cl->unavailable, cl->stale, cl->fenced, cl->gaps, cl->fence_ranges,
	    cl->fence_timeouts);
	/* the hosts: the registry's (present or gone) and those that only
	 * acknowledged, this one first */
	int64_t t0 = wall_ms();
	uint64_t tn = now_ns();
	if (cl->name_taken)
		OUT("host name: TAKEN by another daemon (%s): this one draws no segments and answers no "
		    "statements until it stops\n",
		    cl->taken_by);
	OUT("host %s: %s; ack rev %lld, %lld ms ago; this host\n", cl->host,
	    cl->name_taken ? "not registered (name taken)"
	    : cl->lease	   ? "live (lease held)"
			   : "not registered (no lease)",
	    (long long)cl->acked_rev, cl->last_ack_ns ? (long long)((tn - cl->last_ack_ns) / 1000000) : -1LL);
	for (size_t i = 0; i < cl->nhosts; i++) {
		const struct hostent *h = &cl->hosts[i];
		if (strcmp(h->host, cl->host) == 0)
			continue;
		const struct peer *p = NULL;
		for (size_t k = 0; k < cl->npeers && !p; k++)
			if (strcmp(cl->peers[k].host, h->host) == 0)
				p = &cl->peers[k];
		OUT("host %s: %s; ack rev %lld, %lld ms ago; %s\n", h->host,
		    h->present ? "live" : "gone (no lease)", p ? (long long)p->rev : 0LL,
		    p ? (long long)(t0 - p->t) : -1LL, h->info);
	}
	for (size_t k = 0; k < cl->npeers; k++)
		if (!host_find(cl, cl->peers[k].host))
			OUT("host %s: unregistered; ack rev %lld, %lld ms ago\n", cl->peers[k].host,
			    (long long)cl->peers[k].rev, (long long)(t0 - cl->peers[k].t));
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (const struct cseq *c = cl->b[b]; c; c = c->next) {
			struct seq *s = catalog_find(cl->cat, c->name);
			if (!s)
				continue;
			uint64_t used = region_slot_consumed(&cl->cat->slots[s->slot]);
			if (used > s->cap)
				used = s->cap;
			char first[32];
			OUT("segment %s: epoch %" PRIu64 " round %lld from %s, %" PRIu64 " of %" PRIu64
			    " taken%s\n",
			    c->name, c->epoch, (long long)s->cycle_count,
			    seq_value_format(&c->def, s->base, first), used, s->cap,
			    c->has_reserve ? ", next one granted" : "");
		}
#undef OUT
}
