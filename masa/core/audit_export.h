/* audit_export.h: the audit trail as JSON lines or CSV, for `masa audit
 * export` and GET /admin/v1/audit. Columns: seq, time, at_ms, event,
 * serial, registrar (SHA-256 of its SPKI, hex), nonce (base64),
 * assertion, source, detail, prev_hash, hash. */
#ifndef MASA_AUDIT_EXPORT_H
#define MASA_AUDIT_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "attr.h"
#include "bytes.h"
#include "store.h"

struct masa_audit_query {
	const char *serial;	/* NULL: all */
	int64_t since_ms;	/* INT64_MIN: from the start */
	int64_t after_seq;	/* 0: from the first entry */
	int64_t limit;		/* 0: no limit */
};

/* Writes the matching entries to f (csv: with a header row). */
MASA_NODISCARD enum masa_err masa_audit_export_file(struct masa_txn *t,
    const struct masa_audit_query *q, int csv, FILE *f);
/* Appends the matching entries as JSON lines to out. */
MASA_NODISCARD enum masa_err masa_audit_export_jsonl(struct masa_txn *t,
    const struct masa_audit_query *q, struct masa_buf *out);

#endif
