/*
 * policy.h: every rule of the MASA, decided from facts alone: the
 * configuration, what the store says about the device and the registrar,
 * and what verification established about the request. Whether to issue
 * a voucher (unknown or retired device, pin form, freshness, block-list,
 * nonce and PVR rules, pinning mode, network pin, a retry to replay, the
 * bucket) and who may read a device's audit log. No crypto, no HTTP, no
 * store access: pure functions, tested from tables. Issuance runs the
 * decision twice on the same rules: on a snapshot before signing, so that
 * a refusal costs no signature, and again inside the write transaction.
 */
#ifndef MASA_POLICY_H
#define MASA_POLICY_H

#include <stdint.h>

#include "err.h"
#include "policy_config.h"

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
	int retry_found;		/* a stored, unexpired voucher of this registrar for
					 * the same request bytes within the retry window */
};

/* What verification established about the request. */
struct masa_policy_request {
	int64_t now_ms;
	int has_created_on;
	int64_t created_on_ms;
	int nonceless;			/* the RVR carries no nonce */
	int pvr_verified;		/* a PVR was present and fully verified */
	int renewal;			/* instead, an earlier voucher of this MASA for this
					 * serial pinning this registrar (renewal.h) */
	int registrar_cert;		/* the registrar key came with its certificate */
};

struct masa_decision {
	enum masa_err refusal;		/* MASA_OK: issue, or replay */
	int replay;			/* send the stored voucher: a retry, nothing spent */
	int assertion;			/* MASA_ASSERT_* */
	int64_t tat_ms;			/* the bucket's new value when issuing */
	uint64_t retry_after_s;		/* with MASA_E_RATE_LIMITED */
	int pin_registrar;		/* first-use: record this registrar now */
	int64_t expires_ms;		/* 0: the voucher has no expires-on */
};

/* Vouchers a device could get right now from its bucket state. */
int64_t masa_policy_tokens_left(const struct masa_policy_config *cfg, int has_bucket,
    int64_t tat_ms, int64_t now_ms);

/* The decision, its checks in a fixed order so that a request that fails
 * several gets the same answer every time: device, pin form, freshness,
 * block-list, nonce and PVR rules, pinning mode, network pin, then a
 * byte-identical retry is replayed (nothing spent), else the bucket. */
void masa_policy_decide(const struct masa_policy_config *cfg, const struct masa_policy_state *st,
    const struct masa_policy_request *req, struct masa_decision *out);

/* Who may read a device's audit log (RFC 8995 §5.8): a registrar key that
 * has held a voucher for it, or a key of its owner, unless blocked. MASA_OK,
 * MASA_E_BLOCKED, or MASA_E_UNKNOWN_DEVICE (as for an unknown serial:
 * nothing is revealed). */
enum masa_err masa_policy_auditlog(const struct masa_policy_state *st, int held_voucher);

/* The terms of a voucher for req if one is issued: its assertion and
 * expiry (0: none). They depend on the request and the configuration
 * only, never on stored state, so a voucher can be signed before the
 * decision (masa_policy_decide reports the same terms). */
void masa_policy_terms(const struct masa_policy_config *cfg, const struct masa_policy_request *req,
    int *assertion, int64_t *expires_ms);

#endif
