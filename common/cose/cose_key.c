/* cose_key.c: see cose_key.h. */
#include "cose/cose_key.h"

#include <openssl/core_names.h>

#include <string.h>

#include <openssl/x509.h>

#include "cbor/cbor_write.h"
#include "crypto/alg.h"

enum masa_err
masa_cose_key_encode(const EVP_PKEY *pub, struct masa_bytes kid, struct masa_buf *out)
{
	uint8_t pt[1 + 2 * 48];
	struct masa_cbor_writer w;
	struct masa_bytes x, y;
	size_t len = 0, half;
	int crv;

	if (masa_alg_key_matches(MASA_ALG_EDDSA, pub)) {
		len = 32;
		if (EVP_PKEY_get_raw_public_key(pub, pt, &len) != 1 || len != 32)
			return MASA_E_CRYPTO;
		x.ptr = pt;
		x.len = 32;
		masa_cbor_writer_init(&w, out);
		masa_cbor_put_map(&w, 4);
		masa_cbor_put_int(&w, 1);	/* kty */
		masa_cbor_put_int(&w, 1);	/* OKP */
		masa_cbor_put_int(&w, 2);	/* kid */
		masa_cbor_put_bstr(&w, kid);
		masa_cbor_put_int(&w, -1);	/* crv */
		masa_cbor_put_int(&w, 6);	/* Ed25519 */
		masa_cbor_put_int(&w, -2);	/* x */
		masa_cbor_put_bstr(&w, x);
		return masa_cbor_writer_done(&w);
	}
	if (masa_alg_key_matches(MASA_ALG_ES256, pub))
		crv = 1;
	else if (masa_alg_key_matches(MASA_ALG_ES384, pub))
		crv = 2;
	else
		return MASA_E_KEY;
	/* Uncompressed point 04 || x || y. */
	if (EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
	    sizeof pt, &len) != 1 || len < 3 || pt[0] != 0x04 || (len - 1) % 2 != 0)
		return MASA_E_CRYPTO;
	half = (len - 1) / 2;
	x.ptr = pt + 1;
	x.len = half;
	y.ptr = pt + 1 + half;
	y.len = half;
	masa_cbor_writer_init(&w, out);
	masa_cbor_put_map(&w, 5);
	masa_cbor_put_int(&w, 1);	/* kty */
	masa_cbor_put_int(&w, 2);	/* EC2 */
	masa_cbor_put_int(&w, 2);	/* kid */
	masa_cbor_put_bstr(&w, kid);
	masa_cbor_put_int(&w, -1);	/* crv */
	masa_cbor_put_int(&w, crv);
	masa_cbor_put_int(&w, -2);	/* x */
	masa_cbor_put_bstr(&w, x);
	masa_cbor_put_int(&w, -3);	/* y */
	masa_cbor_put_bstr(&w, y);
	return masa_cbor_writer_done(&w);
}

/* The SPKI prefix for each supported curve (uncompressed point / raw key). */
static const uint8_t p256_spki[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
};
static const uint8_t p384_spki[] = {
	0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
	0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00, 0x04,
};
static const uint8_t ed25519_spki[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

enum masa_err
masa_cose_key_decode(struct masa_bytes in, EVP_PKEY **out)
{
	static const struct masa_cbor_limits lim = { 4, 32, 16 };
	struct masa_cbor map, k, v;
	struct masa_cbor_iter it;
	struct masa_bytes x = { NULL, 0 }, y = { NULL, 0 };
	int64_t label, val, kty = 0, crv = 0;
	uint8_t spki[160];
	size_t n = 0, half;
	const uint8_t *prefix;
	const unsigned char *p = spki;
	EVP_PKEY *key;

	if (masa_cbor_decode(in, &lim, &map) != MASA_OK || map.type != MASA_CBOR_MAP)
		return MASA_E_COSE;
	masa_cbor_iter_init(&map, &it);
	while (masa_cbor_iter_next(&it, &k) && masa_cbor_iter_next(&it, &v)) {
		if (masa_cbor_int(&k, &label) != MASA_OK)
			continue;	/* text labels: not ours */
		if ((label == 1 || label == -1) && masa_cbor_int(&v, &val) == MASA_OK)
			*(label == 1 ? &kty : &crv) = val;
		else if (label == -2 && v.type == MASA_CBOR_BSTR)
			x = v.str;
		else if (label == -3 && v.type == MASA_CBOR_BSTR)
			y = v.str;
	}
	if (kty == 1 && crv == 6 && x.len == 32 && y.ptr == NULL) {
		prefix = ed25519_spki;
		n = sizeof ed25519_spki;
		half = 32;
	} else if (kty == 2 && (crv == 1 || crv == 2) && x.len == (crv == 1 ? 32u : 48u) &&
	    y.len == x.len) {
		prefix = crv == 1 ? p256_spki : p384_spki;
		n = crv == 1 ? sizeof p256_spki : sizeof p384_spki;
		half = x.len;
	} else {
		return MASA_E_COSE;
	}
	memcpy(spki, prefix, n);
	memcpy(spki + n, x.ptr, half);
	if (y.ptr != NULL)
		memcpy(spki + n + half, y.ptr, half);
	n += y.ptr != NULL ? 2 * half : half;
	key = d2i_PUBKEY(NULL, &p, (long)n);	/* checks the point is on the curve */
	if (key == NULL || p != spki + n) {
		EVP_PKEY_free(key);
		return MASA_E_COSE;
	}
	*out = key;
	return MASA_OK;
}
