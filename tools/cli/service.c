/* SPDX-License-Identifier: MIT */
/* service.c — the verbs on the daemon itself: status (the health check
 * scripts and monitors use), metrics (its counters for Prometheus) and
 * shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "json.h"
#include "util.h"

/* --- status --------------------------------------------------------------- */

static void print_duration(uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		printf("%" PRIu64 "d ", s / 86400);
	if (s >= 3600)
		printf("%" PRIu64 "h ", s / 3600 % 24);
	if (s >= 60)
		printf("%" PRIu64 "m ", s / 60 % 60);
	printf("%" PRIu64 ".%03" PRIu64 "s\n", s % 60, ms % 1000);
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct shmseq_status st;
	enum format fmt = FMT_DEFAULT;
	bool quiet = false;
	shmseq *conn;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'f':
			if (!parse_format(optarg, &fmt))
				return usage_error("status: unknown format '%s' (table, batch or json)",
						   optarg);
			break;
		case 'h':
			puts("Usage: " PROG " [--instance NAME] status [-q|--quiet] [-f|--format=F]\n"
			     "Show how the instance's daemon is. Exit status 0 exactly when\n"
			     "the daemon answered and can hand out new values (1 when it is\n"
			     "down, or up with its persistence failed); with --quiet nothing is\n"
			     "printed. --format=json: one object, every number in it a string.");
			return 0;
		default:
			return usage_error("status: bad option");
		}
	}
	if (optind < argc)
		return usage_error("status: unexpected argument '%s'", argv[optind]);

	conn = connect_or_complain(quiet);
	if (!conn)
		return 1;
	memset(&st, 0, sizeof(st));
	rc = shmseq_status(conn, &st);
	if (rc < 0) {
		if (!quiet)
			fprintf(stderr, PROG ": instance '%s' did not answer: %s\n", shmseq_instance(conn),
				shmseq_strerror(rc));
		shmseq_disconnect(conn);
		return 1;
	}
	st.region_name[sizeof(st.region_name) - 1] = '\0';
	st.data_dir[sizeof(st.data_dir) - 1] = '\0';
	if (!quiet && fmt == FMT_JSON) {
		fputs("{\"instance\": ", stdout);
		json_write_str(stdout, shmseq_instance(conn));
		printf(", \"daemon_pid\": \"%" PRIu32 "\", \"sequences\": \"%" PRIu64
		       "\", \"capacity\": \"%" PRIu64 "\", \"region\": ",
		       st.daemon_pid, st.sequences, st.capacity);
		json_write_str(stdout, st.region_name);
		printf(", \"region_bytes\": \"%" PRIu64 "\", \"data_dir\": ", st.region_bytes);
		json_write_str(stdout, st.data_dir);
		printf(", \"connections\": \"%" PRIu64 "\", \"uptime_ms\": \"%" PRIu64
		       "\", \"log_bytes\": \"%" PRIu64 "\", \"syncs\": \"%" PRIu64
		       "\", \"records\": \"%" PRIu64 "\", \"auto_increment_increment\": \"%" PRId64
		       "\", \"auto_increment_offset\": \"%" PRId64 "\", \"state\": \"%s\"}\n",
		       st.connections, st.uptime_ms, st.log_bytes, st.syncs, st.records,
		       st.auto_increment_increment, st.auto_increment_offset, st.failed ? "failed" : "ok");
	} else if (!quiet) {
		printf("instance:     %s\n", shmseq_instance(conn));
		printf("daemon pid:   %" PRIu32 "\n", st.daemon_pid);
		printf("sequences:    %" PRIu64 " of %" PRIu64 " slots\n", st.sequences, st.capacity);
		printf("region:       %s (%" PRIu64 " bytes)\n", st.region_name, st.region_bytes);
		printf("data dir:     %s\n", st.data_dir);
		printf("connections:  %" PRIu64 "\n", st.connections);
		printf("uptime:       ");
		print_duration(st.uptime_ms);
		printf("log bytes:    %" PRIu64 "\n", st.log_bytes);
		printf("syncs:        %" PRIu64 "\n", st.syncs);
		printf("records:      %" PRIu64 "\n", st.records);
		printf("auto_increment_increment: %" PRId64 ", auto_increment_offset: %" PRId64 "\n",
		       st.auto_increment_increment, st.auto_increment_offset);
		printf("state:        %s\n", st.failed ? "FAILED (persistence failed: no new values until "
							 "the daemon restarts)"
						       : "ok");
		/* local or clustered: the store, its health, live segments */
		char text[4096];
		if (shmseq_cluster_status(conn, text, sizeof(text)) >= 0)
			fputs(text, stdout);
	}
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF)
		return 1;
	return st.failed ? 1 : 0; /* up but failed: not healthy */
}

/* --- cluster status --------------------------------------------------------- */

int cmd_cluster(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("Usage: " PROG " [--instance NAME] cluster status\n"
		     "The daemon's cluster mode: its store, and a line per host of the\n"
		     "cluster: live (its registry key, on a lease, is in the store) or\n"
		     "gone, the revision of the definitions it last acknowledged and how\n"
		     "long ago; this host is marked. A local daemon says 'mode: local'.");
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "status") != 0)
		return usage_error("cluster: the one verb is 'status'");
	shmseq *conn = connect_or_complain(false);
	if (!conn)
		return 1;
	char text[4096];
	int r = shmseq_cluster_status(conn, text, sizeof(text));
	if (r < 0) {
		fprintf(stderr, PROG ": instance '%s' did not answer: %s\n", shmseq_instance(conn),
			shmseq_strerror(r));
		shmseq_disconnect(conn);
		return 1;
	}
	shmseq_disconnect(conn);
	fputs(text, stdout);
	return fflush(stdout) == EOF ? 1 : 0;
}

/* --- metrics ---------------------------------------------------------------- */

/* A label value in the text exposition format: \, " and newline escaped. */
static void metric_label(const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", stdout);
		else
			putchar(*v);
	}
}

static void metric_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_u64(const char *inst, const char *name, const char *type, const char *help, uint64_t v)
{
	metric_head(name, type, help);
	printf("%s{instance=\"", name);
	metric_label(inst);
	printf("\"} %" PRIu64 "\n", v);
}

int cmd_metrics(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	int nargs = 0;
	int rc = verb_options(
		argc, argv, &fmt,
		"Usage: " PROG " [--instance NAME] metrics\n"
		"Print the daemon's counters and every sequence's in the Prometheus text\n"
		"exposition format 0.0.4 (as node_exporter's textfile collector reads it), e.g.\n"
		"every minute from cron:\n"
		"  * * * * * shmseq metrics > /var/lib/node_exporter/shmseq.prom.$$ && \\\n"
		"      mv /var/lib/node_exporter/shmseq.prom.$$ /var/lib/node_exporter/shmseq.prom\n",
		&nargs);
	if (rc >= 0)
		return rc;
	if (nargs > 0)
		return usage_error("metrics: unexpected argument '%s'", argv[1]);
	if (fmt != FMT_DEFAULT)
		return usage_error("metrics: the output is the exposition format; --format does not apply");
	shmseq *conn = connect_or_complain(false);
	if (!conn)
		return 1;
	struct shmseq_counters ct;
	rc = shmseq_counters(conn, NULL, &ct);
	if (rc < 0) {
		fprintf(stderr, PROG ": instance '%s' did not answer: %s\n", shmseq_instance(conn),
			shmseq_strerror(rc));
		shmseq_disconnect(conn);
		return 1;
	}
	const char *inst = shmseq_instance(conn);
	metric_u64(inst, "shmseq_up", "gauge",
		   "1: the daemon answered and can hand out new values; 0: it failed", !ct.failed);
	metric_head("shmseq_uptime_seconds", "gauge", "Seconds since the daemon started.");
	printf("shmseq_uptime_seconds{instance=\"");
	metric_label(inst);
	printf("\"} %.3f\n", (double)ct.uptime_ms / 1000.0);
	metric_u64(inst, "shmseq_sessions", "gauge", "Sessions attached now.", ct.connections);
	metric_u64(inst, "shmseq_sessions_accepted_total", "counter", "Sessions accepted.", ct.sessions);
	metric_u64(inst, "shmseq_sessions_refused_total", "counter",
		   "Sessions refused (too many, not allowed, out of descriptors).", ct.refused);
	metric_u64(inst, "shmseq_statements_total", "counter",
		   "CREATE, ALTER, DROP, SETVAL and INSERT answered.", ct.statements);
	metric_u64(inst, "shmseq_refills_total", "counter", "Window extensions asked for by clients.",
		   ct.refills);
	metric_u64(inst, "shmseq_refill_waits_total", "counter",
		   "Refills a client waited for (its window ran dry).", ct.waits);
	metric_u64(inst, "shmseq_log_records_total", "counter", "Log records written.", ct.records);
	metric_u64(inst, "shmseq_snapshots_total", "counter", "Snapshots written.", ct.snapshots);
	metric_u64(inst, "shmseq_slot_repairs_total", "counter", "Scribbled slots found and repaired.",
		   ct.repairs);
	metric_head("shmseq_sync_seconds", "histogram", "fdatasync of the log: each serves a batch.");
	uint64_t cum = 0;
	for (int b = 0; b < SHMSEQ_SYNC_BUCKETS; b++) {
		cum += ct.sync_hist[b];
		printf("shmseq_sync_seconds_bucket{instance=\"");
		metric_label(inst);
		if (b == SHMSEQ_SYNC_BUCKETS - 1)
			printf("\",le=\"+Inf\"} %" PRIu64 "\n", cum);
		else
			printf("\",le=\"%g\"} %" PRIu64 "\n", (double)(1ull << b) * 1e-6, cum);
	}
	printf("shmseq_sync_seconds_sum{instance=\"");
	metric_label(inst);
	printf("\"} %.9f\n", (double)ct.sync_ns * 1e-9);
	printf("shmseq_sync_seconds_count{instance=\"");
	metric_label(inst);
	printf("\"} %" PRIu64 "\n", ct.syncs);

	size_t n = 0;
	char **names = sequence_names(conn, &n);
	int status = names ? 0 : 1;
	static const struct {
		const char *name, *type, *help;
	} per[] = {
		{"shmseq_sequence_refills_total", "counter", "Window extensions asked for, per sequence."},
		{"shmseq_sequence_refill_waits_total", "counter",
		 "Refills a client waited for, per sequence."},
		{"shmseq_sequence_values_taken", "gauge",
		 "Values handed out since the sequence's last CREATE, RESTART, SETVAL, wrap or the daemon's "
		 "start."},
		{"shmseq_sequence_reserve", "gauge",
		 "Values durable and not handed out: what a crash of this host may skip."},
	};
	struct shmseq_counters *each = xrealloc(NULL, (n ? n : 1) * sizeof(*each));
	for (size_t i = 0; i < n; i++)
		if (shmseq_counters(conn, names[i], &each[i]) < 0)
			each[i].has_seq = false; /* dropped meanwhile */
	for (size_t m = 0; m < ARRAY_SIZE(per); m++) {
		metric_head(per[m].name, per[m].type, per[m].help);
		for (size_t i = 0; i < n; i++) {
			if (!each[i].has_seq)
				continue;
			uint64_t v = m == 0   ? each[i].seq_refills
				     : m == 1 ? each[i].seq_waits
				     : m == 2 ? each[i].seq_taken
					      : each[i].seq_reserve;
			printf("%s{instance=\"", per[m].name);
			metric_label(inst);
			printf("\",sequence=\"");
			metric_label(names[i]);
			printf("\"} %" PRIu64 "\n", v);
		}
	}
	free(each);
	if (names)
		free_names(names);
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return status;
}

/* --- shutdown ------------------------------------------------------------- */

/* Whether pid is a shmseqd (its command name), so that a pid that is not
 * the daemon's (another pid namespace) is never signalled. */
static bool is_shmseqd(pid_t pid)
{
	char path[64], comm[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? false : true; /* no /proc: trust the daemon's word */
	bool ok = fgets(comm, sizeof(comm), f) && !strncmp(comm, "shmseqd", 7) &&
		  (comm[7] == '\n' || comm[7] == '\0');
	fclose(f);
	return ok;
}

/* Whether pid still runs: a zombie (exited, not yet reaped by its
 * parent) has stopped. */
static bool pid_alive(pid_t pid)
{
	char path[64], buf[512];
	if (kill(pid, 0) < 0 && errno != EPERM)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno != ENOENT;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* "pid (comm) S ..." */
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

int cmd_shutdown(int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t timeout_s = 60;
	struct shmseq_status st;
	bool quiet = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+t:qf:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!parse_u64(optarg, &timeout_s) || timeout_s > 86400)
				return usage_error(
					"shutdown: --timeout wants seconds from 0 to 86400, not '%s'",
					optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'f':
			return usage_error("shutdown: --format does not apply: it prints one line of text, "
					   "and its exit status says whether the daemon stopped");
		case 'h':
			puts("Usage: " PROG
			     " [--instance NAME] shutdown [-t|--timeout SECONDS] [-q|--quiet]\n"
			     "Stop the instance's daemon cleanly (SIGTERM: every position persisted)\n"
			     "and wait until it is gone (default 60 seconds; 0: do not wait).\n"
			     "Exit status 0 when it is gone, 1 when it could not be stopped or still\n"
			     "runs at the time-out. A systemd service is better stopped with\n"
			     "systemctl stop shmseqd@NAME (Restart= would not apply anyway).");
			return 0;
		default:
			return usage_error("shutdown: bad option");
		}
	}
	if (optind < argc)
		return usage_error("shutdown: unexpected argument '%s'", argv[optind]);

	shmseq *conn = connect_or_complain(false);
	if (!conn)
		return 1;
	memset(&st, 0, sizeof(st));
	int rc = shmseq_status(conn, &st);
	char inst[SHMSEQ_INSTANCE_MAX + 1];
	snprintf(inst, sizeof(inst), "%s", shmseq_instance(conn));
	shmseq_disconnect(conn); /* our session must not hold it up */
	if (rc < 0) {
		fprintf(stderr, PROG ": instance '%s' did not answer: %s\n", inst, shmseq_strerror(rc));
		return 1;
	}
	pid_t pid = (pid_t)st.daemon_pid;
	if (pid <= 1 || !is_shmseqd(pid)) {
		fprintf(stderr,
			PROG ": instance '%s' says its daemon is pid %d, which is no shmseqd here (another "
			     "pid namespace?): not signalling it\n",
			inst, (int)pid);
		return 1;
	}
	if (kill(pid, SIGTERM) < 0) {
		int e = errno;
		char who[300] = "another user";
		char path[64];
		struct stat pst;
		snprintf(path, sizeof(path), "/proc/%d", (int)pid);
		if (stat(path, &pst) == 0)
			util_user_text(pst.st_uid, who, sizeof(who));
		if (e == ESRCH) {
			if (!quiet)
				printf("instance '%s' stopped (daemon pid %d was already gone)\n", inst,
				       (int)pid);
			return 0;
		}
		fprintf(stderr,
			PROG ": cannot stop instance '%s': its daemon (pid %d) runs as %s: %s; stop it as "
			     "that user or root (for the system service: systemctl stop shmseqd@%s)\n",
			inst, (int)pid, who, strerror(e), inst);
		return 1;
	}
	if (timeout_s == 0) {
		if (!quiet)
			printf("instance '%s': asked daemon pid %d to stop\n", inst, (int)pid);
		return 0;
	}
	uint64_t t0 = util_now_ns(), limit = timeout_s * 1000000000ull;
	while (pid_alive(pid)) {
		if (util_now_ns() - t0 >= limit) {
			fprintf(stderr,
				PROG ": instance '%s': its daemon (pid %d) still runs %" PRIu64
				     " seconds after SIGTERM (persisting its positions?); not killed\n",
				inst, (int)pid, timeout_s);
			return 1;
		}
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (!quiet)
		printf("instance '%s' stopped (daemon pid %d)\n", inst, (int)pid);
	return 0;
}
