/* client.c: see client.h. */
#define _GNU_SOURCE	/* memmem */
#include "client.h"

#include <string.h>

#include "cli.h"
#include "cbor/cbor_diag.h"
#include "cose/cose_key.h"
#include "cose/cose_sign1.h"
#include "crypto/rand.h"
#include "crypto/signer.h"
#include "crypto/x509.h"
#include "fsutil.h"
#include "http_client.h"
#include "masa_limits.h"
#include "timeutil.h"
#include "cose_codec.h"
#include "vreq_build.h"
#include "client_json.h"

/* The request's media type for each format. */
static const char *
request_type(enum masa_format f)
{
	return f == MASA_FORMAT_CMS ? "application/voucher-cms+json" :
	    f == MASA_FORMAT_JWS ? "application/voucher-jws+json" : "application/voucher+cose";
}

static const struct masa_cbor_limits limits = { 16, 4096, 256 };

/* Loads the private key of path given as option (the role's key); a
 * public key or certificate there is named as such, not handed to the
 * parser (whose complaint would name neither the file nor the fix). */
static enum masa_err
load_key(const char *path, const char *option, const char *role, struct masa_signer **out,
    struct masa_diag *diag)
{
	enum masa_pem_kind kind = masa_cli_pem_file_kind(path);

	if (kind == MASA_PEM_PUBLIC || kind == MASA_PEM_CERT) {
		masa_diag_set(diag, "%s holds a %s; %s needs the %s's private key", path,
		    kind == MASA_PEM_PUBLIC ? "public key" : "certificate", option, role);
		return MASA_E_KEY;
	}
	return masa_signer_load_any(path, out, diag);
}

/* build_request in a JSON format: the PVR (unless nonceless) into pvr,
 * the RVR into out. */
static enum masa_err
build_json(const struct masa_client_opts *o, struct masa_signer *pledge, struct masa_signer *reg,
    struct masa_bytes reg_spki, struct masa_bytes cert, const uint8_t nonce[MASA_NONCE_MIN],
    struct masa_buf *pvr, struct masa_buf *out)
{
	struct masa_json_vreq v;
	enum masa_err rc = MASA_OK;

	memset(&v, 0, sizeof v);
	v.serial = (struct masa_bytes){ (const uint8_t *)o->serial, strlen(o->serial) };
	v.created_ms = masa_now_ms();
	if (!o->nonceless) {
		v.nonce = (struct masa_bytes){ nonce, MASA_NONCE_MIN };
		v.prox_spki = reg_spki;
		rc = masa_vreq_build_json(o->format, pledge, &v, (struct masa_bytes){ NULL, 0 }, pvr);
		v.prox_spki = (struct masa_bytes){ NULL, 0 };
		v.pvr_of = masa_buf_view(pvr);
	}
	if (rc == MASA_OK)
		rc = masa_vreq_build_json(o->format, reg, &v, cert, out);
	return rc;
}

/* Builds the RVR (with its PVR unless nonceless) into out; the nonce it
 * carries (MASA_NONCE_MIN bytes, none if nonceless) into nonce. */
static enum masa_err
build_request(const struct masa_client_opts *o, struct masa_buf *out,
    uint8_t nonce[MASA_NONCE_MIN])
{
	struct masa_signer *pledge = NULL, *reg = NULL;
	struct masa_diag diag = { { 0 } };
	struct masa_buf pvr, cert;
	struct masa_bytes serial = { (const uint8_t *)o->serial, strlen(o->serial) };
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len = 0;
	enum masa_err rc;

	masa_buf_init(&pvr, 64 * 1024);
	masa_buf_init(&cert, 0);
	rc = load_key(o->registrar_key, "--registrar-key", "registrar", &reg, &diag);
	if (rc == MASA_OK && !o->nonceless)
		rc = load_key(o->pledge_key, "--pledge-key", "pledge", &pledge, &diag);
	if (rc == MASA_OK && o->registrar_cert != NULL) {
		rc = masa_pem_key_file(o->registrar_cert, 1, spki, &spki_len, &cert, &diag);
	}
	if (rc == MASA_OK)
		rc = masa_signer_public_der(reg, spki, sizeof spki, &spki_len);
	if (rc == MASA_OK && !o->nonceless)
		rc = masa_rand_bytes(nonce, MASA_NONCE_MIN);
	if (rc == MASA_OK && o->format != MASA_FORMAT_COSE && o->format != 0) {
		rc = build_json(o, pledge, reg, (struct masa_bytes){ spki, spki_len },
		    masa_buf_view(&cert), nonce, &pvr, out);
		goto done;
	}
	if (rc == MASA_OK && !o->nonceless)
		rc = masa_vreq_build_pvr(pledge, serial, (struct masa_bytes){ nonce, MASA_NONCE_MIN },
		    (struct masa_bytes){ spki, spki_len }, &pvr);
	if (rc == MASA_OK)
		rc = masa_vreq_build_rvr(reg, serial, (struct masa_bytes){ nonce, o->nonceless ? 0 : MASA_NONCE_MIN },
		    masa_buf_view(&pvr), masa_now_ms(), masa_buf_view(&cert), out);
done:
	if (rc != MASA_OK)
		fprintf(stderr, "masa: %s\n", diag.msg[0] ? diag.msg : "cannot build the voucher-request");
	masa_signer_free(pledge);
	masa_signer_free(reg);
	masa_buf_free(&pvr);
	masa_buf_free(&cert);
	return rc;
}

/* Posts the request to path under the base URL. */
static enum masa_err
post(const struct masa_client_opts *o, const char *path, const char *accept, struct masa_bytes body,
    struct masa_http_answer *a, FILE *f)
{
	struct masa_diag diag = { { 0 } };
	struct masa_http_request rq;
	char url[512];
	enum masa_err rc;

	snprintf(url, sizeof url, "%s%s", o->url, path);
	memset(&rq, 0, sizeof rq);
	rq.url = url;
	rq.content_type = request_type(o->format);
	rq.accept = accept;
	rq.body = body;
	rq.ca_file = o->ca;
	rq.insecure = o->insecure;
	rq.client_cert = o->registrar_cert;
	rq.client_key = o->registrar_cert ? o->registrar_key : NULL;
	rc = masa_http_post(&rq, a, &diag);
	if (rc != MASA_OK)
		fprintf(stderr, "masa: %s\n", diag.msg);
	else
		fprintf(f, "status: %ld %s\n", a->status, a->content_type);
	return rc;
}

/* The part of a multipart body whose Content-Type starts with type. */
static int
multipart_part(const char *ctype, struct masa_bytes body, const char *type, struct masa_bytes *out)
{
	char delim[160];
	const char *b = strstr(ctype, "boundary="), *p, *end = (const char *)body.ptr + body.len;
	const char *hdr_end, *next;
	size_t n, blen;

	if (b == NULL)
		return 0;
	b += 9;
	if (*b == '"') {	/* boundary="..." (RFC 2046 §5.1.1 allows quoting) */
		b++;
		n = strcspn(b, "\"");
		if (b[n] != '"')
			return 0;
	} else {
		n = strcspn(b, "; \t");
	}
	if (n == 0 || n > 100)
		return 0;
	blen = (size_t)snprintf(delim, sizeof delim, "--%.*s", (int)n, b);
	for (p = (const char *)body.ptr; p != NULL && p < end; p = next) {
		p = memmem(p, (size_t)(end - p), delim, blen);
		if (p == NULL)
			return 0;
		p += blen;
		if (p + 2 > end || p[0] != '\r' || p[1] != '\n')
			return 0;	/* "--" ends the body */
		hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hdr_end == NULL)
			return 0;
		next = memmem(hdr_end, (size_t)(end - hdr_end), delim, blen);
		if (next == NULL || next - hdr_end < 6)
			return 0;
		if (memmem(p, (size_t)(hdr_end - p), type, strlen(type)) != NULL) {
			out->ptr = (const uint8_t *)hdr_end + 4;
			out->len = (size_t)(next - 2 - (hdr_end + 4));	/* less the CRLF */
			return 1;
		}
	}
	return 0;
}

/* 1 if key k names a voucher leaf: its SID delta, or its YANG name. */
static int
leaf_is(const struct masa_cbor *k, int by_sid, uint64_t delta, const char *name)
{
	return by_sid ? k->type == MASA_CBOR_UINT && k->arg == delta : masa_cbor_is_text(k, name);
}

/* The nonce and serial-number leaves of a voucher payload (empty views
 * when absent), keyed by SID deltas under 2451 or by YANG names. */
static void
voucher_leaves(const struct masa_cbor *payload, struct masa_bytes *nonce, struct masa_bytes *serial)
{
	struct masa_cbor_iter it;
	struct masa_cbor k, v, inner;
	int by_sid;

	*nonce = *serial = (struct masa_bytes){ NULL, 0 };
	if (payload->type != MASA_CBOR_MAP || payload->arg != 1)
		return;
	masa_cbor_iter_init(payload, &it);
	if (!masa_cbor_iter_next(&it, &k) || !masa_cbor_iter_next(&it, &inner) ||
	    inner.type != MASA_CBOR_MAP)
		return;
	by_sid = k.type == MASA_CBOR_UINT && k.arg == MASA_SID_VOUCHER;
	if (!by_sid && !masa_cbor_is_text(&k, "ietf-voucher:voucher"))
		return;
	masa_cbor_iter_init(&inner, &it);
	while (masa_cbor_iter_next(&it, &k) && masa_cbor_iter_next(&it, &v)) {
		if (v.type == MASA_CBOR_BSTR && leaf_is(&k, by_sid, MASA_V_NONCE, "nonce"))
			*nonce = v.str;
		if (v.type == MASA_CBOR_TSTR && leaf_is(&k, by_sid, MASA_V_SERIAL, "serial-number"))
			*serial = v.str;
	}
}

/* Compares the voucher's serial-number and nonce with the request's and
 * prints the verdicts; 1 if they match. */
static int
report_binding(const struct masa_client_opts *o, const struct masa_cbor *payload,
    const uint8_t nonce[MASA_NONCE_MIN], FILE *f)
{
	struct masa_bytes vn, vs;
	int serial_ok, nonce_ok;

	voucher_leaves(payload, &vn, &vs);
	serial_ok = vs.len == strlen(o->serial) && memcmp(vs.ptr, o->serial, vs.len) == 0;
	fprintf(f, "serial-number: %s\n", serial_ok ? "matches the request" : "DOES NOT MATCH the request");
	if (o->nonceless) {
		fprintf(f, "nonce: %s\n", vn.len == 0 ? "none (nonceless request)" :
		    "present, though the request had none");
		return serial_ok;
	}
	nonce_ok = vn.len == MASA_NONCE_MIN && memcmp(vn.ptr, nonce, MASA_NONCE_MIN) == 0;
	fprintf(f, "nonce: %s\n", nonce_ok ? "matches the request" :
	    vn.len == 0 ? "MISSING from the voucher" : "DOES NOT MATCH the request");
	return serial_ok && nonce_ok;
}

/* The MASA key to check a voucher with: --masa-key (a public key or a
 * certificate), else the answer's COSE_Key; *source names it. NULL if
 * neither (or --masa-key does not read: said on stderr). */
static EVP_PKEY *
masa_key(const struct masa_client_opts *o, EVP_PKEY *from_answer, const char **source)
{
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len;
	struct masa_buf cert;
	struct masa_diag msg = { { 0 } };
	EVP_PKEY *key = NULL;

	*source = "the COSE_Key in the answer (self-asserted: it shows the voucher is "
	    "intact, not who signed it)";
	if (o->masa_key != NULL) {
		*source = o->masa_key;
		if (masa_pem_key_file(o->masa_key, 0, spki, &spki_len, &cert, NULL) != MASA_OK &&
		    masa_pem_key_file(o->masa_key, 1, spki, &spki_len, &cert, &msg) != MASA_OK) {
			fprintf(stderr, "masa: %s\n", msg.msg);
			return NULL;
		}
		masa_buf_free(&cert);
		if (masa_pubkey_parse((struct masa_bytes){ spki, spki_len }, &key) != MASA_OK)
			key = NULL;
	} else if (from_answer != NULL) {
		EVP_PKEY_up_ref(from_answer);
		key = from_answer;
	}
	return key;
}

/* Prints the voucher's payload, checks its signature and that it names
 * the request's serial-number and nonce; 0 only if all of that holds.
 * CMS and JWS vouchers: client_json.c. */
static int
report_voucher(const struct masa_client_opts *o, const char *ctype, struct masa_bytes voucher,
    EVP_PKEY *from_answer, const uint8_t nonce[MASA_NONCE_MIN], FILE *f)
{
	struct masa_cose_sign1 m;
	struct masa_cbor payload;
	struct masa_buf diag_text;
	const char *source;
	EVP_PKEY *key;
	enum masa_format jf = masa_client_json_format(ctype);
	int verified = 0, bound = 0;

	if (jf != 0) {
		key = masa_key(o, NULL, &source);
		verified = masa_client_json_report(o, jf, voucher, key, source, nonce, f);
		EVP_PKEY_free(key);
		return verified ? 0 : 1;
	}
	masa_buf_init(&diag_text, 1024 * 1024);
	if (masa_cose_sign1_decode(voucher, &limits, &m) != MASA_OK ||
	    masa_cbor_decode(m.payload, &limits, &payload) != MASA_OK) {
		fprintf(f, "voucher: not a COSE_Sign1 over CBOR\n");
		return 1;
	}
	if (masa_cbor_diag(&payload, &limits, 0, &diag_text) == MASA_OK)
		fprintf(f, "voucher: %s\n", (const char *)diag_text.ptr);
	masa_buf_free(&diag_text);
	bound = report_binding(o, &payload, nonce, f);
	key = masa_key(o, from_answer, &source);
	if (key == NULL) {
		fprintf(f, "signature: not checked (no MASA key: give --masa-key, or --accept multipart/related)\n");
		return 1;
	}
	verified = masa_cose_sign1_verify(&m, key) == MASA_OK;
	EVP_PKEY_free(key);
	fprintf(f, "signature: %s with %s\n", verified ? "verified" : "DOES NOT VERIFY", source);
	return verified && bound ? 0 : 1;
}

int
masa_client_voucher(const struct masa_client_opts *o, FILE *f)
{
	struct masa_http_answer a;
	struct masa_buf rvr;
	struct masa_bytes voucher, key_part;
	EVP_PKEY *answer_key = NULL;
	uint8_t nonce[MASA_NONCE_MIN];
	int code = 1;

	masa_buf_init(&rvr, 128 * 1024);
	memset(&a, 0, sizeof a);
	masa_buf_init(&a.body, 0);
	if (build_request(o, &rvr, nonce) != MASA_OK ||
	    post(o, "/.well-known/brski/requestvoucher", o->accept, masa_buf_view(&rvr), &a, f) != MASA_OK)
		goto done;
	voucher = masa_buf_view(&a.body);
	if (a.status != 200) {
		fprintf(f, "message: %.*s", (int)a.body.len, a.body.ptr ? (const char *)a.body.ptr : "");
		goto done;
	}
	if (strncmp(a.content_type, "multipart/", 10) == 0) {
		if (!multipart_part(a.content_type, masa_buf_view(&a.body), "application/voucher", &voucher)) {
			fprintf(stderr, "masa: no voucher part in the multipart answer\n");
			goto done;
		}
		if (multipart_part(a.content_type, masa_buf_view(&a.body), "application/cose-key", &key_part) &&
		    masa_cose_key_decode(key_part, &answer_key) != MASA_OK)
			fprintf(stderr, "masa: the answer's COSE_Key does not decode\n");
	}
	code = report_voucher(o, a.content_type, voucher, answer_key, nonce, f);
done:
	EVP_PKEY_free(answer_key);
	masa_buf_free(&a.body);
	masa_buf_free(&rvr);
	return code;
}

int
masa_client_auditlog(const struct masa_client_opts *o, FILE *f)
{
	struct masa_http_answer a;
	struct masa_buf rvr;
	uint8_t nonce[MASA_NONCE_MIN];
	int code = 1;

	masa_buf_init(&rvr, 128 * 1024);
	memset(&a, 0, sizeof a);
	masa_buf_init(&a.body, 0);
	if (build_request(o, &rvr, nonce) == MASA_OK &&
	    post(o, "/.well-known/brski/requestauditlog", "application/json", masa_buf_view(&rvr), &a,
	    f) == MASA_OK) {
		fprintf(f, "%s%.*s", a.status == 200 ? "log: " : "message: ", (int)a.body.len,
		    a.body.ptr ? (const char *)a.body.ptr : "");
		if (a.body.len == 0 || a.body.ptr[a.body.len - 1] != '\n')
			fputc('\n', f);
		code = a.status == 200 ? 0 : 1;
	}
	masa_buf_free(&a.body);
	masa_buf_free(&rvr);
	return code;
}
