/* SPDX-License-Identifier: MIT */
/* test_perms.c — who may use an instance. The region and the socket are
 * created owner-only under any umask; the region is a sealed memfd with no
 * name, reached only through the daemon's socket (and its keeper's, owner
 * only); a file squatting the socket's or the instance lock's name is refused
 * with a clear message, never reused nor removed, and one at the name regions
 * had before they were memfds is left alone (one of our own from an earlier
 * version is removed); a second daemon on a running instance is refused
 * without touching it; --group opens an instance to one group (as primary or
 * supplementary group) and to nobody else; a refused user is told
 * "Permission denied". The cross-user tests need root: they drop to the user
 * nobody in forked children, and skip when not run as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "keeper.h"
#include "region.h"
#include "shmseq.h"
#include "util.h"

static struct daemon d;
static char errlog[320]; /* the daemon's stderr */
static uid_t nobody_uid = 65534;
static gid_t nobody_gid = 65534;
static gid_t grp_gid;	  /* the group --group opens instances to */
static char grp_name[64]; /* "" when there is no usable group */

/* --- starting the daemon: fork, umask, drop privileges, exec ---------------- */

struct opts {
	const char *args[4]; /* extra arguments, NULL-terminated */
	int umask;	     /* -1: inherit ours */
	bool as_nobody;
	bool in_group;	  /* and with the group as a supplementary group */
	bool as_victim;	  /* as victim_uid, in the group (test_runtime_dir_*) */
	const char *data; /* data directory; NULL: <dir>/data */
	const char *run;  /* SHMSEQ_RUNTIME_DIR; NULL: ours */
	bool default_run; /* no SHMSEQ_RUNTIME_DIR nor XDG_RUNTIME_DIR: /tmp/shmseq-<uid> */
};

/* A user with no account: the victim of another user's runtime directory. */
static uid_t victim_uid;

static void become(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	if (setgroups(ngroups, groups) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(99);
}

/* In the child, before exec: umask, environment and credentials. */
static void child_setup(void *arg)
{
	const struct opts *o = arg;
	if (o->umask >= 0)
		umask((mode_t)o->umask);
	if (o->run)
		setenv("SHMSEQ_RUNTIME_DIR", o->run, 1);
	if (o->default_run) {
		unsetenv("SHMSEQ_RUNTIME_DIR");
		unsetenv("XDG_RUNTIME_DIR");
	}
	if (o->as_nobody)
		become(nobody_uid, nobody_gid, &grp_gid, o->in_group ? 1 : 0);
	if (o->as_victim)
		become(victim_uid, victim_uid, &grp_gid, 1);
}

/* Start shmseqd; sp gets the child and its ready pipe. Its stderr goes to
 * errlog. */
static int daemon_spawn(const struct opts *o, struct spawn *sp)
{
	char data[300];
	if (o->data)
		snprintf(data, sizeof(data), "%s", o->data);
	else
		snprintf(data, sizeof(data), "%s/data", d.dir);
	const char *argv[16] = {getenv("SHMSEQD"), "--instance", d.instance, "--data-dir", data};
	int n = 5;
	for (int i = 0; i < 4 && o->args[i]; i++)
		argv[n++] = o->args[i];
	argv[n] = NULL;
	struct spawn_opts so = {.argv = argv,
				.ready_flag = "--ready-fd",
				.log_path = errlog,
				.child_setup = child_setup,
				.child_arg = (void *)o};
	return spawn_start(sp, &so);
}

/* Start shmseqd and wait until it is ready (0), or until it exits (-1, with
 * its exit status in *code). */
static int spawn(const struct opts *o, int *code)
{
	struct spawn sp;
	return daemon_spawn(o, &sp) < 0 ? -1 : daemon_await_ready(&d, &sp, code);
}

static int spawn_default(void)
{
	struct opts o = {.umask = -1};
	return spawn(&o, NULL);
}

static int spawn_group(void)
{
	struct opts o = {.args = {"--group", grp_name}, .umask = -1};
	return spawn(&o, NULL);
}

/* The daemon's stderr so far, and a check that it says something. */
static const char *daemon_said(void)
{
	static char buf[16384];
	buf[0] = 0;
	int fd = open(errlog, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		close(fd);
	}
	return buf;
}

static void assert_daemon_said(const char *what)
{
	const char *s = daemon_said();
	if (!strstr(s, what))
		fprintf(stderr, "# the daemon said:\n%s# expected: %s\n", s, what);
	assert_non_null(strstr(s, what));
}

static void forget_daemon_said(void)
{
	int fd = open(errlog, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

static void need_root(void)
{
	if (geteuid() != 0) {
		printf("# not root: cannot act as another user, skipping\n");
		skip();
	}
}

static void need_group(void)
{
	need_root();
	if (!*grp_name) {
		printf("# no group to open the instance to, skipping\n");
		skip();
	}
}

/* Let users other than root reach the socket: the temp dir and run/ 0711. */
static void open_runtime_dir(uid_t owner)
{
	char run[300];
	snprintf(run, sizeof(run), "%s/run", d.dir);
	assert_int_equal(chmod(d.dir, 0711), 0);
	assert_true(mkdir(run, 0711) == 0 || errno == EEXIST);
	assert_int_equal(chmod(run, 0711), 0);
	assert_int_equal(chown(run, owner, (gid_t)-1), 0);
}

static void paths(char *sock, size_t scap, char *shm, size_t mcap)
{
	assert_int_equal(util_socket_path(d.instance, sock, scap), 0);
	assert_int_equal(util_region_name(d.instance, shm, mcap), 0);
}

/* --- another user's view ------------------------------------------------------ */

struct probe {
	int shm_rc;	/* shm_open(old region name, O_RDWR) by that user: 0 or -errno */
	int keeper_rc;	/* the region from its keeper: 0 or -errno */
	int connect_rc; /* shmseq_connect */
	char connect_msg[256];
	char explain[512]; /* shmseq_connect_explain() when it failed */
	int draw_rc;	   /* the first failing nextval, or 0 */
	int n;
	int64_t vals[16];
};

static const char *const OUR_RUN = "";

/* In a child running as uid/gid with these supplementary groups: try to get
 * the region without the daemon (by the name regions had before they were
 * memfds, and from its keeper), then connect and draw ndraw values of seq.
 * run is the SHMSEQ_RUNTIME_DIR to use: OUR_RUN ours, NULL none (the
 * default place). */
static struct probe *as_user_in(const char *run, uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
				const char *seq, int ndraw)
{
	static struct probe *pr;
	if (!pr)
		pr = shared_alloc(sizeof(*pr));
	memset(pr, 0, sizeof(*pr));
	char shm[256];
	assert_int_equal(util_region_name(d.instance, shm, sizeof(shm)), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		if (run != OUR_RUN) {
			unsetenv("XDG_RUNTIME_DIR");
			if (run)
				setenv("SHMSEQ_RUNTIME_DIR", run, 1);
			else
				unsetenv("SHMSEQ_RUNTIME_DIR");
		}
		become(uid, gid, groups, ngroups);
		int fd = shm_open(shm, O_RDWR, 0);
		pr->shm_rc = fd >= 0 ? 0 : -errno;
		if (fd >= 0)
			close(fd);
		char kp[4200];
		pr->keeper_rc = keeper_path(d.instance, kp, sizeof(kp), false);
		if (pr->keeper_rc == 0)
			pr->keeper_rc = keeper_call(kp, KEEPER_PEEK, &fd);
		if (pr->keeper_rc == 0)
			close(fd);
		shmseq *c;
		pr->connect_rc = shmseq_connect(d.instance, &c);
		snprintf(pr->connect_msg, sizeof(pr->connect_msg), "%s", shmseq_strerror(pr->connect_rc));
		if (pr->connect_rc < 0)
			shmseq_connect_explain(d.instance, pr->connect_rc, pr->explain, sizeof(pr->explain));
		if (pr->connect_rc == 0) {
			for (int i = 0; i < ndraw && i < 16; i++) {
				int64_t v;
				int r = shmseq_nextval(c, seq, &v);
				if (r < 0) {
					pr->draw_rc = r;
					break;
				}
				pr->vals[pr->n++] = v;
			}
			shmseq_disconnect(c);
		}
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pr;
}

static struct probe *as_user(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, const char *seq,
			     int ndraw)
{
	return as_user_in(OUR_RUN, uid, gid, groups, ngroups, seq, ndraw);
}

static void assert_refused(const struct probe *pr, const char *who)
{
	printf("# %s: shmseq_connect = %d (%s); shm_open of the old region name = %d; the region "
	       "from its keeper = %d\n",
	       who, pr->connect_rc, pr->connect_msg, pr->shm_rc, pr->keeper_rc);
	assert_int_equal(pr->connect_rc, -EACCES);
	assert_non_null(strstr(pr->connect_msg, "Permission denied"));
	/* the region has no name (a memfd), and its keeper answers only the
	 * owner: nothing to open, where the old named region said EACCES */
	assert_int_equal(pr->shm_rc, -ENOENT);
	assert_int_equal(pr->keeper_rc, -EACCES);
}

static void assert_drew(const struct probe *pr, const char *who, int n, int64_t above)
{
	printf("# %s: shmseq_connect = %d, drew %d values", who, pr->connect_rc, pr->n);
	for (int i = 0; i < pr->n; i++)
		printf(" %lld", (long long)pr->vals[i]);
	printf("; the region from its keeper = %d\n", pr->keeper_rc);
	assert_int_equal(pr->connect_rc, 0);
	assert_int_equal(pr->draw_rc, 0);
	assert_int_equal(pr->keeper_rc, -EACCES); /* a member gets it from the daemon only */
	assert_int_equal(pr->n, n);
	for (int i = 0; i < pr->n; i++) {
		assert_true(pr->vals[i] > above);
		above = pr->vals[i];
	}
}

static int64_t draw(const char *seq)
{
	shmseq *c;
	int64_t v = 0;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	assert_int_equal(shmseq_nextval(c, seq, &v), 0);
	shmseq_disconnect(c);
	return v;
}

static void create(const char *seq)
{
	shmseq *c;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	assert_int_equal(shmseq_create(c, seq, NULL, 0), 0);
	shmseq_disconnect(c);
}

/* --- owner-only under any umask ------------------------------------------------- */

static mode_t proc_umask(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	unsigned m = 07777;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			break;
	fclose(f);
	return (mode_t)m;
}

/* Nothing under the data directory is open to group or others. */
static void assert_data_dir_private(const char *dir)
{
	struct stat st;
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(dp))) {
		char p[600];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		assert_int_equal(lstat(p, &st), 0);
		if (st.st_mode & 077)
			fprintf(stderr, "# %s has mode %04o\n", p, (unsigned)(st.st_mode & 07777));
		assert_int_equal(st.st_mode & 077, 0);
		files++;
	}
	closedir(dp);
	assert_true(files > 0);
}

static void check_umask(mode_t m)
{
	char sock[4096], shm[256], data[300], run[300];
	paths(sock, sizeof(sock), shm, sizeof(shm));
	snprintf(data, sizeof(data), "%s/data", d.dir);
	snprintf(run, sizeof(run), "%s/run", d.dir);
	for (int grp = 0; grp < 2; grp++) {
		if (grp && (geteuid() != 0 || !*grp_name))
			break; /* opening to a group needs a group we may give files to */
		struct opts o = {.umask = (int)m};
		if (grp) {
			o.args[0] = "--group";
			o.args[1] = grp_name;
		}
		assert_int_equal(spawn(&o, NULL), 0);
		assert_int_equal(proc_umask(d.pid), m); /* it really runs with that umask */
		create(grp ? "ug" : "u");
		assert_int_equal(draw(grp ? "ug" : "u"), 1);

		mode_t want = grp ? 0660 : 0600;
		struct stat st;
		assert_int_equal(lstat(sock, &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
		mode_t sock_mode = st.st_mode & 07777;
		assert_int_equal(sock_mode, want);
		assert_int_equal(st.st_uid, geteuid());
		if (grp)
			assert_int_equal(st.st_gid, grp_gid);
		/* the region: no name, a sealed memfd, owner-only all the same */
		assert_int_equal(shm_open(shm, O_RDONLY, 0), -1);
		assert_int_equal(errno, ENOENT);
		int fd = region_fd(d.instance);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &st), 0);
		int seals = fcntl(fd, F_GET_SEALS);
		close(fd);
		assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
				 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
		mode_t shm_mode = st.st_mode & 07777;
		assert_int_equal(shm_mode, want);
		assert_int_equal(st.st_uid, geteuid());
		if (grp)
			assert_int_equal(st.st_gid, grp_gid);
		/* its keeper's socket: owner-only whatever the group */
		char kp[4200];
		assert_int_equal(keeper_path(d.instance, kp, sizeof(kp), false), 0);
		assert_int_equal(lstat(kp, &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0600);
		/* the directories the daemon made itself */
		assert_int_equal(lstat(run, &st), 0);
		assert_int_equal(st.st_mode & 077, 0);
		assert_data_dir_private(data);
		printf("# umask %04o%s%s: socket %04o, region %04o, runtime and data dirs owner-only\n",
		       (unsigned)m, grp ? ", --group " : "", grp ? grp_name : "", (unsigned)sock_mode,
		       (unsigned)shm_mode);
		assert_int_equal(daemon_stop(&d), 0);
		/* a clean stop removes both: the socket, and the region with its keeper */
		assert_int_equal(lstat(sock, &st), -1);
		assert_int_equal(lstat(kp, &st), -1);
		assert_int_equal(region_fd(d.instance), -1);
	}
}

static void test_owner_only_umask_0(void **state)
{
	(void)state;
	check_umask(0);
}

static void test_owner_only_umask_022(void **state)
{
	(void)state;
	check_umask(022);
}

static void test_owner_only_umask_077(void **state)
{
	(void)state;
	check_umask(077);
}

/* --- --group --------------------------------------------------------------------- */

static void test_group_member_draws(void **state)
{
	(void)state;
	need_group();
	open_runtime_dir(0);
	assert_int_equal(spawn_group(), 0);
	create("g");
	assert_int_equal(draw("g"), 1);
	/* in the group as a supplementary group: the usual way to be in one */
	struct probe *pr = as_user(nobody_uid, nobody_gid, &grp_gid, 1, "g", 5);
	assert_drew(pr, "nobody with the group as a supplementary group", 5, 1);
	int64_t last = pr->vals[4];
	/* and as its primary group */
	pr = as_user(nobody_uid, grp_gid, NULL, 0, "g", 5);
	assert_drew(pr, "nobody with the group as its primary group", 5, last);
	last = pr->vals[4];
	/* an outsider, meanwhile, is refused */
	pr = as_user(nobody_uid, nobody_gid, NULL, 0, "g", 1);
	assert_refused(pr, "nobody outside the group");
	assert_true(draw("g") > last);
}

static void test_other_user_refused(void **state)
{
	(void)state;
	need_root();
	open_runtime_dir(0);
	/* owner-only: the socket's mode stops another user */
	assert_int_equal(spawn_default(), 0);
	create("o");
	assert_int_equal(draw("o"), 1);
	struct probe *pr = as_user(nobody_uid, nobody_gid, NULL, 0, "o", 1);
	assert_refused(pr, "nobody, owner-only instance");
	if (*grp_name) {
		pr = as_user(nobody_uid, grp_gid, &grp_gid, 1, "o", 1);
		assert_refused(pr, "a member of the group, owner-only instance");
	}
	/* an admin loosens the socket by mistake: the daemon's own peer check
	 * (SO_PEERCRED) still refuses, and says so to the client */
	char sock[4096], shm[256];
	paths(sock, sizeof(sock), shm, sizeof(shm));
	assert_int_equal(chmod(sock, 0666), 0);
	forget_daemon_said();
	pr = as_user(nobody_uid, nobody_gid, NULL, 0, "o", 1);
	assert_refused(pr, "nobody, socket loosened to 0666");
	assert_daemon_said("refusing a session");
	assert_int_equal(draw("o"), 2); /* the daemon is unharmed */
	assert_int_equal(daemon_stop(&d), 0);
	if (!*grp_name)
		return;

	/* opened to a group: still not to others, even through a loose socket */
	assert_int_equal(spawn_group(), 0);
	assert_int_equal(chmod(sock, 0666), 0);
	pr = as_user(nobody_uid, nobody_gid, NULL, 0, "o", 1);
	assert_refused(pr, "nobody outside the group, socket loosened to 0666");
	assert_true(draw("o") > 2);
}

/* --- squatters -------------------------------------------------------------------- */

static void squat_shm(const char *name, uid_t uid, mode_t mode, const char *content)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (uid != geteuid())
			become(uid, uid == 0 ? 0 : nobody_gid, NULL, 0);
		umask(0);
		int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, mode);
		if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
			_exit(1);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The squatter is still there, untouched. */
static void assert_shm_intact(const char *name, uid_t uid, mode_t mode, const char *content)
{
	char path[300], buf[256] = "";
	struct stat st;
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_mode & 07777, mode);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	assert_string_equal(buf, content);
}

static void test_region_squatted_by_another_user(void **state)
{
	(void)state;
	need_root();
	char sock[4096], shm[256], lock[256];
	paths(sock, sizeof(sock), shm, sizeof(shm));
	assert_int_equal(util_instance_lock_name(d.instance, lock, sizeof(lock)), 0);
	const mode_t modes[] = {0600, 0666};
	/* the instance lock's name: refused, left alone */
	for (int i = 0; i < 2; i++) {
		squat_shm(lock, nobody_uid, modes[i], "squatter");
		forget_daemon_said();
		int code = 0;
		struct opts o = {.umask = -1};
		assert_int_equal(spawn(&o, &code), -1);
		printf("# instance lock squatted by uid %u, mode %04o: shmseqd exits %d: %s",
		       (unsigned)nobody_uid, (unsigned)modes[i], code, daemon_said());
		assert_int_equal(code, 1);
		assert_daemon_said("is not ours");
		assert_shm_intact(lock, nobody_uid, modes[i], "squatter");
		struct stat st;
		assert_int_equal(lstat(sock, &st), -1); /* it got no further */
		assert_int_equal(shm_unlink(lock), 0);
	}
	/* The name regions had before they were memfds: nothing of ours lives
	 * there any more, so a squatter there stops nobody (it used to stop
	 * the daemon) and is left alone. */
	for (int i = 0; i < 2; i++) {
		squat_shm(shm, nobody_uid, modes[i], "squatter");
		forget_daemon_said();
		assert_int_equal(spawn_default(), 0);
		printf("# old region name squatted by uid %u, mode %04o: shmseqd starts\n%s",
		       (unsigned)nobody_uid, (unsigned)modes[i], daemon_said());
		char seq[16];
		snprintf(seq, sizeof(seq), "q%d", i);
		create(seq);
		assert_int_equal(draw(seq), 1);
		assert_int_equal(daemon_stop(&d), 0);
		assert_shm_intact(shm, nobody_uid, modes[i], "squatter");
		assert_int_equal(shm_unlink(shm), 0);
	}
	/* the squatters gone, it starts */
	assert_int_equal(spawn_default(), 0);
	create("after");
	assert_int_equal(draw("after"), 1);
}

/* A symlink at the old region name: not followed, not removed. */
static void test_region_squatted_by_symlink(void **state)
{
	(void)state;
	char sock[4096], shm[256], link[300], target[300];
	paths(sock, sizeof(sock), shm, sizeof(shm));
	snprintf(link, sizeof(link), "/dev/shm%s", shm);
	snprintf(target, sizeof(target), "%s/target", d.dir);
	int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "target", 6), 6);
	close(fd);
	if (symlink(target, link) < 0) {
		printf("# cannot make a symlink in /dev/shm (%s), skipping\n", strerror(errno));
		skip();
	}
	assert_int_equal(spawn_default(), 0);
	printf("# old region name is a symlink: shmseqd starts\n%s", daemon_said());
	create("l");
	assert_int_equal(draw("l"), 1);
	assert_int_equal(daemon_stop(&d), 0);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(unlink(link), 0);
}

/* A region of our own left at the old region name by an earlier version
 * (here with a wrong mode, as if someone opened it while it was 0666): it is
 * removed, and whoever holds it open holds an orphan nobody writes to. */
static void test_region_of_ours_with_wrong_mode(void **state)
{
	(void)state;
	char sock[4096], shm[256];
	paths(sock, sizeof(sock), shm, sizeof(shm));
	squat_shm(shm, geteuid(), 0666, "squatter");
	int sfd = shm_open(shm, O_RDWR, 0); /* the squatter keeps it open */
	assert_true(sfd >= 0);
	struct stat old, cur;
	forget_daemon_said();
	assert_int_equal(spawn_default(), 0);
	printf("# region of ours left with mode 0666: %s", daemon_said());
	assert_daemon_said("a region of an earlier version");
	create("w");
	assert_int_equal(shm_open(shm, O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
	int fd = region_fd(d.instance);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &cur), 0);
	close(fd);
	assert_int_equal(cur.st_mode & 07777, 0600);
	assert_int_equal(fstat(sfd, &old), 0);
	assert_true(cur.st_ino != old.st_ino || cur.st_dev != old.st_dev);
	assert_int_equal(old.st_nlink, 0); /* the squatter holds an orphan */
	assert_int_equal(old.st_size, 8);  /* never sized nor written by the daemon */
	close(sfd);
	assert_int_equal(draw("w"), 1);
}

/* A daemon that runs as an ordinary user, and its old region name squatted
 * by another user (root here) that it cannot even open: it starts, leaves
 * the squatter alone, and makes its region (its own, owner-only). */
static void test_region_squatted_nonroot_daemon(void **state)
{
	(void)state;
	need_root();
	char data[300], shm[300];
	snprintf(data, sizeof(data), "%s/data", d.dir);
	open_runtime_dir(nobody_uid);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_int_equal(chown(data, nobody_uid, nobody_gid), 0);
	snprintf(shm, sizeof(shm), "/shmseq.%u.%s", (unsigned)nobody_uid, d.instance);
	const mode_t modes[] = {0600, 0644};
	for (int i = 0; i < 2; i++) {
		squat_shm(shm, 0, modes[i], "root was here");
		forget_daemon_said();
		struct opts o = {.umask = 0, .as_nobody = true};
		assert_int_equal(spawn(&o, NULL), 0);
		printf("# shmseqd as uid %u, old region name squatted by root with mode %04o: starts\n%s",
		       (unsigned)nobody_uid, (unsigned)modes[i], daemon_said());
		int fd = region_fd(d.instance);
		assert_true(fd >= 0);
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		close(fd);
		assert_int_equal(st.st_uid, nobody_uid);
		assert_int_equal(st.st_mode & 07777, 0600);
		char seq[16];
		snprintf(seq, sizeof(seq), "n%d", i);
		create(seq); /* root may use any user's instance */
		assert_int_equal(draw(seq), 1);
		assert_int_equal(daemon_stop(&d), 0);
		assert_shm_intact(shm, 0, modes[i], "root was here");
		assert_int_equal(shm_unlink(shm), 0);
	}
}

static void test_socket_squatted(void **state)
{
	(void)state;
	char sock[4096], shm[256], target[300], run[300];
	paths(sock, sizeof(sock), shm, sizeof(shm));
	snprintf(run, sizeof(run), "%s/run", d.dir);
	snprintf(target, sizeof(target), "%s/target", d.dir);
	assert_int_equal(mkdir(run, 0700), 0);
	int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "target", 6), 6);
	close(fd);
	for (int kind = 0; kind < 3; kind++) {
		const char *what = kind == 0   ? "a regular file"
				   : kind == 1 ? "a symlink"
					       : "another user's socket";
		if (kind == 0) {
			fd = open(sock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			assert_true(fd >= 0);
			assert_int_equal(write(fd, "squatter", 8), 8);
			close(fd);
		} else if (kind == 1) {
			assert_int_equal(symlink(target, sock), 0);
		} else {
			if (geteuid() != 0)
				break;
			struct sockaddr_un sa = {.sun_family = AF_UNIX};
			assert_true(strlen(sock) < sizeof(sa.sun_path));
			memcpy(sa.sun_path, sock, strlen(sock) + 1);
			fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
			close(fd); /* bound, not listening: it looks like a dead daemon's */
			assert_int_equal(lchown(sock, nobody_uid, nobody_gid), 0);
		}
		struct stat before, after;
		assert_int_equal(lstat(sock, &before), 0);
		forget_daemon_said();
		int code = 0;
		struct opts o = {.umask = -1};
		assert_int_equal(spawn(&o, &code), -1);
		printf("# socket name squatted by %s: shmseqd exits %d: %s", what, code, daemon_said());
		assert_int_equal(code, 1);
		assert_daemon_said("is not our socket");
		/* refused and left alone: not removed, not replaced */
		assert_int_equal(lstat(sock, &after), 0);
		assert_int_equal(after.st_ino, before.st_ino);
		assert_int_equal(after.st_mode, before.st_mode);
		assert_int_equal(after.st_uid, before.st_uid);
		assert_int_equal(stat(target, &after), 0);
		assert_int_equal(after.st_size, 6);
		/* and the region it had made is gone again, with its keeper */
		assert_int_equal(region_fd(d.instance), -1);
		assert_int_equal(unlink(sock), 0);
	}
	assert_int_equal(spawn_default(), 0);
	create("s");
	assert_int_equal(draw("s"), 1);
}

/* A second daemon on a running instance (another data directory, so the
 * data-directory lock does not stop it): refused, and the running one keeps
 * its socket, its region and its clients. */
static void test_second_daemon_leaves_running_one_alone(void **state)
{
	(void)state;
	char sock[4096], shm[256], data2[300];
	paths(sock, sizeof(sock), shm, sizeof(shm));
	snprintf(data2, sizeof(data2), "%s/data2", d.dir);
	assert_int_equal(spawn_default(), 0);
	pid_t first = d.pid;
	shmseq *c;
	shmseq_seq *h;
	int64_t v;
	assert_int_equal(shmseq_connect(d.instance, &c), 0);
	assert_int_equal(shmseq_create(c, "x", NULL, 0), 0);
	assert_int_equal(shmseq_seq_open(c, "x", &h), 0);
	for (int64_t want = 1; want <= 3; want++) {
		assert_int_equal(shmseq_seq_nextval(h, &v), 0);
		assert_int_equal(v, want);
	}
	struct stat s0, m0, s1, m1;
	assert_int_equal(lstat(sock, &s0), 0);
	int fd = region_fd(d.instance);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &m0), 0);
	close(fd);

	forget_daemon_said();
	int code = 0;
	struct opts o = {.umask = -1, .data = data2};
	assert_int_equal(spawn(&o, &code), -1);
	printf("# a second shmseqd on the running instance: exits %d: %s", code, daemon_said());
	assert_int_equal(code, 1);
	assert_daemon_said("already running");
	d.pid = first;

	assert_int_equal(lstat(sock, &s1), 0);
	assert_int_equal(s1.st_ino, s0.st_ino);
	fd = region_fd(d.instance);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &m1), 0);
	struct region_header *hdr = mmap(NULL, sizeof(*hdr), PROT_READ, MAP_SHARED, fd, 0);
	assert_true(hdr != MAP_FAILED);
	close(fd);
	assert_int_equal(m1.st_ino, m0.st_ino);
	assert_int_equal(atomic_load(&hdr->state), REGION_STATE_LIVE);
	assert_int_equal(hdr->daemon_pid, (uint32_t)first);
	munmap(hdr, sizeof(*hdr));
	/* the attached client carries on with the very next value, and a new
	 * client gets in */
	assert_int_equal(shmseq_seq_nextval(h, &v), 0);
	assert_int_equal(v, 4);
	shmseq_disconnect(c);
	assert_true(draw("x") > 4);
}

/* Two daemons started at the same instant on one instance, each with its
 * own data directory (the data-directory lock does not stop either) and,
 * every other round, its own runtime directory (nor does the socket probe):
 * exactly one becomes ready, the other says the instance is running. The
 * winner serves, and a clean stop leaves no lock object behind. */
static void test_simultaneous_starts(void **state)
{
	(void)state;
	char data[2][300], run[2][300], lock[160];
	snprintf(run[0], sizeof(run[0]), "%s", getenv("SHMSEQ_RUNTIME_DIR"));
	snprintf(run[1], sizeof(run[1]), "%s/run2", d.dir);
	for (int i = 0; i < 2; i++)
		snprintf(data[i], sizeof(data[i]), "%s/data%d", d.dir, i);
	assert_int_equal(util_instance_lock_name(d.instance, lock, sizeof(lock)), 0);
	int wins[2] = {0, 0};
	for (int round = 0; round < 16; round++) {
		forget_daemon_said();
		struct spawn sp[2];
		int ready[2], code[2] = {0, 0};
		for (int i = 0; i < 2; i++) {
			struct opts o = {
				.umask = -1, .data = data[i], .run = i == 1 && (round & 1) ? run[1] : NULL};
			assert_int_equal(daemon_spawn(&o, &sp[i]), 0);
		}
		struct daemon w[2] = {d, d};
		for (int i = 0; i < 2; i++)
			ready[i] = daemon_await_ready(&w[i], &sp[i], &code[i]);
		if (ready[0] == 0 && ready[1] == 0) {
			daemon_stop(&w[0]);
			daemon_stop(&w[1]);
			fail_msg("round %d: both daemons became ready on instance %s", round, d.instance);
		}
		assert_true(ready[0] == 0 || ready[1] == 0);
		int win = ready[0] == 0 ? 0 : 1;
		d.pid = w[win].pid; /* the teardown stops it if a check below fails */
		wins[win]++;
		assert_int_equal(code[!win], 1);
		assert_daemon_said("already running");

		/* the winner serves, where its runtime directory says */
		const char *winner_run = win == 1 && (round & 1) ? run[1] : run[0];
		char seq[32];
		snprintf(seq, sizeof(seq), "r%d", round);
		setenv("SHMSEQ_RUNTIME_DIR", winner_run, 1);
		create(seq);
		assert_int_equal(draw(seq), 1);
		setenv("SHMSEQ_RUNTIME_DIR", run[0], 1);
		assert_int_equal(daemon_stop(&d), 0);
		assert_int_equal(shm_open(lock, O_RDONLY, 0), -1);
		assert_int_equal(errno, ENOENT);
	}
	printf("# 16 simultaneous starts: the first-started won %d, the second %d\n", wins[0], wins[1]);
}

/* --- another user's runtime directory ------------------------------------------------ */

static pid_t other_pid; /* a second daemon of a test: stopped by the teardown */
static char victim_tmp[64];

/* The CLI's `status` run as the victim, with SHMSEQ_RUNTIME_DIR run (NULL:
 * none): its exit status, its stderr in err. */
static int victim_cli_status(const char *run, char *err, size_t cap)
{
	const char *cli = getenv("SHMSEQ_CLI");
	char path[300];
	snprintf(path, sizeof(path), "%s/cli.err", d.dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		unsetenv("XDG_RUNTIME_DIR");
		if (run)
			setenv("SHMSEQ_RUNTIME_DIR", run, 1);
		else
			unsetenv("SHMSEQ_RUNTIME_DIR");
		int e = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (e < 0 || dup2(e, 2) < 0)
			_exit(98);
		become(victim_uid, victim_uid, &grp_gid, 1);
		execl(cli, cli, "--instance", d.instance, "status", (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, err, cap - 1);
	err[n > 0 ? n : 0] = 0;
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void need_victim(void)
{
	need_group();
	if (!getenv("SHMSEQ_CLI") || access(getenv("SHMSEQ_CLI"), X_OK) != 0)
		skip();
	/* a uid with no account, whose /tmp/shmseq-<uid> nothing else uses */
	for (victim_uid = 61000 + (uid_t)(getpid() % 1000); getpwuid(victim_uid); victim_uid++)
		;
	snprintf(victim_tmp, sizeof(victim_tmp), "/tmp/shmseq-%u", (unsigned)victim_uid);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", victim_tmp);
	assert_int_equal(system(cmd), 0);
	/* the test's directory: others may enter it, and own data directories in it */
	assert_int_equal(chmod(d.dir, 0711), 0);
}

static void own_dir(const char *path, uid_t uid, mode_t mode)
{
	assert_true(mkdir(path, mode) == 0 || errno == EEXIST);
	assert_int_equal(chown(path, uid, uid == nobody_uid ? nobody_gid : (gid_t)uid), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* The attack: another user (nobody) makes /tmp/shmseq-<victim uid> first
 * and runs a daemon there, opened to a group the victim is in. The victim's
 * clients must not use it (before: they drew its values and would have sent
 * it their DDL), and say whose it is; the victim's own daemon must say the
 * same instead of "already running" (it probed the socket first). */
static void test_runtime_dir_of_another_user(void **state)
{
	(void)state;
	need_victim();
	char adata[300], vdata[300], err[4096], who[64];
	snprintf(adata, sizeof(adata), "%s/adata", d.dir);
	snprintf(vdata, sizeof(vdata), "%s/vdata", d.dir);
	snprintf(who, sizeof(who), "nobody (uid %u)", (unsigned)nobody_uid);
	own_dir(adata, nobody_uid, 0700);
	own_dir(vdata, victim_uid, 0700);
	own_dir(victim_tmp, nobody_uid, 0755);

	struct opts a = {.args = {"--group", grp_name},
			 .umask = -1,
			 .as_nobody = true,
			 .in_group = true,
			 .data = adata,
			 .run = victim_tmp};
	assert_int_equal(spawn(&a, NULL), 0);
	other_pid = d.pid;
	d.pid = 0;
	setenv("SHMSEQ_RUNTIME_DIR", victim_tmp, 1);
	create("bait"); /* root may use the attacker's instance, through the directory it chose */
	char run[300];
	snprintf(run, sizeof(run), "%s/run", d.dir);
	setenv("SHMSEQ_RUNTIME_DIR", run, 1);

	/* the victim's client, at the default place */
	struct probe *pr = as_user_in(NULL, victim_uid, victim_uid, &grp_gid, 1, "bait", 2);
	printf("# victim (uid %u), %s made by %s: shmseq_connect = %d (%s), drew %d; %s\n",
	       (unsigned)victim_uid, victim_tmp, who, pr->connect_rc, pr->connect_msg, pr->n, pr->explain);
	assert_int_equal(pr->connect_rc, -EPERM);
	assert_int_equal(pr->n, 0);
	assert_non_null(strstr(pr->explain, victim_tmp));
	assert_non_null(strstr(pr->explain, who));

	/* the victim's CLI */
	int code = victim_cli_status(NULL, err, sizeof(err));
	printf("# the victim's `shmseq status` exits %d: %s", code, err);
	assert_int_equal(code, 1);
	assert_non_null(strstr(err, victim_tmp));
	assert_non_null(strstr(err, who));

	/* the victim's own daemon: refused, naming the owner, not "already running" */
	forget_daemon_said();
	struct opts v = {.umask = -1, .as_victim = true, .data = vdata, .default_run = true};
	code = 0;
	assert_int_equal(spawn(&v, &code), -1);
	printf("# the victim's shmseqd exits %d: %s", code, daemon_said());
	assert_int_equal(code, 1);
	assert_daemon_said(victim_tmp);
	assert_daemon_said(who);
	assert_null(strstr(daemon_said(), "already running"));

	/* the attacker's daemon is gone and its directory stays: still refused */
	kill(other_pid, SIGTERM);
	waitpid(other_pid, NULL, 0);
	other_pid = 0;
	pr = as_user_in(NULL, victim_uid, victim_uid, &grp_gid, 1, "bait", 1);
	assert_int_equal(pr->connect_rc, -EPERM);
	assert_non_null(strstr(pr->explain, who));

	/* the directory removed, the victim's daemon makes its own and serves */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", victim_tmp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(spawn(&v, NULL), 0);
	struct stat st;
	assert_int_equal(lstat(victim_tmp, &st), 0);
	assert_int_equal(st.st_uid, victim_uid);
	assert_int_equal(st.st_mode & 07777, 0700);
	pr = as_user_in(NULL, victim_uid, victim_uid, &grp_gid, 1, "bait", 1);
	assert_int_equal(pr->connect_rc, 0);
	assert_int_equal(pr->draw_rc, -SHMSEQ_ERR_UNKNOWN_SEQUENCE); /* its own, empty instance */
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(system(cmd), 0);
}

/* A directory the victim opted into (SHMSEQ_RUNTIME_DIR) that others may
 * write, sticky like /tmp: another user's daemon there is refused by the
 * peer check (SO_PEERCRED), naming that user; a shared instance whose
 * directory its owner made, as README says, is used. */
static void test_runtime_dir_peer_check(void **state)
{
	(void)state;
	need_victim();
	char adata[300], pub[300], shared[300], who[64];
	snprintf(adata, sizeof(adata), "%s/adata", d.dir);
	snprintf(pub, sizeof(pub), "%s/pub", d.dir);
	snprintf(shared, sizeof(shared), "%s/shared", d.dir);
	snprintf(who, sizeof(who), "nobody (uid %u)", (unsigned)nobody_uid);
	own_dir(adata, nobody_uid, 0700);
	own_dir(pub, 0, 01777);

	struct opts a = {.args = {"--group", grp_name},
			 .umask = -1,
			 .as_nobody = true,
			 .in_group = true,
			 .data = adata,
			 .run = pub};
	assert_int_equal(spawn(&a, NULL), 0);
	char run[300];
	snprintf(run, sizeof(run), "%s/run", d.dir);
	struct probe *pr = as_user_in(pub, victim_uid, victim_uid, &grp_gid, 1, "bait", 2);
	printf("# victim in %s (root's, mode 1777), a daemon of %s there: shmseq_connect = %d (%s), drew %d; "
	       "%s\n",
	       pub, who, pr->connect_rc, pr->connect_msg, pr->n, pr->explain);
	assert_int_equal(pr->connect_rc, -EPERM);
	assert_int_equal(pr->n, 0);
	assert_non_null(strstr(pr->explain, who));
	char err[4096];
	int code = victim_cli_status(pub, err, sizeof(err));
	printf("# the victim's `shmseq status` exits %d: %s", code, err);
	assert_int_equal(code, 1);
	assert_non_null(strstr(err, who));
	assert_int_equal(daemon_stop(&d), 0);

	/* README's way to share an instance: a directory of the daemon's user
	 * that the group may enter; the member opts in with SHMSEQ_RUNTIME_DIR */
	own_dir(shared, nobody_uid, 0750);
	assert_int_equal(chown(shared, nobody_uid, grp_gid), 0);
	a.run = shared;
	assert_int_equal(spawn(&a, NULL), 0);
	setenv("SHMSEQ_RUNTIME_DIR", shared, 1);
	create("bait");
	setenv("SHMSEQ_RUNTIME_DIR", run, 1);
	pr = as_user_in(shared, victim_uid, victim_uid, &grp_gid, 1, "bait", 2);
	assert_drew(pr, "a member of the group, in the owner's shared directory", 2, 0);
	/* the same directory made writable by the group: anyone in it could
	 * replace the socket, so it is not trusted */
	assert_int_equal(chmod(shared, 0770), 0);
	pr = as_user_in(shared, victim_uid, victim_uid, &grp_gid, 1, "bait", 1);
	printf("# %s made group-writable: shmseq_connect = %d; %s\n", shared, pr->connect_rc, pr->explain);
	assert_int_equal(pr->connect_rc, -EPERM);
	assert_non_null(strstr(pr->explain, "writable"));
	assert_int_equal(daemon_stop(&d), 0);
}

/* --- fixtures ------------------------------------------------------------------------ */

static int per_test_setup(void **state)
{
	(void)state;
	static int n;
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "perms%d", ++n);
	daemon_setup(&d, prefix);
	snprintf(errlog, sizeof(errlog), "%s/daemon.err", d.dir);
	return 0;
}

static int per_test_teardown(void **state)
{
	(void)state;
	char shm[300];
	if (other_pid > 0) {
		kill(other_pid, SIGKILL);
		waitpid(other_pid, NULL, 0);
		other_pid = 0;
	}
	if (*victim_tmp) {
		snprintf(shm, sizeof(shm), "rm -rf '%s'", victim_tmp);
		if (system(shm) != 0)
			fprintf(stderr, "could not remove %s\n", victim_tmp);
		*victim_tmp = 0;
	}
	daemon_teardown(&d);
	/* squatters a failed test may have left */
	snprintf(shm, sizeof(shm), "/shmseq.%u.%s", (unsigned)geteuid(), d.instance);
	shm_unlink(shm);
	const uid_t others[] = {nobody_uid, victim_uid};
	for (size_t i = 0; i < 2; i++) {
		if (i && !victim_uid)
			break;
		snprintf(shm, sizeof(shm), "/shmseq.%u.%s", (unsigned)others[i], d.instance);
		shm_unlink(shm);
		snprintf(shm, sizeof(shm), "/shmseq.%u.%s.lock", (unsigned)others[i], d.instance);
		shm_unlink(shm); /* a killed daemon leaves its instance lock */
	}
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	struct passwd *pw = getpwnam("nobody");
	if (pw) {
		nobody_uid = pw->pw_uid;
		nobody_gid = pw->pw_gid;
	}
	/* a group that is neither root's nor nobody's */
	const char *names[] = {"users", "staff", "adm", "daemon", "bin", NULL};
	for (int i = 0; names[i]; i++) {
		struct group *g = getgrnam(names[i]);
		if (g && g->gr_gid != 0 && g->gr_gid != nobody_gid) {
			snprintf(grp_name, sizeof(grp_name), "%s", g->gr_name);
			grp_gid = g->gr_gid;
			break;
		}
	}
	printf("# running as uid %u; other user: uid %u gid %u; group: %s (%u)\n", (unsigned)geteuid(),
	       (unsigned)nobody_uid, (unsigned)nobody_gid, *grp_name ? grp_name : "none", (unsigned)grp_gid);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, per_test_setup, per_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_owner_only_umask_0),
		T(test_owner_only_umask_022),
		T(test_owner_only_umask_077),
		T(test_group_member_draws),
		T(test_other_user_refused),
		T(test_region_squatted_by_another_user),
		T(test_region_squatted_by_symlink),
		T(test_region_of_ours_with_wrong_mode),
		T(test_region_squatted_nonroot_daemon),
		T(test_socket_squatted),
		T(test_second_daemon_leaves_running_one_alone),
		T(test_simultaneous_starts),
		T(test_runtime_dir_of_another_user),
		T(test_runtime_dir_peer_check),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
