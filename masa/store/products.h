/*
 * products.h: the product lines' records (schema/sqlite/0003_products.sql):
 * what the pledges of each can take, and the signing key that its devices
 * record at enrollment (0005_product_key.sql). Plain reads and writes inside a
 * caller's transaction; what they mean is the policy's (core/policy.h).
 */
#ifndef MASA_PRODUCTS_H
#define MASA_PRODUCTS_H

#include <stdint.h>

#include "attr.h"
#include "err.h"
#include "keys.h"
#include "rows.h"
#include "store.h"

struct masa_product_row {
	char name[MASA_STORE_TEXT_MAX + 1];
	uint64_t formats;		/* bit 1 << enum masa_format */
	uint64_t registrar_algs;	/* bit 1 << enum masa_alg */
	int pin;			/* enum masa_pin_form */
	int nonceless;			/* 0/1 */
	char signing_key[MASA_KEY_NAME_MAX + 1];	/* keys.h's name (schema 0005) */
	int64_t created_ms, updated_ms;
};

/* Adds p or, when a product of its name exists, replaces its record
 * (created_ms kept); *created 1 if it was added. */
MASA_NODISCARD enum masa_err masa_store_product_put(struct masa_txn *t,
    const struct masa_product_row *p, int64_t now_ms, int *created);
/* MASA_E_NOT_FOUND if there is no product of that name. */
MASA_NODISCARD enum masa_err masa_store_product_get(struct masa_txn *t, const char *name,
    struct masa_product_row *out);
/* Calls fn for each product by name; stops early (MASA_OK) when fn
 * returns non-zero. */
MASA_NODISCARD enum masa_err masa_store_product_each(struct masa_txn *t,
    int (*fn)(void *arg, const struct masa_product_row *p), void *arg);

#endif
