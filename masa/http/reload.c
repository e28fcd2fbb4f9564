/* reload.c: see reload.h. */
#include "reload.h"

#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto/tlsfiles.h"
#include "log.h"
#include "tlscreds.h"

/* The keys a reload applies; the rest need a restart. */
static const char *const reloadable[] = { "log.level", "tls.cert", "tls.key", NULL };
static const char *const level_names[] = { "info", "warn", "error" };

enum masa_err
masa_reload_apply_initial(const struct masa_config *cfg, const char *cert_pem, size_t cert_len,
    const char *key_pem, size_t key_len, struct masa_diag *diag)
{
	enum masa_err rc = masa_tlscreds_set(cert_pem, cert_len, key_pem, key_len, diag);

	if (rc == MASA_OK)
		masa_log_set_level((enum masa_log_level)cfg->log_level);
	return rc;
}

enum masa_err
masa_reload(const char *config_path, const struct masa_config *running)
{
	struct masa_diag diag = { { 0 } };
	struct masa_config *cfg;
	struct masa_buf cert, key;
	const char *changed;
	enum masa_err rc;

	masa_buf_init(&cert, 0);
	masa_buf_init(&key, 0);
	cfg = malloc(sizeof *cfg);	/* a few KB: not on the signal thread's stack */
	if (cfg == NULL) {
		rc = MASA_E_NOMEM;
		masa_diag_set(&diag, "out of memory");
		goto done;
	}
	rc = masa_config_load(config_path, cfg, &diag);
	if (rc == MASA_OK)
		rc = masa_tls_files_load(cfg->tls_cert, cfg->tls_key, &cert, &key, &diag);
	if (rc == MASA_OK)
		rc = masa_tlscreds_set((const char *)cert.ptr, cert.len, (const char *)key.ptr, key.len,
		    &diag);
	if (rc != MASA_OK)
		goto done;
	changed = masa_config_changed_key(running, cfg, reloadable);
	if (changed != NULL)
		masa_log_event("warn", "reload: configuration key \"%s\" (and perhaps others) changed; "
		    "only log.level, tls.cert and tls.key take effect without a restart", changed);
	masa_log_event("info", "reload: TLS certificate and key read again from %s and %s; log level %s",
	    cfg->tls_cert, cfg->tls_key, level_names[cfg->log_level < 3 ? cfg->log_level : 0]);
	masa_log_set_level((enum masa_log_level)cfg->log_level);
done:
	if (rc != MASA_OK)
		masa_log_event("error", "reload failed, nothing changed: %s", diag.msg[0] ? diag.msg :
		    "unknown error");
	masa_buf_free(&cert);
	masa_buf_free(&key);
	free(cfg);
	return rc;
}
