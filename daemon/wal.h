/* SPDX-License-Identifier: MIT */
/* wal.h — the daemon's persistence: an append-only log of checksummed records
 * plus periodic snapshots, in one data directory.
 *
 * Records are opaque payloads with a 16-bit type chosen by the caller. Each is
 * framed with its length, a log sequence number (LSN, strictly increasing
 * across snapshots and logs) and a CRC32C, so that recovery can tell a torn
 * tail (zeroed, and reported to the caller as WAL_TAIL_LOST) from a corrupt
 * record in the middle (start-up refused with a message saying what and how to
 * recover). The log is preallocated (zero-filled, its size in its header), so a
 * truncated log is told from a torn one, and refused. Snapshots are written
 * temp -> fsync -> rename -> fsync(dir); the log is then started afresh.
 * Single-threaded: the daemon's event loop owns it.
 *
 * Fail closed: after any write or sync error the wal is "failed": every later
 * wal_append/wal_sync/wal_snapshot returns -EIO without touching the files, so
 * the caller can never assume a record is durable when it is not.
 */
#ifndef SHMSEQ_WAL_H
#define SHMSEQ_WAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct wal;

/* The system calls the wal makes, replaceable by tests for fault injection
 * (EIO, ENOSPC, short writes, power loss that drops unsynced data).
 * NULL in wal_open() means the real ones. */
struct wal_io {
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, off_t off);
	int (*fdatasync)(void *ctx, int fd);
	int (*fsync)(void *ctx, int fd);
	int (*rename)(void *ctx, const char *from, const char *to);
	int (*ftruncate)(void *ctx, int fd, off_t len);
	void *ctx;
};

/* Called once per live record during wal_open(), snapshot records first
 * (in the order they were written), then log records in LSN order. Returning
 * non-zero aborts the open with that error (negative errno). */
typedef int (*wal_replay_fn)(void *ctx, uint16_t type, const void *payload, uint32_t len, uint64_t lsn);

/* Options of wal_open(); NULL means the defaults. */
struct wal_opts {
	/* Bytes a fresh log is preallocated with (zero-filled, 0: 1 MiB). A
	 * log grows by doubling, by 4 MiB at most and within half the free
	 * space, and a snapshot's fresh log keeps the size (1.5 times the
	 * log's contents for a snapshot written by another process). */
	uint64_t prealloc;
	/* Start even though the log is truncated, missing or emptied behind a
	 * snapshot: keep what survives. Values reserved by the lost records may
	 * be handed out again; the operator chose that (shmseqd
	 * --accept-log-damage). */
	int accept_damage;
};

/* The pseudo-record type passed to the replay function after the last
 * record when the log ended in a torn or damaged record: that record may
 * have been durable and acknowledged, so the caller must act as if an
 * unknown record of its own followed (the daemon skips every sequence
 * ahead by its largest reservation). Payload NULL, length 0. The type is
 * reserved: wal_append() and snapshots refuse it (-EINVAL), and a stored
 * record of it is read as damage, never handed to the replay. */
#define WAL_TAIL_LOST 0xffffu

/* The data format version written (the files' headers; the record
 * payloads of this version are the caller's: daemon/records.h). */
#define WAL_FORMAT_VERSION 3u

/* Largest payload accepted. */
#define WAL_PAYLOAD_MAX (64u * 1024u)

/* Open (creating if absent) the wal in directory dir (which must exist),
 * replay it through fn, and leave the log ready for appends.
 * Returns 0, or a negative errno with a one-line human explanation in
 * err (what is wrong, which file, at which offset, and how to recover):
 *   -EBADMSG  a corrupt record before the end of the log, a truncated or
 *             missing log, or a bad snapshot
 *   -EPROTO   a file of an unknown format or version (an older version
 *             that it reads is not an error: wal_format_old)
 *   other     the system error.
 * On success err is empty, or holds a warning worth logging (a torn tail
 * was zeroed, damage was accepted). */
int wal_open(const char *dir, const struct wal_io *io, const struct wal_opts *opts, wal_replay_fn fn,
	     void *ctx, struct wal **out, char *err, size_t errlen);

/* Append one record (written to the file at once, not yet durable).
 * Returns 0 and its LSN in *lsn (may be NULL), -EMSGSIZE, or -EIO (failed). */
int wal_append(struct wal *w, uint16_t type, const void *payload, uint32_t len, uint64_t *lsn);

/* Make every appended record durable (one fdatasync: group commit).
 * Returns 0, or -EIO and the wal is failed. */
int wal_sync(struct wal *w);

/* The LSN up to which records are durable (0 if none yet). */
uint64_t wal_durable_lsn(const struct wal *w);

/* Bytes in the current log file: the caller snapshots when it grows large. */
uint64_t wal_log_size(const struct wal *w);

/* Why the wal failed: the errno (0 if it has not), the file and the bytes
 * the failed call wanted to write (0 for a sync). */
int wal_failure(const struct wal *w, const char **file, uint64_t *need);

/* Bytes a snapshot of `records` records of payload_len bytes takes. */
uint64_t wal_snapshot_estimate(uint64_t records, uint32_t payload_len);

/* Bytes in the current snapshot file (0 if there is none). */
uint64_t wal_snapshot_size(const struct wal *w);

/* Write a snapshot holding exactly the records the iterator yields (the
 * caller's whole live state), make it durable, then empty the log.
 * `next` is called repeatedly; it returns 1 with a record in *type, *payload and
 * *len (valid until the next call), 0 when done, or a negative errno to abort.
 * Returns 0, or a negative errno (the wal is failed if files may be
 * inconsistent; a failure before the rename leaves the old state intact). */
typedef int (*wal_snapshot_next_fn)(void *ctx, uint16_t *type, const void **payload, uint32_t *len);
int wal_snapshot(struct wal *w, wal_snapshot_next_fn next, void *ctx);

/* The files of an older data format version were opened (read and
 * replayed as usual): returns that version, or 0 when the files are of
 * WAL_FORMAT_VERSION. While it is non-zero wal_append() refuses (-EPROTO),
 * so nothing of the new format is written into an older file; a
 * wal_snapshot() rewrites the whole state in the current version (snapshot
 * and a fresh log) and makes it 0. A crash before the snapshot's rename
 * leaves the older files as they were (readable by the older shmseq too);
 * after it, the next open completes the conversion. */
uint32_t wal_format_old(const struct wal *w);
/* A snapshot written by another process (the daemon forks one: snapshot.c),
 * while this one goes on appending. Steps, in this order:
 *   wal_snapshot_prepare   creates the files; the snapshot will cover every
 *                          record appended so far
 *   wal_snapshot_write_log in the other process: zero-fills the new log
 *                          beyond j->head and fsyncs it; then tell this one,
 *                          which sets j->head = j->cap
 *   wal_snapshot_write     in the other process, from its copy of the state
 *                          as it was at prepare: writes and fsyncs through
 *                          the job's descriptors, touches no name
 *   wal_snapshot_mirror    here, after appends: copies them into the new log
 *                          (below j->head)
 *   wal_snapshot_install   here, once the write succeeded: renames the
 *                          snapshot into place and starts the new log
 *   wal_snapshot_discard   here, always last: closes and removes what is left
 * Each returns 0 or a negative errno. Only a failed install after the
 * snapshot's rename fails the wal; before that the old state stays whole,
 * as for wal_snapshot(). */
struct wal_snap_job {
	int snap_fd, log_fd; /* snapshot.tmp, log.tmp */
	/* the current snapshot (-1 if none) and log, for the writer to hold
	 * open until they are replaced (not the job's to close: old_log_fd) */
	int old_snap_fd, old_log_fd;
	uint64_t lsn;	   /* the LSN the snapshot covers: the new log's base */
	uint64_t tail_off; /* offset in the log of the record after lsn */
	uint64_t mirrored; /* bytes of the records after lsn copied to log.tmp */
	uint64_t cap;	   /* log.tmp's size */
	uint64_t head;	   /* log.tmp's bytes this process may write now */
	int names;	   /* the tmp names are this job's to remove */
};
int wal_snapshot_prepare(struct wal *w, struct wal_snap_job *j);
int wal_snapshot_write_log(struct wal *w, const struct wal_snap_job *j);
int wal_snapshot_write(struct wal *w, const struct wal_snap_job *j, wal_snapshot_next_fn next, void *ctx,
		       uint64_t *size);
int wal_snapshot_mirror(struct wal *w, struct wal_snap_job *j);
int wal_snapshot_install(struct wal *w, struct wal_snap_job *j, uint64_t size);
void wal_snapshot_discard(struct wal *w, struct wal_snap_job *j);

/* Whether the wal has failed (fail closed). */
int wal_failed(const struct wal *w);

void wal_close(struct wal *w);

#endif
