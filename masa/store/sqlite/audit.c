/* audit.c: the SQLite backend's audit trail (audit.h): the chain hash is
 * masa_audit_hash's (audit_hash.c), the rows are here. */
#include <stdint.h>
#include <string.h>

#include "sqlite_int.h"

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_blob(sqlite3_stmt *st, int i, struct masa_bytes b)
{
	if (b.ptr != NULL && b.len > 0)
		sqlite3_bind_blob(st, i, b.ptr, (int)b.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static enum masa_err
audit_append(struct masa_txn *txn, const struct masa_audit_entry *e)
{
	static const char last_sql[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	static const char ins_sql[] =
	    "INSERT INTO audit (seq, at_ms, event, serial, registrar_sha256, nonce,"
	    " assertion, source, detail, prev_hash, hash)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	uint8_t prev[MASA_AUDIT_HASH_LEN] = { 0 }, hash[MASA_AUDIT_HASH_LEN];
	int64_t seq = 1;
	enum masa_err rc;
	int src;

	if (e->event == NULL || e->detail == NULL)
		return MASA_E_INTERNAL;
	rc = masa_sqlite_prepare(txn, last_sql, &st);
	if (rc != MASA_OK)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != MASA_AUDIT_HASH_LEN) {
			rc = MASA_E_STORE;	/* the chain is damaged: never extend it */
			goto done;
		}
		seq = sqlite3_column_int64(st, 0) + 1;
		memcpy(prev, sqlite3_column_blob(st, 1), MASA_AUDIT_HASH_LEN);
	} else if (src != SQLITE_DONE) {
		rc = masa_sqlite_err(src);
		goto done;
	}
	masa_sqlite_finish(txn, st);
	st = NULL;

	rc = masa_audit_hash(seq, e, prev, hash);
	if (rc == MASA_OK)
		rc = masa_sqlite_prepare(txn, ins_sql, &st);
	if (rc != MASA_OK)
		goto done;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, e->at_ms);
	bind_text(st, 3, e->event);
	bind_text(st, 4, e->serial);
	bind_blob(st, 5, e->registrar_sha256);
	bind_blob(st, 6, e->nonce);
	if (e->assertion >= 0)
		sqlite3_bind_int(st, 7, e->assertion);
	else
		sqlite3_bind_null(st, 7);
	bind_text(st, 8, e->source);
	bind_text(st, 9, e->detail);
	sqlite3_bind_blob(st, 10, prev, sizeof prev, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, hash, sizeof hash, SQLITE_STATIC);
	src = sqlite3_step(st);
	rc = src == SQLITE_DONE ? MASA_OK : masa_sqlite_err(src);
done:
	masa_sqlite_finish(txn, st);
	return rc;
}

/* Text column i, or NULL for SQL NULL (valid until the next step). */
static const char *
col_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL :
	    (const char *)sqlite3_column_text(st, i);
}

static struct masa_bytes
col_blob(sqlite3_stmt *st, int i)
{
	struct masa_bytes b = { sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i) };

	return b;
}

/* Fills r from a row of SELECT seq, at_ms, event, serial, registrar_sha256,
 * nonce, assertion, source, detail, prev_hash, hash. */
static void
row_from(sqlite3_stmt *st, struct masa_audit_row *r)
{
	struct masa_bytes b;

	memset(r, 0, sizeof *r);
	r->seq = sqlite3_column_int64(st, 0);
	r->e.at_ms = sqlite3_column_int64(st, 1);
	r->e.event = col_text(st, 2);
	r->e.serial = col_text(st, 3);
	r->e.registrar_sha256 = col_blob(st, 4);
	r->e.nonce = col_blob(st, 5);
	r->e.assertion = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
	r->e.source = col_text(st, 7);
	r->e.detail = col_text(st, 8);
	b = col_blob(st, 9);
	if (b.len == MASA_AUDIT_HASH_LEN)
		memcpy(r->prev, b.ptr, b.len);
	b = col_blob(st, 10);
	if (b.len == MASA_AUDIT_HASH_LEN)
		memcpy(r->hash, b.ptr, b.len);
}

/* Steps st, handing each row to fn until it returns non-zero. */
static enum masa_err
rows_to(struct masa_txn *txn, sqlite3_stmt *st, int64_t stop_before_ms,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	struct masa_audit_row r;
	int src;

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		row_from(st, &r);
		if (r.e.at_ms < stop_before_ms || fn(arg, &r) != 0)
			break;
	}
	masa_sqlite_finish(txn, st);
	return src == SQLITE_ROW || src == SQLITE_DONE ? MASA_OK : masa_sqlite_err(src);
}

static enum masa_err
audit_each(struct masa_txn *txn, const char *serial, int64_t since_ms, int64_t after_seq,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	static const char sql[] =
	    "SELECT seq, at_ms, event, serial, registrar_sha256, nonce, assertion, source, detail,"
	    " prev_hash, hash FROM audit WHERE (?1 IS NULL OR serial = ?1) AND at_ms >= ?2"
	    " AND seq > ?3 ORDER BY seq";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(txn, sql, &st);

	if (rc != MASA_OK)
		return rc;
	if (serial != NULL)
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since_ms);
	sqlite3_bind_int64(st, 3, after_seq);
	return rows_to(txn, st, INT64_MIN, fn, arg);
}

/* Newest first along the primary key: reads only the entries it hands
 * over, and the one that ends the walk. */
static enum masa_err
audit_recent(struct masa_txn *txn, int64_t since_ms,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	static const char sql[] =
	    "SELECT seq, at_ms, event, serial, registrar_sha256, nonce, assertion, source, detail,"
	    " prev_hash, hash FROM audit ORDER BY seq DESC";
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(txn, sql, &st);

	return rc == MASA_OK ? rows_to(txn, st, since_ms, fn, arg) : rc;
}

const struct masa_store_audit_ops masa_sqlite_audit = {
	.append = audit_append,
	.each = audit_each,
	.recent = audit_recent,
};
