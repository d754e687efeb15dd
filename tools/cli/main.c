/* SPDX-License-Identifier: MIT */
/* main.c — the admin CLI and SQL shell of shmseq: options and verb dispatch.
 *
 *   shmseq [--instance NAME] VERB [ARGS]
 *
 * Verbs: sql (a mariadb-like client: REPL on a terminal, statements from
 * standard input or -e otherwise, output as table, batch or JSON lines),
 * status (the readiness check scripts use), list, create, drop, nextval,
 * setval, show, dump, stats and shutdown.
 *
 * Everything goes through the public API (include/shmseq.h): statements run
 * through shmseq_exec(), `nextval` uses the shared-memory fast path through a
 * sequence handle.
 *
 * Statement splitting: the shell cuts its input into statements with the
 * library's own lexer (lib/sql.h: sql_complete, sql_split; the one
 * shmseq_exec() uses), so that it can run them one at a time, report the line
 * each one started on and stop at the first error (in every format; --force
 * goes on). --lines is the exception, for programs on pipes (the conformance
 * runner): every input line goes to shmseq_exec() as it is and every result
 * becomes exactly one output line, flushed at once. JSON output writes every
 * SQL value as a string, so that IDs above 2^53 survive JSON readers.
 *
 * The parts: cli.h (what they share), util.c (strings, numbers, formats),
 * output.c (results as table, batch or JSON), shell.c (the sql verb:
 * statements gathered with the library's lexer, the REPL), verbs.c (status,
 * list, create, drop, setval, show, nextval, dump, stats, shutdown).
 *
 * Exit codes: 0 success, 1 a statement or the connection failed, 2 bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "util.h"

const char *opt_instance; /* NULL: the library's default */

/* --- main ----------------------------------------------------------------- */

static void main_help(FILE *f)
{
	fputs("Usage: " PROG " [--instance NAME] [-h|--help] [-V|--version] VERB [ARGS]\n"
	      "The admin tool and SQL shell of shmseq (shared-memory sequences).\n\n"
	      "Global options:\n"
	      "  -i, --instance=NAME  the instance to talk to (default: $SHMSEQ_INSTANCE,\n"
	      "                       else 'default'); $SHMSEQ_RUNTIME_DIR locates sockets\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n\n"
	      "Verbs (options go before the verb's arguments; VERB --help for more):\n"
	      "  sql [-e STATEMENTS] [--format=table|batch|json] [--force]\n"
	      "                       run SQL: -e text, standard input, or a shell\n"
	      "  status [--quiet]     daemon summary; exit 0 exactly when it answers\n"
	      "  cluster status       cluster mode: the store and the cluster's hosts\n"
	      "  list                 sequence names, one per line\n"
	      "  create NAME [OPTIONS...]   CREATE SEQUENCE NAME OPTIONS\n"
	      "  drop NAME...         DROP SEQUENCE\n"
	      "  nextval NAME [COUNT] take COUNT values (default 1)\n"
	      "  setval NAME VALUE [IS_USED [ROUND]]   SELECT SETVAL(...)\n"
	      "  show NAME            SHOW CREATE SEQUENCE and SELECT * FROM NAME\n"
	      "  dump                 SQL that recreates every sequence and its position\n"
	      "  stats                position, cycle count, cache and counters of every sequence\n"
	      "  metrics              the counters in the Prometheus text format\n"
	      "  shutdown [--timeout SECONDS] [--quiet]\n"
	      "                       stop the daemon cleanly and wait until it is gone\n\n"
	      "create, drop, nextval, setval, show and stats take --format=FORMAT\n"
	      "(table by default).\n"
	      "Exit status: 0 success, 1 failure, 2 bad usage.\n",
	      f);
}

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct verb verbs[] = {
	{"sql", cmd_sql},	  {"status", cmd_status},   {"list", cmd_list},
	{"create", cmd_create},	  {"drop", cmd_drop},	    {"nextval", cmd_nextval},
	{"setval", cmd_setval},	  {"show", cmd_show},	    {"dump", cmd_dump},
	{"stats", cmd_stats},	  {"metrics", cmd_metrics}, {"shutdown", cmd_shutdown},
	{"cluster", cmd_cluster},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"instance", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+i:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!util_instance_name_valid(optarg))
				return usage_error("invalid instance name '%s' (1 to %d "
						   "letters, digits, '-' or '_')",
						   optarg, SHMSEQ_INSTANCE_MAX);
			opt_instance = optarg;
			break;
		case 'h':
			main_help(stdout);
			return 0;
		case 'V':
			printf(PROG " %s (libshmseq %s)\n", SHMSEQ_VERSION_STRING, shmseq_version());
			return 0;
		default:
			return usage_error("bad option");
		}
	}
	if (optind >= argc)
		return usage_error("missing verb");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(argv[optind], verbs[i].name))
			return verbs[i].fn(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "help")) {
		main_help(stdout);
		return 0;
	}
	return usage_error("unknown verb '%s'", argv[optind]);
}
