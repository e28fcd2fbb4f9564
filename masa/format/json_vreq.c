/* json_vreq.c: the voucher-request and voucher JSON of the CMS and JWS
 * formats (json_codec.h), with jansson. */
#include "json_codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/signer.h"
#include "encode.h"
#include "masa_limits.h"
#include "policy.h"
#include "timeutil.h"

#define NAME_VR "ietf-voucher-request:voucher"
#define NAME_V "ietf-voucher:voucher"

enum masa_err
masa_arena_init(struct masa_arena *a, size_t cap)
{
	a->base = malloc(cap > 0 ? cap : 1);
	a->cap = cap;
	a->used = 0;
	return a->base != NULL ? MASA_OK : MASA_E_NOMEM;
}

uint8_t *
masa_arena_take(struct masa_arena *a, size_t n)
{
	uint8_t *p;

	if (n > a->cap - a->used)
		return NULL;
	p = a->base + a->used;
	a->used += n;
	return p;
}

enum masa_err
masa_arena_copy(struct masa_arena *a, const void *p, size_t n, struct masa_bytes *out)
{
	uint8_t *d = masa_arena_take(a, n);

	if (d == NULL)
		return MASA_E_TOO_LARGE;
	if (n > 0)
		memcpy(d, p, n);
	*out = (struct masa_bytes){ d, n };
	return MASA_OK;
}

enum masa_err
masa_json_binary(const char *s, size_t n, struct masa_arena *a, struct masa_bytes *out)
{
	size_t cap = n / 4 * 3 + 3, len;
	uint8_t *d = masa_arena_take(a, cap);

	if (d == NULL)
		return MASA_E_TOO_LARGE;
	if (n == 0 || (masa_unb64(s, n, 0, d, cap, &len) != 0 &&
	    masa_unb64url(s, n, d, cap, &len) != 0) || len == 0)
		return MASA_E_VREQ;
	a->used -= cap - len;	/* give back what the text did not need */
	*out = (struct masa_bytes){ d, len };
	return MASA_OK;
}

/* Binary leaves by name, and where each goes. */
static struct masa_bytes *
binary_leaf(const char *name, struct masa_vreq_leaves *l)
{
	static const struct {
		const char *name;
		size_t off;
	} leaves[] = {
		{ "idevid-issuer", offsetof(struct masa_vreq_leaves, idevid_issuer) },
		{ "nonce", offsetof(struct masa_vreq_leaves, nonce) },
		{ "prior-signed-voucher-request", offsetof(struct masa_vreq_leaves, prior) },
		{ "proximity-registrar-cert", offsetof(struct masa_vreq_leaves, prox_cert) },
		{ "proximity-registrar-pubk-sha256", offsetof(struct masa_vreq_leaves, prox_sha256) },
		{ "proximity-registrar-pubk", offsetof(struct masa_vreq_leaves, prox_pubk) },
	};
	size_t i;

	for (i = 0; i < sizeof leaves / sizeof leaves[0]; i++)
		if (strcmp(name, leaves[i].name) == 0)
			return (struct masa_bytes *)((char *)l + leaves[i].off);
	return NULL;
}

/* One member of the inner object: checked and stored if the MASA reads it. */
static enum masa_err
set_leaf(const char *name, json_t *v, struct masa_arena *a, struct masa_vreq_leaves *l)
{
	static const char *const assertions[] = {
		"verified", "logged", "proximity", "agent-proximity",
	};
	struct masa_bytes *dst = binary_leaf(name, l);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), i;
	enum masa_err rc;

	if (strcmp(name, "assertion") == 0) {
		/* Ignored by the MASA (it decides), but must be an enum value. */
		for (i = 0; s != NULL && i < sizeof assertions / sizeof assertions[0]; i++)
			if (strcmp(s, assertions[i]) == 0)
				return MASA_OK;
		return MASA_E_VREQ;
	}
	if (strcmp(name, "created-on") == 0)
		return s != NULL ? masa_arena_copy(a, s, n, &l->created_on) : MASA_E_VREQ;
	if (strcmp(name, "serial-number") == 0) {
		if (s == NULL || !masa_serial_ok((const uint8_t *)s, n))
			return MASA_E_VREQ;
		return masa_arena_copy(a, s, n, &l->serial);
	}
	if (dst == NULL)
		return MASA_OK;	/* a leaf the MASA does not read */
	if (s == NULL)
		return MASA_E_VREQ;
	rc = masa_json_binary(s, n, a, dst);
	if (rc != MASA_OK)
		return rc;
	if (dst == &l->nonce && (dst->len < MASA_NONCE_MIN || dst->len > MASA_NONCE_MAX))
		return MASA_E_VREQ;
	if (dst == &l->prox_sha256 && dst->len != 32)
		return MASA_E_VREQ;
	return MASA_OK;
}

enum masa_err
masa_json_vreq_leaves(struct masa_bytes json, struct masa_arena *a, struct masa_vreq_leaves *out)
{
	struct masa_vreq_leaves l;
	json_error_t err;
	json_t *top, *inner, *v;
	const char *name;
	enum masa_err rc = MASA_E_VREQ;

	memset(&l, 0, sizeof l);
	top = json_loadb((const char *)json.ptr, json.len, JSON_REJECT_DUPLICATES, &err);
	if (top == NULL)
		return json_error_code(&err) == json_error_duplicate_key ?
		    MASA_E_DUPLICATE_KEY : MASA_E_JSON;
	inner = json_object_get(top, NAME_VR);
	if (!json_is_object(top) || json_object_size(top) != 1 || !json_is_object(inner) ||
	    json_object_size(inner) > MASA_JSON_MAX_MEMBERS)
		goto done;
	json_object_foreach(inner, name, v) {
		rc = set_leaf(name, v, a, &l);
		if (rc != MASA_OK)
			goto done;
	}
	rc = MASA_E_VREQ;
	if (l.serial.ptr == NULL)
		goto done;	/* the one mandatory leaf */
	*out = l;
	rc = MASA_OK;
done:
	json_decref(top);
	return rc;
}

enum masa_err
masa_json_vreq_decode(struct masa_bytes body, masa_json_sig_decode one, struct masa_vreq_raw *out)
{
	struct masa_vreq_raw v;
	struct masa_arena a;
	enum masa_err rc;

	memset(&v, 0, sizeof v);
	if (body.len > (SIZE_MAX - 4096) / MASA_JSON_ARENA_PER_BYTE)
		return MASA_E_TOO_LARGE;
	rc = masa_arena_init(&a, body.len * MASA_JSON_ARENA_PER_BYTE + 4096);
	if (rc != MASA_OK)
		return rc;
	v.body = body;
	v.owned = a.base;
	rc = one(body, 1, &a, &v.rvr, &v.r);
	if (rc == MASA_OK && v.r.prior.ptr != NULL) {
		v.has_pvr = 1;
		if (one(v.r.prior, 0, &a, &v.pvr, &v.p) != MASA_OK)
			rc = MASA_E_PVR_MALFORMED;
	}
	if (rc != MASA_OK) {
		masa_vreq_release(&v);
		return rc;
	}
	*out = v;
	return MASA_OK;
}

enum masa_err
masa_json_voucher_open(struct masa_bytes voucher, masa_json_sig_decode one,
    masa_json_sig_verify verify, EVP_PKEY *key, struct masa_buf *json)
{
	struct masa_vreq_sig sig;
	struct masa_bytes content;
	struct masa_arena a;
	enum masa_err rc;

	memset(&sig, 0, sizeof sig);
	rc = masa_arena_init(&a, voucher.len * 2 + 4096);
	if (rc != MASA_OK)
		return rc;
	rc = one(voucher, 0, &a, &sig, NULL);
	if (rc == MASA_OK)
		rc = verify(&sig, key);
	memcpy(&content, sig.priv, sizeof content);
	if (rc == MASA_OK)
		rc = masa_buf_append(json, content.ptr, content.len);
	free(a.base);
	return rc;
}

enum masa_err
masa_json_voucher_sign(const struct masa_voucher_in *in, struct masa_signer *s,
    struct masa_bytes masa_cert, masa_json_signing sign, struct masa_buf *out)
{
	const struct masa_bytes *chain;
	struct masa_buf json;
	enum masa_err rc;
	size_t n;

	chain = masa_signer_chain(s, &n);
	if (n == 0 && masa_cert.len > 0) {
		chain = &masa_cert;
		n = 1;
	}
	masa_buf_init(&json, 16 * 1024);
	rc = masa_json_voucher(in, &json);
	if (rc == MASA_OK)
		rc = sign(s, masa_buf_view(&json), chain, n, out);
	masa_buf_free(&json);
	return rc;
}

void
masa_json_no_key_part(const struct masa_app *app, const char **type, struct masa_bytes *data)
{
	(void)app;
	*type = NULL;
	*data = (struct masa_bytes){ NULL, 0 };
}

/* Sets key to base64 of b in o. */
static int
set_b64(json_t *o, const char *key, struct masa_bytes b)
{
	char *t = malloc(MASA_B64_LEN(b.len) + 1);
	int r;

	if (t == NULL)
		return -1;
	masa_b64(b.ptr, b.len, t);
	r = json_object_set_new(o, key, json_string(t));
	free(t);
	return r;
}

enum masa_err
masa_json_voucher(const struct masa_voucher_in *in, struct masa_buf *out)
{
	static const char *const assertions[] = { "verified", "logged", "proximity" };
	char created[MASA_RFC3339_LEN], expires[MASA_RFC3339_LEN];
	json_t *top = json_object(), *v = json_object();
	enum masa_err rc = MASA_E_NOMEM;
	char *text = NULL;
	int bad = top == NULL || v == NULL || json_object_set(top, NAME_V, v) != 0;

	if (in->assertion < 0 || in->assertion > MASA_ASSERT_PROXIMITY) {
		rc = MASA_E_INTERNAL;
		goto done;
	}
	masa_rfc3339_s(in->created_ms, created);
	bad = bad || json_object_set_new(v, "assertion",
	    json_string(assertions[in->assertion])) != 0;
	bad = bad || json_object_set_new(v, "created-on", json_string(created)) != 0;
	bad = bad || json_object_set_new(v, "domain-cert-revocation-checks", json_false()) != 0;
	if (in->expires_ms != 0) {
		masa_rfc3339_s(in->expires_ms, expires);
		bad = bad || json_object_set_new(v, "expires-on", json_string(expires)) != 0;
	}
	if (in->nonce.len > 0)
		bad = bad || set_b64(v, "nonce", in->nonce) != 0;
	bad = bad || set_b64(v, in->pin_cert ? "pinned-domain-cert" : "pinned-domain-pubk",
	    in->pin) != 0;
	bad = bad || json_object_set_new(v, "serial-number",
	    json_stringn((const char *)in->serial.ptr, in->serial.len)) != 0;
	if (bad || (text = json_dumps(top, JSON_COMPACT)) == NULL)
		goto done;
	rc = masa_buf_append(out, text, strlen(text));
done:
	free(text);
	json_decref(v);
	json_decref(top);
	return rc;
}
