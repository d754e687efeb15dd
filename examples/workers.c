/* SPDX-License-Identifier: MIT */
/* workers.c — several processes drawing from one sequence.
 *
 * The parent creates the sequence, then forks N workers. Each worker makes
 * its own connection (a connection belongs to the process that made it),
 * takes COUNT values through a handle and writes them to a pipe. The parent
 * reads every value and checks that no two workers got the same one.
 *
 *   cc workers.c $(pkg-config --cflags --libs shmseq) -o workers
 *   ./workers [N [COUNT]]      # default 4 workers, 100000 values each
 */
#define _POSIX_C_SOURCE 200809L /* fdopen, fork, pipe under -std=c11 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmseq.h>

static int worker(int out, long count)
{
	shmseq *db;
	shmseq_seq *seq;
	int rc = shmseq_connect(NULL, &db); /* a fresh connection in the child */
	if (rc < 0) {
		fprintf(stderr, "worker %d: connect: %s\n", (int)getpid(), shmseq_strerror(rc));
		return 1;
	}
	rc = shmseq_seq_open(db, "work", &seq);
	FILE *f = fdopen(out, "w");
	for (long i = 0; rc == 0 && f && i < count; i++) {
		int64_t v;
		rc = shmseq_seq_nextval(seq, &v);
		if (rc == 0 && fwrite(&v, sizeof(v), 1, f) != 1)
			rc = -1;
	}
	if (rc < 0)
		fprintf(stderr, "worker %d: %s\n", (int)getpid(), shmseq_strerror(rc));
	if (!f || fclose(f) != 0)
		rc = -1;
	shmseq_disconnect(db);
	return rc < 0 ? 1 : 0;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 4;
	long count = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
	if (n < 1 || n > 256 || count < 1 || count > 10000000) {
		fprintf(stderr, "usage: workers [N (1-256) [COUNT (1-10000000)]]\n");
		return 2;
	}

	shmseq *db;
	shmseq_result *res;
	int rc = shmseq_connect(NULL, &db);
	if (rc < 0) {
		char why[1024];
		shmseq_connect_explain(NULL, rc, why, sizeof(why));
		fprintf(stderr, "workers: cannot connect: %s\n", why);
		return 1;
	}
	rc = shmseq_exec(db, "CREATE OR REPLACE SEQUENCE work CACHE 1000", &res);
	if (rc == 0)
		rc = shmseq_result_error(res);
	shmseq_result_free(res);
	/* the parent's connection is not used by the children: close it first */
	shmseq_disconnect(db);
	if (rc < 0) {
		fprintf(stderr, "workers: CREATE SEQUENCE: %s\n", shmseq_strerror(rc));
		return 1;
	}

	int64_t *all = malloc((size_t)(n * count) * sizeof(int64_t));
	FILE **in = calloc((size_t)n, sizeof(FILE *));
	pid_t *pids = calloc((size_t)n, sizeof(pid_t));
	if (!all || !in || !pids) {
		fprintf(stderr, "workers: out of memory\n");
		return 1;
	}
	for (long w = 0; w < n; w++) {
		int p[2];
		if (pipe(p) < 0) {
			perror("workers: pipe");
			return 1;
		}
		pids[w] = fork();
		if (pids[w] < 0) {
			perror("workers: fork");
			return 1;
		}
		if (pids[w] == 0) {
			close(p[0]);
			for (long k = 0; k < w; k++)
				fclose(in[k]); /* the siblings' pipes */
			_exit(worker(p[1], count));
		}
		close(p[1]);
		in[w] = fdopen(p[0], "r");
	}

	/* Read the workers one after the other: each pipe is drained whole. */
	int failed = 0;
	size_t got = 0;
	for (long w = 0; w < n; w++) {
		size_t k = fread(all + got, sizeof(int64_t), (size_t)count, in[w]);
		fclose(in[w]);
		int st;
		if (waitpid(pids[w], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
		    k != (size_t)count) {
			fprintf(stderr, "workers: worker %ld failed (%zu of %ld values)\n", w, k, count);
			failed = 1;
		}
		got += k;
	}
	qsort(all, got, sizeof(int64_t), cmp);
	size_t dups = 0;
	for (size_t i = 1; i < got; i++)
		if (all[i] == all[i - 1]) {
			if (!dups)
				fprintf(stderr, "workers: %" PRId64 " was handed out twice\n", all[i]);
			dups++;
		}
	printf("%ld workers drew %zu values, %zu duplicates, from %" PRId64 " to %" PRId64 "\n", n, got, dups,
	       got ? all[0] : 0, got ? all[got - 1] : 0);
	free(all);
	free(in);
	free(pids);
	return failed || dups ? 1 : 0;
}
