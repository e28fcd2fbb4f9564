/* cli_store.c: what the store-changing commands share: opening the store
 * from a config, one write transaction per command, audit entries. */
#include <string.h>

#include "cli.h"
#include "startup.h"
#include "store/audit.h"
#include "timeutil.h"

int
masa_cli_open_store(const char *config, struct masa_startup *st, struct masa_diag *diag)
{
	return masa_startup_load(config, MASA_NEED_MIGRATE, st, diag) == MASA_OK ? 0 : -1;
}

enum masa_err
masa_cli_write(struct masa_startup *st, enum masa_err (*change)(struct masa_txn *t, void *arg),
    void *arg)
{
	struct masa_txn *t = NULL;
	enum masa_err rc = masa_db_begin(st->db, 1, &t);

	if (rc == MASA_OK)
		rc = change(t, arg);
	if (rc == MASA_OK) {
		rc = masa_db_commit(t);
		t = NULL;
	}
	masa_db_rollback(t);
	return rc;
}

enum masa_err
masa_cli_audit(struct masa_txn *t, const char *event, const char *serial,
    const uint8_t *registrar_sha256, const char *detail)
{
	struct masa_audit_entry e;

	memset(&e, 0, sizeof e);
	e.at_ms = masa_now_ms();
	e.event = event;
	e.serial = serial;
	if (registrar_sha256 != NULL) {
		e.registrar_sha256.ptr = registrar_sha256;
		e.registrar_sha256.len = 32;
	}
	e.assertion = -1;
	e.source = "cli";
	e.detail = detail;
	return masa_audit_append(t, &e);
}
