/*
 * cms_codec.c: the RFC 8995 format (RFC 8366 §5.4): voucher-requests and
 * vouchers are CMS SignedData (DER) over JSON, eContentType
 * id-ct-animaJSONVoucher (id-data accepted on requests, as the RFC's own
 * Appendix C examples carry it). The request body may also be the base64
 * text of the DER, as the nqminds/brski registrar sends it. The registrar
 * voucher-request's signer must be one of its `certificates`; the PVR in
 * prior-signed-voucher-request is CMS as well. Vouchers are signed through
 * the signer (masa_signer_cms_sign) with the MASA chain included.
 */
#include "json_codec.h"

#include <limits.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "crypto/ossl.h"
#include "crypto/signer.h"
#include "encode.h"
#include "masa_limits.h"

/* The codec's view of one signed request (struct masa_vreq_sig.priv):
 * the DER it came in, parsed again to verify. */
struct cms_priv {
	struct masa_bytes content;	/* its JSON (first: masa_json_voucher_open) */
	struct masa_bytes der;
};
_Static_assert(sizeof(struct cms_priv) <= MASA_VREQ_PRIV_MAX, "fits in priv");

/* A parsed CMS message of der, or NULL if der is not exactly one. */
static CMS_ContentInfo *
cms_parse(struct masa_bytes der)
{
	const unsigned char *p = der.ptr;
	CMS_ContentInfo *cms;

	if (der.len == 0 || der.len > INT_MAX)
		return NULL;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	if (cms != NULL && p != der.ptr + der.len) {	/* trailing bytes */
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	return cms;
}

/* The algorithm of a SignerInfo's signature: ECDSA with SHA-256/384
 * (ecdsa-with-SHA*, or id-ecPublicKey with that digest, as some signers
 * write it). 0 for anything else, Ed25519 included: OpenSSL 3.0's CMS
 * verifies no Ed25519 SignerInfo (RFC 8419 came with 3.2), so such a
 * request is refused as of an unsupported algorithm, not as forged. */
static int
sig_alg(CMS_SignerInfo *si, enum masa_alg *alg)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	const ASN1_OBJECT *o;
	int snid, dnid;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	X509_ALGOR_get0(&o, NULL, NULL, sig);
	snid = OBJ_obj2nid(o);
	X509_ALGOR_get0(&o, NULL, NULL, dig);
	dnid = OBJ_obj2nid(o);
	if ((snid == NID_ecdsa_with_SHA256 || snid == NID_X9_62_id_ecPublicKey) &&
	    dnid == NID_sha256) {
		*alg = MASA_ALG_ES256;
		return 1;
	}
	if ((snid == NID_ecdsa_with_SHA384 || snid == NID_X9_62_id_ecPublicKey) &&
	    dnid == NID_sha384) {
		*alg = MASA_ALG_ES384;
		return 1;
	}
	return 0;
}

/* 1 if the eContentType is one a voucher-request may carry. */
static int
content_type_ok(const ASN1_OBJECT *type)
{
	ASN1_OBJECT *anima = OBJ_txt2obj(MASA_OID_ANIMA_JSON_VOUCHER, 1);
	int ok = OBJ_obj2nid(type) == NID_pkcs7_data ||
	    (anima != NULL && OBJ_cmp(type, anima) == 0);

	ASN1_OBJECT_free(anima);
	return ok;
}

/* The signer's certificates into sig (DER, in a), the one the SignerInfo
 * names first. With must_name, a set without it is MASA_E_CMS_SIGNER. */
static enum masa_err
take_certs(CMS_ContentInfo *cms, CMS_SignerInfo *si, int must_name, struct masa_arena *a,
    struct masa_vreq_sig *sig)
{
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	enum masa_err rc = MASA_OK;
	unsigned char *d = NULL;
	int i, n = certs != NULL ? sk_X509_num(certs) : 0, len, named = -1;
	size_t k;

	if (n > MASA_VREQ_CERTS_MAX)
		rc = MASA_E_CMS;
	for (i = 0; i < n && named < 0; i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			named = i;
	if (rc == MASA_OK && must_name && named < 0)
		rc = MASA_E_CMS_SIGNER;
	for (i = -1, k = 0; rc == MASA_OK && i < n; i++) {
		if (i == named || (i < 0 && named < 0))
			continue;	/* the named one goes first (i = -1) */
		len = i2d_X509(sk_X509_value(certs, i < 0 ? named : i), &d);
		if (len <= 0)
			rc = MASA_E_CMS;
		else
			rc = masa_arena_copy(a, d, (size_t)len, &sig->certs[k++]);
		OPENSSL_free(d);
		d = NULL;
	}
	if (rc == MASA_OK)
		sig->ncerts = k;
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

int
masa_cms_body_is_text(struct masa_bytes body)
{
	return body.len == 0 || body.ptr[0] != 0x30;	/* DER begins with a SEQUENCE */
}

/* The DER of body: as received, or decoded from base64 text (nqminds). */
static enum masa_err
body_der(struct masa_bytes body, struct masa_arena *a, struct masa_bytes *der)
{
	size_t cap = body.len / 4 * 3 + 3, len;
	uint8_t *d;

	if (!masa_cms_body_is_text(body)) {
		*der = body;
		return MASA_OK;
	}
	d = masa_arena_take(a, cap);
	if (d == NULL || masa_unb64((const char *)body.ptr, body.len, 1, d, cap, &len) != 0)
		return MASA_E_CMS;
	*der = (struct masa_bytes){ d, len };
	return MASA_OK;
}

/* Decodes one signed request (masa_json_sig_decode): the RVR's body may
 * be base64 text. Without leaves, only the signed message (a voucher). */
static enum masa_err
sig_decode(struct masa_bytes msg, int rvr, struct masa_arena *a, struct masa_vreq_sig *sig,
    struct masa_vreq_leaves *leaves)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING **content;
	ASN1_OBJECT *attr_type;
	struct cms_priv priv;
	struct masa_bytes json = { NULL, 0 };
	enum masa_err rc = rvr ? body_der(msg, a, &priv.der) : MASA_OK;
	int pos;

	if (!rvr)
		priv.der = msg;
	if (rc != MASA_OK)
		return rc;
	rc = MASA_E_CMS;
	cms = cms_parse(priv.der);
	if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto done;
	sis = CMS_get0_SignerInfos(cms);
	content = CMS_get0_content(cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1 || content == NULL || *content == NULL)
		goto done;	/* one signer, content attached */
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (!content_type_ok(CMS_get0_eContentType(cms))) {
		rc = MASA_E_CMS_CONTENT_TYPE;
		goto done;
	}
	/* RFC 5652 §11.1: a contentType attribute must name the eContentType. */
	pos = CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1);
	if (pos >= 0) {
		attr_type = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3,
		    V_ASN1_OBJECT);
		if (attr_type == NULL || OBJ_cmp(attr_type, CMS_get0_eContentType(cms)) != 0) {
			rc = MASA_E_CMS_CONTENT_TYPE;
			goto done;
		}
	}
	sig->alg_ok = sig_alg(si, &sig->alg);
	rc = take_certs(cms, si, rvr, a, sig);
	if (rc == MASA_OK)
		rc = masa_arena_copy(a, ASN1_STRING_get0_data(*content),
		    (size_t)ASN1_STRING_length(*content), &json);
	priv.content = json;
	if (rc == MASA_OK && leaves != NULL)
		rc = masa_json_vreq_leaves(json, a, leaves);
	if (rc == MASA_OK)
		memcpy(sig->priv, &priv, sizeof priv);
done:
	masa_ossl_clear();
	CMS_ContentInfo_free(cms);
	return rc;
}

/* masa_codec_cms.decode */
static enum masa_err
cms_decode(struct masa_bytes body, struct masa_vreq_raw *out)
{
	return masa_json_vreq_decode(body, sig_decode, out);
}

/* The SignerInfo of the message of sig, with key (RFC 5652 §5.4, §5.6):
 * over the signed attributes (which must carry the digest of the content
 * as received), or over the content. */
static enum masa_err
sig_verify(const struct masa_vreq_sig *sig, EVP_PKEY *key)
{
	struct cms_priv priv;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	X509 *holder = NULL;
	BIO *data = NULL;
	char buf[4096];
	enum masa_err rc = MASA_E_ALG;

	memcpy(&priv, sig->priv, sizeof priv);
	if (!sig->alg_ok || !masa_alg_key_matches(sig->alg, key))
		goto done;
	rc = MASA_E_SIGNATURE;
	cms = cms_parse(priv.der);
	if (cms == NULL)
		goto done;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	/* OpenSSL verifies a SignerInfo with its signer's certificate: one
	 * that carries only key stands in (the key is what is checked; the
	 * registrar's certificates are the core's business). */
	holder = X509_new();
	if (holder == NULL || X509_set_pubkey(holder, key) != 1)
		goto done;
	CMS_SignerInfo_set1_signer_cert(si, holder);
	if (CMS_signed_get_attr_count(si) >= 0 && CMS_SignerInfo_verify(si) != 1)
		goto done;
	data = CMS_dataInit(cms, NULL);
	if (data == NULL)
		goto done;
	while (BIO_read(data, buf, sizeof buf) > 0)
		;
	if (CMS_SignerInfo_verify_content(si, data) == 1)
		rc = MASA_OK;
done:
	masa_ossl_clear();
	BIO_free_all(data);
	X509_free(holder);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* masa_codec_cms.verify */
static enum masa_err
cms_verify(const struct masa_vreq_raw *v, int pvr, EVP_PKEY *key)
{
	return sig_verify(pvr ? &v->pvr : &v->rvr, key);
}

enum masa_err
masa_cms_voucher_open(struct masa_bytes voucher, EVP_PKEY *key, struct masa_buf *json)
{
	CMS_ContentInfo *cms = cms_parse(voucher);
	ASN1_OBJECT *anima = OBJ_txt2obj(MASA_OID_ANIMA_JSON_VOUCHER, 1);
	int anima_type = cms != NULL && anima != NULL &&
	    OBJ_cmp(CMS_get0_eContentType(cms), anima) == 0;

	CMS_ContentInfo_free(cms);
	ASN1_OBJECT_free(anima);
	masa_ossl_clear();
	if (!anima_type)	/* a voucher's is id-ct-animaJSONVoucher, no other */
		return MASA_E_CMS_CONTENT_TYPE;
	return masa_json_voucher_open(voucher, sig_decode, sig_verify, key, json);
}

/* masa_json_voucher_sign's signing step for CMS. CMS names its signer by
 * certificate; OpenSSL 3.0's CMS cannot sign with Ed25519 (RFC 8419 came
 * with 3.2): such a MASA answers JWS or COSE, and CMS with 406. */
static enum masa_err
cms_sign(struct masa_signer *s, struct masa_bytes json, const struct masa_bytes *chain, size_t n,
    struct masa_buf *out)
{
	if (n == 0 || masa_signer_alg(s) == MASA_ALG_EDDSA)
		return MASA_E_NOT_ACCEPTABLE;
	return masa_signer_cms_sign(s, json, MASA_OID_ANIMA_JSON_VOUCHER, chain, n, out);
}

enum masa_err
masa_cms_voucher_sign(const struct masa_voucher_in *in, struct masa_signer *s,
    struct masa_bytes masa_cert, struct masa_buf *out)
{
	return masa_json_voucher_sign(in, s, masa_cert, cms_sign, out);
}

const struct masa_codec masa_codec_cms = {
	.format = MASA_FORMAT_CMS,
	.name = "cms",
	.decode = cms_decode,
	.verify = cms_verify,
	.sign = masa_cms_voucher_sign,
	.key_part = masa_json_no_key_part,
};
