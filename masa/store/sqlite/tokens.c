/* tokens.c: the SQLite backend's API tokens (tokens.h). */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

static void
copy_col(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(out, cap, "%s", v ? (const char *)v : "");
}

static void
row_of(sqlite3_stmt *st, struct masa_token_row *r)
{
	copy_col(st, 0, r->id, sizeof r->id);
	copy_col(st, 1, r->name, sizeof r->name);
	copy_col(st, 2, r->role, sizeof r->role);
	copy_col(st, 3, r->hash, sizeof r->hash);
	r->created_ms = sqlite3_column_int64(st, 4);
}

static enum masa_err
token_add(struct masa_txn *t, const struct masa_token_row *r)
{
	static const char sql[] =
	    "INSERT INTO api_tokens (id, name, role, secret_hash, created_ms) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, r->created_ms);
	return masa_sqlite_run(t, st);
}

static enum masa_err
token_get(struct masa_txn *t, const char *id, struct masa_token_row *out)
{
	static const char sql[] =
	    "SELECT id, name, role, secret_hash, created_ms FROM api_tokens WHERE id = ?";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		row_of(st, out);
	rc = src == SQLITE_ROW ? MASA_OK : src == SQLITE_DONE ? MASA_E_NOT_FOUND : masa_sqlite_err(src);
	masa_sqlite_finish(t, st);
	return rc;
}

static enum masa_err
token_each(struct masa_txn *t, void (*fn)(void *arg, const struct masa_token_row *r),
    void *arg)
{
	static const char sql[] =
	    "SELECT id, name, role, secret_hash, created_ms FROM api_tokens ORDER BY name";
	struct masa_token_row r;
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
token_delete(struct masa_txn *t, const char *name, char id_out[24])
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, "DELETE FROM api_tokens WHERE name = ? RETURNING id", &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		copy_col(st, 0, id_out, 24);
	rc = src == SQLITE_ROW ? MASA_OK : src == SQLITE_DONE ? MASA_E_NOT_FOUND : masa_sqlite_err(src);
	if (src == SQLITE_ROW && sqlite3_step(st) != SQLITE_DONE)
		rc = MASA_E_STORE;
	masa_sqlite_finish(t, st);
	return rc;
}

const struct masa_store_token_ops masa_sqlite_tokens = {
	.add = token_add,
	.get = token_get,
	.each = token_each,
	.del = token_delete,
};
