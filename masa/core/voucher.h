/*
 * voucher.h: the voucher artifact: YANG-CBOR with SID delta keys under
 * 2451 (ietf-voucher:voucher), in ascending key order, signed as a
 * COSE_Sign1 (tag 18, protected {1: alg}, unprotected x5bag with the MASA
 * certificate) through the signer. Nothing else touches the key.
 */
#ifndef MASA_VOUCHER_H
#define MASA_VOUCHER_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/signer.h"
#include "err.h"

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

struct masa_voucher_in {
	int assertion;			/* MASA_ASSERT_* */
	int64_t created_ms;
	int64_t expires_ms;		/* 0: no expires-on (nonced vouchers) */
	struct masa_bytes nonce;	/* empty for a nonceless voucher */
	struct masa_bytes serial;	/* text */
	struct masa_bytes pin;		/* DER SPKI, or DER certificate with pin_cert */
	int pin_cert;			/* pinned-domain-cert instead of -pubk */
};

/* Builds the voucher payload (CBOR) into out. */
MASA_NODISCARD enum masa_err masa_voucher_payload(const struct masa_voucher_in *in,
    struct masa_buf *out);
/* Builds and signs the voucher into out; masa_cert is the MASA's DER
 * certificate for the x5bag (cBRSKI §9.2.3). */
MASA_NODISCARD enum masa_err masa_voucher_sign(const struct masa_voucher_in *in,
    struct masa_signer *s, struct masa_bytes masa_cert, struct masa_buf *out);

#endif
