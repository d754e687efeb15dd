/* SPDX-License-Identifier: MIT */
/* main.c — shmseqd: parse options, then run the event loop in the foreground. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server.h"
#include "shmseq.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("Usage: shmseqd [OPTIONS]\n"
	      "Run a shmseq instance in the foreground: MariaDB-style sequences in shared memory.\n\n"
	      "  -i, --instance NAME            instance name (default $SHMSEQ_INSTANCE or 'default')\n"
	      "  -d, --data-dir DIR             where the log and snapshots live\n"
	      "                                 (default $XDG_STATE_HOME/shmseq/NAME)\n"
	      "      --max-sequences N          slots in the region (default 1048576)\n"
	      "      --max-connections N        client sessions at once (default 4096)\n"
	      "      --auto-increment-increment N   step of INCREMENT 0 sequences (default 1)\n"
	      "      --auto-increment-offset N      offset of INCREMENT 0 sequences (default 1)\n"
	      "      --group NAME               open the region and socket to this group\n"
	      "      --ready-fd FD              write one byte to FD when ready, then close it\n"
	      "      --snapshot-bytes N         snapshot when the log exceeds N bytes and the last\n"
	      "                                 snapshot's size (default 16 MiB)\n"
	      "      --snapshot-fork-bytes N    write snapshots of N bytes or more in a child\n"
	      "                                 process, serving meanwhile (default 1 MiB; 0: all)\n"
	      "      --log-prealloc N           preallocate the log to N bytes (default: the\n"
	      "                                 snapshot size plus 64 KiB, at most 4 MiB)\n"
	      "      --no-adopt                 after a crash, restart every sequence from its durable\n"
	      "                                 floor instead of adopting the dead daemon's region\n"
	      "      --accept-log-damage        start even though the log is truncated, missing or\n"
	      "                                 damaged, keeping what survives (values reserved by\n"
	      "                                 the lost records may be handed out again); records\n"
	      "                                 the replay rejects are dropped and listed, their\n"
	      "                                 sequences resumed beyond every position they reached\n"
	      "      --etcd URL[,URL...]        cluster mode: sequences shared by every daemon of the\n"
	      "                                 cluster through this etcd (v3 JSON gateway)\n"
	      "      --cluster NAME             the cluster's name in the store (default: the instance)\n"
	      "      --host NAME                this host's name in the cluster (default: hostname)\n"
	      "      --etcd-bind ADDR           make the store's connections from this local IPv4 or\n"
	      "                                 IPv6 address (default: the system picks)\n"
	      "  -h, --help                     this text\n"
	      "  -V, --version                  the version\n\n"
	      "SIGTERM or SIGINT shuts down cleanly: positions persisted, region and socket removed.\n",
	      f);
}

/* Descriptors the daemon needs besides one per session: its locks, the
 * region, the log and its directory, a snapshot and a new log being
 * written, epoll, signalfd, the listener, the spare one for refusing
 * clients when out of descriptors (server.c), with room to spare. A session
 * must never take the descriptor a snapshot needs: persistence would fail. */
#define OWN_FDS 32

static unsigned long long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned long long n = 0;
	if (!d)
		return 3; /* no /proc: stdin, stdout, stderr (OWN_FDS has room) */
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* opendir's own */
}

/* Make room for every session: raise the soft descriptor limit as far as
 * the hard one allows (systemd's default soft limit is 1,024). What still
 * does not fit lowers --max-connections, said once: a session beyond it is
 * refused as "Too many connections" instead of leaving accept() failing.
 * Returns -1 when not even one session fits. */
static int fit_descriptors(uint32_t *max_connections)
{
	struct rlimit rl;
	unsigned long long have = open_fds(), need = have + OWN_FDS + *max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit up = rl;
		up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	unsigned long long cur = rl.rlim_cur;
	if (cur <= have + OWN_FDS) {
		fprintf(stderr,
			"shmseqd: the descriptor limit is %llu (hard %llu) with %llu open: not enough for "
			"one session; it needs at least %llu (ulimit -n, or LimitNOFILE= in the unit)\n",
			cur, (unsigned long long)rl.rlim_max, have, have + OWN_FDS + 1);
		return -1;
	}
	fprintf(stderr,
		"shmseqd: the descriptor limit is %llu (hard %llu): serving at most %llu sessions, not "
		"--max-connections %u; raise it (ulimit -n, or LimitNOFILE= in the unit) to %llu\n",
		cur, (unsigned long long)rl.rlim_max, cur - have - OWN_FDS, *max_connections, need);
	*max_connections = (uint32_t)(cur - have - OWN_FDS);
	return 0;
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
		fprintf(stderr, "shmseqd: --%s wants a whole number from %llu to %llu, not '%s'\n", opt,
			(unsigned long long)lo, (unsigned long long)hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		O_MAXSEQ = 256,
		O_MAXCONN,
		O_AII,
		O_AIO,
		O_GROUP,
		O_READY,
		O_SNAP,
		O_SNAPFORK,
		O_NOADOPT,
		O_ACCEPT,
		O_PREALLOC,
		O_ETCD,
		O_CLUSTER,
		O_HOST,
		O_ETCD_BIND
	};
	static const struct option opts[] = {
		{"instance", required_argument, NULL, 'i'},
		{"data-dir", required_argument, NULL, 'd'},
		{"max-sequences", required_argument, NULL, O_MAXSEQ},
		{"max-connections", required_argument, NULL, O_MAXCONN},
		{"auto-increment-increment", required_argument, NULL, O_AII},
		{"auto-increment-offset", required_argument, NULL, O_AIO},
		{"group", required_argument, NULL, O_GROUP},
		{"ready-fd", required_argument, NULL, O_READY},
		{"snapshot-bytes", required_argument, NULL, O_SNAP},
		{"snapshot-fork-bytes", required_argument, NULL, O_SNAPFORK},
		{"no-adopt", no_argument, NULL, O_NOADOPT},
		{"accept-log-damage", no_argument, NULL, O_ACCEPT},
		{"log-prealloc", required_argument, NULL, O_PREALLOC},
		{"etcd", required_argument, NULL, O_ETCD},
		{"cluster", required_argument, NULL, O_CLUSTER},
		{"host", required_argument, NULL, O_HOST},
		{"etcd-bind", required_argument, NULL, O_ETCD_BIND},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct server_config cfg = {
		.max_sequences = 1u << 20,
		.max_connections = 4096,
		.env = {.auto_increment_increment = 1, .auto_increment_offset = 1},
		.group = (gid_t)-1,
		.ready_fd = -1,
		.snapshot_bytes = 16u << 20,
		.snapshot_fork_bytes = 1u << 20,
	};
	char data_dir[4096];
	uint64_t v;
	int c;
	while ((c = getopt_long(argc, argv, "i:d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			cfg.instance = optarg;
			break;
		case 'd':
			cfg.data_dir = optarg;
			break;
		case O_MAXSEQ:
			if (parse_u64("max-sequences", optarg, 1, UINT32_MAX, &cfg.max_sequences) < 0)
				return 2;
			break;
		case O_MAXCONN:
			if (parse_u64("max-connections", optarg, 1, 1000000, &v) < 0)
				return 2;
			cfg.max_connections = (uint32_t)v;
			break;
		case O_AII:
			if (parse_u64("auto-increment-increment", optarg, 1, 65535, &v) < 0)
				return 2;
			cfg.env.auto_increment_increment = (int64_t)v;
			break;
		case O_AIO:
			if (parse_u64("auto-increment-offset", optarg, 1, 65535, &v) < 0)
				return 2;
			cfg.env.auto_increment_offset = (int64_t)v;
			break;
		case O_GROUP: {
			struct group *g = getgrnam(optarg);
			if (!g) {
				fprintf(stderr, "shmseqd: no group named '%s'\n", optarg);
				return 2;
			}
			cfg.group = g->gr_gid;
			break;
		}
		case O_READY:
			if (parse_u64("ready-fd", optarg, 0, INT_MAX, &v) < 0)
				return 2;
			cfg.ready_fd = (int)v;
			break;
		case O_SNAP:
			if (parse_u64("snapshot-bytes", optarg, 4096, UINT64_MAX, &cfg.snapshot_bytes) < 0)
				return 2;
			break;
		case O_SNAPFORK:
			if (parse_u64("snapshot-fork-bytes", optarg, 0, UINT64_MAX,
				      &cfg.snapshot_fork_bytes) < 0)
				return 2;
			break;
		case O_NOADOPT:
			cfg.no_adopt = true;
			break;
		case O_PREALLOC:
			if (parse_u64("log-prealloc", optarg, 4096, 1ull << 40, &cfg.log_prealloc) < 0)
				return 2;
			break;
		case O_ACCEPT:
			cfg.accept_log_damage = true;
			break;
		case O_ETCD:
			cfg.etcd = optarg;
			break;
		case O_CLUSTER:
			cfg.cluster = optarg;
			break;
		case O_HOST:
			cfg.host = optarg;
			break;
		case O_ETCD_BIND: {
			unsigned char a[sizeof(struct in6_addr)];
			if (inet_pton(AF_INET, optarg, a) != 1 && inet_pton(AF_INET6, optarg, a) != 1) {
				fprintf(stderr, "shmseqd: --etcd-bind: '%s' is not an IPv4 or IPv6 address\n",
					optarg);
				return 2;
			}
			cfg.etcd_bind = optarg;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("shmseqd " SHMSEQ_VERSION_STRING);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shmseqd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!cfg.instance)
		cfg.instance = util_default_instance();
	if (!util_instance_name_valid(cfg.instance)) {
		fprintf(stderr, "shmseqd: bad instance name '%s': use 1 to 64 letters, digits, '-' or '_'\n",
			cfg.instance);
		return 2;
	}
	char hostname[256];
	if (cfg.etcd) {
#if !SHMSEQD_CLUSTER
		fprintf(stderr, "shmseqd: --etcd: this shmseqd was built without cluster mode (libcurl and "
				"json-c; meson -Dcluster=enabled)\n");
		return 2;
#endif
		if (!cfg.cluster)
			cfg.cluster = cfg.instance;
		if (!cfg.host) {
			if (gethostname(hostname, sizeof(hostname)) < 0)
				snprintf(hostname, sizeof(hostname), "localhost");
			hostname[sizeof(hostname) - 1] = 0;
			cfg.host = hostname;
		}
		/* a host's keys end in /<host>: "def" and "pos" would read as a
		 * definition or a position */
		if (!util_instance_name_valid(cfg.cluster) || strchr(cfg.host, '/') || !*cfg.host ||
		    strlen(cfg.host) > 64 || !strcmp(cfg.host, "def") || !strcmp(cfg.host, "pos")) {
			fprintf(stderr,
				"shmseqd: --cluster wants 1 to 64 letters, digits, '-' or '_', --host "
				"1 to 64 characters without '/', not 'def' or 'pos'\n");
			return 2;
		}
	} else if (cfg.cluster || cfg.host || cfg.etcd_bind) {
		fprintf(stderr, "shmseqd: --cluster, --host and --etcd-bind need --etcd\n");
		return 2;
	}
	if (!cfg.data_dir) {
		if (util_default_data_dir(cfg.instance, data_dir, sizeof(data_dir)) < 0) {
			fprintf(stderr, "shmseqd: no --data-dir given and no $HOME to put one under\n");
			return 2;
		}
		cfg.data_dir = data_dir;
	}
	if (fit_descriptors(&cfg.max_connections) < 0)
		return 1;
	/* A fresh data directory must survive a power loss with the statements
	 * acknowledged in it: its entry, and every level made for it, synced. */
	int r = util_mkdir_durable(cfg.data_dir, 0700);
	if (r < 0) {
		fprintf(stderr, "shmseqd: cannot create data directory %s durably: %s\n", cfg.data_dir,
			strerror(-r));
		return 1;
	}
	/* The runtime directory before anything else, the socket probe included:
	 * in one another user made first, a socket that answers is theirs, and
	 * our instance is not "already running". */
	char run_dir[4096], why[1024];
	if (util_runtime_dir_make(run_dir, sizeof(run_dir), why, sizeof(why)) < 0) {
		fprintf(stderr, "shmseqd: %s\n", why);
		return 1;
	}
	return server_run(&cfg);
}
