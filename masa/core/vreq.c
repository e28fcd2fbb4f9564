/* vreq.c: see vreq.h. */
#include "vreq.h"

#include <stdlib.h>

#include "format.h"
#include "masa_limits.h"
#include "utf8.h"

int
masa_serial_ok(const uint8_t *s, size_t n)
{
	size_t i;

	if (n == 0 || n > MASA_SERIAL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return masa_utf8_ok(s, n);
}

enum masa_err
masa_vreq_decode(const struct masa_codec *codec, struct masa_bytes body,
    struct masa_vreq_raw *out)
{
	enum masa_err rc = codec->decode(body, out);

	if (rc == MASA_OK)
		out->codec = codec;
	return rc;
}

void
masa_vreq_release(struct masa_vreq_raw *v)
{
	if (v != NULL) {
		free(v->owned);
		v->owned = NULL;
	}
}
