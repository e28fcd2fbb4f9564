/* cli.c: what the commands share: failure and usage messages, --config-only
 * option parsing, opening the store from a config, one write transaction per
 * command. */
#define _GNU_SOURCE	/* memmem */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "errors.h"
#include "startup.h"

int
masa_cli_fail(enum masa_err rc, const struct masa_diag *diag)
{
	fprintf(stderr, "masa: %s\n",
	    diag != NULL && diag->msg[0] != '\0' ? diag->msg : masa_err_message(rc));
	return MASA_EXIT_FAIL;
}

int
masa_cli_usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "masa %s: %s (see masa %s --help)\n", cmd, msg, cmd);
	return MASA_EXIT_USAGE;
}

int
masa_cli_bad_option(const char *cmd, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	const char *eq = strchr(arg, '=');
	char msg[200];

	/* getopt_long (opterr off, see main) leaves optopt 0 for an unknown
	 * long option and the option's value for a known one misused. */
	if (strncmp(arg, "--", 2) == 0 && optopt != 0 && eq != NULL)
		snprintf(msg, sizeof msg, "option %.*s takes no value", (int)(eq - arg), arg);
	else if (strncmp(arg, "--", 2) == 0 && optopt != 0)
		snprintf(msg, sizeof msg, "option %.100s needs a value", arg);
	else if (strncmp(arg, "--", 2) != 0 && optopt > ' ' && optopt < 127)
		snprintf(msg, sizeof msg, "unknown option -%c", optopt);
	else
		snprintf(msg, sizeof msg, "unknown option %.100s", arg);
	return masa_cli_usage_error(cmd, msg);
}

int
masa_cli_config_only(int argc, char **argv, const char *cmd, const char *help, const char **config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*config = NULL;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option(cmd, argv);
		}
	}
	if (*config == NULL)
		return masa_cli_usage_error(cmd, "--config FILE is required");
	return -1;
}

int
masa_cli_open_store(const char *config, struct masa_startup *st, struct masa_diag *diag)
{
	return masa_startup_load(config, MASA_NEED_MIGRATE, st, diag) == MASA_OK ? 0 : -1;
}

enum masa_err
masa_cli_write(struct masa_startup *st, enum masa_err (*change)(struct masa_txn *t, void *arg),
    void *arg)
{
	return masa_db_write(st->db, change, arg);
}

enum masa_pem_kind
masa_cli_pem_kind(const void *pem, size_t len)
{
	static const struct {
		const char *marker;
		enum masa_pem_kind kind;
	} kinds[] = {
		{ "PRIVATE KEY-----", MASA_PEM_PRIVATE },	/* also EC, ENCRYPTED */
		{ "-----BEGIN PUBLIC KEY-----", MASA_PEM_PUBLIC },
		{ "-----BEGIN CERTIFICATE-----", MASA_PEM_CERT },
	};
	size_t i;

	for (i = 0; pem != NULL && i < sizeof kinds / sizeof kinds[0]; i++)
		if (memmem(pem, len, kinds[i].marker, strlen(kinds[i].marker)) != NULL)
			return kinds[i].kind;
	return MASA_PEM_OTHER;
}

enum masa_pem_kind
masa_cli_pem_file_kind(const char *path)
{
	enum { CAP = 64 * 1024 };
	enum masa_pem_kind kind = MASA_PEM_OTHER;
	char *buf = malloc(CAP);
	FILE *f = fopen(path, "r");
	size_t n;

	if (buf != NULL && f != NULL) {
		n = fread(buf, 1, CAP, f);
		kind = masa_cli_pem_kind(buf, n);
		explicit_bzero(buf, n);	/* it may be a private key */
	}
	if (f != NULL)
		fclose(f);
	free(buf);
	return kind;
}
