/* cli_store.c: what the store-changing commands share: opening the store
 * from a config and one write transaction per command. */
#include <string.h>

#include "cli.h"
#include "startup.h"

int
masa_cli_open_store(const char *config, struct masa_startup *st, struct masa_diag *diag)
{
	return masa_startup_load(config, MASA_NEED_MIGRATE, st, diag) == MASA_OK ? 0 : -1;
}

enum masa_err
masa_cli_write(struct masa_startup *st, enum masa_err (*change)(struct masa_txn *t, void *arg),
    void *arg)
{
	return masa_db_write(st->db, change, arg);
}
