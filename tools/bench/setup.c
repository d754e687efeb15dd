/* SPDX-License-Identifier: MIT */
/* setup.c — a private daemon (--self-daemon), the sequences' names, the
 * CREATE statements from many connections, the daemon's status. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_HAVE_TSC 1
#endif

#include "spawn.h"
#include "tmpdir.h"

/* ---- setup: daemon, names, CREATE ---- */

void make_tmpdir(void)
{
	if (par.tmpdir[0])
		return;
	int r = tmpdir_make(par.tmpdir, sizeof(par.tmpdir), NULL, "shmseq-bench-");
	if (r < 0) {
		fprintf(stderr, "shmseq-bench: mkdtemp in %s: %s\n",
			getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(-r));
		exit(1);
	}
}

void start_daemon(void)
{
	const char *path = cfg.daemon_path ? cfg.daemon_path : getenv("SHMSEQD");
	if (!path || !*path)
		path = "shmseqd";
	make_tmpdir();
	char rundir[PATH_MAX + 8], data[PATH_MAX + 8];
	snprintf(rundir, sizeof(rundir), "%s/run", par.tmpdir);
	snprintf(data, sizeof(data), "%s/data", par.tmpdir);
	if (mkdir(rundir, 0700) < 0 || mkdir(data, 0700) < 0) {
		fprintf(stderr, "shmseq-bench: mkdir under %s: %s\n", par.tmpdir, strerror(errno));
		die_cleanup(1);
	}
	snprintf(par.instance, sizeof(par.instance), "bench-%ld", (long)getpid());
	cfg.instance = par.instance;
	setenv("SHMSEQ_RUNTIME_DIR", rundir, 1);

	char maxseq[32];
	snprintf(maxseq, sizeof(maxseq), "%" PRIu64, cfg.sequences + 1024);
	bool more_slots = cfg.sequences + 1024 > 1048576;
	const char *argv[] = {path,	    "--instance", par.instance,
			      "--data-dir", data,	  more_slots ? "--max-sequences" : NULL,
			      maxseq,	    NULL};
	/* own process group: a terminal ^C reaches the parent, which stops the
	 * daemon after the workers */
	struct spawn_opts o = {.argv = argv,
			       .ready_flag = "--ready-fd",
			       .own_group = true,
			       .prog = "shmseq-bench",
			       .hint = " (set $SHMSEQD or --daemon)"};
	struct spawn sp;
	int r = spawn_start(&sp, &o);
	if (r < 0) {
		fprintf(stderr, "shmseq-bench: fork: %s\n", strerror(-r));
		die_cleanup(1);
	}
	par.daemon_pid = sp.pid;
	int code = 0;
	r = spawn_await_ready(&sp, DAEMON_READY_MS, &code);
	if (r < 0) {
		par.daemon_pid = 0;
		if (r == -ETIMEDOUT)
			fprintf(stderr, "shmseq-bench: %s did not report ready in %d s\n", path,
				DAEMON_READY_MS / 1000);
		else if (code > 128)
			fprintf(stderr, "shmseq-bench: %s exited before it was ready (signal %d)\n", path,
				code - 128);
		else
			fprintf(stderr, "shmseq-bench: %s exited before it was ready (status %d)\n", path,
				code);
		die_cleanup(1);
	}
}

void build_names(void)
{
	char longest[SHMSEQ_NAME_MAX + 32];
	size_t len = (size_t)snprintf(longest, sizeof(longest), "%s_%" PRIu64, cfg.sequence, cfg.sequences);
	run.name_stride = (len + 1 + 7) & ~(size_t)7;
	run.name_buf = aligned_alloc(64, (cfg.sequences * run.name_stride + 63) & ~(size_t)63);
	if (!run.name_buf) {
		fprintf(stderr, "shmseq-bench: no memory for %" PRIu64 " names\n", cfg.sequences);
		exit(1);
	}
	for (uint64_t i = 0; i < cfg.sequences; i++) {
		char *at = run.name_buf + i * run.name_stride;
		if (cfg.sequences == 1)
			snprintf(at, run.name_stride, "%s", cfg.sequence);
		else
			snprintf(at, run.name_stride, "%s_%" PRIu64, cfg.sequence, i);
	}
}

/* Creating K sequences: up to CREATE_BATCH statements per shmseq_exec call, from
 * create_threads connections at once. Each CREATE returns once its record is
 * durable; the daemon's group commit makes one fdatasync serve every record
 * that arrived meanwhile, so concurrent connections share the syncs. */
struct creator {
	pthread_t tid;
	uint64_t end_ns; /* when it finished */
	int error;	 /* 0, or the first failure (already printed) */
};

/* The creator threads' shared state. */
static struct creation {
	_Atomic uint64_t next; /* the next batch's first index */
	uint64_t batch;	       /* statements per shmseq_exec call */
	_Atomic uint64_t done; /* statements done, for the progress line */
	_Atomic int failed;
	pthread_mutex_t print;
} creation = {.print = PTHREAD_MUTEX_INITIALIZER};

/* Record a creator's failure; only the first one of the run is printed. */
static void create_fail(struct creator *cr, int err, const char *what, const char *why)
{
	if (!atomic_exchange(&creation.failed, 1)) {
		pthread_mutex_lock(&creation.print);
		fprintf(stderr, "shmseq-bench: %s: %s\n", what, why);
		pthread_mutex_unlock(&creation.print);
	}
	cr->error = err ? err : -EIO;
}

static void *creator_main(void *arg)
{
	struct creator *cr = arg;
	shmseq *conn;
	int rc = shmseq_connect(cfg.instance, &conn);
	if (rc < 0) {
		create_fail(cr, rc, "connect", shmseq_strerror(rc));
		return NULL;
	}
	size_t stmt_max = strlen(cfg.sequence) + strlen(cfg.create) + 64;
	char *sql = malloc(stmt_max * creation.batch + 1);
	if (!sql) {
		create_fail(cr, -ENOMEM, "CREATE", "no memory for the statements");
		shmseq_disconnect(conn);
		return NULL;
	}
	while (!par.interrupted && !atomic_load(&creation.failed)) {
		uint64_t i = atomic_fetch_add(&creation.next, creation.batch);
		if (i >= cfg.sequences)
			break;
		uint64_t end = i + creation.batch < cfg.sequences ? i + creation.batch : cfg.sequences;
		size_t at = 0;
		for (uint64_t j = i; j < end; j++)
			at += (size_t)sprintf(sql + at, "CREATE OR REPLACE SEQUENCE %s %s;", seq_name(j),
					      cfg.create);
		shmseq_result *res = NULL;
		rc = shmseq_exec(conn, sql, &res);
		if (rc < 0) {
			create_fail(cr, rc, "CREATE", shmseq_strerror(rc));
			break;
		}
		uint64_t n = 0;
		for (const shmseq_result *r = res; r; r = shmseq_result_next(r), n++) {
			int e = shmseq_result_error(r);
			if (e < 0) {
				create_fail(cr, e, shmseq_result_statement(r), shmseq_result_message(r));
				break;
			}
		}
		shmseq_result_free(res);
		if (!cr->error && n != end - i)
			create_fail(cr, -EPROTO, "CREATE", "a batch did not run all its statements");
		if (cr->error)
			break;
		atomic_fetch_add(&creation.done, end - i);
	}
	cr->end_ns = now_ns();
	free(sql);
	shmseq_disconnect(conn);
	return NULL;
}

/* shmseq_status() on a connection of this process. */
static bool status_here(struct shmseq_status *st)
{
	shmseq *conn;
	if (shmseq_connect(cfg.instance, &conn) < 0)
		return false;
	bool ok = shmseq_status(conn, st) == 0;
	shmseq_disconnect(conn);
	return ok;
}

/* The parent never uses the library itself: what it needs of the daemon it
 * asks through a short-lived child. A process's first connection is the
 * only one libshmseq gives an auto-resizing name cache (a child of a process
 * that connected gets fixed buckets), so every worker process must be a
 * child of a process that never connected, like the workers of an
 * application's clean master. fn runs in the child and leaves its results
 * in `shared`, a MAP_SHARED area. */
static int run_in_child(int (*fn)(void *), void *shared)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "shmseq-bench: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(fn(shared) < 0 ? 1 : 0);
	int st;
	bool forwarded = false;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
		if (par.interrupted && !forwarded) {
			kill(pid, SIGTERM);
			forwarded = true;
		}
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void *shared_alloc(size_t bytes)
{
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

static int status_child(void *shared)
{
	return status_here(shared) ? 0 : -1;
}

/* The daemon's status (fdatasyncs, region, pid), or false when it cannot be had. */
bool daemon_status(struct shmseq_status *st)
{
	struct shmseq_status *sh = shared_alloc(sizeof(*sh));
	if (!sh)
		return false;
	bool ok = run_in_child(status_child, sh) == 0;
	if (ok)
		*st = *sh;
	munmap(sh, sizeof(*sh));
	return ok;
}

/* What the creating child hands back. */
struct create_out {
	uint64_t ns, syncs;
	bool syncs_known;
	unsigned threads_used;
};

static int create_here(void *shared)
{
	struct create_out *out = shared;
	unsigned n = cfg.create_threads;
	/* batches small enough to keep every connection busy */
	creation.batch = (cfg.sequences + n - 1) / n;
	if (creation.batch > CREATE_BATCH)
		creation.batch = CREATE_BATCH;
	uint64_t batches = (cfg.sequences + creation.batch - 1) / creation.batch;
	if (n > batches)
		n = (unsigned)batches;
	out->threads_used = n;
	struct creator *crs = calloc(n, sizeof(*crs));
	if (!crs) {
		fprintf(stderr, "shmseq-bench: no memory for %u creator threads\n", n);
		return -1;
	}
	struct shmseq_status st0, st1;
	bool have0 = status_here(&st0);
	uint64_t t0 = now_ns(), last_shown = t0;
	bool live = isatty(STDERR_FILENO) && !cfg.json, shown = false;
	unsigned started = 0;
	int ret = 0;
	for (; started < n; started++) {
		int e = pthread_create(&crs[started].tid, NULL, creator_main, &crs[started]);
		if (e) {
			fprintf(stderr, "shmseq-bench: pthread_create: %s\n", strerror(e));
			atomic_store(&creation.failed, 1);
			ret = -1;
			break;
		}
	}
	/* on a terminal, the progress line until every creator is done */
	while (live && started && atomic_load(&creation.done) < cfg.sequences &&
	       !atomic_load(&creation.failed) && !par.interrupted) {
		sleep_ms(20);
		uint64_t now = now_ns();
		if (now - t0 > 1000000000ull && now - last_shown > 250000000ull) {
			fprintf(stderr, "\rcreating sequences: %" PRIu64 " / %" PRIu64 "\033[K",
				atomic_load(&creation.done), cfg.sequences);
			shown = true;
			last_shown = now;
		}
	}
	uint64_t end = t0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(crs[i].tid, NULL);
		if (crs[i].error)
			ret = -1;
		if (crs[i].end_ns > end)
			end = crs[i].end_ns;
	}
	out->ns = end - t0;
	if (shown)
		fputs("\r\033[K", stderr);
	if (ret == 0 && have0 && status_here(&st1)) {
		out->syncs = st1.syncs - st0.syncs;
		out->syncs_known = true;
	}
	free(crs);
	if (par.interrupted)
		return -1;
	return ret;
}

/* CREATE the K sequences, from a child process (see run_in_child). */
int create_sequences(void)
{
	struct create_out *out = shared_alloc(sizeof(*out));
	if (!out) {
		fprintf(stderr, "shmseq-bench: mmap: %s\n", strerror(errno));
		return -1;
	}
	int rc = run_in_child(create_here, out);
	par.create_ns = out->ns;
	par.create_syncs = out->syncs;
	par.create_syncs_known = out->syncs_known;
	par.create_threads_used = out->threads_used;
	munmap(out, sizeof(*out));
	return rc;
}
