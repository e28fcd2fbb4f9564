/*
 * fuzz_import.c: libFuzzer target for bulk import (NDJSON and CSV record
 * parsing, each record's checks, the bounded report). The first byte picks
 * the format (even: NDJSON, odd: CSV); the rest is the body. The import is
 * atomic, into an SQLite store made and migrated once per process in a
 * scratch directory (mkdtemp under $TMPDIR or /tmp, removed at exit): a
 * body with any bad record writes nothing; one whose records are all good
 * is committed, and the next identical record is then "unchanged".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[512];
static char path[600];
static struct masa_db *db;

static void
cleanup(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char f[640];
	size_t i;

	masa_db_close(db);
	db = NULL;
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(f, sizeof f, "%s%s", path, suffix[i]);
		unlink(f);
	}
	rmdir(dir);
}

static void
setup(void)
{
	struct masa_diag diag = { "" };
	const char *tmp = getenv("TMPDIR");

	if (db != NULL)
		return;
	snprintf(dir, sizeof dir, "%s/masa-fuzz-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/masa.db", dir);
	if (masa_db_open(path, 5000, 1, &db, &diag) != MASA_OK ||
	    masa_db_migrate(db, &diag) != MASA_OK) {
		fprintf(stderr, "fuzz_import: store: %s\n", diag.msg);
		abort();
	}
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct masa_import_report rep;
	struct masa_diag detail = { "" };
	struct masa_buf json;
	enum masa_err rc;

	if (size < 1)
		return 0;
	setup();
	memset(&rep, 0, sizeof rep);
	rc = masa_import(db, (struct masa_bytes){ data + 1, size - 1 },
	    (data[0] & 1) ? MASA_IMPORT_CSV : MASA_IMPORT_NDJSON, 1, "fuzz", NULL, NULL, &rep,
	    &detail);
	if (getenv("MASA_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_import: %d accepted %zu unchanged %zu rejected %zu committed %d %s\n",
		    (int)rc, rep.accepted, rep.unchanged, rep.rejected_total, rep.committed,
		    rep.nrejected > 0 ? rep.rejected[0].why : detail.msg);
	if (rc == MASA_OK) {
		if (rep.nrejected > MASA_IMPORT_REJECTED_MAX || rep.nrejected > rep.rejected_total)
			abort();	/* the report is bounded */
		if (rep.rejected_total > 0 && rep.committed)
			abort();	/* atomic: a rejection writes nothing */
		masa_buf_init(&json, 1 << 20);
		if (masa_import_report_json(&rep, 0, &json) != MASA_OK)
			abort();
		masa_buf_free(&json);
	}
	masa_import_report_free(&rep);
	return 0;
}
