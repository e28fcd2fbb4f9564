/*
 * operations.h: operator actions on devices, owners and the block-list,
 * each written with its audit entry (naming the actor: "cli" or
 * "token:<id>") inside the caller's write transaction. The command line
 * and the admin API both use these, so the two cannot drift.
 */
#ifndef MASA_OPERATIONS_H
#define MASA_OPERATIONS_H

#include <stdint.h>

#include "attr.h"
#include "crypto/x509.h"
#include "err.h"
#include "store.h"

/* MASA_E_NOT_FOUND for an unknown serial. */
MASA_NODISCARD enum masa_err masa_op_release(struct masa_txn *t, const char *serial, const char *actor);
MASA_NODISCARD enum masa_err masa_op_retire(struct masa_txn *t, const char *serial, const char *actor);
/* Binds a device to an owner: MASA_E_NOT_FOUND (device), MASA_E_RECORD
 * (no such owner). */
MASA_NODISCARD enum masa_err masa_op_assign(struct masa_txn *t, const char *serial,
    const char *owner, const char *actor);
/* Creates the owner if needed (*created) and, with spki_len > 0, records
 * the key as one of its registrar keys. */
MASA_NODISCARD enum masa_err masa_op_owner_key(struct masa_txn *t, const char *owner,
    const uint8_t *spki, size_t spki_len, const char *actor, int *created);
/* Blocks a key hash; *created 0 if it was blocked already. */
MASA_NODISCARD enum masa_err masa_op_block(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    const char *reason, const char *actor, int *created);
/* MASA_E_NOT_FOUND if it was not blocked. */
MASA_NODISCARD enum masa_err masa_op_unblock(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    const char *actor);

#endif
