/* http_client.h: one HTTPS POST for `masa client` and `masa demo`
 * (libcurl): the server verified against a CA file or the system store
 * (unverified only when asked), an optional TLS client certificate, the
 * answer's status, Content-Type and body (bounded). */
#ifndef MASA_HTTP_CLIENT_H
#define MASA_HTTP_CLIENT_H

#include "attr.h"
#include "bytes.h"
#include "diag.h"
#include "err.h"

struct masa_http_request {
	const char *url;
	const char *content_type;
	const char *accept;		/* NULL: no Accept header */
	struct masa_bytes body;
	const char *ca_file;		/* NULL: the system store */
	int insecure;			/* do not verify the server */
	const char *client_cert;	/* PEM files, or NULL */
	const char *client_key;
};

struct masa_http_answer {
	long status;
	char content_type[256];
	struct masa_buf body;		/* caller frees */
};

MASA_NODISCARD enum masa_err masa_http_post(const struct masa_http_request *rq,
    struct masa_http_answer *out, struct masa_diag *diag);

/* GET url/healthz with a short timeout, the server verified against
 * ca_file: MASA_OK if it answers 200, else diag says what went wrong. */
MASA_NODISCARD enum masa_err masa_http_healthz(const char *url, const char *ca_file,
    struct masa_diag *diag);

#endif
