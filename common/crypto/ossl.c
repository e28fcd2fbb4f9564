/* ossl.c: see ossl.h. */
#include "crypto/ossl.h"

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
