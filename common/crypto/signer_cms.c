/* signer_cms.c: CMS SignedData with a signer's key (signer.h,
 * masa_signer_cms_sign), through OpenSSL's CMS API. Part of the signer:
 * the key comes from the implementation (signer_impl.h ops->pkey) and goes
 * back when the message is signed. */
#include "crypto/signer_impl.h"

#include <limits.h>

#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/ossl.h"

/* The digest of a SignerInfo for alg (RFC 5753, RFC 8419 for Ed25519). */
static const EVP_MD *
digest_for(enum masa_alg alg)
{
	switch (alg) {
	case MASA_ALG_ES256:
		return EVP_sha256();
	case MASA_ALG_ES384:
		return EVP_sha384();
	case MASA_ALG_EDDSA:
		return EVP_sha512();
	}
	return NULL;
}

/* A parsed DER certificate, or NULL. */
static X509 *
cert_parse(struct masa_bytes der)
{
	const unsigned char *p = der.ptr;

	if (der.len == 0 || der.len > 1024 * 1024)
		return NULL;
	return d2i_X509(NULL, &p, (long)der.len);
}

/* A stand-in signer certificate for a key that has none: only its public
 * key and the subjectKeyIdentifier (SHA-1 of the key, RFC 5280 §4.2.1.2)
 * that names it in the SignerInfo (RFC 5652 §5.3); never sent. */
static X509 *
key_holder(EVP_PKEY *key)
{
	X509 *x = X509_new();
	ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = x != NULL && ski != NULL && X509_set_pubkey(x, key) == 1 &&
	    X509_pubkey_digest(x, EVP_sha1(), md, &n) == 1 && ASN1_OCTET_STRING_set(ski, md, (int)n) == 1 &&
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) == 1;

	ASN1_OCTET_STRING_free(ski);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

enum masa_err
masa_signer_cms_with(EVP_PKEY *key, enum masa_alg alg, struct masa_bytes content,
    const char *econtent_oid, const struct masa_bytes *chain, size_t nchain, struct masa_buf *out)
{
	enum masa_err rc = MASA_E_CRYPTO;
	unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	ASN1_OBJECT *oid = NULL;
	X509 *signer = NULL, *extra = NULL;
	BIO *in = NULL;
	unsigned char *der = NULL;
	size_t i;
	int len;

	if (nchain == 0)
		flags |= CMS_USE_KEYID | CMS_NOCERTS;
	signer = nchain > 0 ? cert_parse(chain[0]) : key_holder(key);
	if (content.len > INT_MAX || signer == NULL)
		goto done;
	oid = OBJ_txt2obj(econtent_oid, 1);
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (oid == NULL || cms == NULL || CMS_set1_eContentType(cms, oid) != 1 ||
	    CMS_add1_signer(cms, signer, key, digest_for(alg), flags) == NULL)
		goto done;
	for (i = 1; i < nchain; i++) {
		extra = cert_parse(chain[i]);
		if (extra == NULL || CMS_add1_cert(cms, extra) != 1)
			goto done;
		X509_free(extra);
		extra = NULL;
	}
	in = BIO_new_mem_buf(content.ptr, (int)content.len);
	if (in == NULL || CMS_final(cms, in, NULL, flags) != 1)
		goto done;
	len = i2d_CMS_ContentInfo(cms, &der);
	if (len > 0)
		rc = masa_buf_append(out, der, (size_t)len);
done:
	masa_ossl_clear();
	OPENSSL_free(der);
	BIO_free(in);
	X509_free(extra);
	X509_free(signer);
	ASN1_OBJECT_free(oid);
	CMS_ContentInfo_free(cms);
	return rc;
}
