/*
 * product.h: product lines, what the pledges of each can take (voucher
 * formats, registrar key types, the pin form, nonceless vouchers), as the
 * operator adds and changes them (`masa product`, /admin/v1/products) with
 * an audit entry each, the record a device takes at issuance, and the
 * signing key a device records at enrollment (its product's then). Format
 * names are the codecs' (masa/format/formats.h parses them); key types
 * are alg.h's names; pin forms are named here.
 */
#ifndef MASA_PRODUCT_H
#define MASA_PRODUCT_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "diag.h"
#include "err.h"
#include "policy.h"
#include "products.h"
#include "store.h"

/* Which fields of a change are given (the others keep their value, or
 * take the defaults of a new product). */
enum {
	MASA_PRODUCT_FORMATS = 1,
	MASA_PRODUCT_ALGS = 2,
	MASA_PRODUCT_PIN = 4,
	MASA_PRODUCT_NONCELESS = 8,
	MASA_PRODUCT_KEY = 16,
};

/* 1 if s (len bytes) can name a product: 1 to MASA_STORE_TEXT_MAX bytes of
 * UTF-8 without NUL or '/' (the admin API names products in URL paths). */
int masa_product_name_ok(const char *s, size_t len);
/* "pubk" | "ee-cert" (or its older name "cert") | "ca-lowest" |
 * "ca-highest" -> enum masa_pin_form; -1 for anything else. */
int masa_pin_from_name(const char *s, size_t len);
const char *masa_pin_name(int pin);
/* A comma-separated list of key type names (es256,es384,eddsa) -> bit
 * mask (1 << enum masa_alg); -1 if a name is unknown or the list empty. */
int masa_algs_parse(const char *s, size_t len, uint64_t *mask);
/* The names of the set bits of mask, comma-separated, into out: formats
 * (masa_format_name) or key types (masa_alg_name). */
void masa_formats_text(uint64_t mask, char *out, size_t cap);
void masa_algs_text(uint64_t mask, char *out, size_t cap);

/* One line of text: NAME formats=... registrar-algs=... pin=... nonceless=yes|no
 * signing-key=KEY */
void masa_product_line(const struct masa_product_row *p, char *out, size_t cap);

/* Adds (add 1: MASA_E_CONFLICT if it exists) or changes (add 0:
 * MASA_E_NOT_FOUND if it does not) the product named p->name: the fields
 * given in given (MASA_PRODUCT_*) from p; a new product's others from
 * defaults ("default" for the signing key). The signing key given (or a
 * new product's "default") must be a key in service (MASA_E_RECORD, why says which is wrong): a retired one
 * would refuse enrollment to the product's new devices. Appends
 * product.added or product.changed naming actor and the resulting record,
 * and product.key-changed ("product=P from=OLD to=NEW") when a change
 * names another key. *out (may be NULL) is the record written. */
MASA_NODISCARD enum masa_err masa_op_product(struct masa_txn *t, const struct masa_product_row *p,
    unsigned given, int add, const struct masa_policy_product *defaults, const char *actor,
    struct masa_product_row *out, struct masa_diag *why);

/* A product record as the policy sees it. */
void masa_product_policy(const struct masa_product_row *p, struct masa_policy_product *out);

#endif
