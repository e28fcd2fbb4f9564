/* cli.c: what the commands share: failure and usage messages, --config-only
 * option parsing, opening the store from a config, one write transaction per
 * command. */
#include <getopt.h>
#include <stdio.h>
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
		default: return masa_cli_usage_error(cmd, "unknown option");
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
