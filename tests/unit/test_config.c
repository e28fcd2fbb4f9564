/* test_config.c: masa/config.c, loading and validating masa.json. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crypto/alg.h"
#include "format.h"
#include "errors.h"

/* Writes json as d/masa.json (replacing it) and puts its path in path. */
static void
write_config(const struct tu_dir *d, const char *json, char path[TU_PATH_MAX])
{
	tu_path(path, d, "masa.json");
	unlink(path);
	tu_write(path, json, 0644);
}

/* Loads json from a file in d. */
static enum masa_err
load_json(const struct tu_dir *d, const char *json, struct masa_config *cfg,
    struct masa_diag *diag)
{
	char path[TU_PATH_MAX];

	write_config(d, json, path);
	return masa_config_load(path, cfg, diag);
}

/* Asserts that path is d/name. */
static void
assert_in_dir(const char *path, const struct tu_dir *d, const char *name)
{
	char want[TU_PATH_MAX];

	tu_path(want, d, name);
	assert_string_equal(path, want);
}

/* Asserts every documented default, with paths in d and the given alg. */
static void
assert_defaults(const struct masa_config *c, const struct tu_dir *d, enum masa_alg alg)
{
	assert_string_equal(c->listen, "127.0.0.1:8443");
	assert_string_equal(c->admin_listen, "127.0.0.1:8444");
	assert_in_dir(c->tls_cert, d, "tls.crt");
	assert_in_dir(c->tls_key, d, "tls.key");
	assert_in_dir(c->db_url, d, "masa.db");
	assert_int_equal(c->busy_timeout_ms, 5000);
	assert_int_equal(c->alg, alg);
	assert_in_dir(c->signing_key, d, "signing.key");
	assert_in_dir(c->signing_cert, d, "signing.crt");
	assert_int_equal(c->limits.body_max_bytes, 65536);
	assert_int_equal(c->limits.connection_limit, 256);
	assert_int_equal(c->limits.per_ip_connection_limit, 32);
	assert_int_equal(c->limits.connection_timeout_s, 15);
	assert_int_equal(c->limits.connection_memory_bytes, 32768);
	assert_int_equal(c->limits.shutdown_grace_s, 10);
	assert_int_equal(c->limits.handshake_timeout_s, 5);
	assert_int_equal(c->limits.refusal_audit_burst, 100);
	assert_int_equal(c->limits.refusal_audit_per_hour, 60);
	assert_int_equal(c->limits.refusal_audit_per_s, 2);
	assert_int_equal(c->limits.store_reserve_mb, 256);
	assert_int_equal(c->admin_body_max_bytes, 67108864);
	assert_int_equal(c->policy.mode, MASA_MODE_FIRST_USE);
	assert_int_equal(c->policy.created_on_max_age_s, 3600);
	assert_int_equal(c->policy.created_on_max_future_s, 300);
	assert_int_equal(c->policy.bucket_capacity, 24);
	assert_int_equal(c->policy.bucket_period_s, 86400);
	assert_int_equal(c->policy.nonceless_lifetime_s, 1200);
	assert_int_equal(c->policy.retry_window_s, 1200);
	assert_int_equal(c->policy.require_pvr, 1);
	assert_int_equal(c->policy.pin_network, 0);
	assert_int_equal(c->policy.pinned_domain, MASA_PIN_PUBK);
	assert_int_equal(c->log_level, 0);	/* info */
	assert_int_equal(c->proxy_trusted.n, 0);
}

/*
 * Asserts that the config at path is refused with MASA_E_CONFIG, that the
 * diag names key the way config.c names keys (in double quotes; key NULL:
 * any message), and that the out struct is left exactly as it was. The
 * message goes to diag.
 */
static void
refused_path(const char *path, const char *key, struct masa_diag *diag)
{
	struct masa_config cfg, before;
	char quoted[128], shown[256], *text;
	enum masa_err rc;

	diag->msg[0] = '\0';
	memset(&cfg, 0xA5, sizeof cfg);
	memcpy(&before, &cfg, sizeof cfg);
	rc = masa_config_load(path, &cfg, diag);
	if (rc != MASA_E_CONFIG) {
		text = tu_exists(path) ? tu_read(path, NULL) : NULL;
		snprintf(shown, sizeof shown, "%s", text != NULL ? text : path);
		free(text);
		fail_msg("%s: got %s, want MASA_E_CONFIG", shown, masa_err_name(rc));
	}
	assert_memory_equal(&cfg, &before, sizeof cfg);
	assert_true(diag->msg[0] != '\0');
	if (key == NULL)
		return;
	snprintf(quoted, sizeof quoted, "\"%s\"", key);
	if (strstr(diag->msg, quoted) == NULL)
		fail_msg("diag for %s does not name %s: %s", key, quoted, diag->msg);
}

/* The same for json written to a file in d. */
static void
refused_json(const struct tu_dir *d, const char *json, const char *key, struct masa_diag *diag)
{
	char path[TU_PATH_MAX];

	write_config(d, json, path);
	refused_path(path, key, diag);
}

static void
expect_refused(const struct tu_dir *d, const char *json, const char *key)
{
	struct masa_diag diag;

	refused_json(d, json, key, &diag);
}

/* Proves "{}" gives every documented default, paths next to the config. */
static void
test_empty_object_gives_defaults(void **state)
{
	const struct tu_dir *d = *state;
	struct masa_config cfg;
	struct masa_diag diag = { "" };

	assert_int_equal(load_json(d, "{}", &cfg, &diag), MASA_OK);
	assert_defaults(&cfg, d, MASA_ALG_ES256);
	assert_string_equal(diag.msg, "");
}

/* Proves every documented key is read into its own field (no mixed-up offsets). */
static void
test_every_key_is_read(void **state)
{
	static const char json[] =
	    "{\"listen\": \"127.0.0.1:1001\","
	    " \"admin\": {\"listen\": \"[::1]:1002\"},"
	    " \"tls\": {\"cert\": \"a.crt\", \"key\": \"b.key\"},"
	    " \"database\": {\"path\": \"c.db\", \"busy_timeout_ms\": 7},"
	    " \"signing\": {\"alg\": \"eddsa\", \"key\": \"d.key\", \"cert\": \"e.crt\"},"
	    " \"limits\": {\"body_max_bytes\": 2048, \"connection_limit\": 3,"
	    "   \"per_ip_connection_limit\": 4, \"connection_timeout_s\": 5,"
	    "   \"connection_memory_bytes\": 9000, \"shutdown_grace_s\": 0}}";
	const struct tu_dir *d = *state;
	struct masa_config c;
	struct masa_diag diag = { "" };

	assert_int_equal(load_json(d, json, &c, &diag), MASA_OK);
	assert_string_equal(c.listen, "127.0.0.1:1001");
	assert_string_equal(c.admin_listen, "[::1]:1002");
	assert_in_dir(c.tls_cert, d, "a.crt");
	assert_in_dir(c.tls_key, d, "b.key");
	assert_in_dir(c.db_url, d, "c.db");
	assert_int_equal(c.busy_timeout_ms, 7);
	assert_int_equal(c.alg, MASA_ALG_EDDSA);
	assert_in_dir(c.signing_key, d, "d.key");
	assert_in_dir(c.signing_cert, d, "e.crt");
	assert_int_equal(c.limits.body_max_bytes, 2048);
	assert_int_equal(c.limits.connection_limit, 3);
	assert_int_equal(c.limits.per_ip_connection_limit, 4);
	assert_int_equal(c.limits.connection_timeout_s, 5);
	assert_int_equal(c.limits.connection_memory_bytes, 9000);
	assert_int_equal(c.limits.shutdown_grace_s, 0);
}

/* Proves relative paths resolve against the config's directory, absolute stay. */
static void
test_paths_resolve_against_config_dir(void **state)
{
	const struct tu_dir *d = *state;
	struct masa_config cfg;
	struct masa_diag diag = { "" };

	assert_int_equal(load_json(d, "{\"tls\": {\"cert\": \"sub/x.crt\", \"key\": \"/abs/x.key\"},"
	    " \"database\": {\"path\": \"../up.db\"}}", &cfg, &diag), MASA_OK);
	assert_in_dir(cfg.tls_cert, d, "sub/x.crt");
	assert_string_equal(cfg.tls_key, "/abs/x.key");
	assert_in_dir(cfg.db_url, d, "../up.db");
}

/* Proves database.url: a plain path and the path of "sqlite:PATH" resolve
 * like database.path, a postgresql:// URL is kept as it is, database.path
 * and database.url together are refused, and the default file still says
 * database.path. */
static void
test_database_url(void **state)
{
	const struct tu_dir *d = *state;
	char want[TU_PATH_MAX + 8], path[TU_PATH_MAX], *text;
	struct masa_config cfg;
	struct masa_diag diag = { "" };

	assert_int_equal(load_json(d, "{\"database\": {\"url\": \"sub/u.db\"}}", &cfg, &diag), MASA_OK);
	assert_in_dir(cfg.db_url, d, "sub/u.db");
	assert_int_equal(load_json(d, "{\"database\": {\"url\": \"sqlite:s.db\"}}", &cfg, &diag), MASA_OK);
	tu_path(path, d, "s.db");
	snprintf(want, sizeof want, "sqlite:%s", path);
	assert_string_equal(cfg.db_url, want);
	assert_int_equal(load_json(d, "{\"database\": {\"url\": \"sqlite:/abs/s.db\"}}", &cfg, &diag), MASA_OK);
	assert_string_equal(cfg.db_url, "sqlite:/abs/s.db");
	assert_int_equal(load_json(d, "{\"database\": {\"url\": \"postgresql://masa@db.example/masa\"}}",
	    &cfg, &diag), MASA_OK);
	assert_string_equal(cfg.db_url, "postgresql://masa@db.example/masa");

	expect_refused(d, "{\"database\": {\"path\": \"a.db\", \"url\": \"sqlite:b.db\"}}", "database.url");
	expect_refused(d, "{\"database\": {\"url\": \"sqlite:b.db\", \"path\": \"a.db\"}}", "database.url");
	expect_refused(d, "{\"database\": {\"url\": \"\"}}", "database.url");
	expect_refused(d, "{\"database\": {\"url\": \"sqlite:\"}}", "database.url");
	expect_refused(d, "{\"database\": {\"url\": 1}}", "database.url");

	tu_path(path, d, "default.json");
	assert_int_equal(masa_config_write_default(path, MASA_ALG_ES256, &diag), MASA_OK);
	text = tu_read(path, NULL);
	assert_non_null(strstr(text, "\"path\": \"masa.db\""));
	assert_null(strstr(text, "\"url\""));
	free(text);
}

/* Proves signing.key is a key reference: a pkcs11: URI (any case) is kept
 * verbatim, a path (even one holding "pkcs11:" further on) resolves like
 * any other, other path keys never take a URI, and an overlong URI or an
 * empty value is refused by name. */
static void
test_signing_key_reference(void **state)
{
	static const char *const uris[] = {
		"pkcs11:token=masa;object=voucher%20signing;type=private",
		"PKCS11:object=k?pin-source=file:/run/pin",
	};
	const struct tu_dir *d = *state;
	struct masa_config c, base;
	struct masa_diag diag = { "" };
	char json[2 * MASA_PATH_MAX], *uri;
	size_t i;

	for (i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		snprintf(json, sizeof json, "{\"signing\": {\"key\": \"%s\"}}", uris[i]);
		assert_int_equal(load_json(d, json, &c, &diag), MASA_OK);
		assert_string_equal(c.signing_key, uris[i]);
	}
	assert_int_equal(load_json(d, "{\"signing\": {\"key\": \"./pkcs11:k\"},"
	    " \"tls\": {\"key\": \"pkcs11:object=tls\"}}", &c, &diag), MASA_OK);
	assert_in_dir(c.signing_key, d, "./pkcs11:k");
	assert_in_dir(c.tls_key, d, "pkcs11:object=tls");
	assert_int_equal(load_json(d, "{\"signing\": {\"key\": \"/abs/k.key\"}}", &c, &diag), MASA_OK);
	assert_string_equal(c.signing_key, "/abs/k.key");

	/* a change of reference is a change of signing.key */
	assert_int_equal(load_json(d, "{}", &base, &diag), MASA_OK);
	snprintf(json, sizeof json, "{\"signing\": {\"key\": \"%s\"}}", uris[0]);
	assert_int_equal(load_json(d, json, &c, &diag), MASA_OK);
	assert_string_equal(masa_config_changed_key(&base, &c, NULL), "signing.key");

	uri = calloc(1, MASA_PATH_MAX + 1);
	assert_non_null(uri);
	memcpy(uri, "pkcs11:object=", 14);
	memset(uri + 14, 'k', MASA_PATH_MAX - 14);
	snprintf(json, sizeof json, "{\"signing\": {\"key\": \"%s\"}}", uri);
	free(uri);
	expect_refused(d, json, "signing.key");
	expect_refused(d, "{\"signing\": {\"key\": \"\"}}", "signing.key");
}

/* Proves admin.listen: null turns the admin listener off. */
static void
test_admin_listen_null_turns_it_off(void **state)
{
	const struct tu_dir *d = *state;
	struct masa_config cfg;
	struct masa_diag diag = { "" };

	memset(&cfg, 0xA5, sizeof cfg);
	assert_int_equal(load_json(d, "{\"admin\": {\"listen\": null}}", &cfg, &diag), MASA_OK);
	assert_string_equal(cfg.admin_listen, "");
	assert_string_equal(cfg.listen, "127.0.0.1:8443");
}

/* Proves the written default config loads back to the defaults (with its alg). */
static void
test_write_default_round_trips(void **state)
{
	static const enum masa_alg algs[] = { MASA_ALG_ES256, MASA_ALG_ES384, MASA_ALG_EDDSA };
	const struct tu_dir *d = *state;
	char path[TU_PATH_MAX];
	struct masa_config cfg;
	struct masa_diag diag = { "" };
	size_t i;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		tu_path(path, d, masa_alg_name(algs[i]));
		assert_int_equal(masa_config_write_default(path, algs[i], &diag), MASA_OK);
		assert_int_equal(masa_config_load(path, &cfg, &diag), MASA_OK);
		assert_defaults(&cfg, d, algs[i]);
	}
}

/* Proves masa_config_write_default never overwrites an existing file. */
static void
test_write_default_refuses_existing(void **state)
{
	const struct tu_dir *d = *state;
	char path[TU_PATH_MAX];
	struct masa_diag diag = { "" };
	char *text;

	tu_path(path, d, "masa.json");
	tu_write(path, "{\"listen\": \"127.0.0.1:1\"}", 0644);
	assert_int_equal(masa_config_write_default(path, MASA_ALG_ES256, &diag), MASA_E_EXISTS);
	text = tu_read(path, NULL);
	assert_string_equal(text, "{\"listen\": \"127.0.0.1:1\"}");
	free(text);
}

/* Proves unknown keys, at the top and inside a section, are refused by name. */
static void
test_unknown_keys_refused(void **state)
{
	const struct tu_dir *d = *state;

	expect_refused(d, "{\"bogus\": 1}", "bogus");
	expect_refused(d, "{\"tls\": {\"foo\": \"x\"}}", "tls.foo");
	expect_refused(d, "{\"limits\": {\"shutdown_grace_s\": 2, \"shutdown_grace\": 2}}", "limits.shutdown_grace");
}

/* Proves a dotted key at the top level is not an alias of the nested key:
 * otherwise "tls.cert" and {"tls": {"cert"}} both set one value, and the
 * duplicate-key check is bypassed. */
static void
test_dotted_top_level_key_refused(void **state)
{
	const struct tu_dir *d = *state;

	expect_refused(d, "{\"tls.cert\": \"x.crt\"}", "tls.cert");
}

/* Proves wrong JSON types are refused by name. */
static void
test_wrong_types_refused(void **state)
{
	const struct tu_dir *d = *state;

	expect_refused(d, "{\"limits\": {\"shutdown_grace_s\": \"2\"}}", "limits.shutdown_grace_s");
	expect_refused(d, "{\"limits\": {\"shutdown_grace_s\": 2.0}}", "limits.shutdown_grace_s");
	expect_refused(d, "{\"tls\": {\"cert\": 5}}", "tls.cert");
	expect_refused(d, "{\"limits\": [1]}", "limits");
	expect_refused(d, "{\"tls\": \"x\"}", "tls");
	expect_refused(d, "{\"listen\": null}", "listen");
	expect_refused(d, "{\"tls\": {\"cert\": \"\"}}", "tls.cert");
}

/* Proves integers outside their bounds are refused; the bounds themselves load. */
static void
test_integer_bounds(void **state)
{
	static const char *const bad[] = { "0", "1023", "1048577", "2000000", "-1",
	    "-9223372036854775807" };
	const struct tu_dir *d = *state;
	char json[128];
	struct masa_config cfg;
	struct masa_diag diag = { "" };
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(json, sizeof json, "{\"limits\": {\"body_max_bytes\": %s}}", bad[i]);
		expect_refused(d, json, "limits.body_max_bytes");
	}
	assert_int_equal(load_json(d, "{\"limits\": {\"body_max_bytes\": 1024}}", &cfg, &diag), MASA_OK);
	assert_int_equal(cfg.limits.body_max_bytes, 1024);
	assert_int_equal(load_json(d, "{\"limits\": {\"body_max_bytes\": 1048576}}", &cfg, &diag), MASA_OK);
	assert_int_equal(cfg.limits.body_max_bytes, 1048576);
}

/* Proves an unknown signing algorithm is refused by name. */
static void
test_bad_alg_refused(void **state)
{
	const struct tu_dir *d = *state;

	expect_refused(d, "{\"signing\": {\"alg\": \"rs256\"}}", "signing.alg");
	expect_refused(d, "{\"signing\": {\"alg\": \"ES256\"}}", "signing.alg");
}

/* Proves the product defaults: word lists as bit masks over the enums
 * they name (1 << enum masa_format, 1 << enum masa_alg), pinned_domain's
 * forms, and refusals of unknown or empty words. */
static void
test_product_defaults(void **state)
{
	const struct tu_dir *d = *state;
	struct masa_config c;
	struct masa_diag diag = { "" };

	assert_int_equal(load_json(d, "{}", &c, &diag), MASA_OK);
	assert_int_equal(c.policy.formats,
	    1u << MASA_FORMAT_COSE | 1u << MASA_FORMAT_CMS | 1u << MASA_FORMAT_JWS);
	assert_int_equal(c.policy.registrar_algs,
	    1u << MASA_ALG_ES256 | 1u << MASA_ALG_ES384 | 1u << MASA_ALG_EDDSA);
	assert_int_equal(c.policy.nonceless, 1);
	assert_int_equal(c.policy.pinned_domain, MASA_PIN_PUBK);
	assert_int_equal(load_json(d, "{\"policy\": {\"registrar_algs\": \"eddsa,es256\","
	    " \"pinned_domain\": \"ca-highest\", \"nonceless\": false}}", &c, &diag), MASA_OK);
	assert_int_equal(c.policy.registrar_algs, 1u << MASA_ALG_ES256 | 1u << MASA_ALG_EDDSA);
	assert_int_equal(c.policy.pinned_domain, MASA_PIN_CA_HIGHEST);
	assert_int_equal(c.policy.nonceless, 0);
	expect_refused(d, "{\"policy\": {\"registrar_algs\": \"es256,rsa\"}}", "policy.registrar_algs");
	expect_refused(d, "{\"policy\": {\"registrar_algs\": \"es256,\"}}", "policy.registrar_algs");
	expect_refused(d, "{\"policy\": {\"registrar_algs\": \"\"}}", "policy.registrar_algs");
	expect_refused(d, "{\"policy\": {\"formats\": \"xml\"}}", "policy.formats");
	expect_refused(d, "{\"policy\": {\"pinned_domain\": \"ca\"}}", "policy.pinned_domain");
}

static const char *const bad_listen[] = { "nocolon", "1.2.3.4:99999", "[::1]8443",
    "http://0.0.0.0:8080", "http://192.0.2.1:80", "unix:relative.sock" };
#define NBAD_LISTEN (sizeof bad_listen / sizeof bad_listen[0])

/* Checks bad_listen[i] as listen and as admin.listen; key NULL: any message. */
static void
refuse_listen(const struct tu_dir *d, size_t i, const char *listen_key, const char *admin_key)
{
	char json[128];

	snprintf(json, sizeof json, "{\"listen\": \"%s\"}", bad_listen[i]);
	expect_refused(d, json, listen_key);
	snprintf(json, sizeof json, "{\"admin\": {\"listen\": \"%s\"}}", bad_listen[i]);
	expect_refused(d, json, admin_key);
}

/* Proves malformed listen addresses are refused (out untouched, with a message). */
static void
test_bad_listen_refused(void **state)
{
	size_t i;

	for (i = 0; i < NBAD_LISTEN; i++)
		refuse_listen(*state, i, NULL, NULL);
}

/* Proves the message for a malformed listen address names the key, like every
 * other refusal: an operator must learn whether listen or admin.listen is wrong. */
static void
test_bad_listen_names_key(void **state)
{
	size_t i;

	for (i = 0; i < NBAD_LISTEN; i++)
		refuse_listen(*state, i, "listen", "admin.listen");
}

/* Proves the plain-HTTP listen forms load (loopback, Unix socket). */
static void
test_plain_listen_forms(void **state)
{
	const struct tu_dir *d = *state;
	struct masa_config cfg;
	struct masa_diag diag = { "" };

	assert_int_equal(load_json(d, "{\"listen\": \"unix:/run/masa/http.sock\","
	    " \"admin\": {\"listen\": \"http://[::1]:8444\"}}", &cfg, &diag), MASA_OK);
	assert_string_equal(cfg.listen, "unix:/run/masa/http.sock");
	assert_string_equal(cfg.admin_listen, "http://[::1]:8444");
}

/* Proves proxy.trusted: entries are parsed once at load, and anything but
 * an array of addresses, networks or "unix" is refused by name. */
static void
test_proxy_trusted(void **state)
{
	static const char *const bad[] = {
		"\"127.0.0.1\"", "[1]", "[\"127.0.0.1\", \"nope\"]", "[\"10.0.0.1/8\"]",
		"[\"127.0.0.1:80\"]", "[null]", "{}",
	};
	const struct tu_dir *d = *state;
	struct masa_config cfg;
	struct masa_diag diag = { "" };
	char json[2048];
	size_t i;

	assert_int_equal(load_json(d, "{\"proxy\": {\"trusted\": [\"127.0.0.1\", \"fd00::/8\", \"unix\"]}}",
	    &cfg, &diag), MASA_OK);
	assert_int_equal(cfg.proxy_trusted.n, 3);
	assert_true(masa_proxy_is_trusted(&cfg.proxy_trusted, "127.0.0.1"));
	assert_true(masa_proxy_is_trusted(&cfg.proxy_trusted, "fd12::1"));
	assert_true(masa_proxy_is_trusted(&cfg.proxy_trusted, "unix"));
	assert_false(masa_proxy_is_trusted(&cfg.proxy_trusted, "127.0.0.2"));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(json, sizeof json, "{\"proxy\": {\"trusted\": %s}}", bad[i]);
		expect_refused(d, json, "proxy.trusted");
	}
	/* At most MASA_PROXY_TRUSTED_MAX entries. */
	snprintf(json, sizeof json, "{\"proxy\": {\"trusted\": [\"::1\"");
	for (i = 1; i <= MASA_PROXY_TRUSTED_MAX; i++)
		strcat(json, ", \"::1\"");
	strcat(json, "]}}");
	expect_refused(d, json, "proxy.trusted");
}

/* Proves a key given twice is refused rather than silently last-wins. */
static void
test_duplicate_key_refused(void **state)
{
	struct masa_diag diag;

	refused_json(*state, "{\"listen\":\"a:1\",\"listen\":\"b:2\"}", NULL, &diag);
	if (strstr(diag.msg, "listen") == NULL)
		fail_msg("diag does not name the duplicate key: %s", diag.msg);
}

/* Proves files that are not a JSON object, or are missing, are refused. */
static void
test_not_an_object_or_missing(void **state)
{
	const struct tu_dir *d = *state;
	static const char *const bad[] = { "{\"listen\": ", "", "[]",
	    "[{\"listen\": \"127.0.0.1:1\"}]", "\"text\"" };
	char path[TU_PATH_MAX];
	struct masa_diag diag;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_refused(d, bad[i], NULL);
	tu_path(path, d, "missing.json");
	refused_path(path, NULL, &diag);
}

/* Proves log.level takes info, warn and error (in that order) and nothing else. */
static void
test_log_level(void **state)
{
	static const char *const names[] = { "info", "warn", "error" };
	const struct tu_dir *d = *state;
	struct masa_config c;
	struct masa_diag diag = { "" };
	char json[128];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(json, sizeof json, "{\"log\": {\"level\": \"%s\"}}", names[i]);
		assert_int_equal(load_json(d, json, &c, &diag), MASA_OK);
		assert_int_equal(c.log_level, i);
	}
	expect_refused(d, "{\"log\": {\"level\": \"debug\"}}", "log.level");
	expect_refused(d, "{\"log\": {\"level\": 1}}", "log.level");
	expect_refused(d, "{\"log\": {\"verbose\": true}}", "log.verbose");
}

/* Proves masa_config_changed_key names the first differing key of any
 * type, skips the listed keys, and finds nothing in equal configs. */
static void
test_changed_key(void **state)
{
	static const char *const skip[] = { "log.level", "tls.cert", NULL };
	static const struct {
		const char *json, *want, *want_skipping;
	} cases[] = {
		{ "{}", NULL, NULL },
		{ "{\"log\": {\"level\": \"warn\"}}", "log.level", NULL },
		{ "{\"tls\": {\"cert\": \"x.crt\"}}", "tls.cert", NULL },
		{ "{\"tls\": {\"key\": \"x.key\"}}", "tls.key", "tls.key" },
		{ "{\"listen\": \"127.0.0.1:1\"}", "listen", "listen" },
		{ "{\"admin\": {\"listen\": null}}", "admin.listen", "admin.listen" },
		{ "{\"limits\": {\"connection_timeout_s\": 3}}", "limits.connection_timeout_s", "limits.connection_timeout_s" },
		{ "{\"signing\": {\"alg\": \"es384\"}}", "signing.alg", "signing.alg" },
		{ "{\"policy\": {\"mode\": \"open\", \"pin_network\": true}}", "policy.mode", "policy.mode" },
		{ "{\"log\": {\"level\": \"error\"}, \"tls\": {\"cert\": \"y\"}, \"database\": {\"path\": \"z\"}}",
		  "tls.cert", "database.path" },
	};
	const struct tu_dir *d = *state;
	struct masa_config base, c;
	struct masa_diag diag = { "" };
	const char *got;
	size_t i;

	assert_int_equal(load_json(d, "{}", &base, &diag), MASA_OK);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(load_json(d, cases[i].json, &c, &diag), MASA_OK);
		got = masa_config_changed_key(&base, &c, NULL);
		if ((got == NULL) != (cases[i].want == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want) != 0))
			fail_msg("%s: got %s, want %s", cases[i].json, got ? got : "none",
			    cases[i].want ? cases[i].want : "none");
		got = masa_config_changed_key(&base, &c, skip);
		if ((got == NULL) != (cases[i].want_skipping == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want_skipping) != 0))
			fail_msg("%s skipping: got %s", cases[i].json, got ? got : "none");
	}
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DIR_TEST(test_empty_object_gives_defaults),
		DIR_TEST(test_every_key_is_read),
		DIR_TEST(test_paths_resolve_against_config_dir),
		DIR_TEST(test_signing_key_reference),
		DIR_TEST(test_database_url),
		DIR_TEST(test_admin_listen_null_turns_it_off),
		DIR_TEST(test_write_default_round_trips),
		DIR_TEST(test_write_default_refuses_existing),
		DIR_TEST(test_unknown_keys_refused),
		DIR_TEST(test_dotted_top_level_key_refused),
		DIR_TEST(test_wrong_types_refused),
		DIR_TEST(test_integer_bounds),
		DIR_TEST(test_bad_alg_refused),
		DIR_TEST(test_product_defaults),
		DIR_TEST(test_bad_listen_refused),
		DIR_TEST(test_bad_listen_names_key),
		DIR_TEST(test_plain_listen_forms),
		DIR_TEST(test_proxy_trusted),
		DIR_TEST(test_duplicate_key_refused),
		DIR_TEST(test_not_an_object_or_missing),
		DIR_TEST(test_log_level),
		DIR_TEST(test_changed_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
