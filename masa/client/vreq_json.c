/* vreq_json.c: voucher-requests in the JSON formats (vreq_build.h). */
#include "vreq_build.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "encode.h"
#include "json_codec.h"
#include "timeutil.h"

/* Sets o[key] to base64 of b (RFC 7951 binary); -1 on failure. */
static int
put_b64(json_t *o, const char *key, struct masa_bytes b)
{
	char *t = malloc(MASA_B64_LEN(b.len) + 1);
	int r = -1;

	if (t != NULL) {
		masa_b64(b.ptr, b.len, t);
		r = json_object_set_new(o, key, json_string(t));
	}
	free(t);
	return r;
}

enum masa_err
masa_vreq_build_json(enum masa_format format, struct masa_signer *s, const struct masa_json_vreq *v,
    struct masa_bytes cert, struct masa_buf *out)
{
	char created[MASA_RFC3339_LEN];
	json_t *top = json_object(), *in = json_object();
	enum masa_err rc = MASA_E_NOMEM;
	char *text = NULL;
	int bad = top == NULL || in == NULL || json_object_set(top, "ietf-voucher-request:voucher", in);

	masa_rfc3339_s(v->created_ms, created);
	if (v->pvr_of.len > 0 || v->prox_spki.len > 0)	/* a PVR asks for proximity */
		bad = bad || json_object_set_new(in, "assertion", json_string("proximity"));
	bad = bad || json_object_set_new(in, "created-on", json_string(created));
	if (v->nonce.len > 0)
		bad = bad || put_b64(in, "nonce", v->nonce);
	if (v->prox_spki.len > 0)
		bad = bad || put_b64(in, "proximity-registrar-pubk", v->prox_spki);
	if (v->pvr_of.len > 0)
		bad = bad || put_b64(in, "prior-signed-voucher-request", v->pvr_of);
	bad = bad || json_object_set_new(in, "serial-number",
	    json_stringn((const char *)v->serial.ptr, v->serial.len));
	if (bad || (text = json_dumps(top, JSON_COMPACT)) == NULL)
		goto done;
	if (format == MASA_FORMAT_CMS)
		rc = masa_signer_cms_sign(s, (struct masa_bytes){ (const uint8_t *)text, strlen(text) },
		    MASA_OID_ANIMA_JSON_VOUCHER, &cert, cert.len > 0 ? 1 : 0, out);
	else
		rc = masa_jws_sign(s, (struct masa_bytes){ (const uint8_t *)text, strlen(text) }, &cert,
		    cert.len > 0 ? 1 : 0, out);
done:
	free(text);
	json_decref(in);
	json_decref(top);
	return rc;
}
