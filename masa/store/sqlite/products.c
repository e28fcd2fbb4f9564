/* products.c: the SQLite backend's product records (products.h). */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

enum masa_err
masa_sqlite_product_put(struct masa_txn *t, const struct masa_product_row *p, int64_t now_ms,
    int *created)
{
	static const char sql[] =
	    "INSERT INTO products (name, formats, registrar_algs, pin, nonceless, created_ms,"
	    " updated_ms, signing_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
	    " ON CONFLICT (name) DO UPDATE SET formats = excluded.formats,"
	    " registrar_algs = excluded.registrar_algs, pin = excluded.pin,"
	    " nonceless = excluded.nonceless, updated_ms = excluded.updated_ms,"
	    " signing_key = excluded.signing_key"
	    " RETURNING created_ms = ?6";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int step;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->formats);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)p->registrar_algs);
	sqlite3_bind_int(st, 4, p->pin);
	sqlite3_bind_int(st, 5, p->nonceless != 0);
	sqlite3_bind_int64(st, 6, now_ms);
	sqlite3_bind_text(st, 7, p->signing_key, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*created = sqlite3_column_int(st, 0);
		step = sqlite3_step(st);
	}
	if (step != SQLITE_DONE)
		rc = masa_sqlite_err(step);
	masa_sqlite_finish(t, st);
	return rc;
}

/* The row st stands on (columns as in COLUMNS). */
#define COLUMNS "name, formats, registrar_algs, pin, nonceless, created_ms, updated_ms," \
	" signing_key"
static void
row_of(sqlite3_stmt *st, struct masa_product_row *p)
{
	const unsigned char *name = sqlite3_column_text(st, 0);

	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name ? (const char *)name : "");
	p->formats = (uint64_t)sqlite3_column_int64(st, 1);
	p->registrar_algs = (uint64_t)sqlite3_column_int64(st, 2);
	p->pin = sqlite3_column_int(st, 3);
	p->nonceless = sqlite3_column_int(st, 4);
	p->created_ms = sqlite3_column_int64(st, 5);
	p->updated_ms = sqlite3_column_int64(st, 6);
	masa_sqlite_col_text(st, 7, p->signing_key, sizeof p->signing_key);
}

enum masa_err
masa_sqlite_product_get(struct masa_txn *t, const char *name, struct masa_product_row *out)
{
	static const char sql[] = "SELECT " COLUMNS " FROM products WHERE name = ?";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int step;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		row_of(st, out);
	else
		rc = step == SQLITE_DONE ? MASA_E_NOT_FOUND : masa_sqlite_err(step);
	masa_sqlite_finish(t, st);
	return rc;
}

enum masa_err
masa_sqlite_product_each(struct masa_txn *t,
    int (*fn)(void *arg, const struct masa_product_row *p), void *arg)
{
	static const char sql[] = "SELECT " COLUMNS " FROM products ORDER BY name";
	struct masa_product_row p;
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int step = SQLITE_DONE;

	if (rc != MASA_OK)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, &p);
		if (fn(arg, &p) != 0) {
			step = SQLITE_DONE;
			break;
		}
	}
	if (step != SQLITE_DONE)
		rc = masa_sqlite_err(step);
	masa_sqlite_finish(t, st);
	return rc;
}
