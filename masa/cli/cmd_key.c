/* cmd_key.c: `masa key show --config FILE`: the voucher-signing public key
 * as PEM SubjectPublicKeyInfo, for factory tooling to burn into pledges. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "startup.h"

static const char help[] =
    "usage: masa key show --config FILE\n\n"
    "Prints the voucher-signing public key (PEM SubjectPublicKeyInfo).\n";

int
masa_cmd_key(int argc, char **argv)
{
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	struct masa_buf pem;
	const char *config = NULL;
	enum masa_err rc;
	int c;

	c = masa_cli_config_only(argc, argv, "key", help, &config);
	if (c >= 0)
		return c;
	if (optind != argc - 1 || strcmp(argv[optind], "show") != 0)
		return masa_cli_usage_error("key", "the only key command is: masa key show --config FILE");
	rc = masa_startup_load(config, MASA_NEED_SIGNER, &st, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	rc = masa_signer_public_pem(st.signer, &pem);
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, NULL);
	fwrite(pem.ptr, 1, pem.len, stdout);
	masa_buf_free(&pem);
	return fflush(stdout) == 0 ? MASA_EXIT_OK : MASA_EXIT_FAIL;
}
