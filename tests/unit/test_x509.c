/*
 * test_x509.c: common/crypto/x509.c's PEM public-key parsing: the fast
 * path for canonical keys yields exactly OpenSSL's DER, refuses points not
 * on the curve, and everything else still goes through OpenSSL.
 */
#include "testutil.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/alg.h"
#include "crypto/spki.h"
#include "crypto/x509.h"
#include "encode.h"

/* A new key of the given kind as PEM SPKI text in buf; its DER in der. */
static size_t
make_pem(const char *type, const char *curve, char *buf, size_t cap, uint8_t *der,
    size_t *der_len)
{
	EVP_PKEY *k = curve ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve) :
	    EVP_PKEY_Q_keygen(NULL, NULL, type);
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *d = NULL;
	char *p;
	long n;
	int dl;

	assert_non_null(k);
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &p);
	assert_true(n > 0 && (size_t)n < cap);
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	dl = i2d_PUBKEY(k, &d);
	assert_true(dl > 0);
	memcpy(der, d, (size_t)dl);
	*der_len = (size_t)dl;
	OPENSSL_free(d);
	BIO_free(b);
	EVP_PKEY_free(k);
	return (size_t)n;
}

/* For each supported key type the parsed SPKI is OpenSSL's own DER. */
/* d, emptied: each call's own reason (a diag keeps its first message). */
static struct masa_diag *
fresh(struct masa_diag *d)
{
	d->msg[0] = '\0';
	return d;
}

static void
test_same_der_as_openssl(void **state)
{
	static const char *kinds[][2] = { { "EC", "P-256" }, { "EC", "P-384" }, { "ED25519", NULL } };
	char pem[1024];
	struct masa_diag diag;
	uint8_t der[MASA_SPKI_MAX], spki[MASA_SPKI_MAX];
	size_t der_len, spki_len, n, i, k;
	struct masa_buf cert;

	(void)state;
	for (i = 0; i < 3; i++) {
		for (k = 0; k < 20; k++) {	/* different keys, different base64 */
			n = make_pem(kinds[i][0], kinds[i][1], pem, sizeof pem, der, &der_len);
			assert_int_equal(masa_pem_key_mem((struct masa_bytes){ (uint8_t *)pem, n }, "k", 0,
			    spki, &spki_len, &cert, fresh(&diag)), MASA_OK);
			assert_int_equal(spki_len, der_len);
			assert_memory_equal(spki, der, der_len);
			assert_int_equal(cert.len, 0);
			masa_buf_free(&cert);
		}
	}
}

/* Re-encodes der as PEM "PUBLIC KEY" text. */
static size_t
to_pem(const uint8_t *der, size_t len, char *out)
{
	size_t o = (size_t)sprintf(out, "-----BEGIN PUBLIC KEY-----\n");
	o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, der, (int)len);
	o += (size_t)sprintf(out + o, "\n-----END PUBLIC KEY-----\n");
	return o;
}

/* A P-256 point moved off the curve is refused (by either path), and so
 * are an RSA key and a P-521 key. */
static void
test_refusals(void **state)
{
	char pem[2048];
	struct masa_diag diag;
	uint8_t der[MASA_SPKI_MAX], spki[MASA_SPKI_MAX];
	size_t der_len, spki_len, n;
	struct masa_buf cert;
	EVP_PKEY *rsa;
	BIO *b;
	char *p;

	(void)state;
	make_pem("EC", "P-256", pem, sizeof pem, der, &der_len);
	der[der_len - 1] ^= 1;	/* y no longer matches x */
	n = to_pem(der, der_len, pem);
	assert_int_equal(masa_pem_key_mem((struct masa_bytes){ (uint8_t *)pem, n }, "k", 0, spki,
	    &spki_len, &cert, fresh(&diag)), MASA_E_KEY);
	n = make_pem("EC", "P-521", pem, sizeof pem, der, &der_len);
	assert_int_equal(masa_pem_key_mem((struct masa_bytes){ (uint8_t *)pem, n }, "k", 0, spki,
	    &spki_len, &cert, fresh(&diag)), MASA_E_KEY);
	assert_non_null(strstr(diag.msg, "not P-256, P-384 or Ed25519"));
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(b, rsa);
	n = (size_t)BIO_get_mem_data(b, &p);
	assert_int_equal(masa_pem_key_mem((struct masa_bytes){ (uint8_t *)p, n }, "k", 0, spki,
	    &spki_len, &cert, fresh(&diag)), MASA_E_KEY);
	BIO_free(b);
	EVP_PKEY_free(rsa);
}

/* A compressed P-256 point is not on the fast path but is still accepted,
 * and yields the same SPKI as the uncompressed form (one key, one identity). */
static void
test_compressed_point_uses_openssl(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char pem[1024];
	struct masa_diag diag;
	uint8_t der[MASA_SPKI_MAX], spki[MASA_SPKI_MAX], plain[MASA_SPKI_MAX];
	unsigned char *d = NULL;
	size_t spki_len, plain_len, n;
	struct masa_buf cert;
	int dl;

	(void)state;
	dl = i2d_PUBKEY(k, &d);
	assert_int_equal(dl, 91);
	memcpy(plain, d, (size_t)dl);
	plain_len = (size_t)dl;
	OPENSSL_free(d);
	d = NULL;
	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, "point-format", "compressed"), 1);
	dl = i2d_PUBKEY(k, &d);
	assert_true(dl > 0 && dl < 60);
	memcpy(der, d, (size_t)dl);
	n = to_pem(der, (size_t)dl, pem);
	assert_int_equal(masa_pem_key_mem((struct masa_bytes){ (uint8_t *)pem, n }, "k", 0, spki,
	    &spki_len, &cert, fresh(&diag)), MASA_OK);
	assert_int_equal(spki_len, plain_len);
	assert_memory_equal(spki, plain, plain_len);
	masa_buf_free(&cert);
	OPENSSL_free(d);
	EVP_PKEY_free(k);
}

/* Signs msg with k (ES256/ES384 raw r||s) into sig. */
static void
sign_with(EVP_PKEY *k, enum masa_alg alg, const uint8_t *msg, size_t len, uint8_t *sig)
{
	assert_int_equal(masa_alg_sign_raw(alg, k, (struct masa_bytes){ msg, len }, sig), MASA_OK);
}

/* The DER SPKI of k. */
static size_t
spki_of(EVP_PKEY *k, uint8_t *out)
{
	unsigned char *d = NULL;
	int n = i2d_PUBKEY(k, &d);

	assert_true(n > 0 && n <= MASA_SPKI_MAX);
	memcpy(out, d, (size_t)n);
	OPENSSL_free(d);
	return (size_t)n;
}

/* masa_spki_key_borrow: each call puts the new key into the thread's key
 * object (a signature by the key before no longer verifies), P-256 and
 * P-384 have their own, and a point off the curve, an Ed25519 key or a
 * non-canonical encoding give NULL. */
static void
test_borrowed_key(void **state)
{
	static const uint8_t msg[] = "voucher request";
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *c = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *e = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t da[MASA_SPKI_MAX], db[MASA_SPKI_MAX], dc[MASA_SPKI_MAX], de[MASA_SPKI_MAX];
	uint8_t sa[MASA_SIG_MAX], sb[MASA_SIG_MAX], sc[MASA_SIG_MAX];
	size_t la = spki_of(a, da), lb = spki_of(b, db), lc = spki_of(c, dc), le = spki_of(e, de);
	struct masa_bytes m = { msg, sizeof msg };
	EVP_PKEY *k, *k2;

	(void)state;
	sign_with(a, MASA_ALG_ES256, msg, sizeof msg, sa);
	sign_with(b, MASA_ALG_ES256, msg, sizeof msg, sb);
	sign_with(c, MASA_ALG_ES384, msg, sizeof msg, sc);
	k = masa_spki_key_borrow(da, la);
	assert_non_null(k);
	assert_int_equal(masa_alg_verify_raw(MASA_ALG_ES256, k, m, (struct masa_bytes){ sa, 64 }),
	    MASA_OK);
	assert_int_equal(masa_alg_verify_raw(MASA_ALG_ES256, k, m, (struct masa_bytes){ sb, 64 }),
	    MASA_E_CRYPTO);
	k2 = masa_spki_key_borrow(db, lb);
	assert_ptr_equal(k2, k);	/* the same object, now b */
	assert_int_equal(EVP_PKEY_eq(k2, b), 1);
	assert_int_equal(masa_alg_verify_raw(MASA_ALG_ES256, k2, m, (struct masa_bytes){ sb, 64 }),
	    MASA_OK);
	assert_int_equal(masa_alg_verify_raw(MASA_ALG_ES256, k2, m, (struct masa_bytes){ sa, 64 }),
	    MASA_E_CRYPTO);
	k = masa_spki_key_borrow(dc, lc);
	assert_non_null(k);
	assert_ptr_not_equal(k, k2);
	assert_int_equal(masa_alg_verify_raw(MASA_ALG_ES384, k, m, (struct masa_bytes){ sc, 96 }),
	    MASA_OK);
	assert_null(masa_spki_key_borrow(de, le));
	assert_null(masa_spki_key_borrow(da, la - 1));
	da[la - 1] ^= 1;	/* off the curve */
	assert_null(masa_spki_key_borrow(da, la));
	/* and the key object is still usable after a refused point */
	k = masa_spki_key_borrow(db, lb);
	assert_int_equal(masa_alg_verify_raw(MASA_ALG_ES256, k, m, (struct masa_bytes){ sb, 64 }),
	    MASA_OK);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
	EVP_PKEY_free(e);
}

/* A self-signed P-256 certificate (DER into der) whose subject key
 * identifier is ski (20 bytes), or the key's own (RFC 5280 method 1) when
 * ski is NULL; that identifier goes to used. */
static size_t
cert_with_ski(const uint8_t *ski, uint8_t *der, size_t cap, uint8_t used[20])
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
	unsigned char md[EVP_MAX_MD_SIZE], *p = der;
	unsigned len = 0;
	int n;

	assert_non_null(k);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"registrar", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	if (ski == NULL) {
		assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &len), 1);
		ski = md;
	}
	memcpy(used, ski, 20);
	assert_int_equal(ASN1_OCTET_STRING_set(id, ski, 20), 1);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_key_identifier, id, 0, 0), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	n = i2d_X509(x, NULL);
	assert_true(n > 0 && (size_t)n <= cap);
	i2d_X509(x, &p);
	ASN1_OCTET_STRING_free(id);
	X509_free(x);
	EVP_PKEY_free(k);
	return (size_t)n;
}

/* Security review F7: a certificate's subject key identifier is its
 * domainID only when it is derived from its key; one copied from another
 * registrar's certificate is refused (the caller then uses the key). */
static void
test_ski_must_come_from_the_key(void **state)
{
	uint8_t a[2048], b[2048], ski_a[20], ski_b[20];
	char out[64], want[64];
	size_t na, nb;

	(void)state;
	na = cert_with_ski(NULL, a, sizeof a, ski_a);
	assert_int_equal(masa_x509_ski_base64((struct masa_bytes){ a, na }, out, sizeof out), MASA_OK);
	masa_b64(ski_a, sizeof ski_a, want);
	assert_string_equal(out, want);
	nb = cert_with_ski(ski_a, b, sizeof b, ski_b);	/* another key, the same SKI */
	assert_int_equal(masa_x509_ski_base64((struct masa_bytes){ b, nb }, out, sizeof out),
	    MASA_E_SIGNATURE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_der_as_openssl),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_compressed_point_uses_openssl),
		cmocka_unit_test(test_borrowed_key),
		cmocka_unit_test(test_ski_must_come_from_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
