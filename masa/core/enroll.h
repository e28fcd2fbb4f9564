/*
 * enroll.h: enrolling one device from a record (serial-number, a PEM
 * public key or IDevID certificate, optional product and owner), shared by
 * `masa device add`, POST /admin/v1/devices and bulk import. Checks the
 * serial, the key type (P-256, P-384, Ed25519) and, for a certificate,
 * that its subject serialNumber equals the serial; writes the device and
 * a "device.enrolled" audit entry naming the actor inside the caller's
 * transaction.
 */
#ifndef MASA_ENROLL_H
#define MASA_ENROLL_H

#include <stddef.h>

#include "attr.h"
#include "bytes.h"
#include "diag.h"
#include "err.h"
#include "store.h"

struct masa_enroll_rec {
	struct masa_bytes serial;
	struct masa_bytes public_key;	/* PEM SPKI, or */
	struct masa_bytes idevid;	/* PEM certificate (exactly one of the two) */
	struct masa_bytes product;	/* optional */
	struct masa_bytes owner;	/* optional owner name */
	struct masa_bytes signing_key;	/* optional: the signing key its pledges trust
					 * (keys.h; default "default") */
};

/* Enrolls rec. *created is 1 for a new device, 0 for an identical record
 * already there. MASA_E_RECORD (why says what is wrong), MASA_E_CONFLICT
 * (same serial, another key), or a store error. actor names who did it
 * ("cli", or "token:<id>") in the audit entry. */
MASA_NODISCARD enum masa_err masa_enroll(struct masa_txn *t, const struct masa_enroll_rec *rec,
    const char *actor, int *created, struct masa_diag *why);

/* One enrollment as a store change (masa_enroll_change, for
 * masa_db_write): rec and actor in, created and why out. */
struct masa_enroll_one {
	struct masa_enroll_rec rec;
	char actor[40];
	int created;
	struct masa_diag why;
};
MASA_NODISCARD enum masa_err masa_enroll_change(struct masa_txn *t, void *arg);

#endif
