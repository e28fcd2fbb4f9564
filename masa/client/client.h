/*
 * client.h: a registrar (and pledge) for testing any MASA: builds a PVR
 * signed by the pledge key and an RVR signed by the registrar key
 * (COSE, SID-keyed; or CMS or JWS over JSON), posts it, and reports the answer: the status, and
 * for a voucher its payload in CBOR diagnostic notation, whether it names
 * the request's serial-number and nonce, and whether its signature
 * verifies with the MASA key given, or with the COSE_Key of a multipart
 * answer (which the answer asserts itself: integrity, not origin).
 */
#ifndef MASA_CLIENT_H
#define MASA_CLIENT_H

#include <stdio.h>

#include "format.h"

struct masa_client_opts {
	const char *url;		/* https://HOST:PORT */
	const char *pledge_key;		/* PEM private keys (owner-only files) */
	const char *serial;
	const char *registrar_key;
	const char *registrar_cert;	/* optional: x5bag and TLS client certificate */
	const char *masa_key;		/* optional PEM public key or certificate */
	const char *accept;		/* optional Accept */
	const char *ca;			/* optional CA file for the server */
	int insecure;
	int nonceless;
	enum masa_format format;	/* of the request (0: COSE) */
};

/* POST requestvoucher; prints the outcome to f. Returns 0 only for a
 * voucher whose signature verified and that names the request's serial
 * and nonce, else 1 (2 for a usage problem). */
int masa_client_voucher(const struct masa_client_opts *o, FILE *f);
/* POST requestauditlog with the same kind of request; prints the log.
 * Returns 0 for a 200 with a JSON log, else 1. */
int masa_client_auditlog(const struct masa_client_opts *o, FILE *f);

#endif
