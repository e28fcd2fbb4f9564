/*
 * stmt.c: prepared statements, kept per connection (sqlite_stmt.h), and
 * the mapping of SQLite's result codes: the bottom of the SQLite backend.
 * SQLite's parser and planner cost more than running most of masa's
 * statements, so each is prepared once per connection. A statement handed
 * out is marked in use until masa_sqlite_finish; asking for one that is in
 * use (a nested query) prepares a separate one that masa_sqlite_finish
 * finalizes.
 */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

enum masa_err
masa_sqlite_err(int sqlite_rc)
{
	switch (sqlite_rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return MASA_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return MASA_E_STORE_BUSY;
	case SQLITE_NOMEM:
		return MASA_E_NOMEM;
	default:
		return MASA_E_STORE;
	}
}

int
masa_sqlite_pragma_text(sqlite3 *conn, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc;

	out[0] = '\0';
	rc = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			t = sqlite3_column_text(st, 0);
			if (t != NULL)
				snprintf(out, cap, "%s", (const char *)t);
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;	/* a setting pragma may return no row */
	}
	sqlite3_finalize(st);
	return rc;
}

sqlite3 *
masa_sqlite_conn(struct masa_txn *txn)
{
	return masa_sqlite_txn_of(txn)->conn;
}

/* A statement for sql from the cache, or prepared (and cached if there
 * is room). */
static enum masa_err
prepare(struct masa_sqlite_txn *txn, const char *sql, sqlite3_stmt **out)
{
	struct masa_stmt_cache *c = &txn->cache;
	sqlite3_stmt *st = NULL;
	int i, rc;

	for (i = 0; i < c->n; i++) {
		if (c->sql[i] == sql && !c->in_use[i] && strcmp(sqlite3_sql(c->st[i]), sql) == 0) {
			c->in_use[i] = 1;
			*out = c->st[i];
			return MASA_OK;
		}
	}
	if (c->n == MASA_SQLITE_STMT_CACHE) {
		rc = sqlite3_prepare_v2(txn->conn, sql, -1, &st, NULL);
	} else {
		rc = sqlite3_prepare_v3(txn->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc == SQLITE_OK) {
			c->sql[c->n] = sql;
			c->st[c->n] = st;
			c->in_use[c->n++] = 1;
		}
	}
	if (rc != SQLITE_OK)
		return masa_sqlite_err(rc);
	*out = st;
	return MASA_OK;
}

/*
 * Inside a write transaction only: if SQLite has rolled the whole
 * transaction back (a full disk, an I/O error), a statement would now run
 * in autocommit mode and commit on its own while the caller's batch is
 * reported failed. Refused instead.
 */
enum masa_err
masa_sqlite_prepare(struct masa_txn *txn, const char *sql, sqlite3_stmt **out)
{
	struct masa_sqlite_txn *t = masa_sqlite_txn_of(txn);

	if (t->reader < 0 && sqlite3_get_autocommit(t->conn))
		return MASA_E_STORE;
	return prepare(t, sql, out);
}

void
masa_sqlite_finish(struct masa_txn *txn, sqlite3_stmt *st)
{
	struct masa_stmt_cache *c = &masa_sqlite_txn_of(txn)->cache;
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		if (c->st[i] == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);	/* no pointer into a caller's memory stays */
			c->in_use[i] = 0;
			return;
		}
	}
	sqlite3_finalize(st);
}

void
masa_sqlite_cache_reset(struct masa_stmt_cache *c, int drop)
{
	int i;

	for (i = 0; i < c->n; i++) {
		if (c->in_use[i]) {
			sqlite3_reset(c->st[i]);
			sqlite3_clear_bindings(c->st[i]);
			c->in_use[i] = 0;
		}
		if (drop)
			sqlite3_finalize(c->st[i]);
	}
	if (drop)
		c->n = 0;
}

enum masa_err
masa_sqlite_run(struct masa_txn *txn, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	masa_sqlite_finish(txn, st);
	if (rc == SQLITE_DONE)
		return MASA_OK;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return MASA_E_EXISTS;
	return masa_sqlite_err(rc);
}

enum masa_err
masa_sqlite_exec(struct masa_txn *txn, const char *sql, int control)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc = control ? prepare(masa_sqlite_txn_of(txn), sql, &st) :
	    masa_sqlite_prepare(txn, sql, &st);

	return rc == MASA_OK ? masa_sqlite_run(txn, st) : rc;
}

void
masa_sqlite_col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(out, cap, "%s", v ? (const char *)v : "");
}
