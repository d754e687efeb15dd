/* SPDX-License-Identifier: MIT */
/* shmseq.h — the public API of libshmseq: MariaDB-style SEQUENCE objects shared
 * by the processes of one machine at shared-memory speed.
 *
 * Conventions (as liburing): opaque handles; every function returns 0 (or a
 * count) on success and a negative error on failure, never relying on errno:
 *   -errno           a system error (-ECONNREFUSED: no daemon on the instance …)
 *   -N, N >= 1000    MariaDB's error number for a sequence error, e.g.
 *                    SHMSEQ_ERR_RUN_OUT (-4084), SHMSEQ_ERR_UNKNOWN_SEQUENCE (-4091)
 * shmseq_strerror() turns either kind into text.
 *
 * Threads: a connection (shmseq *) may be used by several threads at once;
 * so may a sequence handle (shmseq_seq *). A handle must not be used after
 * shmseq_seq_close() or after the connection it came from is disconnected.
 */
#ifndef SHMSEQ_H
#define SHMSEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shmseq_version.h" /* SHMSEQ_VERSION_MAJOR, _MINOR, _PATCH, _STRING, _NUMBER */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SHMSEQ_API __attribute__((visibility("default")))
#else
#define SHMSEQ_API
#endif

/* The sizes of the structs callers allocate are part of the ABI: checked at
 * compile time on LP64 targets (where int64_t and pointers are 8-aligned). */
#if defined(__LP64__) && defined(__cplusplus) && __cplusplus >= 201103L
#define SHMSEQ_SIZE_CHECK(type, size) static_assert(sizeof(type) == (size), #type " changed size")
#elif defined(__LP64__) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define SHMSEQ_SIZE_CHECK(type, size) _Static_assert(sizeof(type) == (size), #type " changed size")
#else
#define SHMSEQ_SIZE_CHECK(type, size) struct shmseq_size_check_unused_
#endif

/* MariaDB error numbers used as (negated) return values. */
enum {
	SHMSEQ_ERR_TABLE_EXISTS = 1050,	 /* CREATE on an existing name */
	SHMSEQ_ERR_PARSE = 1064,	 /* statement syntax */
	SHMSEQ_ERR_NONUNIQ_TABLE = 1066, /* same name twice in DROP */
	SHMSEQ_ERR_NO_SUCH_TABLE = 1146, /* SHOW CREATE / SELECT on a missing name */
	SHMSEQ_ERR_WRONG_USAGE = 1221,	 /* OR REPLACE with IF NOT EXISTS */
	SHMSEQ_ERR_DUP_ARGUMENT = 1225,	 /* option given twice */
	SHMSEQ_ERR_BAD_DB = 1049,	 /* unknown database in db.name */
	SHMSEQ_ERR_CON_COUNT = 1040,	 /* the daemon takes no more sessions */
	SHMSEQ_ERR_NOT_SUPPORTED = 1235, /* cluster mode: INSERT INTO a sequence */
	SHMSEQ_ERR_RUN_OUT = 4084,	 /* NOCYCLE sequence exhausted */
	SHMSEQ_ERR_INVALID_DATA = 4085,	 /* options out of range / conflicting */
	SHMSEQ_ERR_NOT_SEQUENCE = 4089,
	SHMSEQ_ERR_UNKNOWN_SEQUENCE = 4091,
	/* shmseq's own (cluster mode, shmseqd --etcd): */
	SHMSEQ_ERR_STORE_UNAVAILABLE = 9001, /* store unreachable and this host's segments spent */
	SHMSEQ_ERR_OUTCOME_UNKNOWN = 9002    /* a DDL's store Txn may or may not have committed */
};

/* Limits. */
/* A sequence name: at most 64 characters, as MariaDB's table names, of
 * utf8mb3 as MariaDB's identifiers (at most 3 bytes each): up to
 * SHMSEQ_NAME_MAX bytes. An instance name: up to SHMSEQ_INSTANCE_MAX
 * characters of [A-Za-z0-9_-]. */
#define SHMSEQ_NAME_MAX 192	/* bytes in a sequence name (64 characters) */
#define SHMSEQ_NAME_CHARS 64	/* characters in a sequence name */
#define SHMSEQ_INSTANCE_MAX 64	/* bytes (characters) in an instance name */
#define SHMSEQ_COMMENT_MAX 2048 /* bytes in a COMMENT */

typedef struct shmseq shmseq;		    /* a connection: a session with one instance */
typedef struct shmseq_seq shmseq_seq;	    /* one sequence opened on a connection */
typedef struct shmseq_result shmseq_result; /* what shmseq_exec() hands back */

/* shmseq_connect - attach to the daemon of an instance and map its region.
 * @instance: instance name (letters, digits, '-', '_'); NULL means
 *   $SHMSEQ_INSTANCE, else "default".
 * The daemon's socket is looked up in $SHMSEQ_RUNTIME_DIR alone when it is
 * set; else in $XDG_RUNTIME_DIR/shmseq (when set), /tmp/shmseq-<uid>, then
 * the system service's /run/shmseq ($SHMSEQ_SYSTEM_RUNTIME_DIR replaces it):
 * the first that answers. A connection re-attaches only where it attached.
 * Only a daemon that may be trusted is used: the directory must be a
 * directory, not writable by group or others (unless sticky), and owned by
 * the caller or root, or, when chosen with $SHMSEQ_RUNTIME_DIR or the
 * system's (whose parent only root or the caller may write), by anyone
 * (the owner of a shared instance); the daemon must run as the caller, root
 * or that owner (SO_PEERCRED).
 * Returns 0 and a connection in *out, or -EINVAL (bad name), -ECONNREFUSED /
 * -ENOENT (no daemon), -EPERM (the directory or the daemon is another user's:
 * not trusted), -EACCES (the daemon refuses us), -EPROTO (daemon speaks
 * another protocol or its region fails validation), -ENOMEM. The connection
 * is one session: LASTVAL and TEMPORARY sequences belong to it. If the
 * daemon restarts, the connection re-attaches by itself at its next call
 * that needs the daemon. */
SHMSEQ_API int shmseq_connect(const char *instance, shmseq **out);

/* shmseq_connect_explain - a sentence for a log on why shmseq_connect() of
 * instance failed with err: for -EPERM what is not trusted (the runtime
 * directory or the daemon behind the socket) and the user who owns it, by
 * name and uid; otherwise shmseq_strerror(err) and every socket path tried
 * with what was found there, and, when the instance's daemon runs all the
 * same (its lock in /dev/shm is held) with its socket elsewhere, its pid and
 * where its socket listens. It
 * looks again, so it describes the situation now. Writes at most cap bytes,
 * NUL-terminated (buf may be NULL when cap is 0); returns the length of the
 * whole text, as snprintf(). */
SHMSEQ_API size_t shmseq_connect_explain(const char *instance, int err, char *buf, size_t cap);

/* shmseq_disconnect - end the session: closes every handle opened on it,
 * drops its TEMPORARY sequences, unmaps the region. NULL is ignored.
 * No other thread may be using the connection. A connection belongs to the
 * process that made it: after fork() the child connects anew, and may only
 * disconnect its copy of the parent's. */
SHMSEQ_API void shmseq_disconnect(shmseq *conn);

/* shmseq_nextval - NEXTVAL(name): the next value of a sequence.
 * While the sequence's window lasts this takes no lock and makes no system
 * call (one lock-free hash lookup and one atomic fetch-and-add). Records the
 * value for shmseq_lastval() on this connection.
 * Errors: -4091 unknown sequence, -4084 run out (LASTVAL becomes NULL),
 * -EINVAL bad name, -ECONNRESET/-ECONNREFUSED when the daemon is needed but
 * down, -EIO when the daemon cannot make a new window durable, -ETIMEDOUT
 * when no value came after 10 s or 10,000 round trips with the daemon (the
 * sequence's slot stays unusable: a process that may write the region
 * damaged it and the daemon could not repair it, or the daemon does not
 * answer in time). In cluster mode also -9001 (SHMSEQ_ERR_STORE_UNAVAILABLE:
 * the store is unreachable and this host's segments are spent) and -EAGAIN
 * (other hosts won every grant of the sequence for 2 s: a tiny CYCLE range
 * contended by many hosts; call again). Every call returns. A value of an
 * unsigned sequence is its uint64_t bit pattern: see shmseq_seq_is_unsigned(). */
SHMSEQ_API int shmseq_nextval(shmseq *conn, const char *name, int64_t *value);

/* shmseq_lastval - LASTVAL(name): the value NEXTVAL last returned for this
 * sequence on this connection. Returns 0 with *value set, -ENODATA when the
 * value is NULL (no NEXTVAL yet on this connection, the last one ran out, or
 * the sequence was re-created), -4091 unknown sequence. */
SHMSEQ_API int shmseq_lastval(shmseq *conn, const char *name, int64_t *value);

/* shmseq_seq_open - resolve a name once, for hot loops. The handle follows
 * the name: if the sequence is dropped and created again, the handle serves
 * the new one. Errors: -4091, -EINVAL, -ENOMEM, connection errors. */
SHMSEQ_API int shmseq_seq_open(shmseq *conn, const char *name, shmseq_seq **out);

/* shmseq_seq_nextval - NEXTVAL through a handle: the fast path is one atomic
 * fetch-and-add on shared memory. Errors as shmseq_nextval(). */
SHMSEQ_API int shmseq_seq_nextval(shmseq_seq *seq, int64_t *value);

/* shmseq_seq_nextval_n - up to n consecutive values with one fetch-and-add:
 * *first, *first + inc, … (*got of them, 1 <= *got <= n), as n NEXTVALs
 * in a row would give them when no other thread draws meanwhile. Fewer than
 * n at the end of a round (call again: a CYCLE sequence goes on in its next
 * round, another runs out) and whenever the slot is being changed (one
 * value then). LASTVAL becomes the last of them. Values of an unsigned
 * sequence are uint64_t bit patterns, as for shmseq_seq_nextval(); with
 * INCREMENT 0 (auto_increment mode) inc is the real step. -EINVAL for n 0;
 * other errors as shmseq_nextval(), with *got 0. n above SHMSEQ_BATCH_MAX
 * counts as SHMSEQ_BATCH_MAX. Like Redis INCRBY, for bulk inserts: a batch
 * is as cheap as one value. */
#define SHMSEQ_BATCH_MAX 1000000u
SHMSEQ_API int shmseq_seq_nextval_n(shmseq_seq *seq, uint64_t n, int64_t *first, uint64_t *got);

/* shmseq_seq_open_leased - an opt-in handle whose shmseq_seq_nextval()
 * serves each thread from a block of `lease` values (at most
 * SHMSEQ_BATCH_MAX) that the thread takes with one batch, so threads and
 * processes stop sharing the sequence's counter. Values stay unique, within
 * the sequence's bounds and increasing per thread; across threads they are
 * NOT ordered (a thread may return 5 after another returned 900). Values
 * left in a block are a gap when the thread ends, when the process ends or
 * forks, when the handle is closed, and when a statement changes the
 * sequence (ALTER, SETVAL, DROP, a CYCLE round, a daemon restart: a block
 * never outlives the state it came from). LASTVAL is not kept per value for
 * a leased handle: use the value the call returned. shmseq_seq_nextval_n()
 * on it takes a batch of its own. Close it once with shmseq_seq_close()
 * (after every thread is done with it); shmseq_disconnect() closes it too.
 * Errors as shmseq_seq_open(), -EINVAL for lease 0. */
SHMSEQ_API int shmseq_seq_open_leased(shmseq *conn, const char *name, uint64_t lease, shmseq_seq **out);

/* shmseq_nextval_n - shmseq_seq_nextval_n() by name (a TEMPORARY sequence
 * answers one value per call). */
SHMSEQ_API int shmseq_nextval_n(shmseq *conn, const char *name, uint64_t n, int64_t *first, uint64_t *got);

/* shmseq_seq_is_unsigned - whether the sequence the handle denotes has
 * unsigned values (AS TINYINT … BIGINT UNSIGNED). Values always travel as
 * int64_t; those of an unsigned sequence are the uint64_t bit pattern, so a
 * BIGINT UNSIGNED value of 2^63 or more reads as negative until cast: print
 * (uint64_t)v with PRIu64 (and pass such values to shmseq_setval() the same
 * way). The answer is that of the sequence the handle last resolved to: if
 * the name is dropped and created again with another type, it changes with
 * the handle's next call, so ask after shmseq_seq_nextval() about the value
 * it returned. Takes no lock and makes no system call. NULL gives false. */
SHMSEQ_API bool shmseq_seq_is_unsigned(const shmseq_seq *seq);

/* shmseq_seq_close - release a handle. NULL is ignored. */
SHMSEQ_API void shmseq_seq_close(shmseq_seq *seq);

/* shmseq_setval - SETVAL(name, value, is_used, round) with MariaDB's
 * forward-only rule. Returns 0 when applied (SETVAL answers `value`),
 * -ENODATA when ignored (SETVAL answers NULL), -4084 when a round increase is
 * asked of a NOCYCLE sequence, -4091 unknown. Never changes LASTVAL. */
SHMSEQ_API int shmseq_setval(shmseq *conn, const char *name, int64_t value, bool is_used, uint64_t round);

/* A sequence definition for the typed DDL calls. Fields whose bit is not set
 * in `set` take MariaDB's defaults (CREATE) or keep their value (ALTER).
 * Zero the whole struct before filling it in (= {0}, a designated
 * initializer, or memset): its reserved tail leaves room for later fields
 * without an ABI break, so a call given a nonzero reserved word, or a bit in
 * `set` not defined below, returns -EINVAL. */
enum shmseq_def_field {
	SHMSEQ_SET_START = 1u << 0,
	SHMSEQ_SET_INCREMENT = 1u << 1,
	SHMSEQ_SET_MINVALUE = 1u << 2,
	SHMSEQ_SET_MAXVALUE = 1u << 3,
	SHMSEQ_SET_CACHE = 1u << 4,
	SHMSEQ_SET_CYCLE = 1u << 5,
	SHMSEQ_SET_COMMENT = 1u << 6,
	SHMSEQ_SET_RESTART = 1u << 7,	   /* ALTER only: restart at `restart` */
	SHMSEQ_SET_RESTART_START = 1u << 8 /* ALTER only: restart at START */
};

struct shmseq_def {
	unsigned set; /* SHMSEQ_SET_* bits */
	int64_t start;
	int64_t increment;
	int64_t minvalue;
	int64_t maxvalue;
	int64_t cache; /* 0 = NOCACHE */
	bool cycle;
	const char *comment;  /* NULL = none */
	int64_t restart;      /* with SHMSEQ_SET_RESTART */
	uint64_t reserved[7]; /* must be zero */
};
SHMSEQ_SIZE_CHECK(struct shmseq_def, 128);

enum shmseq_create_flags {
	SHMSEQ_OR_REPLACE = 1u << 0,
	SHMSEQ_IF_NOT_EXISTS = 1u << 1,
	SHMSEQ_TEMPORARY = 1u << 2
};

/* shmseq_create - CREATE SEQUENCE. def may be NULL (all defaults).
 * Durable when it returns 0. With SHMSEQ_IF_NOT_EXISTS an existing name
 * returns 0 and changes nothing. Errors: -1050 exists, -4085 invalid
 * options, -1221 OR REPLACE with IF NOT EXISTS, -EINVAL bad name, a flag
 * not defined above, or a def with nonzero reserved words or unknown bits.
 * With SHMSEQ_TEMPORARY, CREATE TEMPORARY SEQUENCE: the sequence belongs to
 * this connection (session) alone: no other connection sees it, it lives
 * in this process's memory (not durable; a daemon restart leaves it be) and
 * it is gone at shmseq_disconnect(). While it
 * exists it hides a base sequence of the same name from shmseq_nextval(),
 * shmseq_lastval(), shmseq_setval() and shmseq_drop() on this connection
 * (MariaDB's rule); handles (shmseq_seq_open()) and shmseq_alter() serve
 * base sequences only. */
SHMSEQ_API int shmseq_create(shmseq *conn, const char *name, const struct shmseq_def *def, unsigned flags);

/* shmseq_alter - ALTER SEQUENCE with the fields set in def. Errors: -4091,
 * -4085 (nothing changed), -EINVAL (def as for shmseq_create()). */
SHMSEQ_API int shmseq_alter(shmseq *conn, const char *name, const struct shmseq_def *def);

/* shmseq_drop - DROP SEQUENCE name: this connection's TEMPORARY sequence of
 * that name if it has one, else the base sequence. Errors: -4091 unknown. */
SHMSEQ_API int shmseq_drop(shmseq *conn, const char *name);

/* shmseq_exec - run SQL text: one or more statements of MariaDB's sequence
 * language, separated by ';'. Returns 0 and a chain of results (one per
 * statement, in order; statements after a failed one are not run), or a
 * negative error when nothing could be run (-ENOMEM, -EINVAL). Free with
 * shmseq_result_free(). NEXTVAL uses the same shared-memory fast path. */
SHMSEQ_API int shmseq_exec(shmseq *conn, const char *sql, shmseq_result **out);

/* Reading a result. Rows and columns count from 0. */
SHMSEQ_API const shmseq_result *shmseq_result_next(const shmseq_result *res);
/* 0: the statement succeeded; else its negative error. */
SHMSEQ_API int shmseq_result_error(const shmseq_result *res);
SHMSEQ_API const char *shmseq_result_sqlstate(const shmseq_result *res); /* "00000" on success */
SHMSEQ_API const char *shmseq_result_message(const shmseq_result *res);	 /* error text or "" */
SHMSEQ_API const char *shmseq_result_statement(const shmseq_result *res);
/* Whether the statement produced a result set (even an empty one). */
SHMSEQ_API bool shmseq_result_has_rows(const shmseq_result *res);
SHMSEQ_API size_t shmseq_result_columns(const shmseq_result *res);
SHMSEQ_API const char *shmseq_result_column_name(const shmseq_result *res, size_t col);
/* Whether a column holds numbers (right-aligned by table printers). */
SHMSEQ_API bool shmseq_result_column_numeric(const shmseq_result *res, size_t col);
SHMSEQ_API size_t shmseq_result_rows(const shmseq_result *res);
/* A cell as text; NULL for SQL NULL. */
SHMSEQ_API const char *shmseq_result_value(const shmseq_result *res, size_t row, size_t col);
/* Notes and warnings (e.g. Note 1050 for CREATE … IF NOT EXISTS). */
SHMSEQ_API size_t shmseq_result_warnings(const shmseq_result *res);
SHMSEQ_API const char *shmseq_result_warning(const shmseq_result *res, size_t i, const char **level,
					     int *code);
SHMSEQ_API void shmseq_result_free(shmseq_result *res);

/* shmseq_strerror - text for a negative return value; never NULL. For
 * MariaDB errors the text is a template without names ("Sequence has run
 * out"); shmseq_exec() results carry MariaDB's full message. Threads may
 * call it at once: the text is static, except that of a system error the C
 * library has no description for ("Unknown error 999"), which lives in a
 * buffer of the calling thread until its next call. */
SHMSEQ_API const char *shmseq_strerror(int err);

/* What `shmseq status` shows. Filled in whole by shmseq_status(): the
 * reserved tail (room for later fields without an ABI break) reads zero. */
struct shmseq_status {
	uint64_t sequences; /* live sequences */
	uint64_t capacity;  /* slots in the region */
	uint64_t region_bytes;
	uint64_t connections; /* sessions attached now */
	uint64_t uptime_ms;
	uint64_t log_bytes; /* the current log file's size */
	uint64_t syncs;	    /* fdatasync calls (each serves a batch: group commit) */
	uint64_t records;   /* log records written since start */
	uint32_t daemon_pid;
	bool failed; /* persistence failed: no new values until restart */
	int64_t auto_increment_increment;
	int64_t auto_increment_offset;
	char region_name[128];
	char data_dir[512];
	uint64_t reserved[5]; /* zero */
};
SHMSEQ_SIZE_CHECK(struct shmseq_status, 768);

/* shmseq_status - ask the daemon how the instance is. 0 or -error. */
SHMSEQ_API int shmseq_status(shmseq *conn, struct shmseq_status *out);

/* What `shmseq stats` and `shmseq metrics` show: the daemon's counters
 * since it started and, when a sequence is named, that sequence's. Filled
 * in whole by shmseq_counters(): the reserved tail reads zero. */
#define SHMSEQ_SYNC_BUCKETS 24
struct shmseq_counters {
	uint64_t uptime_ms;
	uint64_t connections; /* sessions attached now */
	uint64_t sessions;    /* sessions accepted since the start */
	uint64_t refused;     /* sessions refused (too many, not allowed, out of descriptors) */
	uint64_t statements;  /* CREATE, ALTER, DROP, SETVAL and INSERT answered */
	uint64_t refills;     /* window extensions asked for by clients, waits included */
	uint64_t waits;	      /* of those, by a client whose window ran dry (it waited) */
	uint64_t records;     /* log records written */
	uint64_t syncs;	      /* fdatasync calls */
	uint64_t sync_ns;     /* their total time */
	/* sync latencies: bucket 0 counts those under 1 µs, bucket i (1..22)
	 * those in [2^(i-1), 2^i) µs, bucket 23 those of 2^22 µs (4.2 s) or more */
	uint64_t sync_hist[SHMSEQ_SYNC_BUCKETS];
	uint64_t snapshots; /* snapshots written */
	uint64_t repairs;   /* scribbled slots found and repaired */
	bool failed;	    /* persistence failed: no new values until a restart */
	bool has_seq;	    /* the seq_ fields below are the named sequence's */
	uint64_t seq_refills;
	uint64_t seq_waits;
	/* values handed out since the sequence's last CREATE, ALTER … RESTART,
	 * SETVAL, CYCLE wrap or the daemon's start, whichever was last */
	uint64_t seq_taken;
	/* values durable and not handed out yet: what a crash of this host
	 * may skip (the reserve-ahead) */
	uint64_t seq_reserve;
	uint64_t reserved[11]; /* zero */
};
SHMSEQ_SIZE_CHECK(struct shmseq_counters, 416);

/* shmseq_counters - the daemon's counters and, when name is not NULL, that
 * sequence's. 0, or -error (4091 UNKNOWN_SEQUENCE for a name that is not
 * a sequence). */
SHMSEQ_API int shmseq_counters(shmseq *conn, const char *name, struct shmseq_counters *out);

/* shmseq_cluster_status - the daemon's mode as text, a fact a line: "mode:
 * local", or in cluster mode (shmseqd --etcd) the store's endpoints and
 * health and this host's live segments. At most cap bytes with the NUL;
 * returns the text's length, or -error. */
SHMSEQ_API int shmseq_cluster_status(shmseq *conn, char *buf, size_t cap);

/* shmseq_instance - the instance name the connection is attached to. */
SHMSEQ_API const char *shmseq_instance(const shmseq *conn);

/* shmseq_version - the version of the library loaded at run time,
 * "MAJOR.MINOR.PATCH"; SHMSEQ_VERSION_STRING is that of the header a program
 * was compiled with. Never NULL. */
SHMSEQ_API const char *shmseq_version(void);

#ifdef __cplusplus
}
#endif
#endif
