/*
 * backup.c: masa_db_backup (store.h) with SQLite's backup API. It reads
 * one consistent snapshot inside a read transaction (in WAL mode writers go
 * on meanwhile), writes it to a temporary file next to the destination,
 * checks the copy (PRAGMA integrity_check, the same schema version), makes
 * it a self-contained rollback-journal file, fsyncs it and only then gives
 * it its name.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_int.h"

#define PATH_CAP 4096
#define STEP_RETRIES 100	/* x 50 ms: how long a busy source is waited for */

/* Copies every page of the source inside txn into out. */
static enum masa_err
copy_pages(struct masa_txn *txn, sqlite3 *out, struct masa_diag *diag)
{
	sqlite3_backup *b;
	int rc, tries = 0;

	b = sqlite3_backup_init(out, "main", masa_sqlite_conn(txn), "main");
	if (b == NULL) {
		masa_diag_set(diag, "cannot start the backup: %s", sqlite3_errmsg(out));
		return MASA_E_STORE;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < STEP_RETRIES)
			sqlite3_sleep(50);
	} while ((rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
	    tries < STEP_RETRIES);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		masa_diag_set(diag, "the backup failed: %s", sqlite3_errstr(rc));
		return masa_sqlite_err(rc) == MASA_OK ? MASA_E_STORE : masa_sqlite_err(rc);
	}
	return MASA_OK;
}

/* Turns the copy into a standalone rollback-journal file and checks it. */
static enum masa_err
check_copy(sqlite3 *out, int want_version, int *version, struct masa_diag *diag)
{
	char v[256];

	if (masa_sqlite_pragma_text(out, "PRAGMA journal_mode=DELETE", v, sizeof v) != SQLITE_OK ||
	    strcmp(v, "delete") != 0) {
		masa_diag_set(diag, "cannot take the copy out of WAL mode (%s)", v);
		return MASA_E_STORE;
	}
	if (masa_sqlite_pragma_text(out, "PRAGMA integrity_check", v, sizeof v) != SQLITE_OK ||
	    strcmp(v, "ok") != 0) {
		masa_diag_set(diag, "the copy fails its integrity check: %s", v);
		return MASA_E_STORE;
	}
	if (masa_sqlite_pragma_text(out, "PRAGMA user_version", v, sizeof v) != SQLITE_OK ||
	    atoi(v) != want_version) {
		masa_diag_set(diag, "the copy's schema version (%s) is not the database's (%d)", v,
		    want_version);
		return MASA_E_STORE;
	}
	*version = want_version;
	return MASA_OK;
}

/* fsyncs the file at path, and with dir set the directory holding it. */
static int
sync_path(const char *path, int dir)
{
	char copy[PATH_CAP];
	const char *p = path;
	int fd, rc;

	if (dir) {
		snprintf(copy, sizeof copy, "%s", path);
		p = dirname(copy);
	}
	fd = open(p, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : O_NOFOLLOW));
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Gives tmp the name dest: never over an existing file unless replace
 * (link fails on an existing name; the caller unlinks tmp afterwards). */
static enum masa_err
publish(const char *tmp, const char *dest, int replace, struct masa_diag *diag)
{
	if (replace ? rename(tmp, dest) != 0 : link(tmp, dest) != 0) {
		masa_diag_set(diag, errno == EEXIST ? "%s already exists (--force replaces it)" :
		    "cannot name the backup %s: %s", dest, strerror(errno));
		return errno == EEXIST ? MASA_E_EXISTS : MASA_E_IO;
	}
	if (sync_path(dest, 1) != 0) {
		masa_diag_set(diag, "cannot sync the directory of %s: %s", dest, strerror(errno));
		return MASA_E_IO;
	}
	return MASA_OK;
}

enum masa_err
masa_sqlite_backup(struct masa_db *db, const char *dest, int replace, int *schema_version,
    struct masa_diag *diag)
{
	char tmp[PATH_CAP], journal[PATH_CAP + 16];
	struct masa_txn *txn = NULL;
	struct stat st;
	sqlite3 *out = NULL;
	enum masa_err rc;
	int have = 0, latest = 0, fd;

	if (!replace && lstat(dest, &st) == 0) {
		masa_diag_set(diag, "%s already exists (--force replaces it)", dest);
		return MASA_E_EXISTS;
	}
	if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", dest) >= (int)sizeof tmp) {
		masa_diag_set(diag, "the backup path is too long");
		return MASA_E_IO;
	}
	rc = masa_sqlite_version(db, &have, &latest);
	if (rc != MASA_OK) {
		masa_diag_set(diag, "cannot read the database's schema version");
		return rc;
	}
	fd = mkstemp(tmp);	/* 0600 */
	if (fd < 0) {
		masa_diag_set(diag, "cannot create a file next to %s: %s", dest, strerror(errno));
		return MASA_E_IO;
	}
	close(fd);
	snprintf(journal, sizeof journal, "%s-journal", tmp);
	if (sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		masa_diag_set(diag, "cannot open %s: %s", tmp, out ? sqlite3_errmsg(out) : "out of memory");
		rc = MASA_E_STORE;
		goto done;
	}
	rc = masa_sqlite_begin(db, 0, &txn);
	if (rc == MASA_OK) {
		rc = copy_pages(txn, out, diag);
		masa_sqlite_rollback(txn);
	} else {
		masa_diag_set(diag, "the database stayed busy");
	}
	if (rc == MASA_OK)
		rc = check_copy(out, have, schema_version, diag);
	if (sqlite3_close(out) != SQLITE_OK && rc == MASA_OK) {
		masa_diag_set(diag, "cannot close %s", tmp);
		rc = MASA_E_STORE;
	}
	out = NULL;
	if (rc == MASA_OK && sync_path(tmp, 0) != 0) {
		masa_diag_set(diag, "cannot sync %s: %s", tmp, strerror(errno));
		rc = MASA_E_IO;
	}
	if (rc == MASA_OK)
		rc = publish(tmp, dest, replace, diag);
done:
	sqlite3_close(out);
	if (rc != MASA_OK || !replace)
		unlink(tmp);	/* after a link, or on failure */
	unlink(journal);
	return rc;
}
