/* SPDX-License-Identifier: MIT
 * test_find.c — clients find a system instance: with neither
 * $SHMSEQ_RUNTIME_DIR nor a daemon in $XDG_RUNTIME_DIR/shmseq or
 * /tmp/shmseq-<uid>, shmseq_connect() and the CLI search the system
 * service's directory ($SHMSEQ_SYSTEM_RUNTIME_DIR here, /run/shmseq by
 * default). When nothing answers, the explanation names every socket path
 * tried and, while the instance's daemon runs elsewhere (its lock held),
 * says so and where its socket listens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"

static struct daemon d;
static char sys_dir[300], xdg_dir[300], empty_dir[300], tmp_sock[300];

/* The CLI's `status` with stderr: its output (to free) and exit status. */
static char *cli_status(int *status)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "'%s' --instance %s status 2>&1", getenv("SHMSEQ_CLI"), d.instance);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	size_t len = 0, n;
	while (len < 65535 && (n = fread(buf + len, 1, 65535 - len, p)) > 0)
		len += n;
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return buf;
}

/* As a user's session sees it: no $SHMSEQ_RUNTIME_DIR, an empty
 * $XDG_RUNTIME_DIR/shmseq, the system directory sys. */
static void as_session(const char *sys)
{
	unsetenv("SHMSEQ_RUNTIME_DIR");
	setenv("XDG_RUNTIME_DIR", xdg_dir, 1);
	setenv("SHMSEQ_SYSTEM_RUNTIME_DIR", sys, 1);
}

static void test_system_instance_found(void **state)
{
	(void)state;
	as_session(sys_dir);
	shmseq *c = NULL;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	assert_int_equal(shmseq_create(c, "found", NULL, 0), 0);
	int64_t v = 0;
	assert_int_equal(shmseq_nextval(c, "found", &v), 0);
	assert_int_equal(v, 1);
	shmseq_disconnect(c);

	int code;
	char *out = cli_status(&code);
	printf("# shmseq status through the system directory exits %d:\n%s", code, out);
	assert_int_equal(code, 0);
	free(out);
}

/* The instance runs, but not where the search looks. */
static void test_error_names_paths_and_running_daemon(void **state)
{
	(void)state;
	as_session(empty_dir);
	shmseq *c = NULL;
	int rc = shmseq_connect(d.instance, &c);
	assert_int_equal(rc, -ECONNREFUSED);
	char why[8192], sock[400];
	size_t n = shmseq_connect_explain(d.instance, rc, why, sizeof(why));
	printf("# %s\n", why);
	assert_true(n > 0 && n < sizeof(why));
	snprintf(sock, sizeof(sock), "%s/shmseq/%s.sock", xdg_dir, d.instance);
	assert_non_null(strstr(why, sock));
	assert_non_null(strstr(why, tmp_sock));
	snprintf(sock, sizeof(sock), "%s/%s.sock", empty_dir, d.instance);
	assert_non_null(strstr(why, sock));
	/* the lock is held: it says by whom and where the socket is */
	assert_non_null(strstr(why, "lock"));
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %d", (int)d.pid);
	assert_non_null(strstr(why, pid));
	snprintf(sock, sizeof(sock), "%s/%s.sock", sys_dir, d.instance);
	assert_non_null(strstr(why, sock));

	int code;
	char *out = cli_status(&code);
	printf("# shmseq status exits %d: %s", code, out);
	assert_int_equal(code, 1);
	assert_non_null(strstr(out, tmp_sock));
	assert_non_null(strstr(out, sock));
	free(out);
}

/* A system directory in a directory others may write is not trusted (anyone
 * may have made it): its daemon is not used. */
static void test_system_dir_in_writable_parent_refused(void **state)
{
	(void)state;
	as_session(sys_dir);
	assert_int_equal(chmod(d.dir, 0777), 0);
	shmseq *c = NULL;
	int rc = shmseq_connect(d.instance, &c);
	char why[8192];
	shmseq_connect_explain(d.instance, rc, why, sizeof(why));
	assert_int_equal(chmod(d.dir, 0700), 0);
	printf("# parent mode 0777: %d: %s\n", rc, why);
	assert_int_equal(rc, -EPERM);
	assert_non_null(strstr(why, "not trusted"));
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	shmseq_disconnect(c);
}

/* Stopped: no lock held, nothing said about one. */
static void test_stopped_no_lock_story(void **state)
{
	(void)state;
	setenv("SHMSEQ_RUNTIME_DIR", sys_dir, 1);
	assert_int_equal(daemon_stop(&d), 0);
	as_session(sys_dir);
	shmseq *c = NULL;
	int rc = shmseq_connect(d.instance, &c);
	assert_int_equal(rc, -ECONNREFUSED);
	char why[8192];
	shmseq_connect_explain(d.instance, rc, why, sizeof(why));
	printf("# stopped: %s\n", why);
	assert_null(strstr(why, "lock"));
	assert_non_null(strstr(why, tmp_sock));
}

static int setup(void **state)
{
	(void)state;
	daemon_setup(&d, "find");
	snprintf(sys_dir, sizeof(sys_dir), "%s/sys", d.dir);
	snprintf(xdg_dir, sizeof(xdg_dir), "%s/xdg", d.dir);
	snprintf(empty_dir, sizeof(empty_dir), "%s/empty", d.dir);
	snprintf(tmp_sock, sizeof(tmp_sock), "/tmp/shmseq-%u/%s.sock", (unsigned)getuid(), d.instance);
	if (mkdir(sys_dir, 0755) < 0 || mkdir(xdg_dir, 0700) < 0 || mkdir(empty_dir, 0755) < 0)
		return -1;
	/* the daemon as the system service runs it: its sockets in sys */
	setenv("SHMSEQ_RUNTIME_DIR", sys_dir, 1);
	return daemon_start(&d, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	setenv("SHMSEQ_RUNTIME_DIR", sys_dir, 1);
	daemon_teardown(&d);
	return 0;
}

int main(void)
{
	if (!getenv("SHMSEQ_CLI")) {
		fprintf(stderr, "SHMSEQ_CLI is not set: skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_instance_found),
		cmocka_unit_test(test_error_names_paths_and_running_daemon),
		cmocka_unit_test(test_system_dir_in_writable_parent_refused),
		cmocka_unit_test(test_stopped_no_lock_story),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
