/* certinfo.c: see certinfo.h. */
#include "crypto/certinfo.h"

#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fsutil.h"

#define CERT_FILE_MAX (1024 * 1024)

static int
time_of(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static enum masa_err
info_of(X509 *cert, struct masa_cert_info *out)
{
	struct masa_cert_info ci;
	BIO *b = BIO_new(BIO_s_mem());
	char *text = NULL;
	long n;

	memset(&ci, 0, sizeof ci);
	if (b == NULL)
		return MASA_E_NOMEM;
	if (time_of(X509_get0_notBefore(cert), &ci.not_before_s) != 0 ||
	    time_of(X509_get0_notAfter(cert), &ci.not_after_s) != 0 ||
	    X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(b);
		return MASA_E_MALFORMED;
	}
	n = BIO_get_mem_data(b, &text);
	if (n > 0)
		memcpy(ci.subject, text, (size_t)n < sizeof ci.subject ? (size_t)n : sizeof ci.subject - 1);
	BIO_free(b);
	*out = ci;
	return MASA_OK;
}

enum masa_err
masa_cert_info_der(struct masa_bytes der, struct masa_cert_info *out)
{
	const unsigned char *p = der.ptr;
	X509 *cert = der.len <= (size_t)INT32_MAX ? d2i_X509(NULL, &p, (long)der.len) : NULL;
	enum masa_err rc;

	if (cert == NULL || p != der.ptr + der.len) {
		X509_free(cert);
		return MASA_E_MALFORMED;
	}
	rc = info_of(cert, out);
	X509_free(cert);
	return rc;
}

enum masa_err
masa_cert_info_pem_file(const char *path, struct masa_cert_info *out)
{
	struct masa_diag diag = { { 0 } };
	struct masa_buf pem;
	BIO *b;
	X509 *cert;
	enum masa_err rc = masa_file_read(path, 0, CERT_FILE_MAX, &pem, &diag);

	if (rc != MASA_OK)
		return rc;
	b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	cert = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	rc = cert != NULL ? info_of(cert, out) : MASA_E_MALFORMED;
	X509_free(cert);
	BIO_free(b);
	masa_buf_free(&pem);
	return rc;
}
