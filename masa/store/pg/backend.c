/* backend.c: the PostgreSQL backend's ops table (backend.h), the top of
 * masa/store/pg/. */
#include "pg_int.h"

const struct masa_store_backend masa_store_pg = {
	.name = "PostgreSQL",
	.open = masa_pg_open,
	.close = masa_pg_close,
	.begin = masa_pg_begin,
	.begin_single = masa_pg_begin_single,
	.commit = masa_pg_commit,
	.rollback = masa_pg_rollback,
	.savepoint = masa_pg_savepoint,
	.release = masa_pg_release_savepoint,
	.rollback_to = masa_pg_rollback_to,
	.lost = masa_pg_lost,
	.touch = masa_pg_touch,
	.version = masa_pg_version,
	.migrate = masa_pg_migrate,
	.check = masa_pg_check,
	.backup = masa_pg_backup,
	.free_bytes = NULL,	/* the server's disk: not ours to watch */
	.rows = &masa_pg_rows,
	.views = &masa_pg_views,
	.audit = &masa_pg_audit,
	.tokens = &masa_pg_tokens,
	.keys = &masa_pg_keys,
	.open_password = masa_pg_open_password,
	.retry = masa_pg_retry,
};
