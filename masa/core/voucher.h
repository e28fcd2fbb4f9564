/*
 * voucher.h: the terms of a voucher, whatever its format: what the MASA
 * asserts, for which serial, when, with which nonce or expiry, pinning
 * which registrar key or certificate. A codec (format.h) turns them into
 * a signed voucher.
 */
#ifndef MASA_VOUCHER_H
#define MASA_VOUCHER_H

#include <stdint.h>

#include "bytes.h"

struct masa_voucher_in {
	int assertion;			/* MASA_ASSERT_* */
	int64_t created_ms;
	int64_t expires_ms;		/* 0: no expires-on (nonced vouchers) */
	struct masa_bytes nonce;	/* empty for a nonceless voucher */
	struct masa_bytes serial;	/* text */
	struct masa_bytes pin;		/* DER SPKI, or DER certificate with pin_cert */
	int pin_cert;			/* pinned-domain-cert instead of -pubk */
};

#endif
