/* bindprobe.c: see bindprobe.h. The probe and the real bind are not
 * atomic: a port taken in between still fails, with the generic message
 * of masa_server_start. */
#include "bindprobe.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum masa_err
masa_bind_probe(const struct masa_netaddr *addr, struct masa_diag *diag)
{
	char where[MASA_HOST_MAX + 16];
	int fd, on = 1, err = 0;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return MASA_OK;	/* nothing learnt: libmicrohttpd will say */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (addr->ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) != 0)
		err = errno;
	close(fd);
	if (err == 0)
		return MASA_OK;
	snprintf(where, sizeof where, strchr(addr->host, ':') ? "[%s]:%u" : "%s:%u", addr->host,
	    addr->port);
	if (err == EADDRINUSE)
		masa_diag_set(diag, "%s is already in use (another masa serve?)", where);
	else if (err == EADDRNOTAVAIL)
		masa_diag_set(diag, "%s is not an address of this host", where);
	else if (err == EACCES)
		masa_diag_set(diag, "binding %s is not permitted (a port below 1024 needs root or "
		    "CAP_NET_BIND_SERVICE)", where);
	else
		masa_diag_set(diag, "cannot bind %s: %s", where, strerror(err));
	return MASA_E_IO;
}
