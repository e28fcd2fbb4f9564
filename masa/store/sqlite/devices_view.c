/* devices_view.c: the SQLite backend's device views (devices_view.h). */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

static enum masa_err
device_view(struct masa_txn *t, const struct masa_device *d, struct masa_device_view *out)
{
	static const char sql[] =
	    "SELECT (SELECT name FROM owners WHERE id = ?1),"
	    " (SELECT spki_sha256 FROM registrar_keys WHERE id = ?2),"
	    " (SELECT count(*) FROM vouchers WHERE device_id = ?3)";
	struct masa_device_view v;
	sqlite3_stmt *st = NULL;
	const unsigned char *owner;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	memset(&v, 0, sizeof v);
	sqlite3_bind_int64(st, 1, d->owner_id);
	sqlite3_bind_int64(st, 2, d->pinned_registrar_id);
	sqlite3_bind_int64(st, 3, d->id);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		owner = sqlite3_column_text(st, 0);
		snprintf(v.owner, sizeof v.owner, "%s", owner ? (const char *)owner : "");
		if (sqlite3_column_bytes(st, 1) == MASA_SHA256_LEN) {
			v.pinned = 1;
			memcpy(v.pinned_sha256, sqlite3_column_blob(st, 1), MASA_SHA256_LEN);
		}
		v.vouchers = sqlite3_column_int64(st, 2);
	}
	masa_sqlite_finish(t, st);
	if (src != SQLITE_ROW)
		return masa_sqlite_err(src);
	rc = masa_sqlite_bucket_get(t, d->id, &v.tat_ms, &v.has_bucket);
	if (rc == MASA_OK)
		*out = v;
	return rc;
}

static enum masa_err
device_page(struct masa_txn *t, const char *after, unsigned limit,
    int (*fn)(void *arg, const char *serial), void *arg)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t,
	    "SELECT serial FROM devices WHERE serial > ? ORDER BY serial LIMIT ?", &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)limit);
	while ((src = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0)) != 0)
			break;
	masa_sqlite_finish(t, st);
	return src == SQLITE_ROW || src == SQLITE_DONE ? MASA_OK : masa_sqlite_err(src);
}

/* Counts by full scans of three tables (milliseconds for a million
 * devices) and the file's size from its page count. */
static enum masa_err
summary(struct masa_txn *t, struct masa_store_summary *out)
{
	static const char sql[] =
	    "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM owners),"
	    " (SELECT count(*) FROM registrar_keys),"
	    " (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, sql, &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		out->devices = sqlite3_column_int64(st, 0);
		out->owners = sqlite3_column_int64(st, 1);
		out->registrars = sqlite3_column_int64(st, 2);
		out->bytes = sqlite3_column_int64(st, 3);
	}
	masa_sqlite_finish(t, st);
	return src == SQLITE_ROW ? MASA_OK : masa_sqlite_err(src);
}

const struct masa_store_view_ops masa_sqlite_views = {
	.device = device_view,
	.page = device_page,
	.summary = summary,
};
