/* SPDX-License-Identifier: MIT */
/* test_nemesis.c — cluster mode under a bounded nemesis, in the spirit of
 * Jepsen's unique-ids: a 3-member etcd (127.0.0.11-13), three shmseqd
 * "hosts" on it (three instances with different --host), client processes on
 * every host drawing continuously from shared sequences and logging every
 * value, while the nemesis SIGKILLs and restarts daemons (with and without
 * --no-adopt), SIGKILLs etcd members (the leader among them) and restarts
 * them, SIGSTOPs members and daemons for 0.5-3 s, and a DDL process runs
 * ALTER … RESTART, SETVAL and DROP+CREATE on one sequence, recording each
 * statement's outcome.
 *
 * Sequences: nu (NOCACHE) and cu (CACHE 100) get no DDL: every value unique,
 * at least 1, increasing per client. cy (MINVALUE 1 MAXVALUE 500 CYCLE) within
 * bounds, unique per client within a round (a round seen by the client's
 * value going down, or the same value again once some client saw the
 * sequence wrap in between), and no value more often than the rounds the
 * sequence went through. dd is the DDL's: statement k moves it to the band
 * [k·BAND, (k+1)·BAND) (RESTART WITH, SETVAL, CREATE … START WITH k·BAND), so
 * eras never share values and dd is checked unique as a whole; a value must
 * lie in the band of an acknowledged statement (or one whose outcome is
 * unknown), never in one that failed; once the nemesis stops, every host
 * serves dd from the band of the last acknowledged statement or a later one
 * (no acknowledged DDL lost). Values drawn from an older band after a
 * statement's acknowledgement are counted (a host the store could not reach
 * may serve stale values: CLUSTER.md), not failed.
 *
 * Partitions, where iptables and network namespaces work (partition.h):
 * the whole test runs in a network namespace of its own, each daemon's
 * store traffic from its own address (--etcd-bind 127.0.1.x), and the
 * nemesis also cuts a host off from every member, one member from the other
 * two, and the leader from the other two (a majority without a leader,
 * until it elects one). Without them, these faults are left out (said).
 *
 * Each host in a mount namespace of its own (hostns.h), as on separate
 * machines: a private tmpfs on /dev/shm (its instance lock) and on the
 * runtime directory (its socket and its region keeper's), the same paths
 * on every host, so that no host can reach another's region by accident.
 * Its daemon joins before exec (struct daemon's enter), its clients after
 * fork, and every statement or draw on it (the DDL process's, the setup's,
 * the checker's) in a child that joins first. Asserted once, before the
 * faults: host 0's lock and socket are seen, and a client connects, from
 * host 0's namespace, and from neither host 1's nor the test's own. Where
 * namespaces cannot be made (no CAP_SYS_ADMIN) the three hosts share the
 * test's, said on stderr, and the rest runs unchanged.
 *
 * bu is drawn in batches (shmseq_seq_nextval_n) and logged as runs, so that
 * billions of values are checked (as overlapping runs) in a short run.
 *
 * SHMSEQ_NEMESIS_SECONDS bounds the faults (the suite passes 30 in the plain
 * build, what CI runs; nothing under the sanitizers, where it skips);
 * SHMSEQ_NEMESIS_SEED replays a run (the seed is printed first). Skipped
 * (77) without etcd. A long run:
 *   SHMSEQ_NEMESIS_SECONDS=600 meson test -C build nemesis --timeout-multiplier 4 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "etcd.h"
#include "harness.h"
#include "hostns.h"
#include "partition.h"
#include "shmseq.h"
#include "util.h"

#define HOSTS 3
#define MEMBERS 3
#define PER_HOST 2 /* client processes per host */
#define CLIENTS (HOSTS * PER_HOST)
#define NSEQ 5
/* records logged per client: about what a client logs in a second on this
 * machine (12,000 in a 30 s run) times the run's length, and 2 Mi more */
#define LOG_PER_S 20000u
static uint64_t log_cap;
#define BURST 20	  /* values of cu, cy, dd per round of a client's loop */
#define BAND 1000000000LL /* dd: statement k moves it to [k·BAND, (k+1)·BAND) */
#define MAX_DDL 4096
#define CY_MAX 500
/* A host learns of another host's DDL by its poll of the definitions (every
 * 500 ms, daemon/cluster.c): values of the old state until then. With no
 * fault, a value of an older band drawn later than this after the
 * statement's acknowledgement fails the test. */
#define STALE_MS 3000

enum { S_NU, S_CU, S_CY, S_DD, S_BU };
static const char *const seq_name[NSEQ] = {"nu", "cu", "cy", "dd", "bu"};
/* bu is drawn in batches of BATCH (shmseq_seq_nextval_n) and logged as
 * runs (first, n): the volume of values checked without a log entry each */
#define BATCH 4096

/* errors the clients tolerate, by kind */
enum { E_STORE, E_UNKNOWN_SEQ, E_DOWN, E_TIMEOUT, E_OTHER, E_KINDS };
static const char *const err_name[E_KINDS] = {"9001 store unavailable", "4091 unknown sequence",
					      "daemon down (connection)", "ETIMEDOUT", "other"};

struct rec {
	int64_t v;
	uint32_t t_ms; /* when the call began, ms since the start */
	uint8_t seq;
	uint8_t pad;
	uint16_t n; /* bu: the run's length (values v, v+1, …); else 1 */
};

struct client_log {
	uint64_t n;
	uint64_t err[NSEQ][E_KINDS];
	int last_other; /* the last "other" error */
	int last_other_seq;
	bool full;
	struct rec log[];
};

enum { D_RESTART, D_SETVAL, D_DROP_CREATE, D_KINDS };
static const char *const ddl_name[D_KINDS] = {"ALTER RESTART", "SETVAL", "DROP+CREATE"};
enum { O_ACK, O_FAILED, O_UNKNOWN };

struct ddl {
	int64_t k;
	int kind, host;
	uint32_t t_start, t_end;
	int rc;	     /* of the statement that sets the band */
	int outcome; /* O_ */
};

struct shared {
	volatile int stop_clients;
	volatile int stop_ddl;
	int nddl;
	struct ddl ddl[MAX_DDL];
};

static struct etcd store[MEMBERS];
static char eps[600];
static struct daemon host[HOSTS];
/* each host's mount namespace: a private /dev/shm and runtime directory
 * (hostns.h), or the test's own where namespaces cannot be made */
static struct hostns hns[HOSTS];
static bool private_ns;
static char args[HOSTS][1024];
static struct shared *sh;
static struct client_log *logs[CLIENTS];
static uint64_t t0_ns;

static uint32_t rel_ms(void)
{
	return (uint32_t)((now_ns() - t0_ns) / 1000000u);
}

static int err_kind(int r)
{
	if (r == -SHMSEQ_ERR_STORE_UNAVAILABLE)
		return E_STORE;
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE)
		return E_UNKNOWN_SEQ;
	if (r == -ETIMEDOUT)
		return E_TIMEOUT;
	if (r == -ECONNREFUSED || r == -ECONNRESET || r == -ENOENT || r == -EPIPE || r == -ENOTCONN)
		return E_DOWN;
	return E_OTHER;
}

/* A client of host h: nu once, then BURST values of cu, cy and dd, in a
 * loop until told to stop, every value logged. */
static void client(int h, struct client_log *L)
{
	shmseq *c = NULL;
	shmseq_seq *e[NSEQ] = {0};
	if (hostns_join(&hns[h]) < 0)
		_exit(3);
	while (!sh->stop_clients) {
		if (L->n + NSEQ * BURST >= log_cap) {
			L->full = true;
			break;
		}
		if (!c) {
			int r = shmseq_connect(host[h].instance, &c);
			if (r < 0) {
				c = NULL;
				L->err[S_NU][err_kind(r)]++;
				sleep_ms(20);
				continue;
			}
		}
		bool drop_conn = false;
		for (int s = 0; s < NSEQ && !drop_conn; s++) {
			int burst = s == S_NU ? 1 : BURST;
			for (int j = 0; j < burst; j++) {
				int r = 0;
				if (!e[s] && (r = shmseq_seq_open(c, seq_name[s], &e[s])) < 0) {
					e[s] = NULL;
				} else {
					int64_t v;
					uint64_t got = 1;
					uint32_t t = rel_ms();
					r = s == S_BU ? shmseq_seq_nextval_n(e[s], BATCH, &v, &got)
						      : shmseq_seq_nextval(e[s], &v);
					if (r == 0) {
						L->log[L->n++] = (struct rec){.v = v,
									      .t_ms = t,
									      .seq = (uint8_t)s,
									      .n = (uint16_t)got};
						continue;
					}
				}
				int k = err_kind(r);
				L->err[s][k]++;
				if (k == E_OTHER) {
					L->last_other = r;
					L->last_other_seq = s;
				}
				if (k == E_DOWN || k == E_OTHER) {
					drop_conn = true;
				} else if (k == E_UNKNOWN_SEQ && e[s]) {
					shmseq_seq_close(e[s]);
					e[s] = NULL;
				}
				if (k == E_STORE)
					sleep_ms(1);
				break;
			}
		}
		if (drop_conn) {
			for (int s = 0; s < NSEQ; s++)
				shmseq_seq_close(e[s]);
			memset(e, 0, sizeof(e));
			shmseq_disconnect(c);
			c = NULL;
			sleep_ms(10);
		}
	}
	for (int s = 0; s < NSEQ; s++)
		shmseq_seq_close(e[s]);
	shmseq_disconnect(c);
	_exit(0);
}

/* Run SQL on host h, in its namespace: 0, the statement's error (a
 * positive number), -1 when no connection was made (nothing sent), -2 when
 * the connection failed after the statement may have been sent. */
static int sql_here(int h, const char *text)
{
	shmseq *c;
	if (shmseq_connect(host[h].instance, &c) < 0)
		return -1;
	shmseq_result *res = NULL;
	int r = shmseq_exec(c, text, &res);
	int e = 0;
	if (r < 0)
		e = -r >= 1000 ? -r : -2;
	for (const shmseq_result *p = res; p && !e; p = shmseq_result_next(p))
		e = shmseq_result_error(p);
	shmseq_result_free(res);
	shmseq_disconnect(c);
	return e < 0 ? (-e >= 1000 ? -e : -2) : e;
}

struct sql_call {
	int h, rc;
	char text[200];
};

static void sql_fn(void *arg)
{
	struct sql_call *q = arg;
	q->rc = sql_here(q->h, q->text);
}

static int sql(int h, const char *text)
{
	struct sql_call q = {.h = h};
	snprintf(q.text, sizeof(q.text), "%s", text);
	/* a child that died may have sent it: outcome unknown */
	return hostns_call(&hns[h], sql_fn, &q, sizeof(q)) == 0 ? q.rc : -2;
}

static int outcome_of(int rc)
{
	if (rc == 0)
		return O_ACK;
	if (rc == -2 || rc == SHMSEQ_ERR_OUTCOME_UNKNOWN)
		return O_UNKNOWN;
	return O_FAILED; /* -1 (not sent), 9001, or a definite SQL error */
}

/* The DDL process: statement k moves dd to band k, on a random host, one at
 * a time, until told to stop. */
static void ddl_proc(unsigned seed)
{
	srand48(seed);
	for (int64_t k = 1; !sh->stop_ddl && sh->nddl < MAX_DDL; k++) {
		struct ddl *d = &sh->ddl[sh->nddl];
		char text[160];
		d->k = k;
		d->kind = (int)(lrand48() % D_KINDS);
		d->host = (int)(lrand48() % HOSTS);
		d->t_start = rel_ms();
		int rc;
		switch (d->kind) {
		case D_RESTART:
			snprintf(text, sizeof(text), "ALTER SEQUENCE dd RESTART WITH %lld",
				 (long long)(k * BAND));
			rc = sql(d->host, text);
			break;
		case D_SETVAL:
			snprintf(text, sizeof(text), "SELECT SETVAL(dd, %lld)", (long long)(k * BAND));
			rc = sql(d->host, text);
			break;
		default:
			rc = sql(d->host, "DROP SEQUENCE dd");
			if (rc == 0 || outcome_of(rc) == O_UNKNOWN || rc == SHMSEQ_ERR_UNKNOWN_SEQUENCE ||
			    rc == SHMSEQ_ERR_NO_SUCH_TABLE)
				rc = 4091; /* dropped, or maybe: CREATE follows */
			else
				break;
			/* fall through */
		}
		if (rc == SHMSEQ_ERR_UNKNOWN_SEQUENCE || rc == SHMSEQ_ERR_NO_SUCH_TABLE) {
			/* dropped (now, or by an earlier DROP whose CREATE failed) */
			snprintf(text, sizeof(text), "CREATE SEQUENCE dd START WITH %lld CACHE 10",
				 (long long)(k * BAND));
			rc = sql(d->host, text);
		}
		d->t_end = rel_ms();
		d->rc = rc;
		d->outcome = outcome_of(rc);
		__atomic_store_n(&sh->nddl, sh->nddl + 1, __ATOMIC_RELEASE);
		sleep_ms(150 + lrand48() % 500);
	}
	_exit(0);
}

static bool daemon_alive(int h)
{
	int st;
	if (host[h].pid <= 0)
		return false;
	pid_t r = waitpid(host[h].pid, &st, WNOHANG);
	if (r == host[h].pid) {
		fprintf(stderr, "[%u ms] host %d's daemon (pid %d) exited by itself: status %d\n", rel_ms(),
			h, (int)host[h].pid, st);
		host[h].pid = 0;
		return false;
	}
	return true;
}

static int start_host(int h, bool no_adopt)
{
	char a[1100];
	/* args end with the redirection of stderr */
	snprintf(a, sizeof(a), "%s%s", no_adopt ? "--no-adopt " : "", args[h]);
	for (int tries = 0; tries < 5; tries++) {
		if (daemon_start(&host[h], a) == 0)
			return 0;
		fprintf(stderr, "[%u ms] host %d: the daemon did not start (try %d)\n", rel_ms(), h,
			tries + 1);
		sleep_ms(1000);
	}
	return -1;
}

enum {
	F_KILL_DAEMON,
	F_KILL_DAEMON_NO_ADOPT,
	F_KILL_MEMBER,
	F_KILL_LEADER,
	F_STOP_MEMBER,
	F_STOP_LEADER,
	F_STOP_DAEMON,
	F_CUT_HOST, /* partitions: only where the namespace works */
	F_CUT_MEMBER,
	F_CUT_LEADER,
	F_KINDS
};
#define F_NO_CUTS F_CUT_HOST /* the kinds without partitions */
static bool partitions;
static char bind_ip[HOSTS][32];
static const char *const fault_name[F_KINDS] = {"SIGKILL daemon + restart (adopt)",
						"SIGKILL daemon + restart --no-adopt",
						"SIGKILL etcd member",
						"SIGKILL etcd leader",
						"SIGSTOP etcd member",
						"SIGSTOP etcd leader",
						"SIGSTOP daemon",
						"cut host off the store",
						"cut etcd member from the others",
						"cut etcd leader from the others"};
static int faults[F_KINDS];
#define MAX_FAULTS 4096
struct fault {
	int kind, target;
	uint32_t t_start, t_end;
};
static struct fault flog[MAX_FAULTS];
static int nflog;
static int failures;

#define FAIL(...)                                                                                            \
	do {                                                                                                 \
		fprintf(stderr, "FAIL: " __VA_ARGS__);                                                       \
		failures++;                                                                                  \
	} while (0)

/* One fault, applied and healed. */
static int nemesis_step(int f)
{
	int h = (int)(lrand48() % HOSTS);
	long pause = 500 + lrand48() % 2500;
	int m = (int)(lrand48() % MEMBERS);
	if (f == F_KILL_LEADER || f == F_STOP_LEADER || f == F_CUT_LEADER) {
		int l = etcd_leader(store, MEMBERS);
		if (l < 0) /* none now */
			f = f == F_KILL_LEADER	 ? F_KILL_MEMBER
			    : f == F_STOP_LEADER ? F_STOP_MEMBER
						 : F_CUT_MEMBER;
		else
			m = l;
	}
	bool on_host = f <= F_KILL_DAEMON_NO_ADOPT || f == F_STOP_DAEMON || f == F_CUT_HOST;
	fprintf(stderr, "[%u ms] fault: %s (%s %d, %ld ms)\n", rel_ms(), fault_name[f],
		on_host ? "host" : "member", on_host ? h : m, pause);
	faults[f]++;
	struct fault *fl = nflog < MAX_FAULTS ? &flog[nflog++] : &flog[MAX_FAULTS - 1];
	*fl = (struct fault){.kind = f, .target = on_host ? h : m, .t_start = rel_ms(), .t_end = UINT32_MAX};
	switch (f) {
	case F_KILL_DAEMON:
	case F_KILL_DAEMON_NO_ADOPT:
		daemon_kill(&host[h]);
		sleep_ms(pause / 4);
		if (start_host(h, f == F_KILL_DAEMON_NO_ADOPT) < 0) {
			FAIL("host %d's daemon does not start again\n", h);
			return -1;
		}
		break;
	case F_KILL_MEMBER:
	case F_KILL_LEADER:
		kill(store[m].pid, SIGKILL);
		waitpid(store[m].pid, NULL, 0);
		store[m].pid = 0;
		sleep_ms(pause);
		if (etcd_restart(store, MEMBERS, m) < 0) {
			FAIL("etcd member %d does not start again\n", m);
			return -1;
		}
		break;
	case F_STOP_MEMBER:
	case F_STOP_LEADER:
		kill(store[m].pid, SIGSTOP);
		sleep_ms(pause);
		kill(store[m].pid, SIGCONT);
		break;
	case F_CUT_HOST:
	case F_CUT_MEMBER:
	case F_CUT_LEADER:
		if ((f == F_CUT_HOST ? partition_host(bind_ip[h], store, MEMBERS)
				     : partition_member(store, MEMBERS, m)) < 0) {
			FAIL("the cut could not be made\n");
			partition_heal();
			return -1;
		}
		sleep_ms(pause);
		if (partition_heal() < 0) {
			FAIL("the cut could not be healed\n");
			return -1;
		}
		break;
	default:
		kill(host[h].pid, SIGSTOP);
		sleep_ms(pause);
		kill(host[h].pid, SIGCONT);
		break;
	}
	fl->t_end = rel_ms();
	fprintf(stderr, "[%u ms] healed\n", rel_ms());
	return 0;
}

/* Draw one value of name from host h, retrying for 20 s: 0 or the last error. */
static int draw_here(int h, const char *name, int64_t *v)
{
	uint32_t t = rel_ms();
	int r;
	for (;;) {
		shmseq *c;
		r = shmseq_connect(host[h].instance, &c);
		if (r == 0) {
			r = shmseq_nextval(c, name, v);
			shmseq_disconnect(c);
			if (r == 0)
				return 0;
		}
		if (rel_ms() - t > 20000)
			return r;
		sleep_ms(50);
	}
}

struct draw_call {
	int h, rc;
	char name[16];
	int64_t v;
};

static void draw_fn(void *arg)
{
	struct draw_call *q = arg;
	q->rc = draw_here(q->h, q->name, &q->v);
}

/* draw_here() in host h's namespace */
static int draw(int h, const char *name, int64_t *v)
{
	struct draw_call q = {.h = h, .rc = -ECHILD};
	snprintf(q.name, sizeof(q.name), "%s", name);
	hostns_call(&hns[h], draw_fn, &q, sizeof(q));
	*v = q.v;
	return q.rc;
}

/* The cycle_count of cy (SELECT * FROM cy), or -1. */
static long long cycle_count_here(int h)
{
	shmseq *c;
	long long n = -1;
	if (shmseq_connect(host[h].instance, &c) < 0)
		return -1;
	shmseq_result *res = NULL;
	if (shmseq_exec(c, "SELECT * FROM cy", &res) == 0 && res && shmseq_result_has_rows(res) &&
	    shmseq_result_rows(res) == 1)
		for (size_t col = 0; col < shmseq_result_columns(res); col++)
			if (strcmp(shmseq_result_column_name(res, col), "cycle_count") == 0)
				n = atoll(shmseq_result_value(res, 0, col));
	shmseq_result_free(res);
	shmseq_disconnect(c);
	return n;
}

struct count_call {
	int h;
	long long n;
};

static void count_fn(void *arg)
{
	struct count_call *q = arg;
	q->n = cycle_count_here(q->h);
}

/* cycle_count_here() in host h's namespace */
static long long cycle_count(int h)
{
	struct count_call q = {.h = h, .n = -1};
	hostns_call(&hns[h], count_fn, &q, sizeof(q));
	return q.n;
}

/* cy's round in the store (its pos key, read with etcdctl): no segment of a
 * later round was granted. -1 when not read. */
static long long store_round(void)
{
	char cmd[900], line[1024];
	long long round = -1;
	snprintf(cmd, sizeof(cmd),
		 "ETCDCTL_API=3 etcdctl --command-timeout=5s --endpoints=%s get --prefix /shmseq/n%d/v1/seq/ "
		 "2>/dev/null",
		 eps, (int)getpid());
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	bool next_is_pos = false;
	while (fgets(line, sizeof(line), p)) {
		size_t n = strlen(line);
		if (next_is_pos) {
			const char *r = strstr(line, "\"round\":\"");
			if (r)
				round = atoll(r + strlen("\"round\":\""));
			next_is_pos = false;
		} else if (n > 8 && strcmp(line + n - 8, "/cy/pos\n") == 0) {
			next_is_pos = true;
		}
	}
	pclose(p);
	return round;
}

/* Between calls begun at a and at b ms (exclusive): the cy values every
 * client drew, and the times a client of host h saw cy go down (a new
 * round on h): whether a value drawn twice in a row by a client may be a
 * round apart. */
static void cy_between(uint32_t a, uint32_t b, int h, uint64_t *drawn, uint64_t *wraps, uint64_t *wraps_all)
{
	*drawn = *wraps = *wraps_all = 0;
	for (int i = 0; i < CLIENTS; i++) {
		int64_t prev = 0;
		bool have = false;
		for (uint64_t j = 0; j < logs[i]->n; j++) {
			const struct rec *r = &logs[i]->log[j];
			if (r->seq != S_CY)
				continue;
			if (r->t_ms > a && r->t_ms < b) {
				++*drawn;
				if (have && r->v <= prev) {
					*wraps += i / PER_HOST == h;
					++*wraps_all;
				}
			}
			prev = r->v;
			have = true;
		}
	}
}

static int cmp_rec_v(const void *a, const void *b)
{
	int64_t x = ((const struct rec *)a)->v, y = ((const struct rec *)b)->v;
	return x < y ? -1 : x > y;
}

/* Whether a fault was in force at some time in [a, b] (or ended less than
 * 3 s before a: a store election, a daemon catching up). */
static bool fault_between(uint32_t a, uint32_t b)
{
	for (int i = 0; i < nflog; i++)
		if (flog[i].t_start <= b && (flog[i].t_end == UINT32_MAX || flog[i].t_end + 3000 >= a))
			return true;
	return false;
}

/* The checker. */
/* cu's gaps (values no client got) against their documented bound: a gap
 * is at most a host's two segments (the live one and the one granted
 * ahead), lost to a daemon killed (adopted or not), a grant whose outcome
 * was unknown, or left unused at the end of the run. A segment is sized for
 * SEG_SECONDS of its host's demand (daemon/cluster.c), which the logs give
 * (the busiest second of any host, doubled for the growth a segment may
 * take at once); and there are at most two lost segments per fault, and two
 * per host at the end. Values sorted, all[] of cu. */
#define SEG_SECONDS 6
#define SEG_FLOOR 1000 /* SEG_MIN */
static void check_gaps(const struct rec *all, uint64_t n)
{
	uint32_t secs = 1;
	for (int i = 0; i < CLIENTS; i++)
		for (uint64_t j = 0; j < logs[i]->n; j++)
			if (logs[i]->log[j].t_ms / 1000 + 1 > secs)
				secs = logs[i]->log[j].t_ms / 1000 + 1;
	uint64_t *per = calloc((size_t)HOSTS * secs, sizeof(*per)), busiest = 0;
	if (!per) {
		FAIL("out of memory\n");
		return;
	}
	for (int i = 0; i < CLIENTS; i++)
		for (uint64_t j = 0; j < logs[i]->n; j++)
			if (logs[i]->log[j].seq == S_CU) {
				uint64_t *c =
					&per[(size_t)(i / PER_HOST) * secs + logs[i]->log[j].t_ms / 1000];
				if (++*c > busiest)
					busiest = *c;
			}
	free(per);
	uint64_t seg = 2 * busiest * SEG_SECONDS;
	seg = seg < SEG_FLOOR ? SEG_FLOOR : seg;
	uint64_t nfaults = 0, gaps = 0, largest = 0, skipped = 0;
	for (int k = 0; k < F_KINDS; k++)
		nfaults += (uint64_t)faults[k];
	for (uint64_t j = 1; j < n; j++) {
		if (all[j].v <= all[j - 1].v + 1)
			continue;
		uint64_t g = (uint64_t)(all[j].v - all[j - 1].v - 1);
		gaps++;
		skipped += g;
		largest = g > largest ? g : largest;
		if (g > 2 * seg)
			FAIL("cu: %llu values skipped after %lld (at %u ms): more than two segments of "
			     "%llu\n",
			     (unsigned long long)g, (long long)all[j - 1].v, all[j - 1].t_ms,
			     (unsigned long long)seg);
	}
	uint64_t allowed = 2 * nfaults + 2 * HOSTS;
	fprintf(stderr,
		"cu: %llu gaps (%llu values skipped, the largest %llu); bound: %llu gaps (2 per fault, 2 per "
		"host at the end), each at most two segments of %llu (%d s of the busiest host's second)\n",
		(unsigned long long)gaps, (unsigned long long)skipped, (unsigned long long)largest,
		(unsigned long long)allowed, (unsigned long long)seg, SEG_SECONDS);
	if (gaps > allowed)
		FAIL("cu: %llu gaps, more than the %llu its faults explain\n", (unsigned long long)gaps,
		     (unsigned long long)allowed);
}

static void check(int64_t final_dd[HOSTS], long long cycles)
{
	uint64_t total = 0, per_seq[NSEQ] = {0}, bu_values = 0;
	for (int i = 0; i < CLIENTS; i++)
		for (uint64_t j = 0; j < logs[i]->n; j++)
			per_seq[logs[i]->log[j].seq]++;
	/* the band each statement set: acknowledged, unknown, or failed */
	int nddl = sh->nddl;
	int64_t last_ack = 0, max_possible = 0;
	int ddl_by[D_KINDS][3] = {{0}};
	for (int i = 0; i < nddl; i++) {
		struct ddl *d = &sh->ddl[i];
		ddl_by[d->kind][d->outcome]++;
		if (d->outcome == O_ACK)
			last_ack = d->k;
		if (d->outcome != O_FAILED)
			max_possible = d->k;
	}
	for (int s = 0; s < NSEQ; s++) {
		struct rec *all = malloc(sizeof(*all) * (per_seq[s] ? per_seq[s] : 1));
		uint64_t n = 0;
		if (!all) {
			FAIL("out of memory\n");
			return;
		}
		/* per client: order, rounds, bounds */
		uint64_t decreases = 0, same = 0, oob = 0, rounds = 0, stale = 0, bad_band = 0;
		uint32_t stale_worst = 0;
		uint64_t stale_host[HOSTS] = {0}, stale_unexplained = 0;
		for (int i = 0; i < CLIENTS; i++) {
			int64_t prev = 0;
			uint32_t prev_ms = 0;
			bool have = false;
			for (uint64_t j = 0; j < logs[i]->n; j++) {
				struct rec *r = &logs[i]->log[j];
				if (r->seq != s)
					continue;
				all[n++] = *r;
				int64_t v = r->v;
				if (s == S_BU) {
					/* a run: above the client's last, from 1 */
					bu_values += r->n;
					if (v < 1 || r->n == 0 || r->n > BATCH)
						oob++;
					if (have && v <= prev)
						decreases++;
					prev = v + r->n - 1;
					have = true;
					continue;
				}
				if (s == S_CY) {
					if (v < 1 || v > CY_MAX)
						oob++;
					/* the same value twice in a row: another round
					 * when the sequence went round meanwhile (a
					 * client saw it wrap between the two calls),
					 * else a value handed out twice */
					bool again = false;
					if (have && v == prev) {
						uint64_t drawn, wraps, wraps_all;
						cy_between(prev_ms, r->t_ms, i / PER_HOST, &drawn, &wraps,
							   &wraps_all);
						again = wraps_all > 0;
						if (!again && same++ < 5)
							fprintf(stderr,
								"cy: client %d got %lld twice in a row (%u, "
								"%u ms); between them every client drew %llu "
								"values, and host %d's clients saw %llu new "
								"rounds (all hosts' %llu)\n",
								i, (long long)v, prev_ms, r->t_ms,
								(unsigned long long)drawn, i / PER_HOST,
								(unsigned long long)wraps,
								(unsigned long long)wraps_all);
					}
					if (have && (v < prev || again))
						rounds++;
				} else if (s == S_DD) {
					int64_t band = v / BAND;
					bool ok = band == 0 ? v >= 1 : false;
					for (int d = 0; d < nddl && !ok && band > 0; d++)
						ok = sh->ddl[d].k == band && sh->ddl[d].outcome != O_FAILED;
					if (!ok) {
						if (bad_band++ < 5)
							fprintf(stderr,
								"dd: value %lld (client %d, at %u ms) lies "
								"in no band "
								"an acknowledged or unknown-outcome "
								"statement set\n",
								(long long)v, i, r->t_ms);
					}
					/* stale: an older band than a statement acknowledged before the call */
					for (int d = 0; d < nddl; d++) {
						struct ddl *x = &sh->ddl[d];
						if (x->outcome == O_ACK && x->k > band &&
						    x->t_end < r->t_ms) {
							stale++;
							stale_host[i / PER_HOST]++;
							if (r->t_ms - x->t_end > stale_worst)
								stale_worst = r->t_ms - x->t_end;
							if (!fault_between(x->t_start, r->t_ms) &&
							    r->t_ms - x->t_end > STALE_MS &&
							    stale_unexplained++ < 5)
								fprintf(stderr,
									"dd: client %d (host %d) drew %lld "
									"at %u ms, "
									"%u ms after %s to band %lld was "
									"acknowledged "
									"(on host %d, %u-%u ms), no fault "
									"meanwhile\n",
									i, i / PER_HOST, (long long)v,
									r->t_ms, r->t_ms - x->t_end,
									ddl_name[x->kind], (long long)x->k,
									x->host, x->t_start, x->t_end);
							break;
						}
					}
					if (have && v / BAND == prev / BAND && v <= prev)
						decreases++;
				} else {
					if (v < 1)
						oob++;
					if (have && v <= prev) {
						if (decreases++ < 5)
							fprintf(stderr,
								"%s: client %d got %lld after %lld (at %u "
								"ms)\n",
								seq_name[s], i, (long long)v, (long long)prev,
								r->t_ms);
					}
				}
				prev = v;
				prev_ms = r->t_ms;
				have = true;
			}
		}
		total += n;
		/* duplicates across every client (dd: across bands too, which never
		 * share values; cy: counted per value against the rounds) */
		uint64_t dups = 0, distinct = 0, most = 0;
		if (n) {
			qsort(all, n, sizeof(*all), cmp_rec_v);
			uint64_t run = 1;
			/* bu: runs in order of their first value; every value a run
			 * shares with those before it (up to the furthest end seen)
			 * is a duplicate */
			int64_t reach = INT64_MIN; /* the furthest value covered so far */
			for (uint64_t j = 0; j < n && s == S_BU; j++) {
				int64_t last = all[j].v + all[j].n - 1;
				if (j && all[j].v <= reach) {
					int64_t upto = last < reach ? last : reach;
					uint64_t common = (uint64_t)(upto - all[j].v + 1);
					if (dups < 10)
						fprintf(stderr,
							"DUPLICATE bu values %lld-%lld: drawn at %u ms\n",
							(long long)all[j].v, (long long)upto, all[j].t_ms);
					dups += common;
					distinct += all[j].n - common;
				} else {
					distinct += all[j].n;
				}
				reach = last > reach ? last : reach;
			}
			for (uint64_t j = 0; j < n && s != S_BU; j++) {
				if (j && all[j].v == all[j - 1].v) {
					run++;
					if (s != S_CY) {
						if (dups++ < 10)
							fprintf(stderr,
								"DUPLICATE %s value %lld: drawn at %u ms and "
								"at %u "
								"ms\n",
								seq_name[s], (long long)all[j].v,
								all[j - 1].t_ms, all[j].t_ms);
					}
				} else {
					distinct++;
					run = 1;
				}
				most = run > most ? run : most;
			}
			if (s == S_CU)
				check_gaps(all, n);
		}
		fprintf(stderr,
			"%s: %llu %s (%llu distinct values), smallest %lld, largest %lld, %llu duplicates, "
			"%llu "
			"out of bounds, %llu not increasing per client",
			seq_name[s], (unsigned long long)n, s == S_BU ? "batches" : "values",
			(unsigned long long)distinct, n ? (long long)all[0].v : 0,
			n ? (long long)all[n - 1].v : 0, (unsigned long long)dups, (unsigned long long)oob,
			(unsigned long long)decreases);
		if (s == S_CY)
			fprintf(stderr,
				", %llu rounds seen by clients, %llu repeats within a client's round, a "
				"value at most %llu "
				"times, round %lld in the store",
				(unsigned long long)rounds, (unsigned long long)same,
				(unsigned long long)most, cycles);
		if (s == S_DD)
			fprintf(stderr,
				", %llu in a band no statement set, %llu from an older band after an "
				"acknowledgement "
				"(the latest %u ms after; by host %llu %llu %llu; %llu more than %d ms after "
				"with no "
				"fault between the statement and the draw)",
				(unsigned long long)bad_band, (unsigned long long)stale, stale_worst,
				(unsigned long long)stale_host[0], (unsigned long long)stale_host[1],
				(unsigned long long)stale_host[2], (unsigned long long)stale_unexplained,
				STALE_MS);
		fprintf(stderr, "\n");
		if (n == 0)
			FAIL("%s: no value drawn\n", seq_name[s]);
		if (dups)
			FAIL("%s: %llu duplicates\n", seq_name[s], (unsigned long long)dups);
		if (oob)
			FAIL("%s: %llu values out of bounds\n", seq_name[s], (unsigned long long)oob);
		if (decreases)
			FAIL("%s: %llu values not above the client's previous one\n", seq_name[s],
			     (unsigned long long)decreases);
		if (same)
			FAIL("%s: %llu values repeated within a client's round\n", seq_name[s],
			     (unsigned long long)same);
		if (stale_unexplained)
			FAIL("%s: %llu values of an older band more than %d ms after a statement was "
			     "acknowledged, with no fault meanwhile\n",
			     seq_name[s], (unsigned long long)stale_unexplained, STALE_MS);
		if (bad_band)
			FAIL("%s: %llu values in a band no statement set\n", seq_name[s],
			     (unsigned long long)bad_band);
		/* cy: a value once per round at most (cycle_count rounds completed) */
		if (s == S_CY && cycles >= 0 && most > (uint64_t)cycles + 1)
			FAIL("cy: a value drawn %llu times in %lld rounds\n", (unsigned long long)most,
			     cycles + 1);
		free(all);
	}
	fprintf(stderr, "DDL statements: %d", nddl);
	for (int k = 0; k < D_KINDS; k++)
		fprintf(stderr, "; %s %d acknowledged, %d failed, %d outcome unknown", ddl_name[k],
			ddl_by[k][O_ACK], ddl_by[k][O_FAILED], ddl_by[k][O_UNKNOWN]);
	fprintf(stderr, "\n");
	/* no acknowledged DDL lost: every host now serves dd from the last
	 * acknowledged band or a later possible one */
	for (int h = 0; h < HOSTS; h++) {
		int64_t band = final_dd[h] / BAND;
		fprintf(stderr, "host %d serves dd %lld after the run (band %lld; last acknowledged %lld)\n",
			h, (long long)final_dd[h], (long long)band, (long long)last_ack);
		if (band < last_ack || band > max_possible)
			FAIL("host %d serves dd from band %lld: the last acknowledged statement set band "
			     "%lld\n",
			     h, (long long)band, (long long)last_ack);
	}
	/* bu's records are runs: count their values */
	total += bu_values - per_seq[S_BU];
	fprintf(stderr, "values checked: %llu (bu: %llu in %llu batches of up to %d)\n",
		(unsigned long long)total, (unsigned long long)bu_values, (unsigned long long)per_seq[S_BU],
		BATCH);
}

static void show_logs(void)
{
	for (int i = 0; i < HOSTS; i++) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "echo '--- host %d:' >&2; tail -n 40 %s/daemon.log >&2", i,
			 host[i].dir);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log of host %d)\n", i);
	}
}

/* What a process sees of host h's daemon: its instance lock in /dev/shm,
 * its socket, and whether a client connects. */
struct probe {
	int h;
	bool lock, sock, connects;
};

static void probe_fn(void *arg)
{
	struct probe *p = arg;
	char name[160], path[4400];
	const char *run = getenv("SHMSEQ_RUNTIME_DIR");
	if (util_instance_lock_name(host[p->h].instance, name, sizeof(name)) == 0) {
		snprintf(path, sizeof(path), "/dev/shm%s", name);
		p->lock = access(path, F_OK) == 0;
	}
	snprintf(path, sizeof(path), "%s/%s.sock", run ? run : "", host[p->h].instance);
	p->sock = access(path, F_OK) == 0;
	shmseq *c;
	p->connects = shmseq_connect(host[p->h].instance, &c) == 0;
	if (p->connects)
		shmseq_disconnect(c);
}

/* The namespaces are private: host 0's daemon (its instance lock in
 * /dev/shm, its socket) is seen and reached from host 0's namespace, from
 * neither host 1's nor the test's own. 0 or -1 (said). */
static int check_private(void)
{
	struct hostns own = {0};
	const struct hostns *where[] = {&hns[0], &hns[1], &own};
	const char *const what[] = {"host 0's namespace", "host 1's namespace", "the test's namespace"};
	int r = 0;
	for (int i = 0; i < 3; i++) {
		struct probe p = {.h = 0};
		if (hostns_call(where[i], probe_fn, &p, sizeof(p)) < 0) {
			fprintf(stderr, "no process could look from %s\n", what[i]);
			return -1;
		}
		bool want = i == 0;
		fprintf(stderr, "from %s: host 0's instance lock %s, its socket %s, a client %s\n", what[i],
			p.lock ? "seen" : "not seen", p.sock ? "seen" : "not seen",
			p.connects ? "connects" : "does not connect");
		if (p.lock != want || p.sock != want || p.connects != want) {
			fprintf(stderr, "host 0's daemon %s from %s\n",
				want ? "is not all there" : "is visible", what[i]);
			r = -1;
		}
	}
	return r;
}

int main(int argc, char **argv)
{
	if (!etcd_available()) {
		fprintf(stderr, "etcd is not installed: skipping\n");
		return 77;
	}
	/* SHMSEQ_NEMESIS_SECONDS, else the argument (the suite's: 30 in the
	 * plain build, none under the sanitizers) */
	const char *env = getenv("SHMSEQ_NEMESIS_SECONDS");
	if (!env && argc > 1)
		env = argv[1];
	if (!env || atoi(env) <= 0) {
		fprintf(stderr,
			"nemesis: runs on request (SHMSEQ_NEMESIS_SECONDS=35) or in the plain build's "
			"suite: skipping\n");
		return 77;
	}
	int seconds = atoi(env);
	log_cap = (2u << 20) + (uint64_t)seconds * LOG_PER_S;
	partitions = partition_enter() == 0;
	if (!partitions)
		fprintf(stderr, "nemesis: no partitions (see above), only kills and pauses\n");
	env = getenv("SHMSEQ_NEMESIS_SEED");
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)(time(NULL) ^ getpid());
	fprintf(stderr, "nemesis: seed %u (SHMSEQ_NEMESIS_SEED=%u replays it), %d s of faults\n", seed, seed,
		seconds);
	srand48(seed);
	t0_ns = now_ns();

	sh = shared_alloc(sizeof(*sh));
	for (int i = 0; i < CLIENTS; i++)
		logs[i] = shared_alloc(sizeof(struct client_log) + sizeof(struct rec) * log_cap);
	if (!sh)
		return 1;
	for (int i = 0; i < CLIENTS; i++)
		if (!logs[i])
			return 1;

	if (etcd_cluster_start(store, MEMBERS, eps, sizeof(eps)) < 0)
		return 1;
	char run[300];
	for (int i = 0; i < HOSTS; i++) {
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "nm%d", i);
		daemon_setup(&host[i], prefix);
		if (i == 0)
			snprintf(run, sizeof(run), "%s", getenv("SHMSEQ_RUNTIME_DIR"));
	}
	setenv("SHMSEQ_RUNTIME_DIR", run, 1); /* one runtime directory for the three */
	/* each host in a mount namespace of its own: /dev/shm and the runtime
	 * directory private to it (the same path on every host, as on
	 * separate machines) */
	private_ns = true;
	for (int i = 0; i < HOSTS && private_ns; i++)
		private_ns = hostns_create(&hns[i], run) == 0;
	if (private_ns) {
		for (int i = 0; i < HOSTS; i++) {
			host[i].enter = hostns_enter;
			host[i].enter_arg = &hns[i];
		}
		fprintf(stderr,
			"nemesis: each host in a mount namespace of its own (/dev/shm and %s private)\n",
			run);
	} else {
		for (int i = 0; i < HOSTS; i++)
			hostns_end(&hns[i]);
		fprintf(stderr,
			"nemesis: no mount namespace per host (see above): the three hosts share the test's "
			"/dev/shm and %s\n",
			run);
	}
	int rc = 1;
	pid_t kids[CLIENTS] = {0}, ddl_pid = 0;
	for (int i = 0; i < HOSTS; i++) {
		char bind[64] = "";
		snprintf(bind_ip[i], sizeof(bind_ip[i]), "127.0.1.%d", i + 1);
		if (partitions)
			snprintf(bind, sizeof(bind), " --etcd-bind %s", bind_ip[i]);
		snprintf(args[i], sizeof(args[i]), "--etcd %s%s --cluster n%d --host h%d 2>>%s/daemon.log",
			 eps, bind, (int)getpid(), i, host[i].dir);
		if (start_host(i, false) < 0) {
			fprintf(stderr, "host %d's daemon did not start\n", i);
			goto out;
		}
	}
	if (private_ns && check_private() < 0) {
		fprintf(stderr, "the hosts' namespaces are not private\n");
		goto out;
	}
	const char *ddl_text[] = {"CREATE SEQUENCE nu NOCACHE", "CREATE SEQUENCE cu CACHE 100",
				  "CREATE SEQUENCE cy MINVALUE 1 MAXVALUE 500 CACHE 10 CYCLE",
				  "CREATE SEQUENCE dd CACHE 10", "CREATE SEQUENCE bu CACHE 10000"};
	for (int s = 0; s < NSEQ; s++) {
		int r = sql(s % HOSTS, ddl_text[s]);
		if (r != 0) {
			fprintf(stderr, "%s: %d\n", ddl_text[s], r);
			goto out;
		}
	}
	for (int h = 0; h < HOSTS; h++)
		for (int s = 0; s < NSEQ; s++) {
			int64_t v;
			if (draw(h, seq_name[s], &v) != 0) {
				fprintf(stderr, "host %d does not serve %s\n", h, seq_name[s]);
				goto out;
			}
		}

	for (int i = 0; i < CLIENTS; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			goto out;
		if (kids[i] == 0)
			client(i / PER_HOST, logs[i]);
	}
	ddl_pid = fork();
	if (ddl_pid < 0)
		goto out;
	if (ddl_pid == 0)
		ddl_proc(seed ^ 0x5eed);

	uint32_t end = rel_ms() + (uint32_t)seconds * 1000;
	int steps = 0;
	while (rel_ms() < end && !failures) {
		sleep_ms(300 + lrand48() % 1200);
		for (int h = 0; h < HOSTS; h++)
			if (!daemon_alive(h))
				FAIL("host %d's daemon died without a fault\n", h);
		if (failures || nemesis_step((int)(lrand48() % (partitions ? F_KINDS : F_NO_CUTS))) < 0)
			break;
		steps++;
	}
	sh->stop_ddl = 1;
	int st;
	waitpid(ddl_pid, &st, 0);
	ddl_pid = 0;
	sleep_ms(500);
	sh->stop_clients = 1;
	for (int i = 0; i < CLIENTS; i++) {
		waitpid(kids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			FAIL("client %d ended with status %d\n", i, st);
		kids[i] = 0;
	}
	/* after the faults: every host serves every sequence again */
	int64_t final_dd[HOSTS] = {0};
	for (int h = 0; h < HOSTS; h++) {
		int64_t v;
		for (int s = 0; s < NSEQ; s++) {
			int r = draw(h, seq_name[s], s == S_DD ? &final_dd[h] : &v);
			if (r != 0)
				FAIL("host %d does not serve %s after the faults: %s\n", h, seq_name[s],
				     shmseq_strerror(r));
		}
	}
	for (int h = 0; h < HOSTS; h++)
		fprintf(stderr, "host %d: cy's cycle_count %lld\n", h, cycle_count(h));
	long long cycles = store_round();
	fprintf(stderr, "the store: cy's round %lld\n", cycles);
	if (cycles < 0)
		FAIL("cy's round not read from the store\n");
	fprintf(stderr, "faults: %d", steps);
	for (int f = 0; f < (partitions ? F_KINDS : F_NO_CUTS); f++)
		fprintf(stderr, "; %s %d", fault_name[f], faults[f]);
	fprintf(stderr, "\n");
	uint64_t errs[E_KINDS] = {0};
	for (int i = 0; i < CLIENTS; i++) {
		for (int s = 0; s < NSEQ; s++)
			for (int k = 0; k < E_KINDS; k++)
				errs[k] += logs[i]->err[s][k];
		if (logs[i]->last_other)
			fprintf(stderr, "client %d: last other error %d (%s) on %s\n", i, logs[i]->last_other,
				shmseq_strerror(logs[i]->last_other), seq_name[logs[i]->last_other_seq]);
		if (logs[i]->full)
			fprintf(stderr, "client %d: its log filled up (%llu records): it stopped drawing\n",
				i, (unsigned long long)log_cap);
	}
	fprintf(stderr, "client errors tolerated:");
	for (int k = 0; k < E_KINDS; k++)
		fprintf(stderr, " %s %llu;", err_name[k], (unsigned long long)errs[k]);
	fprintf(stderr, "\n");
	check(final_dd, cycles);
	rc = failures ? 1 : 0;
out:
	sh->stop_ddl = 1;
	sh->stop_clients = 1;
	if (ddl_pid > 0)
		waitpid(ddl_pid, NULL, 0);
	for (int i = 0; i < CLIENTS; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	for (int m = 0; m < MEMBERS; m++)
		if (store[m].pid > 0)
			kill(store[m].pid, SIGCONT);
	for (int h = 0; h < HOSTS; h++)
		if (host[h].pid > 0)
			kill(host[h].pid, SIGCONT);
	if (partitions)
		partition_heal();
	if (rc != 0) {
		fprintf(stderr, "nemesis: FAILED with seed %u\n", seed);
		show_logs();
	}
	for (int i = HOSTS; i-- > 0;)
		daemon_teardown(&host[i]);
	for (int i = 0; i < HOSTS; i++)
		hostns_end(&hns[i]);
	for (int m = 0; m < MEMBERS; m++)
		etcd_stop(&store[m]);
	return rc;
}
