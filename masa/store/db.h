/*
 * db.h: the SQLite store. Opening checks the durability settings the
 * product promises (journal_mode=WAL, synchronous=FULL, a busy timeout)
 * and refuses a database where they do not take. All access goes through
 * transactions; a transaction holds the connection until commit/rollback.
 * Nothing here knows MASA policy.
 */
#ifndef MASA_DB_H
#define MASA_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "attr.h"
#include "diag.h"
#include "err.h"

struct masa_db;
struct masa_txn;

/* Opens path. With create, a missing file is created (0600); without, it
 * must exist (MASA_E_NOT_FOUND). An existing file must be owner-only
 * (MASA_E_FILE_PERM). MASA_E_STORE_SETTINGS if WAL, FULL or the busy
 * timeout cannot be set. Migrations are not applied here. */
MASA_NODISCARD enum masa_err masa_db_open(const char *path, int busy_timeout_ms, int create,
    struct masa_db **out, struct masa_diag *diag);
void masa_db_close(struct masa_db *db);

/* Schema version of the file and of this binary. */
MASA_NODISCARD enum masa_err masa_db_version(struct masa_db *db, int *have, int *latest);
/* Applies every pending migration, each in its own transaction.
 * MASA_E_SCHEMA if the file is newer than this binary. */
MASA_NODISCARD enum masa_err masa_db_migrate(struct masa_db *db, struct masa_diag *diag);
/* Takes the write lock and releases it: MASA_OK if the store can write now. */
MASA_NODISCARD enum masa_err masa_db_ping_write(struct masa_db *db);

/* Starts a transaction (BEGIN IMMEDIATE when write). *out only on success.
 * A write transaction holds the one writer connection (FIFO among this
 * process's threads); a read transaction takes one of a few read-only
 * connections and, with WAL, waits for no writer. MASA_E_STORE_BUSY after
 * the busy timeout waiting for a connection or for the file (another
 * process). */
MASA_NODISCARD enum masa_err masa_db_begin(struct masa_db *db, int write, struct masa_txn **out);
/* A read connection for one statement, which is then its own read
 * transaction: no BEGIN and ROLLBACK around a single lookup on a hot path.
 * End it with masa_db_rollback. */
MASA_NODISCARD enum masa_err masa_db_begin_single(struct masa_db *db, struct masa_txn **out);
/* Commits and ends txn, whatever the outcome. */
MASA_NODISCARD enum masa_err masa_db_commit(struct masa_txn *txn);
/* Rolls back and ends txn; NULL is ignored. */
void masa_db_rollback(struct masa_txn *txn);
/* Runs change(txn, arg) in a write transaction, committed only when it
 * returns MASA_OK, and returns its result once it is durable. Concurrent
 * calls are group-committed: their changes run one after another in one
 * transaction, each in its own savepoint (a change that fails is undone
 * alone), with one COMMIT, on the store's committer thread. So change must
 * not begin or end transactions nor write through this store again, and
 * its effects outside the store must wait for this to return. */
MASA_NODISCARD enum masa_err masa_db_write(struct masa_db *db,
    enum masa_err (*change)(struct masa_txn *txn, void *arg), void *arg);
/* masa_db_write without waiting: queues change and returns. Once the
 * batch that holds it has committed (or failed), done(done_arg, result) is
 * called exactly once, on the committer thread: it must be quick and must
 * not write to the store. change and done_arg must live until then. An
 * error return means nothing was queued and done will not be called. */
MASA_NODISCARD enum masa_err masa_db_submit(struct masa_db *db,
    enum masa_err (*change)(struct masa_txn *txn, void *arg), void *arg,
    void (*done)(void *done_arg, enum masa_err rc), void *done_arg);
/* Makes a busy store's committer wait up to wait_us (at most 1 s) for
 * min_changes queued changes before it begins a batch, so that one
 * commit's page writes and fsync serve more changes (what PostgreSQL's
 * commit_delay does). "Busy" means the batch before held more than one
 * change: a change on a quiet store is committed at once, but a few
 * writers that each wait for their change (fewer than min_changes) wait
 * the full time on every batch. 0 (the default) never waits. */
void masa_db_gather(struct masa_db *db, long wait_us, size_t min_changes);
/* Counts since open, for metrics and tests. */
struct masa_db_stats {
	uint64_t batches;	/* group commits attempted */
	uint64_t changes;	/* masa_db_write and masa_db_submit changes run in them */
};
void masa_db_stats(struct masa_db *db, struct masa_db_stats *out);
/* The connection for statements inside txn. */
sqlite3 *masa_txn_sqlite(struct masa_txn *txn);
/* A prepared statement for sql (a constant: statements are cached per
 * connection by its address) in txn; *out only on success. Give it back
 * with masa_db_finish (never sqlite3_finalize) before the transaction ends. */
MASA_NODISCARD enum masa_err masa_db_prepare(struct masa_txn *txn, const char *sql,
    sqlite3_stmt **out);
/* Ends the use of st (from masa_db_prepare): reset with its bindings
 * cleared. NULL is ignored. */
void masa_db_finish(struct masa_txn *txn, sqlite3_stmt *st);
/* Steps a statement that returns no row and finishes it: MASA_OK,
 * MASA_E_EXISTS for a UNIQUE or PRIMARY KEY conflict, else a store error. */
MASA_NODISCARD enum masa_err masa_db_run(struct masa_txn *txn, sqlite3_stmt *st);
/* Runs sql (a constant, e.g. a PRAGMA) on conn and copies the first column
 * of its first row, if any, to out ("" if none). An SQLite result code. */
int masa_db_pragma_text(sqlite3 *conn, const char *sql, char *out, size_t cap);
/* Maps an SQLite result code to MASA_E_STORE_BUSY or MASA_E_STORE. */
enum masa_err masa_db_err(int sqlite_rc);

#endif
