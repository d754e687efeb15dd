/* SPDX-License-Identifier: MIT */
/* tmpdir.h — a private temporary directory, and its removal. */
#ifndef SHMSEQ_TMPDIR_H
#define SHMSEQ_TMPDIR_H

#include <stddef.h>

/* Make <base>/<prefix>XXXXXX (mode 0700) in buf. base NULL: $TMPDIR, or
 * /tmp when that is unset or empty. Returns 0, or -errno with buf[0] = 0. */
int tmpdir_make(char *buf, size_t size, const char *base, const char *prefix);

/* Remove path and everything below it, not following symbolic links.
 * Returns 0, or -errno of the first entry that could not be removed. An
 * empty path is ignored. */
int tmpdir_remove(const char *path);

#endif
