/*
 * json_codec.h: the two JSON formats: the RFC 8995 format, CMS SignedData
 * over JSON (application/voucher-cms+json; cms_codec.c), and the JWS
 * format, General JWS JSON Serialization (application/voucher-jws+json;
 * jws_codec.c). What they share (json_vreq.c): the voucher-request JSON {"ietf-voucher-request:voucher":
 * {...}} (RFC 8995 §3, RFC 7951 encoding: binary leaves in base64) read
 * into struct masa_vreq_leaves, the voucher JSON {"ietf-voucher:voucher":
 * {...}} written from struct masa_voucher_in, and the arena that holds
 * what the views point at once the JSON is gone (vreq.h owned).
 */
#ifndef MASA_JSON_CODEC_H
#define MASA_JSON_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "voucher.h"
#include "format.h"
#include "vreq.h"

/* CMS decode errors: MASA_E_CMS (not SignedData with one signer and its
 * content attached, or trailing bytes, or base64 text that is not),
 * MASA_E_CMS_CONTENT_TYPE, MASA_E_CMS_SIGNER (the RVR's signer not among
 * its certificates); JWS: MASA_E_JWS (not General JSON Serialization
 * with one signature, bad base64url, a crit header). An alg other than
 * ES256, ES384, EdDSA ("none" too) decodes and is refused by the core as
 * MASA_E_ALG. Both: the JSON errors below, MASA_E_PVR_MALFORMED. */
extern const struct masa_codec masa_codec_cms;
extern const struct masa_codec masa_codec_jws;

/* Builds the voucher JSON of in and signs it as CMS with s and its chain
 * (or masa_cert alone); MASA_E_NOT_ACCEPTABLE without a certificate. */
MASA_NODISCARD enum masa_err masa_cms_voucher_sign(const struct masa_voucher_in *in,
    struct masa_signer *s, struct masa_bytes masa_cert, struct masa_buf *out);

/* Builds the voucher JSON of in and signs it as a JWS with s: protected
 * header alg, typ voucher-jws+json, x5c the MASA chain (or masa_cert). */
MASA_NODISCARD enum masa_err masa_jws_voucher_sign(const struct masa_voucher_in *in,
    struct masa_signer *s, struct masa_bytes masa_cert, struct masa_buf *out);

/* 1 if a CMS request body is not DER but (presumably) its base64 text, as
 * the nqminds/brski registrar sends it; its pledge reads the voucher the
 * same way, through the registrar, so masa answers such a request so. */
int masa_cms_body_is_text(struct masa_bytes body);

/* Signs payload as a JWS in General JSON Serialization with s: protected
 * header alg (s's), typ voucher-jws+json, x5c of chain (none if n is 0);
 * appends the JSON text to out. */
MASA_NODISCARD enum masa_err masa_jws_sign(struct masa_signer *s, struct masa_bytes payload,
    const struct masa_bytes *chain, size_t n, struct masa_buf *out);

/* A voucher of the format (untrusted) verified with key: its JSON appended
 * to json. CMS: eContentType id-ct-animaJSONVoucher (else
 * MASA_E_CMS_CONTENT_TYPE), one signer. The decode errors, MASA_E_ALG,
 * MASA_E_SIGNATURE. For clients (masa client). */
MASA_NODISCARD enum masa_err masa_cms_voucher_open(struct masa_bytes voucher, EVP_PKEY *key,
    struct masa_buf *json);
MASA_NODISCARD enum masa_err masa_jws_voucher_open(struct masa_bytes voucher, EVP_PKEY *key,
    struct masa_buf *json);

/* id-ct-animaJSONVoucher (RFC 8366 §5.4) and id-data (RFC 5652). */
#define MASA_OID_ANIMA_JSON_VOUCHER "1.2.840.113549.1.9.16.1.40"

/* A bump allocator of fixed capacity: views into it stay valid until
 * masa_vreq_release frees base (the codec's out->owned). */
struct masa_arena {
	uint8_t *base;
	size_t cap, used;
};

/* An arena of cap bytes (MASA_E_NOMEM). */
MASA_NODISCARD enum masa_err masa_arena_init(struct masa_arena *a, size_t cap);
/* n bytes of a, or NULL when it is full (the request is then too large
 * for what it claims to hold). */
uint8_t *masa_arena_take(struct masa_arena *a, size_t n);
/* A copy of p (n bytes) in a: *out, or MASA_E_TOO_LARGE. */
MASA_NODISCARD enum masa_err masa_arena_copy(struct masa_arena *a, const void *p, size_t n,
    struct masa_bytes *out);

/* Decodes a YANG binary leaf: base64 (RFC 7951), or base64url without
 * padding as the RFC 8995 Appendix C examples write their nonce. Into a;
 * MASA_E_VREQ if it is neither (or empty). */
MASA_NODISCARD enum masa_err masa_json_binary(const char *s, size_t n, struct masa_arena *a,
    struct masa_bytes *out);

/* Reads the voucher-request JSON text json (untrusted; duplicate keys
 * refused: MASA_E_DUPLICATE_KEY; not JSON: MASA_E_JSON; wrong shape or a
 * leaf of the wrong type: MASA_E_VREQ) into out, its views in a. */
MASA_NODISCARD enum masa_err masa_json_vreq_leaves(struct masa_bytes json, struct masa_arena *a,
    struct masa_vreq_leaves *out);

/* One signed message of a JSON format (msg: an RVR with rvr 1, else its
 * PVR) decoded into sig and leaves (NULL: a voucher, no leaves), views in
 * a. */
typedef enum masa_err (*masa_json_sig_decode)(struct masa_bytes msg, int rvr,
    struct masa_arena *a, struct masa_vreq_sig *sig, struct masa_vreq_leaves *leaves);
/* The decode of both JSON codecs: an arena for body (out->owned), the RVR
 * by one, its PVR (if any) by one again (its errors: MASA_E_PVR_MALFORMED). */
MASA_NODISCARD enum masa_err masa_json_vreq_decode(struct masa_bytes body,
    masa_json_sig_decode one, struct masa_vreq_raw *out);
/* The signature of one decoded message (a codec's verify, on its own). */
typedef enum masa_err (*masa_json_sig_verify)(const struct masa_vreq_sig *sig, EVP_PKEY *key);
/* The voucher_open of both JSON codecs: voucher decoded by one (no
 * leaves), verified by verify with key, its content appended to json; the
 * codec's priv must begin with the content's view. */
MASA_NODISCARD enum masa_err masa_json_voucher_open(struct masa_bytes voucher,
    masa_json_sig_decode one, masa_json_sig_verify verify, EVP_PKEY *key, struct masa_buf *json);
/* A codec's key_part for formats that carry their certificates: none. */
void masa_json_no_key_part(const struct masa_app *app, const char **type,
    struct masa_bytes *data);

/* Signs a voucher's JSON with s and its certificate chain (n may be 0). */
typedef enum masa_err (*masa_json_signing)(struct masa_signer *s, struct masa_bytes json,
    const struct masa_bytes *chain, size_t n, struct masa_buf *out);
/* The sign of both JSON codecs: the voucher JSON of in signed by sign with
 * s's chain (or masa_cert alone, or none), appended to out. */
MASA_NODISCARD enum masa_err masa_json_voucher_sign(const struct masa_voucher_in *in,
    struct masa_signer *s, struct masa_bytes masa_cert, masa_json_signing sign,
    struct masa_buf *out);

/* The voucher JSON of in, compact, appended to out. */
MASA_NODISCARD enum masa_err masa_json_voucher(const struct masa_voucher_in *in,
    struct masa_buf *out);

#endif
