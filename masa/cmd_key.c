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
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	struct masa_buf pem;
	const char *config = NULL;
	enum masa_err rc;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_usage_error("key", "unknown option");
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "show") != 0)
		return masa_cli_usage_error("key", "the only key command is: masa key show --config FILE");
	if (config == NULL)
		return masa_cli_usage_error("key", "--config FILE is required");
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
