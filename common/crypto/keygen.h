/*
 * keygen.h: new key pairs with self-signed certificates, for `masa init`.
 * The private key goes straight to an owner-only file (PKCS#8 PEM) and is
 * freed; nothing here keeps a key.
 */
#ifndef MASA_KEYGEN_H
#define MASA_KEYGEN_H

#include "attr.h"
#include "crypto/alg.h"
#include "diag.h"
#include "err.h"

enum masa_cert_kind {
	MASA_CERT_VOUCHER_SIGNING,	/* keyUsage digitalSignature */
	MASA_CERT_TLS_SERVER,		/* plus serverAuth and a subjectAltName */
	MASA_CERT_REGISTRAR,		/* plus id-kp-cmcRA, clientAuth, serverAuth (demo, tests) */
};

/* Generates a key for alg, writes it to key_path (0600) and a self-signed
 * certificate with common name cn to cert_path (0644). For a TLS server
 * certificate, host goes into the subjectAltName (as an IP address if it
 * parses as one, else a DNS name; "localhost" also gets 127.0.0.1 and ::1).
 * Neither file may exist; on failure neither is left behind. */
MASA_NODISCARD enum masa_err masa_keygen_selfsigned(enum masa_alg alg, enum masa_cert_kind kind,
    const char *cn, const char *host, int days, const char *key_path,
    const char *cert_path, struct masa_diag *diag);

#endif
