/*
 * bindprobe.h: why a TCP listener cannot bind, found out before
 * libmicrohttpd tries (it reports only "Failed to bind to port N", with
 * no cause the operator can act on).
 */
#ifndef MASA_BINDPROBE_H
#define MASA_BINDPROBE_H

#include "attr.h"
#include "diag.h"
#include "err.h"
#include "netaddr.h"

/* Binds a throwaway socket to addr (a TCP address) as libmicrohttpd will
 * (SO_REUSEADDR; IPv6 only for an IPv6 address) and closes it. MASA_OK if
 * that worked; else MASA_E_IO and one sentence naming the address and the
 * cause (in use, not an address of this host, not permitted). */
MASA_NODISCARD enum masa_err masa_bind_probe(const struct masa_netaddr *addr,
    struct masa_diag *diag);

#endif
