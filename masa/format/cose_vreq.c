/*
 * cose_vreq.c: decoding a cBRSKI voucher-request (cose_codec.h). SIDs from the ietf-voucher-request SID file
 * (draft-ietf-anima-rfc8366bis; stable since 2019 for 2501..2514).
 * Leaves the MASA does not use are skipped without type checks; the ones
 * it uses must have their YANG-CBOR types (RFC 9254).
 */
#include "cose_codec.h"

#include <stdint.h>
#include <string.h>

#include "cose/cose_sign1.h"
#include "masa_limits.h"

#define SID_VOUCHER 2501
#define TAG_SID 47	/* absolute SID key (RFC 9254 §9.3) */
#define TAG_DATETIME 0	/* standard date/time text (RFC 8949 §3.4.1) */
#define TAG_EPOCH 1	/* epoch-based date/time (RFC 8949 §3.4.2) */

/* Top-level names of the voucher-request container. Besides the module's
 * own, deployed registrars send (product.md §3.1, "the legacy top-level
 * names"): "ietf-request-voucher:voucher", a typo an OpenThread-based
 * registrar sent in 2022 (a cBRSKI example carried it);
 * "ietf-cwt-voucher-request" and "ietf-cwt-voucher-request:voucher",
 * which ChariWTs maps to SID 2501 (AnimaGUS-minerva/ChariWTs,
 * lib/chariwt/voucher_sid.rb VoucherRequestSID); and
 * "ietf-voucher-request-constrained:voucher", which ot-registrar maps to
 * SID 2501 (EskoDijk/ot-registrar, src/main/java/com/google/openthread/
 * brski/VoucherRequest.java). On the wire both libraries write the SID
 * 2501 with delta keys (ChariWTs hash2yangsid; ot-registrar
 * CBORSerializer for a constrained request), and ot-registrar writes
 * "ietf-voucher-request:voucher" with leaf names otherwise; the other
 * names are theirs for the same container, read here too. Under a name,
 * integer keys are absolute. */
static const char *const container_names[] = {
	"ietf-voucher-request:voucher",
	"ietf-request-voucher:voucher",
	"ietf-cwt-voucher-request",
	"ietf-cwt-voucher-request:voucher",
	"ietf-voucher-request-constrained:voucher",
};

/* The assertion enumeration's names (RFC 8366bis), for the text form
 * highway's 2022 fixtures use. */
static const char *const assertion_names[] = { "verified", "logged", "proximity" };

enum {
	SID_ASSERTION = 2502,
	SID_CREATED_ON = 2503,
	SID_IDEVID_ISSUER = 2506,
	SID_NONCE = 2508,
	SID_PRIOR = 2510,
	SID_PROX_CERT = 2511,
	SID_PROX_SHA256 = 2512,
	SID_PROX_PUBK = 2513,
	SID_SERIAL = 2514,
};

/* Leaf names of the voucher-request module, for name-keyed maps. */
static const struct {
	const char *name;
	uint64_t sid;
} names[] = {
	{ "assertion", 2502 },
	{ "created-on", 2503 },
	{ "domain-cert-revocation-checks", 2504 },
	{ "expires-on", 2505 },
	{ "idevid-issuer", 2506 },
	{ "last-renewal-date", 2507 },
	{ "nonce", 2508 },
	{ "pinned-domain-cert", 2509 },
	{ "prior-signed-voucher-request", 2510 },
	{ "proximity-registrar-cert", 2511 },
	{ "proximity-registrar-pubk-sha256", 2512 },
	{ "proximity-registrar-pubk", 2513 },
	{ "serial-number", 2514 },
	/* names used before cBRSKI renamed them (March 2021), same SIDs */
	{ "proximity-registrar-sha256-of-subject-public-key-info", 2512 },
	{ "proximity-registrar-subject-public-key-info", 2513 },
};

static const struct masa_cbor_limits limits = {
	MASA_CBOR_MAX_DEPTH, MASA_CBOR_MAX_ITEMS, MASA_CBOR_MAX_ENTRIES
};

/* The SID a key names, or 0 for a name we do not know. delta is the
 * reference SID for integer keys (2501 under the SID container, 0 under
 * the name container). MASA_E_VREQ for key types YANG-CBOR does not use. */
static enum masa_err
key_sid(const struct masa_cbor *k, uint64_t delta, uint64_t *sid)
{
	static const char prefix[] = "ietf-voucher-request:";
	struct masa_cbor inner;
	const char *s;
	size_t i, n;

	switch (k->type) {
	case MASA_CBOR_UINT:
		if (k->arg > UINT32_MAX)
			return MASA_E_VREQ;
		*sid = k->arg + delta;
		return MASA_OK;
	case MASA_CBOR_TAG:
		masa_cbor_untag(k, &inner);
		if (k->arg != TAG_SID || inner.type != MASA_CBOR_UINT || inner.arg > UINT32_MAX)
			return MASA_E_VREQ;
		*sid = inner.arg;
		return MASA_OK;
	case MASA_CBOR_TSTR:
		s = (const char *)k->str.ptr;
		n = k->str.len;
		if (n > sizeof prefix - 1 && memcmp(s, prefix, sizeof prefix - 1) == 0) {
			s += sizeof prefix - 1;
			n -= sizeof prefix - 1;
		}
		*sid = 0;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n && memcmp(names[i].name, s, n) == 0)
				*sid = names[i].sid;
		return MASA_OK;
	default:
		return MASA_E_VREQ;
	}
}

/* 1 if v is a text string equal to one of the n names. */
static int
text_in(const struct masa_cbor *v, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (masa_cbor_is_text(v, set[i]))
			return 1;
	return 0;
}

/* created-on as tag 1: a non-negative integer or a float64 count of
 * seconds since the epoch (Fountain and ChariWTs encode a Ruby Time this
 * way: AnimaGUS-minerva/fountain, app/models/cose_voucher_request.rb;
 * highway's spec/files/parboiled_vr_*.vrq carry c1 1a ...). */
static enum masa_err
epoch_ms(const struct masa_cbor *v, int64_t *ms)
{
	struct masa_cbor in;
	uint64_t bits;
	double d;

	masa_cbor_untag(v, &in);
	if (in.type == MASA_CBOR_UINT && in.arg <= (uint64_t)INT64_MAX / 1000) {
		*ms = (int64_t)in.arg * 1000;
		return MASA_OK;
	}
	if (in.type != MASA_CBOR_SIMPLE || in.raw.len != 9)	/* only a float64 */
		return MASA_E_VREQ;
	bits = in.arg;
	memcpy(&d, &bits, sizeof d);
	if (!(d >= 0 && d < 1e14))	/* NaN too; 1e14 s is past year 3 million */
		return MASA_E_VREQ;
	*ms = (int64_t)(d * 1000);
	return MASA_OK;
}

/* Stores the value of one known leaf after checking its type. Where the
 * signature already covers the bytes and the meaning is not in doubt,
 * the older forms deployed registrars send are read too (product.md
 * §3.1, as highway's 2022 fixtures spec/files/parboiled_vr_*.vrq have
 * them): a text assertion name, created-on as tag 0 text or tag 1 epoch
 * (product.md: "created-on as text or CBOR tag 1"), a UTF-8 byte-string
 * serial-number, a text nonce (its bytes are the nonce). */
static enum masa_err
set_leaf(uint64_t sid, const struct masa_cbor *v, struct masa_vreq_leaves *out)
{
	struct masa_bytes *dst = NULL;
	struct masa_cbor in;
	int want = MASA_CBOR_BSTR, alt = -1;

	switch (sid) {
	case SID_ASSERTION:
		/* The MASA ignores the request's assertion (it decides from the
		 * PVR), but the leaf must still be an enumeration value. */
		return v->type == MASA_CBOR_UINT ||
		    text_in(v, assertion_names, sizeof assertion_names / sizeof assertion_names[0]) ?
		    MASA_OK : MASA_E_VREQ;
	case SID_CREATED_ON:
		if (v->type == MASA_CBOR_TAG && v->arg == TAG_EPOCH) {
			out->created_on_epoch = 1;
			return epoch_ms(v, &out->created_on_ms);
		}
		if (v->type == MASA_CBOR_TAG && v->arg == TAG_DATETIME) {
			masa_cbor_untag(v, &in);	/* tag 0: RFC 3339 text */
			v = &in;
		}
		dst = &out->created_on;
		want = MASA_CBOR_TSTR;
		break;
	case SID_IDEVID_ISSUER: dst = &out->idevid_issuer; break;
	case SID_NONCE: dst = &out->nonce; alt = MASA_CBOR_TSTR; break;
	case SID_PRIOR: dst = &out->prior; break;
	case SID_PROX_CERT: dst = &out->prox_cert; break;
	case SID_PROX_SHA256: dst = &out->prox_sha256; break;
	case SID_PROX_PUBK: dst = &out->prox_pubk; break;
	case SID_SERIAL: dst = &out->serial; want = MASA_CBOR_TSTR; alt = MASA_CBOR_BSTR; break;
	default:
		return MASA_OK;	/* a leaf the MASA does not read */
	}
	if (v->type != want && v->type != alt)
		return MASA_E_VREQ;
	if (sid == SID_NONCE && (v->str.len < MASA_NONCE_MIN || v->str.len > MASA_NONCE_MAX))
		return MASA_E_VREQ;
	if (sid == SID_PROX_SHA256 && v->str.len != 32)
		return MASA_E_VREQ;
	if (sid == SID_SERIAL && !masa_serial_ok(v->str.ptr, v->str.len))
		return MASA_E_VREQ;
	if (v->str.len == 0 && sid != SID_SERIAL)
		return MASA_E_VREQ;	/* empty binary leaves carry nothing */
	*dst = v->str;	/* len > 0, so ptr is set: presence is ptr != NULL */
	return MASA_OK;
}

/* Decodes payload into top, a map of one entry: its key and value. */
static enum masa_err
container(struct masa_bytes payload, struct masa_cbor *top, struct masa_cbor *k,
    struct masa_cbor *inner)
{
	struct masa_cbor_iter it;
	enum masa_err rc = masa_cbor_decode(payload, &limits, top);

	if (rc != MASA_OK)
		return rc;
	if (top->type != MASA_CBOR_MAP || top->arg != 1)
		return MASA_E_VREQ;
	masa_cbor_iter_init(top, &it);
	if (!masa_cbor_iter_next(&it, k) || !masa_cbor_iter_next(&it, inner))
		return MASA_E_VREQ;
	return MASA_OK;
}

enum masa_err
masa_cose_vreq_payload(struct masa_bytes payload, struct masa_vreq_leaves *out)
{
	struct masa_vreq_leaves l;
	struct masa_cbor top, k, v, inner;
	struct masa_cbor_iter it;
	struct masa_bytes seen_raw[MASA_CBOR_MAX_ENTRIES];
	uint64_t seen_sid[MASA_CBOR_MAX_ENTRIES], sid, delta;
	size_t nseen = 0, i;
	enum masa_err rc;

	memset(&l, 0, sizeof l);
	rc = container(payload, &top, &k, &inner);
	if (rc != MASA_OK)
		return rc;
	if (k.type == MASA_CBOR_UINT && k.arg == SID_VOUCHER)
		delta = SID_VOUCHER;	/* RFC 9254 §3.2: children use delta keys */
	else if (text_in(&k, container_names, sizeof container_names / sizeof container_names[0]))
		delta = 0;		/* under a name, integer keys are absolute */
	else
		return MASA_E_VREQ;
	if (inner.type != MASA_CBOR_MAP)
		return MASA_E_VREQ;

	masa_cbor_iter_init(&inner, &it);
	while (masa_cbor_iter_next(&it, &k) && masa_cbor_iter_next(&it, &v)) {
		rc = key_sid(&k, delta, &sid);
		if (rc != MASA_OK)
			return rc;
		for (i = 0; i < nseen; i++) {
			if ((sid != 0 && seen_sid[i] == sid) ||
			    (seen_raw[i].len == k.raw.len &&
			     memcmp(seen_raw[i].ptr, k.raw.ptr, k.raw.len) == 0))
				return MASA_E_DUPLICATE_KEY;
		}
		seen_sid[nseen] = sid;
		seen_raw[nseen++] = k.raw;	/* nseen <= MASA_CBOR_MAX_ENTRIES by decode */
		rc = set_leaf(sid, &v, &l);
		if (rc != MASA_OK)
			return rc;
	}
	if (l.serial.ptr == NULL)
		return MASA_E_VREQ;	/* the one mandatory leaf */
	*out = l;
	return MASA_OK;
}

/* The codec's part of one signed request: the COSE_Sign1 views, and the
 * algorithm and certificates for the format-neutral view. */
_Static_assert(sizeof(struct masa_cose_sign1) <= MASA_VREQ_PRIV_MAX,
    "a COSE_Sign1 fits in struct masa_vreq_sig.priv");
_Static_assert(MASA_COSE_MAX_CERTS <= MASA_VREQ_CERTS_MAX,
    "every x5bag certificate fits in struct masa_vreq_sig.certs");

static enum masa_err
sig_decode(struct masa_bytes in, enum masa_err (*payload)(struct masa_bytes,
    struct masa_vreq_leaves *), struct masa_vreq_sig *sig, struct masa_vreq_leaves *leaves)
{
	struct masa_cose_sign1 m;
	enum masa_err rc;
	size_t i;

	rc = masa_cose_sign1_decode(in, &limits, &m);
	if (rc == MASA_OK)
		rc = payload(m.payload, leaves);
	if (rc != MASA_OK)
		return rc;
	sig->alg_ok = m.alg_state == 1 && masa_alg_from_cose(m.alg, &sig->alg) == MASA_OK;
	for (i = 0; i < m.ncerts; i++)
		sig->certs[i] = m.certs[i];
	sig->ncerts = m.ncerts;
	memcpy(sig->priv, &m, sizeof m);
	return MASA_OK;
}

/* The leaves of a voucher (SID 2451, delta keys, as cose_voucher.c writes
 * them) that a renewal is checked on: serial-number, nonce, the pin. */
static enum masa_err
voucher_payload(struct masa_bytes payload, struct masa_vreq_leaves *out)
{
	struct masa_vreq_leaves l;
	struct masa_cbor top, k, v, inner;
	struct masa_cbor_iter it;
	struct masa_bytes *dst;
	enum masa_err rc;

	memset(&l, 0, sizeof l);
	rc = container(payload, &top, &k, &inner);
	if (rc != MASA_OK)
		return rc;
	if (k.type != MASA_CBOR_UINT || k.arg != MASA_SID_VOUCHER || inner.type != MASA_CBOR_MAP)
		return MASA_E_VREQ;
	masa_cbor_iter_init(&inner, &it);
	while (masa_cbor_iter_next(&it, &k) && masa_cbor_iter_next(&it, &v)) {
		if (k.type != MASA_CBOR_UINT)
			return MASA_E_VREQ;
		switch (k.arg) {
		case MASA_V_SERIAL: dst = &l.serial; break;
		case MASA_V_NONCE: dst = &l.nonce; break;
		case MASA_V_PINNED_CERT: dst = &l.pinned_cert; break;
		case MASA_V_PINNED_PUBK: dst = &l.pinned_pubk; break;
		default: continue;
		}
		if (dst->ptr != NULL)
			return MASA_E_DUPLICATE_KEY;
		if ((k.arg == MASA_V_SERIAL ? v.type != MASA_CBOR_TSTR : v.type != MASA_CBOR_BSTR) ||
		    v.str.len == 0)
			return MASA_E_VREQ;
		*dst = v.str;
	}
	if (l.serial.ptr == NULL || (l.pinned_cert.ptr == NULL && l.pinned_pubk.ptr == NULL))
		return MASA_E_VREQ;
	*out = l;
	return MASA_OK;
}

enum masa_err
masa_cose_vreq_decode(struct masa_bytes body, struct masa_vreq_raw *out)
{
	struct masa_vreq_raw v;
	enum masa_err rc;

	memset(&v, 0, sizeof v);
	v.body = body;
	rc = sig_decode(body, masa_cose_vreq_payload, &v.rvr, &v.r);
	if (rc != MASA_OK)
		return rc;
	if (v.r.prior.ptr != NULL) {
		/* A PVR; else an earlier voucher (a renewal, RFC 8366bis: its
		 * certificates, if any, are not used, only this MASA's key);
		 * anything else is a malformed PVR, as before. */
		if (sig_decode(v.r.prior, masa_cose_vreq_payload, &v.pvr, &v.p) == MASA_OK)
			v.has_pvr = 1;
		else if (sig_decode(v.r.prior, voucher_payload, &v.pvr, &v.p) == MASA_OK)
			v.prior_is_voucher = 1;
		else
			return MASA_E_PVR_MALFORMED;
	}
	*out = v;
	return MASA_OK;
}
