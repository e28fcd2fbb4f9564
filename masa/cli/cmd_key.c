/* cmd_key.c: `masa key add | list | show | retire`: the voucher-signing
 * keys by name (store keys.h, core signkeys.h). "default" is masa.json's
 * signing.key; `masa key show --config F` without a name prints its PEM
 * public key alone, as it always has, for factory tooling to burn into
 * pledges. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "crypto/keygen.h"
#include "keys.h"
#include "signkeys.h"
#include "startup.h"
#include "timeutil.h"

static const char help[] =
    "usage: masa key add --config FILE NAME (--generate es256|es384|eddsa |\n"
    "                    --file KEY.pem --cert CERT.pem | --uri pkcs11:... --cert CERT.pem)\n"
    "       masa key list --config FILE [--json]\n"
    "       masa key show --config FILE [NAME] [--json]\n"
    "       masa key retire --config FILE NAME [--force]\n\n"
    "Voucher-signing keys by name. \"default\" is masa.json's signing.key. add opens\n"
    "and proves the key (a test signature) and checks that the certificate's first\n"
    "certificate is the key's; --generate writes keys/NAME.key and keys/NAME.crt\n"
    "beside the configuration. A pkcs11: URI takes its PIN from pin-source= or\n"
    "signing.pin_file, never from the command line. show prints the algorithm,\n"
    "where the key lives, its status, the devices that trust it, the products that\n"
    "name it, the PEM public key and the certificate chain; without NAME and\n"
    "--json, the default key's PEM public key alone. retire stops new vouchers with\n"
    "a key; devices that trust it then get 503, so it is refused while any do,\n"
    "unless --force. It is refused even with --force while a product names the key\n"
    "(masa product set P --signing-key OTHER first): the product's new devices\n"
    "could not be enrolled.\n";

struct key_args {
	const char *config, *generate, *file, *uri, *cert;
	int json, force;
};

/* Opens the key of row r (the default: masa.json's) with its chain. */
static enum masa_err
open_row(const struct masa_config *cfg, const struct masa_key_row *r, struct masa_signer **out,
    struct masa_diag *diag)
{
	struct masa_key_opts opts = masa_config_key_opts(cfg);
	int def = strcmp(r->name, MASA_KEY_DEFAULT) == 0;
	struct masa_buf first;
	enum masa_err rc;

	rc = masa_signer_open_opts(def ? cfg->signing_key : r->ref,
	    def ? cfg->alg : (enum masa_alg)r->alg, &opts, out, diag);
	if (rc != MASA_OK)
		return rc;
	rc = masa_signer_load_cert(*out, def ? cfg->signing_cert : r->cert, &first, diag);
	if (rc == MASA_OK)
		masa_buf_free(&first);
	else {
		masa_signer_free(*out);
		*out = NULL;
	}
	return rc;
}

/* An absolute form of path into out (cap bytes). */
static enum masa_err
absolute(const char *path, char *out, size_t cap, struct masa_diag *diag)
{
	char *real = realpath(path, NULL);

	if (real == NULL || strlen(real) >= cap) {
		masa_diag_set(diag, "%s: %s", path, real ? "path too long" : strerror(errno));
		free(real);
		return MASA_E_NOT_FOUND;
	}
	memcpy(out, real, strlen(real) + 1);
	free(real);
	return MASA_OK;
}

/* --generate: a new key and self-signed certificate in keys/ beside the
 * configuration; their paths into r. */
static enum masa_err
generate(const struct key_args *a, struct masa_key_row *r, struct masa_diag *diag)
{
	char conf[MASA_KEY_REF_MAX], dir[MASA_KEY_REF_MAX], cn[MASA_KEY_NAME_MAX + 32];
	enum masa_alg alg;
	enum masa_err rc;

	if (masa_alg_from_name(a->generate, &alg) != MASA_OK) {
		masa_diag_set(diag, "--generate takes es256, es384 or eddsa");
		return MASA_E_USAGE;
	}
	rc = absolute(a->config, conf, sizeof conf, diag);
	if (rc != MASA_OK)
		return rc;
	if ((size_t)snprintf(dir, sizeof dir, "%s/keys", dirname(conf)) >= sizeof dir ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		masa_diag_set(diag, "cannot create %s", dir);
		return MASA_E_IO;
	}
	if ((size_t)snprintf(r->ref, sizeof r->ref, "%s/%s.key", dir, r->name) >= sizeof r->ref ||
	    (size_t)snprintf(r->cert, sizeof r->cert, "%s/%s.crt", dir, r->name) >= sizeof r->cert) {
		masa_diag_set(diag, "the key's path is too long");
		return MASA_E_IO;
	}
	r->alg = (int)alg;
	snprintf(cn, sizeof cn, "MASA voucher signing (%s)", r->name);
	return masa_keygen_selfsigned(alg, MASA_CERT_VOUCHER_SIGNING, cn, "localhost", 3650, r->ref,
	    r->cert, diag);
}

/* Opens ref (a file or a URI) for the first algorithm its key fits. */
static enum masa_err
open_any(const struct masa_config *cfg, struct masa_key_row *r, struct masa_signer **s,
    struct masa_diag *diag)
{
	static const enum masa_alg algs[] = { MASA_ALG_ES256, MASA_ALG_ES384, MASA_ALG_EDDSA };
	struct masa_diag first = { { 0 } };
	enum masa_err rc = MASA_E_KEY;
	size_t i;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		r->alg = (int)algs[i];
		rc = open_row(cfg, r, s, i == 0 ? &first : diag);
		if (rc != MASA_E_KEY || strstr(i == 0 ? first.msg : diag->msg,
		    "is not a key for algorithm") == NULL)
			break;
	}
	if (rc != MASA_OK && i == 0)
		*diag = first;
	return rc;
}

/* 1 (diag says so) if a key is called name already, or the store fails. */
static int
name_taken(struct masa_startup *st, const char *name, struct masa_diag *diag)
{
	struct masa_key_row r;
	struct masa_txn *t = NULL;
	enum masa_err rc = masa_db_begin(st->db, 0, &t);

	if (rc == MASA_OK)
		rc = masa_store_key_get(t, name, &r);
	masa_db_rollback(t);
	if (rc == MASA_OK)
		masa_diag_set(diag, "there is already a signing key named \"%s\"", name);
	else if (rc != MASA_E_NOT_FOUND)
		masa_diag_set(diag, "cannot read the signing keys");
	return rc != MASA_E_NOT_FOUND;
}

static int
key_add(struct masa_startup *st, const struct key_args *a, const char *name,
    struct masa_diag *diag)
{
	struct masa_key_row r;
	struct masa_signer *s = NULL;
	enum masa_err rc;
	int ways = (a->generate != NULL) + (a->file != NULL) + (a->uri != NULL);

	if (ways != 1 || (a->generate == NULL && a->cert == NULL))
		return masa_cli_usage_error("key", "add takes one of --generate ALG, --file KEY.pem "
		    "--cert CERT.pem, --uri pkcs11:... --cert CERT.pem");
	if (!masa_signkey_name_ok(name) || strcmp(name, MASA_KEY_DEFAULT) == 0)
		return masa_cli_usage_error("key", "a key name is 1 to 64 of A-Z a-z 0-9 . _ - "
		    "(and not \"default\")");
	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "%s", name);
	r.created_ms = masa_now_ms();
	if (name_taken(st, name, diag))
		return masa_cli_fail(MASA_E_EXISTS, diag);
	if (a->generate != NULL) {
		rc = generate(a, &r, diag);
	} else {
		rc = MASA_OK;
		if (a->file != NULL)
			rc = absolute(a->file, r.ref, sizeof r.ref, diag);
		else if ((size_t)snprintf(r.ref, sizeof r.ref, "%s", a->uri) >= sizeof r.ref)
			rc = MASA_E_USAGE;
		if (rc == MASA_OK)
			rc = absolute(a->cert, r.cert, sizeof r.cert, diag);
	}
	if (rc == MASA_OK)
		rc = open_any(&st->cfg, &r, &s, diag);
	masa_signer_free(s);
	if (rc == MASA_OK)
		rc = masa_signkey_add(st->db, &r, diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, diag);
	printf("added signing key %s (%s) at %s\n", r.name, masa_alg_name((enum masa_alg)r.alg),
	    r.ref);
	return MASA_EXIT_OK;
}

/* The text of "where" for row r: the default's from masa.json. */
static const char *
where_of(const struct masa_config *cfg, const struct masa_key_row *r)
{
	return strcmp(r->name, MASA_KEY_DEFAULT) == 0 ? cfg->signing_key : r->ref;
}

static enum masa_alg
alg_of(const struct masa_config *cfg, const struct masa_key_row *r)
{
	return strcmp(r->name, MASA_KEY_DEFAULT) == 0 ? cfg->alg : (enum masa_alg)r->alg;
}

/* A key as a JSON object (without the public key and chain). */
static json_t *
key_json(const struct masa_config *cfg, const struct masa_key_row *r)
{
	char when[MASA_RFC3339_LEN];

	if (r->retired_ms != 0)
		masa_rfc3339_ms(r->retired_ms, when);
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "name", r->name,
	    "algorithm", masa_alg_name(alg_of(cfg, r)), "where", where_of(cfg, r),
	    "retired", r->retired_ms != 0 ? json_string(when) : json_null(),
	    "devices", (json_int_t)r->devices, "products", (json_int_t)r->products);
}

struct list_ctx {
	const struct masa_config *cfg;
	json_t *arr;	/* --json */
};

static void
list_row(void *arg, const struct masa_key_row *r)
{
	struct list_ctx *c = arg;
	char when[MASA_RFC3339_LEN];

	if (c->arr != NULL) {
		json_array_append_new(c->arr, key_json(c->cfg, r));
		return;
	}
	if (r->retired_ms != 0)
		masa_rfc3339_ms(r->retired_ms, when);
	printf("%s\t%s\t%s\t%lld devices\t%s\n", r->name, masa_alg_name(alg_of(c->cfg, r)),
	    r->retired_ms != 0 ? "retired" : "in service", (long long)r->devices,
	    where_of(c->cfg, r));
}

/* Prints one JSON value and frees it. */
static enum masa_err
print_json(json_t *v)
{
	char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(v);
	if (text == NULL)
		return MASA_E_NOMEM;
	printf("%s\n", text);
	free(text);
	return MASA_OK;
}

static int
key_list(struct masa_startup *st, const struct key_args *a, struct masa_diag *diag)
{
	struct list_ctx c = { &st->cfg, a->json ? json_array() : NULL };
	struct masa_txn *t = NULL;
	enum masa_err rc = masa_db_begin(st->db, 0, &t);

	if (rc == MASA_OK)
		rc = masa_store_key_each(t, list_row, &c);
	masa_db_rollback(t);
	if (rc == MASA_OK && a->json)
		rc = print_json(c.arr);
	else
		json_decref(c.arr);
	return rc == MASA_OK ? MASA_EXIT_OK : masa_cli_fail(rc, diag);
}

static int
key_show(struct masa_startup *st, const struct key_args *a, const char *name,
    struct masa_diag *diag)
{
	struct masa_key_row r;
	struct masa_signer *s = NULL;
	struct masa_txn *t = NULL;
	struct masa_buf pub, chain;
	enum masa_err rc;
	json_t *o;

	masa_buf_init(&pub, 0);
	masa_buf_init(&chain, 0);
	rc = masa_db_begin(st->db, 0, &t);
	if (rc == MASA_OK)
		rc = masa_store_key_get(t, name, &r);
	masa_db_rollback(t);
	if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(diag, "there is no signing key named \"%s\"", name);
	if (rc == MASA_OK)
		rc = open_row(&st->cfg, &r, &s, diag);
	if (rc == MASA_OK)
		rc = masa_signer_public_pem(s, &pub);
	if (rc == MASA_OK)
		rc = masa_signer_chain_pem(s, &chain);
	if (rc == MASA_OK && a->json) {
		o = key_json(&st->cfg, &r);
		json_object_set_new(o, "where", json_string(masa_signer_where(s)));
		json_object_set_new(o, "public_key", json_stringn((const char *)pub.ptr, pub.len));
		json_object_set_new(o, "chain", json_stringn((const char *)chain.ptr, chain.len));
		rc = print_json(o);
	} else if (rc == MASA_OK) {
		printf("name: %s\nalgorithm: %s\nwhere: %s\nstatus: %s\ndevices: %lld\n"
		    "products: %lld\n", r.name, masa_alg_name(masa_signer_alg(s)),
		    masa_signer_where(s), r.retired_ms != 0 ? "retired" : "in service",
		    (long long)r.devices, (long long)r.products);
		fwrite(pub.ptr, 1, pub.len, stdout);
		fwrite(chain.ptr, 1, chain.len, stdout);
	}
	masa_signer_free(s);
	masa_buf_free(&pub);
	masa_buf_free(&chain);
	return rc == MASA_OK ? MASA_EXIT_OK : masa_cli_fail(rc, diag);
}

/* `masa key show --config F`: the default key's PEM public key alone. */
static int
show_default_pem(const char *config)
{
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	struct masa_buf pem;
	enum masa_err rc;

	rc = masa_startup_load(config, MASA_NEED_SIGNER, &st, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	rc = masa_signer_public_pem(st.signer, &pem);
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, NULL);
	fwrite(pem.ptr, 1, pem.len, stdout);
	masa_buf_free(&pem);
	return MASA_EXIT_OK;
}

int
masa_cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "generate", required_argument, NULL, 'g' },
		{ "file", required_argument, NULL, 'f' },
		{ "uri", required_argument, NULL, 'u' },
		{ "cert", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct key_args a = { 0 };
	struct masa_startup st;
	const char *sub;
	int c, nargs, ex;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a.config = optarg; break;
		case 'g': a.generate = optarg; break;
		case 'f': a.file = optarg; break;
		case 'u': a.uri = optarg; break;
		case 'C': a.cert = optarg; break;
		case 'j': a.json = 1; break;
		case 'F': a.force = 1; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("key", argv);
		}
	}
	if (a.config == NULL || optind >= argc)
		return masa_cli_usage_error("key", "expected: add NAME | list | show [NAME] | "
		    "retire NAME, with --config FILE");
	sub = argv[optind];
	nargs = argc - optind - 1;
	if (strcmp(sub, "show") == 0 && nargs == 0 && !a.json)
		return show_default_pem(a.config);
	if (!((strcmp(sub, "add") == 0 && nargs == 1) || (strcmp(sub, "list") == 0 && nargs == 0) ||
	    (strcmp(sub, "show") == 0 && nargs <= 1) || (strcmp(sub, "retire") == 0 && nargs == 1)))
		return masa_cli_usage_error("key", "expected: add NAME | list | show [NAME] | "
		    "retire NAME");
	if (masa_cli_open_store(a.config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	if (strcmp(sub, "add") == 0)
		ex = key_add(&st, &a, argv[optind + 1], &diag);
	else if (strcmp(sub, "list") == 0)
		ex = key_list(&st, &a, &diag);
	else if (strcmp(sub, "show") == 0)
		ex = key_show(&st, &a, nargs ? argv[optind + 1] : MASA_KEY_DEFAULT, &diag);
	else if (masa_signkey_retire(st.db, argv[optind + 1], a.force, masa_now_ms(), &diag) == MASA_OK) {
		printf("retired signing key %s\n", argv[optind + 1]);
		ex = MASA_EXIT_OK;
	} else {
		ex = masa_cli_fail(MASA_E_CONFLICT, &diag);
	}
	masa_startup_free(&st);
	return ex;
}
