/* netaddr.h: "HOST:PORT" listen addresses ("127.0.0.1:8443", "[::1]:0",
 * "localhost:8443") to socket addresses, and peer addresses to text. */
#ifndef MASA_NETADDR_H
#define MASA_NETADDR_H

#include <sys/socket.h>

#include "attr.h"
#include "diag.h"
#include "err.h"

#define MASA_HOST_MAX 256

struct masa_netaddr {
	struct sockaddr_storage ss;
	socklen_t len;
	char host[MASA_HOST_MAX];	/* as written, without IPv6 brackets */
	unsigned port;
};

/* Parses and resolves text; MASA_E_CONFIG with a sentence in diag. */
MASA_NODISCARD enum masa_err masa_netaddr_parse(const char *text, struct masa_netaddr *out,
    struct masa_diag *diag);
/* Formats host and port as a URL authority ("h:p" or "[v6]:p"). */
void masa_netaddr_authority(const char *host, unsigned port, char *out, size_t cap);
/* The numeric address of sa (no port) into out; "?" if unknown. */
void masa_netaddr_peer(const struct sockaddr *sa, char *out, size_t cap);

/* The network of a numeric peer address, as text: "a.b.c.0/24" for IPv4,
 * the first 64 bits and "::/64" for IPv6. Returns 0, or -1 if peer is not
 * a numeric address. */
int masa_netaddr_net(const char *peer, char *out, size_t cap);

#endif
