/* enroll_json.c: see enroll_json.h. */
#include "enroll_json.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

enum masa_err
masa_admin_keys(json_t *obj, const char *const *allowed, struct masa_diag *detail)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i] == NULL) {
			masa_diag_set(detail, "unknown member \"%.*s\"",
			    masa_utf8_cut(k, 64), k);
			return MASA_E_JSON;
		}
	}
	return MASA_OK;
}

enum masa_err
masa_admin_str(json_t *obj, const char *key, struct masa_diag *detail, struct masa_bytes *out)
{
	json_t *v = json_object_get(obj, key);

	out->ptr = NULL;
	out->len = 0;
	if (v == NULL)
		return MASA_OK;
	if (!json_is_string(v)) {
		masa_diag_set(detail, "\"%s\" must be a string", key);
		return MASA_E_JSON;
	}
	out->ptr = (const uint8_t *)json_string_value(v);
	out->len = json_string_length(v);
	return MASA_OK;
}

const char *const masa_admin_record_keys[] = {
	"serial-number", "public-key", "idevid", "product", "owner", "signing-key", NULL,
};

enum masa_err
masa_admin_record(json_t *o, struct masa_diag *detail, struct masa_enroll_rec *rec)
{
	static const struct { const char *key; size_t off; } fields[] = {
		{ "serial-number", offsetof(struct masa_enroll_rec, serial) },
		{ "public-key", offsetof(struct masa_enroll_rec, public_key) },
		{ "idevid", offsetof(struct masa_enroll_rec, idevid) },
		{ "product", offsetof(struct masa_enroll_rec, product) },
		{ "owner", offsetof(struct masa_enroll_rec, owner) },
		{ "signing-key", offsetof(struct masa_enroll_rec, signing_key) },
	};
	enum masa_err rc = MASA_OK;
	size_t i;

	memset(rec, 0, sizeof *rec);
	for (i = 0; rc == MASA_OK && i < sizeof fields / sizeof fields[0]; i++)
		rc = masa_admin_str(o, fields[i].key, detail,
		    (struct masa_bytes *)(void *)((char *)rec + fields[i].off));
	return rc;
}
