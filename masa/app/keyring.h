/*
 * keyring.h: the voucher-signing keys `masa serve` holds, by name (the
 * store's signing_keys, schema 0004): masa.json's key as "default", and
 * every other key in service opened from its reference (a file or a
 * pkcs11: URI) with its certificate and COSE_Key. A retired key is listed
 * but not opened. Built once at start-up; read-only afterwards, so any
 * thread may look keys up.
 */
#ifndef MASA_KEYRING_H
#define MASA_KEYRING_H

#include "attr.h"
#include "bytes.h"
#include "config.h"
#include "crypto/signer.h"
#include "diag.h"
#include "err.h"
#include "keys.h"
#include "store.h"

#define MASA_KEYRING_MAX 32	/* keys, retired ones included */

struct masa_key_entry {
	char name[MASA_KEY_NAME_MAX + 1];
	struct masa_signer *signer;	/* NULL when retired */
	struct masa_bytes cert;		/* DER of its certificate */
	struct masa_bytes cose_key;	/* its public key as a COSE_Key */
	int retired;
	/* Owned here, except the default's (startup.h's). */
	struct masa_buf cert_buf, cose_buf;
	int owned;
};

struct masa_keyring {
	struct masa_key_entry e[MASA_KEYRING_MAX];
	size_t n;
};

/* The public key of s as a COSE_Key whose kid is the SHA-256 of its SPKI,
 * into out (initialised here). */
MASA_NODISCARD enum masa_err masa_key_cose(const struct masa_signer *s, struct masa_buf *out);

/* Fills kr from the store: "default" is def (signer, certificate DER and
 * COSE_Key, borrowed), the others are opened with cfg's key options and
 * proved as signing.key is. A key that does not open fails the whole
 * (diag names it). */
MASA_NODISCARD enum masa_err masa_keyring_load(struct masa_keyring *kr, struct masa_db *db,
    const struct masa_config *cfg, struct masa_signer *def, struct masa_bytes def_cert,
    struct masa_bytes def_cose, struct masa_diag *diag);
/* The key called name, or NULL. */
const struct masa_key_entry *masa_keyring_find(const struct masa_keyring *kr, const char *name);
/* 1 if every key in service can sign now (masa_signer_ready: a token's
 * key makes a test signature, so this may block as signing does); 1 for
 * NULL. */
int masa_keyring_ready(const struct masa_keyring *kr);
void masa_keyring_free(struct masa_keyring *kr);

#endif
