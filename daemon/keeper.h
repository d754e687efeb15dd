/* SPDX-License-Identifier: MIT */
/* keeper.h — the region keeper: a small process that holds an instance's
 * region so that the region outlives a daemon that crashes.
 *
 * The region is a sealed memfd (region.h has why): it has no name, and it
 * lives exactly as long as something holds it. Its clients' mappings keep it
 * alive, but the next daemon cannot reach those; the keeper holds the
 * descriptor and hands it to the next daemon of the instance, which adopts
 * the region (catalog_start decides slot by slot) or replaces it.
 *
 * The keeper is forked by the daemon that creates the region, listens on
 * <runtime dir>/<instance>.region (mode 0600 in the owner-only runtime
 * directory) and answers only its own user and root (SO_PEERCRED). Each
 * session sends one command byte:
 *   KEEPER_TAKE  the region's descriptor comes back, and this session is the
 *                keeper's daemon from now on (the one it had is dropped);
 *   KEEPER_PEEK  the region's descriptor comes back (tests, diagnostics);
 *   KEEPER_QUIT  the keeper exits: the region is no longer wanted.
 * Its daemon's session stays open for the daemon's life: KEEPER_QUIT on it
 * (a clean shutdown, or a successor that replaced the region) ends the
 * keeper; a hang-up without it means the daemon died, and the keeper waits
 * KEEPER_ORPHAN_S seconds for the next daemon, then exits.
 *
 * The keeper holds nothing else: no lock, no data file, no socket of the
 * daemon's, and its standard streams are /dev/null (whoever waits for the
 * daemon's output does not wait for the keeper). */
#ifndef SHMSEQD_KEEPER_H
#define SHMSEQD_KEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KEEPER_TAKE 'T'
#define KEEPER_PEEK 'P'
#define KEEPER_QUIT 'Q'

/* How long a keeper whose daemon died waits for the next one. */
#define KEEPER_ORPHAN_S 300

/* <runtime dir>/<instance>.region. With create, the runtime directory is
 * made when missing (util_runtime_dir). 0 or -errno. */
int keeper_path(const char *instance, char *buf, size_t cap, bool create);

/* Start a keeper of region_fd listening on path (an old socket there is
 * replaced). Returns the session with it, which the caller keeps open for
 * its life (close-on-exec), or -errno. */
int keeper_spawn(int region_fd, const char *path);

/* Send cmd to the keeper on path. For KEEPER_TAKE and KEEPER_PEEK the
 * region's descriptor lands in *region_fd. KEEPER_TAKE returns the session,
 * to keep open; the others return 0. -ENOENT or -ECONNREFUSED: no keeper
 * there; -EPERM: whoever listens there is not our user; -EPROTO: it did not
 * answer as a keeper. */
int keeper_call(const char *path, char cmd, int *region_fd);

/* Tell the keeper on a session from keeper_spawn() or KEEPER_TAKE to exit,
 * and close the session. */
void keeper_release(int session);

/* Close every descriptor from 3 on but the n in keep (ascending): what a
 * child keeps of its parent's (the keeper, the snapshot writer). */
void keeper_close_all_but(const int *keep, int n);

#endif
