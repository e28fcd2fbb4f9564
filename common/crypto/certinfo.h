/* certinfo.h: what an operator is shown of a certificate: its subject and
 * validity (the status page, the expiry gauge of /metrics). */
#ifndef MASA_CERTINFO_H
#define MASA_CERTINFO_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"

struct masa_cert_info {
	int64_t not_before_s, not_after_s;	/* seconds since the epoch, UTC */
	char subject[160];			/* RFC 2253 one line, cut to fit */
};

/* Of a DER certificate. MASA_E_MALFORMED. */
MASA_NODISCARD enum masa_err masa_cert_info_der(struct masa_bytes der,
    struct masa_cert_info *out);
/* Of the first certificate in a PEM file (a public file: no owner check;
 * at most 1 MiB read). MASA_E_IO, MASA_E_MALFORMED. */
MASA_NODISCARD enum masa_err masa_cert_info_pem_file(const char *path,
    struct masa_cert_info *out);

#endif
