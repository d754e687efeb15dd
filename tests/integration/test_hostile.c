/* SPDX-License-Identifier: MIT */
/* test_hostile.c — clients that die holding anything, and what abuse of one
 * instance does to the rest. Clients are SIGKILLed in the middle of a burst of
 * NOCACHE nextvals (refills in flight), with a request written and its reply
 * unread, holding a ticket past the durable limit, while the daemon is sending
 * them replies, stopped mid-call, and holding open handles and TEMPORARY
 * sequences: the daemon stays up, every session is reaped, and another
 * client's values keep strictly increasing, distinct from everyone's. The
 * daemon's memory and descriptors stay bounded through 10,000 sessions and a
 * garbage flood. A second instance sees nothing of the first's abuse (garbage,
 * killed clients, a scribbled region): its files and region stay byte for byte
 * the same and its values continue. After all that a clean restart (and a
 * SIGKILL restart) recovers every sequence beyond every value handed out. A
 * process that shrinks or grows whatever it can reach of the region kills
 * nobody: the region is sealed against size changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
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
#include "region.h"
#include "shmseq.h"
#include "util.h"
#include "wire.h"

static struct daemon a; /* the abused instance */
static struct daemon b; /* a bystander instance */
static shmseq *ca;	/* our own session with a */

#define NHANDLES 20
#define LOGCAP (1u << 20)

/* Every value of a's sequences nc (NOCACHE) and c (CACHE 1000) that any
 * process saw, in memory shared with the children. */
struct vlog {
	_Atomic long n;
	int64_t v[LOGCAP];
};

struct shared {
	_Atomic int stop;
	_Atomic long draws;	/* survivor: successful nextvals */
	_Atomic long errors;	/* survivor: failed nextvals */
	_Atomic long backwards; /* survivor: a value not above its predecessor */
	_Atomic long refills;	/* victims' REFILLs sent and never answered */
	_Atomic long unread;	/* victims' requests sent, replies never read */
	int64_t handle_max[NHANDLES];
	struct vlog nc, c;
};
static struct shared *sh;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void log_value(struct vlog *l, int64_t v)
{
	long i = atomic_fetch_add(&l->n, 1);
	if (i < (long)LOGCAP)
		l->v[i] = v;
}

/* Sort the logged values and count duplicates (0 entries: a process killed
 * between taking its log index and storing the value). Returns the max. */
static int64_t check_distinct(struct vlog *l, const char *name)
{
	long n = atomic_load(&l->n);
	assert_true(n <= (long)LOGCAP);
	int64_t *all = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
	assert_non_null(all);
	size_t m = 0;
	for (long i = 0; i < n; i++)
		if (l->v[i])
			all[m++] = l->v[i];
	qsort(all, m, sizeof(int64_t), cmp_i64);
	size_t dups = 0;
	for (size_t i = 1; i < m; i++)
		dups += all[i] == all[i - 1];
	int64_t max = m ? all[m - 1] : 0;
	printf("# %s: %zu values handed out so far, %zu duplicates, highest %lld\n", name, m, dups,
	       (long long)max);
	free(all);
	assert_int_equal(dups, 0);
	return max;
}

/* --- the daemon from outside: memory, descriptors, sessions ---------------------- */

struct mem {
	long rss, hwm, anon, shmem; /* kB */
	int fds;
};

static void mem_read(pid_t pid, struct mem *m)
{
	char path[64], line[256];
	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %ld", &m->rss);
		sscanf(line, "VmHWM: %ld", &m->hwm);
		sscanf(line, "RssAnon: %ld", &m->anon);
		sscanf(line, "RssShmem: %ld", &m->shmem);
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dp = opendir(path);
	assert_non_null(dp);
	while (readdir(dp))
		m->fds++;
	closedir(dp);
	m->fds -= 2;
}

static void mem_print(const char *when, const struct mem *m)
{
	printf("# daemon %-34s VmRSS %6ld kB  VmHWM %6ld kB  RssAnon %6ld kB  RssShmem %6ld kB  fds %d\n",
	       when, m->rss, m->hwm, m->anon, m->shmem, m->fds);
}

static uint64_t sessions(shmseq *c)
{
	struct shmseq_status st;
	assert_int_equal(shmseq_status(c, &st), 0);
	assert_false(st.failed);
	return st.connections;
}

/* Wait (up to 30 s: the machine may be busy) until the daemon has reaped
 * every session but `want`. */
static void wait_sessions(shmseq *c, uint64_t want)
{
	uint64_t n = 0;
	for (int i = 0; i < 6000; i++) {
		n = sessions(c);
		if (n == want)
			return;
		sleep_ms(5);
	}
	printf("# %llu sessions, expected %llu\n", (unsigned long long)n, (unsigned long long)want);
	assert_int_equal(n, want);
}

static void assert_daemon_up(struct daemon *dm, shmseq *c)
{
	struct shmseq_status st;
	assert_int_equal(kill(dm->pid, 0), 0);
	assert_int_equal(waitpid(dm->pid, NULL, WNOHANG), 0);
	assert_int_equal(shmseq_status(c, &st), 0);
	assert_int_equal(st.daemon_pid, (uint32_t)dm->pid);
	assert_false(st.failed);
}

/* --- raw sessions: speaking the protocol by hand ------------------------------- */

static int raw_connect(const char *instance)
{
	char path[4096];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (util_socket_path(instance, path, sizeof(path)) < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int raw_send(int fd, uint16_t op, const void *payload, uint32_t len, uint64_t id)
{
	char msg[WIRE_MSG_MAX];
	struct wire_hdr h;
	wire_hdr_init(&h, op, len, id, 0);
	memcpy(msg, &h, sizeof(h));
	if (len)
		memcpy(msg + sizeof(h), payload, len);
	return util_send(fd, msg, sizeof(h) + len, -1, MSG_DONTWAIT);
}

/* HELLO: 0 when answered with the region, which is mapped into *map unless
 * map is NULL; else -1. */
static int raw_hello(int fd, struct region_header **map)
{
	struct wire_hello hello = {.version = WIRE_VERSION, .pid = (uint32_t)getpid()};
	char buf[WIRE_MSG_MAX];
	int mfd = -1;
	if (raw_send(fd, WIRE_HELLO, &hello, sizeof(hello), 1) < 0)
		return -1;
	ssize_t n = util_recv(fd, buf, sizeof(buf), &mfd, 0);
	int r = n > 0 && wire_check(buf, (size_t)n, 1) == 0 && mfd >= 0 ? 0 : -1;
	struct stat st;
	if (r == 0 && map) {
		*map = NULL;
		if (fstat(mfd, &st) == 0)
			*map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (*map == MAP_FAILED || !*map) {
			*map = NULL;
			r = -1;
		}
	}
	if (mfd >= 0)
		close(mfd);
	return r;
}

/* Random bytes, lying headers, truncated and oversized messages, sessions
 * that hang up at once, and one that never reads its replies. Returns how
 * many sessions it opened. */
static int garbage_flood(const char *instance, int nconn, unsigned seed)
{
	static char buf[9000];
	int opened = 0;
	for (int i = 0; i < nconn; i++) {
		int fd = raw_connect(instance);
		assert_true(fd >= 0);
		opened++;
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t k = 0; k < n; k++)
			buf[k] = (char)rand_r(&seed);
		struct wire_hdr h;
		switch (i % 5) {
		case 0: /* noise */
			break;
		case 1: /* a plausible header with a lying length, op or version */
			if (n < sizeof(h))
				n = sizeof(h);
			wire_hdr_init(&h, (uint16_t)(rand_r(&seed) % 20), (uint32_t)rand_r(&seed), 7, 0);
			if (i % 3 == 0)
				h.version = 2;
			memcpy(buf, &h, sizeof(h));
			break;
		case 2: /* a known op with a payload one byte short */
			n = sizeof(h) + sizeof(struct wire_ddl) - 1;
			wire_hdr_init(&h, WIRE_CREATE, (uint32_t)(n - sizeof(h)), 7, 0);
			memcpy(buf, &h, sizeof(h));
			break;
		case 3: /* a valid request, then garbage */
			raw_send(fd, WIRE_STATUS, NULL, 0, 1);
			break;
		case 4: /* nothing at all */
			n = 0;
			break;
		}
		if (n)
			(void)!send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
	}
	/* oversized */
	int fd = raw_connect(instance);
	assert_true(fd >= 0);
	char *big = calloc(1, 200000);
	assert_non_null(big);
	(void)!send(fd, big, 200000, MSG_NOSIGNAL);
	free(big);
	close(fd);
	/* requests whose replies are never read */
	fd = raw_connect(instance);
	assert_true(fd >= 0);
	for (int i = 0; i < 100000; i++)
		if (raw_send(fd, WIRE_STATUS, NULL, 0, (uint64_t)i) < 0)
			break;
	close(fd);
	return opened + 2;
}

/* --- clients that get killed ------------------------------------------------------ */

static void survivor(void)
{
	shmseq *c;
	shmseq_seq *hn, *hc;
	int64_t ln = INT64_MIN, lc = INT64_MIN, v;
	alarm(300); /* never hang the test: stop_survivor() sees the signal */
	if (shmseq_connect(a.instance, &c) < 0 || shmseq_seq_open(c, "nc", &hn) < 0 ||
	    shmseq_seq_open(c, "c", &hc) < 0) {
		atomic_fetch_add(&sh->errors, 1);
		_exit(1);
	}
	while (!atomic_load(&sh->stop)) {
		if (shmseq_seq_nextval(hn, &v) < 0) {
			atomic_fetch_add(&sh->errors, 1);
			sleep_ms(1);
			continue;
		}
		if (v <= ln)
			atomic_fetch_add(&sh->backwards, 1);
		ln = v;
		log_value(&sh->nc, v);
		if (shmseq_seq_nextval(hc, &v) < 0) {
			atomic_fetch_add(&sh->errors, 1);
			continue;
		}
		if (v <= lc)
			atomic_fetch_add(&sh->backwards, 1);
		lc = v;
		log_value(&sh->c, v);
		atomic_fetch_add(&sh->draws, 1);
	}
	/* No shmseq_disconnect(): the daemon ends the session when the
	 * process goes, as it does for the killed clients. (It once had to be
	 * so: the name cache was a cds_lfht, whose destroy waited for a worker
	 * thread fork() did not copy.) */
	_exit(0);
}

enum victim_kind {
	V_BURST,   /* library: a burst of NOCACHE and cached nextvals */
	V_STOPPED, /* library: SIGSTOPped mid-burst, then killed */
	V_TICKET,  /* raw: holds a ticket past the limit, its REFILL sent, no reply read */
	V_REPLIES, /* raw: requests pouring in, killed while the daemon sends replies */
	V_HANDLES, /* library: many open handles, a TEMPORARY sequence, idle */
	V_NKINDS,
};

static const char *kind_name[] = {"burst", "stopped mid-burst", "ticket held, refill unread",
				  "replies in flight", "holding handles"};

static void victim(enum victim_kind k, int ready)
{
	int64_t v;
	alarm(120); /* stuck before its work: the parent reads EOF and fails */
	if (k == V_BURST || k == V_STOPPED) {
		shmseq *c;
		shmseq_seq *hn, *hc;
		if (shmseq_connect(a.instance, &c) < 0 || shmseq_seq_open(c, "nc", &hn) < 0 ||
		    shmseq_seq_open(c, "c", &hc) < 0)
			_exit(1);
		for (long i = 0;; i++) {
			if (shmseq_seq_nextval(hn, &v) == 0)
				log_value(&sh->nc, v);
			if (shmseq_nextval(c, "c", &v) == 0) /* by name, too */
				log_value(&sh->c, v);
			if (i == 3)
				(void)!write(ready, "r", 1);
		}
	}
	if (k == V_TICKET) {
		int fd = raw_connect(a.instance);
		struct region_header *h = NULL;
		if (fd < 0 || raw_hello(fd, &h) < 0)
			_exit(1);
		struct wire_open o;
		struct wire_open_reply rep;
		char buf[WIRE_MSG_MAX];
		wire_name_set(&o.name, "nc");
		if (!h || raw_send(fd, WIRE_OPEN, &o, sizeof(o), 2) < 0 ||
		    util_recv(fd, buf, sizeof(buf), NULL, 0) != sizeof(struct wire_hdr) + sizeof(rep))
			_exit(1);
		memcpy(&rep, buf + sizeof(struct wire_hdr), sizeof(rep));
		if (rep.slot >= h->nslots)
			_exit(1);
		struct region_slot *s = region_slots(h) + rep.slot;
		struct region_ticket tk;
		enum region_take_result r = TAKE_RETRY;
		for (int i = 0; i < 1000 && r != TAKE_REFILL; i++) {
			r = region_take(s, rep.seq_id, &v, &tk);
			if (r == TAKE_OK)
				log_value(&sh->nc, v);
		}
		if (r == TAKE_REFILL) {
			struct wire_ticket t = {
				.slot = rep.slot, .seq_id = rep.seq_id, .gen = tk.gen, .n = tk.n};
			if (raw_send(fd, WIRE_REFILL, &t, sizeof(t), 3) == 0)
				atomic_fetch_add(&sh->refills, 1);
		}
		struct wire_list l = {0};
		raw_send(fd, WIRE_ROW, &o, sizeof(o), 4);
		raw_send(fd, WIRE_LIST, &l, sizeof(l), 5);
		raw_send(fd, WIRE_STATUS, NULL, 0, 6);
		(void)!write(ready, "r", 1);
		for (;;)
			pause();
	}
	if (k == V_REPLIES) {
		int fd = raw_connect(a.instance);
		if (fd < 0 || raw_hello(fd, NULL) < 0)
			_exit(1);
		for (int i = 0; i < 5000; i++) {
			if (raw_send(fd, WIRE_STATUS, NULL, 0, (uint64_t)i + 10) < 0)
				break;
			atomic_fetch_add(&sh->unread, 1);
			if (i == 64)
				(void)!write(ready, "r", 1);
		}
		for (;;)
			raw_send(fd, WIRE_STATUS, NULL, 0, 1);
	}
	if (k == V_HANDLES) {
		shmseq *c;
		shmseq_result *res;
		if (shmseq_connect(a.instance, &c) < 0)
			_exit(1);
		for (int i = 0; i < NHANDLES; i++) {
			char name[16];
			shmseq_seq *hh;
			snprintf(name, sizeof(name), "h%d", i);
			if (shmseq_seq_open(c, name, &hh) < 0 || shmseq_seq_nextval(hh, &v) < 0)
				_exit(1);
			/* the parent reads these once we are dead */
			int64_t old = __atomic_load_n(&sh->handle_max[i], __ATOMIC_SEQ_CST);
			while (v > old && !__atomic_compare_exchange_n(&sh->handle_max[i], &old, v, false,
								       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				;
		}
		if (shmseq_exec(c, "CREATE TEMPORARY SEQUENCE tmp START WITH 5; SELECT NEXTVAL(tmp)", &res) <
		    0)
			_exit(1);
		shmseq_result_free(res);
		(void)!write(ready, "r", 1);
		for (;;)
			pause();
	}
	_exit(2);
}

/* Fork a victim, wait until it is in the thick of it, let it run a little
 * longer, then SIGKILL it. */
static void kill_victim(enum victim_kind k, unsigned *seed)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		victim(k, p[1]);
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1); /* EOF: the victim failed before its work */
	close(p[0]);
	sleep_ms(rand_r(seed) % 12);
	if (k == V_STOPPED) {
		kill(pid, SIGSTOP);
		sleep_ms(20); /* stopped, perhaps between a request and its reply */
	}
	kill(pid, SIGKILL);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static pid_t start_survivor(void)
{
	atomic_store(&sh->stop, 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		survivor();
	return pid;
}

static void stop_survivor(pid_t pid)
{
	atomic_store(&sh->stop, 1);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_clients_killed_mid_call(void **state)
{
	(void)state;
	enum { ROUNDS = 60 };
	unsigned seed = 4242;
	struct mem m0, m1;
	uint64_t base = sessions(ca);
	mem_read(a.pid, &m0);
	pid_t surv = start_survivor();
	while (atomic_load(&sh->draws) < 20)
		sleep_ms(1);
	int killed[V_NKINDS] = {0};
	for (int i = 0; i < ROUNDS; i++) {
		enum victim_kind k = (enum victim_kind)(i % V_NKINDS);
		kill_victim(k, &seed);
		killed[k]++;
	}
	/* the survivor carries on after the last kill */
	long after = atomic_load(&sh->draws);
	for (int i = 0; i < 30000 && atomic_load(&sh->draws) < after + 20; i++)
		sleep_ms(1);
	stop_survivor(surv);
	printf("# %d clients SIGKILLed:", ROUNDS);
	for (int k = 0; k < V_NKINDS; k++)
		printf(" %d %s%s", killed[k], kind_name[k], k + 1 < V_NKINDS ? "," : "\n");
	printf("# victims left %ld REFILLs and %ld STATUS requests unanswered or unread\n",
	       atomic_load(&sh->refills), atomic_load(&sh->unread));
	assert_true(atomic_load(&sh->refills) > 0);
	printf("# survivor: %ld pairs of values, %ld errors, %ld not increasing (%ld after the last kill)\n",
	       atomic_load(&sh->draws), atomic_load(&sh->errors), atomic_load(&sh->backwards),
	       atomic_load(&sh->draws) - after);
	assert_int_equal(atomic_load(&sh->errors), 0);
	assert_int_equal(atomic_load(&sh->backwards), 0);
	assert_true(atomic_load(&sh->draws) >= after + 20);
	check_distinct(&sh->nc, "nc (NOCACHE)");
	check_distinct(&sh->c, "c (CACHE 1000)");
	assert_daemon_up(&a, ca);
	wait_sessions(ca, base); /* every dead client's session reaped */
	mem_read(a.pid, &m1);
	mem_print("before the kills:", &m0);
	mem_print("after the kills:", &m1);
	assert_int_equal(m1.fds, m0.fds);
}

static void test_clients_killed_holding_handles(void **state)
{
	(void)state;
	enum { N = 10 };
	unsigned seed = 7;
	uint64_t base = sessions(ca);
	struct shmseq_status st0, st1;
	assert_int_equal(shmseq_status(ca, &st0), 0);
	/* all of them hold their handles at once, then die one by one */
	int p[2];
	pid_t kids[N];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			close(p[0]);
			victim(V_HANDLES, p[1]);
		}
	}
	close(p[1]);
	for (int i = 0; i < N; i++) {
		char c;
		assert_int_equal(read(p[0], &c, 1), 1);
	}
	close(p[0]);
	uint64_t held = sessions(ca);
	printf("# %d clients holding %d handles and a TEMPORARY sequence each: %llu sessions\n", N, NHANDLES,
	       (unsigned long long)held);
	assert_true(held >= base + N);
	for (int i = 0; i < N; i++) {
		sleep_ms(rand_r(&seed) % 5);
		kill(kids[i], SIGKILL);
		assert_int_equal(waitpid(kids[i], NULL, 0), kids[i]);
	}
	assert_daemon_up(&a, ca);
	wait_sessions(ca, base);
	assert_int_equal(shmseq_status(ca, &st1), 0);
	assert_int_equal(st1.sequences, st0.sequences); /* TEMPORARY ones never reached it */
	for (int i = 0; i < NHANDLES; i++) {
		char name[16];
		int64_t v;
		snprintf(name, sizeof(name), "h%d", i);
		assert_int_equal(shmseq_nextval(ca, name, &v), 0);
		assert_true(v > sh->handle_max[i]);
		sh->handle_max[i] = v;
	}
	/* nothing of theirs lingers: their sequence is anyone's to drop and re-create */
	struct shmseq_def def = {.set = SHMSEQ_SET_START, .start = 1000};
	int64_t v;
	assert_int_equal(shmseq_drop(ca, "h0"), 0);
	assert_int_equal(shmseq_create(ca, "h0", &def, 0), 0);
	assert_int_equal(shmseq_nextval(ca, "h0", &v), 0);
	assert_int_equal(v, 1000);
	sh->handle_max[0] = v;
}

static void session_round(int n, uint64_t *peak)
{
	static shmseq *lib[1000];
	static int raw[1000];
	int nl = 0, nr = 0;
	assert_true(n <= 1000);
	for (int i = 0; i < n; i++) {
		if (i % 2 == 0) {
			int64_t v;
			assert_int_equal(shmseq_connect(a.instance, &lib[nl]), 0);
			assert_int_equal(shmseq_nextval(lib[nl], "c", &v), 0);
			log_value(&sh->c, v);
			if (i % 20 == 0) {
				shmseq_result *res;
				assert_int_equal(shmseq_exec(lib[nl],
							     "CREATE TEMPORARY SEQUENCE t; SELECT NEXTVAL(t)",
							     &res),
						 0);
				shmseq_result_free(res);
			}
			nl++;
		} else {
			int fd = raw_connect(a.instance);
			assert_true(fd >= 0);
			switch ((i / 2) % 3) {
			case 0: /* a proper hello */
				assert_int_equal(raw_hello(fd, NULL), 0);
				break;
			case 1: /* a request whose reply is never read */
				raw_send(fd, WIRE_STATUS, NULL, 0, 1);
				break;
			case 2: /* a session that never says a word */
				break;
			}
			raw[nr++] = fd;
		}
	}
	uint64_t now = sessions(ca);
	if (now > *peak)
		*peak = now;
	for (int i = 0; i < nl; i++)
		shmseq_disconnect(lib[i]);
	for (int i = 0; i < nr; i++)
		close(raw[i]);
}

static void test_memory_bounded(void **state)
{
	(void)state;
	enum { ROUNDS = 20, PER_ROUND = 500 };
	/* Under AddressSanitizer freed blocks wait in a quarantine (up to 256 MiB)
	 * before reuse, so RSS counts allocations, not leaks: allow more there
	 * (LeakSanitizer checks the daemon for leaks when it stops). */
#if defined(__SANITIZE_ADDRESS__)
	const long bound_kb = 16 * 1024;
#else
	const long bound_kb = 8 * 1024;
#endif
	uint64_t base = sessions(ca), peak = 0;
	struct mem m0, m1, m2;
	/* warm up: let the allocator and the kernel reach their working sizes */
	session_round(PER_ROUND, &peak);
	garbage_flood(a.instance, 200, 1);
	wait_sessions(ca, base);
	mem_read(a.pid, &m0);
	peak = 0;
	long opened = 0;
	for (int r = 0; r < ROUNDS; r++) {
		session_round(PER_ROUND, &peak);
		opened += PER_ROUND;
		wait_sessions(ca, base);
	}
	mem_read(a.pid, &m1);
	long flood = 0;
	for (int r = 0; r < 5; r++)
		flood += garbage_flood(a.instance, 400, (unsigned)r + 10);
	wait_sessions(ca, base);
	mem_read(a.pid, &m2);
	assert_daemon_up(&a, ca);
	printf("# %d rounds of %d sessions opened and dropped (%ld in all, at most %llu at once), then %ld "
	       "garbage sessions\n",
	       ROUNDS, PER_ROUND, opened, (unsigned long long)peak, flood);
	mem_print("before:", &m0);
	mem_print("after the sessions:", &m1);
	mem_print("after the garbage:", &m2);
	printf("# growth: VmRSS %+ld kB after the sessions, %+ld kB after the garbage; VmHWM %+ld kB "
	       "(bound %ld kB)\n",
	       m1.rss - m0.rss, m2.rss - m0.rss, m2.hwm - m0.hwm, bound_kb);
	assert_true(peak >= base + PER_ROUND); /* they were really open at once */
	assert_true(m1.rss - m0.rss < bound_kb);
	assert_true(m2.rss - m0.rss < bound_kb);
	assert_true(m2.hwm - m0.hwm < bound_kb);
	assert_int_equal(m1.fds, m0.fds);
	assert_int_equal(m2.fds, m0.fds);
}

/* --- the bystander instance ------------------------------------------------------ */

struct file_print {
	char name[256];
	off_t size;
	struct timespec mtime;
	uint64_t hash;
};

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int dir_print(const char *dir, struct file_print *out, int cap)
{
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		assert_true(n < cap);
		char path[600];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(lstat(path, &st), 0);
		struct file_print *f = &out[n++];
		snprintf(f->name, sizeof(f->name), "%s", e->d_name);
		f->size = st.st_size;
		f->mtime = st.st_mtim;
		f->hash = 0xcbf29ce484222325ull;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		assert_true(fd >= 0);
		unsigned char buf[65536];
		ssize_t k;
		while ((k = read(fd, buf, sizeof(buf))) > 0)
			f->hash = fnv(f->hash, buf, (size_t)k);
		close(fd);
	}
	closedir(dp);
	return n;
}

static int cmp_print(const void *x, const void *y)
{
	return strcmp(((const struct file_print *)x)->name, ((const struct file_print *)y)->name);
}

/* The instance's whole region, mapped (read-only unless writable); its size
 * in *size. */
static unsigned char *map_region(const char *instance, bool writable, size_t *size)
{
	struct stat st;
	int fd = region_fd(instance);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	void *p = mmap(NULL, (size_t)st.st_size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
		       fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	*size = (size_t)st.st_size;
	return p;
}

static uint64_t region_print(const char *instance, size_t *size)
{
	unsigned char *p = map_region(instance, false, size);
	uint64_t h = fnv(0xcbf29ce484222325ull, p, *size);
	munmap(p, *size);
	return h;
}

/* Random bytes over a's region: the header, the slots of a victim sequence and
 * of every free slot. */
static void scribble_region(const char *instance)
{
	size_t size;
	unsigned char *p = map_region(instance, true, &size);
	struct region_header *h = (struct region_header *)p;
	unsigned seed = 31337;
	size_t used = h->slots_used;
	/* free slots after the used ones: a few hundred of them, not all */
	for (size_t i = sizeof(*h) + used * sizeof(struct region_slot);
	     i < size && i < sizeof(*h) + (used + 512) * sizeof(struct region_slot); i++)
		p[i] = (unsigned char)rand_r(&seed);
	/* the victim's slot (the newest) */
	if (used)
		for (size_t i = sizeof(*h) + (used - 1) * sizeof(struct region_slot);
		     i < sizeof(*h) + used * sizeof(struct region_slot); i++)
			p[i] = (unsigned char)rand_r(&seed);
	/* and the header last: that cuts off a's clients, not its daemon */
	for (size_t i = 0; i < sizeof(*h); i++)
		p[i] = (unsigned char)rand_r(&seed);
	munmap(p, size);
}

/* --- the region's size --------------------------------------------------------- */

struct size_attack {
	int region_fds;	  /* descriptors of the region the attacker got */
	int region_grown; /* size changes of the region that succeeded */
	int other_fds;	  /* other objects of the instance it truncated */
	int calls;	  /* size-changing calls made */
	int last_errno;	  /* what the last refused call said */
};

/* Grow fd and shrink it to nothing, every way there is: ftruncate both ways,
 * fallocate past the end, a write past the end. Counts what succeeded. */
static int try_resize(int fd, struct size_attack *at, bool region)
{
	struct stat st;
	int changed = 0;
	if (fstat(fd, &st) < 0)
		return 0;
	off_t size = st.st_size;
	char byte = 0x5a;
	/* growing first, so that what is left in the end is nothing */
	int r[4] = {
		ftruncate(fd, size * 2 + 4096),
		fallocate(fd, 0, size, 1 << 20),
		pwrite(fd, &byte, 1, size + 4096) == 1 ? 0 : -1,
		ftruncate(fd, 0),
	};
	for (int i = 0; i < 4; i++) {
		at->calls++;
		if (r[i] == 0)
			changed++;
		else if (region)
			at->last_errno = errno;
	}
	return changed;
}

/* A hostile process of the owner (who reaches the most: a --group member
 * gets only the descriptor the daemon hands every client) shrinks to zero
 * and grows whatever it can reach of the instance: the region's descriptor
 * from the daemon's hello, the region again through /proc/<daemon>/fd, the
 * instance lock, the old region name. The region refuses every size change;
 * the rest may change (nothing maps it); the daemon keeps serving and a
 * client that was drawing keeps drawing, without a signal. Before the region
 * was a sealed memfd the first ftruncate killed the daemon and every client
 * with SIGBUS. */
static void test_region_size_changes(void **state)
{
	(void)state;
	static struct size_attack *at;
	if (!at)
		at = shared_alloc(sizeof(*at));
	memset(at, 0, sizeof(*at));
	shmseq_seq *h;
	int64_t v, last = 0;
	struct shmseq_def def = {.set = SHMSEQ_SET_CACHE, .cache = 10};
	assert_int_equal(shmseq_create(ca, "sz", &def, 0), 0);
	assert_int_equal(shmseq_seq_open(ca, "sz", &h), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(shmseq_seq_nextval(h, &v), 0);
		assert_true(v > last);
		last = v;
	}
	pid_t dpid = a.pid;
	int sock = raw_connect(a.instance);
	assert_true(sock >= 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(30);
		int mfd = -1;
		struct wire_hello hello = {.version = WIRE_VERSION, .pid = (uint32_t)getpid()};
		char buf[WIRE_MSG_MAX], path[300], link[300];
		if (raw_send(sock, WIRE_HELLO, &hello, sizeof(hello), 1) < 0 ||
		    util_recv(sock, buf, sizeof(buf), &mfd, 0) <= 0 || mfd < 0)
			_exit(2);
		at->region_fds++;
		at->region_grown += try_resize(mfd, at, true);
		/* every descriptor the daemon holds that is a region or shm */
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)dpid);
		DIR *dp = opendir(path);
		if (!dp)
			_exit(3);
		struct dirent *e;
		while ((e = readdir(dp))) {
			char p[600];
			snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
			ssize_t n = readlink(p, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			bool region = strstr(link, "memfd:shmseq") != NULL;
			if (!region && strncmp(link, "/dev/shm/", 9) != 0)
				continue;
			int fd = open(p, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (region) {
				at->region_fds++;
				at->region_grown += try_resize(fd, at, true);
			} else {
				at->other_fds++;
				try_resize(fd, at, false);
			}
			close(fd);
		}
		closedir(dp);
		/* the instance lock and the old region name, by name */
		char shm[256], lock[300];
		if (util_region_name(a.instance, shm, sizeof(shm)) == 0 &&
		    util_instance_lock_name(a.instance, lock, sizeof(lock)) == 0) {
			const char *names[] = {shm, lock};
			for (int i = 0; i < 2; i++) {
				int fd = shm_open(names[i], O_RDWR, 0);
				if (fd >= 0) {
					at->other_fds++;
					try_resize(fd, at, false);
					close(fd);
				}
			}
		}
		_exit(0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(sock);
	printf("# the attacker: %d size-changing calls on %d descriptors of the region (%d succeeded, "
	       "the last refusal: %s) and on %d other objects\n",
	       at->calls, at->region_fds, at->region_grown, strerror(at->last_errno), at->other_fds);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(at->region_fds >= 2); /* from the hello, and through /proc */
	assert_int_equal(at->region_grown, 0);
	assert_int_equal(at->last_errno, EPERM);

	/* the daemon is the same process and serves: many refills of CACHE 10 */
	assert_int_equal(kill(dpid, 0), 0);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(shmseq_seq_nextval(h, &v), 0);
		assert_true(v > last);
		last = v;
	}
	assert_daemon_up(&a, ca);
	assert_int_equal(a.pid, dpid);
	shmseq *c2;
	assert_int_equal(shmseq_connect(a.instance, &c2), 0);
	assert_int_equal(shmseq_nextval(c2, "sz", &v), 0);
	assert_true(v > last);
	shmseq_disconnect(c2);
	shmseq_seq_close(h);
}

static void test_other_instance_untouched(void **state)
{
	(void)state;
	shmseq *cb;
	shmseq_seq *b1, *b2;
	int64_t v;
	char bdata[300];
	snprintf(bdata, sizeof(bdata), "%s/data", b.dir);
	assert_int_equal(shmseq_connect(b.instance, &cb), 0);
	assert_int_equal(shmseq_seq_open(cb, "b1", &b1), 0);
	assert_int_equal(shmseq_seq_open(cb, "b2", &b2), 0);
	for (int64_t want = 1; want <= 5; want++) {
		assert_int_equal(shmseq_seq_nextval(b1, &v), 0);
		assert_int_equal(v, want);
		assert_int_equal(shmseq_seq_nextval(b2, &v), 0);
		assert_int_equal(v, want);
	}
	/* b at rest: its counters (the status reply also waits for whatever the
	 * draws asked of the daemon), its files, its region, its socket */
	struct shmseq_status s0, s1;
	assert_int_equal(shmseq_status(cb, &s0), 0);
	static struct file_print f0[64], f1[64];
	int n0 = dir_print(bdata, f0, 64);
	size_t rsize;
	uint64_t r0 = region_print(b.instance, &rsize);
	char bsock[4096];
	struct stat k0, k1;
	assert_int_equal(util_socket_path(b.instance, bsock, sizeof(bsock)), 0);
	assert_int_equal(lstat(bsock, &k0), 0);

	/* abuse a: garbage, clients killed mid-call, a victim's slot, free slots
	 * and the header scribbled over */
	assert_int_equal(shmseq_create(ca, "victim", NULL, 0), 0);
	assert_int_equal(shmseq_nextval(ca, "victim", &v), 0);
	int flood = garbage_flood(a.instance, 300, 77);
	unsigned seed = 5;
	for (int i = 0; i < 10; i++)
		kill_victim((enum victim_kind)(i % 4), &seed);
	scribble_region(a.instance);
	/* a's daemon is alive and still does what needs no region */
	assert_daemon_up(&a, ca);
	assert_int_equal(shmseq_drop(ca, "victim"), 0);
	assert_int_equal(shmseq_create(ca, "after_abuse", NULL, 0), 0);
	printf("# instance a: %d garbage sessions, 10 clients killed, region header and slots scribbled\n",
	       flood);

	/* b saw nothing */
	int n1 = dir_print(bdata, f1, 64);
	uint64_t r1 = region_print(b.instance, &rsize);
	assert_int_equal(shmseq_status(cb, &s1), 0);
	assert_int_equal(lstat(bsock, &k1), 0);
	qsort(f0, (size_t)n0, sizeof(f0[0]), cmp_print);
	qsort(f1, (size_t)n1, sizeof(f1[0]), cmp_print);
	long bytes = 0;
	assert_int_equal(n1, n0);
	for (int i = 0; i < n0; i++) {
		assert_string_equal(f1[i].name, f0[i].name);
		assert_int_equal(f1[i].size, f0[i].size);
		assert_int_equal(f1[i].hash, f0[i].hash);
		assert_int_equal(f1[i].mtime.tv_sec, f0[i].mtime.tv_sec);
		assert_int_equal(f1[i].mtime.tv_nsec, f0[i].mtime.tv_nsec);
		bytes += f0[i].size;
	}
	assert_int_equal(r1, r0);
	assert_int_equal(k1.st_ino, k0.st_ino);
	assert_int_equal(s1.daemon_pid, s0.daemon_pid);
	assert_int_equal(s1.records, s0.records);
	assert_int_equal(s1.syncs, s0.syncs);
	assert_int_equal(s1.connections, s0.connections);
	printf("# instance b: %d data files (%ld bytes), a %zu-byte region, socket and counters unchanged\n",
	       n0, bytes, rsize);
	/* and its values continue, on the old handles and on a new session */
	assert_int_equal(shmseq_seq_nextval(b1, &v), 0);
	assert_int_equal(v, 6);
	assert_int_equal(shmseq_seq_nextval(b2, &v), 0);
	assert_int_equal(v, 6);
	shmseq_disconnect(cb);
	shmseq *cb2;
	assert_int_equal(shmseq_connect(b.instance, &cb2), 0);
	assert_int_equal(shmseq_nextval(cb2, "b2", &v), 0);
	assert_int_equal(v, 7);
	shmseq_disconnect(cb2);
}

/* --- recovery -------------------------------------------------------------------- */

/* The names SHOW TABLES lists, joined. */
static void table_names(shmseq *c, char *out, size_t cap)
{
	shmseq_result *res;
	assert_int_equal(shmseq_exec(c, "SHOW TABLES", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	size_t len = 0;
	out[0] = 0;
	for (size_t i = 0; i < shmseq_result_rows(res); i++) {
		int n = snprintf(out + len, cap - len, "%s ", shmseq_result_value(res, i, 0));
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	shmseq_result_free(res);
}

static void assert_beyond(shmseq *c, int64_t max_nc, int64_t max_c, const char *when)
{
	int64_t vn, vc, vh;
	assert_int_equal(shmseq_nextval(c, "nc", &vn), 0);
	assert_int_equal(shmseq_nextval(c, "c", &vc), 0);
	printf("# %s: nc resumes at %lld (highest handed out %lld), c at %lld (highest %lld)\n", when,
	       (long long)vn, (long long)max_nc, (long long)vc, (long long)max_c);
	assert_true(vn > max_nc);
	assert_true(vc > max_c);
	for (int i = 0; i < NHANDLES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", i);
		assert_int_equal(shmseq_nextval(c, name, &vh), 0);
		assert_true(vh > sh->handle_max[i]);
		sh->handle_max[i] = vh;
	}
	log_value(&sh->nc, vn);
	log_value(&sh->c, vc);
}

static void test_restart_recovers_everything(void **state)
{
	(void)state;
	char before[4096], after[4096];
	int64_t max_nc = check_distinct(&sh->nc, "nc (NOCACHE)");
	int64_t max_c = check_distinct(&sh->c, "c (CACHE 1000)");
	table_names(ca, before, sizeof(before));
	assert_non_null(strstr(before, "after_abuse"));
	assert_null(strstr(before, "victim"));

	/* a clean restart after all the abuse */
	assert_int_equal(daemon_stop(&a), 0);
	assert_int_equal(daemon_start(&a, NULL), 0);
	shmseq *c;
	assert_int_equal(shmseq_connect(a.instance, &c), 0);
	table_names(c, after, sizeof(after));
	assert_string_equal(after, before);
	assert_beyond(c, max_nc, max_c, "after a clean restart");
	/* our old session, cut off by the scribbled header, re-attaches by itself */
	int64_t v;
	assert_int_equal(shmseq_nextval(ca, "nc", &v), 0);
	harness_fd_allow(1); /* the socket it gave up, closed after a grace period */
	assert_true(v > max_nc);
	log_value(&sh->nc, v);
	max_nc = check_distinct(&sh->nc, "nc (NOCACHE)");
	max_c = check_distinct(&sh->c, "c (CACHE 1000)");
	shmseq_disconnect(c);

	/* and a SIGKILL, restarted from the durable floor */
	daemon_kill(&a);
	assert_int_equal(daemon_start(&a, "--no-adopt"), 0);
	assert_int_equal(shmseq_connect(a.instance, &c), 0);
	table_names(c, after, sizeof(after));
	assert_string_equal(after, before);
	assert_beyond(c, max_nc, max_c, "after SIGKILL and --no-adopt");
	shmseq_disconnect(c);
	check_distinct(&sh->nc, "nc (NOCACHE)");
	check_distinct(&sh->c, "c (CACHE 1000)");

	/* the bystander, restarted too */
	assert_int_equal(daemon_stop(&b), 0);
	assert_int_equal(daemon_start(&b, NULL), 0);
	assert_int_equal(shmseq_connect(b.instance, &c), 0);
	assert_int_equal(shmseq_nextval(c, "b1", &v), 0);
	assert_true(v > 6);
	assert_int_equal(shmseq_nextval(c, "b2", &v), 0);
	assert_int_equal(v, 8); /* NOCACHE: exact */
	shmseq_disconnect(c);
}

/* --- fixtures ------------------------------------------------------------------------ */

static void exec_ok(shmseq *c, const char *sql)
{
	shmseq_result *res;
	assert_int_equal(shmseq_exec(c, sql, &res), 0);
	for (const shmseq_result *r = res; r; r = shmseq_result_next(r))
		if (shmseq_result_error(r))
			fprintf(stderr, "%s: %s\n", sql, shmseq_result_message(r));
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048 &&
	    (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 2048)) {
		rl.rlim_cur = 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sh = shared_alloc(sizeof(*sh));
	/* both instances share a runtime directory, as one user's do */
	daemon_setup(&a, "hostile-a");
	daemon_setup(&b, "hostile-b");
	setenv("SHMSEQ_INSTANCE", a.instance, 1);
	if (daemon_start(&a, NULL) < 0 || daemon_start(&b, "--max-sequences 1024") < 0)
		return -1;
	if (shmseq_connect(a.instance, &ca) < 0)
		return -1;
	exec_ok(ca, "CREATE SEQUENCE nc NOCACHE; CREATE SEQUENCE c CACHE 1000");
	for (int i = 0; i < NHANDLES; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "CREATE SEQUENCE h%d CACHE 10", i);
		exec_ok(ca, sql);
	}
	shmseq *cb;
	if (shmseq_connect(b.instance, &cb) < 0)
		return -1;
	exec_ok(cb, "CREATE SEQUENCE b1 CACHE 100; CREATE SEQUENCE b2 NOCACHE");
	shmseq_disconnect(cb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shmseq_disconnect(ca);
	daemon_teardown(&a);
	daemon_teardown(&b);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients_killed_mid_call),
		cmocka_unit_test(test_clients_killed_holding_handles),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_region_size_changes),
		cmocka_unit_test(test_other_instance_untouched),
		cmocka_unit_test(test_restart_recovers_everything),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
