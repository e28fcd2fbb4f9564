/* client_json.c: see client_json.h. */
#include "client_json.h"

#include <string.h>

#include <jansson.h>

#include "encode.h"
#include "json_codec.h"

enum masa_format
masa_client_json_format(const char *content_type)
{
	if (strncmp(content_type, "application/voucher-cms+json", 28) == 0 ||
	    strncmp(content_type, "application/pkcs7-mime", 22) == 0)
		return MASA_FORMAT_CMS;
	if (strncmp(content_type, "application/voucher-jws+json", 28) == 0)
		return MASA_FORMAT_JWS;
	return 0;
}

/* Prints the verdicts on the voucher JSON's serial-number and nonce; 1 if
 * both are the request's. */
static int
binding(const struct masa_client_opts *o, const struct masa_buf *json,
    const uint8_t nonce[MASA_NONCE_MIN], FILE *out)
{
	json_t *top = json_loadb((const char *)json->ptr, json->len, JSON_REJECT_DUPLICATES, NULL);
	json_t *v = json_object_get(top, "ietf-voucher:voucher");
	const char *serial = json_string_value(json_object_get(v, "serial-number"));
	const char *n64 = json_string_value(json_object_get(v, "nonce"));
	uint8_t n[64];
	size_t nlen = 0;
	int serial_ok = serial != NULL && strcmp(serial, o->serial) == 0, nonce_ok;

	if (n64 != NULL && masa_unb64(n64, strlen(n64), 0, n, sizeof n, &nlen) != 0)
		nlen = 0;
	json_decref(top);
	fprintf(out, "serial-number: %s\n", serial_ok ? "matches the request" : "DOES NOT MATCH the request");
	if (o->nonceless) {
		fprintf(out, "nonce: %s\n", nlen == 0 ? "none (nonceless request)" :
		    "present, though the request had none");
		return serial_ok;
	}
	nonce_ok = nlen == MASA_NONCE_MIN && memcmp(n, nonce, MASA_NONCE_MIN) == 0;
	fprintf(out, "nonce: %s\n", nonce_ok ? "matches the request" :
	    nlen == 0 ? "MISSING from the voucher" : "DOES NOT MATCH the request");
	return serial_ok && nonce_ok;
}

int
masa_client_json_report(const struct masa_client_opts *o, enum masa_format f,
    struct masa_bytes voucher, EVP_PKEY *key, const char *source,
    const uint8_t nonce[MASA_NONCE_MIN], FILE *out)
{
	struct masa_buf json;
	enum masa_err rc;
	int bound;

	if (key == NULL) {
		fprintf(out, "signature: not checked (no MASA key: give --masa-key)\n");
		return 0;
	}
	masa_buf_init(&json, 1024 * 1024);
	rc = f == MASA_FORMAT_CMS ? masa_cms_voucher_open(voucher, key, &json) :
	    masa_jws_voucher_open(voucher, key, &json);
	if (rc != MASA_OK) {
		fprintf(out, "signature: DOES NOT VERIFY with %s (or not a %s voucher)\n", source,
		    masa_format_name(f));
		masa_buf_free(&json);
		return 0;
	}
	fprintf(out, "voucher: %.*s\n", (int)json.len, (const char *)json.ptr);
	bound = binding(o, &json, nonce, out);
	fprintf(out, "signature: verified with %s (%s)\n", source, masa_format_name(f));
	masa_buf_free(&json);
	return bound;
}
