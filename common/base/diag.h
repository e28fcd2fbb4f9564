/*
 * diag.h: an optional human-readable detail that travels beside an
 * enum masa_err. Deep functions fill it at the point of failure; the first
 * message set wins, because it is the most specific. It is for operators
 * (command line, server log), never for HTTP bodies: those come from the
 * error table alone.
 */
#ifndef MASA_DIAG_H
#define MASA_DIAG_H

#include "attr.h"

struct masa_diag {
	char msg[512];
};

/* Sets d->msg unless d is NULL or a message is already there. */
void masa_diag_set(struct masa_diag *d, const char *fmt, ...) MASA_PRINTF(2, 3);

#endif
