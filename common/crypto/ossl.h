/*
 * ossl.h: OpenSSL's error queue is per thread and sticky. Clear it before an
 * operation and drain it after a failure, so a stale error is never blamed
 * on the next request.
 */
#ifndef MASA_OSSL_H
#define MASA_OSSL_H

#include "diag.h"

void masa_ossl_clear(void);
/* Empties the queue, putting "what: <first OpenSSL reason>" in diag. */
void masa_ossl_drain(struct masa_diag *diag, const char *what);

#endif
