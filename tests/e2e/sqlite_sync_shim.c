/* sqlite_sync_shim.c: an LD_PRELOAD library for e2e_serve that stands in
 * for an SQLite on which `PRAGMA synchronous=FULL` does not take: it turns
 * that statement, as masa prepares it, into `PRAGMA synchronous=NORMAL`.
 * Debian's SQLite always takes the setting outside a transaction (it
 * refuses it only inside one, and masa sets it right after opening), so a
 * library built without the pager pragmas, or a build that ignores them,
 * is what masa's read-back guards against. Test tooling only. */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <string.h>

#include <sqlite3.h>

typedef int (*prepare_fn)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);

/* SQLite's sqlite3_prepare_v2, but the FULL setting becomes NORMAL. */
int
sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail)
{
	static prepare_fn real;

	if (real == NULL)
		real = (prepare_fn)dlsym(RTLD_NEXT, "sqlite3_prepare_v2");
	if (strcmp(sql, "PRAGMA synchronous=FULL") == 0) {
		sql = "PRAGMA synchronous=NORMAL";
		n = -1;
	}
	return real(db, sql, n, st, tail);
}
