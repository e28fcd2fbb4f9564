/* check.c: `masa check` and `masa db backup` on PostgreSQL. check
 * describes the server and the session as masa uses them (server
 * version, whether the connection is encrypted and its sslmode, the
 * durability settings) and refuses settings under which an answered
 * voucher could be lost: fsync off on the server, or a session that
 * cannot have synchronous_commit on. A backup is pg_dump's job: the
 * server's consistent snapshot, in its own format. */
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

/* The value of sslmode that libpq uses for conn ("" if unknown). */
static void
sslmode(PGconn *conn, char *out, size_t cap)
{
	PQconninfoOption *opts = PQconninfo(conn), *o;

	out[0] = '\0';
	for (o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "sslmode") == 0 && o->val != NULL)
			snprintf(out, cap, "%s", o->val);
	PQconninfoFree(opts);
}

enum masa_err
masa_pg_check(struct masa_db *db, char *desc, size_t desc_cap, struct masa_diag *diag)
{
	struct masa_txn *txn = NULL;
	struct masa_pg_txn *t;
	char version[64] = "", fsync[16] = "", sync[16] = "", mode[32];
	PGresult *r = NULL;
	enum masa_err rc;

	rc = masa_pg_begin(db, 0, &txn);
	if (rc != MASA_OK) {
		masa_diag_set(diag, "the PostgreSQL database cannot be reached or stayed busy");
		return rc;
	}
	t = masa_pg_txn_of(txn);
	rc = masa_pg_query(txn, "SELECT current_setting('server_version'),"
	    " current_setting('fsync'), current_setting('synchronous_commit')", NULL, &r);
	if (rc == MASA_OK) {
		masa_pg_get_text(r, 0, 0, version, sizeof version);
		masa_pg_get_text(r, 0, 1, fsync, sizeof fsync);
		masa_pg_get_text(r, 0, 2, sync, sizeof sync);
	} else {
		masa_diag_set(diag, "cannot read the PostgreSQL server's settings: %s", t->err);
	}
	PQclear(r);
	sslmode(t->c->pg, mode, sizeof mode);
	snprintf(desc, desc_cap, "PostgreSQL %s, %s (sslmode=%s), fsync=%s, synchronous_commit=%s",
	    version, PQsslInUse(t->c->pg) ? "TLS" : "no TLS", mode[0] ? mode : "default", fsync,
	    sync);
	masa_pg_rollback(txn);
	if (rc == MASA_OK && strcmp(fsync, "on") != 0) {
		masa_diag_set(diag, "the PostgreSQL server runs with fsync=%s: a crash can lose answered vouchers", fsync);
		rc = MASA_E_STORE_SETTINGS;
	} else if (rc == MASA_OK && strcmp(sync, "on") != 0 && strcmp(sync, "remote_apply") != 0 &&
	    strcmp(sync, "remote_write") != 0) {
		masa_diag_set(diag, "masa's PostgreSQL sessions run with synchronous_commit=%s: a crash can lose answered vouchers", sync);
		rc = MASA_E_STORE_SETTINGS;
	}
	return rc;
}

enum masa_err
masa_pg_backup(struct masa_db *db, const char *dest, int replace, int *schema_version,
    struct masa_diag *diag)
{
	(void)db;
	(void)dest;
	(void)replace;
	(void)schema_version;
	masa_diag_set(diag, "the database is PostgreSQL: back it up with pg_dump"
	    " (pg_dump --format=custom --file=OUT DBNAME, while masa serves; README, \"Backup\")");
	return MASA_E_USAGE;
}
