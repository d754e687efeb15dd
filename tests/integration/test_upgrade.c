/* SPDX-License-Identifier: MIT */
/* test_upgrade.c — a data directory of data format version 2, written by
 * the shmseqd of that format (fixtures/format2, made by make.sh there:
 * killed with SIGKILL while its log held records after a snapshot), opened
 * by this daemon. It reads the old format itself and converts it before
 * serving (a snapshot of the current format, durable): no dump and
 * restore. Every definition is intact, every sequence continues beyond
 * every value the old daemon handed out, a dropped sequence stays dropped,
 * and the converted directory serves after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"
#include "util.h"
#include "wire.h"

static struct daemon d;

struct expect {
	char name[SHMSEQ_NAME_MAX + 1];
	char last[32];	  /* the furthest value the old daemon handed out */
	char create[512]; /* its SHOW CREATE SEQUENCE */
	char after[32];	  /* this daemon's first value */
};

static const char *fixture(const char *file)
{
	static char p[1024];
	const char *dir = getenv("SHMSEQ_FIXTURES");
	assert_non_null(dir);
	snprintf(p, sizeof(p), "%s/format2/%s", dir, file);
	return p;
}

static void copy(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, 0600), 0);
}

static size_t load_expected(struct expect *e, size_t max)
{
	FILE *f = fopen(fixture("expected.tsv"), "r");
	assert_non_null(f);
	char line[1024];
	size_t n = 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *a = strtok(line, "\t"), *b = strtok(NULL, "\t"), *c = strtok(NULL, "\t");
		assert_non_null(c);
		snprintf(e[n].name, sizeof(e[n].name), "%s", a);
		snprintf(e[n].last, sizeof(e[n].last), "%s", b);
		snprintf(e[n].create, sizeof(e[n].create), "%s", c);
		n++;
	}
	fclose(f);
	return n;
}

/* One statement's first value (or "error N"). */
static void query1(shmseq *c, const char *sql, int col, char *out, size_t len)
{
	shmseq_result *res;
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	if (shmseq_result_error(res))
		snprintf(out, len, "error %d", shmseq_result_error(res));
	else
		snprintf(out, len, "%s", shmseq_result_value(res, 0, (size_t)col));
	shmseq_result_free(res);
}

/* Whether b comes after a in the sequence's direction (descending: dsc). */
static bool after(const char *name, const char *a, const char *b)
{
	if (strcmp(name, "uns") == 0)
		return strtoull(b, NULL, 10) > strtoull(a, NULL, 10);
	if (strcmp(name, "dsc") == 0)
		return strtoll(b, NULL, 10) < strtoll(a, NULL, 10);
	return strtoll(b, NULL, 10) > strtoll(a, NULL, 10);
}

static uint32_t file_version(const char *file)
{
	char p[512];
	unsigned char h[64];
	snprintf(p, sizeof(p), "%s/data/%s", d.dir, file);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
	fclose(f);
	uint32_t v;
	memcpy(&v, h + 8, sizeof(v));
	return v;
}

static void test_format2_converted(void **state)
{
	(void)state;
	char data[512], sql[16384], got[1024];
	snprintf(data, sizeof(data), "%s/data", d.dir);
	assert_int_equal(mkdir(data, 0700), 0);
	snprintf(sql, sizeof(sql), "%s/snapshot", data);
	copy(fixture("data/snapshot"), sql);
	snprintf(sql, sizeof(sql), "%s/log", data);
	copy(fixture("data/log"), sql);
	assert_int_equal(file_version("snapshot"), 2);
	assert_int_equal(file_version("log"), 2);

	assert_int_equal(daemon_start(&d, NULL), 0);
	/* converted before it answered: both files are of the current format */
	assert_int_equal(file_version("snapshot"), 3);
	assert_int_equal(file_version("log"), 3);

	struct expect e[16];
	size_t n = load_expected(e, 16);
	assert_int_equal(n, 7);
	shmseq *c;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SHOW CREATE SEQUENCE `%s`", e[i].name);
		query1(c, sql, 1, got, sizeof(got));
		assert_string_equal(got, e[i].create);
		snprintf(sql, sizeof(sql), "SELECT NEXTVAL(`%s`)", e[i].name);
		query1(c, sql, 0, e[i].after, sizeof(e[i].after));
		printf("# %s: the old daemon handed out up to %s, this one goes on with %s\n", e[i].name,
		       e[i].last, e[i].after);
		assert_true(after(e[i].name, e[i].last, e[i].after));
	}
	int64_t v;
	assert_int_equal(shmseq_nextval(c, "gone", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	/* a name of the new length beside the converted ones */
	char wide[SHMSEQ_NAME_MAX + 1] = "";
	for (int i = 0; i < 64; i++)
		strcat(wide, "\xe2\x82\xac");
	assert_int_equal(shmseq_create(c, wide, NULL, 0), 0);
	assert_int_equal(shmseq_nextval(c, wide, &v), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT NEXTVAL(`%s`)", e[i].name);
		query1(c, sql, 0, e[i].last, sizeof(e[i].last));
	}
	shmseq_disconnect(c);

	/* a crash and a restart read the converted directory */
	daemon_kill(&d);
	assert_int_equal(daemon_start(&d, "--no-adopt"), 0);
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT NEXTVAL(`%s`)", e[i].name);
		query1(c, sql, 0, got, sizeof(got));
		assert_true(after(e[i].name, e[i].last, got));
		snprintf(sql, sizeof(sql), "SHOW CREATE SEQUENCE `%s`", e[i].name);
		query1(c, sql, 1, got, sizeof(got));
		assert_string_equal(got, e[i].create);
	}
	int64_t w;
	assert_int_equal(shmseq_nextval(c, wide, &w), 0);
	assert_true(w > v);
	shmseq_disconnect(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* A client library of an older release (protocol version 1) is answered
 * with -EPROTO, which it reports as another protocol, not hung up on. */
static void test_older_client_told(void **state)
{
	(void)state;
	assert_int_equal(daemon_start(&d, NULL), 0);
	char path[4096];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_int_equal(util_socket_path(d.instance, path, sizeof(path)), 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct {
		struct wire_hdr h;
		struct {
			uint32_t version, pid;
		} b;
	} hello;
	wire_hdr_init(&hello.h, WIRE_HELLO, sizeof(hello.b), 7, 0);
	hello.h.version = 1;
	hello.b.version = 1;
	hello.b.pid = (uint32_t)getpid();
	assert_true(util_send(fd, &hello, sizeof(hello), -1, 0) >= 0);
	char buf[WIRE_MSG_MAX];
	int mfd = -1;
	ssize_t n = util_recv(fd, buf, sizeof(buf), &mfd, 0);
	assert_int_equal(n, sizeof(struct wire_hdr));
	assert_int_equal(mfd, -1);
	struct wire_hdr r;
	memcpy(&r, buf, sizeof(r));
	assert_int_equal(r.op, WIRE_HELLO);
	assert_int_equal(r.req_id, 7);
	assert_int_equal(r.status, -EPROTO);
	close(fd);
	assert_int_equal(daemon_stop(&d), 0);
}

static int setup(void **state)
{
	(void)state;
	daemon_setup(&d, "upgrade");
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
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format2_converted),
		cmocka_unit_test(test_older_client_told),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
