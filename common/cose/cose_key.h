/* cose_key.h: a public key as a COSE_Key (RFC 9052 §7, RFC 9053 §7):
 * EC2 {1: 2, 2: kid, -1: crv, -2: x, -3: y} for P-256 (crv 1) and P-384
 * (crv 2); OKP {1: 1, 2: kid, -1: 6, -2: x} for Ed25519. Keys are written
 * in deterministic order (RFC 8949 §4.2.1). */
#ifndef MASA_COSE_KEY_H
#define MASA_COSE_KEY_H

#include <openssl/evp.h>

#include "attr.h"
#include "bytes.h"
#include "cbor/cbor_read.h"
#include "err.h"

MASA_NODISCARD enum masa_err masa_cose_key_encode(const EVP_PKEY *pub, struct masa_bytes kid,
    struct masa_buf *out);

/* A COSE_Key (EC2 P-256/P-384 or OKP Ed25519) to a public key (caller
 * frees). MASA_E_COSE if it is not one of those, well formed. */
MASA_NODISCARD enum masa_err masa_cose_key_decode(struct masa_bytes in, EVP_PKEY **out);

#endif
