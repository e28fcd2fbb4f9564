/* test_routes.c: masa/routes.c (route lookup), reply.c (handler replies)
 * and handle_health.c (/healthz, /readyz). */
#include "testutil.h"

#include <string.h>

#include "errors.h"
#include "handlers.h"

#define BUSY_MS 100

/* Asserts that reply has status and exactly body, as text/plain. */
static void
assert_text_reply(const struct masa_reply *r, unsigned status, const char *body)
{
	assert_int_equal(r->status, status);
	assert_non_null(r->content_type);
	assert_string_equal(r->content_type, "text/plain; charset=utf-8");
	assert_int_equal(r->body.len, strlen(body));
	assert_memory_equal(r->body.ptr, body, r->body.len);
}

/* Proves method and path decide the route: HEAD matches GET, others get 405
 * with Allow, and paths match exactly (no trailing slash, no case folding). */
static void
test_route_find(void **state)
{
	static const struct {
		const char *method, *path;
		enum masa_err want;
		const char *allow;
		masa_handler_fn fn;
	} cases[] = {
		{ "GET", "/healthz", MASA_OK, "", masa_handle_healthz },
		{ "HEAD", "/healthz", MASA_OK, "", masa_handle_healthz },
		{ "GET", "/readyz", MASA_OK, "", masa_handle_readyz },
		{ "POST", "/healthz", MASA_E_METHOD, "GET, HEAD", NULL },
		{ "get", "/healthz", MASA_E_METHOD, "GET, HEAD", NULL },
		{ "GET", "/nope", MASA_E_NO_ROUTE, "", NULL },
		{ "POST", "/nope", MASA_E_NO_ROUTE, "", NULL },
		{ "GET", "/healthz/", MASA_E_NO_ROUTE, "", NULL },
		{ "GET", "/HEALTHZ", MASA_E_NO_ROUTE, "", NULL },
		{ "GET", "/healthz?x=1", MASA_E_NO_ROUTE, "", NULL },
		{ "GET", "", MASA_E_NO_ROUTE, "", NULL },
	};
	const struct masa_route *r;
	char allow[64], param[MASA_ROUTE_PARAM_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum masa_err rc;

		r = NULL;
		memset(allow, 'x', sizeof allow);
		rc = masa_route_find(&masa_public_routes, cases[i].method, cases[i].path, &r, allow,
		    sizeof allow, param, sizeof param);
		if (rc != cases[i].want)
			fail_msg("%s %s: got %s", cases[i].method, cases[i].path, masa_err_name(rc));
		if (rc == MASA_OK) {
			assert_non_null(r);
			assert_ptr_equal(r->fn, cases[i].fn);
			assert_string_equal(r->path, cases[i].path);
		} else {
			assert_null(r);
			assert_string_equal(allow, cases[i].allow);
		}
	}
}

/* Proves the admin listener serves the health routes without a token,
 * matches '*' segments (exact paths first), and never the public routes. */
static void
test_admin_routes(void **state)
{
	static const struct {
		const char *method, *path;
		enum masa_err want;
		masa_handler_fn fn;
		const char *param;
		unsigned roles;
	} cases[] = {
		{ "GET", "/readyz", MASA_OK, masa_handle_readyz, "", 0 },
		{ "POST", "/admin/v1/devices/import", MASA_OK, masa_handle_device_import, "",
		  MASA_ROLE_ADMIN | MASA_ROLE_FACTORY },
		{ "GET", "/admin/v1/devices/SN-1", MASA_OK, masa_handle_device_show, "SN-1",
		  MASA_ROLE_ADMIN | MASA_ROLE_FACTORY | MASA_ROLE_AUDITOR },
		{ "POST", "/admin/v1/devices/SN-1/release", MASA_OK, masa_handle_device_release, "SN-1",
		  MASA_ROLE_ADMIN },
		{ "DELETE", "/admin/v1/registrars/blocked/ab", MASA_OK, masa_handle_unblock, "ab",
		  MASA_ROLE_ADMIN },
		{ "GET", "/admin/v1/devices/a/b", MASA_E_NO_ROUTE, NULL, "", 0 },
		{ "GET", "/admin/v1/devices//release", MASA_E_NO_ROUTE, NULL, "", 0 },
		{ "PUT", "/admin/v1/devices/SN-1", MASA_E_METHOD, NULL, "", 0 },
		{ "POST", "/.well-known/brski/requestvoucher", MASA_E_NO_ROUTE, NULL, "", 0 },
	};
	const struct masa_route *r;
	char allow[64], param[MASA_ROUTE_PARAM_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = NULL;
		if (masa_route_find(&masa_admin_routes, cases[i].method, cases[i].path, &r, allow,
		    sizeof allow, param, sizeof param) != cases[i].want)
			fail_msg("%s %s", cases[i].method, cases[i].path);
		if (cases[i].want != MASA_OK)
			continue;
		assert_ptr_equal(r->fn, cases[i].fn);
		assert_string_equal(param, cases[i].param);
		assert_int_equal(r->roles, cases[i].roles);
	}
	/* A '*' segment longer than the caller's buffer does not match. */
	assert_int_equal(masa_route_find(&masa_admin_routes, "GET", "/admin/v1/devices/abcdefgh",
	    &r, allow, sizeof allow, param, 4), MASA_E_NO_ROUTE);
}

/* Proves an error reply carries the table's status and message, replacing any body. */
static void
test_reply_error(void **state)
{
	static const enum masa_err codes[] = {
		MASA_E_NO_ROUTE, MASA_E_METHOD, MASA_E_TOO_LARGE, MASA_E_STORE_BUSY,
		MASA_E_KEY_UNAVAILABLE, MASA_E_INTERNAL,
	};
	struct masa_reply r;
	char want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		masa_reply_init(&r);
		assert_int_equal(masa_reply_text(&r, 200, "earlier body"), MASA_OK);
		masa_reply_error(&r, codes[i]);
		snprintf(want, sizeof want, "%s\n", masa_err_message(codes[i]));
		assert_text_reply(&r, masa_err_status(codes[i]), want);
		masa_reply_free(&r);
	}
}

/* Proves the header table holds MASA_REPLY_HEADERS entries and truncates long values. */
static void
test_reply_headers(void **state)
{
	struct masa_reply r;
	char longv[300];
	unsigned i;

	(void)state;
	memset(longv, 'v', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	masa_reply_init(&r);
	masa_reply_header(&r, "X-Long", longv);
	for (i = 1; i < MASA_REPLY_HEADERS; i++)
		masa_reply_header(&r, "X-Fill", "f");
	masa_reply_header(&r, "X-Dropped", "d");
	assert_int_equal(r.nheaders, MASA_REPLY_HEADERS);
	assert_string_equal(r.headers[0].name, "X-Long");
	assert_int_equal(strlen(r.headers[0].value), sizeof r.headers[0].value - 1);
	assert_string_equal(r.headers[MASA_REPLY_HEADERS - 1].name, "X-Fill");
	masa_reply_free(&r);
}

/* The pieces a health handler needs: a migrated store and (maybe) a signer. */
struct health {
	char db_path[TU_PATH_MAX];
	struct masa_app app;
	struct masa_req req;
	struct masa_reply reply;
};

static void
health_init(struct health *h, const struct tu_dir *d, int with_signer)
{
	memset(h, 0, sizeof *h);
	tu_path(h->db_path, d, "masa.db");
	h->app.db = tu_db_migrated(h->db_path, BUSY_MS);
	h->app.signer = with_signer ? tu_signer(d, MASA_ALG_ES256) : NULL;
	h->req.app = &h->app;
	h->req.rid = "test";
	h->req.method = "GET";
	h->req.path = "/readyz";
	h->req.peer = "127.0.0.1";
	masa_reply_init(&h->reply);
}

static void
health_free(struct health *h)
{
	masa_reply_free(&h->reply);
	masa_signer_free(h->app.signer);
	masa_db_close(h->app.db);
}

/* Proves /healthz answers 200 "ok". */
static void
test_healthz(void **state)
{
	struct masa_req req;
	struct masa_reply reply;

	(void)state;
	memset(&req, 0, sizeof req);
	masa_reply_init(&reply);
	assert_int_equal(masa_handle_healthz(&req, &reply), MASA_OK);
	assert_text_reply(&reply, 200, "ok\n");
	masa_reply_free(&reply);
}

/* Proves /readyz answers 200 "ready" with a writable store and a signer. */
static void
test_readyz_ready(void **state)
{
	struct health h;

	health_init(&h, *state, 1);
	assert_int_equal(masa_handle_readyz(&h.req, &h.reply), MASA_OK);
	assert_text_reply(&h.reply, 200, "ready\n");
	health_free(&h);
}

/* Proves /readyz without a signing key is MASA_E_KEY_UNAVAILABLE. */
static void
test_readyz_no_signer(void **state)
{
	struct health h;

	health_init(&h, *state, 0);
	assert_int_equal(masa_handle_readyz(&h.req, &h.reply), MASA_E_KEY_UNAVAILABLE);
	assert_int_equal(h.reply.status, 0);
	health_free(&h);
}

/* Proves /readyz reports a store locked by another writer as MASA_E_STORE_BUSY. */
static void
test_readyz_store_busy(void **state)
{
	struct health h;
	sqlite3 *locker;

	health_init(&h, *state, 1);
	locker = tu_lock_exclusive(h.db_path);
	assert_int_equal(masa_handle_readyz(&h.req, &h.reply), MASA_E_STORE_BUSY);
	assert_int_equal(h.reply.status, 0);
	tu_unlock(locker);
	assert_int_equal(masa_handle_readyz(&h.req, &h.reply), MASA_OK);
	health_free(&h);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_find),
		cmocka_unit_test(test_admin_routes),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_reply_headers),
		cmocka_unit_test(test_healthz),
		DIR_TEST(test_readyz_ready),
		DIR_TEST(test_readyz_no_signer),
		DIR_TEST(test_readyz_store_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
