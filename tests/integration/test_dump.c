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
	char sql[128];
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
		cmocka_unit_test(test_dump_restore_1000),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
