/* signer_pkcs11_none.c: the "pkcs11:" opener of a build without PKCS#11
 * (signer_impl.h). A build with it links signer_pkcs11.c instead, which
 * fills struct masa_signer_ops for a token's key. */
#include "crypto/signer_impl.h"

enum masa_err
masa_signer_pkcs11_open(const char *uri, enum masa_alg alg, const struct masa_key_opts *opts,
    struct masa_signer **out, struct masa_diag *diag)
{
	(void)uri;	/* never echoed: it may carry a pin-value */
	(void)alg;
	(void)opts;
	(void)out;
	masa_diag_set(diag, "PKCS#11 keys (pkcs11: URIs) are not supported by this build");
	return MASA_E_KEY;
}
