/* signer_file.c: the signer implementation for a PEM private key file
 * (signer.h, masa_signer_load). The file must be owner-only (fsutil.h);
 * its text is wiped once parsed, and the key lives in one EVP_PKEY that
 * every thread signs with at once, without a lock: OpenSSL 3 allows
 * concurrent use of a key that nobody modifies, and each signature has its
 * own EVP_MD_CTX (alg.c). */
#include "crypto/signer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "crypto/ossl.h"
#include "crypto/x509.h"
#include "fsutil.h"

#define KEY_FILE_MAX (16 * 1024)

struct file_key {
	enum masa_alg alg;
	EVP_PKEY *key;
	char path[];	/* where it was read from */
};

static enum masa_err
file_sign(void *impl, struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX])
{
	struct file_key *k = impl;

	return masa_alg_sign_raw(k->alg, k->key, msg, sig);
}

static enum masa_err
file_public_der(const void *impl, uint8_t *out, size_t cap, size_t *len)
{
	const struct file_key *k = impl;

	return masa_pubkey_spki(k->key, out, cap, len);
}

static enum masa_alg
file_alg(const void *impl)
{
	const struct file_key *k = impl;

	return k->alg;
}

static void
file_describe(const void *impl, char *out, size_t cap)
{
	const struct file_key *k = impl;

	snprintf(out, cap, "%s", k->path);
}

static void
file_free(void *impl)
{
	struct file_key *k = impl;

	if (k == NULL)
		return;
	EVP_PKEY_free(k->key);	/* OpenSSL clears private key material */
	free(k);
}

/* file_ops.pkey: the shared key, one more reference (signer_impl.h). */
static EVP_PKEY *
file_pkey(void *impl)
{
	struct file_key *k = impl;

	return EVP_PKEY_up_ref(k->key) == 1 ? k->key : NULL;
}

static const struct masa_signer_ops file_ops = {
	.sign = file_sign,
	.public_der = file_public_der,
	.alg = file_alg,
	.describe = file_describe,
	.free = file_free,
	.pkey = file_pkey,
};

enum masa_err
masa_signer_load(const char *key_path, enum masa_alg alg, struct masa_signer **out,
    struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_buf pem;
	struct file_key *k = NULL;
	size_t plen = strlen(key_path);
	BIO *bio = NULL;

	masa_buf_init(&pem, KEY_FILE_MAX);
	rc = masa_file_read(key_path, 1, KEY_FILE_MAX, &pem, diag);
	if (rc != MASA_OK)
		return rc;
	rc = MASA_E_NOMEM;
	k = calloc(1, sizeof *k + plen + 1);
	if (k == NULL)
		goto done;
	k->alg = alg;
	memcpy(k->path, key_path, plen + 1);
	masa_ossl_clear();
	bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	if (bio == NULL)
		goto done;
	k->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (k->key == NULL) {
		masa_ossl_drain(diag, "cannot read the private key");
		rc = MASA_E_KEY;
		goto done;
	}
	rc = masa_signer_new(&file_ops, k, out, diag);	/* takes k */
	k = NULL;
done:
	BIO_free(bio);
	masa_buf_free(&pem);	/* wipes the PEM text */
	file_free(k);
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
	if (rc != MASA_OK && strstr(quiet.msg, key_path) != NULL)
		masa_diag_set(diag, "%s", quiet.msg);
	else if (rc != MASA_OK)	/* name the file: OpenSSL's reason does not */
		masa_diag_set(diag, "%s: %s", key_path,
		    quiet.msg[0] ? quiet.msg : "not a P-256, P-384 or Ed25519 key");
	return rc;
}
