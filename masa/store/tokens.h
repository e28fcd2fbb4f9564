/* tokens.h: the api_tokens table: id (public), name, role, Argon2id hash
 * of the secret. Data access only; masa/tokens.c and masa/auth.c decide. */
#ifndef MASA_STORE_TOKENS_H
#define MASA_STORE_TOKENS_H

#include <stdint.h>

#include "attr.h"
#include "err.h"
#include "store.h"

#define MASA_TOKEN_ROLE_MAX 16
#define MASA_TOKEN_HASH_MAX 160
#define MASA_TOKEN_NAME_MAX 64

struct masa_token_row {
	char id[24];
	char name[MASA_TOKEN_NAME_MAX + 1];
	char role[MASA_TOKEN_ROLE_MAX];
	char hash[MASA_TOKEN_HASH_MAX];
	int64_t created_ms;
};

MASA_NODISCARD enum masa_err masa_store_token_add(struct masa_txn *t, const struct masa_token_row *r);
MASA_NODISCARD enum masa_err masa_store_token_get(struct masa_txn *t, const char *id,
    struct masa_token_row *out);
/* Calls fn for every token, by name. */
MASA_NODISCARD enum masa_err masa_store_token_each(struct masa_txn *t,
    void (*fn)(void *arg, const struct masa_token_row *r), void *arg);
/* Deletes the token called name; MASA_E_NOT_FOUND if there is none. */
MASA_NODISCARD enum masa_err masa_store_token_delete(struct masa_txn *t, const char *name,
    char id_out[24]);

#endif
