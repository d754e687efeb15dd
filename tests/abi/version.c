/* SPDX-License-Identifier: MIT
 * version.c — prints the header's version macros and the library's
 * shmseq_version(), for tests/abi/check_version.sh. */
#include <stdio.h>
#include <string.h>

#include "shmseq.h"

#if SHMSEQ_VERSION_NUMBER != SHMSEQ_VERSION_MAJOR * 10000 + SHMSEQ_VERSION_MINOR * 100 + SHMSEQ_VERSION_PATCH
#error "SHMSEQ_VERSION_NUMBER disagrees with its parts"
#endif

int main(void)
{
	char parts[64];
	snprintf(parts, sizeof(parts), "%d.%d.%d", SHMSEQ_VERSION_MAJOR, SHMSEQ_VERSION_MINOR,
		 SHMSEQ_VERSION_PATCH);
	if (strcmp(parts, SHMSEQ_VERSION_STRING)) {
		fprintf(stderr, "SHMSEQ_VERSION_STRING %s, but the parts say %s\n", SHMSEQ_VERSION_STRING,
			parts);
		return 1;
	}
	printf("header %s\nlibrary %s\n", SHMSEQ_VERSION_STRING, shmseq_version());
	return 0;
}
