/* SPDX-License-Identifier: MIT */
/* partition.c — network partitions for the cluster tests (partition.h). */
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define GID_BASE 60000

/* Run an iptables command line (quietly): 0 or -1 with the line said. */
__attribute__((format(printf, 1, 2))) static int ipt(const char *fmt, ...)
{
	char args[256], cmd[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "iptables -w %s >/dev/null 2>&1", args);
	if (system(cmd) != 0) {
		fprintf(stderr, "partition: failed: iptables %s\n", args);
		return -1;
	}
	return 0;
}

static int lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r;
}

/* After unshare(): back to the namespace the test started in (a skip
 * leaves the test as it was: a caller may go on without partitions), then
 * 77. */
static int give_up(int home)
{
	if (home >= 0 && setns(home, CLONE_NEWNET) < 0)
		fprintf(stderr, "partition: cannot return to the first network namespace: %s\n",
			strerror(errno));
	if (home >= 0)
		close(home);
	return 77;
}

int partition_enter(void)
{
	if (system("command -v iptables >/dev/null 2>&1") != 0) {
		fprintf(stderr, "iptables is not installed (apt-get install iptables): skipping\n");
		return 77;
	}
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr,
			"no network namespace of our own (unshare: %s; root or CAP_SYS_ADMIN needed): "
			"skipping\n",
			strerror(errno));
		if (home >= 0)
			close(home);
		return 77;
	}
	if (lo_up() < 0) {
		fprintf(stderr, "cannot bring the namespace's loopback up (%s): skipping\n", strerror(errno));
		return give_up(home);
	}
	if (system("iptables -w -t raw -S >/dev/null 2>&1") != 0 ||
	    system("iptables -w -t nat -S >/dev/null 2>&1") != 0) {
		fprintf(stderr, "iptables does not work here (no packet filter in the kernel?): skipping\n");
		return give_up(home);
	}
	/* every member's connections from its own address (127.0.0.11-15) */
	for (int o = 11; o <= 15; o++)
		if (ipt("-t nat -A POSTROUTING -o lo -m owner --gid-owner %d -j SNAT --to-source 127.0.0.%d",
			GID_BASE + o, o) < 0) {
			fprintf(stderr, "iptables cannot translate addresses here: skipping\n");
			return give_up(home);
		}
	if (home >= 0)
		close(home);
	etcd_gid_base = GID_BASE;
	return 0;
}

int partition_cut(const char *a, const char *b)
{
	if (ipt("-t raw -A PREROUTING -s %s -d %s -j DROP", a, b) < 0 ||
	    ipt("-t raw -A PREROUTING -s %s -d %s -j DROP", b, a) < 0)
		return -1;
	return 0;
}

int partition_member(const struct etcd *m, int n, int i)
{
	for (int j = 0; j < n; j++)
		if (j != i && partition_cut(m[i].ip, m[j].ip) < 0)
			return -1;
	return 0;
}

int partition_host(const char *addr, const struct etcd *m, int n)
{
	for (int j = 0; j < n; j++)
		if (partition_cut(addr, m[j].ip) < 0)
			return -1;
	return 0;
}

int partition_heal(void)
{
	return ipt("-t raw -F PREROUTING");
}
