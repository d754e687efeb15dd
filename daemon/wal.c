/* SPDX-License-Identifier: MIT */
/* wal.c — the daemon's persistence: a checksummed append-only log plus
 * snapshots in one data directory (contract and API in wal.h).
 *
 * Files in the data directory (all mode 0600, opened O_CLOEXEC|O_NOFOLLOW):
 *   snapshot      the current snapshot (optional)
 *   snapshot.tmp  a snapshot being written; a leftover one is deleted at open
 *   log           the log
 *   log.tmp       a fresh log being created; a leftover one is deleted at open
 *
 * On-disk format (little-endian, the machine's order, asserted at build
 * time; fixed-width fields; every size and offset _Static_assert'ed below;
 * record payloads are the caller's: daemon/records.h):
 *   file header, 64 bytes (struct wal_file_hdr):
 *      0: magic (8 bytes, "SHMSEQLG" or "SHMSEQSN")
 *      8: u32 version (see the history above struct wal_file_hdr)
 *     12: u32 header size: always 64. A header never grows by extension:
 *         a larger one is a new version, and any other size is refused as
 *         an unknown format.
 *     16: u32 compat flags, 20: u32 incompat flags (none defined; an
 *         unknown incompat flag is -EPROTO, compat flags are ignored)
 *     24: u64 LSN, 32: u64 size
 *     40: 20 reserved bytes: written as zeros and checked on read (a
 *         non-zero one is -EPROTO: a newer format, or damage)
 *     60: u32 CRC32C of the 60 bytes before it.
 *     log: the LSN the log follows (its base): its first record is base+1;
 *     the size the file was preallocated or grown to: it is zero-filled to
 *     at least that, records from the header on, zeros after the last.
 *     snapshot: size 0.
 *     snapshot: the LSN it covers: the highest LSN whose effect it contains.
 *   records: [u32 payload length][u16 type][u16 flags][u64 lsn][payload]
 *     [u32 CRC32C of the 16 header bytes and the payload]. No padding.
 *     log: lsn is the record's LSN, contiguous: base+1, base+2, ...
 *     snapshot: lsn is the record's index 1, 2, ... (order and completeness
 *     check); the replay callback is given the snapshot's covered LSN.
 *   snapshot trailer: a record with flags WAL_REC_TRAILER, index count+1, and
 *     a 24-byte payload {0: u64 count, 8: u64 covered LSN, 16: u32 CRC32C of
 *     every byte of the file before the trailer, 20: u32 reserved, zero};
 *     the file must end right after it. A snapshot without a valid trailer
 *     is incomplete, hence invalid.
 *
 * Invariants:
 *   - LSNs increase strictly across snapshots and logs: the log's base is the
 *     covered LSN of the snapshot written just before it, next LSN is
 *     max(snapshot LSN, last log LSN) + 1.
 *   - A snapshot is renamed into place only after its contents are fsynced;
 *     the log is replaced (never rewritten in place) by creating log.tmp,
 *     fsyncing it, renaming it over log and fsyncing the directory. So a
 *     `snapshot` or `log` whose header is bad was damaged after the fact.
 *   - Only wal_append() writes into a live log, one pwrite per record at the
 *     tracked end; nothing is ever written after a failed write or sync (the
 *     wal is "failed", fail closed, every later call returns -EIO).
 *   - A log never shrinks. It is created at its preallocated size; growing
 *     it (when a record does not fit: by its size, at most 4 MiB, and by no
 *     more than half the file system's free space; a growth that cannot fit
 *     is not tried but fails closed with the bytes it needed) writes and
 *     syncs the zeros first, then rewrites the header's size: one 64-byte
 *     write in the first sector, which lands whole or not at all (as
 *     PostgreSQL assumes of pg_control). So a log shorter than its header's
 *     size was truncated.
 *   - Every writing system call goes through struct wal_io. The hooks follow
 *     the libc convention (-1 with errno set); another negative return is
 *     taken as a negative errno. A short pwrite is a failure (never retried).
 *
 * Recovery (wal_open):
 *   1. snapshot: must be complete and valid or open fails (-EBADMSG, -EPROTO
 *      for an unknown magic/version/flag): it was fsynced before its rename,
 *      so damage is not a crash artefact.
 *   2. log: a missing log is a first start (-EBADMSG if a snapshot exists: the
 *      wal never leaves that state, the log is replaced by rename). An empty
 *      one, one shorter than its header or than its header's size, or an
 *      all-zero one was truncated or overwritten: -EBADMSG, since the records
 *      lost may have reserved values already handed out. Records are checked
 *      in order up to the last non-zero byte; at the first bad record
 *      (truncated, length > WAL_PAYLOAD_MAX, CRC mismatch) the rest of the file
 *      is searched byte by byte for a record that validates and could belong
 *      to this log (LSN above the last good one and at most one per 20 bytes
 *      further on). None: a torn tail. It is zeroed (never cut: the size is
 *      the proof against truncation), and since a record damaged after its
 *      sync looks the same as one torn before it, the caller is told with a
 *      WAL_TAIL_LOST pseudo-record and acts as if an unknown record of its own
 *      was lost. One: corruption in the middle, open refuses with -EBADMSG and
 *      says which offset and how to recover. A record with a valid CRC but an
 *      unexpected LSN cannot come from a torn write: -EBADMSG as well.
 *      With wal_opts.accept_damage (shmseqd --accept-log-damage) each of these
 *      refusals instead keeps what survives, zeroes the rest, restores the
 *      size and reports WAL_TAIL_LOST.
 *   3. log base > snapshot LSN (or > 0 without a snapshot): records are
 *      missing between them: -EBADMSG. Log records <= snapshot LSN are
 *      skipped (a crash between the snapshot rename and the log reset); if
 *      the log holds nothing newer, the interrupted reset is completed.
 *   4. everything replayed is made durable (fdatasync log, fsync directory)
 *      before open returns, so a record read back from the page cache after
 *      a kill -9 is durable before the daemon acts on it.
 *
 * Crash story of wal_snapshot: write snapshot.tmp, fsync, rename to snapshot,
 * fsync the directory, create a fresh log (log.tmp, fsync, rename, fsync dir).
 *   - Failure (or crash) before the rename: old snapshot + log untouched, the
 *     tmp file is removed (or at the next open). The wal is NOT failed: the
 *     log is consistent and appends may go on; the caller may retry later.
 *   - Rename failed: rename is atomic, the old state stays. Even if it did
 *     happen, new snapshot + old log is consistent (records <= its LSN are
 *     skipped, later ones continue contiguously), so the wal is not failed.
 *   - Failure after the rename (directory fsync, creating the fresh log): the
 *     new snapshot may or may not be durable and the old log is still in
 *     place; both old snapshot + old log and new snapshot + old log recover to
 *     the same state, but whether a later sync would make anything durable
 *     is unknown (an fsync error may be reported once and then forgotten by
 *     the kernel), so the wal fails closed.
 *
 * wal_snapshot_prepare .. _install (below) do the same in two processes:
 * the snapshot is written by a forked child while the log goes on taking
 * appends, which are copied into the fresh log before the renames; the
 * files, their order of renames and syncs and so the crash story are those
 * of wal_snapshot.
 *
 * Known limitation: unsynced appends may reach the disk out of order on power
 * loss (a later page written back before an earlier one). Then a torn record
 * is followed by a valid one and open refuses as for corruption, naming
 * --accept-log-damage. It is never silently accepted, because the same
 * picture arises when synced, acknowledged records rot, and dropping them
 * could hand out values twice.
 *
 * Other choices: the log is created (at open, and by each snapshot) through
 * log.tmp + fsync + rename + fsync(dir), so its directory entry is durable
 * before the first append and wal_sync() needs only fdatasync the log.
 * wal_sync() makes no system call when nothing was appended since the last
 * one (group commit). wal_close() does not sync: unsynced records may or may
 * not survive, exactly as after a crash. The snapshot iterator must not call
 * back into the wal.
 *
 * Concurrency: none. One thread (the daemon's event loop) owns a struct wal;
 * a snapshot's child uses its copy only through wal_snapshot_write_log and
 * wal_snapshot_write, which touch the job's descriptors and nothing else.
 */
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "crc32c.h"

#define WAL_LOG_MAGIC "SHMSEQLG"
#define WAL_SNAP_MAGIC "SHMSEQSN"
#define WAL_VERSION WAL_FORMAT_VERSION
/* The oldest version read (and converted: wal_format_old). */
#define WAL_VERSION_READ_MIN 2u
#define WAL_INCOMPAT_KNOWN 0u
#define WAL_REC_TRAILER 0x0001u
/* Snapshot writes are gathered into chunks of about this size. */
#define WAL_SNAP_CHUNK (256u * 1024u)

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the data files are little-endian: a big-endian build needs explicit conversions");

/* The header of the log and of a snapshot. Version history:
 *   1: the first format.
 *   2: the log is preallocated and its header's size says to what (a
 *      shorter log was truncated); 8 reserved bytes became `size`.
 *   3: the same header and framing; the records hold names of 64
 *      characters (daemon/records.h: REC_SEQ and REC_DROP of types 5 and
 *      6), which a daemon of version 2 must not read: it would reject
 *      them, or drop them with --accept-log-damage.
 * Versions WAL_VERSION_READ_MIN up to WAL_VERSION are read; appends wait
 * until a snapshot has rewritten older files in the current version
 * (wal_format_old). Any other version is refused, naming the safe way
 * over. */
struct wal_file_hdr {
	uint8_t magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t compat_flags;
	uint32_t incompat_flags;
	uint64_t lsn;
	uint64_t size; /* log: the size it was preallocated or grown to */
	uint8_t reserved[20];
	uint32_t crc;
};
#define WAL_AT(t, f, off) _Static_assert(offsetof(struct t, f) == (off), #t "." #f " at " #off)
_Static_assert(sizeof(struct wal_file_hdr) == 64, "file header is 64 bytes");
WAL_AT(wal_file_hdr, magic, 0);
WAL_AT(wal_file_hdr, version, 8);
WAL_AT(wal_file_hdr, header_size, 12);
WAL_AT(wal_file_hdr, compat_flags, 16);
WAL_AT(wal_file_hdr, incompat_flags, 20);
WAL_AT(wal_file_hdr, lsn, 24);
WAL_AT(wal_file_hdr, size, 32);
WAL_AT(wal_file_hdr, reserved, 40);
WAL_AT(wal_file_hdr, crc, 60);

struct wal_rec_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint64_t lsn;
};
_Static_assert(sizeof(struct wal_rec_hdr) == 16, "record header is 16 bytes");
WAL_AT(wal_rec_hdr, len, 0);
WAL_AT(wal_rec_hdr, type, 4);
WAL_AT(wal_rec_hdr, flags, 6);
WAL_AT(wal_rec_hdr, lsn, 8);

#define WAL_HDR_SIZE ((size_t)sizeof(struct wal_file_hdr))
#define WAL_REC_HDR ((size_t)sizeof(struct wal_rec_hdr))
#define WAL_REC_MIN (WAL_REC_HDR + sizeof(uint32_t))
#define WAL_FRAME_MAX (WAL_REC_MIN + WAL_PAYLOAD_MAX)

struct wal_snap_trailer {
	uint64_t count;
	uint64_t lsn;
	uint32_t file_crc;
	uint32_t reserved;
};
_Static_assert(sizeof(struct wal_snap_trailer) == 24, "trailer is 24 bytes");
WAL_AT(wal_snap_trailer, count, 0);
WAL_AT(wal_snap_trailer, lsn, 8);
WAL_AT(wal_snap_trailer, file_crc, 16);
WAL_AT(wal_snap_trailer, reserved, 20);
_Static_assert(sizeof(struct wal_snap_trailer) <= WAL_PAYLOAD_MAX, "trailer fits");

struct wal {
	struct wal_io io;
	int dirfd;
	int logfd;
	char *dir;
	char *log_path;
	char *log_tmp_path;
	char *snap_path;
	char *snap_tmp_path;
	uint64_t last_lsn;    /* highest LSN assigned */
	uint64_t durable_lsn; /* highest LSN known durable */
	uint64_t log_base;    /* the log's first record is log_base + 1 */
	uint64_t log_end;     /* bytes written to the log (its pending end) */
	uint64_t log_cap;     /* the log's preallocated size, in its header */
	uint64_t prealloc;    /* a fresh log's size */
	uint64_t snap_size;   /* bytes in the current snapshot, 0 if none */
	bool accept_damage;
	uint32_t version; /* of the files in use: older until a snapshot converts them */
	bool failed;
	/* why it failed (wal_failure): -errno, the file and the bytes wanted */
	int fail_err;
	const char *fail_file;
	uint64_t fail_need;
	unsigned char *buf; /* frame buffer for appends */
	size_t bufcap;
	/* a snapshot's child: write back every WAL_PACE bytes as it goes, so
	 * that the device's queue never holds much ahead of the log's syncs */
	bool paced;
};

#define WAL_PACE (1u << 20)

/* A paced writer's bytes [off, off+len) of fd are on their way to the
 * device, and written, before it goes on. */
static void pace(const struct wal *w, int fd, uint64_t off, uint64_t len)
{
	if (w->paced)
		(void)sync_file_range(fd, (off_t)off, (off_t)len,
				      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					      SYNC_FILE_RANGE_WAIT_AFTER);
}

/* ---- default system calls ---- */

static ssize_t sys_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, len, off);
}

static int sys_fdatasync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd);
}

static int sys_fsync(void *ctx, int fd)
{
	(void)ctx;
	return fsync(fd);
}

static int sys_rename(void *ctx, const char *from, const char *to)
{
	(void)ctx;
	return rename(from, to);
}

static int sys_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	return ftruncate(fd, len);
}

static const struct wal_io sys_io = {
	.pwrite = sys_pwrite,
	.fdatasync = sys_fdatasync,
	.fsync = sys_fsync,
	.rename = sys_rename,
	.ftruncate = sys_ftruncate,
	.ctx = NULL,
};

/* A hook's failure as a negative errno (never 0). */
static int io_err(long r)
{
	if (r == -1)
		return errno > 0 ? -errno : -EIO;
	return r < 0 ? (int)r : -EIO;
}

/* Write all of buf at off: 0, or a negative errno (-EIO for a short write). */
static int io_pwrite_all(struct wal *w, int fd, const void *buf, size_t len, uint64_t off)
{
	if (off > (uint64_t)INT64_MAX - len)
		return -EFBIG;
	ssize_t r = w->io.pwrite(w->io.ctx, fd, buf, len, (off_t)off);
	if (r < 0)
		return io_err(r);
	if ((size_t)r != len)
		return -EIO;
	return 0;
}

static int io_call(int r)
{
	return r < 0 ? io_err(r) : 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- format helpers ---- */

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void hdr_build(struct wal_file_hdr *h, const char *magic, uint64_t lsn, uint64_t size)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, magic, sizeof(h->magic));
	h->version = WAL_VERSION;
	h->header_size = (uint32_t)WAL_HDR_SIZE;
	h->lsn = lsn;
	h->size = size;
	h->crc = crc32c(0, h, offsetof(struct wal_file_hdr, crc));
}

/* Check a file header (n >= WAL_HDR_SIZE bytes at buf); its version in
 * *version. */
static int hdr_check(const unsigned char *buf, const char *magic, const char *what, const char *path,
		     uint32_t *version, uint64_t *lsn, uint64_t *size, char *err, size_t errlen)
{
	struct wal_file_hdr h;
	memcpy(&h, buf, sizeof(h));
	/* The checksum first: a damaged header is damage, whatever its magic or
	 * version now read (moving such a file aside would lose its records). */
	if (crc32c(0, &h, offsetof(struct wal_file_hdr, crc)) != h.crc) {
		set_err(err, errlen,
			"%s %s: header checksum mismatch; the data directory is damaged: restore it from a "
			"backup",
			what, path);
		return -EBADMSG;
	}
	if (memcmp(h.magic, magic, sizeof(h.magic)) != 0) {
		set_err(err, errlen,
			"%s %s: not a shmseq %s file (unknown magic); restore the data directory from a "
			"backup",
			what, path, what);
		return -EPROTO;
	}
	if (h.version < WAL_VERSION_READ_MIN) {
		/* the file is fine, for the shmseq that wrote it */
		set_err(err, errlen,
			"%s %s: data format version %u, written by an older shmseq; this one reads and "
			"converts versions %u to %u only. Nothing was changed. The safe way over: stop every "
			"application that draws values from this instance, then with the older shmseq "
			"running `shmseq dump > backup.sql` (taken after the last value was drawn), stop it, "
			"start this one on an empty data directory and `shmseq sql < backup.sql`; keep the "
			"old directory until the new one serves. A value drawn after the dump would be "
			"handed out again",
			what, path, h.version, WAL_VERSION_READ_MIN, WAL_VERSION);
		return -EPROTO;
	}
	if (h.version > WAL_VERSION || h.header_size != WAL_HDR_SIZE ||
	    (h.incompat_flags & ~WAL_INCOMPAT_KNOWN)) {
		set_err(err, errlen,
			"%s %s: unsupported format (version %u, header size %u, incompatible flags 0x%x); "
			"written by a newer shmseq? Nothing was changed: start the shmseq that wrote it "
			"(this one reads data format versions %u to %u)",
			what, path, h.version, h.header_size, h.incompat_flags, WAL_VERSION_READ_MIN,
			WAL_VERSION);
		return -EPROTO;
	}
	if (!all_zero(h.reserved, sizeof(h.reserved))) {
		set_err(err, errlen,
			"%s %s: reserved header bytes are not zero: written by a newer shmseq (use that "
			"one), "
			"or damaged (restore the data directory from a backup)",
			what, path);
		return -EPROTO;
	}
	*version = h.version;
	*lsn = h.lsn;
	if (size)
		*size = h.size;
	return 0;
}

/* Size of the valid record frame at buf[off..n), or 0 (reason set) if none. */
static size_t rec_check(const unsigned char *buf, size_t n, size_t off, struct wal_rec_hdr *h,
			const char **why)
{
	if (n - off < WAL_REC_HDR) {
		*why = "truncated record header";
		return 0;
	}
	memcpy(h, buf + off, WAL_REC_HDR);
	if (h->len > WAL_PAYLOAD_MAX) {
		*why = "record length too large";
		return 0;
	}
	size_t fr = WAL_REC_MIN + h->len;
	if (n - off < fr) {
		*why = "truncated record";
		return 0;
	}
	uint32_t stored;
	memcpy(&stored, buf + off + WAL_REC_HDR + h->len, sizeof(stored));
	if (crc32c(0, buf + off, WAL_REC_HDR + h->len) != stored) {
		*why = "checksum mismatch";
		return 0;
	}
	if (h->type == WAL_TAIL_LOST) {
		/* never written (wal_append, the snapshot refuse it): a replay
		 * would take it for the pseudo-record */
		*why = "a record of the reserved type 0xffff";
		return 0;
	}
	return fr;
}

/* Whether a record that validates, with an LSN above last_lsn that a later
 * record of this log could have, starts anywhere in (bad, scan_end). */
static bool valid_record_follows(const unsigned char *buf, size_t n, size_t bad, size_t scan_end,
				 uint64_t last_lsn)
{
	for (size_t p = bad + 1; p < scan_end && n - p >= WAL_REC_MIN; p++) {
		struct wal_rec_hdr h;
		memcpy(&h, buf + p, WAL_REC_HDR);
		/* at most one record per WAL_REC_MIN bytes from the bad one on */
		uint64_t max_lsn = last_lsn + 1 + (p - bad) / WAL_REC_MIN;
		if (h.len > WAL_PAYLOAD_MAX || n - p < WAL_REC_MIN + h.len || h.lsn <= last_lsn ||
		    h.lsn > max_lsn)
			continue;
		const char *why;
		if (rec_check(buf, n, p, &h, &why))
			return true;
	}
	return false;
}

/* Read a whole regular file. */
static int read_file(int fd, const char *path, unsigned char **out, size_t *outn, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		set_err(err, errlen, "%s: fstat: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2) {
		set_err(err, errlen, "%s: too large to read", path);
		return -EFBIG;
	}
	size_t cap = (size_t)st.st_size;
	unsigned char *buf = malloc(cap ? cap : 1);
	if (!buf) {
		set_err(err, errlen, "%s: out of memory reading %zu bytes", path, cap);
		return -ENOMEM;
	}
	size_t n = 0;
	while (n < cap) {
		ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			set_err(err, errlen, "%s: read: %s", path, strerror(e));
			return -e;
		}
		if (r == 0)
			break; /* shrank meanwhile: take what is there */
		n += (size_t)r;
	}
	*out = buf;
	*outn = n;
	return 0;
}

/* ---- snapshot loading ---- */

struct snap_info {
	bool present;
	uint32_t version;
	uint64_t lsn;
	uint64_t count;
	unsigned char *buf;
	size_t n;
};

static int snap_load(struct wal *w, struct snap_info *s, char *err, size_t errlen)
{
	const char *path = w->snap_path;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return 0;
		set_err(err, errlen, "snapshot %s: open: %s", path, strerror(e));
		return -e;
	}
	int r = read_file(fd, path, &s->buf, &s->n, err, errlen);
	close(fd);
	if (r < 0)
		return r;
	s->present = true;
	const unsigned char *buf = s->buf;
	size_t n = s->n;
	if (n < WAL_HDR_SIZE) {
		set_err(err, errlen,
			"snapshot %s: truncated (%zu bytes); the data directory is damaged: restore it from "
			"a backup",
			path, n);
		return -EBADMSG;
	}
	r = hdr_check(buf, WAL_SNAP_MAGIC, "snapshot", path, &s->version, &s->lsn, NULL, err, errlen);
	if (r < 0)
		return r;
	size_t off = WAL_HDR_SIZE;
	uint64_t idx = 1;
	for (;;) {
		struct wal_rec_hdr h;
		const char *why = "missing trailer (truncated)";
		size_t fr = off < n ? rec_check(buf, n, off, &h, &why) : 0;
		if (!fr) {
			set_err(err, errlen,
				"snapshot %s: %s at offset %zu; the snapshot is damaged: restore the data "
				"directory from a backup",
				path, why, off);
			return -EBADMSG;
		}
		if (h.lsn != idx) {
			set_err(err, errlen,
				"snapshot %s: record at offset %zu has index %llu, expected %llu; the "
				"snapshot is damaged: restore the data directory from a backup",
				path, off, (unsigned long long)h.lsn, (unsigned long long)idx);
			return -EBADMSG;
		}
		if (h.flags & ~WAL_REC_TRAILER) {
			set_err(err, errlen,
				"snapshot %s: record at offset %zu has unknown flags 0x%x; written by a "
				"newer shmseq?",
				path, off, h.flags);
			return -EPROTO;
		}
		if (h.flags & WAL_REC_TRAILER) {
			struct wal_snap_trailer t;
			if (h.len != sizeof(t)) {
				set_err(err, errlen, "snapshot %s: bad trailer size at offset %zu", path,
					off);
				return -EBADMSG;
			}
			memcpy(&t, buf + off + WAL_REC_HDR, sizeof(t));
			if (t.count != idx - 1 || t.lsn != s->lsn || t.reserved ||
			    crc32c(0, buf, off) != t.file_crc) {
				set_err(err, errlen,
					"snapshot %s: trailer at offset %zu does not match the contents; the "
					"snapshot is damaged: restore the data directory from a backup",
					path, off);
				return -EBADMSG;
			}
			if (off + fr != n) {
				set_err(err, errlen,
					"snapshot %s: %zu unexpected bytes after the trailer; the snapshot "
					"is damaged: restore the data directory from a backup",
					path, n - off - fr);
				return -EBADMSG;
			}
			s->count = t.count;
			return 0;
		}
		off += fr;
		idx++;
	}
}

/* ---- log creation ---- */

/* Write zeros over [from, to) of fd. */
static int zero_fill(struct wal *w, int fd, uint64_t from, uint64_t to)
{
	static const unsigned char zeros[64 * 1024];
	uint64_t mark = from;
	while (from < to) {
		size_t n = to - from < sizeof(zeros) ? (size_t)(to - from) : sizeof(zeros);
		int r = io_pwrite_all(w, fd, zeros, n, from);
		if (r < 0)
			return r;
		from += n;
		if (from - mark >= WAL_PACE) {
			pace(w, fd, mark, from - mark);
			mark = from;
		}
	}
	return 0;
}

/* Create a fresh, empty log with the given base, preallocated to cap bytes
 * of zeros, and make it and its name durable (log.tmp, fsync, rename over
 * log, fsync dir). Returns its fd. Written zeros, not fallocate(): appends
 * then overwrite allocated blocks, so an fdatasync has no size or extent
 * change to commit, and a shorter file can only be a truncated one. */
static int log_create(struct wal *w, uint64_t base, uint64_t cap, int *fd_out)
{
	(void)unlink(w->log_tmp_path);
	int fd = open(w->log_tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	struct wal_file_hdr h;
	hdr_build(&h, WAL_LOG_MAGIC, base, cap);
	int r = io_pwrite_all(w, fd, &h, sizeof(h), 0);
	if (!r)
		r = zero_fill(w, fd, sizeof(h), cap);
	if (!r)
		r = io_call(w->io.fsync(w->io.ctx, fd));
	if (!r)
		r = io_call(w->io.rename(w->io.ctx, w->log_tmp_path, w->log_path));
	if (r) {
		close(fd);
		(void)unlink(w->log_tmp_path);
		return r;
	}
	r = io_call(w->io.fsync(w->io.ctx, w->dirfd));
	if (r) {
		close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
}

/* ---- open ---- */

static char *path_join(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

void wal_close(struct wal *w)
{
	if (!w)
		return;
	if (w->logfd >= 0)
		close(w->logfd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->dir);
	free(w->log_path);
	free(w->log_tmp_path);
	free(w->snap_path);
	free(w->snap_tmp_path);
	free(w->buf);
	free(w);
}

static int replay_snapshot(const struct snap_info *s, wal_replay_fn fn, void *ctx, const char *path,
			   char *err, size_t errlen)
{
	size_t off = WAL_HDR_SIZE;
	for (uint64_t i = 0; i < s->count; i++) {
		struct wal_rec_hdr h;
		memcpy(&h, s->buf + off, WAL_REC_HDR);
		int r = fn(ctx, h.type, s->buf + off + WAL_REC_HDR, h.len, s->lsn);
		if (r) {
			r = r < 0 ? r : -EINVAL;
			set_err(err, errlen, "snapshot %s: replaying record %llu failed: %s", path,
				(unsigned long long)(i + 1), strerror(-r));
			return r;
		}
		off += WAL_REC_MIN + h.len;
	}
	return 0;
}

#define WAL_PREALLOC_DEFAULT (1u << 20)
#define ACCEPT_HINT "start once with --accept-log-damage to keep what survives"

int wal_open(const char *dir, const struct wal_io *io, const struct wal_opts *opts, wal_replay_fn fn,
	     void *ctx, struct wal **out, char *err, size_t errlen)
{
	set_err(err, errlen, "%s", "");
	if (!dir || !out) {
		set_err(err, errlen, "wal_open: no directory given");
		return -EINVAL;
	}
	*out = NULL;
	struct snap_info snap = {0};
	unsigned char *logbuf = NULL;
	size_t logn = 0;
	int r;

	struct wal *w = calloc(1, sizeof(*w));
	if (!w) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->dirfd = -1;
	w->logfd = -1;
	w->io = io ? *io : sys_io;
	w->prealloc = opts && opts->prealloc ? opts->prealloc : WAL_PREALLOC_DEFAULT;
	if (w->prealloc < WAL_HDR_SIZE)
		w->prealloc = WAL_HDR_SIZE;
	w->accept_damage = opts && opts->accept_damage;
	w->dir = strdup(dir);
	w->log_path = path_join(dir, "log");
	w->log_tmp_path = path_join(dir, "log.tmp");
	w->snap_path = path_join(dir, "snapshot");
	w->snap_tmp_path = path_join(dir, "snapshot.tmp");
	if (!w->dir || !w->log_path || !w->log_tmp_path || !w->snap_path || !w->snap_tmp_path) {
		set_err(err, errlen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	if (!w->io.pwrite || !w->io.fdatasync || !w->io.fsync || !w->io.rename || !w->io.ftruncate) {
		set_err(err, errlen, "wal_open: incomplete struct wal_io");
		r = -EINVAL;
		goto fail;
	}

	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		r = -errno;
		if (r == -ENOENT)
			set_err(err, errlen, "data directory %s does not exist; create it first", dir);
		else
			set_err(err, errlen, "data directory %s: %s", dir, strerror(-r));
		goto fail;
	}
	/* Leftovers of an interrupted snapshot or log reset: never used. */
	(void)unlink(w->snap_tmp_path);
	(void)unlink(w->log_tmp_path);

	r = snap_load(w, &snap, err, errlen);
	if (r < 0)
		goto fail;
	uint64_t snap_lsn = snap.present ? snap.lsn : 0;

	/* The log. */
	bool fresh = false, tail_lost = false;
	const char *accepted = NULL; /* damage taken with --accept-log-damage */
	uint64_t base = 0, last_log_lsn = 0, cap = 0;
	uint32_t log_version = WAL_VERSION;
	size_t good_end = 0, nz_end = 0;
	w->logfd = open(w->log_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (w->logfd < 0) {
		r = -errno;
		if (r != -ENOENT) {
			set_err(err, errlen, "log %s: open: %s", w->log_path, strerror(-r));
			goto fail;
		}
		if (snap.present && !w->accept_damage) {
			/* never produced by the wal: the log is replaced by rename */
			set_err(err, errlen,
				"log %s is missing but snapshot %s exists: the records after the snapshot "
				"are lost, and with them reservations of values that may have been handed "
				"out; restore the data directory from a backup, or " ACCEPT_HINT
				" (values reserved after the snapshot may be handed out again)",
				w->log_path, w->snap_path);
			r = -EBADMSG;
			goto fail;
		}
		if (snap.present)
			accepted = "the log was missing";
		fresh = true;
	} else {
		r = read_file(w->logfd, w->log_path, &logbuf, &logn, err, errlen);
		if (r < 0)
			goto fail;
		if (logn < WAL_HDR_SIZE || all_zero(logbuf, logn)) {
			/* created as log.tmp, fsynced, renamed: never short or blank */
			if (!w->accept_damage) {
				set_err(err, errlen,
					"log %s is %s (%zu bytes): it was truncated or overwritten, and the "
					"reservations it held are lost; restore the data directory from a "
					"backup, or " ACCEPT_HINT " (values reserved by the lost records may "
					"be handed out again)",
					w->log_path,
					logn < WAL_HDR_SIZE ? "shorter than its header" : "all zeros", logn);
				r = -EBADMSG;
				goto fail;
			}
			accepted = "the log was blank";
			fresh = true;
		} else {
			r = hdr_check(logbuf, WAL_LOG_MAGIC, "log", w->log_path, &log_version, &base, &cap,
				      err, errlen);
			if (r < 0)
				goto fail;
			if (logn < cap) {
				/* preallocated and never shrunk: this is a truncation */
				if (!w->accept_damage) {
					set_err(err, errlen,
						"log %s is %zu bytes but was preallocated to %llu: it was "
						"truncated, and records at its end may be lost; restore the "
						"data directory from a backup, or " ACCEPT_HINT
						" (values reserved by the lost records may be handed out "
						"again)",
						w->log_path, logn, (unsigned long long)cap);
					r = -EBADMSG;
					goto fail;
				}
				accepted = "the log was truncated";
			}
		}
	}
	if (!fresh) {
		if (base > snap_lsn) {
			if (snap.present)
				set_err(err, errlen,
					"log %s starts after LSN %llu but snapshot %s covers only up to LSN "
					"%llu: records are missing; restore the data directory from a backup",
					w->log_path, (unsigned long long)base, w->snap_path,
					(unsigned long long)snap_lsn);
			else
				set_err(err, errlen,
					"log %s starts after LSN %llu but there is no snapshot %s: records "
					"are missing; restore the data directory from a backup",
					w->log_path, (unsigned long long)base, w->snap_path);
			r = -EBADMSG;
			goto fail;
		}
		/* The records end where only zeros follow. */
		nz_end = logn;
		while (nz_end > WAL_HDR_SIZE && !logbuf[nz_end - 1])
			nz_end--;
		size_t off = WAL_HDR_SIZE;
		uint64_t expect = base + 1;
		while (off < nz_end) {
			struct wal_rec_hdr h;
			const char *why;
			size_t fr = rec_check(logbuf, logn, off, &h, &why);
			const char *damage = NULL;
			char what[160];
			if (!fr) {
				if (!valid_record_follows(logbuf, logn, off, nz_end, expect - 1)) {
					tail_lost = true; /* torn, or the last record damaged */
					break;
				}
				snprintf(what, sizeof(what),
					 "corrupt record at offset %zu (%s) followed by valid records", off,
					 why);
				damage = what;
			} else if (h.lsn != expect) {
				snprintf(what, sizeof(what),
					 "record at offset %zu has LSN %llu where %llu was expected", off,
					 (unsigned long long)h.lsn, (unsigned long long)expect);
				damage = what;
			} else if (h.flags) {
				set_err(err, errlen,
					"log %s: record at offset %zu has unknown flags 0x%x; written by a "
					"newer shmseq?",
					w->log_path, off, h.flags);
				r = -EPROTO;
				goto fail;
			}
			if (damage) {
				if (w->accept_damage) {
					accepted = "a damaged record and what followed it were dropped";
					tail_lost = true;
					break;
				}
				set_err(err, errlen,
					"log %s: %s; the data directory is damaged: restore it from a "
					"backup, "
					"or " ACCEPT_HINT
					" (the records from offset %zu on are dropped; values "
					"they reserved may be handed out again)",
					w->log_path, damage, off);
				r = -EBADMSG;
				goto fail;
			}
			if (expect == UINT64_MAX) {
				set_err(err, errlen, "log %s: LSNs exhausted", w->log_path);
				r = -EOVERFLOW;
				goto fail;
			}
			last_log_lsn = expect++;
			off += fr;
		}
		good_end = off;
		/* Completing an interrupted reset: nothing newer than the snapshot. */
		if (snap.present && base < snap_lsn && last_log_lsn <= snap_lsn) {
			fresh = true;
			tail_lost = false; /* whatever was torn, the snapshot holds it */
		}
	}
	if (accepted)
		tail_lost = true; /* records are gone: act as for a lost last one */

	/* Replay: nothing has been changed on disk yet. */
	if (fn) {
		r = replay_snapshot(&snap, fn, ctx, w->snap_path, err, errlen);
		if (r < 0)
			goto fail;
		if (!fresh) {
			size_t off = WAL_HDR_SIZE;
			while (off < good_end) {
				struct wal_rec_hdr h;
				memcpy(&h, logbuf + off, WAL_REC_HDR);
				if (h.lsn > snap_lsn) {
					r = fn(ctx, h.type, logbuf + off + WAL_REC_HDR, h.len, h.lsn);
					if (r) {
						r = r < 0 ? r : -EINVAL;
						set_err(err, errlen,
							"log %s: replaying record LSN %llu at offset %zu "
							"failed: %s",
							w->log_path, (unsigned long long)h.lsn, off,
							strerror(-r));
						goto fail;
					}
				}
				off += WAL_REC_MIN + h.len;
			}
		}
		if (tail_lost) {
			uint64_t at = (last_log_lsn > snap_lsn ? last_log_lsn : snap_lsn) + 1;
			r = fn(ctx, WAL_TAIL_LOST, NULL, 0, at);
			if (r) {
				r = r < 0 ? r : -EINVAL;
				set_err(err, errlen, "log %s: acting on its lost last record failed: %s",
					w->log_path, strerror(-r));
				goto fail;
			}
		}
	}

	/* Make the recovered state durable and the log ready for appends.
	 * The snapshot's name first: it must be durable before the log it
	 * supersedes may be replaced. */
	if (snap.present) {
		r = io_call(w->io.fsync(w->io.ctx, w->dirfd));
		if (r < 0) {
			set_err(err, errlen, "data directory %s: fsync: %s", dir, strerror(-r));
			goto fail;
		}
	}
	if (fresh) {
		int fd;
		r = log_create(w, snap_lsn, w->prealloc, &fd);
		if (r < 0) {
			set_err(err, errlen, "log %s: creating a fresh log: %s", w->log_path, strerror(-r));
			goto fail;
		}
		if (w->logfd >= 0)
			close(w->logfd);
		w->logfd = fd;
		w->log_base = snap_lsn;
		w->log_end = WAL_HDR_SIZE;
		w->log_cap = w->prealloc;
		w->last_lsn = snap_lsn;
	} else {
		/* A torn tail is zeroed, never cut: the size stays the proof
		 * against truncation. A truncation accepted is made whole. */
		r = 0;
		if (good_end < nz_end)
			r = zero_fill(w, w->logfd, good_end, nz_end);
		if (!r && logn < cap)
			r = io_call(w->io.ftruncate(w->io.ctx, w->logfd, (off_t)cap));
		if (r < 0) {
			set_err(err, errlen, "log %s: clearing the torn tail at offset %zu: %s", w->log_path,
				good_end, strerror(-r));
			goto fail;
		}
		r = io_call(w->io.fdatasync(w->io.ctx, w->logfd));
		if (!r)
			r = io_call(w->io.fsync(w->io.ctx, w->dirfd));
		if (r < 0) {
			set_err(err, errlen, "log %s: sync: %s", w->log_path, strerror(-r));
			goto fail;
		}
		w->log_base = base;
		w->log_end = good_end;
		w->log_cap = cap > logn ? cap : logn;
		w->last_lsn = last_log_lsn > snap_lsn ? last_log_lsn : snap_lsn;
	}
	w->durable_lsn = w->last_lsn;
	w->snap_size = snap.present ? snap.n : 0;
	/* the files in use: a log created afresh is of this version */
	w->version = WAL_VERSION;
	if (snap.present && snap.version < w->version)
		w->version = snap.version;
	if (!fresh && log_version < w->version)
		w->version = log_version;
	if (accepted)
		set_err(err, errlen,
			"log %s: damage accepted (--accept-log-damage): %s; values reserved by lost records "
			"may be handed out again",
			w->log_path, accepted);
	else if (tail_lost)
		set_err(err, errlen,
			"log %s: the last record at offset %zu was torn or damaged and has been cleared; "
			"it may have been acknowledged, so every sequence skips past what it could have "
			"reserved",
			w->log_path, good_end);
	free(snap.buf);
	free(logbuf);
	*out = w;
	return 0;

fail:
	free(snap.buf);
	free(logbuf);
	wal_close(w);
	return r;
}

/* ---- appends ---- */

/* Bytes the data directory's file system has free for us (UINT64_MAX when
 * it cannot tell). */
static uint64_t dir_room(const struct wal *w)
{
	struct statvfs st;
	if (fstatvfs(w->dirfd, &st) < 0)
		return UINT64_MAX;
	return (uint64_t)st.f_bavail * st.f_frsize;
}

#define WAL_GROW_MIN (64u * 1024u)
#define WAL_GROW_MAX (4u << 20)

/* The size to grow a log of `cap` bytes to, for `need` bytes: double it,
 * but by at most WAL_GROW_MAX (the zeros are written and synced while
 * appends wait), by no more than half the free space (the rest stays for the snapshot
 * the growth leads to, and its fresh log), and by at least WAL_GROW_MIN
 * where that fits. 0 when not even `need` fits: *short_by then says how many
 * bytes are missing. */
static uint64_t grow_target(const struct wal *w, uint64_t cap, uint64_t need, uint64_t *short_by)
{
	uint64_t to = cap + (cap < WAL_GROW_MAX ? cap : WAL_GROW_MAX);
	if (to < need)
		to = need;
	uint64_t room = dir_room(w);
	if (room == UINT64_MAX || to - cap <= room / 2)
		return to;
	to = cap + room / 2;
	uint64_t floor = cap + (room < WAL_GROW_MIN ? room : WAL_GROW_MIN);
	if (to < floor)
		to = floor;
	if (to < need)
		to = need;
	if (to - cap > room) {
		*short_by = to - cap - room;
		return 0;
	}
	return to;
}

/* Make the log at least `need` bytes: zeros written and synced first, then
 * the header's size (a crash in between leaves a longer file than its
 * header says, which is fine; only a shorter one is a truncation). The
 * bytes it wanted to write in *want. A growth that cannot fit the free
 * space is not tried: -ENOSPC, and nothing written. */
static int log_grow(struct wal *w, uint64_t need, uint64_t *want)
{
	uint64_t short_by = 0;
	uint64_t cap = grow_target(w, w->log_cap, need, &short_by);
	*want = cap ? cap - w->log_cap : need - w->log_cap + short_by;
	if (!cap)
		return -ENOSPC;
	int r = zero_fill(w, w->logfd, w->log_cap, cap);
	if (!r)
		r = io_call(w->io.fdatasync(w->io.ctx, w->logfd));
	if (r < 0)
		return r;
	struct wal_file_hdr h;
	hdr_build(&h, WAL_LOG_MAGIC, w->log_base, cap);
	r = io_pwrite_all(w, w->logfd, &h, sizeof(h), 0);
	if (r < 0)
		return r;
	w->log_cap = cap;
	return 0;
}

/* A fresh log's size: the current log's (so that appends overwrite
 * allocated blocks), at least --log-prealloc, but at most half the free
 * space (the old log is still there while it is created). */
static uint64_t fresh_cap(const struct wal *w)
{
	uint64_t cap = w->log_cap > w->prealloc ? w->log_cap : w->prealloc;
	uint64_t room = dir_room(w);
	if (room != UINT64_MAX && cap > w->prealloc && cap > room / 2) {
		cap = room / 2 & ~(uint64_t)4095;
		if (cap < w->prealloc)
			cap = w->prealloc;
	}
	return cap;
}

/* Fail closed, keeping why for wal_failure(). */
static void fail_with(struct wal *w, int err, const char *file, uint64_t need)
{
	w->failed = true;
	w->fail_err = err < 0 ? err : -EIO;
	w->fail_file = file;
	w->fail_need = need;
}

int wal_failure(const struct wal *w, const char **file, uint64_t *need)
{
	*file = w->fail_file ? w->fail_file : "";
	*need = w->fail_need;
	return w->failed ? (w->fail_err ? -w->fail_err : EIO) : 0;
}

uint64_t wal_snapshot_estimate(uint64_t records, uint32_t payload_len)
{
	return WAL_HDR_SIZE + records * (WAL_REC_MIN + payload_len) + WAL_REC_MIN +
	       sizeof(struct wal_snap_trailer);
}

int wal_append(struct wal *w, uint16_t type, const void *payload, uint32_t len, uint64_t *lsn)
{
	if (w->failed)
		return -EIO;
	if (w->version != WAL_VERSION)
		return -EPROTO; /* an older version's log: convert first (wal_format_old) */
	if (len > WAL_PAYLOAD_MAX)
		return -EMSGSIZE;
	if ((len && !payload) || type == WAL_TAIL_LOST)
		return -EINVAL; /* WAL_TAIL_LOST: the replay's pseudo-record */
	if (w->last_lsn == UINT64_MAX)
		return -EOVERFLOW;
	size_t fr = WAL_REC_MIN + len;
	if (w->log_end + fr > w->log_cap) {
		uint64_t want = 0;
		int g = log_grow(w, w->log_end + fr, &want);
		if (g < 0) {
			fail_with(w, g, w->log_path, want);
			return -EIO;
		}
	}
	if (w->bufcap < fr) {
		unsigned char *nb = realloc(w->buf, fr);
		if (!nb)
			return -ENOMEM;
		w->buf = nb;
		w->bufcap = fr;
	}
	struct wal_rec_hdr h = {.len = len, .type = type, .flags = 0, .lsn = w->last_lsn + 1};
	memcpy(w->buf, &h, WAL_REC_HDR);
	if (len)
		memcpy(w->buf + WAL_REC_HDR, payload, len);
	uint32_t crc = crc32c(0, w->buf, WAL_REC_HDR + len);
	memcpy(w->buf + WAL_REC_HDR + len, &crc, sizeof(crc));
	int e = io_pwrite_all(w, w->logfd, w->buf, fr, w->log_end);
	if (e < 0) {
		/* Part of it may be in the file: fail closed, recovery drops it. */
		fail_with(w, e, w->log_path, fr);
		return -EIO;
	}
	w->log_end += fr;
	w->last_lsn++;
	if (lsn)
		*lsn = w->last_lsn;
	return 0;
}

int wal_sync(struct wal *w)
{
	if (w->failed)
		return -EIO;
	if (w->durable_lsn == w->last_lsn)
		return 0; /* nothing appended since the last sync */
	int e = io_call(w->io.fdatasync(w->io.ctx, w->logfd));
	if (e < 0) {
		fail_with(w, e, w->log_path, 0);
		return -EIO;
	}
	w->durable_lsn = w->last_lsn;
	return 0;
}

uint64_t wal_durable_lsn(const struct wal *w)
{
	return w->durable_lsn;
}

uint64_t wal_log_size(const struct wal *w)
{
	return w->log_end;
}

uint64_t wal_snapshot_size(const struct wal *w)
{
	return w->snap_size;
}

int wal_failed(const struct wal *w)
{
	return w->failed;
}

/* ---- snapshots ---- */

struct snap_writer {
	struct wal *w;
	int fd;
	unsigned char *buf;
	size_t used, cap;
	uint64_t off;	   /* file offset of buf[0] */
	uint64_t mark;	   /* paced up to here */
	uint32_t file_crc; /* CRC of everything flushed */
};

static int sw_flush(struct snap_writer *sw)
{
	if (!sw->used)
		return 0;
	int r = io_pwrite_all(sw->w, sw->fd, sw->buf, sw->used, sw->off);
	if (r < 0)
		return r;
	sw->file_crc = crc32c(sw->file_crc, sw->buf, sw->used);
	sw->off += sw->used;
	sw->used = 0;
	if (sw->off - sw->mark >= WAL_PACE) {
		pace(sw->w, sw->fd, sw->mark, sw->off - sw->mark);
		sw->mark = sw->off;
	}
	return 0;
}

static int sw_record(struct snap_writer *sw, uint16_t type, uint16_t flags, uint64_t idx, const void *payload,
		     uint32_t len)
{
	size_t fr = WAL_REC_MIN + len;
	if (sw->cap - sw->used < fr) {
		int r = sw_flush(sw);
		if (r < 0)
			return r;
	}
	unsigned char *p = sw->buf + sw->used;
	struct wal_rec_hdr h = {.len = len, .type = type, .flags = flags, .lsn = idx};
	memcpy(p, &h, WAL_REC_HDR);
	if (len)
		memcpy(p + WAL_REC_HDR, payload, len);
	uint32_t crc = crc32c(0, p, WAL_REC_HDR + len);
	memcpy(p + WAL_REC_HDR + len, &crc, sizeof(crc));
	sw->used += fr;
	return 0;
}

/* Write the iterator's records as a snapshot covering snap_lsn into fd
 * (empty, open for writing) and fsync it; its size in *size. */
static int snap_write_fd(struct wal *w, int fd, uint64_t snap_lsn, wal_snapshot_next_fn next, void *ctx,
			 uint64_t *size)
{
	struct snap_writer sw = {.w = w, .fd = fd, .cap = WAL_SNAP_CHUNK + WAL_FRAME_MAX};
	sw.buf = malloc(sw.cap);
	if (!sw.buf)
		return -ENOMEM;
	struct wal_file_hdr fh;
	hdr_build(&fh, WAL_SNAP_MAGIC, snap_lsn, 0);
	memcpy(sw.buf, &fh, sizeof(fh));
	sw.used = sizeof(fh);

	int r;
	uint64_t count = 0;
	for (;;) {
		uint16_t type = 0;
		const void *payload = NULL;
		uint32_t len = 0;
		r = next(ctx, &type, &payload, &len);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (len > WAL_PAYLOAD_MAX) {
			r = -EMSGSIZE;
			goto out;
		}
		if (type == WAL_TAIL_LOST) {
			r = -EINVAL; /* the replay's pseudo-record */
			goto out;
		}
		if (len && !payload) {
			r = -EINVAL;
			goto out;
		}
		r = sw_record(&sw, type, 0, ++count, payload, len);
		if (r < 0)
			goto out;
	}
	r = sw_flush(&sw);
	if (r < 0)
		goto out;
	struct wal_snap_trailer t = {.count = count, .lsn = snap_lsn, .file_crc = sw.file_crc};
	r = sw_record(&sw, 0, WAL_REC_TRAILER, count + 1, &t, sizeof(t));
	if (!r)
		r = sw_flush(&sw);
	if (!r)
		r = io_call(w->io.fsync(w->io.ctx, sw.fd));
	*size = sw.off;
out:
	free(sw.buf);
	return r < 0 ? r : 0;
}

/* Write and fsync snapshot.tmp holding the iterator's records; its size in
 * *size. */
static int snap_write_tmp(struct wal *w, uint64_t snap_lsn, wal_snapshot_next_fn next, void *ctx,
			  uint64_t *size)
{
	(void)unlink(w->snap_tmp_path);
	int fd = open(w->snap_tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int r = snap_write_fd(w, fd, snap_lsn, next, ctx, size);
	close(fd);
	if (r < 0)
		(void)unlink(w->snap_tmp_path);
	return r;
}

int wal_snapshot(struct wal *w, wal_snapshot_next_fn next, void *ctx)
{
	if (w->failed)
		return -EIO;
	if (!next)
		return -EINVAL;
	uint64_t snap_lsn = w->last_lsn, size = 0;
	int r = snap_write_tmp(w, snap_lsn, next, ctx, &size);
	if (r < 0)
		return r; /* old snapshot and log untouched: not failed */
	r = io_call(w->io.rename(w->io.ctx, w->snap_tmp_path, w->snap_path));
	if (r < 0) {
		/* Atomic: the old state stays; and new snapshot + old log would
		 * be consistent too. Not failed. */
		(void)unlink(w->snap_tmp_path);
		return r;
	}
	/* From here on the files are in a consistent state either way, but
	 * whether later syncs mean anything is unknown: fail closed. */
	r = io_call(w->io.fsync(w->io.ctx, w->dirfd));
	if (r < 0) {
		fail_with(w, r, w->snap_path, 0);
		return r;
	}
	w->durable_lsn = snap_lsn;
	w->snap_size = size;
	int fd;
	uint64_t cap = fresh_cap(w);
	r = log_create(w, snap_lsn, cap, &fd);
	if (r < 0) {
		fail_with(w, r, w->log_path, cap);
		return r;
	}
	close(w->logfd);
	w->logfd = fd;
	w->log_base = snap_lsn;
	w->log_end = WAL_HDR_SIZE;
	w->log_cap = cap;
	w->version = WAL_VERSION; /* snapshot and log: both written by this version */
	return 0;
}

uint32_t wal_format_old(const struct wal *w)
{
	return w->version == WAL_VERSION ? 0 : w->version;
}

/* ---- snapshots written by another process ----
 *
 * The same files and renames as wal_snapshot(), split so that the slow part
 * runs in a forked child while the event loop goes on appending to the
 * current log:
 *   prepare (event loop): the snapshot will cover S = the last LSN; create
 *     snapshot.tmp and log.tmp (header: base S), zero-fill log.tmp's head;
 *   write_log (child): zeros for the rest of log.tmp, fsync; from then on
 *     (the child says so) the event loop may write anywhere in log.tmp;
 *   write (child): the snapshot into snapshot.tmp, fsync. The child works
 *     through the descriptors only and touches no name, so a successor's
 *     start (which removes the tmp names) cannot meet it there;
 *   mirror (event loop, each batch): records appended since S copied into
 *     log.tmp (its head only, until write_log is done), writeback started;
 *   install (event loop, once the child succeeded): the rest of those
 *     records copied, log.tmp synced, then exactly wal_snapshot()'s steps:
 *     rename snapshot.tmp, fsync dir, rename log.tmp over log, fsync dir.
 * Crash story: before the snapshot's rename the old snapshot and log hold
 * everything (the log was appended to all along); after it, the new
 * snapshot + old log is consistent (records <= S skipped, the rest
 * contiguous); after the log's rename the new log holds S+1 on. A failure
 * before the snapshot's rename leaves the wal usable; after it, fail
 * closed, as in wal_snapshot(). */

/* How much of log.tmp the event loop fills itself before the fork. */
#define WAL_JOB_HEAD (1u << 20)

int wal_snapshot_prepare(struct wal *w, struct wal_snap_job *j)
{
	memset(j, 0, sizeof(*j));
	j->snap_fd = j->log_fd = j->old_snap_fd = -1;
	j->old_log_fd = w->logfd;
	if (w->failed)
		return -EIO;
	j->old_snap_fd = open(w->snap_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	j->lsn = w->last_lsn;
	j->tail_off = w->log_end;
	/* Room for what is logged while it is written, and until the next
	 * one: half as much again as the log holds now, if it fits (the child
	 * writes the zeros, not the event loop). */
	j->cap = fresh_cap(w);
	if (j->cap < w->log_end + w->log_end / 2) {
		uint64_t room = dir_room(w), want = w->log_end + w->log_end / 2;
		if (room == UINT64_MAX || want - j->cap <= room / 4)
			j->cap = want;
	}
	j->head = j->cap < WAL_JOB_HEAD ? j->cap : WAL_JOB_HEAD;
	j->names = true;
	(void)unlink(w->snap_tmp_path);
	(void)unlink(w->log_tmp_path);
	int r = 0;
	j->snap_fd = open(w->snap_tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->snap_fd < 0)
		r = -errno;
	if (!r) {
		j->log_fd = open(w->log_tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (j->log_fd < 0)
			r = -errno;
	}
	if (!r) {
		struct wal_file_hdr h;
		hdr_build(&h, WAL_LOG_MAGIC, j->lsn, j->cap);
		r = io_pwrite_all(w, j->log_fd, &h, sizeof(h), 0);
		if (!r)
			r = zero_fill(w, j->log_fd, sizeof(h), j->head);
	}
	if (r < 0)
		wal_snapshot_discard(w, j);
	return r;
}

int wal_snapshot_write_log(struct wal *w, const struct wal_snap_job *j)
{
	w->paced = true; /* our own copy: the event loop's is not paced */
	int r = zero_fill(w, j->log_fd, j->head, j->cap);
	if (!r)
		r = io_call(w->io.fsync(w->io.ctx, j->log_fd));
	return r;
}

int wal_snapshot_write(struct wal *w, const struct wal_snap_job *j, wal_snapshot_next_fn next, void *ctx,
		       uint64_t *size)
{
	w->paced = true;
	return snap_write_fd(w, j->snap_fd, j->lsn, next, ctx, size);
}

/* Copy the log's records after the snapshot's LSN, from where the copy got
 * to up to `upto` bytes of log.tmp, into log.tmp. */
static int job_copy(struct wal *w, struct wal_snap_job *j, uint64_t upto)
{
	static unsigned char buf[64 * 1024];
	uint64_t end = w->log_end - j->tail_off;
	if (end > upto - WAL_HDR_SIZE)
		end = upto - WAL_HDR_SIZE;
	while (j->mirrored < end) {
		size_t n = end - j->mirrored < sizeof(buf) ? (size_t)(end - j->mirrored) : sizeof(buf);
		ssize_t got = pread(w->logfd, buf, n, (off_t)(j->tail_off + j->mirrored));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		int r = io_pwrite_all(w, j->log_fd, buf, (size_t)got, WAL_HDR_SIZE + j->mirrored);
		if (r < 0)
			return r;
		j->mirrored += (uint64_t)got;
	}
	return 0;
}

int wal_snapshot_mirror(struct wal *w, struct wal_snap_job *j)
{
	if (w->failed)
		return -EIO;
	uint64_t from = j->mirrored;
	int r = job_copy(w, j, j->head);
	if (!r && j->mirrored > from)
		(void)sync_file_range(j->log_fd, (off_t)(WAL_HDR_SIZE + from), (off_t)(j->mirrored - from),
				      SYNC_FILE_RANGE_WRITE);
	return r;
}

int wal_snapshot_install(struct wal *w, struct wal_snap_job *j, uint64_t size)
{
	if (w->failed)
		return -EIO;
	uint64_t need = WAL_HDR_SIZE + (w->log_end - j->tail_off);
	bool grown = false;
	int r = 0;
	if (need > j->cap) {
		/* more was logged meanwhile than the fresh log holds */
		uint64_t short_by = 0;
		uint64_t cap = grow_target(w, j->cap, need, &short_by);
		if (!cap)
			return -ENOSPC;
		r = zero_fill(w, j->log_fd, j->cap, cap);
		if (r < 0)
			return r;
		struct wal_file_hdr h;
		hdr_build(&h, WAL_LOG_MAGIC, j->lsn, cap);
		r = io_pwrite_all(w, j->log_fd, &h, sizeof(h), 0);
		if (r < 0)
			return r;
		j->cap = cap;
		grown = true;
	}
	r = job_copy(w, j, j->cap);
	if (!r)
		r = io_call(grown ? w->io.fsync(w->io.ctx, j->log_fd)
				  : w->io.fdatasync(w->io.ctx, j->log_fd));
	if (r < 0)
		return r; /* old snapshot and log untouched: not failed */
	r = io_call(w->io.rename(w->io.ctx, w->snap_tmp_path, w->snap_path));
	if (r < 0)
		return r; /* atomic: the old state stays (see wal_snapshot) */
	r = io_call(w->io.fsync(w->io.ctx, w->dirfd));
	if (r < 0) {
		fail_with(w, r, w->snap_path, 0);
		return r;
	}
	w->snap_size = size;
	r = io_call(w->io.rename(w->io.ctx, w->log_tmp_path, w->log_path));
	if (!r) {
		j->names = false;
		r = io_call(w->io.fsync(w->io.ctx, w->dirfd));
	}
	if (r < 0) {
		fail_with(w, r, w->log_path, 0);
		return r;
	}
	close(w->logfd);
	w->logfd = j->log_fd;
	j->log_fd = -1;
	w->log_base = j->lsn;
	w->log_end = WAL_HDR_SIZE + j->mirrored;
	w->log_cap = j->cap;
	w->durable_lsn = w->last_lsn; /* every record is in the synced new log */
	w->version = WAL_VERSION;     /* snapshot and log: both written by this version */
	wal_snapshot_discard(w, j);
	return 0;
}

void wal_snapshot_discard(struct wal *w, struct wal_snap_job *j)
{
	if (j->snap_fd >= 0)
		close(j->snap_fd);
	if (j->log_fd >= 0)
		close(j->log_fd);
	if (j->old_snap_fd >= 0)
		close(j->old_snap_fd);
	j->snap_fd = j->log_fd = j->old_snap_fd = -1;
	if (j->names) {
		(void)unlink(w->snap_tmp_path);
		(void)unlink(w->log_tmp_path);
		j->names = false;
	}
}
