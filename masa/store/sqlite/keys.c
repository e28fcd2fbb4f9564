/* keys.c: the SQLite backend's voucher-signing keys (keys.h). */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

#define KEY_COLS "k.name, k.ref, k.cert, k.alg, k.created_ms, k.retired_ms," \
	" (SELECT COUNT(*) FROM devices d WHERE d.signing_key = k.name)," \
	" (SELECT COUNT(*) FROM products p WHERE p.signing_key = k.name)"

static void
row_of(sqlite3_stmt *st, struct masa_key_row *r)
{
	memset(r, 0, sizeof *r);
	masa_sqlite_col_text(st, 0, r->name, sizeof r->name);
	masa_sqlite_col_text(st, 1, r->ref, sizeof r->ref);
	masa_sqlite_col_text(st, 2, r->cert, sizeof r->cert);
	r->alg = sqlite3_column_int(st, 3);
	r->created_ms = sqlite3_column_int64(st, 4);
	r->retired_ms = sqlite3_column_int64(st, 5);	/* NULL reads 0 */
	r->devices = sqlite3_column_int64(st, 6);
	r->products = sqlite3_column_int64(st, 7);
}

static enum masa_err
key_add(struct masa_txn *t, const struct masa_key_row *r)
{
	static const char sql[] =
	    "INSERT INTO signing_keys (name, ref, cert, alg, created_ms) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->cert, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, r->alg);
	sqlite3_bind_int64(st, 5, r->created_ms);
	return masa_sqlite_run(t, st);
}

static enum masa_err
key_get(struct masa_txn *t, const char *name, struct masa_key_row *out)
{
	static const char sql[] = "SELECT " KEY_COLS " FROM signing_keys k WHERE k.name = ?";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		row_of(st, out);
	rc = src == SQLITE_ROW ? MASA_OK : src == SQLITE_DONE ? MASA_E_NOT_FOUND : masa_sqlite_err(src);
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
key_each(struct masa_txn *t, void (*fn)(void *arg, const struct masa_key_row *r), void *arg)
{
	static const char sql[] = "SELECT " KEY_COLS " FROM signing_keys k ORDER BY k.name";
	struct masa_key_row r;
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, &r);
		fn(arg, &r);
	}
	masa_sqlite_finish(t, st);
	return src == SQLITE_DONE ? MASA_OK : masa_sqlite_err(src);
}

static enum masa_err
key_retire(struct masa_txn *t, const char *name, int64_t now_ms)
{
	static const char sql[] =
	    "UPDATE signing_keys SET retired_ms = COALESCE(retired_ms, ?) WHERE name = ?";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return masa_sqlite_run(t, st);
}

static enum masa_err
device_set_key(struct masa_txn *t, int64_t device_id, const char *name)
{
	static const char sql[] = "UPDATE devices SET signing_key = ? WHERE id = ?";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, device_id);
	return masa_sqlite_run(t, st);
}

const struct masa_store_key_ops masa_sqlite_keys = {
	.add = key_add,
	.get = key_get,
	.each = key_each,
	.retire = key_retire,
	.device_set = device_set_key,
};
