/* test_proxy.c: masa/proxy.c: proxy.trusted entries, X-Forwarded-For,
 * forwarded client certificates (nginx's escaped PEM and RFC 9440), and
 * refusal of all of them from untrusted peers. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "encode.h"
#include "proxy.h"

#define PEER_CAP 64

/* The trust list of most tests: a proxy host, a proxy network, and Unix-socket peers. */
static void
trust(struct masa_proxy_trust *t)
{
	static const char *const nets[] = { "127.0.0.1", "10.0.0.0/8", "fd00::/16", "unix" };
	size_t i;

	memset(t, 0, sizeof *t);
	for (i = 0; i < sizeof nets / sizeof nets[0]; i++)
		assert_int_equal(masa_cidr_parse(nets[i], &t->nets[t->n++]), 0);
}

/* Runs resolve with only X-Forwarded-For from peer; the result code, and
 * the resulting address in out. */
static enum masa_err
xff(const char *peer, const char *value, char out[PEER_CAP])
{
	struct masa_proxy_headers h;
	struct masa_proxy_trust t;
	struct masa_buf cert;
	enum masa_err rc;

	trust(&t);
	memset(&h, 0, sizeof h);
	masa_proxy_header_seen(&h, "x-forwarded-for", value);
	snprintf(out, PEER_CAP, "%s", peer);
	masa_buf_init(&cert, MASA_TLS_CERT_MAX);
	rc = masa_proxy_resolve(&t, &h, 0, out, PEER_CAP, &cert);
	assert_int_equal(cert.len, 0);
	masa_buf_free(&cert);
	return rc;
}

/* Proves which proxy.trusted entries parse: addresses, networks without
 * host bits, "unix"; nothing else. */
static void
test_cidr_parse(void **state)
{
	static const char *const good[] = {
		"127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "192.0.2.0/24", "::1", "fd00::/8", "::/0",
		"2001:db8::/64", "192.0.2.7/32", "unix",
	};
	static const char *const bad[] = {
		"", "unix:", "UNIX", "localhost", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1",
		"10.0.0.0/+8", "10.0.0.0/8x", "/8", "fd00::1/8", "::/129", "1.2.3", "1.2.3.4.5",
		"[::1]", "::1/0080", "10.0.0.0/8/8", " 10.0.0.0/8",
	};
	struct masa_cidr c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if (masa_cidr_parse(good[i], &c) != 0)
			fail_msg("\"%s\" refused", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (masa_cidr_parse(bad[i], &c) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
}

/* Proves membership: exact hosts, network edges, IPv6, IPv4-mapped peers, "unix". */
static void
test_is_trusted(void **state)
{
	static const struct {
		const char *addr;
		int want;
	} cases[] = {
		{ "127.0.0.1", 1 }, { "127.0.0.2", 0 }, { "10.0.0.0", 1 }, { "10.255.255.255", 1 },
		{ "11.0.0.0", 0 }, { "9.255.255.255", 0 }, { "fd00::1", 1 }, { "fd01::1", 0 },
		{ "::ffff:10.1.2.3", 1 }, { "::ffff:127.0.0.2", 0 }, { "::1", 0 }, { "unix", 1 },
		{ "?", 0 }, { "", 0 }, { "10.0.0.1 ", 0 },
	};
	struct masa_proxy_trust t;
	size_t i;

	(void)state;
	trust(&t);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (masa_proxy_is_trusted(&t, cases[i].addr) != cases[i].want)
			fail_msg("%s: want %d", cases[i].addr, cases[i].want);
	memset(&t, 0, sizeof t);
	assert_false(masa_proxy_is_trusted(&t, "unix"));
	assert_false(masa_proxy_is_trusted(&t, "127.0.0.1"));
}

/* Proves X-Forwarded-For from a trusted peer: the right-most untrusted
 * entry, canonical; the left-most when all are trusted; entries left of
 * the answer are not read. */
static void
test_forwarded_for(void **state)
{
	static const struct {
		const char *peer, *value, *want;
	} cases[] = {
		{ "127.0.0.1", "203.0.113.5", "203.0.113.5" },
		{ "127.0.0.1", "198.51.100.1, 203.0.113.5, 10.1.1.1", "203.0.113.5" },
		{ "127.0.0.1", "garbage, 203.0.113.5", "203.0.113.5" },
		{ "127.0.0.1", "10.0.0.9,127.0.0.1", "10.0.0.9" },
		{ "unix", "\t2001:DB8:0:0::1 ", "2001:db8::1" },
		{ "10.9.9.9", "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
	};
	char out[PEER_CAP];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (xff(cases[i].peer, cases[i].value, out) != MASA_OK)
			fail_msg("\"%s\" refused", cases[i].value);
		assert_string_equal(out, cases[i].want);
	}
}

/* Proves malformed X-Forwarded-For values from a trusted peer are
 * MASA_E_FORWARDED and leave the peer as it was. */
static void
test_forwarded_for_malformed(void **state)
{
	static const char *const bad[] = {
		"", " ", "203.0.113.5,", "203.0.113.5, ", "unknown", "203.0.113.5:80", "[2001:db8::1]",
		"fe80::1%eth0", "10.0.0.1, bogus", "203.0.113.5 203.0.113.6", "1.2.3.4\r\n",
		"_", "2001:db8::1::2",
	};
	char out[PEER_CAP], big[MASA_FORWARDED_FOR_MAX + 32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (xff("127.0.0.1", bad[i], out) != MASA_E_FORWARDED)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_string_equal(out, "127.0.0.1");
	}
	/* Over the cap, even though every entry is well formed. */
	big[0] = '\0';
	while (strlen(big) + 20 < sizeof big)
		strcat(big, "10.0.0.1, ");
	strcat(big, "1.2.3.4");
	assert_int_equal(xff("127.0.0.1", big, out), MASA_E_FORWARDED);
}

/* A registrar certificate: its PEM text (free it) and DER. */
static char *
make_cert(void **state, struct masa_buf *der)
{
	const struct tu_dir *d = *state;
	char path[TU_PATH_MAX];
	unsigned char *p = NULL;
	char *pem;
	BIO *bio;
	X509 *x;
	int n;

	tu_keygen(d, MASA_ALG_ES256, MASA_CERT_REGISTRAR, NULL, "reg.key", "reg.crt");
	tu_path(path, d, "reg.crt");
	pem = tu_read(path, NULL);
	bio = BIO_new_mem_buf(pem, -1);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	n = i2d_X509(x, &p);
	assert_true(n > 0);
	masa_buf_init(der, MASA_TLS_CERT_MAX);
	assert_int_equal(masa_buf_append(der, p, (size_t)n), MASA_OK);
	OPENSSL_free(p);
	X509_free(x);
	BIO_free(bio);
	return pem;
}

/* s percent-encoded as nginx's $ssl_client_escaped_cert is (everything
 * but RFC 3986 unreserved characters); free it. */
static char *
escape(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	assert_non_null(out);
	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._~", *s) != NULL)
			*o++ = *s;
		else
			o += sprintf(o, "%%%02X", (unsigned char)*s);
	}
	*o = '\0';
	return out;
}

/* Resolves one certificate header from a trusted peer. */
static enum masa_err
cert_header(const char *name, const char *value, int has_tls_cert, struct masa_buf *cert)
{
	struct masa_proxy_headers h;
	struct masa_proxy_trust t;
	char peer[PEER_CAP] = "127.0.0.1";

	trust(&t);
	memset(&h, 0, sizeof h);
	masa_proxy_header_seen(&h, name, value);
	masa_buf_init(cert, MASA_TLS_CERT_MAX);
	return masa_proxy_resolve(&t, &h, has_tls_cert, peer, sizeof peer, cert);
}

/* Proves both certificate forms from a trusted peer give the certificate's
 * DER; an empty header means no certificate. */
static void
test_forwarded_cert(void **state)
{
	struct masa_buf der, cert;
	char *pem, *esc, *sf;

	pem = make_cert(state, &der);
	esc = escape(pem);
	assert_int_equal(cert_header("X-SSL-Client-Cert", esc, 0, &cert), MASA_OK);
	assert_int_equal(cert.len, der.len);
	assert_memory_equal(cert.ptr, der.ptr, der.len);
	masa_buf_free(&cert);

	sf = malloc(MASA_B64_LEN(der.len) + 3);
	assert_non_null(sf);
	sf[0] = ':';
	masa_b64(der.ptr, der.len, sf + 1);
	strcat(sf, ":");
	assert_int_equal(cert_header("client-cert", sf, 0, &cert), MASA_OK);
	assert_int_equal(cert.len, der.len);
	assert_memory_equal(cert.ptr, der.ptr, der.len);
	masa_buf_free(&cert);

	assert_int_equal(cert_header("X-SSL-Client-Cert", "", 0, &cert), MASA_OK);
	assert_int_equal(cert.len, 0);
	masa_buf_free(&cert);
	/* The connection's own certificate as well: never pick one of two. */
	assert_int_equal(cert_header("X-SSL-Client-Cert", esc, 1, &cert), MASA_E_FORWARDED);
	assert_int_equal(cert.len, 0);
	masa_buf_free(&cert);
	free(sf);
	free(esc);
	free(pem);
	masa_buf_free(&der);
}

/* Runs masa_proxy_chain on a Client-Cert of sf and a Client-Cert-Chain of
 * chain (NULL: no such header; repeat: sent twice), from a trusted peer. */
static enum masa_err
chain_header(const char *sf, const char *chain, int repeat, struct masa_buf *der,
    size_t len[MASA_TLS_CHAIN_MAX], size_t *n)
{
	struct masa_proxy_headers h;
	struct masa_proxy_trust t;
	struct masa_buf cert;
	char peer[PEER_CAP] = "127.0.0.1";
	enum masa_err rc;

	trust(&t);
	memset(&h, 0, sizeof h);
	if (sf != NULL)
		masa_proxy_header_seen(&h, "Client-Cert", sf);
	if (chain != NULL)
		masa_proxy_header_seen(&h, "client-cert-chain", chain);
	if (chain != NULL && repeat)
		masa_proxy_header_seen(&h, "Client-Cert-Chain", chain);
	masa_buf_init(&cert, MASA_TLS_CERT_MAX);
	assert_int_equal(masa_proxy_resolve(&t, &h, 0, peer, sizeof peer, &cert), MASA_OK);
	masa_buf_free(&cert);
	masa_buf_init(der, MASA_TLS_CERT_MAX * MASA_TLS_CHAIN_MAX);
	*n = 99;
	rc = masa_proxy_chain(&h, der, len, n);
	if (rc != MASA_OK) {
		assert_int_equal(der->len, 0);
		assert_int_equal(*n, 0);
	}
	return rc;
}

/* Proves RFC 9440 Client-Cert-Chain from a trusted peer gives each listed
 * certificate's DER, in order, with the forwarded certificate; is ignored
 * without one; and a malformed, repeated or too long list is
 * MASA_E_FORWARDED with nothing written. */
static void
test_forwarded_chain(void **state)
{
	struct masa_buf der, chain;
	size_t len[MASA_TLS_CHAIN_MAX], n, i;
	char *pem, *sf, *list, *bad;

	pem = make_cert(state, &der);
	sf = malloc(MASA_B64_LEN(der.len) + 3);
	list = malloc((MASA_B64_LEN(der.len) + 4) * (MASA_TLS_CHAIN_MAX + 1) + 1);
	bad = malloc((MASA_B64_LEN(der.len) + 4) * 2 + 16);
	assert_true(sf != NULL && list != NULL && bad != NULL);
	sf[0] = ':';
	masa_b64(der.ptr, der.len, sf + 1);
	strcat(sf, ":");

	sprintf(list, "%s ,\t%s", sf, sf);
	assert_int_equal(chain_header(sf, list, 0, &chain, len, &n), MASA_OK);
	assert_int_equal(n, 2);
	assert_int_equal(chain.len, 2 * der.len);
	for (i = 0; i < n; i++) {
		assert_int_equal(len[i], der.len);
		assert_memory_equal(chain.ptr + i * der.len, der.ptr, der.len);
	}
	masa_buf_free(&chain);
	/* Without a forwarded certificate the list is not read. */
	assert_int_equal(chain_header(NULL, "garbage", 0, &chain, len, &n), MASA_OK);
	assert_int_equal(n, 0);
	assert_int_equal(chain.len, 0);
	masa_buf_free(&chain);
	assert_int_equal(chain_header(sf, "", 0, &chain, len, &n), MASA_OK);
	assert_int_equal(n, 0);
	masa_buf_free(&chain);

	assert_int_equal(chain_header(sf, sf, 1, &chain, len, &n), MASA_E_FORWARDED);
	masa_buf_free(&chain);
	sprintf(bad, "%s,", sf);		/* a trailing comma */
	assert_int_equal(chain_header(sf, bad, 0, &chain, len, &n), MASA_E_FORWARDED);
	masa_buf_free(&chain);
	sprintf(bad, "%s %s", sf, sf);		/* no comma */
	assert_int_equal(chain_header(sf, bad, 0, &chain, len, &n), MASA_E_FORWARDED);
	masa_buf_free(&chain);
	sprintf(bad, "%s, :AAAA:", sf);		/* not a certificate */
	assert_int_equal(chain_header(sf, bad, 0, &chain, len, &n), MASA_E_FORWARDED);
	masa_buf_free(&chain);
	sprintf(bad, "%s, AAAA", sf);		/* not a byte sequence */
	assert_int_equal(chain_header(sf, bad, 0, &chain, len, &n), MASA_E_FORWARDED);
	masa_buf_free(&chain);
	list[0] = '\0';			/* one more than MASA_TLS_CHAIN_MAX */
	for (i = 0; i <= MASA_TLS_CHAIN_MAX; i++)
		sprintf(list + strlen(list), "%s%s", i > 0 ? "," : "", sf);
	assert_int_equal(chain_header(sf, list, 0, &chain, len, &n), MASA_E_FORWARDED);
	masa_buf_free(&chain);
	free(bad);
	free(list);
	free(sf);
	free(pem);
	masa_buf_free(&der);
}

/* Proves malformed forwarded certificates are MASA_E_FORWARDED, with
 * nothing written. */
static void
test_forwarded_cert_malformed(void **state)
{
	static const char *const bad_escaped[] = {
		"%ZZ", "%4", "%", "-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----",
		"-----BEGIN%20PUBLIC%20KEY-----%0AMCowBQYDK2VwAyEA%0A-----END%20PUBLIC%20KEY-----",
		"junk-----BEGIN%20CERTIFICATE-----",
	};
	static const char *const bad_sf[] = {
		"AAAA", ":AAAA", "AAAA:", "::", ":AAA:", ": AAAA:", ":AAAA:;a=1", ":!!!!:",
	};
	struct masa_buf der, cert;
	char *pem, *esc, *edit;
	size_t i;

	pem = make_cert(state, &der);
	for (i = 0; i < sizeof bad_escaped / sizeof bad_escaped[0]; i++) {
		if (cert_header("X-SSL-Client-Cert", bad_escaped[i], 0, &cert) != MASA_E_FORWARDED)
			fail_msg("\"%s\" accepted", bad_escaped[i]);
		assert_int_equal(cert.len, 0);
		masa_buf_free(&cert);
	}
	for (i = 0; i < sizeof bad_sf / sizeof bad_sf[0]; i++) {
		if (cert_header("Client-Cert", bad_sf[i], 0, &cert) != MASA_E_FORWARDED)
			fail_msg("\"%s\" accepted", bad_sf[i]);
		masa_buf_free(&cert);
	}
	/* A literal space (nginx escapes it), text after the block, a flipped
	 * base64 letter (no longer a certificate or not canonical). */
	esc = escape(pem);
	edit = malloc(strlen(esc) + 16);
	assert_non_null(edit);
	sprintf(edit, "%s", esc);
	memcpy(strstr(edit, "%20"), " BE", 3);
	assert_int_equal(cert_header("X-SSL-Client-Cert", edit, 0, &cert), MASA_E_FORWARDED);
	masa_buf_free(&cert);
	sprintf(edit, "%sxx", esc);
	assert_int_equal(cert_header("X-SSL-Client-Cert", edit, 0, &cert), MASA_E_FORWARDED);
	masa_buf_free(&cert);
	sprintf(edit, "%s", esc);
	edit[strlen("-----BEGIN%20CERTIFICATE-----%0A") + 4] ^= 0x01;
	assert_int_equal(cert_header("X-SSL-Client-Cert", edit, 0, &cert), MASA_E_FORWARDED);
	masa_buf_free(&cert);
	free(edit);
	free(esc);
	free(pem);
	masa_buf_free(&der);
}

/* Proves a certificate header over the cap is refused before decoding. */
static void
test_forwarded_cert_too_long(void **state)
{
	struct masa_buf cert;
	char *big = malloc(MASA_FORWARDED_CERT_MAX + 8);

	(void)state;
	assert_non_null(big);
	big[0] = ':';
	memset(big + 1, 'A', MASA_FORWARDED_CERT_MAX + 4);
	big[MASA_FORWARDED_CERT_MAX + 5] = ':';
	big[MASA_FORWARDED_CERT_MAX + 6] = '\0';
	assert_int_equal(cert_header("Client-Cert", big, 0, &cert), MASA_E_FORWARDED);
	masa_buf_free(&cert);
	free(big);
}

/* Proves every identity header, even empty, is refused from a peer not in
 * proxy.trusted, and nothing is changed; other headers pass. */
static void
test_untrusted_refused(void **state)
{
	static const char *const names[] = {
		"X-Forwarded-For", "x-ssl-client-cert", "Client-Cert", "CLIENT-CERT-CHAIN",
	};
	static const char *const peers[] = { "127.0.0.2", "192.0.2.1", "::1", "?" };
	struct masa_proxy_headers h;
	struct masa_proxy_trust t;
	struct masa_buf cert;
	char peer[PEER_CAP];
	size_t i, j;

	(void)state;
	trust(&t);
	masa_buf_init(&cert, MASA_TLS_CERT_MAX);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (j = 0; j < sizeof peers / sizeof peers[0]; j++) {
			memset(&h, 0, sizeof h);
			masa_proxy_header_seen(&h, names[i], i % 2 ? "" : "203.0.113.9");
			snprintf(peer, sizeof peer, "%s", peers[j]);
			assert_int_equal(masa_proxy_resolve(&t, &h, 0, peer, sizeof peer, &cert),
			    MASA_E_PROXY_HEADER);
			assert_string_equal(peer, peers[j]);
		}
	}
	memset(&h, 0, sizeof h);
	masa_proxy_header_seen(&h, "X-Forwarded-Host", "example.com");
	masa_proxy_header_seen(&h, "X-Real-IP", "203.0.113.9");
	snprintf(peer, sizeof peer, "192.0.2.1");
	assert_int_equal(masa_proxy_resolve(&t, &h, 0, peer, sizeof peer, &cert), MASA_OK);
	assert_string_equal(peer, "192.0.2.1");
	assert_int_equal(cert.len, 0);
	masa_buf_free(&cert);
}

/* Proves refused forwarded headers are audited up to a burst, then no
 * faster than one a second, and that the next entry counts the refusals
 * that were not audited (the server writes the entries: e2e_proxy). */
static void
test_refusal_audit_is_limited(void **state)
{
	char detail[256];
	struct masa_proxy_headers h;
	int i, audited = 0;

	(void)state;
	memset(&h, 0, sizeof h);
	masa_proxy_header_seen(&h, "X-Forwarded-For", "203.0.113.9");
	for (i = 0; i < MASA_PROXY_AUDIT_BURST + 5; i++) {
		detail[0] = '\0';
		if (masa_proxy_refusal_detail(&h, detail, sizeof detail)) {
			audited++;
			assert_string_equal(detail, "MASA_E_PROXY_HEADER: X-Forwarded-For");
		}
	}
	assert_int_equal(audited, MASA_PROXY_AUDIT_BURST);
	usleep(1100 * 1000);	/* one token back */
	assert_int_equal(masa_proxy_refusal_detail(&h, detail, sizeof detail), 1);
	assert_string_equal(detail, "MASA_E_PROXY_HEADER: X-Forwarded-For (+5 not audited)");
	assert_int_equal(masa_proxy_refusal_detail(&h, detail, sizeof detail), 0);
}

/* Proves a repeated header, or both certificate forms, from a trusted
 * peer is ambiguous; Client-Cert-Chain alone is ignored there. */
static void
test_ambiguous(void **state)
{
	struct masa_proxy_headers h;
	struct masa_proxy_trust t;
	struct masa_buf cert;
	char peer[PEER_CAP] = "unix";

	(void)state;
	trust(&t);
	masa_buf_init(&cert, MASA_TLS_CERT_MAX);
	memset(&h, 0, sizeof h);
	masa_proxy_header_seen(&h, "X-Forwarded-For", "203.0.113.9");
	masa_proxy_header_seen(&h, "X-Forwarded-For", "203.0.113.10");
	assert_int_equal(masa_proxy_resolve(&t, &h, 0, peer, sizeof peer, &cert), MASA_E_FORWARDED);
	memset(&h, 0, sizeof h);
	masa_proxy_header_seen(&h, "X-SSL-Client-Cert", "a");
	masa_proxy_header_seen(&h, "Client-Cert", ":AAAA:");
	assert_int_equal(masa_proxy_resolve(&t, &h, 0, peer, sizeof peer, &cert), MASA_E_FORWARDED);
	memset(&h, 0, sizeof h);
	masa_proxy_header_seen(&h, "Client-Cert-Chain", ":AAAA:");
	assert_int_equal(masa_proxy_resolve(&t, &h, 0, peer, sizeof peer, &cert), MASA_OK);
	assert_string_equal(peer, "unix");
	assert_int_equal(cert.len, 0);
	masa_buf_free(&cert);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_is_trusted),
		cmocka_unit_test(test_forwarded_for),
		cmocka_unit_test(test_forwarded_for_malformed),
		cmocka_unit_test_setup_teardown(test_forwarded_cert, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_forwarded_cert_malformed, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test(test_forwarded_cert_too_long),
		cmocka_unit_test_setup_teardown(test_forwarded_chain, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test(test_untrusted_refused),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test_setup_teardown(test_refusal_audit_is_limited, tu_setup_dir, tu_teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
