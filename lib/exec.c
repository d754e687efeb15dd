/* SPDX-License-Identifier: MIT */
/* exec.c — shmseq_exec(): MariaDB's sequence statements, answer for answer.
 *
 * Each statement is parsed (sql.c), then carried out here: DDL, SETVAL and
 * INSERT go to the daemon; NEXTVAL takes the same shared-memory fast path as
 * shmseq_nextval(); TEMPORARY sequences live in the session (client.h) and
 * run MariaDB's serial algorithm (seqmath.c). Expressions are evaluated with
 * MariaDB's types and arithmetic (sqlval.c). The instance is the one
 * database: its name is the schema in messages and `db.name` must use it.
 * Error codes and texts follow SEMANTICS.md §8 (bare vs qualified names).
 *
 * Session state (struct exec_session): user variables and the conditions
 * of the last statement (what SHOW WARNINGS lists). It is made on the first
 * shmseq_exec() of a connection and its lock is held for a whole
 * statement, so statements of one connection run one at a time, as in a
 * MariaDB session. Lock order: session lock, then c->lock.
 *
 * A statement runs in MariaDB's order: the tables it names are opened
 * (FROM first, then the sequences of its functions), then its columns are
 * resolved, then it is evaluated; so a missing sequence fails a statement
 * before anything takes a value.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "result.h"
#include "sql.h"
#include "sqlval.h"
#include "util.h"

#define SEQ_COLUMNS 8
static const char *const seq_columns[SEQ_COLUMNS] = {
	"next_not_cached_value", "minimum_value", "maximum_value", "start_value", "increment", "cache_size",
	"cycle_option",		 "cycle_count",
};

/* --- session state ------------------------------------------------------------------ */

struct exec_var {
	struct exec_var *next;
	char *name;
	size_t name_len;
	struct sqlv v;
	char *str; /* owned text of a STR value */
};

/* A condition of the last statement (MariaDB's max_error_count: 64). */
#define DIAG_MAX 64
struct exec_cond {
	char level[8];
	int code;
	char *msg;
};

struct exec_session {
	pthread_mutex_t lock;
	struct exec_var *vars;
	struct exec_cond diag[DIAG_MAX];
	size_t ndiag;
};

static void diag_clear(struct exec_session *ss)
{
	for (size_t i = 0; i < ss->ndiag; i++)
		free(ss->diag[i].msg);
	ss->ndiag = 0;
}

void exec_session_free(struct shmseq *c)
{
	struct exec_session *ss = c->exec;
	if (!ss)
		return;
	for (struct exec_var *v = ss->vars, *n; v; v = n) {
		n = v->next;
		free(v->name);
		free(v->str);
		free(v);
	}
	diag_clear(ss);
	pthread_mutex_destroy(&ss->lock);
	free(ss);
	c->exec = NULL;
}

static struct exec_session *session_of(struct shmseq *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->exec) {
		struct exec_session *ss = calloc(1, sizeof(*ss));
		if (ss && pthread_mutex_init(&ss->lock, NULL) != 0) {
			free(ss);
			ss = NULL;
		}
		c->exec = ss;
	}
	struct exec_session *ss = c->exec;
	pthread_mutex_unlock(&c->lock);
	return ss;
}

static bool name_eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && strncasecmp(a, b, an) == 0;
}

static struct exec_var *var_find(struct exec_session *ss, const char *name, size_t len)
{
	for (struct exec_var *v = ss->vars; v; v = v->next)
		if (name_eq_ci(v->name, v->name_len, name, len))
			return v;
	return NULL;
}

/* @name = v (a string is copied). 0 or -ENOMEM. */
static int var_set(struct exec_session *ss, const char *name, size_t len, const struct sqlv *v)
{
	struct exec_var *var = var_find(ss, name, len);
	char *str = NULL;
	if (v->t == SQLV_STR) {
		str = malloc(v->len + 1);
		if (!str)
			return -ENOMEM;
		memcpy(str, v->s, v->len);
		str[v->len] = '\0';
	}
	if (!var) {
		var = calloc(1, sizeof(*var));
		if (!var || !(var->name = strndup(name, len))) {
			free(var);
			free(str);
			return -ENOMEM;
		}
		var->name_len = len;
		var->next = ss->vars;
		ss->vars = var;
	}
	free(var->str);
	var->str = str;
	var->v = *v;
	if (str)
		var->v.s = str;
	return 0;
}

/* --- names and errors ------------------------------------------------------------------ */

static const char *db_of(struct shmseq *c)
{
	return c->instance;
}

/* Whether a qualified name names another database than this instance's.
 * MariaDB then answers as for a missing object (with the name's db where
 * its message is qualified): only CREATE and SHOW TABLES say 1049. */
static bool other_db(struct shmseq *c, const struct sql_name *n)
{
	return n->db[0] && strcmp(n->db, db_of(c)) != 0;
}

/* The database a name refers to: its qualifier, or this instance's. */
static const char *db_in(struct shmseq *c, const struct sql_name *n)
{
	return n->db[0] ? n->db : db_of(c);
}

/* Whether shmseq can hold a sequence of this name: 64 characters, as
 * MariaDB (the parser's limit too), of up to 3 bytes each (utf8mb3, as
 * MariaDB's identifiers): every name the parser takes. A name beyond them
 * cannot exist: it is unknown, and CREATE refuses it. */
static bool storable(const char *name)
{
	return seq_name_fits(name, strnlen(name, SHMSEQ_NAME_MAX + 1));
}

/* Whether a name denotes nothing here: another database or unstorable. */
static bool nowhere(struct shmseq *c, const struct sql_name *n)
{
	return other_db(c, n) || !storable(n->name);
}

/* Whether sequence `name` (temporary first) has unsigned values:
 * 1 yes, 0 no, or -error (-4091 unknown). */
static int seq_unsigned(struct shmseq *c, const char *name)
{
	if (atomic_load(&c->ntemp) > 0) {
		pthread_mutex_lock(&c->lock);
		struct temp_seq *t = client_temp_find(c, name);
		int r = t ? t->live.def.is_unsigned != 0 : -1;
		pthread_mutex_unlock(&c->lock);
		if (r >= 0)
			return r;
	}
	struct shmseq_seq *e;
	struct reclaim_reader *rr = reclaim_enter();
	int r = client_entry(c, name, &e);
	if (r >= 0)
		r = atomic_load_explicit(&e->is_unsigned, memory_order_relaxed);
	reclaim_exit(rr);
	return r;
}

/* MariaDB's message for a failure r on sequence db.name. */
static void error_msg(struct shmseq *c, int r, const char *db, const char *name, char *msg, size_t cap,
		      int *code)
{
	*code = -r;
	switch (-r) {
	case SHMSEQ_ERR_RUN_OUT:
		snprintf(msg, cap, "Sequence '%s.%s' has run out", db, name);
		break;
	case SHMSEQ_ERR_INVALID_DATA:
		snprintf(msg, cap, "Sequence '%s.%s' has out of range value for options", db, name);
		break;
	case SHMSEQ_ERR_UNKNOWN_SEQUENCE:
		snprintf(msg, cap, "Unknown SEQUENCE: '%s'", name);
		break;
	case SHMSEQ_ERR_TABLE_EXISTS:
		snprintf(msg, cap, "Table '%s' already exists", name);
		break;
	case SHMSEQ_ERR_WRONG_USAGE:
		snprintf(msg, cap, "Incorrect usage of OR REPLACE and IF NOT EXISTS");
		break;
	case ENOSPC:
		*code = r;
		snprintf(msg, cap, "The instance has no free sequence slot (shmseqd --max-sequences)");
		break;
	default:
		*code = r;
		snprintf(msg, cap, "%s", shmseq_strerror(r));
		break;
	}
	(void)c;
}

static void error_for_db(struct shmseq *c, shmseq_result *res, int r, const char *db, const char *name)
{
	char msg[512];
	int code;
	error_msg(c, r, db, name, msg, sizeof(msg), &code);
	result_error(res, code, "%s", msg);
}

static void error_for(struct shmseq *c, shmseq_result *res, int r, const char *name)
{
	error_for_db(c, res, r, db_of(c), name);
}

/* A sequence named in an expression that cannot be opened: 4091 with the
 * bare name, and MariaDB's second condition, 1146 with the qualified one. */
static void unknown_sequence(struct shmseq *c, shmseq_result *res, const struct sql_name *n)
{
	result_error(res, 4091, "Unknown SEQUENCE: '%s'", n->name);
	result_warn(res, "Error", 1146, "Table '%s.%s' doesn't exist", db_in(c, n), n->name);
}

/* --- temporary sequences (session-private, caller holds c->lock) -------------- */

static int temp_create(struct shmseq *c, const struct sql_create *cr, shmseq_result *res)
{
	struct temp_seq *old = client_temp_find(c, cr->name.name);
	if (old && !cr->or_replace) {
		if (cr->if_not_exists) {
			if (res)
				result_warn(res, "Note", 1050, "Table '%s' already exists", cr->name.name);
			return 0;
		}
		return -SHMSEQ_ERR_TABLE_EXISTS;
	}
	struct seq_def *def = malloc(sizeof(*def));
	struct seq_notes notes = {0};
	int64_t next;
	if (!def)
		return -ENOMEM;
	int r = seq_def_create(&cr->opt, &c->env, def, &next, &notes);
	if (r < 0) {
		free(def);
		return r;
	}
	for (int i = 0; res && i < notes.count && i < 4; i++)
		result_warn(res, "Note", notes.code[i], "%s", notes.text[i]);
	struct temp_seq *t = old ? old : calloc(1, sizeof(*t));
	if (!t) {
		free(def);
		return -ENOMEM;
	}
	/* exec_create() let only a storable name come here */
	size_t n = strnlen(cr->name.name, SHMSEQ_NAME_MAX);
	memcpy(t->name, cr->name.name, n);
	t->name[n] = '\0';
	t->id = ++c->temp_ids;
	t->has_last = false;
	seq_live_load(&t->live, def, next, 0, &c->env);
	free(def);
	if (!old) {
		t->next = c->temps;
		c->temps = t;
		atomic_fetch_add(&c->ntemp, 1);
	}
	return 0;
}

static bool temp_drop(struct shmseq *c, const char *name)
{
	for (struct temp_seq **pp = &c->temps; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0) {
			struct temp_seq *t = *pp;
			*pp = t->next;
			free(t);
			atomic_fetch_sub(&c->ntemp, 1);
			return true;
		}
	}
	return false;
}

int client_temp_create(struct shmseq *c, const char *name, const struct seq_options *o, bool or_replace,
		       bool if_not_exists)
{
	if (or_replace && if_not_exists)
		return -SHMSEQ_ERR_WRONG_USAGE;
	size_t n = strlen(name);
	if (!seq_name_fits(name, n))
		return -EINVAL;
	struct sql_create *cr = calloc(1, sizeof(*cr));
	if (!cr)
		return -ENOMEM;
	cr->or_replace = or_replace;
	cr->temporary = true;
	cr->if_not_exists = if_not_exists;
	memcpy(cr->name.name, name, n);
	cr->opt = *o;
	pthread_mutex_lock(&c->lock);
	int r = temp_create(c, cr, NULL);
	pthread_mutex_unlock(&c->lock);
	free(cr);
	return r;
}

bool client_temp_drop(struct shmseq *c, const char *name)
{
	if (atomic_load(&c->ntemp) == 0)
		return false;
	pthread_mutex_lock(&c->lock);
	bool done = temp_drop(c, name);
	pthread_mutex_unlock(&c->lock);
	return done;
}

static bool temp_exists(struct shmseq *c, const char *name)
{
	if (atomic_load(&c->ntemp) == 0)
		return false;
	pthread_mutex_lock(&c->lock);
	bool found = client_temp_find(c, name) != NULL;
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* --- reading a sequence's row ----------------------------------------------------- */

/* The row and definition of name: a temporary one first, then the daemon's
 * (*is_temp says which; may be NULL). 0, -4091 (missing) or another
 * error. */
static int fetch_row(struct shmseq *c, const char *name, struct seq_row *row, struct seq_def *def,
		     bool *is_temp)
{
	if (is_temp)
		*is_temp = false;
	if (!storable(name))
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	if (atomic_load(&c->ntemp) > 0) {
		pthread_mutex_lock(&c->lock);
		struct temp_seq *t = client_temp_find(c, name);
		if (t) {
			seq_live_row(&t->live, row);
			*def = t->live.def;
		}
		pthread_mutex_unlock(&c->lock);
		if (t) {
			if (is_temp)
				*is_temp = true;
			return 0;
		}
	}
	struct wire_open req;
	if (wire_name_set(&req.name, name) < 0)
		return -EINVAL;
	struct wire_row_reply *rep = malloc(sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	int r = client_rpc(c, WIRE_ROW, &req, sizeof(req), rep, sizeof(*rep), true);
	if (r >= 0) {
		wire_row_decode(&rep->row, row);
		r = wire_def_decode(&rep->def, def, NULL) < 0 ? -EPROTO : 0;
	}
	free(rep);
	return r;
}

/* Whether a base (daemon) sequence of that name exists: 1, 0 or -error. */
static int base_exists(struct shmseq *c, const char *name)
{
	if (!storable(name))
		return 0;
	struct wire_open req;
	if (wire_name_set(&req.name, name) < 0)
		return 0;
	struct wire_row_reply *rep = malloc(sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	int r = client_rpc(c, WIRE_ROW, &req, sizeof(req), rep, sizeof(*rep), true);
	free(rep);
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE)
		return 0;
	return r < 0 ? r : 1;
}

/* Every base sequence's name, sorted. */
static int list_names(struct shmseq *c, char (**out)[SHMSEQ_NAME_MAX + 1], size_t *n)
{
	struct wire_list req = {0};
	struct wire_list_reply *rep = malloc(sizeof(*rep));
	char(*names)[SHMSEQ_NAME_MAX + 1] = NULL;
	size_t count = 0;
	int r = 0;
	if (!rep)
		return -ENOMEM;
	for (;;) {
		r = client_rpc(c, WIRE_LIST, &req, sizeof(req), rep, sizeof(*rep), true);
		if (r < 0)
			break;
		if (rep->count > WIRE_LIST_MAX) {
			r = -EPROTO;
			break;
		}
		void *nn = realloc(names, (count + rep->count + 1) * sizeof(*names));
		if (!nn) {
			r = -ENOMEM;
			break;
		}
		names = nn;
		for (uint32_t i = 0; i < rep->count; i++) {
			if (wire_name_get(&rep->names[i], names[count]) == 0)
				count++;
		}
		if (!rep->more || rep->count == 0)
			break;
		req.after = rep->names[rep->count - 1];
	}
	free(rep);
	if (r < 0) {
		free(names);
		return r;
	}
	*out = names;
	*n = count;
	return 0;
}

/* --- rows: what columns read --------------------------------------------------------- */

#define ROW_MAX 12

/* One row of a table a statement reads: the sequence's (FROM s), one of
 * information_schema.SEQUENCES, SHOW TABLES or SHOW COLUMNS. Values of
 * type STR point into text[] or at static strings: a row is never moved
 * once filled. */
struct rowctx {
	const char *table; /* the name a column may be qualified with */
	bool table_ci;	   /* compare it case-insensitively (information_schema) */
	const char *db;	   /* for printing a column in a message */
	size_t n;
	const char *const *names;
	struct sqlv vals[ROW_MAX];
	/* a rendered value, or a name (SHOW TABLES, information_schema) */
	char text[ROW_MAX][SHMSEQ_NAME_MAX + 1 > SQLV_TEXT_MAX ? SHMSEQ_NAME_MAX + 1 : SQLV_TEXT_MAX];
};

static void row_str(struct rowctx *rc, size_t i, const char *s)
{
	snprintf(rc->text[i], sizeof(rc->text[i]), "%s", s);
	rc->vals[i] = sqlv_str(rc->text[i], strlen(rc->text[i]));
}

/* A value of a sequence's value type: unsigned bigint for AS … UNSIGNED. */
static struct sqlv seq_value(const struct seq_def *def, int64_t v)
{
	return def->is_unsigned ? sqlv_uint((uint64_t)v) : sqlv_int(v);
}

static void rowctx_from_seq(struct rowctx *rc, const struct seq_row *row, const struct seq_def *def)
{
	const int64_t v[SEQ_COLUMNS] = {
		row->next_not_cached_value, row->minimum_value, row->maximum_value,
		row->start_value,	    row->increment,	row->cache_size,
		row->cycle_option,	    row->cycle_count,
	};
	memset(rc, 0, sizeof(*rc));
	rc->n = SEQ_COLUMNS;
	rc->names = seq_columns;
	for (size_t i = 0; i < SEQ_COLUMNS; i++) {
		/* the value columns take the sequence's type; cache_size and
		 * cycle_option are unsigned */
		if (i < 4)
			rc->vals[i] = seq_value(def, v[i]);
		else if (i == 5 || i == 6)
			rc->vals[i] = sqlv_uint((uint64_t)v[i]);
		else
			rc->vals[i] = sqlv_int(v[i]);
	}
}

static int find_col(const struct rowctx *rc, const char *name)
{
	for (size_t i = 0; rc && i < rc->n; i++)
		if (strcasecmp(rc->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* A [[db.]table.]column reference: the qualifier must name the FROM object
 * exactly (table names and aliases are case-sensitive; an alias counts as
 * a table of the current database, which is the sequence's), else the
 * column is unknown. */
static bool table_matches(const struct rowctx *rc, const char *db, const char *table)
{
	if (!rc || !rc->table)
		return false;
	if (db[0] && (!rc->db || (rc->table_ci ? strcasecmp(db, rc->db) : strcmp(db, rc->db)) != 0))
		return false;
	return (rc->table_ci ? strcasecmp(table, rc->table) : strcmp(table, rc->table)) == 0;
}

static int find_qcol(const struct rowctx *rc, const char *db, const char *table, const char *name)
{
	if (table[0] && !table_matches(rc, db, table))
		return -1;
	return find_col(rc, name);
}

/* The column reference as MariaDB's messages show it: db.table.column. */
static const char *colref(const struct sql_expr *e, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s%s", e->db, e->db[0] ? "." : "", e->table, e->table[0] ? "." : "",
		 e->column);
	return buf;
}

/* --- evaluation -------------------------------------------------------------------------- */

/* One statement's evaluation. */
struct ctx {
	struct shmseq *c;
	shmseq_result *res;
	struct exec_session *ss;
	bool soft;			  /* DO: errors of evaluation become conditions */
	const struct rowctx *tmpl;	  /* the columns of the source, NULL if none */
	const struct rowctx *row;	  /* the row columns read now */
	bool null_row;			  /* aggregate over no row: columns are NULL */
	const char *clause;		  /* 1054's "in '…'" */
	const struct sql_expr **cnt_node; /* COUNT nodes and their values */
	uint64_t *cnt_val;
	size_t ncnt;
	struct sqlv_sink sink;
};

static void sink_warn(void *arg, const char *level, int code, const char *msg)
{
	struct ctx *x = arg;
	result_warn(x->res, level, code, "%s", msg);
}

static void ctx_init(struct ctx *x, struct shmseq *c, shmseq_result *res, struct exec_session *ss)
{
	memset(x, 0, sizeof(*x));
	x->c = c;
	x->res = res;
	x->ss = ss;
	x->clause = "SELECT";
	x->sink.warn = sink_warn;
	x->sink.arg = x;
}

/* An error while evaluating: fails the statement (-1), or in DO becomes a
 * condition of level Error and the value NULL (0). */
__attribute__((format(printf, 3, 4))) static int eval_error(struct ctx *x, int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (x->soft) {
		result_warn(x->res, "Error", code, "%s", buf);
		return 0;
	}
	result_error(x->res, code, "%s", buf);
	return -1;
}

static int raise_seq(struct ctx *x, int r, const struct sql_name *n)
{
	char msg[512];
	int code;
	error_msg(x->c, r, db_in(x->c, n), n->name, msg, sizeof(msg), &code);
	return eval_error(x, code, "%s", msg);
}

/* --- printing an expression as MariaDB does in messages (1690) --- */

struct pbuf {
	char s[512];
	size_t n;
};

static void pput(struct pbuf *b, const char *s, size_t n)
{
	if (n > sizeof(b->s) - 1 - b->n)
		n = sizeof(b->s) - 1 - b->n;
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void pstr(struct pbuf *b, const char *s)
{
	pput(b, s, strlen(s));
}

static void pident(struct pbuf *b, const char *s)
{
	pput(b, "`", 1);
	for (; *s; s++) {
		pput(b, s, 1);
		if (*s == '`')
			pput(b, "`", 1); /* doubled, as MariaDB quotes */
	}
	pput(b, "`", 1);
}

/* MariaDB's precedences (item.h), loosest first. */
enum { P_OR = 2, P_AND = 4, P_CMP = 6, P_LIKE = 8, P_ADD = 13, P_MUL = 14, P_NEG = 17, P_TOP = 20 };

static int prec(const struct sql_expr *e)
{
	switch (e->kind) {
	case SQL_EXPR_OR:
		return P_OR;
	case SQL_EXPR_AND:
		return P_AND;
	case SQL_EXPR_CMP:
	case SQL_EXPR_IS_NULL:
		return P_CMP;
	case SQL_EXPR_LIKE:
		return P_LIKE;
	case SQL_EXPR_ARITH:
		return e->op == SQL_OP_ADD || e->op == SQL_OP_SUB ? P_ADD : P_MUL;
	case SQL_EXPR_NEG:
	case SQL_EXPR_NOT:
		return P_NEG;
	default:
		return P_TOP;
	}
}

static void print_expr(const struct ctx *x, const struct sql_expr *e, struct pbuf *b, int parent);

static void print_seq(const struct ctx *x, const char *fn, const struct sql_name *n, struct pbuf *b)
{
	pstr(b, fn);
	pput(b, "(", 1);
	pident(b, db_in(x->c, n));
	pput(b, ".", 1);
	pident(b, n->name);
}

static void print_expr(const struct ctx *x, const struct sql_expr *e, struct pbuf *b, int parent)
{
	static const char *const cmp[] = {"", " = ", " <> ", " < ", " > ", " <= ", " >= "};
	static const char *const ops[] = {"", " + ", " - ", " * ", " / ", " DIV ", " MOD "};
	char tmp[SQLV_TEXT_MAX];
	bool par = prec(e) < parent;
	if (par)
		pput(b, "(", 1);
	switch (e->kind) {
	case SQL_EXPR_INT: {
		__int128 v = e->ival;
		if (e->is_bool)
			v = v != 0;
		if (v < 0)
			snprintf(tmp, sizeof(tmp), "-%llu", (unsigned long long)(uint64_t)-v);
		else
			snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)(uint64_t)v);
		pstr(b, tmp);
		break;
	}
	case SQL_EXPR_DOUBLE: /* as typed */
		if (e->neg_value)
			pput(b, "-", 1);
		pstr(b, e->str);
		break;
	case SQL_EXPR_DECIMAL: {
		struct sqlv v;
		const char *out;
		if (sqlv_dec_literal(e->str, e->str_len, e->scale, e->neg_value, &v) == 0) {
			sqlv_render(&v, tmp, &out);
			pstr(b, tmp);
		}
		break;
	}
	case SQL_EXPR_STRING:
		pput(b, "'", 1);
		for (size_t i = 0; i < e->str_len; i++) {
			if (e->str[i] == '\'' || e->str[i] == '\\')
				pput(b, "\\", 1);
			pput(b, e->str + i, 1);
		}
		pput(b, "'", 1);
		break;
	case SQL_EXPR_NULL:
		pstr(b, "NULL");
		break;
	case SQL_EXPR_VAR:
		pput(b, "@", 1);
		pident(b, e->str);
		break;
	case SQL_EXPR_COLUMN:
		if (x->tmpl && x->tmpl->table) {
			pident(b, x->tmpl->db ? x->tmpl->db : db_of(x->c));
			pput(b, ".", 1);
			pident(b, x->tmpl->table);
			pput(b, ".", 1);
		}
		pident(b, e->column);
		break;
	case SQL_EXPR_NEXTVAL:
		print_seq(x, "nextval", &e->seq, b);
		pput(b, ")", 1);
		break;
	case SQL_EXPR_LASTVAL:
		print_seq(x, "lastval", &e->seq, b);
		pput(b, ")", 1);
		break;
	case SQL_EXPR_SETVAL:
		print_seq(x, "setval", &e->seq, b);
		if (e->setval_big)
			snprintf(tmp, sizeof(tmp), ",%" PRIu64 ",%d,%" PRIu64 ")", (uint64_t)e->setval_value,
				 e->setval_is_used, e->setval_round);
		else
			snprintf(tmp, sizeof(tmp), ",%" PRId64 ",%d,%" PRIu64 ")", e->setval_value,
				 e->setval_is_used, e->setval_round);
		pstr(b, tmp);
		break;
	case SQL_EXPR_COUNT:
		pstr(b, "count(");
		if (e->l)
			print_expr(x, e->l, b, 0);
		else
			pstr(b, "0");
		pput(b, ")", 1);
		break;
	case SQL_EXPR_NEG:
		pput(b, "-", 1);
		print_expr(x, e->l, b, P_NEG);
		break;
	case SQL_EXPR_NOT:
		pput(b, "!", 1);
		print_expr(x, e->l, b, P_NEG);
		break;
	case SQL_EXPR_ARITH:
		print_expr(x, e->l, b, prec(e));
		pstr(b, ops[e->op]);
		print_expr(x, e->r, b, prec(e) + 1);
		break;
	case SQL_EXPR_CMP:
		print_expr(x, e->l, b, P_CMP);
		pstr(b, cmp[e->cmp]);
		print_expr(x, e->r, b, P_CMP + 1);
		break;
	case SQL_EXPR_LIKE:
		print_expr(x, e->l, b, P_LIKE);
		pstr(b, e->negated ? "  not like " : " like ");
		print_expr(x, e->r, b, P_LIKE + 1);
		break;
	case SQL_EXPR_IS_NULL:
		print_expr(x, e->l, b, P_CMP);
		pstr(b, e->negated ? " is not null" : " is null");
		break;
	case SQL_EXPR_AND:
	case SQL_EXPR_OR:
		for (size_t i = 0; i < e->n_args; i++) {
			if (i)
				pstr(b, e->kind == SQL_EXPR_AND ? " and " : " or ");
			print_expr(x, e->args[i], b, prec(e) + 1);
		}
		break;
	}
	if (par)
		pput(b, ")", 1);
}

static int overflow(struct ctx *x, const struct sql_expr *e, const char *type)
{
	struct pbuf b = {.n = 0};
	b.s[0] = '\0';
	print_expr(x, e, &b, 0);
	return eval_error(x, 1690, "%s value is out of range in '%s'", type, b.s);
}

/* Whether e's value cannot change while the statement runs (MariaDB's
 * const_item): no column, variable, sequence function or COUNT. */
static bool constant(const struct sql_expr *e)
{
	if (!e)
		return true;
	switch (e->kind) {
	case SQL_EXPR_COLUMN:
	case SQL_EXPR_VAR:
	case SQL_EXPR_NEXTVAL:
	case SQL_EXPR_LASTVAL:
	case SQL_EXPR_SETVAL:
	case SQL_EXPR_COUNT:
		return false;
	case SQL_EXPR_AND:
	case SQL_EXPR_OR:
		for (size_t i = 0; i < e->n_args; i++)
			if (!constant(e->args[i]))
				return false;
		return true;
	default:
		return constant(e->l) && constant(e->r);
	}
}

/* NEXTVAL, LASTVAL, SETVAL of an opened sequence. */
static int eval_seqfn(struct ctx *x, const struct sql_expr *e, struct sqlv *v)
{
	struct shmseq *c = x->c;
	const char *name = e->seq.name;
	int64_t val;
	int r;
	*v = sqlv_null();
	switch (e->kind) {
	case SQL_EXPR_NEXTVAL:
		r = shmseq_nextval(c, name, &val);
		break;
	case SQL_EXPR_LASTVAL:
		r = shmseq_lastval(c, name, &val);
		if (r == -ENODATA)
			return 0;
		break;
	default:
		if (e->setval_big) {
			/* beyond INT64_MAX: only an unsigned sequence's type holds
			 * it; outside the type SETVAL answers NULL (11.5+) */
			r = seq_unsigned(c, name);
			if (r < 0)
				return raise_seq(x, r, &e->seq);
			if (r == 0)
				return 0;
		}
		r = shmseq_setval(c, name, e->setval_value, e->setval_is_used, e->setval_round);
		if (r == -ENODATA)
			return 0;
		if (r < 0)
			return raise_seq(x, r, &e->seq);
		*v = e->setval_big ? sqlv_uint((uint64_t)e->setval_value) : sqlv_int(e->setval_value);
		return 0;
	}
	if (r < 0)
		return raise_seq(x, r, &e->seq);
	*v = seq_unsigned(c, name) > 0 ? sqlv_uint((uint64_t)val) : sqlv_int(val);
	return 0;
}

static int eval(struct ctx *x, const struct sql_expr *e, struct sqlv *v);

/* Whether MariaDB gives e an integer result type (INT_RESULT): it picks
 * how DIV reads its operands. */
static bool int_typed(struct ctx *x, const struct sql_expr *e)
{
	switch (e->kind) {
	case SQL_EXPR_INT:
	case SQL_EXPR_NEXTVAL:
	case SQL_EXPR_LASTVAL:
	case SQL_EXPR_SETVAL:
	case SQL_EXPR_COUNT:
	case SQL_EXPR_COLUMN:
	case SQL_EXPR_CMP:
	case SQL_EXPR_LIKE:
	case SQL_EXPR_IS_NULL:
	case SQL_EXPR_NOT:
	case SQL_EXPR_AND:
	case SQL_EXPR_OR:
		return true;
	case SQL_EXPR_VAR: {
		struct exec_var *var = var_find(x->ss, e->str, e->str_len);
		return var && var->v.t == SQLV_INT;
	}
	case SQL_EXPR_NEG:
		return int_typed(x, e->l);
	case SQL_EXPR_ARITH:
		if (e->op == SQL_OP_INTDIV)
			return true;
		return e->op != SQL_OP_DIV && int_typed(x, e->l) && int_typed(x, e->r);
	default:
		return false;
	}
}

static struct sqlv bool_value(int t)
{
	return t < 0 ? sqlv_null() : sqlv_int(t != 0);
}

static int eval(struct ctx *x, const struct sql_expr *e, struct sqlv *v)
{
	struct sqlv a, b;
	const char *type;
	int r;
	*v = sqlv_null();
	switch (e->kind) {
	case SQL_EXPR_COLUMN: {
		char ref[3 * (SQL_NAME_BYTES + 1)];
		int i = find_qcol(x->row ? x->row : x->tmpl, e->db, e->table, e->column);
		if (i < 0) /* resolved before evaluation: only a race gets here */
			return eval_error(x, 1054, "Unknown column '%s' in '%s'", colref(e, ref, sizeof(ref)),
					  x->clause);
		if (x->row && !x->null_row)
			*v = x->row->vals[i];
		return 0;
	}
	case SQL_EXPR_INT:
		*v = sqlv_from_i128(e->ival);
		return 0;
	case SQL_EXPR_DECIMAL:
		if (sqlv_dec_literal(e->str, e->str_len, e->scale, e->neg_value, v) < 0)
			*v = sqlv_int(0); /* more digits after the point than a DECIMAL holds */
		return 0;
	case SQL_EXPR_DOUBLE:
		*v = sqlv_dbl_literal(e->str, e->neg_value);
		return 0;
	case SQL_EXPR_STRING:
		*v = sqlv_str(e->str, e->str_len);
		return 0;
	case SQL_EXPR_NULL:
		return 0;
	case SQL_EXPR_VAR: {
		struct exec_var *var = var_find(x->ss, e->str, e->str_len);
		if (var) {
			*v = var->v;
			/* a DECIMAL variable counts as DECIMAL(65,38) in an
			 * expression (the select item alone shows its own scale) */
			if (v->t == SQLV_DEC)
				v->dec = SQLV_DEC_MAX_SCALE;
		}
		return 0;
	}
	case SQL_EXPR_NEXTVAL:
	case SQL_EXPR_LASTVAL:
	case SQL_EXPR_SETVAL:
		return eval_seqfn(x, e, v);
	case SQL_EXPR_COUNT:
		for (size_t i = 0; i < x->ncnt; i++)
			if (x->cnt_node[i] == e)
				*v = sqlv_int((int64_t)x->cnt_val[i]);
		return 0;
	case SQL_EXPR_NEG:
		if (eval(x, e->l, &a) < 0)
			return -1;
		r = sqlv_neg(&a, constant(e->l), v, &type, &x->sink);
		if (r) {
			*v = sqlv_null();
			return overflow(x, e, type);
		}
		return 0;
	case SQL_EXPR_ARITH: {
		static const enum sqlv_op op[] = {0,	    SQLV_ADD,	 SQLV_SUB, SQLV_MUL,
						  SQLV_DIV, SQLV_INTDIV, SQLV_MOD};
		if (eval(x, e->l, &a) < 0)
			return -1;
		/* DIV of non-integers reads its right operand only when the
		 * left one is not NULL (MariaDB's VDec2_lazy): a NEXTVAL there
		 * is not called */
		if (a.t == SQLV_NULL && e->op == SQL_OP_INTDIV && !(int_typed(x, e->l) && int_typed(x, e->r)))
			return 0;
		if (eval(x, e->r, &b) < 0)
			return -1;
		r = sqlv_arith(op[e->op], &a, &b, v, &type, &x->sink);
		if (r) {
			*v = sqlv_null();
			return overflow(x, e, type);
		}
		return 0;
	}
	case SQL_EXPR_CMP: {
		/* a comparison reads its right operand only when the left one
		 * is not NULL (MariaDB's Arg_comparator): a NEXTVAL there is
		 * not called */
		if (eval(x, e->l, &a) < 0)
			return -1;
		if (a.t == SQLV_NULL)
			return 0;
		if (eval(x, e->r, &b) < 0)
			return -1;
		int c = sqlv_cmp(&a, &b, &x->sink);
		if (c == 2)
			return 0;
		switch (e->cmp) {
		case SQL_CMP_EQ:
			c = c == 0;
			break;
		case SQL_CMP_NE:
			c = c != 0;
			break;
		case SQL_CMP_LT:
			c = c < 0;
			break;
		case SQL_CMP_GT:
			c = c > 0;
			break;
		case SQL_CMP_LE:
			c = c <= 0;
			break;
		case SQL_CMP_GE:
			c = c >= 0;
			break;
		}
		*v = sqlv_int(c);
		return 0;
	}
	case SQL_EXPR_LIKE: {
		char ta[SQLV_TEXT_MAX], tb[SQLV_TEXT_MAX];
		const char *sa, *sb;
		/* like a comparison: no right operand after a NULL */
		if (eval(x, e->l, &a) < 0)
			return -1;
		if (a.t == SQLV_NULL)
			return 0;
		if (eval(x, e->r, &b) < 0)
			return -1;
		if (b.t == SQLV_NULL)
			return 0;
		size_t la = sqlv_render(&a, ta, &sa), lb = sqlv_render(&b, tb, &sb);
		int m = sqlv_like(sa, la, sb, lb, true);
		*v = sqlv_int(e->negated ? !m : m);
		return 0;
	}
	case SQL_EXPR_IS_NULL:
		if (eval(x, e->l, &a) < 0)
			return -1;
		*v = sqlv_int((a.t == SQLV_NULL) != e->negated);
		return 0;
	case SQL_EXPR_NOT:
		if (eval(x, e->l, &a) < 0)
			return -1;
		r = sqlv_truth(&a, &x->sink);
		*v = bool_value(r < 0 ? -1 : !r);
		return 0;
	case SQL_EXPR_AND:
	case SQL_EXPR_OR: {
		/* left to right, stopping at the first operand that decides */
		bool and = e->kind == SQL_EXPR_AND, null = false;
		for (size_t i = 0; i < e->n_args; i++) {
			if (eval(x, e->args[i], &a) < 0)
				return -1;
			r = sqlv_truth(&a, &x->sink);
			if (r < 0)
				null = true;
			else if (r == !and) {
				*v = sqlv_int(r);
				return 0;
			}
		}
		*v = null ? sqlv_null() : sqlv_int(and);
		return 0;
	}
	}
	return 0;
}

/* WHERE: 1 when the row passes, 0 when not (false or NULL), -1 error. */
static int test(struct ctx *x, const struct sql_expr *where)
{
	struct sqlv v;
	if (!where)
		return 1;
	const char *clause = x->clause;
	x->clause = "WHERE";
	int r = eval(x, where, &v);
	x->clause = clause;
	if (r < 0)
		return -1;
	return sqlv_truth(&v, &x->sink) == 1;
}

/* --- before evaluation: open the sequences, resolve the columns ----------------------- */

typedef int (*walk_fn)(struct ctx *x, const struct sql_expr *e, void *arg);

/* Visit e and everything below it in text order; stop at the first
 * nonzero answer. */
static int walk(struct ctx *x, const struct sql_expr *e, walk_fn fn, void *arg)
{
	if (!e)
		return 0;
	int r = fn(x, e, arg);
	if (r)
		return r;
	if (e->kind == SQL_EXPR_AND || e->kind == SQL_EXPR_OR) {
		for (size_t i = 0; i < e->n_args; i++)
			if ((r = walk(x, e->args[i], fn, arg)) != 0)
				return r;
		return 0;
	}
	if ((r = walk(x, e->l, fn, arg)) != 0)
		return r;
	return walk(x, e->r, fn, arg);
}

/* Whether name denotes a sequence this connection can use: 0, -4091 or
 * another error. Takes nothing from the sequence (LASTVAL is read-only). */
static int seq_exists(struct shmseq *c, const char *name)
{
	if (!storable(name))
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	if (temp_exists(c, name))
		return 0;
	int64_t v;
	int r = shmseq_lastval(c, name, &v);
	return r == -ENODATA ? 0 : r;
}

static int open_one(struct ctx *x, const struct sql_expr *e, void *arg)
{
	bool has_from = *(bool *)arg;
	if (e->kind != SQL_EXPR_NEXTVAL && e->kind != SQL_EXPR_LASTVAL && e->kind != SQL_EXPR_SETVAL)
		return 0;
	int r = nowhere(x->c, &e->seq) ? -SHMSEQ_ERR_UNKNOWN_SEQUENCE : seq_exists(x->c, e->seq.name);
	if (r == 0)
		return 0;
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE && has_from)
		result_error(x->res, 1146, "Table '%s.%s' doesn't exist", db_in(x->c, &e->seq), e->seq.name);
	else if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE)
		unknown_sequence(x->c, x->res, &e->seq);
	else
		error_for(x->c, x->res, r, e->seq.name);
	return -1;
}

/* MariaDB opens every sequence a statement names before it evaluates
 * anything: one missing name fails the whole statement and no other item
 * takes a value. 0 or -1 with res failed. */
static int open_seqs(struct ctx *x, const struct sql_expr *e, bool has_from)
{
	return walk(x, e, open_one, &has_from);
}

static bool uses_seq_fn(struct ctx *x, const struct sql_expr *e)
{
	(void)x;
	if (!e)
		return false;
	if (e->kind == SQL_EXPR_NEXTVAL || e->kind == SQL_EXPR_LASTVAL || e->kind == SQL_EXPR_SETVAL)
		return true;
	if (e->kind == SQL_EXPR_AND || e->kind == SQL_EXPR_OR) {
		for (size_t i = 0; i < e->n_args; i++)
			if (uses_seq_fn(x, e->args[i]))
				return true;
		return false;
	}
	return uses_seq_fn(x, e->l) || uses_seq_fn(x, e->r);
}

struct resolve_arg {
	const char *clause;
	const struct sql_select *aliases; /* ORDER BY: names of the select list */
};

/* Whether an unqualified name is the alias of a select item. */
static int alias_index(const struct sql_select *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_items; i++)
		if (s->items[i].has_alias && strcasecmp(s->items[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int resolve_one(struct ctx *x, const struct sql_expr *e, void *arg)
{
	const struct resolve_arg *ra = arg;
	if (e->kind != SQL_EXPR_COLUMN)
		return 0;
	char ref[3 * (SQL_NAME_BYTES + 1)];
	if (find_qcol(x->tmpl, e->db, e->table, e->column) >= 0)
		return 0;
	if (!e->table[0] && alias_index(ra->aliases, e->column) >= 0)
		return 0;
	if (e->table[0] && !x->tmpl) {
		/* no table at all: the qualifier is what is unknown */
		result_error(x->res, 1109, "Unknown table '%s%s%s' in %s", e->db, e->db[0] ? "." : "",
			     e->table, ra->clause);
		return -1;
	}
	result_error(x->res, 1054, "Unknown column '%s' in '%s'", colref(e, ref, sizeof(ref)), ra->clause);
	return -1;
}

static int resolve(struct ctx *x, const struct sql_expr *e, const char *clause)
{
	struct resolve_arg ra = {clause, NULL};
	return walk(x, e, resolve_one, &ra);
}

static int find_count(struct ctx *x, const struct sql_expr *e, void *arg)
{
	(void)x;
	(void)arg;
	return e->kind == SQL_EXPR_COUNT;
}

static bool has_count(struct ctx *x, const struct sql_expr *e)
{
	return walk(x, e, find_count, NULL) != 0;
}

static int count_any(struct ctx *x, const struct sql_expr *e, void *arg)
{
	(void)arg;
	if (e->kind != SQL_EXPR_COUNT)
		return 0;
	result_error(x->res, 1111, "Invalid use of group function");
	return -1;
}

/* 1111 for COUNT where MariaDB cannot take one: anywhere in e when
 * forbidden (WHERE, DO, SET), else inside another COUNT. */
static int check_counts(struct ctx *x, const struct sql_expr *e, bool forbidden)
{
	if (!e)
		return 0;
	if (forbidden)
		return walk(x, e, count_any, NULL) ? -1 : 0;
	if (e->kind == SQL_EXPR_COUNT)
		return walk(x, e->l, count_any, NULL) ? -1 : 0;
	if (e->kind == SQL_EXPR_AND || e->kind == SQL_EXPR_OR) {
		for (size_t i = 0; i < e->n_args; i++)
			if (check_counts(x, e->args[i], false) < 0)
				return -1;
		return 0;
	}
	if (check_counts(x, e->l, false) < 0)
		return -1;
	return check_counts(x, e->r, false);
}

static int collect_count(struct ctx *x, const struct sql_expr *e, void *arg)
{
	(void)arg;
	if (e->kind != SQL_EXPR_COUNT)
		return 0;
	const struct sql_expr **n = realloc(x->cnt_node, (x->ncnt + 1) * sizeof(*n));
	if (!n)
		return -1;
	x->cnt_node = n;
	uint64_t *v = realloc(x->cnt_val, (x->ncnt + 1) * sizeof(*v));
	if (!v)
		return -1;
	x->cnt_val = v;
	x->cnt_node[x->ncnt] = e;
	x->cnt_val[x->ncnt++] = 0;
	return 0;
}

/* --- SELECT ------------------------------------------------------------------------------ */

/* An output column: an item, or one column of a star. */
struct outcol {
	const struct sql_item *it;
	int col; /* column of the source for a star; -1: the item's expression */
};

static int outcols(struct ctx *x, const struct sql_select *s, struct outcol **out, size_t *n)
{
	struct outcol *oc = NULL;
	size_t k = 0;
	for (size_t i = 0; i < s->n_items; i++) {
		const struct sql_item *it = &s->items[i];
		size_t add = 1;
		if (it->kind == SQL_ITEM_STAR) {
			if (it->table[0] && !table_matches(x->tmpl, it->db, it->table)) {
				/* t.* naming no table of the FROM clause (or
				 * with no FROM clause at all) */
				result_error(x->res, 1051, "Unknown table '%s.%s'",
					     it->db[0] ? it->db : db_of(x->c), it->table);
				goto fail;
			}
			if (!x->tmpl) {
				result_error(x->res, 1096, "No tables used");
				goto fail;
			}
			add = x->tmpl->n;
		}
		struct outcol *no = realloc(oc, (k + add) * sizeof(*oc));
		if (!no) {
			result_error(x->res, -ENOMEM, "out of memory");
			goto fail;
		}
		oc = no;
		for (size_t j = 0; j < add; j++)
			oc[k++] = (struct outcol){it, it->kind == SQL_ITEM_STAR ? (int)j : -1};
	}
	*out = oc;
	*n = k;
	return 0;
fail:
	free(oc);
	return -1;
}

static int outcol_value(struct ctx *x, const struct outcol *oc, struct sqlv *v)
{
	if (oc->col >= 0) {
		*v = x->row && !x->null_row ? x->row->vals[oc->col] : sqlv_null();
		return 0;
	}
	const struct sql_expr *e = oc->it->expr;
	if (eval(x, e, v) < 0)
		return -1;
	/* a DECIMAL variable alone shows the scale it holds */
	if (e->kind == SQL_EXPR_VAR && v->t == SQLV_DEC)
		v->dec = v->frac;
	return 0;
}

/* Output row: the values of every output column. */
struct outrows {
	struct sqlv *v;
	size_t n, cap, width;
};

static int outrow_add(struct ctx *x, struct outrows *o, const struct outcol *oc)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4;
		struct sqlv *nv = realloc(o->v, cap * (o->width ? o->width : 1) * sizeof(*nv));
		if (!nv) {
			result_error(x->res, -ENOMEM, "out of memory");
			return -1;
		}
		o->v = nv;
		o->cap = cap;
	}
	struct sqlv *row = o->v + o->n * o->width;
	for (size_t j = 0; j < o->width; j++)
		if (outcol_value(x, &oc[j], &row[j]) < 0)
			return -1;
	o->n++;
	return 0;
}

static bool numeric_value(const struct sqlv *v)
{
	return v->t == SQLV_INT || v->t == SQLV_DEC || v->t == SQLV_DBL;
}

static void emit(struct ctx *x, const struct outcol *oc, const struct outrows *o)
{
	for (size_t j = 0; j < o->width; j++) {
		const struct sql_item *it = oc[j].it;
		const char *name = oc[j].col >= 0 ? x->tmpl->names[oc[j].col] : it->name;
		size_t len = oc[j].col >= 0 ? strlen(name) : it->name_len;
		result_add_column(x->res, name, len, o->n && numeric_value(&o->v[j]));
	}
	for (size_t k = 0; k < o->n; k++) {
		long row = result_add_row(x->res);
		if (row < 0) {
			result_error(x->res, -ENOMEM, "out of memory");
			return;
		}
		for (size_t j = 0; j < o->width; j++) {
			char buf[SQLV_TEXT_MAX];
			const char *txt;
			sqlv_render(&o->v[k * o->width + j], buf, &txt);
			result_set(x->res, (size_t)row, j, txt);
		}
	}
}

/* One ORDER BY key: an output column, or an expression over the row. */
struct sortkey {
	int out; /* output column, or -1 */
	const struct sql_expr *e;
	bool desc;
};

struct sortctx {
	struct sqlv *keys; /* nkeys per row */
	size_t nkeys;
	const struct sortkey *k;
};

static int sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sortctx *sc = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	for (size_t i = 0; i < sc->nkeys; i++) {
		const struct sqlv *x = &sc->keys[a * sc->nkeys + i], *y = &sc->keys[b * sc->nkeys + i];
		int c = sqlv_cmp(x, y, NULL);
		if (c == 2) /* NULL sorts first */
			c = (x->t == SQLV_NULL) == (y->t == SQLV_NULL) ? 0 : x->t == SQLV_NULL ? -1 : 1;
		if (c)
			return sc->k[i].desc ? -c : c;
	}
	return a < b ? -1 : a > b; /* stable */
}

/* The ORDER BY keys of s: positions and aliases name output columns. */
static int sort_keys(struct ctx *x, const struct sql_select *s, const struct outcol *oc, size_t noc,
		     struct sortkey *keys)
{
	for (size_t i = 0; i < s->n_order; i++) {
		const struct sql_expr *e = s->order[i].expr;
		keys[i] = (struct sortkey){-1, e, s->order[i].desc};
		if (e->kind == SQL_EXPR_INT && !e->negated && !e->is_bool) {
			if (e->ival < 1 || e->ival > (__int128)noc) {
				result_error(x->res, 1054, "Unknown column '%s' in 'ORDER BY'", e->text);
				return -1;
			}
			keys[i].out = (int)e->ival - 1;
			continue;
		}
		int a = e->kind == SQL_EXPR_COLUMN && !e->table[0] ? alias_index(s, e->column) : -1;
		if (a >= 0) {
			for (size_t j = 0; j < noc; j++)
				if (oc[j].it == &s->items[a])
					keys[i].out = (int)j;
			continue;
		}
		struct resolve_arg ra = {"ORDER BY", s};
		if (walk(x, e, resolve_one, &ra) != 0)
			return -1;
	}
	return 0;
}

/* The rows of a SELECT over rows[0 .. nrows) (rows NULL: no FROM, one
 * row without columns). */
static void run_select(struct ctx *x, const struct sql_select *s, const struct rowctx *rows, size_t nrows)
{
	struct outcol *oc = NULL;
	struct sortkey *keys = NULL;
	struct outrows o = {0};
	size_t noc = 0, *idx = NULL;
	struct sqlv *kv = NULL;
	bool agg = false;

	if (outcols(x, s, &oc, &noc) < 0)
		return;
	o.width = noc;
	/* columns: the select list, WHERE, ORDER BY, in MariaDB's order */
	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i].kind == SQL_ITEM_EXPR && resolve(x, s->items[i].expr, "SELECT") < 0)
			goto out;
	if (resolve(x, s->where, "WHERE") < 0)
		goto out;
	keys = calloc(s->n_order ? s->n_order : 1, sizeof(*keys));
	if (!keys || sort_keys(x, s, oc, noc, keys) < 0) {
		if (!keys)
			result_error(x->res, -ENOMEM, "out of memory");
		goto out;
	}
	/* COUNT makes one row of the whole; none in WHERE, none in COUNT */
	if (check_counts(x, s->where, true) < 0)
		goto out;
	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i].kind == SQL_ITEM_EXPR) {
			if (check_counts(x, s->items[i].expr, false) < 0)
				goto out;
			agg |= has_count(x, s->items[i].expr);
		}
	for (size_t i = 0; i < s->n_order; i++) {
		if (check_counts(x, s->order[i].expr, false) < 0)
			goto out;
		agg |= has_count(x, s->order[i].expr);
	}
	if (s->has_limit && s->limit == 0) {
		/* nothing is evaluated, but for the WHERE of a SELECT without
		 * a table: MariaDB's optimizer reads that one first (a SETVAL
		 * there is called) */
		if (!s->has_from && s->where) {
			x->row = NULL;
			if (test(x, s->where) < 0)
				goto out;
		}
		goto done;
	}

	if (agg) {
		size_t first = SIZE_MAX;
		for (size_t i = 0; i < s->n_items; i++)
			if (s->items[i].kind == SQL_ITEM_EXPR &&
			    walk(x, s->items[i].expr, collect_count, NULL))
				goto oom;
		for (size_t i = 0; i < s->n_order; i++)
			if (walk(x, s->order[i].expr, collect_count, NULL))
				goto oom;
		for (size_t k = 0; k < nrows; k++) {
			x->row = rows ? &rows[k] : NULL;
			int w = test(x, s->where);
			if (w < 0)
				goto out;
			if (!w)
				continue;
			if (first == SIZE_MAX)
				first = k;
			for (size_t i = 0; i < x->ncnt; i++) {
				struct sqlv v = sqlv_int(1);
				if (x->cnt_node[i]->l && eval(x, x->cnt_node[i]->l, &v) < 0)
					goto out;
				x->cnt_val[i] += v.t != SQLV_NULL;
			}
		}
		/* the other columns come from the first row, or are NULL */
		x->row = rows ? (first != SIZE_MAX ? &rows[first] : x->tmpl) : NULL;
		x->null_row = rows && first == SIZE_MAX;
		if (s->offset == 0 && outrow_add(x, &o, oc) < 0)
			goto out;
		goto done;
	}

	if (!s->n_order) {
		uint64_t skipped = 0;
		for (size_t k = 0; k < nrows; k++) {
			x->row = rows ? &rows[k] : NULL;
			int w = test(x, s->where);
			if (w < 0)
				goto out;
			if (!w)
				continue; /* filtered rows consume nothing */
			if (skipped < s->offset) {
				skipped++;
				continue; /* nor do the rows before OFFSET */
			}
			if (outrow_add(x, &o, oc) < 0)
				goto out;
			if (s->has_limit && o.n >= s->limit)
				break;
		}
		goto done;
	}

	/* ORDER BY: the rows that pass, their keys, sorted; the select list is
	 * evaluated in that order (for every row first when a key is one of
	 * its columns) */
	{
		bool by_out = false;
		size_t m = 0;
		struct outrows all = {.width = noc};
		for (size_t i = 0; i < s->n_order; i++)
			by_out |= keys[i].out >= 0;
		idx = malloc((nrows ? nrows : 1) * sizeof(*idx));
		kv = malloc((nrows ? nrows : 1) * s->n_order * sizeof(*kv));
		if (!idx || !kv)
			goto oom;
		for (size_t k = 0; k < nrows; k++) {
			x->row = rows ? &rows[k] : NULL;
			int w = test(x, s->where);
			if (w < 0)
				goto out;
			if (!w)
				continue;
			if (by_out && outrow_add(x, &all, oc) < 0) {
				free(all.v);
				goto out;
			}
			for (size_t i = 0; i < s->n_order; i++) {
				struct sqlv *v = &kv[k * s->n_order + i];
				if (keys[i].out >= 0) {
					*v = all.v[(all.n - 1) * noc + (size_t)keys[i].out];
				} else {
					const char *clause = x->clause;
					x->clause = "ORDER BY";
					int r = eval(x, keys[i].e, v);
					x->clause = clause;
					if (r < 0) {
						free(all.v);
						goto out;
					}
				}
			}
			idx[m++] = k;
		}
		/* keys are indexed by source row, materialized rows by pass order */
		size_t *pos = by_out ? malloc((nrows ? nrows : 1) * sizeof(*pos)) : NULL;
		if (by_out && !pos) {
			free(all.v);
			goto oom;
		}
		for (size_t i = 0; by_out && i < m; i++)
			pos[idx[i]] = i;
		struct sortctx sc = {kv, s->n_order, keys};
		qsort_r(idx, m, sizeof(*idx), sort_cmp, &sc);
		for (size_t i = (size_t)(s->offset < m ? s->offset : m); i < m; i++) {
			if (s->has_limit && o.n >= s->limit)
				break;
			if (by_out) {
				if (o.n == o.cap) {
					size_t cap = o.cap ? o.cap * 2 : 4;
					struct sqlv *nv = realloc(o.v, cap * (noc ? noc : 1) * sizeof(*nv));
					if (!nv) {
						free(pos);
						free(all.v);
						goto oom;
					}
					o.v = nv;
					o.cap = cap;
				}
				memcpy(o.v + o.n * noc, all.v + pos[idx[i]] * noc, noc * sizeof(*o.v));
				o.n++;
			} else {
				x->row = rows ? &rows[idx[i]] : NULL;
				if (outrow_add(x, &o, oc) < 0) {
					free(pos);
					goto out;
				}
			}
		}
		free(pos);
		free(all.v);
	}
done:
	emit(x, oc, &o);
	goto out;
oom:
	result_error(x->res, -ENOMEM, "out of memory");
out:
	free(o.v);
	free(oc);
	free(keys);
	free(idx);
	free(kv);
}

/* Open every sequence a SELECT names (after its FROM). */
static int open_select(struct ctx *x, const struct sql_select *s, bool has_from)
{
	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i].kind == SQL_ITEM_EXPR && open_seqs(x, s->items[i].expr, has_from) < 0)
			return -1;
	if (open_seqs(x, s->where, has_from) < 0)
		return -1;
	for (size_t i = 0; i < s->n_order; i++)
		if (open_seqs(x, s->order[i].expr, has_from) < 0)
			return -1;
	return 0;
}

static const char *const is_columns[] = {
	"SEQUENCE_CATALOG",  "SEQUENCE_SCHEMA",		"SEQUENCE_NAME", "DATA_TYPE",
	"NUMERIC_PRECISION", "NUMERIC_PRECISION_RADIX", "NUMERIC_SCALE", "START_VALUE",
	"MINIMUM_VALUE",     "MAXIMUM_VALUE",		"INCREMENT",	 "CYCLE_OPTION",
};

static int type_bits(uint8_t type)
{
	switch (type) {
	case SEQ_TYPE_TINYINT:
		return 8;
	case SEQ_TYPE_SMALLINT:
		return 16;
	case SEQ_TYPE_MEDIUMINT:
		return 24;
	case SEQ_TYPE_INT:
		return 32;
	default:
		return 64;
	}
}

static void select_information_schema(struct ctx *x, const struct sql_select *s)
{
	struct shmseq *c = x->c;
	if (strcasecmp(s->from.name, "SEQUENCES") != 0) {
		result_error(x->res, 1109, "Unknown table '%s' in information_schema", s->from.name);
		return;
	}
	char(*names)[SHMSEQ_NAME_MAX + 1] = NULL;
	size_t n = 0;
	int r = list_names(c, &names, &n);
	if (r < 0) {
		error_for(c, x->res, r, "");
		return;
	}
	struct rowctx *rows = calloc(n + 1, sizeof(*rows)); /* rows[n]: the columns */
	size_t got = 0;
	if (!rows) {
		free(names);
		result_error(x->res, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i <= n; i++) {
		rows[i].n = ARRAY_SIZE(is_columns);
		rows[i].names = is_columns;
		rows[i].table = s->alias[0] ? s->alias : s->from.name;
		rows[i].table_ci = !s->alias[0];
		rows[i].db = "information_schema";
	}
	for (size_t i = 0; i < n; i++) {
		struct seq_row row;
		struct seq_def def;
		if (fetch_row(c, names[i], &row, &def, NULL) < 0)
			continue; /* dropped meanwhile */
		struct rowctx *rc = &rows[got++];
		row_str(rc, 0, "def");
		row_str(rc, 1, db_of(c));
		row_str(rc, 2, names[i]);
		row_str(rc, 3, seq_type_name(def.type, def.is_unsigned));
		rc->vals[4] = sqlv_int(type_bits(def.type));
		rc->vals[5] = sqlv_int(2);
		rc->vals[6] = sqlv_int(0);
		rc->vals[7] = seq_value(&def, def.start);
		rc->vals[8] = seq_value(&def, def.minvalue);
		rc->vals[9] = seq_value(&def, def.maxvalue);
		rc->vals[10] = sqlv_int(def.increment);
		row_str(rc, 11, def.cycle ? "YES" : "NO");
	}
	x->tmpl = &rows[n];
	if (open_select(x, s, true) == 0)
		run_select(x, s, rows, got);
	free(rows);
	free(names);
}

static void exec_select(struct ctx *x, const struct sql_select *s)
{
	struct shmseq *c = x->c;
	if (!s->has_from) {
		if (open_select(x, s, false) == 0)
			run_select(x, s, NULL, 1);
		return;
	}
	if (strcasecmp(s->from.db, "information_schema") == 0) {
		select_information_schema(x, s);
		return;
	}
	struct seq_row row;
	struct seq_def *def = malloc(sizeof(*def));
	struct rowctx *rc = malloc(sizeof(*rc));
	if (!def || !rc) {
		free(def);
		free(rc);
		result_error(x->res, -ENOMEM, "out of memory");
		return;
	}
	int r = nowhere(c, &s->from) ? -SHMSEQ_ERR_UNKNOWN_SEQUENCE
				     : fetch_row(c, s->from.name, &row, def, NULL);
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		result_error(x->res, 1146, "Table '%s.%s' doesn't exist", db_in(c, &s->from), s->from.name);
	} else if (r < 0) {
		error_for(c, x->res, r, s->from.name);
	} else {
		rowctx_from_seq(rc, &row, def);
		rc->table = s->alias[0] ? s->alias : s->from.name;
		rc->db = db_in(c, &s->from);
		x->tmpl = rc;
		if (open_select(x, s, true) == 0)
			run_select(x, s, rc, 1);
	}
	free(rc);
	free(def);
}

/* --- DO and SET ---------------------------------------------------------------------------- */

/* Open, resolve and check the expressions of DO or SET. */
static int prepare_exprs(struct ctx *x, const struct sql_expr *const *e, size_t n, const char *clause)
{
	for (size_t i = 0; i < n; i++)
		if (open_seqs(x, e[i], false) < 0)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (resolve(x, e[i], clause) < 0 || check_counts(x, e[i], true) < 0)
			return -1;
	return 0;
}

/* DO: every expression is evaluated; an error while evaluating one becomes
 * a condition of level Error and DO still succeeds (MariaDB's mysql_do). */
static void exec_do(struct ctx *x, const struct sql_do *d)
{
	const struct sql_expr **e = calloc(d->n_items, sizeof(*e));
	if (!e) {
		result_error(x->res, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < d->n_items; i++)
		e[i] = d->items[i].expr;
	if (prepare_exprs(x, e, d->n_items, "DO") == 0) {
		x->soft = true;
		for (size_t i = 0; i < d->n_items; i++) {
			struct sqlv v;
			(void)eval(x, e[i], &v);
		}
	}
	free(e);
}

/* SET @a = …, @b = …: every value is computed before any is assigned. */
static void exec_set(struct ctx *x, const struct sql_set *s)
{
	const struct sql_expr **e = calloc(s->n, sizeof(*e));
	struct sqlv *v = calloc(s->n, sizeof(*v));
	char **copy = calloc(s->n, sizeof(*copy));
	if (!e || !v || !copy) {
		result_error(x->res, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n; i++)
		e[i] = s->v[i].expr;
	if (prepare_exprs(x, e, s->n, "SET") < 0)
		goto out;
	/* MariaDB computes every value even after one failed (a NEXTVAL
	 * further on is still called), keeps every condition, fails with the
	 * first error and then assigns nothing */
	x->soft = true;
	for (size_t i = 0; i < s->n; i++) {
		(void)eval(x, e[i], &v[i]);
		if (v[i].t == SQLV_STR) {
			/* a variable's own text may be replaced by an earlier
			 * assignment: keep a copy */
			if (!(copy[i] = malloc(v[i].len + 1))) {
				result_error(x->res, -ENOMEM, "out of memory");
				goto out;
			}
			memcpy(copy[i], v[i].s, v[i].len);
			copy[i][v[i].len] = '\0';
			v[i].s = copy[i];
		}
	}
	x->soft = false;
	if (result_promote_error(x->res))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if (var_set(x->ss, s->v[i].var, s->v[i].var_len, &v[i]) < 0) {
			result_error(x->res, -ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	for (size_t i = 0; copy && i < s->n; i++)
		free(copy[i]);
	free(copy);
	free(v);
	free(e);
}

/* --- DDL ----------------------------------------------------------------------------------- */

/* CREATE in MariaDB's order: the options are validated first (4085, with
 * the name as written: also for an existing name or an unknown database),
 * then the name is looked at (1050 or Note 1050), then the comment's length
 * (1628), then the database (1049), then whether shmseq can store the name
 * (1005, as MariaDB says when its storage cannot). */
static void exec_create(struct shmseq *c, const struct sql_create *cr, shmseq_result *res)
{
	struct seq_def *def = malloc(sizeof(*def));
	struct seq_notes notes = {0};
	int64_t next;
	int r;
	if (!def) {
		result_error(res, -ENOMEM, "out of memory");
		return;
	}
	r = seq_def_create(&cr->opt, &c->env, def, &next, &notes);
	free(def);
	if (r < 0) {
		error_for_db(c, res, r, db_in(c, &cr->name), cr->name.name);
		return;
	}
	if (cr->after_options) {
		result_error(res, cr->after_options->code, "%s", cr->after_options->message);
		return;
	}
	if (cr->comment_too_long) {
		int exists = 0;
		if (!cr->or_replace && !other_db(c, &cr->name))
			exists = cr->temporary ? temp_exists(c, cr->name.name)
					       : base_exists(c, cr->name.name);
		if (exists < 0) {
			error_for(c, res, exists, cr->name.name);
		} else if (exists && cr->if_not_exists) {
			result_warn(res, "Note", 1050, "Table '%s' already exists", cr->name.name);
		} else if (exists) {
			result_error(res, 1050, "Table '%s' already exists", cr->name.name);
		} else {
			result_error(res, SQL_ERR_TOO_LONG_COMMENT,
				     "Comment for table '%s' is too long (max = %d)", cr->name.name,
				     SHMSEQ_COMMENT_MAX);
		}
		return;
	}
	if (other_db(c, &cr->name)) {
		result_error(res, 1049, "Unknown database '%s'", cr->name.db);
		return;
	}
	if (!storable(cr->name.name)) {
		result_error(res, 1005, "Can't create table `%s`.`%s` (errno: 36 \"File name too long\")",
			     db_of(c), cr->name.name);
		return;
	}
	if (cr->temporary) {
		pthread_mutex_lock(&c->lock);
		r = temp_create(c, cr, res);
		pthread_mutex_unlock(&c->lock);
	} else {
		struct wire_ddl *req = calloc(1, sizeof(*req));
		struct wire_ddl_reply rep;
		if (!req) {
			result_error(res, -ENOMEM, "out of memory");
			return;
		}
		wire_name_set(&req->name, cr->name.name);
		req->flags = (cr->or_replace ? WIRE_DDL_OR_REPLACE : 0) |
			     (cr->if_not_exists ? WIRE_DDL_IF_NOT_EXISTS : 0);
		struct seq_notes notes;
		r = wire_options_encode(&req->opt, &cr->opt);
		if (r == 0)
			r = client_rpc(c, WIRE_CREATE, req, sizeof(*req), &rep, sizeof(rep), false);
		free(req);
		if (r >= 0 && wire_notes_decode(&rep.notes, &notes, NULL) < 0)
			r = -EPROTO;
		if (r >= 0) {
			if (rep.note == SHMSEQ_ERR_TABLE_EXISTS)
				result_warn(res, "Note", 1050, "Table '%s' already exists", cr->name.name);
			for (int i = 0; i < notes.count; i++)
				result_warn(res, "Note", notes.code[i], "%s", notes.text[i]);
		}
	}
	if (r < 0)
		error_for(c, res, r, cr->name.name);
}

/* ALTER SEQUENCE changes the base sequence: a TEMPORARY one of the same
 * name is not looked at (MariaDB 10.11 cannot alter a temporary
 * sequence, and alters the base one beside it). */
static void exec_alter(struct shmseq *c, const struct sql_alter *al, shmseq_result *res)
{
	int r = -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	struct wire_ddl_reply rep = {0};
	if (!nowhere(c, &al->name)) {
		struct wire_ddl *req = calloc(1, sizeof(*req));
		if (!req) {
			result_error(res, -ENOMEM, "out of memory");
			return;
		}
		wire_name_set(&req->name, al->name.name);
		req->flags = al->if_exists ? WIRE_DDL_IF_EXISTS : 0;
		r = wire_options_encode(&req->opt, &al->opt);
		if (r == 0)
			r = client_rpc(c, WIRE_ALTER, req, sizeof(*req), &rep, sizeof(rep), false);
		free(req);
		if (r >= 0 && rep.note == SHMSEQ_ERR_UNKNOWN_SEQUENCE)
			r = -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	}
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		if (al->if_exists)
			result_warn(res, "Note", 4091, "Unknown SEQUENCE: '%s.%s'", db_in(c, &al->name),
				    al->name.name);
		else
			unknown_sequence(c, res, &al->name);
	} else if (r < 0) {
		error_for(c, res, r, al->name.name);
	}
}

static void exec_drop(struct shmseq *c, const struct sql_drop *d, shmseq_result *res)
{
	for (size_t i = 0; i < d->n_names; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(d->names[i].name, d->names[j].name) == 0 &&
			    strcmp(db_in(c, &d->names[i]), db_in(c, &d->names[j])) == 0) {
				result_error(res, 1066, "Not unique table/alias: '%s'", d->names[i].name);
				return;
			}
		}
	}
	if (d->after_names) {
		result_error(res, d->after_names->code, "%s", d->after_names->message);
		return;
	}
	char unknown[4096] = "";
	size_t ulen = 0;
	int first_err = 0;
	char first_msg[256] = "";
	for (size_t i = 0; i < d->n_names; i++) {
		const char *name = d->names[i].name;
		bool done = false, missing = false;
		if (nowhere(c, &d->names[i])) {
			missing = true; /* another database holds nothing here */
		} else if (d->kind == SQL_DROP_VIEW) {
			/* DROP VIEW looks at base tables only: a TEMPORARY
			 * sequence is just no view (no 1347) */
			if (base_exists(c, name) == 1) {
				result_warn(res, "Warning", 1347, "'%s.%s' is not of type 'VIEW'", db_of(c),
					    name);
			}
			missing = true;
		} else {
			if (atomic_load(&c->ntemp) > 0) {
				pthread_mutex_lock(&c->lock);
				done = temp_drop(c, name);
				pthread_mutex_unlock(&c->lock);
			}
			if (!done && d->temporary)
				missing = true;
			else if (!done) {
				int r = shmseq_drop(c, name);
				if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE)
					missing = true;
				else if (r < 0 && !first_err) {
					first_err = r;
					snprintf(first_msg, sizeof(first_msg), "%s", shmseq_strerror(r));
				}
			}
		}
		if (missing) {
			int n = snprintf(unknown + ulen, sizeof(unknown) - ulen, "%s%s.%s", ulen ? "," : "",
					 db_in(c, &d->names[i]), name);
			if (n > 0 && (size_t)n < sizeof(unknown) - ulen)
				ulen += (size_t)n;
		}
	}
	if (first_err) {
		result_error(res, first_err, "%s", first_msg);
		return;
	}
	if (!ulen)
		return;
	int code = d->kind == SQL_DROP_VIEW ? 4092 : d->kind == SQL_DROP_TABLE ? 1051 : 4091;
	const char *what = code == 4092	  ? "Unknown VIEW: "
			   : code == 1051 ? "Unknown table "
					  : "Unknown SEQUENCE: ";
	char msg[4200];
	snprintf(msg, sizeof(msg), "%s'%s'", what, unknown);
	if (d->if_exists)
		result_warn(res, "Note", code, "%s", msg);
	else
		result_error(res, code, "%s", msg);
}

/* --- SHOW and DESCRIBE ------------------------------------------------------------------------ */

/* "bigint(21)", "tinyint(5) unsigned", …: a value column's type. */
static void value_type(const struct seq_def *def, char *vt, size_t cap)
{
	const char *t = seq_type_name(def->type, def->is_unsigned);
	static const int width[] = {21, 5, 7, 10, 12};
	snprintf(vt, cap, "%.*s(%d)%s", (int)strcspn(t, " "), t, width[def->type < 5 ? def->type : 0],
		 def->is_unsigned ? " unsigned" : "");
}

static const char *const col_comment[SEQ_COLUMNS] = {
	"",
	"",
	"",
	"start value when sequences is created or value if RESTART is used",
	"increment value",
	"",
	"0 if no cycles are allowed, 1 if the sequence should begin a new cycle when maximum_value is passed",
	"How many cycles have been done",
};

static void exec_show_create(struct shmseq *c, const struct sql_show *sh, bool table, shmseq_result *res)
{
	if (nowhere(c, &sh->name)) {
		result_error(res, 1146, "Table '%s.%s' doesn't exist", db_in(c, &sh->name), sh->name.name);
		return;
	}
	struct seq_row row;
	bool temp;
	struct seq_def *def = malloc(sizeof(*def));
	if (!def) {
		result_error(res, -ENOMEM, "out of memory");
		return;
	}
	int r = fetch_row(c, sh->name.name, &row, def, &temp);
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		result_error(res, 1146, "Table '%s.%s' doesn't exist", db_of(c), sh->name.name);
	} else if (r < 0) {
		error_for(c, res, r, sh->name.name);
	} else {
		size_t need = seq_def_show_create(def, sh->name.name, NULL, 0) + 1;
		size_t cap = need + 1024 + 2 * SHMSEQ_COMMENT_MAX;
		char *text = malloc(cap);
		if (text && !table) {
			seq_def_show_create(def, sh->name.name, text, need);
		} else if (text) {
			/* SHOW CREATE TABLE: the underlying one-row table (§7.3);
			 * a TEMPORARY sequence's is a TEMPORARY table */
			char vt[64];
			value_type(def, vt, sizeof(vt));
			int n = snprintf(text, cap, "CREATE %sTABLE `%s` (\n", temp ? "TEMPORARY " : "",
					 sh->name.name);
			for (int i = 0; i < SEQ_COLUMNS && n > 0 && (size_t)n < cap; i++) {
				const char *type = i < 4    ? vt
						   : i == 4 ? "bigint(21)"
						   : i == 5 ? "bigint(21) unsigned"
						   : i == 6 ? "tinyint(1) unsigned"
							    : "bigint(21)";
				n += snprintf(text + n, cap - (size_t)n, "  `%s` %s NOT NULL%s%s%s%s\n",
					      seq_columns[i], type, col_comment[i][0] ? " COMMENT '" : "",
					      col_comment[i], col_comment[i][0] ? "'" : "",
					      i < SEQ_COLUMNS - 1 ? "," : "");
			}
			if (n > 0 && (size_t)n < cap)
				n += snprintf(text + n, cap - (size_t)n, ") ENGINE=InnoDB SEQUENCE=1");
			if (def->comment_len && n > 0 && (size_t)n < cap)
				snprintf(text + n, cap - (size_t)n, " COMMENT='%s'", def->comment);
		}
		if (!text) {
			result_error(res, -ENOMEM, "out of memory");
		} else {
			result_add_column(res, "Table", 5, false);
			result_add_column(res, "Create Table", 12, false);
			long rw = result_add_row(res);
			if (rw >= 0) {
				result_set(res, (size_t)rw, 0, sh->name.name);
				result_set(res, (size_t)rw, 1, text);
			}
		}
		free(text);
	}
	free(def);
}

/* The rows of a SHOW: those matching LIKE (ci: case-insensitively, on
 * column 0) and WHERE, every column. */
static void show_rows(struct ctx *x, const struct sql_show *sh, struct rowctx *rows, size_t n, bool ci,
		      const char *heading0)
{
	const struct rowctx *t = x->tmpl;
	if (open_seqs(x, sh->where, true) < 0 || resolve(x, sh->where, "WHERE") < 0 ||
	    check_counts(x, sh->where, true) < 0)
		return;
	bool *keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep) {
		result_error(x->res, -ENOMEM, "out of memory");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		/* an empty pattern is no pattern (MariaDB's wild) */
		if (sh->like && sh->like_len &&
		    !sqlv_like(rows[k].vals[0].s, rows[k].vals[0].len, sh->like, sh->like_len, ci))
			continue;
		x->row = &rows[k];
		int w = test(x, sh->where);
		if (w < 0) {
			free(keep);
			return;
		}
		keep[k] = w;
	}
	for (size_t j = 0; j < t->n; j++) {
		const char *name = j == 0 && heading0 ? heading0 : t->names[j];
		result_add_column(x->res, name, strlen(name), false);
	}
	for (size_t k = 0; k < n; k++) {
		if (!keep[k])
			continue;
		long row = result_add_row(x->res);
		if (row < 0) {
			result_error(x->res, -ENOMEM, "out of memory");
			break;
		}
		for (size_t j = 0; j < t->n; j++) {
			char buf[SQLV_TEXT_MAX];
			const char *txt;
			sqlv_render(&rows[k].vals[j], buf, &txt);
			result_set(x->res, (size_t)row, j, txt);
		}
	}
	free(keep);
}

/* Whether MariaDB's optimizer finds a condition never true before reading
 * a row: a constant that is not true, an AND with such a part, an OR of
 * such parts. 1, 0 or -1 on an error. */
static int impossible(struct ctx *x, const struct sql_expr *e)
{
	if (constant(e)) {
		int w = test(x, e);
		return w < 0 ? -1 : !w;
	}
	if (e->kind != SQL_EXPR_AND && e->kind != SQL_EXPR_OR)
		return 0;
	for (size_t i = 0; i < e->n_args; i++) {
		int w = impossible(x, e->args[i]);
		if (w < 0)
			return -1;
		if (e->kind == SQL_EXPR_AND ? w : !w)
			return e->kind == SQL_EXPR_AND;
	}
	return e->kind == SQL_EXPR_OR;
}

/* SHOW … WHERE: MariaDB resolves the condition against the listed columns
 * before it looks for the database or table, and a constant condition that
 * is not true answers no rows without looking at all. Returns 1 when that
 * answered, -1 on an error, 0 to go on. */
static int show_where_first(struct ctx *x, const struct sql_show *sh, const struct rowctx *tmpl,
			    const char *heading0)
{
	if (!sh->where)
		return 0;
	x->tmpl = tmpl;
	x->row = NULL;
	if (resolve(x, sh->where, "WHERE") < 0)
		return -1;
	int w = impossible(x, sh->where);
	if (w <= 0)
		return w;
	for (size_t j = 0; j < tmpl->n; j++) {
		const char *name = j == 0 && heading0 ? heading0 : tmpl->names[j];
		result_add_column(x->res, name, strlen(name), false);
	}
	return 1;
}

static void exec_show_tables(struct ctx *x, const struct sql_show *sh)
{
	struct shmseq *c = x->c;
	{
		char head[SQL_NAME_BYTES + 16];
		const char *const names2[] = {head, "Table_type"};
		struct rowctx *t = calloc(1, sizeof(*t));
		if (!t) {
			result_error(x->res, -ENOMEM, "out of memory");
			return;
		}
		snprintf(head, sizeof(head), "Tables_in_%s", sh->name.db[0] ? sh->name.db : db_of(c));
		t->n = sh->full ? 2 : 1;
		t->names = names2;
		int w = show_where_first(x, sh, t, NULL);
		x->tmpl = NULL;
		free(t);
		if (w)
			return;
	}
	if (sh->name.db[0] && strcmp(sh->name.db, db_of(c)) != 0) {
		result_error(x->res, 1049, "Unknown database '%s'", sh->name.db);
		return;
	}
	char heading[SHMSEQ_NAME_MAX + 16], shown[SHMSEQ_NAME_MAX + 16 + 2 * SQLV_TEXT_MAX];
	snprintf(heading, sizeof(heading), "Tables_in_%s", db_of(c));
	if (sh->like)
		snprintf(shown, sizeof(shown), "%s (%.*s)", heading,
			 (int)(sh->like_len > 200 ? 200 : sh->like_len), sh->like);
	const char *const names_full[] = {heading, "Table_type"};
	char(*names)[SHMSEQ_NAME_MAX + 1] = NULL;
	size_t n = 0;
	int r = list_names(c, &names, &n);
	if (r < 0) {
		error_for(c, x->res, r, "");
		return;
	}
	struct rowctx *rows = calloc(n + 1, sizeof(*rows));
	if (!rows) {
		free(names);
		result_error(x->res, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i <= n; i++) {
		rows[i].n = sh->full ? 2 : 1;
		rows[i].names = names_full;
		if (i < n) {
			row_str(&rows[i], 0, names[i]);
			rows[i].vals[1] = sqlv_str("SEQUENCE", 8);
		}
	}
	x->tmpl = &rows[n];
	/* table names match LIKE case-sensitively (lower_case_table_names=0) */
	show_rows(x, sh, rows, n, false, sh->like ? shown : NULL);
	free(rows);
	free(names);
}

static void exec_show_columns(struct ctx *x, const struct sql_show *sh)
{
	static const char *const names6[] = {"Field", "Type", "Null", "Key", "Default", "Extra"};
	static const char *const names9[] = {"Field",	"Type",	 "Collation",  "Null",	 "Key",
					     "Default", "Extra", "Privileges", "Comment"};
	struct shmseq *c = x->c;
	struct seq_row row;
	struct seq_def *def = malloc(sizeof(*def));
	struct rowctx *rows = calloc(SEQ_COLUMNS + 1, sizeof(*rows));
	if (def && rows) {
		rows[SEQ_COLUMNS].n = sh->full ? 9 : 6;
		rows[SEQ_COLUMNS].names = sh->full ? names9 : names6;
		int w = show_where_first(x, sh, &rows[SEQ_COLUMNS], NULL);
		x->tmpl = NULL;
		if (w) {
			free(rows);
			free(def);
			return;
		}
	}
	int r = !def || !rows		? -ENOMEM
		: nowhere(c, &sh->name) ? -SHMSEQ_ERR_UNKNOWN_SEQUENCE
					: fetch_row(c, sh->name.name, &row, def, NULL);
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		result_error(x->res, 1146, "Table '%s.%s' doesn't exist", db_in(c, &sh->name), sh->name.name);
	} else if (r == -ENOMEM) {
		result_error(x->res, -ENOMEM, "out of memory");
	} else if (r < 0) {
		error_for(c, x->res, r, sh->name.name);
	} else {
		char vt[64];
		value_type(def, vt, sizeof(vt));
		for (size_t i = 0; i <= SEQ_COLUMNS; i++) {
			struct rowctx *rc = &rows[i];
			rc->n = sh->full ? 9 : 6;
			rc->names = sh->full ? names9 : names6;
			if (i == SEQ_COLUMNS)
				break;
			const char *type = i < 4    ? vt
					   : i == 5 ? "bigint(21) unsigned"
					   : i == 6 ? "tinyint(1) unsigned"
						    : "bigint(21)";
			size_t k = 0;
			row_str(rc, k++, seq_columns[i]);
			row_str(rc, k++, type);
			if (sh->full)
				rc->vals[k++] = sqlv_null();
			rc->vals[k++] = sqlv_str("NO", 2);
			rc->vals[k++] = sqlv_str("", 0);
			rc->vals[k++] = sqlv_null();
			rc->vals[k++] = sqlv_str("", 0);
			if (sh->full) {
				rc->vals[k++] = sqlv_str("select,insert,update,references", 31);
				rc->vals[k++] = sqlv_str(col_comment[i], strlen(col_comment[i]));
			}
		}
		x->tmpl = &rows[SEQ_COLUMNS];
		show_rows(x, sh, rows, SEQ_COLUMNS, true, NULL);
	}
	free(rows);
	free(def);
}

static void exec_show_warnings(struct ctx *x, const struct sql_show *sh)
{
	struct exec_session *ss = x->ss;
	result_add_column(x->res, "Level", 5, false);
	result_add_column(x->res, "Code", 4, true);
	result_add_column(x->res, "Message", 7, false);
	uint64_t first = sh->has_limit ? sh->offset : 0, count = sh->has_limit ? sh->limit : UINT64_MAX;
	for (uint64_t i = first; i < ss->ndiag && i - first < count; i++) {
		long row = result_add_row(x->res);
		char code[24];
		if (row < 0)
			break;
		snprintf(code, sizeof(code), "%d", ss->diag[i].code);
		result_set(x->res, (size_t)row, 0, ss->diag[i].level);
		result_set(x->res, (size_t)row, 1, code);
		result_set(x->res, (size_t)row, 2, ss->diag[i].msg);
	}
}

/* --- INSERT ------------------------------------------------------------------------------------ */

/* Replace the live state of name by row (validated like §1.4): 0 or an
 * error (-4085, -4091, …). */
static int insert_row(struct shmseq *c, const char *name, const struct seq_row *row)
{
	if (atomic_load(&c->ntemp) > 0) {
		int rr = 0;
		pthread_mutex_lock(&c->lock);
		struct temp_seq *t = client_temp_find(c, name);
		if (t) {
			struct seq_def def = t->live.def;
			def.minvalue = row->minimum_value;
			def.maxvalue = row->maximum_value;
			def.start = row->start_value;
			def.increment = row->increment;
			def.cache = row->cache_size;
			def.cycle = (uint8_t)row->cycle_option; /* any 0..255, as stored */
			if (row->cycle_option < 0 || row->cycle_option > UINT8_MAX ||
			    seq_def_validate(&def, row->next_not_cached_value, &c->env) < 0)
				rr = -SHMSEQ_ERR_INVALID_DATA;
			else
				seq_live_load(&t->live, &def, row->next_not_cached_value, row->cycle_count,
					      &c->env);
		}
		pthread_mutex_unlock(&c->lock);
		if (t)
			return rr;
	}
	struct wire_insert req;
	wire_name_set(&req.name, name);
	wire_row_encode(&req.row, row);
	return client_rpc(c, WIRE_INSERT, &req, sizeof(req), NULL, 0, false);
}

/* INSERT/REPLACE INTO s VALUES …: every row in turn replaces the state
 * (§7.4), so the last valid one wins and a failing row leaves the rows
 * before it applied (the sequence table is not transactional). Column
 * types are enforced as in strict mode: a value outside its column's type
 * fails the statement in the first row, and later rows store it clamped
 * with a warning, as MariaDB does for a non-transactional table. */
static void exec_insert(struct shmseq *c, const struct sql_insert *in, shmseq_result *res)
{
	if (nowhere(c, &in->table)) {
		result_error(res, 1146, "Table '%s.%s' doesn't exist", db_in(c, &in->table), in->table.name);
		return;
	}
	{
		/* the table is opened before columns and values are looked at */
		struct seq_row row0;
		struct seq_def *def = malloc(sizeof(*def));
		int r = def ? fetch_row(c, in->table.name, &row0, def, NULL) : -ENOMEM;
		free(def);
		if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
			result_error(res, 1146, "Table '%s.%s' doesn't exist", db_of(c), in->table.name);
			return;
		}
		if (r < 0) {
			error_for(c, res, r, in->table.name);
			return;
		}
	}
	int map[SEQ_COLUMNS];
	for (int k = 0; k < SEQ_COLUMNS; k++)
		map[k] = in->has_columns ? -1 : k;
	if (in->has_columns) {
		for (size_t i = 0; i < in->n_columns; i++) {
			int k = -1;
			for (int j = 0; j < SEQ_COLUMNS; j++)
				if (strcasecmp(in->columns[i], seq_columns[j]) == 0)
					k = j;
			if (k < 0) {
				result_error(res, 1054, "Unknown column '%s' in 'INSERT INTO'",
					     in->columns[i]);
				return;
			}
			map[k] = (int)i;
		}
	}
	/* VALUES () without a column list means "all defaults" */
	size_t want = in->has_columns ? in->n_columns : in->rows[0].n == 0 ? 0 : SEQ_COLUMNS;
	for (size_t r = 0; r < in->n_rows; r++) {
		if (in->rows[r].n != want) {
			result_error(res, 1136, "Column count doesn't match value count at row %zu", r + 1);
			return;
		}
	}
	for (int k = 0; k < SEQ_COLUMNS; k++) {
		if (want == 0 || map[k] < 0) {
			result_error(res, 1364, "Field '%s' doesn't have a default value", seq_columns[k]);
			return;
		}
	}
	for (size_t r = 0; r < in->n_rows; r++) {
		const struct sql_insert_row *ir = &in->rows[r];
		int64_t v[SEQ_COLUMNS];
		bool too_big = false;
		for (int k = 0; k < SEQ_COLUMNS; k++) {
			__int128 x = ir->v[map[k]];
			/* the column types: bigint, except cache_size bigint unsigned
			 * and cycle_option tinyint unsigned */
			__int128 lo = k == 5 || k == 6 ? 0 : (__int128)INT64_MIN;
			__int128 hi = k == 5 ? (__int128)UINT64_MAX : k == 6 ? 255 : (__int128)INT64_MAX;
			if (x < lo || x > hi) {
				if (r == 0) {
					result_error(res, 1264,
						     "Out of range value for column '%s' at row %zu",
						     seq_columns[k], r + 1);
					return;
				}
				result_warn(res, "Warning", 1264,
					    "Out of range value for column '%s' at row %zu", seq_columns[k],
					    r + 1);
				x = x < lo ? lo : hi;
			}
			if (x > INT64_MAX)
				too_big = true; /* a cache this large fails §1.4 rule 2 */
			v[k] = x > INT64_MAX ? INT64_MAX : (int64_t)x;
		}
		struct seq_row row = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
		int rr = too_big ? -SHMSEQ_ERR_INVALID_DATA : insert_row(c, in->table.name, &row);
		if (rr == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
			result_error(res, 1146, "Table '%s.%s' doesn't exist", db_of(c), in->table.name);
			return;
		}
		if (rr == -SHMSEQ_ERR_NOT_SUPPORTED) {
			/* a cluster member: the row would be one host's alone */
			result_error(res, 1235,
				     "INSERT into a sequence is not supported in cluster mode; use "
				     "SETVAL or ALTER SEQUENCE");
			return;
		}
		if (rr < 0) {
			error_for(c, res, rr, in->table.name);
			return;
		}
	}
}

/* USE db: an instance is one database, so only its own name can be used
 * (information_schema, which MariaDB would switch to, is not a database
 * here: 1049 like any other). */
static void exec_use(struct shmseq *c, const struct sql_show *sh, shmseq_result *res)
{
	if (!sh->name.db[0])
		result_error(res, 1046, "No database selected");
	else if (strcmp(sh->name.db, db_of(c)) != 0)
		result_error(res, 1049, "Unknown database '%s'", sh->name.db);
}

/* --- statements ---------------------------------------------------------------------------------- */

/* Whether MariaDB counts the statement as one that uses tables: those
 * start with an empty list of conditions; the others keep the previous
 * statement's unless they raise one of their own. */
static bool uses_tables(struct ctx *x, const struct sql_stmt *st)
{
	switch (st->kind) {
	case SQL_SELECT: {
		const struct sql_select *s = &st->u.select;
		if (s->has_from || uses_seq_fn(x, s->where))
			return true;
		for (size_t i = 0; i < s->n_items; i++)
			if (s->items[i].kind == SQL_ITEM_EXPR && uses_seq_fn(x, s->items[i].expr))
				return true;
		for (size_t i = 0; i < s->n_order; i++)
			if (uses_seq_fn(x, s->order[i].expr))
				return true;
		return false;
	}
	case SQL_DO:
		for (size_t i = 0; i < st->u.do_.n_items; i++)
			if (uses_seq_fn(x, st->u.do_.items[i].expr))
				return true;
		return false;
	case SQL_SET:
		for (size_t i = 0; i < st->u.set.n; i++)
			if (uses_seq_fn(x, st->u.set.v[i].expr))
				return true;
		return false;
	case SQL_USE:
		return false;
	default:
		return true;
	}
}

static void diag_add(struct exec_session *ss, const char *level, int code, const char *msg)
{
	if (ss->ndiag == DIAG_MAX)
		return;
	struct exec_cond *d = &ss->diag[ss->ndiag];
	if (!(d->msg = strdup(msg ? msg : "")))
		return;
	snprintf(d->level, sizeof(d->level), "%s", level);
	d->code = code;
	ss->ndiag++;
}

/* What SHOW WARNINGS lists after res: the statement's conditions, the
 * error among them where it was raised. */
static void diag_update(struct exec_session *ss, const shmseq_result *res, bool uses)
{
	size_t nw = shmseq_result_warnings(res);
	int err = shmseq_result_error(res);
	if (!uses && !nw && !err)
		return;
	diag_clear(ss);
	size_t at = err ? result_error_at(res) : nw;
	for (size_t i = 0; i <= nw; i++) {
		if (err && i == at)
			diag_add(ss, "Error", -err, shmseq_result_message(res));
		if (i < nw) {
			const char *level;
			int code;
			const char *msg = shmseq_result_warning(res, i, &level, &code);
			diag_add(ss, level, code, msg);
		}
	}
}

static void exec_one(struct shmseq *c, struct exec_session *ss, const char *text, size_t len,
		     shmseq_result *res)
{
	struct sql_stmt *st = NULL;
	struct sql_error err = {0};
	struct ctx x;
	int r = sql_parse(text, len, &st, &err);
	if (r < 0) {
		if (err.code)
			result_error(res, err.code, "%s", err.message);
		else
			result_error(res, r, "%s", shmseq_strerror(r));
		diag_update(ss, res, true);
		return;
	}
	ctx_init(&x, c, res, ss);
	switch (st->kind) {
	case SQL_CREATE_SEQUENCE:
		exec_create(c, &st->u.create, res);
		break;
	case SQL_ALTER_SEQUENCE:
		exec_alter(c, &st->u.alter, res);
		break;
	case SQL_DROP:
		exec_drop(c, &st->u.drop, res);
		break;
	case SQL_SELECT:
		exec_select(&x, &st->u.select);
		break;
	case SQL_DO:
		exec_do(&x, &st->u.do_);
		break;
	case SQL_SET:
		exec_set(&x, &st->u.set);
		break;
	case SQL_SHOW_CREATE_SEQUENCE:
	case SQL_SHOW_CREATE_TABLE:
		exec_show_create(c, &st->u.show, st->kind == SQL_SHOW_CREATE_TABLE, res);
		break;
	case SQL_SHOW_TABLES:
		exec_show_tables(&x, &st->u.show);
		break;
	case SQL_SHOW_COLUMNS:
		exec_show_columns(&x, &st->u.show);
		break;
	case SQL_SHOW_WARNINGS:
		exec_show_warnings(&x, &st->u.show);
		break;
	case SQL_INSERT:
		exec_insert(c, &st->u.insert, res);
		break;
	case SQL_USE:
		exec_use(c, &st->u.show, res);
		break;
	}
	/* SHOW WARNINGS reads the conditions and leaves them */
	if (st->kind != SQL_SHOW_WARNINGS)
		diag_update(ss, res, uses_tables(&x, st));
	free(x.cnt_node);
	free(x.cnt_val);
	sql_stmt_free(st);
}

SHMSEQ_API int shmseq_exec(shmseq *c, const char *sql, shmseq_result **out)
{
	if (!c || !sql || !out)
		return -EINVAL;
	*out = NULL;
	struct exec_session *ss = session_of(c);
	if (!ss)
		return -ENOMEM;
	struct sql_piece *pieces;
	size_t n;
	int r = sql_split(sql, strlen(sql), &pieces, &n);
	if (r < 0)
		return r;
	shmseq_result *head = NULL;
	pthread_mutex_lock(&ss->lock);
	for (size_t i = 0; i < n; i++) {
		shmseq_result *res = result_new(sql + pieces[i].off, pieces[i].len);
		if (!res) {
			pthread_mutex_unlock(&ss->lock);
			free(pieces);
			shmseq_result_free(head);
			return -ENOMEM;
		}
		exec_one(c, ss, sql + pieces[i].off, pieces[i].len, res);
		if (head)
			result_chain(head, res);
		else
			head = res;
		if (shmseq_result_error(res))
			break; /* statements after a failed one are not run */
	}
	pthread_mutex_unlock(&ss->lock);
	free(pieces);
	*out = head;
	return 0;
}
