/*
 * testutil.h: helpers shared by the unit tests: a fresh temporary directory
 * per test (as cmocka setup/teardown), small file helpers, SQLite helpers
 * (a second connection that holds a lock, single-value queries) and key
 * generation. Every helper fails the current test on error.
 */
#ifndef MASA_TESTUTIL_H
#define MASA_TESTUTIL_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <sys/types.h>

#include "crypto/alg.h"
#include "crypto/keygen.h"
#include "crypto/signer.h"
#include "sqlite_stmt.h"	/* the SQLite backend's statements, for tests that look inside */
#include "store.h"

#define TU_PATH_MAX 512
#define TU_NOBODY_UID 65534	/* "owned by another user" (tests run as root in CI) */

/* A per-test temporary directory; the cmocka state of tests using it. */
struct tu_dir {
	char path[TU_PATH_MAX];
};

/* cmocka setup/teardown: *state becomes a fresh struct tu_dir under /tmp,
 * removed with everything in it afterwards. */
int tu_setup_dir(void **state);
int tu_teardown_dir(void **state);

/* d->path + "/" + name into out. */
void tu_path(char out[TU_PATH_MAX], const struct tu_dir *d, const char *name);
/* Creates path (must not exist) holding text, with exactly mode. */
void tu_write(const char *path, const char *text, mode_t mode);
/* The whole file, NUL-terminated (free it); *len may be NULL. */
char *tu_read(const char *path, size_t *len);
/* 1 if path exists (as anything, symlinks not followed). */
int tu_exists(const char *path);
/* The permission bits of path (symlinks not followed). */
mode_t tu_mode(const char *path);

/* Opens path with create and applies every migration. */
struct masa_db *tu_db_migrated(const char *path, int busy_timeout_ms);
/* A second, plain SQLite connection to path. */
sqlite3 *tu_sqlite_open(const char *path);
/* Runs sql on c, which must succeed. */
void tu_exec(sqlite3 *c, const char *sql);
/* The single integer result of sql on c. */
int64_t tu_query_int(sqlite3 *c, const char *sql);
/* A second connection holding BEGIN EXCLUSIVE on path until tu_unlock. */
sqlite3 *tu_lock_exclusive(const char *path);
void tu_unlock(sqlite3 *c);
/* A masa_db_write change that only masa_store_touch-es the store. */
enum masa_err tu_touch(struct masa_txn *txn, void *arg);

/* Generates key_name/cert_name in d with masa_keygen_selfsigned. */
void tu_keygen(const struct tu_dir *d, enum masa_alg alg, enum masa_cert_kind kind,
    const char *host, const char *key_name, const char *cert_name);
/* Generates a key pair in d and loads it as a signer. */
struct masa_signer *tu_signer(const struct tu_dir *d, enum masa_alg alg);

/* Hex text (spaces ignored) to at most cap bytes; returns the length. */
size_t tu_unhex(const char *hex, uint8_t *out, size_t cap);

#endif
