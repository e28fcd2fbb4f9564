/* operations.c: see operations.h. */
#include "operations.h"

#include <string.h>

#include "events.h"
#include "rows.h"
#include "timeutil.h"

static enum masa_err
audit(struct masa_txn *t, enum masa_event ev, const char *serial, const uint8_t *sha,
    const char *actor, const char *detail)
{
	struct masa_event_fields f = { .serial = serial, .registrar_sha256 = sha, .source = actor,
		.detail = detail };

	return masa_event_append(t, ev, &f);
}

/* Release or retire. */
static enum masa_err
device_state(struct masa_txn *t, const char *serial, const char *actor, int retire)
{
	struct masa_device d;
	enum masa_err rc = masa_store_device_get(t, serial, &d);

	if (rc == MASA_OK)
		rc = retire ? masa_store_device_retire(t, d.id) : masa_store_device_set_pin(t, d.id, 0);
	if (rc == MASA_OK)
		rc = audit(t, retire ? MASA_EV_DEVICE_RETIRED : MASA_EV_DEVICE_RELEASED, serial, NULL, actor, NULL);
	return rc;
}

enum masa_err
masa_op_release(struct masa_txn *t, const char *serial, const char *actor)
{
	return device_state(t, serial, actor, 0);
}

enum masa_err
masa_op_retire(struct masa_txn *t, const char *serial, const char *actor)
{
	return device_state(t, serial, actor, 1);
}

enum masa_err
masa_op_assign(struct masa_txn *t, const char *serial, const char *owner, const char *actor)
{
	struct masa_device d;
	int64_t owner_id;
	enum masa_err rc = masa_store_owner_get(t, owner, &owner_id);

	if (rc == MASA_E_NOT_FOUND)
		return MASA_E_RECORD;
	if (rc == MASA_OK)
		rc = masa_store_device_get(t, serial, &d);
	if (rc == MASA_OK)
		rc = masa_store_device_set_owner(t, d.id, owner_id);
	if (rc == MASA_OK)
		rc = audit(t, MASA_EV_OWNER_ASSIGNED, serial, NULL, actor, owner);
	return rc;
}

enum masa_err
masa_op_owner_key(struct masa_txn *t, const char *owner, const uint8_t *spki, size_t spki_len,
    const char *actor, int *created)
{
	struct masa_registrar_row r;
	uint8_t sha[MASA_SHA256_LEN];
	int64_t owner_id, id;
	enum masa_err rc = masa_store_owner_get(t, owner, &owner_id);

	*created = rc == MASA_E_NOT_FOUND;
	if (*created) {
		rc = masa_store_owner_add(t, owner, masa_now_ms(), &owner_id);
		if (rc == MASA_OK)
			rc = audit(t, MASA_EV_OWNER_ADDED, NULL, NULL, actor, owner);
	}
	if (rc != MASA_OK || spki_len == 0)
		return rc;
	masa_sha256((struct masa_bytes){ spki, spki_len }, sha);
	rc = masa_store_registrar_get(t, sha, &r);
	if (rc == MASA_OK && r.owner_id == owner_id)
		return MASA_OK;		/* the owner's key already: nothing changes */
	if (rc == MASA_OK)
		rc = masa_store_registrar_set_owner(t, r.id, owner_id);
	else if (rc == MASA_E_NOT_FOUND)
		rc = masa_store_registrar_add(t, sha, (struct masa_bytes){ spki, spki_len }, owner_id,
		    NULL, masa_now_ms(), &id);
	if (rc == MASA_OK)
		rc = audit(t, MASA_EV_OWNER_KEY_ADDED, NULL, sha, actor, owner);
	return rc;
}

enum masa_err
masa_op_block(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], const char *reason,
    const char *actor, int *created)
{
	enum masa_err rc = masa_store_block(t, sha256, reason, masa_now_ms());

	*created = rc == MASA_OK;
	if (rc == MASA_E_EXISTS)
		return MASA_OK;	/* already blocked: nothing changes */
	if (rc == MASA_OK)
		rc = audit(t, MASA_EV_REGISTRAR_BLOCKED, NULL, sha256, actor, reason);
	return rc;
}

enum masa_err
masa_op_unblock(struct masa_txn *t, const uint8_t sha256[MASA_SHA256_LEN], const char *actor)
{
	enum masa_err rc = masa_store_unblock(t, sha256);

	if (rc == MASA_OK)
		rc = audit(t, MASA_EV_REGISTRAR_UNBLOCKED, NULL, sha256, actor, NULL);
	return rc;
}
