/* negotiate.c: see negotiate.h. */
#include "negotiate.h"

#include <string.h>

#include "http/mediatype.h"
#include "masa_limits.h"

/* The voucher and voucher-request types masa reads and writes: the cBRSKI
 * name and its pre-2024 name; RFC 8366's CMS type and the pre-RFC name
 * highway still honours (its smime-type parameter is part of the name
 * masa answers with); the JWS voucher type. name is what Content-Type and
 * Accept are matched against, label what an answer is sent as. */
static const struct {
	const char *name;
	const char *label;
	enum masa_format format;
} request_types[] = {
	{ "application/voucher+cose", "application/voucher+cose", MASA_FORMAT_COSE },
	{ "application/voucher-cose+cbor", "application/voucher-cose+cbor", MASA_FORMAT_COSE },
	{ "application/voucher-cms+json", "application/voucher-cms+json", MASA_FORMAT_CMS },
	{ "application/pkcs7-mime", "application/pkcs7-mime; smime-type=voucher", MASA_FORMAT_CMS },
	{ "application/voucher-jws+json", "application/voucher-jws+json", MASA_FORMAT_JWS },
};
#define NTYPES (sizeof request_types / sizeof request_types[0])

static const char *const multiparts[] = { "multipart/related", "multipart/mixed" };

/* The static label for a known type, or NULL. */
static const char *
known_request_type(const char *name, enum masa_format *format)
{
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		if (strcmp(name, request_types[i].name) == 0) {
			*format = request_types[i].format;
			return request_types[i].label;
		}
	}
	return NULL;
}

/* The name Accept ranges match for an answer's label. */
static const char *
match_name(const char *label)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (request_types[i].label == label)
			return request_types[i].name;
	return label;	/* multipart types */
}

/* The q an Accept list gives the media type name: that of the most
 * specific matching range (exact, then a type wildcard, then the full
 * wildcard), or 0 when none matches (RFC 9110 §12.5.1); *spec says which
 * (2, 1, 0), so that at equal q a specific range can beat the wildcard. */
static unsigned
quality(const struct masa_media_range *r, size_t n, const char *name, int *spec_out)
{
	size_t i, tlen = (size_t)(strchr(name, '/') - name);
	int best = -1, spec;
	unsigned q = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(r[i].name, name) == 0)
			spec = 2;
		else if (strncmp(r[i].name, name, tlen + 1) == 0 && strcmp(r[i].name + tlen + 1, "*") == 0)
			spec = 1;
		else if (strcmp(r[i].name, "*/*") == 0)
			spec = 0;
		else
			continue;
		if (spec > best) {
			best = spec;
			q = r[i].q;
		}
	}
	*spec_out = best;
	return q;
}

/* The request's Content-Type: one masa reads, else MASA_E_MEDIA_TYPE. */
static enum masa_err
request_type(const char *content_type, struct masa_answer *req)
{
	char ctype[MASA_MEDIA_NAME_MAX];
	size_t len;

	if (content_type == NULL || (len = strlen(content_type)) > MASA_HEADER_MAX ||
	    masa_media_type(content_type, len, ctype) != MASA_OK)
		return MASA_E_MEDIA_TYPE;
	req->multipart = NULL;
	req->base64 = 0;
	req->voucher_type = known_request_type(ctype, &req->format);
	req->request_format = req->format;
	return req->voucher_type == NULL ? MASA_E_MEDIA_TYPE : MASA_OK;
}

/* The ranges of an Accept value (n = 0 for none). */
static enum masa_err
accept_ranges(const char *accept, struct masa_media_range *ranges, size_t *n)
{
	size_t len;

	*n = 0;
	if (accept == NULL)
		return MASA_OK;
	len = strlen(accept);
	if (len > MASA_HEADER_MAX ||
	    masa_media_accept(accept, len, ranges, MASA_ACCEPT_MAX_RANGES, n) != MASA_OK)
		return MASA_E_ACCEPT;
	return MASA_OK;
}

enum masa_err
masa_negotiate_json(const char *content_type, const char *accept, enum masa_format *format)
{
	struct masa_media_range ranges[MASA_ACCEPT_MAX_RANGES];
	struct masa_answer req;
	enum masa_err rc = request_type(content_type, &req);
	size_t n, i;

	if (rc == MASA_OK) {
		*format = req.format;
		rc = accept_ranges(accept, ranges, &n);
	}
	if (rc != MASA_OK || n == 0)
		return rc;
	for (i = 0; i < n; i++)
		if (ranges[i].q > 0 && (strcmp(ranges[i].name, "application/json") == 0 ||
		    strcmp(ranges[i].name, "application/*") == 0 || strcmp(ranges[i].name, "*/*") == 0))
			return MASA_OK;
	return MASA_E_NOT_ACCEPTABLE;
}

enum masa_err
masa_negotiate(const char *content_type, const char *accept, struct masa_answer *out)
{
	struct masa_media_range ranges[MASA_ACCEPT_MAX_RANGES];
	struct masa_answer req, best, cand[NTYPES + 3];
	size_t n = 0, i, k = 0;
	unsigned best_q = 0, q;
	int spec, best_spec = -1;
	enum masa_err rc = request_type(content_type, &req);

	if (rc == MASA_OK)
		rc = accept_ranges(accept, ranges, &n);
	if (rc != MASA_OK)
		return rc;
	if (n == 0) {
		*out = req;	/* no Accept, or an empty one, says nothing */
		return MASA_OK;
	}
	/* The answers masa can give, the request's own form first (it wins
	 * ties): the same format under another name, another format (RFC
	 * 8995 §5.5: the MASA is expected to be flexible), or multipart. */
	cand[k++] = req;
	for (i = 0; i < 2 * NTYPES; i++) {
		if ((request_types[i % NTYPES].format == req.format) == (i < NTYPES) &&
		    request_types[i % NTYPES].label != req.voucher_type) {
			cand[k] = req;
			cand[k].format = request_types[i % NTYPES].format;
			cand[k++].voucher_type = request_types[i % NTYPES].label;
		}
	}
	for (i = 0; i < sizeof multiparts / sizeof multiparts[0]; i++) {
		cand[k] = req;
		cand[k++].multipart = multiparts[i];
	}
	/* Higher q wins; at equal q the answer named by a more specific range
	 * (product.md §3.1: "at equal q a specific range beats" the full
	 * wildcard, so Fountain's Accept of the wildcard and multipart/mixed
	 * "is a multipart answer, as highway gives"); then the order above. */
	for (i = 0; i < k; i++) {
		q = quality(ranges, n, cand[i].multipart ? cand[i].multipart :
		    match_name(cand[i].voucher_type), &spec);
		if (q > best_q || (q == best_q && q > 0 && spec > best_spec)) {
			best = cand[i];
			best_q = q;
			best_spec = spec;
		}
	}
	if (best_q == 0)
		return MASA_E_NOT_ACCEPTABLE;
	*out = best;
	return MASA_OK;
}
