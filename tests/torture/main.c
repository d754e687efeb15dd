/* SPDX-License-Identifier: MIT */
/* main.c — shmseq-torture's configuration, shared memory and supervisor:
 * starts and SIGKILLs the daemon and the workers, drains the rings, reports
 * (see torture.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "torture.h"

#include "tmpdir.h"

#define DAEMON_READY_MS 30000

/* ------------------------------------------------------------------------ */
/* the supervisor (parent)                                                  */

/* The supervisor's state (the parent only). */
static struct supervisor {
	char instance[SHMSEQ_INSTANCE_MAX + 1];
	struct spawn daemon;
	pid_t churner;
	pid_t workers[MAX_PROCS];
	uint64_t worker_inc[MAX_PROCS]; /* each worker process's incarnation */
	volatile sig_atomic_t interrupted;
	uint64_t kills, client_kills, starts, noadopt_starts;
	uint64_t rng;
} sup = {.daemon = {.pid = -1, .ready_fd = -1}, .churner = -1};

enum role { R_NONE, R_DAEMON, R_WORKER, R_CHURNER };

static void on_signal(int sig)
{
	(void)sig;
	sup.interrupted = 1;
}

/* Fork the daemon (its stdout and stderr to <dir>/daemon.log); readiness
 * arrives on sup.daemon.ready_fd. */
static int daemon_spawn(void)
{
	bool no_adopt = cfg.adopt == 0 || (cfg.adopt < 0 && (rnd(&sup.rng) & 1));
	sup.noadopt_starts += no_adopt;
	char data[PATH_MAX + 8], logp[PATH_MAX + 16];
	snprintf(data, sizeof(data), "%s/data", run.dir);
	snprintf(logp, sizeof(logp), "%s/daemon.log", run.dir);
	const char *argv[] = {cfg.daemon,   "--instance", sup.instance,
			      "--data-dir", data,	  no_adopt ? "--no-adopt" : NULL,
			      NULL};
	struct spawn_opts o = {.argv = argv,
			       .ready_flag = "--ready-fd",
			       .log_path = logp,
			       .log_stdout = true,
			       .ignore_sigint = true};
	int r = spawn_start(&sup.daemon, &o);
	if (r < 0)
		return r;
	sup.starts++;
	return 0;
}

static void print_daemon_log_tail(void)
{
	char path[PATH_MAX + 16], cmd[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/daemon.log", run.dir);
	snprintf(cmd, sizeof(cmd), "tail -n 20 '%s' >&2", path);
	fprintf(stderr, "--- last lines of %s ---\n", path);
	(void)!system(cmd);
}

/* Start the daemon and wait for it; drains rings meanwhile. */
static int daemon_start_wait(void)
{
	if (daemon_spawn() < 0)
		return -1;
	for (;;) {
		int r = spawn_poll_ready(&sup.daemon, 1, DAEMON_READY_MS);
		if (r > 0) {
			atomic_fetch_add(&run.sh->tag, 1); /* even: serving */
			return 0;
		}
		if (r < 0) {
			violation(V_CRASH, "the daemon did not become ready (start %" PRIu64 ")", sup.starts);
			print_daemon_log_tail();
			spawn_kill(&sup.daemon);
			return -1;
		}
		drain_all();
	}
}

static void daemon_kill9(void)
{
	kill(sup.daemon.pid, SIGKILL);
	waitpid(sup.daemon.pid, NULL, 0);
	sup.daemon.pid = -1;
	atomic_fetch_add(&run.sh->tag, 1); /* odd: down */
	sup.kills++;
}

static int daemon_term(void)
{
	int st = 0;
	kill(sup.daemon.pid, SIGTERM);
	while (waitpid(sup.daemon.pid, &st, 0) < 0 && errno == EINTR)
		;
	sup.daemon.pid = -1;
	atomic_fetch_add(&run.sh->tag, 1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void spawn_worker(unsigned p)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("shmseq-torture: fork");
		exit(1);
	}
	if (pid == 0) {
		if (sup.daemon.ready_fd >= 0)
			close(sup.daemon.ready_fd);
		worker_main(p, ++sup.worker_inc[p]);
	}
	sup.worker_inc[p]++;
	sup.workers[p] = pid;
}

static void kill_worker(unsigned p)
{
	kill(sup.workers[p], SIGKILL);
	waitpid(sup.workers[p], NULL, 0);
	sup.workers[p] = -1;
	sup.client_kills++;
}

/* Reap children that exited by themselves. */
static void reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		char how[64];
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(st));
		if (pid == sup.daemon.pid) {
			violation(V_CRASH, "the daemon died by itself: %s", how);
			print_daemon_log_tail();
			sup.daemon.pid = -1;
			if (sup.daemon.ready_fd >= 0) {
				close(sup.daemon.ready_fd);
				sup.daemon.ready_fd = -1;
			}
			atomic_fetch_add(&run.sh->tag, 1);
			if (daemon_start_wait() < 0)
				sup.interrupted = 1;
		} else if (pid == sup.churner) {
			violation(V_CRASH, "the DDL churner died: %s", how);
			sup.churner = -1;
			sup.interrupted = 1;
		} else {
			for (unsigned p = 0; p < cfg.processes; p++)
				if (sup.workers[p] == pid) {
					if (!atomic_load(&run.sh->stop)) {
						violation(V_CRASH, "worker process %u died by itself: %s", p,
							  how);
						spawn_worker(p);
					} else {
						sup.workers[p] = -1;
					}
				}
		}
	}
}

static uint64_t sum_slots(size_t off_tol, bool drawn)
{
	uint64_t n = 0;
	for (unsigned s = 0; s < cfg.processes * cfg.threads; s++) {
		if (drawn)
			n += atomic_load_explicit(&run.sh->slots[s].drawn, memory_order_relaxed);
		else
			n += atomic_load_explicit(&run.sh->slots[s].tol[off_tol], memory_order_relaxed);
	}
	return n;
}

static uint64_t total_violations(void)
{
	uint64_t n = 0;
	for (int v = 0; v < NVIOL; v++)
		n += atomic_load(&run.sh->viol[v]);
	return n;
}

static uint64_t total_tolerated(void)
{
	uint64_t n = atomic_load(&run.sh->churner_tol);
	for (int t = 0; t < NTOL; t++)
		n += sum_slots((size_t)t, false);
	return n;
}

void progress(uint64_t t0)
{
	fprintf(stderr,
		"[%5.0fs] daemon kills %" PRIu64 ", client kills %" PRIu64 ", DDL %" PRIu64 " (+%" PRIu64
		" unknown), values %.1fM drawn, %.1fM checked unique, tolerated errors %" PRIu64
		", restarts verified %" PRIu64 ", violations %" PRIu64 "\n",
		(double)(now_ms() - t0) / 1000.0, sup.kills, sup.client_kills, atomic_load(&run.sh->ddl_ok),
		atomic_load(&run.sh->ddl_unknown), (double)sum_slots(0, true) / 1e6, (double)chk.unique / 1e6,
		total_tolerated(), atomic_load(&run.sh->verify_passes), total_violations());
}

/* Ask the churner for a full verification pass and wait for it. */
static bool churner_verify(const char *when)
{
	uint64_t req = atomic_fetch_add(&run.sh->verify_req, 1) + 1;
	uint64_t t0 = now_ms();
	while (atomic_load(&run.sh->verify_done) < req) {
		if (now_ms() - t0 > 60000 || sup.churner < 0) {
			violation(V_LOST_DDL, "the final verification (%s) did not complete", when);
			return false;
		}
		reap();
		sleep_us(1000);
	}
	return true;
}

static bool parse_range(const char *s, unsigned *lo, unsigned *hi)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (end == s)
		return false;
	if (*end == '-') {
		const char *t = end + 1;
		b = strtoul(t, &end, 10);
		if (end == t)
			return false;
	}
	if (*end || a > b || b > 3600000)
		return false;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return true;
}

/* "name,batch,leased" (path_names) or "all" into a bit set. */
static bool parse_paths(const char *s, unsigned *out)
{
	if (strcmp(s, "all") == 0) {
		*out = PATHS_ALL;
		return true;
	}
	unsigned set = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		unsigned p = 0;
		while (p < NPATHS && !(strlen(path_names[p]) == len && strncmp(s, path_names[p], len) == 0))
			p++;
		if (p == NPATHS)
			return false;
		set |= 1u << p;
		s += len;
		if (*s == ',')
			s++;
	}
	*out = set;
	return set != 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shmseq-torture [options]\n"
		   "Draws from many sequences in P processes x T threads while it SIGKILLs the\n"
		   "daemon and workers and churns DDL; checks no value is handed out twice.\n\n"
		   "  --duration S                 seconds to run (default 60)\n"
		   "  --processes P                worker processes (default 2)\n"
		   "  --threads T                  threads per worker (default 2)\n"
		   "  --sequences K                sequences, kinds in turn (default 8: one of each)\n"
		   "  --kill-interval MIN-MAX      ms between daemon SIGKILLs (default 50-500)\n"
		   "  --client-kill-interval MIN-MAX  ms between worker SIGKILLs (default 500-2000)\n"
		   "  --no-client-kills            never kill workers\n"
		   "  --ddl-interval MIN-MAX       ms between DDL statements (default 5-40)\n"
		   "  --no-ddl                     create the sequences, then no DDL\n"
		   "  --adopt always|never|random  restart the daemon adopting its predecessor's region,\n"
		   "                               from the durable floor (--no-adopt), or either at\n"
		   "                               random per restart (default)\n"
		   "  --reserve-factor F           allow gaps of F reserve-aheads per crash (default 2,\n"
		   "                               README's \"What a crash costs\")\n"
		   "  --paths LIST                 how workers draw, comma-separated (default all):\n"
		   "                               exec (SELECT NEXTVAL), name, name-batch\n"
		   "                               (shmseq_nextval_n), handle, batch\n"
		   "                               (shmseq_seq_nextval_n), leased (leased handles)\n"
		   "  --seed N                     random seed (default: time and pid)\n"
		   "  --daemon PATH                shmseqd to run (default $SHMSEQD)\n"
		   "  --keep-dir                   keep the temp dir (kept anyway on violations)\n"
		   "  --progress S                 seconds between progress lines (default 5)\n"
		   "Exit status: 0 no violation, 1 violations, 2 bad usage, 77 no daemon.\n");
}

int main(int argc, char **argv)
{
	enum {
		O_DURATION = 1000,
		O_PROCS,
		O_THREADS,
		O_SEQS,
		O_KILL,
		O_CKILL,
		O_NOCKILL,
		O_DDL,
		O_NODDL,
		O_SEED,
		O_DAEMON,
		O_KEEP,
		O_PROGRESS,
		O_ADOPT,
		O_RFACTOR,
		O_PATHS,
		O_HELP
	};
	static const struct option opts[] = {
		{"duration", required_argument, NULL, O_DURATION},
		{"processes", required_argument, NULL, O_PROCS},
		{"threads", required_argument, NULL, O_THREADS},
		{"sequences", required_argument, NULL, O_SEQS},
		{"kill-interval", required_argument, NULL, O_KILL},
		{"client-kill-interval", required_argument, NULL, O_CKILL},
		{"no-client-kills", no_argument, NULL, O_NOCKILL},
		{"ddl-interval", required_argument, NULL, O_DDL},
		{"no-ddl", no_argument, NULL, O_NODDL},
		{"seed", required_argument, NULL, O_SEED},
		{"daemon", required_argument, NULL, O_DAEMON},
		{"keep-dir", no_argument, NULL, O_KEEP},
		{"progress", required_argument, NULL, O_PROGRESS},
		{"adopt", required_argument, NULL, O_ADOPT},
		{"reserve-factor", required_argument, NULL, O_RFACTOR},
		{"paths", required_argument, NULL, O_PATHS},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	bool seeded = false;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		unsigned long v;
		switch (c) {
		case O_DURATION:
			cfg.duration = strtod(optarg, &end);
			if (*end || end == optarg || !(cfg.duration > 0) || cfg.duration > 1e7)
				goto bad;
			break;
		case O_PROCS:
		case O_THREADS:
		case O_SEQS:
		case O_PROGRESS:
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v == 0)
				goto bad;
			if (c == O_PROCS && v <= MAX_PROCS)
				cfg.processes = (unsigned)v;
			else if (c == O_THREADS && v <= MAX_THREADS)
				cfg.threads = (unsigned)v;
			else if (c == O_SEQS && v <= MAX_SEQ)
				cfg.sequences = (unsigned)v;
			else if (c == O_PROGRESS && v <= 3600)
				cfg.progress = (unsigned)v;
			else
				goto bad;
			break;
		case O_KILL:
			if (!parse_range(optarg, &cfg.kill_min, &cfg.kill_max) || cfg.kill_max == 0)
				goto bad;
			break;
		case O_CKILL:
			if (!parse_range(optarg, &cfg.ckill_min, &cfg.ckill_max) || cfg.ckill_max == 0)
				goto bad;
			break;
		case O_NOCKILL:
			cfg.client_kills = false;
			break;
		case O_DDL:
			if (!parse_range(optarg, &cfg.ddl_min, &cfg.ddl_max))
				goto bad;
			break;
		case O_NODDL:
			cfg.ddl = false;
			break;
		case O_SEED:
			run.seed = strtoull(optarg, &end, 0);
			if (*end || end == optarg)
				goto bad;
			seeded = true;
			break;
		case O_DAEMON:
			cfg.daemon = optarg;
			break;
		case O_KEEP:
			cfg.keep_dir = true;
			break;
		case O_RFACTOR:
			cfg.reserve_factor = strtod(optarg, &end);
			if (*end || end == optarg || !(cfg.reserve_factor >= 1) || cfg.reserve_factor > 1e6)
				goto bad;
			break;
		case O_PATHS:
			if (!parse_paths(optarg, &cfg.paths))
				goto bad;
			break;
		case O_ADOPT:
			if (strcmp(optarg, "always") == 0)
				cfg.adopt = 1;
			else if (strcmp(optarg, "never") == 0)
				cfg.adopt = 0;
			else if (strcmp(optarg, "random") == 0)
				cfg.adopt = -1;
			else
				goto bad;
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!cfg.daemon)
		cfg.daemon = getenv("SHMSEQD");
	if (!cfg.daemon || access(cfg.daemon, X_OK) != 0) {
		fprintf(stderr, "shmseq-torture: no daemon to run (--daemon PATH or $SHMSEQD): skipping\n");
		return 77;
	}
	if (!seeded)
		run.seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
	sup.rng = mix64(run.seed ^ 0xdae);

	/* a private instance and temp dir */
	int tr = tmpdir_make(run.dir, sizeof(run.dir), NULL, "shmseq-torture-");
	if (tr < 0) {
		fprintf(stderr, "shmseq-torture: mkdtemp: %s\n", strerror(-tr));
		return 1;
	}
	snprintf(sup.instance, sizeof(sup.instance), "torture-%d", (int)getpid());
	char rundir[PATH_MAX + 8];
	snprintf(rundir, sizeof(rundir), "%s/run", run.dir);
	setenv("SHMSEQ_RUNTIME_DIR", rundir, 1);
	setenv("SHMSEQ_INSTANCE", sup.instance, 1);
	for (unsigned k = 0; k < cfg.sequences; k++)
		snprintf(run.names[k], sizeof(run.names[k]), "s%02u_%s", k, kind_names[kind_of(k)]);

	unsigned nslots = cfg.processes * cfg.threads;
	run.sh = mmap(NULL, sizeof(*run.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	run.rings = mmap(NULL, (size_t)nslots * RING_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run.sh == MAP_FAILED || run.rings == MAP_FAILED) {
		perror("shmseq-torture: mmap");
		return 1;
	}
	for (unsigned s = 0; s < nslots; s++)
		for (unsigned k = 0; k < MAX_SEQ; k++)
			atomic_store(&run.sh->slots[s].last[k], INT64_MIN);

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf("shmseq-torture: seed %" PRIu64 ", %u processes x %u threads, %u sequences, %.0f s, "
	       "daemon kills every %u-%u ms, client kills %s, DDL every %u-%u ms, dir %s\n",
	       run.seed, cfg.processes, cfg.threads, cfg.sequences, cfg.duration, cfg.kill_min, cfg.kill_max,
	       cfg.client_kills ? "on" : "off", cfg.ddl_min, cfg.ddl_max, run.dir);
	printf("shmseq-torture: paths");
	for (unsigned p = 0; p < NPATHS; p++)
		if (cfg.paths & (1u << p))
			printf(" %s", path_names[p]);
	printf("\n");
	fflush(stdout);

	int rc = 1;
	atomic_store(&run.sh->tag, 1); /* no daemon yet: "killed" */
	if (daemon_start_wait() < 0)
		goto out;
	sup.churner = fork();
	if (sup.churner == 0)
		churner_main();
	for (unsigned p = 0; p < cfg.processes; p++)
		spawn_worker(p);

	uint64_t seed_rng = mix64(run.seed ^ 0x5eed);
	uint64_t t0 = now_ms(), end_ms = t0 + (uint64_t)(cfg.duration * 1000.0);
	uint64_t next_kill = t0 + rnd_range(&seed_rng, cfg.kill_min, cfg.kill_max);
	uint64_t next_ckill = t0 + rnd_range(&seed_rng, cfg.ckill_min, cfg.ckill_max);
	uint64_t next_progress = t0 + cfg.progress * 1000u;
	bool down = false;
	uint64_t up_at = 0;
	while (!sup.interrupted) {
		uint64_t now = now_ms();
		if (now >= end_ms)
			break;
		size_t done = drain_all();
		if (!down && sup.daemon.pid > 0 && now >= next_kill) {
			daemon_kill9();
			down = true;
			up_at = now + rnd_range(&seed_rng, 0, cfg.down_max);
		}
		if (down && now >= up_at) {
			down = false;
			if (daemon_start_wait() < 0)
				break;
			next_kill = now_ms() + rnd_range(&seed_rng, cfg.kill_min, cfg.kill_max);
		}
		if (cfg.client_kills && now >= next_ckill) {
			unsigned p = (unsigned)(rnd(&seed_rng) % cfg.processes);
			kill_worker(p);
			spawn_worker(p);
			next_ckill = now + rnd_range(&seed_rng, cfg.ckill_min, cfg.ckill_max);
		}
		reap();
		if (now >= next_progress) {
			progress(t0);
			next_progress += cfg.progress * 1000u;
		}
		if (done == 0)
			sleep_us(200);
	}
	double elapsed = (double)(now_ms() - t0) / 1000.0;

	/* the end: workers finish, the rings drain */
	atomic_store(&run.sh->phase, PH_QUIET);
	atomic_store(&run.sh->stop, 1);
	if (down && daemon_start_wait() < 0)
		goto out;
	for (;;) {
		drain_all();
		reap();
		bool alive = false;
		for (unsigned p = 0; p < cfg.processes; p++)
			alive |= sup.workers[p] > 0;
		if (!alive)
			break;
		sleep_us(200);
	}
	while (drain_all())
		;
	/* a last SIGKILL, then a clean stop: every acknowledged DDL and every
	 * position must survive both */
	if (sup.daemon.pid > 0) {
		daemon_kill9();
		if (daemon_start_wait() == 0 && churner_verify("after the last SIGKILL")) {
			int st = daemon_term();
			if (st != 0)
				violation(V_CRASH, "the daemon exited with status %d on SIGTERM", st);
			if (daemon_start_wait() == 0)
				churner_verify("after a clean restart");
		}
	}
	atomic_store(&run.sh->phase, PH_EXIT);
	if (sup.churner > 0) {
		int st;
		waitpid(sup.churner, &st, 0);
		sup.churner = -1;
	}
	gap_analysis();

	/* the summary */
	uint64_t drawn = sum_slots(0, true), wraps = 0;
	for (unsigned s = 0; s < nslots; s++)
		wraps += atomic_load(&run.sh->slots[s].wraps);
	printf("\nshmseq-torture summary (seed %" PRIu64 ")\n", run.seed);
	printf("  duration                 %.1f s\n", elapsed);
	printf("  daemon kills             %" PRIu64 " (%" PRIu64 " of %" PRIu64 " starts with --no-adopt; "
	       "verification passes: %" PRIu64 ")\n",
	       sup.kills, sup.noadopt_starts, sup.starts, atomic_load(&run.sh->verify_passes));
	printf("  client kills             %" PRIu64 "\n", sup.client_kills);
	printf("  DDL acknowledged         %" PRIu64 " (CREATE %" PRIu64 ", OR REPLACE %" PRIu64
	       ", ALTER %" PRIu64 ", SETVAL %" PRIu64 " + %" PRIu64 " ignored, DROP %" PRIu64 ")\n",
	       atomic_load(&run.sh->ddl_ok), atomic_load(&run.sh->ddl_ops[OP_CREATE]),
	       atomic_load(&run.sh->ddl_ops[OP_REPLACE]), atomic_load(&run.sh->ddl_ops[OP_ALTER]),
	       atomic_load(&run.sh->ddl_ops[OP_SETVAL]), atomic_load(&run.sh->ddl_ops[OP_SETVAL_IGNORED]),
	       atomic_load(&run.sh->ddl_ops[OP_DROP]));
	printf("  DDL outcome unknown      %" PRIu64 " (found applied after restart: %" PRIu64 ")\n",
	       atomic_load(&run.sh->ddl_unknown), atomic_load(&run.sh->ddl_unknown_applied));
	printf("  values drawn and checked %" PRIu64 " (bounds, lattice, per-thread order; %" PRIu64
	       " CYCLE wraps)\n",
	       drawn, wraps);
	printf("  values drawn per path   ");
	for (unsigned p = 0; p < NPATHS; p++) {
		uint64_t n = 0;
		for (unsigned s = 0; s < nslots; s++)
			n += atomic_load(&run.sh->slots[s].by_path[p]);
		if (cfg.paths & (1u << p))
			printf(" %s %" PRIu64, path_names[p], n);
	}
	printf("\n");
	printf("  values checked unique    %" PRIu64 " (%.1f MiB of bitmap)\n", chk.unique,
	       (double)chk.nchunks * CHUNK_WORDS * 8 / 1048576.0);
	printf("  tolerated errors         %" PRIu64 " (daemon down %" PRIu64 ", EAGAIN %" PRIu64
	       ", EIO %" PRIu64 ", dropped sequence %" PRIu64 ", churner %" PRIu64 ")\n",
	       total_tolerated(), sum_slots(T_CONN, false), sum_slots(T_AGAIN, false),
	       sum_slots(T_EIO, false), sum_slots(T_UNKNOWN, false), atomic_load(&run.sh->churner_tol));
	printf("  violations:\n");
	for (int v = 0; v < NVIOL; v++)
		printf("    %-8" PRIu64 " %s\n", atomic_load(&run.sh->viol[v]), viol_names[v]);
	printf("  largest gap per CACHE (values no SETVAL explains; bound = %g x reserve-ahead + CACHE + "
	       "%" PRIu64 "):\n",
	       cfg.reserve_factor, chk.slack);
	for (unsigned i = 0; i < chk.ngaps; i++)
		printf("    CACHE %-8" PRId64 " max gap %-10" PRIu64 " bound %-10" PRIu64
		       " (reserve-ahead %" PRIu64 ", %" PRIu64 " eras, %" PRIu64 " gaps beyond the slack)\n",
		       chk.gaps[i].cache, chk.gaps[i].max_gap, chk.gaps[i].bound,
		       reserve_bound(chk.gaps[i].cache), chk.gaps[i].eras, chk.gaps[i].big_gaps);
	uint64_t nv = total_violations();
	printf("  result                   %s\n", nv ? "VIOLATIONS" : "ok");
	rc = nv ? 1 : 0;
out:
	atomic_store(&run.sh->stop, 1);
	atomic_store(&run.sh->phase, PH_EXIT);
	for (unsigned p = 0; p < cfg.processes; p++)
		if (sup.workers[p] > 0)
			kill_worker(p);
	if (sup.churner > 0) {
		kill(sup.churner, SIGKILL);
		waitpid(sup.churner, NULL, 0);
	}
	if (sup.daemon.pid > 0)
		daemon_term();
	if (rc == 0 && !cfg.keep_dir) {
		tmpdir_remove(run.dir);
	} else {
		char shm[160];
		snprintf(shm, sizeof(shm), "/shmseq.%u.%s", (unsigned)getuid(), sup.instance);
		shm_unlink(shm);
		printf("  kept                     %s (seed %" PRIu64 ")\n", run.dir, run.seed);
	}
	fflush(stdout);
	return rc;
bad:
	usage(stderr);
	return 2;
}
