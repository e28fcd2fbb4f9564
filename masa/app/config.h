/*
 * config.h: masa.json, read and validated once at start-up into a plain
 * struct. Every key has a default; unknown keys, wrong types and values
 * out of range are errors that name the key. Relative paths are resolved
 * against the directory holding the config file.
 */
#ifndef MASA_CONFIG_H
#define MASA_CONFIG_H

#include <stdint.h>

#include "attr.h"
#include "crypto/alg.h"
#include "diag.h"
#include "err.h"
#include "masa_limits.h"
#include "netaddr.h"
#include "trust.h"

struct masa_limits {
	uint64_t body_max_bytes;
	uint64_t connection_limit;
	uint64_t per_ip_connection_limit;
	uint64_t connection_timeout_s;
	uint64_t connection_memory_bytes;
	uint64_t shutdown_grace_s;
};

enum masa_policy_mode {
	MASA_MODE_FIRST_USE = 0,	/* the first registrar to get a voucher is pinned */
	MASA_MODE_OWNER = 1,		/* only the owner's registrar keys */
	MASA_MODE_OPEN = 2,		/* any verified registrar (audit only) */
};

enum masa_pin_form {
	MASA_PIN_PUBK = 0,		/* pinned-domain-pubk: registrar DER SPKI */
	MASA_PIN_CERT = 1,		/* pinned-domain-cert: registrar certificate */
};

struct masa_policy_config {
	uint64_t mode;			/* enum masa_policy_mode */
	uint64_t created_on_max_age_s;
	uint64_t created_on_max_future_s;
	uint64_t bucket_capacity;
	uint64_t bucket_period_s;
	uint64_t nonceless_lifetime_s;
	uint64_t retry_window_s;
	uint64_t require_pvr;		/* 0/1 */
	uint64_t pin_network;		/* 0/1: pin a registrar key to its first /24 or /64 */
	uint64_t pinned_domain;		/* enum masa_pin_form */
};

struct masa_config {
	char listen[MASA_HOST_MAX + 16];	/* see netaddr.h for the forms */
	char admin_listen[MASA_HOST_MAX + 16];	/* "" when the admin listener is off */
	uint64_t admin_body_max_bytes;		/* bulk imports are large */
	char tls_cert[MASA_PATH_MAX];
	char tls_key[MASA_PATH_MAX];
	char db_url[MASA_PATH_MAX];		/* the store (store.h): a path, "sqlite:PATH" or a
						 * postgresql:// URL; a file path resolved */
	uint64_t busy_timeout_ms;
	enum masa_alg alg;
	char signing_key[MASA_PATH_MAX];
	char signing_cert[MASA_PATH_MAX];
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
/* Writes a new config file holding every default, with signing.alg = alg. */
MASA_NODISCARD enum masa_err masa_config_write_default(const char *path, enum masa_alg alg,
    struct masa_diag *diag);

#endif
