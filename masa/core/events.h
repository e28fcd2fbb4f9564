/*
 * events.h: every entry of the audit trail is built here, from a named
 * event and its fields, so that event names are spelt in one place and
 * every entry has the same shape (the trail itself, its hash chain and
 * storage, is the store's audit.h).
 */
#ifndef MASA_EVENTS_H
#define MASA_EVENTS_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "store.h"

enum masa_event {
	MASA_EV_VOUCHER_ISSUED,
	MASA_EV_VOUCHER_REPLAYED,
	MASA_EV_VOUCHER_REFUSED,
	MASA_EV_AUDITLOG_REFUSED,
	MASA_EV_PROXY_HEADER_REFUSED,
	MASA_EV_DEVICE_ENROLLED,
	MASA_EV_DEVICE_RETIRED,
	MASA_EV_DEVICE_RELEASED,
	MASA_EV_OWNER_ASSIGNED,
	MASA_EV_OWNER_ADDED,
	MASA_EV_OWNER_KEY_ADDED,
	MASA_EV_REGISTRAR_BLOCKED,
	MASA_EV_REGISTRAR_UNBLOCKED,
	MASA_EV_TOKEN_CREATED,
	MASA_EV_TOKEN_REVOKED,
	MASA_EV_KEY_ADDED,
	MASA_EV_KEY_RETIRED,
	MASA_EV_PRODUCT_ADDED,
	MASA_EV_PRODUCT_CHANGED,
	MASA_EV_PRODUCT_KEY_CHANGED,
};

/* What an entry says besides its event: each field may be left zero. */
struct masa_event_fields {
	int64_t at_ms;			/* 0: now */
	const char *serial;		/* NULL or "": none */
	const uint8_t *registrar_sha256;	/* MASA_SHA256_LEN bytes, or NULL */
	struct masa_bytes nonce;	/* empty: none */
	int assertion;			/* MASA_ASSERT_*; only with has_assertion */
	int has_assertion;
	const char *source;		/* peer address, "cli" or "token:<id>" */
	const char *detail;		/* NULL: "" */
};

/* The event's name in the trail ("voucher.issued"). */
const char *masa_event_name(enum masa_event ev);
/* Appends the entry of ev with f inside t, a write transaction, so that
 * it commits or rolls back with the change it records. */
MASA_NODISCARD enum masa_err masa_event_append(struct masa_txn *t, enum masa_event ev,
    const struct masa_event_fields *f);

#endif
