/* SPDX-License-Identifier: MIT */
/* client.h — private: libshmseq's connection internals, shared by client.c
 * (connection, name cache, fast path, daemon calls) and exec.c (statements). */
#ifndef SHMSEQ_CLIENT_H
#define SHMSEQ_CLIENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "hotnames.h"
#include "reclaim.h"
#include "region.h"
#include "region_index.h"
#include "seqdef.h"
#include "shmseq.h"
#include "util.h"
#include "wire.h"

struct name_table;
struct entry_slab;
struct exec_session;
struct leased;

/* A mapping of one region incarnation. When a restarted daemon hands out
 * another region, the old mapping is unmapped once no reader can be inside
 * it (reclaim.h): entries that pointed into it point at a closed stand-in
 * region first, so they re-resolve. */
struct mapping {
	struct region_header *hdr;
	size_t size;
	dev_t dev; /* which region: a restarted daemon */
	ino_t ino; /* that adopted it hands back the same */
	/* its name index (region_index.h); bucket NULL when it has none */
	struct region_index ix;
	/* LASTVAL of the sequences this session reached through the index
	 * alone (no cache entry): one per slot, private, anonymous memory
	 * spent only where written (client.c); NULL when it could not be
	 * mapped (then every name gets a cache entry, as before) */
	struct last_slot *lastv;
	uint64_t nslots_mapped; /* lastv's length */
	/* the first level in front of ix for names used often (hotnames.h):
	 * fixed size, private; NULL with lastv */
	struct hot_table *hot;
};

/* A session's LASTVAL of the sequence in a slot: its value and the identity
 * it belongs to (0 = NULL). */
struct last_slot {
	_Atomic uint64_t id;
	_Atomic int64_t v;
};

/* A TEMPORARY sequence: private to its session, MariaDB's serial algorithm. */
struct temp_seq {
	char name[SHMSEQ_NAME_MAX + 1];
	uint64_t id;
	struct seq_live live;
	bool has_last;
	int64_t last;
	struct temp_seq *next;
};

struct shmseq {
	char instance[SHMSEQ_NAME_MAX + 1];
	pthread_mutex_t lock; /* the socket, attaching, temp sequences */
	/* -1 while detached. Read without the lock by send_ticket() (a NUDGE),
	 * inside a reader section: a replaced socket is shut down at once and
	 * its descriptor closed only after a grace period (detach()). */
	_Atomic int sock;
	uint64_t next_req;
	struct util_dir dir; /* the runtime directory attached in, once dir_known */
	bool dir_known;
	struct mapping *map; /* the current incarnation's, or NULL */
	/* the same, for readers without the lock: a replaced mapping is freed
	 * after a grace period (map_install) */
	_Atomic(struct mapping *) cur;
	_Atomic(struct region_header *) hdr; /* the current incarnation */
	struct seq_env env;
	struct reclaim rc; /* what waits for readers to move on, under lock */
	/* The name cache: name -> struct shmseq_seq (client.c has the story). */
	_Atomic(struct name_table *) names; /* the current table */
	size_t nnames;			    /* entries in it, under lock */
	size_t ntomb;			    /* its buckets of removed entries */
	struct entry_slab *slabs;	    /* where entries live, newest first */
	struct shmseq_seq *free_entries;    /* reclaimed, for reuse */
	_Atomic int ntemp;		    /* TEMPORARY sequences alive */
	struct temp_seq *temps;
	struct leased *leased; /* open leased handles (client.c), under lock */
	uint64_t temp_ids;
	/* shmseq_exec()'s session state (user variables, the last
	 * statement's conditions): exec.c's, made on first use under lock */
	struct exec_session *exec;
	/* names resolved from the region's name index, and by the daemon */
	_Atomic uint64_t index_hits, opens;
};

/* A name's entry in the connection's cache; also what shmseq_seq_open hands
 * out. An entry a handle holds (refs > 0) stays in the cache until the
 * handle is closed; one that no handle holds leaves the cache when its
 * sequence is known to be gone (dropped, replaced), and its memory is reused
 * once no reader can still be using it (reclaim.h). So a reader keeps an
 * entry it found only while inside its reader section, or with a handle. The
 * fast path's fields come first: with the start of the name they share one
 * cache line. Never moved. */
struct shmseq_seq {
	_Atomic(struct region_slot *) slot;  /* NULL: resolve first */
	_Atomic(struct region_header *) hdr; /* the region `slot` lies in */
	_Atomic uint64_t seq_id;
	/* LASTVAL of this session: the value and the identity it belongs to
	 * (0 = NULL). */
	_Atomic int64_t last;
	_Atomic uint64_t last_id;
	union {
		struct shmseq *conn;
		struct shmseq_seq *next_free; /* on conn->free_entries, once reclaimed */
	};
	_Atomic uint32_t refs; /* open handles */
	_Atomic bool cycle;
	_Atomic bool is_unsigned; /* values are uint64 bit patterns */
	bool in_table;		  /* in the name cache; under conn->lock */
	bool leased;		  /* a leased handle (struct leased in client.c), not a cache entry */
	char name[SHMSEQ_NAME_MAX + 1];
} __attribute__((aligned(128)));
_Static_assert(sizeof(struct shmseq_seq) == 256,
	       "four cache lines, aligned: the fast path's fields and the name's start in the first");

/* One request and its reply (reply may be NULL when replen is 0).
 * Re-attaches first if needed. Returns the reply's status (>= 0) or -error.
 * idempotent: on a hang-up, re-attach and send once more. */
int client_rpc(struct shmseq *c, uint16_t op, const void *req, size_t len, void *reply, size_t replen,
	       bool idempotent);

/* The cache entry of a base sequence, resolving it with the daemon if new.
 * -4091 when the daemon knows no such sequence. The caller is inside a
 * reader section (reclaim_enter()) and uses the entry only there. */
int client_entry(struct shmseq *c, const char *name, struct shmseq_seq **out);

/* The TEMPORARY sequence of that name in this session, or NULL (caller
 * holds c->lock). */
struct temp_seq *client_temp_find(struct shmseq *c, const char *name);

/* CREATE TEMPORARY SEQUENCE name with options o, as shmseq_exec() runs it
 * (exec.c): for shmseq_create(…, SHMSEQ_TEMPORARY). Takes c->lock. 0 (also
 * for an existing name with if_not_exists), -1050, -1221, -4085, -EINVAL
 * (bad name), -ENOMEM. */
int client_temp_create(struct shmseq *c, const char *name, const struct seq_options *o, bool or_replace,
		       bool if_not_exists);

/* Drop this session's TEMPORARY sequence name; whether there was one.
 * Takes c->lock. */
bool client_temp_drop(struct shmseq *c, const char *name);

/* Free shmseq_exec()'s session state (exec.c); for shmseq_disconnect(). */
void exec_session_free(struct shmseq *c);

/* Build a seq_options from the public definition struct. */
void client_def_to_options(const struct shmseq_def *def, struct seq_options *o);

#endif
