/*
 * audit.h: the MASA's own append-only audit trail, each entry chained to
 * the previous one by SHA-256, so that an edit, insertion or deletion of
 * any entry breaks the chain from that point on.
 */
#ifndef MASA_AUDIT_H
#define MASA_AUDIT_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "store.h"

#define MASA_AUDIT_HASH_LEN 32

/* One entry. NULL pointers, empty views and assertion < 0 are stored as
 * SQL NULL. */
struct masa_audit_entry {
	int64_t at_ms;
	const char *event;		/* required, e.g. "token.created" */
	const char *serial;
	struct masa_bytes registrar_sha256;
	struct masa_bytes nonce;
	int assertion;
	const char *source;
	const char *detail;		/* required; may be "" */
};

/* Appends e inside txn (which must be a write transaction, so that the
 * entry commits or rolls back with the change it records). */
MASA_NODISCARD enum masa_err masa_audit_append(struct masa_txn *txn,
    const struct masa_audit_entry *e);

/* The chain hash of an entry given its sequence number and the previous
 * entry's hash (all zero bytes before the first entry):
 * SHA-256("masa-audit-v1" || prev || field...), where each field, in the
 * order seq, at_ms, event, serial, registrar_sha256, nonce, assertion,
 * source, detail, is 0x00 if NULL, else 0x01, a 4-byte big-endian length
 * and the bytes (integers as decimal ASCII). */
MASA_NODISCARD enum masa_err masa_audit_hash(int64_t seq, const struct masa_audit_entry *e,
    const uint8_t prev[MASA_AUDIT_HASH_LEN], uint8_t out[MASA_AUDIT_HASH_LEN]);

/* A stored entry, as masa_audit_each hands it over (views valid only
 * during the callback). */
struct masa_audit_row {
	int64_t seq;
	struct masa_audit_entry e;
	uint8_t prev[MASA_AUDIT_HASH_LEN];
	uint8_t hash[MASA_AUDIT_HASH_LEN];
};

/* Calls fn for each entry with seq > after_seq in seq order, optionally
 * only for one serial (NULL: all) and from since_ms on; fn returning
 * non-zero stops early. */
MASA_NODISCARD enum masa_err masa_audit_each(struct masa_txn *txn, const char *serial,
    int64_t since_ms, int64_t after_seq, int (*fn)(void *arg, const struct masa_audit_row *r),
    void *arg);

/* Calls fn for each entry newest first (highest seq first), stopping
 * before the first one older than since_ms or when fn returns non-zero:
 * the status page's recent history, whose cost is what fn reads.
 * MASA_E_NOT_FOUND if the backend cannot walk backwards. */
MASA_NODISCARD enum masa_err masa_audit_recent(struct masa_txn *txn, int64_t since_ms,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg);

/* Walks the whole chain: seq runs 1, 2, 3... without gaps, each prev_hash
 * is the previous entry's hash, each hash recomputes. On a break,
 * *bad_seq is the first entry that fails and why says how (else 0). *count
 * and head (the last hash, or zeros) describe the chain checked. */
MASA_NODISCARD enum masa_err masa_audit_verify(struct masa_txn *txn, int64_t *count,
    int64_t *bad_seq, char *why, size_t why_cap, uint8_t head[MASA_AUDIT_HASH_LEN]);

#endif
