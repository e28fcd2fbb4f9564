/*
 * txn.c: the PostgreSQL backend's transactions and savepoints (backend.h).
 *
 * A write transaction takes MASA_PG_WRITE_LOCK, a transaction-scoped
 * advisory lock, in the same round trip as its BEGIN, before any other
 * statement, and holds it until COMMIT or ROLLBACK. So at any time at most
 * one write transaction of all instances on the database runs past its
 * BEGIN, and it runs at READ COMMITTED, each statement on a snapshot taken
 * after the lock was granted: the previous holder's commit was visible
 * before its lock was released (PostgreSQL releases a transaction's locks
 * after marking it committed). Every write transaction therefore sees all
 * earlier ones and none runs beside it, which is what SQLite's BEGIN
 * IMMEDIATE gives: the token bucket's read-modify-write, the first-use pin
 * and the audit chain's head (seq + 1, prev_hash) are exact across
 * instances, and masa's own transactions cannot deadlock with each other
 * (the one lock is the first one each takes). A deadlock or serialization
 * failure against someone else's session is retried by group commit
 * (masa_pg_retry). Read transactions are REPEATABLE READ, READ ONLY: one
 * snapshot, which sees the audit chain as a prefix (appends commit in
 * order under the lock).
 */
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char begin_write[] =
    "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" XSTR(MASA_PG_WRITE_LOCK) ")";
static const char begin_read[] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

enum masa_err
masa_pg_begin(struct masa_db *base, int write, struct masa_txn **out)
{
	struct masa_pg_txn *t;
	enum masa_err rc = masa_pg_acquire(masa_pg_of(base), &t, NULL);

	if (rc != MASA_OK)
		return rc;
	if (!write) {	/* sent with the first statement */
		rc = masa_pg_defer(t, begin_read);
		if (rc != MASA_OK) {
			masa_pg_release(t);
			return rc;
		}
		t->open = t->fresh = 1;
		*out = &t->base;
		return MASA_OK;
	}
	rc = masa_pg_exec(t, begin_write);
	/* A connection the server dropped since its last use (a restart) is
	 * found here, with nothing done yet: connect again once. */
	if (rc != MASA_OK && PQstatus(t->c->pg) != CONNECTION_OK &&
	    masa_pg_reconnect(t, NULL) == MASA_OK)
		rc = masa_pg_exec(t, begin_write);
	if (rc != MASA_OK) {
		if (PQstatus(t->c->pg) == CONNECTION_OK &&
		    PQtransactionStatus(t->c->pg) != PQTRANS_IDLE)
			(void)masa_pg_exec(t, "ROLLBACK");
		masa_pg_release(t);
		return rc;
	}
	t->open = 1;
	t->write = 1;
	*out = &t->base;
	return MASA_OK;
}

enum masa_err
masa_pg_begin_single(struct masa_db *base, struct masa_txn **out)
{
	struct masa_pg_txn *t;
	enum masa_err rc = masa_pg_acquire(masa_pg_of(base), &t, NULL);

	if (rc == MASA_OK) {
		t->fresh = 1;
		*out = &t->base;
	}
	return rc;
}

enum masa_err
masa_pg_commit(struct masa_txn *txn)
{
	struct masa_pg_txn *t = masa_pg_txn_of(txn);
	enum masa_err rc = MASA_E_STORE;
	PGresult *r;

	if (masa_pg_exec_result(t, "COMMIT", &r) != MASA_OK)
		r = NULL;
	/* COMMIT of a transaction that failed answers ROLLBACK. With no
	 * answer at all (the connection broke) the outcome is unknown: an
	 * error, so the caller answers 503 and the client asks again. */
	if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0)
		rc = MASA_OK;
	PQclear(r);
	t->open = 0;
	masa_pg_release(t);
	return rc;
}

void
masa_pg_rollback(struct masa_txn *txn)
{
	struct masa_pg_txn *t = masa_pg_txn_of(txn);
	struct masa_pg_conn *c = t->c;

	if (t->open && !t->write && c->ndefer == 1 && c->defer[0] == begin_read) {
		c->ndefer = 0;	/* no statement ran: nothing began */
	} else if (t->open && !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		c->ndefer = 0;	/* what was deferred is undone anyway */
		/* A read transaction changed nothing: its ROLLBACK's answer is
		 * read by the next user of the connection (masa_pg_settle). */
		if (!t->write && PQsendQuery(c->pg, "ROLLBACK"))
			c->async = 1;
		else
			(void)masa_pg_exec(t, "ROLLBACK");
	}
	c->ndefer = 0;
	t->open = 0;
	masa_pg_release(t);
}

enum masa_err
masa_pg_savepoint(struct masa_txn *txn)
{
	return masa_pg_defer(masa_pg_txn_of(txn), "SAVEPOINT job");
}

enum masa_err
masa_pg_release_savepoint(struct masa_txn *txn)
{
	return masa_pg_defer(masa_pg_txn_of(txn), "RELEASE SAVEPOINT job");
}

void
masa_pg_rollback_to(struct masa_txn *txn)
{
	struct masa_pg_txn *t = masa_pg_txn_of(txn);
	int retry = t->retry;	/* of the change's error, not of these */

	t->head_known = 0;	/* the change may have appended */

	(void)masa_pg_exec(t, "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job");
	t->retry = retry;
}

int
masa_pg_lost(struct masa_txn *txn)
{
	struct masa_pg_txn *t = masa_pg_txn_of(txn);

	/* Anything but "in a transaction, no error" outside a savepoint: the
	 * connection broke, or the transaction failed beyond the savepoint. */
	return PQstatus(t->c->pg) != CONNECTION_OK ||
	    PQtransactionStatus(t->c->pg) != PQTRANS_INTRANS;
}

int
masa_pg_retry(struct masa_txn *txn)
{
	return masa_pg_txn_of(txn)->retry;
}

/* schema/postgresql/0006_store_probe.sql, as SQLite's. */
enum masa_err
masa_pg_touch(struct masa_txn *txn)
{
	return masa_pg_run(txn, "UPDATE store_probe SET probes = probes + 1 WHERE id = 1", NULL);
}
