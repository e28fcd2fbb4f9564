/* cmd_registrar.c: `masa registrar block (--key KEY.pem | --sha256 HEX)
 * [--reason TEXT]`: put a registrar key on the deny-list. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "startup.h"
#include "store/rows.h"
#include "timeutil.h"

static const char help[] =
    "usage: masa registrar block --config FILE (--key KEY.pem | --sha256 HEX) [--reason TEXT]\n\n"
    "Blocks a registrar key: no voucher is issued to it afterwards. HEX is the\n"
    "SHA-256 of the key's DER SubjectPublicKeyInfo (64 hex digits).\n";

struct block_args {
	uint8_t sha[MASA_SHA256_LEN];
	const char *reason;
};

static enum masa_err
block_change(struct masa_txn *t, void *arg)
{
	struct block_args *a = arg;
	enum masa_err rc = masa_store_block(t, a->sha, a->reason, masa_now_ms());

	if (rc == MASA_E_EXISTS)
		return MASA_OK;	/* already blocked: nothing to change */
	if (rc == MASA_OK)
		rc = masa_cli_audit(t, "registrar.blocked", NULL, a->sha, a->reason);
	return rc;
}

/* 64 hex digits -> 32 bytes; -1 if not. */
static int
unhex(const char *s, uint8_t out[MASA_SHA256_LEN])
{
	unsigned v;
	int i;

	if (strlen(s) != 2 * MASA_SHA256_LEN)
		return -1;
	for (i = 0; i < MASA_SHA256_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
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
	struct block_args a = { { 0 }, "" };
	struct masa_startup st;
	struct masa_buf cert;
	const char *config = NULL, *key = NULL, *hex = NULL;
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len;
	char msg[256];
	enum masa_err rc;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': key = optarg; break;
		case 's': hex = optarg; break;
		case 'r': a.reason = optarg; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_usage_error("registrar", "unknown option");
		}
	}
	if (config == NULL || optind != argc - 1 || strcmp(argv[optind], "block") != 0 ||
	    (key == NULL) == (hex == NULL))
		return masa_cli_usage_error("registrar", "expected: block --config FILE (--key KEY.pem | --sha256 HEX)");
	if (hex != NULL && unhex(hex, a.sha) != 0)
		return masa_cli_usage_error("registrar", "--sha256 must be 64 hex digits");
	if (key != NULL) {
		rc = masa_pem_key_file(key, 0, spki, &spki_len, &cert, msg, sizeof msg);
		if (rc != MASA_OK) {
			masa_diag_set(&diag, "%s", msg);
			return masa_cli_fail(rc, &diag);
		}
		masa_buf_free(&cert);
		masa_sha256((struct masa_bytes){ spki, spki_len }, a.sha);
	}
	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	rc = masa_cli_write(&st, block_change, &a);
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	printf("blocked\n");
	return MASA_EXIT_OK;
}
