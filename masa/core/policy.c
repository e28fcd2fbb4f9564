/*
 * policy.c: see policy.h.
 */
#include "policy.h"

#include <string.h>

/* The bucket's interval T = P/C in ms (at least 1). */
static int64_t
interval_ms(const struct masa_policy_config *cfg)
{
	int64_t t = (int64_t)(cfg->bucket_period_s * 1000 / cfg->bucket_capacity);

	return t < 1 ? 1 : t;
}

int64_t
masa_policy_tokens_left(const struct masa_policy_config *cfg, int has_bucket, int64_t tat_ms,
    int64_t now_ms)
{
	int64_t t = interval_ms(cfg), cap = (int64_t)cfg->bucket_capacity, used;

	if (!has_bucket || tat_ms <= now_ms)
		return cap;
	used = (tat_ms - now_ms + t - 1) / t;
	return used >= cap ? 0 : cap - used;
}

/* The token bucket as GCRA: capacity C per period P, one token each
 * interval T = P/C, starting full. Refusal gives the seconds until the
 * next token. */
static enum masa_err
bucket(const struct masa_policy_config *cfg, const struct masa_policy_state *st, int64_t now,
    struct masa_decision *out)
{
	int64_t t = interval_ms(cfg);
	int64_t tat = st->has_bucket && st->tat_ms > now ? st->tat_ms : now;
	int64_t burst = t * (int64_t)(cfg->bucket_capacity - 1), wait_ms;
	if (tat - now > burst) {
		wait_ms = tat - now - burst;
		out->retry_after_s = (uint64_t)((wait_ms + 999) / 1000);
		return MASA_E_RATE_LIMITED;
	}
	out->tat_ms = tat + t;
	return MASA_OK;
}

void
masa_policy_default_product(const struct masa_policy_config *cfg,
    struct masa_policy_product *out)
{
	out->formats = cfg->formats;
	out->registrar_algs = cfg->registrar_algs;
	out->pin = cfg->pinned_domain == MASA_PIN_EE_CERT ? MASA_PIN_CERT : (int)cfg->pinned_domain;
	out->nonceless = cfg->nonceless != 0;
}

/* Whether the device's pledge can take the voucher req asks for (the
 * zero-touch join §6.3: the manufacturer knows what its pledges support):
 * its format, a pin of the registrar's key type, the pin form, and a
 * nonceless voucher. Each refusal names what the pledge cannot take. */
static enum masa_err
takes(const struct masa_policy_product *p, const struct masa_policy_request *req)
{
	if (req->answer_format <= 0 || req->answer_format > 63 ||
	    (p->formats >> req->answer_format & 1) == 0)
		return MASA_E_PLEDGE_FORMAT;
	if (req->registrar_alg <= 0 || req->registrar_alg > 63 ||
	    (p->registrar_algs >> req->registrar_alg & 1) == 0)
		return MASA_E_PLEDGE_KEY_TYPE;
	if (p->pin == MASA_PIN_CERT && !req->registrar_cert)
		return MASA_E_NOT_ACCEPTABLE;	/* no certificate to pin */
	if ((p->pin == MASA_PIN_CA_LOWEST || p->pin == MASA_PIN_CA_HIGHEST) &&
	    req->registrar_cas == 0)
		return MASA_E_PLEDGE_CA_PIN;
	if (req->nonceless && !p->nonceless)
		return MASA_E_PLEDGE_NONCELESS;
	return MASA_OK;
}

/* Everything but the bucket. */
static enum masa_err
rules(const struct masa_policy_config *cfg, const struct masa_policy_state *st,
    const struct masa_policy_request *req, struct masa_decision *out)
{
	int64_t max_age = (int64_t)cfg->created_on_max_age_s * 1000;
	int64_t max_future = (int64_t)cfg->created_on_max_future_s * 1000;
	enum masa_err rc;

	if (!st->device_found || st->device_retired)
		return MASA_E_UNKNOWN_DEVICE;
	if (req->outside_validity)
		return MASA_E_CERT_VALIDITY;
	rc = takes(&st->product, req);
	if (rc != MASA_OK)
		return rc;
	if (req->has_created_on && (req->created_on_ms < req->now_ms - max_age ||
	    req->created_on_ms > req->now_ms + max_future))
		return MASA_E_STALE;
	if (st->registrar_blocked)
		return MASA_E_BLOCKED;
	if (req->nonceless) {
		/* RFC 8995 §7.4.1: only for an authenticated, authorised owner. */
		if (cfg->mode != MASA_MODE_OWNER || !st->registrar_is_owner)
			return MASA_E_NONCELESS;
	} else if (!req->pvr_verified && !req->renewal && cfg->require_pvr) {
		return MASA_E_PVR_MISSING;
	}
	switch (cfg->mode) {
	case MASA_MODE_FIRST_USE:
		if (st->pinned && !st->pinned_is_this)
			return MASA_E_PINNED_ELSEWHERE;
		/* A renewal keeps the pin as it is: once the device is
		 * released, only a pledge's PVR pins it again. */
		if (req->renewal && !st->pinned)
			return MASA_E_RENEWAL_RELEASED;
		out->pin_registrar = !st->pinned;
		break;
	case MASA_MODE_OWNER:
		if (!st->registrar_is_owner)
			return MASA_E_NOT_OWNER;
		break;
	default:
		break;	/* open: any verified registrar, audit only */
	}
	if (cfg->pin_network && st->net_known && !st->net_matches)
		return MASA_E_NET_PINNED;
	return MASA_OK;
}

/* The notAfter of what pin form pin pins (0: a raw key, or unknown). */
static int64_t
pinned_not_after(int pin, const struct masa_policy_request *req)
{
	switch (pin) {
	case MASA_PIN_CERT:
		return req->ee_not_after_ms;
	case MASA_PIN_CA_LOWEST:
		return req->ca_lowest_not_after_ms;
	case MASA_PIN_CA_HIGHEST:
		return req->ca_highest_not_after_ms;
	default:
		return 0;
	}
}

void
masa_policy_terms(const struct masa_policy_config *cfg,
    const struct masa_policy_product *product, const struct masa_policy_request *req,
    struct masa_terms *out)
{
	int64_t limit;

	memset(out, 0, sizeof *out);
	if (req->pvr_verified)
		out->assertion = MASA_ASSERT_PROXIMITY;
	else if (cfg->mode == MASA_MODE_OWNER)
		out->assertion = MASA_ASSERT_VERIFIED;
	else
		out->assertion = MASA_ASSERT_LOGGED;
	out->pin = product->pin;
	/* RFC 8995 §7.4.1: a nonceless voucher expires; RFC 8366bis: never
	 * after the pinned certificate does. */
	if (req->nonceless) {
		out->expires_ms = req->now_ms + (int64_t)cfg->nonceless_lifetime_s * 1000;
		limit = pinned_not_after(out->pin, req);
		if (limit > 0 && limit < out->expires_ms)
			out->expires_ms = limit;
	}
}

void
masa_policy_decide(const struct masa_policy_config *cfg, const struct masa_policy_state *st,
    const struct masa_policy_request *req, struct masa_decision *out)
{
	struct masa_decision d;
	struct masa_terms terms;

	memset(&d, 0, sizeof d);
	d.refusal = rules(cfg, st, req, &d);
	if (d.refusal == MASA_OK && st->retry_found)
		d.replay = 1;
	else if (d.refusal == MASA_OK)
		d.refusal = bucket(cfg, st, req->now_ms, &d);
	masa_policy_terms(cfg, &st->product, req, &terms);
	d.assertion = terms.assertion;
	d.expires_ms = terms.expires_ms;
	d.pin = terms.pin;
	*out = d;
}

enum masa_err
masa_policy_auditlog(const struct masa_policy_state *st, int held_voucher)
{
	if (!st->device_found)
		return MASA_E_UNKNOWN_DEVICE;
	if (st->registrar_blocked)
		return MASA_E_BLOCKED;
	return held_voucher || st->registrar_is_owner ? MASA_OK : MASA_E_UNKNOWN_DEVICE;
}
