/*
 * migrate.c: the PostgreSQL backend's schema: its version is the one row
 * of masa_schema_version, and its migrations are schema/postgresql/
 * NNNN_*.sql, embedded at build time (pg_migrations.h), each applied in
 * its own write transaction. The write lock (txn.c) is taken before the
 * version is read, so two instances starting together apply each
 * migration once, and no instance writes while one is applied.
 */
#include <stdio.h>
#include <string.h>

#include "pg_int.h"
#include "pg_migrations.h"

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS masa_schema_version (version integer NOT NULL)";

/* The schema version inside txn: 0 for an empty database. */
static enum masa_err
schema_version(struct masa_txn *txn, int *out)
{
	PGresult *r = NULL;
	enum masa_err rc;

	rc = masa_pg_query(txn, "SELECT CASE WHEN to_regclass('masa_schema_version') IS NULL"
	    " THEN 0 ELSE 1 END", NULL, &r);
	if (rc == MASA_OK && masa_pg_get_int(r, 0, 0) == 0) {
		*out = 0;
		PQclear(r);
		return MASA_OK;
	}
	PQclear(r);
	r = NULL;
	/* Not prepared: the table may not have existed when it was. */
	if (rc == MASA_OK)
		rc = masa_pg_query(txn, "SELECT coalesce(max(version), 0) FROM masa_schema_version",
		    NULL, &r);
	if (rc == MASA_OK)
		*out = (int)masa_pg_get_int(r, 0, 0);
	PQclear(r);
	return rc;
}

enum masa_err
masa_pg_version(struct masa_db *db, int *have, int *latest)
{
	struct masa_txn *txn;
	enum masa_err rc = masa_pg_begin(db, 0, &txn);

	if (rc != MASA_OK)
		return rc;
	rc = schema_version(txn, have);
	masa_pg_rollback(txn);
	*latest = (int)masa_pg_migrations_count;
	return rc;
}

/* Applies migration m inside txn and records its version. */
static enum masa_err
apply(struct masa_txn *txn, const struct masa_migration *m)
{
	struct masa_pg_txn *t = masa_pg_txn_of(txn);
	char set[96];
	enum masa_err rc;

	/* Embedded, constant SQL: a simple query may hold many statements. */
	rc = masa_pg_exec(t, create_sql);
	if (rc == MASA_OK)
		rc = masa_pg_exec(t, m->sql);
	snprintf(set, sizeof set, "DELETE FROM masa_schema_version;"
	    " INSERT INTO masa_schema_version (version) VALUES (%d)", m->version);
	if (rc == MASA_OK)
		rc = masa_pg_exec(t, set);
	return rc;
}

enum masa_err
masa_pg_migrate(struct masa_db *base, struct masa_diag *diag)
{
	const struct masa_migration *m;
	struct masa_txn *txn = NULL;
	enum masa_err rc;
	unsigned i;
	int have = 0;

	for (i = 0; i < masa_pg_migrations_count; i++) {
		m = &masa_pg_migrations[i];
		rc = masa_pg_begin(base, 1, &txn);
		if (rc != MASA_OK) {
			masa_diag_set(diag, "cannot take the PostgreSQL database's write lock to migrate it");
			return rc;
		}
		rc = schema_version(txn, &have);
		if (rc != MASA_OK) {
			masa_diag_set(diag, "cannot read the schema version: %s",
			    masa_pg_txn_of(txn)->err);
			goto done;
		}
		if (have > (int)masa_pg_migrations_count) {
			masa_diag_set(diag, "the database schema (version %d) is newer than this masa (version %u)",
			    have, masa_pg_migrations_count);
			rc = MASA_E_SCHEMA;
			goto done;
		}
		if (have >= m->version) {
			masa_pg_rollback(txn);
			txn = NULL;
			continue;
		}
		rc = apply(txn, m);
		if (rc != MASA_OK) {
			masa_diag_set(diag, "migration %s failed: %s", m->name,
			    masa_pg_txn_of(txn)->err);
			goto done;
		}
		rc = masa_pg_commit(txn);
		txn = NULL;
		if (rc != MASA_OK) {
			masa_diag_set(diag, "cannot commit migration %s", m->name);
			return rc;
		}
	}
	return MASA_OK;
done:
	masa_pg_rollback(txn);
	return rc;
}
