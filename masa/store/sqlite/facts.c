/* facts.c: masa_store_issue_facts for SQLite: the device, the registrar
 * key, the block-list, the bucket and a retry to replay in one statement,
 * and the device's product record,
 * since issuance reads them for every request, once on a snapshot and
 * once in the serialised write transaction. */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

enum masa_err
masa_sqlite_issue_facts(struct masa_txn *t, const char *serial,
    const uint8_t registrar_sha256[MASA_SHA256_LEN],
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_issue_facts *out)
{
	static const char sql[] =
	    "SELECT d.id, d.pubkey, d.idevid IS NOT NULL, d.product, d.owner_id,"
	    " d.pinned_registrar_id, d.retired, r.id, r.owner_id, r.first_seen_net,"
	    " EXISTS (SELECT 1 FROM blocked_registrars WHERE spki_sha256 = ?2),"
	    " b.tat_ms,"
	    " EXISTS (SELECT 1 FROM vouchers v WHERE v.device_id = d.id AND v.registrar_id = r.id"
	    "  AND v.request_sha256 = ?3 AND v.created_ms >= ?4"
	    "  AND (v.expires_ms IS NULL OR v.expires_ms > ?5)),"
	    " d.signing_key, p.formats, p.registrar_algs, p.pin, p.nonceless"
	    " FROM devices d"
	    " LEFT JOIN registrar_keys r ON r.spki_sha256 = ?2"
	    " LEFT JOIN products p ON p.name = d.product"
	    " LEFT JOIN token_buckets b ON b.device_id = d.id"
	    " WHERE d.serial = ?1";
	struct masa_issue_facts f;
	const unsigned char *text;
	sqlite3_stmt *st = NULL;
	enum masa_err rc;
	int n, step;

	memset(&f, 0, sizeof f);
	rc = masa_sqlite_prepare(t, sql, &st);
	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, registrar_sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, request_sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, since_ms);
	sqlite3_bind_int64(st, 5, now_ms);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		f.device_found = 1;
		f.dev.id = sqlite3_column_int64(st, 0);
		n = sqlite3_column_bytes(st, 1);
		if (n <= 0 || (size_t)n > sizeof f.dev.pubkey) {
			rc = MASA_E_STORE;
			goto done;
		}
		memcpy(f.dev.pubkey, sqlite3_column_blob(st, 1), (size_t)n);
		f.dev.pubkey_len = (size_t)n;
		f.dev.has_idevid = sqlite3_column_int(st, 2);
		text = sqlite3_column_text(st, 3);
		snprintf(f.dev.product, sizeof f.dev.product, "%s", text ? (const char *)text : "");
		f.dev.owner_id = sqlite3_column_int64(st, 4);
		f.dev.pinned_registrar_id = sqlite3_column_int64(st, 5);
		f.dev.retired = sqlite3_column_int(st, 6);
		f.registrar_known = sqlite3_column_type(st, 7) != SQLITE_NULL;
		if (f.registrar_known) {
			f.reg.id = sqlite3_column_int64(st, 7);
			f.reg.owner_id = sqlite3_column_int64(st, 8);
			text = sqlite3_column_text(st, 9);
			snprintf(f.reg.first_seen_net, sizeof f.reg.first_seen_net, "%s",
			    text ? (const char *)text : "");
		}
		f.blocked = sqlite3_column_int(st, 10);
		f.has_bucket = sqlite3_column_type(st, 11) != SQLITE_NULL;
		f.tat_ms = f.has_bucket ? sqlite3_column_int64(st, 11) : 0;
		f.retry_found = sqlite3_column_int(st, 12);
		text = sqlite3_column_text(st, 13);
		snprintf(f.dev.signing_key, sizeof f.dev.signing_key, "%s",
		    text ? (const char *)text : "");
		f.product_found = sqlite3_column_type(st, 14) != SQLITE_NULL;
		if (f.product_found) {
			f.product_formats = (uint64_t)sqlite3_column_int64(st, 14);
			f.product_registrar_algs = (uint64_t)sqlite3_column_int64(st, 15);
			f.product_pin = sqlite3_column_int(st, 16);
			f.product_nonceless = sqlite3_column_int(st, 17);
		}
	} else if (step != SQLITE_DONE) {
		rc = masa_sqlite_err(step);
		goto done;
	}
	*out = f;
done:
	masa_sqlite_finish(t, st);
	return rc;
}
