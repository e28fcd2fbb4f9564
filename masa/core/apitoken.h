/*
 * tokens.h: API tokens of the form "<id>.<secret>": id is 16 hex digits
 * (the lookup key), secret 256 random bits in base64url. Only an Argon2id
 * hash of the secret is stored; the token is shown once.
 */
#ifndef MASA_TOKENS_H
#define MASA_TOKENS_H

#include <stdint.h>

#include "attr.h"
#include "diag.h"
#include "err.h"
#include "store.h"

#define MASA_TOKEN_ID_BYTES 8
#define MASA_TOKEN_SECRET_BYTES 32
#define MASA_TOKEN_MAX (2 * MASA_TOKEN_ID_BYTES + 1 + 44 + 1)

/* Creates a token for name with role ("admin", "factory", "auditor") and
 * records it, with an audit entry, in one transaction. The token text goes
 * to out only on success. MASA_E_EXISTS if name is taken. */
MASA_NODISCARD enum masa_err masa_token_create(struct masa_db *db, const char *name,
    const char *role, int64_t now_ms, char out[MASA_TOKEN_MAX], struct masa_diag *diag);

/* Deletes the token named name, with an audit entry, in one transaction.
 * MASA_E_NOT_FOUND if there is none. */
MASA_NODISCARD enum masa_err masa_token_revoke(struct masa_db *db, const char *name);

#endif
