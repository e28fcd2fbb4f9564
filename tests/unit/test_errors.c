/* test_errors.c: masa/errors.c, the table from enum masa_err to name,
 * HTTP status and public message, and the numbers of common/err.h. */
#include "testutil.h"

#include <string.h>

#include "errors.h"

/* Every code with the number it must keep forever, and its identifier. */
#define CODE(c, n) { c, n, #c }
static const struct {
	enum masa_err rc;
	int number;
	const char *ident;
} codes[] = {
	CODE(MASA_OK, 0),
	CODE(MASA_E_INTERNAL, 1),
	CODE(MASA_E_NOMEM, 2),
	CODE(MASA_E_IO, 3),
	CODE(MASA_E_STORE, 4),
	CODE(MASA_E_STORE_BUSY, 5),
	CODE(MASA_E_CRYPTO, 6),
	CODE(MASA_E_KEY_UNAVAILABLE, 7),
	CODE(MASA_E_SHUTTING_DOWN, 8),
	CODE(MASA_E_KEY_RETIRED, 18),
	CODE(MASA_E_NO_ROUTE, 100),
	CODE(MASA_E_METHOD, 101),
	CODE(MASA_E_TOO_LARGE, 102),
	CODE(MASA_E_MEDIA_TYPE, 103),
	CODE(MASA_E_NOT_ACCEPTABLE, 104),
	CODE(MASA_E_ACCEPT, 105),
	CODE(MASA_E_FRAMING, 106),
	CODE(MASA_E_BODY, 107),
	CODE(MASA_E_MALFORMED, 200),
	CODE(MASA_E_CBOR, 201),
	CODE(MASA_E_CBOR_LIMIT, 202),
	CODE(MASA_E_CBOR_TRAILING, 203),
	CODE(MASA_E_DUPLICATE_KEY, 204),
	CODE(MASA_E_COSE, 205),
	CODE(MASA_E_COSE_CRIT, 206),
	CODE(MASA_E_VREQ, 207),
	CODE(MASA_E_PVR_MALFORMED, 208),
	CODE(MASA_E_RECORD, 209),
	CODE(MASA_E_JSON, 210),
	CODE(MASA_E_PROXY_HEADER, 211),
	CODE(MASA_E_FORWARDED, 212),
	CODE(MASA_E_CMS, 220),
	CODE(MASA_E_CMS_CONTENT_TYPE, 221),
	CODE(MASA_E_CMS_SIGNER, 222),
	CODE(MASA_E_JWS, 223),
	CODE(MASA_E_SIGNATURE, 300),
	CODE(MASA_E_ALG, 301),
	CODE(MASA_E_REGISTRAR_KEYS_DISAGREE, 302),
	CODE(MASA_E_NO_REGISTRAR_KEY, 303),
	CODE(MASA_E_PVR_SIGNATURE, 304),
	CODE(MASA_E_SERIAL_MISMATCH, 305),
	CODE(MASA_E_PROXIMITY, 306),
	CODE(MASA_E_NONCE_MISMATCH, 307),
	CODE(MASA_E_STALE, 308),
	CODE(MASA_E_PVR_MISSING, 309),
	CODE(MASA_E_NOT_RA, 310),
	CODE(MASA_E_CERT_VALIDITY, 320),
	CODE(MASA_E_UNKNOWN_DEVICE, 400),
	CODE(MASA_E_BLOCKED, 401),
	CODE(MASA_E_PINNED_ELSEWHERE, 402),
	CODE(MASA_E_NOT_OWNER, 403),
	CODE(MASA_E_RATE_LIMITED, 404),
	CODE(MASA_E_NONCELESS, 405),
	CODE(MASA_E_NET_PINNED, 406),
	CODE(MASA_E_UNAUTHENTICATED, 410),
	CODE(MASA_E_FORBIDDEN, 411),
	CODE(MASA_E_THROTTLED, 412),
	CODE(MASA_E_CONFLICT, 413),
	CODE(MASA_E_IDEVID_ISSUER, 420),
	CODE(MASA_E_RENEWAL_NOT_OURS, 421),
	CODE(MASA_E_RENEWAL_SERIAL, 422),
	CODE(MASA_E_RENEWAL_REGISTRAR, 423),
	CODE(MASA_E_RENEWAL_RELEASED, 424),
	CODE(MASA_E_PLEDGE_FORMAT, 430),
	CODE(MASA_E_PLEDGE_KEY_TYPE, 431),
	CODE(MASA_E_PLEDGE_CA_PIN, 432),
	CODE(MASA_E_PLEDGE_NONCELESS, 433),
	CODE(MASA_E_USAGE, 500),
	CODE(MASA_E_CONFIG, 501),
	CODE(MASA_E_FILE_PERM, 502),
	CODE(MASA_E_EXISTS, 503),
	CODE(MASA_E_KEY, 504),
	CODE(MASA_E_STORE_SETTINGS, 505),
	CODE(MASA_E_SCHEMA, 506),
	CODE(MASA_E_NOT_FOUND, 507),
};
#define NCODES (sizeof codes / sizeof codes[0])

/* A public message is one sentence on one line, ending with a full stop. */
static void
assert_one_line_sentence(const char *msg)
{
	size_t n;

	assert_non_null(msg);
	n = strlen(msg);
	assert_true(n >= 2);
	assert_null(strchr(msg, '\n'));
	assert_null(strchr(msg, '\r'));
	assert_int_equal(msg[n - 1], '.');
}

/* Proves no code has been renumbered (err.h: numbers are never reused). */
static void
test_numbers_are_pinned(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCODES; i++)
		if ((int)codes[i].rc != codes[i].number)
			fail_msg("%s is %d, must be %d", codes[i].ident, (int)codes[i].rc,
			    codes[i].number);
}

/* Proves every code has its own name, an HTTP status and a one-line message. */
static void
test_every_code_has_name_status_message(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCODES; i++) {
		const char *name = masa_err_name(codes[i].rc);

		assert_non_null(name);
		assert_int_equal(strncmp(name, "MASA_", 5), 0);
		assert_string_equal(name, codes[i].ident);
		assert_in_range(masa_err_status(codes[i].rc), 200, 599);
		assert_one_line_sentence(masa_err_message(codes[i].rc));
	}
}

/* Proves the error table knows no code this test does not pin (a new code
 * must be added above, with its number). */
static void
test_no_unpinned_codes(void **state)
{
	int v;
	size_t i;

	(void)state;
	for (v = 0; v < 1000; v++) {
		if (strcmp(masa_err_name((enum masa_err)v), "MASA_E_UNKNOWN") == 0)
			continue;
		for (i = 0; i < NCODES && codes[i].number != v; i++)
			;
		if (i == NCODES)
			fail_msg("code %d (%s) is not pinned here", v, masa_err_name((enum masa_err)v));
	}
}

/* Proves the statuses the HTTP layer relies on. */
static void
test_http_statuses(void **state)
{
	static const struct {
		enum masa_err rc;
		unsigned status;
	} want[] = {
		{ MASA_OK, 200 },
		{ MASA_E_NO_ROUTE, 404 },
		{ MASA_E_METHOD, 405 },
		{ MASA_E_TOO_LARGE, 413 },
		{ MASA_E_MEDIA_TYPE, 415 },
		{ MASA_E_NOT_ACCEPTABLE, 406 },
		{ MASA_E_PLEDGE_FORMAT, 406 },
		{ MASA_E_PLEDGE_KEY_TYPE, 406 },
		{ MASA_E_PLEDGE_CA_PIN, 406 },
		{ MASA_E_PLEDGE_NONCELESS, 406 },
		{ MASA_E_CERT_VALIDITY, 403 },
		{ MASA_E_FRAMING, 400 },
		{ MASA_E_BODY, 413 },
		{ MASA_E_STORE, 503 },
		{ MASA_E_STORE_BUSY, 503 },
		{ MASA_E_INTERNAL, 500 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		if (masa_err_status(want[i].rc) != want[i].status)
			fail_msg("%s maps to %u, want %u", masa_err_name(want[i].rc),
			    masa_err_status(want[i].rc), want[i].status);
}

/* Proves the classes err.h promises: 200..299 are 400, 300..399 are 403. */
static void
test_status_classes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCODES; i++) {
		unsigned want = codes[i].number / 100 == 2 ? 400 : codes[i].number / 100 == 3 ? 403 : 0;

		if (want != 0 && masa_err_status(codes[i].rc) != want)
			fail_msg("%s maps to %u, want %u", codes[i].ident,
			    masa_err_status(codes[i].rc), want);
	}
}

/* Proves an unknown code is reported as an internal error, never as success. */
static void
test_unknown_code(void **state)
{
	enum masa_err rc = (enum masa_err)9999;

	(void)state;
	assert_int_equal(masa_err_status(rc), 500);
	assert_string_equal(masa_err_name(rc), "MASA_E_UNKNOWN");
	assert_one_line_sentence(masa_err_message(rc));
	assert_string_not_equal(masa_err_message(rc), masa_err_message(MASA_OK));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_are_pinned),
		cmocka_unit_test(test_every_code_has_name_status_message),
		cmocka_unit_test(test_no_unpinned_codes),
		cmocka_unit_test(test_http_statuses),
		cmocka_unit_test(test_status_classes),
		cmocka_unit_test(test_unknown_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
