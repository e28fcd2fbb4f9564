/* signer.c: see signer.h. The generic half of a signer: the proof at
 * open, dispatch, counters, the public key and the certificate chain (key
 * references: signer_ref.c). It never sees the private key; the implementations
 * (signer_file.c, ...) do. */
#include "crypto/signer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/ossl.h"
#include "crypto/signer_impl.h"
#include "crypto/x509.h"
#include "fsutil.h"

#define CERT_FILE_MAX (64 * 1024)

struct masa_signer {
	/* Read by every signature; fixed once opened. */
	const struct masa_signer_ops *ops;
	void *impl;
	enum masa_alg alg;
	/* Fixed once opened. */
	EVP_PKEY *pub;
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len;
	char where[MASA_SIGNER_WHERE_MAX];
	/* Set at start-up by masa_signer_load_cert. */
	struct masa_buf chain_der;	/* the certificates back to back */
	struct masa_bytes chain[MASA_SIGNER_CHAIN_MAX];
	size_t chain_n;
	/* Written by every signature: last, a kilobyte away from ops and
	 * impl, which every other signing thread reads. */
	atomic_ullong signatures;
	atomic_ullong failures;
};

/* Signs a fixed message through the implementation and verifies it with
 * the published public key: proves the two belong together and work for
 * alg. Not counted in the stats. */
static enum masa_err
self_test(struct masa_signer *s)
{
	static const uint8_t msg[] = "masa signer self-test";
	struct masa_bytes m = { msg, sizeof msg - 1 };
	uint8_t sig[MASA_SIG_MAX];
	struct masa_bytes sv = { sig, masa_alg_sig_len(s->alg) };

	if (s->ops->sign(s->impl, m, sig) != MASA_OK)
		return MASA_E_KEY;
	if (masa_alg_verify_raw(s->alg, s->pub, m, sv) != MASA_OK)
		return MASA_E_KEY;
	return MASA_OK;
}

enum masa_err
masa_signer_new(const struct masa_signer_ops *ops, void *impl, struct masa_signer **out,
    struct masa_diag *diag)
{
	struct masa_signer *s = calloc(1, sizeof *s);
	enum masa_err rc = MASA_E_KEY;

	if (s == NULL) {
		ops->free(impl);
		return MASA_E_NOMEM;
	}
	s->ops = ops;
	s->impl = impl;
	s->alg = ops->alg(impl);
	masa_buf_init(&s->chain_der, 0);
	ops->describe(impl, s->where, sizeof s->where);
	s->where[sizeof s->where - 1] = '\0';
	if (ops->public_der(impl, s->spki, sizeof s->spki, &s->spki_len) != MASA_OK ||
	    masa_pubkey_parse((struct masa_bytes){ s->spki, s->spki_len }, &s->pub) != MASA_OK ||
	    !masa_alg_key_matches(s->alg, s->pub)) {
		masa_diag_set(diag, "%s is not a key for algorithm %s", s->where,
		    masa_alg_name(s->alg));
		goto done;
	}
	if (self_test(s) != MASA_OK) {
		masa_diag_set(diag, "%s failed the signing self-test", s->where);
		goto done;
	}
	*out = s;
	s = NULL;
	rc = MASA_OK;
done:
	masa_ossl_clear();
	masa_signer_free(s);
	return rc;
}

void
masa_signer_free(struct masa_signer *s)
{
	if (s == NULL)
		return;
	s->ops->free(s->impl);
	EVP_PKEY_free(s->pub);
	masa_buf_free(&s->chain_der);
	free(s);
}

enum masa_err
masa_signer_sign(struct masa_signer *s, struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX],
    size_t *len)
{
	enum masa_err rc = s->ops->sign(s->impl, msg, sig);

	atomic_fetch_add_explicit(&s->signatures, 1, memory_order_relaxed);
	if (rc != MASA_OK)
		atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
	else
		*len = masa_alg_sig_len(s->alg);
	return rc;
}

enum masa_err
masa_signer_cms_sign(struct masa_signer *s, struct masa_bytes content, const char *econtent_oid,
    const struct masa_bytes *chain, size_t nchain, struct masa_buf *out)
{
	EVP_PKEY *k = s->ops->pkey != NULL ? s->ops->pkey(s->impl) : NULL;
	enum masa_err rc = s->ops->pkey != NULL ? MASA_E_KEY_UNAVAILABLE : MASA_E_KEY;

	if (k != NULL)
		rc = masa_signer_cms_with(k, s->alg, content, econtent_oid, chain, nchain, out);
	if (k != NULL && s->ops->pkey_put != NULL)
		rc = s->ops->pkey_put(s->impl, k, rc);
	else
		EVP_PKEY_free(k);
	atomic_fetch_add_explicit(&s->signatures, 1, memory_order_relaxed);
	if (rc != MASA_OK)
		atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
	return rc;
}

int
masa_signer_ready(struct masa_signer *s)
{
	return s->ops->ready == NULL || s->ops->ready(s->impl);
}

void
masa_signer_stats(const struct masa_signer *s, struct masa_signer_stats *out)
{
	out->signatures = s ? atomic_load_explicit(&s->signatures, memory_order_relaxed) : 0;
	out->failures = s ? atomic_load_explicit(&s->failures, memory_order_relaxed) : 0;
}

enum masa_alg
masa_signer_alg(const struct masa_signer *s)
{
	return s->alg;
}

const char *
masa_signer_where(const struct masa_signer *s)
{
	return s->where;
}

enum masa_err
masa_signer_public_der(const struct masa_signer *s, uint8_t *out, size_t cap, size_t *len)
{
	if (cap < s->spki_len)
		return MASA_E_CRYPTO;
	memcpy(out, s->spki, s->spki_len);
	*len = s->spki_len;
	return MASA_OK;
}

enum masa_err
masa_signer_public_pem(const struct masa_signer *s, struct masa_buf *out)
{
	enum masa_err rc = MASA_E_CRYPTO;
	struct masa_buf b;
	BIO *bio = NULL;
	char *data;
	long n;

	masa_buf_init(&b, 4096);
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, s->pub) != 1)
		goto done;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || masa_buf_append(&b, data, (size_t)n) != MASA_OK)
		goto done;
	*out = b;
	masa_buf_init(&b, 0);
	rc = MASA_OK;
done:
	masa_ossl_clear();
	BIO_free(bio);
	masa_buf_free(&b);
	return rc;
}

/* Reads the certificates of pem into der (back to back) and their lengths
 * into lens; *n their count. The first must certify s's key. */
static enum masa_err
read_chain(const struct masa_signer *s, const char *cert_path, BIO *pem, struct masa_buf *der,
    size_t lens[MASA_SIGNER_CHAIN_MAX], size_t *n, struct masa_diag *diag)
{
	enum masa_err rc = MASA_E_KEY;
	X509 *cert = NULL;
	unsigned char *d = NULL;
	char what[96];
	int len;

	for (*n = 0;; (*n)++) {
		X509_free(cert);
		OPENSSL_free(d);
		d = NULL;
		cert = PEM_read_bio_X509(pem, NULL, NULL, NULL);
		if (cert == NULL && *n > 0 &&
		    ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
			rc = MASA_OK;	/* the end of the file */
			break;
		}
		if (cert == NULL) {
			snprintf(what, sizeof what, "cannot read certificate %zu of the signing chain",
			    *n + 1);
			masa_ossl_drain(diag, *n == 0 ? "cannot read the signing certificate" : what);
			break;
		}
		if (*n == 0 && EVP_PKEY_eq(X509_get0_pubkey(cert), s->pub) != 1) {
			masa_diag_set(diag, "%s does not certify the voucher-signing key", cert_path);
			break;
		}
		if (*n == MASA_SIGNER_CHAIN_MAX) {
			masa_diag_set(diag, "%s holds more than %d certificates", cert_path,
			    MASA_SIGNER_CHAIN_MAX);
			break;
		}
		len = i2d_X509(cert, &d);
		if (len <= 0 || masa_buf_append(der, d, (size_t)len) != MASA_OK) {
			rc = MASA_E_NOMEM;
			break;
		}
		lens[*n] = (size_t)len;
	}
	X509_free(cert);
	OPENSSL_free(d);
	masa_ossl_clear();
	return rc;
}

enum masa_err
masa_signer_load_cert(struct masa_signer *s, const char *cert_path, struct masa_buf *der_out,
    struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_buf pem, der, first;
	size_t lens[MASA_SIGNER_CHAIN_MAX], n = 0, i, off;
	BIO *bio = NULL;

	masa_buf_init(&pem, CERT_FILE_MAX);
	masa_buf_init(&der, CERT_FILE_MAX);
	masa_buf_init(&first, CERT_FILE_MAX);
	rc = masa_file_read(cert_path, 0, CERT_FILE_MAX, &pem, diag);
	if (rc != MASA_OK)
		return rc;
	rc = MASA_E_NOMEM;
	masa_ossl_clear();
	bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	if (bio == NULL)
		goto done;
	rc = read_chain(s, cert_path, bio, &der, lens, &n, diag);
	if (rc == MASA_OK)
		rc = masa_buf_append(&first, der.ptr, lens[0]);
	if (rc != MASA_OK)
		goto done;
	masa_buf_free(&s->chain_der);
	s->chain_der = der;
	masa_buf_init(&der, 0);
	for (i = 0, off = 0; i < n; off += lens[i], i++)
		s->chain[i] = (struct masa_bytes){ s->chain_der.ptr + off, lens[i] };
	s->chain_n = n;
	*der_out = first;
	masa_buf_init(&first, 0);
done:
	BIO_free(bio);
	masa_buf_free(&pem);
	masa_buf_free(&der);
	masa_buf_free(&first);
	return rc;
}

const struct masa_bytes *
masa_signer_chain(const struct masa_signer *s, size_t *n)
{
	*n = s->chain_n;
	return s->chain;
}

enum masa_err
masa_signer_chain_pem(const struct masa_signer *s, struct masa_buf *out)
{
	enum masa_err rc = MASA_OK;
	const unsigned char *p;
	struct masa_buf b;
	BIO *bio = BIO_new(BIO_s_mem());
	X509 *x = NULL;
	char *data;
	size_t i;
	long n;

	masa_buf_init(&b, CERT_FILE_MAX);
	for (i = 0; bio != NULL && rc == MASA_OK && i < s->chain_n; i++) {
		p = s->chain[i].ptr;
		x = d2i_X509(NULL, &p, (long)s->chain[i].len);
		if (x == NULL || PEM_write_bio_X509(bio, x) != 1)
			rc = MASA_E_CRYPTO;
		X509_free(x);
	}
	n = bio != NULL ? BIO_get_mem_data(bio, &data) : -1;
	if (bio == NULL || n < 0)
		rc = MASA_E_NOMEM;
	else if (rc == MASA_OK && n > 0)
		rc = masa_buf_append(&b, data, (size_t)n);
	masa_ossl_clear();
	BIO_free(bio);
	if (rc == MASA_OK) {
		*out = b;
		return MASA_OK;
	}
	masa_buf_free(&b);
	return rc;
}
