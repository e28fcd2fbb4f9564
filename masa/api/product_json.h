/* product_json.h: a product record (core/product.h) as the command line
 * and the admin API read and write it: its fields from text (the CLI's
 * options; the API's JSON arrays joined with commas), and the record as a
 * JSON object. */
#ifndef MASA_PRODUCT_JSON_H
#define MASA_PRODUCT_JSON_H

#include <jansson.h>

#include "attr.h"
#include "diag.h"
#include "product.h"

/* The given fields (NULL: not given; nonceless -1: not given) into p and
 * *given (MASA_PRODUCT_*): formats are this build's codec names, key
 * types es256/es384/eddsa, comma-separated; key a signing key's name
 * (whether it exists is masa_op_product's to check). MASA_E_RECORD with a
 * sentence in why naming what is wrong. */
MASA_NODISCARD enum masa_err masa_product_fields(const char *formats, const char *algs,
    const char *pin, int nonceless, const char *key, struct masa_product_row *p,
    unsigned *given, struct masa_diag *why);
/* {"name", "formats": [...], "registrar-algs": [...], "pin", "nonceless",
 * "signing-key", "created", "updated"} as a new object (NULL: out of
 * memory). */
json_t *masa_product_json(const struct masa_product_row *p);

#endif
