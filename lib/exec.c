/* exec.c — shmseq_exec(): MariaDB's sequence statements, answer for answer.
 *
 * Each statement is parsed (sql.c), then carried out here: DDL, SETVAL and
 * INSERT go to the daemon; NEXTVAL takes the same shared-memory fast path as
 * shmseq_nextval(); TEMPORARY sequences live in the session (client.h) and
 * run MariaDB's serial algorithm (seqmath.c). The instance is the one
 * database: its name is the schema in messages and `db.name` must use it.
 * Error codes and texts follow SEMANTICS.md §8 (bare vs qualified names).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "result.h"
#include "sql.h"
#include "util.h"

#define SEQ_COLUMNS 8
static const char *const seq_columns[SEQ_COLUMNS] = {
	"next_not_cached_value", "minimum_value", "maximum_value", "start_value", "increment", "cache_size",
	"cycle_option",		 "cycle_count",
};

/* What a SELECT reads: the sequence's row (FROM s), or an
 * information_schema.SEQUENCES row, by column name. */
struct rowctx {
	const char *table; /* FROM s: the qualifier a column may carry; NULL = any */
	bool table_ci;	   /* compare it case-insensitively (information_schema) */
	size_t n;
	const char *const *names;
	char vals[16][96];
	bool numeric[16];
	bool isnull[16];
};

static const char *db_of(struct shmseq *c)
{
	return c->instance;
}

/* A qualified name must name this instance's database. */
static bool check_db(struct shmseq *c, shmseq_result *res, const struct sql_name *n)
{
	if (n->db[0] && strcmp(n->db, db_of(c)) != 0) {
		result_error(res, 1049, "Unknown database '%s'", n->db);
		return false;
	}
	return true;
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

static void fmt_i64(char *buf, int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
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
	int r = client_entry(c, name, &e);
	return r < 0 ? r : atomic_load_explicit(&e->is_unsigned, memory_order_relaxed);
}

/* A value of sequence `name` as text: unsigned for AS … UNSIGNED. */
static void fmt_value(struct shmseq *c, const char *name, int64_t v, char *buf)
{
	if (seq_unsigned(c, name) > 0)
		snprintf(buf, 24, "%" PRIu64, (uint64_t)v);
	else
		fmt_i64(buf, v);
}

static void error_for(struct shmseq *c, shmseq_result *res, int r, const char *name)
{
	switch (-r) {
	case SHMSEQ_ERR_RUN_OUT:
		result_error(res, 4084, "Sequence '%s.%s' has run out", db_of(c), name);
		break;
	case SHMSEQ_ERR_INVALID_DATA:
		result_error(res, 4085, "Sequence '%s.%s' has out of range value for options", db_of(c),
			     name);
		break;
	case SHMSEQ_ERR_UNKNOWN_SEQUENCE:
		result_error(res, 4091, "Unknown SEQUENCE: '%s'", name);
		break;
	case SHMSEQ_ERR_TABLE_EXISTS:
		result_error(res, 1050, "Table '%s' already exists", name);
		break;
	case SHMSEQ_ERR_WRONG_USAGE:
		result_error(res, 1221, "Incorrect usage of OR REPLACE and IF NOT EXISTS");
		break;
	case ENOSPC:
		result_error(res, -ENOSPC,
			     "The instance has no free sequence slot (shmseqd --max-sequences)");
		break;
	default:
		result_error(res, r, "%s", shmseq_strerror(r));
		break;
	}
}

/* --- temporary sequences (session-private, caller holds c->lock) -------------- */

static int temp_create(struct shmseq *c, const struct sql_create *cr, shmseq_result *res)
{
	struct temp_seq *old = client_temp_find(c, cr->name.name);
	if (old && !cr->or_replace) {
		if (cr->if_not_exists) {
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
	for (int i = 0; i < notes.count && i < 4; i++)
		result_warn(res, "Note", notes.code[i], "%s", notes.text[i]);
	struct temp_seq *t = old ? old : calloc(1, sizeof(*t));
	if (!t) {
		free(def);
		return -ENOMEM;
	}
	snprintf(t->name, sizeof(t->name), "%s", cr->name.name);
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

/* --- reading a sequence's row ----------------------------------------------------- */

/* The row and definition of name: a temporary one first, then the daemon's.
 * 0, -4091 (missing) or another error. */
static int fetch_row(struct shmseq *c, const char *name, struct seq_row *row, struct seq_def *def)
{
	if (atomic_load(&c->ntemp) > 0) {
		pthread_mutex_lock(&c->lock);
		struct temp_seq *t = client_temp_find(c, name);
		if (t) {
			seq_live_row(&t->live, row);
			*def = t->live.def;
		}
		pthread_mutex_unlock(&c->lock);
		if (t)
			return 0;
	}
	struct wire_open req;
	if (wire_name_set(&req.name, name) < 0)
		return -EINVAL;
	struct wire_row_reply *rep = malloc(sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	int r = client_rpc(c, WIRE_ROW, &req, sizeof(req), rep, sizeof(*rep), true);
	if (r >= 0) {
		*row = rep->row;
		*def = rep->def;
		def->comment[def->comment_len <= SHMSEQ_COMMENT_MAX ? def->comment_len : 0] = 0;
		r = 0;
	}
	free(rep);
	return r;
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
		rc->numeric[i] = true;
		rc->isnull[i] = false;
		/* the value columns take the sequence's type (unsigned bigint) */
		if (i < 4)
			seq_value_format(def, v[i], rc->vals[i]);
		else
			fmt_i64(rc->vals[i], v[i]);
	}
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

/* --- expressions ------------------------------------------------------------------ */

static int find_col(const struct rowctx *rc, const char *name)
{
	for (size_t i = 0; rc && i < rc->n; i++)
		if (strcasecmp(rc->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* A [table.]column reference: the qualifier must name the FROM object
 * exactly (table names are case-sensitive), else the column is unknown. */
static bool table_matches(const struct rowctx *rc, const char *table)
{
	if (!rc || !rc->table)
		return false;
	return (rc->table_ci ? strcasecmp(table, rc->table) : strcmp(table, rc->table)) == 0;
}

static int find_qcol(const struct rowctx *rc, const char *table, const char *name)
{
	if (table[0] && !table_matches(rc, table))
		return -1;
	return find_col(rc, name);
}

/* "t.c" or "c" as MariaDB prints an unknown column. */
static void unknown_column(shmseq_result *res, const char *table, const char *name, const char *where)
{
	result_error(res, 1054, "Unknown column '%s%s%s' in '%s'", table, table[0] ? "." : "", name, where);
}

/* A WHERE operand's value: numeric or text; *null when NULL. */
struct val {
	bool null, num;
	__int128 i;
	const char *s;
	size_t len;
};

static int operand(const struct sql_expr *e, const struct rowctx *rc, struct val *v, shmseq_result *res)
{
	memset(v, 0, sizeof(*v));
	switch (e->kind) {
	case SQL_EXPR_INT:
		v->num = true;
		v->i = e->ival;
		return 0;
	case SQL_EXPR_STRING:
		v->s = e->str;
		v->len = e->str_len;
		return 0;
	case SQL_EXPR_NULL:
		v->null = true;
		return 0;
	case SQL_EXPR_COLUMN: {
		int i = find_qcol(rc, e->table, e->column);
		if (i < 0) {
			unknown_column(res, e->table, e->column, "WHERE");
			return -1;
		}
		v->null = rc->isnull[i];
		v->s = rc->vals[i];
		v->len = strlen(rc->vals[i]);
		if (rc->numeric[i]) {
			v->num = true;
			v->i = strtoll(rc->vals[i], NULL, 10);
			if (rc->vals[i][0] != '-' && strlen(rc->vals[i]) >= 19)
				v->i = (__int128)strtoull(rc->vals[i], NULL, 10);
		}
		return 0;
	}
	default:
		return 1; /* a boolean expression used as a value */
	}
}

static int eval(const struct sql_expr *e, const struct rowctx *rc, shmseq_result *res);

/* One side of a comparison: a value, or a boolean sub-expression as 0/1.
 * 0, or -1 with res failed. */
static int side(const struct sql_expr *e, const struct rowctx *rc, struct val *v, shmseq_result *res)
{
	int r = operand(e, rc, v, res);
	if (r <= 0)
		return r;
	int x = eval(e, rc, res);
	if (x < 0)
		return -1;
	*v = (struct val){.num = true, .i = x};
	return 0;
}

/* 1 true, 0 false or NULL, -1 error (res filled). */
static int eval(const struct sql_expr *e, const struct rowctx *rc, shmseq_result *res)
{
	switch (e->kind) {
	case SQL_EXPR_AND:
		for (size_t i = 0; i < e->n_args; i++) {
			int r = eval(e->args[i], rc, res);
			if (r <= 0)
				return r;
		}
		return 1;
	case SQL_EXPR_OR:
		for (size_t i = 0; i < e->n_args; i++) {
			int r = eval(e->args[i], rc, res);
			if (r != 0)
				return r;
		}
		return 0;
	case SQL_EXPR_NOT: {
		int r = eval(e->l, rc, res);
		return r < 0 ? r : !r;
	}
	case SQL_EXPR_CMP: {
		struct val a, b;
		if (side(e->l, rc, &a, res) < 0 || side(e->r, rc, &b, res) < 0)
			return -1;
		if (a.null || b.null)
			return 0;
		int cmp;
		if (a.num || b.num) {
			__int128 x = a.num ? a.i : (__int128)strtoll(a.s, NULL, 10);
			__int128 y = b.num ? b.i : (__int128)strtoll(b.s, NULL, 10);
			cmp = x < y ? -1 : x > y;
		} else {
			size_t n = a.len < b.len ? a.len : b.len;
			cmp = strncasecmp(a.s, b.s, n);
			if (cmp == 0)
				cmp = a.len < b.len ? -1 : a.len > b.len;
		}
		switch (e->cmp) {
		case SQL_CMP_EQ:
			return cmp == 0;
		case SQL_CMP_NE:
			return cmp != 0;
		case SQL_CMP_LT:
			return cmp < 0;
		case SQL_CMP_GT:
			return cmp > 0;
		case SQL_CMP_LE:
			return cmp <= 0;
		case SQL_CMP_GE:
			return cmp >= 0;
		}
		return 0;
	}
	default: {
		struct val v;
		int r = operand(e, rc, &v, res);
		if (r < 0)
			return -1;
		if (v.null)
			return 0;
		return v.num ? v.i != 0 : strtoll(v.s, NULL, 10) != 0;
	}
	}
}

/* --- select items ------------------------------------------------------------------ */

/* Evaluate one item into text (NULL text = SQL NULL). 0, or -1 with res
 * failed. */
static int item_value(struct shmseq *c, const struct sql_item *it, const struct rowctx *rc,
		      shmseq_result *res, char *buf, const char **out)
{
	int64_t v;
	int r;
	*out = buf;
	bool names_seq = it->kind == SQL_ITEM_NEXTVAL || it->kind == SQL_ITEM_LASTVAL ||
			 it->kind == SQL_ITEM_SETVAL;
	if (names_seq && other_db(c, &it->seq)) {
		/* MariaDB answers "unknown" for another database's sequence here */
		result_error(res, 4091, "Unknown SEQUENCE: '%s'", it->seq.name);
		return -1;
	}
	switch (it->kind) {
	case SQL_ITEM_NEXTVAL:
		r = shmseq_nextval(c, it->seq.name, &v);
		if (r < 0) {
			error_for(c, res, r, it->seq.name);
			return -1;
		}
		fmt_value(c, it->seq.name, v, buf);
		return 0;
	case SQL_ITEM_LASTVAL:
		r = shmseq_lastval(c, it->seq.name, &v);
		if (r == -ENODATA) {
			*out = NULL;
			return 0;
		}
		if (r < 0) {
			error_for(c, res, r, it->seq.name);
			return -1;
		}
		fmt_value(c, it->seq.name, v, buf);
		return 0;
	case SQL_ITEM_SETVAL:
		if (it->setval_big) {
			/* beyond INT64_MAX: only an unsigned sequence's type holds it;
			 * outside the type SETVAL answers NULL (11.5+) */
			r = seq_unsigned(c, it->seq.name);
			if (r < 0) {
				error_for(c, res, r, it->seq.name);
				return -1;
			}
			if (r == 0) {
				*out = NULL;
				return 0;
			}
		}
		r = shmseq_setval(c, it->seq.name, it->setval_value, it->setval_is_used, it->setval_round);
		if (r == -ENODATA) {
			*out = NULL;
			return 0;
		}
		if (r < 0) {
			error_for(c, res, r, it->seq.name);
			return -1;
		}
		if (it->setval_big)
			snprintf(buf, 24, "%" PRIu64, (uint64_t)it->setval_value);
		else
			fmt_i64(buf, it->setval_value);
		return 0;
	case SQL_ITEM_INT:
		if (it->ival > INT64_MAX || it->ival < INT64_MIN)
			snprintf(buf, 96, "%s", it->text);
		else
			fmt_i64(buf, (int64_t)it->ival);
		return 0;
	case SQL_ITEM_NULL:
		*out = NULL;
		return 0;
	case SQL_ITEM_COLUMN: {
		int i = find_qcol(rc, it->table, it->column);
		if (i < 0) {
			unknown_column(res, it->table, it->column, "SELECT");
			return -1;
		}
		*out = rc->isnull[i] ? NULL : rc->vals[i];
		return 0;
	}
	case SQL_ITEM_STAR:
		break;
	}
	result_error(res, 1096, "No tables used");
	return -1;
}

static bool item_numeric(const struct sql_item *it, const struct rowctx *rc)
{
	if (it->kind == SQL_ITEM_COLUMN) {
		int i = find_qcol(rc, it->table, it->column);
		return i >= 0 && rc->numeric[i];
	}
	return it->kind != SQL_ITEM_NULL;
}

/* Whether name denotes a sequence this connection can use: 0, -4091 or
 * another error. Takes nothing from the sequence (LASTVAL is read-only). */
static int seq_exists(struct shmseq *c, const char *name)
{
	if (atomic_load(&c->ntemp) > 0) {
		pthread_mutex_lock(&c->lock);
		bool temp = client_temp_find(c, name) != NULL;
		pthread_mutex_unlock(&c->lock);
		if (temp)
			return 0;
	}
	int64_t v;
	int r = shmseq_lastval(c, name, &v);
	return r == -ENODATA ? 0 : r;
}

/* MariaDB opens every sequence a statement names before it evaluates
 * anything: one missing name fails the whole statement and no other item
 * takes a value. The error is 4091 with the bare name, or, when the
 * statement has a FROM clause, 1146 with the qualified name. 0 or -1 with
 * res failed. */
static int open_items(struct shmseq *c, const struct sql_item *items, size_t n, bool has_from,
		      shmseq_result *res)
{
	for (size_t i = 0; i < n; i++) {
		const struct sql_item *it = &items[i];
		if (it->kind != SQL_ITEM_NEXTVAL && it->kind != SQL_ITEM_LASTVAL &&
		    it->kind != SQL_ITEM_SETVAL)
			continue;
		int r = other_db(c, &it->seq) ? -SHMSEQ_ERR_UNKNOWN_SEQUENCE : seq_exists(c, it->seq.name);
		if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE && has_from) {
			result_error(res, 1146, "Table '%s.%s' doesn't exist", db_in(c, &it->seq),
				     it->seq.name);
			return -1;
		}
		if (r < 0) {
			error_for(c, res, r, it->seq.name);
			return -1;
		}
	}
	return 0;
}

/* Headings, then one row per context row that passes WHERE. */
static void select_rows(struct shmseq *c, const struct sql_select *s, struct rowctx *rows, size_t nrows,
			shmseq_result *res)
{
	/* headings */
	for (size_t i = 0; i < s->n_items; i++) {
		const struct sql_item *it = &s->items[i];
		if (it->kind == SQL_ITEM_STAR) {
			if (it->table[0] && !table_matches(rows, it->table)) {
				/* t.* naming no table of the FROM clause */
				result_error(res, 1051, "Unknown table '%s.%s'", db_of(c), it->table);
				return;
			}
			if (!nrows && !rows) {
				result_error(res, 1096, "No tables used");
				return;
			}
			for (size_t k = 0; k < rows->n; k++)
				result_add_column(res, rows->names[k], strlen(rows->names[k]),
						  rows->numeric[k]);
			continue;
		}
		if (it->kind == SQL_ITEM_COLUMN && find_qcol(rows, it->table, it->column) < 0) {
			unknown_column(res, it->table, it->column, "SELECT");
			return;
		}
		if (it->alias)
			result_add_column(res, it->alias, it->alias_len, item_numeric(it, rows));
		else if (it->kind == SQL_ITEM_COLUMN)
			/* a column is headed by its name as typed, without qualifier
			 * or back quotes */
			result_add_column(res, it->column, strlen(it->column), item_numeric(it, rows));
		else
			result_add_column(res, it->text, it->text_len, item_numeric(it, rows));
	}
	for (size_t k = 0; k < nrows; k++) {
		struct rowctx *rc = rows ? &rows[k] : NULL;
		if (s->where) {
			int w = eval(s->where, rc, res);
			if (w < 0)
				return;
			if (!w)
				continue; /* filtered rows consume nothing */
		}
		long row = result_add_row(res);
		if (row < 0) {
			result_error(res, -ENOMEM, "out of memory");
			return;
		}
		size_t col = 0;
		for (size_t i = 0; i < s->n_items; i++) {
			const struct sql_item *it = &s->items[i];
			if (it->kind == SQL_ITEM_STAR) {
				for (size_t j = 0; j < rc->n; j++)
					result_set(res, (size_t)row, col++,
						   rc->isnull[j] ? NULL : rc->vals[j]);
				continue;
			}
			char buf[96];
			const char *txt;
			if (item_value(c, it, rc, res, buf, &txt) < 0)
				return;
			result_set(res, (size_t)row, col++, txt);
		}
	}
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

static void exec_select(struct shmseq *c, const struct sql_select *s, shmseq_result *res)
{
	if (!s->has_from) {
		struct rowctx none = {0};
		if (open_items(c, s->items, s->n_items, false, res) == 0)
			select_rows(c, s, &none, 1, res);
		return;
	}
	if (strcasecmp(s->from.db, "information_schema") == 0) {
		if (strcasecmp(s->from.name, "SEQUENCES") != 0) {
			result_error(res, 1109, "Unknown table '%s' in information_schema", s->from.name);
			return;
		}
		char(*names)[SHMSEQ_NAME_MAX + 1] = NULL;
		size_t n = 0;
		int r = list_names(c, &names, &n);
		if (r < 0) {
			error_for(c, res, r, "");
			return;
		}
		struct rowctx *rows = calloc(n ? n : 1, sizeof(*rows));
		size_t got = 0;
		for (size_t i = 0; rows && i < (n ? n : 1); i++) {
			/* headings come from rows[0] even when no row is produced */
			rows[i].n = ARRAY_SIZE(is_columns);
			rows[i].names = is_columns;
			rows[i].table = s->from.name;
			rows[i].table_ci = true;
		}
		for (size_t i = 0; rows && i < n; i++) {
			struct seq_row row;
			struct seq_def def;
			if (fetch_row(c, names[i], &row, &def) < 0)
				continue; /* dropped meanwhile */
			struct rowctx *rc = &rows[got++];
			const char *txt[] = {"def", db_of(c), names[i],
					     seq_type_name(def.type, def.is_unsigned)};
			for (int k = 0; k < 4; k++)
				snprintf(rc->vals[k], sizeof(rc->vals[k]), "%s", txt[k]);
			snprintf(rc->vals[4], 96, "%d", type_bits(def.type));
			snprintf(rc->vals[5], 96, "2");
			snprintf(rc->vals[6], 96, "0");
			seq_value_format(&def, def.start, rc->vals[7]);
			seq_value_format(&def, def.minvalue, rc->vals[8]);
			seq_value_format(&def, def.maxvalue, rc->vals[9]);
			fmt_i64(rc->vals[10], def.increment);
			snprintf(rc->vals[11], 96, "%s", def.cycle ? "YES" : "NO");
			for (int k = 0; k < 12; k++)
				rc->numeric[k] = k >= 4 && k <= 10;
		}
		if (!rows)
			result_error(res, -ENOMEM, "out of memory");
		else if (open_items(c, s->items, s->n_items, true, res) == 0)
			select_rows(c, s, rows, got, res);
		free(rows);
		free(names);
		return;
	}
	struct seq_row row;
	struct seq_def *def = malloc(sizeof(*def));
	if (!def) {
		result_error(res, -ENOMEM, "out of memory");
		return;
	}
	int r = other_db(c, &s->from) ? -SHMSEQ_ERR_UNKNOWN_SEQUENCE : fetch_row(c, s->from.name, &row, def);
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE)
		result_error(res, 1146, "Table '%s.%s' doesn't exist", db_in(c, &s->from), s->from.name);
	else if (r < 0)
		error_for(c, res, r, s->from.name);
	else if (open_items(c, s->items, s->n_items, true, res) == 0) {
		struct rowctx rc;
		rowctx_from_seq(&rc, &row, def);
		rc.table = s->from.name;
		select_rows(c, s, &rc, 1, res);
	}
	free(def);
}

/* --- statements -------------------------------------------------------------------- */

static void exec_create(struct shmseq *c, const struct sql_create *cr, shmseq_result *res)
{
	if (!check_db(c, res, &cr->name))
		return;
	int r;
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
		req->opt = cr->opt;
		r = client_rpc(c, WIRE_CREATE, req, sizeof(*req), &rep, sizeof(rep), false);
		free(req);
		if (r >= 0) {
			if (rep.note == SHMSEQ_ERR_TABLE_EXISTS)
				result_warn(res, "Note", 1050, "Table '%s' already exists", cr->name.name);
			for (int i = 0; i < rep.notes.count && i < 4; i++) {
				rep.notes.text[i][sizeof(rep.notes.text[i]) - 1] = 0;
				result_warn(res, "Note", rep.notes.code[i], "%s", rep.notes.text[i]);
			}
		}
	}
	if (r < 0)
		error_for(c, res, r, cr->name.name);
}

static void exec_alter(struct shmseq *c, const struct sql_alter *al, shmseq_result *res)
{
	if (other_db(c, &al->name)) {
		/* as for a missing sequence */
		if (al->if_exists)
			result_warn(res, "Note", 4091, "Unknown SEQUENCE: '%s.%s'", al->name.db,
				    al->name.name);
		else
			result_error(res, 4091, "Unknown SEQUENCE: '%s'", al->name.name);
		return;
	}
	bool temp = false;
	if (atomic_load(&c->ntemp) > 0) {
		pthread_mutex_lock(&c->lock);
		temp = client_temp_find(c, al->name.name) != NULL;
		pthread_mutex_unlock(&c->lock);
	}
	if (temp) {
		/* MariaDB 10.11 refuses ALTER SEQUENCE on a TEMPORARY sequence */
		result_error(res, 4091, "Unknown SEQUENCE: '%s'", al->name.name);
		return;
	}
	struct wire_ddl *req = calloc(1, sizeof(*req));
	struct wire_ddl_reply rep;
	if (!req) {
		result_error(res, -ENOMEM, "out of memory");
		return;
	}
	wire_name_set(&req->name, al->name.name);
	req->flags = al->if_exists ? WIRE_DDL_IF_EXISTS : 0;
	req->opt = al->opt;
	int r = client_rpc(c, WIRE_ALTER, req, sizeof(*req), &rep, sizeof(rep), false);
	free(req);
	if (r < 0)
		error_for(c, res, r, al->name.name);
	else if (rep.note == SHMSEQ_ERR_UNKNOWN_SEQUENCE)
		result_warn(res, "Note", 4091, "Unknown SEQUENCE: '%s.%s'", db_of(c), al->name.name);
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
	char unknown[4096] = "";
	size_t ulen = 0;
	int first_err = 0;
	char first_msg[256] = "";
	for (size_t i = 0; i < d->n_names; i++) {
		const char *name = d->names[i].name;
		bool done = false, missing = false;
		if (other_db(c, &d->names[i])) {
			missing = true; /* another database holds nothing here */
		} else if (d->kind == SQL_DROP_VIEW) {
			struct seq_row row;
			struct seq_def *def = malloc(sizeof(*def));
			int r = def ? fetch_row(c, name, &row, def) : -ENOMEM;
			free(def);
			if (r == 0) {
				if (d->if_exists)
					result_warn(res, "Warning", 1347, "'%s.%s' is not of type 'VIEW'",
						    db_of(c), name);
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

static void exec_show_create(struct shmseq *c, const struct sql_show *sh, bool table, shmseq_result *res)
{
	if (other_db(c, &sh->name)) {
		result_error(res, 1146, "Table '%s.%s' doesn't exist", sh->name.db, sh->name.name);
		return;
	}
	struct seq_row row;
	struct seq_def *def = malloc(sizeof(*def));
	if (!def) {
		result_error(res, -ENOMEM, "out of memory");
		return;
	}
	int r = fetch_row(c, sh->name.name, &row, def);
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		result_error(res, 1146, "Table '%s.%s' doesn't exist", db_of(c), sh->name.name);
	} else if (r < 0) {
		error_for(c, res, r, sh->name.name);
	} else {
		size_t need = seq_def_show_create(def, sh->name.name, NULL, 0) + 1;
		char *text = malloc(need + 1024 + 2 * SHMSEQ_COMMENT_MAX);
		if (text && !table) {
			seq_def_show_create(def, sh->name.name, text, need);
		} else if (text) {
			/* SHOW CREATE TABLE: the underlying one-row table (§7.3) */
			const char *t = seq_type_name(def->type, def->is_unsigned);
			char vt[64];
			static const int width[] = {21, 5, 7, 10, 12};
			snprintf(vt, sizeof(vt), "%.*s(%d)%s", (int)strcspn(t, " "), t,
				 width[def->type < 5 ? def->type : 0], def->is_unsigned ? " unsigned" : "");
			int n = snprintf(text, need + 1024,
					 "CREATE TABLE `%s` (\n"
					 "  `next_not_cached_value` %s NOT NULL,\n"
					 "  `minimum_value` %s NOT NULL,\n"
					 "  `maximum_value` %s NOT NULL,\n"
					 "  `start_value` %s NOT NULL COMMENT 'start value when sequences is "
					 "created or value if RESTART is used',\n"
					 "  `increment` bigint(21) NOT NULL COMMENT 'increment value',\n"
					 "  `cache_size` bigint(21) unsigned NOT NULL,\n"
					 "  `cycle_option` tinyint(1) unsigned NOT NULL COMMENT '0 if no "
					 "cycles are allowed, 1 if the sequence should begin a new cycle "
					 "when maximum_value is passed',\n"
					 "  `cycle_count` bigint(21) NOT NULL COMMENT 'How many cycles have "
					 "been done'\n"
					 ") ENGINE=InnoDB SEQUENCE=1",
					 sh->name.name, vt, vt, vt, vt);
			if (def->comment_len && n > 0)
				snprintf(text + n, need + 1024 - (size_t)n, " COMMENT='%s'", def->comment);
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

static void exec_show_tables(struct shmseq *c, const struct sql_show *sh, shmseq_result *res)
{
	if (sh->name.db[0] && strcmp(sh->name.db, db_of(c)) != 0) {
		result_error(res, 1049, "Unknown database '%s'", sh->name.db);
		return;
	}
	char heading[SHMSEQ_NAME_MAX + 16];
	int hl = snprintf(heading, sizeof(heading), "Tables_in_%s", db_of(c));
	char(*names)[SHMSEQ_NAME_MAX + 1] = NULL;
	size_t n = 0;
	int r = list_names(c, &names, &n);
	if (r < 0) {
		error_for(c, res, r, "");
		return;
	}
	result_add_column(res, heading, (size_t)hl, false);
	if (sh->full)
		result_add_column(res, "Table_type", 10, false);
	for (size_t i = 0; i < n; i++) {
		long row = result_add_row(res);
		if (row < 0)
			break;
		result_set(res, (size_t)row, 0, names[i]);
		if (sh->full)
			result_set(res, (size_t)row, 1, "SEQUENCE");
	}
	free(names);
}

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
	struct wire_insert req = {.row = *row};
	wire_name_set(&req.name, name);
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
	if (other_db(c, &in->table)) {
		result_error(res, 1146, "Table '%s.%s' doesn't exist", in->table.db, in->table.name);
		return;
	}
	{
		/* the table is opened before columns and values are looked at */
		struct seq_row row0;
		struct seq_def *def = malloc(sizeof(*def));
		int r = def ? fetch_row(c, in->table.name, &row0, def) : -ENOMEM;
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
		if (rr < 0) {
			error_for(c, res, rr, in->table.name);
			return;
		}
	}
}

static void exec_one(struct shmseq *c, const char *text, size_t len, shmseq_result *res)
{
	struct sql_stmt *st = NULL;
	struct sql_error err = {0};
	int r = sql_parse(text, len, &st, &err);
	if (r < 0) {
		if (err.code)
			result_error(res, err.code, "%s", err.message);
		else
			result_error(res, r, "%s", shmseq_strerror(r));
		return;
	}
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
		exec_select(c, &st->u.select, res);
		break;
	case SQL_DO: {
		if (open_items(c, st->u.do_.items, st->u.do_.n_items, false, res) < 0)
			break;
		for (size_t i = 0; i < st->u.do_.n_items; i++) {
			char buf[96];
			const char *txt;
			if (item_value(c, &st->u.do_.items[i], NULL, res, buf, &txt) < 0)
				break;
		}
		break;
	}
	case SQL_SHOW_CREATE_SEQUENCE:
	case SQL_SHOW_CREATE_TABLE:
		exec_show_create(c, &st->u.show, st->kind == SQL_SHOW_CREATE_TABLE, res);
		break;
	case SQL_SHOW_TABLES:
		exec_show_tables(c, &st->u.show, res);
		break;
	case SQL_INSERT:
		exec_insert(c, &st->u.insert, res);
		break;
	}
	sql_stmt_free(st);
}

SHMSEQ_API int shmseq_exec(shmseq *c, const char *sql, shmseq_result **out)
{
	if (!c || !sql || !out)
		return -EINVAL;
	*out = NULL;
	struct sql_piece *pieces;
	size_t n;
	int r = sql_split(sql, strlen(sql), &pieces, &n);
	if (r < 0)
		return r;
	shmseq_result *head = NULL;
	for (size_t i = 0; i < n; i++) {
		shmseq_result *res = result_new(sql + pieces[i].off, pieces[i].len);
		if (!res) {
			free(pieces);
			shmseq_result_free(head);
			return -ENOMEM;
		}
		exec_one(c, sql + pieces[i].off, pieces[i].len, res);
		if (head)
			result_chain(head, res);
		else
			head = res;
		if (shmseq_result_error(res))
			break; /* statements after a failed one are not run */
	}
	free(pieces);
	*out = head;
	return 0;
}
