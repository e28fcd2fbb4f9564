/* voucher_reply.h: the body of a successful voucher response: the voucher
 * alone under its media type, or a multipart body whose Content-Type
 * "starts its parameters with boundary=" (product.md §3.1).
 * multipart/mixed is "highway's layout, which Fountain reads": (1) the
 * voucher, (2) "the signing certificate chain (PEM) as
 * application/pkcs7-mime; smime-type=certs-only", (3) the MASA key in the
 * form of the voucher's format (its codec's key part:
 * application/cose-key for COSE). multipart/related (RFC 2387, with
 * type=): (1) the voucher, (2) the key part, (3) the MASA certificate as
 * application/pkix-cert (DER). */
#ifndef MASA_VOUCHER_REPLY_H
#define MASA_VOUCHER_REPLY_H

#include "app.h"
#include "attr.h"
#include "format.h"
#include "negotiate.h"
#include "reply.h"

MASA_NODISCARD enum masa_err masa_voucher_reply(const struct masa_app *app,
    const struct masa_codec *codec, const struct masa_answer *answer, struct masa_bytes voucher,
    struct masa_reply *reply);

#endif
