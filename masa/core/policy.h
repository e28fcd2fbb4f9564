/*
 * policy.h: whether to issue a voucher, decided from facts alone: the
 * configuration, what the store says about the device and the registrar,
 * and what verification established about the request. No crypto, no
 * HTTP, no store access: a pure function, tested from tables.
 */
#ifndef MASA_POLICY_H
#define MASA_POLICY_H

#include <stdint.h>

#include "config.h"
#include "err.h"

enum {
	MASA_ASSERT_VERIFIED = 0,
	MASA_ASSERT_LOGGED = 1,
	MASA_ASSERT_PROXIMITY = 2,
};

/* What the store says, read inside the issuing transaction. */
struct masa_policy_state {
	int device_found;
	int device_retired;
	int pinned;			/* the device has a pinned registrar */
	int pinned_is_this;		/* ... and it is this one */
	int registrar_blocked;
	int registrar_is_owner;		/* the key belongs to the device's owner */
	int net_known;			/* the key's first network is recorded */
	int net_matches;		/* ... and the client address is inside it */
	int has_bucket;
	int64_t tat_ms;			/* the bucket's GCRA value */
};

/* What verification established about the request. */
struct masa_policy_request {
	int64_t now_ms;
	int has_created_on;
	int64_t created_on_ms;
	int nonceless;			/* the RVR carries no nonce */
	int pvr_verified;		/* a PVR was present and fully verified */
};

struct masa_decision {
	enum masa_err refusal;		/* MASA_OK: issue */
	int assertion;			/* MASA_ASSERT_* */
	int64_t tat_ms;			/* the bucket's new value when issuing */
	uint64_t retry_after_s;		/* with MASA_E_RATE_LIMITED */
	int pin_registrar;		/* first-use: record this registrar now */
	int64_t expires_ms;		/* 0: the voucher has no expires-on */
};

/* Vouchers a device could get right now from its bucket state. */
int64_t masa_policy_tokens_left(const struct masa_policy_config *cfg, int has_bucket,
    int64_t tat_ms, int64_t now_ms);

void masa_policy_decide(const struct masa_policy_config *cfg, const struct masa_policy_state *st,
    const struct masa_policy_request *req, struct masa_decision *out);

/* The terms of a voucher for req if one is issued: its assertion and
 * expiry (0: none). They depend on the request and the configuration
 * only, never on stored state, so a voucher can be signed before the
 * decision (masa_policy_decide reports the same terms). */
void masa_policy_terms(const struct masa_policy_config *cfg, const struct masa_policy_request *req,
    int *assertion, int64_t *expires_ms);

#endif
