/* SPDX-License-Identifier: MIT */
/* util.c — instance names, file locations and datagram helpers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmseq.h"

const char *util_errno_text(int e)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	const char *s = strerrordesc_np(e);
	if (s)
		return s;
#endif
	static _Thread_local char buf[64];
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(e, buf, sizeof(buf)); /* GNU: returns the text, in buf or static */
#else
	if (strerror_r(e, buf, sizeof(buf)) != 0)
		snprintf(buf, sizeof(buf), "Unknown error %d", e);
	return buf;
#endif
}

bool util_instance_name_valid(const char *name)
{
	if (!name || !*name)
		return false;
	size_t n = 0;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return n <= SHMSEQ_INSTANCE_MAX;
}

bool seq_name_fits(const char *name, size_t len)
{
	if (len == 0 || len > SHMSEQ_NAME_MAX || memchr(name, 0, len))
		return false;
	size_t chars = 0;
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)name[i] & 0xc0) != 0x80; /* not a continuation byte */
	return chars <= SHMSEQ_NAME_CHARS;
}

const char *util_default_instance(void)
{
	const char *e = getenv("SHMSEQ_INSTANCE");
	return (e && *e) ? e : "default";
}

__attribute__((format(printf, 3, 4))) static int fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

int util_mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		/* a directory we may enter but not read (mode 0711) cannot be
		 * opened to sync: its owner's business, not a reason to stop */
		return errno == EACCES || errno == EPERM ? 0 : -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Fsync the directory holding the last component of path (cut in place at
 * its last '/', then restored). */
static int fsync_parent(char *path)
{
	char *slash = strrchr(path, '/');
	if (!slash)
		return fsync_dir(".");
	if (slash == path)
		return fsync_dir("/");
	*slash = 0;
	int r = fsync_dir(path);
	*slash = '/';
	return r;
}

int util_mkdir_durable(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = 0;
	int r;
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(tmp, mode) == 0) {
			if ((r = fsync_parent(tmp)) < 0)
				return r;
		} else if (errno != EEXIST) {
			return -errno;
		}
		*p = c;
		if (!c)
			break;
	}
	if ((r = fsync_parent(tmp)) < 0)
		return r;
	return fsync_dir(tmp);
}

int util_runtime_dir_origin(char *buf, size_t cap, enum util_dir_origin *origin)
{
	const char *e = getenv("SHMSEQ_RUNTIME_DIR");
	enum util_dir_origin o;
	int r;
	if (e && *e) {
		o = SHMSEQ_DIR_CHOSEN;
		r = fmt(buf, cap, "%s%s", e, "");
	} else if ((e = getenv("XDG_RUNTIME_DIR")) && *e) {
		o = SHMSEQ_DIR_XDG;
		r = fmt(buf, cap, "%s/%s", e, "shmseq");
	} else {
		char uid[32];
		snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
		o = SHMSEQ_DIR_TMP;
		r = fmt(buf, cap, "/tmp/shmseq-%s%s", uid, "");
	}
	if (origin)
		*origin = o;
	return r;
}

size_t util_runtime_dirs(struct util_dir *out, size_t max)
{
	size_t n = 0;
	enum util_dir_origin o;
	if (!max)
		return 0;
	/* the first: where our own daemon would be */
	if (util_runtime_dir_origin(out[0].path, sizeof(out[0].path), &o) == 0) {
		out[0].origin = o;
		n = 1;
	}
	if (n && o == SHMSEQ_DIR_CHOSEN)
		return n;
	if (n < max && o == SHMSEQ_DIR_XDG) {
		fmt(out[n].path, sizeof(out[n].path), "/tmp/shmseq-%u", (unsigned)getuid());
		out[n++].origin = SHMSEQ_DIR_TMP;
	}
	const char *sys = getenv("SHMSEQ_SYSTEM_RUNTIME_DIR");
	if (n < max &&
	    fmt(out[n].path, sizeof(out[n].path), "%s", sys && *sys ? sys : UTIL_SYSTEM_RUNTIME_DIR) == 0)
		out[n++].origin = SHMSEQ_DIR_SYSTEM;
	return n;
}

void util_user_text(uid_t uid, char *buf, size_t cap)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name && *res->pw_name)
		snprintf(buf, cap, "user %s (uid %u)", res->pw_name, (unsigned)uid);
	else
		snprintf(buf, cap, "uid %u", (unsigned)uid);
}

static bool is_self(uid_t uid)
{
	return uid == getuid() || uid == geteuid();
}

int util_runtime_dir_check(const char *dir, enum util_dir_origin origin, bool for_daemon, uid_t *owner,
			   char *why, size_t whycap)
{
	struct stat st;
	char who[300];
	char dummy[1];
	if (!why) {
		why = dummy;
		whycap = sizeof(dummy);
	}
	*why = 0;
	/* in /tmp anyone may have made a symbolic link of that name first */
	if ((origin == SHMSEQ_DIR_TMP ? lstat(dir, &st) : stat(dir, &st)) < 0) {
		int e = errno;
		snprintf(why, whycap, "runtime directory %s: %s", dir, util_errno_text(e));
		return -e;
	}
	util_user_text(st.st_uid, who, sizeof(who));
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whycap, "runtime directory %s is not a directory but a %s of %s: not trusted",
			 dir, S_ISLNK(st.st_mode) ? "symbolic link" : "file", who);
		return -EPERM;
	}
	if ((st.st_mode & 0022) && !(st.st_mode & S_ISVTX)) {
		snprintf(
			why, whycap,
			"runtime directory %s, of %s, is writable by %s: anyone who may write it may replace "
			"the socket, so it is not trusted; make it mode 0755 or stricter",
			dir, who,
			(st.st_mode & 0022) == 0022 ? "its group and others"
			: (st.st_mode & 0020)	    ? "its group"
						    : "others");
		return -EPERM;
	}
	if (origin == SHMSEQ_DIR_SYSTEM) {
		/* any owner (the service's user), but only root or we made it */
		char parent[4096];
		struct stat pst;
		snprintf(parent, sizeof(parent), "%s", dir);
		char *slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = 0;
		else if (slash)
			*slash = 0;
		if (!slash || stat(parent, &pst) < 0 || (pst.st_uid != 0 && !is_self(pst.st_uid)) ||
		    (pst.st_mode & 0022)) {
			char pwho[300] = "?";
			if (slash && stat(parent, &pst) == 0)
				util_user_text(pst.st_uid, pwho, sizeof(pwho));
			snprintf(why, whycap,
				 "system runtime directory %s is in %s, of %s, which someone other than root "
				 "or us may write: not trusted",
				 dir, parent, pwho);
			return -EPERM;
		}
	} else if (st.st_uid != 0 && !is_self(st.st_uid) && (for_daemon || origin != SHMSEQ_DIR_CHOSEN)) {
		char me[300];
		util_user_text(geteuid(), me, sizeof(me));
		if (for_daemon)
			snprintf(
				why, whycap,
				"runtime directory %s belongs to %s, not to %s nor root: refusing to put the "
				"socket where another user controls it; remove it, or set SHMSEQ_RUNTIME_DIR "
				"to a directory of ours",
				dir, who, me);
		else
			snprintf(why, whycap,
				 "runtime directory %s belongs to %s, not to %s nor root: a daemon there is "
				 "not "
				 "trusted; to use an instance that %s shares, set SHMSEQ_RUNTIME_DIR to its "
				 "directory",
				 dir, who, me, who);
		return -EPERM;
	}
	if (owner)
		*owner = st.st_uid;
	return 0;
}

bool util_peer_trusted(uid_t peer, enum util_dir_origin origin, uid_t dir_owner)
{
	return peer == 0 || is_self(peer) ||
	       ((origin == SHMSEQ_DIR_CHOSEN || origin == SHMSEQ_DIR_SYSTEM) && peer == dir_owner);
}

int util_runtime_dir_make(char *buf, size_t cap, char *why, size_t whycap)
{
	enum util_dir_origin origin;
	int r = util_runtime_dir_origin(buf, cap, &origin);
	if (r < 0) {
		if (why)
			snprintf(why, whycap, "runtime directory path too long");
		return r;
	}
	r = util_mkdir_p(buf, 0700);
	if (r < 0) {
		if (why)
			snprintf(why, whycap, "cannot create runtime directory %s: %s", buf,
				 util_errno_text(-r));
		return r;
	}
	return util_runtime_dir_check(buf, origin, true, NULL, why, whycap);
}

int util_runtime_dir(char *buf, size_t cap, bool create)
{
	if (create)
		return util_runtime_dir_make(buf, cap, NULL, 0);
	return util_runtime_dir_origin(buf, cap, NULL);
}

int util_socket_path(const char *instance, char *buf, size_t cap)
{
	char dir[4096];
	int r = util_runtime_dir(dir, sizeof(dir), false);
	if (r < 0)
		return r;
	return fmt(buf, cap, "%s/%s.sock", dir, instance);
}

int util_region_name(const char *instance, char *buf, size_t cap)
{
	char uid[32];
	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	return fmt(buf, cap, "/shmseq.%s.%s", uid, instance);
}

int util_instance_lock_name(const char *instance, char *buf, size_t cap)
{
	char region[128];
	int r = util_region_name(instance, region, sizeof(region));
	return r < 0 ? r : fmt(buf, cap, "%s.lock", region);
}

int util_default_data_dir(const char *instance, char *buf, size_t cap)
{
	const char *e = getenv("XDG_STATE_HOME");
	if (e && *e)
		return fmt(buf, cap, "%s/shmseq/%s", e, instance);
	e = getenv("HOME");
	if (!e || !*e)
		return -ENOENT;
	return fmt(buf, cap, "%s/.local/state/shmseq/%s", e, instance);
}

int util_send(int sock, const void *buf, size_t len, int fd, int flags)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EIO;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t util_recv(int sock, void *buf, size_t cap, int *fd, int flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	if (fd)
		*fd = -1;
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd && *fd < 0)
				*fd = got;
			else
				close(got);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (fd && *fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		return -EMSGSIZE;
	}
	return n;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
