/* SPDX-License-Identifier: MIT
 * notify.h — systemd's readiness notification (Type=notify), without
 * libsystemd. */
#ifndef SHMSEQD_NOTIFY_H
#define SHMSEQD_NOTIFY_H

/* Send state (e.g. "READY=1") as one datagram to $NOTIFY_SOCKET, a path or,
 * with a leading '@', a name in the abstract namespace; then unset it, so
 * that no child (the region keeper, a snapshot writer) speaks for the
 * daemon. 0 when sent, 0 also when $NOTIFY_SOCKET is not set, else -errno. */
int notify_send(const char *state);

#endif
