/*
 * fuzz_cms.c: libFuzzer target for CMS voucher-requests (RFC 8995): the
 * base64 text or DER body, OpenSSL's CMS parse, eContentType and signer
 * checks, the JSON leaves (jansson) of the RVR and its nested CMS PVR, and
 * registrar identification with CMS verification (fuzz_codec.h).
 */
#include "fuzz_codec.h"
#include "json_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_codec(&masa_codec_cms, data, size);
}
