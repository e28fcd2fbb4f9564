/*
 * import.h: bulk enrollment from NDJSON (one JSON object a line) or CSV
 * (RFC 4180, a header row naming the columns serial-number, public-key,
 * idevid, product, owner; quoted fields may span lines, as PEM does).
 * Each record is enrolled as by masa_enroll; a bad record is reported
 * with its line number and skipped. Non-atomic imports commit every
 * MASA_IMPORT_CHUNK records, so voucher traffic is not held up; atomic
 * imports write nothing if any record is rejected.
 */
#ifndef MASA_IMPORT_H
#define MASA_IMPORT_H

#include <stddef.h>

#include <jansson.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "store.h"

#define MASA_IMPORT_CHUNK 1000

enum masa_import_format {
	MASA_IMPORT_NDJSON = 0,
	MASA_IMPORT_CSV = 1,
};

struct masa_import_report {
	size_t accepted;	/* new devices */
	size_t unchanged;	/* identical records already enrolled */
	json_t *rejected;	/* array of {"line": n, "error": text}; caller decrefs */
	int committed;		/* 0 when atomic and something was rejected */
};

/* progress(arg, records_done) is called every MASA_IMPORT_CHUNK records
 * (may be NULL). A malformed CSV header is MASA_E_RECORD (detail says
 * why); store errors abort the import (chunks already committed stay). */
MASA_NODISCARD enum masa_err masa_import(struct masa_db *db, struct masa_bytes body,
    enum masa_import_format fmt, int atomic, const char *actor,
    void (*progress)(void *arg, size_t done), void *arg, struct masa_import_report *out,
    struct masa_diag *detail);

#endif
