/*
 * pg_int.h: the PostgreSQL backend's insides, shared by its files:
 * query.c (parameters, prepared statements, results, errors) <- conn.c
 * (the connection pool, reconnecting) <- txn.c (transactions and the
 * write lock) <- migrate.c <- check.c <- backend.c (the ops table), with
 * the row code (rows.c, facts.c, views.c, audit.c, tokens.c, keys.c,
 * products.c) on query.c.
 * Not for use outside masa/store/pg/.
 *
 * Writes from every instance are serialised by one transaction-scoped
 * advisory lock (MASA_PG_WRITE_LOCK), taken by every write transaction
 * before its first statement and held until it ends: so a write
 * transaction on PostgreSQL sees and does what BEGIN IMMEDIATE does on
 * SQLite (txn.c says why that is exact).
 */
#ifndef MASA_PG_INT_H
#define MASA_PG_INT_H

#include <pthread.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "backend.h"

#define MASA_PG_CONNS 6			/* connections per process, for reads and writes */
#define MASA_PG_STMT_CACHE 64		/* prepared statements kept per connection */
#define MASA_PG_PARAMS_MAX 12
#define MASA_PG_WRITE_LOCK 1835102049	/* "masa": the advisory lock of every write */
#define MASA_PG_URL_MAX 4096
#define MASA_PG_PASSWORD_MAX 1024
#define MASA_PG_RETRIES 5		/* runs of a change lost to a deadlock */

#define MASA_PG_DEFER_MAX 4		/* control statements waiting for the next one */

/* One connection and the statements prepared on it (by the address of
 * their SQL text: every statement's SQL is a constant). Control
 * statements whose answer nothing waits for (a read transaction's BEGIN,
 * a savepoint's SAVEPOINT and RELEASE) are deferred and sent in one
 * pipeline with the next statement, and a read transaction's ROLLBACK is
 * sent without waiting and its answer read when the connection is next
 * taken: round trips are most of the cost of a voucher. */
struct masa_pg_conn {
	PGconn *pg;
	const char *sql[MASA_PG_STMT_CACHE];
	int nstmt;
	int busy;
	const char *defer[MASA_PG_DEFER_MAX];
	int ndefer;
	int async;		/* a ROLLBACK was sent whose answer is not read yet */
	int broken;		/* the protocol state is unknown: connect again */
};

struct masa_pg_txn {
	struct masa_txn base;	/* first: a struct masa_txn * of this backend is one of these */
	struct masa_pg *db;
	struct masa_pg_conn *c;
	int write;		/* holds the write lock */
	int open;		/* a BEGIN was sent (not for begin_single) */
	int retry;		/* the last error was a deadlock or serialization failure */
	int fresh;		/* a read in which no statement has run yet */
	/* The audit chain's head as this write transaction last appended it
	 * (audit.c): under the write lock nobody else appends meanwhile. */
	int head_known;
	int64_t head_seq;
	uint8_t head_hash[32];
	char err[256];		/* the last error's message, for diagnostics */
};

struct masa_pg {
	struct masa_db base;	/* first: a struct masa_db * of this backend is one of these */
	char url[MASA_PG_URL_MAX];
	char password[MASA_PG_PASSWORD_MAX];	/* "" when none is configured */
	int timeout_ms;
	pthread_mutex_t lock;	/* guards busy flags */
	pthread_cond_t freed;	/* CLOCK_MONOTONIC; a connection was given back */
	struct masa_pg_conn conns[MASA_PG_CONNS];
	struct masa_pg_txn txns[MASA_PG_CONNS];
};

/* Parameters of one statement: integers and text are sent as text,
 * bytes in binary (the server infers each one's type from the SQL). */
struct masa_pg_params {
	int n;
	const char *v[MASA_PG_PARAMS_MAX];
	int len[MASA_PG_PARAMS_MAX];
	int fmt[MASA_PG_PARAMS_MAX];
	char num[MASA_PG_PARAMS_MAX][24];
};

static inline struct masa_pg *
masa_pg_of(struct masa_db *db)
{
	return (struct masa_pg *)db;
}

static inline struct masa_pg_txn *
masa_pg_txn_of(struct masa_txn *txn)
{
	return (struct masa_pg_txn *)txn;
}

/* query.c */
void masa_pg_int(struct masa_pg_params *p, int64_t v);
/* 0 (no row) is NULL. */
void masa_pg_id(struct masa_pg_params *p, int64_t v);
/* NULL is NULL; with opt, "" is NULL too. */
void masa_pg_text(struct masa_pg_params *p, const char *s, int opt);
/* An empty view is NULL. */
void masa_pg_bytes(struct masa_pg_params *p, const void *ptr, size_t len);
/* Runs sql (a constant; prepared once per connection) with p (NULL: none)
 * inside txn, results in binary. *out (to PQclear) only on success: rows
 * or none. MASA_E_EXISTS for a unique violation, MASA_E_STORE_BUSY for a
 * lock timeout, a deadlock or a serialization failure (t->retry then
 * set), else MASA_E_STORE; t->err says what. */
enum masa_err masa_pg_query(struct masa_txn *txn, const char *sql, const struct masa_pg_params *p,
    PGresult **out);
/* masa_pg_query for a statement that answers a row: none (MASA_E_NOT_FOUND,
 * or MASA_E_EXISTS for an INSERT ... ON CONFLICT DO NOTHING RETURNING)
 * when it answers no row, *out then NULL. */
enum masa_err masa_pg_query_row(struct masa_txn *txn, const char *sql,
    const struct masa_pg_params *p, enum masa_err none, PGresult **out);
/* masa_pg_query for a statement whose rows are not wanted. */
enum masa_err masa_pg_run(struct masa_txn *txn, const char *sql, const struct masa_pg_params *p);
/* Runs sql (constant control statements, no parameters) on c as it is,
 * after the deferred ones; with out (to PQclear) its last result. */
enum masa_err masa_pg_exec(struct masa_pg_txn *t, const char *sql);
enum masa_err masa_pg_exec_result(struct masa_pg_txn *t, const char *sql, PGresult **out);
/* Defers sql (a constant control statement) to go with the next one. */
enum masa_err masa_pg_defer(struct masa_pg_txn *t, const char *sql);
/* Reads the answer of a ROLLBACK sent without waiting, if any. */
void masa_pg_settle(struct masa_pg_conn *c);
/* Column readers of a binary result: integers of any width and booleans;
 * a NULL reads 0, "" or an empty view. */
int64_t masa_pg_get_int(const PGresult *r, int row, int col);
int masa_pg_is_null(const PGresult *r, int row, int col);
void masa_pg_get_text(const PGresult *r, int row, int col, char *out, size_t cap);
struct masa_bytes masa_pg_get_bytes(const PGresult *r, int row, int col);
/* Forgets c's prepared statements (a new session). */
void masa_pg_forget(struct masa_pg_conn *c);

/* conn.c */
enum masa_err masa_pg_open(const struct masa_store_backend *be, const char *where,
    int busy_timeout_ms, int create, struct masa_db **out, struct masa_diag *diag);
enum masa_err masa_pg_open_password(const struct masa_store_backend *be, const char *where,
    const char *password_file, int busy_timeout_ms, int create, struct masa_db **out,
    struct masa_diag *diag);
void masa_pg_close(struct masa_db *db);
/* A free connection, connected (again if it was lost), as a transaction
 * handle in *out; MASA_E_STORE_BUSY after the busy timeout, MASA_E_STORE
 * if the server cannot be reached (diag, if not NULL, says why). */
enum masa_err masa_pg_acquire(struct masa_pg *db, struct masa_pg_txn **out, struct masa_diag *diag);
/* Reconnects t's connection (after it was found lost); MASA_E_STORE. */
enum masa_err masa_pg_reconnect(struct masa_pg_txn *t, struct masa_diag *diag);
void masa_pg_release(struct masa_pg_txn *t);

/* txn.c: the backend's transactions and savepoints (backend.h). */
enum masa_err masa_pg_begin(struct masa_db *db, int write, struct masa_txn **out);
enum masa_err masa_pg_begin_single(struct masa_db *db, struct masa_txn **out);
enum masa_err masa_pg_commit(struct masa_txn *txn);
void masa_pg_rollback(struct masa_txn *txn);
enum masa_err masa_pg_savepoint(struct masa_txn *txn);
enum masa_err masa_pg_release_savepoint(struct masa_txn *txn);
void masa_pg_rollback_to(struct masa_txn *txn);
int masa_pg_lost(struct masa_txn *txn);
enum masa_err masa_pg_touch(struct masa_txn *txn);
int masa_pg_retry(struct masa_txn *txn);

/* migrate.c: schema version (masa_schema_version) and migrations. */
enum masa_err masa_pg_version(struct masa_db *db, int *have, int *latest);
enum masa_err masa_pg_migrate(struct masa_db *db, struct masa_diag *diag);

/* check.c: `masa check` and `masa db backup` (which names pg_dump). */
enum masa_err masa_pg_check(struct masa_db *db, char *desc, size_t desc_cap,
    struct masa_diag *diag);
enum masa_err masa_pg_backup(struct masa_db *db, const char *dest, int replace,
    int *schema_version, struct masa_diag *diag);

/* The row code's ops (rows.c, views.c, audit.c, tokens.c, keys.c). */
extern const struct masa_store_row_ops masa_pg_rows;
extern const struct masa_store_view_ops masa_pg_views;
extern const struct masa_store_audit_ops masa_pg_audit;
extern const struct masa_store_token_ops masa_pg_tokens;
extern const struct masa_store_key_ops masa_pg_keys;	/* keys.c */
/* facts.c: rows.h's masa_store_issue_facts. */
enum masa_err masa_pg_issue_facts(struct masa_txn *t, const char *serial,
    const uint8_t registrar_sha256[MASA_SHA256_LEN],
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_issue_facts *out);
/* products.c: products.h's ops, in rows.c's table. */
enum masa_err masa_pg_product_put(struct masa_txn *t, const struct masa_product_row *p,
    int64_t now_ms, int *created);
enum masa_err masa_pg_product_get(struct masa_txn *t, const char *name,
    struct masa_product_row *out);
enum masa_err masa_pg_product_each(struct masa_txn *t,
    int (*fn)(void *arg, const struct masa_product_row *p), void *arg);
/* rows.c, for views.c. */
enum masa_err masa_pg_bucket_get(struct masa_txn *t, int64_t device_id, int64_t *tat_ms, int *has);

#endif
