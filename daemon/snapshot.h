/* SPDX-License-Identifier: MIT */
/* snapshot.h — snapshots written by a forked child, off the event loop.
 *
 * With 300,000 sequences a snapshot is ~50 MB; written inside the event loop
 * it stalled every refill and DDL for a quarter of a second. The daemon
 * instead forks: the child writes the snapshot from its copy-on-write image
 * of the catalog (wal_snapshot_write), while the parent goes on serving and
 * logging; the parent hears of the end through a pipe in its epoll and
 * installs the snapshot (wal_snapshot_install). The protocol and its crash
 * story are at wal_snapshot_prepare in wal.c. */
#ifndef SHMSEQD_SNAPSHOT_H
#define SHMSEQD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wal.h"

struct catalog;

struct snapshot_bg {
	pid_t pid;    /* the child, 0 when none is running */
	pid_t exited; /* a child let go and not reaped yet, or 0 */
	int pipe_fd;  /* its news come here (add it to the epoll), -1 when none */
	int go_fd;    /* closed when the child may exit */
	struct wal_snap_job job;
	uint64_t started_ns;
};

/* Fork a child that writes a snapshot of the catalog. The child drops every
 * descriptor but the job's two and 0-2, unmaps `region` (it must never touch
 * it), and dies with the parent. 0, or a negative errno with nothing left
 * running (the caller may write the snapshot itself instead). */
int snapshot_bg_start(struct snapshot_bg *b, struct wal *w, struct catalog *cat, void *region,
		      size_t region_size);

/* After each batch while one is running: take the child's news from its
 * pipe, copy the batch's appends into the new log, and once the child is
 * done reap it and, if it succeeded, install its snapshot. 1 while it is
 * running; 0 once installed; a negative errno once it failed (the old state
 * stays unless the wal failed). Nothing is running after 0 or an error. */
int snapshot_bg_step(struct snapshot_bg *b, struct wal *w);

/* Kill the child, reap it and remove its files (shutdown, a failed wal). */
void snapshot_bg_abort(struct snapshot_bg *b, struct wal *w);

/* Reap a child that was let go, waiting for it or not. */
void snapshot_bg_reap(struct snapshot_bg *b, bool wait);

#endif
