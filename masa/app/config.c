/* config.c: see config.h. The table below is the single source of keys,
 * types, defaults and bounds; the README documents the same keys. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/signer.h"
#include "fsutil.h"
#include "store.h"
#include "utf8.h"

enum ftype {
	F_PATH,		/* string; relative to the config file's directory */
	F_KEYREF,	/* string: a key URI kept verbatim, or else an F_PATH (signer.h) */
	F_PATH_OPT,	/* string: an F_PATH, or "" (the default) or null for none */
	F_ADDR,		/* string HOST:PORT */
	F_ADDR_OPT,	/* string HOST:PORT, or null to turn the listener off */
	F_UINT,		/* integer in [min, max] */
	F_ALG,		/* "es256" | "es384" | "eddsa" */
	F_BOOL,		/* true/false, stored as 0/1 */
	F_ENUM,		/* one of the '|'-separated words in def's field "choices" */
	F_WORDS,	/* a comma-separated list of words of "choices": the bit mask of
			 * 1 << (1 + each one's index), as the enums they name count
			 * (policy.formats: enum masa_format's order; policy.registrar_algs:
			 * enum masa_alg's) */
	F_NETS,		/* array of addresses, CIDR networks or "unix"; default empty */
	F_DB_URL,	/* string: a store URL (store.h); a file path in it is resolved
			 * like F_PATH. Another name for the F_PATH before it in the
			 * table, sharing its field: neither default nor written */
};

struct field {
	const char *key;	/* dotted: section.name */
	enum ftype type;
	size_t off;		/* into struct masa_config */
	const char *def;	/* default of a string field */
	uint64_t num, min, max;	/* default and bounds of an integer field */
	const char *choices;	/* F_ENUM: "a|b|c"; the value stored is the index */
};

#define OFF(m) offsetof(struct masa_config, m)
static const struct field fields[] = {
	{ "listen", F_ADDR, OFF(listen), "127.0.0.1:8443", 0, 0, 0, NULL },
	{ "admin.listen", F_ADDR_OPT, OFF(admin_listen), "127.0.0.1:8444", 0, 0, 0, NULL },
	{ "admin.body_max_bytes", F_UINT, OFF(admin_body_max_bytes), NULL, 67108864, 1024, 268435456, NULL },
	{ "tls.cert", F_PATH, OFF(tls_cert), "tls.crt", 0, 0, 0, NULL },
	{ "tls.key", F_PATH, OFF(tls_key), "tls.key", 0, 0, 0, NULL },
	{ "database.path", F_PATH, OFF(db_url), "masa.db", 0, 0, 0, NULL },	/* the older name */
	{ "database.url", F_DB_URL, OFF(db_url), NULL, 0, 0, 0, NULL },
	{ "database.password_file", F_PATH_OPT, OFF(db_password_file), "", 0, 0, 0, NULL },
	{ "database.busy_timeout_ms", F_UINT, OFF(busy_timeout_ms), NULL, 5000, 1, 600000, NULL },
	{ "signing.alg", F_ALG, OFF(alg), "es256", 0, 0, 0, NULL },
	{ "signing.key", F_KEYREF, OFF(signing_key), "signing.key", 0, 0, 0, NULL },
	{ "signing.cert", F_PATH, OFF(signing_cert), "signing.crt", 0, 0, 0, NULL },
	{ "signing.pkcs11_module", F_PATH_OPT, OFF(pkcs11_module), "", 0, 0, 0, NULL },
	{ "signing.pin_file", F_PATH_OPT, OFF(pin_file), "", 0, 0, 0, NULL },
	{ "limits.body_max_bytes", F_UINT, OFF(limits.body_max_bytes), NULL, 65536, 1024, 1048576, NULL },
	{ "limits.connection_limit", F_UINT, OFF(limits.connection_limit), NULL, 256, 1, 65536, NULL },
	{ "limits.per_ip_connection_limit", F_UINT, OFF(limits.per_ip_connection_limit), NULL, 32, 1, 65536, NULL },
	{ "limits.connection_timeout_s", F_UINT, OFF(limits.connection_timeout_s), NULL, 15, 1, 3600, NULL },
	{ "limits.handshake_timeout_s", F_UINT, OFF(limits.handshake_timeout_s), NULL, 5, 1, 3600, NULL },
	{ "limits.body_timeout_s", F_UINT, OFF(limits.body_timeout_s), NULL, 60, 1, 3600, NULL },
	{ "limits.evict_idle_above_percent", F_UINT, OFF(limits.evict_idle_above_percent), NULL, 75, 1, 100, NULL },
	{ "limits.connection_memory_bytes", F_UINT, OFF(limits.connection_memory_bytes), NULL, 32768, 8192, 1048576, NULL },
	{ "limits.shutdown_grace_s", F_UINT, OFF(limits.shutdown_grace_s), NULL, 10, 0, 600, NULL },
	{ "limits.refusal_audit_burst", F_UINT, OFF(limits.refusal_audit_burst), NULL, 100, 1, 100000, NULL },
	{ "limits.refusal_audit_per_hour", F_UINT, OFF(limits.refusal_audit_per_hour), NULL, 60, 1, 3600000, NULL },
	{ "limits.refusal_audit_per_s", F_UINT, OFF(limits.refusal_audit_per_s), NULL, 2, 1, 1000, NULL },
	{ "limits.store_reserve_mb", F_UINT, OFF(limits.store_reserve_mb), NULL, 256, 0, 1048576, NULL },
	{ "policy.mode", F_ENUM, OFF(policy.mode), "first-use", 0, 0, 0, "first-use|owner|open" },
	{ "policy.created_on_max_age_s", F_UINT, OFF(policy.created_on_max_age_s), NULL, 3600, 1, 315360000, NULL },
	{ "policy.created_on_max_future_s", F_UINT, OFF(policy.created_on_max_future_s), NULL, 300, 0, 86400, NULL },
	{ "policy.bucket_capacity", F_UINT, OFF(policy.bucket_capacity), NULL, 24, 1, 100000, NULL },
	{ "policy.bucket_period_s", F_UINT, OFF(policy.bucket_period_s), NULL, 86400, 1, 31536000, NULL },
	{ "policy.nonceless_lifetime_s", F_UINT, OFF(policy.nonceless_lifetime_s), NULL, 1200, 1, 31536000, NULL },
	{ "policy.retry_window_s", F_UINT, OFF(policy.retry_window_s), NULL, 1200, 0, 86400, NULL },
	{ "policy.require_pvr", F_BOOL, OFF(policy.require_pvr), NULL, 1, 0, 1, NULL },
	{ "policy.pin_network", F_BOOL, OFF(policy.pin_network), NULL, 0, 0, 1, NULL },
	{ "policy.pinned_domain", F_ENUM, OFF(policy.pinned_domain), "pubk", 0, 0, 0, "pubk|cert|ca-lowest|ca-highest|ee-cert" },
	{ "policy.formats", F_WORDS, OFF(policy.formats), "cose,cms,jws", 0, 0, 0, "cose|cms|jws" },
	{ "policy.registrar_algs", F_WORDS, OFF(policy.registrar_algs), "es256,es384,eddsa", 0, 0, 0, "es256|es384|eddsa" },
	{ "policy.nonceless", F_BOOL, OFF(policy.nonceless), NULL, 1, 0, 1, NULL },
	{ "log.level", F_ENUM, OFF(log_level), "info", 0, 0, 0, "info|warn|error" },
	{ "proxy.trusted", F_NETS, OFF(proxy_trusted), NULL, 0, 0, 0, NULL },
};
#define NFIELDS (sizeof fields / sizeof fields[0])
_Static_assert(NFIELDS <= 64, "struct ctx's set has a bit a field");

struct ctx {
	struct masa_config *cfg;
	char dir[MASA_PATH_MAX];
	struct masa_diag *diag;
	uint64_t set;		/* bit i: fields[i] was given */
};

/* The index of word s in "a|b|c", or -1. */
static int
enum_index(const char *choices, const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t i = 0;
	const char *p = choices, *bar;

	for (;;) {
		bar = strchr(p, '|');
		if ((size_t)((bar ? bar : p + strlen(p)) - p) == n && strncmp(p, s, n) == 0) {
			*out = i;
			return 0;
		}
		if (bar == NULL)
			return -1;
		p = bar + 1;
		i++;
	}
}

/* Stores path s joined to the configuration's directory into dst. */
static enum masa_err
set_path(struct ctx *c, const struct field *f, const char *s, char *dst)
{
	if (s[0] == '\0' || masa_path_join(dst, MASA_PATH_MAX, c->dir, s) != MASA_OK) {
		masa_diag_set(c->diag, "configuration key \"%s\" must be a non-empty path shorter than %d bytes",
		    f->key, MASA_PATH_MAX);
		return MASA_E_CONFIG;
	}
	return MASA_OK;
}

/* Stores a store URL: a file path in it (masa_db_url_path) resolved
 * against the config's directory, any other URL as it is. */
static enum masa_err
set_db_url(struct ctx *c, const struct field *f, const char *s, char *dst)
{
	char path[MASA_PATH_MAX];
	const char *p = masa_db_url_path(s);
	int n;

	if (p == NULL)
		n = snprintf(dst, MASA_PATH_MAX, "%s", s);
	else if (p[0] == '\0' || masa_path_join(path, sizeof path, c->dir, p) != MASA_OK)
		n = -1;
	else
		n = snprintf(dst, MASA_PATH_MAX, "%.*s%s", (int)(p - s), s, path);
	if (n < 0 || n >= MASA_PATH_MAX) {
		masa_diag_set(c->diag, "configuration key \"%s\" must be a database path, \"sqlite:PATH\" or a postgresql:// URL shorter than %d bytes",
		    f->key, MASA_PATH_MAX);
		return MASA_E_CONFIG;
	}
	return MASA_OK;
}

/* A comma-separated list of f's choices into *out: bit 1 << (1 + index)
 * of each word (F_WORDS); at least one word. */
static enum masa_err
set_words(struct ctx *c, const struct field *f, const char *s, uint64_t *out)
{
	char word[32];
	uint64_t mask = 0, i;
	size_t n;

	do {
		n = strcspn(s, ",");
		if (n == 0 || n >= sizeof word)
			goto bad;
		memcpy(word, s, n);
		word[n] = '\0';
		if (enum_index(f->choices, word, &i) != 0 || i > 62)
			goto bad;
		mask |= (uint64_t)1 << (i + 1);
		s += n;
	} while (*s++ == ',');
	*out = mask;
	return MASA_OK;
bad:
	masa_diag_set(c->diag, "configuration key \"%s\" must be a comma-separated list of %s",
	    f->key, f->choices);
	return MASA_E_CONFIG;
}

/* Stores one string field (after the type-specific check). */
static enum masa_err
set_string(struct ctx *c, const struct field *f, const char *s)
{
	char *dst = (char *)c->cfg + f->off;
	struct masa_diag why = { { 0 } };
	struct masa_netaddr na;
	enum masa_alg alg;

	switch (f->type) {
	case F_KEYREF:
		if (!masa_signer_ref_is_uri(s))
			return set_path(c, f, s, dst);
		if (strlen(s) >= MASA_PATH_MAX) {
			masa_diag_set(c->diag, "configuration key \"%s\" must be a key URI shorter than %d bytes",
			    f->key, MASA_PATH_MAX);
			return MASA_E_CONFIG;
		}
		memcpy(dst, s, strlen(s) + 1);	/* verbatim: a URI is no path */
		return MASA_OK;
	case F_PATH_OPT:
		if (s[0] == '\0') {
			dst[0] = '\0';
			return MASA_OK;
		}
		return set_path(c, f, s, dst);
	case F_PATH:
		return set_path(c, f, s, dst);
	case F_DB_URL:
		return set_db_url(c, f, s, dst);
	case F_ADDR:
	case F_ADDR_OPT:
		if (strlen(s) >= sizeof c->cfg->listen ||
		    masa_netaddr_parse(s, &na, &why) != MASA_OK) {
			masa_diag_set(c->diag, "configuration key \"%s\": %s", f->key,
			    why.msg[0] ? why.msg : "must be HOST:PORT");
			return MASA_E_CONFIG;
		}
		snprintf(dst, sizeof c->cfg->listen, "%s", s);
		return MASA_OK;
	case F_ALG:
		if (masa_alg_from_name(s, &alg) != MASA_OK) {
			masa_diag_set(c->diag, "configuration key \"%s\" must be one of es256, es384, eddsa", f->key);
			return MASA_E_CONFIG;
		}
		*(enum masa_alg *)(void *)dst = alg;
		return MASA_OK;
	case F_ENUM:
		if (enum_index(f->choices, s, (uint64_t *)(void *)dst) != 0) {
			masa_diag_set(c->diag, "configuration key \"%s\" must be one of %s", f->key, f->choices);
			return MASA_E_CONFIG;
		}
		return MASA_OK;
	case F_WORDS:
		return set_words(c, f, s, (uint64_t *)(void *)dst);
	case F_UINT:
	case F_BOOL:
	case F_NETS:
		break;
	}
	return MASA_E_INTERNAL;
}

/* Notes that fields[i] was given; MASA_E_CONFIG if another name of the
 * same setting was given too (database.path and database.url). */
static enum masa_err
mark_given(struct ctx *c, size_t i)
{
	size_t j;

	for (j = 0; j < NFIELDS; j++) {
		if (j != i && fields[j].off == fields[i].off && (c->set >> j & 1) != 0) {
			masa_diag_set(c->diag, "configuration keys \"%s\" and \"%s\" name the same setting: give only one",
			    fields[j].key, fields[i].key);
			return MASA_E_CONFIG;
		}
	}
	c->set |= (uint64_t)1 << i;
	return MASA_OK;
}

/* Stores a JSON array of proxy.trusted entries (see proxy.h). */
static enum masa_err
set_nets(struct ctx *c, const struct field *f, json_t *v)
{
	struct masa_proxy_trust *t = (struct masa_proxy_trust *)(void *)((char *)c->cfg + f->off);
	const char *s;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > MASA_PROXY_TRUSTED_MAX) {
		masa_diag_set(c->diag, "configuration key \"%s\" must be an array of at most %d addresses",
		    f->key, MASA_PROXY_TRUSTED_MAX);
		return MASA_E_CONFIG;
	}
	for (i = 0; i < json_array_size(v); i++) {
		s = json_string_value(json_array_get(v, i));
		if (s == NULL || strlen(s) != json_string_length(json_array_get(v, i)) ||
		    masa_cidr_parse(s, &t->nets[i]) != 0) {
			masa_diag_set(c->diag, "configuration key \"%s\": entry %zu is not an IP address, a network such as \"10.0.0.0/8\" (no host bits set), or \"unix\"",
			    f->key, i + 1);
			return MASA_E_CONFIG;
		}
	}
	t->n = i;
	return MASA_OK;
}

/* Checks and stores the JSON value v for field f. */
static enum masa_err
set_field(struct ctx *c, const struct field *f, json_t *v)
{
	json_int_t n;

	if (f->type == F_UINT) {
		n = json_is_integer(v) ? json_integer_value(v) : -1;
		if (!json_is_integer(v) || n < 0 || (uint64_t)n < f->min || (uint64_t)n > f->max) {
			masa_diag_set(c->diag, "configuration key \"%s\" must be an integer from %llu to %llu",
			    f->key, (unsigned long long)f->min, (unsigned long long)f->max);
			return MASA_E_CONFIG;
		}
		*(uint64_t *)(void *)((char *)c->cfg + f->off) = (uint64_t)n;
		return MASA_OK;
	}
	if (f->type == F_BOOL) {
		if (!json_is_boolean(v)) {
			masa_diag_set(c->diag, "configuration key \"%s\" must be true or false", f->key);
			return MASA_E_CONFIG;
		}
		*(uint64_t *)(void *)((char *)c->cfg + f->off) = json_is_true(v) ? 1 : 0;
		return MASA_OK;
	}
	if (f->type == F_NETS)
		return set_nets(c, f, v);
	if ((f->type == F_ADDR_OPT || f->type == F_PATH_OPT) && json_is_null(v)) {
		((char *)c->cfg + f->off)[0] = '\0';
		return MASA_OK;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		masa_diag_set(c->diag, "configuration key \"%s\" must be a string%s", f->key,
		    f->type == F_ADDR_OPT || f->type == F_PATH_OPT ? " or null" : "");
		return MASA_E_CONFIG;
	}
	return set_string(c, f, json_string_value(v));
}

/* 1 if some field lives under the section prefix "name.". */
static int
is_section(const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < NFIELDS; i++)
		if (strncmp(fields[i].key, name, n) == 0 && fields[i].key[n] == '.')
			return 1;
	return 0;
}

/* Walks obj, whose keys are under prefix ("" at the top). */
static enum masa_err
walk(struct ctx *c, json_t *obj, const char *prefix)
{
	const char *k;
	json_t *v;
	char name[128];
	enum masa_err rc;
	size_t i;

	json_object_foreach(obj, k, v) {
		if (snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "", k)
		    >= (int)sizeof name) {
			masa_diag_set(c->diag, "unknown configuration key \"%.*s...\"",
			    masa_utf8_cut(name, 60), name);
			return MASA_E_CONFIG;
		}
		/* A key is one name: "tls.cert" at the top is not tls -> cert. */
		for (i = 0; strchr(k, '.') == NULL && i < NFIELDS; i++)
			if (strcmp(fields[i].key, name) == 0)
				break;
		if (strchr(k, '.') != NULL)
			i = NFIELDS;
		if (i < NFIELDS) {
			rc = mark_given(c, i);
			if (rc == MASA_OK)
				rc = set_field(c, &fields[i], v);
		} else if (prefix[0] == '\0' && strchr(k, '.') == NULL && is_section(name)) {
			if (!json_is_object(v)) {
				masa_diag_set(c->diag, "configuration key \"%s\" must be an object", name);
				return MASA_E_CONFIG;
			}
			rc = walk(c, v, name);
		} else {
			masa_diag_set(c->diag, "unknown configuration key \"%s\"", name);
			return MASA_E_CONFIG;
		}
		if (rc != MASA_OK)
			return rc;
	}
	return MASA_OK;
}

/* Fills cfg with every default. */
static enum masa_err
defaults(struct ctx *c)
{
	enum masa_err rc;
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		if (fields[i].type == F_UINT || fields[i].type == F_BOOL)
			*(uint64_t *)(void *)((char *)c->cfg + fields[i].off) = fields[i].num;
		else if (fields[i].type == F_NETS || fields[i].type == F_DB_URL)
			continue;	/* zeroed: none; filled by the name before it */
		else if ((rc = set_string(c, &fields[i], fields[i].def)) != MASA_OK)
			return rc;
	}
	return MASA_OK;
}

enum masa_err
masa_config_load(const char *path, struct masa_config *out, struct masa_diag *diag)
{
	static struct masa_config zero;
	struct masa_config cfg = zero;
	struct ctx c = { &cfg, ".", diag, 0 };
	struct masa_buf text;
	json_error_t jerr;
	json_t *root = NULL;
	const char *slash = strrchr(path, '/');
	enum masa_err rc;

	if (slash != NULL) {
		if ((size_t)(slash - path) >= sizeof c.dir) {
			masa_diag_set(diag, "configuration path is too long");
			return MASA_E_CONFIG;
		}
		memcpy(c.dir, path, (size_t)(slash - path));
		c.dir[slash == path ? 1 : slash - path] = '\0';
		if (slash == path)
			c.dir[0] = '/';
	}
	masa_buf_init(&text, MASA_CONFIG_FILE_MAX);
	rc = masa_file_read(path, 0, MASA_CONFIG_FILE_MAX, &text, diag);
	if (rc != MASA_OK) {
		if (rc == MASA_E_NOT_FOUND)
			rc = MASA_E_CONFIG;
		return rc;
	}
	rc = MASA_E_CONFIG;
	root = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		masa_diag_set(diag, "%s is not valid JSON: %s at line %d", path, jerr.text, jerr.line);
		goto done;
	}
	if (!json_is_object(root)) {
		masa_diag_set(diag, "%s must hold a JSON object", path);
		goto done;
	}
	rc = defaults(&c);
	if (rc == MASA_OK)
		rc = walk(&c, root, "");
	if (rc == MASA_OK)
		*out = cfg;
done:
	json_decref(root);
	masa_buf_free(&text);
	return rc;
}

/* 1 if a and b list the same networks in the same order. */
static int
same_nets(const struct masa_proxy_trust *a, const struct masa_proxy_trust *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->nets[i].family != b->nets[i].family || a->nets[i].bits != b->nets[i].bits ||
		    memcmp(a->nets[i].addr, b->nets[i].addr, sizeof a->nets[i].addr) != 0)
			return 0;
	return 1;
}

const char *
masa_config_changed_key(const struct masa_config *a, const struct masa_config *b,
    const char *const *skip)
{
	const char *pa, *pb;
	size_t i, k;

	for (i = 0; i < NFIELDS; i++) {
		for (k = 0; skip != NULL && skip[k] != NULL && strcmp(skip[k], fields[i].key) != 0; k++)
			;
		if (skip != NULL && skip[k] != NULL)
			continue;
		pa = (const char *)a + fields[i].off;
		pb = (const char *)b + fields[i].off;
		switch (fields[i].type) {
		case F_UINT: case F_BOOL: case F_ENUM: case F_WORDS:
			if (*(const uint64_t *)(const void *)pa != *(const uint64_t *)(const void *)pb)
				return fields[i].key;
			break;
		case F_ALG:
			if (*(const enum masa_alg *)(const void *)pa != *(const enum masa_alg *)(const void *)pb)
				return fields[i].key;
			break;
		case F_PATH: case F_PATH_OPT: case F_KEYREF: case F_ADDR: case F_ADDR_OPT:
			if (strcmp(pa, pb) != 0)
				return fields[i].key;
			break;
		case F_DB_URL:
			break;	/* its field is compared under the name before it */
		case F_NETS:
			if (!same_nets((const struct masa_proxy_trust *)(const void *)pa,
			    (const struct masa_proxy_trust *)(const void *)pb))
				return fields[i].key;
			break;
		}
	}
	return NULL;
}

enum masa_err
masa_config_write_default(const char *path, enum masa_alg alg, struct masa_diag *diag)
{
	return masa_config_write_init(path, alg, NULL, NULL, diag);
}

enum masa_err
masa_config_write_init(const char *path, enum masa_alg alg, const char *db_url,
    const char *password_file, struct masa_diag *diag)
{
	enum masa_err rc = MASA_E_NOMEM;
	json_t *root = json_object(), *sec, *v;
	char section[64];
	const char *dot;
	struct masa_buf out;
	char *text = NULL;
	size_t i;

	masa_buf_init(&out, MASA_CONFIG_FILE_MAX);
	for (i = 0; root != NULL && i < NFIELDS; i++) {
		const struct field *f = &fields[i];

		/* The file says database.path, as it always has, or
		 * database.url when one is given. */
		if (f->type == (db_url != NULL ? F_PATH : F_DB_URL) && f->off == OFF(db_url))
			continue;
		if (f->type == F_DB_URL)
			v = json_string(db_url);
		else if (f->type == F_PATH_OPT && f->off == OFF(db_password_file) &&
		    password_file != NULL)
			v = json_string(password_file);
		else if (f->type == F_UINT)
			v = json_integer((json_int_t)f->num);
		else if (f->type == F_BOOL)
			v = json_boolean(f->num);
		else if (f->type == F_ALG)
			v = json_string(masa_alg_name(alg));
		else if (f->type == F_NETS)
			v = json_array();
		else
			v = json_string(f->def);
		dot = strchr(f->key, '.');
		if (dot == NULL) {
			if (json_object_set_new(root, f->key, v) != 0)
				goto done;
			continue;
		}
		snprintf(section, sizeof section, "%.*s", (int)(dot - f->key), f->key);
		sec = json_object_get(root, section);
		if (sec == NULL && json_object_set_new(root, section, sec = json_object()) != 0)
			goto done;
		if (json_object_set_new(sec, dot + 1, v) != 0)
			goto done;
	}
	text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (text == NULL || masa_buf_append(&out, text, strlen(text)) != MASA_OK ||
	    masa_buf_append(&out, "\n", 1) != MASA_OK)
		goto done;
	rc = masa_file_write_new(path, out.ptr, out.len, 0644, diag);
done:
	masa_buf_free(&out);
	free(text);
	json_decref(root);
	return rc;
}

struct masa_key_opts
masa_config_key_opts(const struct masa_config *cfg)
{
	struct masa_key_opts o = {
		cfg->pkcs11_module[0] ? cfg->pkcs11_module : NULL,
		cfg->pin_file[0] ? cfg->pin_file : NULL,
	};

	return o;
}
