/* SPDX-License-Identifier: MIT */
/* report.c — the results as text or JSON. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_HAVE_TSC 1
#endif

#include "json.h"

/* ---- output ---- */

static void human_rate(char *buf, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(buf, n, "%.3f G", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%.3f M", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, n, "%.3f k", v / 1e3);
	else
		snprintf(buf, n, "%.1f ", v);
}

static void print_hist_text(const char *what, const struct phase_result *r)
{
	uint64_t pow2[64], top = 0;
	hist_fold_pow2(r->hist, pow2);
	int lo = -1, hi = -1;
	for (int k = 0; k < 64; k++) {
		if (!pow2[k])
			continue;
		if (lo < 0)
			lo = k;
		hi = k;
		if (pow2[k] > top)
			top = pow2[k];
	}
	if (lo < 0)
		return;
	printf("histogram       %s, ns per call (1 call in 64 timed):\n", what);
	for (int k = lo; k <= hi; k++) {
		uint64_t from = k ? (uint64_t)1 << k : 0, to = ((uint64_t)1 << (k + 1)) - 1;
		int bar = (int)((pow2[k] * 50 + top - 1) / top);
		printf("  %12" PRIu64 " .. %-12" PRIu64 " %12" PRIu64 " %6.2f%%  %.*s\n", from, to, pow2[k],
		       100.0 * (double)pow2[k] / (double)r->samples, bar,
		       "##################################################");
	}
}

static void print_baseline_text(const char *label, const struct phase_result *b, const struct phase_result *r)
{
	char rate[32];
	human_rate(rate, sizeof(rate), b->ops_per_s);
	printf("%-15s %sops/s, %.2f ns per op per thread (%.3f s, %" PRIu64 " ops)\n", label, rate,
	       b->ns_per_op, (double)b->elapsed_ns / 1e9, b->ops);
	printf("%-15s p50 %" PRIu64 " ns, p99 %" PRIu64 " ns, p99.9 %" PRIu64 " ns, max %" PRIu64 " ns\n", "",
	       b->p50, b->p99, b->p999, b->max_ns);
	if (b->ns_per_op > 0 && r->ns_per_op > 0)
		printf("%-15s %.2fx its cost (shmseq ops/s = %.3fx its ops/s)\n", "ratio",
		       r->ns_per_op / b->ns_per_op, r->ops_per_s / b->ops_per_s);
}

void print_text(const struct phase_result *r, const struct phase_result *b, const struct phase_result *mx,
		const struct disk_result *dk, const struct verify_result *vr, const struct daemon_info *di)
{
	char rate[32];
	unsigned P = cfg.processes, T = cfg.threads;
	char how[48] = "";
	if (cfg.mode == MODE_BATCH)
		snprintf(how, sizeof(how), " of %" PRIu64, cfg.batch);
	else if (cfg.mode == MODE_LEASED)
		snprintf(how, sizeof(how), " (lease %" PRIu64 ")", cfg.lease);
	printf("mode            %s%s, %u process%s x %u thread%s, %" PRIu64 " sequence%s%s%s%s%s%s\n",
	       mode_names[cfg.mode], how, P, P == 1 ? "" : "es", T, T == 1 ? "" : "s", cfg.sequences,
	       cfg.sequences == 1 ? "" : "s", cfg.sequences > 1 ? " picked " : "",
	       cfg.sequences > 1 ? pick_names[cfg.pick] : "", cfg.create ? " (" : "",
	       cfg.create ? (*cfg.create ? cfg.create : "default options") : "", cfg.create ? ")" : "");
	if (cfg.create) {
		double cs = (double)par.create_ns / 1e9;
		printf("create          %" PRIu64 " sequence%s in %.3f s (%.0f per s, %u connection%s",
		       cfg.sequences, cfg.sequences == 1 ? "" : "s", cs,
		       cs > 0 ? (double)cfg.sequences / cs : 0.0, par.create_threads_used,
		       par.create_threads_used == 1 ? "" : "s");
		if (par.create_syncs_known && par.create_syncs)
			printf(", %" PRIu64 " fdatasyncs: %.1f CREATEs per sync", par.create_syncs,
			       (double)cfg.sequences / (double)par.create_syncs);
		printf(")\n");
	}
	if (cfg.warmup)
		printf("warm-up         %.3f s (each process resolves every name and takes one value of "
		       "each)\n",
		       (double)r->warmup_ns_max / 1e9);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus > 0 && (long)(P * T) > cpus)
		printf("note            %u threads on %ld CPUs: ns/op includes time-slicing\n", P * T, cpus);
	printf("duration        %.3f s\n", (double)r->elapsed_ns / 1e9);
	printf("total ops       %" PRIu64 "\n", r->ops);
	human_rate(rate, sizeof(rate), r->ops_per_s);
	printf("ops/s           %sops/s\n", rate);
	printf("ns/op           %.2f ns per op per thread\n", r->ns_per_op);
	printf("errors          %" PRIu64 "\n", r->errors);
	printf("latency         p50 %" PRIu64 " ns, p99 %" PRIu64 " ns, p99.9 %" PRIu64 " ns, max %" PRIu64
	       " ns (%" PRIu64 " samples, 1 op in 64)\n",
	       r->p50, r->p99, r->p999, r->max_ns, r->samples);
	if (b)
		print_baseline_text("bare fetch-add", b, r);
	if (mx)
		print_baseline_text("mutex counter", mx, r);
	if (dk) {
		unsigned c = P * T;
		double best = (double)c * 1e9 / dk->mean_ns;
		printf("disk            pwrite+fdatasync: mean %.0f us, p50 %.0f us, p99 %.0f us (%" PRIu64
		       " writes)\n",
		       dk->mean_ns / 1e3, (double)dk->p50_ns / 1e3, (double)dk->p99_ns / 1e3, dk->ops);
		printf("%-15s %.3fx of %u clients / the disk's mean durable write (%.0f values/s)\n", "ratio",
		       r->ops_per_s / best, c, best);
	}
	if (di->have) {
		uint64_t syncs = di->after.syncs - di->before.syncs;
		uint64_t recs = di->after.records - di->before.records;
		printf("daemon          %" PRIu64 " fdatasyncs, %" PRIu64 " log records during the run",
		       syncs, recs);
		if (syncs)
			printf(" (%.1f values per sync)", (double)r->ops / (double)syncs);
		if (di->have_cpu)
			printf(", %.2f s of CPU", di->cpu_after_s - di->cpu_before_s);
		printf("\n");
		const struct shmseq_status *st = &di->after;
		if (st->capacity)
			printf("region          %" PRIu64 " bytes for %" PRIu64
			       " slots: %.1f bytes per sequence;"
			       " %" PRIu64 " live sequence%s\n",
			       st->region_bytes, st->capacity,
			       (double)st->region_bytes / (double)st->capacity, st->sequences,
			       st->sequences == 1 ? "" : "s");
		if (di->have_mem)
			printf("daemon memory   %" PRIu64 " kB resident: %" PRIu64 " kB private, %" PRIu64
			       " kB shared (peak %" PRIu64 " kB)\n",
			       di->rss_kb, di->rss_anon_kb, di->rss_shmem_kb, di->hwm_kb);
	}
	if (r->rss_anon_kb_max || r->rss_shmem_kb_max)
		printf("client memory   %" PRIu64 " kB private, %" PRIu64 " kB shared resident"
		       " (largest worker process; peak RSS %" PRIu64 " kB)\n",
		       r->rss_anon_kb_max, r->rss_shmem_kb_max, r->hwm_kb_max);
	if (cfg.histogram) {
		print_hist_text("shmseq", r);
		if (b)
			print_hist_text("bare fetch-add", b);
		if (mx)
			print_hist_text("mutex counter", mx);
	}
	if (vr->ran) {
		if (vr->ok)
			printf("verify: %" PRIu64 " values, all distinct, each thread %s%s\n", vr->values,
			       vr->direction < 0 ? "decreasing" : "increasing",
			       cfg.sequences > 1 ? " per sequence" : "");
		else
			printf("verify: FAILED: %" PRIu64 " values, %" PRIu64 " duplicates, %" PRIu64
			       " out-of-order steps%s\n",
			       vr->values, vr->duplicates, vr->violations,
			       vr->mixed_direction ? ", mixed directions" : "");
	}
}

/* "latency_ns":{…} with the non-empty histogram buckets as [upper bound, count]. */
static void print_latency_json(const struct phase_result *r)
{
	printf("\"latency_ns\":{\"samples\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
	       ",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 ",\"histogram\":[",
	       r->samples, r->p50, r->p99, r->p999, r->max_ns);
	bool first = true;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!r->hist[i])
			continue;
		printf("%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", hist_upper(i), r->hist[i]);
		first = false;
	}
	printf("]}");
}

static void print_baseline_json(const char *key, const struct phase_result *b, const struct phase_result *r)
{
	printf(",\"%s\":{\"duration_s\":%.6f,\"ops\":%" PRIu64 ",\"ops_per_s\":%.1f,\"ns_per_op\":%.3f,", key,
	       (double)b->elapsed_ns / 1e9, b->ops, b->ops_per_s, b->ns_per_op);
	if (b->ns_per_op > 0 && r->ns_per_op > 0)
		printf("\"ratio\":%.4f,\"throughput_ratio\":%.4f,", r->ns_per_op / b->ns_per_op,
		       r->ops_per_s / b->ops_per_s);
	print_latency_json(b);
	printf("}");
}

void print_json(const struct phase_result *r, const struct phase_result *b, const struct phase_result *mx,
		const struct disk_result *dk, const struct verify_result *vr, const struct daemon_info *di)
{
	printf("{\"mode\":\"%s\",\"processes\":%u,\"threads\":%u,\"sequences\":%" PRIu64 ",\"pick\":\"%s\",",
	       mode_names[cfg.mode], cfg.processes, cfg.threads, cfg.sequences, pick_names[cfg.pick]);
	if (cfg.mode == MODE_BATCH)
		printf("\"batch\":%" PRIu64 ",", cfg.batch);
	if (cfg.mode == MODE_LEASED)
		printf("\"lease\":%" PRIu64 ",", cfg.lease);
	printf("\"cpus\":%ld,\"sequence\":", sysconf(_SC_NPROCESSORS_ONLN));
	json_write_str(stdout, cfg.sequence);
	printf(",\"create\":");
	if (cfg.create)
		json_write_str(stdout, cfg.create);
	else
		printf("null");
	if (cfg.create) {
		printf(",\"create_s\":%.6f,\"create_threads\":%u", (double)par.create_ns / 1e9,
		       par.create_threads_used);
		if (par.create_syncs_known)
			printf(",\"create_syncs\":%" PRIu64, par.create_syncs);
	}
	printf(",\"warmup\":%s,\"warmup_s\":%.6f", cfg.warmup ? "true" : "false",
	       (double)r->warmup_ns_max / 1e9);
	printf(",\"count\":%" PRIu64 ",\"duration_s\":%.6f,\"ops\":%" PRIu64
	       ",\"ops_per_s\":%.1f,\"ns_per_op\":%.3f,\"errors\":%" PRIu64 ",",
	       cfg.count, (double)r->elapsed_ns / 1e9, r->ops, r->ops_per_s, r->ns_per_op, r->errors);
	print_latency_json(r);
	if (b) {
		print_baseline_json("bare", b, r);
		/* the cost ratio to the bare fetch-and-add, at the top level too */
		if (b->ns_per_op > 0 && r->ns_per_op > 0)
			printf(",\"ratio\":%.4f", r->ns_per_op / b->ns_per_op);
	}
	if (mx)
		print_baseline_json("mutex", mx, r);
	if (dk) {
		double best = (double)(cfg.processes * cfg.threads) * 1e9 / dk->mean_ns;
		printf(",\"disk\":{\"writes\":%" PRIu64 ",\"mean_ns\":%.0f,\"p50_ns\":%" PRIu64
		       ",\"p99_ns\":%" PRIu64 ",\"best_ops_per_s\":%.1f,\"ratio\":%.4f}",
		       dk->ops, dk->mean_ns, dk->p50_ns, dk->p99_ns, best, r->ops_per_s / best);
	}
	printf(",\"client\":{\"rss_anon_kb\":%" PRIu64 ",\"rss_shmem_kb\":%" PRIu64 ",\"hwm_kb\":%" PRIu64
	       "}",
	       r->rss_anon_kb_max, r->rss_shmem_kb_max, r->hwm_kb_max);
	if (di->have) {
		const struct shmseq_status *st = &di->after;
		printf(",\"daemon\":{\"syncs\":%" PRIu64 ",\"records\":%" PRIu64 ",\"region_bytes\":%" PRIu64
		       ",\"capacity\":%" PRIu64 ",\"live_sequences\":%" PRIu64,
		       st->syncs - di->before.syncs, st->records - di->before.records, st->region_bytes,
		       st->capacity, st->sequences);
		if (di->have_cpu)
			printf(",\"cpu_s\":%.3f", di->cpu_after_s - di->cpu_before_s);
		if (di->have_mem)
			printf(",\"rss_kb\":%" PRIu64 ",\"rss_anon_kb\":%" PRIu64 ",\"rss_shmem_kb\":%" PRIu64
			       ",\"hwm_kb\":%" PRIu64,
			       di->rss_kb, di->rss_anon_kb, di->rss_shmem_kb, di->hwm_kb);
		printf("}");
	}
	if (vr->ran)
		printf(",\"verify\":{\"ok\":%s,\"values\":%" PRIu64 ",\"duplicates\":%" PRIu64
		       ",\"violations\":%" PRIu64 "}",
		       vr->ok ? "true" : "false", vr->values, vr->duplicates, vr->violations);
	printf("}\n");
}

/* Print each thread's first error (and how many it had). */
void report_errors(void)
{
	unsigned PT = cfg.processes * cfg.threads;
	for (unsigned i = 0; i < PT; i++) {
		struct slot *s = &run.shm->slots[i];
		if (s->errors)
			fprintf(stderr,
				"shmseq-bench: thread %u (process %u): %" PRIu64 " error%s; first: %s (%d)\n",
				i, i / cfg.threads, s->errors, s->errors == 1 ? "" : "s", s->first_error_msg,
				s->first_error);
	}
}
