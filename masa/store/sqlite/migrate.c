/*
 * migrate.c: the SQLite backend's schema: its version is PRAGMA
 * user_version, and its migrations are schema/sqlite/NNNN_*.sql, embedded at
 * build time (migrations.h), each applied in its own write transaction.
 */
#include <stdio.h>
#include <stdlib.h>

#include "migrations.h"
#include "sqlite_int.h"

/* PRAGMA user_version inside txn. */
static enum masa_err
user_version(struct masa_txn *txn, int *out)
{
	char v[32];
	int rc = masa_sqlite_pragma_text(masa_sqlite_conn(txn), "PRAGMA user_version", v, sizeof v);

	if (rc != SQLITE_OK)
		return masa_sqlite_err(rc);
	*out = atoi(v);
	return MASA_OK;
}

enum masa_err
masa_sqlite_version(struct masa_db *db, int *have, int *latest)
{
	struct masa_txn *txn;
	enum masa_err rc = masa_sqlite_begin(db, 0, &txn);

	if (rc != MASA_OK)
		return rc;
	rc = user_version(txn, have);
	masa_sqlite_rollback(txn);
	*latest = (int)masa_migrations_count;
	return rc;
}

enum masa_err
masa_sqlite_migrate(struct masa_db *base, struct masa_diag *diag)
{
	struct masa_sqlite *db = masa_sqlite_of(base);
	const struct masa_migration *m;
	struct masa_txn *txn = NULL;
	enum masa_err rc;
	char set[64];
	unsigned i;
	int have = 0;

	for (i = 0; i < masa_migrations_count; i++) {
		m = &masa_migrations[i];
		rc = masa_sqlite_begin(base, 1, &txn);
		if (rc == MASA_OK)
			rc = user_version(txn, &have);
		if (rc != MASA_OK) {
			masa_diag_set(diag, "cannot read the schema version: %s",
			    sqlite3_errmsg(db->conn));
			goto done;
		}
		if (have > (int)masa_migrations_count) {
			masa_diag_set(diag, "the database schema (version %d) is newer than this masa (version %u)",
			    have, masa_migrations_count);
			rc = MASA_E_SCHEMA;
			goto done;
		}
		if (have >= m->version) {
			masa_sqlite_rollback(txn);
			txn = NULL;
			continue;
		}
		/* Embedded, constant SQL: sqlite3_exec is safe here. */
		snprintf(set, sizeof set, "PRAGMA user_version=%d", m->version);
		if (sqlite3_exec(db->conn, m->sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db->conn, set, NULL, NULL, NULL) != SQLITE_OK) {
			masa_diag_set(diag, "migration %s failed: %s", m->name,
			    sqlite3_errmsg(db->conn));
			rc = MASA_E_STORE;
			goto done;
		}
		rc = masa_sqlite_commit(txn);
		txn = NULL;
		if (rc != MASA_OK) {
			masa_diag_set(diag, "cannot commit migration %s", m->name);
			goto done;
		}
	}
	rc = MASA_OK;
done:
	if (txn != NULL)
		masa_sqlite_rollback(txn);
	return rc;
}
