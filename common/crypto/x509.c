/* x509.c: see x509.h. */
#include "crypto/x509.h"

#include <string.h>

#include <stdio.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "crypto/alg.h"
#include "crypto/ossl.h"
#include "crypto/spki.h"
#include "encode.h"
#include "fsutil.h"
#include "utf8.h"

enum masa_err
masa_x509_parse(struct masa_bytes der, X509 **out)
{
	const unsigned char *p = der.ptr;
	X509 *x;

	if (der.ptr == NULL || der.len == 0 || der.len > 65536)
		return MASA_E_MALFORMED;
	masa_ossl_clear();
	x = d2i_X509(NULL, &p, (long)der.len);
	masa_ossl_clear();
	if (x == NULL)
		return MASA_E_MALFORMED;
	if (p != der.ptr + der.len) {
		X509_free(x);
		return MASA_E_MALFORMED;	/* trailing bytes */
	}
	*out = x;
	return MASA_OK;
}

int
masa_pubkey_supported(const EVP_PKEY *key)
{
	return masa_alg_key_matches(MASA_ALG_ES256, key) ||
	    masa_alg_key_matches(MASA_ALG_ES384, key) ||
	    masa_alg_key_matches(MASA_ALG_EDDSA, key);
}

enum masa_err
masa_pubkey_parse(struct masa_bytes spki, EVP_PKEY **out)
{
	const unsigned char *p = spki.ptr;
	EVP_PKEY *k;

	if (spki.ptr == NULL || spki.len == 0 || spki.len > MASA_SPKI_MAX)
		return MASA_E_MALFORMED;
	masa_ossl_clear();
	/* masa_spki_key builds only keys of the supported forms. */
	k = masa_spki_key(spki.ptr, spki.len);
	if (k != NULL) {
		*out = k;
		return MASA_OK;
	}
	k = d2i_PUBKEY(NULL, &p, (long)spki.len);
	masa_ossl_clear();
	if (k == NULL)
		return MASA_E_MALFORMED;
	if (p != spki.ptr + spki.len) {
		EVP_PKEY_free(k);
		return MASA_E_MALFORMED;
	}
	if (!masa_pubkey_supported(k)) {
		EVP_PKEY_free(k);
		return MASA_E_KEY;
	}
	*out = k;
	return MASA_OK;
}

enum masa_err
masa_pubkey_spki(const EVP_PKEY *key, uint8_t *out, size_t cap, size_t *len)
{
	/* Built from the key's parts, so one key has one encoding: EC points
	 * always uncompressed, whatever form the key arrived in. */
	static const enum masa_alg algs[] = { MASA_ALG_ES256, MASA_ALG_ES384, MASA_ALG_EDDSA };
	const struct masa_spki_form *f = NULL;
	BIGNUM *x = NULL, *y = NULL;
	size_t i, coord, raw = 32;
	enum masa_err rc = MASA_E_CRYPTO;

	for (i = 0; i < sizeof algs / sizeof algs[0] && f == NULL; i++)
		if (masa_alg_key_matches(algs[i], key))
			f = masa_spki_form(algs[i]);
	if (f == NULL)
		return MASA_E_KEY;
	if (f->plen + f->klen > cap)
		return MASA_E_CRYPTO;
	memcpy(out, f->prefix, f->plen);
	coord = (f->klen - 1) / 2;
	if (f->alg == MASA_ALG_EDDSA) {
		if (EVP_PKEY_get_raw_public_key(key, out + f->plen, &raw) == 1 && raw == f->klen)
			rc = MASA_OK;
	} else if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1) {
		out[f->plen] = 0x04;
		if (BN_bn2binpad(x, out + f->plen + 1, (int)coord) > 0 &&
		    BN_bn2binpad(y, out + f->plen + 1 + coord, (int)coord) > 0)
			rc = MASA_OK;
	}
	BN_free(x);
	BN_free(y);
	masa_ossl_clear();
	if (rc == MASA_OK)
		*len = f->plen + f->klen;
	return rc;
}

void
masa_sha256(struct masa_bytes in, uint8_t out[MASA_SHA256_LEN])
{
	const uint8_t *p = in.ptr ? in.ptr : (const uint8_t *)"";

	if (EVP_Digest(p, in.len, out, NULL, masa_ossl_sha256(), NULL) != 1)
		SHA256(p, in.len, out);	/* the slow way, as a last resort */
}

int
masa_x509_has_cmc_ra(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	int i, found = 0;

	for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_cmcRA)
			found = 1;
	EXTENDED_KEY_USAGE_free(eku);
	masa_ossl_clear();
	return found;
}

enum masa_err
masa_x509_subject_serial(X509 *cert, char *out, size_t cap)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	const ASN1_STRING *v;
	int i = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
	int len;

	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_serialNumber, i) >= 0)
		return MASA_E_NOT_FOUND;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	len = ASN1_STRING_length(v);
	if (len <= 0 || (size_t)len >= cap ||
	    memchr(ASN1_STRING_get0_data(v), 0, (size_t)len) != NULL ||
	    !masa_utf8_ok(ASN1_STRING_get0_data(v), (size_t)len))
		return MASA_E_MALFORMED;
	memcpy(out, ASN1_STRING_get0_data(v), (size_t)len);
	out[len] = '\0';
	return MASA_OK;
}

/* 1 if ski (n bytes) is derived from x's public key as RFC 5280 §4.2.1.2
 * method 1 (SHA-1 of the subjectPublicKey bits) or RFC 7093 methods 1-3
 * (the leftmost 160 bits of their SHA-256, SHA-384 or SHA-512) say. */
static int
ski_of_key(X509 *x, const uint8_t *ski, size_t n)
{
	const EVP_MD *mds[4];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;

	mds[0] = EVP_sha1();
	mds[1] = EVP_sha256();
	mds[2] = EVP_sha384();
	mds[3] = EVP_sha512();
	if (n != 20)
		return 0;
	for (i = 0; i < 4; i++)
		if (X509_pubkey_digest(x, mds[i], md, &len) == 1 && len >= 20 &&
		    memcmp(md, ski, 20) == 0)
			return 1;
	return 0;
}

enum masa_err
masa_x509_ski_base64(struct masa_bytes der, char *out, size_t cap)
{
	const ASN1_OCTET_STRING *ski;
	enum masa_err rc = MASA_E_NOT_FOUND;
	X509 *x = NULL;
	int n;

	if (masa_x509_parse(der, &x) != MASA_OK)
		return MASA_E_MALFORMED;
	ski = X509_get0_subject_key_id(x);
	n = ski != NULL ? ASN1_STRING_length(ski) : 0;
	if (n > 0 && !ski_of_key(x, ASN1_STRING_get0_data(ski), (size_t)n))
		rc = MASA_E_SIGNATURE;	/* an identifier anyone could copy */
	else if (n > 0 && MASA_B64_LEN((size_t)n) < cap) {
		masa_b64(ASN1_STRING_get0_data(ski), (size_t)n, out);
		rc = MASA_OK;
	}
	X509_free(x);
	masa_ossl_clear();
	return rc;
}

/* 1 if der is the canonical SPKI of a supported key with a valid point. */
static int
spki_fast(const uint8_t *der, size_t len)
{
	EVP_PKEY *k = masa_spki_key(der, len);

	EVP_PKEY_free(k);
	return k != NULL;
}

/* The DER of a PEM "PUBLIC KEY" block that is all of pem (around it only
 * whitespace), if it is a canonical supported key; else 0. */
static int
pem_pubkey_fast(struct masa_bytes pem, uint8_t *spki, size_t *spki_len)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----", end[] = "-----END PUBLIC KEY-----";
	const char *s = (const char *)pem.ptr, *b, *e;
	size_t n = pem.len;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	if (n < sizeof begin + sizeof end || memcmp(s, begin, sizeof begin - 1) != 0 ||
	    memcmp(s + n - (sizeof end - 1), end, sizeof end - 1) != 0)
		return 0;
	b = s + sizeof begin - 1;
	e = s + n - (sizeof end - 1);
	if (masa_unb64(b, (size_t)(e - b), 1, spki, MASA_SPKI_MAX, spki_len) != 0)
		return 0;
	return spki_fast(spki, *spki_len);
}

enum masa_err
masa_pem_key_mem(struct masa_bytes pem, const char *what, int want_cert, uint8_t *spki,
    size_t *spki_len, struct masa_buf *cert, struct masa_diag *diag)
{
	struct masa_buf der;
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	unsigned char *d = NULL;
	enum masa_err rc = MASA_E_KEY;
	int n;

	masa_buf_init(&der, 64 * 1024);
	if (!want_cert && pem.len > 0 && pem_pubkey_fast(pem, spki, spki_len)) {
		*cert = der;	/* empty: a public key has no certificate */
		return MASA_OK;
	}
	masa_ossl_clear();
	if (pem.len > 64 * 1024 || pem.len == 0) {
		masa_diag_set(diag, "%s is empty or too large", what);
		goto done;
	}
	bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	if (bio != NULL && want_cert) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		k = x != NULL ? X509_get_pubkey(x) : NULL;
	} else if (bio != NULL) {
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	if (k == NULL) {
		masa_diag_set(diag, "%s holds no PEM %s", what,
		    want_cert ? "certificate" : "public key");
		goto done;
	}
	if (!masa_pubkey_supported(k)) {
		masa_diag_set(diag, "the key in %s is not P-256, P-384 or Ed25519", what);
		goto done;
	}
	if (masa_pubkey_spki(k, spki, MASA_SPKI_MAX, spki_len) != MASA_OK)
		goto done;
	if (x != NULL) {
		n = i2d_X509(x, &d);
		if (n <= 0 || masa_buf_append(&der, d, (size_t)n) != MASA_OK)
			goto done;
	}
	*cert = der;
	masa_buf_init(&der, 0);
	rc = MASA_OK;
done:
	if (rc != MASA_OK)
		masa_diag_set(diag, "%s is not a usable key", what);	/* no better reason */
	masa_ossl_clear();
	OPENSSL_free(d);
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(bio);
	masa_buf_free(&der);
	return rc;
}

enum masa_err
masa_pem_key_file(const char *path, int want_cert, uint8_t *spki, size_t *spki_len,
    struct masa_buf *cert, struct masa_diag *diag)
{
	struct masa_buf pem;
	enum masa_err rc;

	masa_buf_init(&pem, 64 * 1024);
	rc = masa_file_read(path, 0, 64 * 1024, &pem, NULL);
	if (rc != MASA_OK) {
		masa_diag_set(diag, "cannot read %s", path);
		return rc;
	}
	rc = masa_pem_key_mem(masa_buf_view(&pem), path, want_cert, spki, spki_len, cert, diag);
	masa_buf_free(&pem);
	return rc;
}

