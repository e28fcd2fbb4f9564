/* rows.c: the PostgreSQL backend's rows (rows.h). Every statement is a
 * constant with parameters; an INSERT that may meet a unique key says ON
 * CONFLICT DO NOTHING and reports MASA_E_EXISTS itself, because a failed
 * statement would abort the whole PostgreSQL transaction (on SQLite it
 * does not), and callers go on after MASA_E_EXISTS. */
#include "pg_int.h"

#include <stdio.h>
#include <string.h>

/* Copies a device row (columns id, serial, pubkey, has_idevid, product,
 * owner_id, pinned_registrar_id, retired, created_ms from col). */
static enum masa_err
device_of(const PGresult *r, struct masa_device *d)
{
	struct masa_bytes k = masa_pg_get_bytes(r, 0, 2);

	memset(d, 0, sizeof *d);
	if (k.len == 0 || k.len > sizeof d->pubkey)
		return MASA_E_STORE;
	d->id = masa_pg_get_int(r, 0, 0);
	masa_pg_get_text(r, 0, 1, d->serial, sizeof d->serial);
	memcpy(d->pubkey, k.ptr, k.len);
	d->pubkey_len = k.len;
	d->has_idevid = (int)masa_pg_get_int(r, 0, 3);
	masa_pg_get_text(r, 0, 4, d->product, sizeof d->product);
	d->owner_id = masa_pg_get_int(r, 0, 5);
	d->pinned_registrar_id = masa_pg_get_int(r, 0, 6);
	d->retired = (int)masa_pg_get_int(r, 0, 7);
	d->created_ms = masa_pg_get_int(r, 0, 8);
	return MASA_OK;
}

static enum masa_err
device_get(struct masa_txn *t, const char *serial, struct masa_device *out)
{
	static const char sql[] =
	    "SELECT id, serial, pubkey, idevid IS NOT NULL, product, owner_id,"
	    " pinned_registrar_id, retired, created_ms FROM devices WHERE serial = $1";
	struct masa_pg_params p = { 0 };
	struct masa_device d;
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&p, serial, 0);
	rc = masa_pg_query(t, sql, &p, &r);
	if (rc == MASA_OK)
		rc = PQntuples(r) == 0 ? MASA_E_NOT_FOUND : device_of(r, &d);
	if (rc == MASA_OK)
		*out = d;
	PQclear(r);
	return rc;
}

/* Runs an INSERT ... ON CONFLICT DO NOTHING RETURNING id: *id (if not
 * NULL) from its row, MASA_E_EXISTS when it inserted none. */
static enum masa_err
insert(struct masa_txn *t, const char *sql, const struct masa_pg_params *p, int64_t *id)
{
	PGresult *r = NULL;
	enum masa_err rc = masa_pg_query_row(t, sql, p, MASA_E_EXISTS, &r);

	if (rc == MASA_OK && id != NULL)
		*id = masa_pg_get_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static enum masa_err
device_add(struct masa_txn *t, const char *serial, struct masa_bytes spki,
    struct masa_bytes idevid, const char *product, int64_t owner_id, int64_t now_ms,
    int *created)
{
	static const char sql[] =
	    "INSERT INTO devices (serial, pubkey, idevid, product, owner_id, created_ms)"
	    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (serial) DO NOTHING RETURNING id";
	struct masa_pg_params p = { 0 };
	struct masa_device d;
	enum masa_err rc;

	/* Insert first (one round trip for a new device, the bulk import's
	 * case); only a serial already there is read and compared. */
	masa_pg_text(&p, serial, 0);
	masa_pg_bytes(&p, spki.ptr, spki.len);
	masa_pg_bytes(&p, idevid.ptr, idevid.len);
	masa_pg_text(&p, product, 1);
	masa_pg_id(&p, owner_id);
	masa_pg_int(&p, now_ms);
	rc = insert(t, sql, &p, NULL);
	if (rc == MASA_OK)
		*created = 1;
	if (rc != MASA_E_EXISTS)
		return rc;
	rc = device_get(t, serial, &d);
	if (rc == MASA_OK) {
		if (d.pubkey_len != spki.len || memcmp(d.pubkey, spki.ptr, spki.len) != 0)
			return MASA_E_EXISTS;
		*created = 0;
	}
	return rc;
}

/* An UPDATE of one row by id ($2) to value ($1, 0 stored as NULL):
 * MASA_E_NOT_FOUND when no row has that id. */
static enum masa_err
update(struct masa_txn *t, const char *sql, int64_t id, int64_t value)
{
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_id(&p, value);
	masa_pg_int(&p, id);
	rc = masa_pg_query(t, sql, &p, &r);
	if (rc == MASA_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = MASA_E_NOT_FOUND;
	PQclear(r);
	return rc;
}

static enum masa_err
device_set_pin(struct masa_txn *t, int64_t device_id, int64_t registrar_id)
{
	return update(t, "UPDATE devices SET pinned_registrar_id = $1 WHERE id = $2", device_id,
	    registrar_id);
}

static enum masa_err
device_set_owner(struct masa_txn *t, int64_t device_id, int64_t owner_id)
{
	return update(t, "UPDATE devices SET owner_id = $1 WHERE id = $2", device_id, owner_id);
}

static enum masa_err
device_retire(struct masa_txn *t, int64_t device_id)
{
	return update(t, "UPDATE devices SET retired = $1 WHERE id = $2", device_id, 1);
}

static enum masa_err
owner_add(struct masa_txn *t, const char *name, int64_t now_ms, int64_t *id)
{
	struct masa_pg_params p = { 0 };

	masa_pg_text(&p, name, 0);
	masa_pg_int(&p, now_ms);
	return insert(t, "INSERT INTO owners (name, created_ms) VALUES ($1, $2)"
	    " ON CONFLICT DO NOTHING RETURNING id", &p, id);
}

/* A query by one parameter whose first column of its first row is an id:
 * MASA_E_NOT_FOUND without a row. */
static enum masa_err
id_of(struct masa_txn *t, const char *sql, const struct masa_pg_params *p, int64_t *id)
{
	PGresult *r = NULL;
	enum masa_err rc = masa_pg_query_row(t, sql, p, MASA_E_NOT_FOUND, &r);

	if (rc == MASA_OK)
		*id = masa_pg_get_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static enum masa_err
owner_get(struct masa_txn *t, const char *name, int64_t *id)
{
	struct masa_pg_params p = { 0 };

	masa_pg_text(&p, name, 0);
	return id_of(t, "SELECT id FROM owners WHERE name = $1", &p, id);
}

static enum masa_err
registrar_get(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    struct masa_registrar_row *out)
{
	static const char sql[] =
	    "SELECT id, owner_id, first_seen_net FROM registrar_keys WHERE spki_sha256 = $1";
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_bytes(&p, sha256, MASA_SHA256_LEN);
	rc = masa_pg_query_row(t, sql, &p, MASA_E_NOT_FOUND, &r);
	if (rc == MASA_OK) {
		out->id = masa_pg_get_int(r, 0, 0);
		out->owner_id = masa_pg_get_int(r, 0, 1);
		masa_pg_get_text(r, 0, 2, out->first_seen_net, sizeof out->first_seen_net);
	}
	PQclear(r);
	return rc;
}

static enum masa_err
registrar_add(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    struct masa_bytes spki, int64_t owner_id, const char *net, int64_t now_ms, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO registrar_keys (spki_sha256, spki, owner_id, first_seen_ms, first_seen_net)"
	    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id";
	struct masa_pg_params p = { 0 };

	masa_pg_bytes(&p, sha256, MASA_SHA256_LEN);
	masa_pg_bytes(&p, spki.ptr, spki.len);
	masa_pg_id(&p, owner_id);
	masa_pg_int(&p, now_ms);
	masa_pg_text(&p, net, 1);
	return insert(t, sql, &p, id);
}

static enum masa_err
registrar_set_owner(struct masa_txn *t, int64_t id, int64_t owner_id)
{
	enum masa_err rc = update(t, "UPDATE registrar_keys SET owner_id = $1 WHERE id = $2", id,
	    owner_id);

	return rc == MASA_E_NOT_FOUND ? MASA_OK : rc;	/* as SQLite's: no check */
}

static enum masa_err
registrar_first_net(struct masa_txn *t, int64_t id, const char *net)
{
	struct masa_pg_params p = { 0 };

	masa_pg_text(&p, net, 1);
	masa_pg_int(&p, id);
	return masa_pg_run(t, "UPDATE registrar_keys SET first_seen_net = $1"
	    " WHERE id = $2 AND first_seen_net IS NULL", &p);
}

/* *found = 1 if sql (one bytes parameter) returns a row. */
static enum masa_err
exists(struct masa_txn *t, const char *sql, const struct masa_pg_params *p, int *found)
{
	PGresult *r = NULL;
	enum masa_err rc = masa_pg_query(t, sql, p, &r);

	if (rc == MASA_OK)
		*found = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

static enum masa_err
is_blocked(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], int *blocked)
{
	struct masa_pg_params p = { 0 };

	masa_pg_bytes(&p, sha256, MASA_SHA256_LEN);
	return exists(t, "SELECT 1 FROM blocked_registrars WHERE spki_sha256 = $1", &p, blocked);
}

static enum masa_err
block(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], const char *reason,
    int64_t now_ms)
{
	static const char sql[] =
	    "INSERT INTO blocked_registrars (spki_sha256, reason, created_ms) VALUES ($1, $2, $3)"
	    " ON CONFLICT DO NOTHING RETURNING 1";
	struct masa_pg_params p = { 0 };

	masa_pg_bytes(&p, sha256, MASA_SHA256_LEN);
	masa_pg_text(&p, reason != NULL ? reason : "", 0);
	masa_pg_int(&p, now_ms);
	return insert(t, sql, &p, NULL);
}

static enum masa_err
unblock(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN])
{
	struct masa_pg_params p = { 0 };
	int found = 0;
	enum masa_err rc;

	masa_pg_bytes(&p, sha256, MASA_SHA256_LEN);
	rc = exists(t, "DELETE FROM blocked_registrars WHERE spki_sha256 = $1 RETURNING 1", &p,
	    &found);
	return rc == MASA_OK && !found ? MASA_E_NOT_FOUND : rc;
}

enum masa_err
masa_pg_bucket_get(struct masa_txn *t, int64_t device_id, int64_t *tat_ms, int *has)
{
	struct masa_pg_params p = { 0 };
	enum masa_err rc;

	masa_pg_int(&p, device_id);
	rc = id_of(t, "SELECT tat_ms FROM token_buckets WHERE device_id = $1", &p, tat_ms);
	*has = rc == MASA_OK;
	return rc == MASA_E_NOT_FOUND ? MASA_OK : rc;
}

static enum masa_err
bucket_set(struct masa_txn *t, int64_t device_id, int64_t tat_ms)
{
	static const char sql[] =
	    "INSERT INTO token_buckets (device_id, tat_ms) VALUES ($1, $2)"
	    " ON CONFLICT (device_id) DO UPDATE SET tat_ms = excluded.tat_ms";
	struct masa_pg_params p = { 0 };

	masa_pg_int(&p, device_id);
	masa_pg_int(&p, tat_ms);
	return masa_pg_run(t, sql, &p);
}

static enum masa_err
voucher_add(struct masa_txn *t, const struct masa_voucher_row *v)
{
	static const char sql[] =
	    "INSERT INTO vouchers (device_id, registrar_id, request_sha256, domain_id, nonce,"
	    " assertion, media_type, voucher, created_ms, expires_ms)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
	struct masa_pg_params p = { 0 };

	masa_pg_int(&p, v->device_id);
	masa_pg_int(&p, v->registrar_id);
	masa_pg_bytes(&p, v->request_sha256, MASA_SHA256_LEN);
	masa_pg_text(&p, v->domain_id, 0);
	masa_pg_bytes(&p, v->nonce.ptr, v->nonce.len);
	masa_pg_int(&p, v->assertion);
	masa_pg_text(&p, v->media_type, 0);
	masa_pg_bytes(&p, v->voucher.ptr, v->voucher.len);
	masa_pg_int(&p, v->created_ms);
	masa_pg_id(&p, v->expires_ms);
	return masa_pg_run(t, sql, &p);
}

static enum masa_err
voucher_find_retry(struct masa_txn *t, int64_t device_id, int64_t registrar_id,
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_buf *out, char *media, size_t media_cap)
{
	static const char sql[] =
	    "SELECT voucher, media_type FROM vouchers WHERE device_id = $1 AND registrar_id = $2"
	    " AND request_sha256 = $3 AND created_ms >= $4 AND (expires_ms IS NULL OR expires_ms > $5)"
	    " ORDER BY id DESC LIMIT 1";
	struct masa_pg_params p = { 0 };
	struct masa_bytes v;
	struct masa_buf b;
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_int(&p, device_id);
	masa_pg_int(&p, registrar_id);
	masa_pg_bytes(&p, request_sha256, MASA_SHA256_LEN);
	masa_pg_int(&p, since_ms);
	masa_pg_int(&p, now_ms);
	rc = masa_pg_query_row(t, sql, &p, MASA_E_NOT_FOUND, &r);
	if (rc == MASA_OK) {
		v = masa_pg_get_bytes(r, 0, 0);
		masa_buf_init(&b, 1024 * 1024);
		rc = masa_buf_append(&b, v.ptr, v.len);
		if (rc == MASA_OK) {
			masa_pg_get_text(r, 0, 1, media, media_cap);
			*out = b;
		} else {
			masa_buf_free(&b);
		}
	}
	PQclear(r);
	return rc;
}

static enum masa_err
voucher_held(struct masa_txn *t, int64_t device_id, int64_t registrar_id, int *held)
{
	struct masa_pg_params p = { 0 };

	masa_pg_int(&p, device_id);
	masa_pg_int(&p, registrar_id);
	return exists(t, "SELECT 1 FROM vouchers WHERE device_id = $1 AND registrar_id = $2 LIMIT 1",
	    &p, held);
}

static enum masa_err
device_idevid(struct masa_txn *t, int64_t device_id, struct masa_buf *out)
{
	struct masa_pg_params p = { 0 };
	struct masa_bytes der;
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_int(&p, device_id);
	rc = masa_pg_query_row(t, "SELECT idevid FROM devices WHERE id = $1", &p, MASA_E_NOT_FOUND,
	    &r);
	if (rc == MASA_OK && (der = masa_pg_get_bytes(r, 0, 0)).len > 0)
		rc = masa_buf_append(out, der.ptr, der.len);
	PQclear(r);
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
	    " WHERE g.device_id = $1 ORDER BY g.last_voucher_id DESC";
	struct masa_pg_params p = { 0 };
	struct masa_voucher_group g;
	struct masa_bytes n;
	PGresult *r = NULL;
	enum masa_err rc;
	int i;

	masa_pg_int(&p, device_id);
	rc = masa_pg_query(t, sql, &p, &r);
	for (i = 0; rc == MASA_OK && i < PQntuples(r); i++) {
		memset(&g, 0, sizeof g);
		g.created_ms = masa_pg_get_int(r, i, 0);
		masa_pg_get_text(r, i, 1, g.domain_id, sizeof g.domain_id);
		g.nonceless = masa_pg_is_null(r, i, 2);
		n = masa_pg_get_bytes(r, i, 2);
		if (n.len > sizeof g.nonce) {
			rc = MASA_E_STORE;
			break;
		}
		if (n.len > 0)
			memcpy(g.nonce, n.ptr, n.len);
		g.nonce_len = n.len;
		g.assertion = (int)masa_pg_get_int(r, i, 3);
		g.count = masa_pg_get_int(r, i, 4);
		if (fn(arg, &g) != 0)
			break;
	}
	PQclear(r);
	return rc;
}

const struct masa_store_row_ops masa_pg_rows = {
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
	.bucket_get = masa_pg_bucket_get,
	.bucket_set = bucket_set,
	.voucher_add = voucher_add,
	.voucher_find_retry = voucher_find_retry,
	.voucher_held = voucher_held,
	.issue_facts = masa_pg_issue_facts,
	.voucher_groups = voucher_groups,
	.device_idevid = device_idevid,
	.product_put = masa_pg_product_put,
	.product_get = masa_pg_product_get,
	.product_each = masa_pg_product_each,
};
