/* SPDX-License-Identifier: MIT */
/* test_dump.c — `shmseq dump` of an instance with 1,000 varied sequences,
 * restored with `shmseq sql` into a fresh instance, gives identical
 * SELECT * rows and identical next values. Like MariaDB's dump, a restore
 * starts from the stored position, so the original is compared after a
 * clean restart (which discards its cached blocks the same way). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"

#define NSEQ 1000

static struct daemon a, b;

static char *row_text(shmseq *c, const char *name)
{
	char sql[SHMSEQ_NAME_MAX + 32];
	shmseq_result *res;
	snprintf(sql, sizeof(sql), "SELECT * FROM `%s`", name);
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	char *out = calloc(1, 512);
	for (size_t i = 0; i < shmseq_result_columns(res); i++) {
		strcat(out, shmseq_result_value(res, 0, i));
		strcat(out, " ");
	}
	shmseq_result_free(res);
	return out;
}

static void next_text(shmseq *c, const char *name, char *buf)
{
	int64_t v;
	int r = shmseq_nextval(c, name, &v);
	if (r < 0)
		snprintf(buf, 64, "error %d", r);
	else
		snprintf(buf, 64, "%lld", (long long)v);
}

static void run(const char *cmd)
{
	int r = system(cmd);
	if (r != 0)
		fprintf(stderr, "failed (%d): %s\n", r, cmd);
	assert_int_equal(r, 0);
}

/* Names of 64 characters, as MariaDB: 40 × é (80 bytes), 64 × é (128) and
 * 64 × € (192, utf8mb3's widest) work end to end: CREATE, NEXTVAL by name
 * through SQL and the C API, SHOW TABLES, SHOW CREATE, a restart, a dump
 * and its restore. 65 characters are refused. */
static void test_long_names(void **state)
{
	(void)state;
	const char *cli = getenv("SHMSEQ_CLI");
	if (!cli || access(cli, X_OK) != 0)
		skip();
	static const char *const chars[] = {"\xc3\xa9", "\xc3\xa9", "\xe2\x82\xac"};
	static const int counts[] = {40, 64, 64};
	char names[3][SHMSEQ_NAME_MAX + 1];
	char sql[2048];
	int64_t last[3];
	shmseq *c;
	shmseq_result *res;
	assert_int_equal(shmseq_connect(a.instance, &c), 0);
	for (int k = 0; k < 3; k++) {
		names[k][0] = 0;
		for (int i = 0; i < counts[k]; i++)
			strcat(names[k], chars[k]);
		snprintf(sql, sizeof(sql),
			 "CREATE SEQUENCE `%s` CACHE 10 COMMENT 'long %d'; SELECT NEXTVAL(`%s`); "
			 "SHOW CREATE SEQUENCE `%s`",
			 names[k], k, names[k], names[k]);
		assert_int_equal(shmseq_exec(c, sql, &res), 0);
		const shmseq_result *r = res;
		assert_int_equal(shmseq_result_error(r), 0);
		r = shmseq_result_next(r);
		assert_int_equal(shmseq_result_error(r), 0);
		assert_string_equal(shmseq_result_value(r, 0, 0), "1");
		r = shmseq_result_next(r);
		assert_int_equal(shmseq_result_error(r), 0);
		assert_string_equal(shmseq_result_value(r, 0, 0), names[k]);
		assert_non_null(strstr(shmseq_result_value(r, 0, 1), names[k]));
		shmseq_result_free(res);
		for (int i = 0; i < 25; i++)
			assert_int_equal(shmseq_nextval(c, names[k], &last[k]), 0);
		assert_int_equal(last[k], 26);
	}
	assert_int_equal(shmseq_exec(c, "SHOW TABLES", &res), 0);
	int found = 0;
	for (size_t i = 0; i < shmseq_result_rows(res); i++)
		for (int k = 0; k < 3; k++)
			found += strcmp(shmseq_result_value(res, i, 0), names[k]) == 0;
	assert_int_equal(found, 3);
	shmseq_result_free(res);
	/* 65 characters: MariaDB's limit, the parser's and the C API's */
	char longer[SHMSEQ_NAME_MAX + 8];
	snprintf(longer, sizeof(longer), "%s\xc3\xa9", names[1]);
	snprintf(sql, sizeof(sql), "CREATE SEQUENCE `%s`", longer);
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	assert_int_not_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
	assert_int_equal(shmseq_create(c, longer, NULL, 0), -EINVAL);
	shmseq_disconnect(c);

	/* a clean restart: the names come back from the log, values go on */
	assert_int_equal(daemon_stop(&a), 0);
	assert_int_equal(daemon_start(&a, NULL), 0);

	/* dumped and restored: the same rows and next values */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s dump > %s/long.sql", cli, a.instance, a.dir);
	run(cmd);
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s sql --format=batch < %s/long.sql", cli, b.instance,
		 a.dir);
	run(cmd);
	shmseq *ca, *cb;
	assert_int_equal(shmseq_connect(a.instance, &ca), 0);
	assert_int_equal(shmseq_connect(b.instance, &cb), 0);
	for (int k = 0; k < 3; k++) {
		char *ra = row_text(ca, names[k]), *rb = row_text(cb, names[k]);
		char na[64], nb[64];
		assert_string_equal(ra, rb);
		next_text(ca, names[k], na);
		next_text(cb, names[k], nb);
		assert_string_equal(na, nb);
		assert_true(strtoll(na, NULL, 10) > last[k]);
		free(ra);
		free(rb);
		/* leave both instances as the next test expects them: empty */
		assert_int_equal(shmseq_drop(ca, names[k]), 0);
		assert_int_equal(shmseq_drop(cb, names[k]), 0);
	}
	printf("# names of 40 x e-acute, 64 x e-acute and 64 x euro: created, drawn, restarted, dumped and "
	       "restored\n");
	shmseq_disconnect(ca);
	shmseq_disconnect(cb);
}

static void test_dump_restore_1000(void **state)
{
	(void)state;
	const char *cli = getenv("SHMSEQ_CLI");
	if (!cli || access(cli, X_OK) != 0)
		skip();
	shmseq *c;
	assert_int_equal(shmseq_connect(a.instance, &c), 0);
	unsigned seed = 4242;
	int made = 0;
	char sql[512], name[32];
	while (made < NSEQ) {
		long inc = (rand_r(&seed) % 2 ? 1 : -1) * (1 + rand_r(&seed) % 7);
		long lo = -(long)(rand_r(&seed) % 1000), hi = 1 + rand_r(&seed) % 2000;
		long cache = rand_r(&seed) % 4 == 0 ? 0 : rand_r(&seed) % 50;
		bool cycle = rand_r(&seed) % 3 == 0;
		snprintf(name, sizeof(name), "s%04d", made);
		switch (rand_r(&seed) % 4) {
		case 0: /* defaults, one direction or the other */
			snprintf(sql, sizeof(sql), "CREATE SEQUENCE %s INCREMENT BY %ld CACHE %ld", name, inc,
				 cache);
			break;
		case 1:
			snprintf(sql, sizeof(sql),
				 "CREATE SEQUENCE %s MINVALUE %ld MAXVALUE %ld INCREMENT %ld CACHE %ld %s "
				 "COMMENT 'n%d'",
				 name, lo, hi, inc, cache, cycle ? "CYCLE" : "NOCYCLE", made);
			break;
		case 2: /* small cycling ranges that wrap during the test */
			snprintf(sql, sizeof(sql),
				 "CREATE SEQUENCE %s MINVALUE 1 MAXVALUE %ld INCREMENT %ld CACHE %ld CYCLE",
				 name, 2 + (long)(rand_r(&seed) % 20), inc, cache);
			break;
		default:
			snprintf(sql, sizeof(sql),
				 "CREATE SEQUENCE %s START WITH %ld MINVALUE %ld MAXVALUE %ld NOCACHE", name,
				 lo + 1, lo, hi);
			break;
		}
		shmseq_result *res;
		assert_int_equal(shmseq_exec(c, sql, &res), 0);
		int err = shmseq_result_error(res);
		shmseq_result_free(res);
		if (err)
			continue; /* an invalid combination: draw again */
		int take = rand_r(&seed) % 60;
		for (int i = 0; i < take; i++) {
			int64_t v;
			if (shmseq_nextval(c, name, &v) < 0)
				break; /* ran out: the dump must keep that too */
		}
		made++;
	}
	shmseq_disconnect(c);

	/* the original, reloaded the way a restore is: from its stored rows */
	assert_int_equal(daemon_stop(&a), 0);
	assert_int_equal(daemon_start(&a, NULL), 0);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s dump > %s/dump.sql", cli, a.instance, a.dir);
	run(cmd);
	snprintf(cmd, sizeof(cmd), "\"%s\" --instance %s sql --format=batch < %s/dump.sql", cli, b.instance,
		 a.dir);
	run(cmd);

	shmseq *ca, *cb;
	assert_int_equal(shmseq_connect(a.instance, &ca), 0);
	assert_int_equal(shmseq_connect(b.instance, &cb), 0);
	int mismatches = 0;
	for (int i = 0; i < NSEQ; i++) {
		snprintf(name, sizeof(name), "s%04d", i);
		char *ra = row_text(ca, name), *rb = row_text(cb, name);
		char na[64], nb[64];
		next_text(ca, name, na);
		next_text(cb, name, nb);
		if (strcmp(ra, rb) != 0 || strcmp(na, nb) != 0) {
			if (mismatches++ < 5)
				fprintf(stderr, "%s: row %s/ next %s\n  vs row %s/ next %s\n", name, ra, na,
					rb, nb);
		}
		free(ra);
		free(rb);
	}
	printf("# %d sequences dumped and restored, %d mismatches\n", NSEQ, mismatches);
	assert_int_equal(mismatches, 0);
	shmseq_disconnect(ca);
	shmseq_disconnect(cb);
}

static int setup(void **state)
{
	(void)state;
	daemon_setup(&b, "dumpb");
	daemon_setup(&a, "dumpa"); /* same runtime dir for both: the last setup wins */
	if (daemon_start(&a, NULL) < 0)
		return -1;
	return daemon_start(&b, NULL);
}

static int teardown(void **state)
{
	(void)state;
	daemon_teardown(&a);
	daemon_teardown(&b);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_dump_restore_1000),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
