/* SPDX-License-Identifier: MIT */
/* etcd.h — a real etcd member for the cluster tests: started on a loopback
 * address of 127.0.0.0/8 with a private data directory, dying with the test
 * (PR_SET_PDEATHSIG), removed by etcd_stop(). */
#ifndef SHMSEQ_TEST_ETCD_H
#define SHMSEQ_TEST_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct etcd {
	pid_t pid;
	char dir[64];
	char url[64]; /* http://IP:PORT, the client URL */
	char log[96];
	char ip[32];
	int port;
	char cluster[512]; /* --initial-cluster */
};

/* Nonzero: the member on 127.0.0.N runs with group id etcd_gid_base + N,
 * by which a test's packet filter can tell its connections apart
 * (partition.h). 0 by default: the test's own group. */
extern gid_t etcd_gid_base;

/* Whether etcd is installed (else the caller skips with 77). */
bool etcd_available(void);

/* Start one member on ip (e.g. "127.0.0.11"), a port picked from the
 * test's pid, and wait until it answers a read (30 s at most). 0, or -1
 * with a line on stderr naming its log. */
int etcd_start(struct etcd *e, const char *ip);

/* SIGKILL it (SIGCONT first: it may be stopped), wait, remove its files. */
void etcd_stop(struct etcd *e);

/* A cluster of n members (n <= 5) on 127.0.0.11, .12, …: started together,
 * ready when every member answers a read. eps gets their client URLs,
 * comma-separated. 0 or -1. */
int etcd_cluster_start(struct etcd *m, int n, char *eps, size_t epscap);

/* Start member i again after it was killed (same data directory). */
int etcd_restart(struct etcd *m, int n, int i);

/* The index of the member that is the leader now, or -1. */
int etcd_leader(const struct etcd *m, int n);

#endif
