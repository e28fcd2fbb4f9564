/* tokens.c: the PostgreSQL backend's API tokens (tokens.h). */
#include "pg_int.h"

#include <string.h>

static void
row_of(const PGresult *r, int i, struct masa_token_row *out)
{
	masa_pg_get_text(r, i, 0, out->id, sizeof out->id);
	masa_pg_get_text(r, i, 1, out->name, sizeof out->name);
	masa_pg_get_text(r, i, 2, out->role, sizeof out->role);
	masa_pg_get_text(r, i, 3, out->hash, sizeof out->hash);
	out->created_ms = masa_pg_get_int(r, i, 4);
}

static enum masa_err
token_add(struct masa_txn *t, const struct masa_token_row *row)
{
	static const char sql[] =
	    "INSERT INTO api_tokens (id, name, role, secret_hash, created_ms)"
	    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1";
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&p, row->id, 0);
	masa_pg_text(&p, row->name, 0);
	masa_pg_text(&p, row->role, 0);
	masa_pg_text(&p, row->hash, 0);
	masa_pg_int(&p, row->created_ms);
	rc = masa_pg_query_row(t, sql, &p, MASA_E_EXISTS, &r);
	PQclear(r);
	return rc;
}

static enum masa_err
token_get(struct masa_txn *t, const char *id, struct masa_token_row *out)
{
	static const char sql[] =
	    "SELECT id, name, role, secret_hash, created_ms FROM api_tokens WHERE id = $1";
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&p, id, 0);
	rc = masa_pg_query_row(t, sql, &p, MASA_E_NOT_FOUND, &r);
	if (rc == MASA_OK)
		row_of(r, 0, out);
	PQclear(r);
	return rc;
}

static enum masa_err
token_each(struct masa_txn *t, void (*fn)(void *arg, const struct masa_token_row *r),
    void *arg)
{
	struct masa_token_row row;
	PGresult *r = NULL;
	enum masa_err rc;
	int i;

	rc = masa_pg_query(t, "SELECT id, name, role, secret_hash, created_ms FROM api_tokens"
	    " ORDER BY name COLLATE \"C\"", NULL, &r);
	for (i = 0; rc == MASA_OK && i < PQntuples(r); i++) {
		row_of(r, i, &row);
		fn(arg, &row);
	}
	PQclear(r);
	return rc;
}

static enum masa_err
token_delete(struct masa_txn *t, const char *name, char id_out[24])
{
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&p, name, 0);
	rc = masa_pg_query(t, "DELETE FROM api_tokens WHERE name = $1 RETURNING id", &p, &r);
	if (rc == MASA_OK && PQntuples(r) != 1)
		rc = PQntuples(r) == 0 ? MASA_E_NOT_FOUND : MASA_E_STORE;
	if (rc == MASA_OK)
		masa_pg_get_text(r, 0, 0, id_out, 24);
	PQclear(r);
	return rc;
}

const struct masa_store_token_ops masa_pg_tokens = {
	.add = token_add,
	.get = token_get,
	.each = token_each,
	.del = token_delete,
};
