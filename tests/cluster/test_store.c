/* SPDX-License-Identifier: MIT */
/* test_store.c — the daemon's etcd client (daemon/store.c) against a real
 * etcd started here on 127.0.0.11 (and fake servers on 127.0.0.1 for the
 * answers etcd does not give on demand): keys and values as bytes, ranges,
 * Txn with both branches, fail-over past dead endpoints, time-outs that end
 * every request, writes whose outcome is unknown reported as ambiguous
 * (never as failed), answers that are not etcd's, authentication.
 * Skipped (77) when etcd is not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etcd.h"
#include "store.h"

static struct etcd etcd;
#define etcd_url (etcd.url)
#define etcd_pid (etcd.pid)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- a request run to its end ------------------------------------------- */

struct got {
	bool done;
	struct store_reply r;
	char keys[8][64];
	char values[8][64];
	int64_t mod[8];
	size_t nkv;
	size_t nranges;
	char error[256];
	char endpoint[128];
};

static void on_reply(void *ctx, const struct store_reply *r)
{
	struct got *g = ctx;
	g->done = true;
	g->r = *r;
	g->r.ranges = NULL;
	g->nranges = r->nranges;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	snprintf(g->endpoint, sizeof(g->endpoint), "%s", r->endpoint ? r->endpoint : "");
	g->nkv = 0;
	for (size_t i = 0; i < r->nranges; i++)
		for (size_t k = 0; k < r->ranges[i].count && g->nkv < 8; k++, g->nkv++) {
			const struct store_kv *kv = &r->ranges[i].kvs[k];
			snprintf(g->keys[g->nkv], 64, "%.*s", (int)kv->key_len, (const char *)kv->key);
			snprintf(g->values[g->nkv], 64, "%.*s", (int)kv->value_len, (const char *)kv->value);
			g->mod[g->nkv] = kv->mod_revision;
		}
}

static void run(struct store *st, struct got *g)
{
	assert_int_equal(store_wait(st, 10000), 0);
	assert_true(g->done);
	if (g->r.status != STORE_OK)
		printf("# %s: %s\n", store_status_name(g->r.status), g->error);
}

static struct store *open_store(const char *endpoints, long timeout_ms)
{
	struct store_config cfg = {
		.endpoints = endpoints, .timeout_ms = timeout_ms, .connect_timeout_ms = 300};
	struct store *st;
	char err[256];
	int r = store_open(&cfg, &st, err, sizeof(err));
	if (r < 0)
		fail_msg("store_open: %s", err);
	return st;
}

static struct got put(struct store *st, const char *k, const char *v)
{
	struct got g = {0};
	assert_int_equal(store_put(st, k, strlen(k), v, strlen(v), on_reply, &g), 0);
	run(st, &g);
	return g;
}

static struct got get(struct store *st, const char *k)
{
	struct got g = {0};
	assert_int_equal(store_range(st, k, strlen(k), NULL, 0, on_reply, &g), 0);
	run(st, &g);
	return g;
}

/* --- etcd ---------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	if (!etcd_available()) {
		printf("# etcd is not installed (Debian: etcd-server): skipped\n");
		exit(77);
	}
	return etcd_start(&etcd, "127.0.0.11");
}

static int group_teardown(void **state)
{
	(void)state;
	etcd_stop(&etcd);
	return 0;
}

/* --- a fake server: accepts, reads a request, answers with a canned
 * response (or never, when it is NULL) ------------------------------------ */

struct fake {
	int lfd;
	int port;
	const char *answer;
	pthread_t th;
	volatile bool stop;
};

static void *fake_main(void *p)
{
	struct fake *f = p;
	while (!f->stop) {
		int c = accept(f->lfd, NULL, NULL);
		if (c < 0)
			break;
		char buf[4096];
		ssize_t n = 0, k;
		/* the headers and a small body */
		while (n < (ssize_t)sizeof(buf) - 1 &&
		       (k = read(c, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0) {
			n += k;
			buf[n] = 0;
			char *body = strstr(buf, "\r\n\r\n");
			char *cl = strcasestr(buf, "Content-Length:");
			if (body && cl && (size_t)(buf + n - (body + 4)) >= (size_t)atol(cl + 15))
				break;
		}
		if (f->answer) {
			ssize_t w = write(c, f->answer, strlen(f->answer));
			(void)w;
			close(c);
		} else {
			/* hold it: the client's time-out ends it */
			struct timespec ts = {1, 0};
			for (int i = 0; i < 5 && !f->stop; i++)
				nanosleep(&ts, NULL);
			close(c);
		}
	}
	return NULL;
}

static void fake_start(struct fake *f, const char *answer)
{
	memset(f, 0, sizeof(*f));
	f->answer = answer;
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
	f->port = ntohs(a.sin_port);
	assert_int_equal(listen(f->lfd, 8), 0);
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	f->stop = true;
	shutdown(f->lfd, SHUT_RDWR);
	close(f->lfd);
	pthread_join(f->th, NULL);
}

/* A port on 127.0.0.1 where nothing listens. */
static int dead_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

/* --- the tests ------------------------------------------------------------ */

static void test_put_range_bytes(void **state)
{
	(void)state;
	struct store *st = open_store(etcd_url, 2000);
	struct got g = put(st, "/t/a", "one");
	assert_int_equal(g.r.status, STORE_OK);
	int64_t rev = g.r.revision;
	assert_true(rev > 0);
	g = put(st, "/t/b", "two");
	assert_int_equal(g.r.status, STORE_OK);
	assert_int_equal(g.r.revision, rev + 1);

	/* bytes, NUL included, both ways */
	static const char bk[] = {'/', 't', '/', 'z', 0, (char)0xff};
	static const char bv[] = {0, 1, 2, (char)0xfe, 'x'};
	g = (struct got){0};
	assert_int_equal(store_put(st, bk, sizeof(bk), bv, sizeof(bv), on_reply, &g), 0);
	run(st, &g);
	assert_int_equal(g.r.status, STORE_OK);

	struct got r = {0};
	const char *end = "/t0"; /* the prefix /t/ */
	assert_int_equal(store_range(st, "/t/", 3, end, 3, on_reply, &r), 0);
	run(st, &r);
	assert_int_equal(r.r.status, STORE_OK);
	assert_int_equal(r.nranges, 1);
	assert_int_equal(r.nkv, 3);
	assert_string_equal(r.keys[0], "/t/a");
	assert_string_equal(r.values[0], "one");
	assert_int_equal(r.mod[0], rev);
	assert_string_equal(r.keys[1], "/t/b");
	assert_true(r.r.revision >= rev + 2);

	/* an absent key: OK, nothing (proto3 leaves "kvs" out) */
	g = get(st, "/t/none");
	assert_int_equal(g.r.status, STORE_OK);
	assert_int_equal(g.nkv, 0);

	g = (struct got){0};
	assert_int_equal(store_delete(st, "/t/", 3, end, 3, on_reply, &g), 0);
	run(st, &g);
	assert_int_equal(g.r.status, STORE_OK);
	assert_int_equal(get(st, "/t/a").nkv, 0);
	store_close(st);
}

/* The segment grant's shape: If mod_revision(pos) == R Then put Else range. */
static void test_txn_branches(void **state)
{
	(void)state;
	struct store *st = open_store(etcd_url, 2000);
	struct got g = put(st, "/x/pos", "100");
	int64_t R = g.r.revision;
	struct store_cmp cmp = {
		.key = "/x/pos", .key_len = 6, .target = STORE_CMP_MOD, .result = STORE_EQUAL, .number = R};
	struct store_op ok[] = {
		{.kind = STORE_OP_PUT, .key = "/x/pos", .key_len = 6, .value = "200", .value_len = 3},
		{.kind = STORE_OP_PUT, .key = "/x/hold", .key_len = 7, .value = "100-199", .value_len = 7}};
	struct store_op no[] = {
		{.kind = STORE_OP_RANGE, .key = "/x/", .key_len = 3, .range_end = "/x0", .range_end_len = 3}};
	struct store_txn txn = {
		.cmp = &cmp, .ncmp = 1, .success = ok, .nsuccess = 2, .failure = no, .nfailure = 1};
	struct got t = {0};
	assert_int_equal(store_txn(st, &txn, on_reply, &t), 0);
	run(st, &t);
	assert_int_equal(t.r.status, STORE_OK);
	assert_true(t.r.succeeded);
	assert_int_equal(t.nranges, 0);
	assert_string_equal(get(st, "/x/pos").values[0], "200");

	/* the same R again: stale, the failure branch returns the fresh state */
	t = (struct got){0};
	assert_int_equal(store_txn(st, &txn, on_reply, &t), 0);
	run(st, &t);
	assert_int_equal(t.r.status, STORE_OK);
	assert_false(t.r.succeeded);
	assert_int_equal(t.nranges, 1);
	assert_int_equal(t.nkv, 2);
	assert_string_equal(t.keys[0], "/x/hold");
	assert_string_equal(t.keys[1], "/x/pos");
	assert_string_equal(t.values[1], "200");
	assert_true(t.mod[1] > R);

	/* a compare on a value, and on a key's absence (version 0) */
	struct store_cmp c2[] = {{.key = "/x/pos",
				  .key_len = 6,
				  .target = STORE_CMP_VALUE,
				  .result = STORE_EQUAL,
				  .value = "200",
				  .value_len = 3},
				 {.key = "/x/new",
				  .key_len = 6,
				  .target = STORE_CMP_VERSION,
				  .result = STORE_EQUAL,
				  .number = 0}};
	struct store_op put_new = {
		.kind = STORE_OP_PUT, .key = "/x/new", .key_len = 6, .value = "1", .value_len = 1};
	struct store_txn t2 = {.cmp = c2, .ncmp = 2, .success = &put_new, .nsuccess = 1};
	t = (struct got){0};
	assert_int_equal(store_txn(st, &t2, on_reply, &t), 0);
	run(st, &t);
	assert_true(t.r.succeeded);
	t = (struct got){0};
	assert_int_equal(store_txn(st, &t2, on_reply, &t), 0);
	run(st, &t);
	assert_int_equal(t.r.status, STORE_OK);
	assert_false(t.r.succeeded);
	store_close(st);
}

/* Dead endpoints first: the request goes on to the live one, and the next
 * request starts there. */
static void test_failover(void **state)
{
	(void)state;
	char eps[256];
	snprintf(eps, sizeof(eps), "http://127.0.0.1:%d, http://127.0.0.1:%d/,%s", dead_port(), dead_port(),
		 etcd_url);
	struct store *st = open_store(eps, 3000);
	assert_null(store_current(st));
	double t0 = now_s();
	struct got g = put(st, "/f/a", "1");
	assert_int_equal(g.r.status, STORE_OK);
	assert_string_equal(g.endpoint, etcd_url);
	assert_string_equal(store_current(st), etcd_url);
	g = get(st, "/f/a");
	assert_int_equal(g.r.status, STORE_OK);
	assert_string_equal(g.values[0], "1");
	printf("# fail-over past 2 dead endpoints: %.1f ms\n", (now_s() - t0) * 1e3);
	store_close(st);

	/* nothing alive: unavailable, at once (refused connections) */
	snprintf(eps, sizeof(eps), "http://127.0.0.1:%d,http://127.0.0.1:%d", dead_port(), dead_port());
	st = open_store(eps, 3000);
	t0 = now_s();
	g = put(st, "/f/b", "1");
	assert_int_equal(g.r.status, STORE_UNAVAILABLE);
	assert_true(now_s() - t0 < 1.0);
	assert_non_null(strstr(g.error, "no store endpoint answered"));
	store_close(st);
}

/* A server that takes the request and never answers: the write's outcome
 * is unknown (ambiguous), the read is unavailable; both end by the
 * time-out. */
static void test_timeouts(void **state)
{
	(void)state;
	struct fake f;
	fake_start(&f, NULL);
	char eps[64];
	snprintf(eps, sizeof(eps), "http://127.0.0.1:%d", f.port);
	struct store *st = open_store(eps, 300);
	double t0 = now_s();
	struct got g = put(st, "/k", "v");
	double took = now_s() - t0;
	assert_int_equal(g.r.status, STORE_AMBIGUOUS);
	assert_true(took >= 0.25 && took < 2.0);
	t0 = now_s();
	g = get(st, "/k");
	assert_int_equal(g.r.status, STORE_UNAVAILABLE);
	assert_true(now_s() - t0 < 2.0);
	store_close(st);
	fake_stop(&f);

	/* a paused etcd: the same */
	st = open_store(etcd_url, 400);
	assert_int_equal(put(st, "/k", "1").r.status, STORE_OK);
	kill(etcd_pid, SIGSTOP);
	g = put(st, "/k", "2");
	assert_int_equal(g.r.status, STORE_AMBIGUOUS);
	kill(etcd_pid, SIGCONT);
	/* the next request after it goes through */
	for (int i = 0; i < 20; i++) {
		g = get(st, "/k");
		if (g.r.status == STORE_OK)
			break;
	}
	assert_int_equal(g.r.status, STORE_OK);
	store_close(st);
}

/* Answers that are not etcd's, and etcd's error replies: a write refused
 * before it could apply is rejected; one that may have applied (etcd's
 * "request timed out", Unavailable) is ambiguous. */
static void test_bad_answers(void **state)
{
	(void)state;
	static const struct {
		const char *status, *body;
		enum store_status put, range;
	} cases[] = {
		{"200 OK", "hello", STORE_BAD_REPLY, STORE_BAD_REPLY},
		{"200 OK", "{\"kvs\":[{\"key\":\"!!notb64\"}]}", STORE_OK, STORE_BAD_REPLY},
		{"200 OK", "{\"header\":{\"revision\":\"x1\"}}", STORE_BAD_REPLY, STORE_BAD_REPLY},
		{"200 OK", "{\"kvs\":{}}", STORE_OK, STORE_BAD_REPLY},
		{"503 Service Unavailable", "{\"error\":\"etcdserver: request timed out\",\"code\":14}",
		 STORE_AMBIGUOUS, STORE_REJECTED},
		{"400 Bad Request",
		 "{\"error\":\"bad\",\"code\":3,\"message\":\"etcdserver: key is not provided\"}",
		 STORE_REJECTED, STORE_REJECTED},
		{"502 Bad Gateway", "<a>", STORE_BAD_REPLY, STORE_BAD_REPLY},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char answer[512];
		snprintf(answer, sizeof(answer),
			 "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", cases[i].status,
			 strlen(cases[i].body), cases[i].body);
		struct fake f;
		fake_start(&f, answer);
		char eps[64];
		snprintf(eps, sizeof(eps), "http://127.0.0.1:%d", f.port);
		struct store *st = open_store(eps, 1000);
		struct got g = put(st, "/k", "v");
		printf("# case %zu: put %s, ", i, store_status_name(g.r.status));
		assert_int_equal(g.r.status, cases[i].put);
		g = get(st, "/k");
		printf("range %s\n", store_status_name(g.r.status));
		assert_int_equal(g.r.status, cases[i].range);
		store_close(st);
		fake_stop(&f);
	}
	/* configuration errors */
	struct store *st;
	char err[256];
	struct store_config bad = {.endpoints = "ftp://x"};
	assert_int_equal(store_open(&bad, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not an http:// or https:// URL"));
	bad.endpoints = " , ";
	assert_int_equal(store_open(&bad, &st, err, sizeof(err)), -EINVAL);
}

static int etcdctl(const char *args)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ETCDCTL_API=3 etcdctl --endpoints=%s %s >/dev/null 2>&1", etcd_url, args);
	return system(cmd);
}

/* User and password: a token first, then the requests; a wrong password
 * fails every waiting request with the reason. */
static void test_auth(void **state)
{
	(void)state;
	if (system("command -v etcdctl >/dev/null 2>&1") != 0) {
		skip();
	}
	assert_int_equal(etcdctl("user add root:rootpw"), 0);
	assert_int_equal(etcdctl("auth enable"), 0);
	struct store_config cfg = {
		.endpoints = etcd_url, .user = "root", .password = "rootpw", .timeout_ms = 2000};
	struct store *st;
	char err[256];
	assert_int_equal(store_open(&cfg, &st, err, sizeof(err)), 0);
	struct got a = {0}, b = {0};
	assert_int_equal(store_put(st, "/a/1", 4, "x", 1, on_reply, &a), 0);
	assert_int_equal(store_range(st, "/a/1", 4, NULL, 0, on_reply, &b), 0);
	assert_int_equal(store_wait(st, 5000), 0);
	assert_int_equal(a.r.status, STORE_OK);
	assert_int_equal(b.r.status, STORE_OK);
	store_close(st);

	cfg.password = "wrong";
	assert_int_equal(store_open(&cfg, &st, err, sizeof(err)), 0);
	a = (struct got){0};
	assert_int_equal(store_put(st, "/a/2", 4, "x", 1, on_reply, &a), 0);
	assert_int_equal(store_wait(st, 5000), 0);
	assert_int_equal(a.r.status, STORE_AUTH_FAILED);
	printf("# %s\n", a.error);
	store_close(st);

	/* without credentials the store refuses (not applied) */
	st = open_store(etcd_url, 2000);
	a = put(st, "/a/3", "x");
	assert_int_equal(a.r.status, STORE_REJECTED);
	store_close(st);
	assert_int_equal(etcdctl("--user root:rootpw auth disable"), 0);
	assert_int_equal(etcdctl("user delete root"), 0);
}

/* A watch: puts and a delete under a prefix arrive in order, with their
 * revisions, over a stream opened past a dead endpoint; a watch from an old
 * revision replays what it missed; a restarted stream goes on after the
 * last revision seen, with nothing twice. */
struct seen {
	int resyncs;
	size_t n;
	char keys[16][64], values[16][64];
	bool deleted[16];
	int64_t mod[16];
};

static void on_events(void *ctx, const struct store_event *ev, size_t n, bool resync)
{
	struct seen *s = ctx;
	s->resyncs += resync;
	for (size_t i = 0; i < n && s->n < 16; i++, s->n++) {
		snprintf(s->keys[s->n], 64, "%.*s", (int)ev[i].kv.key_len, (const char *)ev[i].kv.key);
		snprintf(s->values[s->n], 64, "%.*s", (int)ev[i].kv.value_len, (const char *)ev[i].kv.value);
		s->deleted[s->n] = ev[i].deleted;
		s->mod[s->n] = ev[i].kv.mod_revision;
	}
}

/* Run the store's loop until cond or 5 s. */
#define SPIN(st, cond)                                                                                       \
	do {                                                                                                 \
		double until_ = now_s() + 5;                                                                 \
		while (!(cond) && now_s() < until_) {                                                        \
			struct pollfd p_ = {.fd = store_fd(st), .events = POLLIN};                           \
			if (poll(&p_, 1, 50) > 0)                                                            \
				store_dispatch(st);                                                          \
		}                                                                                            \
	} while (0)

static void test_watch(void **state)
{
	(void)state;
	char eps[256];
	snprintf(eps, sizeof(eps), "http://127.0.0.1:%d,%s", dead_port(), etcd_url);
	struct store *st = open_store(eps, 2000);
	struct seen s = {0};
	struct store_watch *w;
	assert_int_equal(store_watch(st, "/w/", 3, "/w0", 3, 0, on_events, &s, &w), 0);
	SPIN(st, s.resyncs > 0);
	assert_int_equal(s.resyncs, 1);
	struct got a = put(st, "/w/a", "1");
	put(st, "/x/other", "not watched");
	put(st, "/w/b", "2");
	struct got d = {0};
	assert_int_equal(store_delete(st, "/w/a", 4, NULL, 0, on_reply, &d), 0);
	run(st, &d);
	SPIN(st, s.n >= 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.keys[0], "/w/a");
	assert_string_equal(s.values[0], "1");
	assert_false(s.deleted[0]);
	assert_int_equal(s.mod[0], a.r.revision);
	assert_string_equal(s.keys[1], "/w/b");
	assert_string_equal(s.keys[2], "/w/a");
	assert_true(s.deleted[2]);
	assert_int_equal(s.mod[2], d.r.revision);
	assert_int_equal(store_watch_revision(w), d.r.revision);

	/* a restarted stream: only what came after */
	store_watch_restart(w);
	SPIN(st, s.resyncs > 1);
	assert_int_equal(s.resyncs, 2);
	put(st, "/w/c", "3");
	SPIN(st, s.n >= 4);
	usleep(100000);
	store_dispatch(st);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.keys[3], "/w/c");
	store_watch_cancel(w);

	/* from an old revision: the history again */
	struct seen h = {0};
	assert_int_equal(store_watch(st, "/w/", 3, "/w0", 3, a.r.revision, on_events, &h, NULL), 0);
	SPIN(st, h.n >= 4);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.keys[0], "/w/a");
	assert_string_equal(h.keys[3], "/w/c");
	store_close(st); /* with the watch open: freed */
}

/* Leases: a grant, a renewal, a key put on the lease (a Txn's put), a
 * renewal of a lease that does not exist (TTL 0). */
static void test_lease(void **state)
{
	(void)state;
	struct store *st = open_store(etcd_url, 2000);
	struct got g = {0};
	assert_int_equal(store_lease_grant(st, 5, on_reply, &g), 0);
	run(st, &g);
	assert_int_equal(g.r.status, STORE_OK);
	assert_true(g.r.lease != 0);
	assert_int_equal(g.r.ttl, 5);
	int64_t lease = g.r.lease;
	struct got k = {0};
	assert_int_equal(store_lease_keepalive(st, lease, on_reply, &k), 0);
	run(st, &k);
	assert_int_equal(k.r.status, STORE_OK);
	assert_int_equal(k.r.lease, lease);
	assert_true(k.r.ttl > 0 && k.r.ttl <= 5);
	struct store_op op = {.kind = STORE_OP_PUT,
			      .key = "/l/a",
			      .key_len = 4,
			      .value = "x",
			      .value_len = 1,
			      .lease = lease};
	struct store_txn t = {.success = &op, .nsuccess = 1};
	struct got p = {0};
	assert_int_equal(store_txn(st, &t, on_reply, &p), 0);
	run(st, &p);
	assert_int_equal(p.r.status, STORE_OK);
	assert_true(p.r.succeeded);
	struct got x = {0};
	assert_int_equal(store_lease_keepalive(st, 12345, on_reply, &x), 0);
	run(st, &x);
	assert_int_equal(x.r.status, STORE_OK);
	assert_int_equal(x.r.ttl, 0);
	/* a put on a lease that does not exist: refused, not applied */
	op.lease = 12345;
	struct got b = {0};
	assert_int_equal(store_txn(st, &t, on_reply, &b), 0);
	run(st, &b);
	assert_int_equal(b.r.status, STORE_REJECTED);
	struct got v = get(st, "/l/a");
	assert_int_equal(v.nkv, 1);
	assert_string_equal(v.values[0], "x");
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_range_bytes), cmocka_unit_test(test_txn_branches),
		cmocka_unit_test(test_failover),	cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_bad_answers),	cmocka_unit_test(test_auth),
		cmocka_unit_test(test_watch),		cmocka_unit_test(test_lease),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
