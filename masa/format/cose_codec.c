/* cose_codec.c: the COSE codec's table (cose_codec.h): decoding in
 * cose_vreq.c, the voucher in cose_voucher.c. */
#include "cose_codec.h"

#include <string.h>

#include "app.h"
#include "cose/cose_sign1.h"

/* masa_codec_cose.verify: the COSE_Sign1 that cose_vreq.c decoded. */
static enum masa_err
cose_verify(const struct masa_vreq_raw *v, int pvr, EVP_PKEY *key)
{
	struct masa_cose_sign1 m;

	memcpy(&m, pvr ? v->pvr.priv : v->rvr.priv, sizeof m);
	return masa_cose_sign1_verify(&m, key);
}

/* masa_codec_cose.key_part: the COSE_Key (kid: SHA-256 of its SPKI). */
static void
cose_key_part(const struct masa_app *app, const char **type, struct masa_bytes *data)
{
	*type = "application/cose-key";
	*data = app->masa_cose_key;
}

const struct masa_codec masa_codec_cose = {
	.format = MASA_FORMAT_COSE,
	.name = "cose",
	.decode = masa_cose_vreq_decode,
	.verify = cose_verify,
	.sign = masa_cose_voucher_sign,
	.key_part = cose_key_part,
};
