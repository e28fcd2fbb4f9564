/*
 * x509chain.h: the certification path of a certificate, built upward
 * through a set of certificates its sender supplied (a COSE x5bag, a TLS
 * chain), with every link checked: the issuer's name and signature, the
 * issuer a CA (basicConstraints cA, keyCertSign where keyUsage is
 * present), its pathLenConstraint, and every certificate's validity
 * period at a given time. No trust anchor is involved: what the path is
 * worth is for the caller to decide.
 */
#ifndef MASA_X509CHAIN_H
#define MASA_X509CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"

#define MASA_X509_CHAIN_MAX 8	/* CA certificates followed above the leaf */

struct masa_x509_chain {
	size_t n;				/* CA certificates verified above the leaf */
	size_t idx[MASA_X509_CHAIN_MAX];	/* their index in the set, lowest first */
	int64_t not_after_s[MASA_X509_CHAIN_MAX + 1];	/* [0] the leaf's, [i] the i-th CA's */
	int outside_validity;			/* the leaf or a CA of the path is not valid at now */
};

/* The path of DER certificate leaf through set (n certificates, which may
 * include leaf itself) at time now_s (Unix seconds): from the leaf, the
 * next certificate is the one of set that issued the current one and
 * passes every check; the walk stops at a self-issued certificate or
 * where no certificate of set qualifies. MASA_E_MALFORMED if leaf does not
 * parse (a certificate of set that does not parse is never an issuer). */
MASA_NODISCARD enum masa_err masa_x509_chain_up(struct masa_bytes leaf,
    const struct masa_bytes *set, size_t n, int64_t now_s, struct masa_x509_chain *out);

#endif
