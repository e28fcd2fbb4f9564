/*
 * fuzz_codec.h: the body of the voucher-request targets, one per codec
 * (fuzz_vreq.c COSE, fuzz_cms.c, fuzz_jws.c): decode the RVR and its
 * nested PVR, then identify the registrar (which runs the codec's
 * verification with every candidate key), then release.
 */
#ifndef FUZZ_CODEC_H
#define FUZZ_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "registrar.h"
#include "vreq.h"

static inline int
fuzz_codec(const struct masa_codec *codec, const uint8_t *data, size_t size)
{
	struct masa_bytes in = { data, size };
	struct masa_vreq_raw v;
	struct masa_registrar reg;

	if (masa_vreq_decode(codec, in, &v) != MASA_OK)
		return 0;
	if (masa_vreq_find_registrar(&v, (struct masa_bytes){ NULL, 0 }, &reg) == MASA_OK)
		masa_registrar_free(&reg);
	masa_vreq_release(&v);
	return 0;
}

#endif
