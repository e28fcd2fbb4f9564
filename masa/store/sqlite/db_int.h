/*
 * db_int.h: the store's insides, shared by db.c (connections, plain
 * transactions, migrations) and db_group.c (group commit). Not for use
 * outside common/store/db*.c.
 */
#ifndef MASA_DB_INT_H
#define MASA_DB_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "db.h"

#define MASA_DB_READERS 4	/* read-only connections for read transactions */
#define MASA_DB_BATCH_MAX 256	/* changes committed together at most */
#define MASA_DB_STMT_CACHE 48	/* prepared statements kept per connection */

/* A connection's prepared statements, by the address of their SQL text
 * (every statement's SQL is a constant; the text is compared too). */
struct masa_stmt_cache {
	const char *sql[MASA_DB_STMT_CACHE];
	sqlite3_stmt *st[MASA_DB_STMT_CACHE];
	unsigned char in_use[MASA_DB_STMT_CACHE];
	int n;
};

struct masa_txn {
	struct masa_db *db;
	sqlite3 *conn;
	int reader;		/* index into readers[], or -1 for the writer */
	struct masa_stmt_cache cache;
};

/* A thread waiting for the writer connection, on its own stack. */
struct masa_db_waiter {
	struct masa_db_waiter *next;
	int granted;
};

/* A change waiting to be committed with others (db_group.c). */
struct masa_db_job {
	struct masa_db_job *next;
	enum masa_err (*change)(struct masa_txn *txn, void *arg);
	void *arg;
	void (*done)(void *done_arg, enum masa_err rc);
	void *done_arg;
	enum masa_err rc;
};

struct masa_db {
	char path[4096];
	int timeout_ms;		/* how long a waiter waits */
	pthread_mutex_t lock;	/* guards everything below but the SQLite handles */
	pthread_cond_t turn;	/* CLOCK_MONOTONIC; the writer changed hands */
	/* The one writer connection, handed out in FIFO order. */
	sqlite3 *conn;
	int busy;
	struct masa_db_waiter *head, **tail;
	struct masa_txn txn;
	/* Read-only connections, opened on first use. */
	pthread_cond_t reader_free;
	sqlite3 *readers[MASA_DB_READERS];
	int reader_busy[MASA_DB_READERS];
	struct masa_txn reader_txn[MASA_DB_READERS];
	/* Group commit: changes queued for the next batch, and the thread
	 * that commits them (started by the first change). */
	struct masa_db_job *jobs, **jobs_tail;
	size_t njobs;		/* queued */
	pthread_cond_t work;	/* CLOCK_MONOTONIC; a change was queued, enough
				 * were for a gathering committer, or closing */
	long gather_us;		/* masa_db_gather */
	size_t gather_min;
	int gathering;		/* the committer waits for gather_min changes */
	size_t last_batch;	/* changes in the batch before */
	pthread_t committer;
	int committer_running, closing;
	struct masa_db_stats stats;
};

/* Resets whatever statement a caller left running, before its transaction
 * ends (db_stmt.c); with drop, finalizes them all (the connection is
 * closing). */
void masa_db_cache_reset(struct masa_stmt_cache *c, int drop);
/* Runs sql (a constant, no parameters, no rows) as a cached statement.
 * control: sql is transaction control (BEGIN, COMMIT, ROLLBACK...), which
 * may run outside a transaction; anything else may not (see
 * masa_db_prepare). */
enum masa_err masa_db_exec(struct masa_txn *txn, const char *sql, int control);
/* Commits what is queued and ends the committer thread (db_group.c);
 * for masa_db_close, once no other thread can submit a change. */
void masa_db_group_stop(struct masa_db *db);
/* The deadline timeout_ms from now on CLOCK_MONOTONIC. */
void masa_db_deadline(const struct masa_db *db, struct timespec *until);

#endif
