/*
 * policy.h: every rule of the MASA, decided from facts alone: the
 * configuration, what the store says about the device and the registrar,
 * and what verification established about the request. Whether to issue
 * a voucher (unknown or retired device, the registrar certificate's
 * validity, what the device's product takes, freshness, block-list,
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

/* What a device's pledge can take: its product's record, or the
 * configuration's defaults for a device without one. */
struct masa_policy_product {
	uint64_t formats;		/* bit 1 << enum masa_format of each format it takes */
	uint64_t registrar_algs;	/* bit 1 << enum masa_alg of each key type it can pin */
	int pin;			/* enum masa_pin_form (never MASA_PIN_EE_CERT) */
	int nonceless;			/* takes nonceless vouchers */
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
	struct masa_policy_product product;	/* the device's (masa_policy_default_product
					 * when it has no product record) */
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
	int answer_format;		/* enum masa_format of the voucher to sign */
	int registrar_alg;		/* enum masa_alg of the registrar key (0: none) */
	int registrar_cas;		/* CA certificates verified above the registrar's */
	int outside_validity;		/* the registrar certificate or its chain is not
					 * valid at now_ms */
	/* notAfter of the registrar certificate, of the lowest and of the
	 * highest CA (0: none) */
	int64_t ee_not_after_ms, ca_lowest_not_after_ms, ca_highest_not_after_ms;
};

/* The terms a voucher is signed on (masa_policy_terms). */
struct masa_terms {
	int assertion;			/* MASA_ASSERT_* */
	int64_t expires_ms;		/* 0: the voucher has no expires-on */
	int pin;			/* enum masa_pin_form: what it pins */
};

struct masa_decision {
	enum masa_err refusal;		/* MASA_OK: issue, or replay */
	int replay;			/* send the stored voucher: a retry, nothing spent */
	int assertion;			/* MASA_ASSERT_* */
	int64_t tat_ms;			/* the bucket's new value when issuing */
	uint64_t retry_after_s;		/* with MASA_E_RATE_LIMITED */
	int pin_registrar;		/* first-use: record this registrar now */
	int64_t expires_ms;		/* 0: the voucher has no expires-on */
	int pin;			/* enum masa_pin_form */
};

/* The record of a device without a product: policy.formats,
 * registrar_algs, pinned_domain and nonceless of the configuration. */
void masa_policy_default_product(const struct masa_policy_config *cfg,
    struct masa_policy_product *out);

/* Vouchers a device could get right now from its bucket state. */
int64_t masa_policy_tokens_left(const struct masa_policy_config *cfg, int has_bucket,
    int64_t tat_ms, int64_t now_ms);

/* The decision, its checks in a fixed order so that a request that fails
 * several gets the same answer every time: device, the registrar
 * certificate's validity, what the product takes (format, key type, pin
 * form, nonceless), freshness,
 * block-list, nonce and PVR rules, pinning mode, network pin, then a
 * byte-identical retry is replayed (nothing spent), else the bucket. */
void masa_policy_decide(const struct masa_policy_config *cfg, const struct masa_policy_state *st,
    const struct masa_policy_request *req, struct masa_decision *out);

/* Who may read a device's audit log (RFC 8995 §5.8): a registrar key that
 * has held a voucher for it, or a key of its owner, unless blocked. MASA_OK,
 * MASA_E_BLOCKED, or MASA_E_UNKNOWN_DEVICE (as for an unknown serial:
 * nothing is revealed). */
enum masa_err masa_policy_auditlog(const struct masa_policy_state *st, int held_voucher);

/* The terms of a voucher for req to a device of product if one is issued:
 * its assertion, expiry (0: none; a nonceless voucher's is clamped to the
 * pinned certificate's notAfter, RFC 8366bis) and pin. They depend on the
 * request, the configuration and the product only, so a voucher can be
 * signed on a snapshot before the decision (masa_policy_decide reports the
 * same terms, and issuance compares them). */
void masa_policy_terms(const struct masa_policy_config *cfg,
    const struct masa_policy_product *product, const struct masa_policy_request *req,
    struct masa_terms *out);

#endif
