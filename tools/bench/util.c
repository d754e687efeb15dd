/* SPDX-License-Identifier: MIT */
/* util.c — clocks, random numbers and cleanup of the bench. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_HAVE_TSC 1
#endif

#include "tmpdir.h"

/* ---- small helpers ---- */

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void calibrate_ticks(void)
{
#ifdef BENCH_HAVE_TSC
	uint64_t t0 = now_ns(), c0 = ticks();
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	uint64_t t1 = now_ns(), c1 = ticks();
	if (c1 > c0)
		run.ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
#endif
}

void set_msg(char *dst, const char *src)
{
	snprintf(dst, ERRMSG_MAX, "%s", src);
}

void on_signal(int sig)
{
	(void)sig;
	par.interrupted = 1;
	if (run.shm)
		atomic_store_explicit(&run.shm->stop, 1, memory_order_relaxed);
}

void sleep_ms(unsigned ms)
{
	struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&d, NULL);
}

static void remove_tmpdir(void)
{
	tmpdir_remove(par.tmpdir);
	par.tmpdir[0] = '\0';
}

static void stop_daemon(void)
{
	if (par.daemon_pid <= 0)
		return;
	kill(par.daemon_pid, SIGTERM);
	int st;
	uint64_t t0 = now_ns();
	/* it persists every sequence's position on the way out */
	uint64_t patience_s = 10 + cfg.sequences / 10000;
	while (waitpid(par.daemon_pid, &st, WNOHANG) == 0) {
		if (now_ns() - t0 > patience_s * 1000000000ull) {
			fprintf(stderr, "shmseq-bench: shmseqd did not stop in %" PRIu64 " s; killing it\n",
				patience_s);
			kill(par.daemon_pid, SIGKILL);
			waitpid(par.daemon_pid, &st, 0);
			break;
		}
		sleep_ms(10);
	}
	par.daemon_pid = 0;
}

void kill_workers(void)
{
	for (unsigned i = 0; i < par.nworker_pids; i++)
		if (par.worker_pids[i] > 0)
			kill(par.worker_pids[i], SIGTERM);
	for (unsigned i = 0; i < par.nworker_pids; i++)
		if (par.worker_pids[i] > 0)
			waitpid(par.worker_pids[i], NULL, 0);
	par.nworker_pids = 0;
}

void cleanup(void)
{
	kill_workers();
	stop_daemon();
	remove_tmpdir();
}

_Noreturn void die_cleanup(int code)
{
	cleanup();
	exit(code);
}
