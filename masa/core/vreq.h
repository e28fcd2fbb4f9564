/*
 * vreq.h: decoding a constrained-BRSKI voucher-request (COSE_Sign1 over
 * YANG-CBOR, cBRSKI §9.1): structure and types only, nothing verified.
 * Everything is a view into the request body.
 */
#ifndef MASA_VREQ_H
#define MASA_VREQ_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "cose/cose_sign1.h"
#include "err.h"

/* The leaves of ietf-voucher-request:voucher that the MASA reads. Absent
 * leaves have a NULL ptr. */
struct masa_vreq_leaves {
	struct masa_bytes created_on;	/* text */
	struct masa_bytes idevid_issuer;
	struct masa_bytes nonce;
	struct masa_bytes prior;	/* prior-signed-voucher-request */
	struct masa_bytes prox_cert;	/* proximity-registrar-cert (DER) */
	struct masa_bytes prox_sha256;	/* proximity-registrar-pubk-sha256 */
	struct masa_bytes prox_pubk;	/* proximity-registrar-pubk (DER SPKI) */
	struct masa_bytes serial;	/* text, 1..MASA_SERIAL_MAX bytes, no controls */
};

/* A decoded registrar voucher-request and the pledge voucher-request it
 * carries. Untrusted until verified (see vreq_verify.h). */
struct masa_vreq_raw {
	struct masa_bytes body;		/* the RVR exactly as received */
	struct masa_cose_sign1 rvr;
	struct masa_vreq_leaves r;
	int has_pvr;
	struct masa_cose_sign1 pvr;
	struct masa_vreq_leaves p;
};

/* 1 if s (n bytes) is an acceptable serial-number: 1..MASA_SERIAL_MAX
 * bytes of UTF-8 without control characters (it becomes a database key,
 * a JSON string and a log field). */
int masa_serial_ok(const uint8_t *s, size_t n);

/* Decodes the payload of a voucher-request: the top map {2501: {...}} with
 * SID-delta keys (or tag-47 absolute SIDs), or {"ietf-voucher-request:
 * voucher": {...}} with names or absolute SIDs. MASA_E_VREQ,
 * MASA_E_DUPLICATE_KEY (two keys naming one leaf), MASA_E_CBOR*. */
MASA_NODISCARD enum masa_err masa_vreq_payload_decode(struct masa_bytes payload,
    struct masa_vreq_leaves *out);

/* Decodes an RVR and its nested PVR, if any. Errors of the PVR come back
 * as MASA_E_PVR_MALFORMED. *out only on success. */
MASA_NODISCARD enum masa_err masa_vreq_decode(struct masa_bytes body, struct masa_vreq_raw *out);

#endif
