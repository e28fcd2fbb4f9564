/*
 * store.h: the store, whatever holds it. A store is opened by URL; the URL
 * chooses the backend (store.c: a table of schemes), and nothing here
 * names a backend's types. All access goes through transactions; a
 * transaction holds its connection until commit/rollback. Writes made
 * with masa_db_write/masa_db_submit are group-committed (group.c) above
 * the backend's own transactions. Nothing here knows MASA policy.
 *
 * Backends: SQLite (masa/store/sqlite/): a URL that is a plain file path
 * or "sqlite:PATH". Opening checks the durability settings the product
 * promises (journal_mode=WAL, synchronous=FULL, a busy timeout) and
 * refuses a database where they do not take. PostgreSQL
 * (masa/store/pg/): a libpq URI "postgresql://..." or "postgres://..."
 * (libpq's environment variables fill in what it leaves out), shared by
 * any number of masa processes: their writes are serialised by the
 * server (pg/txn.c), so everything below holds across them.
 */
#ifndef MASA_STORE_H
#define MASA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "diag.h"
#include "err.h"

struct masa_db;
struct masa_txn;

/* The file path within url when url names a store kept in a file: url
 * itself for a plain path, what follows "sqlite:" for an SQLite URL (""
 * if nothing does). NULL for a URL of any other scheme ("postgresql://...",
 * or one this masa does not know), which is not a path. The configuration
 * uses it to resolve a relative path against its own directory. */
const char *masa_db_url_path(const char *url);

/* url as it may be shown (messages, `masa check`): a password in it
 * ("postgresql://user:PASSWORD@host/db") replaced by "***". Returns buf. */
const char *masa_db_url_shown(const char *url, char *buf, size_t cap);

/* Opens the store url names. With create, a missing store is created
 * (SQLite: the file, 0600); without, it must exist (MASA_E_NOT_FOUND). An
 * existing SQLite file must be owner-only (MASA_E_FILE_PERM).
 * MASA_E_STORE_SETTINGS if the backend's durability settings (SQLite:
 * WAL, FULL, the busy timeout) cannot be set. MASA_E_CONFIG for a URL no
 * backend of this build serves (diag says which). busy_timeout_ms bounds
 * every wait for a connection or a lock. Migrations are not applied here. */
MASA_NODISCARD enum masa_err masa_db_open(const char *url, int busy_timeout_ms, int create,
    struct masa_db **out, struct masa_diag *diag);
/* masa_db_open, logging in with the password in the file password_file
 * (owner-only; its first line) when it is not NULL: for a PostgreSQL URL
 * only (MASA_E_CONFIG for a file store). */
MASA_NODISCARD enum masa_err masa_db_open_with(const char *url, const char *password_file,
    int busy_timeout_ms, int create, struct masa_db **out, struct masa_diag *diag);
/* Commits what masa_db_submit queued, then closes db; NULL is ignored. No
 * other thread may use db meanwhile. */
void masa_db_close(struct masa_db *db);

/* Schema version of the store and of this binary. */
MASA_NODISCARD enum masa_err masa_db_version(struct masa_db *db, int *have, int *latest);
/* Applies every pending migration, each in its own transaction.
 * MASA_E_SCHEMA if the store is newer than this binary. */
MASA_NODISCARD enum masa_err masa_db_migrate(struct masa_db *db, struct masa_diag *diag);
/* For `masa check`: checks again the durability settings the backend
 * promises, on the open store, and describes them in desc (SQLite: "WAL,
 * synchronous=FULL"). MASA_E_STORE_SETTINGS, with diag, if one is off. */
MASA_NODISCARD enum masa_err masa_db_check(struct masa_db *db, char *desc, size_t desc_cap,
    struct masa_diag *diag);
/* For `masa db backup`: an online copy of db to the file dest (mode 0600),
 * taken from one consistent snapshot while writers go on, checked (SQLite:
 * integrity_check, the same schema version) and fsynced before it is given
 * its name: a crash or an error leaves no partial file under that name.
 * SQLite: a self-contained rollback-journal database. An existing dest is
 * MASA_E_EXISTS unless replace is set. *schema_version gets the copy's
 * version. */
MASA_NODISCARD enum masa_err masa_db_backup(struct masa_db *db, const char *dest, int replace,
    int *schema_version, struct masa_diag *diag);

/* Bytes free where the store writes (for SQLite the database's file
 * system), for the reserve that keeps issuance writing when the disk runs
 * low. MASA_E_NOT_FOUND when the backend cannot tell; MASA_E_IO. */
MASA_NODISCARD enum masa_err masa_db_free_bytes(struct masa_db *db, uint64_t *out);
/* Starts a transaction. *out only on success. A write transaction holds
 * the one writer connection (FIFO among this process's threads; SQLite:
 * BEGIN IMMEDIATE); a read transaction takes one of a few read-only
 * connections and (SQLite, WAL) waits for no writer. MASA_E_STORE_BUSY
 * after the busy timeout waiting for a connection or for a lock (another
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
/* In a write transaction: a change that must reach the disk (backend.h
 * touch), so that committing it proves the store writable now. */
MASA_NODISCARD enum masa_err masa_store_touch(struct masa_txn *txn);

/* Runs change(txn, arg) in a write transaction, committed only when it
 * returns MASA_OK, and returns its result once it is durable. Concurrent
 * calls are group-committed: their changes run one after another in one
 * transaction, each in its own savepoint (a change that fails is undone
 * alone), with one commit, on the store's committer thread. So change must
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
/* The backend's name, for people ("SQLite"). */
const char *masa_db_backend_name(const struct masa_db *db);
/* Counts since open, for metrics and tests. */
struct masa_db_stats {
	uint64_t batches;	/* group commits attempted */
	uint64_t changes;	/* masa_db_write and masa_db_submit changes run in them */
};
void masa_db_stats(struct masa_db *db, struct masa_db_stats *out);

#endif
