/*
 * fuzz_proxy.c: libFuzzer target for the forwarded identity headers
 * (X-Forwarded-For, X-SSL-Client-Cert, Client-Cert, Client-Cert-Chain), and
 * the chain read after a resolve that succeeded.
 * The first byte picks the peer (bits 0-1: "unix", "10.1.2.3", "fd00::7",
 * "192.0.2.9", the last untrusted) and whether the connection has its own
 * TLS client certificate (bit 2); the rest is header lines "Name: value",
 * NUL-terminated as libmicrohttpd gives them. Trusted: "unix",
 * 10.0.0.0/8, fd00::/16.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masa_limits.h"
#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEER_CAP 64
#define MAX_LINES 16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const peers[] = { "unix", "10.1.2.3", "fd00::7", "192.0.2.9" };
	static const char *const nets[] = { "unix", "10.0.0.0/8", "fd00::/16" };
	struct masa_proxy_trust t;
	struct masa_proxy_headers h;
	struct masa_buf cert;
	char peer[PEER_CAP], *text, *line, *next, *colon, *value;
	size_t i, nlines = 0;
	enum masa_err rc;

	if (size < 1)
		return 0;
	memset(&t, 0, sizeof t);
	for (i = 0; i < sizeof nets / sizeof nets[0]; i++)
		if (masa_cidr_parse(nets[i], &t.nets[t.n++]) != 0)
			abort();
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memset(&h, 0, sizeof h);
	for (line = text; line != NULL && nlines < MAX_LINES; line = next, nlines++) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		for (value = colon + 1; *value == ' '; value++)
			;
		masa_proxy_header_seen(&h, line, value);
	}
	snprintf(peer, sizeof peer, "%s", peers[data[0] & 3]);
	masa_buf_init(&cert, MASA_TLS_CERT_MAX);
	rc = masa_proxy_resolve(&t, &h, (data[0] >> 2) & 1, peer, sizeof peer, &cert);
	if (rc != MASA_OK && cert.len != 0)
		abort();	/* outputs only on success */
	if ((data[0] & 3) == 3 && h.n_xff + h.n_escaped_cert + h.n_client_cert + h.n_chain > 0 &&
	    rc != MASA_E_PROXY_HEADER)
		abort();	/* an untrusted peer's forwarded headers are always refused */
	if (rc == MASA_OK && memchr(peer, '\0', sizeof peer) == NULL)
		abort();
	if (rc == MASA_OK) {	/* the chain, as the server reads it after resolve */
		struct masa_buf chain;
		size_t len[MASA_TLS_CHAIN_MAX], n = 0, k, sum = 0;

		masa_buf_init(&chain, MASA_TLS_CERT_MAX * MASA_TLS_CHAIN_MAX);
		rc = masa_proxy_chain(&h, &chain, len, &n);
		for (k = 0; k < n; k++)
			sum += len[k];
		if (n > MASA_TLS_CHAIN_MAX || sum != chain.len || (rc != MASA_OK && chain.len != 0))
			abort();	/* lengths add up; nothing written on failure */
		masa_buf_free(&chain);
	}
	if (rc == MASA_E_PROXY_HEADER) {
		char detail[256];

		(void)masa_proxy_refusal_detail(&h, detail, sizeof detail);
	}
	masa_buf_free(&cert);
	free(text);
	return 0;
}
