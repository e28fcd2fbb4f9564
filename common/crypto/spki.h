/*
 * spki.h: the canonical DER SubjectPublicKeyInfo of each supported key
 * type: a fixed prefix followed by the key (an uncompressed EC point, or
 * the 32 Ed25519 bytes). masa writes keys in this form, and nearly every
 * key it reads is in it, so these are recognised and decoded directly:
 * OpenSSL 3.0's DER decoder takes ~100 us a key under global locks, and a
 * voucher reads several keys. Anything else goes through OpenSSL's
 * decoders (x509.c).
 */
#ifndef MASA_SPKI_H
#define MASA_SPKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/alg.h"

struct masa_spki_form {
	enum masa_alg alg;
	const uint8_t *prefix;
	size_t plen;		/* prefix length */
	size_t klen;		/* key length after the prefix */
};

/* The form for alg, or NULL. */
const struct masa_spki_form *masa_spki_form(enum masa_alg alg);
/* The key of canonical SPKI der (a new reference), or NULL if der is not
 * canonical or its EC point is not on the curve. ~5 us. */
EVP_PKEY *masa_spki_key(const uint8_t *der, size_t len);
/* Like masa_spki_key for a P-256 or P-384 key, but in a key object that
 * the calling thread keeps for the purpose and reuses: no allocation, no
 * copy of the curve (a hot path verifies a new key on every request).
 * The key is the caller's only until its thread's next call; never free
 * it. NULL for other forms, a point not on the curve, or no memory. */
EVP_PKEY *masa_spki_key_borrow(const uint8_t *der, size_t len);

#endif
