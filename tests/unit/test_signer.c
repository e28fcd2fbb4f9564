/* test_signer.c: common/crypto/signer.c (the generic signer: key
 * references, the proof at open, counters, the certificate chain),
 * signer_file.c (loading the voucher-signing key, signing), alg.c (raw
 * signature verification), keygen.c (self-signed key pairs) and
 * tlsfiles.c (the HTTPS key pair). */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/signer_impl.h"
#include "crypto/tlsfiles.h"
#include "crypto/x509.h"

static const enum masa_alg all_algs[] = { MASA_ALG_ES256, MASA_ALG_ES384, MASA_ALG_EDDSA };
#define NALGS (sizeof all_algs / sizeof all_algs[0])

static const uint8_t message[] = "a voucher to sign";

/* Generates d/<name>.key and d/<name>.crt; their paths to key and cert. */
static void
gen_pair(const struct tu_dir *d, enum masa_alg alg, enum masa_cert_kind kind, const char *host,
    const char *name, char key[TU_PATH_MAX], char cert[TU_PATH_MAX])
{
	char key_name[64], cert_name[64];

	snprintf(key_name, sizeof key_name, "%s.key", name);
	snprintf(cert_name, sizeof cert_name, "%s.crt", name);
	tu_keygen(d, alg, kind, host, key_name, cert_name);
	tu_path(key, d, key_name);
	tu_path(cert, d, cert_name);
}

/* The same for a voucher-signing key; only the key path is wanted. */
static void
gen_key(const struct tu_dir *d, enum masa_alg alg, const char *name, char key[TU_PATH_MAX])
{
	char cert[TU_PATH_MAX];

	gen_pair(d, alg, MASA_CERT_VOUCHER_SIGNING, NULL, name, key, cert);
}

/* Loads path for alg expecting want; the signer (on success) goes to *out
 * if out is given, else it is freed. On failure no signer may come back. */
static void
expect_load(const char *path, enum masa_alg alg, enum masa_err want, struct masa_signer **out)
{
	struct masa_diag diag = { "" };
	struct masa_signer *s = NULL;
	enum masa_err rc = masa_signer_load(path, alg, &s, &diag);

	if (rc != want)
		fail_msg("load %s as %s: got %d, want %d (%s)", path, masa_alg_name(alg), rc, want,
		    diag.msg);
	if (rc != MASA_OK) {
		assert_null(s);
		assert_true(diag.msg[0] != '\0');
		return;
	}
	assert_non_null(s);
	assert_int_equal(masa_signer_alg(s), alg);
	if (out != NULL)
		*out = s;
	else
		masa_signer_free(s);
}

/* The signer's public key, parsed back from masa_signer_public_pem. */
static EVP_PKEY *
public_key(const struct masa_signer *s)
{
	struct masa_buf pem;
	EVP_PKEY *pk;
	BIO *bio;

	assert_int_equal(masa_signer_public_pem(s, &pem), MASA_OK);
	assert_non_null(strstr((const char *)pem.ptr, "-----BEGIN PUBLIC KEY-----"));
	bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	assert_non_null(bio);
	pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	assert_non_null(pk);
	BIO_free(bio);
	masa_buf_free(&pem);
	return pk;
}

/* masa_alg_verify_raw of sig (len bytes) over msg (mlen bytes). */
static enum masa_err
verify(enum masa_alg alg, EVP_PKEY *pk, const uint8_t *msg, size_t mlen, const uint8_t *sig,
    size_t len)
{
	struct masa_bytes m = { msg, mlen }, sv = { sig, len };

	return masa_alg_verify_raw(alg, pk, m, sv);
}

/* Signs message with s into sig; asserts the length. */
static void
sign(struct masa_signer *s, uint8_t sig[MASA_SIG_MAX])
{
	struct masa_bytes m = { message, sizeof message - 1 };
	size_t len = 0;

	assert_int_equal(masa_signer_sign(s, m, sig, &len), MASA_OK);
	assert_int_equal(len, masa_alg_sig_len(masa_signer_alg(s)));
}

/* Proves a generated key loads for its own algorithm, for each algorithm. */
static void
test_load_each_alg(void **state)
{
	char key[TU_PATH_MAX];
	size_t i;

	for (i = 0; i < NALGS; i++) {
		gen_key(*state, all_algs[i], masa_alg_name(all_algs[i]), key);
		expect_load(key, all_algs[i], MASA_OK, NULL);
	}
}

/* Proves a key of another type or curve is refused with MASA_E_KEY. */
static void
test_load_wrong_alg(void **state)
{
	static const struct {
		enum masa_alg have, as;
	} cases[] = {
		{ MASA_ALG_ES256, MASA_ALG_ES384 },
		{ MASA_ALG_ES256, MASA_ALG_EDDSA },
		{ MASA_ALG_ES384, MASA_ALG_ES256 },
		{ MASA_ALG_EDDSA, MASA_ALG_ES256 },
	};
	char key[TU_PATH_MAX], name[32];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "k%zu", i);
		gen_key(*state, cases[i].have, name, key);
		expect_load(key, cases[i].as, MASA_E_KEY, NULL);
	}
}

/* Proves only owner-only key files load: group or world bits are refused. */
static void
test_key_file_modes(void **state)
{
	static const struct {
		mode_t mode;
		enum masa_err want;
	} cases[] = {
		{ 0644, MASA_E_FILE_PERM }, { 0640, MASA_E_FILE_PERM }, { 0604, MASA_E_FILE_PERM },
		{ 0610, MASA_E_FILE_PERM }, { 0601, MASA_E_FILE_PERM },
		{ 0600, MASA_OK }, { 0400, MASA_OK },
	};
	char key[TU_PATH_MAX];
	size_t i;

	gen_key(*state, MASA_ALG_ES256, "k", key);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(chmod(key, cases[i].mode), 0);
		expect_load(key, MASA_ALG_ES256, cases[i].want, NULL);
	}
}

/* Proves a symlink to a good key file is refused. */
static void
test_key_symlink(void **state)
{
	char key[TU_PATH_MAX], link[TU_PATH_MAX];

	gen_key(*state, MASA_ALG_ES256, "k", key);
	tu_path(link, *state, "link.key");
	assert_int_equal(symlink(key, link), 0);
	expect_load(link, MASA_ALG_ES256, MASA_E_FILE_PERM, NULL);
	expect_load(key, MASA_ALG_ES256, MASA_OK, NULL);
}

/* Proves a key file owned by another user is refused. */
static void
test_key_other_owner(void **state)
{
	char key[TU_PATH_MAX];

	gen_key(*state, MASA_ALG_ES256, "k", key);
	assert_int_equal(chown(key, TU_NOBODY_UID, (gid_t)-1), 0);
	expect_load(key, MASA_ALG_ES256, MASA_E_FILE_PERM, NULL);
}

/* Proves a missing key file is MASA_E_NOT_FOUND. */
static void
test_key_missing(void **state)
{
	char key[TU_PATH_MAX];

	tu_path(key, *state, "none.key");
	expect_load(key, MASA_ALG_ES256, MASA_E_NOT_FOUND, NULL);
}

/* Proves files that hold no private key are MASA_E_KEY. */
static void
test_key_garbage(void **state)
{
	static const char *const bad[] = {
		"garbage\n",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n",
	};
	char key[TU_PATH_MAX], name[32], cert[TU_PATH_MAX];
	char *cert_pem;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(name, sizeof name, "bad%zu.key", i);
		tu_path(key, *state, name);
		tu_write(key, bad[i], 0600);
		expect_load(key, MASA_ALG_ES256, MASA_E_KEY, NULL);
	}
	/* a certificate is not a private key */
	gen_key(*state, MASA_ALG_ES256, "k", key);
	tu_path(cert, *state, "k.crt");
	cert_pem = tu_read(cert, NULL);
	tu_path(key, *state, "cert-as.key");
	tu_write(key, cert_pem, 0600);
	free(cert_pem);
	expect_load(key, MASA_ALG_ES256, MASA_E_KEY, NULL);
}

/* Proves an empty key file is MASA_E_KEY (it holds no key) like any other non-key. */
static void
test_key_empty_file(void **state)
{
	char key[TU_PATH_MAX];

	tu_path(key, *state, "empty.key");
	tu_write(key, "", 0600);
	expect_load(key, MASA_ALG_ES256, MASA_E_KEY, NULL);
}

/* Proves signatures have the raw length and verify with the published
 * public key, and that one flipped bit in message or signature breaks them. */
static void
test_sign_verify_each_alg(void **state)
{
	char key[TU_PATH_MAX];
	uint8_t sig[MASA_SIG_MAX], msg[sizeof message];
	struct masa_signer *s = NULL;
	EVP_PKEY *pk;
	size_t i, n, bit;

	for (i = 0; i < NALGS; i++) {
		gen_key(*state, all_algs[i], masa_alg_name(all_algs[i]), key);
		expect_load(key, all_algs[i], MASA_OK, &s);
		pk = public_key(s);
		sign(s, sig);
		n = masa_alg_sig_len(all_algs[i]);
		assert_int_equal(verify(all_algs[i], pk, message, sizeof message - 1, sig, n), MASA_OK);

		memcpy(msg, message, sizeof msg);
		msg[3] ^= 0x10;
		assert_int_equal(verify(all_algs[i], pk, msg, sizeof msg - 1, sig, n), MASA_E_CRYPTO);
		for (bit = 0; bit < n * 8; bit += 61) {
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(verify(all_algs[i], pk, message, sizeof message - 1, sig, n),
			    MASA_E_CRYPTO);
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		assert_int_equal(verify(all_algs[i], pk, message, sizeof message - 1, sig, n), MASA_OK);
		/* the same signature presented under another algorithm: the
		 * key is not of that algorithm */
		assert_int_equal(verify(all_algs[(i + 1) % NALGS], pk, message, sizeof message - 1,
		    sig, n), MASA_E_ALG);
		EVP_PKEY_free(pk);
		masa_signer_free(s);
	}
}

/* Proves ES256 verification refuses wrong lengths and r or s of 0 or n. */
static void
test_es256_malformed_signatures(void **state)
{
	static const char order_hex[] =
	    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
	static const size_t lengths[] = { 0, 63, 65, 72 };
	char key[TU_PATH_MAX];
	uint8_t sig[MASA_SIG_MAX], bad[80], order[32];
	struct masa_signer *s = NULL;
	EVP_PKEY *pk;
	size_t i;

	assert_int_equal(tu_unhex(order_hex, order, sizeof order), sizeof order);
	gen_key(*state, MASA_ALG_ES256, "k", key);
	expect_load(key, MASA_ALG_ES256, MASA_OK, &s);
	pk = public_key(s);
	sign(s, sig);
	assert_int_equal(verify(MASA_ALG_ES256, pk, message, sizeof message - 1, sig, 64), MASA_OK);

	for (i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		memset(bad, 0, sizeof bad);
		memcpy(bad, sig, 64);
		if (verify(MASA_ALG_ES256, pk, message, sizeof message - 1, bad, lengths[i]) != MASA_E_CRYPTO)
			fail_msg("a %zu-byte ES256 signature was accepted", lengths[i]);
	}
	for (i = 0; i < 4; i++) {
		memcpy(bad, sig, 64);
		if (i < 2)
			memset(bad + 32 * i, 0, 32);		/* r = 0, s = 0 */
		else
			memcpy(bad + 32 * (i - 2), order, 32);	/* r = n, s = n */
		if (verify(MASA_ALG_ES256, pk, message, sizeof message - 1, bad, 64) != MASA_E_CRYPTO)
			fail_msg("%s = %s was accepted", i % 2 ? "s" : "r", i < 2 ? "0" : "n");
	}
	EVP_PKEY_free(pk);
	masa_signer_free(s);
}

/* Reads a PEM certificate. */
static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *cert;

	assert_non_null(f);
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(cert);
	return cert;
}

/* The DER encoding of the PEM certificate at path. */
static struct masa_buf
cert_der(const char *path)
{
	X509 *cert = read_cert(path);
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);
	struct masa_buf b;

	assert_true(n > 0);
	masa_buf_init(&b, (size_t)n);
	assert_int_equal(masa_buf_append(&b, der, (size_t)n), MASA_OK);
	OPENSSL_free(der);
	X509_free(cert);
	return b;
}

/* Proves load_cert accepts the key's own certificate only, and returns its DER. */
static void
test_load_cert(void **state)
{
	char key[TU_PATH_MAX], own[TU_PATH_MAX], other_key[TU_PATH_MAX], other[TU_PATH_MAX];
	char missing[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	struct masa_signer *s = NULL;
	struct masa_buf der, want;

	gen_pair(*state, MASA_ALG_ES256, MASA_CERT_VOUCHER_SIGNING, NULL, "other", other_key, other);
	gen_pair(*state, MASA_ALG_ES256, MASA_CERT_VOUCHER_SIGNING, NULL, "k", key, own);
	expect_load(key, MASA_ALG_ES256, MASA_OK, &s);
	tu_path(missing, *state, "none.crt");
	assert_int_equal(masa_signer_load_cert(s, own, &der, &diag), MASA_OK);
	want = cert_der(own);
	assert_int_equal(der.len, want.len);
	assert_memory_equal(der.ptr, want.ptr, want.len);
	masa_buf_free(&der);
	masa_buf_free(&want);
	assert_int_equal(masa_signer_load_cert(s, other, &der, &diag), MASA_E_KEY);
	assert_true(diag.msg[0] != '\0');
	assert_int_equal(masa_signer_load_cert(s, key, &der, &diag), MASA_E_KEY);	/* a key is no cert */
	assert_int_equal(masa_signer_load_cert(s, missing, &der, &diag), MASA_E_NOT_FOUND);
	masa_signer_free(s);
}

/* Writes the certificates at the n paths in certs, in order, into one
 * PEM file d/name; its path into out. */
static void
write_chain(const struct tu_dir *d, const char *name, const char *const *certs, size_t n,
    char out[TU_PATH_MAX])
{
	struct masa_buf all;
	char *pem;
	size_t i;

	masa_buf_init(&all, 64 * 1024);
	for (i = 0; i < n; i++) {
		pem = tu_read(certs[i], NULL);
		assert_int_equal(masa_buf_append(&all, pem, strlen(pem)), MASA_OK);
		free(pem);
	}
	tu_path(out, d, name);
	tu_write(out, all.len ? (const char *)all.ptr : "", 0644);
	masa_buf_free(&all);
}

/* Asserts that view holds the DER of the PEM certificate at path. */
static void
assert_cert(struct masa_bytes view, const char *path)
{
	struct masa_buf want = cert_der(path);

	assert_int_equal(view.len, want.len);
	assert_memory_equal(view.ptr, want.ptr, want.len);
	masa_buf_free(&want);
}

/* Proves load_cert keeps every certificate of the file in order, returns
 * the first, checks the first only against the key, and refuses a broken
 * later one or too many, keeping the chain it had. */
static void
test_load_cert_chain(void **state)
{
	char key[TU_PATH_MAX], own[TU_PATH_MAX], ca_key[TU_PATH_MAX], ca[TU_PATH_MAX];
	char path[TU_PATH_MAX], *text;
	const char *certs[MASA_SIGNER_CHAIN_MAX + 1];
	struct masa_diag diag = { "" };
	struct masa_signer *s = NULL;
	const struct masa_bytes *chain;
	struct masa_buf der;
	size_t n = 99, i;

	gen_pair(*state, MASA_ALG_ES256, MASA_CERT_VOUCHER_SIGNING, NULL, "k", key, own);
	gen_pair(*state, MASA_ALG_ES384, MASA_CERT_VOUCHER_SIGNING, NULL, "ca", ca_key, ca);
	expect_load(key, MASA_ALG_ES256, MASA_OK, &s);
	chain = masa_signer_chain(s, &n);
	assert_int_equal(n, 0);

	certs[0] = own;
	certs[1] = ca;
	write_chain(*state, "chain.crt", certs, 2, path);
	assert_int_equal(masa_signer_load_cert(s, path, &der, &diag), MASA_OK);
	assert_cert(masa_buf_view(&der), own);	/* what masa_app.masa_cert gets */
	masa_buf_free(&der);
	chain = masa_signer_chain(s, &n);
	assert_int_equal(n, 2);
	assert_cert(chain[0], own);
	assert_cert(chain[1], ca);

	/* the key's certificate must come first */
	certs[0] = ca;
	certs[1] = own;
	write_chain(*state, "reversed.crt", certs, 2, path);
	assert_int_equal(masa_signer_load_cert(s, path, &der, &diag), MASA_E_KEY);
	assert_non_null(strstr(diag.msg, "does not certify the voucher-signing key"));

	/* a later certificate that does not parse is refused, not dropped */
	text = tu_read(own, NULL);
	tu_path(path, *state, "broken.crt");
	{
		char body[8192];

		snprintf(body, sizeof body, "%s-----BEGIN CERTIFICATE-----\nnope\n"
		    "-----END CERTIFICATE-----\n", text);
		tu_write(path, body, 0644);
	}
	free(text);
	diag.msg[0] = '\0';
	assert_int_equal(masa_signer_load_cert(s, path, &der, &diag), MASA_E_KEY);
	assert_non_null(strstr(diag.msg, "certificate 2 of the signing chain"));

	/* at most MASA_SIGNER_CHAIN_MAX */
	certs[0] = own;
	for (i = 1; i <= MASA_SIGNER_CHAIN_MAX; i++)
		certs[i] = ca;
	write_chain(*state, "long.crt", certs, MASA_SIGNER_CHAIN_MAX + 1, path);
	diag.msg[0] = '\0';
	assert_int_equal(masa_signer_load_cert(s, path, &der, &diag), MASA_E_KEY);
	assert_non_null(strstr(diag.msg, "holds more than"));
	write_chain(*state, "full.crt", certs, MASA_SIGNER_CHAIN_MAX, path);

	/* failures left the chain as it was; a good file replaces it */
	chain = masa_signer_chain(s, &n);
	assert_int_equal(n, 2);
	assert_cert(chain[1], ca);
	assert_int_equal(masa_signer_load_cert(s, path, &der, &diag), MASA_OK);
	masa_buf_free(&der);
	chain = masa_signer_chain(s, &n);
	assert_int_equal(n, MASA_SIGNER_CHAIN_MAX);
	assert_cert(chain[MASA_SIGNER_CHAIN_MAX - 1], ca);
	masa_signer_free(s);
}

/* Proves key references: a pkcs11: URI (any case) goes to the PKCS#11
 * opener, which refuses one with a PIN in it (or, in a build without
 * PKCS#11, every one) with one sentence that does not echo the PIN, and
 * one without a module configured; a path opens as a file, with the
 * file's checks. (tests/e2e/test_hsm.py opens keys on a real token.) */
static void
test_open_key_reference(void **state)
{
	static const char *const uris[] = {
		"pkcs11:token=masa;object=voucher;type=private?pin-value=1234",
		"PKCS11:object=voucher", "pkcs11:",
	};
#ifdef MASA_PKCS11
	static const char *const why[] = {
		"a pkcs11: URI must not carry its PIN (pin-value): name a PIN file with "
		"pin-source= or signing.pin_file",
		"PKCS11:object=voucher: signing.pkcs11_module is not set (the PKCS#11 module "
		"library, e.g. /usr/lib/softhsm/libsofthsm2.so)",
		"pkcs11:: signing.pkcs11_module is not set (the PKCS#11 module library, e.g. "
		"/usr/lib/softhsm/libsofthsm2.so)",
	};
#endif
	struct masa_diag diag = { "" };
	struct masa_signer *s = NULL;
	char key[TU_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		diag.msg[0] = '\0';
		assert_true(masa_signer_ref_is_uri(uris[i]));
		assert_int_equal(masa_signer_open(uris[i], MASA_ALG_ES256, &s, &diag), MASA_E_KEY);
		assert_null(s);
#ifdef MASA_PKCS11
		assert_string_equal(diag.msg, why[i]);
#else
		assert_string_equal(diag.msg,
		    "PKCS#11 keys (pkcs11: URIs) are not supported by this build");
#endif
	}
	assert_false(masa_signer_ref_is_uri("/etc/masa/signing.key"));
	assert_false(masa_signer_ref_is_uri("pkcs11"));
	assert_false(masa_signer_ref_is_uri("./pkcs11:x"));
	assert_false(masa_signer_ref_is_uri("file:signing.key"));

	gen_key(*state, MASA_ALG_ES384, "k", key);
	assert_int_equal(masa_signer_open(key, MASA_ALG_ES384, &s, &diag), MASA_OK);
	assert_string_equal(masa_signer_where(s), key);
	assert_int_equal(masa_signer_alg(s), MASA_ALG_ES384);
	masa_signer_free(s);
	s = NULL;
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(masa_signer_open(key, MASA_ALG_ES384, &s, &diag), MASA_E_FILE_PERM);
	assert_null(s);
}

/* A test implementation of the ops: signs with key, publishes pub's
 * public key, counts its calls, fails or corrupts on demand. */
struct fake {
	EVP_PKEY *key, *pub;
	enum masa_alg alg;
	int fail;		/* sign fails */
	int corrupt;		/* sign flips a bit of the signature */
	atomic_int calls;	/* of sign */
	int *freed;
};

static enum masa_err
fake_sign(void *impl, struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX])
{
	struct fake *f = impl;
	enum masa_err rc;

	atomic_fetch_add(&f->calls, 1);
	if (f->fail)
		return MASA_E_CRYPTO;
	rc = masa_alg_sign_raw(f->alg, f->key, msg, sig);
	if (f->corrupt)
		sig[0] ^= 1;
	return rc;
}

static enum masa_err
fake_public_der(const void *impl, uint8_t *out, size_t cap, size_t *len)
{
	return masa_pubkey_spki(((const struct fake *)impl)->pub, out, cap, len);
}

static enum masa_alg
fake_alg(const void *impl)
{
	return ((const struct fake *)impl)->alg;
}

static void
fake_describe(const void *impl, char *out, size_t cap)
{
	(void)impl;
	snprintf(out, cap, "the fake key");
}

static void
fake_free(void *impl)
{
	struct fake *f = impl;

	(*f->freed)++;
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->pub);
	free(f);
}

static const struct masa_signer_ops fake_ops = {
	.sign = fake_sign, .public_der = fake_public_der, .alg = fake_alg,
	.describe = fake_describe, .free = fake_free,
};

/* A new P-256 key. */
static EVP_PKEY *
p256(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

/* A fake of alg signing with a new P-256 key and publishing it (or, with
 * other_pub, another key's); *freed counts its release. */
static struct fake *
fake_new(enum masa_alg alg, int other_pub, int *freed)
{
	struct fake *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->alg = alg;
	f->key = p256();
	if (other_pub) {
		f->pub = p256();
	} else {
		f->pub = f->key;
		assert_int_equal(EVP_PKEY_up_ref(f->pub), 1);
	}
	f->freed = freed;
	return f;
}

/* Proves the generic layer drives any implementation: one self-test
 * signature at open (not counted), then every masa_signer_sign goes
 * through the ops and is counted, failures apart; the public key, the
 * algorithm and where it lives come from the ops; free releases it once. */
static void
test_ops_dispatch_and_counters(void **state)
{
	struct masa_diag diag = { "" };
	struct masa_signer *s = NULL;
	struct masa_signer_stats st;
	int freed = 0;
	struct fake *f = fake_new(MASA_ALG_ES256, 0, &freed);
	struct masa_buf out;
	uint8_t sig[MASA_SIG_MAX], spki[MASA_SPKI_MAX], want[MASA_SPKI_MAX];
	size_t len = 0, wlen = 0;
	EVP_PKEY *pk;
	int i;

	(void)state;
	assert_int_equal(masa_signer_new(&fake_ops, f, &s, &diag), MASA_OK);
	assert_int_equal(atomic_load(&f->calls), 1);	/* the self-test */
	masa_signer_stats(s, &st);
	assert_true(st.signatures == 0 && st.failures == 0);
	assert_int_equal(masa_signer_alg(s), MASA_ALG_ES256);
	assert_string_equal(masa_signer_where(s), "the fake key");
	assert_int_equal(masa_signer_public_der(s, spki, sizeof spki, &len), MASA_OK);
	assert_int_equal(masa_pubkey_spki(f->key, want, sizeof want, &wlen), MASA_OK);
	assert_int_equal(len, wlen);
	assert_memory_equal(spki, want, len);
	assert_int_equal(masa_signer_public_der(s, spki, len - 1, &len), MASA_E_CRYPTO);

	pk = public_key(s);
	for (i = 0; i < 3; i++) {
		sign(s, sig);
		assert_int_equal(verify(MASA_ALG_ES256, pk, message, sizeof message - 1, sig, 64),
		    MASA_OK);
	}
	EVP_PKEY_free(pk);
	f->fail = 1;
	len = 7;
	assert_int_equal(masa_signer_sign(s, (struct masa_bytes){ message, 1 }, sig, &len),
	    MASA_E_CRYPTO);
	assert_int_equal(len, 7);
	assert_int_equal(atomic_load(&f->calls), 5);
	masa_signer_stats(s, &st);
	assert_true(st.signatures == 4 && st.failures == 1);
	/* No ops->pkey: no CMS, one more failed signature. */
	masa_buf_init(&out, 1024);
	assert_int_equal(masa_signer_cms_sign(s, (struct masa_bytes){ message, 1 }, "1.2.3", NULL, 0,
	    &out), MASA_E_KEY);
	assert_int_equal(out.len, 0);
	masa_buf_free(&out);
	masa_signer_stats(s, &st);
	assert_true(st.signatures == 5 && st.failures == 2);
	masa_signer_stats(NULL, &st);
	assert_true(st.signatures == 0 && st.failures == 0);
	masa_signer_free(s);
	assert_int_equal(freed, 1);
}

/* Proves the proof at open refuses, for any implementation, a failing
 * signer, a wrong signature, a public key that is not the signing key's,
 * and a key of another type than its algorithm, and frees the
 * implementation each time. */
static void
test_ops_self_test_refuses(void **state)
{
	static const struct {
		enum masa_alg alg;
		int other_pub, fail, corrupt;
		const char *msg;
	} cases[] = {
		{ MASA_ALG_ES256, 0, 1, 0, "the fake key failed the signing self-test" },
		{ MASA_ALG_ES256, 0, 0, 1, "the fake key failed the signing self-test" },
		{ MASA_ALG_ES256, 1, 0, 0, "the fake key failed the signing self-test" },
		{ MASA_ALG_ES384, 0, 0, 0, "the fake key is not a key for algorithm es384" },
		{ MASA_ALG_EDDSA, 0, 0, 0, "the fake key is not a key for algorithm eddsa" },
	};
	struct masa_diag diag;
	struct masa_signer *s = NULL;
	struct fake *f;
	int freed = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		diag.msg[0] = '\0';
		f = fake_new(cases[i].alg, cases[i].other_pub, &freed);
		f->fail = cases[i].fail;
		f->corrupt = cases[i].corrupt;
		assert_int_equal(masa_signer_new(&fake_ops, f, &s, &diag), MASA_E_KEY);
		assert_null(s);
		assert_string_equal(diag.msg, cases[i].msg);
		assert_int_equal(freed, (int)i + 1);
	}
}

#define SIGN_THREADS 4
#define SIGNS_EACH 100

static void *
sign_many(void *arg)
{
	uint8_t sig[MASA_SIG_MAX];
	size_t len, i;

	for (i = 0; i < SIGNS_EACH; i++)
		if (masa_signer_sign(arg, (struct masa_bytes){ message, sizeof message - 1 }, sig,
		    &len) != MASA_OK)
			return arg;
	return NULL;
}

/* Proves a file signer signs from several threads at once and counts
 * every signature. */
static void
test_concurrent_signing_counts(void **state)
{
	pthread_t t[SIGN_THREADS];
	struct masa_signer_stats st;
	struct masa_signer *s = NULL;
	char key[TU_PATH_MAX];
	void *ret;
	size_t i;

	gen_key(*state, MASA_ALG_ES256, "k", key);
	expect_load(key, MASA_ALG_ES256, MASA_OK, &s);
	for (i = 0; i < SIGN_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sign_many, s), 0);
	for (i = 0; i < SIGN_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	masa_signer_stats(s, &st);
	assert_true(st.signatures == SIGN_THREADS * SIGNS_EACH && st.failures == 0);
	masa_signer_free(s);
}

/* masa_keygen_selfsigned into d/key_name, d/cert_name. */
static enum masa_err
keygen(const struct tu_dir *d, const char *key_name, const char *cert_name)
{
	char key[TU_PATH_MAX], cert[TU_PATH_MAX];
	struct masa_diag diag = { "" };

	tu_path(key, d, key_name);
	tu_path(cert, d, cert_name);
	return masa_keygen_selfsigned(MASA_ALG_ES256, MASA_CERT_VOUCHER_SIGNING, "t", NULL, 1,
	    key, cert, &diag);
}

/* Proves keygen writes an owner-only key and a 0644 certificate, whatever the umask. */
static void
test_keygen_file_modes(void **state)
{
	char key[TU_PATH_MAX], cert[TU_PATH_MAX];
	mode_t old = umask(0);

	assert_int_equal(keygen(*state, "k.key", "k.crt"), MASA_OK);
	umask(old);
	tu_path(key, *state, "k.key");
	tu_path(cert, *state, "k.crt");
	assert_int_equal(tu_mode(key), 0600);
	assert_int_equal(tu_mode(cert), 0644);
}

/* Proves keygen never overwrites a file and leaves nothing of its own behind. */
static void
test_keygen_refuses_existing(void **state)
{
	char key[TU_PATH_MAX], cert[TU_PATH_MAX];
	char *text;

	tu_path(key, *state, "k.key");
	tu_path(cert, *state, "k.crt");
	tu_write(key, "old key", 0600);
	assert_int_equal(keygen(*state, "k.key", "k.crt"), MASA_E_EXISTS);
	assert_false(tu_exists(cert));
	text = tu_read(key, NULL);
	assert_string_equal(text, "old key");
	free(text);
	assert_int_equal(unlink(key), 0);

	tu_write(cert, "old cert", 0644);
	assert_int_equal(keygen(*state, "k.key", "k.crt"), MASA_E_EXISTS);
	assert_false(tu_exists(key));
	text = tu_read(cert, NULL);
	assert_string_equal(text, "old cert");
	free(text);
}

/* Proves a failure writing the certificate removes the key just written. */
static void
test_keygen_unwritable_cert(void **state)
{
	char key[TU_PATH_MAX];

	assert_int_not_equal(keygen(*state, "k.key", "no/such/dir/k.crt"), MASA_OK);
	tu_path(key, *state, "k.key");
	assert_false(tu_exists(key));
}

/* Counts subjectAltName entries of type (GEN_DNS, GEN_IPADD); with value
 * (a DNS name or a textual IP address), only entries equal to it. */
static int
san_count(X509 *cert, int type, const char *value)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	uint8_t ip[16];
	size_t iplen = 0;
	int i, n = 0;

	if (value != NULL && type == GEN_IPADD) {
		iplen = inet_pton(AF_INET, value, ip) == 1 ? 4 : 16;
		assert_true(iplen == 4 || inet_pton(AF_INET6, value, ip) == 1);
	}
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *s = type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;

		if (g->type != type)
			continue;
		if (value == NULL ||
		    (type == GEN_DNS && ASN1_STRING_length(s) == (int)strlen(value) &&
		     memcmp(ASN1_STRING_get0_data(s), value, strlen(value)) == 0) ||
		    (type == GEN_IPADD && ASN1_STRING_length(s) == (int)iplen &&
		     memcmp(ASN1_STRING_get0_data(s), ip, iplen) == 0))
			n++;
	}
	GENERAL_NAMES_free(names);
	return n;
}

/* Generates a TLS certificate for host in d and reads it. */
static X509 *
tls_cert_for(const struct tu_dir *d, const char *host, const char *name)
{
	char key[TU_PATH_MAX], cert[TU_PATH_MAX];

	gen_pair(d, MASA_ALG_ES256, MASA_CERT_TLS_SERVER, host, name, key, cert);
	return read_cert(cert);
}

/* Proves the TLS certificate names its host in subjectAltName. */
static void
test_tls_cert_subject_alt_name(void **state)
{
	char key_path[TU_PATH_MAX], cert_path[TU_PATH_MAX];
	X509 *cert;

	cert = tls_cert_for(*state, "localhost", "lh");
	assert_int_equal(san_count(cert, GEN_DNS, "localhost"), 1);
	assert_int_equal(san_count(cert, GEN_IPADD, "127.0.0.1"), 1);
	assert_int_equal(san_count(cert, GEN_IPADD, "::1"), 1);
	X509_free(cert);

	cert = tls_cert_for(*state, "192.0.2.7", "ip");
	assert_int_equal(san_count(cert, GEN_IPADD, "192.0.2.7"), 1);
	assert_int_equal(san_count(cert, GEN_IPADD, NULL), 1);
	assert_int_equal(san_count(cert, GEN_DNS, NULL), 0);
	X509_free(cert);

	cert = tls_cert_for(*state, "masa.example", "dns");
	assert_int_equal(san_count(cert, GEN_DNS, "masa.example"), 1);
	assert_int_equal(san_count(cert, GEN_IPADD, NULL), 0);
	X509_free(cert);

	/* a voucher-signing certificate has no subjectAltName */
	gen_pair(*state, MASA_ALG_ES256, MASA_CERT_VOUCHER_SIGNING, NULL, "vs", key_path, cert_path);
	cert = read_cert(cert_path);
	assert_null(X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL));
	X509_free(cert);
}

/* masa_tls_files_load of d/cert_name, d/key_name. */
static enum masa_err
tls_load(const struct tu_dir *d, const char *cert_name, const char *key_name,
    struct masa_buf *cert, struct masa_buf *key)
{
	char cp[TU_PATH_MAX], kp[TU_PATH_MAX];
	struct masa_diag diag = { "" };

	tu_path(cp, d, cert_name);
	tu_path(kp, d, key_name);
	return masa_tls_files_load(cp, kp, cert, key, &diag);
}

/* Proves the TLS files load as a matching pair only, and the key must be owner-only. */
static void
test_tls_files_load(void **state)
{
	struct masa_buf cert, key;
	char kp[TU_PATH_MAX];

	tu_keygen(*state, MASA_ALG_ES256, MASA_CERT_TLS_SERVER, "localhost", "a.key", "a.crt");
	tu_keygen(*state, MASA_ALG_ES256, MASA_CERT_TLS_SERVER, "localhost", "b.key", "b.crt");
	assert_int_equal(tls_load(*state, "a.crt", "a.key", &cert, &key), MASA_OK);
	assert_int_equal(strncmp((const char *)cert.ptr, "-----BEGIN CERTIFICATE-----", 27), 0);
	assert_int_equal(strncmp((const char *)key.ptr, "-----BEGIN PRIVATE KEY-----", 27), 0);
	assert_int_equal(cert.ptr[cert.len], '\0');
	assert_int_equal(key.ptr[key.len], '\0');
	masa_buf_free(&cert);
	masa_buf_free(&key);

	assert_int_equal(tls_load(*state, "a.crt", "b.key", &cert, &key), MASA_E_KEY);
	assert_int_equal(tls_load(*state, "b.crt", "a.key", &cert, &key), MASA_E_KEY);
	assert_int_equal(tls_load(*state, "a.key", "a.key", &cert, &key), MASA_E_KEY);
	tu_path(kp, *state, "a.key");
	assert_int_equal(chmod(kp, 0640), 0);
	assert_int_equal(tls_load(*state, "a.crt", "a.key", &cert, &key), MASA_E_FILE_PERM);
}

/* The content of CMS der verified with cert (NO_SIGNER_CERT_VERIFY: a
 * self-signed key) into got; its eContentType as dotted text into oid. */
static void
cms_check(struct masa_buf der, X509 *cert, char *got, size_t cap, char oid[64])
{
	const unsigned char *p = der.ptr;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *out = BIO_new(BIO_s_mem());
	int n;

	assert_non_null(cms);
	assert_ptr_equal(p, der.ptr + der.len);
	assert_int_equal(sk_X509_push(certs, cert), 1);
	assert_int_equal(CMS_verify(cms, certs, NULL, NULL, out,
	    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY), 1);
	n = BIO_read(out, got, (int)cap - 1);
	assert_true(n > 0);
	got[n] = '\0';
	OBJ_obj2txt(oid, 64, CMS_get0_eContentType(cms), 1);
	sk_X509_free(certs);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
}

/* Proves masa_signer_cms_sign: SignedData that OpenSSL's CMS_verify takes,
 * with the content, eContentType and chain given, counted as a signature;
 * without a chain the signer is named by key id and no certificate sent;
 * an implementation without ops->pkey fails with MASA_E_KEY. */
static void
test_cms_sign(void **state)
{
	static const enum masa_alg algs[] = { MASA_ALG_ES256, MASA_ALG_ES384 };
	const char *oid_in = "1.2.840.113549.1.9.16.1.40";
	char key[TU_PATH_MAX], crt[TU_PATH_MAX], got[256], oid[64];
	struct masa_diag diag = { "" };
	struct masa_signer *s = NULL;
	struct masa_signer_stats st;
	struct masa_bytes m = { message, sizeof message - 1 };
	const struct masa_bytes *chain;
	struct masa_buf der, out;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	X509 *cert;
	size_t i, n;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		gen_pair(*state, algs[i], MASA_CERT_VOUCHER_SIGNING, NULL, i ? "c384" : "c256", key, crt);
		expect_load(key, algs[i], MASA_OK, &s);
		assert_int_equal(masa_signer_load_cert(s, crt, &der, &diag), MASA_OK);
		p = der.ptr;
		cert = d2i_X509(NULL, &p, (long)der.len);
		assert_non_null(cert);
		chain = masa_signer_chain(s, &n);
		masa_buf_init(&out, 64 * 1024);
		assert_int_equal(masa_signer_cms_sign(s, m, oid_in, chain, n, &out), MASA_OK);
		cms_check(out, cert, got, sizeof got, oid);
		assert_string_equal(got, (const char *)message);
		assert_string_equal(oid, oid_in);
		masa_buf_truncate(&out, 0);
		assert_int_equal(masa_signer_cms_sign(s, m, oid_in, chain, 0, &out), MASA_OK);
		cms_check(out, cert, got, sizeof got, oid);	/* found by its key id */
		p = out.ptr;
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)out.len);
		assert_null(CMS_get1_certs(cms));
		CMS_ContentInfo_free(cms);
		masa_signer_stats(s, &st);
		assert_int_equal(st.signatures, 2);
		assert_int_equal(st.failures, 0);
		X509_free(cert);
		masa_buf_free(&out);
		masa_buf_free(&der);
		masa_signer_free(s);
		s = NULL;
	}
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DIR_TEST(test_load_each_alg),
		DIR_TEST(test_load_wrong_alg),
		DIR_TEST(test_key_file_modes),
		DIR_TEST(test_key_symlink),
		DIR_TEST(test_key_other_owner),
		DIR_TEST(test_key_missing),
		DIR_TEST(test_key_garbage),
		DIR_TEST(test_key_empty_file),
		DIR_TEST(test_sign_verify_each_alg),
		DIR_TEST(test_es256_malformed_signatures),
		DIR_TEST(test_load_cert),
		DIR_TEST(test_load_cert_chain),
		DIR_TEST(test_cms_sign),
		DIR_TEST(test_open_key_reference),
		DIR_TEST(test_ops_dispatch_and_counters),
		DIR_TEST(test_ops_self_test_refuses),
		DIR_TEST(test_concurrent_signing_counts),
		DIR_TEST(test_keygen_file_modes),
		DIR_TEST(test_keygen_refuses_existing),
		DIR_TEST(test_keygen_unwritable_cert),
		DIR_TEST(test_tls_cert_subject_alt_name),
		DIR_TEST(test_tls_files_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
