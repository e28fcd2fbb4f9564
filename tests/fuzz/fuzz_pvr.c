/*
 * fuzz_pvr.c: libFuzzer target for the whole voucher-request check short
 * of the store: decode, registrar identification, and the PVR's
 * verification against a fixed enrolled pledge key (the published cBRSKI
 * pledge key), as if the key lookup had found it, so that a PVR signed by
 * that key reaches the serial, proximity and nonce checks; or, for a
 * renewal (an earlier voucher in its place), the check of that voucher
 * against a fixed MASA key (the published cBRSKI MASA CA key).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cose_codec.h"
#include "fuzz_keys.h"
#include "registrar.h"
#include "renewal.h"
#include "vreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct masa_bytes pledge = { fuzz_pledge_spki, sizeof fuzz_pledge_spki };
	struct masa_bytes in = { data, size };
	struct masa_vreq_raw v;
	struct masa_registrar reg;
	const struct masa_vreq_raw *decoded;
	const struct masa_registrar *found;
	enum masa_err rc;

	if (masa_vreq_accept(&masa_codec_cose, in, NULL, &v, &reg,
	    &decoded, &found) != MASA_OK)
		return 0;	/* reg is only set (and owned) on success */
	if (v.has_pvr) {
		rc = masa_vreq_verify_pvr(&v, pledge, &reg);
		if (getenv("MASA_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_pvr: PVR check %d\n", (int)rc);
		if (rc != MASA_OK && rc != MASA_E_PVR_SIGNATURE && rc != MASA_E_ALG &&
		    rc != MASA_E_SERIAL_MISMATCH && rc != MASA_E_PROXIMITY &&
		    rc != MASA_E_NONCE_MISMATCH)
			abort();	/* outside the documented results */
	}
	if (v.prior_is_voucher) {
		rc = masa_renewal_check(&v, &reg,
		    (struct masa_bytes){ fuzz_masa_spki, sizeof fuzz_masa_spki });
		if (getenv("MASA_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_pvr: renewal check %d\n", (int)rc);
		if (rc != MASA_OK && rc != MASA_E_RENEWAL_NOT_OURS && rc != MASA_E_RENEWAL_SERIAL &&
		    rc != MASA_E_RENEWAL_REGISTRAR)
			abort();	/* outside the documented results */
	}
	masa_registrar_free(&reg);
	return 0;
}
