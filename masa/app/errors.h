/* errors.h: each enum masa_err -> name, HTTP status, public message. */
#ifndef MASA_ERRORS_H
#define MASA_ERRORS_H

#include "err.h"

/* Stable identifier, e.g. "MASA_E_TOO_LARGE"; "MASA_E_UNKNOWN" if none. */
const char *masa_err_name(enum masa_err rc);
/* The HTTP status for rc (500 for codes that never reach HTTP). */
unsigned masa_err_status(enum masa_err rc);
/* One plain sentence, safe to send to any client. */
const char *masa_err_message(enum masa_err rc);

#endif
