/*
 * idissuer.h: does a voucher-request's idevid-issuer name the issuer of an
 * IDevID certificate? RFC 8366bis: idevid-issuer is "the Authority Key
 * Identifier OCTET STRING" of the pledge's IDevID, i.e. the extension's
 * extnValue as DER (04 len AuthorityKeyIdentifier-SEQUENCE), which is what
 * ot-registrar sends (EskoDijk/ot-registrar, Registrar.java:
 * cert.getExtensionValue(authorityKeyIdentifier)). Older registrars send
 * the bare keyIdentifier bytes instead; both are read. (Fountain sends
 * none: its RVR sets no idevidIssuer, AnimaGUS-minerva/fountain
 * app/models/cose_voucher_request.rb; highway reads none.)
 */
#ifndef MASA_IDISSUER_H
#define MASA_IDISSUER_H

#include "bytes.h"

/* 1 if issuer is the AKI of DER certificate idevid in either form; 0 if
 * not, if the certificate has no AKI or does not parse. */
int masa_idevid_issuer_matches(struct masa_bytes idevid, struct masa_bytes issuer);

#endif
