/* SPDX-License-Identifier: MIT */
/* spawn.c — see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPAWN_MAX_ARGS 64

uint64_t spawn_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int spawn_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static _Noreturn void child(const struct spawn_opts *o, pid_t parent, int wfd)
{
	const char *argv[SPAWN_MAX_ARGS + 3];
	char fdarg[16];
	int n = 0;

	for (; o->argv[n] && n < SPAWN_MAX_ARGS; n++)
		argv[n] = o->argv[n];
	if (o->ready_flag) {
		int w = dup(wfd); /* without O_CLOEXEC: the program inherits it */
		if (w < 0)
			_exit(127);
		snprintf(fdarg, sizeof(fdarg), "%d", w);
		argv[n++] = o->ready_flag;
		argv[n++] = fdarg;
	}
	argv[n] = NULL;
	if (o->own_group)
		setpgid(0, 0);
	signal(SIGINT, o->ignore_sigint ? SIG_IGN : SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (o->log_path) {
		int lf = open(o->log_path,
			      O_WRONLY | O_CREAT | O_CLOEXEC | (o->log_truncate ? O_TRUNC : O_APPEND), 0600);
		if (lf < 0 || dup2(lf, 2) < 0 || (o->log_stdout && dup2(lf, 1) < 0))
			_exit(98);
	}
	if (o->child_setup)
		o->child_setup(o->child_arg);
	if (!o->no_pdeathsig) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			_exit(96);
		if (getppid() != parent) /* it died before prctl() took effect */
			_exit(95);
	}
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "%s%scannot run %s: %s%s\n", o->prog ? o->prog : "", o->prog ? ": " : "", argv[0],
		strerror(errno), o->hint ? o->hint : "");
	_exit(127);
}

int spawn_start(struct spawn *sp, const struct spawn_opts *o)
{
	int p[2] = {-1, -1};
	pid_t parent = getpid();

	sp->pid = -1;
	sp->ready_fd = -1;
	if (o->ready_flag && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		if (p[0] >= 0) {
			close(p[0]);
			close(p[1]);
		}
		return -e;
	}
	if (pid == 0)
		child(o, parent, p[1]);
	if (p[1] >= 0)
		close(p[1]);
	sp->pid = pid;
	sp->ready_fd = p[0];
	sp->started_ms = spawn_now_ms();
	return 0;
}

int spawn_poll_ready(struct spawn *sp, int wait_ms, int limit_ms)
{
	if (sp->ready_fd < 0)
		return -1;
	uint64_t now = spawn_now_ms(), deadline = sp->started_ms + (uint64_t)limit_ms;
	if (now >= deadline)
		return -1;
	if ((uint64_t)wait_ms > deadline - now)
		wait_ms = (int)(deadline - now);
	struct pollfd pf = {.fd = sp->ready_fd, .events = POLLIN};
	int r = poll(&pf, 1, wait_ms);
	if (r < 0 && errno == EINTR)
		return 0;
	if (r == 0)
		return spawn_now_ms() >= deadline ? -1 : 0;
	char c = 0;
	if (r == 1 && read(sp->ready_fd, &c, 1) == 1 && c == 'R') {
		close(sp->ready_fd);
		sp->ready_fd = -1;
		return 1;
	}
	return -1;
}

int spawn_kill(struct spawn *sp)
{
	int st = 0;
	if (sp->ready_fd >= 0) {
		close(sp->ready_fd);
		sp->ready_fd = -1;
	}
	if (sp->pid <= 0)
		return 0;
	kill(sp->pid, SIGKILL);
	while (waitpid(sp->pid, &st, 0) < 0 && errno == EINTR)
		;
	sp->pid = -1;
	return spawn_code(st);
}

int spawn_await_ready(struct spawn *sp, int limit_ms, int *code)
{
	int r;
	while ((r = spawn_poll_ready(sp, limit_ms, limit_ms)) == 0)
		;
	if (r > 0)
		return 0;
	bool hung = sp->ready_fd >= 0 && spawn_now_ms() >= sp->started_ms + (uint64_t)limit_ms;
	/* an exited child keeps its status: SIGKILL does not change it */
	int c = spawn_kill(sp);
	if (code)
		*code = c;
	return hung ? -ETIMEDOUT : -1;
}
