/*
 * cose_codec.h: the constrained-BRSKI format (cBRSKI, draft-ietf-anima-
 * constrained-voucher): voucher-requests are COSE_Sign1 (tag 18 optional)
 * over YANG-CBOR with SID keys; vouchers are YANG-CBOR with SID delta keys
 * under 2451 (ietf-voucher:voucher), in ascending key order, signed as a
 * COSE_Sign1 (tag 18, protected {1: alg}, unprotected x5bag with the MASA
 * certificate) through the signer.
 */
#ifndef MASA_COSE_CODEC_H
#define MASA_COSE_CODEC_H

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "format.h"
#include "voucher.h"
#include "vreq.h"

extern const struct masa_codec masa_codec_cose;

#define MASA_SID_VOUCHER 2451	/* ietf-voucher:voucher */
enum {	/* its leaves, as SID delta keys under MASA_SID_VOUCHER */
	MASA_V_ASSERTION = 1,
	MASA_V_CREATED_ON = 2,
	MASA_V_DCRC = 3,	/* domain-cert-revocation-checks */
	MASA_V_EXPIRES_ON = 4,
	MASA_V_NONCE = 7,
	MASA_V_PINNED_CERT = 8,
	MASA_V_PINNED_PUBK = 9,
	MASA_V_SERIAL = 11,
};

/* Decodes the payload of a voucher-request: the top map {2501: {...}} with
 * SID-delta keys (or tag-47 absolute SIDs), or {"ietf-voucher-request:
 * voucher": {...}} with names or absolute SIDs. MASA_E_VREQ,
 * MASA_E_DUPLICATE_KEY (two keys naming one leaf), MASA_E_CBOR*. */
MASA_NODISCARD enum masa_err masa_cose_vreq_payload(struct masa_bytes payload,
    struct masa_vreq_leaves *out);
/* Decodes an RVR and its nested PVR (masa_codec_cose.decode; out->codec
 * is masa_vreq_decode's to set). */
MASA_NODISCARD enum masa_err masa_cose_vreq_decode(struct masa_bytes body,
    struct masa_vreq_raw *out);
/* Builds and signs the voucher of in (masa_codec_cose.sign). */
MASA_NODISCARD enum masa_err masa_cose_voucher_sign(const struct masa_voucher_in *in,
    struct masa_signer *s, struct masa_bytes masa_cert, struct masa_buf *out);
/* Builds the voucher payload (CBOR) of in into out. */
MASA_NODISCARD enum masa_err masa_cose_voucher_payload(const struct masa_voucher_in *in,
    struct masa_buf *out);

#endif
