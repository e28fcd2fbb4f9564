/*
 * vreq.h: a voucher-request as decoded by its format's codec (format.h),
 * in a form that no longer depends on the format: the leaves of
 * ietf-voucher-request:voucher that the MASA reads, for the registrar's
 * request (RVR) and the pledge's request (PVR) it carries, and for each
 * signed request the certificates its signer sent. Everything is a view
 * into the request body. Untrusted until verified (registrar.h).
 */
#ifndef MASA_VREQ_H
#define MASA_VREQ_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/alg.h"
#include "err.h"

#define MASA_VREQ_CERTS_MAX 8	/* certificates a signer may send along */
#define MASA_VREQ_PRIV_MAX 512	/* a codec's own view of one signed request */

/* The leaves of ietf-voucher-request:voucher that the MASA reads. Absent
 * leaves have a NULL ptr. */
struct masa_vreq_leaves {
	struct masa_bytes created_on;	/* text (RFC 3339) */
	int created_on_epoch;		/* created-on came as a number instead (CBOR tag 1) */
	int64_t created_on_ms;		/* ... this one, ms since the epoch */
	struct masa_bytes idevid_issuer;
	struct masa_bytes nonce;		/* bytes (a text nonce: its UTF-8 bytes) */
	struct masa_bytes prior;	/* prior-signed-voucher-request */
	struct masa_bytes prox_cert;	/* proximity-registrar-cert (DER) */
	struct masa_bytes prox_sha256;	/* proximity-registrar-pubk-sha256 */
	struct masa_bytes prox_pubk;	/* proximity-registrar-pubk (DER SPKI) */
	struct masa_bytes pinned_cert;	/* a prior voucher's pinned-domain-cert (DER) */
	struct masa_bytes pinned_pubk;	/* a prior voucher's pinned-domain-pubk (DER SPKI) */
	struct masa_bytes serial;	/* UTF-8, 1..MASA_SERIAL_MAX bytes, no controls */
};

/* One signed request as received. */
struct masa_vreq_sig {
	int alg_ok;			/* names a supported algorithm where its format says */
	enum masa_alg alg;		/* ... this one */
	struct masa_bytes certs[MASA_VREQ_CERTS_MAX];	/* its signer's certificates (DER) */
	size_t ncerts;
	/* The codec's own decoding of the message, for its verify (opaque). */
	_Alignas(16) unsigned char priv[MASA_VREQ_PRIV_MAX];
};

struct masa_codec;

/* A decoded registrar voucher-request and the pledge voucher-request it
 * carries. */
struct masa_vreq_raw {
	const struct masa_codec *codec;	/* the format it came in */
	struct masa_bytes body;		/* the RVR exactly as received */
	struct masa_vreq_sig rvr;
	struct masa_vreq_leaves r;
	int has_pvr;
	/* A renewal (RFC 8366bis "Renewals instead of revocations"): the
	 * prior-signed-voucher-request holds a voucher, not a PVR. Its
	 * signature is then in pvr, its serial-number, nonce and pin in p
	 * (has_pvr stays 0); renewal.h checks it. */
	int prior_is_voucher;
	struct masa_vreq_sig pvr;
	struct masa_vreq_leaves p;
	/* Memory the codec allocated for the views (base64 it decoded), or
	 * NULL: released by masa_vreq_release. */
	void *owned;
};

/* 1 if s (n bytes) is an acceptable serial-number: 1..MASA_SERIAL_MAX
 * bytes of UTF-8 without control characters (it becomes a database key,
 * a JSON string and a log field). */
int masa_serial_ok(const uint8_t *s, size_t n);

/* Decodes body with codec into out: an RVR and its nested PVR, if any
 * (errors of the PVR come back as MASA_E_PVR_MALFORMED). *out only on
 * success. */
MASA_NODISCARD enum masa_err masa_vreq_decode(const struct masa_codec *codec,
    struct masa_bytes body, struct masa_vreq_raw *out);

/* Releases v->owned (a NULL v, or one without, is fine). */
void masa_vreq_release(struct masa_vreq_raw *v);

#endif
