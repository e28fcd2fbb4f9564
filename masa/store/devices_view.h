/* devices_view.h: what an operator sees of a device (owner name, pinned
 * registrar, vouchers issued, bucket state) and paging through devices. */
#ifndef MASA_DEVICES_VIEW_H
#define MASA_DEVICES_VIEW_H

#include "rows.h"

struct masa_device_view {
	char owner[MASA_STORE_TEXT_MAX + 1];	/* "" if none */
	int pinned;
	uint8_t pinned_sha256[MASA_SHA256_LEN];
	int64_t vouchers;
	int has_bucket;
	int64_t tat_ms;
};

MASA_NODISCARD enum masa_err masa_store_device_view(struct masa_txn *t, const struct masa_device *d,
    struct masa_device_view *out);
/* Calls fn for up to limit devices with serial > after ("" for the
 * start), in serial order; fn returning non-zero stops. */
MASA_NODISCARD enum masa_err masa_store_device_page(struct masa_txn *t, const char *after,
    unsigned limit, int (*fn)(void *arg, const char *serial), void *arg);

/* What the status page shows of the store: how many devices, owners and
 * registrar keys it holds and its size in bytes (SQLite: the main
 * database file's pages, without the WAL). */
struct masa_store_summary {
	int64_t devices, owners, registrars, bytes;
};
/* MASA_E_NOT_FOUND if the backend cannot tell. */
MASA_NODISCARD enum masa_err masa_store_summary(struct masa_txn *t,
    struct masa_store_summary *out);

#endif
