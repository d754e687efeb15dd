/* test_catalog.c — unit tests of the daemon's catalog (daemon/catalog.c) over
 * a real wal in a temp directory and a region in private memory: the log
 * records it writes and replays (the first record format still replayed;
 * never a record its own replay would reject; records the replay rejects
 * refused, or dropped with --accept-log-damage without reissuing a value),
 * and the repair of slots a scribbler changed. Clients are played by
 * region_take() on the slots. */
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

/* A fresh region and catalog, the wal replayed into it; the wal_open result. */
static int fix_open(struct fix *f, bool accept)
{
	f->size = region_bytes(NSLOTS);
	f->h = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(f->h != MAP_FAILED);
	f->h->magic = REGION_MAGIC;
	f->h->layout_version = REGION_LAYOUT_VERSION;
	f->h->header_size = sizeof(*f->h);
	f->h->slot_size = sizeof(struct region_slot);
	f->h->nslots = NSLOTS;
	f->h->region_size = f->size;
	assert_int_equal(catalog_init(&f->c, f->h, &env), 0);
	f->c.accept_damage = accept;
	struct wal_opts o = {.prealloc = 4096, .accept_damage = accept};
	int r = wal_open(f->dir, NULL, &o, catalog_replay, &f->c, &f->w, f->err, sizeof(f->err));
	if (r < 0)
		return r;
	f->c.wal = f->w;
	uint64_t adopted;
	assert_int_equal(catalog_start(&f->c, false, &adopted, f->err, sizeof(f->err)), 0);
	if (f->c.dropped) {
		/* as the daemon does: the dropped records go behind a snapshot */
		struct catalog_iter it = {.c = &f->c};
		assert_int_equal(wal_snapshot(f->w, catalog_snapshot_next, &it), 0);
	}
	return 0;
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
	struct seq_options o;
	struct seq_notes notes = {0};
	int32_t note;
	memset(&o, 0, sizeof(o));
	o.given = SEQ_OPT_CYCLE | SEQ_OPT_MAXVALUE | SEQ_OPT_CACHE;
	o.cycle = true;
	o.maxvalue = 100;
	o.cache = 1000;
	assert_int_equal(catalog_create(&f.c, "a", &o, 0, &note, &notes), 0);
	batch(&f);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_record_replayed),
		cmocka_unit_test(test_never_appends_rejected),
		cmocka_unit_test(test_setval_below_minvalue_logged),
		cmocka_unit_test(test_rejected_record),
		cmocka_unit_test(test_check_slot_repairs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
