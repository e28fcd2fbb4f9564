/* cmd_token.c: `masa token create --role R --name N` (prints the token
 * alone on one line; only its Argon2id hash is kept), `masa token list`,
 * `masa token revoke NAME`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "startup.h"
#include "tokens.h"
#include "timeutil.h"
#include "apitoken.h"

static const char help[] =
    "usage: masa token create --config FILE --role admin|factory|auditor --name NAME\n"
    "       masa token list --config FILE [--json]\n"
    "       masa token revoke --config FILE NAME\n\n"
    "create prints a new API token \"<id>.<secret>\" alone on one line (shown once).\n"
    "list prints name, role, id and creation time, tab-separated; with --json one\n"
    "JSON object a token: {\"name\", \"role\", \"id\", \"created\"}.\n"
    "Roles: admin (everything), factory (enroll, import and read devices), auditor\n"
    "(read devices and the audit trail).\n";

/* One token: a tab-separated line, or with --json (arg non-NULL) a JSON
 * line. Never its hash. */
static void
print_token(void *arg, const struct masa_token_row *r)
{
	char when[MASA_RFC3339_LEN];
	json_t *o;

	masa_rfc3339_ms(r->created_ms, when);
	if (arg == NULL) {
		printf("%s\t%s\t%s\t%s\n", r->name, r->role, r->id, when);
		return;
	}
	o = json_pack("{s:s, s:s, s:s, s:s}", "name", r->name, "role", r->role, "id", r->id,
	    "created", when);
	if (o != NULL) {
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(o);
}

int
masa_cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	struct masa_txn *t = NULL;
	const char *config = NULL, *role = NULL, *name = NULL, *sub;
	char token[MASA_TOKEN_MAX];
	enum masa_err rc;
	int c, nargs, json = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'r': role = optarg; break;
		case 'n': name = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("token", argv);
		}
	}
	if (config == NULL || optind >= argc)
		return masa_cli_usage_error("token", "expected: create | list | revoke NAME, with --config FILE");
	sub = argv[optind];
	nargs = argc - optind - 1;
	if (strcmp(sub, "create") == 0 && (nargs != 0 || role == NULL || name == NULL ||
	    (strcmp(role, "admin") != 0 && strcmp(role, "factory") != 0 && strcmp(role, "auditor") != 0)))
		return masa_cli_usage_error("token", "create needs --role admin|factory|auditor and --name NAME");
	if ((strcmp(sub, "list") == 0 && nargs != 0) || (strcmp(sub, "revoke") == 0 && nargs != 1) ||
	    (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0))
		return masa_cli_usage_error("token", "expected: create | list | revoke NAME");
	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	if (strcmp(sub, "create") == 0) {
		rc = masa_token_create(st.db, name, role, masa_now_ms(), token, &diag);
		if (rc == MASA_OK)
			printf("%s\n", token);
		memset(token, 0, sizeof token);
	} else if (strcmp(sub, "list") == 0) {
		rc = masa_db_begin(st.db, 0, &t);
		if (rc == MASA_OK)
			rc = masa_store_token_each(t, print_token, json ? &json : NULL);
		masa_db_rollback(t);
	} else {
		rc = masa_token_revoke(st.db, argv[optind + 1]);
		if (rc == MASA_E_NOT_FOUND)
			masa_diag_set(&diag, "there is no token named \"%s\"", argv[optind + 1]);
		if (rc == MASA_OK)
			printf("revoked %s\n", argv[optind + 1]);
	}
	masa_startup_free(&st);
	return rc == MASA_OK ? MASA_EXIT_OK : masa_cli_fail(rc, &diag);
}
