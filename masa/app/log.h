/*
 * log.h: one JSON object per line on stderr. One line per HTTP request
 * (time, request id, listener, method, path, status, duration) and lines
 * for service events. Never a secret, never a body.
 */
#ifndef MASA_LOG_H
#define MASA_LOG_H

#include "attr.h"

struct masa_log_request {
	const char *rid;
	const char *listener;
	const char *method;
	const char *path;
	const char *peer;
	unsigned status;	/* 0 if no response was sent */
	int argon2;		/* an API token hash was verified */
	double ms;
};

/* Service events below this level are not written (config log.level; the
 * order of its choices). Request lines are always written. */
enum masa_log_level {
	MASA_LOG_INFO = 0,
	MASA_LOG_WARN = 1,
	MASA_LOG_ERROR = 2,
};

void masa_log_request(const struct masa_log_request *r);
/* A service event: level is "info", "warn" or "error". */
void masa_log_event(const char *level, const char *fmt, ...) MASA_PRINTF(2, 3);
/* Sets the lowest level of event written (any thread, any time). */
void masa_log_set_level(enum masa_log_level level);

#endif
