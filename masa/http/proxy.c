/* proxy.c: see proxy.h. */
#include "proxy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/x509.h>

#include "crypto/x509.h"
#include "encode.h"
#include "errors.h"
#include "masa_limits.h"
#include "log.h"
#include "timeutil.h"

#define ADDR_TEXT_MAX 64	/* the longest numeric address with room to spare */

void
masa_proxy_header_seen(struct masa_proxy_headers *h, const char *name, const char *value)
{
	if (name == NULL)
		return;
	if (value == NULL)
		value = "";
	if (strcasecmp(name, MASA_HDR_FORWARDED_FOR) == 0) {
		if (h->n_xff++ == 0)
			h->xff = value;
	} else if (strcasecmp(name, MASA_HDR_ESCAPED_CERT) == 0) {
		if (h->n_escaped_cert++ == 0)
			h->escaped_cert = value;
	} else if (strcasecmp(name, MASA_HDR_CLIENT_CERT) == 0) {
		if (h->n_client_cert++ == 0)
			h->client_cert = value;
	} else if (strcasecmp(name, MASA_HDR_CLIENT_CERT_CHAIN) == 0) {
		if (h->n_chain++ == 0)
			h->chain = value;
	}
}

/* The client address of X-Forwarded-For "a, b, c": from the right, the
 * first entry that is not a trusted proxy (the left-most if all are).
 * Entries left of it are the client's own claims and are not read. Every
 * entry read must be a numeric address; out gets it in canonical form. */
static enum masa_err
forwarded_for(const struct masa_proxy_trust *t, const char *xff, char *out, size_t cap)
{
	char entry[ADDR_TEXT_MAX];
	uint8_t a[16];
	size_t end = strlen(xff), start, b, e;
	int family;

	if (end == 0 || end > MASA_FORWARDED_FOR_MAX)
		return MASA_E_FORWARDED;
	for (;;) {
		start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		for (b = start; b < end && (xff[b] == ' ' || xff[b] == '\t'); b++)
			;
		for (e = end; e > b && (xff[e - 1] == ' ' || xff[e - 1] == '\t'); e--)
			;
		if (e == b || e - b >= sizeof entry)
			return MASA_E_FORWARDED;
		memcpy(entry, xff + b, e - b);
		entry[e - b] = '\0';
		if (masa_ip_parse(entry, &family, a) != 0 || inet_ntop(family, a, entry, sizeof entry) == NULL)
			return MASA_E_FORWARDED;
		if (start == 0 || !masa_proxy_is_trusted(t, entry))
			break;
		end = start - 1;	/* the comma */
	}
	if (strlen(entry) >= cap)
		return MASA_E_FORWARDED;
	memcpy(out, entry, strlen(entry) + 1);
	return MASA_OK;
}

/* nginx's $ssl_client_escaped_cert: a PEM certificate, percent-encoded.
 * Strictly: %XX escapes or visible ASCII; one CERTIFICATE block, nothing
 * before it and only line breaks after it. The DER goes to der. */
static enum masa_err
escaped_pem_der(const char *v, struct masa_buf *der)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
	size_t n = strlen(v), o = 0, i, len = 0;
	char hex[3] = { 0 };
	uint8_t byte, *bin = NULL;
	char *pem = NULL;
	enum masa_err rc = MASA_E_FORWARDED;

	pem = malloc(n + 1);
	bin = malloc(MASA_TLS_CERT_MAX);
	if (pem == NULL || bin == NULL) {
		rc = MASA_E_NOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (v[i] == '%') {
			if (i + 2 >= n)
				goto done;
			memcpy(hex, v + i + 1, 2);
			if (masa_unhex(hex, &byte, 1) != 0)
				goto done;
			pem[o++] = (char)byte;
			i += 2;
		} else if (v[i] > 0x20 && v[i] < 0x7f) {
			pem[o++] = v[i];
		} else {
			goto done;
		}
	}
	while (o > 0 && (pem[o - 1] == '\n' || pem[o - 1] == '\r'))
		o--;
	if (o < sizeof begin + sizeof end || memcmp(pem, begin, sizeof begin - 1) != 0 ||
	    memcmp(pem + o - (sizeof end - 1), end, sizeof end - 1) != 0)
		goto done;
	if (masa_unb64(pem + sizeof begin - 1, o - (sizeof begin - 1) - (sizeof end - 1), 1, bin,
	    MASA_TLS_CERT_MAX, &len) != 0 || len == 0)
		goto done;
	rc = masa_buf_append(der, bin, len) == MASA_OK ? MASA_OK : MASA_E_FORWARDED;
done:
	free(pem);
	free(bin);
	return rc;
}

/* RFC 9440 Client-Cert: ":" base64(DER) ":" (an RFC 8941 byte sequence),
 * the n bytes at v; the DER is appended to der. */
static enum masa_err
sf_binary_der(const char *v, size_t n, struct masa_buf *der)
{
	size_t len = 0;
	uint8_t *bin;
	enum masa_err rc = MASA_E_FORWARDED;

	if (n < 3 || v[0] != ':' || v[n - 1] != ':')
		return MASA_E_FORWARDED;
	bin = malloc(MASA_TLS_CERT_MAX);
	if (bin == NULL)
		return MASA_E_NOMEM;
	if (masa_unb64(v + 1, n - 2, 0, bin, MASA_TLS_CERT_MAX, &len) == 0 && len > 0 &&
	    masa_buf_append(der, bin, len) == MASA_OK)
		rc = MASA_OK;
	free(bin);
	return rc;
}

/* MASA_OK if the len bytes at p are one X.509 certificate. */
static enum masa_err
one_cert(const uint8_t *p, size_t len)
{
	X509 *x = NULL;
	enum masa_err rc = masa_x509_parse((struct masa_bytes){ p, len }, &x);

	X509_free(x);
	return rc == MASA_OK ? MASA_OK : MASA_E_FORWARDED;
}

/* The forwarded certificate, if either header carries one (one at most),
 * as checked DER in der. */
static enum masa_err
forwarded_cert(const struct masa_proxy_headers *h, struct masa_buf *der)
{
	int escaped = h->escaped_cert != NULL && h->escaped_cert[0] != '\0';
	int sf = h->client_cert != NULL && h->client_cert[0] != '\0';
	enum masa_err rc;

	if (!escaped && !sf)
		return MASA_OK;
	if (escaped && sf)
		return MASA_E_FORWARDED;
	if ((escaped ? strlen(h->escaped_cert) : strlen(h->client_cert)) > MASA_FORWARDED_CERT_MAX)
		return MASA_E_FORWARDED;
	rc = escaped ? escaped_pem_der(h->escaped_cert, der) :
	    sf_binary_der(h->client_cert, strlen(h->client_cert), der);
	if (rc == MASA_OK)
		rc = one_cert(der->ptr, der->len);
	return rc;
}

/* The list members of Client-Cert-Chain value v (RFC 8941: members
 * separated by "," with optional spaces or tabs around it), each checked
 * and appended to der; see masa_proxy_chain. */
static enum masa_err
chain_members(const char *v, struct masa_buf *der, size_t len[MASA_TLS_CHAIN_MAX], size_t *n)
{
	const char *end;
	size_t k = 0, before;
	enum masa_err rc = MASA_OK;

	v += strspn(v, " \t");
	while (rc == MASA_OK && *v != '\0') {
		if (k == MASA_TLS_CHAIN_MAX || *v != ':' || (end = strchr(v + 1, ':')) == NULL)
			return MASA_E_FORWARDED;
		before = der->len;
		rc = sf_binary_der(v, (size_t)(end - v) + 1, der);
		if (rc == MASA_OK)
			rc = one_cert(der->ptr + before, der->len - before);
		if (rc != MASA_OK)
			return rc;
		len[k++] = der->len - before;
		v = end + 1 + strspn(end + 1, " \t");
		if (*v == ',') {
			v += 1 + strspn(v + 1, " \t");
			if (*v == '\0')	/* a trailing comma */
				rc = MASA_E_FORWARDED;
		} else if (*v != '\0') {
			rc = MASA_E_FORWARDED;
		}
	}
	*n = k;
	return rc;
}

enum masa_err
masa_proxy_chain(const struct masa_proxy_headers *h, struct masa_buf *der,
    size_t len[MASA_TLS_CHAIN_MAX], size_t *n)
{
	size_t k = 0;
	enum masa_err rc;

	*n = 0;
	if (h->n_chain == 0 || ((h->escaped_cert == NULL || h->escaped_cert[0] == '\0') &&
	    (h->client_cert == NULL || h->client_cert[0] == '\0')))
		return MASA_OK;
	if (h->n_chain > 1 || der->len != 0 || strlen(h->chain) > MASA_FORWARDED_CERT_MAX)
		return MASA_E_FORWARDED;
	rc = chain_members(h->chain, der, len, &k);
	if (rc != MASA_OK) {
		der->len = 0;
		return rc;
	}
	*n = k;
	return MASA_OK;
}

enum masa_err
masa_proxy_resolve(const struct masa_proxy_trust *t, const struct masa_proxy_headers *h,
    int has_tls_cert, char *peer, size_t peer_cap, struct masa_buf *cert)
{
	char client[ADDR_TEXT_MAX];
	struct masa_buf der;
	enum masa_err rc = MASA_OK;

	if (h->n_xff + h->n_escaped_cert + h->n_client_cert + h->n_chain == 0)
		return MASA_OK;
	if (!masa_proxy_is_trusted(t, peer))
		return MASA_E_PROXY_HEADER;
	if (h->n_xff > 1 || h->n_escaped_cert > 1 || h->n_client_cert > 1 || cert->len != 0)
		return MASA_E_FORWARDED;
	snprintf(client, sizeof client, "%s", peer);
	if (h->xff != NULL)
		rc = forwarded_for(t, h->xff, client, sizeof client);
	if (rc != MASA_OK)
		return rc;
	masa_buf_init(&der, MASA_TLS_CERT_MAX);
	rc = forwarded_cert(h, &der);
	if (rc == MASA_OK && der.len > 0 && has_tls_cert)
		rc = MASA_E_FORWARDED;	/* two certificates: never pick one */
	if (rc == MASA_OK && strlen(client) >= peer_cap)
		rc = MASA_E_FORWARDED;
	if (rc == MASA_OK && der.len > 0)
		rc = masa_buf_append(cert, der.ptr, der.len);
	if (rc == MASA_OK)
		memcpy(peer, client, strlen(client) + 1);
	masa_buf_free(&der);
	return rc;
}

/* The limit on proxy.header_refused entries: a token bucket of
 * MASA_PROXY_AUDIT_BURST refilled at one a second, shared by the process. */
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t audit_tokens_ms = MASA_PROXY_AUDIT_BURST * 1000;	/* tokens, in ms of refill */
static int64_t audit_last_ms;
static uint64_t audit_skipped;

/* 1 if an entry may be written now; *skipped: refusals not audited since
 * the last entry. */
static int
audit_allowed(int64_t now, uint64_t *skipped)
{
	int ok;

	pthread_mutex_lock(&audit_lock);
	if (now > audit_last_ms)
		audit_tokens_ms += now - audit_last_ms;
	if (audit_tokens_ms > MASA_PROXY_AUDIT_BURST * 1000)
		audit_tokens_ms = MASA_PROXY_AUDIT_BURST * 1000;
	audit_last_ms = now;
	ok = audit_tokens_ms >= 1000;
	if (ok) {
		audit_tokens_ms -= 1000;
		*skipped = audit_skipped;
		audit_skipped = 0;
	} else {
		audit_skipped++;
	}
	pthread_mutex_unlock(&audit_lock);
	return ok;
}

int
masa_proxy_refusal_detail(const struct masa_proxy_headers *h, char *detail, size_t cap)
{
	char more[48] = "";
	uint64_t skipped = 0;

	if (!audit_allowed(masa_now_ms(), &skipped))
		return 0;
	if (skipped > 0)
		snprintf(more, sizeof more, " (+%llu not audited)", (unsigned long long)skipped);
	snprintf(detail, cap, "%s:%s%s%s%s%s", masa_err_name(MASA_E_PROXY_HEADER),
	    h->n_xff ? " " MASA_HDR_FORWARDED_FOR : "",
	    h->n_escaped_cert ? " " MASA_HDR_ESCAPED_CERT : "",
	    h->n_client_cert ? " " MASA_HDR_CLIENT_CERT : "",
	    h->n_chain ? " " MASA_HDR_CLIENT_CERT_CHAIN : "", more);
	return 1;
}
