/* SPDX-License-Identifier: MIT */
/* test_spawn.c — the spawner every test, the bench and the torture run use
 * (tools/common/spawn.c): a daemon started through it dies with the process
 * that started it, even when that one is SIGKILLed (so a crashed test never
 * leaves a daemon holding the test runner's pipe); without the parent-death
 * signal the same daemon outlives it (the check can tell the two apart).
 * Readiness: a program that exits unready is reported with its exit status
 * and its stderr in the log file, one that hangs is killed at the time-out,
 * one that writes 'R' is ready. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "spawn.h"

static struct daemon d;

/* How long a daemon may outlive its parent's SIGKILL. */
#define DEATH_BOUND_MS 5000

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* Reap whatever was reparented to us (a killed daemon's keeper). */
static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Fork a child that starts the daemon (through daemon_start, or the
 * spawner without the parent-death signal) and publishes its pid; SIGKILL
 * the child once it did. Returns the daemon's pid, now our child (we are a
 * subreaper). */
static pid_t start_through_child_and_kill_it(bool pdeathsig)
{
	_Atomic pid_t *shared = shared_alloc(sizeof(*shared));
	atomic_store(shared, 0);
	pid_t kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		pid_t p = -1;
		if (pdeathsig) {
			if (daemon_start(&d, NULL) == 0)
				p = d.pid;
		} else {
			char data[300];
			snprintf(data, sizeof(data), "%s/data", d.dir);
			const char *argv[] = {getenv("SHMSEQD"), "--instance", d.instance,
					      "--data-dir",	 data,	       NULL};
			struct spawn_opts o = {
				.argv = argv, .ready_flag = "--ready-fd", .no_pdeathsig = true};
			struct spawn sp;
			if (spawn_start(&sp, &o) == 0) {
				p = sp.pid;
				if (spawn_await_ready(&sp, DAEMON_READY_MS, NULL) < 0)
					p = -1;
			}
		}
		atomic_store(shared, p);
		for (;;)
			pause();
	}
	uint64_t t0 = spawn_now_ms();
	while (atomic_load(shared) == 0 && spawn_now_ms() - t0 < DAEMON_READY_MS + 5000u)
		sleep_ms(5);
	pid_t daemon = atomic_load(shared);
	kill(kid, SIGKILL);
	assert_int_equal(waitpid(kid, NULL, 0), kid);
	assert_true(daemon > 0);
	return daemon;
}

static void test_daemon_dies_with_its_parent(void **state)
{
	(void)state;
	pid_t daemon = start_through_child_and_kill_it(true);
	uint64_t t0 = spawn_now_ms();
	int st = 0;
	pid_t r;
	while ((r = waitpid(daemon, &st, WNOHANG)) == 0 && spawn_now_ms() - t0 < DEATH_BOUND_MS)
		sleep_ms(5);
	if (r == 0) {
		kill(daemon, SIGKILL);
		waitpid(daemon, NULL, 0);
		fail_msg("shmseqd %d still ran %d ms after the process that started it was killed",
			 (int)daemon, DEATH_BOUND_MS);
	}
	assert_int_equal(r, daemon);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	printf("the daemon was gone %u ms after its parent\n", (unsigned)(spawn_now_ms() - t0));
	reap_orphans();
}

/* The control: the same start without PR_SET_PDEATHSIG leaves the daemon
 * running, so the test above would see it. */
static void test_without_pdeathsig_the_daemon_stays(void **state)
{
	(void)state;
	pid_t daemon = start_through_child_and_kill_it(false);
	sleep_ms(500);
	int st = 0;
	assert_int_equal(waitpid(daemon, &st, WNOHANG), 0);
	kill(daemon, SIGTERM);
	assert_int_equal(waitpid(daemon, &st, 0), daemon);
	assert_true(WIFEXITED(st));
	reap_orphans();
}

static char *read_log(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_exit_unready_is_reported_with_its_log(void **state)
{
	(void)state;
	char log[300];
	snprintf(log, sizeof(log), "%s/sh.log", d.dir);
	const char *argv[] = {"/bin/sh", "-c", "echo out; echo \"err $1\" >&2; exit 3", "sh", NULL};
	struct spawn_opts o = {.argv = argv, .ready_flag = "--ready-fd", .log_path = log, .log_stdout = true};
	struct spawn sp;
	int code = 0;
	assert_int_equal(spawn_start(&sp, &o), 0);
	assert_int_equal(spawn_await_ready(&sp, 10000, &code), -1);
	assert_int_equal(code, 3);
	assert_string_equal(read_log(log), "out\nerr --ready-fd\n");
	/* appended to, unless asked to truncate */
	assert_int_equal(spawn_start(&sp, &o), 0);
	assert_int_equal(spawn_await_ready(&sp, 10000, &code), -1);
	assert_string_equal(read_log(log), "out\nerr --ready-fd\nout\nerr --ready-fd\n");
	o.log_truncate = true;
	o.log_stdout = false;
	assert_int_equal(spawn_start(&sp, &o), 0);
	assert_int_equal(spawn_await_ready(&sp, 10000, &code), -1);
	assert_string_equal(read_log(log), "err --ready-fd\n");
}

static void test_hung_start_times_out(void **state)
{
	(void)state;
	const char *argv[] = {"/bin/sh", "-c", "exec sleep 30", "sh", NULL};
	struct spawn_opts o = {.argv = argv, .ready_flag = "--ready-fd"};
	struct spawn sp;
	int code = 0;
	uint64_t t0 = spawn_now_ms();
	assert_int_equal(spawn_start(&sp, &o), 0);
	assert_int_equal(spawn_await_ready(&sp, 300, &code), -ETIMEDOUT);
	uint64_t took = spawn_now_ms() - t0;
	assert_true(took >= 300 && took < 10000);
	assert_int_equal(code, 128 + SIGKILL);
	assert_int_equal(sp.pid, -1);
}

static void test_ready_byte(void **state)
{
	(void)state;
	/* the descriptor is the argument after the flag; nothing else leaks */
	const char *argv[] = {"/bin/sh", "-c", "[ \"$1\" = --ready-fd ] && echo R >&$2 && exec sleep 30",
			      "sh", NULL};
	struct spawn_opts o = {.argv = argv, .ready_flag = "--ready-fd"};
	struct spawn sp;
	assert_int_equal(spawn_start(&sp, &o), 0);
	assert_int_equal(spawn_await_ready(&sp, 10000, NULL), 0);
	assert_int_equal(sp.ready_fd, -1);
	assert_true(sp.pid > 0);
	assert_int_equal(spawn_kill(&sp), 128 + SIGKILL);
	/* a program that does not exist */
	const char *none[] = {"/nonexistent/shmseqd", NULL};
	o.argv = none;
	int code = 0;
	assert_int_equal(spawn_start(&sp, &o), 0);
	assert_int_equal(spawn_await_ready(&sp, 10000, &code), -1);
	assert_int_equal(code, 127);
}

static int setup(void **state)
{
	(void)state;
	daemon_setup(&d, "spawn");
	/* orphans (the daemon whose parent was killed) come to us */
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static int teardown(void **state)
{
	(void)state;
	daemon_teardown(&d);
	reap_orphans();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_dies_with_its_parent),
		cmocka_unit_test(test_without_pdeathsig_the_daemon_stays),
		cmocka_unit_test(test_exit_unready_is_reported_with_its_log),
		cmocka_unit_test(test_hung_start_times_out),
		cmocka_unit_test(test_ready_byte),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
