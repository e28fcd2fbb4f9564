/* cmd_init.c: `masa init --dir DIR [--alg ALG] [--hostname NAME]
 * [--database URL [--password-file FILE]]`. Creates DIR (which must not exist) holding masa.json,
 * the voucher-signing key and certificate, a self-signed TLS key and
 * certificate, and masa.db with the schema applied (or, with --database,
 * applies the schema to that database, which must be new to masa);
 * prints the first admin token alone on stdout. On any failure everything
 * it created in DIR is removed again. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "crypto/keygen.h"
#include "fsutil.h"
#include "store.h"
#include "timeutil.h"
#include "apitoken.h"

#define SIGNING_CERT_DAYS (30 * 365)
#define TLS_CERT_DAYS 825

/* Files init creates, by their default names (the config it writes uses
 * these defaults). Removed in reverse on failure. */
static const char *const created[] = {
	"signing.key", "signing.crt", "tls.key", "tls.crt", "masa.json",
	"masa.db", "masa.db-wal", "masa.db-shm",
};

static const char help[] =
    "usage: masa init --dir DIR [--alg es256|es384|eddsa] [--hostname NAME]\n"
    "                 [--database postgresql://... [--password-file FILE]]\n\n"
    "Creates DIR with masa.json (configuration), signing.key/.crt (the voucher-\n"
    "signing key, default es256), tls.key/.crt (a self-signed HTTPS certificate\n"
    "for NAME, default localhost) and masa.db (the database). Prints the first\n"
    "admin API token on stdout; it is shown only once. Refuses an existing DIR.\n"
    "--database: a PostgreSQL database (a libpq URI; PG* environment variables and\n"
    "sslmode apply) instead of masa.db, written to masa.json as database.url; it\n"
    "must hold no masa schema yet. --password-file: an owner-only file whose first\n"
    "line is the database password, written to masa.json as database.password_file\n"
    "(or use ~/.pgpass); never a password in the URL or on the command line.\n";

static void
remove_all(const char *dir)
{
	char p[MASA_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof created / sizeof created[0]; i++)
		if (masa_path_join(p, sizeof p, dir, created[i]) == MASA_OK)
			unlink(p);
	rmdir(dir);
}

/* A database that already holds a masa schema belongs to another
 * instance: init makes a new one, it never joins or changes that. */
static enum masa_err
fresh(struct masa_db *db, struct masa_diag *diag)
{
	int have = 0, latest = 0;
	enum masa_err rc = masa_db_version(db, &have, &latest);

	if (rc == MASA_OK && have != 0) {
		masa_diag_set(diag, "the database already holds a masa schema (version %d): "
		    "for another instance on it, copy masa.json and the keys instead", have);
		rc = MASA_E_EXISTS;
	}
	return rc;
}

/* Does the work once DIR exists; the caller cleans up on failure. */
static enum masa_err
populate(const char *dir, enum masa_alg alg, const char *host, const char *db_url,
    const char *password_file, struct masa_diag *diag)
{
	char conf_path[MASA_PATH_MAX], cn[300], token[MASA_TOKEN_MAX];
	struct masa_config cfg;
	struct masa_db *db = NULL;
	enum masa_err rc;

	if (masa_path_join(conf_path, sizeof conf_path, dir, "masa.json") != MASA_OK) {
		masa_diag_set(diag, "directory name is too long");
		return MASA_E_USAGE;
	}
	rc = masa_config_write_init(conf_path, alg, db_url, password_file, diag);
	if (rc == MASA_OK)
		rc = masa_config_load(conf_path, &cfg, diag);
	if (rc != MASA_OK)
		return rc;
	snprintf(cn, sizeof cn, "MASA voucher signing (%s)", host);
	rc = masa_keygen_selfsigned(alg, MASA_CERT_VOUCHER_SIGNING, cn, host, SIGNING_CERT_DAYS,
	    cfg.signing_key, cfg.signing_cert, diag);
	if (rc != MASA_OK)
		return rc;
	rc = masa_keygen_selfsigned(MASA_ALG_ES256, MASA_CERT_TLS_SERVER, host, host,
	    TLS_CERT_DAYS, cfg.tls_key, cfg.tls_cert, diag);
	if (rc != MASA_OK)
		return rc;
	rc = masa_db_open_with(cfg.db_url, cfg.db_password_file[0] ? cfg.db_password_file : NULL,
	    (int)cfg.busy_timeout_ms, 1, &db, diag);
	if (rc == MASA_OK)
		rc = fresh(db, diag);
	if (rc == MASA_OK)
		rc = masa_db_migrate(db, diag);
	if (rc == MASA_OK)
		rc = masa_token_create(db, "admin", "admin", masa_now_ms(), token, diag);
	masa_db_close(db);
	if (rc != MASA_OK)
		return rc;
	printf("%s\n", token);
	fflush(stdout);
	memset(token, 0, sizeof token);
	fprintf(stderr, "masa: initialised %s (voucher signing %s, TLS for %s); the admin token above is shown only once\n",
	    dir, masa_alg_name(alg), host);
	return MASA_OK;
}

int
masa_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "alg", required_argument, NULL, 'a' },
		{ "hostname", required_argument, NULL, 'n' },
		{ "database", required_argument, NULL, 'D' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	const char *dir = NULL, *host = "localhost", *db_url = NULL, *password_file = NULL;
	char cwd[MASA_PATH_MAX], pw_abs[MASA_PATH_MAX];
	enum masa_alg alg = MASA_ALG_ES256;
	enum masa_err rc;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': host = optarg; break;
		case 'D': db_url = optarg; break;
		case 'P': password_file = optarg; break;
		case 'a':
			if (masa_alg_from_name(optarg, &alg) != MASA_OK)
				return masa_cli_usage_error("init", "--alg must be es256, es384 or eddsa");
			break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("init", argv);
		}
	}
	if (dir == NULL || optind != argc)
		return masa_cli_usage_error("init", "--dir DIR is required and nothing else may follow");
	if (host[0] == '\0' || strlen(host) > 253 || strpbrk(host, ",/ \t") != NULL)
		return masa_cli_usage_error("init", "--hostname must be a host name or address");
	if (db_url != NULL && masa_db_url_path(db_url) != NULL)
		return masa_cli_usage_error("init", "--database must be a postgresql:// URL (the SQLite database is DIR/masa.db)");
	if (password_file != NULL && db_url == NULL)
		return masa_cli_usage_error("init", "--password-file goes with --database");
	/* masa.json resolves a relative path against its own directory. */
	if (password_file != NULL && password_file[0] != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL ||
		    masa_path_join(pw_abs, sizeof pw_abs, cwd, password_file) != MASA_OK)
			return masa_cli_usage_error("init", "--password-file: path too long");
		password_file = pw_abs;
	}
	if (mkdir(dir, 0700) != 0) {
		if (errno == EEXIST)
			masa_diag_set(&diag, "%s already exists; masa init only creates a new directory", dir);
		else
			masa_diag_set(&diag, "cannot create %s: %s", dir, strerror(errno));
		return masa_cli_fail(MASA_E_EXISTS, &diag);
	}
	rc = populate(dir, alg, host, db_url, password_file, &diag);
	if (rc != MASA_OK) {
		remove_all(dir);
		return masa_cli_fail(rc, &diag);
	}
	return MASA_EXIT_OK;
}
