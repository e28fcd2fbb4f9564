/* device_json.c: see device_json.h. */
#include "device_json.h"

#include "encode.h"
#include "policy.h"
#include "devices_view.h"
#include "timeutil.h"

static json_t *
hex_or_null(int present, const uint8_t *b, size_t n)
{
	char hex[2 * MASA_SPKI_MAX + 1];

	if (!present || n > MASA_SPKI_MAX)
		return json_null();
	masa_hex(b, n, hex);
	return json_string(hex);
}

enum masa_err
masa_device_json(struct masa_txn *t, const struct masa_config *cfg, const char *serial,
    int64_t now_ms, json_t **out)
{
	struct masa_device d;
	struct masa_device_view v;
	uint8_t fp[MASA_SHA256_LEN];
	char enrolled[MASA_RFC3339_LEN];
	json_t *o;
	enum masa_err rc = masa_store_device_get(t, serial, &d);

	if (rc == MASA_OK)
		rc = masa_store_device_view(t, &d, &v);
	if (rc != MASA_OK)
		return rc;
	masa_sha256((struct masa_bytes){ d.pubkey, d.pubkey_len }, fp);
	masa_rfc3339_ms(d.created_ms, enrolled);
	o = json_pack("{s:s, s:o, s:b, s:o, s:o, s:o, s:I, s:I, s:b, s:s}",
	    "serial-number", d.serial,
	    "public-key-sha256", hex_or_null(1, fp, sizeof fp),
	    "idevid", d.has_idevid,
	    "product", d.product[0] ? json_string(d.product) : json_null(),
	    "owner", v.owner[0] ? json_string(v.owner) : json_null(),
	    "pinned-registrar", hex_or_null(v.pinned, v.pinned_sha256, sizeof v.pinned_sha256),
	    "tokens-left", (json_int_t)masa_policy_tokens_left(&cfg->policy, v.has_bucket, v.tat_ms, now_ms),
	    "vouchers-issued", (json_int_t)v.vouchers,
	    "retired", d.retired,
	    "enrolled", enrolled);
	if (o == NULL)
		return MASA_E_NOMEM;
	*out = o;
	return MASA_OK;
}
