/*
 * sqlite_int.h: the SQLite backend's insides, shared by its files:
 * stmt.c (statements) <- conn.c (connections) <- txn.c (transactions) <-
 * migrate.c <- backup.c <- backend.c (the ops table), with the row code
 * (rows.c, devices_view.c, audit.c, tokens.c) on stmt.c. Not for use
 * outside masa/store/sqlite/.
 */
#ifndef MASA_SQLITE_INT_H
#define MASA_SQLITE_INT_H

#include <pthread.h>
#include <time.h>

#include "backend.h"
#include "sqlite_stmt.h"

#define MASA_SQLITE_READERS 4		/* read-only connections for read transactions */
#define MASA_SQLITE_STMT_CACHE 48	/* prepared statements kept per connection */

/* A connection's prepared statements, by the address of their SQL text
 * (every statement's SQL is a constant; the text is compared too). */
struct masa_stmt_cache {
	const char *sql[MASA_SQLITE_STMT_CACHE];
	sqlite3_stmt *st[MASA_SQLITE_STMT_CACHE];
	unsigned char in_use[MASA_SQLITE_STMT_CACHE];
	int n;
};

struct masa_sqlite_txn {
	struct masa_txn base;	/* first: a struct masa_txn * of this backend is one of these */
	struct masa_sqlite *db;
	sqlite3 *conn;
	int reader;		/* index into readers[], or -1 for the writer */
	struct masa_stmt_cache cache;
};

/* A thread waiting for the writer connection, on its own stack. */
struct masa_sqlite_waiter {
	struct masa_sqlite_waiter *next;
	int granted;
};

struct masa_sqlite {
	struct masa_db base;	/* first: a struct masa_db * of this backend is one of these */
	char path[4096];
	int timeout_ms;		/* how long a waiter waits */
	pthread_mutex_t lock;	/* guards everything below but the SQLite handles */
	pthread_cond_t turn;	/* CLOCK_MONOTONIC; the writer changed hands */
	/* The one writer connection, handed out in FIFO order. */
	sqlite3 *conn;
	int busy;
	struct masa_sqlite_waiter *head, **tail;
	struct masa_sqlite_txn txn;
	/* Read-only connections, opened on first use. */
	pthread_cond_t reader_free;	/* CLOCK_MONOTONIC */
	sqlite3 *readers[MASA_SQLITE_READERS];
	int reader_busy[MASA_SQLITE_READERS];
	struct masa_sqlite_txn reader_txn[MASA_SQLITE_READERS];
};

static inline struct masa_sqlite *
masa_sqlite_of(struct masa_db *db)
{
	return (struct masa_sqlite *)db;
}

static inline struct masa_sqlite_txn *
masa_sqlite_txn_of(struct masa_txn *txn)
{
	return (struct masa_sqlite_txn *)txn;
}

/* stmt.c */
/* Resets whatever statement a caller left running, before its transaction
 * ends; with drop, finalizes them all (the connection is closing). */
void masa_sqlite_cache_reset(struct masa_stmt_cache *c, int drop);
/* Runs sql (a constant, no parameters, no rows) as a cached statement.
 * control: sql is transaction control (BEGIN, COMMIT, ROLLBACK...), which
 * may run in a write transaction SQLite has rolled back; anything else
 * may not (see masa_sqlite_prepare). */
enum masa_err masa_sqlite_exec(struct masa_txn *txn, const char *sql, int control);

/* conn.c */
/* The backend's open, close and check (backend.h). */
enum masa_err masa_sqlite_open(const struct masa_store_backend *be, const char *path,
    int busy_timeout_ms, int create, struct masa_db **out, struct masa_diag *diag);
void masa_sqlite_close(struct masa_db *db);
enum masa_err masa_sqlite_check(struct masa_db *db, char *desc, size_t desc_cap,
    struct masa_diag *diag);
enum masa_err masa_sqlite_free_bytes(struct masa_db *db, uint64_t *out);
/* Waits for this thread's turn at the writer connection; MASA_E_STORE_BUSY
 * after the busy timeout in the queue. */
enum masa_err masa_sqlite_acquire(struct masa_sqlite *db);
/* Hands the writer connection to the first in line, if any. */
void masa_sqlite_release(struct masa_sqlite *db);
/* Takes a free read connection (opening it if need be) into *out;
 * MASA_E_STORE_BUSY after the busy timeout. */
enum masa_err masa_sqlite_acquire_reader(struct masa_sqlite *db, int *out);
/* Gives read connection i back. */
void masa_sqlite_release_reader(struct masa_sqlite *db, int i);

/* txn.c: the backend's transactions and savepoints (backend.h). */
enum masa_err masa_sqlite_begin(struct masa_db *db, int write, struct masa_txn **out);
enum masa_err masa_sqlite_begin_single(struct masa_db *db, struct masa_txn **out);
enum masa_err masa_sqlite_commit(struct masa_txn *txn);
void masa_sqlite_rollback(struct masa_txn *txn);
enum masa_err masa_sqlite_savepoint(struct masa_txn *txn);
enum masa_err masa_sqlite_release_savepoint(struct masa_txn *txn);
void masa_sqlite_rollback_to(struct masa_txn *txn);
int masa_sqlite_lost(struct masa_txn *txn);
enum masa_err masa_sqlite_touch(struct masa_txn *txn);

/* migrate.c: schema version (PRAGMA user_version) and migrations. */
enum masa_err masa_sqlite_version(struct masa_db *db, int *have, int *latest);
enum masa_err masa_sqlite_migrate(struct masa_db *db, struct masa_diag *diag);

/* backup.c: the SQLite backup API (store.h, masa_db_backup). */
enum masa_err masa_sqlite_backup(struct masa_db *db, const char *dest, int replace,
    int *schema_version, struct masa_diag *diag);

/* The row code's ops (rows.c, devices_view.c, audit.c, tokens.c). */
extern const struct masa_store_row_ops masa_sqlite_rows;
/* products.c */
enum masa_err masa_sqlite_product_put(struct masa_txn *t, const struct masa_product_row *p,
    int64_t now_ms, int *created);
enum masa_err masa_sqlite_product_get(struct masa_txn *t, const char *name,
    struct masa_product_row *out);
enum masa_err masa_sqlite_product_each(struct masa_txn *t,
    int (*fn)(void *arg, const struct masa_product_row *p), void *arg);
/* rows.h's masa_store_issue_facts (facts.c). */
enum masa_err masa_sqlite_issue_facts(struct masa_txn *t, const char *serial,
    const uint8_t registrar_sha256[MASA_SHA256_LEN],
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_issue_facts *out);
extern const struct masa_store_view_ops masa_sqlite_views;
extern const struct masa_store_audit_ops masa_sqlite_audit;
extern const struct masa_store_token_ops masa_sqlite_tokens;
extern const struct masa_store_key_ops masa_sqlite_keys;
/* rows.c, for devices_view.c. */
enum masa_err masa_sqlite_bucket_get(struct masa_txn *t, int64_t device_id, int64_t *tat_ms,
    int *has);

#endif
