/* product_json.c: see product_json.h. */
#include "product_json.h"

#include <stdio.h>
#include <string.h>

#include "formats.h"
#include "signkeys.h"
#include "timeutil.h"

enum masa_err
masa_product_fields(const char *formats, const char *algs, const char *pin, int nonceless,
    const char *key, struct masa_product_row *p, unsigned *given, struct masa_diag *why)
{
	char known[64];
	int form;

	*given = 0;
	if (formats != NULL) {
		if (masa_formats_parse(formats, strlen(formats), &p->formats) != 0) {
			masa_formats_known(known, sizeof known);
			masa_diag_set(why, "formats is a comma-separated list of %s", known);
			return MASA_E_RECORD;
		}
		*given |= MASA_PRODUCT_FORMATS;
	}
	if (algs != NULL) {
		if (masa_algs_parse(algs, strlen(algs), &p->registrar_algs) != 0) {
			masa_diag_set(why, "registrar-algs is a comma-separated list of es256, es384, eddsa");
			return MASA_E_RECORD;
		}
		*given |= MASA_PRODUCT_ALGS;
	}
	if (pin != NULL) {
		form = masa_pin_from_name(pin, strlen(pin));
		if (form < 0 || strcmp(pin, "cert") == 0) {
			masa_diag_set(why, "pin is one of pubk, ca-lowest, ca-highest, ee-cert");
			return MASA_E_RECORD;
		}
		p->pin = form;
		*given |= MASA_PRODUCT_PIN;
	}
	if (nonceless >= 0) {
		p->nonceless = nonceless != 0;
		*given |= MASA_PRODUCT_NONCELESS;
	}
	if (key != NULL) {
		if (!masa_signkey_name_ok(key)) {
			masa_diag_set(why, "signing-key is a key name: 1 to %d of A-Z a-z 0-9 . _ -",
			    MASA_KEY_NAME_MAX);
			return MASA_E_RECORD;
		}
		snprintf(p->signing_key, sizeof p->signing_key, "%s", key);
		*given |= MASA_PRODUCT_KEY;
	}
	return MASA_OK;
}

/* The names of a comma-separated list as a JSON array. */
static json_t *
list(const char *text)
{
	json_t *a = json_array();
	const char *p = text;
	size_t n;

	while (a != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (json_array_append_new(a, json_stringn(p, n)) != 0) {
			json_decref(a);
			return NULL;
		}
		p += n + (p[n] == ',');
	}
	return a;
}

json_t *
masa_product_json(const struct masa_product_row *p)
{
	char fmts[64], algs[64], created[MASA_RFC3339_LEN], updated[MASA_RFC3339_LEN];

	masa_formats_text(p->formats, fmts, sizeof fmts);
	masa_algs_text(p->registrar_algs, algs, sizeof algs);
	masa_rfc3339_ms(p->created_ms, created);
	masa_rfc3339_ms(p->updated_ms, updated);
	return json_pack("{s:s, s:o?, s:o?, s:s, s:b, s:s, s:s, s:s}", "name", p->name,
	    "formats", list(fmts), "registrar-algs", list(algs), "pin", masa_pin_name(p->pin),
	    "nonceless", p->nonceless, "signing-key", p->signing_key, "created", created,
	    "updated", updated);
}
