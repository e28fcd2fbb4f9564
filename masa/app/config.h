/*
 * config.h: masa.json, read and validated once at start-up into a plain
 * struct. Every key has a default; unknown keys, wrong types and values
 * out of range are errors that name the key. Relative paths are resolved
 * against the directory holding the config file. signing.key is a key
 * reference (crypto/signer.h): a path, resolved like the others, or a
 * "pkcs11:" URI, kept verbatim.
 */
#ifndef MASA_CONFIG_H
#define MASA_CONFIG_H

#include <stdint.h>

#include "attr.h"
#include "crypto/alg.h"
#include "crypto/signer.h"
#include "diag.h"
#include "err.h"
#include "masa_limits.h"
#include "netaddr.h"
#include "policy_config.h"
#include "trust.h"

struct masa_limits {
	uint64_t body_max_bytes;
	uint64_t connection_limit;
	uint64_t per_ip_connection_limit;
	uint64_t connection_timeout_s;
	uint64_t handshake_timeout_s;	/* until a connection's first request */
	uint64_t body_timeout_s;	/* a request's whole body, from its headers */
	uint64_t evict_idle_above_percent;	/* of connection_limit (http/evict.h) */
	uint64_t connection_memory_bytes;
	uint64_t shutdown_grace_s;
	/* refusals audited (core/refusal_limit.h) */
	uint64_t refusal_audit_burst;
	uint64_t refusal_audit_per_hour;
	uint64_t refusal_audit_per_s;
	uint64_t store_reserve_mb;	/* free space kept for issuance */
};

struct masa_config {
	char listen[MASA_HOST_MAX + 16];	/* see netaddr.h for the forms */
	char admin_listen[MASA_HOST_MAX + 16];	/* "" when the admin listener is off */
	uint64_t admin_body_max_bytes;		/* bulk imports are large */
	char tls_cert[MASA_PATH_MAX];
	char tls_key[MASA_PATH_MAX];
	char db_url[MASA_PATH_MAX];		/* the store (store.h): a path, "sqlite:PATH" or a
						 * postgresql:// URL; a file path resolved */
	char db_password_file[MASA_PATH_MAX];	/* "" for none: the password of a database
						 * server (store.h, masa_db_open_with) */
	uint64_t busy_timeout_ms;
	enum masa_alg alg;
	char signing_key[MASA_PATH_MAX];	/* a path, or a key URI (masa_signer_open) */
	char signing_cert[MASA_PATH_MAX];
	char pkcs11_module[MASA_PATH_MAX];	/* "" when none (signer.h: masa_key_opts) */
	char pin_file[MASA_PATH_MAX];		/* "" when none */
	struct masa_limits limits;
	struct masa_policy_config policy;
	uint64_t log_level;			/* enum masa_log_level; reloaded on SIGHUP */
	struct masa_proxy_trust proxy_trusted;	/* peers whose forwarded headers are honoured */
};

/* Loads and validates path into *out (written only on success). */
MASA_NODISCARD enum masa_err masa_config_load(const char *path, struct masa_config *out,
    struct masa_diag *diag);
/* The first key whose value differs between a and b, leaving out the keys
 * listed in skip (NULL-terminated, may be NULL); NULL when none differs. */
const char *masa_config_changed_key(const struct masa_config *a, const struct masa_config *b,
    const char *const *skip);
/* What opening a key needs besides its reference (signer.h), from cfg:
 * views of cfg's strings, NULL where unset. */
struct masa_key_opts masa_config_key_opts(const struct masa_config *cfg);
/* Writes a new config file holding every default, with signing.alg = alg. */
MASA_NODISCARD enum masa_err masa_config_write_default(const char *path, enum masa_alg alg,
    struct masa_diag *diag);
/* masa_config_write_default, with database.url = db_url instead of the
 * default database.path when db_url is not NULL, and database.password_file
 * = password_file when that is not NULL. */
MASA_NODISCARD enum masa_err masa_config_write_init(const char *path, enum masa_alg alg,
    const char *db_url, const char *password_file, struct masa_diag *diag);

#endif
