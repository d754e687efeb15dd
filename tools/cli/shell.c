/* SPDX-License-Identifier: MIT */
/* shell.c — the sql verb: statements from -e, standard input or a REPL, cut
 * with the library's lexer (lib/sql.h), run one at a time. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include <signal.h>
#include <unistd.h>

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "sql.h"
#include "util.h"

/* --- gathering statements ----------------------------------------------- */

/* Input arrives in pieces (lines); the library's lexer, the one shmseq_exec()
 * uses, says where each statement ends: sql_complete() finds the first ';'
 * outside quotes and comments, sql_split() trims the statement to its tokens
 * and gives the line it starts on. A statement may span lines, a quote or
 * comment may stay open across them. */
struct gather {
	struct sbuf buf;    /* input not yet run */
	unsigned long line; /* input line of buf's first byte (1-based) */
	/* called for every statement (without its ';'); nonzero stops */
	int (*emit)(void *ctx, const char *stmt, unsigned long line);
	void *ctx;
};

static void gather_init(struct gather *g, int (*emit)(void *, const char *, unsigned long), void *ctx)
{
	memset(g, 0, sizeof(*g));
	g->line = 1;
	g->emit = emit;
	g->ctx = ctx;
	sb_add(&g->buf, "", 0);
}

/* Drop the first n bytes of the buffer, counting the lines they held. */
static void gather_drop(struct gather *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (g->buf.s[i] == '\n')
			g->line++;
	memmove(g->buf.s, g->buf.s + n, g->buf.len - n + 1);
	g->buf.len -= n;
}

/* Whether something is gathered that is not yet a complete statement. */
static bool gather_pending(const struct gather *g)
{
	return !sql_is_blank(g->buf.s, g->buf.len);
}

/* Whether the gathered text ends inside a quote or a slash-star comment. */
static bool gather_open(struct gather *g)
{
	size_t len = g->buf.len, end;
	bool open;

	sb_add(&g->buf, "\n;", 2);
	open = !sql_complete(g->buf.s, g->buf.len, &end);
	g->buf.len = len;
	g->buf.s[len] = '\0';
	return open;
}

/* Run the statement in buf[0, end) (none if it holds no token), then drop it. */
static int gather_emit(struct gather *g, size_t end)
{
	struct sql_piece *pieces;
	size_t n;
	int rc = 0;

	if (sql_split(g->buf.s, end, &pieces, &n) < 0)
		die_oom();
	for (size_t i = 0; i < n && !rc; i++) {
		char *stmt = strndup(g->buf.s + pieces[i].off, pieces[i].len);

		if (!stmt)
			die_oom();
		rc = g->emit(g->ctx, stmt, g->line + pieces[i].line - 1);
		free(stmt);
	}
	free(pieces);
	gather_drop(g, end);
	return rc;
}

/* Add text and run the statements it completes. */
static int gather_feed(struct gather *g, const char *t, size_t n)
{
	size_t end;

	sb_add(&g->buf, t, n);
	while (sql_complete(g->buf.s, g->buf.len, &end)) {
		int rc = gather_emit(g, end);

		if (rc)
			return rc;
	}
	return 0;
}

/* End of input: the last statement may lack its ';'. */
static int gather_finish(struct gather *g)
{
	return gather_emit(g, g->buf.len);
}

/* Forget what is gathered (the lines it held still count). */
static void gather_clear(struct gather *g)
{
	gather_drop(g, g->buf.len);
}

/* --- the sql verb --------------------------------------------------------- */

struct session {
	shmseq *conn;
	struct printer p;
	bool stop_on_error; /* non-interactive without --force */
	bool failed;	    /* some statement failed */
};

static int session_emit(void *ctx, const char *stmt, unsigned long line)
{
	struct session *ss = ctx;
	int rc = run_sql(ss->conn, &ss->p, stmt, line);

	if (rc) {
		ss->failed = true;
		if (ss->stop_on_error)
			return 1;
	}
	return 0;
}

/* Feed input. \G outside a quote or comment ends its statement as ';'
 * does, and the statement's result sets are printed vertically (the
 * mariadb client's ego). */
static int feed_line(struct session *ss, struct gather *g, const char *line, size_t n)
{
	while (n) {
		const char *p = memmem(line, n, "\\G", 2);
		if (!p)
			return gather_feed(g, line, n);
		size_t k = (size_t)(p - line);
		int rc = gather_feed(g, line, k);
		if (rc)
			return rc;
		if (gather_open(g)) { /* inside a quote or comment: the text's own */
			rc = gather_feed(g, p, 2);
		} else {
			ss->p.vertical_once = true;
			rc = gather_feed(g, ";", 1);
			ss->p.vertical_once = false;
		}
		if (rc)
			return rc;
		line = p + 2;
		n -= k + 2;
	}
	return 0;
}

/* --lines: every line as it is, one statement (no ';' needed), one answer
 * per result; a failed one stops the run unless --force. */
static int sql_lines(struct session *ss, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (sql_is_blank(line, (size_t)n))
			continue;
		if (run_sql(ss->conn, &ss->p, line, lineno)) {
			ss->failed = true;
			if (ss->stop_on_error)
				break;
		}
		if (fflush(stdout) == EOF) {
			free(line);
			fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
			return 1;
		}
	}
	free(line);
	if (ferror(in)) {
		fprintf(stderr, PROG ": reading input: %s\n", strerror(errno));
		return 1;
	}
	return ss->failed ? 1 : 0;
}

/* Statements that may span lines, from a stream. */
static int sql_stream(struct session *ss, FILE *in)
{
	struct gather g;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int stopped = 0;

	gather_init(&g, session_emit, ss);
	while ((n = getline(&line, &cap, in)) >= 0) {
		stopped = feed_line(ss, &g, line, (size_t)n);
		if (stopped)
			break;
	}
	if (!stopped && ferror(in)) {
		fprintf(stderr, PROG ": reading input: %s\n", strerror(errno));
		ss->failed = true;
	} else if (!stopped) {
		gather_finish(&g);
	}
	free(line);
	free(g.buf.s);
	return ss->failed ? 1 : 0;
}

static int sql_text(struct session *ss, const char *text)
{
	struct gather g;

	gather_init(&g, session_emit, ss);
	int stopped = 0;
	for (const char *t = text; *t && !stopped;) {
		const char *nl = strchr(t, '\n');
		size_t n = nl ? (size_t)(nl - t + 1) : strlen(t);
		stopped = feed_line(ss, &g, t, n);
		t += n;
	}
	if (!stopped)
		gather_finish(&g);
	free(g.buf.s);
	return ss->failed ? 1 : 0;
}

/* Whether a line, trimmed and without a trailing ';', is a quit command. */
static bool is_quit(const char *line)
{
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && strchr(" \t\r\n", line[n - 1]))
		n--;
	if (n && line[n - 1] == ';')
		n--;
	while (n && strchr(" \t", line[n - 1]))
		n--;
	return (n == 4 && !strncasecmp(line, "quit", 4)) || (n == 4 && !strncasecmp(line, "exit", 4)) ||
	       (n == 2 && !strncmp(line, "\\q", 2));
}

/* help, \h, ? or \? (a trailing ';' allowed). */
static bool is_help(const char *line)
{
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && strchr(" \t\r\n;", line[n - 1]))
		n--;
	return (n == 4 && !strncasecmp(line, "help", 4)) || (n == 2 && !strncmp(line, "\\h", 2)) ||
	       (n == 1 && line[0] == '?') || (n == 2 && !strncmp(line, "\\?", 2));
}

static void repl_help(void)
{
	puts("\nGeneral information about shmseq: man shmseq, man libshmseq.\n"
	     "Statements: MariaDB's for sequences (CREATE/ALTER/DROP SEQUENCE, NEXTVAL,\n"
	     "LASTVAL, SETVAL, SHOW CREATE SEQUENCE, SHOW TABLES, SELECT * FROM name),\n"
	     "ended by ';' or \\G.\n\n"
	     "List of shell commands (at the start of a line):\n"
	     "?         (\\?) Synonym for `help'.\n"
	     "clear     (\\c) Clear the current input statement.\n"
	     "ego       (\\G) End the statement and show its result vertically.\n"
	     "exit      (\\q) Exit. Same as quit.\n"
	     "help      (\\h) Display this help.\n"
	     "quit      (\\q) Quit.\n\n"
	     "Ctrl-C clears the line being typed, Ctrl-D on an empty line exits, Tab\n"
	     "completes keywords and sequence names.\n");
}

static bool is_clear(const char *line)
{
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && strchr(" \t\r\n", line[n - 1]))
		n--;
	return n == 2 && !strncmp(line, "\\c", 2);
}

#ifdef HAVE_LIBEDIT
static char *history_path(void)
{
	const char *home = getenv("HOME");
	char *p;

	if (!home || !*home)
		return NULL;
	if (asprintf(&p, "%s/.shmseq_history", home) < 0)
		return NULL;
	return p;
}
#endif

static volatile sig_atomic_t sigint_seen;

static void on_sigint(int sig)
{
	(void)sig;
	sigint_seen = 1;
}

#ifdef HAVE_LIBEDIT
/* Ctrl-C at the prompt: the line being typed is killed (^U) and submitted
 * empty, so readline() returns and the REPL forgets the statement. */
static int repl_getc(FILE *f)
{
	static int queued; /* 1: '\n' still to give */
	unsigned char c;
	if (queued) {
		queued = 0;
		return '\n';
	}
	for (;;) {
		ssize_t n = read(fileno(f), &c, 1);
		if (n == 1)
			return c;
		if (n < 0 && errno == EINTR) {
			if (sigint_seen) {
				queued = 1;
				return 0x15; /* ^U: kill the whole line */
			}
			continue;
		}
		return EOF;
	}
}

/* Tab completion: SQL keywords and the instance's sequence names (asked
 * afresh at each completion), never file names. */
static shmseq *complete_conn;

static const char *const keywords[] = {
	"ALTER",     "AS",	 "BIGINT",  "BY",      "CACHE",	     "COMMENT",	   "CREATE",	"CYCLE",
	"DATABASE",  "DO",	 "DROP",    "EXISTS",  "FOR",	     "FROM",	   "FULL",	"IF",
	"INCREMENT", "INT",	 "INTEGER", "LASTVAL", "LIKE",	     "MAXVALUE",   "MEDIUMINT", "MINVALUE",
	"NEXT",	     "NEXTVAL",	 "NOCACHE", "NOCYCLE", "NOMAXVALUE", "NOMINVALUE", "NOT",	"OR",
	"PREVIOUS",  "REPLACE",	 "RESTART", "SELECT",  "SEQUENCE",   "SET",	   "SETVAL",	"SHOW",
	"SIGNED",    "SMALLINT", "START",   "TABLES",  "TEMPORARY",  "TINYINT",	   "UNSIGNED",	"USE",
	"VALUE",     "WHERE",	 "WITH",
};

static char **complete_names;
static size_t complete_nnames;

static void complete_refresh(void)
{
	for (size_t i = 0; i < complete_nnames; i++)
		free(complete_names[i]);
	free(complete_names);
	complete_names = NULL;
	complete_nnames = 0;
	shmseq_result *res = NULL;
	if (!complete_conn || shmseq_exec(complete_conn, "SHOW TABLES", &res) < 0 || !res)
		return;
	if (!shmseq_result_error(res) && shmseq_result_columns(res) > 0) {
		size_t n = shmseq_result_rows(res);
		complete_names = xrealloc(NULL, (n ? n : 1) * sizeof(char *));
		for (size_t r = 0; r < n; r++) {
			const char *v = shmseq_result_value(res, r, 0);
			if (v)
				complete_names[complete_nnames++] = xstrdup(v);
		}
	}
	shmseq_result_free(res);
}

static char *complete_next(const char *text, int state)
{
	static size_t i;
	size_t len = strlen(text);
	bool lower = len && text[0] >= 'a' && text[0] <= 'z';
	if (!state) {
		i = 0;
		complete_refresh();
	}
	while (i < ARRAY_SIZE(keywords)) {
		const char *k = keywords[i++];
		if (!strncasecmp(k, text, len)) {
			char *m = xstrdup(k);
			for (char *p = m; lower && *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			return m;
		}
	}
	while (i - ARRAY_SIZE(keywords) < complete_nnames) {
		const char *n = complete_names[i++ - ARRAY_SIZE(keywords)];
		if (!strncmp(n, text, len))
			return xstrdup(n);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1; /* no file names */
	return rl_completion_matches(text, complete_next);
}
#endif

/* Read one line for the REPL (malloc'd, no newline) or NULL at EOF. */
static char *repl_read(const char *prompt)
{
#ifdef HAVE_LIBEDIT
	return readline(prompt);
#else
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, stdout);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
#endif
}

static int sql_repl(struct session *ss)
{
	struct gather g;
	char *prompt;
	char *line;

	if (asprintf(&prompt, "shmseq [%s]> ", shmseq_instance(ss->conn)) < 0)
		die_oom();
	if (!ss->p.silent)
		printf("Welcome to the shmseq SQL shell (instance %s).\n"
		       "Statements end with ';' or \\G. Type 'help' or '\\h' for help, 'quit' or "
		       "'\\q' to leave, '\\c' to clear the statement.\n\n",
		       shmseq_instance(ss->conn));
	/* Ctrl-C clears the line being typed, and never kills the shell */
	struct sigaction sa = {.sa_handler = on_sigint}, old_sa;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_sa);
	struct sbuf entry = {0}; /* the statement's lines: one history entry */
	sb_add(&entry, "", 0);
#ifdef HAVE_LIBEDIT
	char *hist = history_path();

	using_history();
	if (hist)
		read_history(hist); /* a missing file is fine */
	rl_catch_signals = 0;
	rl_getc_function = repl_getc;
	rl_attempted_completion_function = complete;
	complete_conn = ss->conn;
#endif
	gather_init(&g, session_emit, ss);
	for (;;) {
		sigint_seen = 0;
		line = repl_read(gather_pending(&g) ? "    -> " : prompt);
		if (sigint_seen) {
			/* Ctrl-C: forget the statement being typed, keep the history */
			fputs("^C\n", stdout);
			gather_clear(&g);
			entry.len = 0;
			free(line);
			continue;
		}
		if (!line) {
			putchar('\n');
			break;
		}
		if (!gather_pending(&g) && is_quit(line)) {
			free(line);
			break;
		}
		if (!gather_pending(&g) && is_help(line)) {
#ifdef HAVE_LIBEDIT
			add_history(line);
#endif
			repl_help();
			free(line);
			continue;
		}
		if (is_clear(line) && !gather_open(&g)) {
			gather_clear(&g);
			entry.len = 0;
			free(line);
			continue;
		}
		if (*line) {
			if (entry.len)
				sb_add(&entry, " ", 1);
			sb_str(&entry, line);
		}
		feed_line(ss, &g, line, strlen(line));
		gather_feed(&g, "\n", 1);
		free(line);
		if (!gather_pending(&g)) {
			gather_clear(&g); /* drop trailing blanks and comments */
#ifdef HAVE_LIBEDIT
			if (entry.len)
				add_history(entry.s);
#endif
			entry.len = 0;
		}
	}
	sigaction(SIGINT, &old_sa, NULL);
	free(entry.s);
	puts("Bye");
#ifdef HAVE_LIBEDIT
	if (hist) {
		write_history(hist);
		free(hist);
	}
#endif
	free(g.buf.s);
	free(prompt);
	return 0;
}

/* Connect or say why not (exit status 1). */
shmseq *connect_or_complain(bool quiet)
{
	shmseq *conn = NULL;
	int rc = shmseq_connect(opt_instance, &conn);

	if (rc < 0) {
		char why[1024];

		if (!quiet) {
			shmseq_connect_explain(opt_instance, rc, why, sizeof(why));
			fprintf(stderr, PROG ": cannot connect to instance '%s': %s\n", instance_label(NULL),
				why);
		}
		return NULL;
	}
	return conn;
}

static enum format resolve_format(enum format f)
{
	if (f != FMT_DEFAULT)
		return f;
	return isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_BATCH;
}

static void sql_help(FILE *f)
{
	fputs("Usage: " PROG " [--instance NAME] sql [OPTIONS]\n"
	      "Run SQL statements: from -e, else from standard input; an interactive\n"
	      "shell when standard input and output are terminals.\n\n"
	      "  -e, --execute=STATEMENTS   run these ';'-separated statements and exit\n"
	      "      --format=FORMAT        table (default on a terminal), batch\n"
	      "                             (tab-separated, the default otherwise) or\n"
	      "                             json (one line per statement result; SQL\n"
	      "                             values as JSON strings, NULL as null)\n"
	      "  -f, --force                go on after a failed statement (the exit\n"
	      "                             status is still 1)\n"
	      "  -B, --batch                the same as --format=batch\n"
	      "  -t, --table                the same as --format=table\n"
	      "  -E, --vertical             result sets as 'column: value' lines, a row\n"
	      "                             at a time (a statement ended by \\G alone)\n"
	      "  -N, --skip-column-names    no line of column names\n"
	      "  -s, --silent               less output: no 'rows in set' and 'Query OK'\n"
	      "                             lines nor greeting; in batch no column names\n"
	      "      --lines                each input line is one statement, ';' not\n"
	      "                             needed: one answer per line, for programs\n"
	      "                             that talk to the shell through pipes\n"
	      "  -h, --help                 show this help\n",
	      f);
}

int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{"execute", required_argument, NULL, 'e'},
		{"format", required_argument, NULL, 'F'},
		{"force", no_argument, NULL, 'f'},
		{"batch", no_argument, NULL, 'B'},
		{"table", no_argument, NULL, 't'},
		{"vertical", no_argument, NULL, 'E'},
		{"skip-column-names", no_argument, NULL, 'N'},
		{"silent", no_argument, NULL, 's'},
		{"lines", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *exec_text = NULL;
	enum format fmt = FMT_DEFAULT;
	bool force = false, lines = false, interactive, vertical = false, skip_names = false, short_f = false;
	int silent = 0;
	struct session ss = {0};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+e:fBtENsh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			exec_text = optarg;
			break;
		case 'F':
			if (!parse_format(optarg, &fmt))
				return usage_error("sql: unknown format '%s' "
						   "(table, batch or json)",
						   optarg);
			break;
		case 'f':
			force = true;
			short_f |= optind > 0 && argv[optind - 1][0] == '-' && argv[optind - 1][1] != '-';
			break;
		case 'B':
			fmt = FMT_BATCH;
			break;
		case 't':
			fmt = FMT_TABLE;
			break;
		case 'E':
			vertical = true;
			break;
		case 'N':
			skip_names = true;
			break;
		case 's':
			silent++;
			break;
		case 'L':
			lines = true;
			break;
		case 'h':
			sql_help(stdout);
			return 0;
		default:
			return usage_error("sql: bad option");
		}
	}
	if (optind < argc) {
		enum format f;
		if (short_f && parse_format(argv[optind], &f))
			return usage_error("sql: unexpected argument '%s': -f is --force, as the mariadb "
					   "client's; the format is --format=%s",
					   argv[optind], argv[optind]);
		return usage_error("sql: unexpected argument '%s'", argv[optind]);
	}

	if (lines && exec_text)
		return usage_error("sql: --lines reads standard input, -e gives the statements");
	interactive = !exec_text && !lines && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	ss.p.fmt = resolve_format(fmt);
	ss.p.interactive = interactive && ss.p.fmt == FMT_TABLE;
	ss.p.vertical = vertical;
	ss.p.silent = silent > 0;
	/* mariadb: batch output is already one step silent, so -s drops the names */
	ss.p.skip_names = skip_names || silent >= 2 || (silent >= 1 && ss.p.fmt == FMT_BATCH);
	ss.stop_on_error = !interactive && !force;
	ss.conn = connect_or_complain(false);
	if (!ss.conn)
		return 1;

	if (exec_text)
		rc = sql_text(&ss, exec_text);
	else if (interactive)
		rc = sql_repl(&ss);
	else if (lines)
		rc = sql_lines(&ss, stdin);
	else
		rc = sql_stream(&ss, stdin);
	shmseq_disconnect(ss.conn);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}
