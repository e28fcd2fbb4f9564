/*
 * cose_sign1.h: COSE_Sign1 (RFC 9052 §4.2) as voucher-requests and
 * vouchers use it (cBRSKI §9.2): decode (tag 18 optional), verify over the
 * protected header and payload bytes exactly as received, and sign.
 *
 * Strictness: the algorithm is taken from the protected header only
 * (present elsewhere or absent: MASA_E_ALG), it must be ES256, ES384 or
 * EdDSA and match the key type; signatures are raw r||s of exactly the
 * right length; a header label may appear once across both headers; a
 * `crit` label we do not understand is refused. Key lookup (which key to
 * verify with) is the caller's business.
 */
#ifndef MASA_COSE_SIGN1_H
#define MASA_COSE_SIGN1_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "attr.h"
#include "bytes.h"
#include "cbor/cbor_read.h"
#include "crypto/signer.h"
#include "err.h"

#define MASA_COSE_MAX_CERTS 8
#define MASA_COSE_TAG_SIGN1 18
#define MASA_COSE_LABEL_ALG 1
#define MASA_COSE_LABEL_CRIT 2
#define MASA_COSE_LABEL_KID 4
#define MASA_COSE_LABEL_X5BAG 32
#define MASA_COSE_LABEL_X5CHAIN 33

/* A decoded message: views into the input. */
struct masa_cose_sign1 {
	int tagged;
	struct masa_bytes protected_hdr;	/* protected bstr content, as received */
	struct masa_bytes payload;
	struct masa_bytes signature;
	int alg_state;			/* 0 absent, 1 int in protected, -1 refused form/place */
	int64_t alg;
	struct masa_bytes kid;
	struct masa_bytes certs[MASA_COSE_MAX_CERTS];	/* x5bag / x5chain, DER */
	size_t ncerts;
};

/* Decodes in. MASA_E_CBOR*, MASA_E_COSE, MASA_E_COSE_CRIT,
 * MASA_E_DUPLICATE_KEY. *out only on success. */
MASA_NODISCARD enum masa_err masa_cose_sign1_decode(struct masa_bytes in,
    const struct masa_cbor_limits *lim, struct masa_cose_sign1 *out);

/* Verifies m with key: MASA_OK, MASA_E_ALG or MASA_E_SIGNATURE. */
MASA_NODISCARD enum masa_err masa_cose_sign1_verify(const struct masa_cose_sign1 *m,
    EVP_PKEY *key);

/* Signs payload with the signer: tag 18, protected {1: alg}, unprotected
 * {32: certs} (one bstr for one certificate, else an array; no header when
 * ncerts is 0). Appends to out. */
MASA_NODISCARD enum masa_err masa_cose_sign1_sign(struct masa_signer *s, struct masa_bytes payload,
    const struct masa_bytes *certs, size_t ncerts, struct masa_buf *out);

#endif
