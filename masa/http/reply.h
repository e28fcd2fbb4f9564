/*
 * reply.h: what a handler hands back, free of any HTTP library type:
 * status, media type, body and a few extra headers. dispatch.c turns it into
 * a libmicrohttpd response; tests inspect it directly.
 */
#ifndef MASA_REPLY_H
#define MASA_REPLY_H

#include "bytes.h"
#include "diag.h"
#include "err.h"
#include "masa_limits.h"

struct masa_reply_header {
	const char *name;	/* static string */
	char value[128];
};

struct masa_reply {
	unsigned status;
	const char *content_type;	/* static string, or content_type_buf */
	char content_type_buf[192];
	struct masa_buf body;
	struct masa_reply_header headers[MASA_REPLY_HEADERS];
	unsigned nheaders;
	struct masa_diag detail;	/* optional: appended to an error's message */
	enum masa_err error;	/* the code of masa_reply_error, else MASA_OK */
};

void masa_reply_init(struct masa_reply *r);
void masa_reply_free(struct masa_reply *r);
/* Replaces the reply with status and a one-line text/plain body. */
MASA_NODISCARD enum masa_err masa_reply_text(struct masa_reply *r, unsigned status, const char *line);
/* Replaces the reply with the status and public message of rc; with a
 * detail set, "<message without its period>: <detail>." */
void masa_reply_error(struct masa_reply *r, enum masa_err rc);
/* Adds a header (value truncated to fit); ignored when the table is full. */
void masa_reply_header(struct masa_reply *r, const char *name, const char *value);

/* Replaces the reply with status and the JSON text of j (not consumed). */
MASA_NODISCARD enum masa_err masa_reply_json(struct masa_reply *r, unsigned status, const void *j);

#endif
