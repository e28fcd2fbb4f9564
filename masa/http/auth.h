/*
 * auth.h: Bearer API tokens for the admin listener (product.md §3.2).
 *
 * A token is "<16 hex id>.<43 base64url secret>": one indexed lookup by
 * id, then one Argon2id verification of the secret. At most two
 * verifications run at once (a flood cannot starve voucher traffic of
 * CPU). A source (an IPv4 address or an IPv6 /64) whose 5 attempts named
 * no existing token, or a token whose secret was wrong 5 times from one
 * source, gets 429 for 15 minutes without any hashing: for such attempts
 * from that source, or for that token from that source. Failures never
 * lock out a valid token used from elsewhere, and a full table never
 * refuses a source it has not seen fail. Roles: admin, factory, auditor.
 */
#ifndef MASA_AUTH_H
#define MASA_AUTH_H

#include <stdint.h>

#include "attr.h"
#include "err.h"
#include "store.h"

enum {
	MASA_ROLE_ADMIN = 1,
	MASA_ROLE_FACTORY = 2,
	MASA_ROLE_AUDITOR = 4,
};

#define MASA_AUTH_MAX_FAILURES 5
#define MASA_AUTH_LOCKOUT_MS (15 * 60 * 1000)
#define MASA_AUTH_CONCURRENT_HASHES 2

struct masa_principal {
	char token_id[24];
	unsigned role;			/* one MASA_ROLE_* bit */
};

struct masa_auth;

struct masa_auth *masa_auth_new(void);
void masa_auth_free(struct masa_auth *a);

/* Checks an Authorization header value (NULL if absent) from peer.
 * MASA_E_UNAUTHENTICATED (missing, malformed, unknown or wrong token),
 * MASA_E_THROTTLED (*retry_after_s set), or MASA_OK and *out. *hashed is
 * 1 when an Argon2 verification ran. Roles are the caller's to check. */
MASA_NODISCARD enum masa_err masa_auth_check(struct masa_auth *a, struct masa_db *db,
    const char *authorization, const char *peer, int64_t now_ms, struct masa_principal *out,
    int *hashed, uint64_t *retry_after_s);

#endif
