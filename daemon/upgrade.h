/* SPDX-License-Identifier: MIT */
/* upgrade.h — opening a data directory written by an older shmseq: its
 * files are read as they are, and converted to the current format before
 * anything is served. */
#ifndef SHMSEQD_UPGRADE_H
#define SHMSEQD_UPGRADE_H

#include <stddef.h>

#include "catalog.h"
#include "wal.h"

/* After the replay and catalog_start(), before serving: when the wal opened
 * files of an older data format (wal_format_old), write the catalog's whole
 * state as a snapshot in the current format, durably (which also replaces
 * the log), so that nothing of the new format is ever appended to an older
 * file and the next start reads the current format only. Every sequence
 * keeps its definition and its restart point: no value is handed out again,
 * and no dump and restore is needed.
 * Returns 0 (msg: what was done, or "" when nothing was to do), or a
 * negative errno with msg saying why and what is safe: the daemon must not
 * serve then (the older files are left as they were, or, when the
 * snapshot's rename happened, the next start completes the conversion). */
int upgrade_data_dir(struct wal *w, struct catalog *c, const char *dir, char *msg, size_t msglen);

#endif
