/* voucher_reply.c: see voucher_reply.h. */
#include "voucher_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "encode.h"

/* Appends "--B\r\nContent-Type: T\r\n\r\n<data>\r\n". */
static enum masa_err
part(struct masa_buf *b, const char *boundary, const char *type, struct masa_bytes data)
{
	char head[160];
	int n = snprintf(head, sizeof head, "--%s\r\nContent-Type: %s\r\n\r\n", boundary, type);
	enum masa_err rc = masa_buf_append(b, head, (size_t)n);

	if (rc == MASA_OK)
		rc = masa_buf_append(b, data.ptr, data.len);
	if (rc == MASA_OK)
		rc = masa_buf_append(b, "\r\n", 2);
	return rc;
}

/* The voucher as base64 text (answer->base64). */
static enum masa_err
base64_body(struct masa_reply *reply, const char *type, struct masa_bytes voucher)
{
	char *t = malloc(MASA_B64_LEN(voucher.len) + 1);
	enum masa_err rc = MASA_E_NOMEM;

	reply->content_type = type;
	if (t != NULL)
		rc = masa_buf_append(&reply->body, t, masa_b64(voucher.ptr, voucher.len, t));
	free(t);
	return rc;
}

enum masa_err
masa_voucher_reply(const struct masa_app *app, const struct masa_codec *codec,
    const struct masa_answer *answer, struct masa_bytes voucher, struct masa_reply *reply)
{
	const char *key_type = NULL;
	struct masa_bytes key = { NULL, 0 };
	uint8_t rnd[16];
	char boundary[2 * sizeof rnd + 1], end[64];
	enum masa_err rc;
	int n;

	reply->status = 200;
	if (answer->multipart == NULL && answer->base64)
		return base64_body(reply, answer->voucher_type, voucher);
	if (answer->multipart == NULL) {
		reply->content_type = answer->voucher_type;
		return masa_buf_append(&reply->body, voucher.ptr, voucher.len);
	}
	/* Random, so it cannot occur in the parts by accident or design. */
	rc = masa_rand_bytes(rnd, sizeof rnd);
	if (rc != MASA_OK)
		return rc;
	masa_hex(rnd, sizeof rnd, boundary);
	snprintf(reply->content_type_buf, sizeof reply->content_type_buf,
	    "%s; type=\"%s\"; boundary=%s", answer->multipart, answer->voucher_type, boundary);
	reply->content_type = reply->content_type_buf;
	rc = part(&reply->body, boundary, answer->voucher_type, voucher);
	codec->key_part(app, &key_type, &key);
	if (rc == MASA_OK && key_type != NULL)
		rc = part(&reply->body, boundary, key_type, key);
	if (rc == MASA_OK && app->masa_cert.len > 0)
		rc = part(&reply->body, boundary, "application/pkix-cert", app->masa_cert);
	n = snprintf(end, sizeof end, "--%s--\r\n", boundary);
	if (rc == MASA_OK)
		rc = masa_buf_append(&reply->body, end, (size_t)n);
	return rc;
}
