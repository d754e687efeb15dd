/* SPDX-License-Identifier: MIT */
/* client.c — libshmseq: sessions with a daemon, the name cache and nextval.
 *
 * The fast path (shmseq_seq_nextval, and shmseq_nextval after its lookup)
 * takes no lock and makes no system call: it reads the entry's slot, checks
 * the region is live, and takes a ticket with region_take() (region.h has the
 * memory-ordering story). Everything else is the slow path, under the
 * connection's mutex where it touches the socket: refills, wraps, resolving a
 * name, re-attaching after a daemon restart.
 *
 * The name cache is an open-addressing table read by the application's own
 * threads without a lock (see "the name cache" below). A name it does not
 * hold is looked up in the region's name index (region_index.c) and makes no
 * entry there, so that a session's memory does not grow by an entry per
 * name; the names used often among those are kept in a small first level of
 * fixed size per mapping (hotnames.h), read and filled the same way, without
 * a lock.
 *
 * Daemon restarts: a new daemon marks the old region closed. The next call
 * that needs the daemon, or finds the region closed, re-attaches: new socket,
 * new mapping, and every entry re-resolves lazily. Values taken from the old
 * region were within durable limits the new daemon resumes beyond.
 *
 * Reclamation: every public call that reads the name cache or a region runs
 * inside a reader section (reclaim.h: a store to the thread's own line on
 * the way in and out, no fence). What a writer unlinks under the lock — a
 * retired region mapping, an outgrown name table, the entry of a dropped
 * name, a replaced socket's descriptor — is freed by a later slow path once
 * every reader that could have seen it has left its section. So a client that
 * lives through many daemon restarts and name churns keeps one mapping and a
 * cache the size of the names it still uses.
 */
#include "client.h"
#include "names.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* --- attaching ------------------------------------------------------------------ */

/* A stand-in for a region that is gone: closed, its one slot busy. Entries
 * that pointed into a retired mapping point here, so that a reader finds
 * them not live and re-resolves. Never written. */
static struct {
	struct region_header h;
	struct region_slot s[1];
} dead_region = {
	.h = {.state = REGION_STATE_CLOSED, .nslots = 1},
	.s = {{.gen = 1}},
};

static void close_item(void *ctx, struct reclaim_item *it)
{
	(void)ctx;
	close(it->fd);
}

static void unmap_item(void *ctx, struct reclaim_item *it)
{
	(void)ctx;
	munmap(it->ptr, it->size);
}

static void free_item(void *ctx, struct reclaim_item *it)
{
	(void)ctx;
	free(it->ptr);
}

static void defer(struct shmseq *c, reclaim_fn *fn, void *ptr, size_t size, int fd)
{
	struct reclaim_item *it = malloc(sizeof(*it));
	if (!it)
		return; /* kept for good: a leak, never a use after free */
	*it = (struct reclaim_item){.fn = fn, .ptr = ptr, .size = size, .fd = fd};
	reclaim_defer(&c->rc, it);
}

/* Hang up on the daemon. The descriptor is closed only once no reader can
 * be sending a NUDGE on it (send_ticket() reads c->sock without the lock):
 * closed at once, its number could become the application's next socket
 * and the NUDGE land there. (Not shut down meanwhile: after a fork() the
 * socket is also the parent's, and a late NUDGE on it is harmless.) Caller
 * holds c->lock, or is shmseq_disconnect() (no reader left; it drains). */
static void detach(struct shmseq *c)
{
	int fd = atomic_load_explicit(&c->sock, memory_order_relaxed);
	if (fd < 0)
		return;
	atomic_store_explicit(&c->sock, -1, memory_order_relaxed);
	defer(c, close_item, NULL, 0, fd);
}

static void entries_repoint(struct shmseq *c, struct region_header *old);

/* A session's LASTVAL of the sequence id in slot l: stores only (a load of
 * this line would wait for its miss). */
static inline __attribute__((always_inline)) void lastv_set(struct last_slot *l, int64_t v, uint64_t id)
{
	atomic_store_explicit(&l->v, v, memory_order_relaxed);
	atomic_store_explicit(&l->id, id, memory_order_relaxed);
}

/* The LASTVALs a session kept by slot in the old region, moved to the slots
 * their sequences have in the new one: found by name, the old record's name
 * (read from our own old mapping) looked up in the new index, the identity
 * the same (ids survive restarts). Those that do not check out are lost:
 * LASTVAL then says NULL, as for a sequence that was dropped. */
static void lastv_carry(struct mapping *old, struct mapping *m)
{
	if (!old->lastv || !m->lastv || !old->ix.bucket || !m->ix.bucket)
		return;
	for (uint64_t s = 0; s < old->nslots_mapped; s++) {
		uint64_t id = atomic_load_explicit(&old->lastv[s].id, memory_order_relaxed);
		if (!id)
			continue;
		struct region_index_rec *r = &old->ix.slots[s].name;
		uint32_t len = atomic_load_explicit(&r->len, memory_order_relaxed);
		char name[REGION_INDEX_NAME_MAX + 1];
		if (len == 0 || len > REGION_INDEX_NAME_MAX)
			continue;
		for (unsigned i = 0; i < REGION_INDEX_NAME_WORDS; i++) {
			uint64_t w = atomic_load_explicit(&r->name[i], memory_order_relaxed);
			memcpy(name + 8 * i, &w, 8);
		}
		uint32_t slot;
		uint64_t nid;
		if (region_index_lookup(&m->ix, name, len, util_hash(name, len), &slot, &nid, NULL) ==
			    INDEX_HIT &&
		    nid == id) {
			lastv_set(&m->lastv[slot],
				  atomic_load_explicit(&old->lastv[s].v, memory_order_relaxed), id);
		}
	}
}

/* m becomes the current mapping; the one before is retired: entries that
 * point into it point at the stand-in instead (they re-resolve), and it is
 * unmapped after a grace period. Caller holds c->lock. */
static void map_install(struct shmseq *c, struct mapping *m)
{
	struct mapping *old = c->map;
	c->map = m;
	/* pairs with the acquire load in region_live() */
	atomic_store_explicit(&c->hdr, m->hdr, memory_order_release);
	/* pairs with the acquire load in index_nextval() */
	atomic_store_explicit(&c->cur, m, memory_order_release);
	if (!old)
		return;
	entries_repoint(c, old->hdr);
	lastv_carry(old, m);
	defer(c, unmap_item, old->hdr, old->size, -1);
	if (old->lastv)
		defer(c, unmap_item, old->lastv, old->nslots_mapped * sizeof(struct last_slot), -1);
	if (old->hot)
		defer(c, free_item, old->hot, 0, -1);
	defer(c, free_item, old, 0, -1);
}

/* snprintf() for texts that may be cut short: a sentence for a log. */
__attribute__((format(printf, 3, 4))) static int textf(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	return n;
}

/* Connect to the daemon of instance in one runtime directory, making sure
 * it is one we may trust: the directory passes the checks the daemon makes
 * of it, and the peer (SO_PEERCRED) runs as ourselves, root, or the owner of
 * the directory the user chose with $SHMSEQ_RUNTIME_DIR (a shared instance)
 * or of the system instance's. Otherwise another local user who made our
 * directory first (/tmp/shmseq-<uid>), or squats the socket's name in a
 * sticky one, would be handed our DDL and hand us its values. Returns the
 * socket, or -EPERM (not trusted), -ECONNREFUSED (no daemon), -errno; why
 * gets "SOCKET PATH: what was found" (for -EPERM a sentence naming what is
 * not trusted and whose). *absent: nothing of ours there (no directory, no
 * socket, nobody listening; or, in a directory searched after the first, an
 * untrusted directory without a socket of that name). */
static int connect_dir(const struct util_dir *d, const char *instance, bool primary, char *why, size_t whycap,
		       bool *absent)
{
	char path[4200];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	uid_t owner;
	textf(path, sizeof(path), "%s/%s.sock", d->path, instance);
	*absent = false;
	int r = util_runtime_dir_check(d->path, d->origin, false, &owner, why, whycap);
	if (r == -ENOENT) {
		textf(why, whycap, "%s: no directory %s", path, d->path);
		*absent = true;
		return -ECONNREFUSED;
	}
	if (r < 0) {
		*absent = !primary && lstat(path, &st) < 0;
		return r;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		textf(why, whycap, "%s: path too long for a socket", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		textf(why, whycap, "%s: %s", path,
		      r == -ECONNREFUSED ? "nobody listening (a daemon that stopped?)" : util_errno_text(-r));
		*absent = r == -ENOENT || r == -ECONNREFUSED;
		return r == -ENOENT ? -ECONNREFUSED : r;
	}
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!util_peer_trusted(cr.uid, d->origin, owner)) {
		char who[300], me[300];
		util_user_text(cr.uid, who, sizeof(who));
		util_user_text(geteuid(), me, sizeof(me));
		textf(why, whycap,
		      "the daemon behind %s (pid %d) runs as %s, not as %s, root or the owner of "
		      "the directory: not trusted",
		      path, (int)cr.pid, who, me);
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* What a search for an instance's socket found, directory by directory. */
struct search {
	char tried[3 * 1100]; /* "PATH: what; PATH: what" */
	char decisive[1100];  /* the why of the error returned, unless "no daemon" */
	size_t n;
	char sockets[UTIL_RUNTIME_DIRS_MAX][4200];
};

/* Connect to the daemon of instance: in the directory dir alone when not
 * NULL (a connection re-attaching where it first attached), else the first
 * that answers of those util_runtime_dirs() lists, whose choice goes to
 * *found when not NULL. Returns the socket, or the error of the first
 * directory that had something other than no daemon (-EPERM not trusted,
 * -EACCES, …), else -ECONNREFUSED; what each try found goes to *s when not
 * NULL. */
static int connect_trusted(const char *instance, const struct util_dir *dir, struct util_dir *found,
			   struct search *s)
{
	struct util_dir dirs[UTIL_RUNTIME_DIRS_MAX];
	size_t n = 0;
	if (dir)
		dirs[n++] = *dir;
	else
		n = util_runtime_dirs(dirs, UTIL_RUNTIME_DIRS_MAX);
	if (s)
		memset(s, 0, sizeof(*s));
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		char why[1100] = "";
		bool absent;
		int fd = connect_dir(&dirs[i], instance, i == 0 || dir, why, sizeof(why), &absent);
		if (fd >= 0) {
			if (found)
				*found = dirs[i];
			return fd;
		}
		if (s) {
			size_t len = strlen(s->tried);
			textf(s->tried + len, sizeof(s->tried) - len, "%s%s", len ? "; " : "", why);
			textf(s->sockets[s->n++], sizeof(s->sockets[0]), "%s/%s.sock", dirs[i].path,
			      instance);
		}
		if (!absent && !err) {
			err = fd;
			if (s)
				textf(s->decisive, sizeof(s->decisive), "%s", why);
		}
	}
	return err ? err : -ECONNREFUSED;
}

/* Caller holds c->lock. */
static int attach(struct shmseq *c)
{
	reclaim_poll(&c->rc, c); /* what the last detach() left, at the latest */
	int r;
	/* once attached, a connection stays with the directory it found:
	 * while its daemon restarts, an instance of the same name elsewhere
	 * (the system's) must not answer in its place */
	struct util_dir found;
	int fd = connect_trusted(c->instance, c->dir_known ? &c->dir : NULL, &found, NULL);
	if (fd < 0)
		return fd;
	/* a daemon that stops answering must not hang its clients forever */
	struct timeval tv = {.tv_sec = 30};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	struct {
		struct wire_hdr h;
		struct wire_hello b;
	} req;
	wire_hdr_init(&req.h, WIRE_HELLO, sizeof(req.b), ++c->next_req, 0);
	req.b.version = WIRE_VERSION;
	req.b.pid = (uint32_t)getpid();
	char buf[WIRE_MSG_MAX];
	int mfd = -1;
	r = util_send(fd, &req, sizeof(req), -1, 0);
	/* A daemon that refuses us says why and hangs up, perhaps without reading
	 * our hello: then the hang-up (-EPIPE, -ECONNRESET) is reported first and
	 * what it said is still queued behind it. */
	int hangup = r;
	ssize_t n = util_recv(fd, buf, sizeof(buf), &mfd, r < 0 ? MSG_DONTWAIT : 0);
	if (n == -ECONNRESET) {
		hangup = (int)n;
		n = util_recv(fd, buf, sizeof(buf), &mfd, MSG_DONTWAIT);
	}
	struct wire_hello_reply rep;
	struct wire_hdr h;
	if (n <= 0) {
		r = hangup < 0 ? hangup : n == 0 ? -ECONNRESET : (int)n;
		goto fail;
	}
	if (wire_check(buf, (size_t)n, 1) < 0) {
		r = -EPROTO;
		goto fail;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.op != WIRE_HELLO || h.status < 0 || mfd < 0) {
		r = h.status < 0 ? h.status : -EPROTO;
		goto fail;
	}
	memcpy(&rep, buf + sizeof(h), sizeof(rep));
	/* Only a region sealed against size changes: nobody (a scribbling
	 * neighbour, the daemon itself) can then shrink it under our mapping,
	 * which would kill us with SIGBUS at the next access. */
	struct stat st;
	int seals = fcntl(mfd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW) ||
	    fstat(mfd, &st) < 0 || (size_t)st.st_size < sizeof(struct region_header) ||
	    (size_t)st.st_size != rep.region_size) {
		r = -EPROTO;
		goto fail;
	}
	struct mapping *m = calloc(1, sizeof(*m));
	if (!m) {
		r = -ENOMEM;
		goto fail;
	}
	m->size = (size_t)st.st_size;
	m->hdr = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (m->hdr == MAP_FAILED) {
		r = -errno;
		free(m);
		goto fail;
	}
	const char *why;
	if (region_header_validate(m->hdr, m->size, &why) < 0 || m->hdr->incarnation != rep.incarnation) {
		munmap(m->hdr, m->size);
		free(m);
		r = -EPROTO;
		goto fail;
	}
	close(mfd);
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	/* A daemon that adopted its predecessor's region hands back the same
	 * object: keep using the mapping our handles (and held tickets) point
	 * into, so nothing is re-resolved and no ticket is voided. */
	struct mapping *cur = c->map;
	if (cur && cur->dev == m->dev && cur->ino == m->ino && cur->size == m->size) {
		munmap(m->hdr, m->size);
		free(m);
		m = NULL;
	}
	if (m && region_index_locate(m->hdr, m->size, &m->ix)) {
		/* address space: a page is spent when a slot on it is first used */
		m->nslots_mapped = m->ix.nslots;
		m->lastv = mmap(NULL, m->nslots_mapped * sizeof(struct last_slot), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m->lastv == MAP_FAILED)
			m->lastv = NULL;
		m->hot = m->lastv ? aligned_alloc(REGION_CACHELINE, sizeof(*m->hot)) : NULL;
		if (m->hot)
			memset(m->hot, 0, sizeof(*m->hot));
	}
	if (wire_env_decode(&rep.env, &c->env, NULL) < 0) {
		c->env.auto_increment_increment = 1;
		c->env.auto_increment_offset = 1;
	}
	detach(c);
	c->sock = fd;
	c->dir = found;
	c->dir_known = true;
	if (m)
		map_install(c, m);
	reclaim_poll(&c->rc, c);
	return 0;
fail:
	if (mfd >= 0)
		close(mfd);
	close(fd);
	return r;
}

int client_rpc(struct shmseq *c, uint16_t op, const void *req, size_t len, void *reply, size_t replen,
	       bool idempotent)
{
	char msg[WIRE_MSG_MAX];
	char buf[WIRE_MSG_MAX];
	if (sizeof(struct wire_hdr) + len > sizeof(msg))
		return -EMSGSIZE;
	pthread_mutex_lock(&c->lock);
	int r = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->sock < 0 && (r = attach(c)) < 0)
			break;
		struct wire_hdr h;
		uint64_t id = ++c->next_req;
		wire_hdr_init(&h, op, (uint32_t)len, id, 0);
		memcpy(msg, &h, sizeof(h));
		if (len)
			memcpy(msg + sizeof(h), req, len);
		r = util_send(c->sock, msg, sizeof(h) + len, -1, 0);
		ssize_t n = r < 0 ? r : util_recv(c->sock, buf, sizeof(buf), NULL, 0);
		if (n <= 0) {
			/* hang-up: the daemon died or dropped us */
			r = n == 0 ? -ECONNRESET : (int)n;
			detach(c);
			if (!idempotent || (r != -ECONNRESET && r != -EPIPE))
				break;
			continue;
		}
		if (wire_check(buf, (size_t)n, 1) < 0) {
			r = -EPROTO;
			detach(c);
			break;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.op != op || h.req_id != id) {
			r = -EPROTO;
			detach(c);
			break;
		}
		r = h.status;
		if (r >= 0 && replen)
			memcpy(reply, buf + sizeof(h), replen);
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* --- connections ---------------------------------------------------------------- */

/* --- the name cache -------------------------------------------------------------
 *
 * name -> entry, one table per connection (lib/names.h: the table, its
 * lock-free readers and how writers publish). Writers hold c->lock.
 *
 * What leaves the cache: the entry of a name this connection dropped, of a
 * name the daemon no longer knows, and, whenever the table is full, every
 * entry whose slot in the live region holds another sequence now (dropped or
 * replaced elsewhere) — unless a handle holds it (refs): a handle follows its
 * name, so its entry stays in the cache until it is closed. A full table is
 * rebuilt at the size its entries need (twice, the same, or half) and the
 * old one retired after a grace period (reclaim.h), as is a removed entry's
 * memory. Entries are carved from slabs, aligned as the entry is, so that
 * many of them span few pages; a reclaimed entry is reused, so the slabs hold
 * as many entries as the cache ever held at once.
 */

struct entry_slab {
	struct entry_slab *next;
	size_t used, cap;
	struct shmseq_seq e[]; /* aligned as an entry: the slab is */
};

#define NAMES_FIRST 64u /* buckets of a new connection's table */
#define SLAB_FIRST 8u	/* entries of the first slab; then as many as exist */
#define SLAB_MAX 4096u	/* entries per slab at most (1 MiB) */

static uint32_t slot_index(const struct shmseq_seq *e);

static inline const char *entry_name(const struct shmseq_seq *e)
{
	return e->name;
}

static uint64_t entry_hash(const struct shmseq_seq *e)
{
	return util_hash(e->name, strlen(e->name));
}

/* Reader side: any thread, no lock, inside a reader section. The entry of
 * name, or NULL. */
static inline struct shmseq_seq *lookup(struct shmseq *c, const char *name, uint64_t hash)
{
	/* pairs with the release store in names_rebuild() */
	const struct name_table *t = atomic_load_explicit(&c->names, memory_order_acquire);
	return names_lookup(t, name, hash, atomic_load_explicit(&c->hdr, memory_order_relaxed), entry_name);
}

/* e's bucket in the current table, or NULL. Caller holds c->lock. */
static struct name_bucket *names_bucket(struct shmseq *c, struct shmseq_seq *e)
{
	struct name_table *t = atomic_load_explicit(&c->names, memory_order_relaxed);
	if (!t || !e->in_table)
		return NULL;
	return names_find(t, entry_hash(e), e);
}

/* After e was resolved anew: point its bucket's hint at its slot. Caller
 * holds c->lock. An entry not in the table has no bucket. */
static void names_rehint(struct shmseq *c, struct shmseq_seq *e)
{
	struct name_bucket *b = names_bucket(c, e);
	if (b)
		atomic_store_explicit(&b->slot, slot_index(e), memory_order_relaxed);
}

static void entry_free(void *ctx, struct reclaim_item *it)
{
	struct shmseq *c = ctx;
	struct shmseq_seq *e = it->ptr;
	e->next_free = c->free_entries;
	c->free_entries = e;
}

/* Take e out of the cache; its memory is reused after a grace period.
 * Caller holds c->lock; no handle holds e. */
static void names_remove(struct shmseq *c, struct shmseq_seq *e)
{
	struct name_bucket *b = names_bucket(c, e);
	if (!b)
		return;
	names_mark_gone(b); /* readers step over it from now on */
	e->in_table = false;
	c->nnames--;
	c->ntomb++;
	defer(c, entry_free, e, 0, -1);
}

/* Whether e may leave the cache: no handle holds it, and its slot in the
 * live region holds another sequence now. Caller holds c->lock. */
static bool entry_stale(struct shmseq *c, struct shmseq_seq *e)
{
	struct region_slot *s = atomic_load_explicit(&e->slot, memory_order_relaxed);
	return atomic_load_explicit(&e->refs, memory_order_relaxed) == 0 && s &&
	       atomic_load_explicit(&e->hdr, memory_order_relaxed) ==
		       atomic_load_explicit(&c->hdr, memory_order_relaxed) &&
	       atomic_load_explicit(&s->seq_id, memory_order_relaxed) !=
		       atomic_load_explicit(&e->seq_id, memory_order_relaxed);
}

/* Publish a table of `buckets` holding the current entries, and retire the
 * old one. Caller holds c->lock. */
static int names_rebuild(struct shmseq *c, size_t buckets)
{
	struct name_table *t = atomic_load_explicit(&c->names, memory_order_relaxed);
	struct name_table *n = names_copy(t, buckets, entry_hash, slot_index);
	if (!n)
		return -ENOMEM;
	c->ntomb = 0;
	/* pairs with the acquire load in lookup() */
	atomic_store_explicit(&c->names, n, memory_order_release);
	defer(c, free_item, t, 0, -1);
	return 0;
}

/* Make room for one more name: when the table is full, first let go of the
 * entries of sequences that are gone, then rebuild it at the size the rest
 * need. Caller holds c->lock. */
static int names_make_room(struct shmseq *c)
{
	struct name_table *t = atomic_load_explicit(&c->names, memory_order_relaxed);
	size_t buckets = t->mask + 1;
	if ((c->nnames + c->ntomb + 1) * 2 <= buckets)
		return 0;
	for (size_t i = 0; i <= t->mask; i++) {
		struct shmseq_seq *e = atomic_load_explicit(&t->b[i].e, memory_order_relaxed);
		if (e && e != NAME_GONE && entry_stale(c, e))
			names_remove(c, e);
	}
	while ((c->nnames + 1) * 2 > buckets)
		buckets *= 2;
	while (buckets > NAMES_FIRST && (c->nnames + 1) * 8 <= buckets)
		buckets /= 2;
	return names_rebuild(c, buckets);
}

/* A zeroed entry: a reclaimed one, or a new one from a slab. Caller holds
 * c->lock. */
static struct shmseq_seq *entry_alloc(struct shmseq *c)
{
	struct shmseq_seq *e = c->free_entries;
	if (e) {
		c->free_entries = e->next_free;
		memset(e, 0, sizeof(*e));
		return e;
	}
	struct entry_slab *s = c->slabs;
	if (!s || s->used == s->cap) {
		size_t cap = c->nnames < SLAB_FIRST ? SLAB_FIRST
			     : c->nnames > SLAB_MAX ? SLAB_MAX
						    : c->nnames;
		size_t bytes = sizeof(*s) + cap * sizeof(s->e[0]);
		s = aligned_alloc(_Alignof(struct shmseq_seq), (bytes + 127) & ~(size_t)127);
		if (!s)
			return NULL;
		s->next = c->slabs;
		s->used = 0;
		s->cap = cap;
		c->slabs = s;
	}
	e = &s->e[s->used++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Entries that point into the retired region old point at the stand-in
 * instead: they re-resolve. Caller holds c->lock. */
static void entries_repoint(struct shmseq *c, struct region_header *old)
{
	for (struct entry_slab *sl = c->slabs; sl; sl = sl->next) {
		for (size_t i = 0; i < sl->used; i++) {
			struct shmseq_seq *e = &sl->e[i];
			if (atomic_load_explicit(&e->hdr, memory_order_relaxed) != old)
				continue;
			atomic_store_explicit(&e->hdr, &dead_region.h, memory_order_relaxed);
			atomic_store_explicit(&e->slot, &dead_region.s[0], memory_order_release);
		}
	}
}

/* The entry of a name this connection dropped (or the daemon does not
 * know) leaves the cache, unless a handle holds it. Caller holds c->lock. */
static void names_forget(struct shmseq *c, const char *name)
{
	size_t len = strlen(name);
	struct shmseq_seq *e = seq_name_fits(name, len) ? lookup(c, name, util_hash(name, len)) : NULL;
	if (e && e->in_table && atomic_load_explicit(&e->refs, memory_order_relaxed) == 0)
		names_remove(c, e);
	reclaim_poll(&c->rc, c);
}

/* --- connections ---------------------------------------------------------------- */

SHMSEQ_API int shmseq_connect(const char *instance, shmseq **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!instance)
		instance = util_default_instance();
	if (!util_instance_name_valid(instance))
		return -EINVAL;
	struct shmseq *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	textf(c->instance, sizeof(c->instance), "%s", instance);
	c->sock = -1;
	pthread_mutex_init(&c->lock, NULL);
	struct name_table *t = names_new(NAMES_FIRST);
	if (!t) {
		free(c);
		return -ENOMEM;
	}
	atomic_init(&c->names, t);
	pthread_mutex_lock(&c->lock);
	int r = attach(c);
	pthread_mutex_unlock(&c->lock);
	if (r < 0) {
		shmseq_disconnect(c);
		return r;
	}
	*out = c;
	return 0;
}

static void leased_close_all(struct shmseq *c);

SHMSEQ_API void shmseq_disconnect(shmseq *c)
{
	if (!c)
		return;
	/* no thread may use the connection any more: no reader is left */
	leased_close_all(c);
	detach(c);
	reclaim_drain(&c->rc, c);
	free(atomic_load_explicit(&c->names, memory_order_relaxed));
	struct entry_slab *s = c->slabs;
	while (s) {
		struct entry_slab *n = s->next;
		free(s);
		s = n;
	}
	if (c->map) {
		munmap(c->map->hdr, c->map->size);
		if (c->map->lastv)
			munmap(c->map->lastv, c->map->nslots_mapped * sizeof(struct last_slot));
		free(c->map->hot);
		free(c->map);
	}
	struct temp_seq *tp = c->temps;
	while (tp) {
		struct temp_seq *n = tp->next;
		free(tp);
		tp = n;
	}
	exec_session_free(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The pid holding an flock on the file (dev, ino), from /proc/locks, or 0. */
static pid_t flock_holder(dev_t dev, ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	pid_t pid = 0;
	if (!f)
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; waiters have "->" */
		char kind[16], mode[16], rw[16];
		unsigned maj, min;
		unsigned long long i;
		int p;
		if (strstr(line, "->") || sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%llu", kind, mode, rw,
						 &p, &maj, &min, &i) != 7)
			continue;
		if (!strcmp(kind, "FLOCK") && i == (unsigned long long)ino && makedev(maj, min) == dev)
			pid = p;
	}
	fclose(f);
	return pid;
}

/* Listening sockets named <instance>.sock that are none of the paths tried,
 * from /proc/net/unix, appended to buf as ", PATH". */
static void listening_elsewhere(const char *instance, const struct search *s, char *buf, size_t cap)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[4400], name[300];
	if (!f)
		return;
	textf(name, sizeof(name), "/%s.sock", instance);
	while (fgets(line, sizeof(line), f)) {
		/* "Num RefCount Protocol Flags Type St Inode Path" */
		unsigned long flags;
		char path[4200];
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %4199s", &flags, path) != 2 ||
		    !(flags & 0x10000))
			continue;
		size_t pl = strlen(path), nl = strlen(name);
		if (pl <= nl || strcmp(path + pl - nl, name))
			continue;
		bool tried = false;
		for (size_t i = 0; i < s->n; i++)
			tried |= !strcmp(s->sockets[i], path);
		size_t len = strlen(buf);
		if (!tried && len + 1 < cap && !strstr(buf, path))
			textf(buf + len, cap - len, "%s%s", len ? ", " : "", path);
	}
	fclose(f);
}

/* When no socket answered: is the instance running all the same? Its
 * daemon holds the flock on <region name>.lock in /dev/shm for its life
 * (one per user: /dev/shm/shmseq.<uid>.<instance>.lock). If one is held,
 * say by whom, and where sockets of that name listen. */
static size_t lock_hint(const char *instance, const struct search *s, char *buf, size_t cap)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	size_t used = 0;
	char suffix[300];
	if (!d)
		return 0;
	textf(suffix, sizeof(suffix), ".%s.lock", instance);
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name), sl = strlen(suffix);
		struct stat st;
		char path[600];
		if (strncmp(e->d_name, "shmseq.", 7) || nl <= sl + 7 || strcmp(e->d_name + nl - sl, suffix))
			continue;
		/* only the uid between "shmseq." and the suffix: not "a.b" of "shmseq.a.b.<instance>.lock" */
		if (strspn(e->d_name + 7, "0123456789") != nl - sl - 7)
			continue;
		textf(path, sizeof(path), "/dev/shm/%s", e->d_name);
		if (stat(path, &st) < 0)
			continue;
		pid_t pid = flock_holder(st.st_dev, st.st_ino);
		if (!pid)
			continue; /* left by a daemon that died: nobody runs */
		char who[300], where[2048] = "";
		util_user_text(st.st_uid, who, sizeof(who));
		listening_elsewhere(instance, s, where, sizeof(where));
		int n = textf(buf + used, cap > used ? cap - used : 0,
			      "; yet the instance's lock %s is held by pid %d (%s): its daemon runs with "
			      "another runtime directory%s%s%s",
			      path, (int)pid, who, *where ? ", its socket is at " : "", where,
			      *where ? " (set SHMSEQ_RUNTIME_DIR to that directory)"
				     : " (see its SHMSEQ_RUNTIME_DIR or XDG_RUNTIME_DIR)");
		if (n > 0)
			used += (size_t)n;
	}
	closedir(d);
	return used;
}

SHMSEQ_API size_t shmseq_connect_explain(const char *instance, int err, char *buf, size_t cap)
{
	char tmp[1], hint[4096] = "";
	struct search s;
	if (!buf || !cap) {
		buf = tmp;
		cap = sizeof(tmp);
	}
	if (!instance)
		instance = util_default_instance();
	if (!util_instance_name_valid(instance)) {
		int n = textf(buf, cap, "bad instance name: use 1 to 64 letters, digits, '-' or '_'");
		return n < 0 ? 0 : (size_t)n;
	}
	/* look again, and say what is found */
	int fd = connect_trusted(instance, NULL, NULL, &s);
	if (fd >= 0)
		close(fd);
	else if (fd == -ECONNREFUSED)
		lock_hint(instance, &s, hint, sizeof(hint));
	int n;
	if (err == -EPERM && *s.decisive)
		n = textf(buf, cap, "%s (tried %s)", s.decisive, s.tried);
	else if (*s.tried)
		n = textf(buf, cap, "%s (tried %s)%s", shmseq_strerror(err), s.tried, hint);
	else {
		char path[4200] = "";
		util_socket_path(instance, path, sizeof(path));
		n = textf(buf, cap, "%s (socket %s)%s", shmseq_strerror(err), path, hint);
	}
	return n < 0 ? 0 : (size_t)n;
}

SHMSEQ_API const char *shmseq_instance(const shmseq *c)
{
	return c ? c->instance : NULL;
}

SHMSEQ_API const char *shmseq_version(void)
{
	return SHMSEQ_VERSION_STRING;
}

/* --- name resolution ------------------------------------------------------------ */

/* Find name in the region's name index and point the entry there: 0, or 1
 * when the index has no answer it can vouch for (none, absent, anything
 * that does not check out: region_index.c) and the daemon is asked. */
static int resolve_index(struct shmseq *c, struct shmseq_seq *e)
{
	size_t len = strnlen(e->name, sizeof(e->name));
	uint64_t hash = util_hash(e->name, len);
	pthread_mutex_lock(&c->lock);
	struct mapping *m = c->map;
	struct region_header *h = atomic_load_explicit(&c->hdr, memory_order_relaxed);
	uint32_t slot, flags;
	uint64_t id;
	if (!m || m->hdr != h || !m->ix.bucket ||
	    atomic_load_explicit(&h->state, memory_order_relaxed) != REGION_STATE_LIVE ||
	    region_index_lookup(&m->ix, e->name, len, hash, &slot, &id, &flags) != INDEX_HIT) {
		pthread_mutex_unlock(&c->lock);
		return 1;
	}
	atomic_store_explicit(&e->hdr, h, memory_order_relaxed);
	atomic_store_explicit(&e->seq_id, id, memory_order_relaxed);
	atomic_store_explicit(&e->cycle, (flags & SLOT_CYCLE) != 0, memory_order_relaxed);
	atomic_store_explicit(&e->is_unsigned, (flags & SLOT_UNSIGNED) != 0, memory_order_relaxed);
	/* pairs with the acquire load of e->slot on the fast path */
	atomic_store_explicit(&e->slot, &region_slots(h)[slot], memory_order_release);
	names_rehint(c, e);
	reclaim_poll(&c->rc, c);
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add_explicit(&c->index_hits, 1, memory_order_relaxed);
	return 0;
}

/* Ask the daemon where name lives now and point the entry there. */
static int resolve_daemon(struct shmseq *c, struct shmseq_seq *e)
{
	struct wire_open req;
	struct wire_open_reply rep;
	if (wire_name_set(&req.name, e->name) < 0)
		return -EINVAL;
	int r = client_rpc(c, WIRE_OPEN, &req, sizeof(req), &rep, sizeof(rep), true);
	if (r == -SHMSEQ_ERR_UNKNOWN_SEQUENCE) {
		pthread_mutex_lock(&c->lock);
		names_forget(c, e->name);
		pthread_mutex_unlock(&c->lock);
	}
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->lock);
	struct region_header *h = atomic_load_explicit(&c->hdr, memory_order_relaxed);
	if (rep.slot >= h->nslots) {
		pthread_mutex_unlock(&c->lock);
		return -EPROTO;
	}
	atomic_store_explicit(&e->hdr, h, memory_order_relaxed);
	atomic_store_explicit(&e->seq_id, rep.seq_id, memory_order_relaxed);
	atomic_store_explicit(&e->cycle, rep.cycle != 0, memory_order_relaxed);
	atomic_store_explicit(&e->is_unsigned, rep.is_unsigned != 0, memory_order_relaxed);
	/* pairs with the acquire load of e->slot on the fast path */
	atomic_store_explicit(&e->slot, &region_slots(h)[rep.slot], memory_order_release);
	names_rehint(c, e);
	reclaim_poll(&c->rc, c);
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add_explicit(&c->opens, 1, memory_order_relaxed);
	return 0;
}

/* Where name lives now: from the region's name index when it vouches for
 * it, else from the daemon (which also repairs the slot and the index). */
static int resolve(struct shmseq *c, struct shmseq_seq *e)
{
	if (resolve_index(c, e) == 0)
		return 0;
	return resolve_daemon(c, e);
}

/* The LASTVAL kept by slot (index_nextval) for sequence id in slot s of the
 * current mapping: 0, or -ENODATA. */
static int slot_lastval(struct shmseq *c, struct region_header *h, const struct region_slot *s, uint64_t id,
			int64_t *value)
{
	struct mapping *m = atomic_load_explicit(&c->cur, memory_order_acquire);
	if (!m || !m->lastv || m->hdr != h)
		return -ENODATA;
	uint64_t at = (uint64_t)(s - region_slots(h));
	if (at >= m->nslots_mapped || id == 0 ||
	    atomic_load_explicit(&m->lastv[at].id, memory_order_relaxed) != id)
		return -ENODATA;
	*value = atomic_load_explicit(&m->lastv[at].v, memory_order_relaxed);
	return 0;
}

int client_entry(struct shmseq *c, const char *name, struct shmseq_seq **out)
{
	size_t len = strlen(name);
	if (!seq_name_fits(name, len))
		return -EINVAL;
	uint64_t hash = util_hash(name, len);
	struct shmseq_seq *e = lookup(c, name, hash);
	if (e) {
		*out = e;
		return 0;
	}
	/* resolved on the side: the table only ever holds resolved entries */
	struct shmseq_seq fresh;
	memset(&fresh, 0, sizeof(fresh));
	fresh.conn = c;
	memcpy(fresh.name, name, len + 1);
	int r = resolve(c, &fresh);
	if (r < 0)
		return r;
	/* a LASTVAL taken through the index before: the entry carries it on */
	int64_t last;
	uint64_t id = atomic_load_explicit(&fresh.seq_id, memory_order_relaxed);
	if (slot_lastval(c, atomic_load_explicit(&fresh.hdr, memory_order_relaxed),
			 atomic_load_explicit(&fresh.slot, memory_order_relaxed), id, &last) == 0) {
		atomic_store_explicit(&fresh.last, last, memory_order_relaxed);
		atomic_store_explicit(&fresh.last_id, id, memory_order_relaxed);
	}
	pthread_mutex_lock(&c->lock);
	e = lookup(c, name, hash); /* another thread may have added it meanwhile */
	if (!e) {
		r = names_make_room(c);
		if (r == 0 && (e = entry_alloc(c)) == NULL)
			r = -ENOMEM;
		if (r == 0) {
			memcpy(e, &fresh, sizeof(*e)); /* not yet visible to any reader */
			/* resolved into a region retired since: it re-resolves */
			if (atomic_load_explicit(&e->hdr, memory_order_relaxed) !=
			    atomic_load_explicit(&c->hdr, memory_order_relaxed)) {
				atomic_store_explicit(&e->hdr, &dead_region.h, memory_order_relaxed);
				atomic_store_explicit(&e->slot, &dead_region.s[0], memory_order_relaxed);
			}
			e->in_table = true;
			if (names_put(atomic_load_explicit(&c->names, memory_order_relaxed), hash, e,
				      slot_index(e)))
				c->ntomb--;
			c->nnames++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (r < 0)
		return r;
	*out = e;
	return 0;
}

/* --- nextval ------------------------------------------------------------------ */

/* Whether the entry points into the live region of the current daemon. */
static inline bool region_live(struct shmseq_seq *e)
{
	struct region_header *h = atomic_load_explicit(&e->hdr, memory_order_relaxed);
	return atomic_load_explicit(&h->state, memory_order_relaxed) == REGION_STATE_LIVE;
}

static uint32_t slot_index(const struct shmseq_seq *e)
{
	if (!atomic_load_explicit(&e->slot, memory_order_relaxed))
		return 0;
	struct region_header *h = atomic_load_explicit(&e->hdr, memory_order_relaxed);
	return (uint32_t)(atomic_load_explicit(&e->slot, memory_order_relaxed) - region_slots(h));
}

static void send_ticket(struct shmseq *c, struct shmseq_seq *e, uint16_t op, const struct region_ticket *tk)
{
	struct {
		struct wire_hdr h;
		struct wire_ticket t;
	} m;
	wire_hdr_init(&m.h, op, sizeof(m.t), 0, 0);
	m.t.slot = slot_index(e);
	m.t.pad = 0;
	m.t.seq_id = atomic_load_explicit(&e->seq_id, memory_order_relaxed);
	m.t.gen = tk->gen;
	m.t.n = tk->n;
	/* One-way and never blocking: a datagram goes whole or not at all, so it
	 * cannot interleave with another thread's request on the same socket.
	 * If it is lost, the window runs dry and a blocking refill follows.
	 * Without the lock: another thread may detach() meanwhile, which shuts
	 * the socket down (the NUDGE fails) but closes the descriptor only once
	 * this reader section is over, so the number cannot be reused yet. */
	int fd = atomic_load_explicit(&c->sock, memory_order_relaxed);
	if (fd >= 0)
		util_send(fd, &m, sizeof(m), -1, MSG_DONTWAIT);
}

static int ticket_rpc(struct shmseq *c, struct shmseq_seq *e, uint16_t op, const struct region_ticket *tk)
{
	struct wire_ticket t = {
		.slot = slot_index(e),
		.seq_id = atomic_load_explicit(&e->seq_id, memory_order_relaxed),
		.gen = tk->gen,
		.n = tk->n,
	};
	return client_rpc(c, op, &t, sizeof(t), NULL, 0, true);
}

static inline void record_last(struct shmseq_seq *e, int64_t v)
{
	atomic_store_explicit(&e->last, v, memory_order_relaxed);
	uint64_t id = atomic_load_explicit(&e->seq_id, memory_order_relaxed);
	if (atomic_load_explicit(&e->last_id, memory_order_relaxed) != id)
		atomic_store_explicit(&e->last_id, id, memory_order_relaxed);
}

/* How long one NEXTVAL may go on asking the daemon without getting a value,
 * in round trips and in time: then it fails with -ETIMEDOUT. A healthy
 * daemon answers a refill in one batch, and repairs a slot that a scribbler
 * left busy, gone or inconsistent on the first request about it; only a
 * slot it cannot repair (or a daemon that keeps not answering in time) gets
 * this far. Every call of the slow path thus returns. */
#define SLOW_RPCS_MAX 10000
#define SLOW_NS_MAX (10ull * 1000000000ull)

/* Count one more round trip of this call; -ETIMEDOUT when it is one too many. */
static int slow_budget(int *rpcs, uint64_t *t0)
{
	uint64_t now = util_now_ns();
	if ((*rpcs)++ == 0)
		*t0 = now;
	else if (*rpcs > SLOW_RPCS_MAX || now - *t0 > SLOW_NS_MAX)
		return -ETIMEDOUT;
	return 0;
}

/* Out of line: the fast path in shmseq_seq_nextval() keeps a small frame. */
static __attribute__((noinline, cold)) int nextval_slow(struct shmseq_seq *e, struct region_slot *s,
							enum region_take_result r, struct region_ticket *tk,
							int64_t *value)
{
	struct shmseq *c = e->conn;
	int busy = 0, retries = 0, corrupt = 0, rpcs = 0;
	bool asked_end = false;
	uint64_t t0 = 0, t_retry = 0;
	for (;;) {
		int err = 0;
		switch (r) {
		case TAKE_OK:
			if (tk->nudge)
				send_ticket(c, e, WIRE_NUDGE, tk);
			record_last(e, *value);
			return 0;
		case TAKE_REFILL:
			if ((err = slow_budget(&rpcs, &t0)) < 0 ||
			    (err = ticket_rpc(c, e, WIRE_REFILL, tk)) < 0)
				return err;
			if (atomic_load_explicit(&c->hdr, memory_order_relaxed) !=
			    atomic_load_explicit(&e->hdr, memory_order_relaxed)) {
				r = TAKE_GONE; /* the daemon restarted: this region is history */
				continue;
			}
			r = region_redeem(s, atomic_load_explicit(&e->seq_id, memory_order_relaxed), tk,
					  value);
			continue;
		case TAKE_WIDE:
			/* base + n·inc beyond int64 arithmetic: computed exactly */
			r = region_redeem(s, atomic_load_explicit(&e->seq_id, memory_order_relaxed), tk,
					  value);
			continue;
		case TAKE_END:
			if (!tk->cycle) {
				/* Values left in the round but not durable yet: other
				 * threads hold their tickets (the round is taken: run
				 * out), or a scribbled counter jumped past the end.
				 * Ask the daemon once, which repairs the latter. */
				if (!asked_end &&
				    atomic_load_explicit(&s->limit, memory_order_relaxed) <
					    atomic_load_explicit(&s->end, memory_order_relaxed)) {
					asked_end = true;
					if ((err = slow_budget(&rpcs, &t0)) < 0 ||
					    (err = ticket_rpc(c, e, WIRE_REFILL, tk)) < 0)
						return err;
					if (atomic_load_explicit(&c->hdr, memory_order_relaxed) !=
					    atomic_load_explicit(&e->hdr, memory_order_relaxed)) {
						r = TAKE_GONE; /* the daemon restarted */
						continue;
					}
					r = region_redeem(
						s, atomic_load_explicit(&e->seq_id, memory_order_relaxed), tk,
						value);
					continue;
				}
				atomic_store_explicit(&e->last_id, 0, memory_order_relaxed);
				return -SHMSEQ_ERR_RUN_OUT;
			}
			if ((err = slow_budget(&rpcs, &t0)) < 0 ||
			    (err = ticket_rpc(c, e, WIRE_WRAP, tk)) < 0)
				return err;
			break;
		case TAKE_RETRY:
			/* the epoch keeps changing under us (statements, or CYCLE
			 * rounds of a tiny range on a busy sequence): after a
			 * while give the others the CPU, within the slow path's
			 * time budget (-ETIMEDOUT, as documented) */
			if (++retries >= 1000) {
				uint64_t now = util_now_ns();
				if (retries == 1000)
					t_retry = now;
				else if (now - t_retry > SLOW_NS_MAX)
					return -ETIMEDOUT;
				sched_yield();
			}
			break;
		case TAKE_BUSY:
			/* the daemon is mid-update (a few instructions) or died there */
			if (++busy < 64) {
				sched_yield();
				break;
			}
			busy = 0;
			/* a round trip waits for the daemon's batch */
			__attribute__((fallthrough));
		case TAKE_GONE:
		case TAKE_CORRUPT:
			if (r == TAKE_CORRUPT && ++corrupt > 3)
				return -EPROTO;
			/* gone: where the name is now, the index may say; busy
			 * or corrupt: the daemon repairs the slot first */
			if ((err = slow_budget(&rpcs, &t0)) < 0 ||
			    (err = r == TAKE_GONE ? resolve(c, e) : resolve_daemon(c, e)) < 0)
				return err;
			break;
		}
		s = atomic_load_explicit(&e->slot, memory_order_acquire);
		if (!region_live(e)) {
			err = resolve(c, e); /* re-attaches: the region was closed */
			if (err < 0)
				return err;
			s = atomic_load_explicit(&e->slot, memory_order_acquire);
		}
		r = region_take(s, atomic_load_explicit(&e->seq_id, memory_order_relaxed), value, tk);
	}
}

static int leased_nextval(struct shmseq_seq *e, int64_t *value);

/* NEXTVAL through an entry; caller is inside a reader section. */
static inline __attribute__((always_inline)) int seq_nextval(struct shmseq_seq *e, int64_t *value)
{
	struct region_slot *s = atomic_load_explicit(&e->slot, memory_order_acquire);
	struct region_ticket tk = {0};
	enum region_take_result r = TAKE_GONE;
	int64_t v = 0;
	if (likely(region_live(e))) {
		r = region_take(s, atomic_load_explicit(&e->seq_id, memory_order_relaxed), &v, &tk);
		if (likely(r == TAKE_OK && !tk.nudge)) {
			*value = v;
			record_last(e, v);
			return 0;
		}
	}
	/* a leased handle's slot is the closed stand-in: it lands here */
	if (unlikely(e->leased))
		return leased_nextval(e, value);
	/* a copy: tk's own address never escapes, so on the fast path it lives
	 * in registers (nothing stored between two fetch-and-adds) */
	struct region_ticket slow = tk;
	*value = v;
	return nextval_slow(e, s, r, &slow, value);
}

SHMSEQ_API int shmseq_seq_nextval(shmseq_seq *e, int64_t *value)
{
	struct reclaim_reader *rr = reclaim_enter();
	int r = seq_nextval(e, value);
	reclaim_exit(rr);
	return r;
}

struct lease_block {
	int64_t next;	      /* the value served next */
	int64_t inc;	      /* the slot's real increment */
	uint64_t left;	      /* values left */
	uint64_t gen;	      /* the slot generation the block was taken under */
	uint64_t seq_id;      /* and the sequence's identity */
	uint64_t incarnation; /* and the daemon's (the region's header) */
	unsigned forks;	      /* lease_forks when taken */
	struct leased *own;   /* the handle */
	struct lease_block *prev, *next_block;
};

struct leased {
	struct shmseq_seq e; /* what the caller holds: e.leased */
	struct shmseq_seq *base;
	uint64_t lease;
	pthread_key_t key;
	pthread_mutex_t lock; /* blocks */
	struct lease_block *blocks;
	struct leased *prev, *next; /* on the connection's list, under its lock */
};

/* --- batches ---------------------------------------------------------------
 *
 * Up to n consecutive tickets with one fetch-and-add. Those that fall in the
 * round (below `end`) are ours; if the last of them is beyond the durable
 * limit, one blocking refill covers it and so all of them (the daemon
 * reserves up to a ticket). Tickets past the end of the round are void, as a
 * single NEXTVAL's past the end is: the call answers fewer. Every other
 * state of the slot (busy, gone, a round to wrap, run out) goes through the
 * single-value path, which answers one value, or the error. */

/* A batch on slot s under generation g: TAKE_OK with *t0 and *avail >= 1
 * usable tickets (the last one's ticket in tk, for a refill), TAKE_REFILL
 * when the last one lies beyond the durable limit, or a state the
 * single-value path handles (no ticket of ours is usable). */
static enum region_take_result take_n(struct region_slot *s, uint64_t seq_id, uint64_t n,
				      struct region_ticket *tk, uint64_t *t0, uint64_t *avail)
{
	uint64_t g = atomic_load_explicit(&s->gen, memory_order_acquire);
	if (g & 1)
		return TAKE_BUSY;
	if (atomic_load_explicit(&s->seq_id, memory_order_relaxed) != seq_id)
		return TAKE_GONE;
	uint64_t mark = atomic_load_explicit(&s->refill_mark, memory_order_acquire);
	uint64_t t = atomic_fetch_add_explicit(&s->ticks, n, memory_order_seq_cst);
	if (atomic_load_explicit(&s->gen, memory_order_seq_cst) != g)
		return TAKE_RETRY;
	uint64_t end = atomic_load_explicit(&s->end, memory_order_relaxed);
	tk->gen = g;
	tk->cycle = atomic_load_explicit(&s->flags, memory_order_relaxed) & SLOT_CYCLE;
	/* the refill mark among ours: ask for more ahead, as a single take does */
	tk->nudge = mark >= t && mark - t < n;
	if (t >= end) {
		tk->n = t;
		return TAKE_END;
	}
	*t0 = t;
	*avail = end - t < n ? end - t : n;
	tk->n = t + *avail - 1;
	/* pairs with the release store in region_slot_extend() */
	if (tk->n >= atomic_load_explicit(&s->limit, memory_order_acquire))
		return TAKE_REFILL;
	return TAKE_OK;
}

/* The values of tickets t0 and t0+avail-1 under tk->gen: TAKE_OK, or
 * TAKE_RETRY when the epoch changed (our tickets are void). */
static enum region_take_result batch_values(struct region_slot *s, uint64_t seq_id,
					    const struct region_ticket *tk, uint64_t t0, int64_t *first,
					    int64_t *last)
{
	int64_t v;
	/* the last ticket is covered (durable), and so all before it */
	if (region_redeem(s, seq_id, tk, &v) != TAKE_OK)
		return TAKE_RETRY;
	int64_t base = atomic_load_explicit(&s->base, memory_order_relaxed);
	int64_t inc = atomic_load_explicit(&s->inc, memory_order_relaxed);
	uint32_t flags = atomic_load_explicit(&s->flags, memory_order_relaxed);
	if (!region_value(base, inc, t0, flags, first))
		return TAKE_RETRY;
	if (atomic_load_explicit(&s->gen, memory_order_seq_cst) != tk->gen)
		return TAKE_RETRY;
	*last = v;
	return TAKE_OK;
}

static int seq_nextval_n(struct shmseq_seq *e, uint64_t n, int64_t *first, uint64_t *got)
{
	struct shmseq *c = e->conn;
	*got = 0;
	if (n == 0)
		return -EINVAL;
	if (n > SHMSEQ_BATCH_MAX)
		n = SHMSEQ_BATCH_MAX;
	if (n == 1 || !region_live(e)) {
		int r = seq_nextval(e, first);
		*got = r == 0;
		return r;
	}
	struct region_slot *s = atomic_load_explicit(&e->slot, memory_order_acquire);
	uint64_t id = atomic_load_explicit(&e->seq_id, memory_order_relaxed);
	/* A window too short for the batch is extended before any ticket is
	 * taken: a refill that fails (the daemon is down) then costs nothing,
	 * where each retried batch would otherwise void n tickets — values a
	 * daemon adopting the region must skip, a gap beyond the reserve-ahead
	 * a crash may cost. (Racing takers may still empty it: then the batch
	 * waits for the refill below, holding its tickets, as a single take.) */
	uint64_t g0 = atomic_load_explicit(&s->gen, memory_order_acquire);
	uint64_t seen = atomic_load_explicit(&s->ticks, memory_order_relaxed);
	uint64_t end0 = atomic_load_explicit(&s->end, memory_order_relaxed);
	if (!(g0 & 1) && seen < end0 &&
	    seen + n - 1 >= atomic_load_explicit(&s->limit, memory_order_acquire)) {
		struct region_ticket want = {.gen = g0, .n = end0 - seen < n ? end0 - 1 : seen + n - 1};
		int err = ticket_rpc(c, e, WIRE_REFILL, &want);
		if (err < 0)
			return err;
	}
	struct region_ticket tk = {0};
	uint64_t t0 = 0, avail = 0;
	int64_t last;
	enum region_take_result r = take_n(s, id, n, &tk, &t0, &avail);
	int rpcs = 0;
	uint64_t start = 0;
	while (r == TAKE_REFILL) {
		/* the daemon reserves up to the ticket asked for; a batch larger
		 * than it reserves at once takes a few round trips */
		int err;
		if ((err = slow_budget(&rpcs, &start)) < 0 || (err = ticket_rpc(c, e, WIRE_REFILL, &tk)) < 0)
			return err;
		if (atomic_load_explicit(&c->hdr, memory_order_relaxed) !=
		    atomic_load_explicit(&e->hdr, memory_order_relaxed))
			r = TAKE_GONE; /* the daemon restarted: these tickets are history */
		else if ((r = region_redeem(s, id, &tk, &last)) == TAKE_END)
			r = TAKE_RETRY; /* the round was cut short meanwhile */
	}
	if (r == TAKE_OK && batch_values(s, id, &tk, t0, first, &last) == TAKE_OK) {
		if (tk.nudge)
			send_ticket(c, e, WIRE_NUDGE, &tk);
		record_last(e, last);
		*got = avail;
		return 0;
	}
	/* not a batch this time: one value (or the error) */
	int err = seq_nextval(e, first);
	*got = err == 0;
	return err;
}

SHMSEQ_API int shmseq_seq_nextval_n(shmseq_seq *e, uint64_t n, int64_t *first, uint64_t *got)
{
	if (!e || !first || !got)
		return -EINVAL;
	if (e->leased)
		e = ((struct leased *)e)->base; /* a batch is its own block */
	struct reclaim_reader *rr = reclaim_enter();
	int r = seq_nextval_n(e, n, first, got);
	reclaim_exit(rr);
	return r;
}

/* --- leased handles ----------------------------------------------------------
 *
 * A leased handle serves each thread from a block of `lease` values that
 * the thread took with one batch, so threads and processes stop sharing the
 * counter's cache line. A block belongs to the epoch it was taken in (the
 * slot's generation and the sequence's identity): any statement that
 * changes the sequence (ALTER, SETVAL, DROP, a CYCLE round, a daemon
 * restart) retires every block at its owner's next call — the values it
 * still held are a gap, like those of a thread that ends. A fork() retires
 * the child's inherited blocks too (they are the parent's). */

static _Atomic unsigned lease_forks;
static pthread_once_t lease_once = PTHREAD_ONCE_INIT;

static void lease_child(void)
{
	atomic_fetch_add_explicit(&lease_forks, 1, memory_order_relaxed);
}

static void lease_init(void)
{
	pthread_atfork(NULL, NULL, lease_child);
}

/* A thread ends: its block goes (its values are a gap). */
static void lease_thread_end(void *p)
{
	struct lease_block *b = p;
	struct leased *l = b->own;
	pthread_mutex_lock(&l->lock);
	if (b->prev)
		b->prev->next_block = b->next_block;
	else
		l->blocks = b->next_block;
	if (b->next_block)
		b->next_block->prev = b->prev;
	pthread_mutex_unlock(&l->lock);
	free(b);
}

/* Take a new block for this thread and serve its first value. Inside a
 * reader section. */
static __attribute__((noinline)) int lease_refill(struct leased *l, struct lease_block *b, int64_t *value)
{
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->own = l;
		pthread_mutex_lock(&l->lock);
		b->next_block = l->blocks;
		if (l->blocks)
			l->blocks->prev = b;
		l->blocks = b;
		pthread_mutex_unlock(&l->lock);
		if (pthread_setspecific(l->key, b) != 0) {
			lease_thread_end(b);
			return -ENOMEM;
		}
	}
	b->left = 0;
	struct shmseq_seq *e = l->base;
	/* the epoch before the batch: if it is still the same after it (same
	 * region, live, same slot, same even gen; gen only grows), the batch
	 * was taken in it. Read after the batch alone, a statement in between
	 * would let the block serve the old epoch's values under the new one. */
	struct region_header *h = atomic_load_explicit(&e->hdr, memory_order_acquire);
	struct region_slot *s = atomic_load_explicit(&e->slot, memory_order_acquire);
	uint64_t gen = s ? atomic_load_explicit(&s->gen, memory_order_acquire) : 1;
	int64_t first;
	uint64_t got;
	int r = seq_nextval_n(e, l->lease, &first, &got);
	if (r < 0)
		return r;
	if (got > 1 && !(gen & 1) && region_live(e) &&
	    atomic_load_explicit(&e->hdr, memory_order_acquire) == h &&
	    atomic_load_explicit(&e->slot, memory_order_acquire) == s &&
	    atomic_load_explicit(&s->gen, memory_order_acquire) == gen) {
		b->inc = atomic_load_explicit(&s->inc, memory_order_relaxed);
		b->gen = gen;
		b->seq_id = atomic_load_explicit(&e->seq_id, memory_order_relaxed);
		b->incarnation = h->incarnation;
		b->forks = atomic_load_explicit(&lease_forks, memory_order_relaxed);
		b->next = (int64_t)((uint64_t)first + (uint64_t)b->inc);
		b->left = got - 1;
	}
	*value = first;
	return 0;
}

static int leased_nextval(struct shmseq_seq *h, int64_t *value)
{
	struct leased *l = (struct leased *)h;
	struct lease_block *b = pthread_getspecific(l->key);
	if (likely(b && b->left)) {
		/* a daemon restart that did not adopt the region closes it and
		 * leaves its slots as they were: the region must be live and
		 * the same daemon's */
		struct region_header *hdr = atomic_load_explicit(&l->base->hdr, memory_order_acquire);
		struct region_slot *s = atomic_load_explicit(&l->base->slot, memory_order_acquire);
		if (likely(s && region_live(l->base) && hdr->incarnation == b->incarnation &&
			   atomic_load_explicit(&s->gen, memory_order_acquire) == b->gen &&
			   atomic_load_explicit(&l->base->seq_id, memory_order_relaxed) == b->seq_id &&
			   atomic_load_explicit(&lease_forks, memory_order_relaxed) == b->forks)) {
			*value = b->next;
			/* values of one round: the sum stays in the domain (or is
			 * never served), and wraps like seq_epoch_value's */
			b->next = (int64_t)((uint64_t)b->next + (uint64_t)b->inc);
			b->left--;
			return 0;
		}
	}
	return lease_refill(l, b, value);
}

SHMSEQ_API int shmseq_seq_open_leased(shmseq *c, const char *name, uint64_t lease, shmseq_seq **out)
{
	if (!c || !name || !out || lease == 0)
		return -EINVAL;
	if (lease > SHMSEQ_BATCH_MAX)
		lease = SHMSEQ_BATCH_MAX;
	pthread_once(&lease_once, lease_init);
	struct leased *l = aligned_alloc(_Alignof(struct leased), (sizeof(*l) + 127) & ~(size_t)127);
	if (!l)
		return -ENOMEM;
	memset(l, 0, sizeof(*l));
	int r = shmseq_seq_open(c, name, &l->base);
	if (r < 0) {
		free(l);
		return r;
	}
	if (pthread_key_create(&l->key, lease_thread_end) != 0) {
		shmseq_seq_close(l->base);
		free(l);
		return -EAGAIN;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->lease = lease;
	l->e.leased = true;
	/* not a live slot: shmseq_seq_nextval() leaves its fast path at once
	 * and finds the handle leased there, so plain handles pay nothing */
	atomic_store_explicit(&l->e.hdr, &dead_region.h, memory_order_relaxed);
	atomic_store_explicit(&l->e.slot, &dead_region.s[0], memory_order_relaxed);
	l->e.conn = c;
	snprintf(l->e.name, sizeof(l->e.name), "%s", l->base->name);
	pthread_mutex_lock(&c->lock);
	l->next = c->leased;
	if (c->leased)
		c->leased->prev = l;
	c->leased = l;
	pthread_mutex_unlock(&c->lock);
	*out = &l->e;
	return 0;
}

static void leased_close(struct shmseq_seq *h)
{
	struct leased *l = (struct leased *)h;
	struct shmseq *c = h->conn;
	pthread_mutex_lock(&c->lock);
	if (l->prev)
		l->prev->next = l->next;
	else
		c->leased = l->next;
	if (l->next)
		l->next->prev = l->prev;
	pthread_mutex_unlock(&c->lock);
	/* no thread uses the handle any more (the caller's promise): their
	 * blocks go with it, and the key's destructor never runs again */
	pthread_key_delete(l->key);
	for (struct lease_block *b = l->blocks, *n; b; b = n) {
		n = b->next_block;
		free(b);
	}
	pthread_mutex_destroy(&l->lock);
	shmseq_seq_close(l->base);
	free(l);
}

static void leased_close_all(struct shmseq *c)
{
	while (c->leased)
		leased_close(&c->leased->e);
}

/* The cache entry of a base sequence by name: the lock-free lookup, else
 * the daemon (client_entry). The caller is inside a reader section. */
static inline __attribute__((always_inline)) int named_entry(struct shmseq *c, const char *name,
							     struct shmseq_seq **e)
{
	size_t len = strlen(name);
	*e = len && len <= SHMSEQ_NAME_MAX ? lookup(c, name, util_hash(name, len)) : NULL;
	return likely(*e) ? 0 : client_entry(c, name, e);
}

static int temp_nextval(struct shmseq *c, const char *name, int64_t *value, bool *found);

SHMSEQ_API int shmseq_nextval_n(shmseq *c, const char *name, uint64_t n, int64_t *first, uint64_t *got)
{
	if (!c || !name || !first || !got)
		return -EINVAL;
	*got = 0;
	if (n == 0)
		return -EINVAL;
	if (unlikely(atomic_load_explicit(&c->ntemp, memory_order_relaxed) > 0)) {
		bool found;
		int r = temp_nextval(c, name, first, &found);
		if (found) {
			/* a TEMPORARY sequence: one value per call */
			*got = r == 0;
			return r;
		}
	}
	struct reclaim_reader *rr = reclaim_enter();
	struct shmseq_seq *e;
	int r = named_entry(c, name, &e);
	if (likely(r == 0))
		r = seq_nextval_n(e, n, first, got);
	reclaim_exit(rr);
	return r;
}

/* What index_nextval() found in the first level and took, for
 * index_nextval_more(). */
struct hot_taken {
	struct hot_entry *he; /* the entry, read at version hv */
	uint32_t hv, slot;
	uint64_t id;
	enum region_take_result r;
	struct region_ticket tk;
	int64_t v;
};

/* NEXTVAL by a name the cache does not hold, through the region's name
 * index: no cache entry is made (its 256 bytes and the bucket were most of
 * a session's memory per name), only the LASTVAL is kept, by slot
 * (mapping.lastv: 16 bytes). A name used often is found first in the
 * mapping's small first level (hotnames.h), which spares the index's checks
 * on every call: index_nextval() below tries that, this does the rest, with
 * what it found and took (ht; NULL when the first level had no entry for
 * the name). The take itself tells when the first level is out of date
 * (TAKE_GONE: the slot holds another sequence, nothing was taken), and then
 * the index is asked. 0 or -error; 1 when the index cannot vouch for the
 * name: the caller makes a cache entry through the daemon, as before. The
 * caller is inside a reader section. */
static __attribute__((noinline)) int index_nextval_more(struct shmseq *c, struct mapping *m, const char *name,
							size_t len, uint64_t hash, int64_t *value,
							const struct hot_taken *ht)
{
	uint32_t flags = 0, slot = 0;
	uint64_t id = 0;
	struct region_slot *s = NULL;
	struct region_ticket tk = {0};
	int64_t v = 0;
	enum region_take_result r = TAKE_GONE;
	if (ht) {
		slot = ht->slot;
		id = ht->id;
		r = ht->r;
		tk = ht->tk;
		v = ht->v;
		if (r == TAKE_GONE) {
			/* dropped or replaced (nothing was taken): the index knows */
			hot_forget(m->hot, ht->he, ht->hv);
			ht = NULL;
		}
	}
	if (!ht) {
		if (region_index_lookup(&m->ix, name, len, hash, &slot, &id, &flags) != INDEX_HIT)
			return 1;
		s = &m->ix.slots[slot];
		tk = (struct region_ticket){0};
		v = 0;
		r = region_take(s, id, &v, &tk);
		if (r == TAKE_OK && m->hot)
			hot_admit(m->hot, name, len, hash, slot, id);
	} else {
		s = &m->ix.slots[slot];
		flags = atomic_load_explicit(&s->flags, memory_order_relaxed);
	}
	struct last_slot *l = &m->lastv[slot];
	if (likely(r == TAKE_OK && !tk.nudge)) {
		*value = v;
		lastv_set(l, v, id);
		return 0;
	}
	/* Anything else (a refill, a nudge, the end of the round, a slot that
	 * changed): the slow path of a cache entry, with the ticket held, on
	 * an entry of our own that no one else sees. */
	struct shmseq_seq e;
	memset(&e, 0, sizeof(e));
	e.conn = c;
	memcpy(e.name, name, len + 1);
	atomic_store_explicit(&e.hdr, m->hdr, memory_order_relaxed);
	atomic_store_explicit(&e.seq_id, id, memory_order_relaxed);
	atomic_store_explicit(&e.cycle, (flags & SLOT_CYCLE) != 0, memory_order_relaxed);
	atomic_store_explicit(&e.is_unsigned, (flags & SLOT_UNSIGNED) != 0, memory_order_relaxed);
	atomic_store_explicit(&e.slot, s, memory_order_relaxed);
	atomic_store_explicit(&e.last, atomic_load_explicit(&l->v, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&e.last_id, atomic_load_explicit(&l->id, memory_order_relaxed),
			      memory_order_relaxed);
	struct region_ticket slow = tk;
	*value = v;
	int err = nextval_slow(&e, s, r, &slow, value);
	/* its LASTVAL back, where the entry ended up (it may have moved) */
	struct mapping *now = atomic_load_explicit(&c->cur, memory_order_acquire);
	struct region_slot *es = atomic_load_explicit(&e.slot, memory_order_relaxed);
	if (now && now->lastv && atomic_load_explicit(&e.hdr, memory_order_relaxed) == now->hdr) {
		uint64_t at = (uint64_t)(es - region_slots(now->hdr));
		if (at < now->nslots_mapped)
			lastv_set(&now->lastv[at], atomic_load_explicit(&e.last, memory_order_relaxed),
				  atomic_load_explicit(&e.last_id, memory_order_relaxed));
	}
	return err;
}

/* The first level's hit, taken inline; everything else in
 * index_nextval_more(). */
static inline __attribute__((always_inline)) int index_nextval(struct shmseq *c, const char *name, size_t len,
							       uint64_t hash, int64_t *value)
{
	/* pairs with the release store in map_install(); freed only after a
	 * grace period */
	struct mapping *m = atomic_load_explicit(&c->cur, memory_order_acquire);
	if (unlikely(!m || !m->lastv ||
		     atomic_load_explicit(&m->hdr->state, memory_order_relaxed) != REGION_STATE_LIVE))
		return 1;
	/* the index's bucket, for when the first level misses (names taken at
	 * random over many sequences: nearly always): its cache miss then
	 * overlaps with the probe and the call instead of following them. A
	 * hot name's bucket stays cached: the prefetch costs it nothing. */
	__builtin_prefetch(&m->ix.bucket[hash & m->ix.mask], 0);
	uint32_t slot, hv;
	uint64_t id;
	struct hot_entry *he;
	if (likely(m->hot && len <= REGION_INDEX_NAME_MAX) &&
	    (he = hot_lookup(m->hot, name, len, hash, &slot, &id, &hv)) != NULL &&
	    likely(slot < m->ix.nslots)) { /* never written otherwise: private memory */
		struct region_ticket tk = {0};
		int64_t v = 0;
		enum region_take_result r = region_take(&m->ix.slots[slot], id, &v, &tk);
		if (likely(r == TAKE_OK && !tk.nudge)) {
			*value = v;
			lastv_set(&m->lastv[slot], v, id);
			return 0;
		}
		/* a copy: on the hit above, tk stays in registers */
		struct hot_taken ht = {.he = he, .hv = hv, .slot = slot, .id = id, .r = r, .tk = tk, .v = v};
		return index_nextval_more(c, m, name, len, hash, value, &ht);
	}
	return index_nextval_more(c, m, name, len, hash, value, NULL);
}

SHMSEQ_API int shmseq_nextval(shmseq *c, const char *name, int64_t *value)
{
	if (unlikely(atomic_load_explicit(&c->ntemp, memory_order_relaxed) > 0)) {
		bool found;
		int r = temp_nextval(c, name, value, &found);
		if (found)
			return r;
	}
	struct reclaim_reader *rr = reclaim_enter();
	struct shmseq_seq *e = NULL;
	int r = 1;
	size_t len = strlen(name);
	if (likely(len && len <= SHMSEQ_NAME_MAX)) {
		uint64_t hash = util_hash(name, len);
		e = lookup(c, name, hash);
		if (!e)
			r = index_nextval(c, name, len, hash, value);
	}
	if (r > 0) {
		r = e ? 0 : client_entry(c, name, &e);
		if (likely(r == 0))
			r = seq_nextval(e, value);
	}
	reclaim_exit(rr);
	return r;
}

SHMSEQ_API int shmseq_seq_open(shmseq *c, const char *name, shmseq_seq **out)
{
	if (!c || !name || !out)
		return -EINVAL;
	struct reclaim_reader *rr = reclaim_enter();
	struct shmseq_seq *e;
	int r;
	/* the entry may leave the cache between the lookup and the lock: then
	 * look again (it left because its sequence is gone: -4091 next time,
	 * or a new entry for a new one) */
	for (int tries = 0;; tries++) {
		if (tries == 100) {
			r = -EAGAIN; /* someone keeps dropping and creating it */
			break;
		}
		if ((r = client_entry(c, name, &e)) < 0)
			break;
		pthread_mutex_lock(&c->lock);
		bool held = e->in_table;
		if (held)
			atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
		pthread_mutex_unlock(&c->lock);
		if (held) {
			*out = e;
			break;
		}
	}
	reclaim_exit(rr);
	return r;
}

SHMSEQ_API bool shmseq_seq_is_unsigned(const shmseq_seq *e)
{
	/* resolve() stores it before publishing the slot (release): a thread
	 * that took a value from that slot (acquire) sees its sequence's flag */
	if (e && e->leased)
		e = ((const struct leased *)e)->base;
	return e && atomic_load_explicit(&e->is_unsigned, memory_order_relaxed);
}

SHMSEQ_API void shmseq_seq_close(shmseq_seq *e)
{
	if (!e)
		return;
	if (e->leased) {
		leased_close(e);
		return;
	}
	/* the entry stays in the cache, and may leave it once no handle holds
	 * it and its sequence is gone (a double close is ignored) */
	uint32_t n = atomic_load_explicit(&e->refs, memory_order_relaxed);
	while (n && !atomic_compare_exchange_weak_explicit(&e->refs, &n, n - 1, memory_order_relaxed,
							   memory_order_relaxed))
		;
}

/* --- LASTVAL, SETVAL, DDL ------------------------------------------------------ */

struct temp_seq *client_temp_find(struct shmseq *c, const char *name)
{
	for (struct temp_seq *t = c->temps; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static int temp_nextval(struct shmseq *c, const char *name, int64_t *value, bool *found)
{
	pthread_mutex_lock(&c->lock);
	struct temp_seq *t = client_temp_find(c, name);
	int r = 0;
	*found = t != NULL;
	if (t) {
		bool wrote;
		r = seq_live_nextval(&t->live, &c->env, value, &wrote);
		t->has_last = r == 0;
		if (r == 0)
			t->last = *value;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* Caller is inside a reader section. */
static int entry_lastval(struct shmseq *c, const char *name, int64_t *value)
{
	struct shmseq_seq *e;
	size_t len = strlen(name);
	if (len && len <= SHMSEQ_NAME_MAX) {
		/* not cached: the index says where, the LASTVAL is kept by slot */
		uint64_t hash = util_hash(name, len);
		struct mapping *m = atomic_load_explicit(&c->cur, memory_order_acquire);
		uint32_t slot;
		uint64_t id;
		if (!lookup(c, name, hash) && m && m->lastv &&
		    atomic_load_explicit(&m->hdr->state, memory_order_relaxed) == REGION_STATE_LIVE &&
		    region_index_lookup(&m->ix, name, len, hash, &slot, &id, NULL) == INDEX_HIT)
			return slot_lastval(c, m->hdr, &m->ix.slots[slot], id, value);
	}
	int r = client_entry(c, name, &e);
	if (r < 0)
		return r;
	/* the name must still denote the sequence the value came from */
	struct region_slot *s = atomic_load_explicit(&e->slot, memory_order_acquire);
	uint64_t id = atomic_load_explicit(&e->seq_id, memory_order_relaxed);
	if (!region_live(e) || atomic_load_explicit(&s->seq_id, memory_order_relaxed) != id) {
		r = resolve(c, e);
		if (r < 0)
			return r;
		id = atomic_load_explicit(&e->seq_id, memory_order_relaxed);
	}
	uint64_t last_id = atomic_load_explicit(&e->last_id, memory_order_relaxed);
	if (last_id == 0 || last_id != id)
		return -ENODATA;
	*value = atomic_load_explicit(&e->last, memory_order_relaxed);
	return 0;
}

SHMSEQ_API int shmseq_lastval(shmseq *c, const char *name, int64_t *value)
{
	if (!c || !name || !value)
		return -EINVAL;
	if (atomic_load_explicit(&c->ntemp, memory_order_relaxed) > 0) {
		pthread_mutex_lock(&c->lock);
		struct temp_seq *t = client_temp_find(c, name);
		int r = t ? (t->has_last ? 0 : -ENODATA) : 1;
		if (t && t->has_last)
			*value = t->last;
		pthread_mutex_unlock(&c->lock);
		if (r <= 0)
			return r;
	}
	struct reclaim_reader *rr = reclaim_enter();
	int r = entry_lastval(c, name, value);
	reclaim_exit(rr);
	return r;
}

SHMSEQ_API int shmseq_setval(shmseq *c, const char *name, int64_t value, bool is_used, uint64_t round)
{
	if (!c || !name)
		return -EINVAL;
	if (atomic_load_explicit(&c->ntemp, memory_order_relaxed) > 0) {
		pthread_mutex_lock(&c->lock);
		struct temp_seq *t = client_temp_find(c, name);
		int r = 0;
		if (t) {
			bool wrote;
			r = seq_live_setval(&t->live, &c->env, value, is_used, round, &wrote);
		}
		pthread_mutex_unlock(&c->lock);
		if (t)
			return r == 1 ? 0 : r == 0 ? -ENODATA : r;
	}
	struct wire_setval req = {.value = value, .round = round, .is_used = is_used};
	if (wire_name_set(&req.name, name) < 0)
		return -EINVAL;
	int r = client_rpc(c, WIRE_SETVAL, &req, sizeof(req), NULL, 0, false);
	return r == 1 ? 0 : r == 0 ? -ENODATA : r;
}

#define DEF_FIELDS                                                                                           \
	(SHMSEQ_SET_START | SHMSEQ_SET_INCREMENT | SHMSEQ_SET_MINVALUE | SHMSEQ_SET_MAXVALUE |               \
	 SHMSEQ_SET_CACHE | SHMSEQ_SET_CYCLE | SHMSEQ_SET_COMMENT | SHMSEQ_SET_RESTART |                     \
	 SHMSEQ_SET_RESTART_START)
#define CREATE_FLAGS (SHMSEQ_OR_REPLACE | SHMSEQ_IF_NOT_EXISTS | SHMSEQ_TEMPORARY)

/* Whether a caller's definition uses only what this library knows: the
 * reserved tail zero, no unknown bits (a later library's fields would be
 * silently ignored otherwise). NULL is fine. */
static bool def_known(const struct shmseq_def *def)
{
	if (!def)
		return true;
	if (def->set & ~(unsigned)DEF_FIELDS)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(def->reserved); i++)
		if (def->reserved[i])
			return false;
	return true;
}

void client_def_to_options(const struct shmseq_def *def, struct seq_options *o)
{
	memset(o, 0, sizeof(*o));
	if (!def)
		return;
	if (def->set & SHMSEQ_SET_START) {
		o->given |= SEQ_OPT_START;
		o->start = def->start;
	}
	if (def->set & SHMSEQ_SET_INCREMENT) {
		o->given |= SEQ_OPT_INCREMENT;
		o->increment = def->increment;
	}
	if (def->set & SHMSEQ_SET_MINVALUE) {
		o->given |= SEQ_OPT_MINVALUE;
		o->minvalue = def->minvalue;
	}
	if (def->set & SHMSEQ_SET_MAXVALUE) {
		o->given |= SEQ_OPT_MAXVALUE;
		o->maxvalue = def->maxvalue;
	}
	if (def->set & SHMSEQ_SET_CACHE) {
		o->given |= SEQ_OPT_CACHE;
		o->cache = def->cache;
	}
	if (def->set & SHMSEQ_SET_CYCLE) {
		o->given |= SEQ_OPT_CYCLE;
		o->cycle = def->cycle;
	}
	if ((def->set & SHMSEQ_SET_COMMENT) && def->comment) {
		size_t n = strlen(def->comment);
		if (n > SHMSEQ_COMMENT_MAX)
			n = SHMSEQ_COMMENT_MAX;
		o->given |= SEQ_OPT_COMMENT;
		o->comment_len = (uint16_t)n;
		memcpy(o->comment, def->comment, n);
	}
	if (def->set & SHMSEQ_SET_RESTART) {
		o->given |= SEQ_OPT_RESTART;
		o->restart_with = true;
		o->restart = def->restart;
	} else if (def->set & SHMSEQ_SET_RESTART_START) {
		o->given |= SEQ_OPT_RESTART;
	}
}

static int ddl(struct shmseq *c, uint16_t op, const char *name, const struct seq_options *o, uint32_t flags)
{
	struct wire_ddl *req = calloc(1, sizeof(*req));
	struct wire_ddl_reply rep;
	if (!req)
		return -ENOMEM;
	int r = wire_name_set(&req->name, name);
	if (r == 0)
		r = wire_options_encode(&req->opt, o);
	if (r == 0) {
		req->flags = flags;
		r = client_rpc(c, op, req, sizeof(*req), &rep, sizeof(rep), false);
	}
	free(req);
	return r;
}

SHMSEQ_API int shmseq_create(shmseq *c, const char *name, const struct shmseq_def *def, unsigned flags)
{
	if (!c || !name || !def_known(def) || (flags & ~(unsigned)CREATE_FLAGS))
		return -EINVAL;
	struct seq_options *o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	client_def_to_options(def, o);
	if (flags & SHMSEQ_TEMPORARY) {
		/* the session's own, as CREATE TEMPORARY SEQUENCE (exec.c) */
		int r = client_temp_create(c, name, o, flags & SHMSEQ_OR_REPLACE,
					   flags & SHMSEQ_IF_NOT_EXISTS);
		free(o);
		return r;
	}
	uint32_t wf = ((flags & SHMSEQ_OR_REPLACE) ? WIRE_DDL_OR_REPLACE : 0) |
		      ((flags & SHMSEQ_IF_NOT_EXISTS) ? WIRE_DDL_IF_NOT_EXISTS : 0);
	int r = ddl(c, WIRE_CREATE, name, o, wf);
	free(o);
	return r;
}

SHMSEQ_API int shmseq_alter(shmseq *c, const char *name, const struct shmseq_def *def)
{
	if (!c || !name || !def || !def_known(def))
		return -EINVAL;
	struct seq_options *o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	client_def_to_options(def, o);
	int r = ddl(c, WIRE_ALTER, name, o, 0);
	free(o);
	return r;
}

SHMSEQ_API int shmseq_drop(shmseq *c, const char *name)
{
	if (!c || !name)
		return -EINVAL;
	/* as DROP SEQUENCE: a TEMPORARY sequence hides the base one */
	if (client_temp_drop(c, name))
		return 0;
	struct wire_drop req;
	if (wire_name_set(&req.name, name) < 0)
		return -EINVAL;
	int r = client_rpc(c, WIRE_DROP, &req, sizeof(req), NULL, 0, false);
	if (r >= 0) {
		/* a name dropped here leaves the cache at once (unless a handle
		 * holds it): the cache keeps the names in use, not every name
		 * ever used */
		pthread_mutex_lock(&c->lock);
		names_forget(c, name);
		pthread_mutex_unlock(&c->lock);
	}
	return r;
}

SHMSEQ_API int shmseq_cluster_status(shmseq *c, char *buf, size_t cap)
{
	if (!c || (!buf && cap))
		return -EINVAL;
	struct wire_cluster_reply *rep = malloc(sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	int r = client_rpc(c, WIRE_CLUSTER, NULL, 0, rep, sizeof(*rep), true);
	if (r >= 0) {
		rep->text[sizeof(rep->text) - 1] = 0;
		r = (int)strlen(rep->text);
		if (cap)
			snprintf(buf, cap, "%s", rep->text);
	}
	free(rep);
	return r;
}

SHMSEQ_API int shmseq_status(shmseq *c, struct shmseq_status *out)
{
	if (!c || !out)
		return -EINVAL;
	struct wire_status_reply rep;
	int r = client_rpc(c, WIRE_STATUS, NULL, 0, &rep, sizeof(rep), true);
	if (r < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->sequences = rep.nsequences;
	out->capacity = rep.nslots;
	out->region_bytes = rep.region_size;
	out->connections = rep.connections;
	out->uptime_ms = rep.uptime_ms;
	out->log_bytes = rep.log_bytes;
	out->syncs = rep.syncs;
	out->records = rep.records;
	out->daemon_pid = rep.pid;
	out->failed = rep.failed != 0;
	struct seq_env env;
	if (wire_env_decode(&rep.env, &env, NULL) < 0)
		return -EPROTO;
	out->auto_increment_increment = env.auto_increment_increment;
	out->auto_increment_offset = env.auto_increment_offset;
	memcpy(out->region_name, rep.region_name, sizeof(out->region_name));
	out->region_name[sizeof(out->region_name) - 1] = 0;
	memcpy(out->data_dir, rep.data_dir, sizeof(out->data_dir));
	out->data_dir[sizeof(out->data_dir) - 1] = 0;
	return 0;
}

SHMSEQ_API int shmseq_counters(shmseq *c, const char *name, struct shmseq_counters *out)
{
	if (!c || !out)
		return -EINVAL;
	struct wire_open req;
	memset(&req, 0, sizeof(req));
	if (name && wire_name_set(&req.name, name) < 0)
		return -SHMSEQ_ERR_UNKNOWN_SEQUENCE; /* no sequence is named so */
	struct wire_counters_reply rep;
	int r = client_rpc(c, WIRE_COUNTERS, &req, sizeof(req), &rep, sizeof(rep), true);
	if (r < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->uptime_ms = rep.uptime_ms;
	out->connections = rep.connections;
	out->sessions = rep.sessions;
	out->refused = rep.refused;
	out->statements = rep.statements;
	out->refills = rep.refills;
	out->waits = rep.waits;
	out->records = rep.records;
	out->syncs = rep.syncs;
	out->sync_ns = rep.sync_ns;
	_Static_assert(SHMSEQ_SYNC_BUCKETS == WIRE_SYNC_BUCKETS, "sync buckets");
	memcpy(out->sync_hist, rep.sync_hist, sizeof(out->sync_hist));
	out->snapshots = rep.snapshots;
	out->repairs = rep.repairs;
	out->failed = rep.failed != 0;
	out->has_seq = rep.has_seq != 0;
	out->seq_refills = rep.seq_refills;
	out->seq_waits = rep.seq_waits;
	out->seq_taken = rep.seq_taken;
	out->seq_reserve = rep.seq_reserve;
	return 0;
}

SHMSEQ_API const char *shmseq_strerror(int err)
{
	switch (-err) {
	case 0:
		return "Success";
	case SHMSEQ_ERR_TABLE_EXISTS:
		return "Table already exists";
	case SHMSEQ_ERR_PARSE:
		return "You have an error in your SQL syntax";
	case SHMSEQ_ERR_NONUNIQ_TABLE:
		return "Not unique table/alias";
	case SHMSEQ_ERR_NO_SUCH_TABLE:
		return "Table doesn't exist";
	case SHMSEQ_ERR_WRONG_USAGE:
		return "Incorrect usage of OR REPLACE and IF NOT EXISTS";
	case SHMSEQ_ERR_DUP_ARGUMENT:
		return "Option used twice in statement";
	case SHMSEQ_ERR_BAD_DB:
		return "Unknown database";
	case SHMSEQ_ERR_CON_COUNT:
		return "Too many connections: the daemon has its --max-connections sessions, or as many "
		       "as its descriptor limit allows";
	case SHMSEQ_ERR_RUN_OUT:
		return "Sequence has run out";
	case SHMSEQ_ERR_INVALID_DATA:
		return "Sequence has out of range value for options";
	case SHMSEQ_ERR_NOT_SEQUENCE:
		return "Not a SEQUENCE";
	case SHMSEQ_ERR_UNKNOWN_SEQUENCE:
		return "Unknown SEQUENCE";
	case SHMSEQ_ERR_NOT_SUPPORTED:
		return "Not supported in cluster mode (INSERT into a sequence: use SETVAL or ALTER "
		       "SEQUENCE)";
	case SHMSEQ_ERR_STORE_UNAVAILABLE:
		return "Cluster store unreachable: this host's segments of the sequence are spent and no "
		       "new one can be granted now (values stay unique; retry later)";
	case SHMSEQ_ERR_OUTCOME_UNKNOWN:
		return "Cluster store outcome unknown: the statement may or may not have taken effect on "
		       "the cluster (check with SHOW CREATE SEQUENCE or SELECT once the store answers)";
	case ENODATA:
		return "NULL: no value";
	case ECONNREFUSED:
		return "No shmseq daemon is running for this instance";
	case EACCES:
		return "Permission denied: only the daemon's user, root and the daemon's --group may use "
		       "this instance";
	case EPERM:
		return "Not trusted: the instance's runtime directory or its daemon belongs to another user "
		       "(shmseq_connect_explain() says whose)";
	case ETIMEDOUT:
		return "NEXTVAL gave up: the sequence's slot in shared memory stayed unusable (damaged by a "
		       "process that writes the region, and not repaired by the daemon) or the daemon did "
		       "not "
		       "answer in time";
	case ECONNRESET:
		return "The shmseq daemon went away before answering: a DDL or SETVAL may or may "
		       "not have taken effect; the next call re-attaches";
	case EPROTO:
		return "The shmseq daemon or its region speaks another protocol or is damaged";
	case EIO:
		return "The shmseq daemon cannot make new values durable (persistence failed)";
	case ENOSPC:
		return "The instance has no free sequence slot (see shmseqd --max-sequences)";
	default:
		if (err < 0 && -err < 1000)
			return util_errno_text(-err); /* not strerror(): threads */
		return "Unknown error";
	}
}
