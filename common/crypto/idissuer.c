/* idissuer.c: see idissuer.h. */
#include "crypto/idissuer.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "crypto/x509.h"

/* 1 if v holds exactly the n bytes p. */
static int
same(struct masa_bytes v, const unsigned char *p, size_t n)
{
	return p != NULL && v.len == n && memcmp(v.ptr, p, n) == 0;
}

int
masa_idevid_issuer_matches(struct masa_bytes idevid, struct masa_bytes issuer)
{
	X509 *x = NULL;
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *value, *keyid;
	unsigned char *der = NULL;
	int i, len, ok = 0;

	if (masa_x509_parse(idevid, &x) != MASA_OK)
		return 0;
	i = X509_get_ext_by_NID(x, NID_authority_key_identifier, -1);
	ext = i < 0 ? NULL : X509_get_ext(x, i);
	value = ext == NULL ? NULL : X509_EXTENSION_get_data(ext);
	if (value != NULL) {
		/* The 8366bis form: the extnValue OCTET STRING, tag and length
		 * included. */
		len = i2d_ASN1_OCTET_STRING(value, &der);
		ok = len > 0 && same(issuer, der, (size_t)len);
		OPENSSL_free(der);
	}
	/* The bare form: the keyIdentifier alone. */
	keyid = X509_get0_authority_key_id(x);
	if (!ok && keyid != NULL)
		ok = same(issuer, ASN1_STRING_get0_data(keyid), (size_t)ASN1_STRING_length(keyid));
	X509_free(x);
	return ok;
}
