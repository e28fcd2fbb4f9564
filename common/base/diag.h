/*
 * diag.h: an optional human-readable detail that travels beside an
 * enum masa_err: the one channel for error detail. Deep functions fill it
 * at the point of failure; the first message set wins, because it is the
 * most specific (a caller that reuses one for several tries empties it
 * first). It is for operators: the command line, the server log, and the
 * admin API's error bodies (its clients are the operator's own tools);
 * never for the public listener's bodies, which come from the error table
 * alone.
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
