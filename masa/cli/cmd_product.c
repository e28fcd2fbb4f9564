/* cmd_product.c: `masa product add|set|show|list`: product lines and what
 * their pledges can take (core/product.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "formats.h"
#include "product_json.h"
#include "startup.h"

static const char help[] =
    "usage: masa product add --config FILE NAME [--formats LIST] [--registrar-algs LIST]\n"
    "                        [--pin pubk|ca-lowest|ca-highest|ee-cert] [--nonceless yes|no]\n"
    "                        [--signing-key KEY]\n"
    "       masa product set --config FILE NAME [the same options]\n"
    "       masa product show --config FILE NAME [--json]\n"
    "       masa product list --config FILE [--json]\n\n"
    "What the pledges of a product line can take: the voucher formats (%s),\n"
    "the registrar key types they can pin (es256,es384,eddsa), what their vouchers\n"
    "pin (pubk: the registrar's public key; ca-lowest/ca-highest: a CA certificate\n"
    "of the registrar's verified chain; ee-cert: the registrar's certificate) and\n"
    "whether they take nonceless vouchers. A request a pledge cannot use is\n"
    "answered 406. add takes the policy.* defaults of the configuration for what\n"
    "is not given; set changes only what is given. Devices enrolled with\n"
    "--product NAME take the product's record; others the configuration's.\n\n"
    "--signing-key names the voucher-signing key (masa key list; \"default\" unless\n"
    "given, a key in service) that the product's devices record when they are\n"
    "enrolled without one of their own: changing it changes only the devices\n"
    "enrolled after, each older one keeps the key it recorded.\n";

struct product_args {
	struct masa_product_row p;
	struct masa_policy_product defaults;
	unsigned given;
	int add;
	struct masa_diag *diag;
};

static enum masa_err
put_change(struct masa_txn *t, void *arg)
{
	struct product_args *a = arg;
	enum masa_err rc = masa_op_product(t, &a->p, a->given, a->add, &a->defaults, "cli", &a->p,
	    a->diag);

	if (rc == MASA_E_CONFLICT)
		masa_diag_set(a->diag, "a product named \"%s\" exists (masa product set changes it)",
		    a->p.name);
	else if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(a->diag, "there is no product named \"%s\"", a->p.name);
	return rc;
}

/* Prints p as text or as one JSON line. */
static int
print(void *arg, const struct masa_product_row *p)
{
	const int *json = arg;
	char line[512];
	json_t *o;

	if (!*json) {
		masa_product_line(p, line, sizeof line);
		puts(line);
		return 0;
	}
	o = masa_product_json(p);
	if (o == NULL)
		return 1;
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
	return 0;
}

/* show NAME (name != NULL) or list. */
static enum masa_err
show(struct masa_startup *st, const char *name, int json, struct masa_diag *diag)
{
	struct masa_product_row p;
	struct masa_txn *t = NULL;
	enum masa_err rc = masa_db_begin(st->db, 0, &t);

	if (rc == MASA_OK && name != NULL) {
		rc = masa_store_product_get(t, name, &p);
		if (rc == MASA_OK && print(&json, &p) != 0)
			rc = MASA_E_NOMEM;
		if (rc == MASA_E_NOT_FOUND)
			masa_diag_set(diag, "there is no product named \"%s\"", name);
	} else if (rc == MASA_OK) {
		rc = masa_store_product_each(t, print, &json);
	}
	masa_db_rollback(t);
	return rc == MASA_OK && fflush(stdout) != 0 ? MASA_E_IO : rc;
}

int
masa_cmd_product(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "formats", required_argument, NULL, 'f' },
		{ "registrar-algs", required_argument, NULL, 'a' },
		{ "pin", required_argument, NULL, 'p' },
		{ "nonceless", required_argument, NULL, 'n' },
		{ "signing-key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char expected[] = "expected: add|set|show NAME, or list";
	struct masa_diag diag = { { 0 } };
	struct product_args a;
	struct masa_startup st;
	const char *config = NULL, *formats = NULL, *algs = NULL, *pin = NULL, *key = NULL;
	const char *sub, *name;
	char known[64];
	int c, nonceless = -1, json = 0, change;
	enum masa_err rc;

	memset(&a, 0, sizeof a);
	a.diag = &diag;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': formats = optarg; break;
		case 'a': algs = optarg; break;
		case 'p': pin = optarg; break;
		case 'k': key = optarg; break;
		case 'n':
			if (strcmp(optarg, "yes") != 0 && strcmp(optarg, "no") != 0)
				return masa_cli_usage_error("product", "--nonceless takes yes or no");
			nonceless = strcmp(optarg, "yes") == 0;
			break;
		case 'j': json = 1; break;
		case 'h':
			masa_formats_known(known, sizeof known);
			printf(help, known);
			return MASA_EXIT_OK;
		default: return masa_cli_bad_option("product", argv);
		}
	}
	if (config == NULL)
		return masa_cli_usage_error("product", "--config FILE is required");
	if (argc - optind < 1)
		return masa_cli_usage_error("product", expected);
	sub = argv[optind];
	name = argc - optind > 1 ? argv[optind + 1] : NULL;
	change = strcmp(sub, "add") == 0 || strcmp(sub, "set") == 0;
	if (strcmp(sub, "list") == 0 ? argc - optind != 1 :
	    (!change && strcmp(sub, "show") != 0) || argc - optind != 2)
		return masa_cli_usage_error("product", expected);
	if (name != NULL && !masa_product_name_ok(name, strlen(name)))
		return masa_cli_usage_error("product", "NAME must be 1 to 128 bytes of UTF-8 without '/'");
	if (!change && (formats || algs || pin || key || nonceless >= 0))
		return masa_cli_usage_error("product", "show and list take no product fields");
	if (change && json)
		return masa_cli_usage_error("product", "--json is for show and list");
	if (change) {
		snprintf(a.p.name, sizeof a.p.name, "%s", name);
		a.add = strcmp(sub, "add") == 0;
		rc = masa_product_fields(formats, algs, pin, nonceless, key, &a.p, &a.given, &diag);
		if (rc != MASA_OK)
			return masa_cli_fail(rc, &diag);
		if (!a.add && a.given == 0)
			return masa_cli_usage_error("product",
			    "set needs one of --formats, --registrar-algs, --pin, --nonceless, "
			    "--signing-key");
	}
	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	masa_policy_default_product(&st.cfg.policy, &a.defaults);
	rc = change ? masa_cli_write(&st, put_change, &a) : show(&st, name, json, &diag);
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	if (change)
		(void)print(&json, &a.p);
	return MASA_EXIT_OK;
}
