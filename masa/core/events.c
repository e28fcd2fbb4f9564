/* events.c: see events.h. */
#include "events.h"

#include <string.h>

#include "audit.h"
#include "crypto/x509.h"
#include "timeutil.h"

static const char *const names[] = {
	[MASA_EV_VOUCHER_ISSUED] = "voucher.issued",
	[MASA_EV_VOUCHER_REPLAYED] = "voucher.replayed",
	[MASA_EV_VOUCHER_REFUSED] = "voucher.refused",
	[MASA_EV_AUDITLOG_REFUSED] = "auditlog.refused",
	[MASA_EV_PROXY_HEADER_REFUSED] = "proxy.header_refused",
	[MASA_EV_DEVICE_ENROLLED] = "device.enrolled",
	[MASA_EV_DEVICE_RETIRED] = "device.retired",
	[MASA_EV_DEVICE_RELEASED] = "device.released",
	[MASA_EV_OWNER_ASSIGNED] = "owner.assigned",
	[MASA_EV_OWNER_ADDED] = "owner.added",
	[MASA_EV_OWNER_KEY_ADDED] = "owner.key-added",
	[MASA_EV_REGISTRAR_BLOCKED] = "registrar.blocked",
	[MASA_EV_REGISTRAR_UNBLOCKED] = "registrar.unblocked",
	[MASA_EV_TOKEN_CREATED] = "token.created",
	[MASA_EV_TOKEN_REVOKED] = "token.revoked",
	[MASA_EV_KEY_ADDED] = "key.added",
	[MASA_EV_KEY_RETIRED] = "key.retired",
	[MASA_EV_PRODUCT_ADDED] = "product.added",
	[MASA_EV_PRODUCT_CHANGED] = "product.changed",
	[MASA_EV_PRODUCT_KEY_CHANGED] = "product.key-changed",
};

const char *
masa_event_name(enum masa_event ev)
{
	return (size_t)ev < sizeof names / sizeof names[0] ? names[ev] : "unknown";
}

enum masa_err
masa_event_append(struct masa_txn *t, enum masa_event ev, const struct masa_event_fields *f)
{
	struct masa_audit_entry e;

	memset(&e, 0, sizeof e);
	e.at_ms = f->at_ms != 0 ? f->at_ms : masa_now_ms();
	e.event = masa_event_name(ev);
	e.serial = f->serial != NULL && f->serial[0] != '\0' ? f->serial : NULL;
	if (f->registrar_sha256 != NULL)
		e.registrar_sha256 = (struct masa_bytes){ f->registrar_sha256, MASA_SHA256_LEN };
	e.nonce = f->nonce;
	e.assertion = f->has_assertion ? f->assertion : -1;
	e.source = f->source;
	e.detail = f->detail != NULL ? f->detail : "";
	return masa_audit_append(t, &e);
}
