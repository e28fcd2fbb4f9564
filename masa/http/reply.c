/* reply.c: see reply.h. */
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"

#define REPLY_BODY_MAX (64 * 1024 * 1024)	/* an audit page or device list */

void
masa_reply_init(struct masa_reply *r)
{
	memset(r, 0, sizeof *r);
	masa_buf_init(&r->body, REPLY_BODY_MAX);
}

void
masa_reply_free(struct masa_reply *r)
{
	masa_buf_free(&r->body);
}

enum masa_err
masa_reply_text(struct masa_reply *r, unsigned status, const char *line)
{
	enum masa_err rc;

	masa_buf_free(&r->body);
	masa_buf_init(&r->body, REPLY_BODY_MAX);
	r->status = status;
	r->content_type = "text/plain; charset=utf-8";
	rc = masa_buf_append(&r->body, line, strlen(line));
	if (rc == MASA_OK)
		rc = masa_buf_append(&r->body, "\n", 1);
	return rc;
}

void
masa_reply_error(struct masa_reply *r, enum masa_err rc)
{
	const char *msg = masa_err_message(rc);
	char line[1024];	/* a table message and a diag, whole */
	size_t n = strlen(msg);

	r->error = rc;
	if (r->detail.msg[0] != '\0') {
		if (n > 0 && msg[n - 1] == '.')
			n--;
		snprintf(line, sizeof line, "%.*s: %s.", (int)n, msg, r->detail.msg);
		msg = line;
	}
	/* On allocation failure the status stands and the body stays empty. */
	if (masa_reply_text(r, masa_err_status(rc), msg) != MASA_OK)
		r->status = masa_err_status(rc);
}

enum masa_err
masa_reply_json(struct masa_reply *r, unsigned status, const void *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	enum masa_err rc;

	if (text == NULL)
		return MASA_E_NOMEM;
	masa_buf_free(&r->body);
	masa_buf_init(&r->body, REPLY_BODY_MAX);
	r->status = status;
	r->content_type = "application/json";
	rc = masa_buf_append(&r->body, text, strlen(text));
	if (rc == MASA_OK)
		rc = masa_buf_append(&r->body, "\n", 1);
	free(text);
	return rc;
}

void
masa_reply_header(struct masa_reply *r, const char *name, const char *value)
{
	struct masa_reply_header *h;

	if (r->nheaders >= MASA_REPLY_HEADERS)
		return;
	h = &r->headers[r->nheaders++];
	h->name = name;
	snprintf(h->value, sizeof h->value, "%s", value);
}
