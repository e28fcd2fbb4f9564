/* signchain.c: see signchain.h. */
#include "crypto/signchain.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/x509.h"

/* 1 if issuer issued subject: names (and key identifiers, key usage)
 * agree, and subject's signature verifies with issuer's key. */
static int
issued_by(X509 *subject, X509 *issuer)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer);

	return X509_check_issued(issuer, subject) == X509_V_OK && k != NULL &&
	    X509_verify(subject, k) == 1;
}

enum masa_err
masa_signchain_check(const struct masa_bytes *certs, size_t n, const char *file,
    struct masa_diag *diag)
{
	X509 *sub = NULL, *iss = NULL;
	enum masa_err rc = MASA_OK;
	size_t i;

	for (i = 0; i + 1 < n && rc == MASA_OK; i++) {
		if (masa_x509_parse(certs[i], &sub) != MASA_OK ||
		    masa_x509_parse(certs[i + 1], &iss) != MASA_OK) {
			masa_diag_set(diag, "%s: certificate %zu or %zu does not parse", file, i + 1,
			    i + 2);
			rc = MASA_E_KEY;
		} else if (!issued_by(sub, iss)) {
			masa_diag_set(diag, "%s: certificate %zu is not issued and signed by certificate "
			    "%zu (the chain must run from the signing certificate up, each certified "
			    "by the next)", file, i + 1, i + 2);
			rc = MASA_E_KEY;
		}
		X509_free(sub);
		X509_free(iss);
		sub = iss = NULL;
	}
	return rc;
}

void
masa_signchain_subject(struct masa_bytes der, char *out, size_t cap)
{
	X509 *x = NULL;
	BIO *b;
	long len;
	char *p;

	snprintf(out, cap, "(unreadable)");
	if (masa_x509_parse(der, &x) != MASA_OK)
		return;
	b = BIO_new(BIO_s_mem());
	if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		if (len >= 0)
			snprintf(out, cap, "%.*s", (int)len, p);
	}
	BIO_free(b);
	X509_free(x);
}
