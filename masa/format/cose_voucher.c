/* cose_voucher.c: the cBRSKI voucher (cose_codec.h). */
#include "cose_codec.h"

#include <string.h>


#include "cbor/cbor_write.h"
#include "cose/cose_sign1.h"
#include "crypto/alg.h"
#include "crypto/signer.h"
#include "timeutil.h"

enum masa_err
masa_cose_voucher_payload(const struct masa_voucher_in *in, struct masa_buf *out)
{
	struct masa_cbor_writer w;
	char created[MASA_RFC3339_LEN], expires[MASA_RFC3339_LEN];
	size_t n = 5;	/* assertion, created-on, dcrc, pin, serial */

	n += in->expires_ms != 0;
	n += in->nonce.len > 0;
	masa_rfc3339_s(in->created_ms, created);
	masa_cbor_writer_init(&w, out);
	masa_cbor_put_map(&w, 1);
	masa_cbor_put_uint(&w, MASA_SID_VOUCHER);
	masa_cbor_put_map(&w, n);
	masa_cbor_put_uint(&w, MASA_V_ASSERTION);
	masa_cbor_put_uint(&w, (uint64_t)in->assertion);
	masa_cbor_put_uint(&w, MASA_V_CREATED_ON);
	masa_cbor_put_tstr(&w, created, strlen(created));
	masa_cbor_put_uint(&w, MASA_V_DCRC);
	masa_cbor_put_bool(&w, 0);
	if (in->expires_ms != 0) {
		masa_rfc3339_s(in->expires_ms, expires);
		masa_cbor_put_uint(&w, MASA_V_EXPIRES_ON);
		masa_cbor_put_tstr(&w, expires, strlen(expires));
	}
	if (in->nonce.len > 0) {
		masa_cbor_put_uint(&w, MASA_V_NONCE);
		masa_cbor_put_bstr(&w, in->nonce);
	}
	masa_cbor_put_uint(&w, in->pin_cert ? MASA_V_PINNED_CERT : MASA_V_PINNED_PUBK);
	masa_cbor_put_bstr(&w, in->pin);
	masa_cbor_put_uint(&w, MASA_V_SERIAL);
	masa_cbor_put_tstr(&w, (const char *)in->serial.ptr, in->serial.len);
	return masa_cbor_writer_done(&w);
}

enum masa_err
masa_cose_voucher_sign(const struct masa_voucher_in *in, struct masa_signer *s, struct masa_bytes masa_cert,
    struct masa_buf *out)
{
	struct masa_buf payload;
	const struct masa_bytes *certs;
	size_t n;
	enum masa_err rc;

	/* cBRSKI §9.2.3: the voucher's unprotected x5bag "MUST carry the
	 * signing chain": every certificate of signing.cert, the one
	 * certifying the key first (masa_signer_chain); masa_cert alone for
	 * a signer without a chain. */
	certs = masa_signer_chain(s, &n);
	if (n == 0) {
		certs = &masa_cert;
		n = masa_cert.len > 0 ? 1 : 0;
	}
	masa_buf_init(&payload, 16 * 1024);
	rc = masa_cose_voucher_payload(in, &payload);
	if (rc == MASA_OK)
		rc = masa_cose_sign1_sign(s, masa_buf_view(&payload), certs, n, out);
	masa_buf_free(&payload);
	return rc;
}
