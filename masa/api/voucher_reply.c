/* voucher_reply.c: see voucher_reply.h. */
#include "voucher_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "encode.h"

#define CERTS_ONLY "application/pkcs7-mime; smime-type=certs-only"

/* Appends "--B\r\nContent-Type: T\r\n\r\n" (a part's head, as highway's
 * multipart_body gem writes it: no other header). */
static enum masa_err
part_head(struct masa_buf *b, const char *boundary, const char *type)
{
	char head[160];
	int n = snprintf(head, sizeof head, "--%s\r\nContent-Type: %s\r\n\r\n", boundary, type);

	return masa_buf_append(b, head, (size_t)n);
}

/* Appends "--B\r\nContent-Type: T\r\n\r\n<data>\r\n". */
static enum masa_err
part(struct masa_buf *b, const char *boundary, const char *type, struct masa_bytes data)
{
	enum masa_err rc = part_head(b, boundary, type);

	if (rc == MASA_OK)
		rc = masa_buf_append(b, data.ptr, data.len);
	if (rc == MASA_OK)
		rc = masa_buf_append(b, "\r\n", 2);
	return rc;
}

/* Appends DER certificate der as PEM (RFC 7468: 64-character lines, LF
 * line ends, as Ruby's Certificate#to_pem writes it). */
static enum masa_err
append_pem(struct masa_buf *b, struct masa_bytes der)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
	static const char end[] = "-----END CERTIFICATE-----\n";
	char line[65];
	size_t off, n, len;
	enum masa_err rc = masa_buf_append(b, begin, sizeof begin - 1);

	/* 48 bytes make one 64-character line. */
	for (off = 0; rc == MASA_OK && off < der.len; off += n) {
		n = der.len - off < 48 ? der.len - off : 48;
		len = masa_b64(der.ptr + off, n, line);
		line[len] = '\n';
		rc = masa_buf_append(b, line, len + 1);
	}
	if (rc == MASA_OK)
		rc = masa_buf_append(b, end, sizeof end - 1);
	return rc;
}

/* The certs-only part of multipart/mixed: the voucher-signing chain as
 * PEM, the key's own certificate first. highway writes its signing
 * certificate there as PEM (AnimaGUS-minerva/highway,
 * app/controllers/est_controller.rb), and Fountain reads the key from the
 * first certificate of that part (app/models/voucher.rb from_parts, then
 * ChariWTs' OpenSSL::X509::Certificate.new, which reads the first PEM). */
static enum masa_err
chain_part(const struct masa_app *app, struct masa_buf *b, const char *boundary)
{
	const struct masa_bytes *chain = &app->masa_cert;
	size_t i, n = 1;
	enum masa_err rc;

	if (app->signer != NULL) {
		chain = masa_signer_chain(app->signer, &n);
		if (n == 0) {
			chain = &app->masa_cert;
			n = 1;
		}
	}
	rc = part_head(b, boundary, CERTS_ONLY);
	for (i = 0; rc == MASA_OK && i < n; i++)
		rc = append_pem(b, chain[i]);
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
	int mixed, n;
	enum masa_err rc;

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
	mixed = strcmp(answer->multipart, "multipart/mixed") == 0;
	/* "every multipart answer starts its parameters with boundary="
	 * (product.md §3.1): Fountain reads only the first parameter. */
	if (mixed)
		snprintf(reply->content_type_buf, sizeof reply->content_type_buf,
		    "%s; boundary=%s", answer->multipart, boundary);
	else
		snprintf(reply->content_type_buf, sizeof reply->content_type_buf,
		    "%s; boundary=%s; type=\"%s\"", answer->multipart, boundary,
		    answer->voucher_type);
	reply->content_type = reply->content_type_buf;
	rc = part(&reply->body, boundary, answer->voucher_type, voucher);
	if (rc == MASA_OK && mixed && (app->masa_cert.len > 0 || app->signer != NULL))
		rc = chain_part(app, &reply->body, boundary);
	codec->key_part(app, &key_type, &key);
	if (rc == MASA_OK && key_type != NULL)
		rc = part(&reply->body, boundary, key_type, key);
	if (rc == MASA_OK && !mixed && app->masa_cert.len > 0)
		rc = part(&reply->body, boundary, "application/pkix-cert", app->masa_cert);
	n = snprintf(end, sizeof end, "--%s--\r\n", boundary);
	if (rc == MASA_OK)
		rc = masa_buf_append(&reply->body, end, (size_t)n);
	return rc;
}
