/* netaddr.h: listen addresses to socket addresses, and peer addresses to
 * text. A listen address is "HOST:PORT" or "https://HOST:PORT" (HTTPS:
 * "127.0.0.1:8443", "[::1]:0", "localhost:8443"), "http://HOST:PORT"
 * (plain HTTP, loopback only) or "unix:/PATH" (plain HTTP on a Unix
 * socket); the plain forms are for a reverse proxy on the same host. */
#ifndef MASA_NETADDR_H
#define MASA_NETADDR_H

#include <sys/socket.h>
#include <sys/un.h>

#include "attr.h"
#include "diag.h"
#include "err.h"

#define MASA_HOST_MAX 256
#define MASA_UNIX_PATH_MAX (sizeof ((struct sockaddr_un *)0)->sun_path)

enum masa_listen_kind {
	MASA_LISTEN_HTTPS = 0,
	MASA_LISTEN_HTTP = 1,		/* plain, on a loopback address */
	MASA_LISTEN_UNIX = 2,		/* plain, on a Unix socket (ss is its sockaddr_un) */
};

struct masa_netaddr {
	struct sockaddr_storage ss;
	socklen_t len;
	enum masa_listen_kind kind;
	char host[MASA_HOST_MAX];	/* as written, without IPv6 brackets; the path for UNIX */
	unsigned port;
};

/* Parses and resolves text; MASA_E_CONFIG with a sentence in diag. Plain
 * HTTP on an address that is not loopback is refused. */
MASA_NODISCARD enum masa_err masa_netaddr_parse(const char *text, struct masa_netaddr *out,
    struct masa_diag *diag);
/* Formats host and port as a URL authority ("h:p" or "[v6]:p"). */
void masa_netaddr_authority(const char *host, unsigned port, char *out, size_t cap);
/* The listener's URL: "https://h:p", "http://h:p" or "unix:/path". */
void masa_netaddr_url(const struct masa_netaddr *a, unsigned port, char *out, size_t cap);
/* The numeric address of sa (no port) into out; "unix" for a Unix-socket
 * peer; "?" if unknown. */
void masa_netaddr_peer(const struct sockaddr *sa, char *out, size_t cap);

/* The network of a numeric peer address, as text: "a.b.c.0/24" for IPv4,
 * the first 64 bits and "::/64" for IPv6 (an IPv4-mapped IPv6 address counts
 * as its IPv4 address). Returns 0, or -1 if peer is not
 * a numeric address. */
int masa_netaddr_net(const char *peer, char *out, size_t cap);

#endif
