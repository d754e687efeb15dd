/* SPDX-License-Identifier: MIT */
/* catalog.h — the daemon's sequences: definitions, names, slots, epochs and
 * the durable horizon of each, and the log records that persist them. */
#ifndef SHMSEQD_CATALOG_H
#define SHMSEQD_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include <urcu/hlist.h>

#include "records.h"
#include "region.h"
#include "region_index.h"
#include "seqdef.h"
#include "wal.h"

/* A definition without its comment: what the arithmetic needs, kept in every
 * sequence (struct seq_def carries SHMSEQ_COMMENT_MAX bytes of comment; the
 * daemon keeps a comment out of line, and only when there is one). */
struct seq_core {
	int64_t start, minvalue, maxvalue, increment, cache;
	uint8_t cycle;
	uint8_t type;
	uint8_t is_unsigned;
	uint16_t comment_len;
};

/* One sequence. Sized for a million of them: no fixed-size buffers, the
 * name inline at its length, the comment allocated only when non-empty. */
struct seq {
	struct cds_hlist_node hnode; /* in catalog.buckets; prev NULL when out */
	uint64_t id;
	uint32_t slot;
	uint32_t hash; /* of the name: its bucket, and a cheap compare */
	struct seq_core def;
	char *comment; /* def.comment_len bytes and a NUL, or NULL when empty */
	int64_t real_inc;
	int64_t cycle_count; /* MariaDB's unsigned round, as its bit pattern */

	/* The current epoch: ticket n is worth base + n·real_inc. */
	uint64_t gen; /* the slot's gen while this epoch is published */
	int64_t base;
	int64_t r0;	  /* MariaDB's reserved_until at the epoch's start */
	uint64_t end;	  /* tickets in this round */
	uint64_t limit;	  /* published: tickets below are durable */
	uint64_t written; /* tickets covered by the last record appended */
	uint64_t ahead;	  /* how far a refill reserves */
	uint64_t ahead_max;
	int64_t horizon; /* restart point of the last record appended */
	/* A NEXTVAL ran out at the end of this epoch (MariaDB's
	 * all_values_used): the logical state is one run-out past `end`
	 * tickets (epoch_logical). Cleared by every new epoch. */
	bool run_out;
	/* No row write since the row was loaded (INSERT, restart): SELECT *
	 * shows cycle_option and cycle_count as loaded (seq_live.row_cycle_count). */
	bool row_raw;
	uint64_t mark;		 /* the refill mark published in the slot */
	uint64_t refills, waits; /* counters: refills asked for, by a waiting client */

	/* From replay: the epoch base of the last record (has_floor: it had
	 * one; a REC_SEQ_V1 has none, and such a sequence is never adopted),
	 * and for --accept-log-damage the furthest position recorded in the
	 * current definition and round (damaged: a record of it was dropped). */
	int64_t floor;
	int64_t far;
	bool has_floor;
	bool damaged;
	bool lost;   /* with damaged: a dropped record's reach is unknown */
	bool broken; /* a record of it was refused (its replay would reject it) */
	bool jump;   /* the next record may move the horizon past RECORD_STRIDE */

	/* Cluster mode: tickets of the epoch the store granted (a segment:
	 * nothing at or past it is ever written or published), and the
	 * store's epoch of the definition this host follows. Local mode:
	 * UINT64_MAX and 0. */
	uint64_t cap;
	uint64_t cl_epoch;

	uint64_t want; /* with dirty: tickets a refill must cover */
	struct seq *next_dirty;
	bool dirty; /* on the catalog's dirty list */
	uint8_t name_len;
	char name[]; /* name_len bytes and a NUL */
};

struct catalog {
	/* The name table: chained hashing, a power of two of buckets, doubled
	 * when the count passes it (single-threaded: no RCU needed). */
	struct cds_hlist_head *buckets;
	uint64_t nbuckets;
	uint64_t count;
	struct region_header *region;
	struct region_slot *slots;
	uint64_t nslots;
	struct seq **owner;   /* slot -> sequence, NULL when free */
	uint32_t *free_slots; /* stack of free slot numbers */
	uint64_t nfree, free_cap;
	uint32_t *released; /* dropped this batch: free once durable */
	uint64_t nreleased, released_cap;
	uint64_t next_unused; /* slots never used yet start here */
	uint64_t next_id;
	struct seq_env env;
	struct wal *wal;
	struct seq *dirty; /* sequences whose refills are due this batch */
	uint64_t records;
	bool statement;		 /* this batch appended a statement's record */
	bool refused;		 /* this batch refused a statement's record: its replies fail */
	bool accept_damage;	 /* replay drops records it rejects (--accept-log-damage) */
	uint64_t dropped;	 /* records dropped by the replay */
	bool tail_lost;		 /* the replay skipped ahead past a lost last record */
	uint64_t repairs;	 /* slots found scribbled and repaired */
	uint64_t refills, waits; /* counters: refills asked for, by a waiting client */
	uint64_t nbroken;	 /* sequences whose record was refused (no snapshot meanwhile) */
	char replay_why[1024];	 /* why the replay rejected a record */
	bool clustered;		 /* values come from segments of the store (cluster.c) */
	bool list_valid;	 /* the sorted name list is up to date */
	struct seq **sorted;
	uint64_t nsorted;
	/* The region's name index (lib/region_index.h), when the region has
	 * one (catalog_index_attach): kept equal to the live sequences. */
	struct region_index index;
	uint64_t index_rebuilds; /* buckets found full (scribbled) and rebuilt */
};

/* Set up an empty catalog over a mapped region. 0 or -errno. */
int catalog_init(struct catalog *c, struct region_header *region, const struct seq_env *env);
void catalog_deinit(struct catalog *c);

/* The region (size bytes, mapped at c->region) carries a name index after
 * its slots: keep it (the layout from nslots and size, not from anything
 * clients may write). Before catalog_start. */
void catalog_index_attach(struct catalog *c, size_t size);

/* Make s findable in the region's name index again (idempotent: touches
 * nothing that is already right). For a client that asks where s is. */
void catalog_index_put(struct catalog *c, struct seq *s);

/* wal_replay_fn: rebuild the catalog from records (untrusted bytes). */
int catalog_replay(void *ctx, uint16_t type, const void *payload, uint32_t len, uint64_t lsn);

/* After replay: give every sequence a slot and a first epoch starting at its
 * restart point (the first refill makes its window durable). With adopt, the
 * region is a crashed predecessor's: each sequence whose slot passes the
 * checks keeps its epoch as it is (clients carry on without a gap; *adopted
 * counts them), the others restart from their floor in the same slot.
 * 0 or -errno (-ENOSPC: more sequences than slots). */
int catalog_start(struct catalog *c, bool adopt, uint64_t *adopted, char *err, size_t errlen);

struct seq *catalog_find(struct catalog *c, const char *name);

/* Compare s's slot with what the catalog published for it (the daemon is
 * the only writer of a slot's epoch and never leaves one half-written
 * between events, so any difference is a scribble) and repair it: the
 * catalog's epoch republished under a new generation, every ticket the slot
 * may have handed out counted, and a line logged. Returns true when it
 * repaired something. */
bool catalog_check_slot(struct catalog *c, struct seq *s);

/* Whether this batch refused a statement's record (catalog_prepare): then
 * its acknowledgements must fail. Resets the flag. */
bool catalog_take_refused(struct catalog *c);

/* DDL and SETVAL. Each returns 0 (or a positive op answer) or -error, and
 * appends the records that make it durable; the caller must not acknowledge
 * it before the wal is synced. New epochs are published with limit 0 and
 * widened by catalog_flush() once their records are durable. */
int catalog_create(struct catalog *c, const char *name, const struct seq_options *opt, uint32_t flags,
		   int32_t *note, struct seq_notes *notes);
int catalog_alter(struct catalog *c, const char *name, const struct seq_options *opt, uint32_t flags,
		  int32_t *note, struct seq_notes *notes);
int catalog_drop(struct catalog *c, const char *name);
/* 1 applied, 0 ignored (NULL), -4084, -4091 */
int catalog_setval(struct catalog *c, const char *name, int64_t v, bool is_used, uint64_t round);
int catalog_insert(struct catalog *c, const char *name, const struct seq_row *row);

/* A ticket that found no durable window: reserve at least up to it.
 * blocking: a client is waiting (the window ran dry: reserve further next
 * time). Returns 0; the client re-checks its ticket after the next flush. */
int catalog_refill(struct catalog *c, uint32_t slot, uint64_t id, uint64_t gen, uint64_t n, bool blocking);
/* A sequence's counters: refills and waits since the start, tickets taken
 * in its current epoch and durable tickets not taken yet. -4091 when
 * there is no such sequence. */
int catalog_counters(struct catalog *c, const char *name, uint64_t *refills, uint64_t *waits, uint64_t *taken,
		     uint64_t *reserve);
/* A ticket past the end of a CYCLE round: start the next round. */
int catalog_wrap(struct catalog *c, uint32_t slot, uint64_t id, uint64_t gen);

/* Append the records for this batch's refills. 0 or -EIO. */
int catalog_prepare(struct catalog *c);
/* After the wal synced everything appended: publish durable limits. */
void catalog_publish(struct catalog *c);

/* The row of SELECT * (a consistent read, nothing written). */
int catalog_row(struct catalog *c, const char *name, struct seq_row *row, struct seq_def *def, uint64_t *id,
		uint64_t *ahead);

/* Sorted names after `after` ("" for the start): up to max into out. */
uint32_t catalog_list(struct catalog *c, const char *after, const char **out, uint32_t max, bool *more);

/* Cluster mode (daemon/cluster.c). Define `name` as the store holds it
 * (created, or its definition replaced and its live segment dropped): the
 * new epoch hands out nothing until catalog_segment_open(). Records it.
 * 0 or -errno. */
int catalog_cluster_define(struct catalog *c, const char *name, const struct seq_def *def, int64_t round,
			   uint64_t cl_epoch);
/* Start a segment of s granted by the store: n tickets from value first, in
 * CYCLE round `round`. Its record is appended in this batch; its values are
 * published once durable (catalog_publish). */
void catalog_segment_open(struct catalog *c, struct seq *s, int64_t first, uint64_t n, int64_t round);

/* Clean shutdown: close every epoch and record each sequence's exact
 * MariaDB position, so a restart resumes where MariaDB would. */
int catalog_shutdown(struct catalog *c);

/* Snapshot iterator state. */
struct catalog_iter {
	struct catalog *c;
	uint64_t bucket;  /* the next bucket to visit */
	struct seq *next; /* the next sequence of the current chain */
	struct rec_seq rec;
	unsigned char buf[REC_SEQ_MAX]; /* the payload handed out */
};
int catalog_snapshot_next(void *ctx, uint16_t *type, const void **payload, uint32_t *len);

#endif
