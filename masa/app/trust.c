/* trust.c: see trust.h. */
#include "trust.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ADDR_TEXT_MAX 64	/* the longest numeric address with room to spare */

int
masa_ip_parse(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* 1 if the first bits of a and b agree. */
static int
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(a, b, full) != 0)
		return 0;
	return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
}

/* 1 if every bit of c->addr past the prefix is zero. */
static int
host_bits_zero(const struct masa_cidr *c)
{
	unsigned i;

	for (i = c->bits; i < 128; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

int
masa_cidr_parse(const char *text, struct masa_cidr *out)
{
	struct masa_cidr c;
	char host[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long bits;
	char *end;

	memset(&c, 0, sizeof c);
	if (strcmp(text, "unix") == 0) {
		c.family = AF_UNIX;
		*out = c;
		return 0;
	}
	if (hlen == 0 || hlen >= sizeof host)
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (masa_ip_parse(host, &c.family, c.addr) != 0)
		return -1;
	c.bits = c.family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return -1;
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || bits > c.bits)
			return -1;
		c.bits = (unsigned)bits;
	}
	/* 10.0.0.1/8 is a typo for a host or a network: refuse it. */
	if (!host_bits_zero(&c))
		return -1;
	*out = c;
	return 0;
}

int
masa_proxy_is_trusted(const struct masa_proxy_trust *t, const char *addr)
{
	uint8_t a[16];
	int family;
	size_t i;

	if (strcmp(addr, "unix") == 0) {
		for (i = 0; i < t->n; i++)
			if (t->nets[i].family == AF_UNIX)
				return 1;
		return 0;
	}
	if (masa_ip_parse(addr, &family, a) != 0)
		return 0;
	for (i = 0; i < t->n; i++) {
		const struct masa_cidr *c = &t->nets[i];

		if (c->family == family && prefix_eq(c->addr, a, c->bits))
			return 1;
		/* ::ffff:a.b.c.d, as a dual-stack socket reports IPv4 peers */
		if (c->family == AF_INET && family == AF_INET6 &&
		    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)a) &&
		    prefix_eq(c->addr, a + 12, c->bits))
			return 1;
	}
	return 0;
}

