/*
 * sqlite_stmt.h: the SQLite backend's statements, for its own row code
 * (masa/store/sqlite/) and for tests that look at an SQLite store. txn
 * must be a transaction of an SQLite store. Everything else goes through
 * store.h.
 */
#ifndef MASA_SQLITE_STMT_H
#define MASA_SQLITE_STMT_H

#include <stddef.h>

#include <sqlite3.h>

#include "attr.h"
#include "err.h"
#include "store.h"

/* The connection for statements inside txn. */
sqlite3 *masa_sqlite_conn(struct masa_txn *txn);
/* A prepared statement for sql (a constant: statements are cached per
 * connection by its address) in txn; *out only on success. Give it back
 * with masa_sqlite_finish (never sqlite3_finalize) before the transaction
 * ends. Inside a write transaction that SQLite has rolled back on its own
 * (a full disk, an I/O error), MASA_E_STORE: the statement would run in
 * autocommit mode and commit alone. */
MASA_NODISCARD enum masa_err masa_sqlite_prepare(struct masa_txn *txn, const char *sql,
    sqlite3_stmt **out);
/* Ends the use of st (from masa_sqlite_prepare): reset with its bindings
 * cleared. NULL is ignored. */
void masa_sqlite_finish(struct masa_txn *txn, sqlite3_stmt *st);
/* Steps a statement that returns no row and finishes it: MASA_OK,
 * MASA_E_EXISTS for a UNIQUE or PRIMARY KEY conflict, else a store error. */
MASA_NODISCARD enum masa_err masa_sqlite_run(struct masa_txn *txn, sqlite3_stmt *st);
/* Runs sql (a constant, e.g. a PRAGMA) on conn and copies the first column
 * of its first row, if any, to out ("" if none). An SQLite result code. */
int masa_sqlite_pragma_text(sqlite3 *conn, const char *sql, char *out, size_t cap);
/* Maps an SQLite result code to MASA_OK (SQLITE_OK, _ROW, _DONE),
 * MASA_E_STORE_BUSY, MASA_E_NOMEM or MASA_E_STORE. */
enum masa_err masa_sqlite_err(int sqlite_rc);

/* Column i of st's current row as text into out (cap bytes, cut if
 * longer; "" for NULL). */
void masa_sqlite_col_text(sqlite3_stmt *st, int i, char *out, size_t cap);

#endif
