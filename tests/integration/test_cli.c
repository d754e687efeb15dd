/* SPDX-License-Identifier: MIT */
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
	write_file(script, "SHOW CREATE SEQUENCE odd;\nSELECT * FROM odd;\nSELECT 'x\xff' AS `c\xff`;\n");
	/* every verb that writes JSON, one document per line (the last
	 * statement fails, and so does the sql run: its exit status is not
	 * the one checked) */
	snprintf(cmd, sizeof(cmd),
		 "(\"%1$s\" --instance %2$s sql --format=json < %3$s;"
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
		 "(\"%1$s\" --instance %2$s sql --format=json < %3$s;"
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

/* Run the CLI with args, standard input from text: its stdout (to free)
 * and exit status; stderr goes to the test's log. */
static char *cli_in(const char *args, const char *text, int *status)
{
	char script[300], cmd[2048];
	snprintf(script, sizeof(script), "%s/in.sql", d.dir);
	write_file(script, text);
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s %s < %s", cli, d.instance, args, script);
	return run_capture(cmd, status);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Every JSON output keeps IDs exact: every SQL value is a string (NULL is
 * null), so 2^64 - 2 and 2^64 - 1 read back as two values in any JSON
 * reader, not as one rounded double. */
static void test_json_values_are_strings(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE big AS BIGINT UNSIGNED START WITH 18446744073709551613 "
		"MAXVALUE 18446744073709551614 NOCACHE");
	int st;
	char *out = cli_in("sql --format=json", "SELECT NEXTVAL(big), NEXTVAL(big), NULL AS n, 7 AS seven;\n",
			   &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "{\"columns\": [\"NEXTVAL(big)\", \"NEXTVAL(big)\", \"n\", \"seven\"], "
				 "\"rows\": [[\"18446744073709551613\", \"18446744073709551614\", null, "
				 "\"7\"]]}\n");
	free(out);
	if (system("python3 -c '' 2>/dev/null") != 0) {
		printf("# no python3: the check of every verb's JSON is skipped\n");
		return;
	}
	/* every verb that writes JSON: no number anywhere among the values */
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
		 "(\"%1$s\" --instance %2$s sql --format=json -e 'SELECT * FROM big; SHOW TABLES' &&"
		 " \"%1$s\" --instance %2$s show big --format=json &&"
		 " \"%1$s\" --instance %2$s stats --format=json &&"
		 " \"%1$s\" --instance %2$s list --format=json &&"
		 " \"%1$s\" --instance %2$s setval --format=json big 18446744073709551614 &&"
		 " \"%1$s\" --instance %2$s status --format=json &&"
		 " \"%1$s\" --instance %2$s create --format=json big2 &&"
		 " \"%1$s\" --instance %2$s nextval --format=json big2 3 &&"
		 " \"%1$s\" --instance %2$s drop --format=json big2) | python3 -c '"
		 "import json, sys\n"
		 "n = 0\n"
		 "def walk(v, key):\n"
		 "    if isinstance(v, dict):\n"
		 "        for k, x in v.items(): walk(x, k)\n"
		 "    elif isinstance(v, list):\n"
		 "        for x in v: walk(x, key)\n"
		 "    elif isinstance(v, (int, float)) and not isinstance(v, bool) and key != \"code\":\n"
		 "        sys.exit(\"a number: %%r in %%s\" %% (v, key))\n"
		 "for line in sys.stdin:\n"
		 "    doc = json.loads(line); walk(doc, None); n += 1\n"
		 "print(n)'",
		 cli, d.instance);
	out = run_capture(cmd, &st);
	printf("# JSON documents checked: %s", out);
	assert_int_equal(st, 0);
	assert_string_equal(out, "11\n");
	free(out);
}

/* --format=json reads statements as the other formats do: one may span
 * lines, several may share one; --lines takes each line as one statement. */
static void test_json_reads_multiline_statements(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE ml");
	int st;
	char *out = cli_in(
		"sql --format=json",
		"SELECT\n  NEXTVAL(ml)\n  AS v\n;\nSELECT NEXTVAL(ml) AS v; SELECT NEXTVAL(ml) AS v;\n", &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "{\"columns\": [\"v\"], \"rows\": [[\"1\"]]}\n"
				 "{\"columns\": [\"v\"], \"rows\": [[\"2\"]]}\n"
				 "{\"columns\": [\"v\"], \"rows\": [[\"3\"]]}\n");
	free(out);
	out = cli_in("sql --format=json --lines", "SELECT NEXTVAL(ml) AS v\nSELECT NEXTVAL(ml) AS v\n", &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "{\"columns\": [\"v\"], \"rows\": [[\"4\"]]}\n"
				 "{\"columns\": [\"v\"], \"rows\": [[\"5\"]]}\n");
	free(out);
}

/* A run whose statement failed exits 1 in every format: it stops at the
 * first error, or with --force runs the rest and still exits 1. */
static void test_failed_statement_fails_the_run(void **state)
{
	(void)state;
	static const char *const fmts[] = {"json", "batch", "table"};
	static const char text[] = "SELECT NEXTVAL(no_such_seq);\nSELECT 1 AS one;\n";
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char args[128];
		int st;
		snprintf(args, sizeof(args), "sql --format=%s", fmts[i]);
		char *out = cli_in(args, text, &st);
		printf("# %s: exit %d, %zu lines\n", args, st, count_lines(out));
		assert_int_equal(st, 1);
		assert_null(strstr(out, "one")); /* stopped: the second never ran */
		free(out);
		snprintf(args, sizeof(args), "sql --format=%s --force", fmts[i]);
		out = cli_in(args, text, &st);
		assert_int_equal(st, 1);
		assert_non_null(strstr(out, "one"));
		free(out);
	}
	int st;
	char *out = cli_in("sql --format=json --lines", "SELECT NEXTVAL(no_such_seq)\nSELECT 1 AS one\n",
			   &st);
	assert_int_equal(st, 1);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "\"error\": {\"code\": 4091"));
	free(out);
	out = cli_in("sql --format=json -e 'SELECT NEXTVAL(no_such_seq)'", "", &st);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "\"error\""));
	free(out);
}

/* Every verb honours --format=json or refuses it (exit 2), never ignores it. */
static void test_every_verb_honours_or_refuses_json(void **state)
{
	(void)state;
	exec_ok("CREATE OR REPLACE SEQUENCE fj");
	static const char *const refuse[] = {"dump --format=json", "shutdown --format=json"};
	for (size_t i = 0; i < sizeof(refuse) / sizeof(refuse[0]); i++) {
		int st;
		char *out = cli_in(refuse[i], "", &st);
		printf("# %s: exit %d\n", refuse[i], st);
		assert_int_equal(st, 2);
		assert_string_equal(out, "");
		free(out);
	}
	static const char *const honour[] = {"list --format=json",	 "status --format=json",
					     "stats --format=json",	 "show --format=json fj",
					     "nextval --format=json fj", "setval --format=json fj 100",
					     "create --format=json fj2", "drop --format=json fj2"};
	for (size_t i = 0; i < sizeof(honour) / sizeof(honour[0]); i++) {
		int st;
		char *out = cli_in(honour[i], "", &st);
		printf("# %s: exit %d: %s", honour[i], st, out);
		assert_int_equal(st, 0);
		assert_true(out[0] == '{');
		free(out);
	}
	/* the daemon still runs: shutdown refused before doing anything */
	int st;
	char *out = cli_in("status --quiet", "", &st);
	assert_int_equal(st, 0);
	free(out);
}

/* `shmseq dump` restores over the sequences it finds (CREATE OR REPLACE, as
 * mariadb-dump's DROP ... IF EXISTS): dump, change, restore over, compare.
 * Its header names the instance and the time, its footer says it completed. */
static void test_dump_restores_over_existing(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE dr1 START WITH 10 INCREMENT BY 5 MAXVALUE 100 CYCLE CACHE 3");
	exec_ok("SELECT NEXTVAL(dr1), NEXTVAL(dr1), NEXTVAL(dr1), NEXTVAL(dr1)");
	exec_ok("CREATE SEQUENCE dr2 AS BIGINT UNSIGNED START WITH 18446744073709551000 CACHE 0");
	exec_ok("SELECT NEXTVAL(dr2), NEXTVAL(dr2)");
	char cmd[1024], file[300];
	int st;
	snprintf(cmd, sizeof(cmd),
		 "\"%s\" --instance %s show --format=batch dr1 && \"%s\" --instance %s show --format=batch "
		 "dr2",
		 cli, d.instance, cli, d.instance);
	char *before = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	snprintf(file, sizeof(file), "%s/over.sql", d.dir);
	char dump[1024];
	snprintf(dump, sizeof(dump), "\"%s\" --instance %s dump > %s && cat %s", cli, d.instance, file, file);
	char *text = run_capture(dump, &st);
	assert_int_equal(st, 0);
	char head[200];
	snprintf(head, sizeof(head), "-- shmseq dump of instance %s\n-- taken 2", d.instance);
	assert_true(!strncmp(text, head, strlen(head)));
	assert_non_null(strstr(text, " UTC by shmseq "));
	assert_non_null(strstr(text, "\n-- Dump completed on 2"));
	assert_non_null(strstr(text, "CREATE OR REPLACE SEQUENCE `dr1` start with 10"));
	free(text);

	/* changed: drawn past, altered, set forward, one dropped */
	exec_ok("SELECT NEXTVAL(dr1), NEXTVAL(dr1), NEXTVAL(dr1), NEXTVAL(dr1), NEXTVAL(dr1)");
	exec_ok("ALTER SEQUENCE dr1 MAXVALUE 5000 NOCYCLE");
	exec_ok("SELECT SETVAL(dr2, 18446744073709551500)");
	exec_ok("DROP SEQUENCE fj");
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s sql --format=batch < %s", cli, d.instance, file);
	char *out = run_capture(cmd, &st);
	printf("# restored over: exit %d\n", st);
	assert_int_equal(st, 0);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "\"%s\" --instance %s show --format=batch dr1 && \"%s\" --instance %s show --format=batch "
		 "dr2",
		 cli, d.instance, cli, d.instance);
	char *after = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	assert_string_equal(after, before);
	free(after);
	free(before);
	/* and the next values are those the dump recorded: next_not_cached_value,
	 * as MariaDB's dump does (dr1's cached 30 and 35 are skipped, NOCACHE dr2
	 * goes on exactly) */
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s nextval dr1 2 && \"%s\" --instance %s nextval dr2",
		 cli, d.instance, cli, d.instance);
	out = run_capture(cmd, &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "40\n45\n18446744073709551002\n");
	free(out);
}

/* The mariadb client's options and \G: -E and \G vertical, -N no column
 * names, -s less output (in batch: no names), -B, -t, -f is --force. */
static void test_mariadb_options(void **state)
{
	(void)state;
	int st;
	char *out = cli_in("sql -E", "SELECT 1 AS a, 22 AS bcd;\n", &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "*************************** 1. row ***************************\n"
				 "  a: 1\n"
				 "bcd: 22\n");
	free(out);
	out = cli_in("sql -B", "SELECT 1 AS a\\G SELECT 2 AS b;\n", &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "*************************** 1. row ***************************\n"
				 "a: 1\n"
				 "b\n2\n");
	free(out);
	out = cli_in("sql -B -N", "SELECT 1 AS a, 2 AS b;\n", &st);
	assert_string_equal(out, "1\t2\n");
	free(out);
	out = cli_in("sql -s", "SELECT 1 AS a;\n", &st);
	assert_string_equal(out, "1\n");
	free(out);
	out = cli_in("sql -t -s", "SELECT 1 AS a; DO 1;\n", &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "+---+\n| a |\n+---+\n| 1 |\n+---+\n");
	free(out);
	out = cli_in("sql -t -N", "SELECT 1 AS a;\n", &st);
	assert_string_equal(out, "+---+\n| 1 |\n+---+\n1 row in set\n");
	free(out);
	out = cli_in("sql -B -f", "SELECT NEXTVAL(no_such);\nSELECT 5 AS five;\n", &st);
	assert_int_equal(st, 1);
	assert_string_equal(out, "five\n5\n");
	free(out);
	/* -f json: the old spelling of the format is refused, saying why */
	out = cli_in("sql -f json 2>&1", "", &st);
	assert_int_equal(st, 2);
	assert_non_null(strstr(out, "--format=json"));
	free(out);
	/* -e too: \G inside a quote is the text's */
	out = cli_in("sql -B -e \"SELECT '\\\\G' AS q\\\\G\"", "", &st);
	assert_int_equal(st, 0);
	assert_string_equal(out, "*************************** 1. row ***************************\nq: G\n");
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
		cmocka_unit_test(test_json_values_are_strings),
		cmocka_unit_test(test_json_reads_multiline_statements),
		cmocka_unit_test(test_failed_statement_fails_the_run),
		cmocka_unit_test(test_every_verb_honours_or_refuses_json),
		cmocka_unit_test(test_dump_restores_over_existing),
		cmocka_unit_test(test_mariadb_options),
	};
	return daemon_group_tests(tests, &d, "cli");
}
