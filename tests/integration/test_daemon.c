/* SPDX-License-Identifier: MIT */
/* test_daemon.c — the public API against the real daemon, and a daemon that
 * survives hostile clients: garbage, truncated and oversized messages, many
 * sessions, a client scribbling over the region; files and sockets created
 * owner-only; a second daemon on the same instance refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"
#include "util.h"

static struct daemon d;
static shmseq *conn;

static const shmseq_result *exec1(const char *sql, shmseq_result **res)
{
	assert_int_equal(shmseq_exec(conn, sql, res), 0);
	assert_non_null(*res);
	return *res;
}

/* A child of fork() disconnects its copy of the parent's connection without
 * hanging, then connects anew and draws values; the parent's goes on. */
static void test_fork_child_reconnects(void **state)
{
	(void)state;
	int64_t v, w;
	assert_int_equal(shmseq_create(conn, "forked", NULL, 0), 0);
	assert_int_equal(shmseq_nextval(conn, "forked", &v), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(20); /* a hang fails the test instead of blocking it */
		shmseq_disconnect(conn);
		shmseq *c2;
		if (shmseq_connect(d.instance, &c2) != 0 || shmseq_nextval(c2, "forked", &w) != 0 || w <= v)
			_exit(1);
		shmseq_disconnect(c2);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(shmseq_nextval(conn, "forked", &w), 0);
	assert_true(w > v);
	assert_int_equal(shmseq_drop(conn, "forked"), 0);
}

static void test_typed_api(void **state)
{
	(void)state;
	struct shmseq_def def = {.set = SHMSEQ_SET_START | SHMSEQ_SET_MAXVALUE | SHMSEQ_SET_CACHE,
				 .start = 10,
				 .maxvalue = 12,
				 .cache = 2};
	int64_t v;
	assert_int_equal(shmseq_create(conn, "t1", &def, 0), 0);
	assert_int_equal(shmseq_create(conn, "t1", NULL, 0), -SHMSEQ_ERR_TABLE_EXISTS);
	assert_int_equal(shmseq_create(conn, "t1", NULL, SHMSEQ_IF_NOT_EXISTS), 0);
	assert_int_equal(shmseq_create(conn, "t1", NULL, SHMSEQ_IF_NOT_EXISTS | SHMSEQ_OR_REPLACE),
			 -SHMSEQ_ERR_WRONG_USAGE);
	struct shmseq_def bad = {
		.set = SHMSEQ_SET_MINVALUE | SHMSEQ_SET_MAXVALUE, .minvalue = 5, .maxvalue = 5};
	assert_int_equal(shmseq_create(conn, "t2", &bad, 0), -SHMSEQ_ERR_INVALID_DATA);
	assert_int_equal(shmseq_lastval(conn, "t1", &v), -ENODATA);
	for (int64_t want = 10; want <= 12; want++) {
		assert_int_equal(shmseq_nextval(conn, "t1", &v), 0);
		assert_int_equal(v, want);
	}
	assert_int_equal(shmseq_lastval(conn, "t1", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(shmseq_nextval(conn, "t1", &v), -SHMSEQ_ERR_RUN_OUT);
	assert_int_equal(shmseq_nextval(conn, "t1", &v), -SHMSEQ_ERR_RUN_OUT); /* sticky */
	assert_int_equal(shmseq_lastval(conn, "t1", &v), -ENODATA);	       /* NULL after 4084 */
	struct shmseq_def alt = {.set = SHMSEQ_SET_MAXVALUE | SHMSEQ_SET_RESTART_START, .maxvalue = 100};
	assert_int_equal(shmseq_alter(conn, "t1", &alt), 0);
	assert_int_equal(shmseq_nextval(conn, "t1", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(shmseq_setval(conn, "t1", 50, true, 0), 0);
	assert_int_equal(shmseq_setval(conn, "t1", 20, true, 0), -ENODATA);	       /* backwards: NULL */
	assert_int_equal(shmseq_setval(conn, "t1", 60, true, 1), -SHMSEQ_ERR_RUN_OUT); /* NOCYCLE round */
	assert_int_equal(shmseq_nextval(conn, "t1", &v), 0);
	assert_int_equal(v, 51);
	assert_int_equal(shmseq_drop(conn, "t1"), 0);
	assert_int_equal(shmseq_drop(conn, "t1"), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	assert_int_equal(shmseq_nextval(conn, "t1", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	assert_int_equal(shmseq_nextval(conn, "", &v), -EINVAL);
	assert_string_equal(shmseq_strerror(-SHMSEQ_ERR_RUN_OUT), "Sequence has run out");
}

/* The structs callers allocate keep a reserved tail for later fields: a
 * definition with a nonzero reserved word, an unknown `set` bit or an
 * unknown flag is refused (and changes nothing); shmseq_status() zeroes its
 * tail. */
static void test_reserved_tails(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(sizeof(struct shmseq_def), 128);
	assert_int_equal(sizeof(struct shmseq_status), 768);
	for (size_t i = 0; i < ARRAY_SIZE(((struct shmseq_def *)0)->reserved); i++) {
		struct shmseq_def def = {.set = SHMSEQ_SET_START, .start = 5};
		def.reserved[i] = 1;
		assert_int_equal(shmseq_create(conn, "rsv", &def, 0), -EINVAL);
		assert_int_equal(shmseq_create(conn, "rsv", &def, SHMSEQ_TEMPORARY), -EINVAL);
		assert_int_equal(shmseq_nextval(conn, "rsv", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	}
	struct shmseq_def unknown_bit = {.set = SHMSEQ_SET_START | (1u << 20), .start = 5};
	assert_int_equal(shmseq_create(conn, "rsv", &unknown_bit, 0), -EINVAL);
	assert_int_equal(shmseq_create(conn, "rsv", NULL, 1u << 9), -EINVAL);
	assert_int_equal(shmseq_nextval(conn, "rsv", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);

	struct shmseq_def def = {.set = SHMSEQ_SET_START, .start = 5};
	assert_int_equal(shmseq_create(conn, "rsv", &def, 0), 0);
	struct shmseq_def alt = {.set = SHMSEQ_SET_RESTART, .restart = 50};
	alt.reserved[6] = 0x100;
	assert_int_equal(shmseq_alter(conn, "rsv", &alt), -EINVAL);
	alt.reserved[6] = 0;
	alt.set |= 1u << 31;
	assert_int_equal(shmseq_alter(conn, "rsv", &alt), -EINVAL);
	assert_int_equal(shmseq_nextval(conn, "rsv", &v), 0);
	assert_int_equal(v, 5); /* neither ALTER restarted it */
	assert_int_equal(shmseq_drop(conn, "rsv"), 0);

	struct shmseq_status st;
	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(shmseq_status(conn, &st), 0);
	assert_true(st.daemon_pid > 0);
	for (size_t i = 0; i < ARRAY_SIZE(st.reserved); i++)
		assert_int_equal(st.reserved[i], 0);
}

static void test_handle_follows_name(void **state)
{
	(void)state;
	shmseq_seq *h;
	int64_t v;
	assert_int_equal(shmseq_create(conn, "h1", NULL, 0), 0);
	assert_int_equal(shmseq_seq_open(conn, "h1", &h), 0);
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, 1);
	struct shmseq_def def = {.set = SHMSEQ_SET_START, .start = 100};
	assert_int_equal(shmseq_create(conn, "h1", &def, SHMSEQ_OR_REPLACE), 0);
	/* a re-created sequence is a new identity: LASTVAL is NULL */
	assert_int_equal(shmseq_lastval(conn, "h1", &v), -ENODATA);
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(shmseq_drop(conn, "h1"), 0);
	assert_int_equal(shmseq_seq_nextval(h, &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	shmseq_seq_close(h);
}

static void test_exec_messages(void **state)
{
	(void)state;
	shmseq_result *res;
	char want[200];
	exec1("CREATE SEQUENCE r1 MAXVALUE 2; SELECT NEXTVAL(r1), NEXTVAL(r1)", &res);
	assert_int_equal(shmseq_result_error(shmseq_result_next(res)), 0);
	shmseq_result_free(res);
	const shmseq_result *r = exec1("SELECT NEXTVAL(r1)", &res);
	assert_int_equal(shmseq_result_error(r), -4084);
	assert_string_equal(shmseq_result_sqlstate(r), "HY000");
	snprintf(want, sizeof(want), "Sequence '%s.r1' has run out", d.instance);
	assert_string_equal(shmseq_result_message(r), want);
	shmseq_result_free(res);
	r = exec1("CREATE SEQUENCE IF NOT EXISTS r1", &res);
	assert_int_equal(shmseq_result_error(r), 0);
	assert_int_equal(shmseq_result_warnings(r), 1);
	int code;
	const char *level;
	assert_string_equal(shmseq_result_warning(r, 0, &level, &code), "Table 'r1' already exists");
	assert_int_equal(code, 1050);
	assert_string_equal(level, "Note");
	shmseq_result_free(res);
	r = exec1("SELEC 1", &res);
	assert_int_equal(shmseq_result_error(r), -1064);
	assert_non_null(strstr(shmseq_result_message(r), "near 'SELEC 1' at line 1"));
	shmseq_result_free(res);
	/* several statements: the chain stops at the first failure */
	r = exec1("SELECT 1; SELECT NEXTVAL(nosuch); SELECT 2", &res);
	assert_int_equal(shmseq_result_error(r), 0);
	r = shmseq_result_next(r);
	assert_int_equal(shmseq_result_error(r), -4091);
	assert_null(shmseq_result_next(r));
	shmseq_result_free(res);
	r = exec1("DROP SEQUENCE r1", &res);
	assert_int_equal(shmseq_result_error(r), 0);
	shmseq_result_free(res);
}

/* One statement's only result, which must have succeeded. */
static const shmseq_result *exec_ok(const char *sql, shmseq_result **res)
{
	const shmseq_result *r = exec1(sql, res);
	if (shmseq_result_error(r))
		fail_msg("%s: %s", sql, shmseq_result_message(r));
	return r;
}

/* The rows of a one-column result, comma separated. */
static const char *column0(const shmseq_result *r, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < shmseq_result_rows(r); i++) {
		const char *v = shmseq_result_value(r, i, 0);
		k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? "," : "", v ? v : "NULL");
	}
	return buf;
}

/* information_schema.SEQUENCES (11.5+: no MariaDB 10.11 answer to record):
 * ORDER BY its columns (names case-insensitively, numbers as numbers),
 * LIMIT, COUNT(*). */
static void test_exec_information_schema(void **state)
{
	(void)state;
	shmseq_result *res;
	char buf[256];
	exec_ok("CREATE SEQUENCE is_b START WITH 100; CREATE SEQUENCE is_a START WITH 9;"
		"CREATE SEQUENCE IS_c START WITH -5 INCREMENT BY -1 CYCLE",
		&res);
	shmseq_result_free(res);
	const shmseq_result *r = exec_ok("SELECT SEQUENCE_NAME FROM information_schema.SEQUENCES "
					 "WHERE sequence_name LIKE 'is\\_%' ORDER BY SEQUENCE_NAME",
					 &res);
	assert_string_equal(column0(r, buf, sizeof(buf)), "is_a,is_b,IS_c");
	shmseq_result_free(res);
	r = exec_ok("SELECT sequence_name AS n FROM information_schema.SEQUENCES s WHERE s.sequence_name "
		    "LIKE 'is%' ORDER BY START_VALUE DESC LIMIT 2",
		    &res);
	assert_string_equal(shmseq_result_column_name(r, 0), "n");
	assert_string_equal(column0(r, buf, sizeof(buf)), "is_b,is_a");
	shmseq_result_free(res);
	r = exec1("SELECT SEQUENCE_NAME, CYCLE_OPTION FROM information_schema.SEQUENCES WHERE "
		  "SEQUENCE_NAME LIKE 'is%' ORDER BY 2 DESC, n LIMIT 1 OFFSET 1",
		  &res);
	assert_int_equal(shmseq_result_error(r), -1054); /* n is no column here */
	shmseq_result_free(res);
	r = exec_ok(
		"SELECT SEQUENCE_NAME AS n FROM information_schema.SEQUENCES WHERE SEQUENCE_NAME LIKE 'is%' "
		"ORDER BY CYCLE_OPTION DESC, n DESC LIMIT 1, 1",
		&res);
	assert_string_equal(column0(r, buf, sizeof(buf)), "is_b");
	shmseq_result_free(res);
	r = exec_ok("SELECT COUNT(*), COUNT(*) * 2 FROM information_schema.SEQUENCES WHERE "
		    "SEQUENCE_NAME LIKE 'is%' AND INCREMENT > 0",
		    &res);
	assert_string_equal(shmseq_result_value(r, 0, 0), "2");
	assert_string_equal(shmseq_result_value(r, 0, 1), "4");
	shmseq_result_free(res);
	r = exec_ok("SELECT * FROM information_schema.SEQUENCES WHERE SEQUENCE_NAME = 'is_a' LIMIT 0", &res);
	assert_int_equal(shmseq_result_columns(r), 12);
	assert_int_equal(shmseq_result_rows(r), 0);
	shmseq_result_free(res);
	r = exec1("SELECT * FROM information_schema.SEQUENCES ORDER BY nosuch", &res);
	assert_int_equal(shmseq_result_error(r), -1054);
	assert_string_equal(shmseq_result_message(r), "Unknown column 'nosuch' in 'ORDER BY'");
	shmseq_result_free(res);
	exec_ok("DROP SEQUENCE is_a, is_b, IS_c", &res);
	shmseq_result_free(res);
}

/* Names: 64 characters, as MariaDB, whatever their bytes (up to utf8mb3's
 * 3 each); a longer name is refused at CREATE as MariaDB refuses it. */
static void test_exec_name_limits(void **state)
{
	(void)state;
	shmseq_result *res;
	char sql[1024], name[SHMSEQ_NAME_MAX + 8] = "";
	for (int i = 0; i < 64; i++)
		strcat(name, "\xc3\xa9"); /* 64 characters, 128 bytes */
	snprintf(sql, sizeof(sql), "CREATE SEQUENCE `%s`; SELECT NEXTVAL(`%s`); DROP SEQUENCE `%s`", name,
		 name, name);
	const shmseq_result *r = exec1(sql, &res);
	for (; r; r = shmseq_result_next(r))
		assert_int_equal(shmseq_result_error(r), 0);
	shmseq_result_free(res);
	strcat(name, "\xc3\xa9"); /* 65 characters, 130 bytes */
	snprintf(sql, sizeof(sql), "CREATE SEQUENCE `%s`", name);
	r = exec1(sql, &res);
	printf("# 65 characters: %d %s\n", shmseq_result_error(r), shmseq_result_message(r));
	assert_int_equal(shmseq_result_error(r), -1103);
	shmseq_result_free(res);
	snprintf(sql, sizeof(sql), "CREATE TEMPORARY SEQUENCE `%s`", name);
	r = exec1(sql, &res);
	assert_int_equal(shmseq_result_error(r), -1103);
	shmseq_result_free(res);
}

/* User variables and SHOW WARNINGS belong to the connection. */
static void test_exec_session_state(void **state)
{
	(void)state;
	shmseq *other;
	shmseq_result *res;
	exec_ok("CREATE SEQUENCE sv MAXVALUE 2 NOCACHE; SET @v = NEXTVAL(sv), @s = 'text'", &res);
	shmseq_result_free(res);
	assert_int_equal(shmseq_connect(NULL, &other), 0);
	assert_int_equal(shmseq_exec(other, "SELECT @v, @s", &res), 0);
	assert_null(shmseq_result_value(res, 0, 0));
	assert_null(shmseq_result_value(res, 0, 1));
	shmseq_result_free(res);
	assert_int_equal(shmseq_exec(other, "DO NEXTVAL(sv), NEXTVAL(sv)", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	assert_int_equal(shmseq_result_warnings(res), 1);
	shmseq_result_free(res);
	const shmseq_result *r = exec_ok("SELECT @v, @s; SHOW WARNINGS", &res);
	assert_string_equal(shmseq_result_value(r, 0, 0), "1");
	assert_string_equal(shmseq_result_value(r, 0, 1), "text");
	assert_int_equal(shmseq_result_rows(shmseq_result_next(r)), 0); /* not the other's */
	shmseq_result_free(res);
	assert_int_equal(shmseq_exec(other, "SHOW WARNINGS", &res), 0);
	assert_int_equal(shmseq_result_rows(res), 1);
	assert_string_equal(shmseq_result_value(res, 0, 0), "Error");
	assert_string_equal(shmseq_result_value(res, 0, 1), "4084");
	shmseq_result_free(res);
	shmseq_disconnect(other);
	exec_ok("DROP SEQUENCE sv", &res);
	shmseq_result_free(res);
}

struct exec_thread_arg {
	int errors;
};

static void *exec_thread(void *p)
{
	struct exec_thread_arg *a = p;
	for (int i = 0; i < 300; i++) {
		shmseq_result *res;
		if (shmseq_exec(conn, "SET @t = NEXTVAL(st) + 0, @u = @t * 2; SELECT @t, @u, 7/2", &res) !=
		    0) {
			a->errors++;
			continue;
		}
		const shmseq_result *r = shmseq_result_next(res);
		if (!r || shmseq_result_error(res) || shmseq_result_error(r) || shmseq_result_rows(r) != 1)
			a->errors++;
		shmseq_result_free(res);
	}
	return NULL;
}

/* Threads running statements on one connection share its session safely. */
static void test_exec_threads(void **state)
{
	(void)state;
	shmseq_result *res;
	exec_ok("CREATE SEQUENCE st", &res);
	shmseq_result_free(res);
	pthread_t t[3];
	struct exec_thread_arg a[3] = {{0}};
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, exec_thread, &a[i]), 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].errors, 0);
	}
	exec_ok("DROP SEQUENCE st", &res);
	shmseq_result_free(res);
}

static void test_temporary_dies_with_session(void **state)
{
	(void)state;
	shmseq *other;
	shmseq_result *res;
	int64_t v;
	assert_int_equal(shmseq_connect(NULL, &other), 0);
	assert_int_equal(shmseq_exec(other, "CREATE TEMPORARY SEQUENCE tmp1 START WITH 7", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
	assert_int_equal(shmseq_nextval(other, "tmp1", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(shmseq_nextval(conn, "tmp1", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	shmseq_disconnect(other);
	assert_int_equal(shmseq_connect(NULL, &other), 0);
	assert_int_equal(shmseq_nextval(other, "tmp1", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	shmseq_disconnect(other);
}

/* shmseq_create(…, SHMSEQ_TEMPORARY) is CREATE TEMPORARY SEQUENCE: the
 * connection's own (SQL on it sees the same sequence), invisible to another
 * connection, hiding a base sequence of its name, gone at disconnect. */
static void test_typed_temporary(void **state)
{
	(void)state;
	shmseq *other, *again;
	shmseq_result *res;
	int64_t v;
	struct shmseq_def base = {.set = SHMSEQ_SET_START, .start = 100};
	struct shmseq_def def = {.set = SHMSEQ_SET_START | SHMSEQ_SET_INCREMENT, .start = 7, .increment = 2};
	assert_int_equal(shmseq_connect(NULL, &other), 0);
	assert_int_equal(shmseq_create(conn, "ttmp", &base, 0), 0);
	assert_int_equal(shmseq_create(other, "ttmp", &def, SHMSEQ_TEMPORARY), 0);
	assert_int_equal(shmseq_create(other, "ttmp_only", NULL, SHMSEQ_TEMPORARY), 0);

	/* on `other` the temporary one hides the base one; SQL sees it too */
	assert_int_equal(shmseq_nextval(other, "ttmp", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(shmseq_exec(other, "SELECT NEXTVAL(ttmp)", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	assert_string_equal(shmseq_result_value(res, 0, 0), "9");
	shmseq_result_free(res);
	assert_int_equal(shmseq_lastval(other, "ttmp", &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(shmseq_exec(other, "SHOW CREATE TABLE ttmp", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	assert_non_null(strstr(shmseq_result_value(res, 0, 1), "CREATE TEMPORARY TABLE"));
	shmseq_result_free(res);

	/* another connection sees the base sequence, and no temporary one */
	assert_int_equal(shmseq_nextval(conn, "ttmp", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(shmseq_nextval(conn, "ttmp_only", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	assert_int_equal(shmseq_lastval(conn, "ttmp_only", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);

	/* the flags and errors of CREATE, for a temporary name */
	assert_int_equal(shmseq_create(other, "ttmp", NULL, SHMSEQ_TEMPORARY), -SHMSEQ_ERR_TABLE_EXISTS);
	assert_int_equal(shmseq_create(other, "ttmp", NULL, SHMSEQ_TEMPORARY | SHMSEQ_IF_NOT_EXISTS), 0);
	assert_int_equal(shmseq_nextval(other, "ttmp", &v), 0);
	assert_int_equal(v, 11); /* untouched */
	assert_int_equal(shmseq_create(other, "ttmp", NULL,
				       SHMSEQ_TEMPORARY | SHMSEQ_IF_NOT_EXISTS | SHMSEQ_OR_REPLACE),
			 -SHMSEQ_ERR_WRONG_USAGE);
	struct shmseq_def bad = {
		.set = SHMSEQ_SET_MINVALUE | SHMSEQ_SET_MAXVALUE, .minvalue = 5, .maxvalue = 5};
	assert_int_equal(shmseq_create(other, "ttmp", &bad, SHMSEQ_TEMPORARY | SHMSEQ_OR_REPLACE),
			 -SHMSEQ_ERR_INVALID_DATA);
	assert_int_equal(shmseq_nextval(other, "ttmp", &v), 0);
	assert_int_equal(v, 13); /* an invalid replacement leaves it be */
	assert_int_equal(shmseq_create(other, "ttmp", NULL, SHMSEQ_TEMPORARY | SHMSEQ_OR_REPLACE), 0);
	assert_int_equal(shmseq_nextval(other, "ttmp", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(shmseq_create(other, "", NULL, SHMSEQ_TEMPORARY), -EINVAL);
	char longname[SHMSEQ_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(shmseq_create(other, longname, NULL, SHMSEQ_TEMPORARY), -EINVAL);

	/* shmseq_drop() takes the temporary one first, then the base one */
	assert_int_equal(shmseq_drop(other, "ttmp"), 0);
	assert_int_equal(shmseq_nextval(other, "ttmp", &v), 0);
	assert_int_equal(v, 101);
	assert_int_equal(shmseq_drop(other, "ttmp"), 0);
	assert_int_equal(shmseq_nextval(conn, "ttmp", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);

	/* gone with its session: a new connection does not find it */
	assert_int_equal(shmseq_nextval(other, "ttmp_only", &v), 0);
	assert_int_equal(v, 1);
	shmseq_disconnect(other);
	assert_int_equal(shmseq_connect(NULL, &again), 0);
	assert_int_equal(shmseq_nextval(again, "ttmp_only", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	shmseq_disconnect(again);
}

static void test_bigint_unsigned(void **state)
{
	(void)state;
	shmseq_result *res;
	const shmseq_result *r = exec1(
		"CREATE SEQUENCE ub AS bigint unsigned START WITH 18446744073709551612 CACHE 2;"
		"SELECT NEXTVAL(ub), NEXTVAL(ub), LASTVAL(ub)",
		&res);
	r = shmseq_result_next(r);
	assert_int_equal(shmseq_result_error(r), 0);
	assert_string_equal(shmseq_result_value(r, 0, 0), "18446744073709551612");
	assert_string_equal(shmseq_result_value(r, 0, 1), "18446744073709551613");
	assert_string_equal(shmseq_result_value(r, 0, 2), "18446744073709551613");
	shmseq_result_free(res);
	r = exec1("SELECT NEXTVAL(ub)", &res);
	assert_string_equal(shmseq_result_value(r, 0, 0), "18446744073709551614");
	shmseq_result_free(res);
	r = exec1("SELECT NEXTVAL(ub)", &res);
	assert_int_equal(shmseq_result_error(r), -4084);
	shmseq_result_free(res);
	r = exec1("SELECT * FROM ub", &res);
	assert_string_equal(shmseq_result_value(r, 0, 0), "18446744073709551615");
	assert_string_equal(shmseq_result_value(r, 0, 2), "18446744073709551614");
	shmseq_result_free(res);
}

/* shmseq_seq_is_unsigned(): what a C caller needs to print a value of a
 * BIGINT UNSIGNED sequence beyond 2^63 right; it follows the handle's name
 * to a re-created sequence of another type. */
static void test_unsigned_accessor(void **state)
{
	(void)state;
	shmseq_result *res;
	shmseq_seq *h, *t, *s;
	int64_t v;
	const shmseq_result *r = exec1(
		"CREATE SEQUENCE uacc AS bigint unsigned START WITH 9223372036854775806 CACHE 2;"
		"CREATE SEQUENCE utiny AS tinyint unsigned;"
		"CREATE SEQUENCE usigned START WITH -5 MINVALUE -10",
		&res);
	for (; r; r = shmseq_result_next(r))
		assert_int_equal(shmseq_result_error(r), 0);
	shmseq_result_free(res);
	assert_int_equal(shmseq_seq_open(conn, "uacc", &h), 0);
	assert_int_equal(shmseq_seq_open(conn, "utiny", &t), 0);
	assert_int_equal(shmseq_seq_open(conn, "usigned", &s), 0);
	assert_true(shmseq_seq_is_unsigned(h));
	assert_true(shmseq_seq_is_unsigned(t));
	assert_false(shmseq_seq_is_unsigned(s));
	assert_false(shmseq_seq_is_unsigned(NULL));
	const char *want[] = {"9223372036854775806", "9223372036854775807", "9223372036854775808",
			      "9223372036854775809"};
	for (int i = 0; i < 4; i++) {
		char buf[32];
		assert_int_equal(shmseq_seq_nextval(h, &v), 0);
		assert_true(shmseq_seq_is_unsigned(h));
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(uint64_t)v);
		assert_string_equal(buf, want[i]);
	}
	assert_true(v < 0); /* the bit pattern: what the caller must not print as is */
	assert_int_equal(shmseq_seq_nextval(s, &v), 0);
	assert_int_equal(v, -5);
	/* the name re-created with the other signedness: the handle follows */
	r = exec1("CREATE OR REPLACE SEQUENCE uacc START WITH -3 MINVALUE -10", &res);
	assert_int_equal(shmseq_result_error(r), 0);
	shmseq_result_free(res);
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, -3);
	assert_false(shmseq_seq_is_unsigned(h));
	r = exec1("CREATE OR REPLACE SEQUENCE usigned AS int unsigned START WITH 4294967290", &res);
	assert_int_equal(shmseq_result_error(r), 0);
	shmseq_result_free(res);
	assert_int_equal(shmseq_seq_nextval(s, &v), 0);
	assert_int_equal(v, 4294967290);
	assert_true(shmseq_seq_is_unsigned(s));
	shmseq_seq_close(h);
	shmseq_seq_close(t);
	shmseq_seq_close(s);
	r = exec1("DROP SEQUENCE uacc, utiny, usigned", &res);
	assert_int_equal(shmseq_result_error(r), 0);
	shmseq_result_free(res);
}

/* Run the CLI with args (shell words) on this instance; its stdout (and
 * stderr after it when with_err), and the exit status in *code. */
static char *cli(const char *args, bool with_err, int *code)
{
	const char *bin = getenv("SHMSEQ_CLI");
	if (!bin || access(bin, X_OK) != 0)
		skip();
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' %s%s", bin, args, with_err ? " 2>&1" : " 2>/dev/null");
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t cap = 1 << 16, n = 0;
	char *out = calloc(1, cap);
	size_t got;
	while (n < cap - 1 && (got = fread(out + n, 1, cap - 1 - n, f)) > 0)
		n += got;
	int st = pclose(f);
	*code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return out;
}

static void assert_cli(const char *args, int want_code, const char *want)
{
	int code;
	char *out = cli(args, true, &code);
	if (code != want_code || strcmp(out, want) != 0)
		fprintf(stderr, "# shmseq %s exits %d and prints:\n%s# expected %d and:\n%s", args, code, out,
			want_code, want);
	assert_int_equal(code, want_code);
	assert_string_equal(out, want);
	free(out);
}

/* Every verb of the CLI prints a BIGINT UNSIGNED value >= 2^63 as the
 * unsigned number it is, in text and JSON, and takes one as an argument. */
static void test_cli_unsigned_values(void **state)
{
	(void)state;
	assert_cli("create ucli as bigint unsigned start with 9223372036854775806 cache 2", 0,
		   "Query OK, 0 rows affected\n");
	assert_cli("nextval ucli 3", 0, "9223372036854775806\n9223372036854775807\n9223372036854775808\n");
	assert_cli("nextval --format=json ucli 2", 0,
		   "{\"columns\": [\"NEXTVAL(ucli)\"], \"rows\": [[\"9223372036854775809\"], "
		   "[\"9223372036854775810\"]]}\n");
	assert_cli("nextval --format=batch ucli", 0, "9223372036854775811\n");
	assert_cli("setval --format=batch ucli 18446744073709551000", 0,
		   "SETVAL(`ucli`, 18446744073709551000)\n18446744073709551000\n");
	assert_cli("nextval ucli 2", 0, "18446744073709551001\n18446744073709551002\n");
	assert_cli("setval --format=json ucli 18446744073709551600 1", 0,
		   "{\"columns\": [\"SETVAL(`ucli`, 18446744073709551600, 1)\"], \"rows\": "
		   "[[\"18446744073709551600\"]]}\n");
	{
		/* the positions; the counters after them vary with timing */
		int code;
		char *out = cli("stats --format=batch", true, &code);
		assert_int_equal(code, 0);
		assert_non_null(strstr(
			out, "name\tnext_not_cached_value\tcycle_count\tcache\trefills\twaits\treserve\n"
			     "ub\t18446744073709551615\t0\t2\t")); /* test_bigint_unsigned's */
		assert_non_null(strstr(out, "\nucli\t18446744073709551601\t0\t2\t"));
		free(out);
	}
	assert_cli("show --format=json ucli", 0,
		   "{\"columns\": [\"Table\", \"Create Table\"], \"rows\": [[\"ucli\", \"CREATE SEQUENCE "
		   "`ucli` as bigint unsigned start with 9223372036854775806 minvalue 1 maxvalue "
		   "18446744073709551614 increment by 1 cache 2 nocycle ENGINE=InnoDB\"]]}\n"
		   "{\"columns\": [\"next_not_cached_value\", \"minimum_value\", \"maximum_value\", "
		   "\"start_value\", \"increment\", \"cache_size\", \"cycle_option\", \"cycle_count\"], "
		   "\"rows\": [[\"18446744073709551601\", \"1\", \"18446744073709551614\", "
		   "\"9223372036854775806\", \"1\", \"2\", \"0\", \"0\"]]}\n");
	int code;
	char *out = cli("dump", false, &code);
	assert_int_equal(code, 0);
	assert_non_null(strstr(out, "DO SETVAL(`ucli`, 18446744073709551601, 0, 0);\n"));
	free(out);
	/* a signed sequence's negative values stay negative */
	assert_cli("create scli start with -2 minvalue -9223372036854775807", 0,
		   "Query OK, 0 rows affected\n");
	assert_cli("nextval scli 2", 0, "-2\n-1\n");
	assert_cli("drop ucli scli", 0, "Query OK, 0 rows affected\n");
}

/* INCREMENT 0 takes the daemon's auto_increment settings (SEMANTICS §2.5):
 * increment 3, offset 2 -> 2, 5, 8, 11; stored column 13 with NOCACHE. */
static void test_increment_zero_interleaves(void **state)
{
	(void)state;
	struct daemon z = d;
	snprintf(z.instance, sizeof(z.instance), "zero-%d", (int)getpid());
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/z", d.dir);
	strcpy(z.dir, dir);
	assert_int_equal(util_mkdir_p(z.dir, 0700), 0);
	assert_int_equal(daemon_start(&z, "--auto-increment-increment 3 --auto-increment-offset 2"), 0);
	shmseq *zc;
	shmseq_result *res;
	assert_int_equal(shmseq_connect(z.instance, &zc), 0);
	assert_int_equal(shmseq_exec(zc,
				     "CREATE SEQUENCE z INCREMENT 0 CACHE 0;"
				     "SELECT NEXTVAL(z), NEXTVAL(z), NEXTVAL(z), NEXTVAL(z);"
				     "SELECT next_not_cached_value, increment FROM z",
				     &res),
			 0);
	const shmseq_result *r = shmseq_result_next(res);
	assert_int_equal(shmseq_result_error(r), 0);
	const char *want[] = {"2", "5", "8", "11"};
	for (int i = 0; i < 4; i++)
		assert_string_equal(shmseq_result_value(r, 0, (size_t)i), want[i]);
	r = shmseq_result_next(r);
	assert_string_equal(shmseq_result_value(r, 0, 0), "13");
	assert_string_equal(shmseq_result_value(r, 0, 1), "0");
	shmseq_result_free(res);
	/* A CYCLE round whose first aligned value (5) is past MAXVALUE is
	 * empty: MariaDB's second-round run-out, 4084 every time, the row
	 * unwritten (this looped forever, wrapping round after round). */
	assert_int_equal(shmseq_exec(zc, "CREATE SEQUENCE e MINVALUE 3 MAXVALUE 4 INCREMENT 0 CYCLE", &res),
			 0);
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(shmseq_exec(zc, "SELECT NEXTVAL(e)", &res), 0);
		assert_int_equal(shmseq_result_error(res), -4084);
		shmseq_result_free(res);
	}
	assert_int_equal(shmseq_exec(zc, "SELECT next_not_cached_value, cycle_count FROM e", &res), 0);
	assert_string_equal(shmseq_result_value(res, 0, 0), "3");
	assert_string_equal(shmseq_result_value(res, 0, 1), "0");
	shmseq_result_free(res);
	shmseq_disconnect(zc);
	assert_int_equal(daemon_stop(&z), 0);
}

static int raw_socket(void)
{
	char path[4096];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_int_equal(util_socket_path(d.instance, path, sizeof(path)), 0);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void assert_alive_and_intact(void)
{
	struct shmseq_status st;
	int64_t a, b;
	assert_int_equal(shmseq_status(conn, &st), 0);
	assert_false(st.failed);
	assert_int_equal(shmseq_nextval(conn, "keep", &a), 0);
	assert_int_equal(shmseq_nextval(conn, "keep", &b), 0);
	assert_int_equal(b, a + 1);
}

static void test_garbage_on_the_socket(void **state)
{
	(void)state;
	assert_int_equal(shmseq_create(conn, "keep", NULL, 0), 0);
	unsigned seed = 12345;
	char buf[9000];
	for (int i = 0; i < 200; i++) {
		int fd = raw_socket();
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t k = 0; k < n; k++)
			buf[k] = (char)rand_r(&seed);
		if (i % 3 == 0 && n >= 24) {
			/* a plausible header with a lying length or op */
			uint32_t magic = 0x51455353u;
			memcpy(buf, &magic, 4);
			uint16_t ver = 1;
			memcpy(buf + 6, &ver, 2);
		}
		(void)!send(fd, buf, n, MSG_NOSIGNAL);
		close(fd);
	}
	/* oversized and endless */
	int fd = raw_socket();
	char *big = calloc(1, 200000);
	(void)!send(fd, big, 200000, MSG_NOSIGNAL);
	free(big);
	close(fd);
	/* a session that sends requests and never reads the replies */
	fd = raw_socket();
	struct {
		uint32_t magic;
		uint16_t op, version;
		uint32_t len;
		int32_t status;
		uint64_t req_id;
	} h = {0x51455353u, 12 /* STATUS */, 1, 24, 0, 1};
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	for (int i = 0; i < 100000; i++)
		if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) < 0)
			break;
	close(fd);
	assert_alive_and_intact();
}

static void test_many_sessions(void **state)
{
	(void)state;
	enum { N = 1000 };
	/* 1,000 sessions at once need more descriptors than the usual soft
	 * limit, on both sides; the daemon inherits ours */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < N + 64)
		skip();
	if (rl.rlim_cur < N + 64) {
		rl.rlim_cur = N + 64;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	static int fds[N];
	for (int i = 0; i < N; i++)
		fds[i] = raw_socket();
	struct shmseq_status st;
	assert_int_equal(shmseq_status(conn, &st), 0);
	assert_true(st.connections >= N);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	assert_alive_and_intact();
}

static void test_owner_only(void **state)
{
	(void)state;
	char path[4096], shm[256];
	struct stat st;
	assert_int_equal(util_socket_path(d.instance, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the region has no name anyone could open: a sealed memfd, handed out
	 * over the socket (and held by its keeper), owner-only all the same */
	assert_int_equal(util_region_name(d.instance, shm, sizeof(shm)), 0);
	assert_int_equal(shm_open(shm, O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
	int fd = region_fd(d.instance);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	int seals = fcntl(fd, F_GET_SEALS);
	assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	close(fd);
	/* a second daemon on the same instance is refused */
	struct daemon again = d;
	assert_int_equal(daemon_start(&again, NULL), -1);
	assert_alive_and_intact();
}

static void test_region_scribbler(void **state)
{
	(void)state;
	assert_int_equal(shmseq_create(conn, "victim", NULL, 0), 0);
	int fd = region_fd(d.instance);
	assert_true(fd >= 0);
	struct stat st;
	fstat(fd, &st);
	unsigned char *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	/* random bytes over the first slots (the header stays: a scribbler that
	 * kills the header only cuts itself and its peers off) */
	unsigned seed = 99;
	for (size_t i = 128; i < 128 + 4 * 128; i++)
		p[i] = (unsigned char)rand_r(&seed);
	munmap(p, (size_t)st.st_size);
	close(fd);
	/* the daemon survives and keeps its files; DDL still works */
	struct shmseq_status s;
	assert_int_equal(shmseq_status(conn, &s), 0);
	assert_int_equal(shmseq_drop(conn, "victim"), 0);
	assert_int_equal(shmseq_create(conn, "after", NULL, 0), 0);
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(daemon_start(&d, NULL), 0);
	int64_t v;
	assert_int_equal(shmseq_nextval(conn, "after", &v), 0); /* re-attached by itself */
	harness_fd_allow(1); /* the socket it gave up, closed after a grace period */
	assert_true(v >= 1);
}

/* --- descriptors and sessions ------------------------------------------------- */

/* Start a daemon of its own on instance <prefix>-<pid> in <our dir>/<prefix>,
 * with RLIMIT_NOFILE set to nofile (soft and hard: it cannot raise it; 0
 * keeps ours) and extra arguments; its stderr goes to <dir>/<prefix>/err. */
static pid_t own_pids[4]; /* killed by the teardown if a test fails */

static void limit_nofile(void *arg)
{
	rlim_t nofile = *(rlim_t *)arg;
	struct rlimit rl = {nofile, nofile};
	if (nofile && setrlimit(RLIMIT_NOFILE, &rl) < 0)
		_exit(97);
}

static void start_own(struct daemon *z, const char *prefix, rlim_t nofile, const char *const *extra)
{
	char dir[sizeof(d.dir) + 64];
	*z = d;
	snprintf(z->instance, sizeof(z->instance), "%s-%d", prefix, (int)getpid());
	snprintf(dir, sizeof(dir), "%s/%s", d.dir, prefix);
	assert_true(strlen(dir) < sizeof(z->dir));
	memcpy(z->dir, dir, strlen(dir) + 1);
	assert_int_equal(util_mkdir_p(z->dir, 0700), 0);
	char data[300], err[300];
	const char *argv[16] = {getenv("SHMSEQD"), "--instance", z->instance, "--data-dir", data};
	int n = 5;
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	snprintf(data, sizeof(data), "%s/data", z->dir);
	snprintf(err, sizeof(err), "%s/err", z->dir);
	struct spawn_opts o = {.argv = argv,
			       .ready_flag = "--ready-fd",
			       .log_path = err,
			       .log_truncate = true,
			       .child_setup = limit_nofile,
			       .child_arg = &nofile};
	struct spawn sp;
	assert_int_equal(spawn_start(&sp, &o), 0);
	pid_t pid = sp.pid;
	assert_int_equal(daemon_await_ready(z, &sp, NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(own_pids); i++) {
		if (own_pids[i] <= 0 || kill(own_pids[i], 0) < 0) {
			own_pids[i] = pid;
			break;
		}
	}
}

static char *own_said(const struct daemon *z)
{
	static char buf[65536];
	char path[300];
	snprintf(path, sizeof(path), "%s/err", z->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	return buf;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* CPU seconds (user + system) the process used so far. */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = 0;
	unsigned long long ut = 0, st = 0;
	const char *p = strrchr(buf, ')');
	assert_non_null(p);
	/* after the name: state, then fields 4..13, then utime (14), stime (15) */
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st), 2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int open_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dp = opendir(path);
	assert_non_null(dp);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dp)))
		n += e->d_name[0] != '.';
	closedir(dp);
	return n;
}

static void conn_exec_ok(shmseq *c, const char *sql)
{
	shmseq_result *res = NULL;
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
}

/* Connect up to n sessions to z into c[], each answered (a session or an
 * error) within a second: returns how many got a session; the others must
 * have been told "Too many connections". */
static int connect_many(const struct daemon *z, shmseq **c, int n, double *worst_s)
{
	int ok = 0;
	*worst_s = 0;
	for (int i = 0; i < n; i++) {
		uint64_t t0 = util_now_ns();
		c[i] = NULL;
		int r = shmseq_connect(z->instance, &c[i]);
		double s = (double)(util_now_ns() - t0) / 1e9;
		if (s > *worst_s)
			*worst_s = s;
		if (r != 0 && r != -SHMSEQ_ERR_CON_COUNT)
			fprintf(stderr, "# session %d: %d (%s) after %.3f s\n", i, r, shmseq_strerror(r), s);
		assert_true(r == 0 || r == -SHMSEQ_ERR_CON_COUNT);
		assert_true(s < 1.0);
		ok += r == 0;
	}
	return ok;
}

/* A session once the daemon has noticed that others ended (it reaps them
 * at its next wake-up): 0 within 5 s, else the last error. */
static int connect_when_room(const struct daemon *z, shmseq **x)
{
	int r = -SHMSEQ_ERR_CON_COUNT;
	for (int i = 0; i < 500 && r == -SHMSEQ_ERR_CON_COUNT; i++) {
		struct timespec ms10 = {.tv_nsec = 10 * 1000 * 1000};
		if (i)
			nanosleep(&ms10, NULL);
		r = shmseq_connect(z->instance, x);
	}
	return r;
}

static void disconnect_all(shmseq **c, int n)
{
	for (int i = 0; i < n; i++)
		shmseq_disconnect(c[i]);
}

/* A client beyond --max-connections is told so (MariaDB's 1040), not
 * "the daemon went away" or "Broken pipe". */
static void test_max_connections_refusal(void **state)
{
	(void)state;
	struct daemon z;
	const char *extra[] = {"--max-connections", "3", NULL};
	start_own(&z, "maxconn", 0, extra);
	shmseq *c[6];
	double worst;
	int ok = connect_many(&z, c, 6, &worst);
	shmseq *x;
	int r = shmseq_connect(z.instance, &x);
	printf("# --max-connections 3: %d of 6 sessions, the others: %d (%s), slowest answer %.3f s\n", ok, r,
	       shmseq_strerror(r), worst);
	assert_int_equal(ok, 3);
	assert_int_equal(r, -SHMSEQ_ERR_CON_COUNT);
	assert_non_null(strstr(shmseq_strerror(r), "Too many connections"));
	conn_exec_ok(c[0], "CREATE SEQUENCE m");
	disconnect_all(c, 6);
	/* room again once sessions end */
	assert_int_equal(connect_when_room(&z, &x), 0);
	shmseq_disconnect(x);
	assert_non_null(strstr(own_said(&z), "3 sessions already"));
	assert_int_equal(daemon_stop(&z), 0);
}

/* A descriptor limit below --max-connections that the daemon may not raise
 * (hard limit 64, --max-connections 4096 by default): it says so at start
 * and serves what fits, refusing the rest as too many connections, at once
 * and without spinning. Before, accept4() failed with EMFILE and the
 * listening socket stayed readable: the daemon burnt a CPU, silently, and
 * clients beyond waited 30 s. */
static void test_fd_limit_below_max_connections(void **state)
{
	(void)state;
	enum { N = 120 };
	static shmseq *c[N];
	struct daemon z;
	start_own(&z, "fdlimit", 64, NULL);
	double cpu0 = cpu_s(z.pid), worst;
	uint64_t t0 = util_now_ns();
	int ok = connect_many(&z, c, N, &worst);
	struct timespec pause = {.tv_nsec = 500 * 1000 * 1000};
	nanosleep(&pause, NULL);
	double wall = (double)(util_now_ns() - t0) / 1e9, cpu = cpu_s(z.pid) - cpu0;
	printf("# hard descriptor limit 64: %d of %d sessions served, the rest refused; slowest answer %.3f "
	       "s; "
	       "daemon CPU %.3f s in %.2f s\n",
	       ok, N, worst, cpu, wall);
	assert_true(ok >= 16 && ok < N);
	assert_true(cpu < 0.25 * wall);
	/* the sessions it took work; the daemon said why it takes fewer */
	int64_t v;
	conn_exec_ok(c[0], "CREATE SEQUENCE f");
	for (int i = 0; i < N; i++)
		if (c[i])
			assert_int_equal(shmseq_nextval(c[i], "f", &v), 0);
	const char *said = own_said(&z);
	printf("# it said: %s", said);
	assert_non_null(strstr(said, "descriptor"));
	assert_true(open_fds(z.pid) <= 64);
	disconnect_all(c, N);
	assert_int_equal(daemon_stop(&z), 0);
}

/* The limit lowered under a running daemon (prlimit), so accept4() itself
 * fails with EMFILE: the spare descriptor lets it refuse each client, it
 * says so once, does not spin, and takes sessions again when there is room. */
static void test_emfile_while_running(void **state)
{
	(void)state;
	enum { N = 40 };
	static shmseq *c[N];
	struct daemon z;
	start_own(&z, "emfile", 0, NULL);
	int base = open_fds(z.pid);
	/* the soft limit only: raising a hard limit again may need a capability */
	struct rlimit old, low;
	assert_int_equal(prlimit(z.pid, RLIMIT_NOFILE, NULL, &old), 0);
	low = (struct rlimit){(rlim_t)base + 4, old.rlim_max};
	assert_int_equal(prlimit(z.pid, RLIMIT_NOFILE, &low, NULL), 0);
	double cpu0 = cpu_s(z.pid), worst;
	uint64_t t0 = util_now_ns();
	int ok = connect_many(&z, c, N, &worst);
	struct timespec pause = {.tv_nsec = 500 * 1000 * 1000};
	nanosleep(&pause, NULL);
	double wall = (double)(util_now_ns() - t0) / 1e9, cpu = cpu_s(z.pid) - cpu0;
	const char *said = own_said(&z);
	printf("# limit lowered to %d descriptors under the daemon: %d of %d sessions, the rest refused; "
	       "slowest "
	       "answer %.3f s; daemon CPU %.3f s in %.2f s; it said: %s",
	       base + 4, ok, N, worst, cpu, wall, said);
	assert_true(ok >= 1 && ok <= 5); /* 5: base may have counted the ready pipe, closed since */
	assert_true(cpu < 0.25 * wall);
	assert_int_equal(count_of(said, "out of file descriptors"), 1);
	/* sessions end: room for new ones */
	disconnect_all(c, N);
	shmseq *x;
	assert_int_equal(connect_when_room(&z, &x), 0);
	shmseq_disconnect(x);
	/* the limit back: as many as before */
	assert_int_equal(prlimit(z.pid, RLIMIT_NOFILE, &old, NULL), 0);
	assert_int_equal(connect_when_room(&z, &x), 0);
	shmseq_disconnect(x);
	ok = connect_many(&z, c, N, &worst);
	assert_int_equal(ok, N);
	disconnect_all(c, N);
	assert_int_equal(daemon_stop(&z), 0);
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	daemon_setup(&d, "daemon");
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048 &&
	    (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 2048)) {
		rl.rlim_cur = 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (daemon_start(&d, NULL) < 0)
		return -1;
	return shmseq_connect(NULL, &conn);
}

static int teardown(void **state)
{
	(void)state;
	shmseq_disconnect(conn);
	for (size_t i = 0; i < ARRAY_SIZE(own_pids); i++)
		if (own_pids[i] > 0 && waitpid(own_pids[i], NULL, WNOHANG) == 0) {
			kill(own_pids[i], SIGKILL);
			waitpid(own_pids[i], NULL, 0);
		}
	daemon_teardown(&d);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed_api),
		cmocka_unit_test(test_reserved_tails),
		cmocka_unit_test(test_fork_child_reconnects),
		cmocka_unit_test(test_handle_follows_name),
		cmocka_unit_test(test_exec_messages),
		cmocka_unit_test(test_exec_information_schema),
		cmocka_unit_test(test_exec_name_limits),
		cmocka_unit_test(test_exec_session_state),
		cmocka_unit_test(test_exec_threads),
		cmocka_unit_test(test_temporary_dies_with_session),
		cmocka_unit_test(test_typed_temporary),
		cmocka_unit_test(test_bigint_unsigned),
		cmocka_unit_test(test_unsigned_accessor),
		cmocka_unit_test(test_cli_unsigned_values),
		cmocka_unit_test(test_increment_zero_interleaves),
		cmocka_unit_test(test_garbage_on_the_socket),
		cmocka_unit_test(test_many_sessions),
		cmocka_unit_test(test_max_connections_refusal),
		cmocka_unit_test(test_fd_limit_below_max_connections),
		cmocka_unit_test(test_emfile_while_running),
		cmocka_unit_test(test_owner_only),
		cmocka_unit_test(test_region_scribbler),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
