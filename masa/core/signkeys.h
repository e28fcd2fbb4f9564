/*
 * signkeys.h: registering and retiring voucher-signing keys (the store's
 * signing_keys, keys.h), each with its audit entry in the same
 * transaction. Opening and proving a key is the caller's (the signer).
 */
#ifndef MASA_SIGNKEYS_H
#define MASA_SIGNKEYS_H

#include <stdint.h>

#include "attr.h"
#include "diag.h"
#include "err.h"
#include "keys.h"
#include "store.h"

/* 1 if name may name a key: 1..MASA_KEY_NAME_MAX of [A-Za-z0-9._-]. */
int masa_signkey_name_ok(const char *name);

/* Records r (key.added, detail "name=N alg=A where=W"). MASA_E_EXISTS if
 * the name is taken. */
MASA_NODISCARD enum masa_err masa_signkey_add(struct masa_db *db, const struct masa_key_row *r,
    struct masa_diag *diag);

/* Retires key name (key.retired): MASA_E_NOT_FOUND, or MASA_E_CONFLICT
 * while devices record it and force is 0, or while a product names it
 * whatever force (diag says how many). */
MASA_NODISCARD enum masa_err masa_signkey_retire(struct masa_db *db, const char *name, int force,
    int64_t now_ms, struct masa_diag *diag);

#endif
