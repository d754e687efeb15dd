/* SPDX-License-Identifier: MIT */
/* verbs.c — the verbs on sequences: list, create, drop, setval, show,
 * nextval, dump and stats (the daemon's own verbs: service.c). */
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

/* --- verbs built on statements -------------------------------------------- */

/* Parse the options of a friendly verb: --format/-f and --help/-h may
 * stand anywhere, "--" ends them; every other argument is an operand, so
 * negative numbers ("setval s -5", "create s increment by -1") need no "--".
 * The operands are moved to the front of argv[1..]; *nargs is their count.
 * Returns -1 to go on, else an exit status. */
int verb_options(int argc, char **argv, enum format *fmt, const char *help, int *nargs)
{
	const char *verb = argv[0];
	bool opts_done = false;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const char *val = NULL;

		if (opts_done || a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9')) {
			argv[1 + n++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(help, stdout);
			return 0;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--format")) {
			if (i + 1 >= argc)
				return usage_error("%s: option '%s' needs an argument", verb, a);
			val = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			val = a + 9;
		} else if (!strncmp(a, "-f", 2)) {
			val = a + 2;
		} else {
			return usage_error("%s: unknown option '%s' (put '--' before "
					   "arguments that start with '-')",
					   verb, a);
		}
		if (val && !parse_format(val, fmt))
			return usage_error("%s: unknown format '%s' (table, batch or "
					   "json)",
					   verb, val);
	}
	*nargs = n;
	return -1;
}

/* Run one statement with the friendly verbs' printer. 0 or 1. */
static int verb_run(shmseq *conn, enum format fmt, const char *sql)
{
	struct printer p = {.fmt = fmt == FMT_DEFAULT ? FMT_TABLE : fmt};

	return run_sql(conn, &p, sql, 1) ? 1 : 0;
}

/* Run a statement and hand back its (successful) result set, or print the
 * error and return NULL. */
static shmseq_result *query(shmseq *conn, const char *sql)
{
	struct printer p = {.fmt = FMT_TABLE};
	shmseq_result *res = NULL;
	int rc = shmseq_exec(conn, sql, &res);

	if (rc < 0) {
		print_error(&p, NULL, rc, 0);
		return NULL;
	}
	if (!res) {
		fprintf(stderr, PROG ": no result for: %s\n", sql);
		return NULL;
	}
	rc = shmseq_result_error(res);
	if (rc) {
		print_error(&p, res, rc, 0);
		shmseq_result_free(res);
		return NULL;
	}
	if (!shmseq_result_has_rows(res)) {
		fprintf(stderr, PROG ": no result set for: %s\n", sql);
		shmseq_result_free(res);
		return NULL;
	}
	return res;
}

static long find_column(const shmseq_result *res, const char *name, long fallback)
{
	size_t nc = shmseq_result_columns(res);

	for (size_t c = 0; c < nc; c++) {
		const char *n = shmseq_result_column_name(res, c);

		if (n && !strcasecmp(n, name))
			return (long)c;
	}
	return fallback >= 0 && (size_t)fallback < nc ? fallback : -1;
}

/* The names of all sequences (SHOW TABLES), NULL-terminated; NULL on error. */
char **sequence_names(shmseq *conn, size_t *count)
{
	shmseq_result *res = query(conn, "SHOW TABLES");
	char **v;
	size_t n, k = 0;

	if (!res)
		return NULL;
	n = shmseq_result_rows(res);
	v = xrealloc(NULL, (n + 1) * sizeof(char *));
	for (size_t r = 0; r < n && shmseq_result_columns(res) > 0; r++) {
		const char *name = shmseq_result_value(res, r, 0);

		if (name)
			v[k++] = xstrdup(name);
	}
	v[k] = NULL;
	shmseq_result_free(res);
	*count = k;
	return v;
}

void free_names(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int cmd_list(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	shmseq *conn;
	char **names;
	size_t n;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] list [--format=F]\n"
			      "Print the names of the sequences, one per line (json: one result set\n"
			      "with the column name).\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs > 0)
		return usage_error("list: unexpected argument '%s'", argv[1]);
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	names = sequence_names(conn, &n);
	shmseq_disconnect(conn);
	if (!names)
		return 1;
	if (fmt == FMT_JSON) {
		static const char *col[] = {"name"};
		bool numeric[] = {false};
		struct grid g = {.ncols = 1,
				 .nrows = n,
				 .names = col,
				 .numeric = numeric,
				 .cells = (const char **)names};
		print_grid_json(&g, stdout);
	} else {
		for (size_t i = 0; i < n; i++)
			puts(names[i]);
	}
	free_names(names);
	return fflush(stdout) == EOF ? 1 : 0;
}

/* Run SQL a friendly verb built on a new session, print it, free it. */
static int verb_run_sql(enum format fmt, struct sbuf *sql)
{
	shmseq *conn = connect_or_complain(false);
	int rc = 1;
	if (conn) {
		rc = verb_run(conn, fmt, sql->s);
		shmseq_disconnect(conn);
	}
	free(sql->s);
	return rc;
}

int cmd_create(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf sql = {0};
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] create [--format=F] NAME [OPTIONS...]\n"
			      "CREATE SEQUENCE NAME OPTIONS, e.g.\n"
			      "  " PROG " create orders start with 1000 cache 100 cycle\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	argc = nargs + 1;
	if (nargs < 1)
		return usage_error("create: missing sequence name");
	sb_str(&sql, "CREATE SEQUENCE ");
	sb_ident(&sql, argv[1]);
	for (int i = 2; i < argc; i++) {
		sb_str(&sql, " ");
		sb_str(&sql, argv[i]);
	}
	return verb_run_sql(fmt, &sql);
}

int cmd_drop(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf sql = {0};
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] drop [--format=F] NAME...\n"
			      "DROP SEQUENCE NAME, ...\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	argc = nargs + 1;
	if (nargs < 1)
		return usage_error("drop: missing sequence name");
	sb_str(&sql, "DROP SEQUENCE ");
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			sb_str(&sql, ", ");
		sb_ident(&sql, argv[i]);
	}
	return verb_run_sql(fmt, &sql);
}

int cmd_setval(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf sql = {0};
	int64_t v;
	uint64_t u;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG
			      " [--instance NAME] setval [--format=F] NAME VALUE [IS_USED [ROUND]]\n"
			      "SELECT SETVAL(NAME, VALUE[, IS_USED[, ROUND]]): move the sequence\n"
			      "forward; prints VALUE when applied, NULL when ignored.\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs < 2)
		return usage_error("setval: expected NAME VALUE [IS_USED [ROUND]]");
	if (nargs > 4)
		return usage_error("setval: too many arguments");
	/* a BIGINT UNSIGNED sequence takes values up to 2^64 - 1: the
	 * statement checks VALUE against the sequence's own type */
	if (parse_i64(argv[2], &v))
		u = 0;
	else if (parse_u64(argv[2], &u))
		v = 0;
	else
		return usage_error("setval: VALUE '%s' is not a 64-bit integer", argv[2]);
	sb_str(&sql, "SELECT SETVAL(");
	sb_ident(&sql, argv[1]);
	if (u)
		sb_printf(&sql, ", %" PRIu64, u);
	else
		sb_printf(&sql, ", %" PRId64, v);
	if (nargs >= 3) {
		if (!parse_u64(argv[3], &u) || u > 1) {
			free(sql.s);
			return usage_error("setval: IS_USED must be 0 or 1");
		}
		sb_printf(&sql, ", %" PRIu64, u);
	}
	if (nargs >= 4) {
		if (!parse_u64(argv[4], &u)) {
			free(sql.s);
			return usage_error("setval: ROUND '%s' is not a non-negative integer", argv[4]);
		}
		sb_printf(&sql, ", %" PRIu64, u);
	}
	sb_str(&sql, ")");
	return verb_run_sql(fmt, &sql);
}

int cmd_show(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	struct sbuf a = {0}, b = {0};
	shmseq *conn;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] show [--format=F] NAME\n"
			      "SHOW CREATE SEQUENCE NAME and SELECT * FROM NAME.\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs != 1)
		return usage_error("show: expected one sequence name");
	sb_str(&a, "SHOW CREATE SEQUENCE ");
	sb_ident(&a, argv[1]);
	sb_str(&b, "SELECT * FROM ");
	sb_ident(&b, argv[1]);
	conn = connect_or_complain(false);
	if (!conn) {
		free(a.s);
		free(b.s);
		return 1;
	}
	rc = verb_run(conn, fmt, a.s);
	if (rc == 0)
		rc = verb_run(conn, fmt, b.s);
	shmseq_disconnect(conn);
	free(a.s);
	free(b.s);
	return rc;
}

int cmd_nextval(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	uint64_t count = 1;
	shmseq_seq *seq = NULL;
	shmseq *conn;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] nextval [--format=F] NAME [COUNT]\n"
			      "Take COUNT (default 1) values of the sequence and print them, one\n"
			      "per line (json: one result set).\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs < 1 || nargs > 2)
		return usage_error("nextval: expected NAME [COUNT]");
	if (nargs == 2 && !parse_u64(argv[2], &count))
		return usage_error("nextval: COUNT '%s' is not a non-negative integer", argv[2]);
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	rc = shmseq_seq_open(conn, argv[1], &seq);
	if (rc < 0)
		goto fail;
	if (fmt == FMT_JSON) {
		fputs("{\"columns\": [", stdout);
		struct sbuf col = {0};
		sb_str(&col, "NEXTVAL(");
		sb_str(&col, argv[1]);
		sb_str(&col, ")");
		json_write_str(stdout, col.s);
		free(col.s);
		fputs("], \"rows\": [", stdout);
	}
	/* in batches (shmseq_seq_nextval_n): one fetch-and-add per batch */
	for (uint64_t i = 0; i < count;) {
		int64_t first, last;
		uint64_t got;

		rc = shmseq_seq_nextval_n(seq, count - i, &first, &got);
		if (rc < 0)
			break;
		/* the step: LASTVAL is the batch's last value (this connection
		 * draws alone), the values between are evenly spaced */
		int64_t step = 0;
		if (got > 1) {
			rc = shmseq_lastval(conn, argv[1], &last);
			if (rc < 0)
				break;
			bool u = shmseq_seq_is_unsigned(seq);
			__int128 span = u ? (__int128)(uint64_t)last - (uint64_t)first
					  : (__int128)last - first;
			step = (int64_t)(span / (__int128)(got - 1));
		}
		for (uint64_t j = 0; j < got; j++, i++) {
			char text[24];
			int64_t v = (int64_t)((uint64_t)first + j * (uint64_t)step);
			/* by the type of the sequence that gave this value (the
			 * name may have been re-created meanwhile) */
			if (shmseq_seq_is_unsigned(seq))
				snprintf(text, sizeof(text), "%" PRIu64, (uint64_t)v);
			else
				snprintf(text, sizeof(text), "%" PRId64, v);
			if (fmt == FMT_JSON)
				printf("%s[\"%s\"]", i ? ", " : "", text);
			else
				printf("%s\n", text);
		}
	}
	if (fmt == FMT_JSON)
		fputs("]}\n", stdout);
	shmseq_seq_close(seq);
	if (rc < 0)
		goto fail;
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return 0;
fail:
	fflush(stdout);
	if (rc == -ECONNREFUSED || rc == -EPERM) {
		char why[2048];
		shmseq_connect_explain(opt_instance, rc, why, sizeof(why));
		fprintf(stderr, PROG ": nextval %s: %s (error %d)\n", argv[1], why, error_code(rc));
	} else {
		fprintf(stderr, PROG ": nextval %s: %s (error %d)\n", argv[1], shmseq_strerror(rc),
			error_code(rc));
	}
	shmseq_disconnect(conn);
	return 1;
}

/* The time now as "YYYY-MM-DD HH:MM:SS" UTC (mariadb-dump's form). */
static void utc_now(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, cap, "?");
}

/* Print "-- shmseq dump" text: CREATE OR REPLACE statements and SETVAL
 * calls that put every sequence back where it is, round included, over
 * whatever holds the name (as mariadb-dump's DROP ... IF EXISTS does); a
 * header naming the instance and the time, a footer saying it completed. */
int cmd_dump(int argc, char **argv)
{
	enum format fmt = FMT_DEFAULT;
	shmseq *conn;
	char **names;
	size_t n;
	int status = 0;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] dump\n"
			      "Print SQL that recreates every sequence with its current position\n"
			      "and cycle count, replacing a sequence of the same name (load it with\n"
			      "'" PROG " sql').\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs > 0)
		return usage_error("dump: unexpected argument '%s'", argv[1]);
	if (fmt != FMT_DEFAULT)
		return usage_error("dump: its output is SQL; --format does not apply");
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	names = sequence_names(conn, &n);
	if (!names) {
		shmseq_disconnect(conn);
		return 1;
	}
	char when[64];
	utc_now(when, sizeof(when));
	printf("-- shmseq dump of instance %s\n-- taken %s UTC by " PROG " %s\n", shmseq_instance(conn), when,
	       SHMSEQ_VERSION_STRING);
	for (size_t i = 0; i < n; i++) {
		struct sbuf a = {0}, b = {0};
		shmseq_result *cr = NULL, *sr = NULL;
		const char *create, *next, *round;
		long cnext, cround;

		sb_str(&a, "SHOW CREATE SEQUENCE ");
		sb_ident(&a, names[i]);
		sb_str(&b, "SELECT * FROM ");
		sb_ident(&b, names[i]);
		cr = query(conn, a.s);
		if (cr)
			sr = query(conn, b.s);
		free(a.s);
		free(b.s);
		if (!cr || !sr)
			goto next_fail;
		if (shmseq_result_rows(cr) < 1 || shmseq_result_columns(cr) < 2 || shmseq_result_rows(sr) < 1)
			goto next_bad;
		create = shmseq_result_value(cr, 0, 1);
		cnext = find_column(sr, "next_not_cached_value", 0);
		cround = find_column(sr, "cycle_count", 7);
		if (!create || cnext < 0 || cround < 0)
			goto next_bad;
		next = shmseq_result_value(sr, 0, (size_t)cnext);
		round = shmseq_result_value(sr, 0, (size_t)cround);
		if (!next || !round || strncmp(create, "CREATE SEQUENCE ", 16))
			goto next_bad;
		printf("CREATE OR REPLACE SEQUENCE %s;\n", create + 16);
		fputs("DO SETVAL(", stdout);
		{
			struct sbuf q = {0};
			sb_ident(&q, names[i]);
			fputs(q.s, stdout);
			free(q.s);
		}
		printf(", %s, 0, %s);\n", next, round);
		shmseq_result_free(cr);
		shmseq_result_free(sr);
		continue;
next_bad:
		fflush(stdout);
		fprintf(stderr, PROG ": dump: unexpected answer for sequence '%s'\n", names[i]);
next_fail:
		shmseq_result_free(cr);
		shmseq_result_free(sr);
		status = 1;
	}
	free_names(names);
	shmseq_disconnect(conn);
	if (!status) {
		utc_now(when, sizeof(when));
		printf("-- Dump completed on %s UTC\n", when);
	}
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return status;
}

int cmd_stats(int argc, char **argv)
{
	static const char *cols[] = {
		"name", "next_not_cached_value", "cycle_count", "cache", "refills", "waits", "reserve"};
	static const char *src[] = {NULL, "next_not_cached_value", "cycle_count", "cache_size"};
	static const long fallback[] = {-1, 0, 7, 5};
	enum { NSQL = 4 }; /* the columns from SELECT *; the rest: shmseq_counters() */
	enum format fmt = FMT_DEFAULT;
	struct grid g = {0};
	shmseq_result **keep;
	shmseq *conn;
	char **names;
	size_t n, k = 0;
	int status = 0;
	int nargs = 0;
	int rc = verb_options(argc, argv, &fmt,
			      "Usage: " PROG " [--instance NAME] stats [--format=F]\n"
			      "Show every sequence's position, cycle count and cache size, and the\n"
			      "daemon's counters for it since its start: refills asked for, refills a\n"
			      "client waited for, and the reserve (values durable and not handed out:\n"
			      "what a crash of this host may skip).\n",
			      &nargs);

	if (rc >= 0)
		return rc;
	if (nargs > 0)
		return usage_error("stats: unexpected argument '%s'", argv[1]);
	conn = connect_or_complain(false);
	if (!conn)
		return 1;
	names = sequence_names(conn, &n);
	if (!names) {
		shmseq_disconnect(conn);
		return 1;
	}
	keep = xrealloc(NULL, (n ? n : 1) * sizeof(*keep));
	char **counts = xrealloc(NULL, (n ? n : 1) * sizeof(*counts));
	g.ncols = ARRAY_SIZE(cols);
	g.names = xrealloc(NULL, sizeof(cols));
	memcpy(g.names, cols, sizeof(cols));
	g.numeric = xrealloc(NULL, g.ncols * sizeof(bool));
	for (size_t c = 0; c < g.ncols; c++)
		g.numeric[c] = c > 0;
	g.cells = xrealloc(NULL, (n ? n : 1) * g.ncols * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		struct sbuf q = {0};
		shmseq_result *res;

		sb_str(&q, "SELECT * FROM ");
		sb_ident(&q, names[i]);
		res = query(conn, q.s);
		free(q.s);
		if (!res) {
			status = 1; /* e.g. dropped meanwhile: already reported */
			continue;
		}
		if (shmseq_result_rows(res) < 1) {
			shmseq_result_free(res);
			continue;
		}
		keep[k] = res;
		g.cells[k * g.ncols] = names[i];
		struct shmseq_counters ct;
		if (shmseq_counters(conn, names[i], &ct) == 0 && ct.has_seq) {
			char *buf = xrealloc(NULL, 3 * 24);
			snprintf(buf, 24, "%" PRIu64, ct.seq_refills);
			snprintf(buf + 24, 24, "%" PRIu64, ct.seq_waits);
			snprintf(buf + 48, 24, "%" PRIu64, ct.seq_reserve);
			counts[k] = buf;
			for (size_t c = NSQL; c < g.ncols; c++)
				g.cells[k * g.ncols + c] = buf + 24 * (c - NSQL);
		} else {
			counts[k] = NULL;
			for (size_t c = NSQL; c < g.ncols; c++)
				g.cells[k * g.ncols + c] = NULL;
		}
		for (size_t c = 1; c < NSQL; c++) {
			long col = find_column(res, src[c], fallback[c]);

			g.cells[k * g.ncols + c] = col < 0 ? NULL : shmseq_result_value(res, 0, (size_t)col);
		}
		k++;
	}
	g.nrows = k;
	switch (fmt) {
	case FMT_JSON:
		print_grid_json(&g, stdout);
		break;
	case FMT_BATCH:
		print_grid_batch(&g, stdout);
		break;
	default:
		if (k) {
			print_grid_table(&g, stdout);
			printf("%zu %s\n", k, k == 1 ? "sequence" : "sequences");
		} else {
			puts("No sequences");
		}
		break;
	}
	for (size_t i = 0; i < k; i++) {
		shmseq_result_free(keep[i]);
		free(counts[i]);
	}
	free(keep);
	free(counts);
	grid_free(&g);
	free_names(names);
	shmseq_disconnect(conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return status;
}
