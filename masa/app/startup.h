/*
 * startup.h: loading what a command needs, with the checks `masa serve`
 * and `masa check` share: configuration, the voucher-signing key (opened
 * from its key reference: for a file, owner-only; for any key, type
 * matching the algorithm and a self-test), its certificate chain (the
 * first certifying the key), the TLS files, the store and, with both the
 * signer and the store, every signing key it lists (keyring.h) (opened with its
 * backend's durability settings, schema version).
 */
#ifndef MASA_STARTUP_H
#define MASA_STARTUP_H

#include "attr.h"
#include "bytes.h"
#include "config.h"
#include "crypto/signer.h"
#include "diag.h"
#include "err.h"
#include "keyring.h"
#include "store.h"

enum {
	MASA_NEED_SIGNER = 1,
	MASA_NEED_TLS = 2,
	MASA_NEED_DB = 4,
	MASA_NEED_MIGRATE = 8,	/* apply pending migrations (implies DB) */
};

struct masa_startup {
	struct masa_config cfg;
	struct masa_signer *signer;	/* holds the whole chain (masa_signer_chain) */
	struct masa_buf signing_cert;	/* DER of the first certificate of signing.cert */
	struct masa_buf cose_key;	/* the signing public key as a COSE_Key */
	struct masa_buf tls_cert;	/* PEM, NUL-terminated */
	struct masa_buf tls_key;
	struct masa_db *db;
	struct masa_keyring keys;	/* with the signer and the store: every key by name */
	int schema_have;
	int schema_latest;
};

/* Loads what the flags name from the config at path. On failure nothing
 * is left open and diag says what was wrong. */
MASA_NODISCARD enum masa_err masa_startup_load(const char *path, unsigned need,
    struct masa_startup *out, struct masa_diag *diag);
void masa_startup_free(struct masa_startup *s);

#endif
