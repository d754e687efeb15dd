/* SPDX-License-Identifier: MIT */
/* server.h — shmseqd's event loop: the listening socket, client sessions,
 * request dispatch and group commit. */
#ifndef SHMSEQD_SERVER_H
#define SHMSEQD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "seqdef.h"

struct server_config {
	const char *instance;
	const char *data_dir;
	uint64_t max_sequences;
	uint32_t max_connections;
	struct seq_env env;
	gid_t group;		      /* (gid_t)-1: owner only */
	int ready_fd;		      /* -1: none; else a byte is written when ready */
	uint64_t snapshot_bytes;      /* snapshot when the log grows past this */
	uint64_t snapshot_fork_bytes; /* snapshots of this size or more: by a child */
	bool no_adopt;		      /* never adopt a crashed predecessor's region */
	uint64_t log_prealloc;	      /* 0: snapshot_bytes + 64 KiB, at most 4 MiB */
	bool accept_log_damage;	      /* start on a damaged log, keeping what survives */
	/* cluster mode (--etcd): NULL endpoints for local mode */
	const char *etcd, *cluster, *host;
	const char *etcd_bind; /* --etcd-bind: the store's connections' local address */
};

/* Run the daemon until SIGTERM/SIGINT. Returns the process exit code;
 * explains failures on stderr. */
int server_run(const struct server_config *cfg);

#endif
