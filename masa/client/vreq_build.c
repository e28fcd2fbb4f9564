/* vreq_build.c: see vreq_build.h. */
#include "vreq_build.h"

#include <string.h>

#include "cbor/cbor_write.h"
#include "cose/cose_sign1.h"
#include "timeutil.h"

#define SID_VOUCHER_REQUEST 2501

/* Signs the payload in p (freed here) into out. */
static enum masa_err
sign(struct masa_signer *s, struct masa_buf *p, struct masa_bytes cert, struct masa_buf *out)
{
	enum masa_err rc = masa_cose_sign1_sign(s, masa_buf_view(p), &cert, cert.len > 0 ? 1 : 0, out);

	masa_buf_free(p);
	return rc;
}

enum masa_err
masa_vreq_build_pvr(struct masa_signer *pledge, struct masa_bytes serial, struct masa_bytes nonce,
    struct masa_bytes registrar_spki, struct masa_buf *out)
{
	struct masa_cbor_writer w;
	struct masa_buf p;
	struct masa_bytes none = { NULL, 0 };

	masa_buf_init(&p, 4096);
	masa_cbor_writer_init(&w, &p);
	masa_cbor_put_map(&w, 1);
	masa_cbor_put_uint(&w, SID_VOUCHER_REQUEST);
	masa_cbor_put_map(&w, 4);
	masa_cbor_put_uint(&w, 1);	/* assertion: proximity */
	masa_cbor_put_uint(&w, 2);
	masa_cbor_put_uint(&w, 7);	/* nonce */
	masa_cbor_put_bstr(&w, nonce);
	masa_cbor_put_uint(&w, 12);	/* proximity-registrar-pubk */
	masa_cbor_put_bstr(&w, registrar_spki);
	masa_cbor_put_uint(&w, 13);	/* serial-number */
	masa_cbor_put_tstr(&w, (const char *)serial.ptr, serial.len);
	if (masa_cbor_writer_done(&w) != MASA_OK) {
		masa_buf_free(&p);
		return MASA_E_NOMEM;
	}
	return sign(pledge, &p, none, out);
}

enum masa_err
masa_vreq_build_rvr(struct masa_signer *registrar, struct masa_bytes serial, struct masa_bytes nonce,
    struct masa_bytes pvr, int64_t created_ms, struct masa_bytes cert, struct masa_buf *out)
{
	char created[MASA_RFC3339_LEN];
	struct masa_cbor_writer w;
	struct masa_buf p;

	masa_rfc3339_s(created_ms, created);
	masa_buf_init(&p, 64 * 1024);
	masa_cbor_writer_init(&w, &p);
	masa_cbor_put_map(&w, 1);
	masa_cbor_put_uint(&w, SID_VOUCHER_REQUEST);
	masa_cbor_put_map(&w, 3 + (nonce.len > 0) + (pvr.len > 0));
	masa_cbor_put_uint(&w, 1);
	masa_cbor_put_uint(&w, 2);
	masa_cbor_put_uint(&w, 2);	/* created-on */
	masa_cbor_put_tstr(&w, created, strlen(created));
	if (nonce.len > 0) {
		masa_cbor_put_uint(&w, 7);
		masa_cbor_put_bstr(&w, nonce);
	}
	if (pvr.len > 0) {
		masa_cbor_put_uint(&w, 9);	/* prior-signed-voucher-request */
		masa_cbor_put_bstr(&w, pvr);
	}
	masa_cbor_put_uint(&w, 13);
	masa_cbor_put_tstr(&w, (const char *)serial.ptr, serial.len);
	if (masa_cbor_writer_done(&w) != MASA_OK) {
		masa_buf_free(&p);
		return MASA_E_NOMEM;
	}
	return sign(registrar, &p, cert, out);
}
