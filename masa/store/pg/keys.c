/* keys.c: the PostgreSQL backend's voucher-signing keys (keys.h), the
 * statements of ../sqlite/keys.c. */
#include "pg_int.h"

#include <string.h>

#define KEY_COLS "k.name, k.ref, k.cert, k.alg, k.created_ms, k.retired_ms," \
	" (SELECT count(*) FROM devices d WHERE d.signing_key = k.name)," \
	" (SELECT count(*) FROM products p WHERE p.signing_key = k.name)"

static void
row_of(const PGresult *r, int i, struct masa_key_row *out)
{
	memset(out, 0, sizeof *out);
	masa_pg_get_text(r, i, 0, out->name, sizeof out->name);
	masa_pg_get_text(r, i, 1, out->ref, sizeof out->ref);
	masa_pg_get_text(r, i, 2, out->cert, sizeof out->cert);
	out->alg = (int)masa_pg_get_int(r, i, 3);
	out->created_ms = masa_pg_get_int(r, i, 4);
	out->retired_ms = masa_pg_get_int(r, i, 5);	/* NULL reads 0 */
	out->devices = masa_pg_get_int(r, i, 6);
	out->products = masa_pg_get_int(r, i, 7);
}

static enum masa_err
key_add(struct masa_txn *t, const struct masa_key_row *row)
{
	static const char sql[] =
	    "INSERT INTO signing_keys (name, ref, cert, alg, created_ms)"
	    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1";
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&p, row->name, 0);
	masa_pg_text(&p, row->ref, 0);
	masa_pg_text(&p, row->cert, 0);
	masa_pg_int(&p, row->alg);
	masa_pg_int(&p, row->created_ms);
	rc = masa_pg_query_row(t, sql, &p, MASA_E_EXISTS, &r);
	PQclear(r);
	return rc;
}

static enum masa_err
key_get(struct masa_txn *t, const char *name, struct masa_key_row *out)
{
	static const char sql[] = "SELECT " KEY_COLS " FROM signing_keys k WHERE k.name = $1";
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&p, name, 0);
	rc = masa_pg_query_row(t, sql, &p, MASA_E_NOT_FOUND, &r);
	if (rc == MASA_OK)
		row_of(r, 0, out);
	PQclear(r);
	return rc;
}

static enum masa_err
key_each(struct masa_txn *t, void (*fn)(void *arg, const struct masa_key_row *r), void *arg)
{
	struct masa_key_row row;
	PGresult *r = NULL;
	enum masa_err rc;
	int i;

	/* COLLATE "C": byte order, as SQLite's, whatever the database's. */
	rc = masa_pg_query(t, "SELECT " KEY_COLS " FROM signing_keys k"
	    " ORDER BY k.name COLLATE \"C\"", NULL, &r);
	for (i = 0; rc == MASA_OK && i < PQntuples(r); i++) {
		row_of(r, i, &row);
		fn(arg, &row);
	}
	PQclear(r);
	return rc;
}

static enum masa_err
key_retire(struct masa_txn *t, const char *name, int64_t now_ms)
{
	struct masa_pg_params p = { 0 };

	masa_pg_int(&p, now_ms);
	masa_pg_text(&p, name, 0);
	return masa_pg_run(t, "UPDATE signing_keys SET retired_ms = coalesce(retired_ms, $1)"
	    " WHERE name = $2", &p);
}

static enum masa_err
device_set_key(struct masa_txn *t, int64_t device_id, const char *name)
{
	struct masa_pg_params p = { 0 };

	masa_pg_text(&p, name, 0);
	masa_pg_int(&p, device_id);
	return masa_pg_run(t, "UPDATE devices SET signing_key = $1 WHERE id = $2", &p);
}

const struct masa_store_key_ops masa_pg_keys = {
	.add = key_add,
	.get = key_get,
	.each = key_each,
	.retire = key_retire,
	.device_set = device_set_key,
};
