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
bool shmseq_instance_name_valid(const char *name);

/* The instance a NULL name means: $SHMSEQ_INSTANCE, else "default". */
const char *shmseq_default_instance(void);

/* The directory for sockets: $SHMSEQ_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/shmseq, else /tmp/shmseq-<uid>. With create, the
 * directory is made (mode 0700) when missing; an existing /tmp one must be
 * ours and not group/world writable. 0 or -errno. */
int shmseq_runtime_dir(char *buf, size_t cap, bool create);

/* <runtime dir>/<instance>.sock */
int shmseq_socket_path(const char *instance, char *buf, size_t cap);

/* The POSIX shm name of an instance's region: /shmseq.<uid>.<instance>
 * (uid in it so users never collide on the shared /dev/shm namespace). */
int shmseq_region_name(const char *instance, char *buf, size_t cap);

/* The POSIX shm name of the lock a daemon holds for its life: <region
 * name>.lock. Keyed like the region, so that one daemon owns a region name
 * whatever its data and runtime directories. */
int shmseq_instance_lock_name(const char *instance, char *buf, size_t cap);

/* Default data directory: $XDG_STATE_HOME/shmseq/<instance>, else
 * $HOME/.local/state/shmseq/<instance>. */
int shmseq_default_data_dir(const char *instance, char *buf, size_t cap);

/* mkdir -p with mode for the created components. 0 or -errno. */
int shmseq_mkdir_p(const char *path, mode_t mode);

/* Send one datagram, optionally passing fd (>= 0) with SCM_RIGHTS. Retries
 * EINTR. Returns 0 or -errno. flags as for sendmsg (MSG_DONTWAIT …). */
int shmseq_send(int sock, const void *buf, size_t len, int fd, int flags);

/* Receive one datagram into buf; a passed descriptor (if any) lands in *fd
 * (else -1; pass fd NULL to refuse descriptors: any received is closed).
 * Returns the byte count, 0 on hang-up, -EMSGSIZE if truncated, or -errno. */
ssize_t shmseq_recv(int sock, void *buf, size_t cap, int *fd, int flags);

/* Monotonic time in nanoseconds. */
uint64_t shmseq_now_ns(void);

/* FNV-1a, for name hash tables on both sides. */
static inline uint64_t shmseq_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif
