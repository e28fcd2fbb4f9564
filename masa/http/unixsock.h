/*
 * unixsock.h: a listening Unix socket for libmicrohttpd, which cannot bind
 * one itself (it takes the socket as MHD_OPTION_LISTEN_SOCKET). The socket
 * file is mode 0660, so that only the owner and its group (the reverse
 * proxy's user goes in that group) can connect.
 */
#ifndef MASA_UNIXSOCK_H
#define MASA_UNIXSOCK_H

#include <sys/types.h>

#include "attr.h"
#include "diag.h"
#include "err.h"
#include "netaddr.h"

struct masa_unix_sock {
	int fd;			/* -1 when none */
	char path[MASA_UNIX_PATH_MAX];
	dev_t dev;		/* the socket file as created, so that only it is removed */
	ino_t ino;
};

/* Binds and listens on addr (a MASA_LISTEN_UNIX address). A socket file
 * left by a process that is gone (nothing accepts on it) is replaced;
 * anything else at the path, or a live socket, is an error naming it. */
MASA_NODISCARD enum masa_err masa_unix_listen(const struct masa_netaddr *addr,
    struct masa_unix_sock *out, struct masa_diag *diag);
/* Removes the socket file if it is still the one created (the descriptor
 * belongs to whoever took it: libmicrohttpd closes it). */
void masa_unix_unlink(const struct masa_unix_sock *s);

#endif
