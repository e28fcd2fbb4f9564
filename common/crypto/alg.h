/*
 * alg.h: the signature algorithms masa supports (ES256, ES384, EdDSA with
 * Ed25519), their key types and signature sizes, and signing/verification
 * in the fixed-length raw form COSE uses (ECDSA r||s, RFC 9053 §2.1).
 * The one place where ECDSA DER <-> r||s conversion happens.
 */
#ifndef MASA_ALG_H
#define MASA_ALG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"

enum masa_alg {
	MASA_ALG_ES256 = 1,
	MASA_ALG_ES384 = 2,
	MASA_ALG_EDDSA = 3,
};

#define MASA_SIG_MAX 96	/* the largest raw signature (ES384) */

/* "es256" | "es384" | "eddsa" -> alg; MASA_E_CONFIG for anything else. */
MASA_NODISCARD enum masa_err masa_alg_from_name(const char *name, enum masa_alg *out);
const char *masa_alg_name(enum masa_alg alg);
/* COSE algorithm identifiers (RFC 9053): -7, -35, -8. */
int64_t masa_alg_cose_id(enum masa_alg alg);
/* COSE id -> alg; MASA_E_ALG for any other value (HMAC, RSA, ES512...). */
MASA_NODISCARD enum masa_err masa_alg_from_cose(int64_t id, enum masa_alg *out);
/* Raw signature length: 64, 96 or 64. */
size_t masa_alg_sig_len(enum masa_alg alg);
/* 1 if key is of the type and curve alg requires, else 0. */
int masa_alg_key_matches(enum masa_alg alg, const EVP_PKEY *key);

/* Signs msg with key; writes exactly masa_alg_sig_len(alg) bytes to sig. */
MASA_NODISCARD enum masa_err masa_alg_sign_raw(enum masa_alg alg, EVP_PKEY *key,
    struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX]);
/* The same for a key whose type the caller has checked on its public half:
 * a token's key through an OpenSSL engine answers no parameter queries, so
 * masa_alg_key_matches cannot tell its curve (signer_pkcs11.c). */
MASA_NODISCARD enum masa_err masa_alg_sign_raw_checked(enum masa_alg alg, EVP_PKEY *key,
    struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX]);
/* Verifies a raw signature. MASA_OK only for a valid signature of exactly
 * the right length by a key of the right type; MASA_E_ALG for a key that
 * is not of alg's type (or curve), MASA_E_CRYPTO for anything else. */
MASA_NODISCARD enum masa_err masa_alg_verify_raw(enum masa_alg alg, EVP_PKEY *key,
    struct masa_bytes msg, struct masa_bytes sig);

#endif
