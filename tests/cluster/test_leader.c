/* SPDX-License-Identifier: MIT */
/* test_leader.c — the store's leader election does not reach clients: a
 * 3-member etcd on 127.0.0.11-13 and one shmseqd on it; a client draws from
 * a handle as fast as it can, timing every call, while the etcd leader is
 * SIGKILLed (and restarted 3 s later) once the host's rate is known. With a
 * few seconds of demand granted ahead (segments sized by the host's rate,
 * the next asked for at half use) no call fails and none waits for the
 * election: the slowest call stays far below an election's time (a refill
 * from the daemon is well under a millisecond; a wait on the store would
 * be a second or more). Skipped (77) without etcd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "etcd.h"
#include "harness.h"
#include "shmseq.h"

#define MEMBERS 3
#define WARM_MS 3000  /* drawing before the kill: the host learns its rate */
#define DOWN_MS 3500  /* the leader stays dead this long: a grant (every ~3 s) falls in it */
#define AFTER_MS 1500 /* drawing after it is back */
#define STALL_MS 300  /* a call slower than this waited on the store */

static struct etcd store[MEMBERS];
static char eps[600];
static struct daemon host;

struct draw {
	uint64_t calls, errors, slow, worst_ns, worst_at_ms;
	int first_error;
	int64_t last;
	bool decreased;
};

/* Draw from e until `until` (CLOCK_MONOTONIC ns), timing every call. */
static void draw(shmseq_seq *e, uint64_t t0, uint64_t until, struct draw *d)
{
	for (;;) {
		uint64_t a = now_ns();
		if (a >= until)
			return;
		int64_t v;
		int r = shmseq_seq_nextval(e, &v);
		uint64_t ns = now_ns() - a;
		d->calls++;
		if (r < 0) {
			if (!d->errors++)
				d->first_error = r;
			continue;
		}
		if (d->calls > 1 && v <= d->last)
			d->decreased = true;
		d->last = v;
		if (ns > d->worst_ns) {
			d->worst_ns = ns;
			d->worst_at_ms = (a - t0) / 1000000u;
		}
		d->slow += ns > (uint64_t)STALL_MS * 1000000u;
	}
}

static void test_leader_killed_while_drawing(void **state)
{
	(void)state;
	shmseq *c;
	shmseq_seq *e;
	assert_int_equal(shmseq_connect(host.instance, &c), 0);
	shmseq_result *res = NULL;
	assert_int_equal(shmseq_exec(c, "CREATE SEQUENCE lk CACHE 1000", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
	assert_int_equal(shmseq_seq_open(c, "lk", &e), 0);

	struct draw d = {0};
	uint64_t t0 = now_ns();
	draw(e, t0, t0 + (uint64_t)WARM_MS * 1000000u, &d);
	uint64_t warm_calls = d.calls;
	int l = etcd_leader(store, MEMBERS);
	assert_true(l >= 0);
	uint64_t kill_ms = (now_ns() - t0) / 1000000u;
	kill(store[l].pid, SIGKILL);
	waitpid(store[l].pid, NULL, 0);
	store[l].pid = 0;
	draw(e, t0, now_ns() + (uint64_t)DOWN_MS * 1000000u, &d);
	assert_int_equal(etcd_restart(store, MEMBERS, l), 0);
	uint64_t back_ms = (now_ns() - t0) / 1000000u;
	draw(e, t0, now_ns() + (uint64_t)AFTER_MS * 1000000u, &d);

	char text[4096];
	assert_true(shmseq_cluster_status(c, text, sizeof(text)) > 0);
	fprintf(stderr, "%s", text);
	fprintf(stderr,
		"leader (member %d) killed at %llu ms, back at %llu ms: %llu calls (%llu before the kill), "
		"%llu errors (first %d), the slowest %.3f ms at %llu ms, %llu slower than %d ms\n",
		l, (unsigned long long)kill_ms, (unsigned long long)back_ms, (unsigned long long)d.calls,
		(unsigned long long)warm_calls, (unsigned long long)d.errors, d.first_error,
		(double)d.worst_ns / 1e6, (unsigned long long)d.worst_at_ms, (unsigned long long)d.slow,
		STALL_MS);
	shmseq_seq_close(e);
	shmseq_disconnect(c);
	assert_int_equal(d.errors, 0);
	assert_false(d.decreased);
	assert_int_equal(d.slow, 0);
}

static int setup(void **state)
{
	(void)state;
	if (etcd_cluster_start(store, MEMBERS, eps, sizeof(eps)) < 0)
		return -1;
	daemon_setup(&host, "lead");
	char args[1024];
	snprintf(args, sizeof(args), "--etcd %s --cluster l%d --host h0 2>>%s/daemon.log", eps, (int)getpid(),
		 host.dir);
	return daemon_start(&host, args) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "cat %s/daemon.log >&2", host.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log of the daemon)\n");
	daemon_teardown(&host);
	for (int m = 0; m < MEMBERS; m++)
		etcd_stop(&store[m]);
	return 0;
}

int main(void)
{
	if (!etcd_available()) {
		fprintf(stderr, "etcd is not installed: skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leader_killed_while_drawing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
