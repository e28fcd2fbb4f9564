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

/* 1 after an input whose registrar was identified (its signature
 * verified), else 0: replay_main.c checks the seeds that must get that far
 * (corpus/NAME.accept), so a decoder that refused everything would fail
 * the replay instead of passing it. One definition per target binary. */
int fuzz_registrar_found;

static inline int
fuzz_codec(const struct masa_codec *codec, const uint8_t *data, size_t size)
{
	struct masa_bytes in = { data, size };
	struct masa_vreq_raw v;
	struct masa_registrar reg;

	fuzz_registrar_found = 0;
	if (masa_vreq_decode(codec, in, &v) != MASA_OK)
		return 0;
	if (masa_vreq_find_registrar(&v, (struct masa_bytes){ NULL, 0 }, &reg) == MASA_OK) {
		fuzz_registrar_found = 1;
		masa_registrar_free(&reg);
	}
	masa_vreq_release(&v);
	return 0;
}

#endif
