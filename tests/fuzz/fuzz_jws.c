/*
 * fuzz_jws.c: libFuzzer target for JWS voucher-requests (General JWS JSON
 * Serialization): the JSON, base64url, the protected header (alg, x5c,
 * crit), the JSON leaves of the RVR and its nested JWS PVR, and registrar
 * identification with JWS verification (fuzz_codec.h).
 */
#include "fuzz_codec.h"
#include "json_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_codec(&masa_codec_jws, data, size);
}
