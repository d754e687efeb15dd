/* SPDX-License-Identifier: MIT */
/* test_faults.c — the real daemon against a damaged or failing disk.
 *
 *  1. Every truncation point and every single-bit flip of the log and the
 *     snapshot of a small data directory (a crash left it: SIGKILL, region
 *     gone). Each start either refuses, naming the file and how to recover
 *     (restore from a backup, or --accept-log-damage), or recovers so that
 *     every sequence resumes beyond every value handed out before.
 *  2. The same for a damaged last log record, whatever that record was: a
 *     refill, CREATE, DROP, SETVAL, ALTER … RESTART or a CYCLE wrap.
 *  3. EIO, ENOSPC and short writes injected at every persistence call of a
 *     workload (faultshim.c, LD_PRELOAD). The daemon never crashes; after a
 *     failed write or sync it publishes nothing new in the region (fail
 *     closed); a restart without the fault, adopting the region or from the
 *     files alone, reissues no value and keeps every acknowledged statement.
 *  4. A power loss before every persistence call of that workload: the disk
 *     keeps only what was synced (faultshim.c records it) and the daemon
 *     recovers from it with no value reissued and no acknowledged statement
 *     lost.
 *
 * Every case is a real daemon start. By default a bit flip case flips one
 * bit of every byte (the bit rotates with the offset), SHMSEQ_FAULTS_FULL=1
 * all eight; every call gets EIO, ENOSPC once, ENOSPC from then on (a full
 * disk) and, for writes, a short write. Under a sanitizer a start costs ten
 * times as much: the damage loops run every 24th case (every 3rd of a last
 * record; SHMSEQ_FAULTS_STRIDE=N sets it) and each call gets one error.
 * Cases run in SHMSEQ_FAULTS_JOBS worker processes (default: one per CPU, 2
 * to 4), each with its own instance, under $SHMSEQ_FAULTS_TMPDIR (default
 * /dev/shm when writable: recovery logic, not the disk, is under test).
 * SHMSEQ_FAULTS_ONLY=GLOB runs the matching tests only. The counts of every
 * loop are printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "region.h"
#include "shmseq.h"
#include "util.h"

/* ---- configuration ------------------------------------------------------------------ */

#define MAX_JOBS 4
#define NSLOTS 64
#define START_TIMEOUT_MS 60000
/* Failures printed per worker and loop; all are counted. */
#define PRINT_MAX 25

static const char *daemon_bin;
static const char *shim_path;
static char root[256]; /* scratch root of this run */
static bool full;
/* The damage loops run every stride-th case, rotating within each stride. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define DEFAULT_STRIDE 24
#else
#define DEFAULT_STRIDE 1
#endif
static size_t stride = DEFAULT_STRIDE;
static int jobs = 2;

/* The layout of SHMSEQ_FAULT_COUNT, shared with faultshim.c. */
enum { K_PWRITE, K_WRITE, K_FDATASYNC, K_FSYNC, K_RENAME, K_FTRUNCATE, K_NKINDS };
struct fault_counts {
	_Atomic uint64_t calls[K_NKINDS];
	_Atomic uint64_t fired;
};
static const char *const kind_names[K_NKINDS] = {"pwrite", "write",  "fdatasync",
						 "fsync",  "rename", "ftruncate"};

/* ---- small file helpers ----------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *n)
{
	*n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	unsigned char *b = malloc(cap + 1);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
		ssize_t r = read(fd, b + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	b[len] = 0; /* text files read as strings */
	*n = len;
	return b;
}

static void spit(const char *path, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (n && write(fd, buf, n) != (ssize_t)n)) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void mkdir_or_die(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a daemon of our own ---------------------------------------------------------------- */

struct inst {
	char name[64];
	char dir[300];	  /* the worker's directory */
	char data[320];	  /* the data directory */
	char errlog[320]; /* the daemon's stderr */
	char synced[320]; /* faultshim's durable copies */
	char count[320];  /* faultshim's counters */
	struct fault_counts *fc;
	pid_t pid;
};

static void inst_init(struct inst *in, const char *tag)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->name, sizeof(in->name), "faults-%d-%s", (int)getpid(), tag);
	snprintf(in->dir, sizeof(in->dir), "%s/%s", root, tag);
	snprintf(in->data, sizeof(in->data), "%s/data", in->dir);
	snprintf(in->errlog, sizeof(in->errlog), "%s/stderr", in->dir);
	snprintf(in->synced, sizeof(in->synced), "%s/synced", in->dir);
	snprintf(in->count, sizeof(in->count), "%s/counts", in->dir);
	mkdir_or_die(in->dir);
	mkdir_or_die(in->data);
	mkdir_or_die(in->synced);
	int fd = open(in->count, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		exit(1);
	in->fc = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (in->fc == MAP_FAILED)
		exit(1);
}

static void region_unlink(const struct inst *in)
{
	region_discard(in->name);
}

static void inst_fini(struct inst *in)
{
	if (in->pid > 0) {
		kill(in->pid, SIGKILL);
		waitpid(in->pid, NULL, 0);
		in->pid = 0;
	}
	region_unlink(in);
	char sock[4096];
	if (util_instance_lock_name(in->name, sock, sizeof(sock)) == 0)
		shm_unlink(sock); /* a killed daemon leaves its instance lock */
	if (util_socket_path(in->name, sock, sizeof(sock)) == 0)
		unlink(sock);
	munmap(in->fc, 4096);
	rm_rf(in->dir);
}

struct start_opts {
	const char *args[4];  /* extra arguments, NULL-terminated */
	const char *fault;    /* SHMSEQ_FAULT for the shim */
	bool shim;	      /* preload faultshim.c, counting into in->count */
	bool record;	      /* and record what is durable into in->synced */
	const char *dirsyncs; /* and every directory fsync into this file */
};

enum { STARTED, EXITED, HUNG };

/* Start shmseqd on in->data. STARTED once it is ready, EXITED (its wait
 * status in *st) if it exits first, HUNG if it does neither in time. */
static int inst_start(struct inst *in, const struct start_opts *o, int *st)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return HUNG;
	pid_t pid = fork();
	if (pid < 0)
		return HUNG;
	if (pid == 0) {
		/* never outlive the test, even if it crashes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int e = open(in->errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (e < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(e, 2) < 0)
			_exit(98);
		int w = fcntl(p[1], F_DUPFD, 10); /* without O_CLOEXEC: the daemon inherits it */
		if (w < 0)
			_exit(98);
		char fd[16];
		snprintf(fd, sizeof(fd), "%d", w);
		const char *argv[24] = {daemon_bin, "--instance",	in->name, "--data-dir",
					in->data,   "--ready-fd",	fd,	  "--log-prealloc",
					"4096",	    "--snapshot-bytes", "4096",	  "--max-sequences",
					"64"};
		int n = 13;
		for (int i = 0; o && i < 4 && o->args[i]; i++)
			argv[n++] = o->args[i];
		argv[n] = NULL;
		if (o && o->shim) {
			char asan[1024];
			const char *old = getenv("ASAN_OPTIONS");
			/* the shim comes before the sanitizer runtime */
			snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old ? old : "",
				 old && *old ? ":" : "");
			setenv("ASAN_OPTIONS", asan, 1);
			setenv("LD_PRELOAD", shim_path, 1);
			setenv("SHMSEQ_FAULT_DIR", in->data, 1);
			setenv("SHMSEQ_FAULT_COUNT", in->count, 1);
			if (o->fault)
				setenv("SHMSEQ_FAULT", o->fault, 1);
			if (o->record)
				setenv("SHMSEQ_FAULT_SYNCED", in->synced, 1);
			if (o->dirsyncs)
				setenv("SHMSEQ_FAULT_DIRSYNCS", o->dirsyncs, 1);
		}
		execv(daemon_bin, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	char c = 0;
	int r = poll(&pf, 1, START_TIMEOUT_MS);
	ssize_t got = r == 1 ? read(p[0], &c, 1) : -1;
	close(p[0]);
	if (got == 1 && c == 'R') {
		in->pid = pid;
		return STARTED;
	}
	if (got == 0) {
		waitpid(pid, st, 0);
		return EXITED;
	}
	kill(pid, SIGKILL);
	waitpid(pid, st, 0);
	return HUNG;
}

/* Send sig and wait: the wait status. */
static int inst_stop(struct inst *in, int sig)
{
	int st = 0;
	if (in->pid <= 0)
		return 0;
	kill(in->pid, sig);
	waitpid(in->pid, &st, 0);
	in->pid = 0;
	return st;
}

/* Whether the daemon is still running; if not, its wait status in *st. */
static bool inst_alive(struct inst *in, int *st)
{
	if (in->pid <= 0)
		return false;
	if (waitpid(in->pid, st, WNOHANG) == 0)
		return true;
	in->pid = 0;
	return false;
}

static char *read_errlog(const struct inst *in)
{
	size_t n;
	char *s = (char *)slurp(in->errlog, &n);
	return s ? s : strdup("");
}

static bool sanitizer_report(const char *err)
{
	return strstr(err, "Sanitizer") || strstr(err, "runtime error:");
}

/* Empty the data directory (the lock file stays). */
static void data_clear(const struct inst *in)
{
	static const char *const names[] = {"log", "log.tmp", "snapshot", "snapshot.tmp"};
	char p[400];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", in->data, names[i]);
		unlink(p);
	}
}

/* ---- a picture of a data directory -------------------------------------------------------- */

struct image {
	unsigned char *log, *snap;
	size_t nlog, nsnap;
	bool has_log, has_snap;
};

static void image_take(const struct inst *in, struct image *img)
{
	char p[400];
	memset(img, 0, sizeof(*img));
	snprintf(p, sizeof(p), "%s/log", in->data);
	img->log = slurp(p, &img->nlog);
	img->has_log = img->log != NULL;
	snprintf(p, sizeof(p), "%s/snapshot", in->data);
	img->snap = slurp(p, &img->nsnap);
	img->has_snap = img->snap != NULL;
}

static void image_put(const struct inst *in, const struct image *img)
{
	char p[400];
	data_clear(in);
	if (img->has_log) {
		snprintf(p, sizeof(p), "%s/log", in->data);
		spit(p, img->log, img->nlog);
	}
	if (img->has_snap) {
		snprintf(p, sizeof(p), "%s/snapshot", in->data);
		spit(p, img->snap, img->nsnap);
	}
}

static void image_free(struct image *img)
{
	free(img->log);
	free(img->snap);
	memset(img, 0, sizeof(*img));
}

/* ---- what was handed out and acknowledged ---------------------------------------------------- */

enum { ABSENT, PRESENT, UNKNOWN };
#define NSEQ 24

struct rseq {
	char name[16];
	int dir; /* +1 ascending, -1 descending */
	bool cycle;
	int state;
	bool drawn;
	int64_t last;	  /* the furthest value handed out */
	int64_t round;	  /* and its round (CYCLE) */
	bool has_min;	  /* an acknowledged SETVAL or RESTART: */
	int64_t min_next; /* the next value is at least this (ascending ones only) */
	shmseq_seq *h;
};

struct ref {
	struct rseq s[NSEQ];
	int n;
};

static struct rseq *ref_add(struct ref *r, const char *name, int dir, bool cycle)
{
	struct rseq *s = &r->s[r->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->dir = dir;
	s->cycle = cycle;
	s->state = UNKNOWN;
	return s;
}

/* A value handed out to a client. */
static void note_value(struct rseq *s, int64_t v)
{
	if (s->cycle) {
		if (s->drawn && (s->dir > 0 ? v <= s->last : v >= s->last))
			s->round++; /* one client draws in order: only a wrap goes back */
		s->last = v;
	} else if (!s->drawn || (s->dir > 0 ? v > s->last : v < s->last)) {
		s->last = v;
	}
	s->drawn = true;
}

static int exec_sql(shmseq *c, const char *sql, shmseq_result **out)
{
	shmseq_result *res = NULL;
	int r = shmseq_exec(c, sql, &res);
	if (r == 0)
		r = shmseq_result_error(res);
	if (out && r == 0)
		*out = res;
	else
		shmseq_result_free(res);
	return r;
}

static int cycle_count(shmseq *c, const char *name, int64_t *cc)
{
	char sql[64];
	shmseq_result *res;
	snprintf(sql, sizeof(sql), "SELECT cycle_count FROM %s", name);
	int r = exec_sql(c, sql, &res);
	if (r < 0)
		return r;
	const char *v = shmseq_result_rows(res) == 1 ? shmseq_result_value(res, 0, 0) : NULL;
	r = v ? 0 : -EPROTO;
	if (v)
		*cc = strtoll(v, NULL, 10);
	shmseq_result_free(res);
	return r;
}

/* Draw n values of s through its handle; stop at the first error (returned). */
static int draw(shmseq *c, struct rseq *s, int n)
{
	int r = 0;
	if (!s->h && (r = shmseq_seq_open(c, s->name, &s->h)) < 0) {
		s->h = NULL;
		return r;
	}
	for (int i = 0; i < n; i++) {
		int64_t v;
		r = shmseq_seq_nextval(s->h, &v);
		if (r < 0)
			return r;
		note_value(s, v);
	}
	return 0;
}

static void close_handles(struct ref *r)
{
	for (int i = 0; i < r->n; i++) {
		shmseq_seq_close(r->s[i].h);
		r->s[i].h = NULL;
	}
}

/* What a restarted daemon did with the reference. */
struct verdict {
	int missing;  /* acknowledged, yet unknown to the daemon */
	int back;     /* an acknowledged DROP undone */
	int reissued; /* a value at or before one handed out */
	int lost;     /* an acknowledged SETVAL or RESTART undone */
	int errors;   /* the daemon did not answer */
	char why[512];
};

static void why_add(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_add(struct verdict *v, const char *fmt, ...)
{
	size_t n = strlen(v->why);
	if (n + 2 >= sizeof(v->why))
		return;
	if (n)
		v->why[n++] = ';', v->why[n++] = ' ', v->why[n] = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why + n, sizeof(v->why) - n, fmt, ap);
	va_end(ap);
}

static bool verdict_ok(const struct verdict *v)
{
	return !v->missing && !v->back && !v->reissued && !v->lost && !v->errors;
}

/* Take one value of every sequence of the reference from the daemon now
 * running: each must lie beyond every value handed out before (for CYCLE:
 * in a later round, or further on in the same one). Updates the reference
 * with what it took. */
static void check_ref(const char *instance, struct ref *ref, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	shmseq *c;
	int r = shmseq_connect(instance, &c);
	if (r < 0) {
		v->errors++;
		why_add(v, "connect: %s", shmseq_strerror(r));
		return;
	}
	for (int i = 0; i < ref->n; i++) {
		struct rseq *s = &ref->s[i];
		int64_t x = 0, cc = 0;
		r = shmseq_nextval(c, s->name, &x);
		if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
			if (s->state == PRESENT) {
				v->missing++;
				why_add(v, "%s: acknowledged CREATE lost (unknown sequence)", s->name);
			}
			continue;
		}
		if (s->state == ABSENT && r != -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
			v->back++;
			why_add(v, "%s: acknowledged DROP undone (NEXTVAL answers %d)", s->name, r);
		}
		if (r == -SHMSEQ_ERR_RUN_OUT && !s->cycle)
			continue; /* skipped past its end: nothing reissued */
		if (r < 0) {
			v->errors++;
			why_add(v, "%s: NEXTVAL: %s", s->name, shmseq_strerror(r));
			continue;
		}
		if (s->cycle && (r = cycle_count(c, s->name, &cc)) < 0) {
			v->errors++;
			why_add(v, "%s: cycle_count: %s", s->name, shmseq_strerror(r));
			continue;
		}
		bool beyond = !s->drawn || (s->cycle ? cc > s->round || (cc == s->round && x > s->last)
						     : (s->dir > 0 ? x > s->last : x < s->last));
		if (!beyond) {
			v->reissued++;
			if (s->cycle)
				why_add(v,
					"%s: value %" PRId64 " of round %" PRId64 " after %" PRId64
					" of round %" PRId64 " was handed out",
					s->name, x, cc, s->last, s->round);
			else
				why_add(v, "%s: value %" PRId64 " after %" PRId64 " was handed out", s->name,
					x, s->last);
		}
		if (s->has_min && x < s->min_next) {
			v->lost++;
			why_add(v,
				"%s: value %" PRId64 " before %" PRId64
				" (acknowledged SETVAL or RESTART lost)",
				s->name, x, s->min_next);
		}
		s->last = x;
		s->round = cc;
		s->drawn = true;
		if (s->state == UNKNOWN)
			s->state = PRESENT;
	}
	shmseq_disconnect(c);
}

/* ---- parallel loops --------------------------------------------------------------------------- */

enum {
	T_CASES,
	T_REFUSED,     /* refused to start, with a good message */
	T_RECOVERED,   /* started, nothing damaged was seen */
	T_SKIPPED,     /* started after clearing a damaged last record (every sequence skipped ahead) */
	T_FIRED,       /* the injected fault happened */
	T_CLOSED,      /* the daemon failed closed */
	T_CARRIED_ON,  /* the daemon went on (a snapshot failed before its rename) */
	T_START_FAIL,  /* the fault stopped the start-up, with a message */
	T_SILENT,      /* failed closed without saying so on stderr */
	T_RESTARTS,    /* restarts checked after the fault */
	T_RESTART_REF, /* restarts refused after the fault, with a good message */
	T_DROPPED,     /* power losses that dropped unsynced writes */
	T_WATCHED,     /* failed-closed daemons whose region was compared */
	T_DRAWN_AFTER, /* values handed out after the failure (from windows already durable) */
	T_FAIL,
	T_N
};

struct worker {
	struct inst in;
	long *t;
	int printed;
};

typedef void (*case_fn)(struct worker *w, size_t idx, void *arg);

static void fail_case(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_case(struct worker *w, const char *fmt, ...)
{
	w->t[T_FAIL]++;
	if (w->printed++ >= PRINT_MAX)
		return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# FAIL %s\n", buf);
	fflush(stdout);
}

/* Run fn on cases 0..n-1 in `jobs` worker processes; sum their tallies. */
static void run_cases(const char *what, size_t n, case_fn fn, void *arg, long total[T_N])
{
	long(*t)[T_N] = shared_alloc(sizeof(long) * T_N * MAX_JOBS);
	memset(total, 0, sizeof(long) * T_N);
	pid_t kids[MAX_JOBS];
	fflush(stdout);
	for (int j = 0; j < jobs; j++) {
		kids[j] = fork();
		assert_true(kids[j] >= 0);
		if (kids[j] == 0) {
			struct worker w = {.t = t[j]};
			char tag[32];
			snprintf(tag, sizeof(tag), "%s%d", what, j);
			inst_init(&w.in, tag);
			for (size_t i = (size_t)j; i < n; i += (size_t)jobs)
				fn(&w, i, arg);
			inst_fini(&w.in);
			fflush(stdout);
			_exit(0);
		}
	}
	for (int j = 0; j < jobs; j++) {
		int st;
		waitpid(kids[j], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("# worker %d of %s died (status 0x%x)\n", j, what, st);
			total[T_FAIL]++;
		}
		for (int k = 0; k < T_N; k++)
			total[k] += t[j][k];
	}
	munmap(t, sizeof(long) * T_N * MAX_JOBS);
}

/* A refused start: exit status 1 (never a signal or a sanitizer report),
 * and a message that names the file and how to recover. */
static bool refusal_ok(struct worker *w, const char *label, int st, const char *err, const char *file)
{
	if (WIFSIGNALED(st) || sanitizer_report(err)) {
		fail_case(w, "%s: the daemon crashed (status 0x%x): %s", label, st, err);
		return false;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 0) {
		fail_case(w, "%s: exited with status 0x%x before it was ready: %s", label, st, err);
		return false;
	}
	if (file && !strstr(err, file)) {
		fail_case(w, "%s: the refusal does not name %s: %s", label, file, err);
		return false;
	}
	if (file && !strstr(err, "restore") && !strstr(err, "--accept-log-damage")) {
		fail_case(w, "%s: the refusal does not say how to recover: %s", label, err);
		return false;
	}
	return true;
}

/* Kill a daemon: it must not have reported a sanitizer error meanwhile. */
static void kill_checked(struct worker *w, const char *label)
{
	inst_stop(&w->in, SIGKILL);
	char *err = read_errlog(&w->in);
	if (sanitizer_report(err))
		fail_case(w, "%s: sanitizer report: %s", label, err);
	free(err);
}

/* Stop a daemon that passed its checks with SIGTERM: it must exit 0. */
static void stop_clean(struct worker *w, const char *label)
{
	int st = inst_stop(&w->in, SIGTERM);
	char *err = read_errlog(&w->in);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || sanitizer_report(err))
		fail_case(w, "%s: clean shutdown failed (status 0x%x): %s", label, st, err);
	free(err);
}

/* ---- 1 and 2: damaged files ---------------------------------------------------------------------- */

static const char *const seq_sql[] = {
	"CREATE SEQUENCE a CACHE 10",
	"CREATE SEQUENCE d INCREMENT BY -1 NOCACHE",
	"CREATE SEQUENCE c MINVALUE 1 MAXVALUE 50 CACHE 5 CYCLE",
	"CREATE SEQUENCE k CACHE 1000",
	"CREATE SEQUENCE s INCREMENT BY 7",
};

static void create_base(shmseq *c, struct ref *ref)
{
	static const char *const names[] = {"a", "d", "c", "k", "s"};
	for (int i = 0; i < 5; i++) {
		struct rseq *s = ref_add(ref, names[i], i == 1 ? -1 : 1, i == 2);
		assert_int_equal(exec_sql(c, seq_sql[i], NULL), 0);
		s->state = PRESENT;
	}
}

static void draw_round(shmseq *c, struct ref *ref)
{
	static const int n[] = {12, 3, 7, 30, 5};
	for (int i = 0; i < 5; i++)
		assert_int_equal(draw(c, &ref->s[i], n[i]), 0);
}

static bool file_exists(const struct inst *in, const char *name)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/%s", in->data, name);
	return access(p, F_OK) == 0;
}

/* A fresh instance with the base sequences created: the start of an image. */
static shmseq *image_begin(struct inst *in, struct ref *ref)
{
	int st;
	data_clear(in);
	region_unlink(in);
	assert_int_equal(inst_start(in, NULL, &st), STARTED);
	shmseq *c;
	assert_int_equal(shmseq_connect(in->name, &c), 0);
	ref->n = 0;
	create_base(c, ref);
	return c;
}

/* The end of an image: a crash (SIGKILL, the region removed as by a
 * reboot), then the files taken. */
static void image_crash(struct inst *in, struct ref *ref, shmseq *c, struct image *img)
{
	close_handles(ref);
	shmseq_disconnect(c);
	int st = inst_stop(in, SIGKILL);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	region_unlink(in);
	image_take(in, img);
}

/* The data directory of the damage loops: the sequences of every kind, a
 * snapshot, records after it, values handed out; then a crash (SIGKILL,
 * the region removed as by a reboot). */
static void build_image(struct inst *in, struct ref *ref, struct image *img)
{
	shmseq *c = image_begin(in, ref);
	assert_int_equal(exec_sql(c, "CREATE SEQUENCE t1 CACHE 3", NULL), 0);
	assert_int_equal(exec_sql(c, "DROP SEQUENCE t1", NULL), 0);
	ref_add(ref, "t1", 1, false)->state = ABSENT;
	int after = -1;
	for (int round = 0; round < 200 && after < 4; round++) {
		draw_round(c, ref);
		if (after >= 0)
			after++;
		else if (file_exists(in, "snapshot"))
			after = 0;
	}
	assert_true(after >= 4);
	assert_int_equal(draw(c, &ref->s[1], 2), 0); /* the last record: a NOCACHE refill */
	image_crash(in, ref, c, img);
	assert_true(img->has_log && img->has_snap);
}

struct damage {
	struct image img;
	struct ref ref;
	/* the cases: ranges of truncations and of flipped bytes, per file */
	size_t trunc_log, trunc_snap;	   /* truncation lengths 0..n-1 */
	size_t flip_from[2], flip_to[2];   /* byte ranges, [0] log, [1] snapshot */
	int bits;			   /* bits per byte: 8, or 1 (rotating) */
	bool missing;			   /* and a missing log, a missing snapshot */
	size_t n_trunc, n_flip, n_missing; /* case counts */
	size_t ncases;			   /* in the plan */
	size_t stride;			   /* every stride-th of them is run */
	size_t nrun;
};

static void damage_plan(struct damage *d)
{
	d->n_trunc = d->trunc_log + d->trunc_snap;
	d->n_flip = 0;
	for (int f = 0; f < 2; f++)
		d->n_flip += (d->flip_to[f] - d->flip_from[f]) * (size_t)d->bits;
	d->n_missing = d->missing ? 2 : 0;
	d->ncases = d->n_trunc + d->n_flip + d->n_missing;
	d->stride = stride;
	d->nrun = (d->ncases + d->stride - 1) / d->stride;
}

/* Case idx of the plan: the damaged image and which file it hurts. */
static void damage_case(const struct damage *d, size_t idx, struct image *out, int *file, char *label,
			size_t cap)
{
	*out = d->img;
	out->log = malloc(d->img.nlog + 1);
	out->snap = malloc(d->img.nsnap + 1);
	if (d->img.nlog)
		memcpy(out->log, d->img.log, d->img.nlog);
	if (d->img.nsnap)
		memcpy(out->snap, d->img.snap, d->img.nsnap);
	if (idx < d->trunc_log) {
		*file = 0;
		out->nlog = idx;
		snprintf(label, cap, "log truncated to %zu bytes", idx);
		return;
	}
	idx -= d->trunc_log;
	if (idx < d->trunc_snap) {
		*file = 1;
		out->nsnap = idx;
		snprintf(label, cap, "snapshot truncated to %zu bytes", idx);
		return;
	}
	idx -= d->trunc_snap;
	for (int f = 0; f < 2; f++) {
		size_t n = (d->flip_to[f] - d->flip_from[f]) * (size_t)d->bits;
		if (idx < n) {
			size_t byte = d->flip_from[f] + idx / (size_t)d->bits;
			int bit = d->bits == 8 ? (int)(idx % 8) : (int)(byte % 8);
			unsigned char *p = f == 0 ? out->log : out->snap;
			p[byte] ^= (unsigned char)(1u << bit);
			*file = f;
			snprintf(label, cap, "%s byte %zu bit %d flipped", f == 0 ? "log" : "snapshot", byte,
				 bit);
			return;
		}
		idx -= n;
	}
	*file = (int)idx;
	if (idx == 0)
		out->has_log = false;
	else
		out->has_snap = false;
	snprintf(label, cap, "%s missing", idx == 0 ? "log" : "snapshot");
}

static void damage_one(struct worker *w, size_t idx, void *arg)
{
	const struct damage *d = arg;
	struct image img;
	int file, st;
	char label[128], path[400];
	/* the run's idx-th case: one of each stride, its place rotating */
	idx = idx * d->stride + idx % d->stride;
	if (idx >= d->ncases)
		idx = d->ncases - 1;
	damage_case(d, idx, &img, &file, label, sizeof(label));
	snprintf(path, sizeof(path), "%s/%s", w->in.data, file == 0 ? "log" : "snapshot");
	image_put(&w->in, &img);
	free(img.log);
	free(img.snap);
	w->t[T_CASES]++;
	const struct start_opts o = {.args = {"--no-adopt"}};
	int r = inst_start(&w->in, &o, &st);
	char *err = read_errlog(&w->in);
	if (r == HUNG) {
		fail_case(w, "%s: the daemon neither started nor exited: %s", label, err);
	} else if (r == EXITED) {
		if (refusal_ok(w, label, st, err, path))
			w->t[T_REFUSED]++;
	} else {
		bool skipped = strstr(err, "torn or damaged") != NULL;
		struct ref ref = d->ref;
		struct verdict v;
		check_ref(w->in.name, &ref, &v);
		if (!verdict_ok(&v)) {
			free(err);
			err = read_errlog(&w->in);
			fail_case(w, "%s: started, but %s; stderr: %s", label, v.why, err);
		} else {
			w->t[skipped ? T_SKIPPED : T_RECOVERED]++;
		}
		stop_clean(w, label);
	}
	free(err);
}

static void print_damage(const char *what, const struct damage *d, const long t[T_N], double secs)
{
	char sample[64] = "";
	if (d->stride > 1)
		snprintf(sample, sizeof(sample), "; 1 in %zu run: %zu", d->stride, d->nrun);
	printf("# %s: %zu cases (%zu truncations, %zu bit flips at %d bit%s per byte, %zu missing files%s) "
	       "in %.1f s: %ld refused with a message, %ld recovered, %ld recovered after skipping past a "
	       "damaged last record, %ld failures\n",
	       what, d->ncases, d->n_trunc, d->n_flip, d->bits, d->bits == 1 ? "" : "s", d->n_missing, sample,
	       secs, t[T_REFUSED], t[T_RECOVERED], t[T_SKIPPED], t[T_FAIL]);
	fflush(stdout);
}

#define TAIL_CASES 64

/* Where a log's whole records end (its header's end when it has none). */
static size_t log_end(const unsigned char *log, size_t n)
{
	size_t off = 64;
	for (;;) {
		uint32_t len;
		uint64_t l;
		if (off + 20 > n)
			return off < n ? off : n;
		memcpy(&len, log + off, 4);
		memcpy(&l, log + off + 8, 8);
		if (l == 0 || off + 20 + len > n)
			return off;
		off += 20 + len;
	}
}

static void test_every_truncation_and_bit_flip(void **state)
{
	(void)state;
	struct inst in;
	inst_init(&in, "img");
	struct damage *d = calloc(1, sizeof(*d));
	build_image(&in, &d->ref, &d->img);
	inst_fini(&in);
	/* The log grows in preallocated steps: past its last record it is
	 * zeros, and every truncation or flip there is the same case as the
	 * first TAIL_CASES of them. */
	size_t used = log_end(d->img.log, d->img.nlog) + TAIL_CASES;
	d->trunc_log = used < d->img.nlog ? used : d->img.nlog;
	d->trunc_snap = d->img.nsnap;
	d->flip_to[0] = d->trunc_log;
	d->flip_to[1] = d->img.nsnap;
	d->bits = full ? 8 : 1;
	d->missing = true;
	damage_plan(d);
	printf("# data directory: log %zu bytes (records and %d bytes of its zero tail damaged), snapshot "
	       "%zu "
	       "bytes, %d sequences\n",
	       d->img.nlog, TAIL_CASES, d->img.nsnap, d->ref.n);
	long t[T_N];
	double t0 = now_s();
	run_cases("dmg", d->nrun, damage_one, d, t);
	print_damage("truncations and bit flips", d, t, now_s() - t0);
	long nrun = (long)d->nrun;
	image_free(&d->img);
	free(d);
	assert_int_equal(t[T_FAIL], 0);
	assert_int_equal(t[T_CASES], nrun);
}

/* How many whole records a log holds after its header. */
static int log_records(const unsigned char *log, size_t n)
{
	size_t off = 64;
	int k = 0;
	for (;;) {
		uint32_t len;
		uint64_t l;
		if (off + 20 > n)
			return k;
		memcpy(&len, log + off, 4);
		memcpy(&l, log + off + 8, 8);
		if (l == 0 || off + 20 + len > n)
			return k;
		off += 20 + len;
		k++;
	}
}

/* The record `back` records before the last (0: the last one) of a log:
 * its offsets [from, to), type and LSN. */
static void log_record(const unsigned char *log, size_t n, int back, size_t *from, size_t *to, uint16_t *type,
		       uint64_t *lsn)
{
	size_t off = 64, starts[3] = {0, 0, 0}, ends[3] = {0, 0, 0};
	for (;;) {
		uint32_t len;
		uint64_t l;
		if (off + 20 > n)
			break;
		memcpy(&len, log + off, 4);
		memcpy(&l, log + off + 8, 8);
		if (l == 0 || off + 20 + len > n)
			break;
		memmove(starts + 1, starts, 2 * sizeof(*starts));
		memmove(ends + 1, ends, 2 * sizeof(*ends));
		starts[0] = off;
		off += 20 + len;
		ends[0] = off;
	}
	size_t prev = starts[back];
	assert_true(prev >= 64);
	*from = prev;
	*to = ends[back];
	memcpy(type, log + prev + 4, 2);
	memcpy(lsn, log + prev + 8, 8);
}

/* The LSN of the last record the daemon wrote, once it has handled every
 * request sent so far (a status request answers after them). */
static uint64_t settled_lsn(const struct inst *in, shmseq *c)
{
	struct shmseq_status st;
	assert_int_equal(shmseq_status(c, &st), 0);
	struct image img;
	image_take(in, &img);
	size_t from, to;
	uint16_t type;
	uint64_t lsn = 0; /* none: a snapshot just started a new log */
	if (log_records(img.log, img.nlog) > 0)
		log_record(img.log, img.nlog, 0, &from, &to, &type, &lsn);
	image_free(&img);
	return lsn;
}

enum last_kind { L_REFILL, L_CREATE, L_DROP, L_SETVAL, L_RESTART, L_WRAP, L_N };
static const char *const last_names[L_N] = {"refill", "CREATE",	       "DROP",
					    "SETVAL", "ALTER RESTART", "CYCLE wrap"};

/* A data directory whose last log record is of the given kind,
 * acknowledged, with values handed out from what it reserved. False when
 * a snapshot started a new log meanwhile (the caller builds again). */
static bool build_last(struct inst *in, enum last_kind kind, struct ref *ref, struct image *img)
{
	shmseq *c = image_begin(in, ref);
	for (int round = 0; round < 3; round++)
		draw_round(c, ref);
	char sql[160];
	struct rseq *s;
	if (kind == L_WRAP) /* up to the last value of the round */
		while (ref->s[2].last != 50)
			assert_int_equal(draw(c, &ref->s[2], 1), 0);
	uint64_t lsn0 = settled_lsn(in, c);
	switch (kind) {
	case L_REFILL:
		assert_int_equal(draw(c, &ref->s[1], 1), 0);
		break;
	case L_CREATE:
		s = ref_add(ref, "n", 1, false);
		assert_int_equal(exec_sql(c, "CREATE SEQUENCE n START WITH 100 CACHE 10", NULL), 0);
		s->state = PRESENT;
		assert_int_equal(draw(c, s, 3), 0);
		break;
	case L_DROP:
		shmseq_seq_close(ref->s[0].h);
		ref->s[0].h = NULL;
		assert_int_equal(exec_sql(c, "DROP SEQUENCE a", NULL), 0);
		ref->s[0].state = ABSENT;
		break;
	case L_SETVAL:
		s = &ref->s[3];
		/* further than a lost record makes k skip (its largest reservation) */
		snprintf(sql, sizeof(sql), "SELECT SETVAL(k, %" PRId64 ")", s->last + 100000000);
		assert_int_equal(exec_sql(c, sql, NULL), 0);
		s->has_min = true;
		s->min_next = s->last + 100000001;
		assert_int_equal(draw(c, s, 5), 0);
		break;
	case L_RESTART:
		s = &ref->s[0];
		snprintf(sql, sizeof(sql), "ALTER SEQUENCE a RESTART WITH %" PRId64, s->last + 1000000);
		assert_int_equal(exec_sql(c, sql, NULL), 0);
		s->has_min = true;
		s->min_next = s->last + 1000000;
		assert_int_equal(draw(c, s, 3), 0);
		break;
	case L_WRAP: {
		s = &ref->s[2];
		int64_t r0 = s->round;
		assert_int_equal(draw(c, s, 1), 0);
		assert_true(s->round == r0 + 1 && s->last == 1);
		break;
	}
	default:
		fail();
	}
	/* the statement's record is the last one but for the no-op record
	 * that closes its batch (a refill's is the last), and values were taken
	 * from what it reserved */
	uint64_t lsn1 = settled_lsn(in, c);
	bool rotated = lsn0 == 0 || lsn1 == 0 || lsn1 < lsn0;
	if (!rotated)
		assert_int_equal(lsn1, lsn0 + (kind == L_REFILL ? 1 : 2));
	image_crash(in, ref, c, img);
	assert_true(img->has_log);
	return !rotated && log_records(img->log, img->nlog) >= 2;
}

/* A damaged last record is taken for a torn one: the daemon must act as if
 * whatever it was had been acknowledged. A statement's record is never the
 * last (a no-op record closes its batch), so damage to it is refused. Every
 * bit of the record (one per byte by default) is flipped, for a refill and
 * for each kind of statement. */
static void test_damaged_last_record(void **state)
{
	(void)state;
	long fails = 0;
	for (int kind = 0; kind < L_N; kind++) {
		struct damage *d = NULL;
		/* With --snapshot-bytes 4096 a snapshot may start a new log just
		 * after the statement, leaving its record in the snapshot only:
		 * build again until the log holds it (a rotation is rare). */
		for (int attempt = 0; attempt < 5; attempt++) {
			struct inst in;
			char tag[24];
			snprintf(tag, sizeof(tag), "last%d-%d", kind, attempt);
			inst_init(&in, tag);
			d = calloc(1, sizeof(*d));
			bool ok = build_last(&in, (enum last_kind)kind, &d->ref, &d->img);
			inst_fini(&in);
			if (ok)
				break;
			printf("# %s: the log rotated after the statement; built again\n", last_names[kind]);
			image_free(&d->img);
			free(d);
			d = NULL;
		}
		assert_non_null(d);
		uint16_t type;
		uint64_t lsn;
		/* a statement's record: damage is in the middle (refused) */
		log_record(d->img.log, d->img.nlog, kind == L_REFILL ? 0 : 1, &d->flip_from[0],
			   &d->flip_to[0], &type, &lsn);
		d->bits = full ? 8 : 1;
		damage_plan(d);
		/* a few hundred cases: a denser sample than the whole files get */
		d->stride = stride > 3 ? 3 : stride;
		d->nrun = (d->ncases + d->stride - 1) / d->stride;
		long t[T_N];
		double t0 = now_s();
		run_cases("lst", d->nrun, damage_one, d, t);
		char what[128];
		snprintf(what, sizeof(what), "damaged record of a %s (type %u, log bytes %zu-%zu)",
			 last_names[kind], type, d->flip_from[0], d->flip_to[0]);
		print_damage(what, d, t, now_s() - t0);
		fails += t[T_FAIL];
		image_free(&d->img);
		free(d);
	}
	assert_int_equal(fails, 0);
}

/* ---- 3 and 4: failing calls and power loss ------------------------------------------------------------ */

/* The seed of the workload: the base sequences, values handed out, a crash. */
static struct image seed;
static struct ref seed_ref;

/* The statement part of the workload, with the reference kept up to date.
 * Returns the count of statements acknowledged after the fault fired. */
struct wl {
	bool fired_seen;
	bool closed; /* fired and the daemon reports failure */
	bool died;
	int st;		 /* wait status if it died */
	int acked_after; /* statements acknowledged after the wal failed */
	int drawn_after; /* values handed out after the wal failed */
	struct region_slot before[NSLOTS];
	int nslots;
	char changed[256];
};

static bool wl_stop(struct worker *w, struct wl *wl)
{
	if (!wl->died && !inst_alive(&w->in, &wl->st))
		wl->died = true;
	return wl->died;
}

/* Copy the published part of the region (what clients may take). */
static int region_copy(const struct inst *in, struct region_slot *out, int max)
{
	int fd = region_fd(in->name);
	if (fd < 0)
		return -1;
	size_t size = region_bytes(NSLOTS);
	struct region_header *h = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return -1;
	int n = (int)(h->slots_used < (uint32_t)max ? h->slots_used : (uint32_t)max);
	struct region_slot *s = region_slots(h);
	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		atomic_store(&out[i].gen, atomic_load(&s[i].gen));
		atomic_store(&out[i].seq_id, atomic_load(&s[i].seq_id));
		atomic_store(&out[i].base, atomic_load(&s[i].base));
		atomic_store(&out[i].inc, atomic_load(&s[i].inc));
		atomic_store(&out[i].limit, atomic_load(&s[i].limit));
		atomic_store(&out[i].end, atomic_load(&s[i].end));
	}
	munmap(h, size);
	return n;
}

/* After the wal failed: has anything new been published? */
static bool region_changed(const struct inst *in, const struct wl *wl, char *why, size_t cap)
{
	struct region_slot now[NSLOTS];
	int n = region_copy(in, now, NSLOTS);
	if (n < 0)
		return false; /* the daemon removed it: it stopped */
	for (int i = 0; i < n; i++) {
		const struct region_slot *a = i < wl->nslots ? &wl->before[i] : NULL;
		const struct region_slot *b = &now[i];
		if (!a) {
			if (atomic_load(&b->seq_id)) {
				snprintf(why, cap, "slot %d was taken after the failure", i);
				return true;
			}
			continue;
		}
		if (atomic_load(&a->gen) != atomic_load(&b->gen) ||
		    atomic_load(&a->limit) != atomic_load(&b->limit) ||
		    atomic_load(&a->base) != atomic_load(&b->base) ||
		    atomic_load(&a->seq_id) != atomic_load(&b->seq_id)) {
			snprintf(why, cap,
				 "slot %d changed after the failure: gen %" PRIu64 "->%" PRIu64
				 ", limit %" PRIu64 "->%" PRIu64,
				 i, (uint64_t)atomic_load(&a->gen), (uint64_t)atomic_load(&b->gen),
				 (uint64_t)atomic_load(&a->limit), (uint64_t)atomic_load(&b->limit));
			return true;
		}
	}
	return false;
}

/* After each step: did the fault just fire? Then, if the wal failed, note
 * the region as it is; from here on nothing may be published. */
static void wl_watch(struct worker *w, shmseq *c, struct wl *wl)
{
	if (wl->fired_seen || !atomic_load(&w->in.fc->fired) || wl_stop(w, wl))
		return;
	wl->fired_seen = true;
	struct shmseq_status st;
	if (shmseq_status(c, &st) == 0 && st.failed) {
		wl->closed = true;
		wl->nslots = region_copy(&w->in, wl->before, NSLOTS);
	}
}

/* A statement; 0 when acknowledged. */
static int wl_ddl(struct worker *w, shmseq *c, struct wl *wl, const char *sql, struct rseq *s, int ok_state)
{
	if (wl_stop(w, wl))
		return -ECONNREFUSED;
	int r = exec_sql(c, sql, NULL);
	if (r == 0) {
		s->state = ok_state;
		if (wl->closed)
			wl->acked_after++;
	} else {
		s->state = UNKNOWN;
	}
	wl_watch(w, c, wl);
	return r;
}

static void wl_draw(struct worker *w, shmseq *c, struct wl *wl, struct rseq *s, int n)
{
	if (wl_stop(w, wl) || s->state == ABSENT)
		return;
	for (int i = 0; i < n; i++) {
		bool closed = wl->closed;
		if (draw(c, s, 1) < 0)
			break;
		if (closed)
			wl->drawn_after++;
		wl_watch(w, c, wl);
	}
	wl_watch(w, c, wl);
}

/* A second client drawing from k and s meanwhile, so that batches serve
 * more than one session (not from a: an ALTER … RESTART of a may go back
 * below what it took, and not from c: one client tracks c's rounds). */
#define DRAWER_MAX 50000
struct drawer {
	_Atomic int stop;
	_Atomic long n[2];
	int64_t v[2][DRAWER_MAX];
};

static pid_t drawer_start(const struct inst *in, struct drawer *dr)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	static const char *const names[2] = {"k", "s"};
	shmseq *c = NULL;
	shmseq_seq *h[2] = {NULL, NULL};
	while (!atomic_load(&dr->stop)) {
		struct timespec pause = {0, 200000};
		if (!c && shmseq_connect(in->name, &c) < 0) {
			c = NULL;
			nanosleep(&pause, NULL);
			continue;
		}
		for (int i = 0; i < 2; i++) {
			int64_t v;
			long n = atomic_load(&dr->n[i]);
			if (n >= DRAWER_MAX || (!h[i] && shmseq_seq_open(c, names[i], &h[i]) < 0) ||
			    shmseq_seq_nextval(h[i], &v) < 0) {
				nanosleep(&pause, NULL);
				continue;
			}
			dr->v[i][n] = v;
			atomic_store(&dr->n[i], n + 1);
		}
	}
	shmseq_disconnect(c);
	_exit(0);
}

/* Stop the second client; what it was handed joins the reference. */
static void drawer_stop(pid_t pid, struct drawer *dr, struct ref *ref)
{
	atomic_store(&dr->stop, 1);
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 2; i++)
		for (long j = 0; j < atomic_load(&dr->n[i]); j++)
			note_value(&ref->s[i == 0 ? 3 : 4], dr->v[i][j]);
	munmap(dr, sizeof(*dr));
}

/* The workload: draws from every sequence, CREATE and DROP, a SETVAL and an
 * ALTER … RESTART forward, snapshots and the log growing, on one session,
 * and a second session drawing meanwhile. */
static void workload(struct worker *w, struct ref *ref, struct wl *wl)
{
	shmseq *c;
	struct drawer *dr = shared_alloc(sizeof(*dr));
	pid_t drawer = drawer_start(&w->in, dr);
	if (shmseq_connect(w->in.name, &c) < 0) {
		wl_stop(w, wl);
		drawer_stop(drawer, dr, ref);
		return;
	}
	wl_watch(w, c, wl);
	static const int n[] = {23, 2, 9, 40, 6};
	char sql[160];
	for (int round = 0; round < 8 && !wl_stop(w, wl); round++) {
		for (int i = 0; i < 5; i++)
			wl_draw(w, c, wl, &ref->s[i], n[i]);
		if (round % 3 == 0) {
			char name[16];
			snprintf(name, sizeof(name), "t%d", round);
			struct rseq *s = ref_add(ref, name, 1, false);
			snprintf(sql, sizeof(sql), "CREATE SEQUENCE %s CACHE 3", name);
			wl_ddl(w, c, wl, sql, s, PRESENT);
			if (s->state != ABSENT)
				wl_draw(w, c, wl, s, 4);
		} else if (round % 3 == 1) {
			struct rseq *s = &ref->s[ref->n - 1];
			shmseq_seq_close(s->h);
			s->h = NULL;
			snprintf(sql, sizeof(sql), "DROP SEQUENCE %s", s->name);
			wl_ddl(w, c, wl, sql, s, ABSENT);
		}
		if (round == 2) {
			struct rseq *s = &ref->s[3];
			int64_t to = s->last + 5000;
			snprintf(sql, sizeof(sql), "SELECT SETVAL(k, %" PRId64 ")", to);
			int before = s->state;
			if (wl_ddl(w, c, wl, sql, s, PRESENT) == 0) {
				s->has_min = true;
				s->min_next = to + 1;
			}
			s->state = before; /* SETVAL neither creates nor drops */
		}
		if (round == 4) {
			struct rseq *s = &ref->s[0];
			int64_t to = s->last + 500;
			snprintf(sql, sizeof(sql), "ALTER SEQUENCE a RESTART WITH %" PRId64, to);
			int before = s->state;
			if (wl_ddl(w, c, wl, sql, s, PRESENT) == 0) {
				s->has_min = true;
				s->min_next = to;
			}
			s->state = before;
		}
	}
	if (wl->closed && !wl_stop(w, wl))
		region_changed(&w->in, wl, wl->changed, sizeof(wl->changed));
	drawer_stop(drawer, dr, ref);
	close_handles(ref);
	shmseq_disconnect(c);
}

static void build_seed(void)
{
	struct inst in;
	int st;
	inst_init(&in, "seed");
	assert_int_equal(inst_start(&in, NULL, &st), STARTED);
	shmseq *c;
	assert_int_equal(shmseq_connect(in.name, &c), 0);
	seed_ref.n = 0;
	create_base(c, &seed_ref);
	draw_round(c, &seed_ref);
	close_handles(&seed_ref);
	shmseq_disconnect(c);
	st = inst_stop(&in, SIGKILL);
	assert_true(WIFSIGNALED(st));
	image_take(&in, &seed);
	inst_fini(&in);
}

/* The names of the data directory, with their inodes: as the last
 * directory fsync made them durable (faultshim's record), or as they are
 * (renames may reach the disk before that fsync). */
struct names {
	int n;
	char name[16][64];
	unsigned long long ino[16];
};

static int names_read(const struct inst *in, bool live, struct names *nm)
{
	char p[700], line[400];
	nm->n = 0;
	if (live) {
		DIR *dir = opendir(in->data);
		struct dirent *e;
		while (dir && (e = readdir(dir)) != NULL && nm->n < 16) {
			struct stat st;
			snprintf(p, sizeof(p), "%s/%s", in->data, e->d_name);
			size_t len = strlen(e->d_name);
			if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && len < sizeof(nm->name[0])) {
				memcpy(nm->name[nm->n], e->d_name, len + 1);
				nm->ino[nm->n++] = (unsigned long long)st.st_ino;
			}
		}
		if (dir)
			closedir(dir);
		return dir ? 0 : -1;
	}
	snprintf(p, sizeof(p), "%s/names", in->synced);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	while (nm->n < 16 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu", nm->name[nm->n], &nm->ino[nm->n]) == 2)
			nm->n++;
	fclose(f);
	return 0;
}

/* Build in the data directory the disk a power loss leaves: these names,
 * each with the content of its last sync (empty if it was never synced). */
static void power_loss_image(struct inst *in, const struct names *nm)
{
	char p[700];
	data_clear(in);
	for (int i = 0; i < nm->n; i++) {
		if (strcmp(nm->name[i], "lock") == 0)
			continue;
		size_t len = 0;
		snprintf(p, sizeof(p), "%s/ino-%llu", in->synced, nm->ino[i]);
		unsigned char *b = slurp(p, &len);
		snprintf(p, sizeof(p), "%s/%s", in->data, nm->name[i]);
		spit(p, b ? b : (unsigned char *)"", len);
		free(b);
	}
}

struct io_case {
	int kind;
	uint64_t k;
	const char *what; /* EIO, ENOSPC, short, crash */
	bool sticky;
};

struct io_plan {
	struct io_case *cases;
	size_t n;
	bool accept; /* start from a truncated log with --accept-log-damage */
};

/* A restart without the fault, checked against the reference. */
static void restart_check(struct worker *w, const char *label, const char *phase, bool adopt, bool accept,
			  struct ref *ref)
{
	int st;
	struct start_opts o = {0};
	int na = 0;
	if (!adopt)
		o.args[na++] = "--no-adopt";
	if (accept)
		o.args[na++] = "--accept-log-damage";
	char l2[300];
	snprintf(l2, sizeof(l2), "%s, %s", label, phase);
	int r = inst_start(&w->in, &o, &st);
	char *err = read_errlog(&w->in);
	w->t[T_RESTARTS]++;
	if (r == HUNG) {
		fail_case(w, "%s: the daemon neither started nor exited: %s", l2, err);
	} else if (r == EXITED) {
		/* allowed if it says what is wrong and how to recover: counted */
		if (refusal_ok(w, l2, st, err, w->in.data)) {
			w->t[T_RESTART_REF]++;
			printf("# note: %s: refused: %s", l2, err);
		}
	} else {
		struct verdict v;
		check_ref(w->in.name, ref, &v);
		if (!verdict_ok(&v)) {
			free(err);
			err = read_errlog(&w->in);
			fail_case(w, "%s: %s; stderr: %s", l2, v.why, err);
		}
	}
	free(err);
}

static void io_one(struct worker *w, size_t idx, void *arg)
{
	const struct io_plan *plan = arg;
	const struct io_case *ic = &plan->cases[idx];
	struct inst *in = &w->in;
	char fault[64], label[160];
	int st;
	snprintf(fault, sizeof(fault), "%s:%" PRIu64 ":%s%s", kind_names[ic->kind], ic->k, ic->what,
		 ic->sticky ? ",sticky" : "");
	snprintf(label, sizeof(label), "%s%s", plan->accept ? "damage accepted, " : "", fault);
	bool crash = strcmp(ic->what, "crash") == 0;
	w->t[T_CASES]++;

	struct image img = seed;
	if (plan->accept)
		img.nlog = seed.nlog - 100;
	image_put(in, &img);
	region_unlink(in);
	memset((void *)in->fc, 0, sizeof(*in->fc));
	rm_rf(in->synced);
	mkdir_or_die(in->synced);
	struct ref ref = seed_ref;
	struct start_opts o = {.shim = true, .fault = fault, .record = crash};
	if (plan->accept)
		o.args[0] = "--accept-log-damage";
	int r = inst_start(in, &o, &st);
	char *err = read_errlog(in);
	bool fired = atomic_load(&in->fc->fired) > 0;
	struct wl wl = {0};
	if (r == HUNG) {
		fail_case(w, "%s: the daemon neither started nor exited: %s", label, err);
		free(err);
		return;
	}
	if (r == EXITED) {
		if (crash && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && fired) {
			wl.died = true; /* the power went out during start-up */
		} else if (!fired) {
			fail_case(w, "%s: start-up failed without the fault (status 0x%x): %s", label, st,
				  err);
			free(err);
			return;
		} else if (refusal_ok(w, label, st, err, NULL) && strstr(err, in->data) &&
			   (strstr(err, strerror(EIO)) || strstr(err, strerror(ENOSPC)))) {
			w->t[T_START_FAIL]++;
		} else {
			fail_case(w, "%s: start-up failed without saying what went wrong: %s", label, err);
		}
	} else {
		workload(w, &ref, &wl);
		fired = atomic_load(&in->fc->fired) > 0;
		if (!wl.died && wl.closed) {
			w->t[T_WATCHED]++;
			w->t[T_DRAWN_AFTER] += wl.drawn_after;
		}
		if (!wl.died && wl.changed[0])
			fail_case(w, "%s: published after the wal failed: %s", label, wl.changed);
		if (!wl.died && wl.closed && wl.acked_after)
			fail_case(w, "%s: %d statements acknowledged after the wal failed", label,
				  wl.acked_after);
		if (wl.died && !(crash && WIFSIGNALED(wl.st) && WTERMSIG(wl.st) == SIGKILL && fired)) {
			free(err);
			err = read_errlog(in);
			fail_case(w, "%s: the daemon died (status 0x%x): %s", label, wl.st, err);
		}
		if (!wl.died) {
			/* stop it: a clean shutdown must work after a failure too (and
			 * its calls are power-loss points) */
			bool term = crash || ic->k % 2 == 0;
			int s = inst_stop(in, term ? SIGTERM : SIGKILL);
			fired = atomic_load(&in->fc->fired) > 0;
			free(err);
			err = read_errlog(in);
			bool power_loss = crash && fired && WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL;
			if ((term && !power_loss && (!WIFEXITED(s) || WEXITSTATUS(s) != 0)) ||
			    sanitizer_report(err))
				fail_case(w, "%s: shutdown after the fault failed (0x%x): %s", label, s, err);
		}
		if (fired && wl.closed) {
			w->t[T_CLOSED]++;
			if (!strstr(err, "durable") && !strstr(err, "snapshot failed"))
				w->t[T_SILENT]++;
		} else if (fired && !crash) {
			w->t[T_CARRIED_ON]++;
		}
	}
	free(err);
	w->t[T_FIRED] += fired;

	if (crash) {
		/* the power went out at the fault: only what was synced is left */
		if (!fired)
			return;
		struct names durable, live;
		if (names_read(in, false, &durable) < 0 || names_read(in, true, &live) < 0) {
			fail_case(w, "%s: no record of what was durable", label);
			return;
		}
		struct image crashed, lost;
		image_take(in, &crashed);
		for (int variant = 0; variant < 2; variant++) {
			struct ref r2 = ref;
			power_loss_image(in, variant ? &live : &durable);
			if (variant == 0) {
				image_take(in, &lost);
				w->t[T_DROPPED] += lost.nlog != crashed.nlog || lost.nsnap != crashed.nsnap ||
						   (lost.nlog && memcmp(lost.log, crashed.log, lost.nlog)) ||
						   (lost.nsnap &&
						    memcmp(lost.snap, crashed.snap, lost.nsnap));
				image_free(&lost);
			}
			region_unlink(in);
			restart_check(w, label, variant ? "power loss, renames kept" : "power loss", false,
				      false, &r2);
			stop_clean(w, label);
		}
		image_free(&crashed);
		return;
	}
	/* a restart that adopts the region if the failed daemon left it, then one
	 * from the files alone */
	struct image after;
	image_take(in, &after);
	struct ref r2 = ref;
	restart_check(w, label, "restart", true, plan->accept, &r2);
	kill_checked(w, label);
	image_put(in, &after);
	region_unlink(in);
	restart_check(w, label, "restart from the files", false, plan->accept, &ref);
	stop_clean(w, label);
	image_free(&after);
}

static void learn_clean_counts(bool accept, uint64_t out[K_NKINDS])
{
	struct inst in;
	int st;
	inst_init(&in, accept ? "cleanacc" : "clean");
	struct image img = seed;
	if (accept)
		img.nlog = seed.nlog - 100;
	image_put(&in, &img);
	struct start_opts o = {.shim = true};
	if (accept)
		o.args[0] = "--accept-log-damage";
	assert_int_equal(inst_start(&in, &o, &st), STARTED);
	if (accept) {
		/* the loop covers the calls of the start-up that accepts the damage */
		for (int k = 0; k < K_NKINDS; k++)
			out[k] = atomic_load(&in.fc->calls[k]);
	} else {
		struct worker w = {.in = in};
		long t[T_N] = {0};
		w.t = t;
		struct ref ref = seed_ref;
		struct wl wl = {0};
		workload(&w, &ref, &wl);
		in = w.in;
		assert_false(wl.died);
		assert_true(file_exists(&in, "snapshot"));
		st = inst_stop(&in, SIGTERM);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		for (int k = 0; k < K_NKINDS; k++)
			out[k] = atomic_load(&in.fc->calls[k]);
		/* the checker itself: a clean restart passes, planted faults are caught */
		const struct start_opts o2 = {.args = {"--no-adopt"}};
		assert_int_equal(inst_start(&in, &o2, &st), STARTED);
		struct verdict v;
		struct ref bad = ref;
		check_ref(in.name, &ref, &v);
		if (!verdict_ok(&v))
			fail_msg("clean run: %s", v.why);
		bad.s[0].last += 1000000; /* a, ascending */
		bad.s[1].last -= 1000000; /* d, descending */
		bad.s[2].round += 1;	  /* c, CYCLE: a later round */
		assert_string_equal(bad.s[5].name, "t0");
		bad.s[5].state = PRESENT; /* t0 was created, then dropped */
		bad.s[3].state = ABSENT;  /* k is there */
		check_ref(in.name, &bad, &v);
		assert_int_equal(v.reissued, 3);
		assert_int_equal(v.missing, 1);
		assert_int_equal(v.back, 1);
	}
	st = inst_stop(&in, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	inst_fini(&in);
}

static void io_loop(bool accept, bool crash_only)
{
	uint64_t calls[K_NKINDS];
	learn_clean_counts(accept, calls);
	struct io_plan plan = {.accept = accept};
	size_t cap = 64;
	plan.cases = malloc(cap * sizeof(*plan.cases));
	for (int kind = 0; kind < K_NKINDS; kind++) {
		/* one past the clean count: the calls vary a little with timing */
		for (uint64_t k = 1; k <= calls[kind] + (calls[kind] ? 1 : 0); k++) {
			const char *whats[6];
			bool sticky[6] = {0};
			int nw = 0;
			if (crash_only) {
				whats[nw++] = "crash";
			} else if (stride > 1) {
				whats[nw] = k % 2 ? "EIO" : "ENOSPC";
				sticky[nw++] = k % 4 == 0;
				if ((kind == K_PWRITE || kind == K_WRITE) && k % 3 == 0)
					whats[nw++] = "short";
			} else {
				/* one failure, a full disk from here on, a torn write */
				whats[nw++] = "EIO";
				whats[nw++] = "ENOSPC";
				whats[nw] = "ENOSPC";
				sticky[nw++] = true;
				if (kind == K_PWRITE || kind == K_WRITE)
					whats[nw++] = "short";
			}
			for (int i = 0; i < nw; i++) {
				if (plan.n == cap)
					plan.cases = realloc(plan.cases, (cap *= 2) * sizeof(*plan.cases));
				plan.cases[plan.n++] = (struct io_case){kind, k, whats[i], sticky[i]};
			}
		}
	}
	char counts[256] = "";
	for (int kind = 0; kind < K_NKINDS; kind++)
		snprintf(counts + strlen(counts), sizeof(counts) - strlen(counts), "%s%s %" PRIu64,
			 kind ? ", " : "", kind_names[kind], calls[kind]);
	long t[T_N];
	double t0 = now_s();
	run_cases(crash_only ? "pwr" : accept ? "acc" : "io", plan.n, io_one, &plan, t);
	double secs = now_s() - t0;
	if (crash_only)
		printf("# power loss before every persistence call (%s): %zu cases in %.1f s, %ld lost power "
		       "there (%ld of them dropped unsynced writes), %ld restarts from what was synced "
		       "checked "
		       "(%ld refused), %ld failures\n",
		       counts, plan.n, secs, t[T_FIRED], t[T_DROPPED], t[T_RESTARTS], t[T_RESTART_REF],
		       t[T_FAIL]);
	else
		printf("# I/O errors%s at every persistence call (%s): %zu cases in %.1f s, %ld fired: "
		       "%ld stopped the start-up with a message, %ld failed closed (%ld of them without a "
		       "message on stderr; in %ld the region was watched: nothing new published, %ld values "
		       "handed out from windows durable before), %ld carried on; %ld restarts checked (%ld "
		       "refused); %ld failures\n",
		       accept ? " during a start with --accept-log-damage" : "", counts, plan.n, secs,
		       t[T_FIRED], t[T_START_FAIL], t[T_CLOSED], t[T_SILENT], t[T_WATCHED], t[T_DRAWN_AFTER],
		       t[T_CARRIED_ON], t[T_RESTARTS], t[T_RESTART_REF], t[T_FAIL]);
	fflush(stdout);
	free(plan.cases);
	assert_int_equal(t[T_FAIL], 0);
	assert_true(t[T_FIRED] > 0);
}

static void test_io_errors_at_every_call(void **state)
{
	(void)state;
	io_loop(false, false);
}

static void test_io_errors_accepting_damage(void **state)
{
	(void)state;
	io_loop(true, false);
}

static void test_power_loss_at_every_call(void **state)
{
	(void)state;
	io_loop(false, true);
}

/* ---- a fresh data directory ------------------------------------------------------------------ */

/* Whether name, with inode ino, is among dir's entries as its last fsync
 * recorded in the dirsyncs file left them. */
static bool entry_synced(const char *dirsyncs, const char *dir, const char *name, unsigned long long ino)
{
	FILE *f = fopen(dirsyncs, "r");
	char *line = NULL, want[400];
	size_t cap = 0;
	bool found = false;
	snprintf(want, sizeof(want), "\t%s %llu", name, ino);
	while (f && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		size_t n = strlen(dir);
		if (strncmp(line, dir, n) == 0 && line[n] == '\t') {
			/* a later sync of dir replaces what an earlier one said */
			char *p = strstr(line + n, want);
			found = p && (p[strlen(want)] == '\t' || p[strlen(want)] == 0);
		}
	}
	free(line);
	if (f)
		fclose(f);
	return found;
}

/* The daemon makes its data directory, here three levels deep, then is
 * acknowledged a CREATE, then the power goes: on a filesystem that keeps
 * only what was fsynced, every level's entry must be in its parent's last
 * directory fsync (faultshim's record), or the directory and the CREATE
 * are gone and the next start is empty without a word. Then the disk a
 * power loss leaves (just what was synced) serves the sequence again. */
static void test_fresh_data_dir_synced(void **state)
{
	(void)state;
	struct inst in;
	int st;
	inst_init(&in, "fresh");
	char syncs[400], top[400];
	snprintf(syncs, sizeof(syncs), "%s/dirsyncs", in.dir);
	snprintf(top, sizeof(top), "%s/new", in.dir);
	snprintf(in.data, sizeof(in.data), "%s/new/state/data", in.dir);
	struct start_opts o = {.shim = true, .record = true, .dirsyncs = syncs};
	assert_int_equal(inst_start(&in, &o, &st), STARTED);
	shmseq *c;
	int64_t v;
	shmseq_result *res;
	assert_int_equal(shmseq_connect(in.name, &c), 0);
	assert_int_equal(shmseq_exec(c, "CREATE SEQUENCE s NOCACHE", &res), 0);
	assert_int_equal(shmseq_result_error(res), 0);
	shmseq_result_free(res);
	assert_int_equal(shmseq_nextval(c, "s", &v), 0);
	assert_int_equal(v, 1);
	/* acknowledged: the power goes now */
	st = inst_stop(&in, SIGKILL);
	shmseq_disconnect(c);
	const char *levels[] = {"new", "new/state", "new/state/data"};
	char parent[400], path[400];
	bool durable = true;
	for (int i = 0; i < 3; i++) {
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", in.dir, levels[i]);
		snprintf(parent, sizeof(parent), "%s", path);
		*strrchr(parent, '/') = 0;
		assert_int_equal(stat(path, &sb), 0);
		bool ok = entry_synced(syncs, parent, strrchr(path, '/') + 1, (unsigned long long)sb.st_ino);
		printf("# %s: its entry in %s %s\n", levels[i], parent,
		       ok ? "was fsynced before the CREATE was acknowledged" : "WAS NEVER FSYNCED");
		durable = durable && ok;
	}
	/* the disk after the power loss: what was synced, nothing else */
	struct names nm;
	bool have_names = names_read(&in, false, &nm) == 0;
	if (durable && have_names) {
		power_loss_image(&in, &nm);
	} else {
		char cmd[500];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		assert_int_equal(system(cmd), 0);
	}
	region_unlink(&in);
	assert_int_equal(inst_start(&in, NULL, &st), STARTED);
	assert_int_equal(shmseq_connect(in.name, &c), 0);
	int r = shmseq_nextval(c, "s", &v);
	printf("# after the power loss: NEXTVAL(s) = %d, %lld\n", r, (long long)v);
	shmseq_disconnect(c);
	inst_stop(&in, SIGTERM);
	inst_fini(&in);
	assert_true(durable);
	assert_int_equal(r, 0);
	assert_true(v > 1);
}

/* Occurrences of needle in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A full disk with room left in the preallocated log: the log still takes
 * every record, the snapshot cannot be written. The daemon keeps serving,
 * retries the snapshot with a growing delay (not once per batch), says so
 * once, naming the errno, the file and the size, and once more when space
 * comes back. The data directory is a small tmpfs (root only). */
static void test_disk_full_said_once(void **state)
{
	(void)state;
	struct inst in;
	int st;
	inst_init(&in, "diskfull");
	if (mount("tmpfs", in.data, "tmpfs", 0, "size=8m") < 0) {
		printf("# cannot mount a tmpfs (%s): skipping\n", strerror(errno));
		inst_fini(&in);
		skip();
	}
	struct start_opts o = {.args = {"--log-prealloc", "1048576", NULL}};
	/* no assertion until the end: the mount and the daemon go first */
	bool ok = true;
	int64_t v, last = 0;
	int drawn = 0, said = -1, again = -1;
	bool named = false;
	char *err;
	shmseq *c = NULL;
	shmseq_result *res;
	if (inst_start(&in, &o, &st) != STARTED || shmseq_connect(in.name, &c) < 0 ||
	    shmseq_exec(c, "CREATE SEQUENCE s NOCACHE", &res) < 0) {
		ok = false;
		goto out;
	}
	ok = shmseq_result_error(res) == 0;
	shmseq_result_free(res);
	/* fill the file system */
	char filler[400];
	snprintf(filler, sizeof(filler), "%s/filler", in.data);
	int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	static char block[4096];
	for (int i = 0; fd >= 0 && i < 4096 && write(fd, block, sizeof(block)) == (ssize_t)sizeof(block); i++)
		;
	if (fd >= 0)
		close(fd);
	/* each NEXTVAL a batch and a record: the log passes --snapshot-bytes */
	double t0 = now_s();
	while (drawn < 2000 && now_s() - t0 < 1.5) {
		if (shmseq_nextval(c, "s", &v) < 0 || v <= last) {
			ok = false;
			goto out;
		}
		last = v;
		drawn++;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	err = read_errlog(&in);
	said = count_of(err, "snapshot failed");
	printf("# disk full: %d values in %.1f s, %d snapshot failure lines\n", drawn, now_s() - t0, said);
	named = strstr(err, "ENOSPC") && strstr(err, "snapshot.tmp") && strstr(err, "bytes needed");
	free(err);
	/* space comes back: the next retry writes it and says so */
	ok = ok && unlink(filler) == 0;
	again = 0;
	t0 = now_s();
	while (ok && again == 0 && now_s() - t0 < 10) {
		for (int i = 0; i < 50; i++) {
			if (shmseq_nextval(c, "s", &v) < 0 || v <= last) {
				ok = false;
				break;
			}
			last = v;
		}
		err = read_errlog(&in);
		again = count_of(err, "snapshot written again");
		free(err);
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	printf("# space back: recovery said %d time(s) after %.1f s\n", again, now_s() - t0);
out:
	err = read_errlog(&in);
	printf("# the daemon said (its first 2000 bytes):\n%.2000s\n", err ? err : "");
	free(err);
	if (c)
		shmseq_disconnect(c);
	inst_stop(&in, SIGTERM);
	umount2(in.data, MNT_DETACH);
	inst_fini(&in);
	assert_true(ok);
	assert_true(drawn > 100);
	assert_int_equal(said, 1);
	assert_true(named);
	assert_int_equal(again, 1);
}

/* The log failing under load: the message names the errno, the file and
 * the size, so that a full disk and a failing one read differently. */
static void test_log_failure_names_errno(void **state)
{
	(void)state;
	static const char *const faults[] = {"pwrite:20:ENOSPC,sticky", "pwrite:20:EIO,sticky",
					     "fdatasync:20:EIO,sticky"};
	static const char *const want[] = {"with ENOSPC (No space left on device): the file system is full",
					   "with EIO (Input/output error): the device reported an I/O error",
					   "a sync of"};
	for (int k = 0; k < 3; k++) {
		struct inst in;
		int st;
		char tag[16];
		snprintf(tag, sizeof(tag), "logfail%d", k);
		inst_init(&in, tag);
		struct start_opts o = {.shim = true, .fault = faults[k]};
		assert_int_equal(inst_start(&in, &o, &st), STARTED);
		shmseq *c;
		shmseq_result *res;
		assert_int_equal(shmseq_connect(in.name, &c), 0);
		assert_int_equal(shmseq_exec(c, "CREATE SEQUENCE s NOCACHE", &res), 0);
		shmseq_result_free(res);
		int64_t v;
		int i = 0;
		while (i < 200 && shmseq_nextval(c, "s", &v) == 0)
			i++;
		shmseq_disconnect(c);
		inst_stop(&in, SIGTERM);
		char *err = read_errlog(&in);
		const char *line = strstr(err, "the log cannot be written");
		printf("# %s, after %d values: %.*s\n", faults[k], i, line ? (int)strcspn(line, "\n") : 4,
		       line ? line : "none");
		bool ok = line && strstr(line, want[k]) && strstr(line, "/data/log") &&
			  (k == 2 || strstr(line, " bytes of "));
		free(err);
		inst_fini(&in);
		assert_true(i < 200);
		assert_true(ok);
	}
}

/* ---- set-up ---------------------------------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	daemon_bin = getenv("SHMSEQD");
	shim_path = getenv("SHMSEQ_FAULTSHIM");
	if (!daemon_bin || access(daemon_bin, X_OK) != 0 || !shim_path || access(shim_path, R_OK) != 0) {
		fprintf(stderr,
			"SHMSEQD and SHMSEQ_FAULTSHIM must name the built daemon and shim: skipping\n");
		exit(77);
	}
	const char *f = getenv("SHMSEQ_FAULTS_FULL");
	full = f && *f && strcmp(f, "0") != 0;
	const char *sv = getenv("SHMSEQ_FAULTS_STRIDE");
	if (sv && atoi(sv) > 0)
		stride = (size_t)atoi(sv);
	if (full)
		stride = 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	jobs = cpus < 2 ? 2 : cpus > MAX_JOBS ? MAX_JOBS : (int)cpus;
	const char *j = getenv("SHMSEQ_FAULTS_JOBS");
	if (j && atoi(j) > 0)
		jobs = atoi(j) > MAX_JOBS ? MAX_JOBS : atoi(j);
	const char *tmp = getenv("SHMSEQ_FAULTS_TMPDIR");
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(root, sizeof(root), "%s/shmseq-faults-XXXXXX", tmp);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return -1;
	}
	char run[300];
	snprintf(run, sizeof(run), "%s/run", root);
	setenv("SHMSEQ_RUNTIME_DIR", run, 1);
	printf("# %s mode, stride %zu, %d workers, in %s\n", full ? "full" : "default", stride, jobs, root);
	build_seed();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	image_free(&seed);
	rm_rf(root);
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_truncation_and_bit_flip),
		cmocka_unit_test(test_damaged_last_record),
		cmocka_unit_test(test_io_errors_at_every_call),
		cmocka_unit_test(test_io_errors_accepting_damage),
		cmocka_unit_test(test_power_loss_at_every_call),
		cmocka_unit_test(test_fresh_data_dir_synced),
		cmocka_unit_test(test_disk_full_said_once),
		cmocka_unit_test(test_log_failure_names_errno),
	};
	const char *only = getenv("SHMSEQ_FAULTS_ONLY");
	if (only && *only)
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests(tests, setup, teardown);
}
