/* SPDX-License-Identifier: MIT
 * notify.c — see notify.h. The protocol (sd_notify(3)): newline-separated
 * VARIABLE=VALUE lines in one AF_UNIX datagram to the socket the service
 * manager names in $NOTIFY_SOCKET. */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path || !*path)
		return 0;
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		unsetenv("NOTIFY_SOCKET");
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: the length says where the name ends */
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%s\nMAINPID=%d", state, (int)getpid());
	int r = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = -errno;
	else {
		if (n < 0 || (size_t)n >= sizeof(msg) ||
		    sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) != n)
			r = n < 0 || (size_t)n >= sizeof(msg) ? -EMSGSIZE : -errno;
		close(fd);
	}
	unsetenv("NOTIFY_SOCKET");
	return r;
}
