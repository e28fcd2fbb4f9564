/* keys.h: the signing_keys table (schema 0004): voucher-signing keys by
 * name, where each lives, and which devices record which. Data access
 * only; `masa key` (cli/cmd_key.c) and app/keyring.c decide. */
#ifndef MASA_STORE_KEYS_H
#define MASA_STORE_KEYS_H

#include <stdint.h>

#include "attr.h"
#include "err.h"
#include "store.h"

#define MASA_KEY_NAME_MAX 64
#define MASA_KEY_REF_MAX 1024	/* as config.h's paths (MASA_PATH_MAX) */
#define MASA_KEY_DEFAULT "default"	/* masa.json's signing.key (ref and cert "") */

struct masa_key_row {
	char name[MASA_KEY_NAME_MAX + 1];
	char ref[MASA_KEY_REF_MAX];	/* a file path or a pkcs11: URI; "" for the default */
	char cert[MASA_KEY_REF_MAX];	/* PEM chain file; "" for the default */
	int alg;			/* enum masa_alg; 0 for the default (signing.alg) */
	int64_t created_ms;
	int64_t retired_ms;		/* 0: in service */
	int64_t devices;		/* devices that record this key (read only) */
	int64_t products;		/* products that name this key (read only) */
};

/* Adds a key; MASA_E_EXISTS if the name is taken. */
MASA_NODISCARD enum masa_err masa_store_key_add(struct masa_txn *t, const struct masa_key_row *r);
/* MASA_E_NOT_FOUND if there is no key called name. */
MASA_NODISCARD enum masa_err masa_store_key_get(struct masa_txn *t, const char *name,
    struct masa_key_row *out);
/* Calls fn for every key, by name. */
MASA_NODISCARD enum masa_err masa_store_key_each(struct masa_txn *t,
    void (*fn)(void *arg, const struct masa_key_row *r), void *arg);
/* Marks key name retired at now_ms (once: a retired key stays so). */
MASA_NODISCARD enum masa_err masa_store_key_retire(struct masa_txn *t, const char *name,
    int64_t now_ms);
/* Records the key a device's pledges trust (at enrollment). */
MASA_NODISCARD enum masa_err masa_store_device_set_key(struct masa_txn *t, int64_t device_id,
    const char *name);

#endif
