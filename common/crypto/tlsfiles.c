/* tlsfiles.c: see tlsfiles.h. */
#include "crypto/tlsfiles.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/ossl.h"
#include "fsutil.h"

#define TLS_FILE_MAX (64 * 1024)

enum masa_err
masa_tls_files_load(const char *cert_path, const char *key_path, struct masa_buf *cert_pem,
    struct masa_buf *key_pem, struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_buf c, k;
	BIO *cb = NULL, *kb = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;

	masa_buf_init(&c, TLS_FILE_MAX);
	masa_buf_init(&k, TLS_FILE_MAX);
	rc = masa_file_read(key_path, 1, TLS_FILE_MAX, &k, diag);
	if (rc == MASA_OK)
		rc = masa_file_read(cert_path, 0, TLS_FILE_MAX, &c, diag);
	if (rc != MASA_OK)
		goto done;
	rc = MASA_E_KEY;
	masa_ossl_clear();
	cb = BIO_new_mem_buf(c.ptr, (int)c.len);
	kb = BIO_new_mem_buf(k.ptr, (int)k.len);
	if (cb == NULL || kb == NULL)
		goto done;
	cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	if (cert == NULL) {
		masa_ossl_drain(diag, "cannot read the TLS certificate");
		goto done;
	}
	key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	if (key == NULL) {
		masa_ossl_drain(diag, "cannot read the TLS private key");
		goto done;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1) {
		masa_diag_set(diag, "the TLS certificate %s does not match the key %s",
		    cert_path, key_path);
		goto done;
	}
	*cert_pem = c;
	*key_pem = k;
	masa_buf_init(&c, 0);
	masa_buf_init(&k, 0);
	rc = MASA_OK;
done:
	masa_ossl_clear();
	EVP_PKEY_free(key);
	X509_free(cert);
	BIO_free(cb);
	BIO_free(kb);
	masa_buf_free(&c);
	masa_buf_free(&k);
	return rc;
}
