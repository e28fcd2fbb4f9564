/* test_metrics.c: masa/metrics.c (counters and their Prometheus text) and
 * the GET /metrics handler. The counters are process-wide and never reset,
 * so every check compares a sample before and after. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "policy.h"
#include "handlers.h"

/* The rendered text, NUL-terminated (free it). */
static char *
render(void)
{
	struct masa_db_stats store = { 7, 19 };
	struct masa_signer_stats signer = { 23, 5 };
	struct masa_buf b;
	char *s;

	masa_buf_init(&b, 1024 * 1024);
	assert_int_equal(masa_metrics_render(&b, &store, &signer), MASA_OK);
	s = calloc(1, b.len + 1);
	assert_non_null(s);
	memcpy(s, b.ptr, b.len);
	masa_buf_free(&b);
	return s;
}

/* The value of the sample whose name and labels are exactly series (e.g.
 * "masa_x{a=\"b\"}"), or -1 when absent. */
static double
sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

/* 0 when absent (counters that have not counted yet are not rendered). */
static double
count(const char *text, const char *series)
{
	double v = sample(text, series);

	return v < 0 ? 0 : v;
}

/* Proves requests are counted by listener, route and status code, that
 * unmatched and unusual codes get their own fixed labels, and that a
 * table the module does not know is ignored. */
static void
test_requests_by_route_and_code(void **state)
{
	static const char voucher[] = "masa_requests_total{listener=\"public\",method=\"POST\","
	    "route=\"/.well-known/brski/requestvoucher\",code=\"429\"}";
	static const char none[] = "masa_requests_total{listener=\"public\",method=\"\","
	    "route=\"none\",code=\"404\"}";
	static const char other[] = "masa_requests_total{listener=\"admin\",method=\"GET\","
	    "route=\"/healthz\",code=\"other\"}";
	const struct masa_route *r;
	struct masa_route_table foreign = masa_public_routes;
	char allow[64], param[MASA_ROUTE_PARAM_MAX];
	char *before, *after;

	(void)state;
	assert_int_equal(masa_route_find(&masa_public_routes, "POST",
	    "/.well-known/brski/requestvoucher", &r, allow, sizeof allow, param, sizeof param), MASA_OK);
	before = render();
	masa_metrics_request(&masa_public_routes, r, 429, 100);
	masa_metrics_request(&masa_public_routes, r, 429, 100);
	masa_metrics_request(&masa_public_routes, NULL, 404, 100);
	masa_metrics_request(&masa_admin_routes, &masa_admin_routes.routes[0], 302, 100);
	masa_metrics_request(&foreign, r, 429, 100);	/* ignored */
	after = render();
	assert_true(count(after, voucher) - count(before, voucher) == 2);
	assert_true(count(after, none) - count(before, none) == 1);
	assert_true(count(after, other) - count(before, other) == 1);
	free(before);
	free(after);
}

/* Proves every route of both tables gets a series of its own. */
static void
test_every_route_has_its_label(void **state)
{
	const struct masa_route_table *tables[] = { &masa_public_routes, &masa_admin_routes };
	char series[256], *text;
	size_t t, i;

	(void)state;
	for (t = 0; t < 2; t++)
		for (i = 0; i < tables[t]->n; i++)
			masa_metrics_request(tables[t], &tables[t]->routes[i], 200, 10);
	text = render();
	for (t = 0; t < 2; t++)
		for (i = 0; i < tables[t]->n; i++) {
			snprintf(series, sizeof series, "masa_requests_total{listener=\"%s\",method=\"%s\","
			    "route=\"%s\",code=\"200\"}", tables[t]->name, tables[t]->routes[i].method,
			    tables[t]->routes[i].path);
			if (count(text, series) < 1)
				fail_msg("no series for %s", series);
		}
	free(text);
}

/* Proves the histogram is cumulative, its bounds inclusive, and that
 * _count and _sum follow the observations. */
static void
test_latency_histogram(void **state)
{
	static const char *const series[] = {
		"masa_request_duration_seconds_bucket{listener=\"admin\",le=\"0.001\"}",
		"masa_request_duration_seconds_bucket{listener=\"admin\",le=\"0.0025\"}",
		"masa_request_duration_seconds_bucket{listener=\"admin\",le=\"10\"}",
		"masa_request_duration_seconds_bucket{listener=\"admin\",le=\"+Inf\"}",
		"masa_request_duration_seconds_count{listener=\"admin\"}",
		"masa_request_duration_seconds_sum{listener=\"admin\"}",
	};
	static const double want[] = { 1, 2, 3, 4, 4, 0.001 + 0.0015 + 2.0 + 60.0 };
	char *before, *after;
	size_t i;

	(void)state;
	before = render();
	masa_metrics_request(&masa_admin_routes, NULL, 404, 1000);	/* le 0.001: the bound itself */
	masa_metrics_request(&masa_admin_routes, NULL, 404, 1500);
	masa_metrics_request(&masa_admin_routes, NULL, 404, 2000000);
	masa_metrics_request(&masa_admin_routes, NULL, 404, 60000000);	/* only +Inf */
	after = render();
	for (i = 0; i < sizeof series / sizeof series[0]; i++) {
		double d = sample(after, series[i]) - sample(before, series[i]);

		if (sample(after, series[i]) < 0 || d < want[i] - 1e-6 || d > want[i] + 1e-6)
			fail_msg("%s moved by %f, want %f", series[i], d, want[i]);
	}
	free(before);
	free(after);
}

/* Proves vouchers are counted by format, answer form and assertion, that
 * replays are counted apart, and that out-of-range values change nothing. */
static void
test_vouchers(void **state)
{
	static const char plain_prox[] = "masa_vouchers_issued_total{format=\"cose\",answer=\"plain\","
	    "assertion=\"proximity\"}";
	static const char mp_logged[] = "masa_vouchers_issued_total{format=\"cose\",answer=\"multipart\","
	    "assertion=\"logged\"}";
	static const char replayed[] = "masa_vouchers_replayed_total{format=\"cose\"}";
	char *before, *after;

	(void)state;
	before = render();
	assert_true(sample(before, plain_prox) >= 0);	/* fixed label sets: present at 0 */
	masa_metrics_voucher(MASA_FORMAT_COSE, 0, MASA_ASSERT_PROXIMITY, 0);
	masa_metrics_voucher(MASA_FORMAT_COSE, 1, MASA_ASSERT_LOGGED, 0);
	masa_metrics_voucher(MASA_FORMAT_COSE, 1, MASA_ASSERT_LOGGED, 0);
	masa_metrics_voucher(MASA_FORMAT_COSE, 0, -1, 1);
	masa_metrics_voucher(MASA_FORMAT_COSE, 0, 7, 0);		/* ignored */
	masa_metrics_voucher((enum masa_format)9, 0, MASA_ASSERT_LOGGED, 0);	/* ignored */
	after = render();
	assert_true(sample(after, plain_prox) - sample(before, plain_prox) == 1);
	assert_true(sample(after, mp_logged) - sample(before, mp_logged) == 2);
	assert_true(sample(after, replayed) - sample(before, replayed) == 1);
	free(before);
	free(after);
}

/* Proves 429s and store errors are counted by kind and other codes not. */
static void
test_errors(void **state)
{
	static const char *const series[] = {
		"masa_rate_limited_total{reason=\"voucher_bucket\"}",
		"masa_rate_limited_total{reason=\"auth_throttle\"}",
		"masa_store_errors_total{kind=\"unavailable\"}",
		"masa_store_errors_total{kind=\"busy\"}",
	};
	static const double want[] = { 2, 1, 1, 3 };
	char *before, *after;
	size_t i;

	(void)state;
	before = render();
	masa_metrics_error(MASA_E_RATE_LIMITED);
	masa_metrics_error(MASA_E_RATE_LIMITED);
	masa_metrics_error(MASA_E_THROTTLED);
	masa_metrics_error(MASA_E_STORE);
	masa_metrics_error(MASA_E_STORE_BUSY);
	masa_metrics_error(MASA_E_STORE_BUSY);
	masa_metrics_error(MASA_E_STORE_BUSY);
	masa_metrics_error(MASA_E_FORBIDDEN);
	masa_metrics_error(MASA_OK);
	after = render();
	for (i = 0; i < sizeof series / sizeof series[0]; i++)
		if (sample(after, series[i]) - sample(before, series[i]) != want[i])
			fail_msg("%s moved by %f", series[i], sample(after, series[i]) - sample(before, series[i]));
	free(before);
	free(after);
}

/* Proves the text's shape: each family has HELP and TYPE before its
 * samples, no family appears twice, every line ends with a newline, and
 * the handler answers 200 with the exposition format's media type. */
static void
test_format_and_handler(void **state)
{
	struct masa_req req;
	struct masa_reply reply;
	struct masa_app app;
	char *text, *line, *save = NULL, family[128], seen[2048] = " ", path[TU_PATH_MAX];
	int typed = 0;

	memset(&app, 0, sizeof app);
	text = render();
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	assert_true(sample(text, "masa_build_info{version=\"" MASA_TEST_VERSION "\"}") == 1);
	assert_true(sample(text, "masa_store_commits_total") == 7);
	assert_true(sample(text, "masa_store_commit_changes_total") == 19);
	assert_true(sample(text, "masa_signatures_total") == 23);
	assert_true(sample(text, "masa_signature_failures_total") == 5);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", family), 1);
			snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s ", family);
			typed = 0;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(strncmp(line + 7, family, strlen(family)), 0);
			typed = 1;
			continue;
		}
		assert_true(typed);
		assert_int_equal(strncmp(line, family, strlen(family)), 0);
	}
	free(text);
	/* Each family once. */
	for (line = seen + 1; *line != '\0'; line = strchr(line, ' ') + 1) {
		char needle[132];
		size_t n = (size_t)(strchr(line, ' ') - line);

		snprintf(needle, sizeof needle, " %.*s ", (int)n, line);
		assert_ptr_equal(strstr(seen, needle), line - 1);
	}

	/* The handler, on a real store (its group-commit counters start at 0). */
	tu_path(path, *state, "masa.db");
	app.db = tu_db_migrated(path, 1000);
	memset(&req, 0, sizeof req);
	req.app = &app;
	masa_reply_init(&reply);
	assert_int_equal(masa_handle_metrics(&req, &reply), MASA_OK);
	assert_int_equal(reply.status, 200);
	assert_string_equal(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
	text = calloc(1, reply.body.len + 1);
	assert_non_null(text);
	memcpy(text, reply.body.ptr, reply.body.len);
	assert_true(sample(text, "masa_store_commits_total") == 0);
	assert_true(sample(text, "masa_signatures_total") == 0);	/* no key: 0, still rendered */
	assert_true(sample(text, "masa_signature_failures_total") == 0);
	free(text);
	masa_reply_free(&reply);
	masa_db_close(app.db);
}

/* The handler's masa_signatures_total and masa_signature_failures_total
 * for app (-1 when absent). */
static void
handler_signatures(struct masa_app *app, double *made, double *failed)
{
	struct masa_req req;
	struct masa_reply reply;
	char *text;

	memset(&req, 0, sizeof req);
	req.app = app;
	masa_reply_init(&reply);
	assert_int_equal(masa_handle_metrics(&req, &reply), MASA_OK);
	text = calloc(1, reply.body.len + 1);
	assert_non_null(text);
	memcpy(text, reply.body.ptr, reply.body.len);
	*made = sample(text, "masa_signatures_total");
	*failed = sample(text, "masa_signature_failures_total");
	free(text);
	masa_reply_free(&reply);
}

/* Proves GET /metrics shows the app's signer's counters: every call of
 * masa_signer_sign, and not the self-test at load. */
static void
test_handler_counts_signatures(void **state)
{
	static const uint8_t msg[] = "a voucher";
	uint8_t sig[MASA_SIG_MAX];
	char path[TU_PATH_MAX];
	struct masa_app app;
	double made, failed;
	size_t len, i;

	memset(&app, 0, sizeof app);
	tu_path(path, *state, "masa.db");
	app.db = tu_db_migrated(path, 1000);
	app.signer = tu_signer(*state, MASA_ALG_ES256);
	handler_signatures(&app, &made, &failed);
	assert_true(made == 0 && failed == 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(masa_signer_sign(app.signer, (struct masa_bytes){ msg, sizeof msg },
		    sig, &len), MASA_OK);
	handler_signatures(&app, &made, &failed);
	assert_true(made == 3 && failed == 0);
	masa_signer_free(app.signer);
	masa_db_close(app.db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_by_route_and_code),
		cmocka_unit_test(test_every_route_has_its_label),
		cmocka_unit_test(test_latency_histogram),
		cmocka_unit_test(test_vouchers),
		cmocka_unit_test(test_errors),
		cmocka_unit_test_setup_teardown(test_format_and_handler, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_handler_counts_signatures, tu_setup_dir,
		    tu_teardown_dir),
	};

	masa_metrics_tables(&masa_public_routes, &masa_admin_routes);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
