/* shell.c — the sql verb: statements from -e, standard input or a REPL, cut
 * with the library's lexer (lib/sql.h), run one at a time. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
		stopped = gather_feed(&g, line, (size_t)n);
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
	if (gather_feed(&g, text, strlen(text)) == 0)
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
	printf("Welcome to the shmseq SQL shell (instance %s).\n"
	       "Statements end with ';'. Type 'quit' or '\\q' to leave, '\\c' to "
	       "clear the statement.\n\n",
	       shmseq_instance(ss->conn));
#ifdef HAVE_LIBEDIT
	char *hist = history_path();

	using_history();
	if (hist)
		read_history(hist); /* a missing file is fine */
#endif
	gather_init(&g, session_emit, ss);
	for (;;) {
		line = repl_read(gather_pending(&g) ? "    -> " : prompt);
		if (!line) {
			putchar('\n');
			break;
		}
#ifdef HAVE_LIBEDIT
		if (*line)
			add_history(line);
#endif
		if (!gather_pending(&g) && is_quit(line)) {
			free(line);
			break;
		}
		if (is_clear(line) && !gather_open(&g)) {
			gather_clear(&g);
			free(line);
			continue;
		}
		gather_feed(&g, line, strlen(line));
		gather_feed(&g, "\n", 1);
		free(line);
		if (!gather_pending(&g))
			gather_clear(&g); /* drop trailing blanks and comments */
	}
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
	      "  -f, --format=FORMAT        table (default on a terminal), batch\n"
	      "                             (tab-separated, the default otherwise) or\n"
	      "                             json (one line per statement result; SQL\n"
	      "                             values as JSON strings, NULL as null)\n"
	      "      --force                go on after a failed statement (the exit\n"
	      "                             status is still 1)\n"
	      "      --lines                each input line is one statement, ';' not\n"
	      "                             needed: one answer per line, for programs\n"
	      "                             that talk to the shell through pipes\n"
	      "  -h, --help                 show this help\n",
	      f);
}

int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{"execute", required_argument, NULL, 'e'}, {"format", required_argument, NULL, 'f'},
		{"force", no_argument, NULL, 'F'},	   {"lines", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	const char *exec_text = NULL;
	enum format fmt = FMT_DEFAULT;
	bool force = false, lines = false, interactive;
	struct session ss = {0};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+e:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			exec_text = optarg;
			break;
		case 'f':
			if (!parse_format(optarg, &fmt))
				return usage_error("sql: unknown format '%s' "
						   "(table, batch or json)",
						   optarg);
			break;
		case 'F':
			force = true;
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
	if (optind < argc)
		return usage_error("sql: unexpected argument '%s'", argv[optind]);

	if (lines && exec_text)
		return usage_error("sql: --lines reads standard input, -e gives the statements");
	interactive = !exec_text && !lines && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	ss.p.fmt = resolve_format(fmt);
	ss.p.interactive = interactive && ss.p.fmt == FMT_TABLE;
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
