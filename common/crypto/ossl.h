/*
 * ossl.h: OpenSSL's error queue is per thread and sticky. Clear it before an
 * operation and drain it after a failure, so a stale error is never blamed
 * on the next request.
 */
#ifndef MASA_OSSL_H
#define MASA_OSSL_H

#include <openssl/evp.h>

#include "diag.h"

void masa_ossl_clear(void);
/* SHA-256, fetched once for the process: OpenSSL 3.0 looks an algorithm
 * up by name (locks, hash tables) each time SHA256() or EVP_sha256() is
 * used. */
const EVP_MD *masa_ossl_sha256(void);
/* Empties the queue, putting "what: <first OpenSSL reason>" in diag. */
void masa_ossl_drain(struct masa_diag *diag, const char *what);

#endif
