/* signer.c: see signer.h. The private key never leaves this file. */
#include "crypto/signer.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/ossl.h"
#include "crypto/x509.h"
#include "fsutil.h"

#define KEY_FILE_MAX (16 * 1024)
#define CERT_FILE_MAX (64 * 1024)

struct masa_signer {
	enum masa_alg alg;
	EVP_PKEY *key;
};

/* Signs and verifies a fixed message: proves the key works for alg. */
static enum masa_err
self_test(struct masa_signer *s)
{
	static const uint8_t msg[] = "masa signer self-test";
	struct masa_bytes m = { msg, sizeof msg - 1 };
	uint8_t sig[MASA_SIG_MAX];
	struct masa_bytes sv = { sig, masa_alg_sig_len(s->alg) };

	if (masa_alg_sign_raw(s->alg, s->key, m, sig) != MASA_OK)
		return MASA_E_KEY;
	if (masa_alg_verify_raw(s->alg, s->key, m, sv) != MASA_OK)
		return MASA_E_KEY;
	return MASA_OK;
}

enum masa_err
masa_signer_load(const char *key_path, enum masa_alg alg, struct masa_signer **out,
    struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_buf pem;
	struct masa_signer *s = NULL;
	BIO *bio = NULL;

	masa_buf_init(&pem, KEY_FILE_MAX);
	rc = masa_file_read(key_path, 1, KEY_FILE_MAX, &pem, diag);
	if (rc != MASA_OK)
		return rc;
	rc = MASA_E_NOMEM;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		goto done;
	s->alg = alg;
	masa_ossl_clear();
	bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	if (bio == NULL)
		goto done;
	s->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (s->key == NULL) {
		masa_ossl_drain(diag, "cannot read the private key");
		rc = MASA_E_KEY;
		goto done;
	}
	if (!masa_alg_key_matches(alg, s->key)) {
		masa_diag_set(diag, "%s is not a key for algorithm %s", key_path,
		    masa_alg_name(alg));
		rc = MASA_E_KEY;
		goto done;
	}
	rc = self_test(s);
	if (rc != MASA_OK) {
		masa_diag_set(diag, "%s failed the signing self-test", key_path);
		goto done;
	}
	*out = s;
	s = NULL;
	rc = MASA_OK;
done:
	BIO_free(bio);
	masa_buf_free(&pem);	/* wipes the PEM text */
	masa_signer_free(s);
	return rc;
}

enum masa_err
masa_signer_load_any(const char *key_path, struct masa_signer **out, struct masa_diag *diag)
{
	static const enum masa_alg algs[] = { MASA_ALG_ES256, MASA_ALG_ES384, MASA_ALG_EDDSA };
	struct masa_diag quiet = { { 0 } };
	enum masa_err rc = MASA_E_KEY;
	size_t i;

	/* Try each algorithm; only the matching one loads (a wrong one is
	 * MASA_E_KEY). Other failures (permissions, missing file) stop. */
	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		quiet.msg[0] = '\0';
		rc = masa_signer_load(key_path, algs[i], out, &quiet);
		if (rc != MASA_E_KEY)
			break;
	}
	if (rc != MASA_OK)
		masa_diag_set(diag, "%s", quiet.msg[0] ? quiet.msg : "not a P-256, P-384 or Ed25519 key");
	return rc;
}

void
masa_signer_free(struct masa_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);	/* OpenSSL clears private key material */
	free(s);
}

enum masa_alg
masa_signer_alg(const struct masa_signer *s)
{
	return s->alg;
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
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, s->key) != 1)
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

enum masa_err
masa_signer_public_der(const struct masa_signer *s, uint8_t *out, size_t cap, size_t *len)
{
	return masa_pubkey_spki(s->key, out, cap, len);
}

enum masa_err
masa_signer_load_cert(const struct masa_signer *s, const char *cert_path,
    struct masa_buf *der_out, struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_buf pem, der;
	BIO *bio = NULL;
	X509 *cert = NULL;
	unsigned char *d = NULL;
	int n;

	masa_buf_init(&pem, CERT_FILE_MAX);
	rc = masa_file_read(cert_path, 0, CERT_FILE_MAX, &pem, diag);
	if (rc != MASA_OK)
		return rc;
	rc = MASA_E_KEY;
	masa_ossl_clear();
	bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	if (bio == NULL)
		goto done;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (cert == NULL) {
		masa_ossl_drain(diag, "cannot read the signing certificate");
		goto done;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), s->key) != 1) {
		masa_diag_set(diag, "%s does not certify the voucher-signing key", cert_path);
		goto done;
	}
	n = i2d_X509(cert, &d);
	masa_buf_init(&der, CERT_FILE_MAX);
	if (n <= 0 || masa_buf_append(&der, d, (size_t)n) != MASA_OK) {
		masa_buf_free(&der);
		rc = MASA_E_NOMEM;
		goto done;
	}
	*der_out = der;
	rc = MASA_OK;
done:
	masa_ossl_clear();
	OPENSSL_free(d);
	X509_free(cert);
	BIO_free(bio);
	masa_buf_free(&pem);
	return rc;
}

enum masa_err
masa_signer_sign(struct masa_signer *s, struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX],
    size_t *len)
{
	enum masa_err rc = masa_alg_sign_raw(s->alg, s->key, msg, sig);

	if (rc == MASA_OK)
		*len = masa_alg_sig_len(s->alg);
	return rc;
}
