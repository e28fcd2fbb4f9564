/* diag.c: see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

void
masa_diag_set(struct masa_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL || d->msg[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
}
