/*
 * import.h: bulk enrollment from NDJSON (one JSON object a line) or CSV
 * (RFC 4180, a header row naming the columns serial-number, public-key,
 * idevid, product, owner; quoted fields may span lines, as PEM does).
 * Each record is enrolled as by masa_enroll; a bad record is reported
 * with its line number and skipped. Non-atomic imports commit every
 * MASA_IMPORT_CHUNK records or MASA_IMPORT_CHUNK_MS, whichever comes first,
 * so voucher traffic is not held up (on PostgreSQL a record costs round
 * trips to the server, and a chunk of them can take long); atomic imports
 * write nothing if any record is rejected.
 */
#ifndef MASA_IMPORT_H
#define MASA_IMPORT_H

#include <stddef.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "store.h"

#define MASA_IMPORT_CHUNK 1000
#define MASA_IMPORT_CHUNK_MS 100	/* a non-atomic chunk is committed after this long */
#define MASA_IMPORT_REJECTED_MAX 1000	/* rejections reported by line; the rest counted */
#define MASA_IMPORT_WHY_MAX 160

enum masa_import_format {
	MASA_IMPORT_NDJSON = 0,
	MASA_IMPORT_CSV = 1,
};

struct masa_import_rejection {
	size_t line;
	char why[MASA_IMPORT_WHY_MAX];
};

/* What an import did. Its size is bounded whatever the body: the first
 * MASA_IMPORT_REJECTED_MAX rejections by line, and a count of all (a body
 * of short bad lines once cost ~600 bytes of memory a line: review F5). */
struct masa_import_report {
	size_t accepted;	/* new devices */
	size_t unchanged;	/* identical records already enrolled */
	size_t rejected_total;	/* every rejected record */
	size_t nrejected;	/* of them, in rejected[] */
	struct masa_import_rejection *rejected;	/* free with masa_import_report_free */
	int committed;		/* 0 when atomic and something was rejected */
};

/* progress(arg, records_done) is called every MASA_IMPORT_CHUNK records
 * (may be NULL). A malformed CSV header is MASA_E_RECORD (detail says
 * why); store errors abort the import (chunks already committed stay). */
MASA_NODISCARD enum masa_err masa_import(struct masa_db *db, struct masa_bytes body,
    enum masa_import_format fmt, int atomic, const char *actor,
    void (*progress)(void *arg, size_t done), void *arg, struct masa_import_report *out,
    struct masa_diag *detail);

/* The report as JSON text (initialised here): {"accepted", "unchanged",
 * "rejected": [{"line", "error"}...], "rejected-count", "committed"};
 * indented for people when pretty. */
MASA_NODISCARD enum masa_err masa_import_report_json(const struct masa_import_report *rep,
    int pretty, struct masa_buf *out);
void masa_import_report_free(struct masa_import_report *rep);

#endif
