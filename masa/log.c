/* log.c: see log.h. jansson does the escaping; each line is written with
 * one fputs under the stdio lock so lines never interleave. */
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

void
masa_log_request(const struct masa_log_request *r)
{
	/* Callers pass printable ASCII (server.c sanitises the path). */
	json_t *o = json_object();

	if (o == NULL)
		return;
	json_object_set_new(o, "rid", json_string(r->rid));
	json_object_set_new(o, "listener", json_string(r->listener));
	json_object_set_new(o, "method", json_string(r->method));
	json_object_set_new(o, "path", json_string(r->path));
	json_object_set_new(o, "peer", json_string(r->peer));
	json_object_set_new(o, "status", json_integer(r->status));
	json_object_set_new(o, "ms", json_real(r->ms));
	if (r->argon2)
		json_object_set_new(o, "argon2", json_true());
	emit(o);
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
