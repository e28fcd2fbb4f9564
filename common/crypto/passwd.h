/*
 * passwd.h: Argon2id hashing of API token secrets (libargon2). Parameters
 * follow the OWASP minimum (m = 19 MiB, t = 2, p = 1) with a 16-byte salt
 * and a 32-byte tag: the secrets are 256-bit random, so Argon2 mainly sets
 * the cost an attacker can force per guess, and must not starve the host.
 */
#ifndef MASA_PASSWD_H
#define MASA_PASSWD_H

#include <stddef.h>

#include "attr.h"
#include "err.h"

#define MASA_PASSWD_T_COST 2
#define MASA_PASSWD_M_COST_KIB 19456
#define MASA_PASSWD_PARALLELISM 1
#define MASA_PASSWD_SALT_LEN 16
#define MASA_PASSWD_TAG_LEN 32
#define MASA_PASSWD_ENCODED_MAX 160

/* Hashes secret into out as the PHC string "$argon2id$v=19$m=...". */
MASA_NODISCARD enum masa_err masa_passwd_hash(const char *secret, size_t len,
    char out[MASA_PASSWD_ENCODED_MAX]);

#endif
