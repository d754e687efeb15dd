/* SPDX-License-Identifier: MIT */
/* harness.h — integration tests: start the real built daemon ($SHMSEQD) on a
 * private instance and temp directory, with readiness by a pipe (never by
 * sleeping), and stop or kill it. */
#ifndef SHMSEQ_HARNESS_H
#define SHMSEQ_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spawn.h"

struct daemon {
	char instance[64];
	char dir[256]; /* temp dir: run/ and data/ below it */
	pid_t pid;
	/* When set (after daemon_setup), called in the daemon's child before it
	 * execs, and in the child that lets a killed daemon's region and lock go
	 * at teardown: e.g. to join the mount namespace of the daemon's host
	 * (tests/cluster/hostns.h). It may _exit() to fail the start. */
	void (*enter)(void *arg);
	void *enter_arg;
};

/* Make a private instance (name from prefix + pid) and temp dir, and point
 * SHMSEQ_RUNTIME_DIR there for this process and its children. Exits 77
 * (skip) when $SHMSEQD is not set. */
void daemon_setup(struct daemon *d, const char *prefix);
/* Start shmseqd and wait until it is ready. Returns 0 or -1. */
int daemon_start(struct daemon *d, const char *extra_args);
/* How long a daemon may take to become ready. */
#define DAEMON_READY_MS 30000
/* Wait (DAEMON_READY_MS at most) for a shmseqd started by spawn_start()
 * with ready_flag "--ready-fd" to say it is ready: 0 with d->pid set, or -1
 * once it is reaped (killed if it hung), its exit status in *code when code
 * is not NULL. */
int daemon_await_ready(struct daemon *d, struct spawn *sp, int *code);
/* SIGTERM and wait: returns the exit status (0 clean). */
int daemon_stop(struct daemon *d);
/* SIGKILL and wait. */
void daemon_kill(struct daemon *d);
/* Stop if running, let the region go and remove the temp dir. */
void daemon_teardown(struct daemon *d);

struct CMUnitTest;

/* Run a cmocka group whose tests share the daemon d: daemon_setup(d,
 * prefix) and daemon_start(d, NULL) before the first test (the group fails
 * if it does not start), daemon_teardown(d) after the last. */
int daemon_run_group(const char *name, const struct CMUnitTest *tests, size_t n, struct daemon *d,
		     const char *prefix);
#define daemon_group_tests(tests, d, prefix)                                                                 \
	daemon_run_group(#tests, tests, sizeof(tests) / sizeof((tests)[0]), d, prefix)

/* Run a cmocka group with a descriptor check around each test: a test that
 * leaves a descriptor open which was not open before it fails, naming what
 * the descriptor refers to. Every integration test's
 * cmocka_run_group_tests() comes here (the macro below, defined when
 * cmocka.h was included first); a test that means to keep a descriptor
 * across tests calls harness_fd_keep(fd). */
int harness_run_group_tests(const char *name, const struct CMUnitTest *tests, size_t n, int (*setup)(void **),
			    int (*teardown)(void **));
void harness_fd_keep(int fd);
/* The test may leave n more descriptors open than it found, e.g. the socket
 * a session that re-attached to a restarted daemon gave up: the library
 * closes it once no reader can be using it (lib/client.c, detach()), at a
 * later call, not at the restart. */
void harness_fd_allow(int n);
#ifdef cmocka_run_group_tests
#undef cmocka_run_group_tests
#define cmocka_run_group_tests(tests, setup, teardown)                                                       \
	harness_run_group_tests(#tests, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)
#endif

/* The instance's region (a sealed memfd), from its keeper: it answers
 * while the daemon runs and after it was killed. A descriptor, or -1. */
int region_fd(const char *instance);
/* Let the instance's region go, as a reboot would: its keeper exits and the
 * next daemon starts a new region. */
void region_discard(const char *instance);

/* A MAP_SHARED anonymous area visible to forked children. */
void *shared_alloc(size_t bytes);

int cmp_i64(const void *a, const void *b);

/* Run a shell command line (popen): its standard output (malloc'd, to
 * free) and its exit status in *status (128 when it did not exit). */
char *run_capture(const char *cmd, int *status);

#endif
