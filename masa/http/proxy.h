/*
 * proxy.h: forwarded identity from a trusted reverse proxy.
 *
 * From a peer listed in proxy.trusted, and only from one, masa takes the
 * client's address from X-Forwarded-For (walking right to left past the
 * entries that are themselves trusted proxies) and the registrar's TLS
 * client certificate from X-SSL-Client-Cert (nginx's
 * $ssl_client_escaped_cert: the PEM certificate, percent-encoded) or
 * Client-Cert (RFC 9440: the DER certificate as a structured-field byte
 * sequence, ":base64:"), with the certificates after it from
 * Client-Cert-Chain (RFC 9440: a list of such byte sequences, the
 * client's CA chain). Any of these from another
 * peer is refused (400, MASA_E_PROXY_HEADER) and audited. Parsing is pure
 * and bounded; only masa_proxy_audit_refusal touches the store.
 */
#ifndef MASA_PROXY_H
#define MASA_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "masa_limits.h"
#include "trust.h"

#define MASA_HDR_FORWARDED_FOR "X-Forwarded-For"
#define MASA_HDR_ESCAPED_CERT "X-SSL-Client-Cert"
#define MASA_HDR_CLIENT_CERT "Client-Cert"
#define MASA_HDR_CLIENT_CERT_CHAIN "Client-Cert-Chain"

/* The identity headers of one request, collected by the server. Values
 * are borrowed from the request; the first of each name is kept. */
struct masa_proxy_headers {
	const char *xff;
	const char *escaped_cert;
	const char *client_cert;
	const char *chain;		/* Client-Cert-Chain */
	unsigned n_xff, n_escaped_cert, n_client_cert, n_chain;
};

/* Notes one request header; names other than the four above are ignored. */
void masa_proxy_header_seen(struct masa_proxy_headers *h, const char *name, const char *value);

/* Applies h to a request whose connection comes from peer (numeric, or
 * "unix"; peer_cap bytes) and that carried a TLS client certificate when
 * has_tls_cert. Nothing forwarded: MASA_OK, nothing changed. From an
 * untrusted peer: MASA_E_PROXY_HEADER. From a trusted one: peer becomes
 * the forwarded client address, and a forwarded certificate (DER, checked
 * to be one X.509 certificate) is appended to cert, which must be empty;
 * MASA_E_FORWARDED when a header is malformed or repeated, both
 * certificate forms are present, or the connection has its own TLS client
 * certificate as well (masa never picks one of two). Outputs are written
 * only on success. */
MASA_NODISCARD enum masa_err masa_proxy_resolve(const struct masa_proxy_trust *t,
    const struct masa_proxy_headers *h, int has_tls_cert, char *peer, size_t peer_cap,
    struct masa_buf *cert);

/* After masa_proxy_resolve succeeded: the certificates of a trusted
 * proxy's Client-Cert-Chain, when it also forwarded a certificate (without
 * one the header is ignored: n = 0). Each list member must be one X.509
 * certificate as ":base64(DER):" of at most MASA_TLS_CERT_MAX bytes, at
 * most MASA_TLS_CHAIN_MAX of them, the value at most
 * MASA_FORWARDED_CERT_MAX bytes and not repeated, else MASA_E_FORWARDED.
 * Their DER are appended to der (empty on entry) back to back, their
 * lengths in len, their count in *n; der is left empty on failure. */
MASA_NODISCARD enum masa_err masa_proxy_chain(const struct masa_proxy_headers *h,
    struct masa_buf *der, size_t len[MASA_TLS_CHAIN_MAX], size_t *n);

/* The detail of the audit entry of a request refused with
 * MASA_E_PROXY_HEADER (event proxy.header_refused, source the peer): the
 * header names. Unlike other unauthenticated refusals (refusal.h), this
 * one is audited: a forged identity must be visible. Since anyone who
 * reaches a listener can send such headers, entries are limited to a burst
 * of MASA_PROXY_AUDIT_BURST and then one a second per process: 1 with
 * detail written (cap bytes) when an entry is due now, else 0; the
 * refusals in between are still answered 400 and logged, and counted in
 * the next entry's detail ("(+N not audited)"). The server writes the
 * entry before it answers. */
int masa_proxy_refusal_detail(const struct masa_proxy_headers *h, char *detail, size_t cap);

#endif
