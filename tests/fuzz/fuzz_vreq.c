/*
 * fuzz_vreq.c: libFuzzer target for the voucher-request path up to the
 * store: CBOR reader, COSE_Sign1 decode, voucher-request payload decode of
 * the RVR and its nested PVR, and registrar identification (which runs
 * COSE verification with every candidate key). Built with clang and
 * -fsanitize=fuzzer when MASA_FUZZ is on; otherwise linked with
 * replay_main.c so ctest replays the corpus on every build.
 */
#include "cose_codec.h"
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_codec(&masa_codec_cose, data, size);
}
