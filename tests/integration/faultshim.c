/* SPDX-License-Identifier: MIT */
/* faultshim.c — an LD_PRELOAD library for test_faults.c: it makes the
 * daemon's writes and syncs on the files of its data directory fail on
 * demand, counts them, and keeps a copy of what each sync made durable, from
 * which the test builds the disk a power loss would leave behind.
 *
 * Only calls on the data directory and the files in it count (the path of an
 * fd is read from /proc/self/fd); sockets, pipes, stderr and the shared
 * memory region are left alone. Environment:
 *
 *   SHMSEQ_FAULT_DIR=DIR      the data directory (required; nothing counts without it)
 *   SHMSEQ_FAULT=KIND:K:WHAT  make the K-th call (from 1) of KIND fail:
 *       KIND  pwrite, write, fdatasync, fsync, rename or ftruncate (pwrite
 *             also covers pwrite64, ftruncate ftruncate64)
 *       WHAT  EIO or ENOSPC: the call does nothing and fails with that errno;
 *             short: a write writes the first half and returns that count;
 *             crash: the process is killed with SIGKILL just before the call
 *             (with SHMSEQ_FAULT_SYNCED, a power loss at that instant);
 *             a suffix ",sticky" fails every later call of KIND too
 *   SHMSEQ_FAULT_COUNT=FILE   FILE (created by the test, at least
 *             sizeof(struct fault_counts) bytes) is mapped shared and holds the
 *             calls made of each kind and whether the fault fired, so the test
 *             reads them while the daemon runs and after it was killed
 *   SHMSEQ_FAULT_SYNCED=DIR   record durability: DIR/ino-N holds the content
 *             of the file with inode N as of its last successful fsync or
 *             fdatasync, and DIR/names the "name inode" lines of the data
 *             directory as of its last successful fsync. At start-up every file
 *             present counts as durable. A power loss keeps exactly that.
 *   SHMSEQ_FAULT_DIRSYNCS=FILE  append a line to FILE for every successful
 *             fsync of any directory (the data directory's parents too):
 *             "PATH" then "\tNAME INODE" for each entry, as synced. A
 *             directory's entries are durable as of its last line there.
 */
/* pwrite and pwrite64 (ftruncate and ftruncate64) are both defined here:
 * the headers must not rename one into the other. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* The build hides symbols by default: these must interpose libc's. */
#define SHIM_API __attribute__((visibility("default")))

/* The layout of SHMSEQ_FAULT_COUNT, shared with test_faults.c. */
enum { K_PWRITE, K_WRITE, K_FDATASYNC, K_FSYNC, K_RENAME, K_FTRUNCATE, K_NKINDS };
struct fault_counts {
	_Atomic uint64_t calls[K_NKINDS];
	_Atomic uint64_t fired; /* calls that were made to fail */
};

static const char *const kind_names[K_NKINDS] = {"pwrite", "write",  "fdatasync",
						 "fsync",  "rename", "ftruncate"};

enum what { W_NONE, W_ERRNO, W_SHORT, W_CRASH };

static struct {
	bool init;
	char dir[PATH_MAX]; /* SHMSEQ_FAULT_DIR resolved */
	size_t dirlen;
	char raw[PATH_MAX]; /* as given */
	size_t rawlen;
	int kind;
	uint64_t k;
	enum what what;
	int err;
	bool sticky;
	struct fault_counts *counts;
	struct fault_counts local;
	char synced[PATH_MAX];
	char dirsyncs[PATH_MAX];
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pwrite64)(int, const void *, size_t, off_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*fdatasync)(int);
	int (*fsync)(int);
	int (*rename)(const char *, const char *);
	int (*ftruncate)(int, off_t);
	int (*ftruncate64)(int, off_t);
} S;

static void *next_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void resolve(void)
{
	if (S.pwrite)
		return;
	S.pwrite64 = (ssize_t(*)(int, const void *, size_t, off_t))next_sym("pwrite64");
	S.write = (ssize_t(*)(int, const void *, size_t))next_sym("write");
	S.fdatasync = (int (*)(int))next_sym("fdatasync");
	S.fsync = (int (*)(int))next_sym("fsync");
	S.rename = (int (*)(const char *, const char *))next_sym("rename");
	S.ftruncate = (int (*)(int, off_t))next_sym("ftruncate");
	S.ftruncate64 = (int (*)(int, off_t))next_sym("ftruncate64");
	S.pwrite = (ssize_t(*)(int, const void *, size_t, off_t))next_sym("pwrite");
}

static bool under(const char *path, const char *dir, size_t len)
{
	return len && strncmp(path, dir, len) == 0 && (path[len] == 0 || path[len] == '/');
}

/* Whether path is the data directory or inside it (as given, or resolved). */
static bool in_dir(const char *path)
{
	return under(path, S.dir, S.dirlen) || under(path, S.raw, S.rawlen);
}

static bool fd_path(int fd, char *buf, size_t cap)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, cap - 1);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

static bool fd_counts(int fd)
{
	char p[PATH_MAX];
	return S.init && fd >= 0 && fd_path(fd, p, sizeof(p)) && in_dir(p);
}

/* Write all of buf to path through a temporary file and a rename, with the
 * real calls, so the test never reads a half-written copy. */
static void put_file(const char *path, const void *buf, size_t n)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	const char *p = buf;
	while (n) {
		ssize_t w = S.write(fd, p, n);
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
	close(fd);
	S.rename(tmp, path);
}

/* Copy the current content of the file open as fd to SYNCED/ino-N. */
static void record_file(int fd)
{
	char link[64];
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int rfd = open(link, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return;
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = pread(rfd, buf + n, cap - n, (off_t)n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(rfd);
	if (buf) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/ino-%llu", S.synced, (unsigned long long)st.st_ino);
		put_file(path, buf, n);
		free(buf);
	}
}

/* Record the data directory's names, and with copy_files the content of
 * every file in it (start-up: what is there is durable). */
static void record_names(bool copy_files)
{
	DIR *d = opendir(S.dir);
	if (!d)
		return;
	size_t cap = 4096, n = 0;
	char *list = malloc(cap);
	struct dirent *e;
	while (list && (e = readdir(d)) != NULL) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (copy_files) {
			int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd >= 0) {
				record_file(fd);
				close(fd);
			}
		}
		if (cap - n < NAME_MAX + 32) {
			char *nl = realloc(list, cap * 2);
			if (!nl)
				break;
			list = nl;
			cap *= 2;
		}
		n += (size_t)snprintf(list + n, cap - n, "%s %llu\n", e->d_name,
				      (unsigned long long)st.st_ino);
	}
	closedir(d);
	if (list) {
		char path[PATH_MAX + 8];
		snprintf(path, sizeof(path), "%s/names", S.synced);
		put_file(path, list, n);
		free(list);
	}
}

__attribute__((constructor)) static void shim_init(void)
{
	resolve();
	const char *dir = getenv("SHMSEQ_FAULT_DIR");
	const char *spec = getenv("SHMSEQ_FAULT");
	const char *count = getenv("SHMSEQ_FAULT_COUNT");
	const char *synced = getenv("SHMSEQ_FAULT_SYNCED");
	S.counts = &S.local;
	S.kind = -1;
	if (!dir || !*dir)
		return;
	if (!realpath(dir, S.dir))
		snprintf(S.dir, sizeof(S.dir), "%s", dir);
	S.dirlen = strlen(S.dir);
	snprintf(S.raw, sizeof(S.raw), "%s", dir);
	S.rawlen = strlen(S.raw);
	while (S.rawlen > 1 && S.raw[S.rawlen - 1] == '/')
		S.raw[--S.rawlen] = 0;
	if (spec && *spec) {
		char kind[32], what[32] = "";
		unsigned long long k = 0;
		if (sscanf(spec, "%31[a-z0-9]:%llu:%31s", kind, &k, what) == 3 && k > 0) {
			for (int i = 0; i < K_NKINDS; i++)
				if (strcmp(kind, kind_names[i]) == 0)
					S.kind = i;
			char *comma = strchr(what, ',');
			if (comma) {
				S.sticky = strcmp(comma, ",sticky") == 0;
				*comma = 0;
			}
			S.k = k;
			if (strcmp(what, "EIO") == 0) {
				S.what = W_ERRNO;
				S.err = EIO;
			} else if (strcmp(what, "ENOSPC") == 0) {
				S.what = W_ERRNO;
				S.err = ENOSPC;
			} else if (strcmp(what, "short") == 0) {
				S.what = W_SHORT;
			} else if (strcmp(what, "crash") == 0) {
				S.what = W_CRASH;
			}
		}
		if (S.kind < 0 || S.what == W_NONE) {
			fprintf(stderr, "faultshim: bad SHMSEQ_FAULT '%s'\n", spec);
			_exit(111);
		}
	}
	if (count && *count) {
		int fd = open(count, O_RDWR | O_CLOEXEC);
		void *m = fd < 0 ? MAP_FAILED
				 : mmap(NULL, sizeof(struct fault_counts), PROT_READ | PROT_WRITE, MAP_SHARED,
					fd, 0);
		if (fd >= 0)
			close(fd);
		if (m == MAP_FAILED) {
			fprintf(stderr, "faultshim: cannot map SHMSEQ_FAULT_COUNT '%s'\n", count);
			_exit(111);
		}
		S.counts = m;
	}
	if (synced && *synced) {
		snprintf(S.synced, sizeof(S.synced), "%s", synced);
		record_names(true);
	}
	const char *dirsyncs = getenv("SHMSEQ_FAULT_DIRSYNCS");
	if (dirsyncs && *dirsyncs)
		snprintf(S.dirsyncs, sizeof(S.dirsyncs), "%s", dirsyncs);
	S.init = true;
}

/* Count a call of kind; true when it is the one to fail (a crash does not
 * return). */
static bool hit(int kind)
{
	uint64_t n = atomic_fetch_add(&S.counts->calls[kind], 1) + 1;
	if (kind != S.kind || (n != S.k && !(S.sticky && n > S.k)))
		return false;
	atomic_fetch_add(&S.counts->fired, 1);
	if (S.what == W_CRASH) {
		kill(getpid(), SIGKILL);
		for (;;)
			pause();
	}
	return true;
}

static ssize_t do_pwrite(ssize_t (*real)(int, const void *, size_t, off_t), int fd, const void *buf,
			 size_t len, off_t off)
{
	if (fd_counts(fd) && hit(K_PWRITE)) {
		if (S.what == W_SHORT && len > 1)
			return real(fd, buf, len / 2, off);
		errno = S.what == W_ERRNO ? S.err : EIO;
		return -1;
	}
	return real(fd, buf, len, off);
}

SHIM_API ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	resolve();
	return do_pwrite(S.pwrite, fd, buf, len, off);
}

SHIM_API ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	resolve();
	return do_pwrite(S.pwrite64, fd, buf, len, off);
}

SHIM_API ssize_t write(int fd, const void *buf, size_t len)
{
	resolve();
	if (fd_counts(fd) && hit(K_WRITE)) {
		if (S.what == W_SHORT && len > 1)
			return S.write(fd, buf, len / 2);
		errno = S.what == W_ERRNO ? S.err : EIO;
		return -1;
	}
	return S.write(fd, buf, len);
}

/* After a successful fsync of fd: if it is a directory, append its path and
 * entries to SHMSEQ_FAULT_DIRSYNCS. */
static void record_dirsync(int fd)
{
	struct stat st;
	char path[PATH_MAX], line[16384];
	if (!S.dirsyncs[0] || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || !fd_path(fd, path, sizeof(path)))
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	size_t n = (size_t)snprintf(line, sizeof(line), "%s", path);
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < sizeof(line) - NAME_MAX - 32)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n += (size_t)snprintf(line + n, sizeof(line) - n, "\t%s %llu", e->d_name,
					      (unsigned long long)e->d_ino);
	closedir(d);
	line[n++] = '\n';
	int out = open(S.dirsyncs, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (out >= 0) {
		(void)!S.write(out, line, n); /* one write: lines never interleave */
		close(out);
	}
}

static int do_sync(int kind, int (*real)(int), int fd)
{
	if (!fd_counts(fd)) {
		int r = real(fd);
		if (r == 0 && S.init)
			record_dirsync(fd);
		return r;
	}
	if (hit(kind)) {
		errno = S.what == W_ERRNO ? S.err : EIO;
		return -1;
	}
	int r = real(fd);
	if (r == 0)
		record_dirsync(fd);
	if (r == 0 && S.synced[0]) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			record_names(false);
		else
			record_file(fd);
	}
	return r;
}

SHIM_API int fdatasync(int fd)
{
	resolve();
	return do_sync(K_FDATASYNC, S.fdatasync, fd);
}

SHIM_API int fsync(int fd)
{
	resolve();
	return do_sync(K_FSYNC, S.fsync, fd);
}

SHIM_API int rename(const char *from, const char *to)
{
	resolve();
	if (S.init && from && to && (in_dir(from) || in_dir(to)) && hit(K_RENAME)) {
		errno = S.what == W_ERRNO ? S.err : EIO;
		return -1;
	}
	return S.rename(from, to);
}

static int do_ftruncate(int (*real)(int, off_t), int fd, off_t len)
{
	if (fd_counts(fd) && hit(K_FTRUNCATE)) {
		errno = S.what == W_ERRNO ? S.err : EIO;
		return -1;
	}
	return real(fd, len);
}

SHIM_API int ftruncate(int fd, off_t len)
{
	resolve();
	return do_ftruncate(S.ftruncate, fd, len);
}

SHIM_API int ftruncate64(int fd, off_t len)
{
	resolve();
	return do_ftruncate(S.ftruncate64, fd, len);
}
