/* log.c: see log.h. jansson does the escaping of events; request lines
 * are formatted directly. Each line is written whole under the stdio lock
 * so lines never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "timeutil.h"

static atomic_int min_level = MASA_LOG_INFO;

void
masa_log_set_level(enum masa_log_level level)
{
	atomic_store(&min_level, (int)level);
}

/* The rank of an event level name; an unknown name counts as an error. */
static int
rank(const char *level)
{
	if (strcmp(level, "info") == 0)
		return MASA_LOG_INFO;
	if (strcmp(level, "warn") == 0)
		return MASA_LOG_WARN;
	return MASA_LOG_ERROR;
}

/* Adds "time", writes obj as one line, and frees it. */
static void
emit(json_t *obj)
{
	char now[MASA_RFC3339_LEN];
	char *line;

	if (obj == NULL)
		return;
	masa_rfc3339_ms(masa_now_ms(), now);
	json_object_set_new(obj, "time", json_string(now));
	line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (line != NULL) {
		flockfile(stderr);
		fputs(line, stderr);
		fputc('\n', stderr);
		fflush(stderr);
		funlockfile(stderr);
		free(line);
	}
	json_decref(obj);
}

/* Appends s as a JSON string to the line (the caller leaves room: every
 * byte takes at most 6). Control characters and non-ASCII bytes, which
 * callers never pass, become \u00XX. */
static void
put_str(char *line, size_t *n, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;

	line[(*n)++] = '"';
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c == '"' || c == '\\') {
			line[(*n)++] = '\\';
			line[(*n)++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(line + *n, "\\u00", 4);
			line[*n + 4] = hex[c >> 4];
			line[*n + 5] = hex[c & 15];
			*n += 6;
		} else {
			line[(*n)++] = (char)c;
		}
	}
	line[(*n)++] = '"';
}

/*
 * One line per request, at several thousand a second: formatted here
 * rather than built as a jansson object (a third of the cost), with the
 * same keys in the same order as before. Every string is bounded by its
 * caller (MASA_LOG_PATH_MAX for the path), so the line fits.
 */
void
masa_log_request(const struct masa_log_request *r)
{
	const char *fields[5] = { r->rid, r->listener, r->method, r->path, r->peer };
	static const char *const names[5] = { "rid", "listener", "method", "path", "peer" };
	char line[8192], now[MASA_RFC3339_LEN], ms[32];
	size_t n = 0, i, room = 0;

	for (i = 0; i < 5; i++)
		room += strlen(names[i]) + 6 * strlen(fields[i] ? fields[i] : "") + 6;
	if (room + 160 > sizeof line)
		return;
	line[n++] = '{';
	for (i = 0; i < 5; i++) {
		n += (size_t)snprintf(line + n, sizeof line - n, "%s\"%s\":", i ? "," : "", names[i]);
		put_str(line, &n, fields[i] ? fields[i] : "");
	}
	snprintf(ms, sizeof ms, "%.6g", r->ms);
	if (strpbrk(ms, ".eEn") == NULL)	/* a JSON real, as jansson wrote it */
		strcat(ms, ".0");
	masa_rfc3339_ms(masa_now_ms(), now);
	n += (size_t)snprintf(line + n, sizeof line - n, ",\"status\":%u,\"ms\":%s%s,\"time\":\"%s\"}\n",
	    r->status, ms, r->argon2 ? ",\"argon2\":true" : "", now);
	flockfile(stderr);
	fwrite(line, 1, n, stderr);
	fflush(stderr);
	funlockfile(stderr);
}

void
masa_log_event(const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *o;

	if (rank(level) < atomic_load(&min_level))
		return;
	o = json_object();
	if (o == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_object_set_new(o, "level", json_string(level));
	json_object_set_new(o, "msg", json_string(msg));
	emit(o);
}
