/* test_cli.c — the CLI (tools/cli/) as scripts see it:
 *  - its JSON output (sql, show and stats; list writes plain names) is valid JSON whatever the names and comments hold: a
 *    COMMENT with the byte 0xff, control characters, quotes and backslashes
 *    comes out as a string that python3's json module (strict UTF-8) reads
 *    back, 0xff as U+FFFD;
 *  - the shell cuts its input into statements with the library's lexer: ';'
 *    inside '…', "…", `…` and comments does not end a statement, statements
 *    span lines, each error names the line its statement started on, the
 *    first error stops a script unless --force, the last statement needs no
 *    ';', and -e text behaves like standard input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"

static struct daemon d;
static const char *cli;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void exec_ok(const char *sql)
{
	shmseq *c;
	shmseq_result *res;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
	shmseq_disconnect(c);
}

static void test_json_output_is_valid_for_any_comment(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE odd COMMENT 'a\xff\xfe b \x01\t \\\" \\\\ caf\xc3\xa9 \xc3'");
	char cmd[2048], script[300];
	snprintf(script, sizeof(script), "%s/json.sql", d.dir);
	write_file(script, "SHOW CREATE SEQUENCE odd\nSELECT * FROM odd\nSELECT 'x\xff' AS `c\xff`\n");
	/* every verb that writes JSON, one document per line */
	snprintf(cmd, sizeof(cmd),
		 "(\"%1$s\" --instance %2$s sql --format=json < %3$s &&"
		 " \"%1$s\" --instance %2$s show odd --format=json &&"
		 " \"%1$s\" --instance %2$s stats --format=json) 2>&1",
		 cli, d.instance, script);
	int st;
	char *out = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	/* raw bytes that are not UTF-8 never reach the output */
	assert_null(strchr(out, '\xff'));
	assert_null(strchr(out, '\xfe'));
	assert_non_null(
		strstr(out, "COMMENT='a\\ufffd\\ufffd b \\u0001\\t \\\" \\\\\\\\ caf\xc3\xa9 \\ufffd'"));
	free(out);
	if (system("python3 -c '' 2>/dev/null") != 0) {
		printf("# no python3: the strict JSON check is skipped\n");
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "(\"%1$s\" --instance %2$s sql --format=json < %3$s &&"
		 " \"%1$s\" --instance %2$s show odd --format=json &&"
		 " \"%1$s\" --instance %2$s stats --format=json) | python3 -c '"
		 "import json, sys\n"
		 "n = 0\n"
		 "for line in sys.stdin.buffer.read().decode(\"utf-8\", \"strict\").splitlines():\n"
		 "    json.loads(line); n += 1\n"
		 "print(n)'",
		 cli, d.instance, script);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "6\n");
	free(out);
}

static const char split_script[] = "-- a script\n"
				   "select 'a;b' as x; select \"c;d\" as y\n"
				   ";\n"
				   "/* ; */ select 1 # ;\n"
				   "  + 1 as `z;`;\n"
				   "select `no;such` from dual;\n"
				   "\n"
				   "selec 2;\n"
				   "select 3 -- last, no ';'\n";

static void test_shell_splits_statements(void **state)
{
	(void)state;
	char cmd[2048], script[300], err[300];
	snprintf(script, sizeof(script), "%s/split.sql", d.dir);
	snprintf(err, sizeof(err), "%s/split.err", d.dir);
	write_file(script, split_script);
	int st;
	const char *head = "x\na;b\ny\nc;d\nz;\n2\n";
	const char *e6 = "ERROR 1054 (42S22) at line 6: Unknown column 'no;such' in 'SELECT'\n";
	const char *e8 =
		"ERROR 1064 (42000) at line 8: You have an error in your SQL syntax; check the manual "
		"that corresponds to your MariaDB server version for the right syntax to use near "
		"'selec 2' at line 1\n";
	char want[1024], *out, *said;

	/* --force: every statement runs */
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s sql --format=batch --force < %s 2>%s", cli,
		 d.instance, script, err);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 1);
	snprintf(want, sizeof(want), "%s3\n3\n", head);
	assert_string_equal(out, want);
	free(out);
	snprintf(cmd, sizeof(cmd), "cat %s", err);
	said = run_capture(cmd, &st);
	snprintf(want, sizeof(want), "%s%s", e6, e8);
	assert_string_equal(said, want);
	free(said);

	/* the first error stops the script */
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s sql --format=batch < %s 2>%s", cli, d.instance,
		 script, err);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 1);
	assert_string_equal(out, head);
	free(out);
	snprintf(cmd, sizeof(cmd), "cat %s", err);
	said = run_capture(cmd, &st);
	assert_string_equal(said, e6);
	free(said);

	/* -e: the same text as an argument */
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s sql --format=batch --force -e \"$(cat %s)\" 2>%s",
		 cli, d.instance, script, err);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 1);
	snprintf(want, sizeof(want), "%s3\n3\n", head);
	assert_string_equal(out, want);
	free(out);

	/* an unterminated quote runs to the end of the input */
	write_file(script, "select 1;\nselect 'open;\n");
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s sql --format=batch < %s 2>&1", cli, d.instance,
		 script);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "1\n1\nERROR 1064 (42000) at line 2: "));
	free(out);
}

int main(void)
{
	cli = getenv("SHMSEQ_CLI");
	if (!cli || access(cli, X_OK) != 0) {
		fprintf(stderr, "SHMSEQ_CLI does not name the built CLI: skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_output_is_valid_for_any_comment),
		cmocka_unit_test(test_shell_splits_statements),
	};
	return daemon_group_tests(tests, &d, "cli");
}
