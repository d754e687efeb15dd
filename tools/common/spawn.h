/* SPDX-License-Identifier: MIT */
/* spawn.h — start a daemon (or any program) as a child that dies with its
 * parent, and wait for it to say it is ready.
 *
 * Readiness: with ready_flag set, the child gets the write end of a pipe
 * (the only descriptor it inherits from the spawner) and "<ready_flag> N"
 * appended to its arguments; it writes one 'R' there once it serves.
 * EOF or any other byte means it will not become ready (it exited).
 *
 * Death with the parent: the child asks for SIGKILL when the thread that
 * forked it dies (PR_SET_PDEATHSIG, set after child_setup since a change of
 * credentials clears it), then checks getppid() so that a parent that died
 * between fork() and prctl() is noticed too. A test that crashes therefore
 * never leaves a daemon behind holding the test runner's output pipe. The
 * setting survives execve() except into a set-user-ID or file-capability
 * binary. */
#ifndef SHMSEQ_SPAWN_H
#define SHMSEQ_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct spawn_opts {
	const char *const *argv; /* argv[0] is the program's path; ends with NULL */
	const char *ready_flag;	 /* e.g. "--ready-fd"; NULL: no handshake */
	const char *log_path;	 /* stderr (and stdout with log_stdout) to this file; NULL: inherited */
	bool log_stdout;
	bool log_truncate;  /* O_TRUNC; otherwise the log is appended to */
	bool own_group;	    /* setpgid(0, 0): a terminal's ^C reaches only the parent */
	bool ignore_sigint; /* SIG_IGN for SIGINT (inherited through exec) */
	bool no_pdeathsig;  /* outlive the parent (the death-with-parent test's control) */
	/* called in the child before exec (umask, rlimits, credentials); it may
	 * _exit() to fail the start */
	void (*child_setup)(void *arg);
	void *child_arg;
	/* when exec fails the child says "<prog>: cannot run PATH: why<hint>" */
	const char *prog;
	const char *hint;
};

struct spawn {
	pid_t pid;	     /* the child, until reaped */
	int ready_fd;	     /* read end while readiness is awaited, else -1 */
	uint64_t started_ms; /* CLOCK_MONOTONIC at the start */
};

/* Fork and exec (execvp: a name without a slash is looked up in $PATH). Returns 0 with sp filled in, or -errno (nothing started). */
int spawn_start(struct spawn *sp, const struct spawn_opts *o);

/* Wait at most wait_ms for the ready byte: 1 ready (the pipe is closed),
 * 0 not yet (and started less than limit_ms ago), -1 it will not be (it
 * closed the pipe unready) or limit_ms since the start have passed. Never
 * reaps or kills. */
int spawn_poll_ready(struct spawn *sp, int wait_ms, int limit_ms);

/* Wait up to limit_ms since the start for readiness: 0 ready, otherwise
 * the child is killed if it still runs and reaped, *code (when not NULL)
 * gets its exit status (spawn_code) and the result is -1 when it exited
 * unready or -ETIMEDOUT when it hung. */
int spawn_await_ready(struct spawn *sp, int limit_ms, int *code);

/* SIGKILL the child and reap it. Returns its exit status (spawn_code). */
int spawn_kill(struct spawn *sp);

/* A wait status as a shell would report it: the exit code, or 128 + signal. */
int spawn_code(int wstatus);

/* milliseconds of CLOCK_MONOTONIC */
uint64_t spawn_now_ms(void);

#endif
