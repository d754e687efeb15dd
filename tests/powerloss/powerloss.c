/* SPDX-License-Identifier: MIT */
/* powerloss.c — the whole daemon through real power losses.
 *
 * The data directory lives on plfs (plfs.c): a FUSE filesystem that keeps
 * what was written but not synced in memory and drops it at a power loss.
 * Each cycle:
 *
 *   1. start shmseqd (data directory on plfs, a private runtime directory),
 *      W client processes drawing values from NSEQ sequences (NOCACHE, CACHE
 *      2, 20 and 1000, and a CYCLE one) and a DDL churner (CREATE, CREATE OR
 *      REPLACE, ALTER … RESTART, SETVAL, DROP), which records every statement
 *      before it sends it and marks it acknowledged when it returns;
 *   2. cut the power at a random moment: SIGKILL the daemon, its region
 *      keeper, the clients and the churner at once (one process group), then
 *      "reboot": the runtime directory and the instance lock go, and plfs
 *      drops every unsynced change (with --prefix, each file and directory
 *      keeps a random in-order prefix of its unsynced changes instead);
 *   3. one cycle in eight cuts the power while the daemon is still starting;
 *   4. restart the daemon and check.
 *
 * Checks:
 *  - the daemon starts (a refusal is a failure: nothing here damages a disk);
 *  - every acknowledged CREATE, CREATE OR REPLACE, ALTER and DROP is
 *    reflected (SELECT * FROM s: present with its definition, or absent); a
 *    statement in flight at the cut resolved to the old or the new state;
 *  - after an acknowledged SETVAL, and for every value handed out, the
 *    sequence's next_not_cached_value lies beyond it;
 *  - no value handed out twice across all cycles. Sequence k in era e (each
 *    CREATE, OR REPLACE or ALTER … RESTART starts a new era) lives in its own
 *    range [(k+1)·2^54 + e·2^32, +2^32), so a value's identity is read off
 *    its bits and uniqueness is global. A statement lost in flight gives its
 *    era to the next one: values leaked from a lost CREATE would repeat. For
 *    the CYCLE sequence (a range of 10,000, which wraps) bounds only;
 *  - every gap within the README's bound: between two values of an era that
 *    no SETVAL explains, at most n × (2 × reserve-ahead + CACHE + 2W) values
 *    where n is the number of power losses between them (W: values a client
 *    may hold at a cut without having recorded them). With --prefix each loss
 *    may add what the log replay skips past a torn last record (the largest
 *    reserve-ahead + 1,024), and one such skip more is allowed (one has been
 *    seen land within a daemon life); such gaps are counted apart.
 *
 * Bounded by --cycles and --duration; seeded (--seed, printed). Exit 0 when
 * clean, 1 on any violation, 77 (skip) without /dev/fuse, plfs or the
 * daemon. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../integration/harness.h"
#include "shmseq.h"
#include "util.h"

#define NSEQ 5
#define MAXW 8
#define LOG_CAP (1u << 20) /* values per client per cycle */
#define SETVAL_CAP 65536   /* per cycle */
#define ERA_BITS 32
#define AHEAD_CAP 16777216ull

static const struct {
	const char *name;
	int64_t cache; /* 0: NOCACHE */
	bool cycle;
} SEQ[NSEQ] = {
	{"pl_nocache", 0, false},      {"pl_cache2", 2, false}, {"pl_cache20", 20, false},
	{"pl_cache1000", 1000, false}, {"pl_cycle", 10, true},
};

enum ddl { D_CREATE, D_REPLACE, D_RESTART, D_SETVAL, D_DROP, ND };
static const char *const DDL_NAME[ND] = {"CREATE", "CREATE OR REPLACE", "ALTER RESTART", "SETVAL", "DROP"};

struct seqstate {
	bool exists;
	uint32_t era;
};

struct rec {
	int64_t v;
	uint32_t k;
	uint32_t pad;
};

struct wlog {
	_Atomic uint64_t n;
	struct rec r[LOG_CAP];
};

struct setval_rec {
	uint32_t k, era;
	int64_t t;
	bool acked, ignored;
};

/* What the churner and the clients share with the driver (MAP_SHARED). */
struct shared {
	struct seqstate ack[NSEQ]; /* the acknowledged state */
	uint32_t next_era[NSEQ];   /* the era the next new-era statement takes */
	struct {
		_Atomic int active;  /* a statement was sent */
		_Atomic int acked;   /* … and it returned success */
		_Atomic int counted; /* … and the churner counted it */
		uint32_t k;
		enum ddl op;
		struct seqstate after;
		int64_t t; /* SETVAL target */
	} pend;
	_Atomic uint64_t acked_ddl[ND];
	_Atomic uint64_t nborn; /* eras a statement of this cycle may have started */
	struct {
		uint32_t k, era;
	} born[SETVAL_CAP];
	_Atomic int64_t hint[NSEQ]; /* largest value drawn, for SETVAL targets */
	_Atomic uint64_t nsetval;
	struct setval_rec setval[SETVAL_CAP];
	_Atomic uint64_t client_errors;
	_Atomic int unexpected; /* an answer the model cannot explain */
	char unexpected_text[256];
	struct wlog w[];
};

static struct {
	uint64_t seed;
	unsigned cycles, workers;
	double duration;
	unsigned max_cut_ms;
	bool prefix, keep;
	const char *plfs;
	const char *daemon_args; /* appended to the daemon's (a shell word list) */
} cfg = {.seed = 0, .cycles = 1000, .workers = 3, .duration = 3600, .max_cut_ms = 400};

static struct shared *sh;
static struct daemon dm;
static char mnt[300], datadir[320], errlog[320];
static uint64_t rng;
static unsigned cycle; /* power losses so far */

static struct {
	uint64_t losses, startup_losses, values, cycle_values, dups, oob, lost_ddl, wrong_def, behind,
		refused, gaps_over, gaps_tail, unexpected, resolved_new, resolved_old, inflight, armed;
	uint64_t max_gap[NSEQ], max_allowed[NSEQ], max_sv_gap[NSEQ], max_sv_losses[NSEQ];
} fig;

static uint64_t rnd(void)
{
	uint64_t x = rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng = x;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static unsigned nviol;
static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
	va_list ap;
	if (++nviol > 50)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "powerloss: VIOLATION (cycle %u): ", cycle);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* --- identities ------------------------------------------------------------ */

static int64_t era_lo(uint32_t k, uint32_t e)
{
	return (int64_t)(((uint64_t)k + 1) << 54) + (int64_t)((uint64_t)e << ERA_BITS);
}

static int64_t era_hi(uint32_t k, uint32_t e)
{
	return era_lo(k, e) + (SEQ[k].cycle ? 9999 : (int64_t)((1ull << ERA_BITS) - 1));
}

static void decode(int64_t v, uint32_t *k, uint32_t *e)
{
	*k = (uint32_t)(((uint64_t)v >> 54) - 1);
	*e = (uint32_t)(((uint64_t)v >> ERA_BITS) & ((1u << 22) - 1));
}

static struct shmseq_def era_def(uint32_t k, uint32_t e, bool alter)
{
	struct shmseq_def d = {0};
	d.set = SHMSEQ_SET_START | SHMSEQ_SET_MINVALUE | SHMSEQ_SET_MAXVALUE | SHMSEQ_SET_INCREMENT |
		SHMSEQ_SET_CACHE | SHMSEQ_SET_CYCLE;
	d.start = d.minvalue = era_lo(k, e);
	d.maxvalue = era_hi(k, e);
	d.increment = 1;
	d.cache = SEQ[k].cache;
	d.cycle = SEQ[k].cycle;
	if (alter) {
		d.set |= SHMSEQ_SET_RESTART;
		d.restart = d.start;
	}
	return d;
}

static uint64_t reserve_bound(int64_t cache)
{
	if (cache <= 1)
		return 1;
	uint64_t c = (uint64_t)cache, max = c * 1024u;
	if (max > AHEAD_CAP)
		max = c > AHEAD_CAP ? c : AHEAD_CAP;
	return max;
}

/* README "What a crash costs", per power loss, and the slack of values a
 * client holds at the cut: a ticket taken and a value not yet recorded. */
static uint64_t per_loss_bound(uint32_t k)
{
	uint64_t c = SEQ[k].cache > 1 ? (uint64_t)SEQ[k].cache : 1;
	return 2 * reserve_bound(SEQ[k].cache) + c + 2ull * cfg.workers;
}

/* What the replay skips past a torn last record (catalog: the largest
 * reserve-ahead + 1,024). */
static uint64_t tail_skip(uint32_t k)
{
	return reserve_bound(SEQ[k].cache) + 1024;
}

static void unexpected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void unexpected(const char *fmt, ...)
{
	va_list ap;
	if (atomic_exchange(&sh->unexpected, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->unexpected_text, sizeof(sh->unexpected_text), fmt, ap);
	va_end(ap);
}

/* --- clients --------------------------------------------------------------- */

/* The daemon went away (the cut is coming). */
static bool conn_error(int r)
{
	return r == -ECONNREFUSED || r == -ECONNRESET || r == -EPIPE || r == -ENOENT || r == -ENOTCONN ||
	       r == -EIO || r == -ESHUTDOWN || r == -ETIMEDOUT || r == -ECONNABORTED || r == -EBADF;
}

static void client(unsigned w)
{
	struct wlog *lg = &sh->w[w];
	shmseq *c = NULL;
	shmseq_seq *h[NSEQ] = {0};
	uint64_t x = cfg.seed * 7919 + w * 104729 + cycle * 1299709 + 1;
	for (;;) {
		if (!c && shmseq_connect(NULL, &c) < 0) {
			c = NULL;
			sleep_ms(5);
			continue;
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t k = (uint32_t)(x % NSEQ);
		unsigned burst = 1 + (unsigned)((x >> 8) % 64);
		bool by_name = (x >> 20) % 8 == 0;
		for (unsigned i = 0; i < burst; i++) {
			uint64_t n = atomic_load_explicit(&lg->n, memory_order_relaxed);
			if (n >= LOG_CAP) {
				pause(); /* full: wait for the cut */
				continue;
			}
			int64_t v;
			int r;
			if (by_name) {
				r = shmseq_nextval(c, SEQ[k].name, &v);
			} else {
				if (!h[k] && (r = shmseq_seq_open(c, SEQ[k].name, &h[k])) < 0) {
					h[k] = NULL;
					goto err;
				}
				r = shmseq_seq_nextval(h[k], &v);
			}
			if (r == 0) {
				lg->r[n].v = v;
				lg->r[n].k = k;
				atomic_store_explicit(&lg->n, n + 1, memory_order_release);
				int64_t hnt = atomic_load_explicit(&sh->hint[k], memory_order_relaxed);
				while (v > hnt && !atomic_compare_exchange_weak(&sh->hint[k], &hnt, v))
					;
				continue;
			}
err:
			atomic_fetch_add(&sh->client_errors, 1);
			if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE || r == -EAGAIN) {
				/* dropped (or being replaced): look the name up again */
			} else if (conn_error(r)) {
				/* the daemon is gone: the cut is coming */
				pause();
			} else {
				unexpected("client %u: NEXTVAL(%s) answered %d (%s)", w, SEQ[k].name, r,
					   shmseq_strerror(r));
				pause();
			}
			if (h[k]) {
				shmseq_seq_close(h[k]);
				h[k] = NULL;
			}
			sleep_ms(1);
			break;
		}
		sleep_ms(1);
	}
}

/* --- the DDL churner ------------------------------------------------------- */

static void churner(void)
{
	shmseq *c = NULL;
	uint64_t x = cfg.seed * 31337 + cycle * 15485863 + 7;
	while (shmseq_connect(NULL, &c) < 0)
		sleep_ms(5);
	for (;;) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		sleep_ms((double)(x % 10));
		uint32_t k = (uint32_t)((x >> 8) % NSEQ);
		unsigned p = (unsigned)((x >> 16) % 100);
		struct seqstate cur = sh->ack[k], after = cur;
		enum ddl op;
		int64_t t = 0;
		if (!cur.exists)
			op = (x >> 24) % 4 ? D_CREATE : D_REPLACE;
		else if (p < 30)
			op = D_RESTART;
		else if (p < 70)
			op = SEQ[k].cycle ? D_RESTART : D_SETVAL;
		else if (p < 85)
			op = D_REPLACE;
		else
			op = D_DROP;
		if (op == D_DROP) {
			after.exists = false;
		} else if (op != D_SETVAL) {
			after.exists = true;
			after.era = sh->next_era[k];
		} else {
			int64_t base = atomic_load(&sh->hint[k]);
			if (base < era_lo(k, cur.era))
				base = era_lo(k, cur.era);
			t = base + 1 + (int64_t)((x >> 32) % 5000);
			if (t > era_hi(k, cur.era) - 10)
				continue;
		}
		sh->pend.k = k;
		sh->pend.op = op;
		sh->pend.after = after;
		sh->pend.t = t;
		atomic_store(&sh->pend.acked, 0);
		atomic_store(&sh->pend.counted, 0);
		if (op != D_SETVAL && op != D_DROP) {
			uint64_t i = atomic_load(&sh->nborn);
			if (i < SETVAL_CAP) {
				sh->born[i].k = k;
				sh->born[i].era = after.era;
				atomic_store(&sh->nborn, i + 1);
			}
		}
		if (op == D_SETVAL) {
			uint64_t i = atomic_load(&sh->nsetval);
			if (i < SETVAL_CAP) {
				sh->setval[i] = (struct setval_rec){.k = k, .era = cur.era, .t = t};
				atomic_store(&sh->nsetval, i + 1);
			}
		}
		atomic_store(&sh->pend.active, 1);
		int r;
		struct shmseq_def d;
		switch (op) {
		case D_CREATE:
			d = era_def(k, after.era, false);
			r = shmseq_create(c, SEQ[k].name, &d, 0);
			break;
		case D_REPLACE:
			d = era_def(k, after.era, false);
			r = shmseq_create(c, SEQ[k].name, &d, SHMSEQ_OR_REPLACE);
			break;
		case D_RESTART:
			d = era_def(k, after.era, true);
			r = shmseq_alter(c, SEQ[k].name, &d);
			break;
		case D_SETVAL:
			r = shmseq_setval(c, SEQ[k].name, t, true, 0);
			break;
		default:
			r = shmseq_drop(c, SEQ[k].name);
			break;
		}
		bool ignored = op == D_SETVAL && r == -ENODATA;
		if (ignored)
			r = 0; /* behind the sequence: ignored, as MariaDB does */
		if (r != 0) {
			if (!conn_error(r))
				unexpected("churner: %s %s answered %d (%s)", DDL_NAME[op], SEQ[k].name, r,
					   shmseq_strerror(r));
			pause(); /* outcome unknown until the next daemon: wait for the cut */
		}
		atomic_store(&sh->pend.acked, 1);
		if (op == D_SETVAL) {
			uint64_t i = atomic_load(&sh->nsetval);
			if (i && sh->setval[i - 1].t == t)
				sh->setval[i - 1].acked = true, sh->setval[i - 1].ignored = ignored;
		}
		sh->ack[k] = after;
		if (op != D_SETVAL && op != D_DROP)
			sh->next_era[k] = after.era + 1;
		atomic_fetch_add(&sh->acked_ddl[op], 1);
		atomic_store(&sh->pend.counted, 1);
		atomic_store(&sh->pend.active, 0);
	}
}

/* --- the machine: daemon, clients, churner in one process group ------------ */

static pid_t pgid;

static pid_t spawn_in_group(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if (setpgid(0, pgid ? pgid : 0) < 0)
			_exit(126);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		return 0;
	}
	setpgid(pid, pgid ? pgid : pid);
	if (!pgid)
		pgid = pid;
	return pid;
}

/* Fork the daemon; its ready pipe's read end in *rfd. */
static pid_t start_daemon(int *rfd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("pipe");
		exit(1);
	}
	pgid = 0;
	pid_t pid = spawn_in_group();
	if (pid == 0) {
		char fd[16], cmd[2048];
		int w = dup(p[1]);
		snprintf(fd, sizeof(fd), "%d", w);
		int e = open(errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (e >= 0) {
			dprintf(e, "=== start after %u power losses\n", cycle);
			dup2(e, 2);
		}
		snprintf(cmd, sizeof(cmd),
			 "exec \"$SHMSEQD\" --instance %s --data-dir %s --ready-fd %s --max-sequences 64 "
			 "--max-connections 64 --snapshot-bytes 16384 --log-prealloc 8192 %s",
			 dm.instance, datadir, fd, cfg.daemon_args ? cfg.daemon_args : "");
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* Everything in the group dies at once; wait until every one is gone (the
 * keeper, double-forked, comes back to us as the subreaper). */
static void cut_power(void)
{
	if (pgid)
		kill(-pgid, SIGKILL);
	while (pgid) {
		int st;
		pid_t r = waitpid(-pgid, &st, 0);
		if (r < 0 && errno == ECHILD)
			break;
		if (r < 0 && errno != EINTR) {
			perror("waitpid");
			break;
		}
	}
	/* anything of the group not ours (should not exist) */
	if (pgid && kill(-pgid, 0) == 0) {
		kill(-pgid, SIGKILL);
		for (int i = 0; i < 1000 && kill(-pgid, 0) == 0; i++)
			sleep_ms(1);
	}
	pgid = 0;
	/* the reboot: the runtime directory, the instance lock and the disk's cache go */
	char cmd[600], lock[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/run'", dm.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "powerloss: cannot empty the runtime directory\n");
	if (util_instance_lock_name(dm.instance, lock, sizeof(lock)) == 0)
		shm_unlink(lock);
	char ctl[400], what[64];
	snprintf(ctl, sizeof(ctl), "%s/.plfs", mnt);
	if (cfg.prefix)
		snprintf(what, sizeof(what), "prefix %" PRIu64 "\n", rnd() | 1);
	else
		snprintf(what, sizeof(what), "loss\n");
	int fd = open(ctl, O_WRONLY);
	if (fd < 0 || write(fd, what, strlen(what)) != (ssize_t)strlen(what)) {
		fprintf(stderr, "powerloss: cannot cut plfs's power (%s): %m\n", ctl);
		exit(1);
	}
	close(fd);
	cycle++;
	fig.losses++;
}

/* Have plfs cut the power itself at the n-th change or sync from now: the
 * machine dies exactly there (between a write and its sync, say). */
static void arm(uint64_t n)
{
	char ctl[400], what[64];
	snprintf(ctl, sizeof(ctl), "%s/.plfs", mnt);
	snprintf(what, sizeof(what), "arm %" PRIu64 " %d\n", n, (int)pgid);
	int fd = open(ctl, O_WRONLY);
	if (fd < 0 || write(fd, what, strlen(what)) != (ssize_t)strlen(what)) {
		fprintf(stderr, "powerloss: cannot arm plfs (%s): %m\n", ctl);
		exit(1);
	}
	close(fd);
	fig.armed++;
}

/* --- what was handed out: intervals per identity --------------------------- */

struct ival {
	int64_t lo, hi;
	unsigned clo, chi; /* the cycle of lo and of hi */
};

struct era_info {
	struct ival *v;
	size_t n, cap;
	unsigned born;	/* the cycle its statement took effect */
	int64_t setval; /* the largest acknowledged SETVAL target, or 0 */
	bool known;
};

static struct era_info *eras[NSEQ];
static size_t neras[NSEQ];

static struct era_info *era_of(uint32_t k, uint32_t e)
{
	if (e >= neras[k]) {
		size_t n = neras[k] ? neras[k] : 64;
		while (n <= e)
			n *= 2;
		eras[k] = realloc(eras[k], n * sizeof(*eras[k]));
		if (!eras[k]) {
			perror("realloc");
			exit(1);
		}
		memset(eras[k] + neras[k], 0, (n - neras[k]) * sizeof(*eras[k]));
		neras[k] = n;
	}
	return &eras[k][e];
}

static void era_born(uint32_t k, uint32_t e)
{
	struct era_info *ei = era_of(k, e);
	if (!ei->known) {
		ei->known = true;
		ei->born = cycle;
	}
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return x->v < y->v ? -1 : x->v > y->v;
}

static struct rec *all;
static size_t all_cap;

/* Merge this cycle's sorted values of one identity into its intervals. */
static void merge(uint32_t k, uint32_t e, const struct rec *r, size_t n)
{
	struct era_info *ei = era_of(k, e);
	struct ival *out = malloc((ei->n + n) * sizeof(*out));
	size_t no = 0, i = 0, j = 0;
	if (!out) {
		perror("malloc");
		exit(1);
	}
	while (i < ei->n || j < n) {
		struct ival it;
		if (j >= n || (i < ei->n && ei->v[i].lo <= r[j].v)) {
			it = ei->v[i++];
		} else {
			it = (struct ival){r[j].v, r[j].v, cycle, cycle};
			j++;
		}
		if (no && it.lo <= out[no - 1].hi) {
			fig.dups++;
			violation("%s era %u: value %" PRId64 " handed out twice (offset %" PRId64 ")",
				  SEQ[k].name, e, it.lo, it.lo - era_lo(k, e));
			if (it.hi > out[no - 1].hi) {
				out[no - 1].hi = it.hi;
				out[no - 1].chi = it.chi;
			}
		} else if (no && it.lo == out[no - 1].hi + 1) {
			out[no - 1].hi = it.hi;
			out[no - 1].chi = it.chi;
		} else {
			out[no++] = it;
		}
	}
	free(ei->v);
	ei->v = out;
	ei->n = ei->cap = no;
}

static void keep_setvals(void);

/* The values and SETVALs of the cycle just cut (cycle - 1). */
static void harvest(void)
{
	size_t n = 0;
	for (unsigned w = 0; w < cfg.workers; w++)
		n += atomic_load(&sh->w[w].n);
	if (n > all_cap) {
		all_cap = n;
		all = realloc(all, n * sizeof(*all));
		if (!all) {
			perror("realloc");
			exit(1);
		}
	}
	n = 0;
	for (unsigned w = 0; w < cfg.workers; w++) {
		uint64_t m = atomic_load(&sh->w[w].n);
		if (m)
			memcpy(all + n, sh->w[w].r, m * sizeof(*all));
		n += m;
		atomic_store(&sh->w[w].n, 0);
	}
	fig.values += n;
	fig.cycle_values = n;
	if (n)
		qsort(all, n, sizeof(*all), cmp_rec);
	cycle--; /* the values belong to the cycle before the cut */
	for (uint64_t i = 0; i < atomic_load(&sh->nborn) && i < SETVAL_CAP; i++)
		era_born(sh->born[i].k, sh->born[i].era);
	atomic_store(&sh->nborn, 0);
	keep_setvals();
	atomic_store(&sh->nsetval, 0);
	for (size_t i = 0; i < n;) {
		uint32_t k, e;
		decode(all[i].v, &k, &e);
		size_t j = i + 1;
		while (j < n && all[j].k == all[i].k && (all[j].v >> ERA_BITS) == (all[i].v >> ERA_BITS))
			j++;
		if (k != all[i].k || k >= NSEQ || e > sh->next_era[k] || all[i].v < era_lo(k, e) ||
		    all[j - 1].v > era_hi(k, e)) {
			fig.oob += j - i;
			violation("%s: value %" PRId64
				  " is of no identity it could have (era %u, next era %u)",
				  SEQ[all[i].k].name, all[i].v, e, sh->next_era[all[i].k]);
		} else if (SEQ[k].cycle) {
			/* bounds only */
		} else {
			merge(k, e, all + i, j - i);
		}
		i = j;
	}
	cycle++;
}

/* --- after a restart: the catalog against the model ------------------------ */

struct row {
	bool exists;
	int64_t next, min, max, cache;
	bool cycle;
};

static int read_row(shmseq *c, uint32_t k, struct row *out)
{
	char sql[128];
	shmseq_result *res = NULL;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", SEQ[k].name);
	int r = shmseq_exec(c, sql, &res);
	memset(out, 0, sizeof(*out));
	if (r == -SHMSEQ_ERR_NO_SUCH_TABLE || r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		shmseq_result_free(res);
		return 0;
	}
	if (r < 0) {
		shmseq_result_free(res);
		return r;
	}
	int e = shmseq_result_error(res);
	if (e < 0)
		e = -e;
	if (e == SHMSEQ_ERR_NO_SUCH_TABLE || e == SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		shmseq_result_free(res);
		return 0;
	}
	if (e || shmseq_result_rows(res) != 1) {
		fprintf(stderr, "powerloss: %s: %s\n", sql, shmseq_result_message(res));
		shmseq_result_free(res);
		return -EPROTO;
	}
	out->exists = true;
	for (size_t i = 0; i < shmseq_result_columns(res); i++) {
		const char *name = shmseq_result_column_name(res, i), *v = shmseq_result_value(res, 0, i);
		int64_t x = v ? strtoll(v, NULL, 10) : 0;
		if (!strcmp(name, "next_not_cached_value"))
			out->next = x;
		else if (!strcmp(name, "minimum_value"))
			out->min = x;
		else if (!strcmp(name, "maximum_value"))
			out->max = x;
		else if (!strcmp(name, "cache_size"))
			out->cache = x;
		else if (!strcmp(name, "cycle_option"))
			out->cycle = x != 0;
	}
	shmseq_result_free(res);
	return 0;
}

static bool row_is(const struct row *r, uint32_t k, struct seqstate s)
{
	if (r->exists != s.exists)
		return false;
	if (!s.exists)
		return true;
	return r->min == era_lo(k, s.era) && r->max == era_hi(k, s.era) && r->cache == SEQ[k].cache &&
	       r->cycle == SEQ[k].cycle;
}

/* SETVAL targets of all cycles: the position check and the gap analysis */
struct sv {
	uint32_t k, era;
	int64_t t;
	unsigned cycle;
	bool acked, ignored;
};
static struct sv *svs;
static size_t nsvs, svcap;

static int64_t acked_setval_max(uint32_t k, uint32_t e)
{
	return era_of(k, e)->setval;
}

static void keep_setvals(void)
{
	uint64_t n = atomic_load(&sh->nsetval);
	for (uint64_t i = 0; i < n && i < SETVAL_CAP; i++) {
		if (nsvs == svcap) {
			svcap = svcap ? 2 * svcap : 1024;
			svs = realloc(svs, svcap * sizeof(*svs));
			if (!svs) {
				perror("realloc");
				exit(1);
			}
		}
		svs[nsvs++] = (struct sv){sh->setval[i].k, sh->setval[i].era,	sh->setval[i].t,
					  cycle,	   sh->setval[i].acked, sh->setval[i].ignored};
		struct era_info *ei = era_of(sh->setval[i].k, sh->setval[i].era);
		if (sh->setval[i].acked && sh->setval[i].t > ei->setval)
			ei->setval = sh->setval[i].t;
	}
}

static void check_catalog(shmseq *c)
{
	bool pend = atomic_load(&sh->pend.active);
	bool acked = pend && atomic_load(&sh->pend.acked);
	if (pend)
		fig.inflight++;
	for (uint32_t k = 0; k < NSEQ; k++) {
		struct row row;
		int r = read_row(c, k, &row);
		if (r < 0) {
			violation("SELECT * FROM %s failed: %s", SEQ[k].name, shmseq_strerror(r));
			fig.unexpected++;
			continue;
		}
		struct seqstate before = sh->ack[k];
		bool mine = pend && sh->pend.k == k;
		if (mine && acked) {
			/* returned success before the cut: acknowledged */
			before = sh->pend.after;
			sh->ack[k] = before;
			if (sh->pend.op != D_SETVAL && sh->pend.op != D_DROP)
				sh->next_era[k] = before.era + 1;
			if (!atomic_load(&sh->pend.counted))
				atomic_fetch_add(&sh->acked_ddl[sh->pend.op], 1);
		}
		if (mine && !acked) {
			/* in flight at the cut: either outcome */
			struct seqstate after = sh->pend.after;
			bool took = false;
			if (sh->pend.op == D_SETVAL)
				took = row.exists && row.next > sh->pend.t;
			else if (row_is(&row, k, after) && !row_is(&row, k, before))
				took = true;
			if (took && sh->pend.op != D_SETVAL) {
				sh->ack[k] = after;
				if (sh->pend.op != D_DROP)
					sh->next_era[k] = after.era + 1;
				fig.resolved_new++;
			} else if (sh->pend.op != D_SETVAL) {
				fig.resolved_old++;
			}
		}
		struct seqstate want = sh->ack[k];
		if (!row_is(&row, k, want)) {
			fig.lost_ddl++;
			violation("%s: expected %s era %u, found %s [%" PRId64 ", %" PRId64 "] cache %" PRId64
				  " (last statement %s%s)",
				  SEQ[k].name, want.exists ? "present in" : "absent, was", want.era,
				  row.exists ? "present" : "absent", row.min, row.max, row.cache,
				  mine ? DDL_NAME[sh->pend.op] : "-",
				  mine ? (acked ? ", acknowledged" : ", in flight") : "");
			/* follow the daemon from here on, so one loss is one report */
			if (row.exists && row.min >= era_lo(k, 0)) {
				uint32_t kk, e;
				decode(row.min, &kk, &e);
				sh->ack[k] = (struct seqstate){true, e};
				if (sh->next_era[k] <= e)
					sh->next_era[k] = e + 1;
			} else {
				sh->ack[k].exists = false;
			}
			continue;
		}
		if (!want.exists || SEQ[k].cycle)
			continue;
		struct era_info *ei = era_of(k, want.era);
		int64_t floor = ei->n ? ei->v[ei->n - 1].hi : 0, sv = acked_setval_max(k, want.era);
		if (mine && acked && sh->pend.op == D_SETVAL && sh->pend.t > sv)
			sv = sh->pend.t;
		if (sv > floor)
			floor = sv;
		if (floor && row.next <= floor) {
			fig.behind++;
			violation("%s era %u: next_not_cached_value %" PRId64 " not beyond %" PRId64
				  " (a value handed out or an acknowledged SETVAL)",
				  SEQ[k].name, want.era, row.next, floor);
		}
	}
	atomic_store(&sh->pend.active, 0);
	atomic_store(&sh->pend.acked, 0);
}

/* --- the gap analysis ------------------------------------------------------ */

static int cmp_sv(const void *x, const void *y)
{
	const struct sv *a = x, *b = y;
	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	if (a->era != b->era)
		return a->era < b->era ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

/* The largest SETVAL target of (k, e) in (a, b), or a; svs sorted. */
static int64_t setval_in(uint32_t k, uint32_t e, int64_t a, int64_t b, unsigned *when)
{
	size_t lo = 0, hi = nsvs; /* first element not below (k, e, b) */
	struct sv key = {k, e, b, 0, false, false};
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cmp_sv(&svs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return a;
	const struct sv *p = &svs[lo - 1];
	if (p->k != k || p->era != e || p->t <= a)
		return a;
	*when = p->cycle;
	return p->t;
}

/* SETVALs of (k, e) sent in cycles [ca, cb]; svs sorted. */
static uint64_t setvals_during(uint32_t k, uint32_t e, unsigned ca, unsigned cb)
{
	size_t lo = 0, hi = nsvs;
	struct sv key = {k, e, INT64_MIN, 0, false, false};
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cmp_sv(&svs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint64_t n = 0;
	for (size_t i = lo; i < nsvs && svs[i].k == k && svs[i].era == e; i++)
		n += svs[i].cycle >= ca && svs[i].cycle <= cb;
	return n;
}

/* A gap between handed-out values a (cycle ca) and b (cycle cb) of one
 * identity, measured from the last SETVAL target inside it. Each power loss
 * between them may cost per_loss_bound(). So may each SETVAL sent between
 * them: with several clients drawing, the value after a SETVAL has been seen
 * up to two CACHE windows past its target within one daemon life (the
 * epoch it closes counts the tickets taken, which clients retrying on a
 * changed generation also take); that is not a power loss's doing, and such
 * gaps are reported apart ("across a SETVAL"). */
static void check_gap(uint32_t k, uint32_t e, int64_t a, unsigned ca, int64_t b, unsigned cb)
{
	unsigned when = ca;
	int64_t from = setval_in(k, e, a, b, &when);
	uint64_t nsv = setvals_during(k, e, ca, cb);
	if (from != a)
		ca = when;
	uint64_t gap = (uint64_t)(b - from - 1);
	uint64_t losses = cb >= ca ? cb - ca : 0;
	uint64_t allowed = (losses + nsv) * per_loss_bound(k) + 2ull * cfg.workers;
	if (nsv) {
		if (gap > fig.max_sv_gap[k]) {
			fig.max_sv_gap[k] = gap;
			fig.max_sv_losses[k] = losses;
		}
	} else if (gap > fig.max_gap[k]) {
		fig.max_gap[k] = gap;
		fig.max_allowed[k] = allowed;
	}
	if (gap <= allowed)
		return;
	/* with --prefix, one skip more than the losses: seen within one daemon
	 * life too (RELIABILITY.md, "Power loss of the whole daemon") */
	if (cfg.prefix && gap <= allowed + (losses + 1) * tail_skip(k)) {
		fig.gaps_tail++;
		return;
	}
	fig.gaps_over++;
	for (size_t i = 0; i < nsvs && nviol < 50; i++)
		if (svs[i].k == k && svs[i].era == e)
			fprintf(stderr,
				"  SETVAL %s era %u to %" PRId64 " (offset %" PRId64 ") in cycle %u%s\n",
				SEQ[k].name, e, svs[i].t, svs[i].t - era_lo(k, e), svs[i].cycle,
				svs[i].acked ? (svs[i].ignored ? ", ignored" : ", acknowledged") : "");
	fprintf(stderr, "  gap from offset %" PRId64 " to %" PRId64 "\n", a - era_lo(k, e), b - era_lo(k, e));
	violation("%s era %u: gap of %" PRIu64 " values after %" PRId64 " (cycle %u) to %" PRId64
		  " (cycle %u), %" PRIu64 " losses between: bound %" PRIu64,
		  SEQ[k].name, e, gap, from, ca, b, cb, losses, allowed);
}

static void gap_analysis(void)
{
	if (nsvs)
		qsort(svs, nsvs, sizeof(*svs), cmp_sv);
	for (uint32_t k = 0; k < NSEQ; k++) {
		if (SEQ[k].cycle)
			continue;
		for (size_t e = 0; e < neras[k]; e++) {
			struct era_info *ei = &eras[k][e];
			if (!ei->n)
				continue;
			if (ei->known)
				check_gap(k, (uint32_t)e, era_lo(k, (uint32_t)e) - 1, ei->born, ei->v[0].lo,
					  ei->v[0].clo);
			for (size_t i = 1; i < ei->n; i++)
				check_gap(k, (uint32_t)e, ei->v[i - 1].hi, ei->v[i - 1].chi, ei->v[i].lo,
					  ei->v[i].clo);
		}
	}
}

/* --- the run --------------------------------------------------------------- */

static pid_t plfs_pid;
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void unmount_plfs(void)
{
	if (plfs_pid > 0) {
		umount2(mnt, MNT_DETACH);
		kill(plfs_pid, SIGTERM);
		waitpid(plfs_pid, NULL, 0);
		plfs_pid = 0;
	}
}

static void mount_plfs(void)
{
	int p[2];
	snprintf(mnt, sizeof(mnt), "%s/disk", dm.dir);
	snprintf(datadir, sizeof(datadir), "%s/shmseq/data", mnt);
	snprintf(errlog, sizeof(errlog), "%s/shmseqd.err", dm.dir);
	if (mkdir(mnt, 0700) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		perror("powerloss: mount point");
		exit(1);
	}
	plfs_pid = fork();
	if (plfs_pid == 0) {
		char fd[16];
		int w = dup(p[1]);
		snprintf(fd, sizeof(fd), "%d", w);
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* we die: it unmounts and goes */
		execl(cfg.plfs, cfg.plfs, mnt, "--ready-fd", fd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	char c = 0;
	if (poll(&pf, 1, 10000) != 1 || read(p[0], &c, 1) != 1 || c != 'R') {
		fprintf(stderr, "powerloss: plfs did not mount on %s: skipping\n", mnt);
		kill(plfs_pid, SIGKILL);
		waitpid(plfs_pid, NULL, 0);
		exit(77);
	}
	close(p[0]);
	atexit(unmount_plfs);
}

/* The last start's stderr (the file holds every start's, each after a
 * "=== start" line). */
static void print_errlog(void)
{
	char line[512];
	long from = 0;
	FILE *f = fopen(errlog, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "=== start", 9) == 0)
			from = ftell(f) - (long)strlen(line);
	fseek(f, from, SEEK_SET);
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
	fclose(f);
}

static void report(double t0)
{
	uint64_t ddl = 0;
	for (int i = 0; i < ND; i++)
		ddl += sh->acked_ddl[i];
	printf("powerloss: seed %" PRIu64 ", %s, %u clients, %.1f s\n", cfg.seed,
	       cfg.prefix ? "unsynced changes: a random in-order prefix kept" : "unsynced changes dropped",
	       cfg.workers, now_s() - t0);
	printf("  power losses %" PRIu64 " (%" PRIu64 " while the daemon was starting; %" PRIu64
	       " armed to cut at a given change or sync, see plfs trips)\n",
	       fig.losses, fig.startup_losses, fig.armed);
	printf("  values handed out and checked %" PRIu64 "\n", fig.values);
	printf("  acknowledged DDL %" PRIu64 ":", ddl);
	for (int i = 0; i < ND; i++)
		printf(" %s %" PRIu64 "%s", DDL_NAME[i], (uint64_t)sh->acked_ddl[i], i + 1 < ND ? "," : "\n");
	printf("  statements in flight at a cut %" PRIu64 ": took effect %" PRIu64 ", did not %" PRIu64
	       " (SETVALs not counted)\n",
	       fig.inflight, fig.resolved_new, fig.resolved_old);
	printf("  duplicates %" PRIu64 ", out of bounds %" PRIu64 ", lost acknowledged DDL %" PRIu64
	       ", positions behind %" PRIu64 ", refused starts %" PRIu64 ", gaps beyond the bound %" PRIu64
	       ", unexpected answers %" PRIu64 "\n",
	       fig.dups, fig.oob, fig.lost_ddl, fig.behind, fig.refused, fig.gaps_over, fig.unexpected);
	char ctl[400], text[1024];
	snprintf(ctl, sizeof(ctl), "%s/.plfs", mnt);
	int fd = open(ctl, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		text[n] = 0;
		for (char *p = text; (p = strchr(p, '\n')); p++)
			*p = p[1] ? ',' : 0;
		printf("  plfs: %s\n", text);
	}
	if (cfg.prefix)
		printf("  gaps beyond the README bound but within a torn-tail skip: %" PRIu64 "\n",
		       fig.gaps_tail);
	for (uint32_t k = 0; k < NSEQ; k++)
		if (!SEQ[k].cycle)
			printf("  %-13s largest gap %" PRIu64 " (its bound %" PRIu64 "; per loss %" PRIu64
			       "); across a SETVAL %" PRIu64 " (%" PRIu64 " losses between)\n",
			       SEQ[k].name, fig.max_gap[k], fig.max_allowed[k], per_loss_bound(k),
			       fig.max_sv_gap[k], fig.max_sv_losses[k]);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: powerloss --plfs PATH [--cycles N] [--duration S] [--seed N] [--clients N]\n"
		   "                 [--max-cut-ms N] [--prefix] [--keep] [--daemon-args 'ARGS']\n"
		   "  SHMSEQD names the daemon. Exit 0 clean, 1 on a violation, 77 skipped.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"plfs", required_argument, 0, 'p'},
					     {"cycles", required_argument, 0, 'c'},
					     {"duration", required_argument, 0, 'd'},
					     {"seed", required_argument, 0, 's'},
					     {"clients", required_argument, 0, 'w'},
					     {"max-cut-ms", required_argument, 0, 'm'},
					     {"prefix", no_argument, 0, 'x'},
					     {"keep", no_argument, 0, 'k'},
					     {"daemon-args", required_argument, 0, 'a'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	int o;
	cfg.plfs = getenv("SHMSEQ_PLFS");
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			cfg.plfs = optarg;
			break;
		case 'a':
			cfg.daemon_args = optarg;
			break;
		case 'c':
			cfg.cycles = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			cfg.duration = strtod(optarg, NULL);
			break;
		case 's':
			cfg.seed = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			cfg.workers = (unsigned)strtoul(optarg, NULL, 10);
			if (cfg.workers < 1 || cfg.workers > MAXW) {
				usage(stderr);
				return 2;
			}
			break;
		case 'm':
			cfg.max_cut_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'x':
			cfg.prefix = true;
			break;
		case 'k':
			cfg.keep = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!cfg.seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = ((uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 20) % 1000000007 + 1;
	}
	rng = cfg.seed * 0x9E3779B97F4A7C15ull | 1;
	printf("powerloss: seed %" PRIu64 " (rerun with --seed %" PRIu64 ")\n", cfg.seed, cfg.seed);
	fflush(stdout);
	if (!cfg.plfs || access(cfg.plfs, X_OK) != 0) {
		fprintf(stderr, "powerloss: no plfs binary (built only with libfuse3; --plfs or "
				"SHMSEQ_PLFS): skipping\n");
		return 77;
	}
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "powerloss: cannot open /dev/fuse (%m): skipping\n");
		return 77;
	}
	close(fd);
	if (geteuid() != 0 && access("/usr/bin/fusermount3", X_OK) != 0) {
		fprintf(stderr, "powerloss: not root and no fusermount3: skipping\n");
		return 77;
	}
	daemon_setup(&dm, "pl");
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	sh = shared_alloc(sizeof(struct shared) + cfg.workers * sizeof(struct wlog));
	mount_plfs();

	double t0 = now_s();
	int rc = 0;
	unsigned startups = 0;
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	uint64_t shown = 0;
	while (fig.losses < cfg.cycles && now_s() - t0 < cfg.duration && !nviol && !stop) {
		if (fig.losses % 100 == 0 && fig.losses != shown) {
			shown = fig.losses;
			printf("powerloss: %" PRIu64 " power losses, %" PRIu64 " values, %.0f s\n",
			       fig.losses, fig.values, now_s() - t0);
			fflush(stdout);
		}
		int rfd;
		pid_t dpid = start_daemon(&rfd);
		startups++;
		if (startups > 1 && rnd() % 8 == 0) {
			/* cut while the daemon starts: replay, skips, snapshots, mkdir */
			if (rnd() % 2)
				arm(1 + rnd() % 64);
			sleep_ms((double)(rnd() % 30));
			close(rfd);
			cut_power();
			fig.startup_losses++;
			harvest();
			continue;
		}
		int code = 0;
		struct spawn sp = {.pid = dpid, .ready_fd = rfd, .started_ms = spawn_now_ms()};
		if (daemon_await_ready(&dm, &sp, &code) < 0) {
			fig.refused++;
			violation("the daemon did not start after %u power losses (exit %d):", cycle, code);
			print_errlog();
			pgid = dpid;
			cut_power();
			break;
		}
		shmseq *c = NULL;
		int r = shmseq_connect(dm.instance, &c);
		if (r < 0) {
			violation("cannot connect: %s", shmseq_strerror(r));
			fig.unexpected++;
			cut_power();
			break;
		}
		if (startups > 1)
			check_catalog(c);
		shmseq_disconnect(c);
		if (nviol) {
			cut_power();
			break;
		}
		if (rnd() % 2)
			arm(1 + rnd() % 1500);
		for (unsigned w = 0; w < cfg.workers; w++)
			if (spawn_in_group() == 0) {
				client(w);
				_exit(0);
			}
		if (spawn_in_group() == 0) {
			churner();
			_exit(0);
		}
		unsigned kind = (unsigned)(rnd() % 10);
		double ms = kind < 2 ? (double)(rnd() % 20) : (double)(rnd() % (cfg.max_cut_ms + 1));
		sleep_ms(ms);
		cut_power();
		if (atomic_load(&sh->unexpected)) {
			fig.unexpected++;
			violation("%s", sh->unexpected_text);
		}
		harvest();
	}
	/* a last restart checks the last cut */
	if (!nviol) {
		int rfd;
		pid_t dpid = start_daemon(&rfd);
		int code = 0;
		struct spawn sp = {.pid = dpid, .ready_fd = rfd, .started_ms = spawn_now_ms()};
		if (daemon_await_ready(&dm, &sp, &code) < 0) {
			fig.refused++;
			violation("the daemon did not start after %u power losses (exit %d):", cycle, code);
			print_errlog();
		} else {
			shmseq *c = NULL;
			if (shmseq_connect(dm.instance, &c) == 0) {
				check_catalog(c);
				shmseq_disconnect(c);
			} else {
				fig.unexpected++;
				violation("cannot connect after the last restart");
			}
		}
		pgid = dpid;
		cut_power();
		fig.losses--; /* the end of the run, not a checked loss */
	}
	gap_analysis();
	report(t0);
	if (nviol) {
		printf("powerloss: FAILED: %u violations (seed %" PRIu64 ")\n", nviol, cfg.seed);
		rc = 1;
	} else {
		printf("powerloss: OK\n");
	}
	unmount_plfs();
	for (uint32_t k = 0; k < NSEQ; k++) {
		for (size_t e = 0; e < neras[k]; e++)
			free(eras[k][e].v);
		free(eras[k]);
	}
	free(svs);
	free(all);
	if (!cfg.keep || rc) {
		if (rc)
			fprintf(stderr, "powerloss: the daemon's last stderr: %s (kept)\n", errlog);
		else
			daemon_teardown(&dm);
	}
	return rc;
}
