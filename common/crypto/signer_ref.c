/* signer_ref.c: key references (signer.h): a file path, or a URI whose
 * scheme names the implementation that opens it. Above both the generic
 * signer and its implementations, so neither calls back up. */
#include "crypto/signer.h"

#include <string.h>
#include <strings.h>

#include "crypto/signer_impl.h"

/* The key references in URI form and who opens them; anything else is a
 * file path. */
static const struct {
	const char *scheme;	/* with its ':' */
	enum masa_err (*open)(const char *ref, enum masa_alg alg, const struct masa_key_opts *opts,
	    struct masa_signer **out, struct masa_diag *diag);
} schemes[] = {
	{ "pkcs11:", masa_signer_pkcs11_open },
};
#define NSCHEMES (sizeof schemes / sizeof schemes[0])

/* The index of ref's scheme in schemes, or NSCHEMES for a path. */
static size_t
scheme_of(const char *ref)
{
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		if (strncasecmp(ref, schemes[i].scheme, strlen(schemes[i].scheme)) == 0)
			break;
	return i;
}

int
masa_signer_ref_is_uri(const char *ref)
{
	return scheme_of(ref) < NSCHEMES;
}

enum masa_err
masa_signer_open_opts(const char *ref, enum masa_alg alg, const struct masa_key_opts *opts,
    struct masa_signer **out, struct masa_diag *diag)
{
	size_t i = scheme_of(ref);

	if (i < NSCHEMES)
		return schemes[i].open(ref, alg, opts, out, diag);
	return masa_signer_load(ref, alg, out, diag);
}

enum masa_err
masa_signer_open(const char *ref, enum masa_alg alg, struct masa_signer **out,
    struct masa_diag *diag)
{
	return masa_signer_open_opts(ref, alg, NULL, out, diag);
}
