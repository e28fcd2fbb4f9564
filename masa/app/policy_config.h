/*
 * policy_config.h: the policy.* keys of masa.json as plain values, with no
 * includes, so that the policy (core/policy.h) depends on nothing else of
 * the configuration.
 */
#ifndef MASA_POLICY_CONFIG_H
#define MASA_POLICY_CONFIG_H

#include <stdint.h>

enum masa_policy_mode {
	MASA_MODE_FIRST_USE = 0,	/* the first registrar to get a voucher is pinned */
	MASA_MODE_OWNER = 1,		/* only the owner's registrar keys */
	MASA_MODE_OPEN = 2,		/* any verified registrar (audit only) */
};

/* What a voucher pins (policy.pinned_domain, a product's --pin). */
enum masa_pin_form {
	MASA_PIN_PUBK = 0,		/* pinned-domain-pubk: registrar DER SPKI */
	MASA_PIN_CERT = 1,		/* pinned-domain-cert: registrar certificate ("ee-cert") */
	MASA_PIN_CA_LOWEST = 2,		/* pinned-domain-cert: lowest CA of its verified chain */
	MASA_PIN_CA_HIGHEST = 3,	/* pinned-domain-cert: highest CA of its verified chain */
	MASA_PIN_EE_CERT = 4,		/* configuration only: "ee-cert", the same as MASA_PIN_CERT */
};

struct masa_policy_config {
	uint64_t mode;			/* enum masa_policy_mode */
	uint64_t created_on_max_age_s;
	uint64_t created_on_max_future_s;
	uint64_t bucket_capacity;
	uint64_t bucket_period_s;
	uint64_t nonceless_lifetime_s;
	uint64_t retry_window_s;
	uint64_t require_pvr;		/* 0/1 */
	uint64_t pin_network;		/* 0/1: pin a registrar key to its first /24 or /64 */
	uint64_t pinned_domain;		/* enum masa_pin_form */
	/* What a device without a product record takes (a product's fields). */
	uint64_t formats;		/* bit 1 << enum masa_format of each voucher format */
	uint64_t registrar_algs;	/* bit 1 << enum masa_alg of each registrar key type */
	uint64_t nonceless;		/* 0/1: nonceless vouchers allowed (to owners) */
};

#endif
