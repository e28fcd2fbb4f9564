/* cli.h: the subcommands and the helpers they share. Every command prints
 * its usage on --help, and reports a failure as one sentence on stderr
 * with a non-zero exit status. */
#ifndef MASA_CLI_H
#define MASA_CLI_H

#include "diag.h"
#include "err.h"

/* Exit statuses. */
#define MASA_EXIT_OK 0
#define MASA_EXIT_FAIL 1
#define MASA_EXIT_USAGE 2

/* Prints "masa: <detail or table message>" to stderr; returns MASA_EXIT_FAIL. */
int masa_cli_fail(enum masa_err rc, const struct masa_diag *diag);
/* Prints "masa <cmd>: <msg>" and a pointer to --help; returns MASA_EXIT_USAGE. */
int masa_cli_usage_error(const char *cmd, const char *msg);

int masa_cmd_init(int argc, char **argv);
int masa_cmd_serve(int argc, char **argv);
int masa_cmd_key(int argc, char **argv);
int masa_cmd_check(int argc, char **argv);

#endif
