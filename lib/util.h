/* SPDX-License-Identifier: MIT */
/* util.h — private helpers shared by the library, the daemon and the tools:
 * instance names, where an instance keeps its files, and a few system-call
 * wrappers (sending/receiving a datagram with a file descriptor attached). */
#ifndef SHMSEQ_UTIL_H
#define SHMSEQ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Instance names: 1..64 of [A-Za-z0-9_-]. */
bool util_instance_name_valid(const char *name);
/* Whether a sequence name of len bytes can be stored: 1..SHMSEQ_NAME_MAX
 * bytes, no NUL, at most SHMSEQ_NAME_CHARS characters (UTF-8: the bytes
 * that are not continuation bytes). */
bool seq_name_fits(const char *name, size_t len);

/* The instance a NULL name means: $SHMSEQ_INSTANCE, else "default". */
const char *util_default_instance(void);

/* How the directory for sockets was chosen: it decides whom a client trusts
 * to serve it (see util_runtime_dir_check, util_peer_trusted). */
enum util_dir_origin {
	SHMSEQ_DIR_CHOSEN, /* $SHMSEQ_RUNTIME_DIR: the user opted into its owner */
	SHMSEQ_DIR_XDG,	   /* $XDG_RUNTIME_DIR/shmseq */
	SHMSEQ_DIR_TMP,	   /* /tmp/shmseq-<uid>, in a directory anyone may write */
	SHMSEQ_DIR_SYSTEM, /* the system instance's (UTIL_SYSTEM_RUNTIME_DIR) */
};

/* Where the system service (shmseqd@.service) keeps its sockets: its
 * RuntimeDirectory=. $SHMSEQ_SYSTEM_RUNTIME_DIR replaces it. */
#define UTIL_SYSTEM_RUNTIME_DIR "/run/shmseq"

/* The directories a client searches for an instance's socket, in order:
 * $SHMSEQ_RUNTIME_DIR alone when set; else $XDG_RUNTIME_DIR/shmseq (when
 * set), /tmp/shmseq-<uid>, then the system instance's directory. The first
 * is where a daemon of ours would put its socket (util_runtime_dir). */
#define UTIL_RUNTIME_DIRS_MAX 3
struct util_dir {
	char path[4096];
	enum util_dir_origin origin;
};
size_t util_runtime_dirs(struct util_dir *out, size_t max);

/* The directory for sockets: $SHMSEQ_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/shmseq, else /tmp/shmseq-<uid>; how it was chosen in
 * *origin (may be NULL). With create, the directory is made (mode 0700) when
 * missing, and then must pass util_runtime_dir_check() for a daemon.
 * 0 or -errno (-EPERM: not trusted). */
int util_runtime_dir(char *buf, size_t cap, bool create);
int util_runtime_dir_origin(char *buf, size_t cap, enum util_dir_origin *origin);

/* The same for a daemon, saying in why (a sentence naming the directory,
 * what is wrong and its owner) when it fails. */
int util_runtime_dir_make(char *buf, size_t cap, char *why, size_t whycap);

/* Whether the runtime directory dir may be trusted, the same checks for the
 * daemon (for_daemon) and its clients. It must be a directory (at the /tmp
 * place not a symbolic link), not writable by group or others unless sticky
 * (else anyone who may write it may replace the socket), and owned by us or
 * root; a client also accepts any owner of a directory it chose with
 * $SHMSEQ_RUNTIME_DIR (a shared instance: its owner runs the daemon), a
 * daemon does not (its clients would trust that owner). The system
 * instance's directory may have any owner too, but only root or we may have
 * made it: its parent must be ours or root's and writable by nobody else. Returns 0 with the
 * owner in *owner, -ENOENT when it does not exist, -EPERM when it is not
 * trusted, or -errno; why (may be NULL) gets a sentence naming the
 * directory, what is wrong and the owner, by name and uid. */
int util_runtime_dir_check(const char *dir, enum util_dir_origin origin, bool for_daemon, uid_t *owner,
			   char *why, size_t whycap);

/* Whether a client may take the daemon of uid peer (SO_PEERCRED) as its
 * instance's: ourselves, root, or the owner of a directory we chose or of
 * the system instance's directory. */
bool util_peer_trusted(uid_t peer, enum util_dir_origin origin, uid_t dir_owner);

/* "user NAME (uid N)", or "uid N" when the uid has no account. */
void util_user_text(uid_t uid, char *buf, size_t cap);

/* <runtime dir>/<instance>.sock */
int util_socket_path(const char *instance, char *buf, size_t cap);

/* The POSIX shm name of an instance's region: /shmseq.<uid>.<instance>
 * (uid in it so users never collide on the shared /dev/shm namespace). */
int util_region_name(const char *instance, char *buf, size_t cap);

/* The POSIX shm name of the lock a daemon holds for its life: <region
 * name>.lock. Keyed like the region, so that one daemon owns a region name
 * whatever its data and runtime directories. */
int util_instance_lock_name(const char *instance, char *buf, size_t cap);

/* Default data directory: $XDG_STATE_HOME/shmseq/<instance>, else
 * $HOME/.local/state/shmseq/<instance>. */
int util_default_data_dir(const char *instance, char *buf, size_t cap);

/* mkdir -p with mode for the created components. 0 or -errno. */
int util_mkdir_p(const char *path, mode_t mode);

/* mkdir -p that makes what it did survive a power loss: after creating a
 * component it fsyncs the directory holding it; and it always fsyncs path
 * and path's parent, as someone else (systemd's StateDirectory=, an
 * installer) may have created them without. 0 or -errno. */
int util_mkdir_durable(const char *path, mode_t mode);

/* Send one datagram, optionally passing fd (>= 0) with SCM_RIGHTS. Retries
 * EINTR. Returns 0 or -errno. flags as for sendmsg (MSG_DONTWAIT …). */
int util_send(int sock, const void *buf, size_t len, int fd, int flags);

/* Receive one datagram into buf; a passed descriptor (if any) lands in *fd
 * (else -1; pass fd NULL to refuse descriptors: any received is closed).
 * Returns the byte count, 0 on hang-up, -EMSGSIZE if truncated, or -errno. */
ssize_t util_recv(int sock, void *buf, size_t cap, int *fd, int flags);

/* strerror(e) that threads may call at once: glibc's static description
 * (strerrordesc_np), else strerror_r() into a buffer of the calling thread,
 * valid until that thread's next call. Never NULL. */
const char *util_errno_text(int e);

/* Monotonic time in nanoseconds. */
uint64_t util_now_ns(void);

/* FNV-1a, for name hash tables on both sides. */
static inline uint64_t util_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif
