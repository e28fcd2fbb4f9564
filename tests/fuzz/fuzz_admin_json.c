/*
 * fuzz_admin_json.c: libFuzzer target for the admin API's JSON records
 * (the body of POST /admin/devices and each NDJSON import line): parsed
 * as the handlers parse it (duplicates refused), then its keys checked and
 * the enrollment record read out of the object.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "enroll_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct masa_diag diag = { "" };
	struct masa_enroll_rec rec;
	struct masa_bytes s;
	json_error_t jerr;
	json_t *root;
	enum masa_err rc;

	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return 0;
	if (json_is_object(root)) {
		rc = masa_admin_keys(root, masa_admin_record_keys, &diag);
		memset(&rec, 0, sizeof rec);
		if (rc == MASA_OK)
			rc = masa_admin_record(root, &diag, &rec);
		if (rc != MASA_OK && diag.msg[0] == '\0')
			abort();	/* a refusal always says why */
		if (masa_admin_str(root, "owner", &diag, &s) != MASA_OK &&
		    json_is_string(json_object_get(root, "owner")))
			abort();	/* a string member refused */
	}
	json_decref(root);
	return 0;
}
