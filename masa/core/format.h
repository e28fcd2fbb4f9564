/*
 * format.h: the voucher-format seam. A format (COSE today; CMS and JWS
 * next) is a codec: a table of operations that decodes its requests into
 * the format-neutral struct masa_vreq_raw (vreq.h), verifies a decoded
 * request's signature over the bytes received, and signs a voucher on
 * format-neutral terms (voucher.h). The core (registrar.c, issue.c) calls
 * only these operations; the codecs live in masa/format/ and the api layer
 * picks one per request (masa_codec_for, formats.h). Also here: the form
 * of one answer, as the HTTP layer's negotiation (negotiate.h) chooses it.
 */
#ifndef MASA_FORMAT_H
#define MASA_FORMAT_H

#include <openssl/evp.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"

enum masa_format {
	MASA_FORMAT_COSE = 1,	/* COSE_Sign1 over YANG-CBOR */
	MASA_FORMAT_CMS = 2,	/* CMS SignedData over JSON (RFC 8995, RFC 8366) */
	MASA_FORMAT_JWS = 3,	/* JWS General JSON Serialization (draft-ietf-anima-jws-voucher) */
};
#define MASA_FORMAT_MAX 3	/* the highest enum masa_format value */

struct masa_answer {
	enum masa_format format;	/* of the voucher */
	enum masa_format request_format;	/* of the request (may differ) */
	const char *voucher_type;	/* media type name of the voucher (static) */
	const char *multipart;		/* "multipart/related" or "multipart/mixed", or NULL */
	int base64;			/* send the voucher as base64 text (a CMS request that came so) */
};

struct masa_app;
struct masa_vreq_raw;
struct masa_voucher_in;
struct masa_signer;

struct masa_codec {
	enum masa_format format;
	const char *name;		/* "cose", "cms", "jws": metrics label, configuration */
	/* Decodes body (untrusted) into out: leaves, the
	 * nested PVR, each signer's certificates and algorithm. Bounded; what
	 * the views need beyond body (decoded base64) goes to out->owned,
	 * released by masa_vreq_release. *out only on success. */
	enum masa_err (*decode)(struct masa_bytes body, struct masa_vreq_raw *out);
	/* Verifies the signature of v's RVR (pvr 0) or PVR (pvr 1) with key,
	 * over the bytes received: MASA_OK, MASA_E_SIGNATURE, or MASA_E_ALG
	 * when key is not a key of the message's algorithm. */
	enum masa_err (*verify)(const struct masa_vreq_raw *v, int pvr, EVP_PKEY *key);
	/* Builds the voucher of in and signs it with s, its certificate cert
	 * (DER) sent along; appends to out. */
	enum masa_err (*sign)(const struct masa_voucher_in *in, struct masa_signer *s,
	    struct masa_bytes cert, struct masa_buf *out);
	/* A multipart answer's key part: the MASA key in the form this
	 * format's pledges read, and its media type (*type NULL: none). */
	void (*key_part)(const struct masa_app *app, const char **type, struct masa_bytes *data);
};

/* The name of format f ("cose"), or NULL for a value that names none. */
const char *masa_format_name(enum masa_format f);

#endif
