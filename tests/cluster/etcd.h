/* etcd.h — a real etcd member for the cluster tests: started on a loopback
 * address of 127.0.0.0/8 with a private data directory, dying with the test
 * (PR_SET_PDEATHSIG), removed by etcd_stop(). */
#ifndef SHMSEQ_TEST_ETCD_H
#define SHMSEQ_TEST_ETCD_H

#include <stdbool.h>
#include <sys/types.h>

struct etcd {
	pid_t pid;
	char dir[64];
	char url[64]; /* http://IP:PORT, the client URL */
	char log[96];
};

/* Whether etcd is installed (else the caller skips with 77). */
bool etcd_available(void);

/* Start one member on ip (e.g. "127.0.0.11"), a port picked from the
 * test's pid, and wait until it answers a read (30 s at most). 0, or -1
 * with a line on stderr naming its log. */
int etcd_start(struct etcd *e, const char *ip);

/* SIGKILL it (SIGCONT first: it may be stopped), wait, remove its files. */
void etcd_stop(struct etcd *e);

#endif
