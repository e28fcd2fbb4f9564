/*
 * vreq_build.h: building signed voucher-requests, as a pledge and as a
 * registrar (the client and demo): COSE (vreq_build.c): SID-delta keys
 * under 2501 in ascending order, COSE_Sign1 with tag 18 signed by the
 * given key; CMS and JWS (vreq_json.c): JSON by YANG names.
 */
#ifndef MASA_VREQ_BUILD_H
#define MASA_VREQ_BUILD_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/signer.h"
#include "err.h"
#include "format.h"

/* PVR {2501: {1: 2 (proximity), 7: nonce, 12: registrar SPKI, 13: serial}}. */
MASA_NODISCARD enum masa_err masa_vreq_build_pvr(struct masa_signer *pledge, struct masa_bytes serial,
    struct masa_bytes nonce, struct masa_bytes registrar_spki, struct masa_buf *out);
/* RVR {2501: {1: 2, 2: created-on, 7: nonce, 9: pvr, 13: serial}}; an empty
 * nonce or pvr is left out (nonceless); cert, if not empty, goes in the
 * unprotected x5bag. */
MASA_NODISCARD enum masa_err masa_vreq_build_rvr(struct masa_signer *registrar,
    struct masa_bytes serial, struct masa_bytes nonce, struct masa_bytes pvr, int64_t created_ms,
    struct masa_bytes cert, struct masa_buf *out);

/* The leaves of a JSON voucher-request (masa_vreq_build_json): a PVR has
 * prox_spki (proximity-registrar-pubk, and assertion proximity), an RVR
 * pvr_of (prior-signed-voucher-request); an empty nonce is left out. */
struct masa_json_vreq {
	struct masa_bytes serial;
	struct masa_bytes nonce;
	struct masa_bytes prox_spki;
	struct masa_bytes pvr_of;
	int64_t created_ms;
};

/* {"ietf-voucher-request:voucher": {...}} of v, signed by s as format
 * MASA_FORMAT_CMS (SignedData, eContentType id-ct-animaJSONVoucher, cert
 * in `certificates`, or the key id without one) or MASA_FORMAT_JWS (x5c
 * of cert, if any). */
MASA_NODISCARD enum masa_err masa_vreq_build_json(enum masa_format format, struct masa_signer *s,
    const struct masa_json_vreq *v, struct masa_bytes cert, struct masa_buf *out);

#endif
