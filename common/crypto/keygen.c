/* keygen.c: see keygen.h. */
#include "crypto/keygen.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/ossl.h"
#include "crypto/rand.h"
#include "fsutil.h"

static EVP_PKEY *
generate(enum masa_alg alg)
{
	switch (alg) {
	case MASA_ALG_ES256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case MASA_ALG_ES384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case MASA_ALG_EDDSA: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
	return NULL;
}

/* Adds one X.509v3 extension given in openssl config syntax. */
static int
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* The subjectAltName value for a TLS certificate naming host. */
static int
san_for(const char *host, char *out, size_t cap)
{
	unsigned char addr[16];
	int n;

	if (strcmp(host, "localhost") == 0)
		n = snprintf(out, cap, "DNS:localhost,IP:127.0.0.1,IP:::1");
	else if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		n = snprintf(out, cap, "IP:%s", host);
	else
		n = snprintf(out, cap, "DNS:%s", host);
	return n > 0 && (size_t)n < cap;
}

/* Builds and signs the self-signed certificate for key. */
static X509 *
make_cert(EVP_PKEY *key, enum masa_alg alg, enum masa_cert_kind kind, const char *cn,
    const char *host, int days)
{
	X509 *cert = X509_new();
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	uint8_t sn[16];
	char san[600];
	int ok = 0;

	if (cert == NULL || masa_rand_bytes(sn, sizeof sn) != MASA_OK)
		goto done;
	sn[0] &= 0x7f;	/* positive, at most 16 bytes (RFC 5280 §4.1.2.2) */
	sn[0] |= 0x40;
	bn = BN_bin2bn(sn, sizeof sn, NULL);
	serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	name = X509_NAME_new();
	if (serial == NULL || name == NULL ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(cert, serial) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	        (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(cert, name) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) == NULL ||
	    X509_set_pubkey(cert, key) != 1 ||
	    !add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, NID_subject_key_identifier, "hash"))
		goto done;
	if (kind == MASA_CERT_REGISTRAR &&
	    !add_ext(cert, NID_ext_key_usage, "cmcRA,clientAuth,serverAuth"))
		goto done;
	if (kind == MASA_CERT_TLS_SERVER) {
		if (!san_for(host, san, sizeof san) ||
		    !add_ext(cert, NID_ext_key_usage, "serverAuth") ||
		    !add_ext(cert, NID_subject_alt_name, san))
			goto done;
	}
	if (X509_sign(cert, key, alg == MASA_ALG_EDDSA ? NULL :
	    alg == MASA_ALG_ES384 ? EVP_sha384() : EVP_sha256()) <= 0)
		goto done;
	ok = 1;
done:
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

/* Serialises key (PKCS#8) or cert to PEM and writes it as a new file. */
static enum masa_err
write_pem(const char *path, EVP_PKEY *key, X509 *cert, struct masa_diag *diag)
{
	enum masa_err rc = MASA_E_CRYPTO;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	if (bio == NULL)
		return MASA_E_NOMEM;
	if (key != NULL ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1
	    : PEM_write_bio_X509(bio, cert) != 1)
		goto done;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto done;
	rc = masa_file_write_new(path, data, (size_t)n, key != NULL ? 0600 : 0644, diag);
	if (key != NULL)
		OPENSSL_cleanse(data, (size_t)n);
done:
	BIO_free(bio);
	return rc;
}

enum masa_err
masa_keygen_selfsigned(enum masa_alg alg, enum masa_cert_kind kind, const char *cn,
    const char *host, int days, const char *key_path, const char *cert_path,
    struct masa_diag *diag)
{
	enum masa_err rc = MASA_E_CRYPTO;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	masa_ossl_clear();
	key = generate(alg);
	if (key == NULL) {
		masa_ossl_drain(diag, "cannot generate a key");
		goto done;
	}
	cert = make_cert(key, alg, kind, cn, host, days);
	if (cert == NULL) {
		masa_ossl_drain(diag, "cannot make a self-signed certificate");
		goto done;
	}
	rc = write_pem(key_path, key, NULL, diag);
	if (rc != MASA_OK)
		goto done;
	rc = write_pem(cert_path, NULL, cert, diag);
	if (rc != MASA_OK)
		unlink(key_path);
done:
	masa_ossl_clear();
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
