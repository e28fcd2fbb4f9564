/*
 * store.c: see store.h. The top of the store layer: it chooses a backend
 * by the URL's scheme, owns open and close (group commit is set up after
 * the backend's open and stopped before its close), and hands everything
 * else to the backend's ops (backend.h).
 */
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "group.h"

/* URL schemes, by prefix (compared ignoring case). A plain path, with no
 * scheme, is a file of the first one. be NULL: a backend this build does
 * not have. */
static const struct scheme {
	const char *prefix;
	const struct masa_store_backend *be;
	const char *product;	/* for the message when be is NULL */
	int file;		/* what follows the prefix is a file path */
} schemes[] = {
	{ "sqlite:", &masa_store_sqlite, "SQLite", 1 },
	{ "postgresql://", &masa_store_pg, "PostgreSQL", 0 },	/* masa/store/pg/ */
	{ "postgres://", &masa_store_pg, "PostgreSQL", 0 },
};
#define NSCHEMES (sizeof schemes / sizeof schemes[0])

/* 1 if url begins with a URI scheme (a letter, then letters, digits, "+",
 * "-" or ".") and "://": a URL, never a file path. */
static int
has_authority(const char *url)
{
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

	return n > 0 && strchr("0123456789+-.", url[0]) == NULL && strncmp(url + n, "://", 3) == 0;
}

/* The scheme of url, *rest what follows its prefix; NULL for a scheme
 * this masa does not know. */
static const struct scheme *
find_scheme(const char *url, const char **rest)
{
	size_t i, n;

	for (i = 0; i < NSCHEMES; i++) {
		n = strlen(schemes[i].prefix);
		if (strncasecmp(url, schemes[i].prefix, n) == 0) {
			*rest = url + n;
			return &schemes[i];
		}
	}
	*rest = url;
	return has_authority(url) ? NULL : &schemes[0];
}

const char *
masa_db_url_path(const char *url)
{
	const char *rest;
	const struct scheme *s = find_scheme(url, &rest);

	return s != NULL && s->file ? rest : NULL;
}

const char *
masa_db_url_shown(const char *url, char *buf, size_t cap)
{
	const char *auth = has_authority(url) ? strstr(url, "://") + 3 : NULL;
	size_t n = auth != NULL ? strcspn(auth, "/?#") : 0;
	const char *at = auth != NULL ? memchr(auth, '@', n) : NULL;
	const char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;

	if (colon == NULL)
		snprintf(buf, cap, "%s", url);
	else
		snprintf(buf, cap, "%.*s***%s", (int)(colon + 1 - url), url, at);
	return buf;
}

enum masa_err
masa_db_open(const char *url, int busy_timeout_ms, int create, struct masa_db **out,
    struct masa_diag *diag)
{
	return masa_db_open_with(url, NULL, busy_timeout_ms, create, out, diag);
}

enum masa_err
masa_db_open_with(const char *url, const char *password_file, int busy_timeout_ms, int create,
    struct masa_db **out, struct masa_diag *diag)
{
	const struct masa_store_backend *be;
	const struct scheme *s;
	struct masa_db *db = NULL;
	const char *rest;
	enum masa_err rc;

	s = find_scheme(url, &rest);
	if (s == NULL || s->be == NULL) {
		if (s == NULL)
			masa_diag_set(diag, "the database URL's scheme is not one this masa knows (sqlite:, postgresql://)");
		else
			masa_diag_set(diag, "this masa was built without %s support", s->product);
		return MASA_E_CONFIG;
	}
	be = s->be;
	/* A server URL may leave everything to the environment (libpq's
	 * PGHOST, PGDATABASE...); a file URL must name the file. */
	if (rest[0] == '\0' && s->file) {
		masa_diag_set(diag, "the database URL names no database");
		return MASA_E_CONFIG;
	}
	if (password_file != NULL && be->open_password == NULL) {
		masa_diag_set(diag, "database.password_file is for a database server; %s takes no password",
		    be->name);
		return MASA_E_CONFIG;
	}
	rc = password_file != NULL ?
	    be->open_password(be, rest, password_file, busy_timeout_ms, create, &db, diag) :
	    be->open(be, rest, busy_timeout_ms, create, &db, diag);
	if (rc != MASA_OK)
		return rc;
	rc = masa_group_open(db);
	if (rc != MASA_OK) {
		be->close(db);
		return rc;
	}
	*out = db;
	return MASA_OK;
}

void
masa_db_close(struct masa_db *db)
{
	if (db == NULL)
		return;
	masa_group_close(db);	/* commits what is queued: the backend is still open */
	db->be->close(db);
}

enum masa_err
masa_db_version(struct masa_db *db, int *have, int *latest)
{
	return db->be->version(db, have, latest);
}

enum masa_err
masa_db_migrate(struct masa_db *db, struct masa_diag *diag)
{
	return db->be->migrate(db, diag);
}

enum masa_err
masa_db_check(struct masa_db *db, char *desc, size_t desc_cap, struct masa_diag *diag)
{
	return db->be->check(db, desc, desc_cap, diag);
}

enum masa_err
masa_db_backup(struct masa_db *db, const char *dest, int replace, int *schema_version,
    struct masa_diag *diag)
{
	return db->be->backup(db, dest, replace, schema_version, diag);
}

enum masa_err
masa_db_free_bytes(struct masa_db *db, uint64_t *out)
{
	return db->be->free_bytes != NULL ? db->be->free_bytes(db, out) : MASA_E_NOT_FOUND;
}

enum masa_err
masa_db_begin(struct masa_db *db, int write, struct masa_txn **out)
{
	return db->be->begin(db, write, out);
}

enum masa_err
masa_db_begin_single(struct masa_db *db, struct masa_txn **out)
{
	return db->be->begin_single(db, out);
}

enum masa_err
masa_db_commit(struct masa_txn *txn)
{
	return txn->be->commit(txn);
}

void
masa_db_rollback(struct masa_txn *txn)
{
	if (txn != NULL)
		txn->be->rollback(txn);
}

enum masa_err
masa_store_touch(struct masa_txn *txn)
{
	return txn->be->touch(txn);
}

const char *
masa_db_backend_name(const struct masa_db *db)
{
	return db->be->name;
}
