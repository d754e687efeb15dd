/* SPDX-License-Identifier: MIT */
/* snapshot.c — see snapshot.h. */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog.h"
#include "keeper.h"
#include "util.h"

/* What the child writes to the pipe: once its new log is zero-filled and
 * synced (MSG_LOG), and once the snapshot is (MSG_DONE), just before it
 * exits. 16 bytes: each arrives whole. */
enum { MSG_LOG = 1, MSG_DONE = 2 };
struct snap_msg {
	int32_t kind;
	int32_t err; /* 0 or a negative errno */
	uint64_t size;
};

static void sort_fds(int *a, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (a[j] < a[i]) {
				int t = a[i];
				a[i] = a[j];
				a[j] = t;
			}
}

static _Noreturn void child_main(struct wal *w, const struct wal_snap_job *j, struct catalog *cat,
				 void *region, size_t region_size, int out, int in, pid_t parent)
{
	/* Die with the daemon: a successor must not meet us (we write only
	 * through descriptors, to files whose names it removes anyway). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	/* Nothing of the daemon's but the files of the job: not its sockets,
	 * not the data directory's lock (a successor must be able to start at
	 * once), not the region. */
	int keep[6], n = 0;
	const int mine[6] = {j->snap_fd, j->log_fd, j->old_snap_fd, j->old_log_fd, out, in};
	for (int i = 0; i < 6; i++)
		if (mine[i] >= 3)
			keep[n++] = mine[i];
	sort_fds(keep, n);
	keeper_close_all_but(keep, n);
	if (region)
		munmap(region, region_size);
	prctl(PR_SET_NAME, "shmseqd-snap", 0, 0, 0);
	struct snap_msg m = {.kind = MSG_LOG};
	m.err = wal_snapshot_write_log(w, j);
	if (write(out, &m, sizeof(m)) != (ssize_t)sizeof(m) || m.err)
		_exit(1);
	struct catalog_iter it = {.c = cat};
	m.kind = MSG_DONE;
	m.err = wal_snapshot_write(w, j, catalog_snapshot_next, &it, &m.size);
	if (write(out, &m, sizeof(m)) != (ssize_t)sizeof(m) || m.err)
		_exit(1);
	/* Hold the old snapshot and log until the daemon has replaced them
	 * (it closes `in`): their blocks are then freed by our exit, not by
	 * its rename and close, and our own exit does not hold it up either. */
	char c;
	while (read(in, &c, 1) != 0 && (errno == EINTR || errno == EAGAIN))
		;
	_exit(0);
}

int snapshot_bg_start(struct snapshot_bg *b, struct wal *w, struct catalog *cat, void *region,
		      size_t region_size)
{
	snapshot_bg_reap(b, true);
	b->pid = 0;
	b->pipe_fd = b->go_fd = -1;
	int r = wal_snapshot_prepare(w, &b->job);
	if (r < 0)
		return r;
	int p[2], g[2] = {-1, -1};
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(g, O_CLOEXEC) < 0) {
		r = -errno;
		if (g[0] < 0) {
			close(p[0]);
			close(p[1]);
		}
		wal_snapshot_discard(w, &b->job);
		return r;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		close(g[0]);
		close(g[1]);
		wal_snapshot_discard(w, &b->job);
		return r;
	}
	if (pid == 0)
		child_main(w, &b->job, cat, region, region_size, p[1], g[0], parent);
	close(p[1]);
	close(g[0]);
	/* the parent never writes the snapshot: only the child holds it open */
	close(b->job.snap_fd);
	b->job.snap_fd = -1;
	if (b->job.old_snap_fd >= 0)
		close(b->job.old_snap_fd);
	b->job.old_snap_fd = -1;
	b->pid = pid;
	b->pipe_fd = p[0];
	b->go_fd = g[1];
	b->started_ns = util_now_ns();
	return 0;
}

void snapshot_bg_reap(struct snapshot_bg *b, bool wait)
{
	if (!b->exited)
		return;
	int st;
	pid_t r;
	while ((r = waitpid(b->exited, &st, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r != 0)
		b->exited = 0;
}

/* The child is done, one way or another: let it go, and reap it later
 * (its exit frees the old files' blocks, which takes a while). */
static void let_go(struct snapshot_bg *b)
{
	close(b->go_fd);
	close(b->pipe_fd);
	b->go_fd = b->pipe_fd = -1;
	b->exited = b->pid;
	b->pid = 0;
	snapshot_bg_reap(b, false);
}

int snapshot_bg_step(struct snapshot_bg *b, struct wal *w)
{
	bool ended = false;
	struct snap_msg m = {0};
	for (;;) {
		ssize_t n = read(b->pipe_fd, &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n != (ssize_t)sizeof(m) || m.kind != MSG_LOG || m.err) {
			ended = true; /* its result, or it died */
			break;
		}
		b->job.head = b->job.cap; /* the new log is all ours now */
	}
	if (!ended) {
		int r = wal_snapshot_mirror(w, &b->job);
		if (r < 0)
			snapshot_bg_abort(b, w);
		return r < 0 ? r : 1;
	}
	int r;
	if (m.kind == MSG_DONE || (m.kind == MSG_LOG && m.err))
		r = m.err;
	else /* killed, or crashed: what it wrote is never used */
		r = -EIO;
	if (!r)
		r = wal_snapshot_install(w, &b->job, m.size);
	wal_snapshot_discard(w, &b->job);
	let_go(b);
	return r;
}

void snapshot_bg_abort(struct snapshot_bg *b, struct wal *w)
{
	if (b->pid) {
		kill(b->pid, SIGKILL);
		let_go(b);
		wal_snapshot_discard(w, &b->job);
	}
	snapshot_bg_reap(b, true);
}
