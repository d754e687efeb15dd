/* SPDX-License-Identifier: MIT */
/* test_observe.c — what an operator watches (issue 16, items 7-9):
 *  - the daemon's log: one line at start (instance, socket, region, what it
 *    recovered), one at a clean stop, each with its syslog priority when
 *    stderr is the journal ($JOURNAL_STREAM names it) and "shmseqd: "
 *    otherwise;
 *  - the counters (shmseq_counters(), `shmseq stats`, `shmseq metrics`)
 *    move as values are drawn and statements answered, the sync histogram
 *    sums to the syncs, and the metrics are valid text exposition lines
 *    whatever the sequence's name holds;
 *  - `shmseq status --quiet` exits 1 when the daemon is up but its log has
 *    failed (no new values), 0 when it is well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"

static const char *cli;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return strdup("");
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return strdup(buf);
}

static void exec_ok(shmseq *c, const char *sql)
{
	shmseq_result *res;
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
}

/* Start a daemon with its stderr to <dir>/err, and the environment given
 * ("NAME=value" or NULL) for it alone. */
static void start_logged(struct daemon *d, const char *prefix, const char *env, const char *args)
{
	daemon_setup(d, prefix);
	char extra[1024], err[400];
	snprintf(err, sizeof(err), "%s/err", d->dir);
	snprintf(extra, sizeof(extra), "%s 2>%s", args ? args : "", err);
	char *name = NULL, *value = NULL;
	if (env) {
		name = strdup(env);
		value = strchr(name, '=');
		*value++ = 0;
		setenv(name, value, 1);
	}
	int r = daemon_start(d, extra);
	if (name) {
		unsetenv(name);
		free(name);
	}
	assert_int_equal(r, 0);
}

static char *daemon_err(const struct daemon *d)
{
	char err[400];
	snprintf(err, sizeof(err), "%s/err", d->dir);
	return slurp(err);
}

static void test_log_lines_and_priorities(void **state)
{
	(void)state;
	struct daemon d;
	/* stderr a plain file: "shmseqd: " lines */
	start_logged(&d, "obsl", NULL, NULL);
	assert_int_equal(daemon_stop(&d), 0);
	char *err = daemon_err(&d);
	assert_non_null(strstr(err, "shmseqd: serving instance '"));
	assert_non_null(strstr(err, d.instance));
	assert_non_null(strstr(err, ".sock, region "));
	assert_non_null(strstr(err, "0 sequences recovered from the data directory"));
	assert_non_null(strstr(err, "shmseqd: stopped: the final positions of 0 sequences are recorded"));
	assert_null(strstr(err, "<6>"));
	free(err);
	daemon_teardown(&d);

	/* stderr the journal: JOURNAL_STREAM names its device and inode */
	daemon_setup(&d, "obsj");
	char path[400], env[128];
	snprintf(path, sizeof(path), "%s/err", d.dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	snprintf(env, sizeof(env), "JOURNAL_STREAM=%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	char extra[600];
	snprintf(extra, sizeof(extra), "2>>%s", path);
	setenv("JOURNAL_STREAM", strchr(env, '=') + 1, 1);
	int r = daemon_start(&d, extra);
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(r, 0);
	shmseq *c;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	exec_ok(c, "CREATE SEQUENCE s");
	shmseq_disconnect(c);
	assert_int_equal(daemon_stop(&d), 0);
	/* a restart: one sequence recovered */
	setenv("JOURNAL_STREAM", strchr(env, '=') + 1, 1);
	r = daemon_start(&d, extra);
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(r, 0);
	assert_int_equal(daemon_stop(&d), 0);
	err = daemon_err(&d);
	assert_non_null(strstr(err, "<6>serving instance '"));
	assert_non_null(strstr(err, "<6>stopped: the final positions of 1 sequences are recorded"));
	assert_non_null(strstr(err, ", 1 sequences recovered from the data directory"));
	assert_null(strstr(err, "shmseqd: "));
	free(err);
	daemon_teardown(&d);

	/* a JOURNAL_STREAM that is not our stderr (inherited from elsewhere) */
	start_logged(&d, "obsn", "JOURNAL_STREAM=1:1", NULL);
	assert_int_equal(daemon_stop(&d), 0);
	err = daemon_err(&d);
	assert_non_null(strstr(err, "shmseqd: serving instance"));
	free(err);
	daemon_teardown(&d);
}

static void test_counters_move(void **state)
{
	(void)state;
	struct daemon d;
	start_logged(&d, "obsc", NULL, NULL);
	shmseq *c;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	struct shmseq_counters a, b;
	assert_int_equal(shmseq_counters(c, NULL, &a), 0);
	assert_false(a.has_seq);
	assert_false(a.failed);
	assert_true(a.sessions >= 1);
	assert_true(a.connections >= 1);
	exec_ok(c, "CREATE SEQUENCE s CACHE 10");
	exec_ok(c, "CREATE SEQUENCE t NOCACHE");
	shmseq_seq *h;
	assert_int_equal(shmseq_seq_open(c, "s", &h), 0);
	int64_t v;
	for (int i = 0; i < 25; i++)
		assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(shmseq_nextval(c, "t", &v), 0);
	exec_ok(c, "SELECT SETVAL(t, 100)");
	assert_int_equal(shmseq_counters(c, "s", &b), 0);
	assert_true(b.has_seq);
	assert_int_equal(b.statements - a.statements, 3);
	assert_int_equal(b.seq_taken, 25);
	assert_true(b.seq_refills >= 2); /* 25 values of a 10-value cache */
	assert_true(b.seq_waits >= 1 && b.seq_waits <= b.seq_refills);
	assert_true(b.seq_reserve <= 1000);
	assert_true(b.refills >= b.seq_refills && b.waits >= b.seq_waits);
	assert_true(b.records > a.records);
	assert_true(b.syncs > a.syncs);
	uint64_t sum = 0;
	for (int i = 0; i < SHMSEQ_SYNC_BUCKETS; i++)
		sum += b.sync_hist[i];
	assert_int_equal(sum, b.syncs);
	assert_true(b.sync_ns > 0);
	for (size_t i = 0; i < sizeof(b.reserved) / sizeof(b.reserved[0]); i++)
		assert_int_equal(b.reserved[i], 0);
	/* NOCACHE after SETVAL: no value taken in the new epoch, at most the
	 * next one durable */
	struct shmseq_counters t;
	assert_int_equal(shmseq_counters(c, "t", &t), 0);
	assert_int_equal(t.seq_taken, 0);
	assert_true(t.seq_reserve <= 1);
	assert_true(t.seq_refills >= 1);
	assert_int_equal(shmseq_counters(c, "nosuch", &t), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	shmseq_seq_close(h);

	/* the CLI: stats has the columns, metrics valid lines */
	char cmd[1024];
	int st;
	snprintf(cmd, sizeof(cmd), "%s stats --format=batch", cli);
	char *out = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "refills\twaits\treserve"));
	assert_non_null(strstr(out, "\ns\t"));
	free(out);
	exec_ok(c, "CREATE SEQUENCE `we\"ird\\name`");
	assert_int_equal(shmseq_nextval(c, "we\"ird\\name", &v), 0);
	snprintf(cmd, sizeof(cmd), "%s metrics", cli);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	regex_t sample, comment;
	assert_int_equal(regcomp(&sample,
				 "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*"
				 "\",?)*\\})? "
				 "(-?[0-9.e+-]+|\\+Inf)$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	assert_int_equal(
		regcomp(&comment, "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", REG_EXTENDED | REG_NOSUB),
		0);
	int lines = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		lines++;
		if (regexec(line[0] == '#' ? &comment : &sample, line, 0, NULL, 0) != 0)
			fail_msg("not a text exposition line: %s", line);
	}
	regfree(&sample);
	regfree(&comment);
	free(out);
	assert_true(lines > 40);
	out = run_capture(cmd, &st);
	assert_non_null(strstr(out, "shmseq_up{instance=\""));
	assert_non_null(strstr(out, "\"} 1\n"));
	assert_non_null(strstr(out, ",sequence=\"s\"} 25\n")); /* values taken */
	assert_non_null(strstr(out, ",sequence=\"we\\\"ird\\\\name\"}"));
	char want[128];
	snprintf(want, sizeof(want), "shmseq_sync_seconds_count{instance=\"%s\"} ", d.instance);
	assert_non_null(strstr(out, want));
	free(out);
	shmseq_disconnect(c);
	assert_int_equal(daemon_stop(&d), 0);
	daemon_teardown(&d);
}

static void test_status_quiet_when_failed(void **state)
{
	(void)state;
	const char *shim = getenv("SHMSEQ_FAULTSHIM");
	if (!shim || access(shim, R_OK) != 0)
		skip();
	struct daemon d;
	char cmd[1024];
	int st;
	start_logged(&d, "obsf", NULL, NULL);
	snprintf(cmd, sizeof(cmd), "%s status --quiet", cli);
	free(run_capture(cmd, &st));
	assert_int_equal(st, 0);
	assert_int_equal(daemon_stop(&d), 0);

	/* every fdatasync of the data directory's files fails from the 3rd on */
	char data[400], extra[1200];
	snprintf(data, sizeof(data), "%s/data", d.dir);
	setenv("SHMSEQ_FAULT_DIR", data, 1);
	setenv("SHMSEQ_FAULT", "fdatasync:3:EIO,sticky", 1);
	setenv("LD_PRELOAD", shim, 1);
	/* under ASan the shim comes before the sanitizer's runtime */
	const char *asan_was = getenv("ASAN_OPTIONS");
	char *asan_old = asan_was ? strdup(asan_was) : NULL;
	char asan[1024];
	snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", asan_old ? asan_old : "",
		 asan_old && *asan_old ? ":" : "");
	setenv("ASAN_OPTIONS", asan, 1);
	snprintf(extra, sizeof(extra), "2>%s/err", d.dir);
	int r = daemon_start(&d, extra);
	unsetenv("LD_PRELOAD");
	if (asan_old)
		setenv("ASAN_OPTIONS", asan_old, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(asan_old);
	unsetenv("SHMSEQ_FAULT");
	unsetenv("SHMSEQ_FAULT_DIR");
	assert_int_equal(r, 0);
	shmseq *c;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	shmseq_result *res;
	for (int i = 0; i < 8; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "CREATE SEQUENCE f%d NOCACHE", i);
		if (shmseq_exec(c, sql, &res) == 0)
			shmseq_result_free(res);
	}
	struct shmseq_status s;
	assert_int_equal(shmseq_status(c, &s), 0);
	assert_true(s.failed);
	struct shmseq_counters ct;
	assert_int_equal(shmseq_counters(c, NULL, &ct), 0);
	assert_true(ct.failed);
	shmseq_disconnect(c);
	snprintf(cmd, sizeof(cmd), "%s status --quiet", cli);
	char *out = run_capture(cmd, &st);
	assert_int_equal(st, 1);
	assert_string_equal(out, "");
	free(out);
	snprintf(cmd, sizeof(cmd), "%s status", cli);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "FAILED"));
	free(out);
	snprintf(cmd, sizeof(cmd), "%s metrics", cli);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "\nshmseq_up{instance=\""));
	assert_non_null(strstr(out, "\"} 0\n"));
	free(out);
	char *err = daemon_err(&d);
	assert_non_null(strstr(err, "the log cannot be written or made durable"));
	free(err);
	daemon_kill(&d);
	daemon_teardown(&d);
}

int main(void)
{
	cli = getenv("SHMSEQ_CLI");
	if (!cli || access(cli, X_OK) != 0) {
		fprintf(stderr, "SHMSEQ_CLI does not name the built CLI: skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_lines_and_priorities),
		cmocka_unit_test(test_counters_move),
		cmocka_unit_test(test_status_quiet_when_failed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
