/* SPDX-License-Identifier: MIT */
/* plfs.c — a FUSE filesystem that loses power.
 *
 * An in-memory filesystem that models a disk with a volatile write cache,
 * as strictly as POSIX allows:
 *
 *  - A file's data and size become durable only at fsync() or fdatasync()
 *    of that file (the two are the same here: the only metadata modelled
 *    besides the size is the mode, which is fixed at creation).
 *  - A directory's entries (create, mkdir, unlink, rmdir, rename) become
 *    durable only at fsync() of that directory. A rename is one change of
 *    its directory (atomic, as journalling filesystems make it); across two
 *    directories it is a removal from one and an addition to the other,
 *    each durable at its own directory's fsync. fsync() of a file says
 *    nothing about its name.
 *  - A power loss reverts every file and directory to its durable state.
 *    With "prefix", each file and directory keeps instead a random in-order
 *    prefix of its changes since its last sync, the write at the cut
 *    partly (a random number of its bytes), as a disk that writes back in
 *    order but may stop anywhere would.
 *
 * Inodes never go back: an inode lives while a current or durable entry, a
 * pending change or an open descriptor refers to it.
 *
 * The power is cut by writing to the control file /.plfs at the root:
 *   "loss\n"            drop everything unsynced
 *   "prefix SEED\n"     keep a random in-order prefix of each object's changes
 * The write returns once the filesystem is in its post-loss state. Whoever
 * cuts the power must first kill every process that uses the filesystem (a
 * descriptor open across a loss would see the reverted file). Or:
 *   "arm N PGID\n"      cut the power at the N-th change or sync from now:
 *                       SIGKILL process group PGID before answering it, and
 *                       fail every later change with EIO until "loss" or
 *                       "prefix" reverts (an exact cut, e.g. between a
 *                       write and its fdatasync)
 * Reading the control file gives counters. The kernel caches nothing (direct I/O, zero
 * entry and attribute timeouts), so a loss is seen at once.
 *
 * Only what the daemon uses is implemented: lookup, create, open (O_TRUNC),
 * read, write, truncate, fsync, mkdir, rmdir, unlink, rename (flags 0 and
 * RENAME_NOREPLACE), readdir, fsyncdir, statfs. Everything else (links,
 * symlinks, fallocate, xattrs, chmod, chown, utimens ...) answers ENOSYS or
 * the kernel's equivalent. flock() and fcntl() locks are left to the kernel,
 * which keeps them per mount: they vanish with the processes holding them.
 *
 * Usage: plfs MOUNTPOINT [--ready-fd FD] [-o fuse options]. Serves in the
 * foreground, single-threaded, until unmounted or sent SIGTERM/SIGINT; with
 * --ready-fd it writes 'R' there once mounted. */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define CTL_NAME "/.plfs"
#define CTL_FH UINT64_MAX

struct buf {
	char *p;
	size_t size, cap;
};

struct node;

struct ent {
	char *name;
	struct node *n;
};

struct dirents {
	struct ent *v;
	size_t n, cap;
};

enum op_kind { OP_WRITE, OP_TRUNC, OP_ADD, OP_DEL, OP_RENAME };

/* One change since the object's last sync, in the order it was made. */
struct op {
	struct op *next;
	enum op_kind kind;
	uint64_t off;	/* OP_WRITE offset, OP_TRUNC size */
	size_t len;	/* OP_WRITE */
	char *name;	/* OP_ADD, OP_DEL, OP_RENAME (from) */
	char *name2;	/* OP_RENAME (to) */
	struct node *n; /* OP_ADD */
	char data[];	/* OP_WRITE */
};

struct node {
	uint64_t ino;
	bool dir;
	mode_t mode;
	struct buf cur, dur;	     /* file */
	struct dirents cur_e, dur_e; /* directory */
	struct op *pend, **pend_tail;
	size_t npend;
	unsigned opens;
	bool mark;
	struct node *all;
};

static struct node *root;
static struct node *all_nodes;
static uint64_t next_ino = 1;
static size_t nodes_since_gc;
static uint64_t rng_state = 1;

static struct {
	uint64_t writes, write_bytes, syncs, dirsyncs, losses, ops_dropped, ops_kept, nodes, enosys, trips;
} st;

/* "arm N PGID": the power goes at the N-th change or sync from now on. */
static uint64_t trip_in;
static pid_t trip_pgid;
static bool dead; /* tripped: nothing changes until the loss is applied */

/* Called before every change and sync. At the armed one the power is cut:
 * the process group dies before this call answers (SIGKILL is delivered
 * before the caller returns to user space), the change is not made, and
 * every later one fails with EIO until the loss is applied. */
static int gate(void)
{
	if (dead)
		return -EIO;
	if (trip_in && --trip_in == 0) {
		dead = true;
		st.trips++;
		if (trip_pgid > 0)
			kill(-trip_pgid, SIGKILL);
		return -EIO;
	}
	return 0;
}

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "plfs: out of memory\n");
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

/* --- buffers and directory entry lists ------------------------------------ */

static void buf_resize(struct buf *b, size_t size)
{
	if (size > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < size)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			fprintf(stderr, "plfs: out of memory\n");
			abort();
		}
		b->p = p;
		b->cap = cap;
	}
	if (size > b->size)
		memset(b->p + b->size, 0, size - b->size);
	b->size = size;
}

static void buf_write(struct buf *b, const char *data, size_t len, uint64_t off)
{
	if (off + len > b->size)
		buf_resize(b, off + len);
	memcpy(b->p + off, data, len);
}

static void buf_copy(struct buf *to, const struct buf *from)
{
	buf_resize(to, from->size);
	if (from->size)
		memcpy(to->p, from->p, from->size);
}

static struct ent *ents_find(struct dirents *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	return NULL;
}

static void ents_del(struct dirents *d, const char *name)
{
	struct ent *e = ents_find(d, name);
	if (!e)
		return;
	free(e->name);
	*e = d->v[--d->n];
}

static void ents_set(struct dirents *d, const char *name, struct node *n)
{
	struct ent *e = ents_find(d, name);
	if (e) {
		e->n = n;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		struct ent *v = realloc(d->v, d->cap * sizeof(*v));
		if (!v) {
			fprintf(stderr, "plfs: out of memory\n");
			abort();
		}
		d->v = v;
	}
	d->v[d->n].name = xstrdup(name);
	d->v[d->n].n = n;
	d->n++;
}

static void ents_clear(struct dirents *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	d->n = 0;
}

static void ents_copy(struct dirents *to, const struct dirents *from)
{
	ents_clear(to);
	for (size_t i = 0; i < from->n; i++)
		ents_set(to, from->v[i].name, from->v[i].n);
}

/* --- pending changes ------------------------------------------------------- */

static struct op *op_new(struct node *n, enum op_kind kind, size_t datalen)
{
	struct op *o = xmalloc(sizeof(*o) + datalen);
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	*n->pend_tail = o;
	n->pend_tail = &o->next;
	n->npend++;
	return o;
}

static void op_free(struct op *o)
{
	free(o->name);
	free(o->name2);
	free(o);
}

/* Apply o to n's durable state; a write only its first `part` bytes. */
static void op_apply_durable(struct node *n, const struct op *o, size_t part)
{
	switch (o->kind) {
	case OP_WRITE:
		buf_write(&n->dur, o->data, part, o->off);
		break;
	case OP_TRUNC:
		buf_resize(&n->dur, o->off);
		break;
	case OP_ADD:
		ents_set(&n->dur_e, o->name, o->n);
		break;
	case OP_DEL:
		ents_del(&n->dur_e, o->name);
		break;
	case OP_RENAME: {
		struct ent *e = ents_find(&n->dur_e, o->name);
		if (e) {
			struct node *moved = e->n;
			ents_del(&n->dur_e, o->name);
			ents_set(&n->dur_e, o->name2, moved);
		}
		break;
	}
	}
}

/* fsync: every pending change becomes durable. */
static void node_sync(struct node *n)
{
	struct op *o = n->pend;
	while (o) {
		struct op *next = o->next;
		op_apply_durable(n, o, o->len);
		op_free(o);
		o = next;
	}
	n->pend = NULL;
	n->pend_tail = &n->pend;
	n->npend = 0;
}

/* A power loss: keep `keep` changes (all when keep >= npend), the next one
 * partly when it is a write, and revert the current state to the result. */
static void node_lose(struct node *n, bool prefix)
{
	size_t keep = prefix ? (size_t)(rnd() % (n->npend + 1)) : 0;
	size_t i = 0;
	struct op *o = n->pend;
	while (o) {
		struct op *next = o->next;
		if (i < keep) {
			op_apply_durable(n, o, o->len);
			st.ops_kept++;
		} else {
			if (i == keep && prefix && o->kind == OP_WRITE && o->len > 1)
				op_apply_durable(n, o, (size_t)(rnd() % o->len));
			st.ops_dropped++;
		}
		op_free(o);
		o = next;
		i++;
	}
	n->pend = NULL;
	n->pend_tail = &n->pend;
	n->npend = 0;
	if (n->dir)
		ents_copy(&n->cur_e, &n->dur_e);
	else
		buf_copy(&n->cur, &n->dur);
}

/* --- nodes and their collection ------------------------------------------- */

static struct node *node_new(bool dir, mode_t mode)
{
	struct node *n = xmalloc(sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->ino = next_ino++;
	n->dir = dir;
	n->mode = (dir ? S_IFDIR : S_IFREG) | (mode & 07777);
	n->pend_tail = &n->pend;
	n->all = all_nodes;
	all_nodes = n;
	nodes_since_gc++;
	st.nodes++;
	return n;
}

static void node_free(struct node *n)
{
	struct op *o = n->pend;
	while (o) {
		struct op *next = o->next;
		op_free(o);
		o = next;
	}
	ents_clear(&n->cur_e);
	ents_clear(&n->dur_e);
	free(n->cur_e.v);
	free(n->dur_e.v);
	free(n->cur.p);
	free(n->dur.p);
	free(n);
	st.nodes--;
}

static void mark(struct node *n)
{
	if (n->mark)
		return;
	n->mark = true;
	if (!n->dir)
		return;
	for (size_t i = 0; i < n->cur_e.n; i++)
		mark(n->cur_e.v[i].n);
	for (size_t i = 0; i < n->dur_e.n; i++)
		mark(n->dur_e.v[i].n);
	for (struct op *o = n->pend; o; o = o->next)
		if (o->kind == OP_ADD)
			mark(o->n);
}

/* Free every inode that no entry (current, durable or pending) and no open
 * descriptor refers to. */
static void gc(void)
{
	for (struct node *n = all_nodes; n; n = n->all)
		n->mark = false;
	mark(root);
	for (struct node *n = all_nodes; n; n = n->all)
		if (n->opens)
			mark(n);
	struct node **pp = &all_nodes;
	while (*pp) {
		struct node *n = *pp;
		if (n->mark) {
			pp = &n->all;
		} else {
			*pp = n->all;
			node_free(n);
		}
	}
	nodes_since_gc = 0;
}

static void maybe_gc(void)
{
	if (nodes_since_gc >= 64)
		gc();
}

static void power_loss(bool prefix, uint64_t seed)
{
	if (prefix)
		rng_state = seed ? seed : 1;
	for (struct node *n = all_nodes; n; n = n->all) {
		if (n->opens)
			fprintf(stderr, "plfs: power loss with inode %" PRIu64 " still open\n", n->ino);
		node_lose(n, prefix);
	}
	st.losses++;
	dead = false;
	trip_in = 0;
	gc();
}

/* --- paths ----------------------------------------------------------------- */

/* Resolve path; with parent, resolve its directory and return the last
 * component in *leaf instead. NULL with -errno in *err. */
static struct node *resolve(const char *path, char *leaf, size_t leafcap, int *err)
{
	char tmp[4096];
	if (strlen(path) >= sizeof(tmp)) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	strcpy(tmp, path);
	if (leaf) {
		char *s = strrchr(tmp, '/');
		if (!s || !s[1]) {
			*err = -EINVAL;
			return NULL;
		}
		if (strlen(s + 1) >= leafcap || strlen(s + 1) > 255) {
			*err = -ENAMETOOLONG;
			return NULL;
		}
		strcpy(leaf, s + 1);
		*s = 0;
	}
	struct node *n = root;
	char *save = NULL;
	for (char *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!n->dir) {
			*err = -ENOTDIR;
			return NULL;
		}
		struct ent *e = ents_find(&n->cur_e, c);
		if (!e) {
			*err = -ENOENT;
			return NULL;
		}
		n = e->n;
	}
	if (leaf && !n->dir) {
		*err = -ENOTDIR;
		return NULL;
	}
	return n;
}

static struct node *fh_node(struct fuse_file_info *fi)
{
	return fi && fi->fh && fi->fh != CTL_FH ? (struct node *)(uintptr_t)fi->fh : NULL;
}

static void fill_stat(const struct node *n, struct stat *s)
{
	memset(s, 0, sizeof(*s));
	s->st_ino = n->ino;
	s->st_mode = n->mode;
	s->st_nlink = n->dir ? 2 : 1;
	s->st_uid = getuid();
	s->st_gid = getgid();
	s->st_size = n->dir ? 0 : (off_t)n->cur.size;
	s->st_blksize = 4096;
	s->st_blocks = (s->st_size + 511) / 512;
}

/* --- operations ------------------------------------------------------------ */

static void *pl_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	cfg->use_ino = 1;
	return NULL;
}

static int pl_getattr(const char *path, struct stat *s, struct fuse_file_info *fi)
{
	if (fi && fi->fh == CTL_FH) {
		memset(s, 0, sizeof(*s));
		s->st_mode = S_IFREG | 0600;
		s->st_nlink = 1;
		return 0;
	}
	struct node *n = fh_node(fi);
	int err = 0;
	if (!n && path && strcmp(path, CTL_NAME) == 0) {
		memset(s, 0, sizeof(*s));
		s->st_mode = S_IFREG | 0600;
		s->st_nlink = 1;
		s->st_uid = getuid();
		s->st_gid = getgid();
		return 0;
	}
	if (!n && !(n = resolve(path, NULL, 0, &err)))
		return err;
	fill_stat(n, s);
	return 0;
}

static int pl_mknode(const char *path, mode_t mode, bool dir, struct node **out)
{
	char leaf[256];
	int err = 0;
	if (strcmp(path, CTL_NAME) == 0)
		return -EEXIST;
	if ((err = gate()) < 0)
		return err;
	struct node *p = resolve(path, leaf, sizeof(leaf), &err);
	if (!p)
		return err;
	if (ents_find(&p->cur_e, leaf))
		return -EEXIST;
	struct node *n = node_new(dir, mode);
	ents_set(&p->cur_e, leaf, n);
	struct op *o = op_new(p, OP_ADD, 0);
	o->name = xstrdup(leaf);
	o->n = n;
	*out = n;
	return 0;
}

static int pl_mkdir(const char *path, mode_t mode)
{
	struct node *n;
	return pl_mknode(path, mode, true, &n);
}

static int pl_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct node *n;
	int r = pl_mknode(path, mode, false, &n);
	if (r < 0)
		return r;
	n->opens++;
	fi->fh = (uint64_t)(uintptr_t)n;
	maybe_gc();
	return 0;
}

static int pl_remove(const char *path, bool dir)
{
	char leaf[256];
	int err = gate();
	if (err < 0)
		return err;
	struct node *p = resolve(path, leaf, sizeof(leaf), &err);
	if (!p)
		return err;
	struct ent *e = ents_find(&p->cur_e, leaf);
	if (!e)
		return -ENOENT;
	if (dir && !e->n->dir)
		return -ENOTDIR;
	if (!dir && e->n->dir)
		return -EISDIR;
	if (dir && e->n->cur_e.n)
		return -ENOTEMPTY;
	ents_del(&p->cur_e, leaf);
	struct op *o = op_new(p, OP_DEL, 0);
	o->name = xstrdup(leaf);
	maybe_gc();
	return 0;
}

static int pl_unlink(const char *path)
{
	return pl_remove(path, false);
}

static int pl_rmdir(const char *path)
{
	return pl_remove(path, true);
}

static bool is_below(struct node *dir, struct node *n)
{
	if (dir == n)
		return true;
	if (!dir->dir)
		return false;
	for (size_t i = 0; i < dir->cur_e.n; i++)
		if (is_below(dir->cur_e.v[i].n, n))
			return true;
	return false;
}

static int pl_rename(const char *from, const char *to, unsigned int flags)
{
	char lf[256], lt[256];
	int err = 0;
	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if ((err = gate()) < 0)
		return err;
	struct node *pf = resolve(from, lf, sizeof(lf), &err);
	if (!pf)
		return err;
	struct node *pt = resolve(to, lt, sizeof(lt), &err);
	if (!pt)
		return err;
	struct ent *ef = ents_find(&pf->cur_e, lf);
	if (!ef)
		return -ENOENT;
	struct node *n = ef->n;
	struct ent *et = ents_find(&pt->cur_e, lt);
	if (et) {
		if (et->n == n)
			return 0;
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (n->dir && !et->n->dir)
			return -ENOTDIR;
		if (!n->dir && et->n->dir)
			return -EISDIR;
		if (et->n->dir && et->n->cur_e.n)
			return -ENOTEMPTY;
	}
	if (n->dir && is_below(n, pt))
		return -EINVAL;
	ents_del(&pf->cur_e, lf);
	ents_set(&pt->cur_e, lt, n);
	if (pf == pt) {
		struct op *o = op_new(pf, OP_RENAME, 0);
		o->name = xstrdup(lf);
		o->name2 = xstrdup(lt);
	} else {
		struct op *o = op_new(pf, OP_DEL, 0);
		o->name = xstrdup(lf);
		o = op_new(pt, OP_ADD, 0);
		o->name = xstrdup(lt);
		o->n = n;
	}
	maybe_gc();
	return 0;
}

static int file_truncate(struct node *n, uint64_t size)
{
	if (n->dir)
		return -EISDIR;
	int err = gate();
	if (err < 0)
		return err;
	if (size > ((uint64_t)1 << 32))
		return -EFBIG;
	buf_resize(&n->cur, size);
	op_new(n, OP_TRUNC, 0)->off = size;
	return 0;
}

static int pl_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int err = 0;
	if (fi && fi->fh == CTL_FH)
		return 0;
	if (!fi && path && strcmp(path, CTL_NAME) == 0)
		return 0;
	struct node *n = fh_node(fi);
	if (!n && !(n = resolve(path, NULL, 0, &err)))
		return err;
	if (size < 0)
		return -EINVAL;
	return file_truncate(n, (uint64_t)size);
}

static int pl_open(const char *path, struct fuse_file_info *fi)
{
	int err = 0;
	if (path && strcmp(path, CTL_NAME) == 0) {
		fi->fh = CTL_FH;
		return 0;
	}
	struct node *n = resolve(path, NULL, 0, &err);
	if (!n)
		return err;
	if (n->dir)
		return -EISDIR;
	if ((fi->flags & O_TRUNC) && (fi->flags & O_ACCMODE) != O_RDONLY && n->cur.size &&
	    (err = file_truncate(n, 0)) < 0)
		return err;
	n->opens++;
	fi->fh = (uint64_t)(uintptr_t)n;
	return 0;
}

static int pl_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct node *n = fh_node(fi);
	if (n && n->opens)
		n->opens--;
	return 0;
}

static int ctl_read(char *out, size_t size, off_t off)
{
	char text[1024];
	int len = snprintf(text, sizeof(text),
			   "writes %" PRIu64 "\nwrite_bytes %" PRIu64 "\nsyncs %" PRIu64 "\ndirsyncs %" PRIu64
			   "\nlosses %" PRIu64 "\nops_dropped %" PRIu64 "\nops_kept %" PRIu64
			   "\nnodes %" PRIu64 "\nenosys %" PRIu64 "\ntrips %" PRIu64 "\n",
			   st.writes, st.write_bytes, st.syncs, st.dirsyncs, st.losses, st.ops_dropped,
			   st.ops_kept, st.nodes, st.enosys, st.trips);
	if (off >= len)
		return 0;
	size_t n = (size_t)(len - off) < size ? (size_t)(len - off) : size;
	memcpy(out, text + off, n);
	return (int)n;
}

static int pl_read(const char *path, char *out, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	if (fi->fh == CTL_FH)
		return ctl_read(out, size, off);
	struct node *n = fh_node(fi);
	if (!n)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= n->cur.size)
		return 0;
	size_t len = n->cur.size - (size_t)off < size ? n->cur.size - (size_t)off : size;
	memcpy(out, n->cur.p + off, len);
	return (int)len;
}

static int ctl_write(const char *in, size_t size)
{
	char cmd[128];
	size_t n = size < sizeof(cmd) - 1 ? size : sizeof(cmd) - 1;
	memcpy(cmd, in, n);
	cmd[n] = 0;
	unsigned long long seed = 0, after = 0;
	long pg = 0;
	if (sscanf(cmd, "arm %llu %ld", &after, &pg) == 2 && after > 0) {
		trip_in = after;
		trip_pgid = (pid_t)pg;
		dead = false;
	} else if (strncmp(cmd, "loss", 4) == 0)
		power_loss(false, 0);
	else if (sscanf(cmd, "prefix %llu", &seed) == 1)
		power_loss(true, seed);
	else
		return -EINVAL;
	return (int)size;
}

static int pl_write(const char *path, const char *in, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	if (fi->fh == CTL_FH)
		return ctl_write(in, size);
	struct node *n = fh_node(fi);
	if (!n)
		return -EBADF;
	if (off < 0 || (uint64_t)off + size > ((uint64_t)1 << 32))
		return -EFBIG;
	int err = gate();
	if (err < 0)
		return err;
	buf_write(&n->cur, in, size, (uint64_t)off);
	struct op *o = op_new(n, OP_WRITE, size);
	o->off = (uint64_t)off;
	o->len = size;
	memcpy(o->data, in, size);
	st.writes++;
	st.write_bytes += size;
	return (int)size;
}

static int pl_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync; /* nothing but data and size to sync */
	if (fi->fh == CTL_FH)
		return 0;
	struct node *n = fh_node(fi);
	if (!n)
		return -EBADF;
	int err = gate();
	if (err < 0)
		return err;
	node_sync(n);
	st.syncs++;
	return 0;
}

static int pl_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

static int pl_opendir(const char *path, struct fuse_file_info *fi)
{
	int err = 0;
	struct node *n = resolve(path, NULL, 0, &err);
	if (!n)
		return err;
	if (!n->dir)
		return -ENOTDIR;
	n->opens++;
	fi->fh = (uint64_t)(uintptr_t)n;
	return 0;
}

static int pl_releasedir(const char *path, struct fuse_file_info *fi)
{
	return pl_release(path, fi);
}

static int pl_readdir(const char *path, void *out, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	(void)path;
	(void)off;
	(void)flags;
	struct node *n = fh_node(fi);
	if (!n || !n->dir)
		return -EBADF;
	fill(out, ".", NULL, 0, 0);
	fill(out, "..", NULL, 0, 0);
	for (size_t i = 0; i < n->cur_e.n; i++) {
		struct stat s;
		fill_stat(n->cur_e.v[i].n, &s);
		if (fill(out, n->cur_e.v[i].name, &s, 0, 0))
			break;
	}
	return 0;
}

static int pl_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	struct node *n = fh_node(fi);
	if (!n || !n->dir)
		return -EBADF;
	int err = gate();
	if (err < 0)
		return err;
	node_sync(n);
	st.dirsyncs++;
	return 0;
}

static int pl_statfs(const char *path, struct statvfs *s)
{
	(void)path;
	memset(s, 0, sizeof(*s));
	s->f_bsize = s->f_frsize = 4096;
	s->f_blocks = 1u << 20;
	s->f_bfree = s->f_bavail = 1u << 19;
	s->f_files = 1u << 20;
	s->f_ffree = s->f_favail = (1u << 20) - st.nodes;
	s->f_namemax = 255;
	return 0;
}

static int pl_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	st.enosys++;
	return -ENOSYS; /* the mode is fixed at creation */
}

static int pl_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)path;
	(void)tv;
	(void)fi;
	st.enosys++;
	return -ENOSYS; /* times are not modelled */
}

static const struct fuse_operations ops = {
	.init = pl_init,
	.getattr = pl_getattr,
	.mkdir = pl_mkdir,
	.unlink = pl_unlink,
	.rmdir = pl_rmdir,
	.rename = pl_rename,
	.truncate = pl_truncate,
	.open = pl_open,
	.create = pl_create,
	.read = pl_read,
	.write = pl_write,
	.statfs = pl_statfs,
	.flush = pl_flush,
	.release = pl_release,
	.fsync = pl_fsync,
	.opendir = pl_opendir,
	.readdir = pl_readdir,
	.releasedir = pl_releasedir,
	.fsyncdir = pl_fsyncdir,
	.chmod = pl_chmod,
	.utimens = pl_utimens,
};

int main(int argc, char **argv)
{
	const char *mnt = NULL, *opts = NULL;
	int ready = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc)
			ready = atoi(argv[++i]);
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			opts = argv[++i];
		else if (argv[i][0] != '-' && !mnt)
			mnt = argv[i];
		else {
			fprintf(stderr, "usage: plfs MOUNTPOINT [--ready-fd FD] [-o OPTIONS]\n");
			return 2;
		}
	}
	if (!mnt) {
		fprintf(stderr, "usage: plfs MOUNTPOINT [--ready-fd FD] [-o OPTIONS]\n");
		return 2;
	}
	root = node_new(true, 0755);
	char o[512];
	snprintf(o, sizeof(o), "fsname=plfs,subtype=plfs%s%s", opts ? "," : "", opts ? opts : "");
	char *fargv[] = {argv[0], "-o", o, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse *f = fuse_new(&args, &ops, sizeof(ops), NULL);
	fuse_opt_free_args(&args);
	if (!f) {
		fprintf(stderr, "plfs: fuse_new failed\n");
		return 1;
	}
	if (fuse_mount(f, mnt) != 0) {
		fprintf(stderr, "plfs: cannot mount on %s\n", mnt);
		fuse_destroy(f);
		return 1;
	}
	if (fuse_set_signal_handlers(fuse_get_session(f)) != 0) {
		fuse_unmount(f);
		fuse_destroy(f);
		return 1;
	}
	if (ready >= 0) {
		if (write(ready, "R", 1) != 1)
			perror("plfs: ready fd");
		close(ready);
	}
	int r = fuse_loop(f);
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);
	while (all_nodes) {
		struct node *n = all_nodes;
		all_nodes = n->all;
		node_free(n);
	}
	return r ? 1 : 0;
}
