/* views.c: the PostgreSQL backend's device views (devices_view.h). */
#include "pg_int.h"

#include <string.h>

static enum masa_err
device_view(struct masa_txn *t, const struct masa_device *d, struct masa_device_view *out)
{
	static const char sql[] =
	    "SELECT (SELECT name FROM owners WHERE id = $1),"
	    " (SELECT spki_sha256 FROM registrar_keys WHERE id = $2),"
	    " (SELECT count(*) FROM vouchers WHERE device_id = $3)";
	struct masa_pg_params p = { 0 };
	struct masa_device_view v;
	struct masa_bytes pin;
	PGresult *r = NULL;
	enum masa_err rc;

	memset(&v, 0, sizeof v);
	masa_pg_int(&p, d->owner_id);
	masa_pg_int(&p, d->pinned_registrar_id);
	masa_pg_int(&p, d->id);
	rc = masa_pg_query(t, sql, &p, &r);
	if (rc == MASA_OK && PQntuples(r) == 1) {
		masa_pg_get_text(r, 0, 0, v.owner, sizeof v.owner);
		pin = masa_pg_get_bytes(r, 0, 1);
		if (pin.len == MASA_SHA256_LEN) {
			v.pinned = 1;
			memcpy(v.pinned_sha256, pin.ptr, MASA_SHA256_LEN);
		}
		v.vouchers = masa_pg_get_int(r, 0, 2);
	} else if (rc == MASA_OK) {
		rc = MASA_E_STORE;
	}
	PQclear(r);
	if (rc == MASA_OK)
		rc = masa_pg_bucket_get(t, d->id, &v.tat_ms, &v.has_bucket);
	if (rc == MASA_OK)
		*out = v;
	return rc;
}

static enum masa_err
device_page(struct masa_txn *t, const char *after, unsigned limit,
    int (*fn)(void *arg, const char *serial), void *arg)
{
	struct masa_pg_params p = { 0 };
	PGresult *r = NULL;
	enum masa_err rc;
	int i;

	masa_pg_text(&p, after, 0);
	masa_pg_int(&p, limit);
	/* COLLATE "C": byte order, as SQLite's, whatever the database's. */
	rc = masa_pg_query(t, "SELECT serial FROM devices WHERE serial COLLATE \"C\" > $1"
	    " ORDER BY serial COLLATE \"C\" LIMIT $2", &p, &r);
	for (i = 0; rc == MASA_OK && i < PQntuples(r); i++)
		if (fn(arg, PQgetvalue(r, i, 0)) != 0)
			break;
	PQclear(r);
	return rc;
}

/* Counts by full scans of three tables, as on SQLite; the size is the
 * database's on the server (pg_database_size: every table, index and
 * TOAST, without the WAL). */
static enum masa_err
summary(struct masa_txn *t, struct masa_store_summary *out)
{
	PGresult *r = NULL;
	enum masa_err rc;

	rc = masa_pg_query(t, "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM owners),"
	    " (SELECT count(*) FROM registrar_keys), pg_database_size(current_database())",
	    NULL, &r);
	if (rc == MASA_OK && PQntuples(r) != 1)
		rc = MASA_E_STORE;
	if (rc == MASA_OK) {
		out->devices = masa_pg_get_int(r, 0, 0);
		out->owners = masa_pg_get_int(r, 0, 1);
		out->registrars = masa_pg_get_int(r, 0, 2);
		out->bytes = masa_pg_get_int(r, 0, 3);
	}
	PQclear(r);
	return rc;
}

const struct masa_store_view_ops masa_pg_views = {
	.device = device_view,
	.page = device_page,
	.summary = summary,
};
