/* SPDX-License-Identifier: MIT */
/* store.h — the daemon's client of the cluster store: etcd v3 through its
 * JSON gateway (POST /v3/kv/range, /v3/kv/put, /v3/kv/txn,
 * /v3/kv/deleterange, /v3/auth/authenticate, /v3/watch, /v3/lease/grant,
 * /v3/lease/keepalive), over libcurl's multi-socket
 * API and json-c. No threads: the store keeps its sockets and its timer in
 * an epoll set of its own, whose descriptor (store_fd) the caller adds to
 * its event loop; when it is readable the caller runs store_dispatch(),
 * which calls the callbacks of the requests that ended.
 *
 * Requests and their outcomes:
 * - Every request goes to the endpoint that answered last; an endpoint that
 *   cannot be connected to is left for the next one in the list (fail-over),
 *   each at most once per request.
 * - A read (range) that fails after it was sent is retried on the next
 *   endpoint as well. A write (put, txn, deleterange) that may have reached
 *   the store is never sent again: its outcome is STORE_AMBIGUOUS, and the
 *   caller must treat it as possibly committed (CLUSTER.md: an ambiguous
 *   grant is a gap, never reused).
 * - Every request ends within the configured time-out, with an answer or an
 *   error; nothing waits forever on an unreachable store.
 *
 * The gateway's facts (etcd 3.4–3.6): int64 fields are JSON strings, bytes
 * are base64, proto3 leaves out false and zero fields (a failed Txn has no
 * "succeeded" key, an empty range no "kvs"). */
#ifndef SHMSEQD_STORE_H
#define SHMSEQD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_config {
	/* Comma-separated base URLs: http://127.0.0.11:2379,https://… */
	const char *endpoints;
	/* Optional etcd user and password (authentication on the store). */
	const char *user, *password;
	/* Optional TLS: CA bundle, client certificate and key (PEM files). */
	const char *cacert, *cert, *key;
	/* A request's whole time, and a connection's (0: 2000 ms, 500 ms). */
	long timeout_ms, connect_timeout_ms;
	/* Optional local address every connection is made from (NULL: the
	 * system picks): a multi-homed host's store traffic on one network. */
	const char *bind;
};

enum store_status {
	STORE_OK = 0,	   /* the store answered: see the reply */
	STORE_UNAVAILABLE, /* no endpoint could be reached: nothing was sent */
	STORE_AMBIGUOUS,   /* a write may or may not have been applied */
	STORE_REJECTED,	   /* the store refused it (an error reply): not applied */
	STORE_BAD_REPLY,   /* the reply is not what etcd sends: treated as ambiguous for writes */
	STORE_AUTH_FAILED, /* the user or password was refused */
};

struct store_kv {
	uint8_t *key, *value; /* NUL-terminated copies (bytes may include NUL) */
	size_t key_len, value_len;
	int64_t create_revision, mod_revision, version;
};

/* One response of a range, or of a range inside a Txn. */
struct store_range {
	struct store_kv *kvs;
	size_t count;
	bool more;
};

struct store_reply {
	enum store_status status;
	int64_t revision; /* the store's revision at the answer */
	bool succeeded;	  /* txn: the compares held */
	/* range: one; txn: one per range op of the branch that ran, in order */
	struct store_range *ranges;
	size_t nranges;
	int64_t lease, ttl;   /* lease grant and keep-alive: its ID and TTL (0: gone) */
	const char *endpoint; /* that answered (or was last tried) */
	char error[256];      /* status != STORE_OK: why, for a log line */
};

/* A finished request. The reply and everything it points to is valid only
 * during the call. */
typedef void (*store_cb)(void *ctx, const struct store_reply *r);

/* A Txn: If every compare holds Then success ops Else failure ops. */
enum store_cmp_target { STORE_CMP_VERSION, STORE_CMP_CREATE, STORE_CMP_MOD, STORE_CMP_VALUE };
enum store_cmp_result { STORE_EQUAL, STORE_GREATER, STORE_LESS, STORE_NOT_EQUAL };
struct store_cmp {
	const void *key;
	size_t key_len;
	enum store_cmp_target target;
	enum store_cmp_result result;
	int64_t number;	   /* version, create or mod revision */
	const void *value; /* STORE_CMP_VALUE */
	size_t value_len;
};
enum store_op_kind { STORE_OP_PUT, STORE_OP_RANGE, STORE_OP_DELETE };
struct store_op {
	enum store_op_kind kind;
	const void *key;
	size_t key_len;
	const void *value; /* put */
	size_t value_len;
	const void *range_end; /* range/delete: NULL for one key */
	size_t range_end_len;
	int64_t lease; /* put: 0 for none */
};
struct store_txn {
	const struct store_cmp *cmp;
	size_t ncmp;
	const struct store_op *success, *failure;
	size_t nsuccess, nfailure;
};

/* Set up (no connection is made yet). 0, or -errno with a line in err. */
int store_open(const struct store_config *cfg, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

/* The descriptor to watch for EPOLLIN; then call store_dispatch(). */
int store_fd(const struct store *st);
void store_dispatch(struct store *st);

/* Requests: 0 when queued (cb runs later, from store_dispatch, exactly
 * once), or -errno (-ENOMEM, -E2BIG) and cb never runs. */
int store_range(struct store *st, const void *key, size_t key_len, const void *range_end,
		size_t range_end_len, store_cb cb, void *ctx);
int store_put(struct store *st, const void *key, size_t key_len, const void *value, size_t value_len,
	      store_cb cb, void *ctx);
int store_delete(struct store *st, const void *key, size_t key_len, const void *range_end,
		 size_t range_end_len, store_cb cb, void *ctx);
int store_txn(struct store *st, const struct store_txn *txn, store_cb cb, void *ctx);
/* A lease of ttl_s seconds (reply.lease, reply.ttl), and one renewal of
 * it (reply.ttl 0: the lease is gone). Keys are put on it with a Txn's
 * put op (store_op.lease). */
int store_lease_grant(struct store *st, int64_t ttl_s, store_cb cb, void *ctx);
int store_lease_keepalive(struct store *st, int64_t lease, store_cb cb, void *ctx);

/* A watch: a stream of the changes to key (or [key, range_end)) from
 * start_revision on (0: from now), kept open across endpoint failures (it
 * goes on from the revision after the last one seen). cb runs from
 * store_dispatch with the events of one or more answers, in revision order;
 * resync is true when a stream was (re)opened — the caller may read what it
 * follows again, since events of a compacted revision are lost. A watch
 * never ends by itself and is not counted as pending. 0, or -ENOMEM. */
struct store_event {
	bool deleted; /* else a put */
	struct store_kv kv;
};
struct store_watch;
typedef void (*store_watch_cb)(void *ctx, const struct store_event *ev, size_t n, bool resync);
int store_watch(struct store *st, const void *key, size_t key_len, const void *range_end,
		size_t range_end_len, int64_t start_revision, store_watch_cb cb, void *ctx,
		struct store_watch **out);
/* End the stream and open it again (a stream found silent). */
void store_watch_restart(struct store_watch *w);
/* The last revision the watch has seen (0: none yet). */
int64_t store_watch_revision(const struct store_watch *w);
/* Stop it (not from its own libcurl callbacks: from cb is fine). */
void store_watch_cancel(struct store_watch *w);

/* Requests not yet ended. */
size_t store_pending(const struct store *st);

/* Run the store's own loop until no request is pending or timeout_ms
 * passed (for start-up and tools; the daemon's loop uses store_fd).
 * Returns the number still pending. */
size_t store_wait(struct store *st, long timeout_ms);

/* The endpoints as configured, and the one that answered last (or NULL). */
const char *store_endpoints(const struct store *st);
const char *store_current(const struct store *st);

const char *store_status_name(enum store_status s);

#endif
