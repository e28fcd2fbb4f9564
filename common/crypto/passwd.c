/* passwd.c: see passwd.h. */
#include "crypto/passwd.h"

#include <argon2.h>

#include "crypto/rand.h"

enum masa_err
masa_passwd_hash(const char *secret, size_t len, char out[MASA_PASSWD_ENCODED_MAX])
{
	uint8_t salt[MASA_PASSWD_SALT_LEN];

	if (masa_rand_bytes(salt, sizeof salt) != MASA_OK)
		return MASA_E_CRYPTO;
	if (argon2id_hash_encoded(MASA_PASSWD_T_COST, MASA_PASSWD_M_COST_KIB,
	    MASA_PASSWD_PARALLELISM, secret, len, salt, sizeof salt,
	    MASA_PASSWD_TAG_LEN, out, MASA_PASSWD_ENCODED_MAX) != ARGON2_OK)
		return MASA_E_CRYPTO;
	return MASA_OK;
}
