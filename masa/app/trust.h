/*
 * trust.h: proxy.trusted, the peers whose forwarded identity headers are
 * honoured (proxy.h): networks in CIDR form, or every Unix-socket peer.
 * Part of the configuration, so it lives beside config.h.
 */
#ifndef MASA_TRUST_H
#define MASA_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "masa_limits.h"

/* One proxy.trusted entry: a network, or every Unix-socket peer. */
struct masa_cidr {
	int family;		/* AF_INET, AF_INET6, or AF_UNIX for "unix" */
	uint8_t addr[16];
	unsigned bits;		/* prefix length */
};

struct masa_proxy_trust {
	struct masa_cidr nets[MASA_PROXY_TRUSTED_MAX];
	size_t n;
};

/* A numeric IPv4 or IPv6 address into (family, 16 bytes); 0, or -1. */
int masa_ip_parse(const char *s, int *family, uint8_t addr[16]);
/* Parses "192.0.2.7", "10.0.0.0/8", "::1", "fd00::/8" or "unix". Host bits
 * past the prefix must be zero. 0, or -1 (and *out untouched). */
int masa_cidr_parse(const char *text, struct masa_cidr *out);
/* 1 if addr (a numeric address, or "unix") is in one of t's entries; an
 * IPv4-mapped IPv6 address also matches IPv4 entries. */
int masa_proxy_is_trusted(const struct masa_proxy_trust *t, const char *addr);

#endif
