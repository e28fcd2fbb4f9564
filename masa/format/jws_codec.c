/*
 * jws_codec.c: the JWS format (draft-ietf-anima-jws-voucher): General JWS
 * JSON Serialization (RFC 7515 §7.2.1) with exactly one signature, its
 * protected header carrying alg (ES256, ES384, EdDSA), typ and x5c (the
 * signer's certificates, standard base64 DER). The signature covers
 * ASCII(protected || '.' || payload) as received; ECDSA signatures are
 * raw r||s (RFC 7518 §3.4), which is what the signer makes.
 */
#include "json_codec.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/signer.h"
#include "encode.h"
#include "masa_limits.h"

#define JWS_TYP "voucher-jws+json"

/* The codec's view of one signed request: the signing input and the
 * signature, in the arena. */
struct jws_priv {
	struct masa_bytes payload;	/* decoded: its JSON (first: masa_json_voucher_open) */
	struct masa_bytes input;
	struct masa_bytes sig;
};
_Static_assert(sizeof(struct jws_priv) <= MASA_VREQ_PRIV_MAX, "fits in priv");

static const struct {
	const char *name;
	enum masa_alg alg;
} algs[] = {
	{ "ES256", MASA_ALG_ES256 },
	{ "ES384", MASA_ALG_ES384 },
	{ "EdDSA", MASA_ALG_EDDSA },
};

/* base64url text s of a JSON string into a (MASA_E_JWS if it is not). */
static enum masa_err
unb64url(json_t *s, struct masa_arena *a, struct masa_bytes *out)
{
	size_t n = json_string_length(s), cap = n / 4 * 3 + 3, len;
	uint8_t *d = masa_arena_take(a, cap);

	if (d == NULL)
		return MASA_E_TOO_LARGE;
	if (!json_is_string(s) ||
	    masa_unb64url(json_string_value(s), n, d, cap, &len) != 0)
		return MASA_E_JWS;
	*out = (struct masa_bytes){ d, len };
	return MASA_OK;
}

/* The protected header (JSON text hdr): alg into sig, x5c into sig->certs. */
static enum masa_err
header(struct masa_bytes hdr, struct masa_arena *a, struct masa_vreq_sig *sig)
{
	json_error_t err;
	json_t *h = json_loadb((const char *)hdr.ptr, hdr.len, JSON_REJECT_DUPLICATES, &err);
	json_t *alg, *x5c, *c;
	enum masa_err rc = MASA_E_JWS;
	size_t i;

	if (h == NULL)
		return json_error_code(&err) == json_error_duplicate_key ?
		    MASA_E_DUPLICATE_KEY : MASA_E_JWS;
	alg = json_object_get(h, "alg");
	x5c = json_object_get(h, "x5c");
	if (!json_is_object(h) || !json_is_string(alg) || json_object_get(h, "crit") != NULL ||
	    (x5c != NULL && (!json_is_array(x5c) || json_array_size(x5c) > MASA_VREQ_CERTS_MAX)))
		goto done;	/* crit: we understand no extension */
	sig->alg_ok = 0;
	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		if (strcmp(json_string_value(alg), algs[i].name) == 0) {
			sig->alg = algs[i].alg;
			sig->alg_ok = 1;
		}
	}
	rc = MASA_OK;
	json_array_foreach(x5c, i, c) {
		if (!json_is_string(c) || masa_json_binary(json_string_value(c),
		    json_string_length(c), a, &sig->certs[i]) != MASA_OK) {
			rc = MASA_E_JWS;
			break;
		}
		sig->ncerts = i + 1;
	}
done:
	json_decref(h);
	return rc;
}

/* Decodes one JWS (JSON text jws; masa_json_sig_decode; without leaves,
 * only the signed message: a voucher). */
static enum masa_err
sig_decode(struct masa_bytes jws, int rvr, struct masa_arena *a, struct masa_vreq_sig *sig,
    struct masa_vreq_leaves *leaves)
{
	json_error_t err;
	json_t *top = json_loadb((const char *)jws.ptr, jws.len, JSON_REJECT_DUPLICATES, &err);
	json_t *payload, *sigs, *s0, *prot, *sv;
	struct jws_priv priv;
	struct masa_bytes hdr, body;
	size_t plen, blen;
	uint8_t *in;
	enum masa_err rc = MASA_E_JWS;

	(void)rvr;	/* an RVR and a PVR are read alike */
	if (top == NULL)
		return json_error_code(&err) == json_error_duplicate_key ?
		    MASA_E_DUPLICATE_KEY : MASA_E_JWS;
	payload = json_object_get(top, "payload");
	sigs = json_object_get(top, "signatures");
	s0 = json_array_get(sigs, 0);
	prot = json_object_get(s0, "protected");
	sv = json_object_get(s0, "signature");
	if (!json_is_object(top) || !json_is_string(payload) || !json_is_array(sigs) ||
	    json_array_size(sigs) != 1 || !json_is_string(prot) || !json_is_string(sv))
		goto done;
	rc = unb64url(prot, a, &hdr);
	if (rc == MASA_OK)
		rc = header(hdr, a, sig);
	if (rc == MASA_OK)
		rc = unb64url(payload, a, &body);
	if (rc == MASA_OK)
		rc = unb64url(sv, a, &priv.sig);
	if (rc != MASA_OK)
		goto done;
	/* The signing input, from the text received. */
	plen = json_string_length(prot);
	blen = json_string_length(payload);
	in = masa_arena_take(a, plen + 1 + blen);
	rc = MASA_E_TOO_LARGE;
	if (in == NULL)
		goto done;
	memcpy(in, json_string_value(prot), plen);
	in[plen] = '.';
	memcpy(in + plen + 1, json_string_value(payload), blen);
	priv.input = (struct masa_bytes){ in, plen + 1 + blen };
	priv.payload = body;
	rc = leaves != NULL ? masa_json_vreq_leaves(body, a, leaves) : MASA_OK;
	if (rc == MASA_OK)
		memcpy(sig->priv, &priv, sizeof priv);
done:
	json_decref(top);
	return rc;
}

/* masa_codec_jws.decode */
static enum masa_err
jws_decode(struct masa_bytes body, struct masa_vreq_raw *out)
{
	return masa_json_vreq_decode(body, sig_decode, out);
}

/* The raw signature of sig's message over its signing input. */
static enum masa_err
sig_verify(const struct masa_vreq_sig *sig, EVP_PKEY *key)
{
	struct jws_priv priv;
	enum masa_err rc;

	memcpy(&priv, sig->priv, sizeof priv);
	if (!sig->alg_ok)
		return MASA_E_ALG;
	rc = masa_alg_verify_raw(sig->alg, key, priv.input, priv.sig);
	return rc == MASA_E_CRYPTO ? MASA_E_SIGNATURE : rc;
}

/* masa_codec_jws.verify */
static enum masa_err
jws_verify(const struct masa_vreq_raw *v, int pvr, EVP_PKEY *key)
{
	return sig_verify(pvr ? &v->pvr : &v->rvr, key);
}

enum masa_err
masa_jws_voucher_open(struct masa_bytes voucher, EVP_PKEY *key, struct masa_buf *json)
{
	return masa_json_voucher_open(voucher, sig_decode, sig_verify, key, json);
}

/* Appends base64url of b to out. */
static enum masa_err
put_b64url(struct masa_buf *out, struct masa_bytes b)
{
	char *t = malloc(MASA_B64URL_LEN(b.len) + 1);
	enum masa_err rc = MASA_E_NOMEM;
	size_t n;

	if (t != NULL) {
		n = masa_b64url(b.ptr, b.len, t);
		rc = masa_buf_append(out, t, n);
	}
	free(t);
	return rc;
}

/* The protected header JSON: alg, typ, x5c of chain. */
static enum masa_err
protected_header(enum masa_alg alg, const struct masa_bytes *chain, size_t n, struct masa_buf *out)
{
	json_t *h = json_object(), *x5c = json_array();
	enum masa_err rc = MASA_E_NOMEM;
	char *t = NULL, *text = NULL;
	int bad = h == NULL || x5c == NULL;
	size_t i;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (algs[i].alg == alg)
			bad = bad || json_object_set_new(h, "alg", json_string(algs[i].name)) != 0;
	bad = bad || json_object_set_new(h, "typ", json_string(JWS_TYP)) != 0;
	for (i = 0; !bad && i < n; i++) {
		t = malloc(MASA_B64_LEN(chain[i].len) + 1);
		bad = t == NULL;
		if (!bad)
			masa_b64(chain[i].ptr, chain[i].len, t);
		bad = bad || json_array_append_new(x5c, json_string(t)) != 0;
		free(t);
	}
	if (n > 0)
		bad = bad || json_object_set(h, "x5c", x5c) != 0;
	if (!bad && (text = json_dumps(h, JSON_COMPACT)) != NULL)
		rc = masa_buf_append(out, text, strlen(text));
	free(text);
	json_decref(x5c);
	json_decref(h);
	return rc;
}

enum masa_err
masa_jws_sign(struct masa_signer *s, struct masa_bytes payload, const struct masa_bytes *chain,
    size_t n, struct masa_buf *out)
{
	struct masa_buf hdr, input;
	uint8_t sig[MASA_SIG_MAX];
	size_t slen, plen;
	enum masa_err rc;

	masa_buf_init(&hdr, 64 * 1024);
	masa_buf_init(&input, 256 * 1024);
	rc = protected_header(masa_signer_alg(s), chain, n, &hdr);
	if (rc == MASA_OK)
		rc = put_b64url(&input, masa_buf_view(&hdr));
	plen = input.len;
	if (rc == MASA_OK)
		rc = masa_buf_append(&input, ".", 1);
	if (rc == MASA_OK)
		rc = put_b64url(&input, payload);
	if (rc == MASA_OK)
		rc = masa_signer_sign(s, masa_buf_view(&input), sig, &slen);
	if (rc == MASA_OK)
		rc = masa_buf_append(out, "{\"payload\":\"", 12);
	if (rc == MASA_OK)
		rc = masa_buf_append(out, input.ptr + plen + 1, input.len - plen - 1);
	if (rc == MASA_OK)
		rc = masa_buf_append(out, "\",\"signatures\":[{\"protected\":\"", 30);
	if (rc == MASA_OK)
		rc = masa_buf_append(out, input.ptr, plen);
	if (rc == MASA_OK)
		rc = masa_buf_append(out, "\",\"signature\":\"", 15);
	if (rc == MASA_OK)
		rc = put_b64url(out, (struct masa_bytes){ sig, slen });
	if (rc == MASA_OK)
		rc = masa_buf_append(out, "\"}]}", 4);
	masa_buf_free(&hdr);
	masa_buf_free(&input);
	return rc;
}

enum masa_err
masa_jws_voucher_sign(const struct masa_voucher_in *in, struct masa_signer *s,
    struct masa_bytes masa_cert, struct masa_buf *out)
{
	return masa_json_voucher_sign(in, s, masa_cert, masa_jws_sign, out);
}

const struct masa_codec masa_codec_jws = {
	.format = MASA_FORMAT_JWS,
	.name = "jws",
	.decode = jws_decode,
	.verify = jws_verify,
	.sign = masa_jws_voucher_sign,
	.key_part = masa_json_no_key_part,
};
