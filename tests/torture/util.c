/* SPDX-License-Identifier: MIT */
/* util.c — clocks, random numbers, violations and the errors clients
 * tolerate. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torture.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Count a violation; print the first few of each kind (any process). */
__attribute__((format(printf, 2, 3))) void violation(enum viol v, const char *fmt, ...)
{
	atomic_fetch_add(&run.sh->viol[v], 1);
	if (atomic_fetch_add(&run.sh->printed[v], 1) >= PRINT_MAX)
		return;
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "VIOLATION (%s): ", viol_names[v]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	if (len < sizeof(buf) - 1)
		buf[len++] = '\n';
	(void)!write(2, buf, len);
	/* and beside the daemon's log in the kept dir, for the post-mortem */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/violations.log", run.dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)!write(fd, buf, len);
		close(fd);
	}
}

static bool conn_error(int r)
{
	switch (-r) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ENOENT:
	case ENOTCONN:
	case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

/* Errors any client tolerates; -1 if r is not one of them. */
int tolerated(int r)
{
	if (conn_error(r))
		return T_CONN;
	if (r == -EAGAIN || r == -EWOULDBLOCK || r == -EINTR)
		return T_AGAIN;
	if (r == -EIO)
		return T_EIO;
	return -1;
}
