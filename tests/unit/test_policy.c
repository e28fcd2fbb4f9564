/*
 * test_policy.c: masa/policy.c from tables: store facts x request facts x
 * configuration -> refusal, assertion, pin, expiry; and the token bucket
 * (GCRA) over simulated time.
 */
#include "testutil.h"

#include <string.h>

#include "crypto/alg.h"
#include "format.h"
#include "errors.h"
#include "policy.h"

#define NOW 1700000000000LL
#define HOUR 3600000LL

static struct masa_policy_config
config(uint64_t mode)
{
	struct masa_policy_config c;

	memset(&c, 0, sizeof c);
	c.mode = mode;
	c.created_on_max_age_s = 3600;
	c.created_on_max_future_s = 300;
	c.bucket_capacity = 24;
	c.bucket_period_s = 86400;
	c.nonceless_lifetime_s = 1200;
	c.retry_window_s = 1200;
	c.require_pvr = 1;
	return c;
}

/* Facts for an enrolled, unpinned device and a nonced, verified request. */
static void
normal(struct masa_policy_state *st, struct masa_policy_request *rq)
{
	memset(st, 0, sizeof *st);
	memset(rq, 0, sizeof *rq);
	st->device_found = 1;
	st->product.formats = (uint64_t)1 << MASA_FORMAT_COSE;
	st->product.registrar_algs = (uint64_t)1 << MASA_ALG_ES256 | (uint64_t)1 << MASA_ALG_ES384;
	st->product.pin = MASA_PIN_PUBK;
	st->product.nonceless = 1;
	rq->now_ms = NOW;
	rq->pvr_verified = 1;
	rq->answer_format = MASA_FORMAT_COSE;
	rq->registrar_alg = MASA_ALG_ES256;
}

enum mut {
	M_NONE, M_UNKNOWN, M_RETIRED, M_OLD, M_OLD_EDGE, M_FUTURE, M_FUTURE_EDGE, M_BLOCKED,
	M_PINNED_OTHER, M_PINNED_THIS, M_NONCELESS, M_NONCELESS_OWNER, M_NO_PVR, M_OWNER,
	M_NET_OTHER, M_NET_SAME, M_BUCKET_EMPTY, M_NO_CERT,
	M_RENEWAL, M_RENEWAL_PINNED, M_RENEWAL_OTHER,
	M_FORMAT, M_KEY_TYPE, M_EDDSA, M_EE_NO_CERT, M_EE_CERT, M_CA_NO_CA,
	M_CA_LOWEST, M_CA_HIGHEST, M_NO_NONCELESS, M_EXPIRED,
};

/* Applies one change to the normal facts. */
static void
mutate(enum mut m, struct masa_policy_state *st, struct masa_policy_request *rq)
{
	switch (m) {
	case M_UNKNOWN: st->device_found = 0; break;
	case M_RETIRED: st->device_retired = 1; break;
	case M_OLD: rq->has_created_on = 1; rq->created_on_ms = NOW - HOUR - 1; break;
	case M_OLD_EDGE: rq->has_created_on = 1; rq->created_on_ms = NOW - HOUR; break;
	case M_FUTURE: rq->has_created_on = 1; rq->created_on_ms = NOW + 300001; break;
	case M_FUTURE_EDGE: rq->has_created_on = 1; rq->created_on_ms = NOW + 300000; break;
	case M_BLOCKED: st->registrar_blocked = 1; break;
	case M_PINNED_OTHER: st->pinned = 1; break;
	case M_PINNED_THIS: st->pinned = 1; st->pinned_is_this = 1; break;
	case M_NONCELESS: rq->nonceless = 1; rq->pvr_verified = 0; break;
	case M_NONCELESS_OWNER: rq->nonceless = 1; rq->pvr_verified = 0; st->registrar_is_owner = 1; break;
	case M_NO_PVR: rq->pvr_verified = 0; break;
	case M_OWNER: st->registrar_is_owner = 1; break;
	case M_NET_OTHER: st->net_known = 1; break;
	case M_NET_SAME: st->net_known = 1; st->net_matches = 1; break;
	case M_BUCKET_EMPTY: st->has_bucket = 1; st->tat_ms = NOW + 24 * HOUR; break;
	case M_NO_CERT: rq->registrar_cert = 0; break;	/* with policy.pinned_domain cert */
	/* a renewal: no PVR, an earlier voucher of ours (renewal.h) */
	case M_RENEWAL: rq->pvr_verified = 0; rq->renewal = 1; break;
	case M_RENEWAL_PINNED: rq->pvr_verified = 0; rq->renewal = 1; st->pinned = 1;
		st->pinned_is_this = 1; break;
	case M_RENEWAL_OTHER: rq->pvr_verified = 0; rq->renewal = 1; st->pinned = 1; break;
	/* What the device's product takes. */
	case M_FORMAT: rq->answer_format = MASA_FORMAT_COSE + 1; break;	/* a format it lacks */
	case M_KEY_TYPE: rq->registrar_alg = MASA_ALG_ES384; st->product.registrar_algs = 2; break;
	case M_EDDSA: rq->registrar_alg = MASA_ALG_EDDSA; break;
	case M_EE_NO_CERT: st->product.pin = MASA_PIN_CERT; break;
	case M_EE_CERT: st->product.pin = MASA_PIN_CERT; rq->registrar_cert = 1; break;
	case M_CA_NO_CA: st->product.pin = MASA_PIN_CA_LOWEST; rq->registrar_cert = 1; break;
	case M_CA_LOWEST: st->product.pin = MASA_PIN_CA_LOWEST; rq->registrar_cert = 1;
		rq->registrar_cas = 1; break;
	case M_CA_HIGHEST: st->product.pin = MASA_PIN_CA_HIGHEST; rq->registrar_cert = 1;
		rq->registrar_cas = 2; break;
	case M_NO_NONCELESS: rq->nonceless = 1; rq->pvr_verified = 0; st->registrar_is_owner = 1;
		st->product.nonceless = 0; break;
	case M_EXPIRED: rq->registrar_cert = 1; rq->outside_validity = 1; break;
	default: break;
	}
}

/* One row per rule, in each mode where it matters. */
static void
test_decision_table(void **state)
{
	static const struct {
		uint64_t mode;
		enum mut m;
		int require_pvr, pin_network;
		enum masa_err want;
		int assertion, pin, expires;
	} rows[] = {
		{ MASA_MODE_FIRST_USE, M_NONE, 1, 0, MASA_OK, MASA_ASSERT_PROXIMITY, 1, 0 },
		{ MASA_MODE_FIRST_USE, M_UNKNOWN, 1, 0, MASA_E_UNKNOWN_DEVICE, 2, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_RETIRED, 1, 0, MASA_E_UNKNOWN_DEVICE, 2, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_OLD, 1, 0, MASA_E_STALE, 2, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_OLD_EDGE, 1, 0, MASA_OK, 2, 1, 0 },
		{ MASA_MODE_FIRST_USE, M_FUTURE, 1, 0, MASA_E_STALE, 2, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_FUTURE_EDGE, 1, 0, MASA_OK, 2, 1, 0 },
		{ MASA_MODE_OPEN, M_BLOCKED, 1, 0, MASA_E_BLOCKED, 2, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_PINNED_OTHER, 1, 0, MASA_E_PINNED_ELSEWHERE, 2, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_PINNED_THIS, 1, 0, MASA_OK, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_PINNED_OTHER, 1, 0, MASA_OK, 2, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_NONCELESS, 1, 0, MASA_E_NONCELESS, 1, 0, 0 },
		{ MASA_MODE_OPEN, M_NONCELESS, 1, 0, MASA_E_NONCELESS, 1, 0, 0 },
		{ MASA_MODE_OWNER, M_NONCELESS, 1, 0, MASA_E_NONCELESS, 0, 0, 0 },
		{ MASA_MODE_OWNER, M_NONCELESS_OWNER, 1, 0, MASA_OK, MASA_ASSERT_VERIFIED, 0, 1 },
		{ MASA_MODE_FIRST_USE, M_NO_PVR, 1, 0, MASA_E_PVR_MISSING, 1, 0, 0 },
		{ MASA_MODE_OPEN, M_NO_PVR, 0, 0, MASA_OK, MASA_ASSERT_LOGGED, 0, 0 },
		{ MASA_MODE_OWNER, M_NONE, 1, 0, MASA_E_NOT_OWNER, 2, 0, 0 },
		{ MASA_MODE_OWNER, M_OWNER, 1, 0, MASA_OK, MASA_ASSERT_PROXIMITY, 0, 0 },
		{ MASA_MODE_OPEN, M_NET_OTHER, 1, 1, MASA_E_NET_PINNED, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_NET_OTHER, 1, 0, MASA_OK, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_NET_SAME, 1, 1, MASA_OK, 2, 0, 0 },
		/* renewals satisfy require_pvr and never pin (issue 15) */
		{ MASA_MODE_FIRST_USE, M_RENEWAL_PINNED, 1, 0, MASA_OK, MASA_ASSERT_LOGGED, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_RENEWAL, 1, 0, MASA_E_RENEWAL_RELEASED, 1, 0, 0 },
		{ MASA_MODE_FIRST_USE, M_RENEWAL_OTHER, 1, 0, MASA_E_PINNED_ELSEWHERE, 1, 0, 0 },
		{ MASA_MODE_OPEN, M_RENEWAL, 1, 0, MASA_OK, MASA_ASSERT_LOGGED, 0, 0 },
		{ MASA_MODE_OWNER, M_RENEWAL, 1, 0, MASA_E_NOT_OWNER, MASA_ASSERT_VERIFIED, 0, 0 },
		{ MASA_MODE_OPEN, M_FORMAT, 1, 0, MASA_E_PLEDGE_FORMAT, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_KEY_TYPE, 1, 0, MASA_E_PLEDGE_KEY_TYPE, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_EDDSA, 1, 0, MASA_E_PLEDGE_KEY_TYPE, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_EE_NO_CERT, 1, 0, MASA_E_NOT_ACCEPTABLE, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_EE_CERT, 1, 0, MASA_OK, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_CA_NO_CA, 1, 0, MASA_E_PLEDGE_CA_PIN, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_CA_LOWEST, 1, 0, MASA_OK, 2, 0, 0 },
		{ MASA_MODE_OPEN, M_CA_HIGHEST, 1, 0, MASA_OK, 2, 0, 0 },
		{ MASA_MODE_OWNER, M_NO_NONCELESS, 1, 0, MASA_E_PLEDGE_NONCELESS, 0, 0, 0 },
		{ MASA_MODE_OPEN, M_EXPIRED, 1, 0, MASA_E_CERT_VALIDITY, 2, 0, 0 },
	};
	struct masa_policy_config c;
	struct masa_policy_state st;
	struct masa_policy_request rq;
	struct masa_decision d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		c = config(rows[i].mode);
		c.require_pvr = (uint64_t)rows[i].require_pvr;
		c.pin_network = (uint64_t)rows[i].pin_network;
		normal(&st, &rq);
		mutate(rows[i].m, &st, &rq);
		masa_policy_decide(&c, &st, &rq, &d);
		if (d.refusal != rows[i].want)
			fail_msg("row %zu: refusal %d, want %d", i, d.refusal, rows[i].want);
		if (d.assertion != rows[i].assertion)	/* the terms, refused or not */
			fail_msg("row %zu: assertion %d, want %d", i, d.assertion, rows[i].assertion);
		if (d.refusal != MASA_OK)
			continue;
		if (d.pin_registrar != rows[i].pin ||
		    (d.expires_ms != 0) != rows[i].expires)
			fail_msg("row %zu: assertion %d pin %d expires %lld", i, d.assertion,
			    d.pin_registrar, (long long)d.expires_ms);
		if (rows[i].expires)
			assert_true(d.expires_ms == NOW + 1200 * 1000);
	}
}

/* Proves the README's order of checks on requests with several faults at
 * once: enrolled (404), certificate pin without a certificate (406),
 * created-on freshness, block-list, nonceless / PVR required, the pinning
 * mode, the network pin, and the bucket last. Each row's answer is its
 * earliest fault; the row with the first fault removed shows the next. */
static void
test_order_of_checks(void **state)
{
	static const struct {
		uint64_t mode;
		enum mut m[4];
		enum masa_err want;
	} rows[] = {
		{ MASA_MODE_FIRST_USE, { M_UNKNOWN, M_NO_CERT, M_OLD, M_BLOCKED }, MASA_E_UNKNOWN_DEVICE },
		{ MASA_MODE_FIRST_USE, { M_RETIRED, M_OLD, M_BUCKET_EMPTY }, MASA_E_UNKNOWN_DEVICE },
		{ MASA_MODE_FIRST_USE, { M_NO_CERT, M_OLD, M_BLOCKED }, MASA_E_NOT_ACCEPTABLE },
		{ MASA_MODE_FIRST_USE, { M_OLD, M_BLOCKED, M_PINNED_OTHER }, MASA_E_STALE },
		{ MASA_MODE_FIRST_USE, { M_FUTURE, M_NONCELESS, M_BUCKET_EMPTY }, MASA_E_STALE },
		{ MASA_MODE_FIRST_USE, { M_BLOCKED, M_NONCELESS, M_PINNED_OTHER }, MASA_E_BLOCKED },
		{ MASA_MODE_FIRST_USE, { M_BLOCKED, M_NO_PVR, M_NET_OTHER }, MASA_E_BLOCKED },
		{ MASA_MODE_OWNER, { M_BLOCKED, M_OWNER, M_BUCKET_EMPTY }, MASA_E_BLOCKED },
		{ MASA_MODE_FIRST_USE, { M_NONCELESS, M_PINNED_OTHER, M_NET_OTHER }, MASA_E_NONCELESS },
		{ MASA_MODE_FIRST_USE, { M_NO_PVR, M_PINNED_OTHER, M_BUCKET_EMPTY }, MASA_E_PVR_MISSING },
		{ MASA_MODE_FIRST_USE, { M_PINNED_OTHER, M_NET_OTHER, M_BUCKET_EMPTY }, MASA_E_PINNED_ELSEWHERE },
		{ MASA_MODE_OWNER, { M_NET_OTHER, M_BUCKET_EMPTY }, MASA_E_NOT_OWNER },
		{ MASA_MODE_OPEN, { M_NET_OTHER, M_BUCKET_EMPTY }, MASA_E_NET_PINNED },
		{ MASA_MODE_OPEN, { M_BUCKET_EMPTY }, MASA_E_RATE_LIMITED },
	};
	struct masa_policy_config c;
	struct masa_policy_state st;
	struct masa_policy_request rq;
	struct masa_decision d;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		c = config(rows[i].mode);
		c.pin_network = 1;
		c.pinned_domain = MASA_PIN_CERT;
		normal(&st, &rq);
		st.product.pin = MASA_PIN_CERT;	/* the device's pin: its certificate */
		rq.registrar_cert = 1;
		for (k = 0; k < 4; k++)
			mutate(rows[i].m[k], &st, &rq);
		masa_policy_decide(&c, &st, &rq, &d);
		if (d.refusal != rows[i].want)
			fail_msg("row %zu: refusal %d (%s), want %s", i, d.refusal,
			    masa_err_name(d.refusal), masa_err_name(rows[i].want));
	}
}

/* A nonceless voucher expires no later than the certificate it pins
 * (RFC 8366bis), and the pin is the product's. */
static void
test_nonceless_clamp(void **state)
{
	static const struct {
		int pin;
		int64_t ee, low, high, want;
	} rows[] = {
		{ MASA_PIN_PUBK, NOW + 1000, 0, 0, NOW + 1200 * 1000 },	/* nothing pinned expires */
		{ MASA_PIN_CERT, NOW + 1000, 0, 0, NOW + 1000 },
		{ MASA_PIN_CERT, NOW + 9999999, 0, 0, NOW + 1200 * 1000 },
		{ MASA_PIN_CA_LOWEST, NOW + 1000, NOW + 2000, NOW + 3000, NOW + 2000 },
		{ MASA_PIN_CA_HIGHEST, NOW + 1000, NOW + 2000, NOW + 3000, NOW + 3000 },
	};
	struct masa_policy_config c = config(MASA_MODE_OWNER);
	struct masa_policy_state st;
	struct masa_policy_request rq;
	struct masa_decision d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		normal(&st, &rq);
		mutate(M_NONCELESS_OWNER, &st, &rq);
		st.product.pin = rows[i].pin;
		rq.registrar_cert = 1;
		rq.registrar_cas = 2;
		rq.ee_not_after_ms = rows[i].ee;
		rq.ca_lowest_not_after_ms = rows[i].low;
		rq.ca_highest_not_after_ms = rows[i].high;
		masa_policy_decide(&c, &st, &rq, &d);
		assert_int_equal(d.refusal, MASA_OK);
		assert_int_equal(d.pin, rows[i].pin);
		if (d.expires_ms != rows[i].want)
			fail_msg("row %zu: expires %lld, want %lld", i, (long long)d.expires_ms,
			    (long long)rows[i].want);
	}
}

/* Issues at time t if allowed; returns the refusal. */
static enum masa_err
take(const struct masa_policy_config *c, struct masa_policy_state *st, int64_t t,
    uint64_t *retry)
{
	struct masa_policy_request rq;
	struct masa_decision d;

	memset(&rq, 0, sizeof rq);
	rq.now_ms = t;
	rq.pvr_verified = 1;
	rq.answer_format = MASA_FORMAT_COSE;
	rq.registrar_alg = MASA_ALG_ES256;
	masa_policy_decide(c, st, &rq, &d);
	if (d.refusal == MASA_OK) {
		st->has_bucket = 1;
		st->tat_ms = d.tat_ms;
	}
	*retry = d.retry_after_s;
	return d.refusal;
}

/* A full bucket gives 24 at once, then one an hour; Retry-After says when. */
static void
test_bucket(void **state)
{
	struct masa_policy_config c = config(MASA_MODE_OPEN);
	struct masa_policy_state st;
	struct masa_policy_request rq;
	uint64_t retry = 0;
	int i;

	(void)state;
	normal(&st, &rq);
	for (i = 0; i < 24; i++)
		assert_int_equal(take(&c, &st, NOW, &retry), MASA_OK);
	assert_int_equal(take(&c, &st, NOW, &retry), MASA_E_RATE_LIMITED);
	assert_int_equal(retry, 3600);
	assert_int_equal(take(&c, &st, NOW + HOUR - 1000, &retry), MASA_E_RATE_LIMITED);
	assert_int_equal(retry, 1);
	assert_int_equal(take(&c, &st, NOW + HOUR, &retry), MASA_OK);
	assert_int_equal(take(&c, &st, NOW + HOUR, &retry), MASA_E_RATE_LIMITED);
	/* A day later the bucket is full again, and never fuller. */
	for (i = 0; i < 24; i++)
		assert_int_equal(take(&c, &st, NOW + 30 * 24 * HOUR, &retry), MASA_OK);
	assert_int_equal(take(&c, &st, NOW + 30 * 24 * HOUR, &retry), MASA_E_RATE_LIMITED);
}

/* Over 30 simulated days of random requests, issued in any window
 * (t0, t1] never exceeds 24 + floor((t1 - t0) / 1 h). */
static void
test_bucket_invariant(void **state)
{
	struct masa_policy_config c = config(MASA_MODE_OPEN);
	struct masa_policy_state st;
	struct masa_policy_request rq;
	static int64_t issued[5000];
	int64_t t = NOW, allowed;
	uint64_t retry, rnd = 88172645463325252ULL;
	size_t n = 0, i, j;

	(void)state;
	normal(&st, &rq);
	while (t < NOW + 30 * 24 * HOUR && n < sizeof issued / sizeof issued[0]) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		t += (int64_t)(rnd % (3 * HOUR / 2));
		if (take(&c, &st, t, &retry) == MASA_OK)
			issued[n++] = t;
	}
	assert_true(n > 24);
	for (i = 0; i < n; i++) {
		for (j = i; j < n; j++) {
			allowed = 24 + (issued[j] - issued[i]) / HOUR;
			if ((int64_t)(j - i + 1) > allowed)
				fail_msg("%zu vouchers in %lld ms", j - i + 1, (long long)(issued[j] - issued[i]));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_order_of_checks),
		cmocka_unit_test(test_nonceless_clamp),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_bucket_invariant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
