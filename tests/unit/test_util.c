/* test_util.c: common/bytes.c, encode.c, fsutil.c, netaddr.c, timeutil.c,
 * and API tokens (masa/tokens.c). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include <argon2.h>

#include "bytes.h"
#include "encode.h"
#include "fsutil.h"
#include "netaddr.h"
#include "timeutil.h"
#include "apitoken.h"
#include "utf8.h"

/* Asserts that b holds exactly text, followed by a NUL. */
static void
assert_buf(const struct masa_buf *b, const char *text)
{
	size_t n = strlen(text);

	assert_int_equal(b->len, n);
	assert_true(b->cap > n);
	assert_memory_equal(b->ptr, text, n);
	assert_int_equal(b->ptr[n], '\0');
}

/* Proves a buffer grows up to its maximum, refuses past it unchanged, keeps a NUL. */
static void
test_buf_max(void **state)
{
	static const char big[600] = "0123456789";
	struct masa_buf b;

	(void)state;
	masa_buf_init(&b, 8);
	assert_int_equal(masa_buf_append(&b, "abcde", 5), MASA_OK);
	assert_buf(&b, "abcde");
	assert_int_equal(masa_buf_append(&b, "fghi", 4), MASA_E_TOO_LARGE);
	assert_buf(&b, "abcde");
	assert_int_equal(masa_buf_append(&b, "fgh", 3), MASA_OK);
	assert_buf(&b, "abcdefgh");
	assert_int_equal(masa_buf_append(&b, "", 0), MASA_OK);
	assert_int_equal(masa_buf_append(&b, "i", 1), MASA_E_TOO_LARGE);
	assert_buf(&b, "abcdefgh");
	assert_int_equal(masa_buf_append(&b, big, SIZE_MAX), MASA_E_TOO_LARGE);
	assert_buf(&b, "abcdefgh");
	masa_buf_free(&b);
	assert_null(b.ptr);
	assert_int_equal(b.len, 0);

	masa_buf_init(&b, 1000);	/* growth past the first allocation keeps the data */
	assert_int_equal(masa_buf_append(&b, big, 300), MASA_OK);
	assert_int_equal(masa_buf_append(&b, big, 300), MASA_OK);
	assert_int_equal(b.len, 600);
	assert_memory_equal(b.ptr + 300, "0123456789", 10);
	assert_int_equal(b.ptr[600], '\0');
	masa_buf_free(&b);
}

/* Proves the buffer keeps a NUL after its data, in memory that held other bytes. */
static void
test_buf_nul_terminated(void **state)
{
	struct masa_buf b;
	char *junk = malloc(256);
	volatile char *fill = junk;	/* so the stores before free() are not elided */
	size_t i;

	(void)state;
	/* The buffer's first allocation (256 bytes) likely reuses this chunk;
	 * past the allocator's 16 bytes of bookkeeping it still holds 'x'. */
	assert_non_null(junk);
	for (i = 0; i < 256; i++)
		fill[i] = 'x';
	free(junk);
	masa_buf_init(&b, 100);
	assert_int_equal(masa_buf_append(&b, "abcdefghijklmnopqrst", 20), MASA_OK);
	assert_buf(&b, "abcdefghijklmnopqrst");
	assert_int_equal(masa_buf_append(&b, "0123456789", 10), MASA_OK);
	assert_buf(&b, "abcdefghijklmnopqrst0123456789");
	masa_buf_free(&b);
}

/* RFC 4648 §10 test vectors. */
static const struct {
	const char *in, *hex, *b64url;
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "66", "Zg" },
	{ "fo", "666f", "Zm8" },
	{ "foo", "666f6f", "Zm9v" },
	{ "foob", "666f6f62", "Zm9vYg" },
	{ "fooba", "666f6f6261", "Zm9vYmE" },
	{ "foobar", "666f6f626172", "Zm9vYmFy" },
};

/* Proves hex and unpadded base64url against RFC 4648, and the URL-safe alphabet. */
static void
test_encodings(void **state)
{
	static const uint8_t high[] = { 0xfb, 0xff, 0xbf };
	char out[32];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		const uint8_t *in = (const uint8_t *)rfc4648[i].in;

		n = strlen(rfc4648[i].in);
		memset(out, 'x', sizeof out);
		masa_hex(in, n, out);
		assert_string_equal(out, rfc4648[i].hex);
		memset(out, 'x', sizeof out);
		assert_int_equal(masa_b64url(in, n, out), strlen(rfc4648[i].b64url));
		assert_string_equal(out, rfc4648[i].b64url);
		assert_int_equal(MASA_B64URL_LEN(n), strlen(rfc4648[i].b64url));
	}
	assert_int_equal(masa_b64url(high, sizeof high, out), 4);
	assert_string_equal(out, "-_-_");	/* standard base64: "+/+/" */
	masa_hex(high, sizeof high, out);
	assert_string_equal(out, "fbffbf");
}

/* Proves strict standard base64 decoding: RFC 4648 vectors round-trip
 * through masa_b64; whitespace only where asked; bad padding, stray
 * letters, non-zero unused bits and overflow are refused. */
static void
test_unb64(void **state)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zg===", "Z===", "====", "Zm9v=", "Zm=v", "Zh==", "Zm9=", "Zm9v!A==",
		"Zm9vYmFy-_==", "Zm9v\n",
	};
	uint8_t out[16];
	char enc[32];
	size_t i, n, len;

	(void)state;
	for (i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		n = strlen(rfc4648[i].in);
		masa_b64((const uint8_t *)rfc4648[i].in, n, enc);
		assert_int_equal(masa_unb64(enc, strlen(enc), 0, out, sizeof out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, rfc4648[i].in, n);
	}
	assert_int_equal(masa_unb64(" Zm9v\r\nYmFy\n", 12, 1, out, sizeof out, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "foobar", 6);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (masa_unb64(bad[i], strlen(bad[i]), 0, out, sizeof out, &len) == 0)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(masa_unb64("Zm9vYmFy", 8, 0, out, 5, &len), -1);	/* no room */
}

/* Proves write_new creates with exactly the mode asked, whatever the umask. */
static void
test_write_new_modes(void **state)
{
	static const mode_t modes[] = { 0600, 0640, 0644, 0400 };
	static const mode_t masks[] = { 022, 077 };
	char path[TU_PATH_MAX], name[32];
	struct masa_diag diag = { "" };
	size_t i, j;
	mode_t old;
	char *text;

	for (j = 0; j < sizeof masks / sizeof masks[0]; j++) {
		for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
			snprintf(name, sizeof name, "f-%zu-%zu", j, i);
			tu_path(path, *state, name);
			old = umask(masks[j]);
			assert_int_equal(masa_file_write_new(path, "data", 4, modes[i], &diag), MASA_OK);
			umask(old);
			if (tu_mode(path) != modes[i])
				fail_msg("mode %04o under umask %03o gave %04o", (unsigned)modes[i],
				    (unsigned)masks[j], (unsigned)tu_mode(path));
			text = tu_read(path, NULL);
			assert_string_equal(text, "data");
			free(text);
		}
	}
}

/* Proves write_new refuses an existing path (or a symlink) and leaves it alone. */
static void
test_write_new_refuses_existing(void **state)
{
	char path[TU_PATH_MAX], link[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	char *text;

	tu_path(path, *state, "f");
	tu_write(path, "old", 0644);
	assert_int_equal(masa_file_write_new(path, "new", 3, 0600, &diag), MASA_E_EXISTS);
	assert_true(diag.msg[0] != '\0');
	assert_int_equal(tu_mode(path), 0644);
	text = tu_read(path, NULL);
	assert_string_equal(text, "old");
	free(text);

	tu_path(link, *state, "dangling");
	assert_int_equal(symlink("target-that-does-not-exist", link), 0);
	assert_int_not_equal(masa_file_write_new(link, "new", 3, 0600, &diag), MASA_OK);
	tu_path(path, *state, "target-that-does-not-exist");
	assert_false(tu_exists(path));
}

/* Proves file_read honours its maximum and writes out only on success. */
static void
test_file_read_max(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	struct masa_buf out, before;

	tu_path(path, *state, "f");
	tu_write(path, "0123456789", 0600);
	memset(&out, 0xA5, sizeof out);
	memcpy(&before, &out, sizeof out);
	assert_int_equal(masa_file_read(path, 0, 9, &out, &diag), MASA_E_TOO_LARGE);
	assert_true(diag.msg[0] != '\0');
	assert_memory_equal(&out, &before, sizeof out);
	assert_int_equal(masa_file_read(path, 1, 10, &out, &diag), MASA_OK);
	assert_buf(&out, "0123456789");
	masa_buf_free(&out);
}

/* Proves the accepted HOST:PORT forms and their parsed parts. */
static void
test_netaddr_good(void **state)
{
	static const struct {
		const char *text, *host;
		unsigned port;
		int family;
	} good[] = {
		{ "127.0.0.1:0", "127.0.0.1", 0, AF_INET },
		{ "[::1]:8443", "::1", 8443, AF_INET6 },
		{ "localhost:1", "localhost", 1, AF_UNSPEC },
		{ "0.0.0.0:65535", "0.0.0.0", 65535, AF_INET },
	};
	struct masa_diag diag = { "" };
	struct masa_netaddr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (masa_netaddr_parse(good[i].text, &a, &diag) != MASA_OK)
			fail_msg("%s refused: %s", good[i].text, diag.msg);
		assert_string_equal(a.host, good[i].host);
		assert_int_equal(a.port, good[i].port);
		assert_true(a.len > 0);
		if (good[i].family != AF_UNSPEC)
			assert_int_equal(a.ss.ss_family, good[i].family);
		assert_int_equal(ntohs(a.ss.ss_family == AF_INET ?
		    ((const struct sockaddr_in *)(const void *)&a.ss)->sin_port :
		    ((const struct sockaddr_in6 *)(const void *)&a.ss)->sin6_port), good[i].port);
	}
}

/* Proves malformed addresses are refused with MASA_E_CONFIG and a message. */
static void
test_netaddr_bad(void **state)
{
	static const char *const bad[] = {
		"nocolon", "1.2.3.4:99999", "[::1]8443", "::1:8443", "[::1]", "[::1]:",
		":8443", "127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1: 1",
		"127.0.0.1:1x", "127.0.0.1:99999999999999999999999", "a:1:2", "[]:1", "",
		"[::1:8443", "1.2.3.4:65536",
	};
	struct masa_netaddr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct masa_diag diag = { "" };

		if (masa_netaddr_parse(bad[i], &a, &diag) != MASA_E_CONFIG)
			fail_msg("\"%s\" was not refused", bad[i]);
		assert_true(diag.msg[0] != '\0');
	}
}

/* Proves the plain-HTTP and Unix-socket listen forms: loopback or a
 * socket path only, each with its URL; the explicit https:// form. */
static void
test_netaddr_plain(void **state)
{
	static const struct {
		const char *text, *url;
		enum masa_listen_kind kind;
	} good[] = {
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080", MASA_LISTEN_HTTP },
		{ "http://127.1.2.3:1", "http://127.1.2.3:1", MASA_LISTEN_HTTP },
		{ "http://[::1]:8080", "http://[::1]:8080", MASA_LISTEN_HTTP },
		{ "http://localhost:8080", "http://localhost:8080", MASA_LISTEN_HTTP },
		{ "https://127.0.0.1:8443", "https://127.0.0.1:8443", MASA_LISTEN_HTTPS },
		{ "0.0.0.0:8443", "https://0.0.0.0:8443", MASA_LISTEN_HTTPS },
		{ "unix:/run/masa/http.sock", "unix:/run/masa/http.sock", MASA_LISTEN_UNIX },
	};
	static const char *const bad[] = {
		"http://0.0.0.0:8080", "http://[::]:8080", "http://192.0.2.1:80", "http://[::ffff:10.0.0.1]:80",
		"unix:relative.sock", "unix:", "http://127.0.0.1", "https://", "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock",
	};
	struct masa_netaddr a;
	char url[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct masa_diag diag = { "" };

		if (masa_netaddr_parse(good[i].text, &a, &diag) != MASA_OK)
			fail_msg("%s refused: %s", good[i].text, diag.msg);
		assert_int_equal(a.kind, good[i].kind);
		masa_netaddr_url(&a, a.port, url, sizeof url);
		assert_string_equal(url, good[i].url);
	}
	assert_int_equal(a.ss.ss_family, AF_UNIX);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct masa_diag diag = { "" };

		if (masa_netaddr_parse(bad[i], &a, &diag) != MASA_E_CONFIG)
			fail_msg("\"%s\" was not refused", bad[i]);
		assert_non_null(strstr(diag.msg, bad[i]));
	}
}

/* Proves RFC 3339 rendering with milliseconds, in UTC, before and after the epoch. */
static void
test_rfc3339(void **state)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 1700000000123, "2023-11-14T22:13:20.123Z" },
		{ 951782400999, "2000-02-29T00:00:00.999Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
	};
	char out[MASA_RFC3339_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		masa_rfc3339_ms(cases[i].ms, out);
		assert_string_equal(out, cases[i].text);
	}
}

/* Asserts that s is n characters from the set (hex or base64url). */
static void
assert_chars(const char *s, size_t n, const char *set)
{
	assert_int_equal(strspn(s, set), n);
}

/* The text column of sql's single row on c into out. */
static void
query_text(sqlite3 *c, const char *sql, const char *arg, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Proves a token's form, that only an Argon2id hash of its secret is
 * stored, and that its creation is audited in the same transaction. */
static void
test_token_create(void **state)
{
	static const char hexd[] = "0123456789abcdef";
	static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char path[TU_PATH_MAX], tok[MASA_TOKEN_MAX], id[17], hash[256];
	const char *secret;
	struct masa_diag diag = { "" };
	struct masa_db *db;
	sqlite3 *c;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, 1000);
	assert_int_equal(masa_token_create(db, "alice", "admin", 1234, tok, &diag), MASA_OK);
	assert_int_equal(strlen(tok), 16 + 1 + 43);
	assert_chars(tok, 16, hexd);
	assert_int_equal(tok[16], '.');
	secret = tok + 17;
	assert_chars(secret, 43, b64u);
	memcpy(id, tok, 16);
	id[16] = '\0';

	c = tu_sqlite_open(path);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM api_tokens WHERE name = 'alice'"
	    " AND role = 'admin' AND created_ms = 1234"), 1);
	query_text(c, "SELECT secret_hash FROM api_tokens WHERE id = ?", id, hash, sizeof hash);
	assert_int_equal(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_null(strstr(hash, secret));
	assert_int_equal(argon2id_verify(hash, secret, strlen(secret)), ARGON2_OK);
	assert_int_not_equal(argon2id_verify(hash, tok, strlen(tok)), ARGON2_OK);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM audit"), 1);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM audit WHERE seq = 1"
	    " AND event = 'token.created' AND at_ms = 1234"), 1);
	query_text(c, "SELECT detail FROM audit WHERE event = ?", "token.created", hash, sizeof hash);
	assert_null(strstr(hash, secret));
	sqlite3_close(c);
	masa_db_close(db);
}

/* Proves a second token with a taken name is MASA_E_EXISTS and changes nothing. */
static void
test_token_duplicate_name(void **state)
{
	char path[TU_PATH_MAX], tok[MASA_TOKEN_MAX], before[MASA_TOKEN_MAX];
	struct masa_diag diag = { "" };
	struct masa_db *db;
	sqlite3 *c;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, 1000);
	assert_int_equal(masa_token_create(db, "bob", "factory", 1, tok, &diag), MASA_OK);
	memset(tok, 0x5a, sizeof tok);
	memcpy(before, tok, sizeof tok);
	assert_int_equal(masa_token_create(db, "bob", "auditor", 2, tok, &diag), MASA_E_EXISTS);
	assert_non_null(strstr(diag.msg, "bob"));
	assert_memory_equal(tok, before, sizeof tok);
	c = tu_sqlite_open(path);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM api_tokens"), 1);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM api_tokens WHERE role = 'factory'"), 1);
	assert_int_equal(tu_query_int(c, "SELECT count(*) FROM audit"), 1);
	sqlite3_close(c);
	assert_int_equal(masa_db_write(db, tu_touch, NULL), MASA_OK);	/* no transaction left open */
	masa_db_close(db);
}

/* Strict UTF-8, and cuts that never split a character. */
static void
test_utf8(void **state)
{
	static const struct { const char *s; int ok; } v[] = {
		{ "", 1 }, { "plain", 1 }, { "caf\xc3\xa9", 1 }, { "\xe2\x82\xac", 1 },
		{ "\xf0\x9f\x98\x80", 1 }, { "\xf4\x8f\xbf\xbf", 1 },
		{ "\xc3", 0 },			/* truncated */
		{ "\xc3\x28", 0 },		/* bad continuation */
		{ "\xc0\x80", 0 },		/* overlong NUL */
		{ "\xe0\x80\xaf", 0 },	/* overlong '/' */
		{ "\xed\xa0\x80", 0 },	/* surrogate */
		{ "\xf4\x90\x80\x80", 0 },	/* above U+10FFFF */
		{ "\xff", 0 }, { "\x80", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		assert_int_equal(masa_utf8_ok((const uint8_t *)v[i].s, strlen(v[i].s)), v[i].ok);
	assert_int_equal(masa_utf8_cut("abc", 5), 3);
	assert_int_equal(masa_utf8_cut("abc", 3), 3);
	assert_int_equal(masa_utf8_cut("abc", 2), 2);
	assert_int_equal(masa_utf8_cut("a\xc3\xa9", 2), 1);	/* would split é */
	assert_int_equal(masa_utf8_cut("a\xc3\xa9" "b", 3), 3);
	assert_int_equal(masa_utf8_cut("\xf0\x9f\x98\x80x", 3), 0);
	assert_int_equal(masa_utf8_cut("\xf0\x9f\x98\x80x", 4), 4);
}

/* Proves the network a registrar is pinned to (policy.pin_network): the /24
 * of an IPv4 peer, the /64 of an IPv6 one, an IPv4-mapped IPv6 peer counted
 * as its IPv4 /24 (not as the one network "::/64" every mapped peer would
 * share), and -1 for anything that is not a numeric address. */
static void
test_netaddr_net(void **state)
{
	static const struct {
		const char *peer, *net;
	} good[] = {
		{ "192.0.2.77", "192.0.2.0/24" },
		{ "192.0.2.0", "192.0.2.0/24" },
		{ "127.0.1.1", "127.0.1.0/24" },
		{ "255.255.255.255", "255.255.255.0/24" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8::1", "2001:db8::/64" },
		{ "::1", "::/64" },
		{ "fe80::1:2:3:4", "fe80::/64" },
		{ "::ffff:192.0.2.1", "192.0.2.0/24" },
	};
	static const char *const bad[] = {
		"", "unix", "?", "garbage", "192.0.2", "192.0.2.256", "192.0.2.1/24", " 192.0.2.1",
		"2001:db8::1::2", "localhost",
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		memset(out, 'x', sizeof out);
		if (masa_netaddr_net(good[i].peer, out, sizeof out) != 0)
			fail_msg("%s refused", good[i].peer);
		if (strcmp(out, good[i].net) != 0)
			fail_msg("%s: got %s, want %s", good[i].peer, out, good[i].net);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (masa_netaddr_net(bad[i], out, sizeof out) != -1)
			fail_msg("\"%s\" was not refused", bad[i]);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_max),
		cmocka_unit_test(test_buf_nul_terminated),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_unb64),
		cmocka_unit_test(test_utf8),
		DIR_TEST(test_write_new_modes),
		DIR_TEST(test_write_new_refuses_existing),
		DIR_TEST(test_file_read_max),
		cmocka_unit_test(test_netaddr_good),
		cmocka_unit_test(test_netaddr_bad),
		cmocka_unit_test(test_netaddr_plain),
		cmocka_unit_test(test_netaddr_net),
		cmocka_unit_test(test_rfc3339),
		DIR_TEST(test_token_create),
		DIR_TEST(test_token_duplicate_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
