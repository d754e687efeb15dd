/* SPDX-License-Identifier: MIT */
/* keeper.c — the region keeper process and the calls that reach it (keeper.h
 * has the story). The keeper is a forked copy of the daemon that drops
 * everything but three descriptors (the region, its listening socket, its
 * daemon's session) and then only polls them: it never maps the region and
 * never reads what it holds. */
#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int keeper_path(const char *instance, char *buf, size_t cap, bool create)
{
	char dir[4096];
	int r = util_runtime_dir(dir, sizeof(dir), create);
	if (r < 0)
		return r;
	int n = snprintf(buf, cap, "%s/%s.region", dir, instance);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int sockaddr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Whether the peer on fd is our own user or root. */
static bool peer_is_us(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	       (cr.uid == geteuid() || cr.uid == 0);
}

/* --- the keeper process ------------------------------------------------------ */

/* Close every descriptor from 3 on but the n in keep (ascending). */
void keeper_close_all_but(const int *keep, int n)
{
	unsigned lo = 3;
	for (int i = 0; i <= n; i++) {
		unsigned hi = i < n ? (unsigned)keep[i] : ~0u;
		if (hi > lo) {
#ifdef SYS_close_range
			if (syscall(SYS_close_range, lo, hi - 1, 0) == 0) {
				lo = hi + 1;
				continue;
			}
#endif
			long max = sysconf(_SC_OPEN_MAX);
			for (long fd = lo; fd < (long)hi && fd < (max > 0 ? max : 65536); fd++)
				close((int)fd);
		}
		lo = hi + 1;
	}
}

static void sort3(int *a)
{
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (a[j] < a[i]) {
				int t = a[i];
				a[i] = a[j];
				a[j] = t;
			}
}

/* Answer one session on the listening socket. Returns the session when it
 * took the region (the new daemon), else -1; sets *quit. */
static int keeper_serve(int lfd, int region_fd, bool *quit)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	/* a peer that connects and says nothing cannot hold the keeper up */
	struct timeval tv = {.tv_sec = 1};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char cmd = 0;
	if (!peer_is_us(fd) || util_recv(fd, &cmd, 1, NULL, 0) != 1) {
		close(fd);
		return -1;
	}
	if (cmd == KEEPER_QUIT) {
		*quit = true;
		close(fd);
		return -1;
	}
	if ((cmd != KEEPER_TAKE && cmd != KEEPER_PEEK) || util_send(fd, &cmd, 1, region_fd, 0) < 0 ||
	    cmd == KEEPER_PEEK) {
		close(fd);
		return -1;
	}
	return fd;
}

static __attribute__((noreturn)) void keeper_main(int region_fd, int lfd, int daemon)
{
	/* out of 0-2 first (a daemon started with a closed stdin may hold
	 * one of them there), then 0-2 become /dev/null */
	region_fd = fcntl(region_fd, F_DUPFD, 3);
	lfd = fcntl(lfd, F_DUPFD, 3);
	daemon = fcntl(daemon, F_DUPFD, 3);
	if (region_fd < 0 || lfd < 0 || daemon < 0)
		_exit(1);
	int keep[3] = {region_fd, lfd, daemon};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3; i++) {
		if (null >= 0)
			dup2(null, i);
		else
			close(i);
	}
	sort3(keep);
	keeper_close_all_but(keep, 3);
	/* the daemon waits for this: until now we held copies of its
	 * descriptors, the data directory's lock among them */
	char ready = KEEPER_TAKE;
	if (util_send(daemon, &ready, 1, -1, 0) < 0)
		_exit(1);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "shmseqd-keeper", 0, 0, 0);

	uint64_t orphan_since = 0;
	for (;;) {
		struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN}, {.fd = daemon, .events = POLLIN}};
		int timeout = -1;
		if (daemon < 0) {
			uint64_t waited = (util_now_ns() - orphan_since) / 1000000u;
			if (waited >= KEEPER_ORPHAN_S * 1000u)
				_exit(0);
			timeout = (int)(KEEPER_ORPHAN_S * 1000u - waited);
		}
		int n = poll(pf, daemon >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno != EINTR)
			_exit(1);
		if (n <= 0)
			continue;
		bool quit = false;
		if (daemon >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char c = 0;
			ssize_t r = util_recv(daemon, &c, 1, NULL, MSG_DONTWAIT);
			if (r == 1 && c == KEEPER_QUIT)
				_exit(0);
			if (r != -EAGAIN) {
				/* its daemon died (or spoke nonsense): wait for the next */
				close(daemon);
				daemon = -1;
				orphan_since = util_now_ns();
			}
		}
		if (pf[0].revents & POLLIN) {
			int fd = keeper_serve(lfd, region_fd, &quit);
			if (quit)
				_exit(0);
			if (fd >= 0) {
				if (daemon >= 0)
					close(daemon);
				daemon = fd;
			}
		}
	}
}

int keeper_spawn(int region_fd, const char *path)
{
	struct sockaddr_un sa;
	int r = sockaddr_of(path, &sa);
	if (r < 0)
		return r;
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int pair[2] = {-1, -1};
	if (lfd < 0)
		return -errno;
	struct stat st;
	if (lstat(path, &st) == 0 && (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())) {
		close(lfd);
		return -EEXIST;
	}
	unlink(path); /* a dead keeper's, or one that was just told to quit */
	mode_t old = umask(0177);
	r = bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(lfd, 8) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		r = -errno;
		goto fail;
	}
	/* Twice forked: the keeper is not our child, so neither our exit nor
	 * its own leaves anything to reap. */
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0) {
		pid_t k = fork();
		if (k == 0)
			keeper_main(region_fd, lfd, pair[1]);
		_exit(k < 0 ? 1 : 0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = -EAGAIN;
		goto fail;
	}
	close(lfd);
	close(pair[1]);
	pair[1] = -1;
	/* Until the keeper closed what it inherited it holds the data
	 * directory's lock too: a successor started right after our death
	 * would find the directory taken. Wait for its word. */
	struct pollfd pf = {.fd = pair[0], .events = POLLIN};
	char ready = 0;
	if (poll(&pf, 1, 10000) != 1 || util_recv(pair[0], &ready, 1, NULL, 0) != 1 || ready != KEEPER_TAKE) {
		r = -EAGAIN;
		goto fail;
	}
	return pair[0];
fail:
	close(lfd);
	if (pair[0] >= 0) {
		close(pair[0]);
		if (pair[1] >= 0)
			close(pair[1]);
	}
	unlink(path);
	return r;
}

int keeper_call(const char *path, char cmd, int *region_fd)
{
	struct sockaddr_un sa;
	int r = sockaddr_of(path, &sa);
	if (region_fd)
		*region_fd = -1;
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* a daemon takes a region only from a keeper of its own user; root
	 * may look at (or end) anyone's */
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    (cr.uid != geteuid() && !(geteuid() == 0 && cmd != KEEPER_TAKE))) {
		close(fd);
		return -EPERM;
	}
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = util_send(fd, &cmd, 1, -1, 0);
	if (r < 0 || cmd == KEEPER_QUIT) {
		close(fd);
		return r;
	}
	char echo = 0;
	int got = -1;
	ssize_t n = util_recv(fd, &echo, 1, &got, 0);
	if (n != 1 || echo != cmd || got < 0) {
		if (got >= 0)
			close(got);
		close(fd);
		return n < 0 && n != -EAGAIN ? (int)n : -EPROTO;
	}
	if (region_fd)
		*region_fd = got;
	else
		close(got);
	if (cmd == KEEPER_TAKE)
		return fd;
	close(fd);
	return 0;
}

void keeper_release(int session)
{
	if (session < 0)
		return;
	char q = KEEPER_QUIT;
	util_send(session, &q, 1, -1, MSG_DONTWAIT);
	close(session);
}
