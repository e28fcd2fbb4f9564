/* test_store_url.c: masa/store/store.c telling store URLs apart: a plain
 * path and "sqlite:PATH" open the SQLite backend (with its file checks and
 * create flag), a postgresql:// URL goes to the PostgreSQL backend (here:
 * a server that is not there, refused without showing the password). */
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>

#define BUSY_MS 100

/* Proves masa_db_url_path finds the file path in plain paths and SQLite
 * URLs, and none in postgresql://, postgres:// or unknown scheme URLs. */
static void
test_url_path(void **state)
{
	static const char *const plain[] = { "/var/lib/masa/masa.db", "masa.db", "a:b.db", "" };
	static const char *const network[] = {
		"postgresql://masa@db.example/masa", "postgres://db.example/masa",
		"POSTGRESQL://db.example/masa", "mysql://db.example/masa",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof plain / sizeof plain[0]; i++)
		assert_ptr_equal(masa_db_url_path(plain[i]), plain[i]);
	assert_string_equal(masa_db_url_path("sqlite:/var/lib/masa/masa.db"), "/var/lib/masa/masa.db");
	assert_string_equal(masa_db_url_path("sqlite:masa.db"), "masa.db");
	assert_string_equal(masa_db_url_path("SQLite:masa.db"), "masa.db");
	assert_string_equal(masa_db_url_path("sqlite:"), "");
	for (i = 0; i < sizeof network / sizeof network[0]; i++)
		assert_null(masa_db_url_path(network[i]));
}

/* Proves "sqlite:PATH" creates (0600) and opens the file PATH, which the
 * plain path then opens too, and keeps the missing-file and owner-only
 * checks. */
static void
test_open_sqlite_url(void **state)
{
	char path[TU_PATH_MAX], url[TU_PATH_MAX + 8];
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;
	int have = -1, latest = -1;

	tu_path(path, *state, "masa.db");
	snprintf(url, sizeof url, "sqlite:%s", path);
	assert_int_equal(masa_db_open(url, BUSY_MS, 0, &db, &diag), MASA_E_NOT_FOUND);
	assert_null(db);
	assert_false(tu_exists(path));
	assert_int_equal(masa_db_open(url, BUSY_MS, 1, &db, &diag), MASA_OK);
	assert_int_equal(masa_db_migrate(db, &diag), MASA_OK);
	masa_db_close(db);
	assert_int_equal(tu_mode(path), 0600);

	db = NULL;
	assert_int_equal(masa_db_open(path, BUSY_MS, 0, &db, &diag), MASA_OK);
	assert_int_equal(masa_db_version(db, &have, &latest), MASA_OK);
	assert_int_equal(have, latest);	/* the file the URL migrated */
	masa_db_close(db);

	assert_int_equal(chmod(path, 0644), 0);
	db = NULL;
	assert_int_equal(masa_db_open(url, BUSY_MS, 0, &db, &diag), MASA_E_FILE_PERM);
	assert_null(db);
}

/* Expects url to be refused with MASA_E_CONFIG and a diag holding want
 * (and not secret, when given). */
static void
expect_refused(const char *url, const char *want, const char *secret)
{
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;
	int create;

	for (create = 0; create <= 1; create++) {
		diag.msg[0] = '\0';
		assert_int_equal(masa_db_open(url, BUSY_MS, create, &db, &diag), MASA_E_CONFIG);
		assert_null(db);
		if (strstr(diag.msg, want) == NULL)
			fail_msg("%s: \"%s\" does not say \"%s\"", url, diag.msg, want);
		if (secret != NULL && strstr(diag.msg, secret) != NULL)
			fail_msg("%s: \"%s\" shows the password", url, diag.msg);
	}
}

/* Proves an unknown scheme, an empty SQLite path and a password file for
 * SQLite are refused as such. */
static void
test_open_refused_urls(void **state)
{
	struct masa_diag diag = { "" };
	struct masa_db *db = NULL;

	(void)state;
	expect_refused("mysql://db.example/masa", "scheme", NULL);
	expect_refused("sqlite:", "names no database", NULL);
	assert_int_equal(masa_db_open_with("sqlite:/nonexistent/x.db", "/etc/hostname", BUSY_MS, 0,
	    &db, &diag), MASA_E_CONFIG);
	assert_null(db);
	assert_non_null(strstr(diag.msg, "takes no password"));
}

/* Proves postgresql:// and postgres:// URLs reach the PostgreSQL backend:
 * with no server on the port, MASA_E_STORE and a sentence that does not
 * show the URL's password; and masa_db_url_shown hides it. */
static void
test_open_postgresql_unreachable(void **state)
{
	static const char *const urls[] = {
		"postgresql://masa:s3cret@127.0.0.1:1/masa?connect_timeout=2",
		"postgres://masa:s3cret@127.0.0.1:1/masa",
	};
	struct masa_diag diag;
	struct masa_db *db = NULL;
	char shown[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		diag.msg[0] = '\0';
		assert_int_equal(masa_db_open(urls[i], BUSY_MS, 0, &db, &diag), MASA_E_STORE);
		assert_null(db);
		assert_non_null(strstr(diag.msg, "cannot connect to the PostgreSQL database"));
		assert_null(strstr(diag.msg, "s3cret"));
		assert_null(strstr(masa_db_url_shown(urls[i], shown, sizeof shown), "s3cret"));
		assert_non_null(strstr(shown, "masa:***@127.0.0.1:1/masa"));
	}
	assert_string_equal(masa_db_url_shown("postgresql://db.example/m", shown, sizeof shown),
	    "postgresql://db.example/m");
	assert_string_equal(masa_db_url_shown("/var/lib/a:b@c.db", shown, sizeof shown),
	    "/var/lib/a:b@c.db");
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_path),
		DIR_TEST(test_open_sqlite_url),
		cmocka_unit_test(test_open_refused_urls),
		cmocka_unit_test(test_open_postgresql_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
