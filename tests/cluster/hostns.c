/* SPDX-License-Identifier: MIT */
/* hostns.c — a mount namespace per host for the cluster tests (hostns.h). */
#include "hostns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the holder reports on its pipe: the step that failed (0: none) and
 * its errno. */
struct holder_report {
	int step, err;
};
static const char *const step_name[] = {"", "unshare(CLONE_NEWNS)", "making the mounts private",
					"mounting a tmpfs on /dev/shm",
					"mounting a tmpfs on the runtime directory"};

static _Noreturn void holder(int wfd, pid_t parent, const char *runtime_dir)
{
	struct holder_report rep = {0, 0};
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(1);
	if (unshare(CLONE_NEWNS) < 0)
		rep = (struct holder_report){1, errno};
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		rep = (struct holder_report){2, errno};
	else if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		rep = (struct holder_report){3, errno};
	else if (runtime_dir && mount("tmpfs", runtime_dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		rep = (struct holder_report){4, errno};
	if (write(wfd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep) || rep.step)
		_exit(1);
	/* nothing of the test's held open (its output, pipes) but stderr */
	close_range(3, ~0u, 0);
	for (;;)
		pause();
}

static int mkdirs(const char *path)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + 1;; s++) {
		char c = *s;
		if (c != '/' && c)
			continue;
		*s = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

int hostns_create(struct hostns *ns, const char *runtime_dir)
{
	int p[2];
	ns->holder = 0;
	int r = runtime_dir ? mkdirs(runtime_dir) : 0;
	if (r < 0) {
		fprintf(stderr, "hostns: cannot make %s: %s\n", runtime_dir, strerror(-r));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "hostns: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hostns: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		holder(p[1], parent, runtime_dir);
	}
	close(p[1]);
	struct holder_report rep = {0, 0};
	ssize_t n;
	while ((n = read(p[0], &rep, sizeof(rep))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(rep) && rep.step == 0) {
		ns->holder = pid;
		return 0;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof(rep))
		fprintf(stderr, "hostns: the namespace's holder died before it was ready\n");
	else
		fprintf(stderr, "hostns: no mount namespace of our own (%s: %s%s)\n", step_name[rep.step],
			strerror(rep.err), rep.err == EPERM ? "; root or CAP_SYS_ADMIN needed" : "");
	return -1;
}

bool hostns_private(const struct hostns *ns)
{
	return ns->holder > 0;
}

int hostns_join(const struct hostns *ns)
{
	if (!hostns_private(ns))
		return 0;
	char path[64], cwd[4096];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)ns->holder);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hostns: %s: %s\n", path, strerror(errno));
		return -1;
	}
	bool have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
	/* setns() puts the root and working directory at the namespace's root */
	int r = setns(fd, CLONE_NEWNS);
	int e = errno;
	close(fd);
	if (r < 0) {
		fprintf(stderr, "hostns: setns(%s): %s\n", path, strerror(e));
		return -1;
	}
	if (have_cwd && chdir(cwd) < 0)
		fprintf(stderr, "hostns: working directory %s: %s (now /)\n", cwd, strerror(errno));
	return 0;
}

int hostns_path(const struct hostns *ns, const char *path, char *buf, size_t cap)
{
	int n = hostns_private(ns) ? snprintf(buf, cap, "/proc/%d/root%s", (int)ns->holder, path)
				   : snprintf(buf, cap, "%s", path);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

void hostns_enter(void *ns)
{
	if (hostns_join(ns) < 0)
		_exit(97);
}

int hostns_call(const struct hostns *ns, void (*fn)(void *arg), void *arg, size_t size)
{
	int p[2];
	char *back = malloc(size ? size : 1);
	if (!back || pipe2(p, O_CLOEXEC) < 0) {
		free(back);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		free(back);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		if (hostns_join(ns) < 0)
			_exit(1);
		fn(arg);
		for (size_t off = 0; off < size;) {
			ssize_t w = write(p[1], (char *)arg + off, size - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(p[0], back + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	int r = -1;
	if (got == size && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		memcpy(arg, back, size);
		r = 0;
	}
	free(back);
	return r;
}

void hostns_end(struct hostns *ns)
{
	if (!hostns_private(ns))
		return;
	kill(ns->holder, SIGKILL);
	while (waitpid(ns->holder, NULL, 0) < 0 && errno == EINTR)
		;
	ns->holder = 0;
}
