/* SPDX-License-Identifier: MIT */
/* test_catalog.c — unit tests of the daemon's catalog (daemon/catalog.c) over
 * a real wal in a temp directory and a region in private memory: the log
 * records it writes and replays (the first record format still replayed;
 * never a record its own replay would reject; records the replay rejects
 * refused, or dropped with --accept-log-damage without reissuing a value),
 * the repair of slots a scribbler changed, and the epoch transitions: DDL
 * and SETVAL, refills, CYCLE rounds, slot reuse only after a durable drop,
 * adoption of a crashed daemon's slots, and the skip past a torn last
 * record. Clients are played by region_take() on the slots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "catalog.h"
#include "region.h"
#include "wal.h"

#define NSLOTS 16u

struct fix {
	char dir[64];
	struct region_header *h;
	size_t size;
	struct catalog c;
	struct wal *w;
	char err[1024];
};

static const struct seq_env env = {1, 1};

static void fix_dir(struct fix *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_catalog.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
}

/* A catalog over a region, the wal replayed into it; the wal_open result.
 * adopt: the region is the one the last catalog left (a daemon crash: the
 * keeper kept it); otherwise a fresh one. */
static int fix_start(struct fix *f, bool accept, bool adopt, uint64_t *adopted_out)
{
	if (!adopt) {
		f->size = region_bytes(NSLOTS);
		f->h = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		assert_true(f->h != MAP_FAILED);
		f->h->magic = REGION_MAGIC;
		f->h->layout_version = REGION_LAYOUT_VERSION;
		f->h->header_size = sizeof(*f->h);
		f->h->slot_size = sizeof(struct region_slot);
		f->h->nslots = NSLOTS;
		f->h->region_size = f->size;
	}
	assert_int_equal(catalog_init(&f->c, f->h, &env), 0);
	f->c.accept_damage = accept;
	struct wal_opts o = {.prealloc = 4096, .accept_damage = accept};
	int r = wal_open(f->dir, NULL, &o, catalog_replay, &f->c, &f->w, f->err, sizeof(f->err));
	if (r < 0)
		return r;
	f->c.wal = f->w;
	uint64_t adopted;
	assert_int_equal(catalog_start(&f->c, adopt, &adopted, f->err, sizeof(f->err)), 0);
	if (adopted_out)
		*adopted_out = adopted;
	if (f->c.dropped) {
		/* as the daemon does: the dropped records go behind a snapshot */
		struct catalog_iter it = {.c = &f->c};
		assert_int_equal(wal_snapshot(f->w, catalog_snapshot_next, &it), 0);
	}
	return 0;
}

static int fix_open(struct fix *f, bool accept)
{
	return fix_start(f, accept, false, NULL);
}

/* The daemon dies: no shutdown record, nothing more appended; the region
 * stays as the clients left it. */
static void fix_crash(struct fix *f)
{
	wal_close(f->w);
	f->w = NULL;
	catalog_deinit(&f->c);
}

static void fix_close(struct fix *f)
{
	if (f->w)
		wal_close(f->w);
	f->w = NULL;
	catalog_deinit(&f->c);
	munmap(f->h, f->size);
}

static void fix_rm(struct fix *f)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

/* The daemon's batch: records, one sync, publish. */
static void batch(struct fix *f)
{
	catalog_prepare(&f->c);
	assert_int_equal(wal_sync(f->w), 0);
	catalog_publish(&f->c);
}

static void create(struct fix *f, const char *name, int64_t cache, int type)
{
	struct seq_options o;
	struct seq_notes notes = {0};
	int32_t note;
	memset(&o, 0, sizeof(o));
	o.given = SEQ_OPT_CACHE;
	o.cache = cache;
	if (type != SEQ_TYPE_BIGINT) {
		o.given |= SEQ_OPT_AS;
		o.type = (uint8_t)type;
	}
	assert_int_equal(catalog_create(&f->c, name, &o, 0, &note, &notes), 0);
	batch(f);
}

/* CREATE SEQUENCE name MAXVALUE max CACHE cache CYCLE, made durable. */
static void create_cycle(struct fix *f, const char *name, int64_t max, int64_t cache)
{
	struct seq_options o;
	struct seq_notes notes = {0};
	int32_t note;
	memset(&o, 0, sizeof(o));
	o.given = SEQ_OPT_CYCLE | SEQ_OPT_MAXVALUE | SEQ_OPT_CACHE;
	o.cycle = true;
	o.maxvalue = max;
	o.cache = cache;
	assert_int_equal(catalog_create(&f->c, name, &o, 0, &note, &notes), 0);
	batch(f);
}

/* A client's NEXTVAL on name: a value, or the take result it stopped at. */
static enum region_take_result take(struct fix *f, const char *name, int64_t *v)
{
	struct seq *s = catalog_find(&f->c, name);
	assert_non_null(s);
	struct region_slot *slot = &f->c.slots[s->slot];
	for (int i = 0; i < 100; i++) {
		struct region_ticket tk = {0};
		enum region_take_result r = region_take(slot, s->id, v, &tk);
		if (r == TAKE_RETRY)
			continue;
		if (r == TAKE_WIDE) {
			r = region_redeem(slot, s->id, &tk, v);
			if (r == TAKE_RETRY)
				continue;
		}
		if (r == TAKE_END && s->def.cycle) {
			/* the client asks for the next round */
			int w = catalog_wrap(&f->c, s->slot, s->id, tk.gen);
			assert_true(w >= 0);
			batch(f);
			continue;
		}
		if (r != TAKE_REFILL)
			return r;
		assert_int_equal(catalog_refill(&f->c, s->slot, s->id, tk.gen, tk.n, true), 0);
		batch(f);
		r = region_redeem(slot, s->id, &tk, v);
		if (r != TAKE_RETRY && r != TAKE_REFILL)
			return r;
	}
	fail_msg("no value after 100 tries");
	return TAKE_CORRUPT;
}

static int64_t take_ok(struct fix *f, const char *name)
{
	int64_t v;
	assert_int_equal(take(f, name, &v), TAKE_OK);
	return v;
}

/* A REC_SEQ_V1 as the first format wrote it (no epoch base). */
struct v1 {
	uint64_t id;
	int64_t horizon;
	int64_t cycle_count;
	uint8_t name_len;
	char name[64];
	uint8_t cycle, type, is_unsigned, pad[5];
	int64_t start, minvalue, maxvalue, increment, cache;
	uint16_t comment_len;
	char comment[3];
};

static void append_raw(struct fix *f, uint16_t type, const void *p, uint32_t len)
{
	struct wal *w;
	assert_int_equal(wal_open(f->dir, NULL, NULL, NULL, NULL, &w, f->err, sizeof(f->err)), 0);
	assert_int_equal(wal_append(w, type, p, len, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
}

/* The first format is still replayed; such a sequence restarts from its
 * horizon, and what is written from then on is the current format. */
static void test_v1_record_replayed(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	struct v1 r;
	memset(&r, 0, sizeof(r));
	r.id = 42;
	r.horizon = 500;
	r.name_len = 3;
	memcpy(r.name, "old", 3);
	r.start = 1;
	r.minvalue = 1;
	r.maxvalue = INT64_MAX - 1;
	r.increment = 1;
	r.cache = 10;
	r.comment_len = 3;
	memcpy(r.comment, "abc", 3);
	append_raw(&f, REC_SEQ_V1, &r, (uint32_t)offsetof(struct v1, comment) + 3);
	assert_int_equal(fix_open(&f, false), 0);
	struct seq *s = catalog_find(&f.c, "old");
	assert_non_null(s);
	assert_int_equal(s->id, 42);
	assert_int_equal(s->horizon, 500);
	assert_false(s->has_floor);
	assert_int_equal(s->def.comment_len, 3);
	assert_memory_equal(s->comment, "abc", 3);
	assert_int_equal(take_ok(&f, "old"), 500);
	fix_close(&f);
	/* reopened: the refill's record is a REC_SEQ with its epoch base */
	assert_int_equal(fix_open(&f, false), 0);
	s = catalog_find(&f.c, "old");
	assert_true(s->has_floor);
	assert_int_equal(s->floor, 500);
	assert_true(s->horizon > 500);
	fix_close(&f);
	fix_rm(&f);
}

/* A state the replay would reject (an epoch base below MINVALUE, as a daemon
 * bug could leave) is never written: the record is refused, nothing is
 * appended, the sequence hands out nothing new, and the log still opens. A
 * statement whose record is refused is not acknowledged. */
static void test_never_appends_rejected(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "t", 10, SEQ_TYPE_TINYINT);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(take_ok(&f, "t"), i);
	struct seq *s = catalog_find(&f.c, "t");
	uint64_t size = wal_log_size(f.w), records = f.c.records;
	int64_t horizon = s->horizon;
	s->base = -1000;
	assert_true(catalog_shutdown(&f.c) < 0);
	assert_int_equal(f.c.records, records);
	assert_int_equal(wal_log_size(f.w), size);
	assert_true(s->broken);
	assert_int_equal(f.c.nbroken, 1);

	/* a statement: CREATE u, its new state made invalid before its record */
	struct seq_options o;
	struct seq_notes notes = {0};
	int32_t note;
	memset(&o, 0, sizeof(o));
	o.given = SEQ_OPT_AS;
	o.type = SEQ_TYPE_TINYINT;
	assert_int_equal(catalog_create(&f.c, "u", &o, 0, &note, &notes), 0);
	struct seq *u = catalog_find(&f.c, "u");
	u->base = -1000; /* not even a TINYINT */
	assert_true(catalog_prepare(&f.c) < 0);
	assert_true(catalog_take_refused(&f.c));
	assert_false(catalog_take_refused(&f.c));
	assert_int_equal(wal_sync(f.w), 0);
	catalog_publish(&f.c);
	assert_int_equal(f.c.nbroken, 2);
	/* nothing was published for u, and no window ever will be */
	assert_int_equal(atomic_load(&f.c.slots[u->slot].limit), 0);
	assert_int_equal(catalog_refill(&f.c, u->slot, u->id, u->gen, 0, true), -EIO);
	fix_close(&f);

	/* the log opens and holds the last good state of t; u never was */
	assert_int_equal(fix_open(&f, false), 0);
	s = catalog_find(&f.c, "t");
	assert_non_null(s);
	assert_int_equal(s->horizon, horizon);
	assert_null(catalog_find(&f.c, "u"));
	assert_true(take_ok(&f, "t") >= 4);
	fix_close(&f);
	fix_rm(&f);
}

/* MariaDB's SETVAL with a higher round may put a CYCLE sequence below its
 * MINVALUE, and hands out values from there (recorded: conformance). That
 * state is logged, acknowledged, replayed and resumed, not refused. */
static void test_setval_below_minvalue_logged(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create_cycle(&f, "a", 100, 1000);
	assert_int_equal(take_ok(&f, "a"), 1);
	assert_int_equal(catalog_setval(&f.c, "a", -50, false, 1), 1);
	catalog_prepare(&f.c);
	assert_false(catalog_take_refused(&f.c));
	assert_int_equal(wal_sync(f.w), 0);
	catalog_publish(&f.c);
	assert_int_equal(f.c.nbroken, 0);
	assert_int_equal(take_ok(&f, "a"), -50);
	assert_int_equal(take_ok(&f, "a"), -49);
	assert_int_equal(catalog_shutdown(&f.c), 0);
	assert_int_equal(wal_sync(f.w), 0);
	fix_close(&f);
	/* replayed: MariaDB's stored position after those two, past MAXVALUE */
	assert_int_equal(fix_open(&f, false), 0);
	assert_int_equal(catalog_find(&f.c, "a")->horizon, 101);
	assert_int_equal(catalog_find(&f.c, "a")->cycle_count, 1);
	fix_close(&f);
	fix_rm(&f);
}

/* A record the replay rejects: refused with the reason, or with
 * --accept-log-damage dropped; its sequence resumes beyond the furthest
 * position of its course, the dropped record's own included. */
static void test_rejected_record(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "t", 10, SEQ_TYPE_TINYINT);
	create(&f, "b", 5, SEQ_TYPE_BIGINT);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(take_ok(&f, "t"), i);
		assert_int_equal(take_ok(&f, "b"), i);
	}
	struct seq *s = catalog_find(&f.c, "t");
	struct rec_seq r;
	memset(&r, 0, sizeof(r));
	r.id = s->id;
	r.horizon = 100;     /* a position of t, further than any before */
	r.epoch_base = -500; /* not even a TINYINT */
	r.name_len = 1;
	r.name[0] = 't';
	r.type = SEQ_TYPE_TINYINT;
	r.start = 1;
	r.minvalue = 1;
	r.maxvalue = 126;
	r.increment = 1;
	r.cache = 10;
	fix_close(&f);
	unsigned char buf[REC_SEQ_MAX];
	append_raw(&f, REC_SEQ, buf, rec_seq_encode(&r, buf));

	assert_int_equal(fix_open(&f, false), -EBADMSG);
	printf("# refused: %s\n#   %s\n", f.err, f.c.replay_why);
	assert_non_null(strstr(f.c.replay_why, "epoch base -500"));
	assert_non_null(strstr(f.c.replay_why, "--accept-log-damage"));
	catalog_deinit(&f.c);
	munmap(f.h, f.size);

	assert_int_equal(fix_open(&f, true), 0);
	assert_int_equal(f.c.dropped, 1);
	assert_int_equal(take_ok(&f, "t"), 100);
	assert_true(take_ok(&f, "b") > 3);
	fix_close(&f);

	/* a record of an unknown type may have been anyone's: every sequence
	 * skips as for a lost record */
	assert_int_equal(fix_open(&f, false), 0);
	int64_t b_at = catalog_find(&f.c, "b")->horizon;
	fix_close(&f);
	append_raw(&f, 77, "?", 1);
	assert_int_equal(fix_open(&f, false), -EBADMSG);
	assert_non_null(strstr(f.c.replay_why, "unknown record type 77"));
	catalog_deinit(&f.c);
	munmap(f.h, f.size);
	assert_int_equal(fix_open(&f, true), 0);
	s = catalog_find(&f.c, "b");
	assert_true(s->horizon >= b_at + (int64_t)s->ahead_max + 1024);
	assert_int_equal(take(&f, "t", &(int64_t){0}), TAKE_END); /* 126 values: skipped past */
	fix_close(&f);
	fix_rm(&f);
}

/* Every word of the epoch a scribbler may change: repaired, the slot equal
 * to the catalog again, and the next value right. */
static void test_check_slot_repairs(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "g", 100, SEQ_TYPE_BIGINT);
	int64_t last = 0;
	for (int i = 0; i < 3; i++)
		last = take_ok(&f, "g");
	struct seq *s = catalog_find(&f.c, "g");
	struct region_slot *slot = &f.c.slots[s->slot];
	assert_false(catalog_check_slot(&f.c, s));
	for (int k = 0; k < 10; k++) {
		switch (k) {
		case 0:
			atomic_fetch_or(&slot->gen, 1);
			break;
		case 1:
			atomic_fetch_add(&slot->gen, 2);
			break;
		case 2:
			atomic_store(&slot->seq_id, 7);
			break;
		case 3:
			atomic_store(&slot->base, -50);
			break;
		case 4:
			atomic_store(&slot->inc, 0);
			break;
		case 5:
			atomic_store(&slot->limit, atomic_load(&slot->ticks) - 1);
			break;
		case 6:
			atomic_store(&slot->end, 2);
			break;
		case 7:
			atomic_store(&slot->refill_mark, 1);
			break;
		case 8:
			atomic_store(&slot->flags, SLOT_CYCLE | SLOT_UNSIGNED);
			break;
		case 9:
			atomic_store(&slot->ticks, s->limit + (1ull << 30));
			break;
		}
		uint64_t g = s->gen;
		assert_true(catalog_check_slot(&f.c, s));
		assert_true(s->gen != g);
		assert_false(catalog_check_slot(&f.c, s));
		int64_t v = take_ok(&f, "g");
		assert_true(v > last);
		last = v;
	}
	assert_int_equal(f.c.repairs, 10);

	/* a limit raised: clients hand out values the log does not cover; the
	 * repair counts them and the next record covers them at once */
	uint64_t written = s->written;
	atomic_store(&slot->limit, written + 5000);
	for (int i = 0; i < 5000; i++)
		last = take_ok(&f, "g");
	assert_true(catalog_check_slot(&f.c, s));
	assert_true(s->jump);
	batch(&f);
	assert_true(s->horizon > last);
	assert_true(take_ok(&f, "g") > last);
	fix_close(&f);
	/* and that is what a restart resumes beyond */
	assert_int_equal(fix_open(&f, false), 0);
	assert_true(take_ok(&f, "g") > last);
	fix_close(&f);
	fix_rm(&f);
}

static void alter_restart(struct fix *f, const char *name, int64_t at)
{
	struct seq_options o;
	struct seq_notes notes = {0};
	int32_t note;
	memset(&o, 0, sizeof(o));
	o.given = SEQ_OPT_RESTART;
	o.restart_with = true;
	o.restart = at;
	assert_int_equal(catalog_alter(&f->c, name, &o, 0, &note, &notes), 0);
	batch(f);
}

/* Each statement opens a new epoch at MariaDB's position; a daemon crash
 * (fresh region, the log replayed) resumes beyond every value handed out,
 * within the reservation; a clean shutdown resumes at MariaDB's position. */
static void test_epochs_across_ddl(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "a", 10, SEQ_TYPE_BIGINT);
	uint64_t gen = catalog_find(&f.c, "a")->gen;
	for (int i = 1; i <= 3; i++)
		assert_int_equal(take_ok(&f, "a"), i);
	alter_restart(&f, "a", 100);
	assert_true(catalog_find(&f.c, "a")->gen != gen);
	assert_int_equal(take_ok(&f, "a"), 100);
	assert_int_equal(take_ok(&f, "a"), 101);
	/* SETVAL forward is applied, backward ignored (MariaDB's NULL) */
	assert_int_equal(catalog_setval(&f.c, "a", 500, true, 0), 1);
	batch(&f);
	assert_int_equal(take_ok(&f, "a"), 501);
	assert_int_equal(catalog_setval(&f.c, "a", 10, true, 0), 0);
	batch(&f);
	assert_int_equal(take_ok(&f, "a"), 502);
	/* SETVAL not used: that value itself comes next */
	assert_int_equal(catalog_setval(&f.c, "a", 700, false, 0), 1);
	batch(&f);
	assert_int_equal(take_ok(&f, "a"), 700);

	fix_crash(&f);
	munmap(f.h, f.size);
	assert_int_equal(fix_open(&f, false), 0);
	int64_t v = take_ok(&f, "a");
	assert_true(v > 700);
	assert_true(v <= 700 + 2 * 10 + 1024); /* a window and a record's slack at most */
	int64_t last = v;
	for (int i = 0; i < 30; i++) {
		int64_t n = take_ok(&f, "a");
		assert_int_equal(n, last + 1);
		last = n;
	}

	/* clean: the shutdown records MariaDB's next_not_cached_value */
	assert_int_equal(catalog_shutdown(&f.c), 0);
	assert_int_equal(wal_sync(f.w), 0);
	fix_close(&f);
	assert_int_equal(fix_open(&f, false), 0);
	v = take_ok(&f, "a");
	assert_true(v > last);
	assert_true(v <= last + 10);
	fix_close(&f);
	fix_rm(&f);
}

/* Where a window asks for the next one: halfway while windows grow (each
 * window that runs dry doubles the next, up to 1024 x CACHE), an eighth of
 * the way once a window is as large as it gets; never past the window. */
static void test_refill_mark_early_when_largest(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "m", 2, SEQ_TYPE_BIGINT); /* windows of 2, 4, ... 2048 */
	struct seq *s = catalog_find(&f.c, "m");
	struct region_slot *slot = &f.c.slots[s->slot];
	uint64_t start = 0, grown = 0, largest = 0;
	int64_t v = 0;
	while (largest < 3) {
		uint64_t limit = atomic_load(&slot->limit);
		/* take the window to its end (take() refills when dry) */
		while (atomic_load(&slot->ticks) < limit)
			v = take_ok(&f, "m");
		v = take_ok(&f, "m"); /* the first of the next window */
		uint64_t next = atomic_load(&slot->limit), mark = atomic_load(&slot->refill_mark);
		uint64_t len = next - limit;
		assert_true(mark >= limit && mark < next);
		if (len < 2048) {
			assert_int_equal(mark - limit, len / 2);
			assert_true(len > grown);
			grown = len;
		} else {
			assert_int_equal(len, 2048);
			assert_int_equal(mark - limit, 2048 / 8);
			largest++;
		}
		start = limit;
	}
	assert_true(grown >= 1024); /* it grew there window by window */
	assert_int_equal(v, (int64_t)start + 1);
	fix_close(&f);
	fix_rm(&f);
}

/* A dropped sequence's slot is empty at once (its clients see it gone) and
 * reused only once the drop is durable; a sequence created meanwhile gets
 * another slot. */
static void test_slot_reuse_after_durable_drop(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "a", 10, SEQ_TYPE_BIGINT);
	create(&f, "b", 10, SEQ_TYPE_BIGINT);
	assert_int_equal(take_ok(&f, "a"), 1);
	struct seq *a = catalog_find(&f.c, "a");
	uint32_t sa = a->slot;
	uint64_t ida = a->id;
	assert_int_equal(catalog_drop(&f.c, "a"), 0);
	assert_null(catalog_find(&f.c, "a"));
	int64_t v;
	struct region_ticket tk = {0};
	assert_int_equal(region_take(&f.c.slots[sa], ida, &v, &tk), TAKE_GONE);

	/* in the same batch: not the dropped slot */
	struct seq_options o;
	struct seq_notes notes = {0};
	int32_t note;
	memset(&o, 0, sizeof(o));
	assert_int_equal(catalog_create(&f.c, "c", &o, 0, &note, &notes), 0);
	assert_true(catalog_find(&f.c, "c")->slot != sa);
	batch(&f);
	/* durable now: the slot is free again */
	create(&f, "d", 10, SEQ_TYPE_BIGINT);
	struct seq *d = catalog_find(&f.c, "d");
	assert_int_equal(d->slot, sa);
	assert_true(d->id != ida);
	assert_int_equal(take_ok(&f, "d"), 1);
	/* the old sequence's clients still see it gone, not d's values */
	assert_int_equal(region_take(&f.c.slots[sa], ida, &v, &tk), TAKE_GONE);
	fix_close(&f);

	/* replayed: a is gone, b c d are there */
	assert_int_equal(fix_open(&f, false), 0);
	assert_null(catalog_find(&f.c, "a"));
	assert_non_null(catalog_find(&f.c, "b"));
	assert_non_null(catalog_find(&f.c, "c"));
	assert_non_null(catalog_find(&f.c, "d"));
	assert_true(take_ok(&f, "d") > 1);
	fix_close(&f);
	fix_rm(&f);
}

/* A CYCLE sequence wraps to MINVALUE, counting rounds; a crash resumes
 * after the last value handed out, in its round or a later one. */
static void test_cycle_wraps_replayed(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create_cycle(&f, "r", 5, 2);
	static const int64_t want[] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(take_ok(&f, "r"), want[i]);
	assert_int_equal(catalog_find(&f.c, "r")->cycle_count, 2);
	fix_crash(&f);
	munmap(f.h, f.size);
	assert_int_equal(fix_open(&f, false), 0);
	int64_t v = take_ok(&f, "r");
	int64_t round = catalog_find(&f.c, "r")->cycle_count;
	/* after (round 2, value 2): never 1 or 2 of round 2 again */
	assert_true(round > 2 || (round == 2 && v > 2));
	fix_close(&f);
	fix_rm(&f);
}

/* A daemon crash with the region kept: a slot that agrees with the log is
 * adopted and its clients carry on with no gap; one whose base was moved is
 * not, and resumes beyond its durable floor. */
static void test_adopt_continues_without_gap(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "g", 100, SEQ_TYPE_BIGINT);
	for (int i = 1; i <= 5; i++)
		assert_int_equal(take_ok(&f, "g"), i);
	fix_crash(&f);
	uint64_t adopted = 99;
	assert_int_equal(fix_start(&f, false, true, &adopted), 0);
	assert_int_equal(adopted, 1);
	assert_int_equal(take_ok(&f, "g"), 6);

	/* a scribbler moves the epoch base back, self-consistently */
	int64_t last = 0;
	for (int i = 0; i < 10; i++)
		last = take_ok(&f, "g");
	struct seq *s = catalog_find(&f.c, "g");
	struct region_slot *slot = &f.c.slots[s->slot];
	fix_crash(&f);
	atomic_store(&slot->base, atomic_load(&slot->base) - 5);
	assert_int_equal(fix_start(&f, false, true, &adopted), 0);
	assert_int_equal(adopted, 0);
	int64_t v = take_ok(&f, "g");
	assert_true(v > last);
	fix_close(&f);
	fix_rm(&f);
}

/* The log's last record torn after its batch was acknowledged: the replay
 * cannot know how far it reserved, so every sequence skips ahead by the
 * most a record may move it, beyond the values that record's window handed
 * out. */
static void test_tail_lost_skips_ahead(void **state)
{
	(void)state;
	struct fix f = {0};
	fix_dir(&f);
	assert_int_equal(fix_open(&f, false), 0);
	create(&f, "t", 10, SEQ_TYPE_BIGINT);
	int64_t last = 0;
	uint64_t before = 0, after = 0;
	/* draw until a refill appended a record, then use its window */
	while (after == before) {
		before = wal_log_size(f.w);
		last = take_ok(&f, "t");
		after = wal_log_size(f.w);
	}
	for (int i = 0; i < 5; i++)
		last = take_ok(&f, "t");
	fix_crash(&f);
	munmap(f.h, f.size);

	char path[128];
	snprintf(path, sizeof(path), "%s/log", f.dir);
	FILE *fp = fopen(path, "r+b");
	assert_non_null(fp);
	long at = (long)(before + (after - before) / 2);
	assert_int_equal(fseek(fp, at, SEEK_SET), 0);
	int ch = fgetc(fp);
	assert_int_equal(fseek(fp, at, SEEK_SET), 0);
	fputc(ch ^ 0x5a, fp);
	fclose(fp);

	assert_int_equal(fix_open(&f, false), 0);
	assert_true(f.c.tail_lost);
	int64_t v = take_ok(&f, "t");
	assert_true(v > last);
	fix_close(&f);
	fix_rm(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_record_replayed),
		cmocka_unit_test(test_never_appends_rejected),
		cmocka_unit_test(test_setval_below_minvalue_logged),
		cmocka_unit_test(test_rejected_record),
		cmocka_unit_test(test_check_slot_repairs),
		cmocka_unit_test(test_epochs_across_ddl),
		cmocka_unit_test(test_refill_mark_early_when_largest),
		cmocka_unit_test(test_slot_reuse_after_durable_drop),
		cmocka_unit_test(test_cycle_wraps_replayed),
		cmocka_unit_test(test_adopt_continues_without_gap),
		cmocka_unit_test(test_tail_lost_skips_ahead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
