/* cose_sign1.c: see cose_sign1.h. */
#include "cose/cose_sign1.h"

#include <string.h>

#include "cbor/cbor_write.h"
#include "crypto/alg.h"

#define MAX_LABELS 32	/* header parameters across both headers */

/* Labels seen so far, to refuse repeats within and across headers. */
struct seen {
	struct masa_cbor label[MAX_LABELS];
	int in_protected[MAX_LABELS];
	size_t n;
};

/* 1 if a and b are the same label (int or text). */
static int
same_label(const struct masa_cbor *a, const struct masa_cbor *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == MASA_CBOR_TSTR)
		return a->str.len == b->str.len && memcmp(a->str.ptr, b->str.ptr, a->str.len) == 0;
	return a->arg == b->arg;
}

/* The int value of label l, or 0 for a text label (0 is not a COSE label). */
static int64_t
int_label(const struct masa_cbor *l)
{
	int64_t v;

	return masa_cbor_int(l, &v) == MASA_OK ? v : 0;
}

/* Collects x5bag/x5chain certificates: one bstr, or an array of them. */
static enum masa_err
add_certs(struct masa_cose_sign1 *m, const struct masa_cbor *v)
{
	struct masa_cbor_iter it;
	struct masa_cbor c;

	if (v->type == MASA_CBOR_BSTR) {
		if (m->ncerts >= MASA_COSE_MAX_CERTS)
			return MASA_E_CBOR_LIMIT;
		m->certs[m->ncerts++] = v->str;
		return MASA_OK;
	}
	if (v->type != MASA_CBOR_ARRAY || v->arg == 0)
		return MASA_E_COSE;
	masa_cbor_iter_init(v, &it);
	while (masa_cbor_iter_next(&it, &c)) {
		if (c.type != MASA_CBOR_BSTR)
			return MASA_E_COSE;
		if (m->ncerts >= MASA_COSE_MAX_CERTS)
			return MASA_E_CBOR_LIMIT;
		m->certs[m->ncerts++] = c.str;
	}
	return MASA_OK;
}

/* Checks a crit array: non-empty, each label present in the protected
 * header and one we understand. Runs after the protected map is read. */
static enum masa_err
check_crit(const struct masa_cbor *crit, const struct seen *seen)
{
	struct masa_cbor_iter it;
	struct masa_cbor l;
	int64_t v;
	size_t i;

	if (crit->type != MASA_CBOR_ARRAY || crit->arg == 0)
		return MASA_E_COSE;
	masa_cbor_iter_init(crit, &it);
	while (masa_cbor_iter_next(&it, &l)) {
		v = int_label(&l);
		if (v != MASA_COSE_LABEL_ALG && v != MASA_COSE_LABEL_KID &&
		    v != MASA_COSE_LABEL_X5BAG && v != MASA_COSE_LABEL_X5CHAIN)
			return MASA_E_COSE_CRIT;
		for (i = 0; i < seen->n; i++)
			if (seen->in_protected[i] && same_label(&seen->label[i], &l))
				break;
		if (i == seen->n)
			return MASA_E_COSE_CRIT;	/* critical but not present */
	}
	return MASA_OK;
}

/* Reads one header map into m. */
static enum masa_err
read_headers(const struct masa_cbor *map, int is_protected, struct seen *seen,
    struct masa_cose_sign1 *m)
{
	struct masa_cbor_iter it;
	struct masa_cbor k, v, crit;
	enum masa_err rc;
	int has_crit = 0;
	size_t i;

	if (map->type != MASA_CBOR_MAP)
		return MASA_E_COSE;
	masa_cbor_iter_init(map, &it);
	while (masa_cbor_iter_next(&it, &k) && masa_cbor_iter_next(&it, &v)) {
		if (k.type != MASA_CBOR_UINT && k.type != MASA_CBOR_NINT && k.type != MASA_CBOR_TSTR)
			return MASA_E_COSE;
		for (i = 0; i < seen->n; i++)
			if (same_label(&seen->label[i], &k))
				return seen->in_protected[i] == is_protected ?
				    MASA_E_DUPLICATE_KEY : MASA_E_COSE;
		if (seen->n >= MAX_LABELS)
			return MASA_E_CBOR_LIMIT;
		seen->label[seen->n] = k;
		seen->in_protected[seen->n++] = is_protected;

		switch (int_label(&k)) {
		case MASA_COSE_LABEL_ALG:
			if (is_protected && masa_cbor_int(&v, &m->alg) == MASA_OK)
				m->alg_state = 1;
			else
				m->alg_state = -1;
			break;
		case MASA_COSE_LABEL_CRIT:
			if (!is_protected)
				return MASA_E_COSE;
			crit = v;
			has_crit = 1;
			break;
		case MASA_COSE_LABEL_KID:
			if (v.type != MASA_CBOR_BSTR)
				return MASA_E_COSE;
			m->kid = v.str;
			break;
		case MASA_COSE_LABEL_X5BAG:
		case MASA_COSE_LABEL_X5CHAIN:
			rc = add_certs(m, &v);
			if (rc != MASA_OK)
				return rc;
			break;
		default:
			break;	/* not critical, so safe to ignore */
		}
	}
	return has_crit ? check_crit(&crit, seen) : MASA_OK;
}

enum masa_err
masa_cose_sign1_decode(struct masa_bytes in, const struct masa_cbor_limits *lim,
    struct masa_cose_sign1 *out)
{
	struct masa_cose_sign1 m;
	struct masa_cbor top, arr, part[4], prot;
	struct masa_cbor_iter it;
	struct seen seen;
	enum masa_err rc;
	int i;

	memset(&m, 0, sizeof m);
	seen.n = 0;
	rc = masa_cbor_decode(in, lim, &top);
	if (rc != MASA_OK)
		return rc;
	arr = top;
	if (top.type == MASA_CBOR_TAG) {
		if (top.arg != MASA_COSE_TAG_SIGN1)
			return MASA_E_COSE;	/* e.g. COSE_Mac0 (17) */
		masa_cbor_untag(&top, &arr);
		m.tagged = 1;
	}
	if (arr.type != MASA_CBOR_ARRAY || arr.arg != 4)
		return MASA_E_COSE;
	masa_cbor_iter_init(&arr, &it);
	for (i = 0; i < 4; i++)
		if (!masa_cbor_iter_next(&it, &part[i]))
			return MASA_E_COSE;
	if (part[0].type != MASA_CBOR_BSTR || part[1].type != MASA_CBOR_MAP ||
	    part[2].type != MASA_CBOR_BSTR || part[3].type != MASA_CBOR_BSTR)
		return MASA_E_COSE;
	m.protected_hdr = part[0].str;
	m.payload = part[2].str;
	m.signature = part[3].str;
	if (m.protected_hdr.len > 0) {
		rc = masa_cbor_decode(m.protected_hdr, lim, &prot);
		if (rc == MASA_OK)
			rc = read_headers(&prot, 1, &seen, &m);
		if (rc != MASA_OK)
			return rc == MASA_E_CBOR_TRAILING ? MASA_E_COSE : rc;
	}
	rc = read_headers(&part[1], 0, &seen, &m);
	if (rc != MASA_OK)
		return rc;
	*out = m;
	return MASA_OK;
}

/* Sig_structure = ["Signature1", protected, h'', payload] (RFC 9052 §4.4),
 * with the protected header and payload bytes as received. */
static enum masa_err
tbs(struct masa_bytes protected_hdr, struct masa_bytes payload, struct masa_buf *out)
{
	static const char ctx[] = "Signature1";
	struct masa_bytes empty = { NULL, 0 };
	struct masa_cbor_writer w;

	masa_cbor_writer_init(&w, out);
	masa_cbor_put_array(&w, 4);
	masa_cbor_put_tstr(&w, ctx, sizeof ctx - 1);
	masa_cbor_put_bstr(&w, protected_hdr);
	masa_cbor_put_bstr(&w, empty);
	masa_cbor_put_bstr(&w, payload);
	return masa_cbor_writer_done(&w);
}

enum masa_err
masa_cose_sign1_verify(const struct masa_cose_sign1 *m, EVP_PKEY *key)
{
	enum masa_alg alg;
	struct masa_buf buf;
	enum masa_err rc;

	if (m->alg_state != 1 || masa_alg_from_cose(m->alg, &alg) != MASA_OK)
		return MASA_E_ALG;
	masa_buf_init(&buf, m->protected_hdr.len + m->payload.len + 64);
	rc = tbs(m->protected_hdr, m->payload, &buf);
	if (rc == MASA_OK)	/* the key's type is checked there: MASA_E_ALG */
		rc = masa_alg_verify_raw(alg, key, masa_buf_view(&buf), m->signature);
	if (rc == MASA_E_CRYPTO)
		rc = MASA_E_SIGNATURE;
	masa_buf_free(&buf);
	return rc;
}

enum masa_err
masa_cose_sign1_sign(struct masa_signer *s, struct masa_bytes payload,
    const struct masa_bytes *certs, size_t ncerts, struct masa_buf *out)
{
	uint8_t prot_bytes[8], sig[MASA_SIG_MAX];
	struct masa_buf prot, msg;
	struct masa_cbor_writer w;
	struct masa_bytes sv;
	enum masa_err rc;
	size_t i, siglen = 0, start = out->len;

	masa_buf_init(&prot, sizeof prot_bytes);
	masa_buf_init(&msg, payload.len + 64);
	masa_cbor_writer_init(&w, &prot);
	masa_cbor_put_map(&w, 1);
	masa_cbor_put_uint(&w, MASA_COSE_LABEL_ALG);
	masa_cbor_put_int(&w, masa_alg_cose_id(masa_signer_alg(s)));
	rc = masa_cbor_writer_done(&w);
	if (rc == MASA_OK)
		rc = tbs(masa_buf_view(&prot), payload, &msg);
	if (rc == MASA_OK)
		rc = masa_signer_sign(s, masa_buf_view(&msg), sig, &siglen);
	if (rc != MASA_OK)
		goto done;
	sv.ptr = sig;
	sv.len = siglen;
	masa_cbor_writer_init(&w, out);
	masa_cbor_put_tag(&w, MASA_COSE_TAG_SIGN1);
	masa_cbor_put_array(&w, 4);
	masa_cbor_put_bstr(&w, masa_buf_view(&prot));
	masa_cbor_put_map(&w, ncerts > 0 ? 1 : 0);
	if (ncerts > 0) {
		masa_cbor_put_uint(&w, MASA_COSE_LABEL_X5BAG);
		if (ncerts > 1)
			masa_cbor_put_array(&w, ncerts);
		for (i = 0; i < ncerts; i++)
			masa_cbor_put_bstr(&w, certs[i]);
	}
	masa_cbor_put_bstr(&w, payload);
	masa_cbor_put_bstr(&w, sv);
	rc = masa_cbor_writer_done(&w);
done:
	if (rc != MASA_OK)
		masa_buf_truncate(out, start);	/* nothing half-written stays behind */
	masa_buf_free(&prot);
	masa_buf_free(&msg);
	return rc;
}
