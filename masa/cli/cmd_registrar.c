/* cmd_registrar.c: `masa registrar block|unblock (--key KEY.pem | --sha256
 * HEX) [--reason TEXT]`: the registrar deny-list. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "encode.h"
#include "operations.h"
#include "startup.h"
#include "rows.h"
#include "timeutil.h"

static const char help[] =
    "usage: masa registrar block --config FILE (--key KEY.pem | --sha256 HEX) [--reason TEXT]\n"
    "       masa registrar unblock --config FILE (--key KEY.pem | --sha256 HEX)\n\n"
    "block: no voucher or audit log is given to the key afterwards; unblock\n"
    "lifts that. HEX is the SHA-256 of the key's DER SubjectPublicKeyInfo.\n";

struct block_args {
	uint8_t sha[MASA_SHA256_LEN];
	const char *reason;
	int unblock;
};

static enum masa_err
block_change(struct masa_txn *t, void *arg)
{
	struct block_args *a = arg;
	int created;

	return a->unblock ? masa_op_unblock(t, a->sha, "cli") :
	    masa_op_block(t, a->sha, a->reason, "cli", &created);
}

int
masa_cmd_registrar(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "sha256", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct block_args a = { { 0 }, "", 0 };
	struct masa_startup st;
	struct masa_buf cert;
	const char *config = NULL, *key = NULL, *hex = NULL;
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len;
	enum masa_err rc;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': key = optarg; break;
		case 's': hex = optarg; break;
		case 'r': a.reason = optarg; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("registrar", argv);
		}
	}
	if (config == NULL || optind != argc - 1 || (key == NULL) == (hex == NULL) ||
	    (strcmp(argv[optind], "block") != 0 && strcmp(argv[optind], "unblock") != 0))
		return masa_cli_usage_error("registrar", "expected: block|unblock --config FILE (--key KEY.pem | --sha256 HEX)");
	a.unblock = strcmp(argv[optind], "unblock") == 0;
	if (hex != NULL && masa_unhex(hex, a.sha, sizeof a.sha) != 0)
		return masa_cli_usage_error("registrar", "--sha256 must be 64 hex digits");
	if (key != NULL) {
		rc = masa_pem_key_file(key, 0, spki, &spki_len, &cert, &diag);
		if (rc != MASA_OK)
			return masa_cli_fail(rc, &diag);
		masa_buf_free(&cert);
		masa_sha256((struct masa_bytes){ spki, spki_len }, a.sha);
	}
	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	rc = masa_cli_write(&st, block_change, &a);
	masa_startup_free(&st);
	if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(&diag, "that registrar key is not blocked");
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	printf("%s\n", a.unblock ? "unblocked" : "blocked");
	return MASA_EXIT_OK;
}
