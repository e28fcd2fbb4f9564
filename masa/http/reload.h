/*
 * reload.h: what SIGHUP changes in a running `masa serve`. The config file
 * is read again; log.level takes effect, and the TLS certificate and key
 * (from tls.cert and tls.key as now configured) are read, checked like at
 * start-up and used for new handshakes, while open connections go on. A
 * config or TLS file that fails leaves everything as it was. A change to
 * any other key is logged as waiting for a restart.
 */
#ifndef MASA_RELOAD_H
#define MASA_RELOAD_H

#include "config.h"
#include "diag.h"
#include "err.h"

/* Loads the installed TLS set and log level from cfg (at start-up). */
MASA_NODISCARD enum masa_err masa_reload_apply_initial(const struct masa_config *cfg,
    const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
    struct masa_diag *diag);

/* Re-reads config_path; running is the configuration the process started
 * with. Logs the outcome; MASA_OK when the new settings took effect. */
enum masa_err masa_reload(const char *config_path, const struct masa_config *running);

#endif
