/* alg.c: see alg.h. No key storage here: callers own their EVP_PKEYs. */
#include "crypto/alg.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>

#include "crypto/ossl.h"

static const struct {
	enum masa_alg alg;
	const char *name;
	const char *curve;	/* EC group name, or NULL for Ed25519 */
	size_t sig_len;
	int64_t cose;
} algs[] = {
	{ MASA_ALG_ES256, "es256", "prime256v1", 64, -7 },
	{ MASA_ALG_ES384, "es384", "secp384r1", 96, -35 },
	{ MASA_ALG_EDDSA, "eddsa", NULL, 64, -8 },
};

static int
find(enum masa_alg alg)
{
	size_t i;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (algs[i].alg == alg)
			return (int)i;
	return -1;
}

enum masa_err
masa_alg_from_name(const char *name, enum masa_alg *out)
{
	size_t i;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		if (strcmp(algs[i].name, name) == 0) {
			*out = algs[i].alg;
			return MASA_OK;
		}
	}
	return MASA_E_CONFIG;
}

const char *
masa_alg_name(enum masa_alg alg)
{
	int i = find(alg);
	return i < 0 ? "?" : algs[i].name;
}

int64_t
masa_alg_cose_id(enum masa_alg alg)
{
	int i = find(alg);
	return i < 0 ? 0 : algs[i].cose;
}

enum masa_err
masa_alg_from_cose(int64_t id, enum masa_alg *out)
{
	size_t i;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		if (algs[i].cose == id) {
			*out = algs[i].alg;
			return MASA_OK;
		}
	}
	return MASA_E_ALG;
}

size_t
masa_alg_sig_len(enum masa_alg alg)
{
	int i = find(alg);
	return i < 0 ? 0 : algs[i].sig_len;
}

int
masa_alg_key_matches(enum masa_alg alg, const EVP_PKEY *key)
{
	char group[64];
	int i = find(alg);

	if (i < 0 || key == NULL)
		return 0;
	if (algs[i].curve == NULL)
		return EVP_PKEY_is_a(key, "ED25519");
	if (!EVP_PKEY_is_a(key, "EC"))
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof group, NULL))
		return 0;
	return strcmp(group, algs[i].curve) == 0;
}

/* The digest for alg, or NULL for EdDSA (which hashes internally). */
static const char *
md_name(enum masa_alg alg)
{
	switch (alg) {
	case MASA_ALG_ES256: return "SHA256";
	case MASA_ALG_ES384: return "SHA384";
	default: return NULL;
	}
}

enum masa_err
masa_alg_sign_raw(enum masa_alg alg, EVP_PKEY *key, struct masa_bytes msg,
    uint8_t sig[MASA_SIG_MAX])
{
	if (!masa_alg_key_matches(alg, key))
		return MASA_E_CRYPTO;
	return masa_alg_sign_raw_checked(alg, key, msg, sig);
}

enum masa_err
masa_alg_sign_raw_checked(enum masa_alg alg, EVP_PKEY *key, struct masa_bytes msg,
    uint8_t sig[MASA_SIG_MAX])
{
	enum masa_err rc = MASA_E_CRYPTO;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char der[160];
	const unsigned char *p = der;
	size_t derlen = sizeof der, n = masa_alg_sig_len(alg);

	if (n == 0)
		return MASA_E_CRYPTO;
	masa_ossl_clear();
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, md_name(alg), NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, der, &derlen, msg.ptr, msg.len) != 1)
		goto done;
	if (alg == MASA_ALG_EDDSA) {
		if (derlen != n)
			goto done;
		memcpy(sig, der, n);
	} else {
		/* OpenSSL gives DER; COSE wants r||s, each left-padded to n/2. */
		es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		if (es == NULL || p != der + derlen ||
		    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)(n / 2)) < 0 ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + n / 2, (int)(n / 2)) < 0)
			goto done;
	}
	rc = MASA_OK;
done:
	if (rc != MASA_OK)
		masa_ossl_clear();
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return rc;
}

enum masa_err
masa_alg_verify_raw(enum masa_alg alg, EVP_PKEY *key, struct masa_bytes msg,
    struct masa_bytes sig)
{
	enum masa_err rc = MASA_E_CRYPTO;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	const unsigned char *v = sig.ptr;
	size_t n = masa_alg_sig_len(alg), vlen = sig.len;
	int derlen;

	if (!masa_alg_key_matches(alg, key))
		return MASA_E_ALG;
	if (n == 0 || sig.len != n)
		return MASA_E_CRYPTO;
	masa_ossl_clear();
	if (alg != MASA_ALG_EDDSA) {
		/* r||s -> DER. r or s of zero or >= the group order fail in
		 * OpenSSL's ECDSA verify, which checks 0 < r,s < n. */
		r = BN_bin2bn(sig.ptr, (int)(n / 2), NULL);
		s = BN_bin2bn(sig.ptr + n / 2, (int)(n / 2), NULL);
		es = ECDSA_SIG_new();
		if (r == NULL || s == NULL || es == NULL || BN_is_zero(r) || BN_is_zero(s))
			goto done;
		if (ECDSA_SIG_set0(es, r, s) != 1)
			goto done;
		r = s = NULL;	/* now owned by es */
		derlen = i2d_ECDSA_SIG(es, &der);
		if (derlen <= 0)
			goto done;
		v = der;
		vlen = (size_t)derlen;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, md_name(alg), NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestVerify(ctx, v, vlen, msg.ptr, msg.len) != 1)
		goto done;
	rc = MASA_OK;
done:
	masa_ossl_clear();
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	OPENSSL_free(der);
	return rc;
}
