/* SPDX-License-Identifier: MIT */
/* partition.h — network partitions for the cluster tests, in a network
 * namespace of the test's own: the machine's packet filter is never
 * touched, and the namespace (with every rule) goes away with the test.
 *
 * partition_enter() moves the test into a new network namespace before it
 * starts anything (etcd members, daemons: they inherit it), brings its
 * loopback up, and makes every etcd member's connections come from its own
 * address: on loopback the kernel picks 127.0.0.1 as the source of every
 * connection, so a member's outgoing peer connections are translated to
 * its address (it runs with a group of its own, etcd_gid_base, matched by
 * the owner module). A daemon's store traffic comes from its --etcd-bind
 * address. Every link is then an address pair, and a cut drops it both
 * ways. Cuts are made in the raw table's PREROUTING, before connection
 * tracking undoes the translation of replies (INPUT sees them addressed to
 * 127.0.0.1 again); healing flushes that chain. */
#ifndef SHMSEQ_TEST_PARTITION_H
#define SHMSEQ_TEST_PARTITION_H

#include "etcd.h"

/* Enter a new network namespace ready for cuts: 0, or 77 (skip) with a
 * line on stderr saying why not (no iptables, no namespaces, no packet
 * filter in the kernel), back in the namespace it started in. Call first,
 * single-threaded. */
int partition_enter(void);

/* Drop every packet between addresses a and b, both ways. 0 or -1. */
int partition_cut(const char *a, const char *b);

/* Cut member i of the n from every other member (its clients still reach
 * it). 0 or -1. */
int partition_member(const struct etcd *m, int n, int i);

/* Cut the store client bound to addr from every member. 0 or -1. */
int partition_host(const char *addr, const struct etcd *m, int n);

/* Every cut healed. 0 or -1. */
int partition_heal(void);

#endif
