/*
 * db.c: see db.h. One connection, handed out in FIFO order (a queue of
 * waiters: a plain mutex lets a thread that commits and begins again, like
 * a chunked import, take it back before anyone waiting gets a turn). A
 * waiter gives up after the busy timeout, as SQLite itself would. The
 * transaction handle is the seam where a connection pool or a group-commit
 * writer goes later without changing callers.
 */
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "store/migrations.h"

struct masa_txn {
	struct masa_db *db;
};

/* A thread waiting for the connection, on its own stack. */
struct waiter {
	struct waiter *next;
	int granted;
};

struct masa_db {
	sqlite3 *conn;
	pthread_mutex_t lock;	/* guards busy and the queue */
	pthread_cond_t turn;	/* CLOCK_MONOTONIC */
	int busy;		/* the connection is handed out */
	struct waiter *head, **tail;
	int timeout_ms;		/* how long a waiter waits */
	struct masa_txn txn;	/* the one transaction slot */
};

/* Waits for this thread's turn at the connection; MASA_E_STORE_BUSY after
 * db->timeout_ms in the queue. */
static enum masa_err
acquire(struct masa_db *db)
{
	struct waiter me = { NULL, 0 }, **pp;
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += db->timeout_ms / 1000;
	until.tv_nsec += (long)(db->timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&db->lock);
	if (!db->busy && db->head == NULL) {
		db->busy = 1;
		pthread_mutex_unlock(&db->lock);
		return MASA_OK;
	}
	*db->tail = &me;
	db->tail = &me.next;
	while (!me.granted && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&db->turn, &db->lock, &until);
	if (!me.granted) {	/* leave the queue */
		for (pp = &db->head; *pp != &me; pp = &(*pp)->next)
			;
		*pp = me.next;
		if (db->tail == &me.next)
			db->tail = pp;
	}
	pthread_mutex_unlock(&db->lock);
	return me.granted ? MASA_OK : MASA_E_STORE_BUSY;
}

/* Hands the connection to the first in line, if any. */
static void
release(struct masa_db *db)
{
	struct waiter *w;

	pthread_mutex_lock(&db->lock);
	w = db->head;
	if (w != NULL) {
		db->head = w->next;
		if (db->head == NULL)
			db->tail = &db->head;
		w->granted = 1;	/* busy stays set: it passes to w */
		pthread_cond_broadcast(&db->turn);
	} else {
		db->busy = 0;
	}
	pthread_mutex_unlock(&db->lock);
}

enum masa_err
masa_db_err(int sqlite_rc)
{
	switch (sqlite_rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return MASA_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return MASA_E_STORE_BUSY;
	case SQLITE_NOMEM:
		return MASA_E_NOMEM;
	default:
		return MASA_E_STORE;
	}
}

/* Runs a pragma and returns its single text result in out. */
static int
pragma_text(sqlite3 *conn, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc;

	out[0] = '\0';
	rc = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			t = sqlite3_column_text(st, 0);
			if (t != NULL)
				snprintf(out, cap, "%s", (const char *)t);
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;	/* a setting pragma may return no row */
	}
	sqlite3_finalize(st);
	return rc;
}

int
masa_db_pragma_text(sqlite3 *conn, const char *sql, char *out, size_t cap)
{
	return pragma_text(conn, sql, out, cap);
}

/* Sets WAL, FULL and the busy timeout, then reads each one back. */
static enum masa_err
apply_settings(sqlite3 *conn, int busy_timeout_ms, const char *path, struct masa_diag *diag)
{
	char v[64];
	int rc;

	if (sqlite3_busy_timeout(conn, busy_timeout_ms) != SQLITE_OK ||
	    pragma_text(conn, "PRAGMA busy_timeout", v, sizeof v) != SQLITE_OK ||
	    atol(v) <= 0) {
		masa_diag_set(diag, "cannot set a busy timeout on %s", path);
		return MASA_E_STORE_SETTINGS;
	}
	rc = pragma_text(conn, "PRAGMA journal_mode=WAL", v, sizeof v);
	if (rc != SQLITE_OK || strcmp(v, "wal") != 0) {
		masa_diag_set(diag, "cannot put %s in WAL journal mode (%s)", path,
		    rc != SQLITE_OK ? sqlite3_errmsg(conn) : v);
		return MASA_E_STORE_SETTINGS;
	}
	rc = pragma_text(conn, "PRAGMA synchronous=FULL", v, sizeof v);
	if (rc == SQLITE_OK)
		rc = pragma_text(conn, "PRAGMA synchronous", v, sizeof v);
	if (rc != SQLITE_OK || (strcmp(v, "2") != 0 && strcmp(v, "3") != 0)) {
		masa_diag_set(diag, "cannot set synchronous=FULL on %s", path);
		return MASA_E_STORE_SETTINGS;
	}
	if (sqlite3_exec(conn, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
		masa_diag_set(diag, "cannot enable foreign keys on %s", path);
		return MASA_E_STORE_SETTINGS;
	}
	return MASA_OK;
}

enum masa_err
masa_db_open(const char *path, int busy_timeout_ms, int create, struct masa_db **out,
    struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_db *db = NULL;
	struct stat st;
	pthread_condattr_t ca;
	int fd, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

	if (lstat(path, &st) == 0) {
		rc = masa_file_check_private(path, diag);
		if (rc != MASA_OK)
			return rc;
	} else if (!create) {
		masa_diag_set(diag, "database %s does not exist (run masa init first)", path);
		return MASA_E_NOT_FOUND;
	} else {
		/* Create it owner-only ourselves: SQLite would follow the umask,
		 * and its -wal and -shm files take the database file's mode. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || fchmod(fd, 0600) != 0) {
			masa_diag_set(diag, "cannot create database %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return MASA_E_IO;
		}
		close(fd);
	}
	db = calloc(1, sizeof *db);
	if (db == NULL)
		return MASA_E_NOMEM;
	db->txn.db = db;
	if (pthread_mutex_init(&db->lock, NULL) != 0) {
		free(db);
		return MASA_E_INTERNAL;
	}
	db->tail = &db->head;
	db->timeout_ms = busy_timeout_ms;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&db->turn, &ca) != 0) {
		pthread_mutex_destroy(&db->lock);
		free(db);
		return MASA_E_INTERNAL;
	}
	pthread_condattr_destroy(&ca);
	if (sqlite3_open_v2(path, &db->conn, flags, NULL) != SQLITE_OK) {
		masa_diag_set(diag, "cannot open database %s: %s", path,
		    db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
		rc = MASA_E_STORE;
		goto done;
	}
	sqlite3_extended_result_codes(db->conn, 1);
	rc = apply_settings(db->conn, busy_timeout_ms, path, diag);
	if (rc != MASA_OK)
		goto done;
	*out = db;
	db = NULL;
done:
	masa_db_close(db);
	return rc;
}

void
masa_db_close(struct masa_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close_v2(db->conn);
	pthread_cond_destroy(&db->turn);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

enum masa_err
masa_db_begin(struct masa_db *db, int write, struct masa_txn **out)
{
	int rc;

	if (acquire(db) != MASA_OK)
		return MASA_E_STORE_BUSY;
	rc = sqlite3_exec(db->conn, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		release(db);
		return masa_db_err(rc);
	}
	*out = &db->txn;
	return MASA_OK;
}

enum masa_err
masa_db_commit(struct masa_txn *txn)
{
	struct masa_db *db = txn->db;
	int rc = sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
	release(db);
	return masa_db_err(rc);
}

void
masa_db_rollback(struct masa_txn *txn)
{
	if (txn == NULL)
		return;
	sqlite3_exec(txn->db->conn, "ROLLBACK", NULL, NULL, NULL);
	release(txn->db);
}

enum masa_err
masa_db_write(struct masa_db *db, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg)
{
	struct masa_txn *t = NULL;
	enum masa_err rc = masa_db_begin(db, 1, &t);

	if (rc == MASA_OK)
		rc = change(t, arg);
	if (rc == MASA_OK) {
		rc = masa_db_commit(t);
		t = NULL;
	}
	masa_db_rollback(t);
	return rc;
}

sqlite3 *
masa_txn_sqlite(struct masa_txn *txn)
{
	return txn->db->conn;
}

enum masa_err
masa_db_prepare(struct masa_txn *txn, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v2(txn->db->conn, sql, -1, out, NULL);

	return rc == SQLITE_OK ? MASA_OK : masa_db_err(rc);
}

enum masa_err
masa_db_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return MASA_OK;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return MASA_E_EXISTS;
	return masa_db_err(rc);
}

enum masa_err
masa_db_ping_write(struct masa_db *db)
{
	struct masa_txn *txn;
	enum masa_err rc = masa_db_begin(db, 1, &txn);

	if (rc == MASA_OK)
		masa_db_rollback(txn);
	return rc;
}

/* PRAGMA user_version inside txn. */
static enum masa_err
user_version(struct masa_txn *txn, int *out)
{
	char v[32];
	int rc = pragma_text(masa_txn_sqlite(txn), "PRAGMA user_version", v, sizeof v);

	if (rc != SQLITE_OK)
		return masa_db_err(rc);
	*out = atoi(v);
	return MASA_OK;
}

enum masa_err
masa_db_version(struct masa_db *db, int *have, int *latest)
{
	struct masa_txn *txn;
	enum masa_err rc = masa_db_begin(db, 0, &txn);

	if (rc != MASA_OK)
		return rc;
	rc = user_version(txn, have);
	masa_db_rollback(txn);
	*latest = (int)masa_migrations_count;
	return rc;
}

enum masa_err
masa_db_migrate(struct masa_db *db, struct masa_diag *diag)
{
	const struct masa_migration *m;
	struct masa_txn *txn = NULL;
	enum masa_err rc;
	char set[64];
	unsigned i;
	int have = 0;

	for (i = 0; i < masa_migrations_count; i++) {
		m = &masa_migrations[i];
		rc = masa_db_begin(db, 1, &txn);
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
			masa_db_rollback(txn);
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
		rc = masa_db_commit(txn);
		txn = NULL;
		if (rc != MASA_OK) {
			masa_diag_set(diag, "cannot commit migration %s", m->name);
			goto done;
		}
	}
	rc = MASA_OK;
done:
	masa_db_rollback(txn);
	return rc;
}
