/*
 * conn.c: the PostgreSQL backend's connections: a small pool per process
 * (reads and writes alike: writes are serialised by the server's advisory
 * lock, not here), opened on first use from the URL, libpq's environment
 * variables and, if configured, a password read from a file. A connection
 * found lost (the server restarted, a network cut) is connected again the
 * next time it is taken, so service resumes by itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "pg_int.h"

void
masa_pg_forget(struct masa_pg_conn *c)
{
	c->nstmt = 0;
	c->ndefer = 0;
	c->async = 0;
	c->broken = 0;
}

void
masa_pg_settle(struct masa_pg_conn *c)
{
	PGresult *r;

	if (!c->async)
		return;
	c->async = 0;
	while ((r = PQgetResult(c->pg)) != NULL)
		PQclear(r);
}

/* Session settings of every connection: waits for a lock end after the
 * busy timeout (as SQLite's busy timeout does), and a commit returns only
 * once it is on disk, whatever the server's default. */
static int
session(struct masa_pg_txn *t)
{
	char sql[160];
	PGresult *r;
	int ok;

	snprintf(sql, sizeof sql, "SET lock_timeout = %d; SET synchronous_commit = on;"
	    " SET client_min_messages = warning", t->db->timeout_ms);
	r = PQexec(t->c->pg, sql);
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok;
}

/* Connects t's connection (closing a lost one first). */
static enum masa_err
connect_one(struct masa_pg_txn *t, struct masa_diag *diag)
{
	struct masa_pg *db = t->db;
	struct masa_pg_conn *c = t->c;
	const char *keys[5], *vals[5];
	char timeout[16];
	int n = 0;

	PQfinish(c->pg);
	c->pg = NULL;
	masa_pg_forget(c);
	/* libpq's own wait; at least 2 s (its minimum that means anything). */
	snprintf(timeout, sizeof timeout, "%d", db->timeout_ms < 2000 ? 2 : db->timeout_ms / 1000);
	keys[n] = "dbname";	/* expanded: the whole URL */
	vals[n++] = db->url;
	keys[n] = "connect_timeout";
	vals[n++] = timeout;
	keys[n] = "fallback_application_name";
	vals[n++] = "masa";
	if (db->password[0] != '\0') {
		keys[n] = "password";
		vals[n++] = db->password;
	}
	keys[n] = vals[n] = NULL;
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		masa_diag_set(diag, "cannot connect to the PostgreSQL database: %s",
		    c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
		if (diag != NULL)
			diag->msg[strcspn(diag->msg, "\n")] = '\0';
		return MASA_E_STORE;
	}
	if (!session(t)) {
		masa_diag_set(diag, "cannot set up the PostgreSQL session: %s", PQerrorMessage(c->pg));
		return MASA_E_STORE;
	}
	return MASA_OK;
}

enum masa_err
masa_pg_reconnect(struct masa_pg_txn *t, struct masa_diag *diag)
{
	return connect_one(t, diag);
}

enum masa_err
masa_pg_acquire(struct masa_pg *db, struct masa_pg_txn **out, struct masa_diag *diag)
{
	struct timespec until;
	struct masa_pg_txn *t;
	enum masa_err rc = MASA_OK;
	int i = 0, wrc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += db->timeout_ms / 1000;
	until.tv_nsec += (long)(db->timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&db->lock);
	for (;;) {
		for (i = 0; i < MASA_PG_CONNS && db->conns[i].busy; i++)
			;
		if (i < MASA_PG_CONNS || wrc == ETIMEDOUT)
			break;
		wrc = pthread_cond_timedwait(&db->freed, &db->lock, &until);
	}
	if (i < MASA_PG_CONNS)
		db->conns[i].busy = 1;
	pthread_mutex_unlock(&db->lock);
	if (i == MASA_PG_CONNS) {
		masa_diag_set(diag, "every PostgreSQL connection stayed busy");
		return MASA_E_STORE_BUSY;
	}
	t = &db->txns[i];
	t->write = t->open = t->retry = t->fresh = t->head_known = 0;
	t->err[0] = '\0';
	if (t->c->pg != NULL)
		masa_pg_settle(t->c);
	if (t->c->pg == NULL || t->c->broken || PQstatus(t->c->pg) != CONNECTION_OK)
		rc = connect_one(t, diag);
	if (rc != MASA_OK) {
		masa_pg_release(t);
		return rc;
	}
	*out = t;
	return MASA_OK;
}

void
masa_pg_release(struct masa_pg_txn *t)
{
	struct masa_pg *db = t->db;

	pthread_mutex_lock(&db->lock);
	t->c->busy = 0;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->lock);
}

/* Reads the password from path: an owner-only file, its first line. */
static enum masa_err
read_password(struct masa_pg *db, const char *path, struct masa_diag *diag)
{
	enum masa_err rc = masa_file_check_private(path, diag);
	ssize_t n;
	int fd;

	if (rc != MASA_OK)
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		masa_diag_set(diag, "cannot read the database password file %s: %s", path,
		    strerror(errno));
		return MASA_E_IO;
	}
	n = read(fd, db->password, sizeof db->password - 1);
	close(fd);
	if (n < 0 || (size_t)n == sizeof db->password - 1) {
		masa_diag_set(diag, "the database password file %s cannot be read or is too long", path);
		return MASA_E_CONFIG;
	}
	db->password[n] = '\0';
	db->password[strcspn(db->password, "\r\n")] = '\0';
	if (db->password[0] == '\0') {
		masa_diag_set(diag, "the database password file %s is empty", path);
		return MASA_E_CONFIG;
	}
	return MASA_OK;
}

enum masa_err
masa_pg_open_password(const struct masa_store_backend *be, const char *where,
    const char *password_file, int busy_timeout_ms, int create, struct masa_db **out,
    struct masa_diag *diag)
{
	pthread_condattr_t ca;
	struct masa_pg_txn *t = NULL;
	struct masa_pg *db;
	enum masa_err rc;
	int i;

	(void)create;	/* the database itself is the administrator's to create */
	db = calloc(1, sizeof *db);
	if (db == NULL)
		return MASA_E_NOMEM;
	if (pthread_condattr_init(&ca) != 0) {
		free(db);
		return MASA_E_INTERNAL;
	}
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&db->freed, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(db);
		return MASA_E_INTERNAL;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&db->lock, NULL) != 0) {
		pthread_cond_destroy(&db->freed);
		free(db);
		return MASA_E_INTERNAL;
	}
	db->base.be = be;
	db->timeout_ms = busy_timeout_ms;
	for (i = 0; i < MASA_PG_CONNS; i++) {
		db->txns[i].base.be = be;
		db->txns[i].db = db;
		db->txns[i].c = &db->conns[i];
	}
	if (snprintf(db->url, sizeof db->url, "postgresql://%s", where) >= (int)sizeof db->url) {
		masa_diag_set(diag, "the database URL is too long");
		rc = MASA_E_CONFIG;
		goto done;
	}
	rc = password_file != NULL ? read_password(db, password_file, diag) : MASA_OK;
	if (rc == MASA_OK)	/* connect now: a wrong URL is said at start */
		rc = masa_pg_acquire(db, &t, diag);
	if (rc == MASA_OK)
		masa_pg_release(t);
done:
	if (rc != MASA_OK) {
		masa_pg_close(&db->base);
		return rc;
	}
	*out = &db->base;
	return MASA_OK;
}

enum masa_err
masa_pg_open(const struct masa_store_backend *be, const char *where, int busy_timeout_ms,
    int create, struct masa_db **out, struct masa_diag *diag)
{
	return masa_pg_open_password(be, where, NULL, busy_timeout_ms, create, out, diag);
}

void
masa_pg_close(struct masa_db *base)
{
	struct masa_pg *db = masa_pg_of(base);
	int i;

	for (i = 0; i < MASA_PG_CONNS; i++)
		PQfinish(db->conns[i].pg);
	memset(db->password, 0, sizeof db->password);
	pthread_cond_destroy(&db->freed);
	pthread_mutex_destroy(&db->lock);
	free(db);
}
