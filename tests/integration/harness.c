/* harness.c — see harness.h. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"
#include "util.h"

void daemon_setup(struct daemon *d, const char *prefix)
{
	const char *bin = getenv("SHMSEQD");
	if (!bin || access(bin, X_OK) != 0) {
		fprintf(stderr, "SHMSEQD does not name the built daemon: skipping\n");
		exit(77);
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->instance, sizeof(d->instance), "%s-%d", prefix, (int)getpid());
	snprintf(d->dir, sizeof(d->dir), "/tmp/shmseq-test-XXXXXX");
	if (!mkdtemp(d->dir)) {
		perror("mkdtemp");
		exit(1);
	}
	char run[300];
	snprintf(run, sizeof(run), "%s/run", d->dir);
	setenv("SHMSEQ_RUNTIME_DIR", run, 1);
	setenv("SHMSEQ_INSTANCE", d->instance, 1);
}

int daemon_start(struct daemon *d, const char *extra)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char fd[16], data[300], cmd[2048];
		int w = dup(p[1]); /* without O_CLOEXEC: the daemon inherits it */
		snprintf(fd, sizeof(fd), "%d", w);
		snprintf(data, sizeof(data), "%s/data", d->dir);
		snprintf(cmd, sizeof(cmd), "exec \"$SHMSEQD\" --instance %s --data-dir %s --ready-fd %s %s",
			 d->instance, data, fd, extra ? extra : "");
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	return daemon_await_ready(d, pid, p[0], NULL);
}

int daemon_await_ready(struct daemon *d, pid_t pid, int rfd, int *code)
{
	struct pollfd pf = {.fd = rfd, .events = POLLIN};
	char c = 0;
	int r = poll(&pf, 1, 30000);
	if (r == 1 && read(rfd, &c, 1) == 1 && c == 'R') {
		close(rfd);
		d->pid = pid;
		return 0;
	}
	close(rfd);
	kill(pid, SIGKILL); /* hung, or closed the pipe unready; an exited one keeps its status */
	int st = 0;
	waitpid(pid, &st, 0);
	if (code)
		*code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return -1;
}

int daemon_stop(struct daemon *d)
{
	int st = 0;
	if (d->pid <= 0)
		return 0;
	kill(d->pid, SIGTERM);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void daemon_kill(struct daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	d->pid = 0;
}

int region_fd(const char *instance)
{
	char path[4200];
	int fd = -1;
	if (keeper_path(instance, path, sizeof(path), false) < 0 || keeper_call(path, KEEPER_PEEK, &fd) < 0)
		return -1;
	return fd;
}

void region_discard(const char *instance)
{
	char path[4200];
	if (keeper_path(instance, path, sizeof(path), false) < 0)
		return;
	keeper_call(path, KEEPER_QUIT, NULL);
	unlink(path);
}

void daemon_teardown(struct daemon *d)
{
	daemon_stop(d);
	region_discard(d->instance); /* a killed daemon leaves its region's keeper */
	char cmd[400], lock[160];
	/* a killed daemon leaves its instance lock */
	if (shmseq_instance_lock_name(d->instance, lock, sizeof(lock)) == 0)
		shm_unlink(lock);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d->dir);
}

void *shared_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}
