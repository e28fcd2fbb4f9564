/* test_store_url.c: masa/store/store.c telling store URLs apart: a plain
 * path and "sqlite:PATH" open the SQLite backend (with its file checks and
 * create flag), a postgresql:// URL is refused in this build. */
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

/* Proves postgresql:// and postgres:// URLs are refused as a missing
 * backend (without echoing a password), and an unknown scheme or an
 * empty SQLite path as such. */
static void
test_open_refused_urls(void **state)
{
	(void)state;
	expect_refused("postgresql://masa:s3cret@db.example/masa", "built without PostgreSQL support",
	    "s3cret");
	expect_refused("postgres://db.example/masa", "built without PostgreSQL support", NULL);
	expect_refused("mysql://db.example/masa", "scheme", NULL);
	expect_refused("sqlite:", "names no database", NULL);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_path),
		DIR_TEST(test_open_sqlite_url),
		cmocka_unit_test(test_open_refused_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
