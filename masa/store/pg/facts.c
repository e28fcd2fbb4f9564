/* facts.c: masa_store_issue_facts for PostgreSQL: the device, the
 * registrar key, the block-list, the bucket, a retry to replay and the
 * device's product record in one statement (one round trip), as facts.c
 * does for SQLite. */
#include "pg_int.h"

#include <string.h>

enum masa_err
masa_pg_issue_facts(struct masa_txn *t, const char *serial,
    const uint8_t registrar_sha256[MASA_SHA256_LEN],
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_issue_facts *out)
{
	static const char sql[] =
	    "SELECT d.id, d.pubkey, d.idevid IS NOT NULL, d.product, d.owner_id,"
	    " d.pinned_registrar_id, d.retired, r.id, r.owner_id, r.first_seen_net,"
	    " EXISTS (SELECT 1 FROM blocked_registrars WHERE spki_sha256 = $2),"
	    " b.tat_ms,"
	    " EXISTS (SELECT 1 FROM vouchers v WHERE v.device_id = d.id AND v.registrar_id = r.id"
	    "  AND v.request_sha256 = $3 AND v.created_ms >= $4"
	    "  AND (v.expires_ms IS NULL OR v.expires_ms > $5)),"
	    " d.signing_key, p.formats, p.registrar_algs, p.pin, p.nonceless"
	    " FROM devices d"
	    " LEFT JOIN registrar_keys r ON r.spki_sha256 = $2"
	    " LEFT JOIN products p ON p.name = d.product"
	    " LEFT JOIN token_buckets b ON b.device_id = d.id"
	    " WHERE d.serial = $1";
	struct masa_pg_params p = { 0 };
	struct masa_issue_facts f;
	struct masa_bytes k;
	PGresult *r = NULL;
	enum masa_err rc;

	memset(&f, 0, sizeof f);
	masa_pg_text(&p, serial, 0);
	masa_pg_bytes(&p, registrar_sha256, MASA_SHA256_LEN);
	masa_pg_bytes(&p, request_sha256, MASA_SHA256_LEN);
	masa_pg_int(&p, since_ms);
	masa_pg_int(&p, now_ms);
	rc = masa_pg_query(t, sql, &p, &r);
	if (rc != MASA_OK || PQntuples(r) == 0)
		goto done;	/* device_found stays 0 */
	f.device_found = 1;
	f.dev.id = masa_pg_get_int(r, 0, 0);
	k = masa_pg_get_bytes(r, 0, 1);
	if (k.len == 0 || k.len > sizeof f.dev.pubkey) {
		rc = MASA_E_STORE;
		goto done;
	}
	memcpy(f.dev.pubkey, k.ptr, k.len);
	f.dev.pubkey_len = k.len;
	f.dev.has_idevid = (int)masa_pg_get_int(r, 0, 2);
	masa_pg_get_text(r, 0, 3, f.dev.product, sizeof f.dev.product);
	f.dev.owner_id = masa_pg_get_int(r, 0, 4);
	f.dev.pinned_registrar_id = masa_pg_get_int(r, 0, 5);
	f.dev.retired = (int)masa_pg_get_int(r, 0, 6);
	f.registrar_known = !masa_pg_is_null(r, 0, 7);
	if (f.registrar_known) {
		f.reg.id = masa_pg_get_int(r, 0, 7);
		f.reg.owner_id = masa_pg_get_int(r, 0, 8);
		masa_pg_get_text(r, 0, 9, f.reg.first_seen_net, sizeof f.reg.first_seen_net);
	}
	f.blocked = (int)masa_pg_get_int(r, 0, 10);
	f.has_bucket = !masa_pg_is_null(r, 0, 11);
	f.tat_ms = masa_pg_get_int(r, 0, 11);
	f.retry_found = (int)masa_pg_get_int(r, 0, 12);
	masa_pg_get_text(r, 0, 13, f.dev.signing_key, sizeof f.dev.signing_key);
	f.product_found = !masa_pg_is_null(r, 0, 14);
	if (f.product_found) {
		f.product_formats = (uint64_t)masa_pg_get_int(r, 0, 14);
		f.product_registrar_algs = (uint64_t)masa_pg_get_int(r, 0, 15);
		f.product_pin = (int)masa_pg_get_int(r, 0, 16);
		f.product_nonceless = (int)masa_pg_get_int(r, 0, 17);
	}
done:
	if (rc == MASA_OK)
		*out = f;
	PQclear(r);
	return rc;
}
