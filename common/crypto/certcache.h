/*
 * certcache.h: what masa needs from a certificate it has already parsed.
 * A registrar sends the same certificate with every voucher request, and
 * OpenSSL 3.0 takes ~150 us to decode one (its key decoder runs under
 * global locks): so the key and the id-kp-cmcRA flag of the last
 * MASA_CERTCACHE_SIZE distinct certificates are kept, keyed by the SHA-256
 * of their DER. Thread-safe; bounded; only certificates that parsed are
 * remembered.
 */
#ifndef MASA_CERTCACHE_H
#define MASA_CERTCACHE_H

#include <openssl/evp.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/x509.h"
#include "err.h"

#define MASA_CERTCACHE_SIZE 64

struct masa_cert_facts {
	EVP_PKEY *key;		/* the subject public key; the caller frees it */
	int cmc_ra;		/* extendedKeyUsage has id-kp-cmcRA */
	uint8_t spki[MASA_SPKI_MAX];	/* the key's canonical DER SPKI (masa_pubkey_spki) */
	size_t spki_len;		/* 0 for a key type masa does not support */
};

/* The facts of DER certificate der, parsed by masa_x509_parse on a miss.
 * MASA_E_MALFORMED for a certificate that does not parse or has no key.
 * A key of a type masa does not support is returned, with spki_len 0. */
MASA_NODISCARD enum masa_err masa_cert_facts_get(struct masa_bytes der,
    struct masa_cert_facts *out);

#endif
