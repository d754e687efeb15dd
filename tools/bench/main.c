/* SPDX-License-Identifier: MIT */
/* main.c — shmseq-bench: its state, options and the order of a run (see
 * bench.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_HAVE_TSC 1
#endif

const char *const mode_names[] = {"handle", "name", "exec", "batch", "leased"};
const char *const pick_names[] = {"random", "round-robin"};
const char *const phase_names[] = {"shmseq", "bare", "mutex"};
#define CREATE_THREADS 64u /* connections creating sequences at once */

/* ---- the options, and the state of the run (bench.h) ---- */
struct config cfg;
struct run run = {.ns_per_tick = 1.0};
struct parent par;

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs("Usage: shmseq-bench [OPTIONS]\n"
	      "Measure NEXTVAL throughput and latency of a shmseq instance, next to a bare\n"
	      "atomic fetch-and-add on shared memory with the same processes and threads.\n\n"
	      "  -i, --instance NAME      instance to use (default $SHMSEQ_INSTANCE or 'default')\n"
	      "      --self-daemon        start a private shmseqd for the run, stop it after\n"
	      "      --daemon PATH        the shmseqd to start (default $SHMSEQD, else from PATH)\n"
	      "  -p, --processes P        worker processes (default 1)\n"
	      "  -t, --threads T          threads per process (default 1)\n"
	      "  -d, --duration S         run for S seconds (default 2; decimals allowed)\n"
	      "  -n, --count N            instead: N NEXTVAL calls in all, split over the threads\n"
	      "  -s, --sequence NAME      sequence name (default 'bench')\n"
	      "  -m, --mode MODE          handle: shmseq_seq_nextval on an opened handle (default)\n"
	      "                           name:   shmseq_nextval by name\n"
	      "                           exec:   shmseq_exec(\"SELECT NEXTVAL(name)\")\n"
	      "                           batch:  shmseq_seq_nextval_n(handle, --batch N): every\n"
	      "                                   value counts as an op (ns/op is per value)\n"
	      "                           leased: shmseq_seq_nextval on a handle from\n"
	      "                                   shmseq_seq_open_leased(--lease N), one per\n"
	      "                                   process, shared by its threads\n"
	      "      --batch N            values per call in batch mode (default 100)\n"
	      "      --lease N            the lease of leased handles (default 1000)\n"
	      "  -c, --create 'OPTIONS'   first run CREATE OR REPLACE SEQUENCE NAME OPTIONS\n"
	      "                           (done with empty OPTIONS by default with --self-daemon)\n"
	      "      --create-threads N   connections creating the sequences at once (default 64):\n"
	      "                           the daemon's group commit shares each fdatasync\n"
	      "  -k, --sequences K        use K sequences NAME_0 .. NAME_K-1 (default 1: just NAME)\n"
	      "      --pick HOW           which of the K each call takes: random (default) or\n"
	      "                           round-robin (each thread from its own starting point)\n"
	      "      --no-warmup          time the cold start: by default each process resolves\n"
	      "                           every name and takes one value of each sequence first\n"
	      "      --verify             record every value; check each thread's values move\n"
	      "                           one way and no value was handed out twice\n"
	      "                           (for NOCYCLE sequences; memory: 8 bytes a value)\n"
	      "  -b, --baseline LIST      what to run next to shmseq, same processes and threads,\n"
	      "                           same duration: comma-separated from\n"
	      "                             faa    a bare atomic fetch-and-add on shared memory\n"
	      "                                    (with K sequences: on K counters 128 bytes\n"
	      "                                    apart, like the region's slots, picked alike)\n"
	      "                             mutex  a counter behind a process-shared pthread mutex\n"
	      "                             disk   one thread's pwrite+fdatasync of 64 bytes in\n"
	      "                                    --disk-dir (with --self-daemon: the daemon's\n"
	      "                                    data directory), for NOCACHE runs: P x T\n"
	      "                                    clients can get at most P x T durable values\n"
	      "                                    per durable write; the ratio is to that\n"
	      "                             none\n"
	      "                           (default faa)\n"
	      "      --no-bare            the same as --baseline none\n"
	      "      --disk-dir DIR       where the disk baseline writes (default: the daemon's\n"
	      "                           data directory with --self-daemon, else .)\n"
	      "  -f, --format FORMAT      text (default) or json\n"
	      "      --histogram          text: also print the latency histogram\n"
	      "  -h, --help               this text\n"
	      "  -V, --version            the version\n\n"
	      "ns/op is wall time per operation per thread: elapsed x P x T / operations.\n"
	      "Latency percentiles come from timing one call in 64 (the baselines too).\n"
	      "A progress line is shown on a terminal.\n"
	      "Exit status: 0 ok, 1 errors or a --verify violation, 2 bad options.\n",
	      f);
}

static _Noreturn void bad_option(const char *msg, const char *arg)
{
	fprintf(stderr, "shmseq-bench: %s%s%s%s\n", msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	fprintf(stderr, "Try 'shmseq-bench --help'.\n");
	exit(2);
}

static uint64_t parse_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
		fprintf(stderr,
			"shmseq-bench: --%s wants a whole number from %" PRIu64 " to %" PRIu64 ", not '%s'\n",
			opt, lo, hi, s);
		exit(2);
	}
	return v;
}

static void parse_baselines(const char *arg)
{
	cfg.bare = cfg.mutex = cfg.disk = false;
	const char *p = arg;
	for (;;) {
		size_t n = strcspn(p, ",");
		if (n == 3 && !strncmp(p, "faa", 3))
			cfg.bare = true;
		else if (n == 5 && !strncmp(p, "mutex", 5))
			cfg.mutex = true;
		else if (n == 4 && !strncmp(p, "disk", 4))
			cfg.disk = true;
		else if (!(n == 4 && !strncmp(p, "none", 4)))
			bad_option("--baseline wants a list of faa, mutex, disk and none, not", arg);
		if (!p[n])
			break;
		p += n + 1;
	}
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SHMSEQ_NAME_CHARS) /* ASCII: a byte a character */
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '$'))
			return false;
	return true;
}

static void parse_options(int argc, char **argv)
{
	enum {
		O_SELF = 256,
		O_DAEMON,
		O_VERIFY,
		O_NOBARE,
		O_PICK,
		O_CTHREADS,
		O_NOWARM,
		O_HIST,
		O_BATCH,
		O_LEASE,
		O_DISKDIR
	};
	static const struct option opts[] = {
		{"instance", required_argument, NULL, 'i'},
		{"self-daemon", no_argument, NULL, O_SELF},
		{"daemon", required_argument, NULL, O_DAEMON},
		{"processes", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},
		{"duration", required_argument, NULL, 'd'},
		{"count", required_argument, NULL, 'n'},
		{"sequence", required_argument, NULL, 's'},
		{"mode", required_argument, NULL, 'm'},
		{"create", required_argument, NULL, 'c'},
		{"sequences", required_argument, NULL, 'k'},
		{"verify", no_argument, NULL, O_VERIFY},
		{"baseline", required_argument, NULL, 'b'},
		{"no-bare", no_argument, NULL, O_NOBARE},
		{"pick", required_argument, NULL, O_PICK},
		{"create-threads", required_argument, NULL, O_CTHREADS},
		{"no-warmup", no_argument, NULL, O_NOWARM},
		{"histogram", no_argument, NULL, O_HIST},
		{"batch", required_argument, NULL, O_BATCH},
		{"lease", required_argument, NULL, O_LEASE},
		{"disk-dir", required_argument, NULL, O_DISKDIR},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	cfg = (struct config){
		.processes = 1,
		.threads = 1,
		.duration_s = 2.0,
		.sequence = "bench",
		.mode = MODE_HANDLE,
		.batch = 100,
		.lease = 1000,
		.sequences = 1,
		.pick = PICK_RANDOM,
		.create_threads = CREATE_THREADS,
		.warmup = true,
		.bare = true,
	};
	bool have_duration = false;
	int c;
	while ((c = getopt_long(argc, argv, "i:p:t:d:n:s:m:c:k:b:f:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			cfg.instance = optarg;
			break;
		case O_SELF:
			cfg.self_daemon = true;
			break;
		case O_DAEMON:
			cfg.daemon_path = optarg;
			break;
		case 'p':
			cfg.processes = (unsigned)parse_uint("processes", optarg, 1, MAX_WORKERS);
			break;
		case 't':
			cfg.threads = (unsigned)parse_uint("threads", optarg, 1, MAX_WORKERS);
			break;
		case 'd': {
			char *end;
			errno = 0;
			double d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(d > 0) || d > 86400)
				bad_option("--duration wants seconds above 0 (at most 86400), not", optarg);
			cfg.duration_s = d;
			have_duration = true;
			break;
		}
		case 'n':
			cfg.count = parse_uint("count", optarg, 1, UINT64_MAX / 2);
			break;
		case 's':
			cfg.sequence = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "handle"))
				cfg.mode = MODE_HANDLE;
			else if (!strcmp(optarg, "name"))
				cfg.mode = MODE_NAME;
			else if (!strcmp(optarg, "exec"))
				cfg.mode = MODE_EXEC;
			else if (!strcmp(optarg, "batch"))
				cfg.mode = MODE_BATCH;
			else if (!strcmp(optarg, "leased"))
				cfg.mode = MODE_LEASED;
			else
				bad_option("--mode wants handle, name, exec, batch or leased, not", optarg);
			break;
		case O_BATCH:
			cfg.batch = parse_uint("batch", optarg, 1, SHMSEQ_BATCH_MAX);
			break;
		case O_LEASE:
			cfg.lease = parse_uint("lease", optarg, 1, SHMSEQ_BATCH_MAX);
			break;
		case 'c':
			cfg.create = optarg;
			break;
		case 'k':
			cfg.sequences = parse_uint("sequences", optarg, 1, UINT32_MAX);
			break;
		case O_VERIFY:
			cfg.verify = true;
			break;
		case O_NOBARE:
			cfg.bare = cfg.mutex = cfg.disk = false;
			break;
		case O_DISKDIR:
			cfg.disk_dir = optarg;
			break;
		case 'b':
			parse_baselines(optarg);
			break;
		case O_PICK:
			if (!strcmp(optarg, "random"))
				cfg.pick = PICK_RANDOM;
			else if (!strcmp(optarg, "round-robin") || !strcmp(optarg, "rr"))
				cfg.pick = PICK_ROUND_ROBIN;
			else
				bad_option("--pick wants random or round-robin, not", optarg);
			break;
		case O_CTHREADS:
			cfg.create_threads = (unsigned)parse_uint("create-threads", optarg, 1, 1024);
			break;
		case O_NOWARM:
			cfg.warmup = false;
			break;
		case O_HIST:
			cfg.histogram = true;
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				cfg.json = false;
			else if (!strcmp(optarg, "json"))
				cfg.json = true;
			else
				bad_option("--format wants text or json, not", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("shmseq-bench %s (libshmseq %s)\n", SHMSEQ_VERSION_STRING, shmseq_version());
			exit(0);
		default:
			fprintf(stderr, "Try 'shmseq-bench --help'.\n");
			exit(2);
		}
	}
	if (optind < argc)
		bad_option("unexpected argument", argv[optind]);
	if (have_duration && cfg.count)
		bad_option("give --duration or --count, not both", NULL);
	if ((uint64_t)cfg.processes * cfg.threads > MAX_WORKERS)
		bad_option("--processes x --threads is at most 4096", NULL);
	if (cfg.self_daemon && cfg.instance)
		bad_option("--self-daemon makes its own instance: drop --instance", NULL);
	if (cfg.daemon_path && !cfg.self_daemon)
		bad_option("--daemon only goes with --self-daemon", NULL);
	char longest[SHMSEQ_NAME_MAX + 32];
	snprintf(longest, sizeof(longest), "%s_%" PRIu64, cfg.sequence,
		 cfg.sequences > 1 ? cfg.sequences - 1 : 0);
	if (!valid_name(cfg.sequence) || (cfg.sequences > 1 && !valid_name(longest)))
		bad_option("--sequence wants a plain name (letters, digits, '_', '$'; with --sequences"
			   " K it plus '_K' at most 64 characters), not",
			   cfg.sequence);
	if (cfg.create && strchr(cfg.create, ';'))
		bad_option("--create takes sequence options, not statements:", cfg.create);
	if (cfg.self_daemon && !cfg.create)
		cfg.create = "";
}

int main(int argc, char **argv)
{
	parse_options(argc, argv);

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	calibrate_ticks();
	build_names();
	if (cfg.verify)
		make_tmpdir();
	if (cfg.self_daemon)
		start_daemon();
	if (cfg.create && create_sequences() < 0)
		die_cleanup(par.interrupted ? 130 : 1);
	if (par.interrupted)
		die_cleanup(130);

	/* the disk baseline's first half, before the timed phase */
	char disk_dir[PATH_MAX + 8];
	double disk_secs = cfg.duration_s > 0 && cfg.duration_s < 2 ? cfg.duration_s / 2 : 1;
	if (cfg.disk) {
		if (cfg.disk_dir)
			snprintf(disk_dir, sizeof(disk_dir), "%s", cfg.disk_dir);
		else if (cfg.self_daemon)
			snprintf(disk_dir, sizeof(disk_dir), "%s/data", par.tmpdir);
		else
			snprintf(disk_dir, sizeof(disk_dir), ".");
		if (disk_baseline(disk_dir, disk_secs) < 0)
			die_cleanup(1);
	}
	static struct phase_result r, b, mx;
	struct verify_result vr = {0};
	struct daemon_info di = {0};
	par.phase_daemon = &di;
	if (run_phase(PHASE_SHMSEQ, &r) < 0)
		die_cleanup(1);
	if (r.interrupted) {
		fprintf(stderr, "shmseq-bench: interrupted\n");
		free_phase();
		die_cleanup(130);
	}
	int status = 0;
	if (r.setup_failed) {
		report_setup_errors();
		fprintf(stderr, "shmseq-bench: the workers could not all start\n");
		free_phase();
		die_cleanup(1);
	}
	if (r.errors) {
		report_errors();
		status = 1;
	}
	if (cfg.verify) {
		verify(&vr);
		if (!vr.ok)
			status = 1;
	}
	free_phase();
	if (di.have && daemon_status(&di.after)) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/status", di.after.daemon_pid);
		read_proc_status(path, &di.rss_kb, &di.rss_anon_kb, &di.rss_shmem_kb, &di.hwm_kb);
		di.have_mem = di.rss_kb > 0;
		di.cpu_after_s = proc_cpu_s(di.after.daemon_pid);
		di.have_cpu = di.before.daemon_pid == di.after.daemon_pid && di.cpu_before_s >= 0 &&
			      di.cpu_after_s >= 0;
	} else {
		di.have = false;
	}

	if (cfg.bare)
		run_baseline(PHASE_BARE, &b);
	if (cfg.mutex)
		run_baseline(PHASE_MUTEX, &mx);
	static struct disk_result dk;
	bool have_disk = false;
	if (cfg.disk) {
		if (disk_baseline(disk_dir, disk_secs) == 0) {
			disk_result(&dk);
			have_disk = dk.ops > 0;
		} else {
			status = 1;
		}
	}
	if (cfg.json)
		print_json(&r, cfg.bare ? &b : NULL, cfg.mutex ? &mx : NULL, have_disk ? &dk : NULL, &vr,
			   &di);
	else
		print_text(&r, cfg.bare ? &b : NULL, cfg.mutex ? &mx : NULL, have_disk ? &dk : NULL, &vr,
			   &di);
	fflush(stdout);
	cleanup();
	return status;
}
