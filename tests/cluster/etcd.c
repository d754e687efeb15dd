/* etcd.c — a real etcd member for the cluster tests (etcd.h). */
#include "etcd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

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

int etcd_start(struct etcd *e, const char *ip)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/shmseq-etcd.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	int port = 20000 + (int)(getpid() % 10000) * 2;
	char peer[64], data[96], cluster[128];
	snprintf(e->url, sizeof(e->url), "http://%s:%d", ip, port);
	snprintf(peer, sizeof(peer), "http://%s:%d", ip, port + 1);
	snprintf(cluster, sizeof(cluster), "m1=%s", peer);
	snprintf(data, sizeof(data), "%s/data", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/etcd.log", e->dir);
	pid_t parent = getpid();
	e->pid = fork();
	if (e->pid < 0)
		return -1;
	if (e->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (!freopen(e->log, "w", stdout) || !freopen(e->log, "a", stderr))
			_exit(1);
		execlp("etcd", "etcd", "--name", "m1", "--data-dir", data, "--listen-client-urls", e->url,
		       "--advertise-client-urls", e->url, "--listen-peer-urls", peer,
		       "--initial-advertise-peer-urls", peer, "--initial-cluster", cluster, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		if (answers(e->url))
			return 0;
		int status;
		if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
			e->pid = 0;
			break;
		}
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "etcd did not start on %s: its log is %s\n", e->url, e->log);
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
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", e->dir);
		e->dir[0] = 0;
	}
}
