/* SPDX-License-Identifier: MIT */
/* phase.c — one timed phase: fork the workers, start them together at the
 * barrier, show progress, merge their results. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_HAVE_TSC 1
#endif

/* ---- the parent side ---- */

static void progress_line(const char *what, uint64_t start, unsigned PT)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < PT; i++)
		sum += atomic_load_explicit(&run.shm->slots[i].progress, memory_order_relaxed);
	double el = (double)(now_ns() - start) / 1e9;
	fprintf(stderr, "\r%-8s %6.1f s  %14" PRIu64 " ops  %8.2f M ops/s\033[K", what, el, sum,
		el > 0 ? (double)sum / el / 1e6 : 0.0);
}

static void daemon_before(struct daemon_info *di)
{
	di->have = daemon_status(&di->before);
	if (di->have)
		di->cpu_before_s = proc_cpu_s(di->before.daemon_pid);
}

/* Fork the workers of one phase, start them together, wait, sum up. The
 * phase's shared area stays mapped (in `run.shm`) for the caller to read slots. */
int run_phase(enum phase_kind kind, struct phase_result *r)
{
	unsigned P = cfg.processes, T = cfg.threads, PT = P * T;
	size_t bytes = sizeof(struct phase_shm) + (size_t)PT * sizeof(struct slot);
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "shmseq-bench: mmap %zu bytes: %s\n", bytes, strerror(errno));
		return -1;
	}
	run.shm = m;
	memset(r, 0, sizeof(*r));
	if (kind == PHASE_BARE && cfg.sequences > 1) {
		size_t sz = cfg.sequences * BARE_STRIDE * sizeof(uint64_t);
		void *bs = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (bs == MAP_FAILED) {
			fprintf(stderr, "shmseq-bench: mmap %zu bytes: %s\n", sz, strerror(errno));
			return -1;
		}
		run.bare_slots = bs;
		/* touched before the clock, as the warm-up touches the region */
		for (uint64_t i = 0; i < cfg.sequences; i++)
			run.bare_slots[i * BARE_STRIDE] = 0;
	}
	const char *what = kind == PHASE_SHMSEQ ? mode_names[cfg.mode] : phase_names[kind];
	if (kind == PHASE_MUTEX) {
		pthread_mutexattr_t ma;
		int e = pthread_mutexattr_init(&ma);
		if (!e)
			e = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		if (!e)
			e = pthread_mutex_init(&run.shm->mutex, &ma);
		if (e) {
			fprintf(stderr, "shmseq-bench: a process-shared mutex: %s\n", strerror(e));
			return -1;
		}
		pthread_mutexattr_destroy(&ma);
		par.mutex_ready = true;
	}

	fflush(NULL);
	for (unsigned p = 0; p < P; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "shmseq-bench: fork: %s\n", strerror(errno));
			atomic_store(&run.shm->stop, 1);
			atomic_store_explicit(&run.shm->go, 1, memory_order_release);
			kill_workers();
			return -1;
		}
		if (pid == 0)
			worker_process(p, kind);
		par.worker_pids[par.nworker_pids++] = pid;
	}

	/* Wait for every thread at the barrier (or a failure), then start. */
	while (atomic_load(&run.shm->ready) < PT && !atomic_load(&run.shm->failed) && !par.interrupted) {
		int st;
		bool early_exit = false;
		for (unsigned i = 0; i < par.nworker_pids; i++) {
			if (par.worker_pids[i] > 0 &&
			    waitpid(par.worker_pids[i], &st, WNOHANG) == par.worker_pids[i]) {
				par.worker_pids[i] = -1;
				early_exit = true;
			}
		}
		if (early_exit) {
			atomic_store(&run.shm->failed, 1);
			break;
		}
		sleep_ms(1);
	}
	if (atomic_load(&run.shm->failed) || par.interrupted)
		atomic_store(&run.shm->stop, 1);
	else if (kind == PHASE_SHMSEQ && par.phase_daemon)
		daemon_before(par.phase_daemon); /* after the warm-up: count the timed run only */
	uint64_t start = now_ns();
	run.shm->start_ns = start;
	run.shm->deadline_ns = start + (uint64_t)(cfg.duration_s * 1e9);
	/* pairs with the acquire load in barrier_wait(): publishes deadline_ns */
	atomic_store_explicit(&run.shm->go, 1, memory_order_release);

	bool live = isatty(STDERR_FILENO) && !cfg.json;
	bool shown = false;
	uint64_t last_shown = 0;
	unsigned remaining = 0;
	for (unsigned i = 0; i < par.nworker_pids; i++)
		remaining += par.worker_pids[i] > 0;
	bool killed = false;
	while (remaining) {
		int st;
		for (unsigned i = 0; i < par.nworker_pids; i++) {
			if (par.worker_pids[i] <= 0)
				continue;
			pid_t w = waitpid(par.worker_pids[i], &st, WNOHANG);
			if (w == par.worker_pids[i] || (w < 0 && errno == ECHILD)) {
				par.worker_pids[i] = -1;
				remaining--;
				if (w > 0 && WIFSIGNALED(st) && !par.interrupted)
					fprintf(stderr,
						"%sshmseq-bench: worker process %u died of signal %d\n",
						shown ? "\n" : "", i, WTERMSIG(st));
				if (w > 0 && WIFSIGNALED(st))
					r->setup_failed = true;
			}
		}
		if (!remaining)
			break;
		if (par.interrupted && !killed) {
			/* the handler set stop; give workers a moment, then insist */
			sleep_ms(200);
			for (unsigned i = 0; i < par.nworker_pids; i++)
				if (par.worker_pids[i] > 0)
					kill(par.worker_pids[i], SIGTERM);
			killed = true;
		}
		uint64_t now = now_ns();
		if (live && now - start > 1000000000ull && now - last_shown > 250000000ull) {
			progress_line(what, start, PT);
			shown = true;
			last_shown = now;
		}
		sleep_ms(5);
	}
	par.nworker_pids = 0;
	if (shown)
		fputs("\r\033[K", stderr);

	uint64_t end = start;
	uint64_t *hist = r->hist;
	for (unsigned p = 0; p < P; p++) {
		const struct proc_rec *pr = &run.shm->procs[p];
		if (pr->warmup_ns > r->warmup_ns_max)
			r->warmup_ns_max = pr->warmup_ns;
		if (pr->rss_anon_kb > r->rss_anon_kb_max)
			r->rss_anon_kb_max = pr->rss_anon_kb;
		if (pr->rss_shmem_kb > r->rss_shmem_kb_max)
			r->rss_shmem_kb_max = pr->rss_shmem_kb;
		if (pr->hwm_kb > r->hwm_kb_max)
			r->hwm_kb_max = pr->hwm_kb;
	}
	for (unsigned i = 0; i < PT; i++) {
		struct slot *s = &run.shm->slots[i];
		r->ops += s->ops;
		r->errors += s->errors;
		if (s->end_ns > end)
			end = s->end_ns;
		r->samples += s->samples;
		if (s->max_ns > r->max_ns)
			r->max_ns = s->max_ns;
		for (unsigned b = 0; b < HIST_BUCKETS; b++)
			hist[b] += s->hist[b];
	}
	if (atomic_load(&run.shm->failed))
		r->setup_failed = true;
	r->interrupted = par.interrupted;
	r->elapsed_ns = end - start;
	double el = (double)r->elapsed_ns;
	r->ops_per_s = el > 0 ? (double)r->ops / (el / 1e9) : 0;
	r->ns_per_op = r->ops ? el * PT / (double)r->ops : 0;
	r->p50 = hist_percentile(hist, r->samples, 0.50, r->max_ns);
	r->p99 = hist_percentile(hist, r->samples, 0.99, r->max_ns);
	r->p999 = hist_percentile(hist, r->samples, 0.999, r->max_ns);
	return 0;
}

void report_setup_errors(void)
{
	for (unsigned p = 0; p < cfg.processes; p++)
		if (run.shm->procs[p].setup_error)
			fprintf(stderr, "shmseq-bench: worker process %u: %s\n", p,
				run.shm->procs[p].setup_msg);
}

void free_phase(void)
{
	if (run.shm && par.mutex_ready)
		pthread_mutex_destroy(&run.shm->mutex);
	par.mutex_ready = false;
	if (run.bare_slots)
		munmap(run.bare_slots, cfg.sequences * BARE_STRIDE * sizeof(uint64_t));
	run.bare_slots = NULL;
	if (run.shm)
		munmap(run.shm,
		       sizeof(struct phase_shm) + (size_t)cfg.processes * cfg.threads * sizeof(struct slot));
	run.shm = NULL;
}

/* Run one baseline phase; false when par.interrupted or it could not run. */
bool run_baseline(enum phase_kind kind, struct phase_result *res)
{
	if (run_phase(kind, res) < 0)
		die_cleanup(1);
	if (res->setup_failed) {
		report_setup_errors();
		fprintf(stderr, "shmseq-bench: the %s baseline could not start\n", phase_names[kind]);
		free_phase();
		die_cleanup(1);
	}
	free_phase();
	if (res->interrupted) {
		fprintf(stderr, "shmseq-bench: interrupted\n");
		die_cleanup(130);
	}
	return true;
}
