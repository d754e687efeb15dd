/* SPDX-License-Identifier: MIT */
/* model.c — the sequence kinds and eras: each sequence's definition in each
 * era, a pure function of (seed, k, e) that every process computes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torture.h"

const char *const kind_names[NKINDS] = {
	"asc", "asc_nocache", "desc", "asc_bigcache", "asc_cycle", "desc_cycle", "desc_nocache", "asc_biginc",
};

uint64_t mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* The definition of sequence k in era e: a pure function of (seed, k, e). */
void era_def(unsigned k, uint32_t e, struct era_def *d)
{
	uint64_t h = mix64(run.seed ^ mix64(((uint64_t)k << 32) | e));
	int64_t lo = ((int64_t)k << SEQ_SHIFT) + ((int64_t)e << ERA_SHIFT);
	int64_t hi = lo + (INT64_C(1) << ERA_SHIFT) - 1;
	int64_t mag = 1, span = 0;
	bool desc = false;
	static const int64_t asc_cache[] = {2, 10, 100, 1000};
	static const int64_t desc_cache[] = {5, 50, 500};
	static const int64_t big_cache[] = {10000, 100000, 1000000};
	static const int64_t cyc_cache[] = {0, 1, 10, 100};
	static const int64_t big_inc[] = {7, 100, 1000};
	static const int64_t biginc_cache[] = {3, 30, 100};
	memset(d, 0, sizeof(*d));
	switch (kind_of(k)) {
	case K_ASC:
		mag = 1 + (int64_t)(h % 3);
		d->cache = asc_cache[(h >> 8) % 4];
		break;
	case K_ASC_NOCACHE:
		mag = 1 + (int64_t)(h % 2);
		d->cache = (h >> 8) & 1;
		break;
	case K_DESC:
		desc = true;
		mag = 1 + (int64_t)(h % 3);
		d->cache = desc_cache[(h >> 8) % 3];
		break;
	case K_ASC_BIGCACHE:
		mag = 1 + (int64_t)(h % 4);
		d->cache = big_cache[(h >> 8) % 3];
		break;
	case K_ASC_CYCLE:
	case K_DESC_CYCLE:
		desc = kind_of(k) == K_DESC_CYCLE;
		mag = 1 + (int64_t)(h % 3);
		d->cache = cyc_cache[(h >> 8) % 4];
		d->cycle = true;
		span = 2000 + (int64_t)((h >> 16) % 20000);
		break;
	case K_DESC_NOCACHE:
		desc = true;
		d->cache = (h >> 8) & 1;
		break;
	case K_ASC_BIGINC:
		mag = big_inc[h % 3];
		d->cache = biginc_cache[(h >> 8) % 3];
		break;
	case NKINDS:
		break;
	}
	if (!desc) {
		d->inc = mag;
		d->min = d->start = lo;
		d->max = span ? lo + span * mag - 1 : hi;
	} else {
		d->inc = -mag;
		d->max = d->start = hi;
		d->min = span ? hi - span * mag + 1 : lo;
	}
}

/* README "What a crash costs": the largest reserve-ahead of a sequence. */
uint64_t reserve_bound(int64_t cache)
{
	if (cache <= 1)
		return 1;
	uint64_t c = (uint64_t)cache, max = c * 1024u;
	if (max > AHEAD_CAP)
		max = c > AHEAD_CAP ? c : AHEAD_CAP;
	return max;
}
