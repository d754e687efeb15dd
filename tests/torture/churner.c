/* SPDX-License-Identifier: MIT */
/* churner.c — the DDL churner: CREATE, ALTER ... RESTART, SETVAL, DROP, and
 * after each daemon restart the check that acknowledged DDL survived. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torture.h"

/* ------------------------------------------------------------------------ */
/* the DDL churner                                                          */

struct model {
	bool present;
	bool created; /* era is meaningful */
	uint32_t era;
	/* an unknown outcome: the state is either the above or alt_* */
	bool unknown;
	bool alt_present;
	uint32_t alt_era;
	uint64_t fail_tag; /* tag read after the failed call */
	const char *what;  /* the statement of unknown outcome */
	bool rotate;	   /* the era's range is a quarter used: move on */
};

struct row {
	int64_t next, min, max, start, inc, cache, cycle, cycle_count;
};

/* The churner's state (its process only). */
static struct churner {
	struct model model[MAX_SEQ]; /* acknowledged DDL, per sequence */
	shmseq *conn;
	uint64_t rng;
	uint64_t setval_idx[MAX_SEQ]; /* highest SETVAL index asked of the era */
} ch;

/* Run one statement; 0 and the result in *out (if out), or its error. */
static int exec1(const char *sql, shmseq_result **out)
{
	shmseq_result *res = NULL;
	int r = shmseq_exec(ch.conn, sql, &res);
	if (r < 0)
		return r;
	r = shmseq_result_error(res);
	if (r < 0 || !out)
		shmseq_result_free(res);
	else
		*out = res;
	return r;
}

static int read_row(unsigned k, struct row *row)
{
	char sql[96];
	shmseq_result *res;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", run.names[k]);
	int r = exec1(sql, &res);
	if (r < 0)
		return r;
	int64_t *f[] = {&row->next, &row->min,	 &row->max,   &row->start,
			&row->inc,  &row->cache, &row->cycle, &row->cycle_count};
	if (shmseq_result_rows(res) != 1 || shmseq_result_columns(res) < 8) {
		shmseq_result_free(res);
		return -EBADMSG;
	}
	for (size_t i = 0; i < 8; i++) {
		const char *s = shmseq_result_value(res, 0, i);
		char *end;
		errno = 0;
		long long x = s ? strtoll(s, &end, 10) : 0;
		if (!s || errno || *end) {
			shmseq_result_free(res);
			return -EBADMSG;
		}
		*f[i] = x;
	}
	shmseq_result_free(res);
	return 0;
}

static bool row_matches(const struct row *row, const struct era_def *d)
{
	return row->min == d->min && row->max == d->max && row->start == d->start && row->inc == d->inc &&
	       row->cache == d->cache && row->cycle == (d->cycle ? 1 : 0);
}

static void publish(unsigned k)
{
	struct seq_state *ss = &run.sh->seq[k];
	struct model *m = &ch.model[k];
	atomic_store_explicit(&ss->era, m->era, memory_order_relaxed);
	atomic_store_explicit(&ss->present, m->present, memory_order_relaxed);
	atomic_store_explicit(&ss->created, m->created, memory_order_relaxed);
	/* even again: pairs with the workers' acquire loads of ver */
	atomic_fetch_add_explicit(&ss->ver, 1, memory_order_release);
}

static void begin_ddl(unsigned k, uint32_t new_era)
{
	struct seq_state *ss = &run.sh->seq[k];
	if (new_era > atomic_load_explicit(&ss->max_era, memory_order_relaxed) ||
	    !atomic_load_explicit(&ss->created, memory_order_relaxed))
		atomic_store_explicit(&ss->max_era, new_era, memory_order_release);
	atomic_fetch_add_explicit(&ss->ver, 1, memory_order_release); /* odd */
	atomic_thread_fence(memory_order_seq_cst);
}

static void format_show_create(unsigned k, const struct era_def *d, char *buf, size_t len)
{
	char cache[32];
	if (d->cache == 0)
		snprintf(cache, sizeof(cache), "nocache");
	else
		snprintf(cache, sizeof(cache), "cache %" PRId64, d->cache);
	snprintf(buf, len,
		 "CREATE SEQUENCE `%s` start with %" PRId64 " minvalue %" PRId64 " maxvalue %" PRId64
		 " increment by %" PRId64 " %s %s ENGINE=InnoDB",
		 run.names[k], d->start, d->min, d->max, d->inc, cache, d->cycle ? "cycle" : "nocycle");
}

/* Gather, before reading the position, the values the workers reported for
 * era e of k: the largest (ascending) or smallest (descending). */
static bool reported_extreme(unsigned k, uint32_t e, bool up, int64_t *out)
{
	bool any = false;
	int64_t x = 0;
	for (unsigned s = 0; s < cfg.processes * cfg.threads; s++) {
		int64_t v = atomic_load_explicit(&run.sh->slots[s].last[k], memory_order_relaxed);
		if (v == INT64_MIN || seq_of(v) != k || era_of(v) != e)
			continue;
		if (!any || (up ? v > x : v < x))
			x = v;
		any = true;
	}
	*out = x;
	return any;
}

/* Check sequence k against the model (resolving an unknown outcome).
 * 0 done, 1 skipped (cannot resolve yet), <0 a connection error. */
static int verify_seq(unsigned k, uint64_t tag, bool full)
{
	struct model *m = &ch.model[k];
	if (m->unknown && !(tag > m->fail_tag && !(tag & 1)))
		return 1;
	struct era_def d;
	int64_t extreme = 0;
	bool have_extreme = false;
	if (m->present && !m->unknown) {
		era_def(k, m->era, &d);
		if (!d.cycle)
			have_extreme = reported_extreme(k, m->era, d.inc > 0, &extreme);
		atomic_thread_fence(memory_order_seq_cst);
	}
	struct row row;
	int r = read_row(k, &row);
	if (r < 0 && tolerated(r) >= 0)
		return r;
	bool absent = r == -SHMSEQ_ERR_NO_SUCH_TABLE || r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE;
	if (r < 0 && !absent) {
		violation(V_ERROR, "SELECT * FROM %s: %d (%s)", run.names[k], r, shmseq_strerror(r));
		return 0;
	}
	atomic_fetch_add(&run.sh->verify_seqs, 1);
	if (m->unknown) {
		/* either outcome is fine; anything else is not */
		struct era_def da, db;
		bool is_old = false, is_new = false;
		if (absent) {
			is_old = !m->present;
			is_new = !m->alt_present;
		} else {
			if (m->present) {
				era_def(k, m->era, &da);
				is_old = row_matches(&row, &da);
			}
			if (m->alt_present) {
				era_def(k, m->alt_era, &db);
				is_new = row_matches(&row, &db);
			}
		}
		if (!is_old && !is_new) {
			violation(V_LOST_DDL,
				  "%s: after an unacknowledged %s the sequence is %s, neither "
				  "the state before (%s era %u) nor after (%s era %u)",
				  run.names[k], m->what,
				  absent ? "absent" : "present with another definition",
				  m->present ? "present" : "absent", m->era,
				  m->alt_present ? "present" : "absent", m->alt_era);
			if (!absent) {
				/* adopt what is there so the run can go on */
				m->present = true;
				m->era = era_of(row.min);
			} else {
				m->present = false;
			}
		} else if (is_new && !(is_old && m->present == m->alt_present && m->era == m->alt_era)) {
			if (!is_old)
				atomic_fetch_add(&run.sh->ddl_unknown_applied, 1);
			m->present = m->alt_present;
			m->era = m->alt_era;
			m->created = m->created || m->alt_present;
		}
		m->unknown = false;
		publish(k);
		return 0;
	}
	if (!m->created)
		return 0;
	if (!m->present) {
		if (!absent)
			violation(V_LOST_DDL,
				  "%s: acknowledged DROP undone: the sequence exists again "
				  "(minvalue %" PRId64 ", era %u)",
				  run.names[k], row.min, era_of(row.min));
		return 0;
	}
	if (absent) {
		violation(V_LOST_DDL,
			  "%s: acknowledged CREATE/ALTER of era %u lost: the sequence "
			  "does not exist",
			  run.names[k], m->era);
		return 0;
	}
	if (!row_matches(&row, &d)) {
		violation(V_LOST_DDL,
			  "%s: acknowledged definition of era %u (start %" PRId64 " min %" PRId64
			  " max %" PRId64 " inc %" PRId64 " cache %" PRId64 " cycle %d) but the daemon "
			  "has start %" PRId64 " min %" PRId64 " max %" PRId64 " inc %" PRId64
			  " cache %" PRId64 " cycle %" PRId64,
			  run.names[k], m->era, d.start, d.min, d.max, d.inc, d.cache, d.cycle, row.start,
			  row.min, row.max, row.inc, row.cache, row.cycle);
		return 0;
	}
	if (!d.cycle) {
		if (row.cycle_count != 0)
			violation(V_LOST_DDL, "%s: NOCYCLE sequence with cycle_count %" PRId64, run.names[k],
				  row.cycle_count);
		if (have_extreme && (d.inc > 0 ? row.next < extreme + d.inc : row.next > extreme + d.inc))
			violation(V_POSITION,
				  "%s (%s) era %u: next_not_cached_value %" PRId64 " but %" PRId64
				  " was already handed out (increment %" PRId64 ", tag %" PRIu64 ")",
				  run.names[k], kind_names[kind_of(k)], m->era, row.next, extreme, d.inc,
				  tag);
		/* move on long before the range could run out */
		int64_t idx = lattice_index(&d, row.next);
		if (idx < 0 || idx > (INT64_C(1) << (ERA_SHIFT - 3)) / (d.inc > 0 ? d.inc : -d.inc))
			m->rotate = true;
	}
	if (full) {
		char sql[96], want[512];
		shmseq_result *res;
		snprintf(sql, sizeof(sql), "SHOW CREATE SEQUENCE %s", run.names[k]);
		r = exec1(sql, &res);
		if (r < 0)
			return tolerated(r) >= 0 ? r : 0;
		format_show_create(k, &d, want, sizeof(want));
		const char *got = shmseq_result_rows(res) == 1 ? shmseq_result_value(res, 0, 1) : NULL;
		if (!got || strcmp(got, want) != 0)
			violation(V_LOST_DDL, "%s: SHOW CREATE SEQUENCE answers '%s', acknowledged '%s'",
				  run.names[k], got ? got : "(nothing)", want);
		shmseq_result_free(res);
	}
	return 0;
}

/* A verification pass over every sequence. 0 complete, <0 interrupted. */
static int verify_all(uint64_t tag, bool full)
{
	for (unsigned k = 0; k < cfg.sequences; k++) {
		int r = verify_seq(k, tag, full);
		if (r < 0)
			return r;
		if (r > 0 && full)
			return -EAGAIN;
	}
	atomic_fetch_add(&run.sh->verify_passes, 1);
	return 0;
}

static void set_def(struct shmseq_def *def, const struct era_def *d)
{
	memset(def, 0, sizeof(*def));
	def->set = SHMSEQ_SET_START | SHMSEQ_SET_INCREMENT | SHMSEQ_SET_MINVALUE | SHMSEQ_SET_MAXVALUE |
		   SHMSEQ_SET_CACHE | SHMSEQ_SET_CYCLE;
	def->start = d->start;
	def->increment = d->inc;
	def->minvalue = d->min;
	def->maxvalue = d->max;
	def->cache = d->cache;
	def->cycle = d->cycle;
}

static int sql_options(char *buf, size_t len, const struct era_def *d)
{
	char cache[32];
	if (d->cache == 0)
		snprintf(cache, sizeof(cache), "NOCACHE");
	else
		snprintf(cache, sizeof(cache), "CACHE %" PRId64, d->cache);
	return snprintf(buf, len,
			"START WITH %" PRId64 " MINVALUE %" PRId64 " MAXVALUE %" PRId64
			" INCREMENT BY %" PRId64 " %s %s",
			d->start, d->min, d->max, d->inc, cache, d->cycle ? "CYCLE" : "NOCYCLE");
}
static const char *const op_names[] = {"CREATE", "CREATE OR REPLACE", "ALTER ... RESTART", "SETVAL",
				       "DROP",	 "SETVAL (ignored)"};

/* One DDL statement on sequence k. */
static void churn_one(unsigned k)
{
	struct model *m = &ch.model[k];
	if (m->unknown)
		return;
	bool sql = rnd(&ch.rng) & 1;
	enum ddl_op op;
	uint64_t pick = rnd(&ch.rng) % 100;
	if (!m->present)
		op = OP_CREATE;
	else if (m->rotate)
		op = OP_ALTER;
	else if (pick < 35)
		op = OP_SETVAL;
	else if (pick < 60)
		op = OP_ALTER;
	else if (pick < 85)
		op = OP_REPLACE;
	else
		op = OP_DROP;
	m->rotate = false;

	uint32_t new_era = m->created ? m->era + 1 : 0;
	if (new_era > ERA_MAX) {
		fprintf(stderr, "shmseq-torture: %s has used all %u eras; ending its churn\n", run.names[k],
			ERA_MAX + 1);
		return;
	}
	struct era_def d, cur;
	era_def(k, new_era, &d);
	if (m->present)
		era_def(k, m->era, &cur);
	char buf[512], opts[400];
	struct shmseq_def def;
	int r;
	int64_t setval_v = 0, setval_idx = 0;
	uint64_t round = 0;

	if (op == OP_SETVAL) {
		/* forward from the current position, on the lattice */
		struct row row;
		r = read_row(k, &row);
		if (r < 0) {
			if (tolerated(r) < 0 && r != -SHMSEQ_ERR_NO_SUCH_TABLE)
				violation(V_ERROR, "SELECT * FROM %s before SETVAL: %d (%s)", run.names[k], r,
					  shmseq_strerror(r));
			atomic_fetch_add(&run.sh->churner_tol, 1);
			return;
		}
		int64_t mag = cur.inc > 0 ? cur.inc : -cur.inc;
		int64_t idx = lattice_index(&cur, row.next);
		if (idx < 0)
			idx = cur.cycle ? 0 : (int64_t)ch.setval_idx[k];
		int64_t room = (cur.max - cur.min) / mag;
		int64_t jump = cur.cycle ? (int64_t)rnd_range(&ch.rng, 0, (uint64_t)room / 4)
					 : (int64_t)rnd_range(&ch.rng, 1, 1000000);
		setval_idx = idx + jump;
		if (cur.cycle && setval_idx >= room)
			setval_idx = room - 1;
		setval_v = cur.inc > 0 ? cur.start + setval_idx * mag : cur.start - setval_idx * mag;
		round = (uint64_t)row.cycle_count;
		if (!cur.cycle) {
			uint32_t i = atomic_fetch_add(&run.sh->nsetval, 1);
			if (i < SETVAL_LOG_MAX) {
				run.sh->setvals[i].k = k;
				run.sh->setvals[i].era = m->era;
				run.sh->setvals[i].idx = setval_idx;
			} else {
				return; /* the gap analysis could not explain it */
			}
		}
		new_era = m->era;
	} else if (op == OP_DROP) {
		new_era = m->era;
	}

	begin_ddl(k, new_era);
	switch (op) {
	case OP_CREATE:
	case OP_REPLACE:
		if (sql) {
			sql_options(opts, sizeof(opts), &d);
			snprintf(buf, sizeof(buf), "CREATE %sSEQUENCE %s %s",
				 op == OP_REPLACE ? "OR REPLACE " : "", run.names[k], opts);
			r = exec1(buf, NULL);
		} else {
			set_def(&def, &d);
			r = shmseq_create(ch.conn, run.names[k], &def,
					  op == OP_REPLACE ? SHMSEQ_OR_REPLACE : 0);
		}
		break;
	case OP_ALTER:
		if (sql) {
			sql_options(opts, sizeof(opts), &d);
			/* CYCLE/NOCYCLE is the same for every era of a kind */
			snprintf(buf, sizeof(buf), "ALTER SEQUENCE %s %s %s", run.names[k], opts,
				 rnd(&ch.rng) & 1 ? "RESTART" : "RESTART WITH ");
			if (buf[strlen(buf) - 1] == ' ')
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%" PRId64, d.start);
			r = exec1(buf, NULL);
		} else {
			set_def(&def, &d);
			def.set &= ~(unsigned)SHMSEQ_SET_CYCLE;
			if (rnd(&ch.rng) & 1) {
				def.set |= SHMSEQ_SET_RESTART;
				def.restart = d.start;
			} else {
				def.set |= SHMSEQ_SET_RESTART_START;
			}
			r = shmseq_alter(ch.conn, run.names[k], &def);
		}
		break;
	case OP_SETVAL:
		if (sql) {
			shmseq_result *res;
			snprintf(buf, sizeof(buf), "SELECT SETVAL(%s, %" PRId64 ", 1, %" PRIu64 ")",
				 run.names[k], setval_v, round);
			r = exec1(buf, &res);
			if (r == 0) {
				if (shmseq_result_rows(res) == 1 && !shmseq_result_value(res, 0, 0))
					op = OP_SETVAL_IGNORED;
				shmseq_result_free(res);
			}
		} else {
			r = shmseq_setval(ch.conn, run.names[k], setval_v, true, round);
			if (r == -ENODATA) {
				r = 0;
				op = OP_SETVAL_IGNORED;
			}
		}
		if (r == 0 && (uint64_t)setval_idx > ch.setval_idx[k])
			ch.setval_idx[k] = (uint64_t)setval_idx;
		break;
	case OP_DROP:
		if (sql) {
			snprintf(buf, sizeof(buf), "DROP SEQUENCE %s", run.names[k]);
			r = exec1(buf, NULL);
		} else {
			r = shmseq_drop(ch.conn, run.names[k]);
		}
		break;
	default:
		r = -EINVAL;
		break;
	}
	uint64_t fail_tag = atomic_load(&run.sh->tag);
	bool to_present = op != OP_DROP;
	if (r == 0) {
		atomic_fetch_add(&run.sh->ddl_ok, 1);
		atomic_fetch_add(&run.sh->ddl_ops[op], 1);
		if (op != OP_SETVAL && op != OP_SETVAL_IGNORED && op != OP_DROP) {
			m->era = new_era;
			m->created = true;
			ch.setval_idx[k] = 0;
		}
		m->present = to_present;
		publish(k);
		return;
	}
	if (tolerated(r) < 0)
		violation(V_ERROR, "%s on %s (%s, era %u -> %u, %s): %d (%s)", op_names[op], run.names[k],
			  kind_names[kind_of(k)], m->era, new_era, sql ? "SQL" : "typed call", r,
			  shmseq_strerror(r));
	/* unknown outcome: resolved by the first verification pass after a
	 * later daemon has replayed the log */
	atomic_fetch_add(&run.sh->ddl_unknown, 1);
	m->unknown = true;
	m->alt_present = to_present;
	m->alt_era = (op == OP_SETVAL || op == OP_DROP) ? m->era : new_era;
	m->fail_tag = fail_tag;
	m->what = op_names[op];
	if (!m->created && op == OP_CREATE) {
		/* nothing to fall back to: "absent" is the old state */
		m->present = false;
	}
}

void churner_main(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	ch.rng = mix64(run.seed ^ UINT64_C(0xc4c4c4c4));
	uint64_t verified_tag = UINT64_MAX, passes = 0;
	uint64_t next_ddl = now_ms();
	while (atomic_load(&run.sh->phase) != PH_EXIT) {
		if (!ch.conn) {
			int r = shmseq_connect(NULL, &ch.conn);
			if (r < 0) {
				ch.conn = NULL;
				if (tolerated(r) < 0)
					violation(V_ERROR, "churner: shmseq_connect %d (%s)", r,
						  shmseq_strerror(r));
				sleep_us(1000);
				continue;
			}
		}
		uint64_t tag = atomic_load(&run.sh->tag);
		uint64_t req = atomic_load(&run.sh->verify_req);
		if (req != atomic_load(&run.sh->verify_done) && !(tag & 1)) {
			if (verify_all(tag, true) == 0) {
				verified_tag = tag;
				atomic_store(&run.sh->verify_done, req);
			} else {
				sleep_us(1000);
			}
			continue;
		}
		if (!(tag & 1) && tag != verified_tag) {
			if (verify_all(tag, passes++ % 8 == 0) == 0)
				verified_tag = tag;
			else
				atomic_fetch_add(&run.sh->churner_tol, 1);
		}
		/* resolve unknown outcomes as soon as a later daemon serves */
		if (!(tag & 1) && tag == verified_tag)
			for (unsigned k = 0; k < cfg.sequences; k++)
				if (ch.model[k].unknown && tag > ch.model[k].fail_tag)
					verify_seq(k, tag, false);
		if (atomic_load(&run.sh->phase) == PH_RUN && now_ms() >= next_ddl) {
			int uncreated = -1;
			for (unsigned k = 0; k < cfg.sequences && uncreated < 0; k++)
				if (!ch.model[k].created)
					uncreated = (int)k;
			if (uncreated >= 0)
				churn_one((unsigned)uncreated);
			else if (cfg.ddl)
				churn_one((unsigned)(rnd(&ch.rng) % cfg.sequences));
			next_ddl = now_ms() +
				   (uncreated >= 0 ? 0 : rnd_range(&ch.rng, cfg.ddl_min, cfg.ddl_max));
		} else {
			sleep_us(1000);
		}
	}
	shmseq_disconnect(ch.conn);
	_exit(0);
}
