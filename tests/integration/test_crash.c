/* SPDX-License-Identifier: MIT */
/* test_crash.c — the daemon killed with SIGKILL under load and restarted,
 * clients killed in the middle of their calls, clean restarts: no value is
 * ever handed out twice, and clients carry on by themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "shmseq.h"

static struct daemon d;

#define MAXV (4u << 20)
#define ROUNDS 5

struct shared {
	_Atomic int stop;
	_Atomic int round; /* daemon incarnation number, 0..ROUNDS */
	_Atomic long count[2];
	_Atomic long per_round[2][ROUNDS + 1];
	_Atomic long errors[2];
	int64_t values[2][MAXV];
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void exec_ok(const char *sql)
{
	shmseq *c;
	shmseq_result *res;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	if (shmseq_result_error(res))
		fprintf(stderr, "%s: %s\n", sql, shmseq_result_message(res));
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
	shmseq_disconnect(c);
}

static void drawer(struct shared *sh, int who, const char *name)
{
	shmseq *c = NULL;
	shmseq_seq *h = NULL;
	while (!atomic_load(&sh->stop)) {
		if (!c && shmseq_connect(NULL, &c) < 0) {
			c = NULL;
			sleep_ms(5);
			continue;
		}
		if (!h && shmseq_seq_open(c, name, &h) < 0) {
			h = NULL;
			sleep_ms(5);
			continue;
		}
		int64_t v;
		int r = shmseq_seq_nextval(h, &v);
		if (r < 0) {
			/* the daemon is down: fail fast, then the next call re-attaches */
			atomic_fetch_add(&sh->errors[who], 1);
			sleep_ms(2);
			continue;
		}
		long n = atomic_fetch_add(&sh->count[who], 1);
		if (n < (long)MAXV)
			sh->values[who][n] = v;
		atomic_fetch_add(&sh->per_round[who][atomic_load(&sh->round)], 1);
	}
	shmseq_disconnect(c);
	_exit(0);
}

static void check_distinct(struct shared *sh, size_t *total_out)
{
	size_t n0 = (size_t)atomic_load(&sh->count[0]), n1 = (size_t)atomic_load(&sh->count[1]);
	if (n0 > MAXV)
		n0 = MAXV;
	if (n1 > MAXV)
		n1 = MAXV;
	int64_t *all = malloc((n0 + n1) * sizeof(int64_t));
	memcpy(all, sh->values[0], n0 * sizeof(int64_t));
	memcpy(all + n0, sh->values[1], n1 * sizeof(int64_t));
	qsort(all, n0 + n1, sizeof(int64_t), cmp_i64);
	size_t dups = 0;
	for (size_t i = 1; i < n0 + n1; i++)
		dups += all[i] == all[i - 1];
	printf("# %zu values, %zu duplicates\n", n0 + n1, dups);
	free(all);
	assert_int_equal(dups, 0);
	*total_out = n0 + n1;
}

static void kill_restart(const char *create, const char *name)
{
	exec_ok(create);
	struct shared *sh = shared_alloc(sizeof(*sh));
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			drawer(sh, i, name);
	}
	for (int round = 1; round <= ROUNDS; round++) {
		sleep_ms(150);
		daemon_kill(&d);
		sleep_ms(20); /* clients see the daemon down meanwhile */
		atomic_store(&sh->round, round);
		assert_int_equal(daemon_start(&d, NULL), 0);
	}
	sleep_ms(300);
	atomic_store(&sh->stop, 1);
	for (int i = 0; i < 2; i++)
		waitpid(kids[i], NULL, 0);
	size_t total;
	check_distinct(sh, &total);
	for (int i = 0; i < 2; i++)
		for (int r = 0; r <= ROUNDS; r++) {
			printf("# client %d, incarnation %d: %ld values\n", i, r,
			       atomic_load(&sh->per_round[i][r]));
			/* both clients keep getting values after each restart */
			assert_true(atomic_load(&sh->per_round[i][r]) > 0);
		}
	munmap(sh, sizeof(*sh));
}

static void test_sigkill_restart_default_cache(void **state)
{
	(void)state;
	kill_restart("CREATE SEQUENCE k1", "k1");
}

static void test_sigkill_restart_nocache(void **state)
{
	(void)state;
	kill_restart("CREATE SEQUENCE k2 NOCACHE", "k2");
}

static void test_sigkill_restart_cycle(void **state)
{
	(void)state;
	/* a large CYCLE range that does not wrap in the test's time */
	kill_restart("CREATE SEQUENCE k3 MAXVALUE 100000000000 CYCLE CACHE 50", "k3");
}

static void test_client_killed_midway(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE kc CACHE 20");
	struct shared *sh = shared_alloc(sizeof(*sh));
	pid_t kids[2], victims[4];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			drawer(sh, i, "kc");
	}
	for (int i = 0; i < 4; i++) {
		victims[i] = fork();
		if (victims[i] == 0) {
			shmseq *c;
			int64_t v;
			if (shmseq_connect(NULL, &c) < 0)
				_exit(1);
			for (;;)
				shmseq_nextval(c, "kc", &v);
		}
	}
	for (int i = 0; i < 4; i++) {
		sleep_ms(50);
		kill(victims[i], SIGKILL);
		waitpid(victims[i], NULL, 0);
	}
	long before = atomic_load(&sh->count[0]) + atomic_load(&sh->count[1]);
	sleep_ms(200);
	atomic_store(&sh->stop, 1);
	for (int i = 0; i < 2; i++)
		waitpid(kids[i], NULL, 0);
	size_t total;
	check_distinct(sh, &total);
	assert_true((long)total > before);
	assert_int_equal(atomic_load(&sh->errors[0]) + atomic_load(&sh->errors[1]), 0);
	munmap(sh, sizeof(*sh));
}

static int64_t next_of(const char *name)
{
	shmseq *c;
	int64_t v = 0;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	assert_int_equal(shmseq_nextval(c, name, &v), 0);
	shmseq_disconnect(c);
	return v;
}

static void test_clean_restart_is_mariadb_restart(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE r1 CACHE 10");
	exec_ok("CREATE SEQUENCE r0 CACHE 0");
	assert_int_equal(next_of("r1"), 1);
	assert_int_equal(next_of("r1"), 2);
	assert_int_equal(next_of("r0"), 1);
	assert_int_equal(next_of("r0"), 2);
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(daemon_start(&d, NULL), 0);
	/* MariaDB after a restart: the stored next_not_cached_value */
	assert_int_equal(next_of("r1"), 11);
	assert_int_equal(next_of("r0"), 3);
	/* after SIGKILL: beyond every value handed out, never a repeat */
	int64_t last = next_of("r1");
	daemon_kill(&d);
	assert_int_equal(daemon_start(&d, NULL), 0);
	assert_true(next_of("r1") > last);
}

static void test_acknowledged_ddl_survives_sigkill(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE a1 START WITH 100 INCREMENT BY 5 MAXVALUE 1000 CYCLE CACHE 3");
	exec_ok("CREATE SEQUENCE a2");
	exec_ok("DROP SEQUENCE a2");
	exec_ok("ALTER SEQUENCE a1 RESTART WITH 500");
	daemon_kill(&d);
	assert_int_equal(daemon_start(&d, NULL), 0);
	shmseq *c;
	shmseq_result *res;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	assert_int_equal(shmseq_exec(c, "SHOW CREATE SEQUENCE a1", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	assert_string_equal(shmseq_result_value(res, 0, 1),
			    "CREATE SEQUENCE `a1` start with 100 minvalue 1 maxvalue 1000 increment by 5 "
			    "cache 3 cycle ENGINE=InnoDB");
	shmseq_result_free(res);
	int64_t v;
	assert_int_equal(shmseq_nextval(c, "a1", &v), 0);
	assert_true(v >= 500 && v <= 1000);
	assert_int_equal(shmseq_nextval(c, "a2", &v), -SHMSEQ_ERR_UNKNOWN_SEQUENCE);
	shmseq_disconnect(c);
}

/* A daemon crash costs no value: the restarted daemon adopts the region and
 * an attached client's next value is the very next one. With --no-adopt it
 * restarts from the durable floor instead: a gap, never a repeat. */
static void test_daemon_crash_costs_no_values(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE z1");
	exec_ok("CREATE SEQUENCE z2 NOCACHE INCREMENT BY -2");
	shmseq *c;
	shmseq_seq *h;
	int64_t v;
	assert_int_equal(shmseq_connect(NULL, &c), 0);
	assert_int_equal(shmseq_seq_open(c, "z1", &h), 0);
	for (int64_t want = 1; want <= 10; want++) {
		assert_int_equal(shmseq_seq_nextval(h, &v), 0);
		assert_int_equal(v, want);
	}
	assert_int_equal(next_of("z2"), -1);
	daemon_kill(&d);
	assert_int_equal(daemon_start(&d, NULL), 0);
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(next_of("z1"), 12);
	assert_int_equal(next_of("z2"), -3);
	daemon_kill(&d);
	assert_int_equal(daemon_start(&d, "--no-adopt"), 0);
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_true(v > 12);		     /* from the durable floor: beyond every value handed out */
	assert_int_equal(next_of("z2"), -5); /* NOCACHE: the floor is exact */
	shmseq_disconnect(c);
}

/* Flip the last nonzero byte of the data directory's log: inside its last
 * record, whose CRC then fails. */
static void damage_last_record(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/data/log", d.dir);
	FILE *f = fopen(p, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f), at = -1;
	unsigned char *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	for (long i = n - 1; i >= 0 && at < 0; i--)
		if (buf[i])
			at = i;
	assert_true(at > 0);
	buf[at] ^= 0xff;
	assert_int_equal(fseek(f, at, SEEK_SET), 0);
	assert_int_equal(fwrite(buf + at, 1, 1, f), 1);
	assert_int_equal(fclose(f), 0);
	free(buf);
}

/* A damaged last log record makes the restart skip every sequence past what
 * that record could have reserved. The skip must itself be durable: the
 * record is cleared, so a second crash must not resume from before it. */
static void test_lost_tail_skip_survives_next_crash(void **state)
{
	(void)state;
	exec_ok("CREATE SEQUENCE lt NOCACHE");
	int64_t last = 0;
	for (int i = 0; i < 10; i++) {
		int64_t v = next_of("lt");
		assert_true(v > last);
		last = v;
	}
	daemon_kill(&d);
	damage_last_record();
	assert_int_equal(daemon_start(&d, NULL), 0);
	int64_t skipped = next_of("lt");
	printf("# after the damaged last record: %lld (last before: %lld)\n", (long long)skipped,
	       (long long)last);
	assert_true(skipped > last);
	daemon_kill(&d);
	assert_int_equal(daemon_start(&d, NULL), 0);
	int64_t again = next_of("lt");
	printf("# after a second SIGKILL: %lld\n", (long long)again);
	assert_true(again > skipped);
	/* and after a reboot (no region to adopt), the same: records first */
	daemon_kill(&d);
	region_discard(d.instance);
	assert_int_equal(daemon_start(&d, NULL), 0);
	for (int i = 0; i < 3; i++) {
		int64_t v = next_of("lt");
		assert_true(v > again);
		again = v;
	}
	daemon_kill(&d);
	damage_last_record();
	region_discard(d.instance);
	assert_int_equal(daemon_start(&d, NULL), 0);
	int64_t third = next_of("lt");
	daemon_kill(&d);
	region_discard(d.instance);
	assert_int_equal(daemon_start(&d, NULL), 0);
	int64_t fourth = next_of("lt");
	printf("# after a reboot with a damaged last record: %lld, then %lld\n", (long long)third,
	       (long long)fourth);
	assert_true(third > again);
	assert_true(fourth > third);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_restart_default_cache),
		cmocka_unit_test(test_sigkill_restart_nocache),
		cmocka_unit_test(test_sigkill_restart_cycle),
		cmocka_unit_test(test_client_killed_midway),
		cmocka_unit_test(test_clean_restart_is_mariadb_restart),
		cmocka_unit_test(test_acknowledged_ddl_survives_sigkill),
		cmocka_unit_test(test_daemon_crash_costs_no_values),
		cmocka_unit_test(test_lost_tail_skip_survives_next_crash),
	};
	return daemon_group_tests(tests, &d, "crash");
}
