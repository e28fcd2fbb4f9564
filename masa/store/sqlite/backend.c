/* backend.c: the SQLite backend's ops table (backend.h), the top of
 * masa/store/sqlite/. */
#include "sqlite_int.h"

const struct masa_store_backend masa_store_sqlite = {
	.name = "SQLite",
	.open = masa_sqlite_open,
	.close = masa_sqlite_close,
	.begin = masa_sqlite_begin,
	.begin_single = masa_sqlite_begin_single,
	.commit = masa_sqlite_commit,
	.rollback = masa_sqlite_rollback,
	.savepoint = masa_sqlite_savepoint,
	.release = masa_sqlite_release_savepoint,
	.rollback_to = masa_sqlite_rollback_to,
	.lost = masa_sqlite_lost,
	.touch = masa_sqlite_touch,
	.version = masa_sqlite_version,
	.migrate = masa_sqlite_migrate,
	.check = masa_sqlite_check,
	.backup = masa_sqlite_backup,
	.free_bytes = masa_sqlite_free_bytes,
	.rows = &masa_sqlite_rows,
	.views = &masa_sqlite_views,
	.audit = &masa_sqlite_audit,
	.tokens = &masa_sqlite_tokens,
	.keys = &masa_sqlite_keys,
};
