/* cli.h: the subcommands and the helpers they share. Every command prints
 * its usage on --help, and reports a failure as one sentence on stderr
 * with a non-zero exit status. */
#ifndef MASA_CLI_H
#define MASA_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "err.h"

/* Exit statuses. */
#define MASA_EXIT_OK 0
#define MASA_EXIT_FAIL 1
#define MASA_EXIT_USAGE 2

/* Parses the options of a command that takes only --config FILE and
 * --help: returns -1 to go on (config set, optind at the first operand),
 * else the exit status (help printed, or a usage error). */
int masa_cli_config_only(int argc, char **argv, const char *cmd, const char *help,
    const char **config);
/* Prints "masa: <detail or table message>" to stderr; returns MASA_EXIT_FAIL. */
int masa_cli_fail(enum masa_err rc, const struct masa_diag *diag);
/* Prints "masa <cmd>: <msg>" and a pointer to --help; returns MASA_EXIT_USAGE. */
int masa_cli_usage_error(const char *cmd, const char *msg);

/* After getopt_long returned '?': names the unknown option, or the option
 * missing its value, in one usage error; returns MASA_EXIT_USAGE. */
int masa_cli_bad_option(const char *cmd, char **argv);

/* What a PEM text holds, judged by its first BEGIN line of each kind, so
 * that a key of the wrong kind is named before any parser sees it. */
enum masa_pem_kind { MASA_PEM_OTHER, MASA_PEM_PUBLIC, MASA_PEM_PRIVATE, MASA_PEM_CERT };
enum masa_pem_kind masa_cli_pem_kind(const void *pem, size_t len);
/* The same for the first 64 KiB of a file (MASA_PEM_OTHER if unreadable);
 * the text read is wiped. */
enum masa_pem_kind masa_cli_pem_file_kind(const char *path);

struct masa_startup;
struct masa_txn;

/* Opens the store named by the config at path, applying migrations. */
int masa_cli_open_store(const char *config, struct masa_startup *st, struct masa_diag *diag);
/* Runs change(t, arg) in one write transaction with the store of st;
 * commits only if it returns MASA_OK. */
enum masa_err masa_cli_write(struct masa_startup *st,
    enum masa_err (*change)(struct masa_txn *t, void *arg), void *arg);

int masa_cmd_audit(int argc, char **argv);
int masa_cmd_client(int argc, char **argv);
int masa_cmd_db(int argc, char **argv);
int masa_cmd_demo(int argc, char **argv);
/* device import / show / list (cmd_device_bulk.c). */
int masa_cli_device_import(const char *config, const char *path, int atomic);
int masa_cli_device_show(const char *config, const char *serial, int json);
int masa_cli_device_list(const char *config, int json);

int masa_cmd_init(int argc, char **argv);
int masa_cmd_device(int argc, char **argv);
int masa_cmd_owner(int argc, char **argv);
int masa_cmd_product(int argc, char **argv);
int masa_cmd_registrar(int argc, char **argv);
int masa_cmd_token(int argc, char **argv);
int masa_cmd_serve(int argc, char **argv);
int masa_cmd_key(int argc, char **argv);
int masa_cmd_check(int argc, char **argv);

#endif
