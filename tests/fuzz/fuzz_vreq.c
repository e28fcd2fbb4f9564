/*
 * fuzz_vreq.c: libFuzzer target for the voucher-request path up to the
 * store: CBOR reader, COSE_Sign1 decode, voucher-request payload decode of
 * the RVR and its nested PVR, and registrar identification (which runs
 * COSE verification with every candidate key). Built with clang and
 * -fsanitize=fuzzer when MASA_FUZZ is on; otherwise linked with
 * replay_main.c so ctest replays the corpus on every build.
 */
#include <stddef.h>
#include <stdint.h>

#include "cose_codec.h"
#include "registrar.h"
#include "vreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct masa_bytes in = { data, size };
	struct masa_vreq_raw v;
	struct masa_registrar reg;

	if (masa_vreq_decode(&masa_codec_cose, in, &v) != MASA_OK)
		return 0;
	if (masa_vreq_find_registrar(&v, (struct masa_bytes){ NULL, 0 }, &reg) == MASA_OK)
		masa_registrar_free(&reg);
	return 0;
}
