/* test_store.c: the store with its SQLite backend (masa/store/store.c,
 * masa/store/sqlite/: open, settings, migrations, locking, the products'
 * signing key) and the hash-chained, append-only audit trail
 * (masa/store/audit*.c, masa/store/sqlite/audit.c). */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit.h"
#include "keys.h"
#include "migrations.h"
#include "products.h"

#define BUSY_MS 100

/* The tables of schema/sqlite/0001_init.sql. */
static const char *const schema_tables[] = {
	"owners", "registrar_keys", "blocked_registrars", "devices", "token_buckets",
	"vouchers", "api_tokens", "audit",
};

/* d/masa.db, opened with create and migrated. */
static struct masa_db *
open_migrated(const struct tu_dir *d, char path[TU_PATH_MAX])
{
	tu_path(path, d, "masa.db");
	return tu_db_migrated(path, BUSY_MS);
}

/* The text result of sql on c. */
static void
query_text(sqlite3 *c, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The same inside a read transaction of db, on masa's own connection. */
static void
txn_query_text(struct masa_db *db, const char *sql, char *out, size_t cap)
{
	struct masa_txn *txn = NULL;

	assert_int_equal(masa_db_begin(db, 0, &txn), MASA_OK);
	query_text(masa_sqlite_conn(txn), sql, out, cap);
	masa_db_rollback(txn);
}

/* Proves a new database has WAL, synchronous=FULL, the busy timeout and foreign keys. */
static void
test_open_create_settings(void **state)
{
	char path[TU_PATH_MAX], v[64];
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;
	sqlite3 *c;

	tu_path(path, *state, "masa.db");
	assert_int_equal(masa_db_open(path, 1234, 1, &db, &diag), MASA_OK);
	txn_query_text(db, "PRAGMA journal_mode", v, sizeof v);
	assert_string_equal(v, "wal");
	txn_query_text(db, "PRAGMA synchronous", v, sizeof v);
	assert_string_equal(v, "2");
	txn_query_text(db, "PRAGMA busy_timeout", v, sizeof v);
	assert_string_equal(v, "1234");
	txn_query_text(db, "PRAGMA foreign_keys", v, sizeof v);
	assert_string_equal(v, "1");
	masa_db_close(db);

	c = tu_sqlite_open(path);	/* WAL is a property of the file */
	query_text(c, "PRAGMA journal_mode", v, sizeof v);
	sqlite3_close(c);
	assert_string_equal(v, "wal");
}

/* Proves a new database file is created 0600 whatever the umask (store.h
 * promises it; masa's main() sets umask 077, but the library must not rely on
 * that), so that it passes its own owner-only check when opened again. */
static void
test_open_create_owner_only(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;
	mode_t old = umask(022);
	mode_t mode;

	tu_path(path, *state, "masa.db");
	assert_int_equal(masa_db_open(path, BUSY_MS, 1, &db, &diag), MASA_OK);
	umask(old);
	mode = tu_mode(path);
	masa_db_close(db);
	assert_int_equal(mode, 0600);
	assert_int_equal(masa_db_open(path, BUSY_MS, 0, &db, &diag), MASA_OK);
	masa_db_close(db);
}

/* Proves create=0 on a missing file fails NOT_FOUND and creates nothing. */
static void
test_open_missing(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;

	tu_path(path, *state, "none.db");
	assert_int_equal(masa_db_open(path, BUSY_MS, 0, &db, &diag), MASA_E_NOT_FOUND);
	assert_null(db);
	assert_false(tu_exists(path));
	assert_true(diag.msg[0] != '\0');
}

/* Expects masa_db_open of path to fail with MASA_E_FILE_PERM (create or not). */
static void
expect_open_perm(const char *path)
{
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;
	int create;

	for (create = 0; create <= 1; create++) {
		assert_int_equal(masa_db_open(path, BUSY_MS, create, &db, &diag), MASA_E_FILE_PERM);
		assert_null(db);
	}
}

/* Proves group/world access, another owner and a symlink are refused. */
static void
test_open_unsafe_files(void **state)
{
	char path[TU_PATH_MAX], link[TU_PATH_MAX];

	masa_db_close(open_migrated(*state, path));
	assert_int_equal(chmod(path, 0644), 0);
	expect_open_perm(path);
	assert_int_equal(chmod(path, 0640), 0);
	expect_open_perm(path);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(chown(path, TU_NOBODY_UID, (gid_t)-1), 0);
	expect_open_perm(path);
	assert_int_equal(chown(path, geteuid(), (gid_t)-1), 0);
	tu_path(link, *state, "link.db");
	assert_int_equal(symlink(path, link), 0);
	expect_open_perm(link);
	masa_db_close(tu_db_migrated(path, BUSY_MS));	/* the target itself is fine */
}

/* Proves migrate reaches the latest version, is idempotent, creates every table. */
static void
test_migrate(void **state)
{
	char path[TU_PATH_MAX], sql[128];
	struct masa_diag diag = { "" };
	struct masa_db *db = open_migrated(*state, path);
	int have = -1, latest = -1;
	sqlite3 *c;
	size_t i;

	assert_true(masa_migrations_count >= 1);
	assert_int_equal(masa_db_version(db, &have, &latest), MASA_OK);
	assert_int_equal(have, (int)masa_migrations_count);
	assert_int_equal(latest, (int)masa_migrations_count);

	c = tu_sqlite_open(path);
	tu_exec(c, "INSERT INTO owners (name, created_ms) VALUES ('kept', 1)");
	assert_int_equal(masa_db_migrate(db, &diag), MASA_OK);	/* second run: nothing to do */
	assert_string_equal(diag.msg, "");
	assert_int_equal(tu_query_int(c, "PRAGMA user_version"), (int64_t)masa_migrations_count);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM owners WHERE name = 'kept'"), 1);
	for (i = 0; i < sizeof schema_tables / sizeof schema_tables[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
		    " AND name = '%s'", schema_tables[i]);
		if (tu_query_int(c, sql) != 1)
			fail_msg("table %s is missing", schema_tables[i]);
	}
	sqlite3_close(c);
	masa_db_close(db);
}

/* Proves a database newer than this binary is refused and left alone. */
static void
test_migrate_newer_schema(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	struct masa_db *db = open_migrated(*state, path);
	sqlite3 *c = tu_sqlite_open(path);

	tu_exec(c, "PRAGMA user_version = 99");
	assert_int_equal(masa_db_migrate(db, &diag), MASA_E_SCHEMA);
	assert_true(diag.msg[0] != '\0');
	assert_int_equal(tu_query_int(c, "PRAGMA user_version"), 99);
	sqlite3_close(c);
	masa_db_close(db);
}

/* Puts p naming key at now_ms; it reads back so, and the default key
 * counts defaults products. */
static void
put_product_key(struct masa_txn *txn, struct masa_product_row *p, const char *key,
    int64_t now_ms, int want_created, int64_t defaults)
{
	struct masa_product_row got;
	struct masa_key_row k;
	int created = -1;

	snprintf(p->signing_key, sizeof p->signing_key, "%s", key);
	assert_int_equal(masa_store_product_put(txn, p, now_ms, &created), MASA_OK);
	assert_int_equal(created, want_created);
	assert_int_equal(masa_store_product_get(txn, p->name, &got), MASA_OK);
	assert_string_equal(got.signing_key, key);
	assert_int_equal(masa_store_key_get(txn, "default", &k), MASA_OK);
	assert_int_equal(k.products, defaults);
}

/* Proves products.signing_key (0005): a row written without it reads
 * "default", a put writes and replaces it, and a key's row counts the
 * products that name it (what `masa key retire` refuses on). */
static void
test_product_signing_key(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db = open_migrated(*state, path);
	struct masa_product_row p, got;
	struct masa_txn *txn = NULL;
	sqlite3 *c = tu_sqlite_open(path);

	tu_exec(c, "INSERT INTO products (name, formats, registrar_algs, pin, nonceless,"
	    " created_ms, updated_ms) VALUES ('old', 2, 2, 0, 1, 1, 1)");
	sqlite3_close(c);
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "new");
	p.formats = p.registrar_algs = 2;
	assert_int_equal(masa_db_begin(db, 1, &txn), MASA_OK);
	assert_int_equal(masa_store_product_get(txn, "old", &got), MASA_OK);
	assert_string_equal(got.signing_key, "default");
	put_product_key(txn, &p, "k1", 5, 1, 1);
	put_product_key(txn, &p, "default", 6, 0, 2);
	assert_int_equal(masa_db_commit(txn), MASA_OK);
	masa_db_close(db);
}

/* Proves open fails STORE_SETTINGS when WAL cannot be set (file locked exclusively). */
static void
test_open_locked_rollback_journal(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;
	sqlite3 *c;

	tu_path(path, *state, "locked.db");
	c = tu_sqlite_open(path);
	assert_int_equal(chmod(path, 0600), 0);
	tu_exec(c, "PRAGMA journal_mode=DELETE");
	tu_exec(c, "CREATE TABLE t (x)");
	tu_exec(c, "BEGIN EXCLUSIVE");
	assert_int_equal(masa_db_open(path, BUSY_MS, 0, &db, &diag), MASA_E_STORE_SETTINGS);
	assert_null(db);
	assert_true(diag.msg[0] != '\0');
	tu_unlock(c);

	assert_int_equal(masa_db_open(path, BUSY_MS, 0, &db, &diag), MASA_OK);	/* and works once free */
	masa_db_close(db);
}

static enum masa_err
no_change(struct masa_txn *txn, void *arg)
{
	(void)txn;
	(void)arg;
	return MASA_OK;
}

/* Proves a committed touch really writes where an empty change does not
 * (another connection's PRAGMA data_version moves only for the touch),
 * and reports a held write lock as STORE_BUSY. */
static void
test_touch(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db = open_migrated(*state, path);
	sqlite3 *c = tu_sqlite_open(path);
	int64_t v = tu_query_int(c, "PRAGMA data_version");

	assert_int_equal(masa_db_write(db, no_change, NULL), MASA_OK);
	assert_int_equal(tu_query_int(c, "PRAGMA data_version"), v);
	assert_int_equal(masa_db_write(db, tu_touch, NULL), MASA_OK);
	assert_int_not_equal(tu_query_int(c, "PRAGMA data_version"), v);
	assert_int_equal(tu_query_int(c, "SELECT probes FROM store_probe"), 1);
	sqlite3_close(c);
	c = tu_lock_exclusive(path);
	assert_int_equal(masa_db_write(db, tu_touch, NULL), MASA_E_STORE_BUSY);
	tu_unlock(c);
	assert_int_equal(masa_db_write(db, tu_touch, NULL), MASA_OK);
	masa_db_close(db);
}

/* A thread that tries to begin a transaction; its result, the time it
 * waited, and (on success) the transaction it then rolls back. */
struct begin_try {
	struct masa_db *db;
	enum masa_err rc;
	struct timespec t0, t1;
};

static void *
try_begin(void *arg)
{
	struct begin_try *b = arg;
	struct masa_txn *txn = NULL;

	clock_gettime(CLOCK_MONOTONIC, &b->t0);
	b->rc = masa_db_begin(b->db, 1, &txn);
	clock_gettime(CLOCK_MONOTONIC, &b->t1);
	if (b->rc == MASA_OK)
		masa_db_rollback(txn);
	return NULL;
}

static long
waited_ms(const struct begin_try *b)
{
	return (b->t1.tv_sec - b->t0.tv_sec) * 1000 + (b->t1.tv_nsec - b->t0.tv_nsec) / 1000000;
}

/* Another thread of this process waits for the writer at most the
 * busy timeout (then MASA_E_STORE_BUSY), gets it when it is handed over
 * in time, and one that gave up leaves nothing behind in the queue. */
static void
test_connection_wait_times_out(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db = open_migrated(*state, path);
	struct masa_txn *txn = NULL;
	struct begin_try b = { db, MASA_E_INTERNAL, { 0, 0 }, { 0, 0 } };
	pthread_t th;

	assert_int_equal(masa_db_begin(db, 1, &txn), MASA_OK);
	assert_int_equal(pthread_create(&th, NULL, try_begin, &b), 0);
	pthread_join(th, NULL);
	assert_int_equal(b.rc, MASA_E_STORE_BUSY);
	assert_true(waited_ms(&b) >= BUSY_MS - 5);

	/* The hand-over, with a busy timeout no descheduling of this thread
	 * can outlast: the waiter gets the writer when it is committed. */
	masa_db_rollback(txn);
	masa_db_close(db);
	db = tu_db_migrated(path, 30000);
	b.db = db;
	assert_int_equal(masa_db_begin(db, 1, &txn), MASA_OK);
	b.rc = MASA_E_INTERNAL;
	assert_int_equal(pthread_create(&th, NULL, try_begin, &b), 0);
	usleep(20 * 1000);	/* most likely waiting by now; either way it must get in */
	assert_int_equal(masa_db_commit(txn), MASA_OK);	/* handed over */
	pthread_join(th, NULL);
	assert_int_equal(b.rc, MASA_OK);

	assert_int_equal(masa_db_begin(db, 1, &txn), MASA_OK);	/* free again */
	masa_db_rollback(txn);
	masa_db_close(db);
}

static const uint8_t reg_hash[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t nonce[] = { 0xde, 0xad, 0xbe, 0xef };

/* An entry with every field set. */
static struct masa_audit_entry
full_entry(void)
{
	struct masa_audit_entry e;

	memset(&e, 0, sizeof e);
	e.at_ms = 1700000000123;
	e.event = "voucher.issued";
	e.serial = "SN-1";
	e.registrar_sha256.ptr = reg_hash;
	e.registrar_sha256.len = sizeof reg_hash;
	e.nonce.ptr = nonce;
	e.nonce.len = sizeof nonce;
	e.assertion = 2;
	e.source = "192.0.2.1";
	e.detail = "d";
	return e;
}

/* An entry with only the required fields (the rest NULL, empty or < 0). */
static struct masa_audit_entry
sparse_entry(void)
{
	struct masa_audit_entry e;

	memset(&e, 0, sizeof e);
	e.at_ms = 5;
	e.event = "token.created";
	e.nonce.ptr = nonce;	/* an empty view is stored as NULL too */
	e.nonce.len = 0;
	e.assertion = -1;
	e.detail = "";
	return e;
}

/* Appends entries, each in its own committed transaction. */
static void
append_all(struct masa_db *db, const struct masa_audit_entry *e, size_t n)
{
	struct masa_txn *txn = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		assert_int_equal(masa_db_begin(db, 1, &txn), MASA_OK);
		assert_int_equal(masa_audit_append(txn, &e[i]), MASA_OK);
		assert_int_equal(masa_db_commit(txn), MASA_OK);
	}
}

/* A view of a nullable blob column. */
static struct masa_bytes
column_bytes(sqlite3_stmt *st, int i)
{
	struct masa_bytes b = { sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i) };
	return b;
}

/* Proves seq runs 1,2,3, the chain links, and each stored hash is the
 * hash of the row's own stored fields. */
static void
test_audit_chain(void **state)
{
	static const char sql[] = "SELECT seq, at_ms, event, serial, registrar_sha256, nonce,"
	    " assertion, source, detail, prev_hash, hash FROM audit ORDER BY seq";
	char path[TU_PATH_MAX];
	struct masa_db *db = open_migrated(*state, path);
	struct masa_audit_entry in[3] = { full_entry(), sparse_entry(), full_entry() };
	uint8_t prev[MASA_AUDIT_HASH_LEN] = { 0 }, want[MASA_AUDIT_HASH_LEN];
	sqlite3 *c;
	sqlite3_stmt *st = NULL;
	int64_t seq = 0;

	in[2].detail = "third";
	append_all(db, in, 3);
	c = tu_sqlite_open(path);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct masa_audit_entry row;

		assert_int_equal(sqlite3_column_int64(st, 0), ++seq);
		row.at_ms = sqlite3_column_int64(st, 1);
		row.event = (const char *)sqlite3_column_text(st, 2);
		row.serial = (const char *)sqlite3_column_text(st, 3);
		row.registrar_sha256 = column_bytes(st, 4);
		row.nonce = column_bytes(st, 5);
		row.assertion = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
		row.source = (const char *)sqlite3_column_text(st, 7);
		row.detail = (const char *)sqlite3_column_text(st, 8);
		assert_int_equal(sqlite3_column_bytes(st, 9), MASA_AUDIT_HASH_LEN);
		assert_memory_equal(sqlite3_column_blob(st, 9), prev, MASA_AUDIT_HASH_LEN);
		assert_int_equal(masa_audit_hash(seq, &row, prev, want), MASA_OK);
		assert_int_equal(sqlite3_column_bytes(st, 10), MASA_AUDIT_HASH_LEN);
		assert_memory_equal(sqlite3_column_blob(st, 10), want, MASA_AUDIT_HASH_LEN);
		/* the row's fields are the appended ones */
		assert_int_equal(masa_audit_hash(seq, &in[seq - 1], prev, want), MASA_OK);
		assert_memory_equal(sqlite3_column_blob(st, 10), want, MASA_AUDIT_HASH_LEN);
		memcpy(prev, want, sizeof prev);
	}
	assert_int_equal(seq, 3);
	sqlite3_finalize(st);
	sqlite3_close(c);
	masa_db_close(db);
}

/* Proves absent optional fields are stored as SQL NULL ("" detail stays ""). */
static void
test_audit_nulls(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db = open_migrated(*state, path);
	struct masa_audit_entry e = sparse_entry();
	sqlite3 *c;

	append_all(db, &e, 1);
	c = tu_sqlite_open(path);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM audit WHERE serial IS NULL"
	    " AND registrar_sha256 IS NULL AND nonce IS NULL AND assertion IS NULL"
	    " AND source IS NULL AND detail = ''"), 1);
	sqlite3_close(c);
	masa_db_close(db);
}

/* Proves the triggers make the audit table append-only. */
static void
test_audit_append_only(void **state)
{
	static const char *const edits[] = {
		"UPDATE audit SET detail = 'forged'",
		"UPDATE audit SET seq = 7",
		"DELETE FROM audit",
		"DELETE FROM audit WHERE seq = 1",
	};
	char path[TU_PATH_MAX];
	struct masa_db *db = open_migrated(*state, path);
	struct masa_audit_entry e = full_entry();
	sqlite3 *c;
	size_t i;

	append_all(db, &e, 1);
	c = tu_sqlite_open(path);
	for (i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		if (sqlite3_exec(c, edits[i], NULL, NULL, NULL) == SQLITE_OK)
			fail_msg("%s succeeded", edits[i]);
		assert_non_null(strstr(sqlite3_errmsg(c), "append-only"));
	}
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM audit WHERE seq = 1 AND detail = 'd'"), 1);
	sqlite3_close(c);
	masa_db_close(db);
}

/* Proves an entry rolls back with its transaction. */
static void
test_audit_rollback(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db = open_migrated(*state, path);
	struct masa_audit_entry e = full_entry();
	struct masa_txn *txn = NULL;
	sqlite3 *c;

	assert_int_equal(masa_db_begin(db, 1, &txn), MASA_OK);
	assert_int_equal(masa_audit_append(txn, &e), MASA_OK);
	assert_int_equal(tu_query_int(masa_sqlite_conn(txn), "SELECT count(*) FROM audit"), 1);
	masa_db_rollback(txn);
	c = tu_sqlite_open(path);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM audit"), 0);
	append_all(db, &e, 1);
	assert_int_equal(tu_query_int(c, "SELECT max(seq) FROM audit"), 1);
	sqlite3_close(c);
	masa_db_close(db);
}

/* Changes field `which` of e (0..11); returns 0 past the last change. */
static int
mutate(struct masa_audit_entry *e, int which)
{
	static const uint8_t other[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11 };

	switch (which) {
	case 0: e->at_ms += 1; break;
	case 1: e->event = "voucher.issuee"; break;
	case 2: e->serial = "SN-2"; break;
	case 3: e->serial = NULL; break;
	case 4: e->registrar_sha256.ptr = other; break;
	case 5: e->registrar_sha256.len = 0; break;
	case 6: e->nonce.len -= 1; break;
	case 7: e->assertion = 0; break;
	case 8: e->assertion = -1; break;
	case 9: e->source = "192.0.2.2"; break;
	case 10: e->source = NULL; break;
	case 11: e->detail = ""; break;
	default: return 0;
	}
	return 1;
}

/* Proves changing any single field, the seq or the previous hash changes the hash. */
static void
test_audit_hash_covers_every_field(void **state)
{
	const struct masa_audit_entry base = full_entry();
	uint8_t prev[MASA_AUDIT_HASH_LEN] = { 0 }, h0[MASA_AUDIT_HASH_LEN], h[MASA_AUDIT_HASH_LEN];
	struct masa_audit_entry e;
	int which;

	(void)state;
	assert_int_equal(masa_audit_hash(1, &base, prev, h0), MASA_OK);
	assert_int_equal(masa_audit_hash(1, &base, prev, h), MASA_OK);
	assert_memory_equal(h, h0, sizeof h);	/* deterministic */
	for (which = 0;; which++) {
		e = base;
		if (!mutate(&e, which))
			break;
		assert_int_equal(masa_audit_hash(1, &e, prev, h), MASA_OK);
		if (memcmp(h, h0, sizeof h) == 0)
			fail_msg("change %d does not change the hash", which);
	}
	assert_int_equal(which, 12);
	assert_int_equal(masa_audit_hash(2, &base, prev, h), MASA_OK);
	assert_memory_not_equal(h, h0, sizeof h);
	prev[31] = 1;
	assert_int_equal(masa_audit_hash(1, &base, prev, h), MASA_OK);
	assert_memory_not_equal(h, h0, sizeof h);
}

/* Proves field boundaries are unambiguous (moving a byte between fields changes the hash). */
static void
test_audit_hash_field_boundaries(void **state)
{
	const uint8_t prev[MASA_AUDIT_HASH_LEN] = { 0 };
	uint8_t h1[MASA_AUDIT_HASH_LEN], h2[MASA_AUDIT_HASH_LEN];
	struct masa_audit_entry a = sparse_entry(), b = sparse_entry();

	(void)state;
	a.serial = "ab";
	a.source = "c";
	b.serial = "a";
	b.source = "bc";
	assert_int_equal(masa_audit_hash(1, &a, prev, h1), MASA_OK);
	assert_int_equal(masa_audit_hash(1, &b, prev, h2), MASA_OK);
	assert_memory_not_equal(h1, h2, sizeof h1);
	a.serial = "";	/* "" and NULL differ */
	b.serial = NULL;
	a.source = b.source = NULL;
	assert_int_equal(masa_audit_hash(1, &a, prev, h1), MASA_OK);
	assert_int_equal(masa_audit_hash(1, &b, prev, h2), MASA_OK);
	assert_memory_not_equal(h1, h2, sizeof h1);
}

/* Feeds one field in the encoding audit.h documents: 0x00 if absent, else
 * 0x01, a 4-byte big-endian length and the bytes. */
static void
doc_field(EVP_MD_CTX *ctx, const void *p, size_t n, int present)
{
	uint8_t hdr[5] = { 1, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };

	if (!present) {
		hdr[0] = 0;
		assert_int_equal(EVP_DigestUpdate(ctx, hdr, 1), 1);
		return;
	}
	assert_int_equal(EVP_DigestUpdate(ctx, hdr, 5), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, p, n), 1);
}

static void
doc_str(EVP_MD_CTX *ctx, const char *s)
{
	doc_field(ctx, s, s != NULL ? strlen(s) : 0, s != NULL);
}

static void
doc_int(EVP_MD_CTX *ctx, long long v, int present)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", v);
	doc_field(ctx, num, strlen(num), present);
}

/* An independent implementation of the chain hash as audit.h documents it. */
static void
doc_hash(int64_t seq, const struct masa_audit_entry *e, const uint8_t prev[MASA_AUDIT_HASH_LEN],
    uint8_t out[MASA_AUDIT_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, "masa-audit-v1", 13), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, prev, MASA_AUDIT_HASH_LEN), 1);
	doc_int(ctx, (long long)seq, 1);
	doc_int(ctx, (long long)e->at_ms, 1);
	doc_str(ctx, e->event);
	doc_str(ctx, e->serial);
	doc_field(ctx, e->registrar_sha256.ptr, e->registrar_sha256.len, e->registrar_sha256.len > 0);
	doc_field(ctx, e->nonce.ptr, e->nonce.len, e->nonce.len > 0);
	doc_int(ctx, e->assertion, e->assertion >= 0);
	doc_str(ctx, e->source);
	doc_str(ctx, e->detail);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	assert_int_equal(n, MASA_AUDIT_HASH_LEN);
	EVP_MD_CTX_free(ctx);
}

/* Proves masa_audit_hash is exactly the encoding documented in audit.h,
 * for a full entry and for one with every optional field absent. */
static void
test_audit_hash_matches_documented_encoding(void **state)
{
	const struct masa_audit_entry entries[] = { full_entry(), sparse_entry() };
	uint8_t prev[MASA_AUDIT_HASH_LEN], want[MASA_AUDIT_HASH_LEN], got[MASA_AUDIT_HASH_LEN];
	size_t i;

	(void)state;
	memset(prev, 0x5c, sizeof prev);
	for (i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		doc_hash(42, &entries[i], prev, want);
		assert_int_equal(masa_audit_hash(42, &entries[i], prev, got), MASA_OK);
		assert_memory_equal(got, want, sizeof want);
	}
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DIR_TEST(test_open_create_settings),
		DIR_TEST(test_open_create_owner_only),
		DIR_TEST(test_open_missing),
		DIR_TEST(test_open_unsafe_files),
		DIR_TEST(test_migrate),
		DIR_TEST(test_migrate_newer_schema),
		DIR_TEST(test_product_signing_key),
		DIR_TEST(test_open_locked_rollback_journal),
		DIR_TEST(test_touch),
		DIR_TEST(test_connection_wait_times_out),
		DIR_TEST(test_audit_chain),
		DIR_TEST(test_audit_nulls),
		DIR_TEST(test_audit_append_only),
		DIR_TEST(test_audit_rollback),
		cmocka_unit_test(test_audit_hash_covers_every_field),
		cmocka_unit_test(test_audit_hash_field_boundaries),
		cmocka_unit_test(test_audit_hash_matches_documented_encoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
