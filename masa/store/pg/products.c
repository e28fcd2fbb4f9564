/* products.c: the PostgreSQL backend's product records (products.h), the
 * statements of ../sqlite/products.c. */
#include "pg_int.h"

#include <string.h>

enum masa_err
masa_pg_product_put(struct masa_txn *t, const struct masa_product_row *p, int64_t now_ms,
    int *created)
{
	static const char sql[] =
	    "INSERT INTO products (name, formats, registrar_algs, pin, nonceless, created_ms,"
	    " updated_ms, signing_key) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)"
	    " ON CONFLICT (name) DO UPDATE SET formats = excluded.formats,"
	    " registrar_algs = excluded.registrar_algs, pin = excluded.pin,"
	    " nonceless = excluded.nonceless, updated_ms = excluded.updated_ms,"
	    " signing_key = excluded.signing_key"
	    " RETURNING created_ms = $6";
	struct masa_pg_params q = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&q, p->name, 0);
	masa_pg_int(&q, (int64_t)p->formats);
	masa_pg_int(&q, (int64_t)p->registrar_algs);
	masa_pg_int(&q, p->pin);
	masa_pg_int(&q, p->nonceless != 0);
	masa_pg_int(&q, now_ms);
	masa_pg_text(&q, p->signing_key, 0);
	rc = masa_pg_query(t, sql, &q, &r);
	if (rc == MASA_OK && PQntuples(r) != 1)
		rc = MASA_E_STORE;
	if (rc == MASA_OK)
		*created = (int)masa_pg_get_int(r, 0, 0);
	PQclear(r);
	return rc;
}

#define COLUMNS "name, formats, registrar_algs, pin, nonceless, created_ms, updated_ms," \
	" signing_key"

static void
row_of(const PGresult *r, int i, struct masa_product_row *p)
{
	memset(p, 0, sizeof *p);
	masa_pg_get_text(r, i, 0, p->name, sizeof p->name);
	p->formats = (uint64_t)masa_pg_get_int(r, i, 1);
	p->registrar_algs = (uint64_t)masa_pg_get_int(r, i, 2);
	p->pin = (int)masa_pg_get_int(r, i, 3);
	p->nonceless = (int)masa_pg_get_int(r, i, 4);
	p->created_ms = masa_pg_get_int(r, i, 5);
	p->updated_ms = masa_pg_get_int(r, i, 6);
	masa_pg_get_text(r, i, 7, p->signing_key, sizeof p->signing_key);
}

enum masa_err
masa_pg_product_get(struct masa_txn *t, const char *name, struct masa_product_row *out)
{
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;

	masa_pg_text(&p, name, 0);
	rc = masa_pg_query_row(t, "SELECT " COLUMNS " FROM products WHERE name = $1", &p,
	    MASA_E_NOT_FOUND, &r);
	if (rc == MASA_OK)
		row_of(r, 0, out);
	PQclear(r);
	return rc;
}

enum masa_err
masa_pg_product_each(struct masa_txn *t,
    int (*fn)(void *arg, const struct masa_product_row *p), void *arg)
{
	struct masa_product_row row;
	PGresult *r = NULL;
	enum masa_err rc;
	int i;

	/* COLLATE "C": byte order, as SQLite's, whatever the database's. */
	rc = masa_pg_query(t, "SELECT " COLUMNS " FROM products ORDER BY name COLLATE \"C\"",
	    NULL, &r);
	for (i = 0; rc == MASA_OK && i < PQntuples(r); i++) {
		row_of(r, i, &row);
		if (fn(arg, &row) != 0)
			break;
	}
	PQclear(r);
	return rc;
}
