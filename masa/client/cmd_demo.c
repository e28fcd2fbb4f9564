/* cmd_demo.c: `masa demo --config FILE`: a guided tour against the running
 * `masa serve` of that config: makes a demo pledge and registrars, enrolls
 * the pledge, gets a voucher (decoded and verified), shows the registrar
 * pin and the token bucket, a refusal, and the audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "crypto/keygen.h"
#include "crypto/rand.h"
#include "device_json.h"
#include "encode.h"
#include "enroll.h"
#include "fsutil.h"
#include "http_client.h"
#include "startup.h"
#include "timeutil.h"

static const char help[] =
    "usage: masa demo --config FILE\n\n"
    "Runs against the masa serve of FILE (start it first): creates a demo pledge\n"
    "and two registrars in a new directory under $TMPDIR (default /tmp), enrolls\n"
    "the pledge, asks for a voucher, asks again (multipart), then in CMS and in\n"
    "JWS, lets another registrar try, and fetches the audit log, explaining each\n"
    "step.\n";

struct demo {
	char dir[96];	/* $TMPDIR/masa-demo-XXXXXX; names in it are short */
	char pledge[128], reg[128], reg_crt[128], other[128], other_crt[128], masa[128];
	char serial[32], url[300];
	struct masa_startup st;
};

/* dir/name into out. */
static void
path(const struct demo *d, const char *name, char out[128])
{
	snprintf(out, 128, "%s/%s", d->dir, name);
}

/* A new directory for the demo's keys under $TMPDIR (an absolute path),
 * else /tmp; -1 with diag if it cannot be made. */
static int
demo_dir(struct demo *d, struct masa_diag *diag)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	n = snprintf(d->dir, sizeof d->dir, "%s/masa-demo-XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof d->dir) {
		masa_diag_set(diag, "TMPDIR is too long for the demo's directory (at most %d bytes)",
		    (int)(sizeof d->dir - sizeof "/masa-demo-XXXXXX"));
		return -1;
	}
	if (mkdtemp(d->dir) == NULL) {
		masa_diag_set(diag, "cannot make a directory in %s for the demo's keys", tmp);
		return -1;
	}
	return 0;
}

/* Keys for the pledge, two registrars, and the MASA's public key. */
static enum masa_err
make_keys(struct demo *d, struct masa_diag *diag)
{
	char scratch[128];
	struct masa_buf pem;
	enum masa_err rc;

	path(d, "pledge.key", d->pledge);
	path(d, "registrar.key", d->reg);
	path(d, "registrar.crt", d->reg_crt);
	path(d, "other-registrar.key", d->other);
	path(d, "other-registrar.crt", d->other_crt);
	path(d, "masa.pub", d->masa);
	path(d, "pledge.crt", scratch);
	rc = masa_keygen_selfsigned(MASA_ALG_ES256, MASA_CERT_VOUCHER_SIGNING, "demo pledge", NULL, 30,
	    d->pledge, scratch, diag);
	if (rc == MASA_OK)
		rc = masa_keygen_selfsigned(MASA_ALG_ES256, MASA_CERT_REGISTRAR, "demo registrar", NULL,
		    30, d->reg, d->reg_crt, diag);
	if (rc == MASA_OK)
		rc = masa_keygen_selfsigned(MASA_ALG_ES256, MASA_CERT_REGISTRAR, "another registrar",
		    NULL, 30, d->other, d->other_crt, diag);
	if (rc == MASA_OK)
		rc = masa_signer_public_pem(d->st.signer, &pem);
	if (rc == MASA_OK) {
		rc = masa_file_write_new(d->masa, pem.ptr, pem.len, 0644, diag);
		masa_buf_free(&pem);
	}
	return rc;
}

/* Enrolls the demo pledge by its public key, as `masa device add` does. */
static enum masa_err
enroll(struct demo *d, struct masa_diag *diag)
{
	struct masa_signer *s = NULL;
	struct masa_enroll_one a;
	struct masa_buf pem;
	uint8_t rnd[4];
	char hex[9];
	enum masa_err rc;

	memset(&a, 0, sizeof a);
	snprintf(a.actor, sizeof a.actor, "demo");
	rc = masa_rand_bytes(rnd, sizeof rnd);
	if (rc == MASA_OK)
		rc = masa_signer_load_any(d->pledge, &s, diag);
	if (rc == MASA_OK)
		rc = masa_signer_public_pem(s, &pem);
	masa_signer_free(s);
	if (rc != MASA_OK)
		return rc;
	masa_hex(rnd, sizeof rnd, hex);
	snprintf(d->serial, sizeof d->serial, "DEMO-%s", hex);
	a.rec.serial.ptr = (const uint8_t *)d->serial;
	a.rec.serial.len = strlen(d->serial);
	a.rec.public_key = masa_buf_view(&pem);
	rc = masa_db_write(d->st.db, masa_enroll_change, &a);
	if (rc != MASA_OK)
		masa_diag_set(diag, "cannot enroll the demo pledge: %s", a.why.msg);
	masa_buf_free(&pem);
	return rc;
}

/* Prints the device as the operator sees it. */
static void
show_device(struct demo *d)
{
	struct masa_txn *t = NULL;
	json_t *o = NULL;

	if (masa_db_begin(d->st.db, 0, &t) == MASA_OK &&
	    masa_device_json(t, &d->st.cfg, d->serial, masa_now_ms(), &o) == MASA_OK) {
		printf("   tokens left: %lld of %llu, vouchers issued: %lld, pinned registrar: %s\n",
		    (long long)json_integer_value(json_object_get(o, "tokens-left")),
		    (unsigned long long)d->st.cfg.policy.bucket_capacity,
		    (long long)json_integer_value(json_object_get(o, "vouchers-issued")),
		    json_is_string(json_object_get(o, "pinned-registrar")) ?
		    json_string_value(json_object_get(o, "pinned-registrar")) : "none");
	}
	json_decref(o);
	masa_db_rollback(t);
}

/* The demo's steps; returns the exit status. */
static int
tour(struct demo *d)
{
	struct masa_client_opts o;
	int ok = 1;

	memset(&o, 0, sizeof o);
	o.url = d->url;
	o.ca = d->st.cfg.tls_cert;
	o.pledge_key = d->pledge;
	o.serial = d->serial;
	o.registrar_key = d->reg;
	o.registrar_cert = d->reg_crt;
	o.masa_key = d->masa;

	printf("\n3. The registrar asks %s for a voucher (masa client voucher):\n", d->url);
	ok &= masa_client_voucher(&o, stdout) == 0;
	show_device(d);
	printf("\n4. It asks again, this time for a multipart answer that carries the MASA key:\n");
	o.masa_key = NULL;
	o.accept = "multipart/related";
	ok &= masa_client_voucher(&o, stdout) == 0;
	show_device(d);
	printf("\n5. The same in the two JSON formats: CMS SignedData, as RFC 8995 registrars\n"
	    "   send it, and a JWS (draft-ietf-anima-jws-voucher); one token each:\n");
	o.accept = NULL;
	o.masa_key = d->masa;
	o.format = MASA_FORMAT_CMS;
	ok &= masa_client_voucher(&o, stdout) == 0;
	o.format = MASA_FORMAT_JWS;
	ok &= masa_client_voucher(&o, stdout) == 0;
	o.format = MASA_FORMAT_COSE;
	show_device(d);
	printf("\n6. Another registrar asks for the same pledge; the first one is pinned\n"
	    "   (policy first-use) until an operator runs masa device release:\n");
	o.registrar_key = d->other;
	o.registrar_cert = d->other_crt;
	o.accept = NULL;
	o.masa_key = d->masa;
	ok &= masa_client_voucher(&o, stdout) != 0;
	printf("\n7. The first registrar reads the audit log (who else claimed this pledge):\n");
	o.registrar_key = d->reg;
	o.registrar_cert = d->reg_crt;
	ok &= masa_client_auditlog(&o, stdout) == 0;
	return ok ? MASA_EXIT_OK : MASA_EXIT_FAIL;
}

int
masa_cmd_demo(int argc, char **argv)
{
	struct masa_diag diag = { { 0 } };
	struct demo d;
	const char *config = NULL;
	enum masa_err rc;
	int c;

	c = masa_cli_config_only(argc, argv, "demo", help, &config);
	if (c >= 0)
		return c;
	memset(&d, 0, sizeof d);
	rc = masa_startup_load(config, MASA_NEED_SIGNER | MASA_NEED_MIGRATE, &d.st, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	snprintf(d.url, sizeof d.url, "https://%s", d.st.cfg.listen);
	/* Nothing is made or enrolled unless the server answers. */
	rc = masa_http_healthz(d.url, d.st.cfg.tls_cert, &diag);
	if (rc == MASA_OK && demo_dir(&d, &diag) != 0)
		rc = MASA_E_IO;
	if (rc != MASA_OK) {
		masa_startup_free(&d.st);
		return masa_cli_fail(rc, &diag);
	}
	printf("1. Demo keys in %s: a pledge key (its IDevID key), a registrar key with\n"
	    "   a certificate (id-kp-cmcRA), another registrar, and the MASA's public key.\n", d.dir);
	rc = make_keys(&d, &diag);
	if (rc == MASA_OK) {
		rc = enroll(&d, &diag);
		if (rc == MASA_OK)
			printf("\n2. Enrolled the pledge as %s (what factory tooling does with\n"
			    "   masa device add, masa device import, or POST /admin/v1/devices).\n", d.serial);
	}
	c = rc == MASA_OK ? tour(&d) : masa_cli_fail(rc, &diag);
	if (rc == MASA_OK)
		printf("\nWhat next: masa device show --config %s %s; masa audit export --config %s;\n"
		    "masa --help. Try it yourself with:\n"
		    "masa client voucher --url %s --ca %s --serial %s --pledge-key %s "
		    "--registrar-key %s --registrar-cert %s --masa-key %s\n",
		    config, d.serial, config, d.url, d.st.cfg.tls_cert, d.serial, d.pledge, d.reg,
		    d.reg_crt, d.masa);
	masa_startup_free(&d.st);
	return c;
}
