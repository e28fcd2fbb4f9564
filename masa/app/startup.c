/* startup.c: see startup.h. */
#include "startup.h"

#include <string.h>

#include "crypto/signchain.h"
#include "crypto/tlsfiles.h"
#include "crypto/x509.h"
#include "fsutil.h"

/* Opens the database and checks (or brings up to date) its schema. */
static enum masa_err
open_db(struct masa_startup *s, int migrate, struct masa_diag *diag)
{
	char shown[MASA_PATH_MAX];
	enum masa_err rc;

	rc = masa_db_open_with(s->cfg.db_url,
	    s->cfg.db_password_file[0] != '\0' ? s->cfg.db_password_file : NULL,
	    (int)s->cfg.busy_timeout_ms, 0, &s->db, diag);
	if (rc != MASA_OK)
		return rc;
	if (migrate) {
		rc = masa_db_migrate(s->db, diag);
		if (rc != MASA_OK)
			return rc;
	}
	rc = masa_db_version(s->db, &s->schema_have, &s->schema_latest);
	if (rc != MASA_OK) {
		masa_diag_set(diag, "cannot read the schema version of %s",
		    masa_db_url_shown(s->cfg.db_url, shown, sizeof shown));
		return rc;
	}
	if (s->schema_have > s->schema_latest) {
		masa_diag_set(diag, "the database schema (version %d) is newer than this masa (version %d)",
		    s->schema_have, s->schema_latest);
		return MASA_E_SCHEMA;
	}
	return MASA_OK;
}

/* The configuration and what it names that decides trust (keys,
 * certificates, the database file) must be beyond the reach of other
 * users (security review F11). A key reference that is a URI and a store
 * URL that names no file are not files. */
static enum masa_err
guard_paths(const char *config, const struct masa_config *cfg, struct masa_diag *diag)
{
	const char *paths[] = { config, cfg->tls_cert, cfg->tls_key, cfg->signing_cert,
		masa_signer_ref_is_uri(cfg->signing_key) ? NULL : cfg->signing_key,
		cfg->pin_file[0] ? cfg->pin_file : NULL,
		masa_db_url_path(cfg->db_url),
		cfg->db_password_file[0] != '\0' ? cfg->db_password_file : NULL };
	enum masa_err rc = MASA_OK;
	size_t i;

	for (i = 0; rc == MASA_OK && i < sizeof paths / sizeof paths[0]; i++)
		if (paths[i] != NULL)
			rc = masa_path_check_guarded(paths[i], diag);
	return rc;
}

/* Every voucher carries the whole signing.cert chain in its x5bag
 * (cBRSKI §9.2.3), so it must link: each certificate issued and signed by
 * the next. */
static enum masa_err
signing_chain_links(const struct masa_startup *s, struct masa_diag *diag)
{
	size_t n;
	const struct masa_bytes *chain = masa_signer_chain(s->signer, &n);

	return masa_signchain_check(chain, n, s->cfg.signing_cert, diag);
}

enum masa_err
masa_startup_load(const char *path, unsigned need, struct masa_startup *out,
    struct masa_diag *diag)
{
	struct masa_startup s;
	struct masa_key_opts opts;
	enum masa_err rc;

	memset(&s, 0, sizeof s);
	masa_buf_init(&s.tls_cert, 0);
	masa_buf_init(&s.signing_cert, 0);
	masa_buf_init(&s.cose_key, 0);
	masa_buf_init(&s.tls_key, 0);
	rc = masa_config_load(path, &s.cfg, diag);
	if (rc == MASA_OK)
		rc = guard_paths(path, &s.cfg, diag);
	if (rc != MASA_OK)
		goto done;
	if (need & MASA_NEED_SIGNER) {
		opts = masa_config_key_opts(&s.cfg);
		rc = masa_signer_open_opts(s.cfg.signing_key, s.cfg.alg, &opts, &s.signer, diag);
		if (rc == MASA_OK)
			rc = masa_signer_load_cert(s.signer, s.cfg.signing_cert, &s.signing_cert, diag);
		if (rc == MASA_OK)
			rc = signing_chain_links(&s, diag);
		if (rc == MASA_OK)
			rc = masa_key_cose(s.signer, &s.cose_key);
		if (rc != MASA_OK)
			goto done;
	}
	if (need & MASA_NEED_TLS) {
		rc = masa_tls_files_load(s.cfg.tls_cert, s.cfg.tls_key, &s.tls_cert, &s.tls_key, diag);
		if (rc != MASA_OK)
			goto done;
	}
	if (need & (MASA_NEED_DB | MASA_NEED_MIGRATE)) {
		rc = open_db(&s, (need & MASA_NEED_MIGRATE) != 0, diag);
		if (rc != MASA_OK)
			goto done;
	}
	/* A store not yet migrated (check without serve) has no key table. */
	if ((need & MASA_NEED_SIGNER) && (need & (MASA_NEED_DB | MASA_NEED_MIGRATE)) &&
	    s.schema_have == s.schema_latest) {
		rc = masa_keyring_load(&s.keys, s.db, &s.cfg, s.signer, masa_buf_view(&s.signing_cert),
		    masa_buf_view(&s.cose_key), diag);
		if (rc != MASA_OK)
			goto done;
	}
	*out = s;
	return MASA_OK;
done:
	masa_startup_free(&s);
	return rc;
}

void
masa_startup_free(struct masa_startup *s)
{
	masa_keyring_free(&s->keys);
	masa_signer_free(s->signer);
	s->signer = NULL;
	masa_db_close(s->db);
	s->db = NULL;
	masa_buf_free(&s->signing_cert);
	masa_buf_free(&s->cose_key);
	masa_buf_free(&s->tls_cert);
	masa_buf_free(&s->tls_key);
}
