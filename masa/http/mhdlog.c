/*
 * mhdlog.c: libmicrohttpd's own messages as JSON log lines, rate limited
 * so that a flood of broken handshakes is not a flood of log lines.
 */
#include "server_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"

/* libmicrohttpd's messages: LOG_BURST at once, then LOG_PER_S a second
 * (GCRA). It writes one for each broken handshake, so a flood of them
 * (evicted ones too, evict.h) must not turn into a flood of log lines; the
 * next line written says how many were left out. */
#define LOG_BURST 20
#define LOG_PER_S 10

void
masa_srv_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int64_t tat_us;
	static unsigned long long left_out;
	const int64_t step_us = 1000000 / LOG_PER_S;
	unsigned long long before = 0;
	int64_t now = masa_mono_us();
	int write;
	char msg[512];
	size_t n;

	(void)cls;
	pthread_mutex_lock(&lock);
	if (tat_us < now)
		tat_us = now;
	write = tat_us - now <= (LOG_BURST - 1) * step_us;
	if (write) {
		tat_us += step_us;
		before = left_out;
		left_out = 0;
	} else {
		left_out++;
	}
	pthread_mutex_unlock(&lock);
	if (!write)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (before > 0)
		masa_log_event("warn", "libmicrohttpd: %s (%llu earlier messages left out)", msg, before);
	else
		masa_log_event("warn", "libmicrohttpd: %s", msg);
}
