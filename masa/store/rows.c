/* rows.c: rows.h and devices_view.h, handed to the backend of the
 * transaction (backend.h). */
#include "rows.h"

#include "backend.h"
#include "devices_view.h"

enum masa_err
masa_store_device_get(struct masa_txn *t, const char *serial, struct masa_device *out)
{
	return t->be->rows->device_get(t, serial, out);
}

enum masa_err
masa_store_device_add(struct masa_txn *t, const char *serial, struct masa_bytes spki,
    struct masa_bytes idevid, const char *product, int64_t owner_id, int64_t now_ms,
    int *created)
{
	return t->be->rows->device_add(t, serial, spki, idevid, product, owner_id, now_ms, created);
}

enum masa_err
masa_store_device_set_pin(struct masa_txn *t, int64_t device_id, int64_t registrar_id)
{
	return t->be->rows->device_set_pin(t, device_id, registrar_id);
}

enum masa_err
masa_store_device_set_owner(struct masa_txn *t, int64_t device_id, int64_t owner_id)
{
	return t->be->rows->device_set_owner(t, device_id, owner_id);
}

enum masa_err
masa_store_device_retire(struct masa_txn *t, int64_t device_id)
{
	return t->be->rows->device_retire(t, device_id);
}

enum masa_err
masa_store_owner_add(struct masa_txn *t, const char *name, int64_t now_ms, int64_t *id)
{
	return t->be->rows->owner_add(t, name, now_ms, id);
}

enum masa_err
masa_store_owner_get(struct masa_txn *t, const char *name, int64_t *id)
{
	return t->be->rows->owner_get(t, name, id);
}

enum masa_err
masa_store_registrar_get(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    struct masa_registrar_row *out)
{
	return t->be->rows->registrar_get(t, sha256, out);
}

enum masa_err
masa_store_registrar_add(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN],
    struct masa_bytes spki, int64_t owner_id, const char *net, int64_t now_ms, int64_t *id)
{
	return t->be->rows->registrar_add(t, sha256, spki, owner_id, net, now_ms, id);
}

enum masa_err
masa_store_registrar_set_owner(struct masa_txn *t, int64_t id, int64_t owner_id)
{
	return t->be->rows->registrar_set_owner(t, id, owner_id);
}

enum masa_err
masa_store_registrar_first_net(struct masa_txn *t, int64_t id, const char *net)
{
	return t->be->rows->registrar_first_net(t, id, net);
}

enum masa_err
masa_store_is_blocked(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], int *blocked)
{
	return t->be->rows->is_blocked(t, sha256, blocked);
}

enum masa_err
masa_store_block(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], const char *reason,
    int64_t now_ms)
{
	return t->be->rows->block(t, sha256, reason, now_ms);
}

enum masa_err
masa_store_unblock(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN])
{
	return t->be->rows->unblock(t, sha256);
}

enum masa_err
masa_store_bucket_get(struct masa_txn *t, int64_t device_id, int64_t *tat_ms, int *has)
{
	return t->be->rows->bucket_get(t, device_id, tat_ms, has);
}

enum masa_err
masa_store_bucket_set(struct masa_txn *t, int64_t device_id, int64_t tat_ms)
{
	return t->be->rows->bucket_set(t, device_id, tat_ms);
}

enum masa_err
masa_store_voucher_add(struct masa_txn *t, const struct masa_voucher_row *v)
{
	return t->be->rows->voucher_add(t, v);
}

enum masa_err
masa_store_issue_facts(struct masa_txn *t, const char *serial,
    const uint8_t registrar_sha256[MASA_SHA256_LEN],
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_issue_facts *out)
{
	return t->be->rows->issue_facts(t, serial, registrar_sha256, request_sha256, since_ms,
	    now_ms, out);
}

enum masa_err
masa_store_voucher_find_retry(struct masa_txn *t, int64_t device_id, int64_t registrar_id,
    const uint8_t request_sha256[MASA_SHA256_LEN], int64_t since_ms, int64_t now_ms,
    struct masa_buf *out, char *media, size_t media_cap)
{
	return t->be->rows->voucher_find_retry(t, device_id, registrar_id, request_sha256, since_ms,
	    now_ms, out, media, media_cap);
}

enum masa_err
masa_store_device_idevid(struct masa_txn *t, int64_t device_id, struct masa_buf *out)
{
	return t->be->rows->device_idevid(t, device_id, out);
}

enum masa_err
masa_store_voucher_held(struct masa_txn *t, int64_t device_id, int64_t registrar_id, int *held)
{
	return t->be->rows->voucher_held(t, device_id, registrar_id, held);
}

enum masa_err
masa_store_voucher_groups(struct masa_txn *t, int64_t device_id,
    int (*fn)(void *arg, const struct masa_voucher_group *g), void *arg)
{
	return t->be->rows->voucher_groups(t, device_id, fn, arg);
}

enum masa_err
masa_store_device_view(struct masa_txn *t, const struct masa_device *d, struct masa_device_view *out)
{
	return t->be->views->device(t, d, out);
}

enum masa_err
masa_store_device_page(struct masa_txn *t, const char *after, unsigned limit,
    int (*fn)(void *arg, const char *serial), void *arg)
{
	return t->be->views->page(t, after, limit, fn, arg);
}

enum masa_err
masa_store_summary(struct masa_txn *t, struct masa_store_summary *out)
{
	if (t->be->views->summary == NULL)
		return MASA_E_NOT_FOUND;
	return t->be->views->summary(t, out);
}
