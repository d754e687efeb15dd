/* SPDX-License-Identifier: MIT
 * test_service.c — what the systemd unit relies on, without systemd:
 * shmseqd sends READY=1 (and MAINPID) to $NOTIFY_SOCKET, a path or an
 * abstract name, once its socket accepts (Type=notify); `shmseq shutdown`
 * stops the daemon cleanly and waits until it is gone, and says why when it
 * cannot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"

static struct daemon d;

static char *run_cli(const char *args, int *status)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' --instance %s %s 2>&1", getenv("SHMSEQ_CLI"), d.instance, args);
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

/* Bind a datagram socket at name (a path, or '@' and an abstract name) and
 * point NOTIFY_SOCKET at it. */
static int notify_listen(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	assert_true(len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] != '@'));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, salen), 0);
	setenv("NOTIFY_SOCKET", name, 1);
	return fd;
}

/* Start the daemon with NOTIFY_SOCKET at name: READY=1 and its MAINPID come,
 * and by then a client gets in. */
static void start_and_expect_ready(const char *name)
{
	int fd = notify_listen(name);
	assert_int_equal(daemon_start(&d, NULL), 0);
	unsetenv("NOTIFY_SOCKET");
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, DAEMON_READY_MS), 1);
	char msg[512];
	ssize_t n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	msg[n] = '\0';
	printf("# %s got: %s\n", name, msg);
	assert_non_null(strstr(msg, "READY=1"));
	char mainpid[32];
	snprintf(mainpid, sizeof(mainpid), "MAINPID=%d", (int)d.pid);
	assert_non_null(strstr(msg, mainpid));
	/* one message only: nothing else (the keeper, a child) speaks for it */
	assert_true(recv(fd, msg, sizeof(msg), MSG_DONTWAIT) < 0);
	close(fd);
	shmseq *c = NULL;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	shmseq_disconnect(c);
}

static void test_ready_on_path_socket(void **state)
{
	(void)state;
	char path[300];
	snprintf(path, sizeof(path), "%s/notify", d.dir);
	start_and_expect_ready(path);
	unlink(path);
}

/* A shell whose daemon goes away between two statements: the error names
 * the socket path it tried. */
static void test_daemon_gone_mid_session_names_path(void **state)
{
	(void)state;
	char fifo[300], cmd[1024];
	snprintf(fifo, sizeof(fifo), "%s/fifo", d.dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --instance %s sql -B --force < %s 2>&1", getenv("SHMSEQ_CLI"),
		 d.instance, fifo);
	FILE *out = popen(cmd, "r");
	assert_non_null(out);
	FILE *in = fopen(fifo, "w");
	assert_non_null(in);
	fputs("CREATE OR REPLACE SEQUENCE gone; SELECT NEXTVAL(gone) AS v;\n", in);
	fflush(in);
	char line[4096];
	assert_non_null(fgets(line, sizeof(line), out));
	assert_string_equal(line, "v\n");
	assert_non_null(fgets(line, sizeof(line), out));
	assert_string_equal(line, "1\n");
	assert_int_equal(daemon_stop(&d), 0);
	d.pid = 0;
	fputs("SELECT SETVAL(gone, 100);\n", in);
	fclose(in);
	size_t len = fread(line, 1, sizeof(line) - 1, out);
	line[len] = '\0';
	int st = pclose(out);
	printf("# after the daemon went: exit %d: %s", WEXITSTATUS(st), line);
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_non_null(strstr(line, "ERROR"));
	assert_non_null(strstr(line, getenv("SHMSEQ_RUNTIME_DIR")));
	unlink(fifo);
	/* back for the next tests */
	assert_int_equal(daemon_start(&d, NULL), 0);
}

static void test_shutdown_stops_and_waits(void **state)
{
	(void)state;
	shmseq *c = NULL;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	assert_int_equal(shmseq_create(c, "kept", NULL, 0), 0);
	int64_t v;
	assert_int_equal(shmseq_nextval(c, "kept", &v), 0);
	shmseq_disconnect(c);

	int code;
	char *out = run_cli("shutdown", &code);
	printf("# shmseq shutdown exits %d: %s", code, out);
	assert_int_equal(code, 0);
	assert_non_null(strstr(out, "stopped"));
	free(out);
	/* gone when it returned: exited cleanly (only reaping was left to us) */
	int st;
	assert_int_equal(waitpid(d.pid, &st, WNOHANG), d.pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	d.pid = 0;

	/* nothing to stop: exit 1, naming the paths it tried */
	out = run_cli("shutdown", &code);
	printf("# with no daemon: exits %d: %s", code, out);
	assert_int_equal(code, 1);
	assert_non_null(strstr(out, getenv("SHMSEQ_RUNTIME_DIR")));
	free(out);
	out = run_cli("shutdown --timeout x", &code);
	assert_int_equal(code, 2);
	free(out);
}

/* Started again (with an abstract NOTIFY_SOCKET): the positions were kept. */
static void test_ready_on_abstract_socket_after_restart(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "@shmseq-test-notify-%d", (int)getpid());
	start_and_expect_ready(name);
	shmseq *c = NULL;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	int64_t v;
	assert_int_equal(shmseq_nextval(c, "kept", &v), 0);
	assert_true(v > 1);
	shmseq_disconnect(c);
}

static int setup(void **state)
{
	(void)state;
	daemon_setup(&d, "service");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
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
		cmocka_unit_test(test_ready_on_path_socket),
		cmocka_unit_test(test_daemon_gone_mid_session_names_path),
		cmocka_unit_test(test_shutdown_stops_and_waits),
		cmocka_unit_test(test_ready_on_abstract_socket_after_restart),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
