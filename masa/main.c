/* main.c: `masa COMMAND ...`: dispatch to the subcommands (cmd_*.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "init", masa_cmd_init, "create a new MASA instance directory (config, keys, database)" },
	{ "serve", masa_cmd_serve, "run the HTTPS service in the foreground" },
	{ "key", masa_cmd_key, "show the voucher-signing public key (masa key show)" },
	{ "check", masa_cmd_check, "validate configuration, key files and database" },
	{ "device", masa_cmd_device, "enroll, import, show, list, release and retire devices" },
	{ "owner", masa_cmd_owner, "sales-channel owners and their registrar keys" },
	{ "product", masa_cmd_product, "product lines: what their pledges can take" },
	{ "registrar", masa_cmd_registrar, "block registrar keys" },
	{ "audit", masa_cmd_audit, "verify or export the audit trail" },
	{ "db", masa_cmd_db, "online backup of the database (masa db backup)" },
	{ "token", masa_cmd_token, "create, list and revoke API tokens" },
	{ "client", masa_cmd_client, "act as pledge and registrar against any MASA" },
	{ "demo", masa_cmd_demo, "a guided tour against a running local masa serve" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: masa COMMAND [OPTIONS]\n\n"
	    "A Manufacturer Authorized Signing Authority for BRSKI (RFC 8995) and\n"
	    "constrained BRSKI.\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`masa COMMAND --help` describes each command.\n");
}

int
main(int argc, char **argv)
{
	struct rlimit no_core = { 0, 0 };
	size_t i;

	/* Secrets are created owner-only, and never end up in a core file. */
	umask(077);
	/* Option errors are reported by masa_cli_bad_option, in one line. */
	opterr = 0;
	setrlimit(RLIMIT_CORE, &no_core);
	if (argc < 2) {
		usage(stderr);
		return MASA_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return MASA_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("masa %s\n", MASA_VERSION);
		return MASA_EXIT_OK;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "masa: unknown command \"%s\" (see masa --help)\n", argv[1]);
	return MASA_EXIT_USAGE;
}
