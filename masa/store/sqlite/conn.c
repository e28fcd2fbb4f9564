/*
 * conn.c: the SQLite backend's connections: opening a file with the
 * settings store.h promises, and handing connections out. One writer
 * connection, handed out in FIFO order (a queue of waiters: a plain mutex
 * lets a thread that commits and begins again, like a chunked import,
 * take it back before anyone waiting gets a turn); a waiter gives up after
 * the busy timeout, as SQLite itself would. Read transactions use a small
 * pool of read-only connections instead, so that with WAL they never wait
 * for a write or its fsync. Transactions on them are txn.c's.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "sqlite_int.h"

/* The deadline timeout_ms from now on CLOCK_MONOTONIC. */
static void
deadline(const struct masa_sqlite *db, struct timespec *until)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += db->timeout_ms / 1000;
	until->tv_nsec += (long)(db->timeout_ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

enum masa_err
masa_sqlite_acquire(struct masa_sqlite *db)
{
	struct masa_sqlite_waiter me = { NULL, 0 }, **pp;
	struct timespec until;
	int rc = 0;

	deadline(db, &until);
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

void
masa_sqlite_release(struct masa_sqlite *db)
{
	struct masa_sqlite_waiter *w;

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

/* 1 if conn writes with synchronous=FULL (2) or EXTRA (3). */
static int
sync_full(sqlite3 *conn)
{
	char v[16];

	return masa_sqlite_pragma_text(conn, "PRAGMA synchronous", v, sizeof v) == SQLITE_OK &&
	    (strcmp(v, "2") == 0 || strcmp(v, "3") == 0);
}

/* Sets WAL, FULL and the busy timeout, then reads each one back. */
static enum masa_err
apply_settings(sqlite3 *conn, int busy_timeout_ms, const char *path, struct masa_diag *diag)
{
	char v[64];
	int rc;

	if (sqlite3_busy_timeout(conn, busy_timeout_ms) != SQLITE_OK ||
	    masa_sqlite_pragma_text(conn, "PRAGMA busy_timeout", v, sizeof v) != SQLITE_OK ||
	    atol(v) <= 0) {
		masa_diag_set(diag, "cannot set a busy timeout on %s", path);
		return MASA_E_STORE_SETTINGS;
	}
	rc = masa_sqlite_pragma_text(conn, "PRAGMA journal_mode=WAL", v, sizeof v);
	if (rc != SQLITE_OK || strcmp(v, "wal") != 0) {
		masa_diag_set(diag, "cannot put %s in WAL journal mode (%s)", path,
		    rc != SQLITE_OK ? sqlite3_errmsg(conn) : v);
		return MASA_E_STORE_SETTINGS;
	}
	rc = masa_sqlite_pragma_text(conn, "PRAGMA synchronous=FULL", v, sizeof v);
	if (rc != SQLITE_OK || !sync_full(conn)) {
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
init_locks(struct masa_sqlite *db)
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
done:
	pthread_condattr_destroy(&ca);
	if (n == 3)
		return 0;
	if (n >= 2)
		pthread_cond_destroy(&db->turn);
	if (n >= 1)
		pthread_mutex_destroy(&db->lock);
	return -1;
}

enum masa_err
masa_sqlite_open(const struct masa_store_backend *be, const char *path, int busy_timeout_ms,
    int create, struct masa_db **out, struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_sqlite *db = NULL;
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
	db->base.be = be;
	db->txn.base.be = be;
	db->txn.db = db;
	db->txn.reader = -1;
	for (i = 0; i < MASA_SQLITE_READERS; i++) {
		db->reader_txn[i].base.be = be;
		db->reader_txn[i].db = db;
		db->reader_txn[i].reader = i;
	}
	db->tail = &db->head;
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
	*out = &db->base;
	db = NULL;
done:
	if (db != NULL)
		masa_sqlite_close(&db->base);
	return rc;
}

void
masa_sqlite_close(struct masa_db *base)
{
	struct masa_sqlite *db = masa_sqlite_of(base);
	int i;

	for (i = 0; i < MASA_SQLITE_READERS; i++) {
		masa_sqlite_cache_reset(&db->reader_txn[i].cache, 1);
		sqlite3_close_v2(db->readers[i]);
	}
	masa_sqlite_cache_reset(&db->txn.cache, 1);
	sqlite3_close_v2(db->conn);
	pthread_cond_destroy(&db->reader_free);
	pthread_cond_destroy(&db->turn);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

/* Reads the settings back on the writer connection, whose settings are
 * the ones that count (another process may have changed the file's
 * journal mode since it was opened). */
enum masa_err
masa_sqlite_free_bytes(struct masa_db *base, uint64_t *out)
{
	struct masa_sqlite *db = masa_sqlite_of(base);
	char dir[sizeof db->path];
	struct statvfs vfs;
	char *slash;

	snprintf(dir, sizeof dir, "%s", db->path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (statvfs(dir, &vfs) != 0)
		return MASA_E_IO;
	*out = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	return MASA_OK;
}

enum masa_err
masa_sqlite_check(struct masa_db *base, char *desc, size_t desc_cap, struct masa_diag *diag)
{
	struct masa_sqlite *db = masa_sqlite_of(base);
	char mode[64];
	enum masa_err rc = masa_sqlite_acquire(db);

	if (rc != MASA_OK) {
		masa_diag_set(diag, "the database %s stayed busy", db->path);
		return rc;
	}
	if (masa_sqlite_pragma_text(db->conn, "PRAGMA journal_mode", mode, sizeof mode) != SQLITE_OK ||
	    strcmp(mode, "wal") != 0) {
		masa_diag_set(diag, "the database %s is not in WAL journal mode (%s)", db->path, mode);
		rc = MASA_E_STORE_SETTINGS;
	} else if (!sync_full(db->conn)) {
		masa_diag_set(diag, "the database %s is not written with synchronous=FULL", db->path);
		rc = MASA_E_STORE_SETTINGS;
	}
	masa_sqlite_release(db);
	if (rc == MASA_OK)
		snprintf(desc, desc_cap, "WAL, synchronous=FULL");
	return rc;
}

/* Opens read connection i: the same file, refusing writes (query_only). */
static enum masa_err
open_reader(struct masa_sqlite *db, int i)
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

enum masa_err
masa_sqlite_acquire_reader(struct masa_sqlite *db, int *out)
{
	struct timespec until;
	enum masa_err rc = MASA_OK;
	int i = 0, wrc = 0;

	deadline(db, &until);
	pthread_mutex_lock(&db->lock);
	for (;;) {
		for (i = 0; i < MASA_SQLITE_READERS && db->reader_busy[i]; i++)
			;
		if (i < MASA_SQLITE_READERS || wrc == ETIMEDOUT)
			break;
		wrc = pthread_cond_timedwait(&db->reader_free, &db->lock, &until);
	}
	if (i < MASA_SQLITE_READERS)
		db->reader_busy[i] = 1;
	pthread_mutex_unlock(&db->lock);
	if (i == MASA_SQLITE_READERS)
		return MASA_E_STORE_BUSY;
	if (db->readers[i] == NULL)
		rc = open_reader(db, i);
	if (rc != MASA_OK) {
		masa_sqlite_release_reader(db, i);
		return rc;
	}
	*out = i;
	return MASA_OK;
}

void
masa_sqlite_release_reader(struct masa_sqlite *db, int i)
{
	pthread_mutex_lock(&db->lock);
	db->reader_busy[i] = 0;
	pthread_cond_signal(&db->reader_free);
	pthread_mutex_unlock(&db->lock);
}

