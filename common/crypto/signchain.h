/*
 * signchain.h: the voucher-signing certificate chain as an operator gives
 * it in signing.cert (PEM, the certificate of the key first): whether it
 * links, each certificate issued and signed by the next (cBRSKI §9.2.3:
 * the voucher's x5bag "MUST carry the signing chain", so a pledge or
 * registrar must be able to walk it), and a line naming each one.
 */
#ifndef MASA_SIGNCHAIN_H
#define MASA_SIGNCHAIN_H

#include <stddef.h>

#include "attr.h"
#include "bytes.h"
#include "diag.h"
#include "err.h"

/* MASA_OK if every certificate certs[i] (DER) names certs[i+1] as its
 * issuer and verifies with its key (a single certificate links); else
 * MASA_E_KEY with a sentence in diag naming the pair (1-based) in file. */
MASA_NODISCARD enum masa_err masa_signchain_check(const struct masa_bytes *certs, size_t n,
    const char *file, struct masa_diag *diag);

/* The subject of DER certificate der, one line (RFC 2253 order), into out
 * (cap bytes); "(unreadable)" if it does not parse. */
void masa_signchain_subject(struct masa_bytes der, char *out, size_t cap);

#endif
