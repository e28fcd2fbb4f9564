/*
 * auditlog.h: the registrar-facing audit log (RFC 8995 §5.8): who else has
 * been given vouchers for a device. Served only to a registrar whose key
 * has held a voucher for the device, or to a key of the device's owner;
 * anyone else, and an unknown serial, get MASA_E_UNKNOWN_DEVICE (404). No
 * token is spent and created-on freshness is not required.
 *
 * The response (RFC 8995 §5.8.1, JSON integers as in its CDDL): version 1;
 * events newest first, one per domainID and nonced/nonceless kind (its
 * most recent voucher), whose "truncated" counts the others of that kind;
 * "truncation" totals them ("arbitrary" is always 0: nothing else is
 * dropped). Counters saturate at 1024. Nothing of ours (addresses, ids,
 * tokens) appears.
 */
#ifndef MASA_AUDITLOG_H
#define MASA_AUDITLOG_H

#include "app.h"
#include "attr.h"
#include "vreq.h"
#include "registrar.h"

#define MASA_AUDITLOG_SATURATE 1024

/* Builds the log for v's serial as JSON into out (initialised here). */
MASA_NODISCARD enum masa_err masa_auditlog(struct masa_app *app, const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, struct masa_buf *out);

#endif
