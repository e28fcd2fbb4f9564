/*
 * test_negotiate.c: masa/negotiate.c and common/http/mediatype.c (which
 * request types are read and which answer an Accept gets), and RFC 3339
 * parsing from common/timeutil.c.
 */
#include "testutil.h"

#include <string.h>

#include "negotiate.h"
#include "timeutil.h"

static void
test_negotiation_table(void **state)
{
	static const struct {
		const char *ctype, *accept;
		enum masa_err want;
		const char *type, *multipart;
	} rows[] = {
		{ "application/voucher+cose", NULL, MASA_OK, "application/voucher+cose", NULL },
		{ "application/voucher-cose+cbor", NULL, MASA_OK, "application/voucher-cose+cbor", NULL },
		{ "Application/Voucher+COSE ; x=1", NULL, MASA_OK, "application/voucher+cose", NULL },
		{ "application/voucher-cose+cbor", "*/*", MASA_OK, "application/voucher-cose+cbor", NULL },
		{ "application/voucher-cose+cbor", "application/voucher+cose", MASA_OK, "application/voucher+cose", NULL },
		{ "application/voucher+cose", "multipart/related", MASA_OK, "application/voucher+cose", "multipart/related" },
		{ "application/voucher+cose", "multipart/mixed, */*;q=0.1", MASA_OK, "application/voucher+cose", "multipart/mixed" },
		{ "application/voucher+cose", "multipart/related;q=0, application/voucher+cose", MASA_OK, "application/voucher+cose", NULL },
		{ "application/voucher+cose", "application/json;q=1, */*;q=0.5", MASA_OK, "application/voucher+cose", NULL },
		{ "application/voucher+cose", "", MASA_OK, "application/voucher+cose", NULL },
		{ "application/voucher+cose", "application/voucher-cms+json", MASA_OK, "application/voucher-cms+json", NULL },
		{ "application/voucher+cose", "application/voucher-jws+json", MASA_OK, "application/voucher-jws+json", NULL },
		{ "application/voucher+cose", "text/plain", MASA_E_NOT_ACCEPTABLE, NULL, NULL },
		{ "application/voucher-cms+json", NULL, MASA_OK, "application/voucher-cms+json", NULL },
		{ "application/voucher-cms+json", "*/*", MASA_OK, "application/voucher-cms+json", NULL },
		{ "application/voucher-cms+json", "application/voucher+cose", MASA_OK, "application/voucher+cose", NULL },
		{ "application/voucher-cms+json", "application/pkcs7-mime", MASA_OK,
		  "application/pkcs7-mime; smime-type=voucher", NULL },
		{ "application/pkcs7-mime; smime-type=voucher", NULL, MASA_OK,
		  "application/pkcs7-mime; smime-type=voucher", NULL },
		{ "application/pkcs7-mime; smime-type=voucher", "application/voucher-cms+json", MASA_OK,
		  "application/voucher-cms+json", NULL },
		{ "application/voucher-jws+json", NULL, MASA_OK, "application/voucher-jws+json", NULL },
		{ "application/voucher-jws+json", "application/voucher-cms+json;q=0.5, application/voucher-jws+json",
		  MASA_OK, "application/voucher-jws+json", NULL },
		{ "application/voucher-jws+json", "multipart/mixed", MASA_OK, "application/voucher-jws+json",
		  "multipart/mixed" },
		{ "application/voucher+cose", "application/voucher+cose;q=0, */*;q=0.1", MASA_OK,
		  "application/voucher-cose+cbor", NULL },
		{ "application/voucher+cose", "application/voucher+cose;q=0, application/voucher-cose+cbor;q=0, */*",
		  MASA_OK, "application/voucher-cms+json", NULL },
		{ "application/voucher+cose", "application/voucher+cose;q=0, application/voucher-cose+cbor;q=0, "
		  "application/voucher-cms+json;q=0, application/pkcs7-mime;q=0, application/voucher-jws+json;q=0, */*",
		  MASA_OK, "application/voucher+cose", "multipart/related" },
		{ "application/voucher+cose", "multipart/*;q=0.9, */*;q=0.5", MASA_OK,
		  "application/voucher+cose", "multipart/related" },
		{ "application/voucher+cose", "*/*;q=0.5, application/voucher-cose+cbor;q=0.6", MASA_OK,
		  "application/voucher-cose+cbor", NULL },
		/* Fountain (AnimaGUS-minerva/fountain, app/models/voucher_request.rb
		 * get_voucher: Net::HTTP's default Accept plus add_field) sends the
		 * wildcard first: at equal q the specific range wins (issue 15). */
		{ "application/voucher-cose+cbor", "*/*, multipart/mixed", MASA_OK,
		  "application/voucher-cose+cbor", "multipart/mixed" },
		{ "application/voucher+cose", "*/*, application/voucher-cose+cbor", MASA_OK,
		  "application/voucher-cose+cbor", NULL },
		{ "application/voucher+cose", "*/*, multipart/*", MASA_OK,
		  "application/voucher+cose", "multipart/related" },
		{ "application/voucher+cose", "*/*, multipart/mixed;q=0.9", MASA_OK,
		  "application/voucher+cose", NULL },
		{ "application/voucher+cose", "*/*;q=0", MASA_E_NOT_ACCEPTABLE, NULL, NULL },
		{ "application/voucher+cose", "a/b;q=nonsense", MASA_E_ACCEPT, NULL, NULL },
		{ "application/voucher+cose", "a/b;q=1.5", MASA_E_ACCEPT, NULL, NULL },
		{ "application/voucher+cose", "noslash", MASA_E_ACCEPT, NULL, NULL },
		{ "application/voucher+cose", "a/b c/d", MASA_E_ACCEPT, NULL, NULL },
		{ NULL, NULL, MASA_E_MEDIA_TYPE, NULL, NULL },
		{ "application/json", NULL, MASA_E_MEDIA_TYPE, NULL, NULL },
		{ "application/cose", NULL, MASA_E_MEDIA_TYPE, NULL, NULL },
		{ "application/voucher+cose;", NULL, MASA_E_MEDIA_TYPE, NULL, NULL },
		{ "application/voucher+cose extra", NULL, MASA_E_MEDIA_TYPE, NULL, NULL },
	};
	struct masa_answer a;
	enum masa_err rc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rc = masa_negotiate(rows[i].ctype, rows[i].accept, &a);
		if (rc != rows[i].want)
			fail_msg("row %zu (%s | %s): %d, want %d", i, rows[i].ctype, rows[i].accept,
			    rc, rows[i].want);
		if (rc != MASA_OK)
			continue;
		if (strcmp(a.voucher_type, rows[i].type) != 0 ||
		    (a.multipart == NULL) != (rows[i].multipart == NULL) ||
		    (a.multipart != NULL && strcmp(a.multipart, rows[i].multipart) != 0))
			fail_msg("row %zu (%s | %s): %s %s, want %s %s", i, rows[i].ctype,
			    rows[i].accept, a.voucher_type, a.multipart ? a.multipart : "(single)",
			    rows[i].type, rows[i].multipart ? rows[i].multipart : "(single)");
	}
}

/* Names at and past the buffer's size, in both headers, are refused or
 * accepted without writing out of bounds (ASan watches). */
static void
test_name_lengths(void **state)
{
	char v[300];
	struct masa_answer a;
	size_t n;

	(void)state;
	for (n = 90; n < 100; n++) {
		memset(v, 'a', n);
		strcpy(v + n, "/");
		assert_int_equal(masa_negotiate(v, NULL, &a), MASA_E_MEDIA_TYPE);
		strcpy(v + n, "/b");
		assert_int_equal(masa_negotiate(v, NULL, &a), MASA_E_MEDIA_TYPE);
		assert_int_equal(masa_negotiate("application/voucher+cose", v, &a) != MASA_OK ||
		    a.voucher_type != NULL, 1);
	}
}

/* Too many ranges, or a header longer than the limit, are refused. */
static void
test_accept_limits(void **state)
{
	char big[2048];
	struct masa_answer a;
	size_t i;

	(void)state;
	big[0] = '\0';
	for (i = 0; i < 17; i++)
		strcat(big, "a/b, ");
	assert_int_equal(masa_negotiate("application/voucher+cose", big, &a), MASA_E_ACCEPT);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[5] = '/';
	assert_int_equal(masa_negotiate("application/voucher+cose", big, &a), MASA_E_ACCEPT);
}

static void
test_rfc3339(void **state)
{
	static const struct { const char *s; int ok; int64_t ms; } rows[] = {
		{ "2022-12-06T20:04:15.754Z", 1, 1670357055754LL },
		{ "2022-12-06T20:04:15Z", 1, 1670357055000LL },
		{ "2022-12-06t20:04:15z", 1, 1670357055000LL },
		{ "2022-12-06T21:04:15+01:00", 1, 1670357055000LL },
		{ "2022-12-06T19:34:15.5-00:30", 1, 1670357055500LL },
		{ "1970-01-01T00:00:00Z", 1, 0 },
		{ "2022-12-06 20:04:15Z", 0, 0 },
		{ "2022-12-06T20:04:15", 0, 0 },
		{ "2022-13-06T20:04:15Z", 0, 0 },
		{ "2022-12-32T20:04:15Z", 0, 0 },
		{ "2022-12-06T24:04:15Z", 0, 0 },
		{ "2022-12-06T20:04:15.Z", 0, 0 },
		{ "2022-12-06T20:04:15+0100", 0, 0 },
		{ "2022-12-06T20:04:15Zjunk", 0, 0 },
		{ "2023-02-29T00:00:00Z", 0, 0 },
		{ "2024-02-29T00:00:00Z", 1, 1709164800000LL },
		{ "1900-02-29T00:00:00Z", 0, 0 },
		{ "2016-12-31T23:59:60Z", 1, 1483228799000LL },
		{ "2016-12-31T12:00:60Z", 0, 0 },
		{ "1969-12-31T23:59:59Z", 1, -1000 },
		{ "", 0, 0 },
	};
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int r = masa_rfc3339_parse(rows[i].s, strlen(rows[i].s), &ms);

		if ((r == 0) != rows[i].ok || (rows[i].ok && ms != rows[i].ms))
			fail_msg("%s: %d %lld", rows[i].s, r, (long long)ms);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation_table),
		cmocka_unit_test(test_accept_limits),
		cmocka_unit_test(test_name_lengths),
		cmocka_unit_test(test_rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
