/* cmd_db.c: `masa db backup --config FILE [--force] OUT`: an online,
 * verified copy of the database (store/backup.c), taken while `masa serve`
 * may be running. It neither applies migrations nor changes the live
 * database, so it is also the step before an upgrade. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "startup.h"
#include "store.h"

static const char help[] =
    "usage: masa db backup --config FILE [--force] OUT\n\n"
    "Copies the configured database to OUT (mode 0600) with SQLite's online\n"
    "backup API, while the service goes on serving; checks the copy (integrity,\n"
    "schema version) before giving it its name. An existing OUT is refused unless\n"
    "--force is given. Keep signing.key and tls.key with it, apart: they are not in\n"
    "the database.\n";

int
masa_cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	const char *config = NULL, *out;
	enum masa_err rc;
	int c, force = 0, version = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': force = 1; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("db", argv);
		}
	}
	if (config == NULL || optind != argc - 2 || strcmp(argv[optind], "backup") != 0)
		return masa_cli_usage_error("db", "expected: backup --config FILE OUT");
	out = argv[optind + 1];
	if (out[0] == '\0')
		return masa_cli_usage_error("db", "OUT must be a file name");
	rc = masa_startup_load(config, MASA_NEED_DB, &st, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	rc = masa_db_backup(st.db, out, force, &version, &diag);
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	printf("backup written to %s (schema version %d, integrity ok)\n", out, version);
	return MASA_EXIT_OK;
}
