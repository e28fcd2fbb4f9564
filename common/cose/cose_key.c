/* cose_key.c: see cose_key.h. */
#include "cose/cose_key.h"

#include <openssl/core_names.h>

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
