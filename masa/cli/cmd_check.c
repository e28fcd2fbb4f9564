/* cmd_check.c: `masa check --config FILE`: everything `serve` needs, short
 * of binding sockets and applying migrations. One line per item on stdout;
 * the first problem is one sentence on stderr and a non-zero exit. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "netaddr.h"
#include "startup.h"

static const char help[] =
    "usage: masa check --config FILE\n\n"
    "Validates the configuration, the key files (type, mode, owner), the TLS\n"
    "files and the database settings (SQLite: WAL, synchronous=FULL; PostgreSQL:\n"
    "server version, TLS and sslmode, fsync, synchronous_commit) and schema version.\n";

int
masa_cmd_check(int argc, char **argv)
{
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	const char *config = NULL;
	size_t chain_n = 0;
	char settings[160], shown[MASA_PATH_MAX];
	enum masa_err rc;
	int c;

	c = masa_cli_config_only(argc, argv, "check", help, &config);
	if (c >= 0)
		return c;
	if (optind != argc)
		return masa_cli_usage_error("check", "nothing may follow the options");
	rc = masa_startup_load(config, MASA_NEED_SIGNER | MASA_NEED_TLS | MASA_NEED_DB, &st, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	rc = masa_db_check(st.db, settings, sizeof settings, &diag);	/* SQLite: WAL, FULL */
	if (rc != MASA_OK) {
		masa_startup_free(&st);
		return masa_cli_fail(rc, &diag);
	}
	printf("ok: configuration %s\n", config);
	/* The signer names its key: a URI's PIN never reaches the terminal. */
	(void)masa_signer_chain(st.signer, &chain_n);
	printf("ok: voucher-signing key %s (%s) and certificate %s (%zu in the chain)\n",
	    masa_signer_where(st.signer), masa_alg_name(st.cfg.alg), st.cfg.signing_cert, chain_n);
	printf("ok: TLS certificate %s and key %s\n", st.cfg.tls_cert, st.cfg.tls_key);
	printf("ok: database %s (%s, schema version %d of %d%s)\n",
	    masa_db_url_shown(st.cfg.db_url, shown, sizeof shown), settings, st.schema_have, st.schema_latest,
	    st.schema_have < st.schema_latest ? "; serve will apply the rest" : "");
	masa_startup_free(&st);
	return MASA_EXIT_OK;
}
