/* SPDX-License-Identifier: MIT */
/* hostns.h — a private /dev/shm and runtime directory for each "host" of a
 * cluster test, as on separate machines: a mount namespace per host, held
 * by a process that does nothing else, with a tmpfs of its own on /dev/shm
 * (the daemon's instance lock) and on the runtime directory (its socket and
 * its region keeper's socket). A process of that host (its daemon, a
 * client, whatever talks to it) joins the namespace before it starts or
 * connects: a host's region can then only be reached from its own
 * namespace, never by accident from another host's.
 *
 * hostns_create() forks the holder: it leaves the test's mount namespace
 * (unshare(CLONE_NEWNS)), makes every mount private (nothing propagates
 * back), mounts the two tmpfs, says so on a pipe and pauses until
 * hostns_end() kills it; it also dies with the test (PR_SET_PDEATHSIG). The
 * namespace lasts while a process is in it: processes of the host still
 * running when the holder goes keep it (and its tmpfs) until they exit.
 *
 * Joining is setns() on /proc/<holder>/ns/mnt, in a single-threaded process
 * (a thread cannot change mount namespace): a child after fork(), before
 * exec or before connecting. Where namespaces cannot be made (no
 * CAP_SYS_ADMIN), hostns_create() says why and returns -1 with ns shared:
 * joining it does nothing, and the host uses the test's namespace. */
#ifndef SHMSEQ_TEST_HOSTNS_H
#define SHMSEQ_TEST_HOSTNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hostns {
	pid_t holder; /* 0: shared (the test's own namespace) */
};

/* A private namespace for one host, with a tmpfs on /dev/shm and on
 * runtime_dir (made first, mode 0700, when missing; NULL: /dev/shm only).
 * 0, or -1 with a line on stderr saying why and ns shared. Call from a
 * single-threaded test. */
int hostns_create(struct hostns *ns, const char *runtime_dir);

/* Whether ns is a namespace of its own. */
bool hostns_private(const struct hostns *ns);

/* Move the calling process into ns (nothing when shared), keeping its
 * working directory by name. Single-threaded callers only. 0, or -1 with
 * a line on stderr. */
int hostns_join(const struct hostns *ns);

/* For spawn's child_setup (struct daemon's enter): join ns (a const struct
 * hostns *), or _exit(97). */
void hostns_enter(void *ns);

/* path as the host sees it, for any process of the test's (through the
 * holder's root, /proc/<holder>/root): a socket there connects to the
 * host's daemon without joining the namespace. path itself when shared.
 * 0, or -ENAMETOOLONG. */
int hostns_path(const struct hostns *ns, const char *path, char *buf, size_t cap);

/* Run fn(arg) in a child in ns (a plain child when shared) and wait for
 * it: arg (size bytes) comes back as fn left it, the child's answer. 0, or
 * -1 with *arg as it was when the child could not join or died. */
int hostns_call(const struct hostns *ns, void (*fn)(void *arg), void *arg, size_t size);

/* Kill the holder and reap it (nothing when shared). */
void hostns_end(struct hostns *ns);

#endif
