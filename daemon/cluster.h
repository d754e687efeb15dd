/* SPDX-License-Identifier: MIT */
/* cluster.h — cluster mode (shmseqd --etcd): the sequences' definitions and
 * positions live in etcd (store.h), values come to this host in segments
 * granted by one Txn each (segment.h), and the region serves them as in
 * local mode. docs/CLUSTER.md has the design and what it promises.
 *
 * Keys, under /shmseq/<cluster>/v1/:
 *   seq/<name>/def   the definition and its epoch (JSON, int64 as strings)
 *   seq/<name>/pos   the global position: epoch, round, next (segment.h)
 *   seq/<name>/hold/<host>  the last segment this host was granted
 * A DROP deletes def and leaves pos as a tombstone with its epoch bumped,
 * so that epochs of a name only grow, across DROP and CREATE too.
 *
 * Everything runs on the daemon's event loop: the store's descriptor and a
 * poll timer are in its epoll set (cluster_fds), requests that need the
 * store are answered later, through ops->reply, from cluster_event. */
#ifndef SHMSEQD_CLUSTER_H
#define SHMSEQD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "seqdef.h"
#include "wire.h"

struct cluster;

struct cluster_config {
	const char *endpoints; /* comma-separated etcd client URLs */
	const char *name;      /* the cluster's name: the keys' prefix */
	const char *host;      /* this host's name in the cluster */
	const char *bind;      /* local address of the store's connections, or NULL */
	long poll_ms;	       /* how often the definitions are read (0: 500) */
};

struct cluster_ops {
	void *ctx;
	/* Queue the answer to request `req` of session `conn`: sent after the
	 * batch's records are durable. */
	void (*reply)(void *ctx, void *conn, const struct wire_hdr *req, int32_t status, const void *payload,
		      uint32_t len);
};

/* Connect (lazily) and read the store's definitions into the catalog,
 * waiting up to a few seconds: a store that does not answer leaves the
 * catalog as the local log had it, serving nothing until it answers.
 * 0 or -errno with a line in err. */
int cluster_open(const struct cluster_config *cfg, struct catalog *cat, const struct seq_env *env,
		 const struct cluster_ops *ops, struct cluster **out, char *err, size_t errlen);
void cluster_close(struct cluster *cl);

/* The descriptors to watch for EPOLLIN (the store's, the poll timer's),
 * and what to call when descriptor i is readable. */
void cluster_fds(const struct cluster *cl, int fds[2]);
void cluster_event(struct cluster *cl, int i);

/* A request from session conn. CLUSTER_LOCAL: not the cluster's, handle
 * it as in local mode; CLUSTER_TAKEN: answered (now or later) through
 * ops->reply; CLUSTER_BAD: malformed, close the session. */
enum { CLUSTER_LOCAL = 0, CLUSTER_TAKEN = 1, CLUSTER_BAD = -1 };
int cluster_handle(struct cluster *cl, void *conn, const struct wire_hdr *h, const void *payload, size_t len);

/* The session is gone: forget it in every pending answer. */
void cluster_conn_gone(struct cluster *cl, void *conn);

/* A text for `shmseq status`: mode, endpoints, health, live segments. */
void cluster_status(const struct cluster *cl, char *buf, size_t cap);

#endif
