/*
 * fuzz_cose.c: libFuzzer target for COSE_Sign1: decode with the
 * voucher-request limits, then verify with two fixed keys (the published
 * cBRSKI pledge and registrar keys, so the vectors verify and mutations of
 * them reach every refusal of the verifier).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "cose/cose_sign1.h"
#include "fuzz_keys.h"
#include "masa_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct masa_cbor_limits limits = {
	MASA_CBOR_MAX_DEPTH, MASA_CBOR_MAX_ITEMS, MASA_CBOR_MAX_ENTRIES
};

static EVP_PKEY *keys[2];

static void
free_keys(void)
{
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

static void
load_keys(void)
{
	const unsigned char *p;

	if (keys[0] != NULL)
		return;
	p = fuzz_pledge_spki;
	keys[0] = d2i_PUBKEY(NULL, &p, (long)sizeof fuzz_pledge_spki);
	p = fuzz_registrar_spki;
	keys[1] = d2i_PUBKEY(NULL, &p, (long)sizeof fuzz_registrar_spki);
	if (keys[0] == NULL || keys[1] == NULL)
		abort();
	atexit(free_keys);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct masa_cose_sign1 m;
	enum masa_err rc;
	size_t i;

	load_keys();
	if (masa_cose_sign1_decode((struct masa_bytes){ data, size }, &limits, &m) != MASA_OK)
		return 0;
	if (m.ncerts > MASA_COSE_MAX_CERTS)
		abort();
	for (i = 0; i < 2; i++) {
		rc = masa_cose_sign1_verify(&m, keys[i]);
		if (rc != MASA_OK && rc != MASA_E_ALG && rc != MASA_E_SIGNATURE)
			abort();	/* outside the documented results */
	}
	return 0;
}
