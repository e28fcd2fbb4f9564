/* startup.c: see startup.h. */
#include "startup.h"

#include <string.h>

#include "cose/cose_key.h"
#include "crypto/tlsfiles.h"
#include "crypto/x509.h"
#include "fsutil.h"

/* The signing public key as a COSE_Key whose kid is the SHA-256 of its
 * SubjectPublicKeyInfo, for multipart answers. */
static enum masa_err
make_cose_key(struct masa_startup *s)
{
	uint8_t spki[MASA_SPKI_MAX], kid[MASA_SHA256_LEN];
	size_t len = 0;
	EVP_PKEY *pub = NULL;
	enum masa_err rc;

	rc = masa_signer_public_der(s->signer, spki, sizeof spki, &len);
	if (rc == MASA_OK)
		rc = masa_pubkey_parse((struct masa_bytes){ spki, len }, &pub);
	if (rc != MASA_OK)
		return rc;
	masa_sha256((struct masa_bytes){ spki, len }, kid);
	masa_buf_init(&s->cose_key, 1024);
	rc = masa_cose_key_encode(pub, (struct masa_bytes){ kid, sizeof kid }, &s->cose_key);
	EVP_PKEY_free(pub);
	return rc;
}

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
		masa_db_url_path(cfg->db_url),
		cfg->db_password_file[0] != '\0' ? cfg->db_password_file : NULL };
	enum masa_err rc = MASA_OK;
	size_t i;

	for (i = 0; rc == MASA_OK && i < sizeof paths / sizeof paths[0]; i++)
		if (paths[i] != NULL)
			rc = masa_path_check_guarded(paths[i], diag);
	return rc;
}

enum masa_err
masa_startup_load(const char *path, unsigned need, struct masa_startup *out,
    struct masa_diag *diag)
{
	struct masa_startup s;
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
		rc = masa_signer_open(s.cfg.signing_key, s.cfg.alg, &s.signer, diag);
		if (rc == MASA_OK)
			rc = masa_signer_load_cert(s.signer, s.cfg.signing_cert, &s.signing_cert, diag);
		if (rc == MASA_OK)
			rc = make_cose_key(&s);
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
	*out = s;
	return MASA_OK;
done:
	masa_startup_free(&s);
	return rc;
}

void
masa_startup_free(struct masa_startup *s)
{
	masa_signer_free(s->signer);
	s->signer = NULL;
	masa_db_close(s->db);
	s->db = NULL;
	masa_buf_free(&s->signing_cert);
	masa_buf_free(&s->cose_key);
	masa_buf_free(&s->tls_cert);
	masa_buf_free(&s->tls_key);
}
