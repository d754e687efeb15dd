/* SPDX-License-Identifier: MIT */
/* test_wal.c — unit tests of the log + snapshot persistence (daemon/wal.c):
 * round trips, recovery from every truncation point and every single-bit
 * flip, snapshot damage, injected write/sync failures at every call, power
 * loss that drops unsynced bytes, and a crash between snapshot and log reset.
 * Logs are preallocated small (PRE bytes) here, so that the exhaustive loops
 * also cover growth and every byte of the zero-filled end.
 *
 * Records of a test's "history" are generated from their index, so what a
 * reopen replays can be checked against what was appended: it must be a
 * prefix of the history that contains every acknowledged record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "wal.h"

#define HDR 64u	 /* file header size (wal.c) */
#define RMIN 20u /* record overhead: 16-byte header + CRC */
#define PRE 256u /* a fresh log's preallocated size in these tests */

static const struct wal_opts topts = {.prealloc = PRE};
static const struct wal_opts accept_opts = {.prealloc = PRE, .accept_damage = 1};

/* ---- helpers: temp dirs and files ---- */

static char *mkdir_tmp(void)
{
	char *d = strdup("/tmp/test_wal.XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void clear_dir(const char *d)
{
	DIR *dp = opendir(d);
	assert_non_null(dp);
	struct dirent *e;
	while ((e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		assert_int_equal(unlink(p), 0);
	}
	closedir(dp);
}

static void rm_dir(char *d)
{
	clear_dir(d);
	assert_int_equal(rmdir(d), 0);
	free(d);
}

static char *path_of(const char *d, const char *name)
{
	static char p[4][4096];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", d, name);
	return p[i];
}

static unsigned char *slurp(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	unsigned char *b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

static void spit(const char *path, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
}

static off_t file_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

/* ---- the history: record i is a function of i ---- */

static uint16_t h_type(size_t i)
{
	return (uint16_t)(i % 7 + 1);
}

static uint32_t h_len(size_t i)
{
	static const uint32_t lens[] = {0, 1, 4, 13, 57, 200, 8, 31};
	return lens[i % 8] + (uint32_t)(i % 3);
}

static void h_fill(size_t i, unsigned char *p)
{
	uint32_t len = h_len(i);
	for (uint32_t j = 0; j < len; j++)
		p[j] = (unsigned char)(i * 31 + j * 7 + 3);
	if (len >= 4)
		memcpy(p, &(uint32_t){(uint32_t)i}, 4);
}

static int h_append(struct wal *w, size_t i, uint64_t *lsn)
{
	unsigned char p[512];
	h_fill(i, p);
	return wal_append(w, h_type(i), p, h_len(i), lsn);
}

static bool h_equal(size_t i, uint16_t type, const void *payload, uint32_t len)
{
	unsigned char p[512];
	if (type != h_type(i) || len != h_len(i))
		return false;
	h_fill(i, p);
	return memcmp(p, payload, len) == 0;
}

/* ---- replay collector ---- */

struct rec {
	uint16_t type;
	uint32_t len;
	uint64_t lsn;
	unsigned char *data;
};

struct col {
	struct rec *v;
	size_t n, cap;
	size_t fail_at; /* 1-based: make the fail_at-th call fail; 0 never */
	int tail_lost;	/* WAL_TAIL_LOST calls */
};

static int collect(void *ctx, uint16_t type, const void *payload, uint32_t len, uint64_t lsn)
{
	struct col *c = ctx;
	if (c->fail_at && c->n + 1 == c->fail_at)
		return -ENOTRECOVERABLE;
	if (type == WAL_TAIL_LOST) {
		assert_null(payload);
		assert_int_equal(len, 0);
		c->tail_lost++;
		return 0;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		assert_non_null(c->v);
	}
	struct rec *r = &c->v[c->n++];
	r->type = type;
	r->len = len;
	r->lsn = lsn;
	r->data = malloc(len ? len : 1);
	assert_non_null(r->data);
	memcpy(r->data, payload, len);
	return 0;
}

static void col_free(struct col *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].data);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* The replayed records are history[0..n): returns n. Snapshot records carry
 * the snapshot's LSN (>= their index + 1), log records exactly index + 1. */
static size_t check_prefix(const struct col *c)
{
	for (size_t i = 0; i < c->n; i++) {
		assert_true(h_equal(i, c->v[i].type, c->v[i].data, c->v[i].len));
		assert_true(c->v[i].lsn >= i + 1);
		if (i > 0)
			assert_true(c->v[i].lsn >= c->v[i - 1].lsn);
	}
	return c->n;
}

/* Snapshot iterator over history[0..n). */
struct hist_iter {
	size_t i, n;
	unsigned char buf[512];
	int fail_at; /* return -ECANCELED at this call (1-based), 0 never */
	int calls;
};

static int hist_next(void *ctx, uint16_t *type, const void **payload, uint32_t *len)
{
	struct hist_iter *it = ctx;
	if (it->fail_at && ++it->calls == it->fail_at)
		return -ECANCELED;
	if (it->i == it->n)
		return 0;
	h_fill(it->i, it->buf);
	*type = h_type(it->i);
	*len = h_len(it->i);
	*payload = it->buf;
	it->i++;
	return 1;
}

static int snapshot_hist(struct wal *w, size_t n)
{
	struct hist_iter it = {.n = n};
	return wal_snapshot(w, hist_next, &it);
}

/* Open with the real system calls, collect, expect success. */
static struct wal *open_ok(const char *d, struct col *c)
{
	struct wal *w = NULL;
	char err[512];
	int r = wal_open(d, NULL, &topts, collect, c, &w, err, sizeof(err));
	if (r)
		fail_msg("wal_open(%s): %d %s", d, r, err);
	assert_non_null(w);
	return w;
}

static int open_err(const char *d, char *err, size_t errlen);

/* Open with --accept-log-damage, expect success and a lost tail. */
static struct wal *open_accept(const char *d, struct col *c)
{
	struct wal *w = NULL;
	char err[512];
	int r = wal_open(d, NULL, &accept_opts, collect, c, &w, err, sizeof(err));
	if (r)
		fail_msg("wal_open(%s, accept): %d %s", d, r, err);
	assert_non_null(strstr(err, "damage accepted"));
	assert_int_equal(c->tail_lost, 1);
	return w;
}

/* A refusal that says what to do. */
static void refused(const char *d, int want, const char *needle)
{
	char err[512];
	int r = open_err(d, err, sizeof(err));
	if (r != want || (needle && !strstr(err, needle)))
		fail_msg("wanted %d and \"%s\", got %d: %s", want, needle ? needle : "", r, err);
}

static int open_err(const char *d, char *err, size_t errlen)
{
	struct wal *w = NULL;
	struct col c = {0};
	int r = wal_open(d, NULL, &topts, collect, &c, &w, err, errlen);
	if (r == 0)
		wal_close(w);
	else
		assert_null(w);
	col_free(&c);
	return r;
}

/* ---- fault-injecting system calls ---- */

enum { K_PWRITE, K_FDATASYNC, K_FSYNC, K_RENAME, K_FTRUNCATE, K_N };

struct synced {
	dev_t dev;
	ino_t ino;
	off_t size;
};

/* A write not yet synced: what it overwrote, to undo it on power loss. */
struct unsynced {
	dev_t dev;
	ino_t ino;
	off_t off;
	size_t len;
	unsigned char *old; /* the bytes it overwrote (oldlen <= len: the file ended) */
	size_t oldlen;
};

struct fio {
	struct wal_io io;
	int calls[K_N];
	int total;
	int fail_kind; /* -1: none */
	int fail_at;   /* 1-based index among calls of fail_kind */
	int fail_errno;
	bool half_write;       /* a failing pwrite writes half first */
	bool short_write;      /* ... and returns the short count */
	int fail_after_rename; /* fail the n-th call after the first rename */
	int since_rename;      /* -1 until the first rename */
	bool neg_errno;	       /* return -errno instead of -1 */
	struct synced syn[256];
	int nsyn;
	struct unsynced *uns;
	size_t nuns, capuns;
};

static void fio_free(struct fio *f)
{
	for (size_t i = 0; i < f->nuns; i++)
		free(f->uns[i].old);
	free(f->uns);
	f->uns = NULL;
	f->nuns = f->capuns = 0;
}

/* Remember what a write at off will overwrite. */
static void note_write(struct fio *f, int fd, size_t len, off_t off)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (f->nuns == f->capuns) {
		f->capuns = f->capuns ? f->capuns * 2 : 64;
		f->uns = realloc(f->uns, f->capuns * sizeof(*f->uns));
		assert_non_null(f->uns);
	}
	struct unsynced *u = &f->uns[f->nuns++];
	*u = (struct unsynced){.dev = st.st_dev, .ino = st.st_ino, .off = off, .len = len};
	u->old = malloc(len ? len : 1);
	assert_non_null(u->old);
	ssize_t r = pread(fd, u->old, len, off);
	u->oldlen = r > 0 ? (size_t)r : 0;
}

static void note_synced(struct fio *f, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	size_t k = 0;
	for (size_t i = 0; i < f->nuns; i++) {
		if (f->uns[i].dev == st.st_dev && f->uns[i].ino == st.st_ino)
			free(f->uns[i].old);
		else
			f->uns[k++] = f->uns[i];
	}
	f->nuns = k;
	for (int i = 0; i < f->nsyn; i++) {
		if (f->syn[i].dev == st.st_dev && f->syn[i].ino == st.st_ino) {
			f->syn[i].size = st.st_size;
			return;
		}
	}
	assert_true(f->nsyn < 256);
	f->syn[f->nsyn++] = (struct synced){st.st_dev, st.st_ino, st.st_size};
}

/* Should this call fail? */
static bool inject(struct fio *f, int kind)
{
	f->total++;
	f->calls[kind]++;
	if (f->since_rename >= 0) {
		f->since_rename++;
		if (f->fail_after_rename && f->since_rename == f->fail_after_rename)
			return true;
	}
	return kind == f->fail_kind && f->calls[kind] == f->fail_at;
}

static int fail_ret(struct fio *f)
{
	if (f->neg_errno)
		return -f->fail_errno;
	errno = f->fail_errno;
	return -1;
}

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct fio *f = ctx;
	if (inject(f, K_PWRITE)) {
		if (f->half_write || f->short_write) {
			note_write(f, fd, len / 2, off);
			ssize_t r = pwrite(fd, buf, len / 2, off);
			if (f->short_write)
				return r;
		}
		return fail_ret(f);
	}
	note_write(f, fd, len, off);
	return pwrite(fd, buf, len, off);
}

static int f_fdatasync(void *ctx, int fd)
{
	struct fio *f = ctx;
	if (inject(f, K_FDATASYNC))
		return fail_ret(f);
	note_synced(f, fd);
	return 0; /* the tests simulate power loss themselves: no real sync */
}

static int f_fsync(void *ctx, int fd)
{
	struct fio *f = ctx;
	if (inject(f, K_FSYNC))
		return fail_ret(f);
	note_synced(f, fd);
	return 0;
}

static int f_rename(void *ctx, const char *from, const char *to)
{
	struct fio *f = ctx;
	if (inject(f, K_RENAME))
		return fail_ret(f);
	int r = rename(from, to);
	if (r == 0 && f->since_rename < 0)
		f->since_rename = 0;
	return r;
}

static int f_ftruncate(void *ctx, int fd, off_t len)
{
	struct fio *f = ctx;
	if (inject(f, K_FTRUNCATE))
		return fail_ret(f);
	return ftruncate(fd, len);
}

static void fio_init(struct fio *f)
{
	memset(f, 0, sizeof(*f));
	f->io = (struct wal_io){f_pwrite, f_fdatasync, f_fsync, f_rename, f_ftruncate, f};
	f->fail_kind = -1;
	f->fail_errno = EIO;
	f->since_rename = -1;
}

/* Power loss: of each file's writes since its last sync, an in-order
 * prefix reached the disk and the rest is undone (the bytes it overwrote come
 * back), and the file may lose the length it gained since its last sync. A
 * write within the first sector (the header) lands whole or not at all, as
 * PostgreSQL assumes of pg_control.
 * mode 0: nothing unsynced survives; 1: a random prefix does (the write at
 * the cut partly); 2: all of it does. */
static void power_loss(struct fio *f, const char *d, int mode, unsigned *seed)
{
	static const char *const names[] = {"log", "snapshot"};
	for (size_t k = 0; k < 2; k++) {
		const char *p = path_of(d, names[k]);
		struct stat st;
		if (stat(p, &st) < 0)
			continue;
		size_t idx[4096], m = 0;
		for (size_t i = 0; i < f->nuns; i++)
			if (f->uns[i].dev == st.st_dev && f->uns[i].ino == st.st_ino && m < 4096)
				idx[m++] = i;
		size_t cut = mode == 0 ? 0 : mode == 2 ? m : (size_t)rand_r(seed) % (m + 1);
		int fd = open(p, O_WRONLY);
		assert_true(fd >= 0);
		for (size_t j = m; j-- > cut;) { /* undo, newest first */
			const struct unsynced *u = &f->uns[idx[j]];
			size_t keep = 0;
			if (j == cut && mode == 1) {
				keep = (size_t)rand_r(seed) % (u->len + 1);
				/* one sector is written whole or not at all (the header) */
				if (u->off == 0 && u->len <= 512)
					keep = keep ? u->len : 0;
			}
			if (keep < u->oldlen)
				assert_int_equal(
					pwrite(fd, u->old + keep, u->oldlen - keep, u->off + (off_t)keep),
					(ssize_t)(u->oldlen - keep));
		}
		close(fd);
		off_t synced = 0;
		for (int i = 0; i < f->nsyn; i++)
			if (f->syn[i].dev == st.st_dev && f->syn[i].ino == st.st_ino)
				synced = f->syn[i].size;
		if (synced < st.st_size && mode != 2) {
			off_t keep = mode == 0 ? synced
					       : synced + (off_t)(rand_r(seed) % (st.st_size - synced + 1));
			assert_int_equal(truncate(p, keep), 0);
		}
	}
	fio_free(f);
}

/* ---- tests ---- */

static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c_sw(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
	unsigned char b[1100];
	unsigned seed = 7;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)rand_r(&seed);
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 0; len < 1060; len += 1 + len / 16) {
			uint32_t c = crc32c(0, b + off, len);
			assert_int_equal(c, crc32c_sw(0, b + off, len));
			assert_int_equal(
				c, crc32c(crc32c(0, b + off, len / 3), b + off + len / 3, len - len / 3));
		}
}

static void test_missing_dir(void **state)
{
	(void)state;
	char err[512];
	assert_int_equal(open_err("/nonexistent/shmseq-wal-test", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/shmseq-wal-test"));
}

static void test_roundtrip_many(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	assert_int_equal(c.n, 0);
	assert_int_equal(wal_durable_lsn(w), 0);
	assert_int_equal(wal_log_size(w), HDR);
	const size_t N = 3000;
	uint64_t size = HDR;
	for (size_t i = 0; i < N; i++) {
		uint64_t lsn = 0;
		assert_int_equal(h_append(w, i, &lsn), 0);
		assert_int_equal(lsn, i + 1);
		size += RMIN + h_len(i);
		if (i % 100 == 99) {
			assert_int_equal(wal_sync(w), 0);
			assert_int_equal(wal_durable_lsn(w), i + 1);
		}
	}
	assert_int_equal(wal_log_size(w), size);
	assert_int_equal(wal_sync(w), 0);
	assert_int_equal(wal_failed(w), 0);
	wal_close(w);
	/* grown by doubling from its preallocation, zeros after the records */
	off_t fsize = file_size(path_of(d, "log"));
	assert_true(fsize >= (off_t)size && fsize < 2 * (off_t)size + PRE);
	assert_int_equal(fsize % PRE, 0);

	struct stat st;
	assert_int_equal(stat(path_of(d, "log"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), N);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(c.v[i].lsn, i + 1);
	assert_int_equal(wal_durable_lsn(w), N);
	assert_int_equal(wal_log_size(w), size);
	wal_close(w);
	col_free(&c);
	rm_dir(d);
}

static void test_payload_limits(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	unsigned char *big = malloc(WAL_PAYLOAD_MAX + 1);
	memset(big, 0xA5, WAL_PAYLOAD_MAX + 1);
	assert_int_equal(wal_append(w, 1, big, WAL_PAYLOAD_MAX + 1, NULL), -EMSGSIZE);
	assert_int_equal(wal_failed(w), 0);
	/* the replay's pseudo-record type is never written */
	assert_int_equal(wal_append(w, WAL_TAIL_LOST, NULL, 0, NULL), -EINVAL);
	assert_int_equal(wal_failed(w), 0);
	assert_int_equal(wal_append(w, 2, big, WAL_PAYLOAD_MAX, NULL), 0);
	assert_int_equal(wal_append(w, 3, NULL, 0, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	w = open_ok(d, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].len, WAL_PAYLOAD_MAX);
	assert_int_equal(c.v[0].type, 2);
	assert_memory_equal(c.v[0].data, big, WAL_PAYLOAD_MAX);
	assert_int_equal(c.v[1].len, 0);
	assert_int_equal(c.v[1].type, 3);
	assert_int_equal(c.v[1].lsn, 2);
	wal_close(w);
	col_free(&c);
	free(big);
	rm_dir(d);
}

/* Reopen replays in order and later appends continue the LSNs. */
static void test_reopen_continues(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	size_t n = 0;
	for (int round = 0; round < 5; round++) {
		struct wal *w = open_ok(d, &c);
		assert_int_equal(check_prefix(&c), n);
		assert_int_equal(wal_durable_lsn(w), n);
		col_free(&c);
		for (int k = 0; k < 17; k++, n++) {
			uint64_t lsn;
			assert_int_equal(h_append(w, n, &lsn), 0);
			assert_int_equal(lsn, n + 1);
		}
		assert_int_equal(wal_sync(w), 0);
		wal_close(w);
	}
	rm_dir(d);
}

static void test_snapshot_then_appends(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	assert_int_equal(wal_snapshot_size(w), 0);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	/* unsynced records are covered by the snapshot: it makes them durable */
	assert_int_equal(snapshot_hist(w, 50), 0);
	assert_int_equal(wal_durable_lsn(w), 50);
	assert_int_equal(wal_log_size(w), HDR);
	struct stat st;
	assert_int_equal(stat(path_of(d, "snapshot"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(st.st_size > HDR);
	assert_int_equal(wal_snapshot_size(w), st.st_size); /* the daemon's snapshot trigger */
	assert_int_equal(file_size(path_of(d, "snapshot.tmp")), -1);
	assert_int_equal(file_size(path_of(d, "log.tmp")), -1);
	for (size_t i = 50; i < 70; i++) {
		uint64_t lsn;
		assert_int_equal(h_append(w, i, &lsn), 0);
		assert_int_equal(lsn, i + 1);
	}
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);

	w = open_ok(d, &c);
	assert_int_equal(wal_snapshot_size(w), st.st_size); /* after a restart too */
	assert_int_equal(check_prefix(&c), 70);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(c.v[i].lsn, 50);
	for (size_t i = 50; i < 70; i++)
		assert_int_equal(c.v[i].lsn, i + 1);
	col_free(&c);
	/* a second snapshot, then an empty one over an empty state */
	assert_int_equal(snapshot_hist(w, 70), 0);
	assert_int_equal(h_append(w, 70, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 71);
	assert_int_equal(c.v[70].lsn, 71);
	col_free(&c);
	assert_int_equal(snapshot_hist(w, 0), 0);
	wal_close(w);
	w = open_ok(d, &c);
	assert_int_equal(c.n, 0);
	uint64_t lsn;
	assert_int_equal(h_append(w, 0, &lsn), 0);
	assert_int_equal(lsn, 72); /* LSNs keep increasing across snapshots */
	wal_close(w);
	col_free(&c);
	rm_dir(d);
}

/* A snapshot the iterator aborts leaves the old state; the wal goes on. */
static void test_snapshot_iterator_abort(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	struct hist_iter it = {.n = 10, .fail_at = 4};
	assert_int_equal(wal_snapshot(w, hist_next, &it), -ECANCELED);
	assert_int_equal(wal_failed(w), 0);
	assert_int_equal(file_size(path_of(d, "snapshot")), -1);
	assert_int_equal(file_size(path_of(d, "snapshot.tmp")), -1);
	assert_int_equal(h_append(w, 10, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 11);
	wal_close(w);
	col_free(&c);
	rm_dir(d);
}

/* Build a log of `n` synced history records in d; returns the record end
 * offsets (ends[i] = end of record i). */
static void build_log(const char *d, size_t n, size_t *ends)
{
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(h_append(w, i, NULL), 0);
		assert_int_equal(wal_sync(w), 0);
		ends[i] = (size_t)wal_log_size(w);
	}
	wal_close(w);
	col_free(&c);
}

/* Every truncation of a preallocated log is refused, saying how to accept
 * it; accepting keeps the records wholly before the cut, reports the lost
 * tail, and makes the log whole again. */
static void test_every_truncation(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	size_t ends[6];
	build_log(d, 6, ends);
	size_t n;
	unsigned char *img = slurp(path_of(d, "log"), &n);
	assert_true(n > ends[5]); /* grown, then zeros */
	for (size_t len = 0; len <= n; len++) {
		clear_dir(d);
		spit(path_of(d, "log"), img, len);
		size_t expect = 0;
		while (expect < 6 && ends[expect] <= len)
			expect++;
		struct col c = {0};
		struct wal *w;
		if (len < n) {
			refused(d, -EBADMSG, "--accept-log-damage");
			w = open_accept(d, &c);
		} else {
			w = open_ok(d, &c);
			assert_int_equal(c.tail_lost, 0);
		}
		assert_int_equal(check_prefix(&c), expect);
		size_t good = len < HDR ? HDR : expect ? ends[expect - 1] : HDR;
		assert_int_equal(wal_log_size(w), good);
		assert_true(file_size(path_of(d, "log")) >= (off_t)(len < HDR ? PRE : n));
		/* the log works on after recovery, and is clean */
		assert_int_equal(h_append(w, expect, NULL), 0);
		assert_int_equal(wal_sync(w), 0);
		wal_close(w);
		col_free(&c);
		w = open_ok(d, &c);
		assert_int_equal(check_prefix(&c), expect + 1);
		assert_int_equal(c.tail_lost, 0);
		wal_close(w);
		col_free(&c);
	}
	free(img);
	rm_dir(d);
}

/* Same over a log that follows a snapshot. */
static void test_every_truncation_after_snapshot(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(snapshot_hist(w, 5), 0);
	size_t ends[4];
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(h_append(w, 5 + i, NULL), 0);
		ends[i] = (size_t)wal_log_size(w);
	}
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	size_t n, sn;
	unsigned char *img = slurp(path_of(d, "log"), &n);
	unsigned char *simg = slurp(path_of(d, "snapshot"), &sn);
	for (size_t len = 0; len <= n; len++) {
		clear_dir(d);
		spit(path_of(d, "snapshot"), simg, sn);
		spit(path_of(d, "log"), img, len);
		size_t expect = 0;
		while (expect < 4 && ends[expect] <= len)
			expect++;
		if (len < n) {
			refused(d, -EBADMSG, "--accept-log-damage");
			w = open_accept(d, &c);
		} else {
			w = open_ok(d, &c);
		}
		assert_int_equal(check_prefix(&c), 5 + expect);
		uint64_t lsn;
		assert_int_equal(h_append(w, 5 + expect, &lsn), 0);
		assert_int_equal(lsn, 6 + expect);
		wal_close(w);
		col_free(&c);
	}
	free(img);
	free(simg);
	rm_dir(d);
}

static void test_every_bitflip_log(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	size_t ends[5];
	build_log(d, 5, ends);
	size_t n;
	unsigned char *img = slurp(path_of(d, "log"), &n);
	char err[512];
	for (size_t byte = 0; byte < n; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			clear_dir(d);
			img[byte] ^= (unsigned char)(1u << bit);
			spit(path_of(d, "log"), img, n);
			img[byte] ^= (unsigned char)(1u << bit);
			size_t rec = 0;
			while (rec < 5 && ends[rec] <= byte)
				rec++;
			if (byte < HDR) { /* the header: damage, whatever it now says */
				assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
				assert_non_null(strstr(err, "restore"));
			} else if (rec < 4) { /* a middle record */
				int r = open_err(d, err, sizeof(err));
				if (r != -EBADMSG)
					fail_msg("byte %zu bit %d: %d", byte, bit, r);
				size_t start = rec ? ends[rec - 1] : HDR;
				char want[64];
				snprintf(want, sizeof(want), "from offset %zu on", start);
				assert_non_null(strstr(err, want));
				assert_non_null(strstr(err, "--accept-log-damage"));
				/* accepting drops it and what follows */
				struct col c = {0};
				struct wal *w = open_accept(d, &c);
				assert_int_equal(check_prefix(&c), rec);
				wal_close(w);
				col_free(&c);
			} else { /* the last record, or the zeros after it: a torn
				  * tail, cleared, and the caller told */
				struct col c = {0};
				struct wal *w = open_ok(d, &c);
				assert_int_equal(check_prefix(&c), rec);
				assert_int_equal(c.tail_lost, 1);
				assert_int_equal(wal_log_size(w), ends[rec - 1]);
				wal_close(w);
				col_free(&c);
				assert_int_equal(file_size(path_of(d, "log")), (off_t)n);
				w = open_ok(d, &c); /* cleared: told once */
				assert_int_equal(check_prefix(&c), rec);
				assert_int_equal(c.tail_lost, 0);
				wal_close(w);
				col_free(&c);
			}
		}
	}
	free(img);
	rm_dir(d);
}

static void test_every_damage_snapshot(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(snapshot_hist(w, 4), 0);
	assert_int_equal(h_append(w, 4, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	size_t n, ln;
	unsigned char *img = slurp(path_of(d, "snapshot"), &n);
	unsigned char *log = slurp(path_of(d, "log"), &ln);
	char err[512];
	for (size_t byte = 0; byte < n; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			clear_dir(d);
			img[byte] ^= (unsigned char)(1u << bit);
			spit(path_of(d, "snapshot"), img, n);
			img[byte] ^= (unsigned char)(1u << bit);
			spit(path_of(d, "log"), log, ln);
			int r = open_err(d, err, sizeof(err));
			if (r != -EBADMSG)
				fail_msg("byte %zu bit %d: %d %s", byte, bit, r, err);
			assert_non_null(strstr(err, "snapshot"));
		}
	}
	/* every truncation, and extra bytes at the end */
	for (size_t len = 0; len < n; len++) {
		clear_dir(d);
		spit(path_of(d, "snapshot"), img, len);
		spit(path_of(d, "log"), log, ln);
		assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	}
	clear_dir(d);
	unsigned char *longer = calloc(1, n + 1);
	memcpy(longer, img, n);
	spit(path_of(d, "snapshot"), longer, n + 1);
	spit(path_of(d, "log"), log, ln);
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	free(longer);
	free(img);
	free(log);
	rm_dir(d);
}

/* An empty log, one with a partial header, an all-zero one: never left by
 * the wal (it creates logs by rename), so refused; accepted, the log is
 * rewritten. Unknown formats are -EPROTO. */
static void test_log_headers(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	size_t ends[2];
	build_log(d, 2, ends);
	size_t n;
	unsigned char *img = slurp(path_of(d, "log"), &n);
	unsigned char zero[200] = {0};
	const size_t cases[] = {0, 1, 30, 63};
	for (size_t i = 0; i < 4; i++) {
		clear_dir(d);
		spit(path_of(d, "log"), img, cases[i]);
		refused(d, -EBADMSG, "shorter than its header");
		struct col c = {0};
		struct wal *w = open_accept(d, &c);
		assert_int_equal(c.n, 0);
		assert_int_equal(file_size(path_of(d, "log")), PRE);
		wal_close(w);
		col_free(&c);
	}
	clear_dir(d);
	spit(path_of(d, "log"), zero, sizeof(zero));
	refused(d, -EBADMSG, "all zeros");
	struct col c = {0};
	struct wal *w = open_accept(d, &c);
	assert_int_equal(c.n, 0);
	wal_close(w);
	col_free(&c);

	char err[512];
	clear_dir(d);
	spit(path_of(d, "log"), "this is not a shmseq log at all, not at all, no no no no no no no!", 66);
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "log"));

	/* a well-formed header of a future version */
	unsigned char h[HDR];
	memcpy(h, img, HDR);
	uint32_t v = 99;
	memcpy(h + 8, &v, 4);
	uint32_t crc = crc32c(0, h, 60);
	memcpy(h + 60, &crc, 4);
	clear_dir(d);
	spit(path_of(d, "log"), h, HDR);
	assert_int_equal(open_err(d, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "newer shmseq"));
	/* an older version's: said so, with the way across, and left alone */
	memcpy(h, img, HDR);
	v = 1;
	memcpy(h + 8, &v, 4);
	crc = crc32c(0, h, 60);
	memcpy(h + 60, &crc, 4);
	clear_dir(d);
	spit(path_of(d, "log"), h, HDR);
	assert_int_equal(open_err(d, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "older shmseq"));
	assert_non_null(strstr(err, "shmseq dump"));
	size_t n1;
	unsigned char *after = slurp(path_of(d, "log"), &n1);
	assert_int_equal(n1, HDR);
	assert_memory_equal(after, h, HDR);
	free(after);
	/* an unknown incompatible feature flag */
	memcpy(h, img, HDR);
	memcpy(h + 20, &(uint32_t){1}, 4);
	crc = crc32c(0, h, 60);
	memcpy(h + 60, &crc, 4);
	clear_dir(d);
	spit(path_of(d, "log"), h, HDR);
	assert_int_equal(open_err(d, err, sizeof(err)), -EPROTO);
	/* a header size other than 64: never an extension read by prefix */
	memcpy(h, img, HDR);
	memcpy(h + 12, &(uint32_t){128}, 4);
	crc = crc32c(0, h, 60);
	memcpy(h + 60, &crc, 4);
	clear_dir(d);
	spit(path_of(d, "log"), h, HDR);
	assert_int_equal(open_err(d, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "header size 128"));
	/* every reserved byte is checked to be zero */
	for (size_t at = 40; at < 60; at++) {
		memcpy(h, img, HDR);
		h[at] = 0x01;
		crc = crc32c(0, h, 60);
		memcpy(h + 60, &crc, 4);
		clear_dir(d);
		spit(path_of(d, "log"), h, HDR);
		assert_int_equal(open_err(d, err, sizeof(err)), -EPROTO);
		assert_non_null(strstr(err, "reserved header bytes are not zero"));
	}
	/* a log that follows LSN 5 with no snapshot: records are missing */
	memcpy(h, img, HDR);
	memcpy(h + 24, &(uint64_t){5}, 8);
	crc = crc32c(0, h, 60);
	memcpy(h + 60, &crc, 4);
	clear_dir(d);
	spit(path_of(d, "log"), h, HDR);
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	free(img);
	rm_dir(d);
}

/* Rewrite a file header's version (and its checksum). */
static void set_version(const char *path, uint32_t v)
{
	size_t n;
	unsigned char *b = slurp(path, &n);
	memcpy(b + 8, &v, 4);
	uint32_t crc = crc32c(0, b, 60);
	memcpy(b + 60, &crc, 4);
	spit(path, b, n);
	free(b);
}

static uint32_t get_version(const char *path)
{
	size_t n;
	unsigned char *b = slurp(path, &n);
	uint32_t v;
	memcpy(&v, b + 8, 4);
	free(b);
	return v;
}

/* Files of data format version 2 are read as they are; nothing is appended
 * to them (an older shmseq could still be started on them); a snapshot
 * rewrites both files in the current version, and appends go on. */
static void test_older_version_read_then_converted(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	assert_int_equal(snapshot_hist(w, 5), 0);
	for (size_t i = 5; i < 9; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	col_free(&c);
	set_version(path_of(d, "snapshot"), 2);
	set_version(path_of(d, "log"), 2);
	size_t n0;
	unsigned char *before = slurp(path_of(d, "log"), &n0);

	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 9);
	assert_int_equal(wal_format_old(w), 2);
	assert_int_equal(wal_append(w, 1, "x", 1, NULL), -EPROTO);
	assert_false(wal_failed(w));
	size_t n1;
	unsigned char *mid = slurp(path_of(d, "log"), &n1);
	assert_int_equal(n1, n0);
	assert_memory_equal(mid, before, n0); /* untouched */
	free(mid);
	/* a crash before converting: read again the same way */
	wal_close(w);
	col_free(&c);
	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 9);
	assert_int_equal(wal_format_old(w), 2);
	assert_int_equal(snapshot_hist(w, 9), 0);
	assert_int_equal(wal_format_old(w), 0);
	assert_int_equal(get_version(path_of(d, "snapshot")), WAL_FORMAT_VERSION);
	assert_int_equal(get_version(path_of(d, "log")), WAL_FORMAT_VERSION);
	/* a crash after the snapshot's rename, before the fresh log: the new
	 * snapshot beside the old version's log completes the conversion */
	wal_close(w);
	col_free(&c);
	spit(path_of(d, "log"), before, n0);
	free(before);
	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 9);
	assert_int_equal(wal_format_old(w), 0);
	assert_int_equal(get_version(path_of(d, "log")), WAL_FORMAT_VERSION);
	wal_close(w);
	col_free(&c);
	w = open_ok(d, &c);
	assert_int_equal(h_append(w, 9, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	col_free(&c);
	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 10);
	assert_int_equal(wal_format_old(w), 0);
	wal_close(w);
	col_free(&c);

	/* only the snapshot of the older version (a fresh log after it) */
	set_version(path_of(d, "snapshot"), 2);
	w = open_ok(d, &c);
	assert_int_equal(wal_format_old(w), 2);
	wal_close(w);
	col_free(&c);
	rm_dir(d);
}

/* A record with a valid checksum but an unexpected LSN: never a torn write. */
static void test_lsn_mismatch(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	size_t ends[3];
	build_log(d, 3, ends);
	size_t n;
	unsigned char *img = slurp(path_of(d, "log"), &n);
	/* make the last record claim LSN 7 and fix its CRC */
	size_t off = ends[1];
	memcpy(img + off + 8, &(uint64_t){7}, 8);
	uint32_t len;
	memcpy(&len, img + off, 4);
	uint32_t crc = crc32c(0, img + off, 16 + len);
	memcpy(img + off + 16 + len, &crc, 4);
	clear_dir(d);
	spit(path_of(d, "log"), img, n);
	char err[512];
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "LSN 7"));
	free(img);
	rm_dir(d);
}

/* A log newer than the snapshot it should follow (snapshot replaced by an
 * older copy): -EBADMSG. */
static void test_log_after_snapshot_gap(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(snapshot_hist(w, 3), 0);
	size_t sn;
	unsigned char *old_snap = slurp(path_of(d, "snapshot"), &sn);
	for (size_t i = 3; i < 6; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(snapshot_hist(w, 6), 0);
	assert_int_equal(h_append(w, 6, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	spit(path_of(d, "snapshot"), old_snap, sn);
	char err[512];
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "missing"));
	/* without any snapshot */
	assert_int_equal(unlink(path_of(d, "snapshot")), 0);
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	free(old_snap);
	rm_dir(d);
}

/* A missing log next to a snapshot, or an empty one: refused; accepted,
 * the snapshot's records come back and the log goes on. */
static void test_missing_log_with_snapshot(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(snapshot_hist(w, 3), 0);
	assert_int_equal(h_append(w, 3, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	wal_close(w);
	assert_int_equal(unlink(path_of(d, "log")), 0);
	char err[512];
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "--accept-log-damage"));
	spit(path_of(d, "log"), "", 0);
	refused(d, -EBADMSG, "--accept-log-damage");
	w = open_accept(d, &c);
	assert_int_equal(check_prefix(&c), 3);
	uint64_t lsn;
	assert_int_equal(h_append(w, 3, &lsn), 0);
	assert_int_equal(lsn, 4);
	wal_close(w);
	col_free(&c);
	rm_dir(d);
}

static void test_replay_error_aborts(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	size_t ends[4];
	build_log(d, 4, ends);
	/* plus a torn tail: a failed replay must not have touched it */
	off_t size = file_size(path_of(d, "log"));
	int fd = open(path_of(d, "log"), O_WRONLY);
	assert_int_equal(pwrite(fd, "xyz", 3, (off_t)ends[3]), 3);
	close(fd);
	size_t n0;
	unsigned char *before = slurp(path_of(d, "log"), &n0);
	struct col c = {.fail_at = 3};
	struct wal *w = NULL;
	char err[512];
	assert_int_equal(wal_open(d, NULL, &topts, collect, &c, &w, err, sizeof(err)), -ENOTRECOVERABLE);
	assert_null(w);
	assert_int_equal(c.n, 2);
	size_t n1;
	unsigned char *after = slurp(path_of(d, "log"), &n1);
	assert_int_equal(n1, n0);
	assert_int_equal(n1, (size_t)size);
	assert_memory_equal(after, before, n0);
	free(before);
	free(after);
	col_free(&c);
	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 4);
	assert_int_equal(c.tail_lost, 1);
	wal_close(w);
	col_free(&c);
	rm_dir(d);
}

static void test_stale_tmp_files_removed(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	spit(path_of(d, "snapshot.tmp"), "junk", 4);
	spit(path_of(d, "log.tmp"), "junk", 4);
	struct col c = {0};
	struct wal *w = open_ok(d, &c);
	assert_int_equal(file_size(path_of(d, "snapshot.tmp")), -1);
	assert_int_equal(file_size(path_of(d, "log.tmp")), -1);
	wal_close(w);
	rm_dir(d);
}

/* Group commit: a sync with nothing new makes no system call. */
static void test_sync_coalesces(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct fio f;
	fio_init(&f);
	struct wal *w = NULL;
	char err[256];
	const struct wal_opts big = {.prealloc = 64 * 1024};
	assert_int_equal(wal_open(d, &f.io, &big, NULL, NULL, &w, err, sizeof(err)), 0);
	int base = f.calls[K_FDATASYNC];
	int writes = f.calls[K_PWRITE];
	assert_int_equal(wal_sync(w), 0);
	assert_int_equal(f.calls[K_FDATASYNC], base);
	for (int i = 0; i < 10; i++)
		assert_int_equal(h_append(w, (size_t)i, NULL), 0);
	assert_int_equal(writes, 2);			  /* the header, then the zeros */
	assert_int_equal(f.calls[K_PWRITE], writes + 10); /* one per record */
	assert_int_equal(wal_durable_lsn(w), 0);
	assert_int_equal(wal_sync(w), 0);
	assert_int_equal(wal_sync(w), 0);
	assert_int_equal(f.calls[K_FDATASYNC], base + 1);
	assert_int_equal(wal_durable_lsn(w), 10);
	wal_close(w);
	fio_free(&f);
	rm_dir(d);
}

/* The workload of the fault-injection test: appends, syncs and snapshots.
 * Returns the number of history records appended (a failed append's record
 * may or may not be in the file as well); *acked the number acknowledged
 * durable; *opened whether wal_open succeeded. */
static size_t workload(const char *d, struct fio *f, size_t *acked, bool *opened)
{
	struct wal *w = NULL;
	char err[512];
	*acked = 0;
	*opened = false;
	size_t appended = 0;
	if (wal_open(d, &f->io, &topts, NULL, NULL, &w, err, sizeof(err)) != 0)
		return 0;
	*opened = true;
	for (size_t i = 0; i < 40; i++) {
		int r = h_append(w, appended, NULL);
		if (r == 0) {
			appended++;
		} else {
			assert_int_equal(r, -EIO);
			assert_true(wal_failed(w));
		}
		if (i % 3 == 2) {
			r = wal_sync(w);
			if (r == 0) {
				*acked = appended;
				assert_int_equal(wal_durable_lsn(w), appended);
			} else {
				assert_int_equal(r, -EIO);
				assert_true(wal_failed(w));
			}
		}
		if (i == 13 || i == 29) {
			r = snapshot_hist(w, appended);
			if (r == 0)
				*acked = appended; /* else: old state kept, or failed */
		}
		if (wal_failed(w)) {
			/* fail closed: no further system call, every call -EIO */
			int total = f->total;
			assert_int_equal(h_append(w, appended, NULL), -EIO);
			assert_int_equal(wal_sync(w), -EIO);
			assert_int_equal(snapshot_hist(w, appended), -EIO);
			assert_int_equal(f->total, total);
			break;
		}
	}
	if (!wal_failed(w) && wal_sync(w) == 0)
		*acked = appended;
	wal_close(w);
	return appended;
}

static void test_fault_injection_every_call(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct fio clean;
	fio_init(&clean);
	size_t acked;
	bool opened;
	size_t all = workload(d, &clean, &acked, &opened);
	assert_int_equal(all, 40);
	assert_int_equal(acked, 40);
	fio_free(&clean);
	int runs = 0, failed_opens = 0;
	const int errs[] = {EIO, ENOSPC};
	for (int kind = 0; kind < K_N; kind++) {
		for (int k = 1; k <= clean.calls[kind]; k++) {
			for (int mode = 0; mode < 4; mode++) {
				if (mode >= 2 && kind != K_PWRITE)
					continue;
				clear_dir(d);
				struct fio f;
				fio_init(&f);
				f.fail_kind = kind;
				f.fail_at = k;
				f.fail_errno = errs[mode & 1];
				f.half_write = mode == 2;
				f.short_write = mode == 3;
				f.neg_errno = k % 2;
				size_t appended = workload(d, &f, &acked, &opened);
				fio_free(&f);
				failed_opens += !opened;
				runs++;
				/* reopen with the real calls: a prefix, all acked */
				struct col c = {0};
				struct wal *w = open_ok(d, &c);
				size_t got = check_prefix(&c);
				assert_true(got >= acked);
				assert_true(got <= appended + 1);
				wal_close(w);
				col_free(&c);
			}
		}
	}
	assert_true(runs > 100);
	assert_true(failed_opens > 0);
	rm_dir(d);
}

/* A snapshot as the daemon writes it in a child (wal_snapshot_prepare ..
 * _install), here in one process: `more` records are appended (and every
 * other one synced) while it is written, and mirrored into the fresh log.
 * *appended and *acked are updated; returns the snapshot's result. */
static int snapshot_hist_async(struct wal *w, size_t *appended, size_t more, size_t *acked)
{
	struct wal_snap_job j;
	int r = wal_snapshot_prepare(w, &j);
	if (r)
		return r;
	size_t n = *appended;
	int cr = wal_snapshot_write_log(w, &j); /* the child's first step */
	for (size_t i = 0; i < more && !wal_failed(w); i++) {
		if (h_append(w, *appended, NULL) == 0)
			(*appended)++;
		if (i % 2 && wal_sync(w) == 0)
			*acked = *appended;
		if (!wal_failed(w) && wal_snapshot_mirror(w, &j) < 0)
			break;
		if (i == 0 && !cr)
			j.head = j.cap; /* the child said its log is ready */
	}
	uint64_t size = 0;
	if (!cr) {
		struct hist_iter it = {.n = n};
		cr = wal_snapshot_write(w, &j, hist_next, &it, &size);
	}
	r = cr ? cr : wal_snapshot_install(w, &j, size);
	wal_snapshot_discard(w, &j);
	if (r == 0)
		*acked = *appended;
	return r;
}

/* The fault-injection workload with snapshots written as by a child. */
static size_t workload_async(const char *d, struct fio *f, size_t *acked, bool *opened)
{
	struct wal *w = NULL;
	char err[512];
	*acked = 0;
	*opened = false;
	size_t appended = 0;
	if (wal_open(d, &f->io, &topts, NULL, NULL, &w, err, sizeof(err)) != 0)
		return 0;
	*opened = true;
	for (size_t i = 0; i < 40; i++) {
		int r = h_append(w, appended, NULL);
		if (r == 0)
			appended++;
		if (i % 3 == 2 && wal_sync(w) == 0)
			*acked = appended;
		if (i == 13 || i == 29)
			(void)snapshot_hist_async(w, &appended, 5, acked);
		if (wal_failed(w))
			break;
	}
	if (!wal_failed(w) && wal_sync(w) == 0)
		*acked = appended;
	wal_close(w);
	return appended;
}

/* EIO, ENOSPC, half and short writes at every call of a workload whose
 * snapshots are written while appends go on: a reopen gives a prefix that
 * holds every acknowledged record. */
static void test_async_snapshot_every_fault(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct fio clean;
	fio_init(&clean);
	size_t acked;
	bool opened;
	size_t all = workload_async(d, &clean, &acked, &opened);
	assert_int_equal(all, 50);
	assert_int_equal(acked, 50);
	fio_free(&clean);
	/* and it did replace the log: the snapshot holds the first records */
	struct col c0 = {0};
	struct wal *w0 = open_ok(d, &c0);
	assert_int_equal(check_prefix(&c0), 50);
	assert_true(wal_snapshot_size(w0) > 0);
	wal_close(w0);
	col_free(&c0);
	int runs = 0;
	const int errs[] = {EIO, ENOSPC};
	for (int kind = 0; kind < K_N; kind++) {
		for (int k = 1; k <= clean.calls[kind]; k++) {
			for (int mode = 0; mode < 4; mode++) {
				if (mode >= 2 && kind != K_PWRITE)
					continue;
				clear_dir(d);
				struct fio f;
				fio_init(&f);
				f.fail_kind = kind;
				f.fail_at = k;
				f.fail_errno = errs[mode & 1];
				f.half_write = mode == 2;
				f.short_write = mode == 3;
				f.neg_errno = k % 2;
				size_t appended = workload_async(d, &f, &acked, &opened);
				fio_free(&f);
				runs++;
				struct col c = {0};
				struct wal *w = open_ok(d, &c);
				size_t got = check_prefix(&c);
				if (got < acked || got > appended + 1)
					fail_msg("kind %d call %d mode %d: %zu records back, %zu "
						 "acknowledged, %zu "
						 "appended",
						 kind, k, mode, got, acked, appended);
				wal_close(w);
				col_free(&c);
			}
		}
	}
	printf("# %d runs with a fault injected\n", runs);
	assert_true(runs > 100);
	rm_dir(d);
}

/* Power loss at random moments, snapshots written while appends go on. */
static void test_async_snapshot_power_loss(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	unsigned seed = 777;
	for (int iter = 0; iter < 200; iter++) {
		clear_dir(d);
		struct fio f;
		fio_init(&f);
		size_t have = 0, acked = 0;
		for (int life = 0; life < 4; life++) {
			struct col c = {0};
			struct wal *w = NULL;
			char err[512];
			int r = wal_open(d, &f.io, &topts, collect, &c, &w, err, sizeof(err));
			if (r)
				fail_msg("iter %d life %d: %d %s", iter, life, r, err);
			size_t got = check_prefix(&c);
			if (got < acked || got > have)
				fail_msg("iter %d life %d: %zu back, %zu acknowledged, %zu appended", iter,
					 life, got, acked, have);
			col_free(&c);
			have = acked = got;
			int ops = rand_r(&seed) % 40;
			for (int op = 0; op < ops; op++) {
				int what = rand_r(&seed) % 10;
				if (what < 7) {
					assert_int_equal(h_append(w, have, NULL), 0);
					have++;
				} else if (what < 9) {
					assert_int_equal(wal_sync(w), 0);
					acked = have;
				} else {
					assert_int_equal(snapshot_hist_async(w, &have,
									     (size_t)(rand_r(&seed) % 6),
									     &acked),
							 0);
				}
			}
			wal_close(w);
			power_loss(&f, d, rand_r(&seed) % 3, &seed);
		}
	}
	rm_dir(d);
}

/* Power loss at random moments: all acknowledged records survive, nothing
 * but a prefix of what was appended comes back. */
static void test_power_loss(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	unsigned seed = 12345;
	for (int iter = 0; iter < 300; iter++) {
		clear_dir(d);
		struct fio f;
		fio_init(&f);
		size_t have = 0, acked = 0;
		for (int life = 0; life < 4; life++) {
			struct col c = {0};
			struct wal *w = NULL;
			char err[512];
			int r = wal_open(d, &f.io, &topts, collect, &c, &w, err, sizeof(err));
			if (r)
				fail_msg("iter %d life %d: %d %s", iter, life, r, err);
			size_t got = check_prefix(&c);
			assert_true(got >= acked);
			assert_true(got <= have);
			col_free(&c);
			have = acked = got; /* open makes what it replays durable */
			int ops = rand_r(&seed) % 40;
			for (int op = 0; op < ops; op++) {
				int what = rand_r(&seed) % 10;
				if (what < 7) {
					assert_int_equal(h_append(w, have, NULL), 0);
					have++;
				} else if (what < 9) {
					assert_int_equal(wal_sync(w), 0);
					acked = have;
				} else {
					assert_int_equal(snapshot_hist(w, have), 0);
					acked = have;
				}
			}
			wal_close(w);
			power_loss(&f, d, rand_r(&seed) % 3, &seed);
		}
	}
	rm_dir(d);
}

/* Out-of-order write-back of unsynced records (a later one reached the disk,
 * an earlier one did not): refused like corruption, never silently. */
static void test_unsynced_hole_refused(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	size_t ends[4];
	build_log(d, 4, ends);
	size_t n;
	unsigned char *img = slurp(path_of(d, "log"), &n);
	memset(img + ends[1], 0, ends[2] - ends[1]);
	spit(path_of(d, "log"), img, n);
	char err[512];
	assert_int_equal(open_err(d, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "followed by valid records"));
	free(img);
	rm_dir(d);
}

/* A crash (or failure) at every step between the snapshot's rename and the
 * end of the log reset, with an unsynced log tail lost as well: reopen gives
 * the snapshot's state once, without duplicates, and LSNs go on. */
static void test_crash_after_snapshot_rename(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	/* calls after the rename: fsync(dir), pwrite(log.tmp), fsync(log.tmp),
	 * rename(log), fsync(dir) */
	for (int step = 1; step <= 5; step++) {
		for (int lose = 0; lose < 2; lose++) {
			clear_dir(d);
			struct fio f;
			fio_init(&f);
			struct wal *w = NULL;
			char err[512];
			assert_int_equal(wal_open(d, &f.io, &topts, NULL, NULL, &w, err, sizeof(err)), 0);
			for (size_t i = 0; i < 8; i++)
				assert_int_equal(h_append(w, i, NULL), 0);
			assert_int_equal(wal_sync(w), 0);
			for (size_t i = 8; i < 12; i++)
				assert_int_equal(h_append(w, i, NULL), 0);
			f.fail_after_rename = step;
			f.since_rename = -1; /* count from the snapshot's rename */
			assert_true(snapshot_hist(w, 12) < 0);
			assert_true(wal_failed(w));
			assert_int_equal(h_append(w, 12, NULL), -EIO);
			wal_close(w);
			assert_true(file_size(path_of(d, "snapshot")) > 0);
			if (lose) /* the old log's unsynced tail is lost too */
				power_loss(&f, d, 0, NULL);
			fio_free(&f);
			struct col c = {0};
			w = open_ok(d, &c);
			assert_int_equal(check_prefix(&c), 12);
			for (size_t i = 0; i < 12; i++)
				assert_int_equal(c.v[i].lsn, 12);
			col_free(&c);
			assert_int_equal(wal_log_size(w), HDR); /* reset completed */
			uint64_t lsn;
			assert_int_equal(h_append(w, 12, &lsn), 0);
			assert_int_equal(lsn, 13);
			assert_int_equal(wal_sync(w), 0);
			wal_close(w);
			w = open_ok(d, &c);
			assert_int_equal(check_prefix(&c), 13);
			assert_int_equal(c.v[12].lsn, 13);
			wal_close(w);
			col_free(&c);
		}
	}
	rm_dir(d);
}

/* A log that straddles the snapshot (records <= its LSN and beyond; not
 * produced by the wal itself, which fails closed, but consistent): the old
 * records are skipped, the newer ones replayed once. */
static void test_log_straddles_snapshot(void **state)
{
	(void)state;
	char *a = mkdir_tmp(), *b = mkdir_tmp();
	struct col c = {0};
	struct wal *w = open_ok(a, &c);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	assert_int_equal(snapshot_hist(w, 6), 0);
	wal_close(w);
	size_t ends[10];
	build_log(b, 10, ends);
	assert_int_equal(rename(path_of(a, "snapshot"), path_of(b, "snapshot")), 0);
	w = open_ok(b, &c);
	assert_int_equal(check_prefix(&c), 10);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(c.v[i].lsn, i < 6 ? 6 : i + 1);
	col_free(&c);
	uint64_t lsn;
	assert_int_equal(h_append(w, 10, &lsn), 0);
	assert_int_equal(lsn, 11);
	wal_close(w);
	w = open_ok(b, &c);
	assert_int_equal(check_prefix(&c), 11);
	wal_close(w);
	col_free(&c);
	rm_dir(a);
	rm_dir(b);
}

/* The rename of the snapshot itself fails: old state intact, wal goes on. */
static void test_snapshot_rename_fails(void **state)
{
	(void)state;
	char *d = mkdir_tmp();
	struct fio f;
	fio_init(&f);
	struct wal *w = NULL;
	char err[512];
	assert_int_equal(wal_open(d, &f.io, &topts, NULL, NULL, &w, err, sizeof(err)), 0);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(h_append(w, i, NULL), 0);
	f.fail_kind = K_RENAME;
	f.fail_at = f.calls[K_RENAME] + 1;
	f.fail_errno = EXDEV;
	assert_int_equal(snapshot_hist(w, 5), -EXDEV);
	assert_false(wal_failed(w));
	assert_int_equal(file_size(path_of(d, "snapshot")), -1);
	assert_int_equal(file_size(path_of(d, "snapshot.tmp")), -1);
	assert_int_equal(h_append(w, 5, NULL), 0);
	assert_int_equal(wal_sync(w), 0);
	assert_int_equal(snapshot_hist(w, 6), 0);
	wal_close(w);
	fio_free(&f);
	struct col c = {0};
	w = open_ok(d, &c);
	assert_int_equal(check_prefix(&c), 6);
	wal_close(w);
	col_free(&c);
	rm_dir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_roundtrip_many),
		cmocka_unit_test(test_payload_limits),
		cmocka_unit_test(test_reopen_continues),
		cmocka_unit_test(test_snapshot_then_appends),
		cmocka_unit_test(test_snapshot_iterator_abort),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_every_truncation_after_snapshot),
		cmocka_unit_test(test_every_bitflip_log),
		cmocka_unit_test(test_every_damage_snapshot),
		cmocka_unit_test(test_log_headers),
		cmocka_unit_test(test_older_version_read_then_converted),
		cmocka_unit_test(test_lsn_mismatch),
		cmocka_unit_test(test_log_after_snapshot_gap),
		cmocka_unit_test(test_missing_log_with_snapshot),
		cmocka_unit_test(test_replay_error_aborts),
		cmocka_unit_test(test_stale_tmp_files_removed),
		cmocka_unit_test(test_sync_coalesces),
		cmocka_unit_test(test_fault_injection_every_call),
		cmocka_unit_test(test_power_loss),
		cmocka_unit_test(test_async_snapshot_every_fault),
		cmocka_unit_test(test_async_snapshot_power_loss),
		cmocka_unit_test(test_unsynced_hole_refused),
		cmocka_unit_test(test_crash_after_snapshot_rename),
		cmocka_unit_test(test_log_straddles_snapshot),
		cmocka_unit_test(test_snapshot_rename_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
