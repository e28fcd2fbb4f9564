/* cmd_owner.c: `masa owner add NAME --registrar-key KEY.pem` (an owner and
 * one of its registrar keys; run again to add more keys) and `masa owner
 * assign NAME SERIAL...` (bind devices to the owner, all or none). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "operations.h"
#include "startup.h"
#include "rows.h"
#include "timeutil.h"

static const char help[] =
    "usage: masa owner add --config FILE NAME --registrar-key KEY.pem\n"
    "       masa owner assign --config FILE NAME SERIAL...\n\n"
    "add creates the owner NAME if needed and records KEY.pem (a PEM public key\n"
    "or certificate) as one of its registrar keys. assign binds devices to the\n"
    "owner; in policy mode \"owner\" only its registrar keys get vouchers.\n";

struct owner_args {
	const char *name;
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len;
	char **serials;
	int nserials;
	struct masa_diag *diag;
};

static enum masa_err
add_change(struct masa_txn *t, void *arg)
{
	struct owner_args *a = arg;
	int created;

	return masa_op_owner_key(t, a->name, a->spki, a->spki_len, "cli", &created);
}

static enum masa_err
assign_change(struct masa_txn *t, void *arg)
{
	struct owner_args *a = arg;
	enum masa_err rc = MASA_OK;
	int i;

	for (i = 0; rc == MASA_OK && i < a->nserials; i++) {
		rc = masa_op_assign(t, a->serials[i], a->name, "cli");
		if (rc == MASA_E_NOT_FOUND)
			masa_diag_set(a->diag, "no device with serial %s is enrolled; nothing assigned",
			    a->serials[i]);
		else if (rc == MASA_E_RECORD)
			masa_diag_set(a->diag, "there is no owner named \"%s\"", a->name);
	}
	return rc;
}

int
masa_cmd_owner(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "registrar-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct owner_args a;
	struct masa_startup st;
	struct masa_buf unused;
	const char *config = NULL, *key = NULL, *sub;
	enum masa_err rc;
	int c, add;

	memset(&a, 0, sizeof a);
	a.diag = &diag;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': key = optarg; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("owner", argv);
		}
	}
	if (config == NULL || argc - optind < 2)
		return masa_cli_usage_error("owner", "expected: add NAME --registrar-key KEY.pem | assign NAME SERIAL...");
	sub = argv[optind];
	a.name = argv[optind + 1];
	add = strcmp(sub, "add") == 0;
	if (add ? (key == NULL || argc - optind != 2) : (strcmp(sub, "assign") != 0 || argc - optind < 3))
		return masa_cli_usage_error("owner", "expected: add NAME --registrar-key KEY.pem | assign NAME SERIAL...");
	if (strlen(a.name) == 0 || strlen(a.name) > MASA_STORE_TEXT_MAX)
		return masa_cli_usage_error("owner", "NAME must be 1 to 128 bytes");
	if (add) {
		/* A certificate file works too: its key is what counts. */
		rc = masa_pem_key_file(key, 0, a.spki, &a.spki_len, &unused, NULL);
		if (rc != MASA_OK)	/* the certificate's reason is the one to tell */
			rc = masa_pem_key_file(key, 1, a.spki, &a.spki_len, &unused, &diag);
		if (rc != MASA_OK)
			return masa_cli_fail(rc, &diag);
		masa_buf_free(&unused);
	}
	a.serials = argv + optind + 2;
	a.nserials = argc - optind - 2;
	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	rc = masa_cli_write(&st, add ? add_change : assign_change, &a);
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	printf("%s %s\n", add ? "owner key added for" : "assigned to", a.name);
	return MASA_EXIT_OK;
}
