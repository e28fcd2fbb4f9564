/*
 * txn.c: the SQLite backend's transactions and savepoints (backend.h), on
 * the connections conn.c hands out. Transaction control runs as cached
 * statements (stmt.c), like any other.
 */
#include "sqlite_int.h"

static const char begin_write[] = "BEGIN IMMEDIATE", begin_read[] = "BEGIN",
    commit_sql[] = "COMMIT", rollback_sql[] = "ROLLBACK";
/* Group commit's one savepoint at a time. */
static const char save_sql[] = "SAVEPOINT job", release_sql[] = "RELEASE job",
    undo_sql[] = "ROLLBACK TO job";

/* Ends the use of txn's connection. */
static void
end_txn(struct masa_sqlite_txn *txn)
{
	if (txn->reader < 0)
		masa_sqlite_release(txn->db);
	else
		masa_sqlite_release_reader(txn->db, txn->reader);
}

enum masa_err
masa_sqlite_begin(struct masa_db *base, int write, struct masa_txn **out)
{
	struct masa_sqlite *db = masa_sqlite_of(base);
	struct masa_txn *t;
	enum masa_err e;

	if (write) {
		if (masa_sqlite_acquire(db) != MASA_OK)
			return MASA_E_STORE_BUSY;
		t = &db->txn.base;
	} else {
		e = masa_sqlite_begin_single(base, &t);
		if (e != MASA_OK)
			return e;
	}
	e = masa_sqlite_exec(t, write ? begin_write : begin_read, 1);
	if (e != MASA_OK) {
		end_txn(masa_sqlite_txn_of(t));
		return e;
	}
	*out = t;
	return MASA_OK;
}

enum masa_err
masa_sqlite_begin_single(struct masa_db *base, struct masa_txn **out)
{
	struct masa_sqlite *db = masa_sqlite_of(base);
	enum masa_err e;
	int i;

	e = masa_sqlite_acquire_reader(db, &i);
	if (e != MASA_OK)
		return e;
	*out = &db->reader_txn[i].base;
	return MASA_OK;
}

enum masa_err
masa_sqlite_commit(struct masa_txn *txn)
{
	struct masa_sqlite_txn *t = masa_sqlite_txn_of(txn);
	enum masa_err rc;

	masa_sqlite_cache_reset(&t->cache, 0);
	rc = masa_sqlite_exec(txn, commit_sql, 1);
	if (rc != MASA_OK)
		(void)masa_sqlite_exec(txn, rollback_sql, 1);
	end_txn(t);
	return rc;
}

void
masa_sqlite_rollback(struct masa_txn *txn)
{
	struct masa_sqlite_txn *t = masa_sqlite_txn_of(txn);

	masa_sqlite_cache_reset(&t->cache, 0);
	/* Nothing to roll back after masa_sqlite_begin_single, or once SQLite
	 * has rolled a failed transaction back itself. */
	if (!sqlite3_get_autocommit(t->conn))
		(void)masa_sqlite_exec(txn, rollback_sql, 1);
	end_txn(t);
}

enum masa_err
masa_sqlite_savepoint(struct masa_txn *txn)
{
	return masa_sqlite_exec(txn, save_sql, 0);
}

enum masa_err
masa_sqlite_release_savepoint(struct masa_txn *txn)
{
	return masa_sqlite_exec(txn, release_sql, 0);
}

void
masa_sqlite_rollback_to(struct masa_txn *txn)
{
	/* Run as control statements: they fail harmlessly if SQLite already
	 * rolled the whole transaction back (masa_sqlite_lost). */
	(void)masa_sqlite_exec(txn, undo_sql, 1);
	(void)masa_sqlite_exec(txn, release_sql, 1);
}

int
masa_sqlite_lost(struct masa_txn *txn)
{
	/* An I/O error or a full disk can make SQLite roll the whole
	 * transaction back: the connection is then in autocommit mode. */
	return sqlite3_get_autocommit(masa_sqlite_txn_of(txn)->conn);
}

/* A row rewritten with its own values writes nothing (SQLite compares the
 * cell), hence a counter (schema/sqlite/0006_store_probe.sql). */
enum masa_err
masa_sqlite_touch(struct masa_txn *txn)
{
	return masa_sqlite_exec(txn, "UPDATE store_probe SET probes = probes + 1 WHERE id = 1", 0);
}
