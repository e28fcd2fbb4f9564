/* testutil.c: see testutil.h. */
#define _XOPEN_SOURCE 700	/* nftw() */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
tu_setup_dir(void **state)
{
	struct tu_dir *d = calloc(1, sizeof *d);

	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof d->path, "/tmp/masa-unit-XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
tu_teardown_dir(void **state)
{
	struct tu_dir *d = *state;
	int rc;

	if (d == NULL)
		return 0;
	rc = nftw(d->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
	*state = NULL;
	return rc == 0 ? 0 : -1;
}

void
tu_path(char out[TU_PATH_MAX], const struct tu_dir *d, const char *name)
{
	int n = snprintf(out, TU_PATH_MAX, "%s/%s", d->path, name);

	assert_true(n > 0 && n < TU_PATH_MAX);
}

void
tu_write(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

char *
tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

int
tu_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

mode_t
tu_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

struct masa_db *
tu_db_migrated(const char *path, int busy_timeout_ms)
{
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;

	assert_int_equal(masa_db_open(path, busy_timeout_ms, 1, &db, &diag), MASA_OK);
	assert_int_equal(masa_db_migrate(db, &diag), MASA_OK);
	return db;
}

sqlite3 *
tu_sqlite_open(const char *path)
{
	sqlite3 *c = NULL;

	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL), SQLITE_OK);
	return c;
}

void
tu_exec(sqlite3 *c, const char *sql)
{
	int rc = sqlite3_exec(c, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(c));
}

int64_t
tu_query_int(sqlite3 *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

sqlite3 *
tu_lock_exclusive(const char *path)
{
	sqlite3 *c = tu_sqlite_open(path);

	tu_exec(c, "BEGIN EXCLUSIVE");
	return c;
}

void
tu_unlock(sqlite3 *c)
{
	tu_exec(c, "ROLLBACK");
	assert_int_equal(sqlite3_close(c), SQLITE_OK);
}

void
tu_keygen(const struct tu_dir *d, enum masa_alg alg, enum masa_cert_kind kind,
    const char *host, const char *key_name, const char *cert_name)
{
	char key[TU_PATH_MAX], cert[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	enum masa_err rc;

	tu_path(key, d, key_name);
	tu_path(cert, d, cert_name);
	rc = masa_keygen_selfsigned(alg, kind, "masa unit test", host, 30, key, cert, &diag);
	if (rc != MASA_OK)
		fail_msg("keygen %s: %d %s", masa_alg_name(alg), rc, diag.msg);
}

struct masa_signer *
tu_signer(const struct tu_dir *d, enum masa_alg alg)
{
	char key[TU_PATH_MAX], kname[32], cname[32];
	struct masa_diag diag = { "" };
	struct masa_signer *s = NULL;

	/* One key per algorithm, so a test may make several in one directory. */
	snprintf(kname, sizeof kname, "signer-%s.key", masa_alg_name(alg));
	snprintf(cname, sizeof cname, "signer-%s.crt", masa_alg_name(alg));
	tu_keygen(d, alg, MASA_CERT_VOUCHER_SIGNING, NULL, kname, cname);
	tu_path(key, d, kname);
	assert_int_equal(masa_signer_load(key, alg, &s, &diag), MASA_OK);
	return s;
}

size_t
tu_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

enum masa_err
tu_touch(struct masa_txn *txn, void *arg)
{
	(void)arg;
	return masa_store_touch(txn);
}
