/* test_auth.c: the admin API's failure throttle (auth.c): which sources
 * share a lockout. Requests without a token fail before any hashing or
 * database use, so no store is needed. */
#include "testutil.h"

#include "auth.h"

/* Fails MASA_AUTH_MAX_FAILURES times from peer without a token. */
static void
lock_out(struct masa_auth *a, const char *peer, int64_t now)
{
	struct masa_principal p;
	uint64_t retry = 0;
	int hashed, i;

	for (i = 0; i < MASA_AUTH_MAX_FAILURES; i++)
		assert_int_equal(masa_auth_check(a, NULL, NULL, peer, now, &p, &hashed, &retry),
		    MASA_E_UNAUTHENTICATED);
}

/* The result of one tokenless attempt from peer. */
static enum masa_err
attempt(struct masa_auth *a, const char *peer, int64_t now)
{
	struct masa_principal p;
	uint64_t retry = 0;
	int hashed;

	return masa_auth_check(a, NULL, NULL, peer, now, &p, &hashed, &retry);
}

/* IPv6 sources are throttled by /64, IPv4 ones by address; the lockout
 * ends after MASA_AUTH_LOCKOUT_MS. */
static void
test_source_keys(void **state)
{
	struct masa_auth *a = masa_auth_new();
	int64_t now = 1000000;

	(void)state;
	assert_non_null(a);
	lock_out(a, "2001:db8:1:2::1", now);
	assert_int_equal(attempt(a, "2001:db8:1:2::1", now), MASA_E_THROTTLED);
	assert_int_equal(attempt(a, "2001:db8:1:2:ffff::9", now), MASA_E_THROTTLED);
	assert_int_equal(attempt(a, "2001:db8:1:3::1", now), MASA_E_UNAUTHENTICATED);

	lock_out(a, "192.0.2.1", now);
	assert_int_equal(attempt(a, "192.0.2.1", now), MASA_E_THROTTLED);
	assert_int_equal(attempt(a, "192.0.2.2", now), MASA_E_UNAUTHENTICATED);

	now += MASA_AUTH_LOCKOUT_MS + 1;
	assert_int_equal(attempt(a, "2001:db8:1:2::5", now), MASA_E_UNAUTHENTICATED);
	assert_int_equal(attempt(a, "192.0.2.1", now), MASA_E_UNAUTHENTICATED);
	masa_auth_free(a);
}

/* Security review F4: a table full of locked sources never refuses a
 * source it has not seen fail, and the locks it holds stay. */
static void
test_full_table_fails_open(void **state)
{
	struct masa_auth *a = masa_auth_new();
	int64_t now = 5000000;
	char peer[32];
	int i, locked = 0;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < 10000; i++) {
		snprintf(peer, sizeof peer, "10.%d.%d.1", i / 256, i % 256);
		lock_out(a, peer, now);
	}
	for (i = 0; i < 10000; i++) {
		snprintf(peer, sizeof peer, "10.%d.%d.1", i / 256, i % 256);
		locked += attempt(a, peer, now) == MASA_E_THROTTLED;
	}
	assert_true(locked >= 2048);	/* most of the table's 4,096 slots hold a lock */
	assert_int_equal(attempt(a, "192.0.2.77", now), MASA_E_UNAUTHENTICATED);
	assert_int_equal(attempt(a, "2001:db8:77::1", now), MASA_E_UNAUTHENTICATED);
	masa_auth_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_keys),
		cmocka_unit_test(test_full_table_fails_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
