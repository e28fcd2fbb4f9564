/* cmd_check.c: `masa check --config FILE`: everything `serve` needs, short
 * of binding sockets and applying migrations. One line per item on stdout;
 * the first problem is one sentence on stderr and a non-zero exit. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "crypto/signchain.h"
#include "netaddr.h"
#include "startup.h"

static const char help[] =
    "usage: masa check --config FILE\n\n"
    "Validates the configuration, the key files (type, mode, owner), the TLS\n"
    "files and the database settings (SQLite: WAL, synchronous=FULL; PostgreSQL:\n"
    "server version, TLS and sslmode, fsync, synchronous_commit) and schema version,\n"
    "and opens every signing key of the store (masa key list) with a test signature.\n";

/* One line for a signing key of the store: opened and proved at start-up
 * (a test signature verified), or retired. */
static void
print_key(const struct masa_key_entry *e)
{
	size_t n = 0;

	if (e->signer == NULL) {
		printf("ok: signing key %s: retired (its devices get 503)\n", e->name);
		return;
	}
	(void)masa_signer_chain(e->signer, &n);
	printf("ok: signing key %s: %s (%s), test signature verified, %zu in the chain\n", e->name,
	    masa_signer_where(e->signer), masa_alg_name(masa_signer_alg(e->signer)), n);
}

int
masa_cmd_check(int argc, char **argv)
{
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	const char *config = NULL;
	const struct masa_bytes *chain;
	size_t chain_n = 0, i;
	char subject[256];
	char settings[160], shown[MASA_PATH_MAX];
	enum masa_err rc;
	int c;

	c = masa_cli_config_only(argc, argv, "check", help, &config);
	if (c >= 0)
		return c;
	if (optind != argc)
		return masa_cli_usage_error("check", "nothing may follow the options");
	/* With the store, every signing key it lists is opened and proved. */
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
	chain = masa_signer_chain(st.signer, &chain_n);
	printf("ok: voucher-signing key %s (%s) and certificate %s (%zu in the chain)\n",
	    masa_signer_where(st.signer), masa_alg_name(st.cfg.alg), st.cfg.signing_cert, chain_n);
	/* The chain every voucher's x5bag carries; startup refused one that
	 * does not link. */
	for (i = 0; i < chain_n; i++) {
		masa_signchain_subject(chain[i], subject, sizeof subject);
		printf("ok: signing chain %zu: %s%s\n", i + 1, subject,
		    i + 1 < chain_n ? " (certified by the next)" : "");
	}
	for (i = 0; i < st.keys.n; i++)
		print_key(&st.keys.e[i]);
	printf("ok: TLS certificate %s and key %s\n", st.cfg.tls_cert, st.cfg.tls_key);
	printf("ok: database %s (%s, schema version %d of %d%s)\n",
	    masa_db_url_shown(st.cfg.db_url, shown, sizeof shown), settings, st.schema_have, st.schema_latest,
	    st.schema_have < st.schema_latest ? "; serve will apply the rest" : "");
	masa_startup_free(&st);
	return MASA_EXIT_OK;
}
