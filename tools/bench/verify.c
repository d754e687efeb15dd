/* SPDX-License-Identifier: MIT */
/* verify.c — --verify: every value each thread drew, in order, none twice. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_HAVE_TSC 1
#endif

/* ---- verify ---- */

struct rec {
	int64_t v;
	uint32_t seq;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (x->v > y->v) - (x->v < y->v);
}

static bool read_file(const char *path, void *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool ok = fread(buf, 1, size, f) == size;
	fclose(f);
	return ok;
}

/* Reads the slots of the shmseq phase (run.shm still mapped). */
void verify(struct verify_result *vr)
{
	unsigned PT = cfg.processes * cfg.threads;
	uint64_t total = 0;
	int dir = 0;
	memset(vr, 0, sizeof(*vr));
	vr->ran = true;
	vr->ok = true;
	for (unsigned i = 0; i < PT; i++) {
		struct slot *s = &run.shm->slots[i];
		if (s->write_error) {
			fprintf(stderr, "verify: thread %u could not keep its values: %s\n", i,
				strerror(s->write_error));
			vr->ok = false;
		}
		if (s->violations) {
			fprintf(stderr,
				"verify: thread %u: %" PRIu64 " out-of-order steps; first on %s: %" PRId64
				" then %" PRId64 "\n",
				i, s->violations, seq_name(s->viol_seq), s->viol_prev, s->viol_cur);
			vr->violations += s->violations;
			vr->ok = false;
		}
		if (s->direction) {
			if (dir && dir != s->direction)
				vr->mixed_direction = true;
			dir = s->direction;
		}
		total += s->recorded;
	}
	if (vr->mixed_direction) {
		fprintf(stderr, "verify: threads saw values move in different directions\n");
		vr->ok = false;
	}
	vr->values = total;
	vr->direction = dir;
	bool multi = cfg.sequences > 1;
	void *all = malloc(total ? total * (multi ? sizeof(struct rec) : sizeof(int64_t)) : 1);
	int64_t *tmpv = NULL;
	uint32_t *tmps = NULL;
	if (!all) {
		fprintf(stderr, "verify: no memory for %" PRIu64 " values\n", total);
		vr->ok = false;
		return;
	}
	uint64_t at = 0;
	char path[PATH_MAX + 32];
	for (unsigned i = 0; i < PT; i++) {
		uint64_t n = run.shm->slots[i].recorded;
		if (!n)
			continue;
		snprintf(path, sizeof(path), "%s/v%u", par.tmpdir, i);
		if (!multi) {
			if (!read_file(path, (int64_t *)all + at, n * sizeof(int64_t)))
				goto unreadable;
		} else {
			tmpv = realloc(tmpv, n * sizeof(*tmpv));
			tmps = realloc(tmps, n * sizeof(*tmps));
			if (!tmpv || !tmps || !read_file(path, tmpv, n * sizeof(*tmpv)))
				goto unreadable;
			snprintf(path, sizeof(path), "%s/s%u", par.tmpdir, i);
			if (!read_file(path, tmps, n * sizeof(*tmps)))
				goto unreadable;
			struct rec *rs = (struct rec *)all + at;
			for (uint64_t j = 0; j < n; j++)
				rs[j] = (struct rec){tmpv[j], tmps[j]};
		}
		snprintf(path, sizeof(path), "%s/v%u", par.tmpdir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/s%u", par.tmpdir, i);
		unlink(path);
		at += n;
	}
	free(tmpv);
	free(tmps);
	if (!multi) {
		int64_t *a = all;
		qsort(a, total, sizeof(*a), cmp_i64);
		for (uint64_t j = 1; j < total; j++)
			if (a[j] == a[j - 1] && vr->duplicates++ < 5)
				fprintf(stderr, "verify: value %" PRId64 " handed out more than once\n",
					a[j]);
	} else {
		struct rec *a = all;
		qsort(a, total, sizeof(*a), cmp_rec);
		for (uint64_t j = 1; j < total; j++)
			if (a[j].v == a[j - 1].v && a[j].seq == a[j - 1].seq && vr->duplicates++ < 5)
				fprintf(stderr, "verify: %s: value %" PRId64 " handed out more than once\n",
					seq_name(a[j].seq), a[j].v);
	}
	if (vr->duplicates) {
		fprintf(stderr, "verify: %" PRIu64 " duplicate values\n", vr->duplicates);
		vr->ok = false;
	}
	free(all);
	return;
unreadable:
	fprintf(stderr, "verify: cannot read %s: %s\n", path, strerror(errno));
	free(tmpv);
	free(tmps);
	free(all);
	vr->ok = false;
}
