/*
 * renewal.h: a renewal request (RFC 8366bis "Renewals instead of
 * revocations"; product.md §4: "a request that carries an earlier voucher
 * of this MASA for the same serial, from the registrar that voucher
 * pinned, gets a new voucher"). The earlier voucher is in the RVR's
 * prior-signed-voucher-request (vreq.h prior_is_voucher). It must verify
 * with this MASA's voucher-signing key, name the RVR's serial-number, and
 * pin the registrar that signed the RVR. Policy then treats the request as
 * one with a verified PVR, except that a renewal never pins a registrar
 * (policy.h). Any other signed object there is a PVR, as before.
 */
#ifndef MASA_RENEWAL_H
#define MASA_RENEWAL_H

#include "attr.h"
#include "bytes.h"
#include "err.h"
#include "registrar.h"
#include "vreq.h"

/* masa_spki: the DER SubjectPublicKeyInfo of this MASA's voucher-signing
 * key. MASA_OK, MASA_E_RENEWAL_NOT_OURS, MASA_E_RENEWAL_SERIAL,
 * MASA_E_RENEWAL_REGISTRAR (checked in that order), MASA_E_INTERNAL.
 * v must have prior_is_voucher. */
MASA_NODISCARD enum masa_err masa_renewal_check(const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, struct masa_bytes masa_spki);

#endif
