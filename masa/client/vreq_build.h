/*
 * vreq_build.h: building signed voucher-requests, as a pledge and as a
 * registrar (the client and demo): SID-delta keys under 2501 in ascending
 * order, COSE_Sign1 with tag 18 signed by the given key.
 */
#ifndef MASA_VREQ_BUILD_H
#define MASA_VREQ_BUILD_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/signer.h"
#include "err.h"

/* PVR {2501: {1: 2 (proximity), 7: nonce, 12: registrar SPKI, 13: serial}}. */
MASA_NODISCARD enum masa_err masa_vreq_build_pvr(struct masa_signer *pledge, struct masa_bytes serial,
    struct masa_bytes nonce, struct masa_bytes registrar_spki, struct masa_buf *out);
/* RVR {2501: {1: 2, 2: created-on, 7: nonce, 9: pvr, 13: serial}}; an empty
 * nonce or pvr is left out (nonceless); cert, if not empty, goes in the
 * unprotected x5bag. */
MASA_NODISCARD enum masa_err masa_vreq_build_rvr(struct masa_signer *registrar,
    struct masa_bytes serial, struct masa_bytes nonce, struct masa_bytes pvr, int64_t created_ms,
    struct masa_bytes cert, struct masa_buf *out);

#endif
