/*
 * db.c: see db.h. One writer connection, handed out in FIFO order (a
 * queue of waiters: a plain mutex lets a thread that commits and begins
 * again, like a chunked import, take it back before anyone waiting gets a
 * turn); a waiter gives up after the busy timeout, as SQLite itself would.
 * Read transactions use a small pool of read-only connections instead, so
 * that with WAL they never wait for a write or its fsync. Writes made with
 * masa_db_write are batched into group commits (db_group.c).
 */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "db_int.h"
#include "migrations.h"

void
masa_db_deadline(const struct masa_db *db, struct timespec *until)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += db->timeout_ms / 1000;
	until->tv_nsec += (long)(db->timeout_ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

/* Waits for this thread's turn at the writer; MASA_E_STORE_BUSY after
 * db->timeout_ms in the queue. */
static enum masa_err
acquire(struct masa_db *db)
{
	struct masa_db_waiter me = { NULL, 0 }, **pp;
	struct timespec until;
	int rc = 0;

	masa_db_deadline(db, &until);
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

/* Hands the writer to the first in line, if any. */
static void
release(struct masa_db *db)
{
	struct masa_db_waiter *w;

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

/* Initialises db's locks; 0 on success. */
static int
init_locks(struct masa_db *db)
{
	pthread_condattr_t ca;
	int n = 0;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_mutex_init(&db->lock, NULL) != 0)
		goto done;
	n = 1;
	if (pthread_cond_init(&db->turn, &ca) != 0)
		goto done;
	n = 2;
	if (pthread_cond_init(&db->reader_free, &ca) != 0)
		goto done;
	n = 3;
	if (pthread_cond_init(&db->work, &ca) != 0)
		goto done;
	n = 4;
done:
	pthread_condattr_destroy(&ca);
	if (n == 4)
		return 0;
	if (n >= 3)
		pthread_cond_destroy(&db->reader_free);
	if (n >= 2)
		pthread_cond_destroy(&db->turn);
	if (n >= 1)
		pthread_mutex_destroy(&db->lock);
	return -1;
}

enum masa_err
masa_db_open(const char *path, int busy_timeout_ms, int create, struct masa_db **out,
    struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_db *db = NULL;
	struct stat st;
	int fd, i, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

	if (strlen(path) >= sizeof db->path) {
		masa_diag_set(diag, "database path is too long");
		return MASA_E_CONFIG;
	}
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
	if (init_locks(db) != 0) {
		free(db);
		return MASA_E_INTERNAL;
	}
	snprintf(db->path, sizeof db->path, "%s", path);
	db->txn.db = db;
	db->txn.reader = -1;
	for (i = 0; i < MASA_DB_READERS; i++) {
		db->reader_txn[i].db = db;
		db->reader_txn[i].reader = i;
	}
	db->tail = &db->head;
	db->jobs_tail = &db->jobs;
	db->timeout_ms = busy_timeout_ms;
	if (sqlite3_open_v2(path, &db->conn, flags, NULL) != SQLITE_OK) {
		masa_diag_set(diag, "cannot open database %s: %s", path,
		    db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
		rc = MASA_E_STORE;
		goto done;
	}
	db->txn.conn = db->conn;
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
	int i;

	if (db == NULL)
		return;
	masa_db_group_stop(db);
	for (i = 0; i < MASA_DB_READERS; i++) {
		masa_db_cache_reset(&db->reader_txn[i].cache, 1);
		sqlite3_close_v2(db->readers[i]);
	}
	masa_db_cache_reset(&db->txn.cache, 1);
	sqlite3_close_v2(db->conn);
	pthread_cond_destroy(&db->work);
	pthread_cond_destroy(&db->reader_free);
	pthread_cond_destroy(&db->turn);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

/* Opens read connection i: the same file, refusing writes (query_only). */
static enum masa_err
open_reader(struct masa_db *db, int i)
{
	sqlite3 *c = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

	if (sqlite3_open_v2(db->path, &c, flags, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(c, db->timeout_ms) != SQLITE_OK ||
	    sqlite3_exec(c, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(c, "PRAGMA query_only=ON", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close_v2(c);
		return MASA_E_STORE;
	}
	sqlite3_extended_result_codes(c, 1);
	db->readers[i] = c;
	db->reader_txn[i].conn = c;
	return MASA_OK;
}

/* Takes a free read connection (opening it if need be); MASA_E_STORE_BUSY
 * after the busy timeout. */
static enum masa_err
acquire_reader(struct masa_db *db, int *out)
{
	struct timespec until;
	enum masa_err rc = MASA_OK;
	int i = 0, wrc = 0;

	masa_db_deadline(db, &until);
	pthread_mutex_lock(&db->lock);
	for (;;) {
		for (i = 0; i < MASA_DB_READERS && db->reader_busy[i]; i++)
			;
		if (i < MASA_DB_READERS || wrc == ETIMEDOUT)
			break;
		wrc = pthread_cond_timedwait(&db->reader_free, &db->lock, &until);
	}
	if (i < MASA_DB_READERS)
		db->reader_busy[i] = 1;
	pthread_mutex_unlock(&db->lock);
	if (i == MASA_DB_READERS)
		return MASA_E_STORE_BUSY;
	if (db->readers[i] == NULL)
		rc = open_reader(db, i);
	if (rc != MASA_OK) {
		pthread_mutex_lock(&db->lock);
		db->reader_busy[i] = 0;
		pthread_cond_signal(&db->reader_free);
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	*out = i;
	return MASA_OK;
}

/* Ends the use of txn's connection. */
static void
end_txn(struct masa_txn *txn)
{
	struct masa_db *db = txn->db;

	if (txn->reader < 0) {
		release(db);
		return;
	}
	pthread_mutex_lock(&db->lock);
	db->reader_busy[txn->reader] = 0;
	pthread_cond_signal(&db->reader_free);
	pthread_mutex_unlock(&db->lock);
}

/* Transaction control, run as cached statements (masa_db_exec). */
static const char begin_write[] = "BEGIN IMMEDIATE", begin_read[] = "BEGIN",
    commit_sql[] = "COMMIT", rollback_sql[] = "ROLLBACK";

enum masa_err
masa_db_begin(struct masa_db *db, int write, struct masa_txn **out)
{
	struct masa_txn *t;
	enum masa_err e;

	if (write) {
		if (acquire(db) != MASA_OK)
			return MASA_E_STORE_BUSY;
		t = &db->txn;
	} else {
		e = masa_db_begin_single(db, &t);
		if (e != MASA_OK)
			return e;
	}
	e = masa_db_exec(t, write ? begin_write : begin_read, 1);
	if (e != MASA_OK) {
		end_txn(t);
		return e;
	}
	*out = t;
	return MASA_OK;
}

enum masa_err
masa_db_begin_single(struct masa_db *db, struct masa_txn **out)
{
	enum masa_err e;
	int i;

	e = acquire_reader(db, &i);
	if (e != MASA_OK)
		return e;
	*out = &db->reader_txn[i];
	return MASA_OK;
}

enum masa_err
masa_db_commit(struct masa_txn *txn)
{
	enum masa_err rc;

	masa_db_cache_reset(&txn->cache, 0);
	rc = masa_db_exec(txn, commit_sql, 1);
	if (rc != MASA_OK)
		(void)masa_db_exec(txn, rollback_sql, 1);
	end_txn(txn);
	return rc;
}

void
masa_db_rollback(struct masa_txn *txn)
{
	if (txn == NULL)
		return;
	masa_db_cache_reset(&txn->cache, 0);
	/* Nothing to roll back after masa_db_begin_single, or once SQLite
	 * has rolled a failed transaction back itself. */
	if (!sqlite3_get_autocommit(txn->conn))
		(void)masa_db_exec(txn, rollback_sql, 1);
	end_txn(txn);
}

sqlite3 *
masa_txn_sqlite(struct masa_txn *txn)
{
	return txn->conn;
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
