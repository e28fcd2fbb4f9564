/*
 * backend.h: what a store backend fills in, for the store layer alone
 * (store.c, group.c, the generic row wrappers and the backends under
 * masa/store/<backend>/). Like SQLite's VFS: a backend's store and
 * transaction handles begin with struct masa_db and struct masa_txn, and
 * the generic code reaches the backend only through the ops table those
 * name. Adding a backend is a new folder filling struct masa_store_backend
 * and one line in store.c's table of URL schemes.
 *
 * Every op returns what store.h, rows.h, products.h, audit.h, tokens.h and
 * devices_view.h promise for the function of the same name; the generic
 * wrappers add nothing but the dispatch.
 */
#ifndef MASA_STORE_BACKEND_H
#define MASA_STORE_BACKEND_H

#ifndef MASA_STORE_INTERNAL
#error "backend.h is internal to the store layer (masa/store): include store.h"
#endif

#include "audit.h"
#include "devices_view.h"
#include "keys.h"
#include "products.h"
#include "rows.h"
#include "store.h"
#include "tokens.h"

struct masa_group;

/* The head of every backend's store handle (its first member). */
struct masa_db {
	const struct masa_store_backend *be;	/* set by the backend's open */
	struct masa_group *group;		/* group commit (group.c); masa_db_open sets it */
};

/* The head of every backend's transaction handle (its first member). */
struct masa_txn {
	const struct masa_store_backend *be;
};

/* rows.h. */
struct masa_store_row_ops {
	enum masa_err (*device_get)(struct masa_txn *t, const char *serial, struct masa_device *out);
	enum masa_err (*device_add)(struct masa_txn *t, const char *serial, struct masa_bytes spki,
	    struct masa_bytes idevid, const char *product, int64_t owner_id, int64_t now_ms,
	    int *created);
	enum masa_err (*device_set_pin)(struct masa_txn *t, int64_t device_id, int64_t registrar_id);
	enum masa_err (*device_set_owner)(struct masa_txn *t, int64_t device_id, int64_t owner_id);
	enum masa_err (*device_retire)(struct masa_txn *t, int64_t device_id);
	enum masa_err (*owner_add)(struct masa_txn *t, const char *name, int64_t now_ms, int64_t *id);
	enum masa_err (*owner_get)(struct masa_txn *t, const char *name, int64_t *id);
	enum masa_err (*registrar_get)(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
	    struct masa_registrar_row *out);
	enum masa_err (*registrar_add)(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
	    struct masa_bytes spki, int64_t owner_id, const char *net, int64_t now_ms, int64_t *id);
	enum masa_err (*registrar_set_owner)(struct masa_txn *t, int64_t id, int64_t owner_id);
	enum masa_err (*registrar_first_net)(struct masa_txn *t, int64_t id, const char *net);
	enum masa_err (*is_blocked)(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
	    int *blocked);
	enum masa_err (*block)(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
	    const char *reason, int64_t now_ms);
	enum masa_err (*unblock)(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN]);
	enum masa_err (*bucket_get)(struct masa_txn *t, int64_t device_id, int64_t *tat_ms, int *has);
	enum masa_err (*bucket_set)(struct masa_txn *t, int64_t device_id, int64_t tat_ms);
	enum masa_err (*voucher_add)(struct masa_txn *t, const struct masa_voucher_row *v);
	enum masa_err (*voucher_find_retry)(struct masa_txn *t, int64_t device_id,
	    int64_t registrar_id, const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms,
	    int64_t now_ms, struct masa_buf *out, char *media, size_t media_cap);
	enum masa_err (*voucher_held)(struct masa_txn *t, int64_t device_id, int64_t registrar_id,
	    int *held);
	enum masa_err (*issue_facts)(struct masa_txn *t, const char *serial,
	    const uint8_t registrar_sha256[MASA_SHA256_LEN],
	    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
	    struct masa_issue_facts *out);
	enum masa_err (*voucher_groups)(struct masa_txn *t, int64_t device_id,
	    int (*fn)(void *arg, const struct masa_voucher_group *g), void *arg);
	enum masa_err (*device_idevid)(struct masa_txn *t, int64_t device_id,
	    struct masa_buf *out);
	/* products.h */
	enum masa_err (*product_put)(struct masa_txn *t, const struct masa_product_row *p,
	    int64_t now_ms, int *created);
	enum masa_err (*product_get)(struct masa_txn *t, const char *name,
	    struct masa_product_row *out);
	enum masa_err (*product_each)(struct masa_txn *t,
	    int (*fn)(void *arg, const struct masa_product_row *p), void *arg);
};

/* devices_view.h. */
struct masa_store_view_ops {
	enum masa_err (*device)(struct masa_txn *t, const struct masa_device *d,
	    struct masa_device_view *out);
	enum masa_err (*page)(struct masa_txn *t, const char *after, unsigned limit,
	    int (*fn)(void *arg, const char *serial), void *arg);
	/* Optional (NULL: MASA_E_NOT_FOUND from the wrapper). */
	enum masa_err (*summary)(struct masa_txn *t, struct masa_store_summary *out);
};

/* audit.h (the chain hash and its verification are generic: audit.c). */
struct masa_store_audit_ops {
	enum masa_err (*append)(struct masa_txn *txn, const struct masa_audit_entry *e);
	enum masa_err (*each)(struct masa_txn *txn, const char *serial, int64_t since_ms,
	    int64_t after_seq, int (*fn)(void *arg, const struct masa_audit_row *r), void *arg);
	/* Optional (NULL: MASA_E_NOT_FOUND from the wrapper). */
	enum masa_err (*recent)(struct masa_txn *txn, int64_t since_ms,
	    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg);
};

/* tokens.h. */
struct masa_store_token_ops {
	enum masa_err (*add)(struct masa_txn *t, const struct masa_token_row *r);
	enum masa_err (*get)(struct masa_txn *t, const char *id, struct masa_token_row *out);
	enum masa_err (*each)(struct masa_txn *t,
	    void (*fn)(void *arg, const struct masa_token_row *r), void *arg);
	enum masa_err (*del)(struct masa_txn *t, const char *name, char id_out[24]);
};

/* keys.h. */
struct masa_store_key_ops {
	enum masa_err (*add)(struct masa_txn *t, const struct masa_key_row *r);
	enum masa_err (*get)(struct masa_txn *t, const char *name, struct masa_key_row *out);
	enum masa_err (*each)(struct masa_txn *t,
	    void (*fn)(void *arg, const struct masa_key_row *r), void *arg);
	enum masa_err (*retire)(struct masa_txn *t, const char *name, int64_t now_ms);
	enum masa_err (*device_set)(struct masa_txn *t, int64_t device_id, const char *name);
};

struct masa_store_backend {
	const char *name;	/* for messages: "SQLite" */

	/* Connections. where is the URL with its scheme prefix taken off
	 * (SQLite: the file path); be is this table (as SQLite hands a VFS
	 * its own method table), for the be of the handles open makes. open
	 * allocates the backend's handle, whose struct masa_db has be set and
	 * group NULL; close frees it (the committer has stopped by then). */
	enum masa_err (*open)(const struct masa_store_backend *be, const char *where,
	    int busy_timeout_ms, int create, struct masa_db **out, struct masa_diag *diag);
	void (*close)(struct masa_db *db);

	/* Transactions, as in store.h (rollback never sees NULL). */
	enum masa_err (*begin)(struct masa_db *db, int write, struct masa_txn **out);
	enum masa_err (*begin_single)(struct masa_db *db, struct masa_txn **out);
	enum masa_err (*commit)(struct masa_txn *txn);
	void (*rollback)(struct masa_txn *txn);

	/* One savepoint at a time inside a write transaction, for group
	 * commit: savepoint marks, release keeps what was done since,
	 * rollback_to undoes it and drops the mark (harmless when the whole
	 * transaction is already lost). lost is non-zero once the backend has
	 * given up the whole transaction on its own (SQLite: an I/O error or
	 * a full disk rolled it back), so that nothing more runs in it. */
	enum masa_err (*savepoint)(struct masa_txn *txn);
	enum masa_err (*release)(struct masa_txn *txn);
	void (*rollback_to)(struct masa_txn *txn);
	int (*lost)(struct masa_txn *txn);
	/* A write that must reach the disk inside a write transaction (the
	 * store_probe counter): committed, it proves the store writable now,
	 * where an empty commit may write nothing. */
	enum masa_err (*touch)(struct masa_txn *txn);

	/* Schema, `masa check` and `masa db backup`, as in store.h. */
	enum masa_err (*version)(struct masa_db *db, int *have, int *latest);
	enum masa_err (*migrate)(struct masa_db *db, struct masa_diag *diag);
	enum masa_err (*check)(struct masa_db *db, char *desc, size_t desc_cap,
	    struct masa_diag *diag);
	enum masa_err (*backup)(struct masa_db *db, const char *dest, int replace,
	    int *schema_version, struct masa_diag *diag);
	/* Bytes free where the store writes (SQLite: the database's file
	 * system); MASA_E_NOT_FOUND when the backend cannot tell. */
	enum masa_err (*free_bytes)(struct masa_db *db, uint64_t *out);

	/* The data. */
	const struct masa_store_row_ops *rows;
	const struct masa_store_view_ops *views;
	const struct masa_store_audit_ops *audit;
	const struct masa_store_token_ops *tokens;
	const struct masa_store_key_ops *keys;

	/* open, with a password read from the file password_file (never
	 * NULL here): for a backend that logs in to a server. NULL: the
	 * backend takes no password (masa_db_open_with refuses one). */
	enum masa_err (*open_password)(const struct masa_store_backend *be, const char *where,
	    const char *password_file, int busy_timeout_ms, int create, struct masa_db **out,
	    struct masa_diag *diag);
	/* Non-zero when the last error in txn was a deadlock or a
	 * serialization failure (kept across rollback_to): group commit then
	 * rolls the whole transaction back and runs the batch again (a few
	 * times) instead of failing it. NULL: never. */
	int (*retry)(struct masa_txn *txn);
};

/* The backends built in (each in its own folder). */
extern const struct masa_store_backend masa_store_sqlite;
extern const struct masa_store_backend masa_store_pg;

#endif
