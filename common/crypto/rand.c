/* rand.c: see rand.h. */
#include "crypto/rand.h"

#include <limits.h>

#include <openssl/rand.h>

enum masa_err
masa_rand_bytes(uint8_t *out, size_t n)
{
	if (n > INT_MAX || RAND_bytes(out, (int)n) != 1)
		return MASA_E_CRYPTO;
	return MASA_OK;
}
