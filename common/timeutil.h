/* timeutil.h: wall-clock time in milliseconds and RFC 3339 rendering. */
#ifndef MASA_TIMEUTIL_H
#define MASA_TIMEUTIL_H

#include <stdint.h>

#define MASA_RFC3339_LEN 32

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t masa_now_ms(void);
/* Monotonic microseconds, for durations and deadlines. */
int64_t masa_mono_us(void);
/* Renders ms as "YYYY-MM-DDThh:mm:ss.mmmZ" (UTC) into out. */
void masa_rfc3339_ms(int64_t ms, char out[MASA_RFC3339_LEN]);

#endif
