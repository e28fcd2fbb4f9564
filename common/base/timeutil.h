/* timeutil.h: wall-clock time in milliseconds and RFC 3339 rendering. */
#ifndef MASA_TIMEUTIL_H
#define MASA_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define MASA_RFC3339_LEN 32

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t masa_now_ms(void);
/* Monotonic microseconds, for durations and deadlines. */
int64_t masa_mono_us(void);
/* Renders ms as "YYYY-MM-DDThh:mm:ss.mmmZ" (UTC) into out. */
void masa_rfc3339_ms(int64_t ms, char out[MASA_RFC3339_LEN]);
/* Renders ms as "YYYY-MM-DDThh:mm:ssZ" (UTC, whole seconds) into out. */
void masa_rfc3339_s(int64_t ms, char out[MASA_RFC3339_LEN]);
/* Parses an RFC 3339 date-time (YANG date-and-time): a 'T' or 't', an
 * optional fraction, and 'Z' or a +hh:mm/-hh:mm offset. Returns 0 and *out
 * in ms since the epoch, or -1 if s (n bytes, no NUL needed) is not one. */
int masa_rfc3339_parse(const char *s, size_t n, int64_t *out);

#endif
