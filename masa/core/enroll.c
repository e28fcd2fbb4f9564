/* enroll.c: see enroll.h. */
#include "enroll.h"

#include <stdio.h>
#include <string.h>

#include "crypto/x509.h"
#include "masa_limits.h"
#include "events.h"
#include "keys.h"
#include "products.h"
#include "rows.h"
#include "timeutil.h"
#include "utf8.h"
#include "vreq.h"

/* Copies UTF-8 text of at most cap-1 bytes without NULs into out; -1 if
 * it is not that. */
static int
text(struct masa_bytes b, char *out, size_t cap)
{
	if (b.len >= cap || (b.len > 0 && (memchr(b.ptr, 0, b.len) != NULL ||
	    !masa_utf8_ok(b.ptr, b.len))))
		return -1;
	if (b.len > 0)
		memcpy(out, b.ptr, b.len);
	out[b.len] = '\0';
	return 0;
}

/* The certificate's subject serialNumber must be the record's serial. */
static enum masa_err
check_serial(struct masa_bytes cert, const char *serial, struct masa_diag *why)
{
	char cs[MASA_SERIAL_MAX + 1];
	X509 *x = NULL;
	enum masa_err rc = masa_x509_parse(cert, &x);

	if (rc == MASA_OK)
		rc = masa_x509_subject_serial(x, cs, sizeof cs);
	X509_free(x);
	if (rc != MASA_OK) {
		masa_diag_set(why, "the certificate has no single subject serialNumber");
		return MASA_E_RECORD;
	}
	if (strcmp(cs, serial) != 0) {
		masa_diag_set(why, "the certificate's serialNumber is \"%.*s\", not \"%.*s\"",
		    masa_utf8_cut(cs, 48), cs, masa_utf8_cut(serial, 48), serial);
		return MASA_E_RECORD;
	}
	return MASA_OK;
}

/* A record that repeats an enrolled serial and key is "unchanged" only if
 * the product and owner it gives (if any) are the stored ones: changing
 * them is not what enrollment does (PUT .../owner does the owner). */
static enum masa_err
same_details(struct masa_txn *t, const char *serial, const char *product, int64_t owner_id,
    struct masa_diag *why)
{
	struct masa_device d;
	enum masa_err rc = masa_store_device_get(t, serial, &d);

	if (rc != MASA_OK)
		return rc;
	if ((product[0] != '\0' && strcmp(product, d.product) != 0) ||
	    (owner_id != 0 && owner_id != d.owner_id)) {
		masa_diag_set(why, "serial %.*s is enrolled with another product or owner",
		    masa_utf8_cut(serial, 64), serial);
		return MASA_E_CONFLICT;
	}
	return MASA_OK;
}

/* Records the signing key a new device's pledges trust: name (a key in
 * service) or, when empty, the key its product names now (product_key;
 * "" without a product: "default", unchecked as before products had keys);
 * its name into key. Later changes of the product's key leave it be. */
static enum masa_err
record_key(struct masa_txn *t, const char *serial, struct masa_bytes name,
    const char *product_key, char key[MASA_KEY_NAME_MAX + 1], struct masa_diag *why)
{
	struct masa_key_row row;
	struct masa_device d;
	enum masa_err rc;

	snprintf(key, MASA_KEY_NAME_MAX + 1, "%s", MASA_KEY_DEFAULT);
	if (name.len == 0 && product_key[0] == '\0')
		return MASA_OK;
	if (name.len == 0)
		snprintf(key, MASA_KEY_NAME_MAX + 1, "%s", product_key);
	else if (text(name, key, MASA_KEY_NAME_MAX + 1) != 0) {
		masa_diag_set(why, "signing-key names a key of at most %d bytes", MASA_KEY_NAME_MAX);
		return MASA_E_RECORD;
	}
	rc = masa_store_key_get(t, key, &row);
	if (rc == MASA_E_NOT_FOUND || (rc == MASA_OK && row.retired_ms != 0)) {
		masa_diag_set(why, "signing key \"%s\"%s %s", key,
		    name.len == 0 ? " of the device's product" : "",
		    rc == MASA_OK ? "is retired" : "does not exist");
		return MASA_E_RECORD;
	}
	if (rc == MASA_OK && strcmp(key, MASA_KEY_DEFAULT) == 0)
		return MASA_OK;		/* the column's default */
	if (rc == MASA_OK)
		rc = masa_store_device_get(t, serial, &d);
	if (rc == MASA_OK)
		rc = masa_store_device_set_key(t, d.id, key);
	return rc;
}

/* A device names a product that exists: its record says what the pledge
 * can take, and a misspelt name would silently give it the defaults. The
 * key the product names into key. */
static enum masa_err
known_product(struct masa_txn *t, const char *product, char key[MASA_KEY_NAME_MAX + 1],
    struct masa_diag *why)
{
	struct masa_product_row p;
	enum masa_err rc = masa_store_product_get(t, product, &p);

	if (rc == MASA_OK)
		snprintf(key, MASA_KEY_NAME_MAX + 1, "%s", p.signing_key);

	if (rc == MASA_E_NOT_FOUND) {
		masa_diag_set(why, "there is no product named \"%.*s\" (masa product add creates one)",
		    masa_utf8_cut(product, 64), product);
		rc = MASA_E_RECORD;
	}
	return rc;
}

enum masa_err
masa_enroll(struct masa_txn *t, const struct masa_enroll_rec *rec, const char *actor,
    int *created, struct masa_diag *why)
{
	char serial[MASA_SERIAL_MAX + 1], product[MASA_STORE_TEXT_MAX + 1];
	char owner[MASA_STORE_TEXT_MAX + 1];
	char key[MASA_KEY_NAME_MAX + 1], detail[MASA_KEY_NAME_MAX + 32];
	char product_key[MASA_KEY_NAME_MAX + 1] = "";
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len = 0;
	struct masa_buf cert;
	struct masa_event_fields ev = { 0 };
	int is_cert = rec->idevid.len > 0;
	int64_t owner_id = 0;
	enum masa_err rc;

	why->msg[0] = '\0';	/* a change may run again: only this run's reason */
	masa_buf_init(&cert, 0);
	if (!masa_serial_ok(rec->serial.ptr, rec->serial.len) ||
	    text(rec->serial, serial, sizeof serial) != 0) {
		masa_diag_set(why, "serial-number must be 1 to %d bytes of printable UTF-8",
		    MASA_SERIAL_MAX);
		return MASA_E_RECORD;
	}
	if (strchr(serial, '/') != NULL) {
		/* The admin API names devices by serial in the URL path. */
		masa_diag_set(why, "serial-number must not contain '/'");
		return MASA_E_RECORD;
	}
	if (is_cert == (rec->public_key.len > 0)) {
		masa_diag_set(why, "give exactly one of public-key and idevid");
		return MASA_E_RECORD;
	}
	if (text(rec->product, product, sizeof product) != 0 ||
	    text(rec->owner, owner, sizeof owner) != 0) {
		masa_diag_set(why, "product and owner are at most %d bytes of UTF-8 text",
		    MASA_STORE_TEXT_MAX);
		return MASA_E_RECORD;
	}
	rc = masa_pem_key_mem(is_cert ? rec->idevid : rec->public_key, is_cert ? "idevid" : "public-key",
	    is_cert, spki, &spki_len, &cert, why);
	if (rc != MASA_OK)
		return MASA_E_RECORD;
	if (is_cert && (rc = check_serial(masa_buf_view(&cert), serial, why)) != MASA_OK)
		goto done;
	if (owner[0] != '\0') {
		rc = masa_store_owner_get(t, owner, &owner_id);
		if (rc == MASA_E_NOT_FOUND) {
			masa_diag_set(why, "there is no owner named \"%.*s\"",
			    masa_utf8_cut(owner, 64), owner);
			rc = MASA_E_RECORD;
		}
		if (rc != MASA_OK)
			goto done;
	}
	if (product[0] != '\0' && (rc = known_product(t, product, product_key, why)) != MASA_OK)
		goto done;
	rc = masa_store_device_add(t, serial, (struct masa_bytes){ spki, spki_len },
	    masa_buf_view(&cert), product, owner_id, masa_now_ms(), created);
	if (rc == MASA_E_EXISTS) {
		masa_diag_set(why, "serial %.*s is already enrolled with another key",
		    masa_utf8_cut(serial, 64), serial);
		rc = MASA_E_CONFLICT;
	}
	if (rc == MASA_OK && !*created)
		rc = same_details(t, serial, product, owner_id, why);
	if (rc != MASA_OK || !*created)
		goto done;
	rc = record_key(t, serial, rec->signing_key, product_key, key, why);
	if (rc != MASA_OK)
		goto done;
	/* " key=NAME" when the device trusts another key than the default. */
	snprintf(detail, sizeof detail, "%s%s%s", is_cert ? "idevid" : "public-key",
	    strcmp(key, MASA_KEY_DEFAULT) == 0 ? "" : " key=", strcmp(key, MASA_KEY_DEFAULT) == 0 ?
	    "" : key);
	ev.serial = serial;
	ev.source = actor;
	ev.detail = detail;
	rc = masa_event_append(t, MASA_EV_DEVICE_ENROLLED, &ev);
done:
	masa_buf_free(&cert);
	return rc;
}

enum masa_err
masa_enroll_change(struct masa_txn *t, void *arg)
{
	struct masa_enroll_one *a = arg;

	return masa_enroll(t, &a->rec, a->actor, &a->created, &a->why);
}
