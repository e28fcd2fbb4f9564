/*
 * test_cbor_diag.c: common/cbor/cbor_diag: diagnostic notation against the
 * RFC 8949 Appendix A examples, escaping and float edge cases, embedded
 * CBOR (<<..>>) and the output maximum.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "cbor/cbor_diag.h"
#include "cbor/cbor_read.h"

static const struct masa_cbor_limits lim = { 8, 512, 64 };

struct diag_case {
	const char *hex;
	const char *want;
};

/* Decodes hex under l, renders it into a buffer of at most max bytes and
 * fails the test unless the result is want_rc and (on success) want. */
static void
check(const char *hex, const struct masa_cbor_limits *l, int embed, size_t max,
    enum masa_err want_rc, const char *want)
{
	uint8_t bin[256];
	struct masa_bytes b = { bin, tu_unhex(hex, bin, sizeof bin) };
	struct masa_cbor c;
	struct masa_buf out;
	enum masa_err rc;
	char msg[512] = "";

	masa_buf_init(&out, max);
	rc = masa_cbor_decode(b, l, &c);
	if (rc != MASA_OK) {
		snprintf(msg, sizeof msg, "%s: decode failed (%d)", hex, rc);
		goto done;
	}
	rc = masa_cbor_diag(&c, l, embed, &out);
	if (rc != want_rc)
		snprintf(msg, sizeof msg, "%s (embed %d, max %zu): got %d, want %d",
		    hex, embed, max, rc, want_rc);
	else if (rc == MASA_OK && (out.ptr == NULL || strlen((const char *)out.ptr) != out.len ||
	    strcmp((const char *)out.ptr, want) != 0))
		snprintf(msg, sizeof msg, "%s (embed %d): got <%s>, want <%s>", hex, embed,
		    out.ptr != NULL ? (const char *)out.ptr : "(null)", want);
	else if (rc != MASA_OK && out.len != 0)
		snprintf(msg, sizeof msg, "%s: %zu bytes left behind on failure", hex, out.len);
done:
	masa_buf_free(&out);
	if (msg[0] != '\0')
		fail_msg("%s", msg);
}

/* Every RFC 8949 Appendix A example that this reader accepts (no
 * indefinite lengths, undefined, other simple values or bignums), with
 * the exact diagnostic text of the table, except that Appendix A writes
 * non-ASCII text as \u escapes ("\u00fc") where masa prints the UTF-8.
 * Embedding changes none of them: 23(h'01020304') and 24(h'6449455446')
 * hold no array, map or tag. */
static void
test_appendix_a(void **state)
{
	static const struct diag_case cases[] = {
		{ "00", "0" }, { "01", "1" }, { "0a", "10" }, { "17", "23" },
		{ "1818", "24" }, { "1819", "25" }, { "1864", "100" },
		{ "1903e8", "1000" }, { "1a000f4240", "1000000" },
		{ "1b000000e8d4a51000", "1000000000000" },
		{ "1bffffffffffffffff", "18446744073709551615" },
		{ "3bffffffffffffffff", "-18446744073709551616" },
		{ "20", "-1" }, { "29", "-10" }, { "3863", "-100" }, { "3903e7", "-1000" },
		{ "f90000", "0.0" }, { "f98000", "-0.0" }, { "f93c00", "1.0" },
		{ "fb3ff199999999999a", "1.1" }, { "f93e00", "1.5" },
		{ "f97bff", "65504.0" }, { "fa47c35000", "100000.0" },
		{ "fa7f7fffff", "3.4028234663852886e+38" },
		{ "fb7e37e43c8800759c", "1.0e+300" },
		{ "f90001", "5.960464477539063e-8" },
		{ "f90400", "0.00006103515625" },
		{ "f9c400", "-4.0" }, { "fbc010666666666666", "-4.1" },
		{ "f97c00", "Infinity" }, { "f97e00", "NaN" }, { "f9fc00", "-Infinity" },
		{ "fa7f800000", "Infinity" }, { "fa7fc00000", "NaN" },
		{ "faff800000", "-Infinity" },
		{ "fb7ff0000000000000", "Infinity" }, { "fb7ff8000000000000", "NaN" },
		{ "fbfff0000000000000", "-Infinity" },
		{ "f4", "false" }, { "f5", "true" }, { "f6", "null" },
		{ "c074323031332d30332d32315432303a30343a30305a",
		    "0(\"2013-03-21T20:04:00Z\")" },
		{ "c11a514b67b0", "1(1363896240)" },
		{ "c1fb41d452d9ec200000", "1(1363896240.5)" },
		{ "d74401020304", "23(h'01020304')" },
		{ "d818456449455446", "24(h'6449455446')" },
		{ "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
		    "32(\"http://www.example.com\")" },
		{ "40", "h''" }, { "4401020304", "h'01020304'" },
		{ "60", "\"\"" }, { "6161", "\"a\"" }, { "6449455446", "\"IETF\"" },
		{ "62225c", "\"\\\"\\\\\"" },
		{ "62c3bc", "\"\xc3\xbc\"" },			/* "ü" */
		{ "63e6b0b4", "\"\xe6\xb0\xb4\"" },		/* "水" */
		{ "64f0908591", "\"\xf0\x90\x85\x91\"" },	/* U+10151 */
		{ "80", "[]" }, { "83010203", "[1, 2, 3]" },
		{ "8301820203820405", "[1, [2, 3], [4, 5]]" },
		{ "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
		    "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, "
		    "19, 20, 21, 22, 23, 24, 25]" },
		{ "a0", "{}" }, { "a201020304", "{1: 2, 3: 4}" },
		{ "a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}" },
		{ "826161a161626163", "[\"a\", {\"b\": \"c\"}]" },
		{ "a56161614161626142616361436164614461656145",
		    "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check(cases[i].hex, &lim, 0, 4096, MASA_OK, cases[i].want);
		check(cases[i].hex, &lim, 1, 4096, MASA_OK, cases[i].want);
	}
}

/* Escapes, integer extremes and float layout boundaries beyond Appendix A. */
static void
test_edge_cases(void **state)
{
	static const struct diag_case cases[] = {
		{ "6401091f7f", "\"\\u0001\\u0009\\u001f\\u007f\"" },
		{ "6461225c62", "\"a\\\"\\\\b\"" },
		{ "1b7fffffffffffffff", "9223372036854775807" },
		{ "3b7fffffffffffffff", "-9223372036854775808" },
		{ "3bfffffffffffffffe", "-18446744073709551615" },
		{ "fa3dcccccd", "0.10000000149011612" },
		{ "fb3fb999999999999a", "0.1" },
		{ "fb3eb0c6f7a0b5ed8d", "0.000001" },
		{ "fb3e7ad7f29abcaf48", "1.0e-7" },
		{ "fb4415af1d78b58c40", "100000000000000000000.0" },
		{ "fb444b1ae4d6e2ef50", "1.0e+21" },
		{ "fb0000000000000001", "5.0e-324" },
		{ "fb7fefffffffffffff", "1.7976931348623157e+308" },
		{ "f903ff", "0.00006097555160522461" },
		{ "f97e01", "NaN" },
		{ "fbfff8000000000001", "NaN" },
		{ "f90014", "0.0000011920928955078125" },	/* float bits 20 */
		{ "d2840102a0f6", "18([1, 2, {}, null])" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check(cases[i].hex, &lim, 0, 4096, MASA_OK, cases[i].want);
}

/* <<..>> only with embed set, only for arrays, maps and tags, nested
 * embeddings included, and only within the depth the limits leave. */
static void
test_embedded(void **state)
{
	static const struct masa_cbor_limits shallow = { 2, 512, 64 };
	static const struct masa_cbor_limits three = { 3, 512, 64 };
	static const struct {
		const char *hex;
		const struct masa_cbor_limits *l;
		int embed;
		const char *want;
	} cases[] = {
		{ "43a10102", &lim, 1, "<<{1: 2}>>" },
		{ "43a10102", &lim, 0, "h'a10102'" },
		{ "8143a10102", &lim, 1, "[<<{1: 2}>>]" },
		{ "458143a10102", &lim, 1, "<<[<<{1: 2}>>]>>" },
		{ "458143a10102", &lim, 0, "h'8143a10102'" },
		{ "44c1820102", &lim, 1, "<<1([1, 2])>>" },
		{ "4101", &lim, 1, "h'01'" },			/* bare integer */
		{ "42f5f5", &lim, 1, "h'f5f5'" },		/* two items */
		{ "41f5", &lim, 1, "h'f5'" },			/* simple */
		{ "43626364", &lim, 1, "h'626364'" },		/* the text "cd" */
		{ "4281ff", &lim, 1, "h'81ff'" },		/* not well-formed */
		{ "40", &lim, 1, "h''" },
		{ "8143818100", &shallow, 1, "[h'818100']" },	/* would nest 3 deep */
		{ "8143818100", &three, 1, "[<<[[0]]>>]" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check(cases[i].hex, cases[i].l, cases[i].embed, 4096, MASA_OK, cases[i].want);
}

/* Every maximum short of the full text fails with MASA_E_TOO_LARGE and
 * leaves the buffer empty; the exact length succeeds. */
static void
test_too_large(void **state)
{
	static const struct diag_case cases[] = {
		{ "8301820203820405", "[1, [2, 3], [4, 5]]" },
		{ "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
		    "32(\"http://www.example.com\")" },
		{ "5828"
		    "00000000000000000000000000000000000000000000000000000000000000000000000000000000",
		    "h'00000000000000000000000000000000000000000000000000000000000000000000000000000000'" },
		{ "6401091f7f", "\"\\u0001\\u0009\\u001f\\u007f\"" },
		{ "fa7f7fffff", "3.4028234663852886e+38" },
		{ "458143a10102", "<<[<<{1: 2}>>]>>" },
	};
	size_t i, max, len;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		len = strlen(cases[i].want);
		for (max = 0; max < len; max++)
			check(cases[i].hex, &lim, 1, max, MASA_E_TOO_LARGE, NULL);
		check(cases[i].hex, &lim, 1, len, MASA_OK, cases[i].want);
	}
}

/* Text is appended to what the buffer holds, which a failure keeps. */
static void
test_appends(void **state)
{
	static const uint8_t item[] = { 0x82, 0x01, 0x02 };
	struct masa_bytes b = { item, sizeof item };
	struct masa_buf out;
	struct masa_cbor c;

	(void)state;
	assert_int_equal(masa_cbor_decode(b, &lim, &c), MASA_OK);
	masa_buf_init(&out, 10);
	assert_int_equal(masa_buf_append(&out, "x=", 2), MASA_OK);
	assert_int_equal(masa_cbor_diag(&c, &lim, 0, &out), MASA_OK);
	assert_string_equal((const char *)out.ptr, "x=[1, 2]");
	assert_int_equal(masa_cbor_diag(&c, &lim, 0, &out), MASA_E_TOO_LARGE);
	assert_string_equal((const char *)out.ptr, "x=[1, 2]");
	masa_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appendix_a),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
