/* ossl.c: see ossl.h. */
#include "crypto/ossl.h"

#include <pthread.h>

#include <openssl/err.h>

void
masa_ossl_clear(void)
{
	ERR_clear_error();
}

void
masa_ossl_drain(struct masa_diag *diag, const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		masa_diag_set(diag, "%s: %s", what, buf);
	} else {
		masa_diag_set(diag, "%s", what);
	}
	ERR_clear_error();
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

const EVP_MD *
masa_ossl_sha256(void)
{
	pthread_once(&sha256_once, fetch_sha256);
	return sha256_md != NULL ? sha256_md : EVP_sha256();	/* fetched per use, then */
}
