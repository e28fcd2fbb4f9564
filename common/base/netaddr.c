/* netaddr.c: see netaddr.h. */
#include "netaddr.h"

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

/* 1 if the resolved address is a loopback one (127/8, ::1, or 127/8
 * mapped into IPv6). */
static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct in6_addr *a6;
	const uint8_t *b;

	if (ss->ss_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		return b[0] == 127;
	}
	if (ss->ss_family != AF_INET6)
		return 0;
	a6 = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

/* "unix:/PATH": an absolute path that fits a sockaddr_un. */
static enum masa_err
parse_unix(const char *text, struct masa_netaddr *out, struct masa_diag *diag)
{
	const char *path = text + 5;
	struct sockaddr_un *un;
	size_t n = strlen(path);

	if (path[0] != '/' || n >= MASA_UNIX_PATH_MAX) {
		masa_diag_set(diag, "listen address \"%s\": a Unix socket needs an absolute path shorter than %zu bytes",
		    text, MASA_UNIX_PATH_MAX);
		return MASA_E_CONFIG;
	}
	memset(out, 0, sizeof *out);
	out->kind = MASA_LISTEN_UNIX;
	memcpy(out->host, path, n + 1);
	un = (struct sockaddr_un *)(void *)&out->ss;
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, n + 1);
	out->len = (socklen_t)sizeof *un;
	return MASA_OK;
}

enum masa_err
masa_netaddr_parse(const char *text, struct masa_netaddr *out, struct masa_diag *diag)
{
	enum masa_listen_kind kind = MASA_LISTEN_HTTPS;
	const char *full = text;
	struct masa_netaddr a;
	struct addrinfo hints, *res = NULL;
	const char *colon, *port_s;
	size_t hlen;
	char *end;
	unsigned long port;
	int gai;

	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text, out, diag);
	if (strncmp(text, "https://", 8) == 0) {
		text += 8;
	} else if (strncmp(text, "http://", 7) == 0) {
		text += 7;
		kind = MASA_LISTEN_HTTP;
	}
	memset(&a, 0, sizeof a);
	a.kind = kind;
	if (text[0] == '[') {
		colon = strchr(text, ']');
		if (colon == NULL || colon[1] != ':')
			goto bad;
		hlen = (size_t)(colon - text - 1);
		memcpy(a.host, text + 1, hlen < sizeof a.host ? hlen : 0);
		port_s = colon + 2;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL)
			goto bad;
		hlen = (size_t)(colon - text);
		memcpy(a.host, text, hlen < sizeof a.host ? hlen : 0);
		port_s = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof a.host || port_s[0] < '0' || port_s[0] > '9')
		goto bad;
	port = strtoul(port_s, &end, 10);
	if (*end != '\0' || port > 65535)
		goto bad;
	a.port = (unsigned)port;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(a.host, port_s, &hints, &res);
	if (gai != 0 || res == NULL || res->ai_addrlen > sizeof a.ss) {
		masa_diag_set(diag, "cannot resolve listen address %s: %s", full,
		    gai != 0 ? gai_strerror(gai) : "no address");
		if (res != NULL)
			freeaddrinfo(res);
		return MASA_E_CONFIG;
	}
	memcpy(&a.ss, res->ai_addr, res->ai_addrlen);
	a.len = res->ai_addrlen;
	freeaddrinfo(res);
	if (kind == MASA_LISTEN_HTTP && !is_loopback(&a.ss)) {
		masa_diag_set(diag, "listen address \"%s\": plain HTTP is allowed only on a loopback address or a Unix socket, behind a reverse proxy on this host",
		    full);
		return MASA_E_CONFIG;
	}
	*out = a;
	return MASA_OK;
bad:
	masa_diag_set(diag, "listen address \"%s\" is not HOST:PORT, http://HOST:PORT or unix:/PATH (an IPv6 host goes in brackets)",
	    full);
	return MASA_E_CONFIG;
}

void
masa_netaddr_authority(const char *host, unsigned port, char *out, size_t cap)
{
	if (strchr(host, ':') != NULL)
		snprintf(out, cap, "[%s]:%u", host, port);
	else
		snprintf(out, cap, "%s:%u", host, port);
}

void
masa_netaddr_url(const struct masa_netaddr *a, unsigned port, char *out, size_t cap)
{
	size_t n;

	if (a->kind == MASA_LISTEN_UNIX) {
		snprintf(out, cap, "unix:%s", a->host);
		return;
	}
	n = (size_t)snprintf(out, cap, "%s", a->kind == MASA_LISTEN_HTTP ? "http://" : "https://");
	if (n < cap)
		masa_netaddr_authority(a->host, port, out + n, cap - n);
}

void
masa_netaddr_peer(const struct sockaddr *sa, char *out, size_t cap)
{
	const void *src = NULL;

	if (sa != NULL && sa->sa_family == AF_UNIX) {
		snprintf(out, cap, "unix");
		return;
	}
	if (sa != NULL && sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (src == NULL || inet_ntop(sa->sa_family, src, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "?");
}

int
masa_netaddr_net(const char *peer, char *out, size_t cap)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, peer, a) == 1) {
		snprintf(out, cap, "%u.%u.%u.0/24", a[0], a[1], a[2]);
		return 0;
	}
	if (inet_pton(AF_INET6, peer, a) == 1) {
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)a)) {
			/* an IPv4 peer on a dual-stack socket: its own /24 */
			snprintf(out, cap, "%u.%u.%u.0/24", a[12], a[13], a[14]);
			return 0;
		}
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, out, (socklen_t)cap) == NULL)
			return -1;
		strncat(out, "/64", cap - strlen(out) - 1);
		return 0;
	}
	return -1;
}
