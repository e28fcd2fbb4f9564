/*
 * rows.h: data access for devices, owners, registrar keys, the block-list,
 * token buckets and issued vouchers. Plain reads and writes inside a
 * caller's transaction (struct masa_txn); what they mean is decided
 * elsewhere (masa/policy.c). MASA_E_NOT_FOUND for a missing row,
 * MASA_E_EXISTS for a unique-key conflict, MASA_E_STORE(_BUSY) otherwise.
 */
#ifndef MASA_ROWS_H
#define MASA_ROWS_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/x509.h"
#include "err.h"
#include "keys.h"
#include "store.h"

#define MASA_STORE_TEXT_MAX 128	/* serial, product, owner name, network */

struct masa_device {
	int64_t id;
	char serial[MASA_STORE_TEXT_MAX + 1];
	uint8_t pubkey[MASA_SPKI_MAX];	/* DER SPKI */
	size_t pubkey_len;
	int has_idevid;
	char product[MASA_STORE_TEXT_MAX + 1];
	int64_t owner_id;		/* 0: none */
	int64_t pinned_registrar_id;	/* 0: none */
	int retired;
	int64_t created_ms;
	char signing_key[MASA_KEY_NAME_MAX + 1];	/* the key its pledges trust (issue facts only) */
};

struct masa_registrar_row {
	int64_t id;
	int64_t owner_id;		/* 0: none */
	char first_seen_net[MASA_STORE_TEXT_MAX + 1];	/* "" if not recorded */
};

struct masa_voucher_row {
	int64_t device_id;
	int64_t registrar_id;
	uint8_t request_sha256[MASA_SHA256_LEN];
	const char *domain_id;
	struct masa_bytes nonce;	/* empty: nonceless */
	int assertion;
	const char *media_type;
	struct masa_bytes voucher;
	int64_t created_ms;
	int64_t expires_ms;		/* 0: none */
};

MASA_NODISCARD enum masa_err masa_store_device_get(struct masa_txn *t, const char *serial,
    struct masa_device *out);
/* Enrolls a device. An identical record (same serial and key) is left as
 * it is and *created = 0; the same serial with another key is
 * MASA_E_EXISTS. idevid may be an empty view; product NULL. */
MASA_NODISCARD enum masa_err masa_store_device_add(struct masa_txn *t, const char *serial,
    struct masa_bytes spki, struct masa_bytes idevid, const char *product, int64_t owner_id,
    int64_t now_ms, int *created);
MASA_NODISCARD enum masa_err masa_store_device_set_pin(struct masa_txn *t, int64_t device_id,
    int64_t registrar_id);
MASA_NODISCARD enum masa_err masa_store_device_set_owner(struct masa_txn *t, int64_t device_id,
    int64_t owner_id);
/* Marks a device retired: no voucher is issued for it afterwards. */
MASA_NODISCARD enum masa_err masa_store_device_retire(struct masa_txn *t, int64_t device_id);

MASA_NODISCARD enum masa_err masa_store_owner_add(struct masa_txn *t, const char *name,
    int64_t now_ms, int64_t *id);
MASA_NODISCARD enum masa_err masa_store_owner_get(struct masa_txn *t, const char *name, int64_t *id);

MASA_NODISCARD enum masa_err masa_store_registrar_get(struct masa_txn *t,
    const uint8_t sha256[MASA_SHA256_LEN], struct masa_registrar_row *out);
/* Adds a registrar key (net may be NULL). */
MASA_NODISCARD enum masa_err masa_store_registrar_add(struct masa_txn *t,
    const uint8_t sha256[MASA_SHA256_LEN], struct masa_bytes spki, int64_t owner_id,
    const char *net, int64_t now_ms, int64_t *id);
MASA_NODISCARD enum masa_err masa_store_registrar_set_owner(struct masa_txn *t, int64_t id,
    int64_t owner_id);
/* Records the network a key was first seen from, if none is recorded. */
MASA_NODISCARD enum masa_err masa_store_registrar_first_net(struct masa_txn *t, int64_t id,
    const char *net);
MASA_NODISCARD enum masa_err masa_store_is_blocked(struct masa_txn *t,
    const uint8_t sha256[MASA_SHA256_LEN], int *blocked);
MASA_NODISCARD enum masa_err masa_store_block(struct masa_txn *t,
    const uint8_t sha256[MASA_SHA256_LEN], const char *reason, int64_t now_ms);
/* Removes a block; MASA_E_NOT_FOUND if the key was not blocked. */
MASA_NODISCARD enum masa_err masa_store_unblock(struct masa_txn *t,
    const uint8_t sha256[MASA_SHA256_LEN]);

/* The GCRA value of a device's bucket; *has = 0 when there is none yet. */
MASA_NODISCARD enum masa_err masa_store_bucket_get(struct masa_txn *t, int64_t device_id,
    int64_t *tat_ms, int *has);
MASA_NODISCARD enum masa_err masa_store_bucket_set(struct masa_txn *t, int64_t device_id,
    int64_t tat_ms);

MASA_NODISCARD enum masa_err masa_store_voucher_add(struct masa_txn *t,
    const struct masa_voucher_row *v);
/* The newest voucher issued for the same request bytes to the same
 * registrar and device at or after since_ms and not expired at now_ms:
 * voucher into out (initialised here), its media type into media.
 * MASA_E_NOT_FOUND if none. */
MASA_NODISCARD enum masa_err masa_store_voucher_find_retry(struct masa_txn *t,
    int64_t device_id, int64_t registrar_id, const uint8_t request_sha256[MASA_SHA256_LEN],
    int64_t since_ms, int64_t now_ms, struct masa_buf *out, char *media, size_t media_cap);

/* What issuing a voucher needs to know about the request's device and
 * registrar, read in one statement (issue.c reads it twice: on a snapshot
 * before signing and in the write transaction). Without a device nothing
 * else is read. */
struct masa_issue_facts {
	int device_found;
	struct masa_device dev;		/* its serial and created_ms are not read */
	int registrar_known;
	struct masa_registrar_row reg;
	int blocked;			/* the registrar key is on the block-list */
	int has_bucket;
	int64_t tat_ms;
	int retry_found;		/* a voucher of this registrar for these request bytes,
					 * created at or after since_ms, unexpired at now_ms */
	int product_found;		/* the device's product has a record: */
	uint64_t product_formats;	/* its fields (products.h) */
	uint64_t product_registrar_algs;
	int product_pin;
	int product_nonceless;
};
MASA_NODISCARD enum masa_err masa_store_issue_facts(struct masa_txn *t, const char *serial,
    const uint8_t registrar_sha256[MASA_SHA256_LEN],
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_issue_facts *out);

/* The IDevID certificate (DER) enrolled with device_id appended to out:
 * nothing appended for a device enrolled by public key only. */
MASA_NODISCARD enum masa_err masa_store_device_idevid(struct masa_txn *t, int64_t device_id,
    struct masa_buf *out);

/* *held = 1 if registrar_id has ever been issued a voucher for device_id. */
MASA_NODISCARD enum masa_err masa_store_voucher_held(struct masa_txn *t, int64_t device_id,
    int64_t registrar_id, int *held);

/* One group of a device's vouchers: same domainID, all nonced or all
 * nonceless. The fields describe its newest voucher; count is its size. */
struct masa_voucher_group {
	int64_t created_ms;
	char domain_id[MASA_STORE_TEXT_MAX + 1];
	uint8_t nonce[64];
	size_t nonce_len;
	int nonceless;
	int assertion;
	int64_t count;
};

/* Calls fn for each group of device_id's vouchers, newest first; stops
 * early (MASA_OK) when fn returns non-zero. */
MASA_NODISCARD enum masa_err masa_store_voucher_groups(struct masa_txn *t, int64_t device_id,
    int (*fn)(void *arg, const struct masa_voucher_group *g), void *arg);

#endif
