/* SPDX-License-Identifier: MIT */
/* fuzz_wal.c — libFuzzer target for the wal's recovery (daemon/wal.c).
 *
 * The input becomes a `log` and optionally a `snapshot` in a scratch data
 * directory, then wal_open() replays them. It must never crash, leak, loop
 * or replay LSNs out of order. When the open succeeds, the wal must also
 * work on: one more record, a sync, a snapshot, more records, and a reopen
 * that replays exactly the state written — any failure there aborts.
 *
 * Input: byte 0 flags (bit 0: a snapshot is present; bit 1: fix the log's
 * checksums and cap its header's size at its length; bit 2: fix the
 * snapshot's checksums; bit 3: exercise writes after a successful open;
 * bit 4: open with accept_damage); bytes 1-2: the snapshot's length (little
 * endian); then the snapshot's bytes, then the log's. Fixing checksums lets
 * the fuzzer reach the logic behind them (LSN order, headers, trailers).
 * A recovered log is clean: reopening it replays the same records and no
 * lost tail. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "wal.h"

static char dir[64];
static const struct wal_opts opts = {.prealloc = 4096};
static const struct wal_opts accept_opts = {.prealloc = 4096, .accept_damage = 1};
static char p_log[128], p_snap[128], p_log_tmp[128], p_snap_tmp[128];

static void setup(void)
{
	if (dir[0])
		return;
	strcpy(dir, "/tmp/fuzz_wal.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(p_log, sizeof(p_log), "%s/log", dir);
	snprintf(p_snap, sizeof(p_snap), "%s/snapshot", dir);
	snprintf(p_log_tmp, sizeof(p_log_tmp), "%s/log.tmp", dir);
	snprintf(p_snap_tmp, sizeof(p_snap_tmp), "%s/snapshot.tmp", dir);
}

static void clear(void)
{
	unlink(p_log);
	unlink(p_snap);
	unlink(p_log_tmp);
	unlink(p_snap_tmp);
}

static void put(const char *path, const uint8_t *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (n) {
		ssize_t r = write(fd, b, n);
		if (r <= 0)
			abort();
		b += r;
		n -= (size_t)r;
	}
	close(fd);
}

/* Recompute the header CRC, each record's CRC and a trailer's file CRC
 * (the layout of wal.c: 64-byte header, 16-byte record header + payload +
 * CRC, trailer payload {u64 count, u64 lsn, u32 file crc, u32 0}). */
static void fix_crcs(uint8_t *b, size_t n, bool log)
{
	if (n < 64)
		return;
	uint64_t size;
	memcpy(&size, b + 32, 8);
	if (log && size > n) {
		size = n;
		memcpy(b + 32, &size, 8);
	}
	uint32_t c = crc32c(0, b, 60);
	memcpy(b + 60, &c, 4);
	size_t off = 64;
	while (n - off >= 20) {
		uint32_t len;
		uint16_t flags;
		memcpy(&len, b + off, 4);
		memcpy(&flags, b + off + 6, 2);
		if (len > WAL_PAYLOAD_MAX || n - off - 20 < len)
			break;
		if ((flags & 1) && len == 24) {
			c = crc32c(0, b, off);
			memcpy(b + off + 16 + 16, &c, 4);
		}
		c = crc32c(0, b + off, 16 + len);
		memcpy(b + off + 16 + len, &c, 4);
		off += 20 + len;
	}
}

struct rep {
	size_t n;
	uint64_t last_lsn;
	uint32_t sum;
	uint32_t last_type;
	uint32_t last_len;
	size_t tail_lost;
};

static int replay(void *ctx, uint16_t type, const void *payload, uint32_t len, uint64_t lsn)
{
	struct rep *r = ctx;
	if (len > WAL_PAYLOAD_MAX || lsn < r->last_lsn)
		abort();
	if (type == WAL_TAIL_LOST) {
		if (payload || len || r->tail_lost)
			abort(); /* once, after every record */
		r->tail_lost++;
		return 0;
	}
	if (r->tail_lost)
		abort();
	const uint8_t *p = payload;
	for (uint32_t i = 0; i < len; i++)
		r->sum += p[i]; /* let ASan check every byte */
	r->n++;
	r->last_lsn = lsn;
	r->last_type = type;
	r->last_len = len;
	return 0;
}

struct two {
	int i;
};

static int two_next(void *ctx, uint16_t *type, const void **payload, uint32_t *len)
{
	struct two *t = ctx;
	static const char a[] = "first", b[] = "second!";
	if (t->i == 2)
		return 0;
	*type = (uint16_t)(100 + t->i);
	*payload = t->i ? b : a;
	*len = t->i ? sizeof(b) : sizeof(a);
	t->i++;
	return 1;
}

static void exercise(const struct rep *before)
{
	char err[512];
	struct wal *w = NULL;
	struct rep r = {0};
	/* reopening what was just recovered replays the same */
	if (wal_open(dir, NULL, &opts, replay, &r, &w, err, sizeof(err)) != 0 || r.n != before->n ||
	    r.tail_lost)
		abort();
	uint64_t lsn;
	if (wal_format_old(w)) {
		/* an older version's files: nothing is appended to them until a
		 * snapshot has rewritten the state in the current version */
		struct two t = {0};
		if (wal_append(w, 7, "abc", 3, &lsn) != -EPROTO || wal_failed(w) ||
		    wal_snapshot(w, two_next, &t) != 0 || wal_format_old(w) != 0 ||
		    wal_append(w, 8, NULL, 0, &lsn) != 0 || wal_sync(w) != 0)
			abort();
		wal_close(w);
		r = (struct rep){0};
		if (wal_open(dir, NULL, &opts, replay, &r, &w, err, sizeof(err)) != 0 || r.n != 3 ||
		    r.last_lsn != lsn || r.last_type != 8 || wal_format_old(w) != 0)
			abort();
		wal_close(w);
		return;
	}
	if (wal_append(w, 7, "abc", 3, &lsn) != 0 || lsn <= before->last_lsn || wal_sync(w) != 0 ||
	    wal_durable_lsn(w) != lsn)
		abort();
	wal_close(w);
	r = (struct rep){0};
	if (wal_open(dir, NULL, &opts, replay, &r, &w, err, sizeof(err)) != 0 || r.n != before->n + 1 ||
	    r.last_lsn != lsn || r.last_type != 7 || r.last_len != 3)
		abort();
	struct two t = {0};
	if (wal_snapshot(w, two_next, &t) != 0 || wal_append(w, 8, NULL, 0, &lsn) != 0 || wal_sync(w) != 0)
		abort();
	wal_close(w);
	r = (struct rep){0};
	if (wal_open(dir, NULL, &opts, replay, &r, &w, err, sizeof(err)) != 0 || r.n != 3 ||
	    r.last_lsn != lsn || r.last_type != 8)
		abort();
	wal_close(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	clear();
	if (size < 3)
		return 0;
	uint8_t flags = data[0];
	size_t snap_len = (size_t)data[1] | (size_t)data[2] << 8;
	data += 3;
	size -= 3;
	if (!(flags & 1))
		snap_len = 0;
	if (snap_len > size)
		snap_len = size;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	if (flags & 1) {
		if (flags & 4)
			fix_crcs(buf, snap_len, false);
		put(p_snap, buf, snap_len);
	}
	if (flags & 2)
		fix_crcs(buf + snap_len, size - snap_len, true);
	put(p_log, buf + snap_len, size - snap_len);
	free(buf);

	char err[512];
	struct wal *w = NULL;
	struct rep r = {0};
	int rc = wal_open(dir, NULL, flags & 16 ? &accept_opts : &opts, replay, &r, &w, err, sizeof(err));
	if (rc == 0) {
		if (!w || wal_failed(w) || wal_durable_lsn(w) < r.last_lsn)
			abort();
		wal_close(w);
		if (flags & 8)
			exercise(&r);
	} else if (w || rc > 0 || !err[0]) {
		abort(); /* failures explain themselves and hand out nothing */
	}
	clear();
	return 0;
}
