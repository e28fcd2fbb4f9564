/* rows.c: the SQLite backend's rows (rows.h). Every statement is a
 * constant with bound parameters; text read back is copied before the
 * next step. */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

/* Copies column i (text, possibly NULL) into out. */
static void
col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void
bind_opt_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id > 0)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL && s[0] != '\0')
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_bytes(sqlite3_stmt *st, int i, struct masa_bytes b)
{
	if (b.ptr != NULL && b.len > 0)
		sqlite3_bind_blob(st, i, b.ptr, (int)b.len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Steps st for at most one row: MASA_OK with a row, MASA_E_NOT_FOUND, or
 * a store error. Does not finalize. */
static enum masa_err
step_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return MASA_OK;
	return rc == SQLITE_DONE ? MASA_E_NOT_FOUND : masa_sqlite_err(rc);
}

static enum masa_err
device_get(struct masa_txn *t, const char *serial, struct masa_device *out)
{
	static const char sql[] =
	    "SELECT id, serial, pubkey, idevid IS NOT NULL, product, owner_id,"
	    " pinned_registrar_id, retired, created_ms FROM devices WHERE serial = ?";
	struct masa_device d;
	sqlite3_stmt *st = NULL;
	enum masa_err rc;
	int n;

	rc = masa_sqlite_prepare(t, sql, &st);
	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	rc = step_row(st);
	if (rc == MASA_OK) {
		memset(&d, 0, sizeof d);
		d.id = sqlite3_column_int64(st, 0);
		col_text(st, 1, d.serial, sizeof d.serial);
		n = sqlite3_column_bytes(st, 2);
		if (n <= 0 || (size_t)n > sizeof d.pubkey) {
			rc = MASA_E_STORE;
		} else {
			memcpy(d.pubkey, sqlite3_column_blob(st, 2), (size_t)n);
			d.pubkey_len = (size_t)n;
			d.has_idevid = sqlite3_column_int(st, 3);
			col_text(st, 4, d.product, sizeof d.product);
			d.owner_id = sqlite3_column_int64(st, 5);
			d.pinned_registrar_id = sqlite3_column_int64(st, 6);
			d.retired = sqlite3_column_int(st, 7);
			d.created_ms = sqlite3_column_int64(st, 8);
			*out = d;
		}
	}
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
device_add(struct masa_txn *t, const char *serial, struct masa_bytes spki,
    struct masa_bytes idevid, const char *product, int64_t owner_id, int64_t now_ms,
    int *created)
{
	static const char sql[] =
	    "INSERT INTO devices (serial, pubkey, idevid, product, owner_id, created_ms)"
	    " VALUES (?, ?, ?, ?, ?, ?)";
	struct masa_device d;
	sqlite3_stmt *st = NULL;
	enum masa_err rc;

	rc = device_get(t, serial, &d);
	if (rc == MASA_OK) {
		if (d.pubkey_len != spki.len || memcmp(d.pubkey, spki.ptr, spki.len) != 0)
			return MASA_E_EXISTS;
		*created = 0;
		return MASA_OK;
	}
	if (rc != MASA_E_NOT_FOUND)
		return rc;
	rc = masa_sqlite_prepare(t, sql, &st);
	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	bind_bytes(st, 2, spki);
	bind_bytes(st, 3, idevid);
	bind_opt_text(st, 4, product);
	bind_opt_id(st, 5, owner_id);
	sqlite3_bind_int64(st, 6, now_ms);
	rc = masa_sqlite_run(t, st);
	if (rc == MASA_OK)
		*created = 1;
	return rc;
}

/* UPDATE devices SET <column> = ? WHERE id = ? (0 stored as NULL). */
static enum masa_err
device_set(struct masa_txn *t, const char *sql, int64_t device_id, int64_t value)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	bind_opt_id(st, 1, value);
	sqlite3_bind_int64(st, 2, device_id);
	rc = masa_sqlite_run(t, st);	/* finishes st */
	if (rc == MASA_OK && sqlite3_changes(masa_sqlite_conn(t)) == 0)
		rc = MASA_E_NOT_FOUND;
	return rc;
}

static enum masa_err
device_set_pin(struct masa_txn *t, int64_t device_id, int64_t registrar_id)
{
	return device_set(t, "UPDATE devices SET pinned_registrar_id = ? WHERE id = ?",
	    device_id, registrar_id);
}

static enum masa_err
device_set_owner(struct masa_txn *t, int64_t device_id, int64_t owner_id)
{
	return device_set(t, "UPDATE devices SET owner_id = ? WHERE id = ?", device_id, owner_id);
}

static enum masa_err
device_retire(struct masa_txn *t, int64_t device_id)
{
	return device_set(t, "UPDATE devices SET retired = ? WHERE id = ?", device_id, 1);
}

static enum masa_err
owner_add(struct masa_txn *t, const char *name, int64_t now_ms, int64_t *id)
{
	static const char sql[] = "INSERT INTO owners (name, created_ms) VALUES (?, ?)";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	rc = masa_sqlite_run(t, st);
	if (rc == MASA_OK)
		*id = sqlite3_last_insert_rowid(masa_sqlite_conn(t));
	return rc;
}

static enum masa_err
owner_get(struct masa_txn *t, const char *name, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, "SELECT id FROM owners WHERE name = ?", &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = step_row(st);
	if (rc == MASA_OK)
		*id = sqlite3_column_int64(st, 0);
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
registrar_get(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    struct masa_registrar_row *out)
{
	static const char sql[] =
	    "SELECT id, owner_id, first_seen_net FROM registrar_keys WHERE spki_sha256 = ?";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_blob(st, 1, sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	rc = step_row(st);
	if (rc == MASA_OK) {
		out->id = sqlite3_column_int64(st, 0);
		out->owner_id = sqlite3_column_int64(st, 1);
		col_text(st, 2, out->first_seen_net, sizeof out->first_seen_net);
	}
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
registrar_add(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    struct masa_bytes spki, int64_t owner_id, const char *net, int64_t now_ms, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO registrar_keys (spki_sha256, spki, owner_id, first_seen_ms, first_seen_net)"
	    " VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_blob(st, 1, sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	bind_bytes(st, 2, spki);
	bind_opt_id(st, 3, owner_id);
	sqlite3_bind_int64(st, 4, now_ms);
	bind_opt_text(st, 5, net);
	rc = masa_sqlite_run(t, st);
	if (rc == MASA_OK)
		*id = sqlite3_last_insert_rowid(masa_sqlite_conn(t));
	return rc;
}

static enum masa_err
registrar_set_owner(struct masa_txn *t, int64_t id, int64_t owner_id)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t,
	    "UPDATE registrar_keys SET owner_id = ? WHERE id = ?", &st);

	if (rc != MASA_OK)
		return rc;
	bind_opt_id(st, 1, owner_id);
	sqlite3_bind_int64(st, 2, id);
	return masa_sqlite_run(t, st);
}

static enum masa_err
registrar_first_net(struct masa_txn *t, int64_t id, const char *net)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t,
	    "UPDATE registrar_keys SET first_seen_net = ? WHERE id = ? AND first_seen_net IS NULL", &st);

	if (rc != MASA_OK)
		return rc;
	bind_opt_text(st, 1, net);
	sqlite3_bind_int64(st, 2, id);
	return masa_sqlite_run(t, st);
}

static enum masa_err
is_blocked(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], int *blocked)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t,
	    "SELECT 1 FROM blocked_registrars WHERE spki_sha256 = ?", &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_blob(st, 1, sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	rc = step_row(st);
	masa_sqlite_finish(t, st);
	if (rc == MASA_OK || rc == MASA_E_NOT_FOUND) {
		*blocked = rc == MASA_OK;
		rc = MASA_OK;
	}
	return rc;
}

static enum masa_err
block(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], const char *reason,
    int64_t now_ms)
{
	static const char sql[] =
	    "INSERT INTO blocked_registrars (spki_sha256, reason, created_ms) VALUES (?, ?, ?)";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_blob(st, 1, sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return masa_sqlite_run(t, st);
}

static enum masa_err
unblock(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN])
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t,
	    "DELETE FROM blocked_registrars WHERE spki_sha256 = ?", &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_blob(st, 1, sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	rc = masa_sqlite_run(t, st);
	if (rc == MASA_OK && sqlite3_changes(masa_sqlite_conn(t)) == 0)
		rc = MASA_E_NOT_FOUND;
	return rc;
}

enum masa_err
masa_sqlite_bucket_get(struct masa_txn *t, int64_t device_id, int64_t *tat_ms, int *has)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t,
	    "SELECT tat_ms FROM token_buckets WHERE device_id = ?", &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, device_id);
	rc = step_row(st);
	if (rc == MASA_OK || rc == MASA_E_NOT_FOUND) {
		*has = rc == MASA_OK;
		if (rc == MASA_OK)
			*tat_ms = sqlite3_column_int64(st, 0);
		rc = MASA_OK;
	}
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
bucket_set(struct masa_txn *t, int64_t device_id, int64_t tat_ms)
{
	static const char sql[] =
	    "INSERT INTO token_buckets (device_id, tat_ms) VALUES (?, ?)"
	    " ON CONFLICT (device_id) DO UPDATE SET tat_ms = excluded.tat_ms";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, device_id);
	sqlite3_bind_int64(st, 2, tat_ms);
	return masa_sqlite_run(t, st);
}

static enum masa_err
voucher_add(struct masa_txn *t, const struct masa_voucher_row *v)
{
	static const char sql[] =
	    "INSERT INTO vouchers (device_id, registrar_id, request_sha256, domain_id, nonce,"
	    " assertion, media_type, voucher, created_ms, expires_ms)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, v->device_id);
	sqlite3_bind_int64(st, 2, v->registrar_id);
	sqlite3_bind_blob(st, 3, v->request_sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, v->domain_id, -1, SQLITE_STATIC);
	bind_bytes(st, 5, v->nonce);
	sqlite3_bind_int(st, 6, v->assertion);
	sqlite3_bind_text(st, 7, v->media_type, -1, SQLITE_STATIC);
	bind_bytes(st, 8, v->voucher);
	sqlite3_bind_int64(st, 9, v->created_ms);
	bind_opt_id(st, 10, v->expires_ms);
	return masa_sqlite_run(t, st);
}

static enum masa_err
voucher_find_retry(struct masa_txn *t, int64_t device_id, int64_t registrar_id,
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_buf *out, char *media, size_t media_cap)
{
	static const char sql[] =
	    "SELECT voucher, media_type FROM vouchers WHERE device_id = ? AND registrar_id = ?"
	    " AND request_sha256 = ? AND created_ms >= ? AND (expires_ms IS NULL OR expires_ms > ?)"
	    " ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = NULL;
	struct masa_buf b;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, device_id);
	sqlite3_bind_int64(st, 2, registrar_id);
	sqlite3_bind_blob(st, 3, request_sha256, MASA_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, since_ms);
	sqlite3_bind_int64(st, 5, now_ms);
	rc = step_row(st);
	if (rc == MASA_OK) {
		masa_buf_init(&b, 1024 * 1024);
		rc = masa_buf_append(&b, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		if (rc == MASA_OK) {
			col_text(st, 1, media, media_cap);
			*out = b;
		} else {
			masa_buf_free(&b);
		}
	}
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
voucher_held(struct masa_txn *t, int64_t device_id, int64_t registrar_id, int *held)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t,
	    "SELECT 1 FROM vouchers WHERE device_id = ? AND registrar_id = ? LIMIT 1", &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, device_id);
	sqlite3_bind_int64(st, 2, registrar_id);
	rc = step_row(st);
	masa_sqlite_finish(t, st);
	if (rc == MASA_OK || rc == MASA_E_NOT_FOUND) {
		*held = rc == MASA_OK;
		rc = MASA_OK;
	}
	return rc;
}

static enum masa_err
device_idevid(struct masa_txn *t, int64_t device_id, struct masa_buf *out)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, "SELECT idevid FROM devices WHERE id = ?", &st);
	int n;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, device_id);
	rc = step_row(st);
	if (rc == MASA_OK && (n = sqlite3_column_bytes(st, 0)) > 0)
		rc = masa_buf_append(out, sqlite3_column_blob(st, 0), (size_t)n);
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
voucher_groups(struct masa_txn *t, int64_t device_id,
    int (*fn)(void *arg, const struct masa_voucher_group *g), void *arg)
{
	/* voucher_groups is kept by a trigger on vouchers (0001_init.sql). */
	static const char sql[] =
	    "SELECT v.created_ms, g.domain_id, v.nonce, v.assertion, g.count"
	    " FROM voucher_groups AS g JOIN vouchers AS v ON v.id = g.last_voucher_id"
	    " WHERE g.device_id = ? ORDER BY g.last_voucher_id DESC";
	struct masa_voucher_group g;
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int src, n;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, device_id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&g, 0, sizeof g);
		g.created_ms = sqlite3_column_int64(st, 0);
		col_text(st, 1, g.domain_id, sizeof g.domain_id);
		n = sqlite3_column_bytes(st, 2);
		g.nonceless = sqlite3_column_type(st, 2) == SQLITE_NULL;
		if (n < 0 || (size_t)n > sizeof g.nonce) {
			rc = MASA_E_STORE;
			break;
		}
		if (n > 0)
			memcpy(g.nonce, sqlite3_column_blob(st, 2), (size_t)n);
		g.nonce_len = (size_t)n;
		g.assertion = sqlite3_column_int(st, 3);
		g.count = sqlite3_column_int64(st, 4);
		if (fn(arg, &g) != 0)
			break;
	}
	if (rc == MASA_OK && src != SQLITE_ROW && src != SQLITE_DONE)
		rc = masa_sqlite_err(src);
	masa_sqlite_finish(t, st);
	return rc;
}

const struct masa_store_row_ops masa_sqlite_rows = {
	.device_get = device_get,
	.device_add = device_add,
	.device_set_pin = device_set_pin,
	.device_set_owner = device_set_owner,
	.device_retire = device_retire,
	.owner_add = owner_add,
	.owner_get = owner_get,
	.registrar_get = registrar_get,
	.registrar_add = registrar_add,
	.registrar_set_owner = registrar_set_owner,
	.registrar_first_net = registrar_first_net,
	.is_blocked = is_blocked,
	.block = block,
	.unblock = unblock,
	.bucket_get = masa_sqlite_bucket_get,
	.bucket_set = bucket_set,
	.voucher_add = voucher_add,
	.voucher_find_retry = voucher_find_retry,
	.voucher_held = voucher_held,
	.issue_facts = masa_sqlite_issue_facts,
	.voucher_groups = voucher_groups,
	.device_idevid = device_idevid,
	.product_put = masa_sqlite_product_put,
	.product_get = masa_sqlite_product_get,
	.product_each = masa_sqlite_product_each,
};
