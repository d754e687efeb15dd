/* SPDX-License-Identifier: MIT */
/* etcd.c — a real etcd member for the cluster tests (etcd.h). */
#include "etcd.h"

#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "store.h"
#include "tmpdir.h"

gid_t etcd_gid_base;

/* In the member's child, before exec: its own group (etcd_gid_base). */
static void member_group(void *arg)
{
	gid_t g = (gid_t)(uintptr_t)arg;
	if (setgroups(0, NULL) < 0 || setgid(g) < 0)
		_exit(126);
}

bool etcd_available(void)
{
	return system("command -v etcd >/dev/null 2>&1") == 0;
}

static void on_ready(void *ctx, const struct store_reply *r)
{
	*(bool *)ctx = r->status == STORE_OK;
}

/* One read through the store client: the member serves. */
static bool answers(const char *url)
{
	struct store_config cfg = {.endpoints = url, .timeout_ms = 500, .connect_timeout_ms = 200};
	struct store *st;
	char err[256];
	bool ok = false;
	if (store_open(&cfg, &st, err, sizeof(err)) < 0)
		return false;
	if (store_range(st, "ready", 5, NULL, 0, on_ready, &ok) == 0)
		store_wait(st, 1000);
	store_close(st);
	return ok;
}

/* Start member e (the shared spawner: it dies with the test, its output
 * goes to its log). --pre-vote, as a deployment should have it (etcd 3.4
 * and 3.5 default to without): a member cut off from the others and back
 * does not depose the leader the others elected meanwhile. */
static int member_spawn(struct etcd *e)
{
	char peer[64], data[96], name[16], token[32];
	snprintf(peer, sizeof(peer), "http://%s:%d", e->ip, e->port + 1);
	snprintf(data, sizeof(data), "%s/data", e->dir);
	snprintf(name, sizeof(name), "m%s", strrchr(e->ip, '.') + 1);
	snprintf(token, sizeof(token), "shmseq-%d", e->port);
	const char *const argv[] = {"etcd",	"--name",
				    name,	"--data-dir",
				    data,	"--listen-client-urls",
				    e->url,	"--advertise-client-urls",
				    e->url,	"--listen-peer-urls",
				    peer,	"--initial-advertise-peer-urls",
				    peer,	"--initial-cluster",
				    e->cluster, "--initial-cluster-state",
				    "new",	"--initial-cluster-token",
				    token,	"--heartbeat-interval",
				    "100",	"--election-timeout",
				    "1000",	"--pre-vote",
				    NULL};
	struct spawn_opts o = {.argv = argv, .log_path = e->log, .log_stdout = true, .prog = "etcd"};
	if (etcd_gid_base) {
		o.child_setup = member_group;
		o.child_arg = (void *)(uintptr_t)(etcd_gid_base + (gid_t)atoi(strrchr(e->ip, '.') + 1));
	}
	struct spawn sp;
	if (spawn_start(&sp, &o) < 0)
		return -1;
	e->pid = sp.pid;
	return 0;
}

static int member_prepare(struct etcd *e, const char *ip, int port)
{
	if (tmpdir_make(e->dir, sizeof(e->dir), NULL, "shmseq-etcd.") < 0)
		return -1;
	snprintf(e->ip, sizeof(e->ip), "%s", ip);
	e->port = port;
	snprintf(e->url, sizeof(e->url), "http://%s:%d", ip, port);
	snprintf(e->log, sizeof(e->log), "%s/etcd.log", e->dir);
	return 0;
}

static bool wait_ready(struct etcd *m, int n)
{
	for (int k = 0; k < 300; k++) {
		int ok = 0;
		for (int i = 0; i < n; i++) {
			int status;
			if (m[i].pid > 0 && waitpid(m[i].pid, &status, WNOHANG) == m[i].pid) {
				m[i].pid = 0;
				fprintf(stderr, "etcd on %s exited: its log is %s\n", m[i].url, m[i].log);
				return false;
			}
			ok += answers(m[i].url);
		}
		if (ok == n)
			return true;
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < n; i++)
		fprintf(stderr, "etcd on %s: not ready; its log is %s\n", m[i].url, m[i].log);
	return false;
}

int etcd_cluster_start(struct etcd *m, int n, char *eps, size_t epscap)
{
	int port = 20000 + (int)(getpid() % 10000) * 2;
	char cluster[512] = "";
	memset(m, 0, sizeof(*m) * (size_t)n);
	for (int i = 0; i < n; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "127.0.0.%d", 11 + i);
		if (member_prepare(&m[i], ip, port) < 0)
			return -1;
		size_t len = strlen(cluster);
		snprintf(cluster + len, sizeof(cluster) - len, "%sm%d=http://%s:%d", i ? "," : "", 11 + i, ip,
			 port + 1);
	}
	eps[0] = 0;
	for (int i = 0; i < n; i++) {
		snprintf(m[i].cluster, sizeof(m[i].cluster), "%s", cluster);
		size_t len = strlen(eps);
		snprintf(eps + len, epscap - len, "%s%s", i ? "," : "", m[i].url);
		if (member_spawn(&m[i]) < 0)
			return -1;
	}
	return wait_ready(m, n) ? 0 : -1;
}

int etcd_restart(struct etcd *m, int n, int i)
{
	(void)n;
	if (m[i].pid > 0)
		return -1;
	if (member_spawn(&m[i]) < 0)
		return -1;
	return wait_ready(&m[i], 1) ? 0 : -1;
}

int etcd_start(struct etcd *e, const char *ip)
{
	memset(e, 0, sizeof(*e));
	int port = 20000 + (int)(getpid() % 10000) * 2;
	if (member_prepare(e, ip, port) < 0)
		return -1;
	snprintf(e->cluster, sizeof(e->cluster), "m%s=http://%s:%d", strrchr(ip, '.') + 1, ip, port + 1);
	if (member_spawn(e) < 0)
		return -1;
	return wait_ready(e, 1) ? 0 : -1;
}

/* /v3/maintenance/status through curl's command line would need a parser
 * here: etcdctl says it in one line per endpoint instead. */
int etcd_leader(const struct etcd *m, int n)
{
	for (int i = 0; i < n; i++) {
		if (m[i].pid <= 0)
			continue;
		char cmd[256], line[512] = "";
		snprintf(cmd, sizeof(cmd),
			 "ETCDCTL_API=3 etcdctl --command-timeout=1s --endpoints=%s endpoint status "
			 "2>/dev/null",
			 m[i].url);
		FILE *p = popen(cmd, "r");
		if (!p)
			continue;
		char *got = fgets(line, sizeof(line), p);
		pclose(p);
		/* URL, ID, VERSION, DB SIZE, IS LEADER, … */
		if (got && strstr(line, ", true, "))
			return i;
	}
	return -1;
}

void etcd_stop(struct etcd *e)
{
	if (e->pid > 0) {
		kill(e->pid, SIGCONT);
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
		e->pid = 0;
	}
	if (e->dir[0]) {
		if (tmpdir_remove(e->dir) < 0)
			fprintf(stderr, "could not remove %s\n", e->dir);
		e->dir[0] = 0;
	}
}
