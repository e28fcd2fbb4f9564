/* audit_hash.c: masa_audit_hash (audit.h), the chain hash: plain C over
 * OpenSSL, the same for every backend (which call it to extend the chain). */
#include "audit.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/ossl.h"

/* Feeds one length-prefixed field (or the NULL marker) to the digest. */
static int
field(EVP_MD_CTX *ctx, const void *p, size_t n, int present)
{
	uint8_t hdr[5] = { 0 };

	if (!present)
		return EVP_DigestUpdate(ctx, hdr, 1);
	hdr[0] = 1;
	hdr[1] = (uint8_t)(n >> 24);
	hdr[2] = (uint8_t)(n >> 16);
	hdr[3] = (uint8_t)(n >> 8);
	hdr[4] = (uint8_t)n;
	return EVP_DigestUpdate(ctx, hdr, 5) && (n == 0 || EVP_DigestUpdate(ctx, p, n));
}

static int
field_str(EVP_MD_CTX *ctx, const char *s)
{
	return field(ctx, s, s ? strlen(s) : 0, s != NULL);
}

static int
field_int(EVP_MD_CTX *ctx, int64_t v, int present)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%lld", (long long)v);

	return field(ctx, num, (size_t)n, present);
}

static int
field_bytes(EVP_MD_CTX *ctx, struct masa_bytes b)
{
	return field(ctx, b.ptr, b.len, b.ptr != NULL && b.len > 0);
}

enum masa_err
masa_audit_hash(int64_t seq, const struct masa_audit_entry *e,
    const uint8_t prev[MASA_AUDIT_HASH_LEN], uint8_t out[MASA_AUDIT_HASH_LEN])
{
	static const char domain[] = "masa-audit-v1";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	ok = ctx != NULL &&
	    EVP_DigestInit_ex(ctx, masa_ossl_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, domain, sizeof domain - 1) &&
	    EVP_DigestUpdate(ctx, prev, MASA_AUDIT_HASH_LEN) &&
	    field_int(ctx, seq, 1) &&
	    field_int(ctx, e->at_ms, 1) &&
	    field_str(ctx, e->event) &&
	    field_str(ctx, e->serial) &&
	    field_bytes(ctx, e->registrar_sha256) &&
	    field_bytes(ctx, e->nonce) &&
	    field_int(ctx, e->assertion, e->assertion >= 0) &&
	    field_str(ctx, e->source) &&
	    field_str(ctx, e->detail) &&
	    EVP_DigestFinal_ex(ctx, out, &n) && n == MASA_AUDIT_HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? MASA_OK : MASA_E_CRYPTO;
}
