/* SPDX-License-Identifier: MIT */
/* tmpdir.c — see tmpdir.h. */
#include "tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

int tmpdir_make(char *buf, size_t size, const char *base, const char *prefix)
{
	if (!base) {
		base = getenv("TMPDIR");
		if (!base || !*base)
			base = "/tmp";
	}
	int n = snprintf(buf, size, "%s/%sXXXXXX", base, prefix);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(buf)) {
		int e = errno;
		buf[0] = '\0';
		return -e;
	}
	return 0;
}

static int first_error;

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (remove(path) < 0 && !first_error)
		first_error = -errno;
	return 0;
}

int tmpdir_remove(const char *path)
{
	if (!path || !path[0])
		return 0;
	first_error = 0;
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return -errno;
	return first_error;
}
