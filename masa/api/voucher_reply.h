/* voucher_reply.h: the body of a successful voucher response: the voucher
 * alone under its media type, or a multipart body (RFC 2387) whose parts
 * are (1) the voucher, (2) the MASA key in the form of the voucher's
 * format (its codec's key part: application/cose-key for COSE), (3) the
 * MASA certificate as application/pkix-cert. */
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
