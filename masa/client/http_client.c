/* http_client.c: see http_client.h. */
#include "http_client.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#define ANSWER_MAX (16 * 1024 * 1024)

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct masa_buf *b = arg;

	return masa_buf_append(b, data, size * n) == MASA_OK ? size * n : 0;
}

enum masa_err
masa_http_post(const struct masa_http_request *rq, struct masa_http_answer *out,
    struct masa_diag *diag)
{
	struct curl_slist *headers = NULL;
	struct masa_http_answer a;
	char line[320];
	const char *ct = NULL;
	enum masa_err rc = MASA_E_IO;
	CURLcode cc;
	CURL *c;

	memset(&a, 0, sizeof a);
	masa_buf_init(&a.body, ANSWER_MAX);
	c = curl_easy_init();
	if (c == NULL)
		return MASA_E_NOMEM;
	snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
	headers = curl_slist_append(headers, line);
	if (rq->accept != NULL) {
		snprintf(line, sizeof line, "Accept: %s", rq->accept);
		headers = curl_slist_append(headers, line);
	} else {
		headers = curl_slist_append(headers, "Accept:");	/* none at all */
	}
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)rq->body.ptr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body.len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (rq->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, rq->ca_file);
	if (rq->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (rq->client_cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, rq->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, rq->client_key);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_PEER_FAILED_VERIFICATION) {
		masa_diag_set(diag, "cannot POST to %s: the server's certificate is not trusted (%s); "
		    "give its CA certificate with --ca FILE (for a masa instance, its tls.crt)",
		    rq->url, curl_easy_strerror(cc));
		goto done;
	}
	if (cc != CURLE_OK) {
		masa_diag_set(diag, "cannot POST to %s: %s", rq->url, curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(a.content_type, sizeof a.content_type, "%s", ct ? ct : "");
	*out = a;
	masa_buf_init(&a.body, 0);
	rc = MASA_OK;
done:
	masa_buf_free(&a.body);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return rc;
}

/* Throws an answer's body away. */
static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

enum masa_err
masa_http_healthz(const char *url, const char *ca_file, struct masa_diag *diag)
{
	char target[512];
	long status = 0;
	CURLcode cc;
	CURL *c = curl_easy_init();

	if (c == NULL)
		return MASA_E_NOMEM;
	snprintf(target, sizeof target, "%s/healthz", url);
	curl_easy_setopt(c, CURLOPT_URL, target);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK)
		masa_diag_set(diag, "no masa serve answers at %s (%s); start masa serve with this "
		    "config first", url, curl_easy_strerror(cc));
	else if (status != 200)
		masa_diag_set(diag, "%s/healthz answered %ld, not 200; is this the masa serve of this "
		    "config?", url, status);
	return cc == CURLE_OK && status == 200 ? MASA_OK : MASA_E_IO;
}
