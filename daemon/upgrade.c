/* SPDX-License-Identifier: MIT */
/* upgrade.c — converting a data directory of an older format before
 * serving (contract in upgrade.h).
 *
 * Why the daemon converts instead of asking for a dump and a restore: a
 * dump taken while applications still draw values does not hold the values
 * drawn after it, and a restore would hand them out again. Reading the old
 * format itself, the daemon restarts every sequence from the restart point
 * its own log recorded, exactly as after any restart: a gap of at most the
 * cached windows, never a value twice.
 *
 * Order: the replay has read the older records (daemon/records.h keeps their
 * decoders); the wal refuses appends meanwhile, so nothing of the new format
 * reaches an older file; the snapshot is written, fsynced and renamed, the
 * log replaced by a fresh one, both of the current version; only then does
 * the daemon serve. */
#include "upgrade.h"

#include <stdio.h>
#include <string.h>

int upgrade_data_dir(struct wal *w, struct catalog *c, const char *dir, char *msg, size_t msglen)
{
	uint32_t from = wal_format_old(w);
	if (msglen)
		msg[0] = 0;
	if (!from)
		return 0;
	struct catalog_iter it = {.c = c};
	int e = wal_snapshot(w, catalog_snapshot_next, &it);
	if (e < 0) {
		snprintf(msg, msglen,
			 "data directory %s holds data format version %u: converting it to version %u "
			 "(a snapshot of every sequence) failed: %s; not serving. If nothing was "
			 "renamed, its files are as they were and the older shmseq can still use them; "
			 "otherwise start this one again once the cause is fixed: it completes the "
			 "conversion. Either way no value is handed out again",
			 dir, from, WAL_FORMAT_VERSION, strerror(-e));
		return e;
	}
	/* the snapshot holds any skip past a lost last record as well */
	c->tail_lost = false;
	snprintf(msg, msglen,
		 "data directory %s converted from data format version %u to %u: %llu sequences, "
		 "each resuming from its recorded restart point; shmseq versions that read only "
		 "version %u cannot open it any more",
		 dir, from, WAL_FORMAT_VERSION, (unsigned long long)c->count, from);
	return 0;
}
