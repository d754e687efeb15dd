/* SPDX-License-Identifier: MIT */
/* harness.c — see harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"
#include "tmpdir.h"
#include "util.h"

void daemon_setup(struct daemon *d, const char *prefix)
{
	const char *bin = getenv("SHMSEQD");
	if (!bin || access(bin, X_OK) != 0) {
		fprintf(stderr, "SHMSEQD does not name the built daemon: skipping\n");
		exit(77);
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->instance, sizeof(d->instance), "%s-%d", prefix, (int)getpid());
	/* under /tmp whatever $TMPDIR says: the socket path must stay short */
	int r = tmpdir_make(d->dir, sizeof(d->dir), "/tmp", "shmseq-test-");
	if (r < 0) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(-r));
		exit(1);
	}
	char run[300];
	snprintf(run, sizeof(run), "%s/run", d->dir);
	setenv("SHMSEQ_RUNTIME_DIR", run, 1);
	setenv("SHMSEQ_INSTANCE", d->instance, 1);
}

int daemon_start(struct daemon *d, const char *extra)
{
	char cmd[2048];
	/* through sh, so that extra may hold several arguments and redirections;
	 * "$@" is the "--ready-fd N" the spawner appends */
	snprintf(cmd, sizeof(cmd), "exec \"$SHMSEQD\" --instance %s --data-dir %s/data \"$@\" %s",
		 d->instance, d->dir, extra ? extra : "");
	const char *argv[] = {"/bin/sh", "-c", cmd, "sh", NULL};
	struct spawn_opts o = {
		.argv = argv, .ready_flag = "--ready-fd", .child_setup = d->enter, .child_arg = d->enter_arg};
	struct spawn sp;
	if (spawn_start(&sp, &o) < 0)
		return -1;
	return daemon_await_ready(d, &sp, NULL);
}

int daemon_await_ready(struct daemon *d, struct spawn *sp, int *code)
{
	pid_t pid = sp->pid;
	if (spawn_await_ready(sp, DAEMON_READY_MS, code) < 0)
		return -1;
	d->pid = pid;
	return 0;
}

int daemon_stop(struct daemon *d)
{
	int st = 0;
	if (d->pid <= 0)
		return 0;
	kill(d->pid, SIGTERM);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void daemon_kill(struct daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	d->pid = 0;
}

int region_fd(const char *instance)
{
	char path[4200];
	int fd = -1;
	if (keeper_path(instance, path, sizeof(path), false) < 0 || keeper_call(path, KEEPER_PEEK, &fd) < 0)
		return -1;
	return fd;
}

void region_discard(const char *instance)
{
	char path[4200];
	if (keeper_path(instance, path, sizeof(path), false) < 0)
		return;
	keeper_call(path, KEEPER_QUIT, NULL);
	unlink(path);
}

/* What a killed daemon leaves: its region's keeper and its instance lock. */
static void leftovers_remove(const struct daemon *d)
{
	region_discard(d->instance);
	char lock[160];
	if (util_instance_lock_name(d->instance, lock, sizeof(lock)) == 0)
		shm_unlink(lock);
}

void daemon_teardown(struct daemon *d)
{
	daemon_stop(d);
	if (d->enter) {
		/* where the daemon ran (its namespace), in a child */
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			d->enter(d->enter_arg);
			leftovers_remove(d);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else {
		leftovers_remove(d);
	}
	if (tmpdir_remove(d->dir) < 0)
		fprintf(stderr, "could not remove %s\n", d->dir);
}

static struct daemon *group_d;
static const char *group_prefix;

static int group_setup(void **state)
{
	(void)state;
	daemon_setup(group_d, group_prefix);
	return daemon_start(group_d, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	daemon_teardown(group_d);
	return 0;
}

int daemon_run_group(const char *name, const struct CMUnitTest *tests, size_t n, struct daemon *d,
		     const char *prefix)
{
	group_d = d;
	group_prefix = prefix;
	return harness_run_group_tests(name, tests, n, group_setup, group_teardown);
}

/* ---- the descriptor check around each test ---- */

#define FD_CHECK_MAX 4096
static const struct CMUnitTest *fd_orig; /* the group's tests, in order */
static size_t fd_next;			 /* the index of the test whose setup runs next */
static size_t fd_cur;
static unsigned char fd_before[FD_CHECK_MAX / 8], fd_kept[FD_CHECK_MAX / 8];
static int fd_allowed; /* more descriptors this test may leave (harness_fd_allow) */

static void fd_scan(unsigned char *set)
{
	memset(set, 0, FD_CHECK_MAX / 8);
	DIR *dir = opendir("/proc/self/fd");
	if (!dir)
		return;
	int self = dirfd(dir);
	struct dirent *e;
	while ((e = readdir(dir))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd == self || fd < 0 || fd >= FD_CHECK_MAX)
			continue;
		set[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	closedir(dir);
}

void harness_fd_allow(int n)
{
	fd_allowed += n;
}

void harness_fd_keep(int fd)
{
	if (fd >= 0 && fd < FD_CHECK_MAX)
		fd_kept[fd / 8] |= (unsigned char)(1u << (fd % 8));
}

static int fd_setup(void **state)
{
	fd_cur = fd_next++;
	memset(fd_kept, 0, sizeof(fd_kept));
	fd_allowed = 0;
	fd_scan(fd_before);
	return fd_orig[fd_cur].setup_func ? fd_orig[fd_cur].setup_func(state) : 0;
}

static int fd_teardown(void **state)
{
	int r = fd_orig[fd_cur].teardown_func ? fd_orig[fd_cur].teardown_func(state) : 0;
	unsigned char after[FD_CHECK_MAX / 8];
	fd_scan(after);
	/* More descriptors than before, kept ones aside: name the new ones. (A
	 * session that re-attached to a restarted daemon holds a socket of
	 * another number in place of its old one: not a leak.) */
	int nbefore = 0, nafter = 0;
	for (int fd = 0; fd < FD_CHECK_MAX; fd++) {
		unsigned char bit = (unsigned char)(1u << (fd % 8));
		if (fd_kept[fd / 8] & bit)
			continue;
		nbefore += !!(fd_before[fd / 8] & bit);
		nafter += !!(after[fd / 8] & bit);
	}
	if (nafter <= nbefore + fd_allowed)
		return r;
	fprintf(stderr, "%s: %d descriptor(s) more than before it\n", fd_orig[fd_cur].name, nafter - nbefore);
	for (int fd = 0; fd < FD_CHECK_MAX; fd++) {
		unsigned char bit = (unsigned char)(1u << (fd % 8));
		if (!(after[fd / 8] & bit) || (fd_before[fd / 8] & bit) || (fd_kept[fd / 8] & bit))
			continue;
		char link[64], target[512] = "?";
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n >= 0)
			target[n] = 0;
		fprintf(stderr, "%s: descriptor %d (%s) is new\n", fd_orig[fd_cur].name, fd, target);
	}
	return -1;
}

int harness_run_group_tests(const char *name, const struct CMUnitTest *tests, size_t n, int (*setup)(void **),
			    int (*teardown)(void **))
{
	struct CMUnitTest *wrapped = calloc(n, sizeof(*wrapped));
	if (!wrapped) {
		perror("calloc");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		wrapped[i] = tests[i];
		wrapped[i].setup_func = fd_setup;
		wrapped[i].teardown_func = fd_teardown;
	}
	fd_orig = tests;
	fd_next = 0;
	int r = _cmocka_run_group_tests(name, wrapped, n, setup, teardown);
	free(wrapped);
	return r;
}

void *shared_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

char *run_capture(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 65536, len = 0, n;
	char *buf = malloc(cap);
	assert_non_null(buf);
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return buf;
}
