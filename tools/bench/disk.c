/* SPDX-License-Identifier: MIT */
/* disk.c — the disk's own durable-write latency, the baseline of durable
 * (NOCACHE) runs: one thread appends a 64-byte record to a preallocated file
 * with pwrite and makes it durable with fdatasync, as the daemon's log does,
 * in the directory the daemon's log lives in (--self-daemon) or --disk-dir,
 * before and after the timed phase (a busy disk's latency drifts: the two
 * halves bracket the run), pooled.
 * With C clients each waiting for its own durable value, no group commit can
 * beat C values per durable write: C / mean latency is the reference the
 * run's values per second are compared with. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define DISK_FILE_BYTES (4u << 20)
#define DISK_MAX_OPS 20000u /* per half */

static uint64_t *lat;
static size_t nlat;
static double total_ns;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int disk_baseline(const char *dir, double seconds)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/shmseq-bench-disk.XXXXXX", dir) >= (int)sizeof(path)) {
		fprintf(stderr, "shmseq-bench: --disk-dir: the path is too long\n");
		return -1;
	}
	int fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "shmseq-bench: the disk baseline's file in %s: %s\n", dir, strerror(errno));
		return -1;
	}
	unlink(path);
	int e = posix_fallocate(fd, 0, DISK_FILE_BYTES);
	if (e == 0 && fdatasync(fd) < 0)
		e = errno;
	uint64_t *grown = e ? NULL : realloc(lat, (nlat + DISK_MAX_OPS) * sizeof(*lat));
	if (grown)
		lat = grown;
	if (!grown) {
		fprintf(stderr, "shmseq-bench: the disk baseline's file in %s: %s\n", dir,
			strerror(e ? e : ENOMEM));
		close(fd);
		return -1;
	}
	char rec[64];
	memset(rec, 0xa5, sizeof(rec));
	uint64_t t0 = mono_ns(), end = t0 + (uint64_t)(seconds * 1e9);
	size_t n = 0;
	while (n < DISK_MAX_OPS && (n < 10 || mono_ns() < end)) {
		uint64_t a = mono_ns();
		off_t off = (off_t)((n * sizeof(rec)) % DISK_FILE_BYTES);
		if (pwrite(fd, rec, sizeof(rec), off) != (ssize_t)sizeof(rec) || fdatasync(fd) < 0) {
			fprintf(stderr, "shmseq-bench: the disk baseline's write in %s: %s\n", dir,
				strerror(errno));
			close(fd);
			return -1;
		}
		lat[nlat + n] = mono_ns() - a;
		total_ns += (double)lat[nlat + n];
		n++;
	}
	nlat += n;
	close(fd);
	return 0;
}

void disk_result(struct disk_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!nlat)
		return;
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	out->ops = nlat;
	out->mean_ns = total_ns / (double)nlat;
	out->p50_ns = lat[nlat / 2];
	out->p99_ns = lat[nlat * 99 / 100];
	free(lat);
	lat = NULL;
	nlat = 0;
}
