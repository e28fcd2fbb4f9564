/* test_slots.c: masa/http/slots.c: connections counted per IPv6 /64. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "slots.h"

static struct sockaddr_in6
v6(const char *text)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
	return a;
}

#define SA(a) ((const struct sockaddr *)(const void *)&(a))

/* Proves addresses of one /64 share its limit, another /64 and IPv4 (also
 * mapped into IPv6) do not count, and an ended connection frees its slot. */
static void
test_per_64(void **state)
{
	struct masa_slots *s = masa_slots_new(2);
	struct sockaddr_in6 a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9");
	struct sockaddr_in6 other = v6("2001:db8:1:3::1"), mapped = v6("::ffff:192.0.2.1");
	struct sockaddr_in v4;
	int i;

	(void)state;
	assert_non_null(s);
	memset(&v4, 0, sizeof v4);
	v4.sin_family = AF_INET;
	assert_int_equal(masa_slots_allow(s, SA(a)), 1);
	masa_slots_count(s, SA(a), 1);
	assert_int_equal(masa_slots_allow(s, SA(b)), 1);
	masa_slots_count(s, SA(b), 1);
	assert_int_equal(masa_slots_allow(s, SA(a)), 0);
	assert_int_equal(masa_slots_allow(s, SA(b)), 0);
	assert_int_equal(masa_slots_allow(s, SA(other)), 1);
	for (i = 0; i < 10; i++) {
		masa_slots_count(s, SA(mapped), 1);
		masa_slots_count(s, SA(v4), 1);
	}
	assert_int_equal(masa_slots_allow(s, SA(mapped)), 1);
	assert_int_equal(masa_slots_allow(s, SA(v4)), 1);
	masa_slots_count(s, SA(a), -1);
	assert_int_equal(masa_slots_allow(s, SA(b)), 1);
	masa_slots_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
