/* netaddr.c: see netaddr.h. */
#include "netaddr.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

enum masa_err
masa_netaddr_parse(const char *text, struct masa_netaddr *out, struct masa_diag *diag)
{
	struct masa_netaddr a;
	struct addrinfo hints, *res = NULL;
	const char *colon, *port_s;
	size_t hlen;
	char *end;
	unsigned long port;
	int gai;

	memset(&a, 0, sizeof a);
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
		masa_diag_set(diag, "cannot resolve listen address %s: %s", text,
		    gai != 0 ? gai_strerror(gai) : "no address");
		if (res != NULL)
			freeaddrinfo(res);
		return MASA_E_CONFIG;
	}
	memcpy(&a.ss, res->ai_addr, res->ai_addrlen);
	a.len = res->ai_addrlen;
	freeaddrinfo(res);
	*out = a;
	return MASA_OK;
bad:
	masa_diag_set(diag, "listen address \"%s\" is not HOST:PORT (an IPv6 host goes in brackets)", text);
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
masa_netaddr_peer(const struct sockaddr *sa, char *out, size_t cap)
{
	const void *src = NULL;

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
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, out, (socklen_t)cap) == NULL)
			return -1;
		strncat(out, "/64", cap - strlen(out) - 1);
		return 0;
	}
	return -1;
}
