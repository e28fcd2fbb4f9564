/*
 * test_cose.c: common/cose and masa/vreq*: the published constrained-BRSKI
 * vectors (tests/vectors/cbrski) decode, verify with the given keys and
 * yield the documented leaves; our own signatures round-trip; structural
 * COSE defects are refused with the right error.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>

#include "cbor/cbor_write.h"
#include "cose/cose_sign1.h"
#include "crypto/x509.h"
#include "cose_codec.h"
#include "errors.h"
#include "masa_limits.h"
#include "registrar.h"
#include "vreq.h"

static const struct masa_cbor_limits lim = { 8, 512, 64 };

/* The bytes of a vector's .hex file. */
static size_t
vector(const char *name, uint8_t *out, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n = 0;
	int c, hi = -1, v;

	snprintf(path, sizeof path, "%s/%s", MASA_TEST_VECTORS, name);
	f = fopen(path, "r");
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF) {
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if ((c | 32) >= 'a' && (c | 32) <= 'f')
			v = (c | 32) - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	fclose(f);
	return n;
}

/* The public key of a vector's PEM certificate. */
static EVP_PKEY *
cert_key(const char *name)
{
	char path[512];
	FILE *f;
	X509 *x;
	EVP_PKEY *k;

	snprintf(path, sizeof path, "%s/%s", MASA_TEST_VECTORS, name);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

/* pvr.hex, rvr.hex and voucher.hex verify with their signers' keys, and a
 * flipped payload byte breaks each. */
static void
test_vectors_verify(void **state)
{
	static const struct { const char *msg, *signer; size_t certs; } v[] = {
		{ "pvr.hex", "pledge.pem", 0 },
		{ "rvr.hex", "registrar.pem", 2 },
		{ "voucher.hex", "masa_ca.pem", 0 },
	};
	static uint8_t buf[4096];
	struct masa_cose_sign1 m;
	EVP_PKEY *k;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		n = vector(v[i].msg, buf, sizeof buf);
		k = cert_key(v[i].signer);
		assert_int_equal(masa_cose_sign1_decode((struct masa_bytes){ buf, n }, &lim, &m), MASA_OK);
		assert_true(m.tagged);
		assert_int_equal(m.alg, -7);
		assert_int_equal(m.ncerts, v[i].certs);
		assert_int_equal(masa_cose_sign1_verify(&m, k), MASA_OK);
		buf[(size_t)(m.payload.ptr - buf) + m.payload.len - 1] ^= 1;	/* in place */
		assert_int_equal(masa_cose_sign1_verify(&m, k), MASA_E_SIGNATURE);
		EVP_PKEY_free(k);
	}
}

static int
bytes_hex_eq(struct masa_bytes b, const char *hex)
{
	uint8_t want[64];
	size_t i, n = strlen(hex) / 2;
	unsigned x;

	for (i = 0; i < n; i++) {
		sscanf(hex + 2 * i, "%2x", &x);
		want[i] = (uint8_t)x;
	}
	return b.len == n && memcmp(b.ptr, want, n) == 0;
}

/* rvr.hex decodes to the documented leaves; its prior is exactly pvr.hex;
 * the registrar is found in the x5bag and the PVR verifies with the
 * pledge's key and names that registrar. */
static void
test_rvr_vector_pipeline(void **state)
{
	static uint8_t rvr[4096], pvr[1024];
	uint8_t spki[MASA_SPKI_MAX];
	size_t n, pn, spki_len;
	struct masa_vreq_raw v;
	struct masa_registrar reg;
	EVP_PKEY *regkey = cert_key("registrar.pem"), *pledge = cert_key("pledge.pem");

	(void)state;
	n = vector("rvr.hex", rvr, sizeof rvr);
	pn = vector("pvr.hex", pvr, sizeof pvr);
	assert_int_equal(masa_vreq_decode(&masa_codec_cose, (struct masa_bytes){ rvr, n }, &v), MASA_OK);
	assert_int_equal(v.r.serial.len, 13);
	assert_memory_equal(v.r.serial.ptr, "JADA123456789", 13);
	assert_true(bytes_hex_eq(v.r.nonce, "23BFBBC9C2BCF213"));
	assert_true(bytes_hex_eq(v.r.idevid_issuer, "041830168014CB8D98CA74C51B58DDE7ACEF869A9443A8D666A6"));
	assert_true(bytes_hex_eq(v.r.created_on, "323032322D31322D30365432303A30343A31352E3735345A"));
	assert_int_equal(v.r.prior.len, pn);
	assert_memory_equal(v.r.prior.ptr, pvr, pn);
	assert_true(v.has_pvr);
	assert_true(bytes_hex_eq(v.p.nonce, "23BFBBC9C2BCF213"));
	assert_int_equal(masa_pubkey_spki(regkey, spki, sizeof spki, &spki_len), MASA_OK);
	assert_int_equal(v.p.prox_pubk.len, spki_len);
	assert_memory_equal(v.p.prox_pubk.ptr, spki, spki_len);

	assert_int_equal(masa_vreq_find_registrar(&v, (struct masa_bytes){ NULL, 0 }, &reg), MASA_OK);
	assert_int_equal(EVP_PKEY_eq(reg.key, regkey), 1);
	assert_non_null(reg.cert.ptr);
	assert_int_equal(reg.spki_len, spki_len);
	assert_int_equal(masa_pubkey_spki(pledge, spki, sizeof spki, &spki_len), MASA_OK);
	assert_int_equal(masa_vreq_verify_pvr(&v, (struct masa_bytes){ spki, spki_len }, &reg), MASA_OK);
	/* The registrar's key is not the pledge's: the PVR must not verify. */
	assert_int_equal(masa_vreq_verify_pvr(&v, (struct masa_bytes){ reg.spki, reg.spki_len }, &reg),
	    MASA_E_PVR_SIGNATURE);
	masa_registrar_free(&reg);
	EVP_PKEY_free(regkey);
	EVP_PKEY_free(pledge);
}

/* Our signatures verify, with the protected headers of the digest's
 * table (43 A10126, 44 A1013822, 43 A10127). */
static void
test_sign_round_trip(void **state)
{
	static const struct { enum masa_alg alg; const char *prot; } v[] = {
		{ MASA_ALG_ES256, "A10126" }, { MASA_ALG_ES384, "A1013822" }, { MASA_ALG_EDDSA, "A10127" },
	};
	const struct tu_dir *d = *state;
	struct masa_bytes payload = { (const uint8_t *)"\xa1\x01\x02", 3 };
	struct masa_cose_sign1 m;
	struct masa_signer *s;
	uint8_t spki[MASA_SPKI_MAX];
	size_t i, len;
	EVP_PKEY *pub;
	struct masa_buf out;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		s = tu_signer(d, v[i].alg);
		masa_buf_init(&out, 4096);
		assert_int_equal(masa_cose_sign1_sign(s, payload, NULL, 0, &out), MASA_OK);
		assert_int_equal(out.ptr[0], 0xd2);
		assert_int_equal(masa_cose_sign1_decode(masa_buf_view(&out), &lim, &m), MASA_OK);
		assert_true(bytes_hex_eq(m.protected_hdr, v[i].prot));
		assert_int_equal(masa_signer_public_der(s, spki, sizeof spki, &len), MASA_OK);
		assert_int_equal(masa_pubkey_parse((struct masa_bytes){ spki, len }, &pub), MASA_OK);
		assert_int_equal(masa_cose_sign1_verify(&m, pub), MASA_OK);
		EVP_PKEY_free(pub);
		masa_buf_free(&out);
		masa_signer_free(s);
	}
}

/* Writes [protected {prot_label: alg}, {unprot_label: unprot_value}, h'', h'']
 * with tag; label 0 leaves a header empty. */
static void
build(struct masa_buf *out, uint64_t tag, int64_t prot_label, int64_t prot_val,
    int64_t unprot_label, int64_t unprot_val)
{
	struct masa_cbor_writer w;
	struct masa_buf prot;
	struct masa_bytes empty = { NULL, 0 };

	masa_buf_init(&prot, 64);
	masa_cbor_writer_init(&w, &prot);
	masa_cbor_put_map(&w, prot_label ? 1 : 0);
	if (prot_label) {
		masa_cbor_put_int(&w, prot_label);
		masa_cbor_put_int(&w, prot_val);
	}
	masa_buf_init(out, 256);
	masa_cbor_writer_init(&w, out);
	if (tag)
		masa_cbor_put_tag(&w, tag);
	masa_cbor_put_array(&w, 4);
	masa_cbor_put_bstr(&w, masa_buf_view(&prot));
	masa_cbor_put_map(&w, unprot_label ? 1 : 0);
	if (unprot_label) {
		masa_cbor_put_int(&w, unprot_label);
		masa_cbor_put_int(&w, unprot_val);
	}
	masa_cbor_put_bstr(&w, empty);
	masa_cbor_put_bstr(&w, empty);
	assert_int_equal(masa_cbor_writer_done(&w), MASA_OK);
	masa_buf_free(&prot);
}

/* Structural defects: decode errors, or a verify-time MASA_E_ALG. */
static void
test_structural_defects(void **state)
{
	static const struct {
		uint64_t tag;
		int64_t pl, pv, ul, uv;
		enum masa_err decode, verify;
		const char *why;
	} cases[] = {
		{ 18, 1, -7, 0, 0, MASA_OK, MASA_E_SIGNATURE, "well formed, empty signature" },
		{ 0, 1, -7, 0, 0, MASA_OK, MASA_E_SIGNATURE, "untagged is accepted" },
		{ 17, 1, -7, 0, 0, MASA_E_COSE, MASA_OK, "COSE_Mac0 tag" },
		{ 98, 1, -7, 0, 0, MASA_E_COSE, MASA_OK, "COSE_Sign tag" },
		{ 18, 0, 0, 1, -7, MASA_OK, MASA_E_ALG, "alg only unprotected" },
		{ 18, 0, 0, 0, 0, MASA_OK, MASA_E_ALG, "no alg at all" },
		{ 18, 1, -7, 1, -7, MASA_E_COSE, MASA_OK, "alg in both headers" },
		{ 18, 1, 5, 0, 0, MASA_OK, MASA_E_ALG, "HMAC 256/256" },
		{ 18, 1, -65535, 0, 0, MASA_OK, MASA_E_ALG, "unknown alg" },
		{ 18, 1, -8, 0, 0, MASA_OK, MASA_E_ALG, "EdDSA with a P-256 key" },
		{ 18, 1, -35, 0, 0, MASA_OK, MASA_E_ALG, "ES384 with a P-256 key" },
		{ 18, 2, 99, 0, 0, MASA_E_COSE, MASA_OK, "crit that is not an array" },
		{ 18, 1, -7, 2, 1, MASA_E_COSE, MASA_OK, "crit in the unprotected header" },
		{ 18, 1, -7, 32, 5, MASA_E_COSE, MASA_OK, "x5bag that is not bytes" },
	};
	const struct tu_dir *d = *state;
	struct masa_signer *s = tu_signer(d, MASA_ALG_ES256);
	uint8_t spki[MASA_SPKI_MAX];
	struct masa_cose_sign1 m;
	struct masa_buf msg;
	EVP_PKEY *pub;
	size_t i, len;
	enum masa_err rc;

	assert_int_equal(masa_signer_public_der(s, spki, sizeof spki, &len), MASA_OK);
	assert_int_equal(masa_pubkey_parse((struct masa_bytes){ spki, len }, &pub), MASA_OK);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		build(&msg, cases[i].tag, cases[i].pl, cases[i].pv, cases[i].ul, cases[i].uv);
		rc = masa_cose_sign1_decode(masa_buf_view(&msg), &lim, &m);
		if (rc != cases[i].decode)
			fail_msg("%s: decode %d, want %d", cases[i].why, rc, cases[i].decode);
		if (rc == MASA_OK && (rc = masa_cose_sign1_verify(&m, pub)) != cases[i].verify)
			fail_msg("%s: verify %d, want %d", cases[i].why, rc, cases[i].verify);
		masa_buf_free(&msg);
	}
	EVP_PKEY_free(pub);
	masa_signer_free(s);
}

/* An unknown critical label, and a duplicate label in one header. */
static void
test_crit_and_duplicates(void **state)
{
	static const char *cases[][2] = {
		/* protected {1: -7, 2: [99], 99: 0} */
		{ "d2 84 4a a3 01 26 02 81 18 63 18 63 00 a0 40 40", "unknown crit" },
		/* protected {1: -7, 2: [4]} with no kid present */
		{ "d2 84 46 a2 01 26 02 81 04 a0 40 40", "crit label absent" },
		/* unprotected {4: h'', 4: h''} */
		{ "d2 84 43 a1 01 26 a2 04 40 04 40 40 40", "duplicate kid" },
	};
	static const enum masa_err want[] = { MASA_E_COSE_CRIT, MASA_E_COSE_CRIT, MASA_E_DUPLICATE_KEY };
	uint8_t buf[64];
	struct masa_cose_sign1 m;
	size_t i, n;
	unsigned x;
	const char *h;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (n = 0, h = cases[i][0]; *h; h++) {
			if (*h == ' ')
				continue;
			sscanf(h, "%2x", &x);
			buf[n++] = (uint8_t)x;
			h++;
		}
		if (masa_cose_sign1_decode((struct masa_bytes){ buf, n }, &lim, &m) != want[i])
			fail_msg("%s not refused as expected", cases[i][1]);
	}
}

/* A codec whose verify counts its calls and verifies nothing. */
static int verify_calls;

static enum masa_err
counting_verify(const struct masa_vreq_raw *v, int pvr, EVP_PKEY *key)
{
	(void)v;
	(void)pvr;
	(void)key;
	verify_calls++;
	return MASA_E_SIGNATURE;
}

/* Security review F9: an RVR with 8 certificates, a TLS client
 * certificate and a PVR proximity key, none of which verifies, costs at
 * most MASA_REGISTRAR_TRIES verifications, not one per key; and a key
 * named outside the certificate set is tried first. */
static void
test_registrar_candidates_are_capped(void **state)
{
	static uint8_t cert[4096];
	struct masa_codec counting = masa_codec_cose;
	struct masa_vreq_raw v;
	struct masa_registrar reg;
	size_t n = vector("registrar.hex", cert, sizeof cert), i;

	(void)state;
	counting.verify = counting_verify;
	memset(&v, 0, sizeof v);
	v.codec = &counting;
	v.rvr.alg_ok = 1;
	v.rvr.alg = MASA_ALG_ES256;
	for (i = 0; i < MASA_VREQ_CERTS_MAX; i++)
		v.rvr.certs[i] = (struct masa_bytes){ cert, n };
	v.rvr.ncerts = MASA_VREQ_CERTS_MAX;
	verify_calls = 0;
	assert_int_equal(masa_vreq_find_registrar(&v, (struct masa_bytes){ cert, n }, &reg),
	    MASA_E_SIGNATURE);
	assert_int_equal(verify_calls, MASA_REGISTRAR_TRIES);
}

/* Proves the leaf checks of the voucher-request decoder on payloads that
 * differ from a valid one by one leaf (generated with cbor2; the
 * description gives each in words): types, lengths, empty binary leaves,
 * key forms (delta, tag-47 absolute, names with and without the module
 * prefix, the pre-2021 names) and the outer container. Each row gets its
 * exact error; the accepted rows also keep what they name. */
static void
test_vreq_leaf_table(void **state)
{
	static const struct {
		const char *what, *hex;
		enum masa_err want;
	} rows[] = {
		{ "serial as a UTF-8 byte string (older registrars)", "a11909c5a10d43534e31", MASA_OK },
		{ "serial as an integer", "a11909c5a10d07", MASA_E_VREQ },
		{ "serial as a byte string with a control character", "a11909c5a10d43530a4e", MASA_E_VREQ },
		{ "nonce as text (older registrars: its bytes)", "a11909c5a20d63534e3107683132333435363738", MASA_OK },
		{ "nonce as an integer", "a11909c5a20d63534e31071a00bc614e", MASA_E_VREQ },
		{ "assertion as its name (older registrars)", "a11909c5a20d63534e31016970726f78696d697479", MASA_OK },
		{ "assertion as an unknown name", "a11909c5a20d63534e310166737572656c79", MASA_E_VREQ },
		{ "created-on as tag 1 epoch", "a11909c5a20d63534e3102c11a6553f100", MASA_OK },
		{ "serial only (delta keys)", "a11909c5a10d63534e31", MASA_OK },
		{ "empty serial", "a11909c5a10d60", MASA_E_VREQ },
		{ "serial with a control character", "a11909c5a10d63530a4e", MASA_E_VREQ },
		{ "serial of 128 bytes", "a11909c5a10d78805353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353", MASA_OK },
		{ "serial of 129 bytes", "a11909c5a10d7881535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353", MASA_E_VREQ },
		{ "no serial", "a11909c5a107483132333435363738", MASA_E_VREQ },
		{ "created-on as an integer", "a11909c5a20d63534e31021a6553f100", MASA_E_VREQ },
		{ "nonce of 7 bytes", "a11909c5a20d63534e31074731323334353637", MASA_E_VREQ },
		{ "nonce of 8 bytes", "a11909c5a20d63534e3107483132333435363738", MASA_OK },
		{ "nonce of 32 bytes", "a11909c5a20d63534e310758206e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e", MASA_OK },
		{ "nonce of 33 bytes", "a11909c5a20d63534e310758216e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e", MASA_E_VREQ },
		{ "empty prior-signed-voucher-request", "a11909c5a20d63534e310940", MASA_E_VREQ },
		{ "empty proximity-registrar-pubk", "a11909c5a20d63534e310c40", MASA_E_VREQ },
		{ "empty proximity-registrar-cert", "a11909c5a20d63534e310a40", MASA_E_VREQ },
		{ "empty idevid-issuer", "a11909c5a20d63534e310540", MASA_E_VREQ },
		{ "idevid-issuer as text", "a11909c5a20d63534e31056178", MASA_E_VREQ },
		{ "proximity sha256 of 31 bytes", "a11909c5a20d63534e310b581f68686868686868686868686868686868686868686868686868686868686868", MASA_E_VREQ },
		{ "proximity sha256 of 32 bytes", "a11909c5a20d63534e310b58206868686868686868686868686868686868686868686868686868686868686868", MASA_OK },
		{ "proximity sha256 of 33 bytes", "a11909c5a20d63534e310b5821686868686868686868686868686868686868686868686868686868686868686868", MASA_E_VREQ },
		{ "assertion as an enumeration value", "a11909c5a20d63534e310102", MASA_OK },
		{ "tag-47 key with a negative value", "a11909c5a20d63534e31d82f204178", MASA_E_VREQ },
		{ "tag-47 key over a text", "a11909c5a20d63534e31d82f64323530384178", MASA_E_VREQ },
		{ "tag-47 absolute SID of serial-number", "a11909c5a1d82f1909d263534e31", MASA_OK },
		{ "negative integer key", "a11909c5a20d63534e31204178", MASA_E_VREQ },
		{ "byte-string key", "a11909c5a20d63534e31416b4178", MASA_E_VREQ },
		{ "unknown leaf (delta 99), ignored", "a11909c5a20d63534e31186368616e797468696e67", MASA_OK },
		{ "unknown leaf name, ignored", "a1781c696574662d766f75636865722d726571756573743a766f7563686572a26d73657269616c2d6e756d62657263534e3166636f6c6f757263726564", MASA_OK },
		{ "pre-2021 leaf names", "a1781c696574662d766f75636865722d726571756573743a766f7563686572a36d73657269616c2d6e756d62657263534e31782b70726f78696d6974792d7265676973747261722d7375626a6563742d7075626c69632d6b65792d696e666f4101783570726f78696d6974792d7265676973747261722d7368613235362d6f662d7375626a6563742d7075626c69632d6b65792d696e666f58206868686868686868686868686868686868686868686868686868686868686868", MASA_OK },
		{ "prefixed leaf names", "a1781c696574662d766f75636865722d726571756573743a766f7563686572a17822696574662d766f75636865722d726571756573743a73657269616c2d6e756d62657263534e31", MASA_OK },
		{ "absolute SID keys under the name container", "a1781c696574662d766f75636865722d726571756573743a766f7563686572a21909d263534e311909cc483132333435363738", MASA_OK },
		{ "delta key under the name container (SID 13: no serial)", "a1781c696574662d766f75636865722d726571756573743a766f7563686572a10d63534e31", MASA_E_VREQ },
		{ "outer map with two entries", "a21909c5a10d63534e311909c6a0", MASA_E_VREQ },
		{ "outer key of another module", "a1190993a10d63534e31", MASA_E_VREQ },
		{ "container not a map", "a11909c5820d63534e31", MASA_E_VREQ },
		{ "not a map", "811909c5", MASA_E_VREQ },
	};
	static uint8_t buf[512];
	struct masa_vreq_leaves l;
	enum masa_err rc;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		n = tu_unhex(rows[i].hex, buf, sizeof buf);
		assert_true(n > 0);
		memset(&l, 0, sizeof l);
		rc = masa_cose_vreq_payload((struct masa_bytes){ buf, n }, &l);
		if (rc != rows[i].want)
			fail_msg("%s: %s, want %s", rows[i].what, masa_err_name(rc),
			    masa_err_name(rows[i].want));
		if (rc == MASA_OK)
			assert_non_null(l.serial.ptr);
	}
	/* what the pre-2021 names fill in: the same leaves as today's names */
	for (i = 0; strcmp(rows[i].what, "pre-2021 leaf names") != 0; i++)
		;
	n = tu_unhex(rows[i].hex, buf, sizeof buf);
	assert_int_equal(masa_cose_vreq_payload((struct masa_bytes){ buf, n }, &l), MASA_OK);
	assert_int_equal(l.prox_pubk.len, 1);
	assert_int_equal(l.prox_sha256.len, 32);
	assert_int_equal(l.serial.len, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_verify),
		cmocka_unit_test(test_rvr_vector_pipeline),
		cmocka_unit_test(test_registrar_candidates_are_capped),
		cmocka_unit_test_setup_teardown(test_sign_round_trip, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_structural_defects, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test(test_crit_and_duplicates),
		cmocka_unit_test(test_vreq_leaf_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
