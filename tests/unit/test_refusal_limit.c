/*
 * test_refusal_limit.c: core/refusal_limit.c over a clock the test
 * controls: the per-key, per-network and process-wide buckets, the count
 * of refusals not audited, and refills.
 */
#include "testutil.h"

#include <string.h>

#include "refusal_limit.h"

#define T0 1700000000000LL
#define MIN 60000LL

/* A registrar key id made from one byte. */
static void
key(uint8_t b, uint8_t out[MASA_SHA256_LEN])
{
	memset(out, b, MASA_SHA256_LEN);
}

/* The process-wide bucket is shared by every test: each test uses its own
 * hour of the clock, far enough apart for it to be full again. */

/* Proves one key from one network gets burst entries, then one per
 * 3600/per_hour seconds, and that the entry after a gap counts the
 * refusals it stands for. */
static void
test_key_burst_then_rate(void **state)
{
	const struct masa_refusal_rates r = { 3, 60, 1000, 0 };	/* one a minute */
	uint8_t k[MASA_SHA256_LEN];
	uint64_t skipped = 99, before = masa_refusal_unaudited();
	int64_t t = T0;
	int i;

	(void)state;
	key(1, k);
	for (i = 0; i < 3; i++) {
		assert_int_equal(masa_refusal_admit(&r, k, "192.0.2.1", t, &skipped), 1);
		assert_int_equal(skipped, 0);
	}
	for (i = 0; i < 5; i++)
		assert_int_equal(masa_refusal_admit(&r, k, "192.0.2.1", t + i, &skipped), 0);
	assert_int_equal(masa_refusal_unaudited() - before, 5);
	assert_int_equal(masa_refusal_admit(&r, k, "192.0.2.1", t + MIN - 1000, &skipped), 0);
	assert_int_equal(masa_refusal_admit(&r, k, "192.0.2.1", t + MIN, &skipped), 1);
	assert_int_equal(skipped, 6);
	assert_int_equal(masa_refusal_admit(&r, k, "192.0.2.1", t + MIN, &skipped), 0);
}

/* Proves a network is limited across keys: fresh keys from one /24 share
 * its bucket, while another network is not held up by it. */
static void
test_network_bucket(void **state)
{
	const struct masa_refusal_rates r = { 2, 60, 1000, 0 };
	uint8_t k[MASA_SHA256_LEN];
	uint64_t skipped;
	int64_t t = T0 + 100 * MIN;

	(void)state;
	key(10, k);
	assert_int_equal(masa_refusal_admit(&r, k, "198.51.100.7", t, &skipped), 1);
	key(11, k);
	assert_int_equal(masa_refusal_admit(&r, k, "198.51.100.8", t, &skipped), 1);
	key(12, k);
	assert_int_equal(masa_refusal_admit(&r, k, "198.51.100.9", t, &skipped), 0);
	key(13, k);
	assert_int_equal(masa_refusal_admit(&r, k, "203.0.113.1", t, &skipped), 1);
	/* IPv6: one /64 */
	key(14, k);
	assert_int_equal(masa_refusal_admit(&r, k, "2001:db8::1", t, &skipped), 1);
	key(15, k);
	assert_int_equal(masa_refusal_admit(&r, k, "2001:db8::2", t, &skipped), 1);
	key(16, k);
	assert_int_equal(masa_refusal_admit(&r, k, "2001:db8::3", t, &skipped), 0);
}

/* Proves the process-wide bucket bounds fresh keys from fresh networks: a
 * minute's worth at once, then per_s a second. */
static void
test_process_bucket(void **state)
{
	const struct masa_refusal_rates r = { 100, 3600, 2, 0 };
	uint8_t k[MASA_SHA256_LEN];
	char src[32];
	uint64_t skipped;
	int64_t t = T0 + 200 * MIN;
	int i, ok = 0;

	(void)state;
	for (i = 0; i < 200; i++) {
		key((uint8_t)(100 + i % 100), k);
		k[1] = (uint8_t)(i / 100);
		snprintf(src, sizeof src, "10.%d.%d.1", i / 200, i % 200);
		ok += masa_refusal_admit(&r, k, src, t, &skipped);
	}
	assert_int_equal(ok, 120);	/* 60 s x 2 a second */
	key(250, k);
	assert_int_equal(masa_refusal_admit(&r, k, "10.250.0.1", t + 499, &skipped), 0);
	assert_int_equal(masa_refusal_admit(&r, k, "10.250.0.1", t + 500, &skipped), 1);
}

/* Proves many more keys than the table holds still get answers, and the
 * process-wide bucket still holds. */
static void
test_table_turnover(void **state)
{
	const struct masa_refusal_rates r = { 1, 60, 1000, 0 };
	uint8_t k[MASA_SHA256_LEN];
	char src[32];
	uint64_t skipped;
	int64_t t = T0 + 300 * MIN;
	int i, ok = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		memset(k, 0, sizeof k);
		memcpy(k, &i, sizeof i);
		snprintf(src, sizeof src, "10.%d.%d.1", (i >> 8) & 255, i & 255);
		ok += masa_refusal_admit(&r, k, src, t + i, &skipped);
	}
	assert_true(ok > 0);
	assert_true(ok <= 60 * 1000 + 20000);	/* never more than the process allows */
}

/* Proves a store under its reserve audits nothing, and counts it. */
static void
test_space_low(void **state)
{
	const struct masa_refusal_rates r = { 100, 3600, 100, 1 };
	uint8_t k[MASA_SHA256_LEN];
	uint64_t skipped, before = masa_refusal_unaudited();

	(void)state;
	key(200, k);
	assert_int_equal(masa_refusal_admit(&r, k, "192.0.2.200", T0 + 400 * MIN, &skipped), 0);
	assert_int_equal(masa_refusal_unaudited() - before, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_burst_then_rate),
		cmocka_unit_test(test_network_bucket),
		cmocka_unit_test(test_process_bucket),
		cmocka_unit_test(test_table_turnover),
		cmocka_unit_test(test_space_low),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
