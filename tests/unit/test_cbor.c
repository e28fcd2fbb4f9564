/*
 * test_cbor.c: common/cbor: the bounded reader against a table of
 * malformed and limit-breaking inputs, and the writer against RFC 8949
 * Appendix A known answers (read back through the reader).
 */
#include "testutil.h"

#include <string.h>

#include "cbor/cbor_read.h"
#include "cbor/cbor_write.h"

static const struct masa_cbor_limits lim = { 8, 512, 64 };

/* Decodes hex with the test limits. */
static enum masa_err
decode_hex(const char *hex, struct masa_cbor *out)
{
	static uint8_t buf[4096];
	struct masa_bytes b = { buf, tu_unhex(hex, buf, sizeof buf) };

	return masa_cbor_decode(b, &lim, out);
}

/* Each malformation is refused with its own error, never a crash. */
static void
test_malformed_table(void **state)
{
	static const struct {
		const char *hex;
		enum masa_err want;
		const char *why;
	} cases[] = {
		{ "", MASA_E_CBOR, "empty input" },
		{ "18", MASA_E_CBOR, "uint8 head without its byte" },
		{ "1b 00 00 00", MASA_E_CBOR, "uint64 head cut short" },
		{ "1c", MASA_E_CBOR, "reserved additional information 28" },
		{ "1e", MASA_E_CBOR, "reserved additional information 30" },
		{ "5f 41 00 ff", MASA_E_CBOR, "indefinite-length byte string" },
		{ "9f 01 ff", MASA_E_CBOR, "indefinite-length array" },
		{ "bf ff", MASA_E_CBOR, "indefinite-length map" },
		{ "ff", MASA_E_CBOR, "stray break" },
		{ "f7", MASA_E_CBOR, "undefined" },
		{ "f8 20", MASA_E_CBOR, "one-byte simple value" },
		{ "e0", MASA_E_CBOR, "unassigned simple value 0" },
		{ "00 00", MASA_E_CBOR_TRAILING, "trailing byte" },
		{ "a1 01 02 00", MASA_E_CBOR_TRAILING, "trailing byte after a map" },
		{ "45 01 02", MASA_E_CBOR, "byte string longer than the input" },
		{ "5b ff ff ff ff ff ff ff ff", MASA_E_CBOR, "2^64-1 byte string header" },
		{ "7a 7f ff ff ff 61", MASA_E_CBOR, "huge text string header" },
		{ "9b 00 00 00 00 ff ff ff ff", MASA_E_CBOR_LIMIT, "2^32 element array header" },
		{ "bb 7f ff ff ff ff ff ff ff", MASA_E_CBOR_LIMIT, "2^63 pair map header" },
		{ "98 20 00", MASA_E_CBOR, "32 elements announced, one present" },
		{ "a2 01 02 03", MASA_E_CBOR, "map missing its last value" },
		{ "81 81 81 81 81 81 81 81 81 00", MASA_E_CBOR_LIMIT, "nesting 9 deep" },
		{ "c6 c6 c6 c6 c6 c6 c6 c6 c6 00", MASA_E_CBOR_LIMIT, "tags nested 9 deep" },
		{ "62 c3 28", MASA_E_CBOR, "invalid UTF-8 continuation" },
		{ "62 c0 80", MASA_E_CBOR, "overlong UTF-8" },
		{ "63 ed a0 80", MASA_E_CBOR, "UTF-8 surrogate" },
		{ "64 f4 90 80 80", MASA_E_CBOR, "code point above U+10FFFF" },
		{ "d2", MASA_E_CBOR, "tag without content" },
	};
	struct masa_cbor c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum masa_err rc = decode_hex(cases[i].hex, &c);

		if (rc != cases[i].want)
			fail_msg("%s (%s): got %d, want %d", cases[i].why, cases[i].hex, rc, cases[i].want);
	}
}

/* Well-formed inputs at the limits are accepted. */
static void
test_accepts_limits(void **state)
{
	static const char *ok[] = {
		"81 81 81 81 81 81 81 81 00",	/* exactly 8 deep */
		"fa 3f 80 00 00",		/* a float */
		"f4", "f5", "f6",
		"d2 84 40 a0 40 40",		/* tag 18 around an array */
		"64 f0 9f 98 80",		/* 4-byte UTF-8 */
		"a2 01 02 63 61 62 63 f5",
	};
	struct masa_cbor c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (decode_hex(ok[i], &c) != MASA_OK)
			fail_msg("refused %s", ok[i]);
}

/* The item budget covers the whole input, not just one container. */
static void
test_item_budget(void **state)
{
	static uint8_t buf[2048];
	struct masa_cbor_limits small = { 8, 100, 64 };
	struct masa_cbor c;
	size_t i, n = 0;

	(void)state;
	/* 10 arrays of 10 zeros: 111 items. */
	buf[n++] = 0x8a;
	for (i = 0; i < 10; i++) {
		buf[n++] = 0x8a;
		memset(buf + n, 0, 10);
		n += 10;
	}
	assert_int_equal(masa_cbor_decode((struct masa_bytes){ buf, n }, &small, &c),
	    MASA_E_CBOR_LIMIT);
	small.max_items = 111;
	assert_int_equal(masa_cbor_decode((struct masa_bytes){ buf, n }, &small, &c), MASA_OK);
}

/* Iteration yields each child with its raw span; maps alternate key, value. */
static void
test_iterate_map(void **state)
{
	struct masa_cbor m, k, v;
	struct masa_cbor_iter it;
	int64_t x;

	(void)state;
	assert_int_equal(decode_hex("a2 01 43 61 62 63 38 63 64 74 65 78 74", &m), MASA_OK);
	assert_int_equal(m.type, MASA_CBOR_MAP);
	assert_int_equal(m.arg, 2);
	masa_cbor_iter_init(&m, &it);
	assert_true(masa_cbor_iter_next(&it, &k) && masa_cbor_iter_next(&it, &v));
	assert_int_equal(masa_cbor_int(&k, &x), MASA_OK);
	assert_int_equal(x, 1);
	assert_int_equal(v.type, MASA_CBOR_BSTR);
	assert_memory_equal(v.str.ptr, "abc", 3);
	assert_true(masa_cbor_iter_next(&it, &k) && masa_cbor_iter_next(&it, &v));
	assert_int_equal(masa_cbor_int(&k, &x), MASA_OK);
	assert_int_equal(x, -100);
	assert_true(masa_cbor_is_text(&v, "text"));
	assert_false(masa_cbor_is_text(&v, "tex"));
	assert_false(masa_cbor_iter_next(&it, &k));
}

/* RFC 8949 Appendix A: the writer's bytes, and the reader agrees. */
static void
test_writer_known_answers(void **state)
{
	static const struct {
		int64_t v;
		const char *hex;
	} ints[] = {
		{ 0, "00" }, { 23, "17" }, { 24, "18 18" }, { 100, "18 64" }, { 1000, "19 03 e8" },
		{ 1000000, "1a 00 0f 42 40" }, { 1000000000000, "1b 00 00 00 e8 d4 a5 10 00" },
		{ -1, "20" }, { -10, "29" }, { -100, "38 63" }, { -1000, "39 03 e7" },
	};
	uint8_t want[32];
	struct masa_buf b;
	struct masa_cbor_writer w;
	struct masa_cbor c;
	int64_t back;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		masa_buf_init(&b, 64);
		masa_cbor_writer_init(&w, &b);
		masa_cbor_put_int(&w, ints[i].v);
		assert_int_equal(masa_cbor_writer_done(&w), MASA_OK);
		n = tu_unhex(ints[i].hex, want, sizeof want);
		assert_int_equal(b.len, n);
		assert_memory_equal(b.ptr, want, n);
		assert_int_equal(masa_cbor_decode(masa_buf_view(&b), &lim, &c), MASA_OK);
		assert_int_equal(masa_cbor_int(&c, &back), MASA_OK);
		assert_true(back == ints[i].v);
		masa_buf_free(&b);
	}
	/* {1: h'01020304', 2: ["IETF", true, false]} and tag 18 */
	masa_buf_init(&b, 64);
	masa_cbor_writer_init(&w, &b);
	masa_cbor_put_tag(&w, 18);
	masa_cbor_put_map(&w, 2);
	masa_cbor_put_uint(&w, 1);
	masa_cbor_put_bstr(&w, (struct masa_bytes){ (const uint8_t *)"\x01\x02\x03\x04", 4 });
	masa_cbor_put_uint(&w, 2);
	masa_cbor_put_array(&w, 3);
	masa_cbor_put_tstr(&w, "IETF", 4);
	masa_cbor_put_bool(&w, 1);
	masa_cbor_put_bool(&w, 0);
	assert_int_equal(masa_cbor_writer_done(&w), MASA_OK);
	n = tu_unhex("d2 a2 01 44 01 02 03 04 02 83 64 49 45 54 46 f5 f4", want, sizeof want);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.ptr, want, n);
	masa_buf_free(&b);
}

/* A writer past its buffer's maximum fails once and stays failed. */
static void
test_writer_sticky_error(void **state)
{
	struct masa_buf b;
	struct masa_cbor_writer w;

	(void)state;
	masa_buf_init(&b, 4);
	masa_cbor_writer_init(&w, &b);
	masa_cbor_put_tstr(&w, "too long", 8);
	masa_cbor_put_uint(&w, 1);
	assert_int_equal(masa_cbor_writer_done(&w), MASA_E_TOO_LARGE);
	masa_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_accepts_limits),
		cmocka_unit_test(test_item_budget),
		cmocka_unit_test(test_iterate_map),
		cmocka_unit_test(test_writer_known_answers),
		cmocka_unit_test(test_writer_sticky_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
