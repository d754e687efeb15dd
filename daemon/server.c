/* SPDX-License-Identifier: MIT */
/* server.c — shmseqd's one event loop.
 *
 * One thread, one epoll: the listening socket, a signalfd (SIGTERM/SIGINT/
 * SIGHUP) and every client session. The loop works in batches, which is
 * where group commit happens:
 *   1. handle every ready event; requests change the catalog and append log
 *      records, and their replies are queued, not sent;
 *   2. append the records for this batch's refills (catalog_prepare);
 *   3. one fdatasync if anything was appended (wal_sync);
 *   4. publish the now-durable limits (catalog_publish), then send the queued
 *      replies — so no reply acknowledges anything that is not on disk.
 * If the sync fails the wal is failed: replies that needed it say -EIO and no
 * new limit is ever published again (fail closed).
 * After a batch, a snapshot when the log has grown enough: a large one is
 * written by a forked child (snapshot.c) while batches go on, and installed
 * by a later batch; a small one, and those start-up needs before serving,
 * right here.
 *
 * Clients are untrusted: a malformed message closes its session; a client
 * that does not read its replies is dropped rather than allowed to block the
 * loop; the number of sessions is bounded.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "keeper.h"
#include "notify.h"
#include "region.h"
#include "snapshot.h"
#include "upgrade.h"
#include "util.h"
#include "wal.h"
#include "wire.h"
#if SHMSEQD_CLUSTER
#include "cluster.h"
#endif

struct conn {
	int fd;
	uid_t uid;
	pid_t pid;
	bool dead;
	struct conn *next;
};

struct reply {
	struct conn *conn;
	bool durable; /* acknowledges a change: -EIO if the sync failed */
	int fd;	      /* passed along (HELLO), or -1 */
	uint32_t len;
	char *msg;
};

struct server {
	const struct server_config *cfg;
	int epfd, lfd, sfd, lockfd;
	int instance_fd; /* holds the instance lock (lock_instance) */
	char instance_lock[140];
	int region_fd;
	struct region_header *region;
	size_t region_size;
	uint64_t incarnation, nslots; /* ours: the region's copies are writable by clients */
	char region_name[128];	      /* the memfd's name */
	char keeper_path[4096];
	int keeper; /* session with the region's keeper, or -1 */
	char sock_path[4096];
	bool sock_bound; /* sock_path is ours to remove */
	struct wal *wal;
	struct catalog cat;
	bool adopted; /* the region is a crashed predecessor's */
	struct conn *conns;
	uint64_t nconns;
	struct reply *replies;
	size_t nreplies, capreplies;
	uint64_t synced_records;
	uint64_t syncs;
	bool said_failed; /* the failed log was reported */
	/* a failing snapshot: its -errno (0 when fine), when to try again,
	 * the delay (doubling, capped), and the attempts since it was said */
	int snap_err;
	uint64_t snap_retry_ns, snap_backoff_ns, snap_attempts;
	/* a snapshot being written by a child (snapshot.c) */
	struct snapshot_bg snap_bg;
	uint64_t started_ns;
	bool stopping;
	/* refusing sessions (accept_all): a spare descriptor to accept and
	 * refuse with when out of them, the listener paused when even that is
	 * gone, and the rate-limited messages */
	int spare_fd;
	bool listen_paused;
	uint64_t fds_said_ns, fds_refused;
	uint64_t full_said_ns, full_refused;
	/* counters (WIRE_COUNTERS) */
	uint64_t sessions, refused, statements, snapshots, sync_ns;
	uint64_t sync_hist[WIRE_SYNC_BUCKETS];
	uint64_t slow_sync_said_ns, slow_syncs;
#if SHMSEQD_CLUSTER
	struct cluster *cl; /* cluster mode, or NULL */
	int cl_tags[2];	    /* epoll tags of its descriptors */
#endif
};

/* One line on stderr per event. When stderr is the journal (systemd names
 * it in $JOURNAL_STREAM as "device:inode"), or $SHMSEQ_LOG_PRIORITIES is 1,
 * each line starts with its syslog priority instead of the program's name:
 * "<3>" an error, "<4>" a warning, "<6>" news, as journald reads them
 * (`journalctl -p warning` then shows what needs a look). */
static bool log_priorities(void)
{
	static int on = -1;
	if (on >= 0)
		return on;
	const char *force = getenv("SHMSEQ_LOG_PRIORITIES");
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;
	on = 0;
	if (force && *force)
		on = strcmp(force, "1") == 0;
	else if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0)
		on = (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return on;
}

static void say_v(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void say_v(int prio, const char *fmt, va_list ap)
{
	if (log_priorities())
		fprintf(stderr, "<%d>", prio);
	else
		fputs("shmseqd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void say_at(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_at(int prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say_v(prio, fmt, ap);
	va_end(ap);
}

/* an error (most of what the daemon has to say) */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say_v(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* --- set-up ----------------------------------------------------------------- */

static int lock_data_dir(struct server *sv)
{
	char path[4096];
	int r = util_mkdir_p(sv->cfg->data_dir, 0700);
	if (r < 0) {
		say("cannot create data directory %s: %s", sv->cfg->data_dir, strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/lock", sv->cfg->data_dir);
	sv->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sv->lockfd < 0) {
		say("cannot open %s: %m", path);
		return -errno;
	}
	if (flock(sv->lockfd, LOCK_EX | LOCK_NB) < 0) {
		say("another shmseqd already owns the data directory %s", sv->cfg->data_dir);
		return -EBUSY;
	}
	return 0;
}

/* One daemon per region name, whatever its data or runtime directory (the
 * data-directory lock and the socket probe each see only their own): a
 * flock on the shm object <region name>.lock, held for the daemon's life
 * and removed at exit. A predecessor may remove the name between our open
 * and our flock: then the object locked is no longer the name's, and we
 * lock again. */
static int lock_instance(struct server *sv)
{
	const char *name = sv->instance_lock;
	int r = util_instance_lock_name(sv->cfg->instance, sv->instance_lock, sizeof(sv->instance_lock));
	if (r < 0)
		return r;
	for (int tries = 0; tries < 100; tries++) {
		int fd = shm_open(name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		struct stat st, now;
		if (fd < 0) {
			r = -errno;
			say("cannot open the instance lock %s: %s", name, strerror(-r));
			return r;
		}
		if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
			say("shared memory %s exists and is not ours: refusing to use or remove it", name);
			close(fd);
			return -EEXIST;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			r = -errno;
			close(fd);
			if (r == -EWOULDBLOCK) {
				say("instance '%s' is already running (%s is locked)", sv->cfg->instance,
				    name);
				return -EADDRINUSE;
			}
			say("cannot lock %s: %s", name, strerror(-r));
			return r;
		}
		int again = shm_open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
		bool same = again >= 0 && fstat(again, &now) == 0 && now.st_dev == st.st_dev &&
			    now.st_ino == st.st_ino;
		if (again >= 0)
			close(again);
		if (same) {
			sv->instance_fd = fd;
			return 0;
		}
		close(fd);
	}
	say("the instance lock %s keeps being replaced", name);
	return -EAGAIN;
}

/* The region is a sealed memfd held by a keeper process (keeper.h, and
 * region.h for why): no name anyone could open, truncate or squat, and no
 * size anyone can change, the daemon included. */
#define REGION_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008u /* Linux 6.3 */
#endif

/* Map a region handed over by the keeper: 0 with sv->region set when it is a
 * sealed region of our size with a valid header (h->state is not looked
 * at), else -1 with what is wrong in *why. */
static int map_handed_region(struct server *sv, int fd, const char **why)
{
	size_t size = region_bytes_indexed(sv->cfg->max_sequences);
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	*why = NULL;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid())
		*why = "it is not ours";
	else if (seals < 0 || (seals & REGION_SEALS) != REGION_SEALS)
		*why = "it is not sealed against size changes";
	else if ((size_t)st.st_size == region_bytes(sv->cfg->max_sequences))
		size = (size_t)st.st_size; /* an earlier version's, without a name index */
	else if ((size_t)st.st_size != size)
		*why = "it has another --max-sequences";
	if (*why)
		return -1;
	struct region_header *h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		*why = "it cannot be mapped";
		return -1;
	}
	if (region_header_validate(h, size, why) < 0 || h->nslots != sv->cfg->max_sequences) {
		if (!*why)
			*why = "it has another --max-sequences";
		munmap(h, size);
		return -1;
	}
	sv->region = h;
	sv->region_size = size;
	return 0;
}

/* The region a predecessor that died left with its keeper: adopt it (state
 * still LIVE, our size, not --no-adopt), so that its clients carry on where
 * they were (catalog_start decides slot by slot); otherwise close it (its
 * clients re-attach) and let its keeper go. */
static void adopt_region(struct server *sv)
{
	int fd = -1;
	int link = keeper_call(sv->keeper_path, KEEPER_TAKE, &fd);
	if (link < 0) {
		if (link != -ENOENT && link != -ECONNREFUSED)
			say_at(LOG_WARNING,
			       "the region keeper at %s did not hand over the region (%s): starting a new "
			       "region",
			       sv->keeper_path, strerror(-link));
		return;
	}
	const char *why = NULL;
	if (map_handed_region(sv, fd, &why) == 0) {
		struct region_header *h = sv->region;
		if (atomic_load(&h->state) == REGION_STATE_LIVE && !sv->cfg->no_adopt) {
			sv->region_fd = fd;
			sv->keeper = link;
			sv->adopted = true;
			return;
		}
		atomic_store(&h->state, REGION_STATE_CLOSED);
		munmap(h, sv->region_size);
		sv->region = NULL;
	} else {
		say_at(LOG_WARNING,
		       "the region left by the previous daemon is not adoptable (%s): starting a new one",
		       why);
	}
	close(fd);
	keeper_release(link);
}

/* Before regions were sealed memfds they were POSIX shm objects named
 * /shmseq.<uid>.<instance>: one of ours left by an earlier version goes (its
 * clients re-attach when they next need the daemon). One of anyone else's
 * is no business of ours any more: left alone. */
static void remove_legacy_region(struct server *sv)
{
	char name[128];
	struct stat st;
	if (util_region_name(sv->cfg->instance, name, sizeof(name)) < 0)
		return;
	int fd = shm_open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && S_ISREG(st.st_mode) && shm_unlink(name) == 0)
		say_at(LOG_WARNING, "removed shared memory %s, a region of an earlier version", name);
	close(fd);
}

/* A new region: a memfd of the full size, owner-only (or the group's),
 * sealed, then handed to a new keeper. */
static int new_region(struct server *sv)
{
	const struct server_config *cfg = sv->cfg;
	mode_t mode = cfg->group != (gid_t)-1 ? 0660 : 0600;
	/* where memfds must be non-executable (vm.memfd_noexec), say so */
	int fd = memfd_create(sv->region_name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create(sv->region_name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		say("cannot create the region (memfd_create): %m");
		return -errno;
	}
	sv->region_fd = fd;
	/* the slots, then the name index (lib/region_index.c) */
	sv->region_size = region_bytes_indexed(cfg->max_sequences);
	if (cfg->group != (gid_t)-1 && fchown(fd, (uid_t)-1, cfg->group) < 0) {
		say("cannot give the region to group %u: %m", (unsigned)cfg->group);
		return -errno;
	}
	if (fchmod(fd, mode) < 0 || ftruncate(fd, (off_t)sv->region_size) < 0) {
		say("cannot size the region to %zu bytes: %m", sv->region_size);
		return -errno;
	}
	if (fcntl(fd, F_ADD_SEALS, REGION_SEALS) < 0) {
		say("cannot seal the region against size changes: %m");
		return -errno;
	}
	sv->region = mmap(NULL, sv->region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sv->region == MAP_FAILED) {
		sv->region = NULL;
		say("cannot map the region (%zu bytes): %m", sv->region_size);
		return -errno;
	}
	sv->keeper = keeper_spawn(fd, sv->keeper_path);
	if (sv->keeper < 0)
		say("cannot start the region keeper at %s (%s): if this daemon crashes, its successor "
		    "cannot adopt the region and each sequence skips its reserve-ahead",
		    sv->keeper_path, strerror(-sv->keeper));
	struct region_header *h = sv->region;
	h->magic = REGION_MAGIC;
	h->layout_version = REGION_LAYOUT_VERSION;
	h->header_size = sizeof(*h);
	h->slot_size = sizeof(struct region_slot);
	h->nslots = cfg->max_sequences;
	/* the header and slots only: an older client checks exactly that */
	h->region_size = region_bytes(cfg->max_sequences);
	h->compat_flags = REGION_COMPAT_NAME_INDEX;
	return 0;
}

/* The predecessor's region when it can be adopted, else a new one. */
static int create_region(struct server *sv)
{
	const struct server_config *cfg = sv->cfg;
	int r = snprintf(sv->region_name, sizeof(sv->region_name), "shmseq.%u.%s", (unsigned)geteuid(),
			 cfg->instance);
	if (r < 0 || (size_t)r >= sizeof(sv->region_name))
		return -ENAMETOOLONG;
	r = keeper_path(cfg->instance, sv->keeper_path, sizeof(sv->keeper_path), true);
	if (r < 0) {
		say("cannot use the runtime directory for the region keeper: %s", strerror(-r));
		return r;
	}
	remove_legacy_region(sv);
	adopt_region(sv);
	if (!sv->adopted && (r = new_region(sv)) < 0)
		return r;
	struct region_header *h = sv->region;
	h->daemon_pid = (uint32_t)getpid();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->incarnation = ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
	/* what we tell clients comes from here, not from memory they can write */
	sv->incarnation = h->incarnation;
	sv->nslots = h->nslots;
	atomic_store(&h->state, REGION_STATE_LIVE);
	return 0;
}

/* A daemon that answers on the instance's socket is running: then nothing of
 * the instance (its region, its socket) may be touched. Sets sv->sock_path. */
static int refuse_if_running(struct server *sv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int r = util_socket_path(sv->cfg->instance, sv->sock_path, sizeof(sv->sock_path));
	if (r < 0 || strlen(sv->sock_path) >= sizeof(sa.sun_path)) {
		say("socket path too long: %s", sv->sock_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, sv->sock_path);
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		say("instance '%s' is already running (socket %s answers)", sv->cfg->instance, sv->sock_path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	return 0;
}

static int create_socket(struct server *sv)
{
	const struct server_config *cfg = sv->cfg;
	char dir[4096];
	int r = util_runtime_dir(dir, sizeof(dir), true);
	if (r < 0) {
		say("cannot use runtime directory %s: %s", dir, strerror(-r));
		return r;
	}
	/* a socket file left by a dead daemon is ours to replace; a live one is not */
	r = refuse_if_running(sv);
	if (r < 0)
		return r;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, sv->sock_path);
	sv->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0)
		return -errno;
	struct stat st;
	if (lstat(sv->sock_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
			say("%s exists and is not our socket: refusing to replace it", sv->sock_path);
			return -EEXIST;
		}
		unlink(sv->sock_path);
	}
	mode_t old = umask(0177);
	r = bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		say("cannot bind %s: %m", sv->sock_path);
		return -errno;
	}
	sv->sock_bound = true;
	if (cfg->group != (gid_t)-1) {
		if (chown(sv->sock_path, (uid_t)-1, cfg->group) < 0 || chmod(sv->sock_path, 0660) < 0) {
			say("cannot open %s to group %u: %m", sv->sock_path, (unsigned)cfg->group);
			return -errno;
		}
	}
	if (listen(sv->lfd, 128) < 0)
		return -errno;
	return 0;
}

static int epoll_add(struct server *sv, int fd, void *ptr)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};
	return epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* --- replies ------------------------------------------------------------------ */

static void queue_reply(struct server *sv, struct conn *c, const struct wire_hdr *req, int32_t status,
			const void *payload, uint32_t len, bool durable, int fd)
{
	if (status < 0)
		len = 0;
	if (sv->nreplies == sv->capreplies) {
		size_t cap = sv->capreplies ? sv->capreplies * 2 : 64;
		struct reply *n = realloc(sv->replies, cap * sizeof(*n));
		if (!n) {
			c->dead = true;
			return;
		}
		sv->replies = n;
		sv->capreplies = cap;
	}
	char *msg = malloc(sizeof(struct wire_hdr) + len);
	if (!msg) {
		c->dead = true;
		return;
	}
	struct wire_hdr h;
	wire_hdr_init(&h, req->op, len, req->req_id, status);
	memcpy(msg, &h, sizeof(h));
	if (len)
		memcpy(msg + sizeof(h), payload, len);
	sv->replies[sv->nreplies++] = (struct reply){
		.conn = c, .durable = durable, .fd = fd, .len = (uint32_t)sizeof(h) + len, .msg = msg};
}

static void send_replies(struct server *sv, bool sync_failed)
{
	for (size_t i = 0; i < sv->nreplies; i++) {
		struct reply *r = &sv->replies[i];
		if (!r->conn->dead) {
			if (sync_failed && r->durable) {
				struct wire_hdr *h = (struct wire_hdr *)r->msg;
				if (h->status >= 0) {
					h->status = -EIO;
					h->len = sizeof(*h);
					r->len = sizeof(*h);
				}
			}
			int e = util_send(r->conn->fd, r->msg, r->len, r->fd, MSG_DONTWAIT);
			if (e < 0)
				r->conn->dead = true; /* gone, or not reading its replies */
		}
		free(r->msg);
	}
	sv->nreplies = 0;
}

/* --- requests ------------------------------------------------------------------- */

#if SHMSEQD_CLUSTER
/* An answer of cluster.c: like every acknowledgement, sent once the batch
 * is durable. */
static void cluster_reply(void *ctx, void *conn, const struct wire_hdr *req, int32_t status,
			  const void *payload, uint32_t len)
{
	queue_reply(ctx, conn, req, status, payload, len, true, -1);
}
#endif

static void handle(struct server *sv, struct conn *c, const char *msg, size_t n)
{
	struct wire_hdr h;
	if (wire_check(msg, n, 0) < 0) {
		if (n >= sizeof(h)) {
			memcpy(&h, msg, sizeof(h));
			if (h.magic == WIRE_MAGIC && h.op == WIRE_HELLO && h.version != WIRE_VERSION) {
				/* a client library of another release: told so (its
				 * hello's answer fails its check: -EPROTO), not hung up on */
				say_at(LOG_WARNING,
				       "refusing pid %d: its client library speaks protocol version %u, this "
				       "daemon %u; run it with the libshmseq of this release",
				       (int)c->pid, (unsigned)h.version, WIRE_VERSION);
				struct wire_hdr r;
				wire_hdr_init(&r, WIRE_HELLO, 0, h.req_id, -EPROTO);
				util_send(c->fd, &r, sizeof(r), -1, MSG_DONTWAIT);
				c->dead = true;
				return;
			}
		}
		say_at(LOG_WARNING, "closing session of pid %d: malformed message (%zu bytes)", (int)c->pid,
		       n);
		c->dead = true;
		return;
	}
	memcpy(&h, msg, sizeof(h));
	const char *p = msg + sizeof(h);
	char name[SHMSEQ_NAME_MAX + 1];
	struct catalog *cat = &sv->cat;
	const char *why = NULL; /* what a decoder found wrong */
	int r;

	if ((h.op >= WIRE_CREATE && h.op <= WIRE_SETVAL) || h.op == WIRE_INSERT)
		sv->statements++;
#if SHMSEQD_CLUSTER
	if (sv->cl) {
		r = cluster_handle(sv->cl, c, &h, p, n - sizeof(h));
		if (r == CLUSTER_TAKEN)
			return;
		if (r == CLUSTER_BAD)
			goto bad;
	}
#endif
	switch (h.op) {
	case WIRE_HELLO: {
		struct wire_hello_reply rep = {
			.incarnation = sv->incarnation,
			.nslots = sv->nslots,
			.region_size = sv->region_size,
		};
		wire_env_encode(&rep.env, &sv->cfg->env);
		wire_name_set(&rep.instance, sv->cfg->instance);
		queue_reply(sv, c, &h, 0, &rep, sizeof(rep), false, sv->region_fd);
		return;
	}
	case WIRE_OPEN: {
		const struct wire_open *o = (const void *)p;
		if (wire_name_get(&o->name, name) < 0)
			goto bad;
		struct seq *s = catalog_find(cat, name);
		struct wire_open_reply rep = {0};
		if (s) {
			/* a client that found the slot busy, gone or corrupt asks
			 * here: make it whole again before pointing it there */
			catalog_check_slot(cat, s);
			/* and the name index, which it may have found wanting */
			catalog_index_put(cat, s);
			rep.seq_id = s->id;
			rep.slot = s->slot;
			rep.type = s->def.type;
			rep.is_unsigned = s->def.is_unsigned;
			rep.cycle = s->def.cycle;
		}
		queue_reply(sv, c, &h, s ? 0 : -SHMSEQ_ERR_UNKNOWN_SEQUENCE, &rep, sizeof(rep), false, -1);
		return;
	}
	case WIRE_CREATE:
	case WIRE_ALTER: {
		struct wire_ddl d;
		struct seq_options opt;
		memcpy(&d, p, sizeof(d));
		if (wire_name_get(&d.name, name) < 0 || wire_options_decode(&d.opt, &opt, &why) < 0)
			goto bad;
		struct wire_ddl_reply rep = {0};
		struct seq_notes notes = {0};
		if (h.op == WIRE_CREATE)
			r = catalog_create(cat, name, &opt, d.flags, &rep.note, &notes);
		else
			r = catalog_alter(cat, name, &opt, d.flags, &rep.note, &notes);
		wire_notes_encode(&rep.notes, &notes);
		queue_reply(sv, c, &h, r, &rep, sizeof(rep), true, -1);
		return;
	}
	case WIRE_DROP: {
		const struct wire_drop *d = (const void *)p;
		if (wire_name_get(&d->name, name) < 0)
			goto bad;
		queue_reply(sv, c, &h, catalog_drop(cat, name), NULL, 0, true, -1);
		return;
	}
	case WIRE_SETVAL: {
		struct wire_setval s;
		memcpy(&s, p, sizeof(s));
		if (wire_name_get(&s.name, name) < 0 || s.is_used > 1)
			goto bad;
		r = catalog_setval(cat, name, s.value, s.is_used, s.round);
		queue_reply(sv, c, &h, r, NULL, 0, true, -1);
		return;
	}
	case WIRE_INSERT: {
		struct wire_insert ins;
		memcpy(&ins, p, sizeof(ins));
		struct seq_row row;
		if (wire_name_get(&ins.name, name) < 0)
			goto bad;
		wire_row_decode(&ins.row, &row);
		queue_reply(sv, c, &h, catalog_insert(cat, name, &row), NULL, 0, true, -1);
		return;
	}
	case WIRE_REFILL:
	case WIRE_WRAP:
	case WIRE_NUDGE: {
		struct wire_ticket t;
		memcpy(&t, p, sizeof(t));
		if (h.op == WIRE_WRAP)
			r = catalog_wrap(cat, t.slot, t.seq_id, t.gen);
		else
			r = catalog_refill(cat, t.slot, t.seq_id, t.gen, t.n, h.op == WIRE_REFILL);
		if (h.op != WIRE_NUDGE)
			queue_reply(sv, c, &h, r, NULL, 0, true, -1);
		return;
	}
	case WIRE_ROW: {
		const struct wire_open *o = (const void *)p;
		if (wire_name_get(&o->name, name) < 0)
			goto bad;
		struct wire_row_reply *rep = calloc(1, sizeof(*rep));
		if (!rep) {
			c->dead = true;
			return;
		}
		struct seq_row row = {0};
		struct seq_def *def = calloc(1, sizeof(*def));
		if (!def) {
			free(rep);
			c->dead = true;
			return;
		}
		r = catalog_row(cat, name, &row, def, &rep->seq_id, &rep->reserve_ahead);
		wire_row_encode(&rep->row, &row);
		wire_def_encode(&rep->def, def);
		free(def);
		queue_reply(sv, c, &h, r, rep, sizeof(*rep), false, -1);
		free(rep);
		return;
	}
	case WIRE_LIST: {
		const struct wire_list *l = (const void *)p;
		char after[SHMSEQ_NAME_MAX + 1] = "";
		if (l->after.len && wire_name_get(&l->after, after) < 0)
			goto bad;
		struct wire_list_reply *rep = calloc(1, sizeof(*rep));
		const char *names[WIRE_LIST_MAX];
		bool more;
		if (!rep) {
			c->dead = true;
			return;
		}
		rep->count = catalog_list(cat, after, names, WIRE_LIST_MAX, &more);
		rep->more = more;
		for (uint32_t i = 0; i < rep->count; i++)
			wire_name_set(&rep->names[i], names[i]);
		queue_reply(sv, c, &h, 0, rep, sizeof(*rep), false, -1);
		free(rep);
		return;
	}
	case WIRE_STATUS: {
		struct wire_status_reply rep = {
			.incarnation = sv->incarnation,
			.nslots = sv->nslots,
			.nsequences = cat->count,
			.region_size = sv->region_size,
			.connections = sv->nconns,
			.uptime_ms = (util_now_ns() - sv->started_ns) / 1000000u,
			.log_bytes = wal_log_size(sv->wal),
			.syncs = sv->syncs,
			.records = cat->records,
			.pid = (uint32_t)getpid(),
			.failed = (uint32_t)wal_failed(sv->wal),
		};
		wire_env_encode(&rep.env, &sv->cfg->env);
		snprintf(rep.region_name, sizeof(rep.region_name), "memfd:%.100s", sv->region_name);
		snprintf(rep.data_dir, sizeof(rep.data_dir), "%s", sv->cfg->data_dir);
		queue_reply(sv, c, &h, 0, &rep, sizeof(rep), false, -1);
		return;
	}
	case WIRE_COUNTERS: {
		const struct wire_open *o = (const void *)p;
		struct wire_counters_reply rep = {
			.uptime_ms = (util_now_ns() - sv->started_ns) / 1000000u,
			.connections = sv->nconns,
			.sessions = sv->sessions,
			.refused = sv->refused,
			.statements = sv->statements,
			.refills = cat->refills,
			.waits = cat->waits,
			.records = cat->records,
			.syncs = sv->syncs,
			.sync_ns = sv->sync_ns,
			.snapshots = sv->snapshots,
			.repairs = cat->repairs,
			.failed = (uint32_t)wal_failed(sv->wal),
		};
		memcpy(rep.sync_hist, sv->sync_hist, sizeof(rep.sync_hist));
		r = 0;
		if (o->name.len) {
			if (wire_name_get(&o->name, name) < 0)
				goto bad;
			r = catalog_counters(cat, name, &rep.seq_refills, &rep.seq_waits, &rep.seq_taken,
					     &rep.seq_reserve);
			rep.has_seq = r == 0;
		}
		queue_reply(sv, c, &h, r, &rep, sizeof(rep), false, -1);
		return;
	}
	case WIRE_CLUSTER: {
		struct wire_cluster_reply *rep = calloc(1, sizeof(*rep));
		if (!rep) {
			c->dead = true;
			return;
		}
		snprintf(rep->text, sizeof(rep->text), "mode: local\n");
#if SHMSEQD_CLUSTER
		if (sv->cl)
			cluster_status(sv->cl, rep->text, sizeof(rep->text));
#endif
		queue_reply(sv, c, &h, 0, rep, sizeof(*rep), false, -1);
		free(rep);
		return;
	}
	default:
		goto bad;
	}
bad:
	say_at(LOG_WARNING, "closing session of pid %d: invalid request (op %u)%s%s", (int)c->pid,
	       (unsigned)h.op, why ? ": " : "", why ? why : "");
	c->dead = true;
}

/* Whether a peer may use the instance: our own user, root, or with --group a
 * member of the group, as its primary or as a supplementary group. */
static bool peer_allowed(const struct server *sv, int fd, const struct ucred *cr)
{
	gid_t g = sv->cfg->group;
	if (cr->uid == geteuid() || cr->uid == 0)
		return true;
	if (g == (gid_t)-1)
		return false;
	if (cr->gid == g)
		return true;
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	int r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (r < 0 && errno == ERANGE && (groups = malloc(len)) != NULL)
		r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	bool ok = false;
	for (size_t i = 0; r == 0 && i < len / sizeof(gid_t); i++)
		ok = ok || groups[i] == g;
	if (groups != small)
		free(groups);
	return ok;
}

/* Say no to a client, as the answer to its hello, and hang up. */
static void refuse(struct server *sv, int fd, int32_t status)
{
	sv->refused++;
	struct wire_hdr h;
	wire_hdr_init(&h, WIRE_HELLO, 0, 0, status);
	util_send(fd, &h, sizeof(h), -1, MSG_DONTWAIT);
	close(fd);
}

/* Whether a rate-limited message is due: the first of an episode, then at
 * most one a minute, with *count (the refusals it sums up) reset. */
static bool say_due(uint64_t *said_ns, uint64_t *count)
{
	uint64_t now = util_now_ns();
	if (*said_ns && now - *said_ns < 60ull * 1000000000u)
		return false;
	*said_ns = now;
	*count = 0;
	return true;
}

static void listener_arm(struct server *sv, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.ptr = &sv->lfd};
	if (epoll_ctl(sv->epfd, EPOLL_CTL_MOD, sv->lfd, &ev) == 0)
		sv->listen_paused = !on;
}

/* After the listener was paused: take clients again once a descriptor is
 * free for the spare. Called when sessions end, and every second while
 * paused (the shortage may be the system's, ENFILE). */
static void listener_resume(struct server *sv)
{
	if (!sv->listen_paused)
		return;
	if (sv->spare_fd < 0)
		sv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sv->spare_fd >= 0)
		listener_arm(sv, true);
}

/* accept4() failed with EMFILE or ENFILE: a client is waiting and the
 * listener stays readable, so it must be dealt with, or the loop spins.
 * Give up the spare descriptor, accept the client on it and refuse it as
 * too many connections (1040), then take the spare again; without one,
 * pause the listener until sessions end. Returns whether a client was
 * refused (there may be more). */
static bool accept_out_of_fds(struct server *sv, int err)
{
	bool refused = false;
	if (sv->spare_fd >= 0) {
		close(sv->spare_fd);
		sv->spare_fd = -1;
		int fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			refuse(sv, fd, -SHMSEQ_ERR_CON_COUNT);
			refused = true;
		}
		sv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (sv->spare_fd < 0)
		listener_arm(sv, false);
	sv->fds_refused += refused;
	if (say_due(&sv->fds_said_ns, &sv->fds_refused)) {
		struct rlimit rl = {0, 0};
		getrlimit(RLIMIT_NOFILE, &rl);
		say_at(LOG_WARNING,
		       "out of file descriptors (%s, limit %llu, %llu sessions): refusing new sessions as "
		       "'Too many connections'%s; raise the limit (ulimit -n, LimitNOFILE=) or lower "
		       "--max-connections",
		       strerror(err), (unsigned long long)rl.rlim_cur, (unsigned long long)sv->nconns,
		       sv->listen_paused ? ", not even accepting them until sessions end" : "");
	}
	return refused;
}

static void accept_all(struct server *sv)
{
	for (;;) {
		int fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			if (e == EINTR || e == ECONNABORTED)
				continue;
			if ((e == EMFILE || e == ENFILE) && accept_out_of_fds(sv, e))
				continue;
			return; /* EAGAIN, or a transient error: epoll tells us again */
		}
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0) {
			close(fd);
			continue;
		}
		if (!peer_allowed(sv, fd, &cr)) {
			/* say why, as the answer to the client's hello, then hang up */
			say_at(LOG_WARNING,
			       "refusing a session of pid %d, uid %u: not this daemon's user or root%s",
			       (int)cr.pid, (unsigned)cr.uid,
			       sv->cfg->group != (gid_t)-1 ? ", not in its group" : "");
			refuse(sv, fd, -EACCES);
			continue;
		}
		if (sv->nconns >= sv->cfg->max_connections) {
			sv->full_refused++;
			if (say_due(&sv->full_said_ns, &sv->full_refused))
				say_at(LOG_WARNING,
				       "refusing sessions as 'Too many connections' (pid %d first): %u "
				       "sessions "
				       "already (--max-connections)",
				       (int)cr.pid, sv->cfg->max_connections);
			refuse(sv, fd, -SHMSEQ_ERR_CON_COUNT);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = cr.uid;
		c->pid = cr.pid;
		if (epoll_add(sv, fd, c) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = sv->conns;
		sv->conns = c;
		sv->nconns++;
		sv->sessions++;
	}
}

static void read_conn(struct server *sv, struct conn *c)
{
	static char buf[WIRE_MSG_MAX];
	/* a bounded number per wake-up keeps one busy client from starving others */
	for (int i = 0; i < 64 && !c->dead; i++) {
		ssize_t n = util_recv(c->fd, buf, sizeof(buf), NULL, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			if (n == -EMSGSIZE)
				say_at(LOG_WARNING, "closing session of pid %d: oversized message",
				       (int)c->pid);
			c->dead = true;
			return;
		}
		handle(sv, c, buf, (size_t)n);
	}
}

static void reap_conns(struct server *sv)
{
	struct conn **pp = &sv->conns;
	while (*pp) {
		struct conn *c = *pp;
		if (c->dead) {
			*pp = c->next;
#if SHMSEQD_CLUSTER
			if (sv->cl)
				cluster_conn_gone(sv->cl, c);
#endif
			close(c->fd);
			free(c);
			sv->nconns--;
			listener_resume(sv);
		} else {
			pp = &c->next;
		}
	}
}

/* The symbol of an errno a disk gives, for messages that must tell them
 * apart at a glance. */
static const char *errno_name(int e)
{
	switch (e) {
	case ENOSPC:
		return "ENOSPC";
	case EIO:
		return "EIO";
	case EDQUOT:
		return "EDQUOT";
	case EROFS:
		return "EROFS";
	case EFBIG:
		return "EFBIG";
	case ENOMEM:
		return "ENOMEM";
	default:
		return "errno";
	}
}

/* What to do about a disk errno. */
static const char *errno_hint(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return "the file system is full: free space on it";
	case EIO:
		return "the device reported an I/O error: check the disk (dmesg), it may be failing";
	case EROFS:
		return "the file system is read-only: remount it read-write";
	default:
		return "check the data directory";
	}
}

#define SNAP_BACKOFF_MIN_NS (100ull * 1000000u)
#define SNAP_BACKOFF_MAX_NS (60ull * 1000000000u)

/* A snapshot's outcome: a failure is said once and retried after a delay
 * that doubles up to a minute; the first success after failures is said. */
static void snap_outcome(struct server *sv, int r)
{
	uint64_t now = util_now_ns();
	sv->snap_attempts++;
	if (r < 0) {
		int e = -r;
		if (sv->snap_err != r)
			say_at(LOG_WARNING,
			       "snapshot failed: writing %s/snapshot.tmp (%llu bytes needed for %llu "
			       "sequences) failed with %s (%s): %s; the log keeps every record "
			       "meanwhile (%llu bytes in it), retrying with a delay doubling up to "
			       "%llu s, said again when a snapshot is written",
			       sv->cfg->data_dir,
			       (unsigned long long)wal_snapshot_estimate(sv->cat.count,
									 sizeof(struct rec_seq)),
			       (unsigned long long)sv->cat.count, errno_name(e), strerror(e), errno_hint(e),
			       (unsigned long long)wal_log_size(sv->wal), SNAP_BACKOFF_MAX_NS / 1000000000u);
		if (sv->snap_err != r)
			sv->snap_attempts = 1;
		sv->snap_err = r;
		sv->snap_backoff_ns = sv->snap_backoff_ns ? sv->snap_backoff_ns * 2 : SNAP_BACKOFF_MIN_NS;
		if (sv->snap_backoff_ns > SNAP_BACKOFF_MAX_NS)
			sv->snap_backoff_ns = SNAP_BACKOFF_MAX_NS;
		sv->snap_retry_ns = now + sv->snap_backoff_ns;
	} else if (!sv->snap_err) {
		sv->snapshots++;
		say_at(LOG_INFO, "snapshot written: %llu sequences, the log restarts empty",
		       (unsigned long long)sv->cat.count);
	} else {
		sv->snapshots++;
		say_at(LOG_INFO, "snapshot written again after %llu failed attempts (%s): the disk recovered",
		       (unsigned long long)sv->snap_attempts - 1, errno_name(-sv->snap_err));
		sv->snap_err = 0;
		sv->snap_backoff_ns = 0;
		sv->snap_attempts = 0;
	}
}

/* A sync's time, in the counters; a slow one is said (at most once a
 * minute, with how many there were). */
#define SLOW_SYNC_NS (200ull * 1000000u)
static void sync_took(struct server *sv, uint64_t ns)
{
	sv->sync_ns += ns;
	uint64_t us = ns / 1000u;
	unsigned b = 0;
	while (b < WIRE_SYNC_BUCKETS - 1 && us >= (1ull << b))
		b++;
	sv->sync_hist[b]++;
	if (ns >= SLOW_SYNC_NS) {
		sv->slow_syncs++;
		if (say_due(&sv->slow_sync_said_ns, &sv->slow_syncs))
			say_at(LOG_WARNING,
			       "slow sync: fdatasync of the log took %llu ms (the disk is slow or busy; "
			       "every refill and statement of the batch waited for it)",
			       (unsigned long long)(ns / 1000000u));
	}
}

/* Steps 2-4 of the batch (see the top of the file). */
static void commit_batch(struct server *sv)
{
	catalog_prepare(&sv->cat);
	if (sv->cat.records != sv->synced_records) {
		uint64_t t0 = util_now_ns();
		if (wal_sync(sv->wal) == 0) {
			sv->syncs++;
			sync_took(sv, util_now_ns() - t0);
		}
		sv->synced_records = sv->cat.records;
	}
	bool failed = wal_failed(sv->wal);
	/* a statement whose record was refused (its replay would reject it)
	 * is not acknowledged: this batch's acknowledgements fail with it */
	bool refused = catalog_take_refused(&sv->cat);
	if (failed && !sv->said_failed) {
		/* a failed write or sync, here or while handling the batch */
		const char *file;
		uint64_t need;
		int e = wal_failure(sv->wal, &file, &need);
		char what[96] = "a sync";
		if (need)
			snprintf(what, sizeof(what), "writing %llu bytes", (unsigned long long)need);
		say("the log cannot be written or made durable: %s of %s failed with %s (%s): %s; no new "
		    "values will be handed out; fix the disk and restart the daemon",
		    what, *file ? file : sv->cfg->data_dir, errno_name(e), strerror(e), errno_hint(e));
		sv->said_failed = true;
	}
	catalog_publish(&sv->cat);
	send_replies(sv, failed || refused);
	reap_conns(sv);
	/* A snapshot when the log outgrows both --snapshot-bytes and the last
	 * snapshot: writing snapshots then costs in proportion to what is
	 * logged, not to the catalog times the number of snapshots (1M
	 * sequences are a 170 MB snapshot), and a restart reads at most twice
	 * the catalog's size. */
	uint64_t snap_at = sv->cfg->snapshot_bytes;
	if (snap_at < wal_snapshot_size(sv->wal))
		snap_at = wal_snapshot_size(sv->wal);
	/* not while a sequence's record is refused: a snapshot holds every
	 * sequence's last record, and its last good one is in the log */
	/* A failing snapshot (a full disk, with room left in the preallocated
	 * log) is retried after a delay that doubles up to a minute, and said
	 * once, and once more when one is written again. */
	if (sv->snap_bg.exited)
		snapshot_bg_reap(&sv->snap_bg, false);
	if (sv->snap_bg.pid) {
		/* one is being written: carry this batch's records into its new
		 * log, or install it once written */
		if (failed) {
			snapshot_bg_abort(&sv->snap_bg, sv->wal);
			return;
		}
		int r = snapshot_bg_step(&sv->snap_bg, sv->wal);
		if (r <= 0)
			snap_outcome(sv, r);
		return;
	}
	if (!failed && !sv->cat.nbroken && wal_log_size(sv->wal) > snap_at) {
		uint64_t now = util_now_ns();
		if (sv->snap_err && now < sv->snap_retry_ns)
			return;
		/* A large one in a child, so that refills and DDL go on
		 * meanwhile; a small one (or when a child cannot be had) here. */
		if (wal_snapshot_estimate(sv->cat.count, offsetof(struct rec_seq, comment)) >=
			    sv->cfg->snapshot_fork_bytes &&
		    snapshot_bg_start(&sv->snap_bg, sv->wal, &sv->cat, sv->region, sv->region_size) == 0) {
			if (epoll_add(sv, sv->snap_bg.pipe_fd, &sv->snap_bg) == 0)
				return;
			snapshot_bg_abort(&sv->snap_bg, sv->wal);
		}
		struct catalog_iter it = {.c = &sv->cat};
		snap_outcome(sv, wal_snapshot(sv->wal, catalog_snapshot_next, &it));
	}
}

static int replay_and_start(struct server *sv)
{
	char err[768] = "";
	/* The log is preallocated to the size it may reach before a snapshot
	 * (up to 4 MiB; it doubles beyond), so syncs overwrite allocated blocks. */
	uint64_t pre = sv->cfg->snapshot_bytes + (64u << 10);
	if (pre > (4u << 20))
		pre = 4u << 20;
	struct wal_opts wopts = {
		.prealloc = sv->cfg->log_prealloc ? sv->cfg->log_prealloc : pre,
		.accept_damage = sv->cfg->accept_log_damage,
	};
	sv->cat.accept_damage = sv->cfg->accept_log_damage;
	int r = wal_open(sv->cfg->data_dir, NULL, &wopts, catalog_replay, &sv->cat, &sv->wal, err,
			 sizeof(err));
	if (r < 0) {
		say("cannot recover %s: %s", sv->cfg->data_dir, *err ? err : strerror(-r));
		if (sv->cat.replay_why[0])
			say("%s", sv->cat.replay_why);
		return r;
	}
	if (*err)
		say("%s", err);
	sv->cat.wal = sv->wal;
	sv->synced_records = sv->cat.records;
	uint64_t adopted = 0;
	uint64_t dropped = sv->cat.dropped;
	r = catalog_start(&sv->cat, sv->adopted, &adopted, err, sizeof(err));
	if (r == 0) {
		/* files of an older format: rewritten in this one before serving */
		char msg[768];
		int e = upgrade_data_dir(sv->wal, &sv->cat, sv->cfg->data_dir, msg, sizeof(msg));
		if (*msg)
			say("%s", msg);
		if (e < 0)
			return e;
	}
	if (r == 0 && sv->cat.tail_lost) {
		/* The skip past the lost last record lives in memory only, and
		 * that record is cleared: a later crash would resume from before
		 * the skip and hand the skipped values out again. A snapshot of
		 * the skipped-ahead state, synced before anything is served,
		 * makes the replay alone reproduce it. */
		struct catalog_iter it = {.c = &sv->cat};
		int e = wal_snapshot(sv->wal, catalog_snapshot_next, &it);
		if (e < 0) {
			say("cannot make the skip past the lost last log record durable: writing a "
			    "snapshot in %s failed: %s; not serving, since a later crash would hand out "
			    "values again",
			    sv->cfg->data_dir, strerror(-e));
			return e;
		}
		sv->cat.tail_lost = false;
		say_at(LOG_INFO, "a snapshot now holds the positions skipped past the lost last log record");
	}
	if (r == 0 && dropped) {
		/* the dropped records stay in the log until a snapshot replaces
		 * it: take one now, so that the next start needs no flag */
		struct catalog_iter it = {.c = &sv->cat};
		int e = wal_snapshot(sv->wal, catalog_snapshot_next, &it);
		if (e < 0)
			say("could not write a snapshot past the dropped records (%s): start with "
			    "--accept-log-damage again until one is written",
			    strerror(-e));
		else
			say_at(LOG_INFO, "a snapshot now holds the recovered state: later starts need no "
					 "--accept-log-damage");
	}
	if (r < 0)
		say("%s", err);
	else if (sv->adopted)
		say_at(LOG_INFO,
		       "adopted the region of a daemon that died: %llu of %llu sequences carry on without a "
		       "gap",
		       (unsigned long long)adopted, (unsigned long long)sv->cat.count);
	return r;
}

static void cleanup(struct server *sv)
{
	struct conn *c = sv->conns;
	while (c) {
		struct conn *n = c->next;
		close(c->fd);
		free(c);
		c = n;
	}
	sv->conns = NULL;
	free(sv->replies);
	if (sv->region) {
		atomic_store(&sv->region->state, REGION_STATE_CLOSED);
		munmap(sv->region, sv->region_size);
	}
	if (sv->region_fd >= 0)
		close(sv->region_fd);
	if (sv->keeper >= 0) {
		/* the region goes with its keeper, once its clients unmap it */
		keeper_release(sv->keeper);
		unlink(sv->keeper_path);
	}
	if (sv->lfd >= 0) {
		if (sv->sock_bound)
			unlink(sv->sock_path);
		close(sv->lfd);
	}
	if (sv->wal) {
		snapshot_bg_abort(&sv->snap_bg, sv->wal);
		wal_close(sv->wal);
	}
#if SHMSEQD_CLUSTER
	cluster_close(sv->cl);
	sv->cl = NULL;
#endif
	catalog_deinit(&sv->cat);
	if (sv->sfd >= 0)
		close(sv->sfd);
	if (sv->epfd >= 0)
		close(sv->epfd);
	if (sv->instance_fd >= 0) {
		shm_unlink(sv->instance_lock); /* before the lock goes: see lock_instance */
		close(sv->instance_fd);
	}
	if (sv->lockfd >= 0)
		close(sv->lockfd);
	if (sv->spare_fd >= 0)
		close(sv->spare_fd);
}

int server_run(const struct server_config *cfg)
{
	struct server sv = {.cfg = cfg,
			    .epfd = -1,
			    .lfd = -1,
			    .sfd = -1,
			    .lockfd = -1,
			    .instance_fd = -1,
			    .region_fd = -1,
			    .spare_fd = -1,
			    .keeper = -1};
	int code = 1;
	sv.started_ns = util_now_ns();

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (lock_data_dir(&sv) < 0 || lock_instance(&sv) < 0 || refuse_if_running(&sv) < 0 ||
	    create_region(&sv) < 0)
		goto out;
	if (catalog_init(&sv.cat, sv.region, &cfg->env) < 0) {
		say("out of memory");
		goto out;
	}
	catalog_index_attach(&sv.cat, sv.region_size);
	/* cluster mode: no value is served from the local log's positions,
	 * only from segments the store grants */
	sv.cat.clustered = cfg->etcd != NULL;
	if (replay_and_start(&sv) < 0)
		goto out;
	sv.epfd = epoll_create1(EPOLL_CLOEXEC);
	sv.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sv.epfd < 0 || sv.sfd < 0 || create_socket(&sv) < 0)
		goto out;
	if (epoll_add(&sv, sv.lfd, &sv.lfd) < 0 || epoll_add(&sv, sv.sfd, &sv.sfd) < 0)
		goto out;
	sv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* see accept_out_of_fds */
#if SHMSEQD_CLUSTER
	if (cfg->etcd) {
		char err[512] = "";
		struct cluster_config cc = {.endpoints = cfg->etcd,
					    .name = cfg->cluster,
					    .host = cfg->host,
					    .bind = cfg->etcd_bind};
		struct cluster_ops ops = {.ctx = &sv, .reply = cluster_reply};
		int fds[2];
		if (cluster_open(&cc, &sv.cat, &cfg->env, &ops, &sv.cl, err, sizeof(err)) < 0) {
			say("cluster mode: %s", err);
			goto out;
		}
		cluster_fds(sv.cl, fds);
		if (epoll_add(&sv, fds[0], &sv.cl_tags[0]) < 0 || epoll_add(&sv, fds[1], &sv.cl_tags[1]) < 0)
			goto out;
		say_at(LOG_INFO, "cluster mode: cluster '%s', host '%s', store %s", cfg->cluster, cfg->host,
		       cfg->etcd);
		/* the definitions read from the store, durable before serving */
		commit_batch(&sv);
	}
#endif
	say_at(LOG_INFO,
	       "serving instance '%s' (pid %d): socket %s, region %s of %llu slots (%zu bytes), data %s, "
	       "%llu sequences %s",
	       cfg->instance, (int)getpid(), sv.sock_path, sv.region_name, (unsigned long long)sv.nslots,
	       sv.region_size, cfg->data_dir, (unsigned long long)sv.cat.count,
	       sv.adopted ? "carried on from the region of a daemon that died"
			  : "recovered from the data directory");
	if (cfg->ready_fd >= 0) {
		(void)!write(cfg->ready_fd, "R", 1);
		close(cfg->ready_fd);
	}
	int nr = notify_send("READY=1"); /* Type=notify: the socket accepts from now on */
	if (nr < 0)
		say("could not tell the service manager we are ready ($NOTIFY_SOCKET): %s", strerror(-nr));

	struct epoll_event ev[64];
	while (!sv.stopping) {
		listener_resume(&sv);
		int n = epoll_wait(sv.epfd, ev, 64, sv.listen_paused ? 1000 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			say("epoll_wait: %m");
			break;
		}
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			if (p == &sv.lfd) {
				accept_all(&sv);
#if SHMSEQD_CLUSTER
			} else if (sv.cl && (p == &sv.cl_tags[0] || p == &sv.cl_tags[1])) {
				cluster_event(sv.cl, p == &sv.cl_tags[1]);
#endif
			} else if (p == &sv.snap_bg) {
				/* news from the snapshot's child: commit_batch */
			} else if (p == &sv.sfd) {
				struct signalfd_siginfo si;
				while (read(sv.sfd, &si, sizeof(si)) == sizeof(si))
					if (si.ssi_signo != SIGHUP)
						sv.stopping = true;
			} else {
				struct conn *c = p;
				if (ev[i].events & EPOLLIN)
					read_conn(&sv, c);
				if (ev[i].events & (EPOLLHUP | EPOLLERR))
					c->dead = true;
			}
		}
		commit_batch(&sv);
	}

	/* Clean shutdown: freeze every slot, record MariaDB's exact positions.
	 * A snapshot being written is given up: the log holds everything. */
	snapshot_bg_abort(&sv.snap_bg, sv.wal);
	atomic_store(&sv.region->state, REGION_STATE_CLOSED);
	if (!wal_failed(sv.wal)) {
		if (catalog_shutdown(&sv.cat) < 0 || wal_sync(sv.wal) < 0)
			say("could not record the final positions; a restart resumes from the last "
			    "durable windows instead (values are skipped, never repeated)");
		else
			say_at(LOG_INFO,
			       "stopped: the final positions of %llu sequences are recorded (%llu sessions "
			       "were attached)",
			       (unsigned long long)sv.cat.count, (unsigned long long)sv.nconns);
	} else {
		say_at(LOG_WARNING,
		       "stopped with the log failed: a restart resumes from the last durable windows");
	}
	code = 0;
out:
	cleanup(&sv);
	return code;
}
