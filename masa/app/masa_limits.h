/*
 * masa_limits.h: every fixed size, depth and count limit of the service in one
 * place. Configurable limits (body cap, connections, timeouts) have their
 * defaults and bounds in config.c; these are the ones that are not.
 */
#ifndef MASA_LIMITS_H
#define MASA_LIMITS_H

#define MASA_PATH_MAX 1024		/* a configured file path */
#define MASA_CONFIG_FILE_MAX (64 * 1024)	/* masa.json */
#define MASA_REGISTRAR_TRIES 4	/* keys of the message's algorithm tried on one RVR */
#define MASA_PROXY_AUDIT_BURST 20	/* proxy.header_refused entries before one a second */
#define MASA_LOG_PATH_MAX 256		/* request path as logged */
#define MASA_DISCARD_MAX (1024 * 1024)	/* body bytes drained past the cap before the connection is dropped */
#define MASA_REPLY_HEADERS 4		/* extra response headers per reply */
#define MASA_TLS_CERT_MAX (16 * 1024)	/* a TLS client certificate, DER */
/* Certificates a TLS client sends after its own (its CA chain), kept as
 * candidates for the registrar's certificate path: at most this many
 * (further ones are not kept), each at most MASA_TLS_CERT_MAX bytes (a
 * larger one and those after it are not kept). Equal to
 * MASA_VREQ_CERTS_MAX, the certificates an RVR's signer may send. */
#define MASA_TLS_CHAIN_MAX 8
#define MASA_PROXY_TRUSTED_MAX 64	/* proxy.trusted entries */
#define MASA_FORWARDED_FOR_MAX 1024	/* X-Forwarded-For value, bytes */
#define MASA_FORWARDED_CERT_MAX (32 * 1024)	/* a forwarded client-certificate header value */
/* Group commit under load (masa_db_gather): wait up to this long for
 * this many changes before a batch begins. */
#define MASA_COMMIT_GATHER_US 1500
#define MASA_COMMIT_GATHER_MIN 48

/* CBOR input (voucher-requests): nesting, items in one message, entries
 * of one array or map. A PVR nested in an RVR is decoded separately with
 * the same limits. */
#define MASA_CBOR_MAX_DEPTH 8
#define MASA_CBOR_MAX_ITEMS 512
#define MASA_CBOR_MAX_ENTRIES 64

/* JSON voucher-requests (CMS, JWS formats): members of the inner object;
 * the arena that holds what their views point at, per body byte (the
 * base64 body, its DER, the content, the PVR and their leaves). */
#define MASA_JSON_MAX_MEMBERS 64
#define MASA_JSON_ARENA_PER_BYTE 6

#define MASA_NONCE_MIN 8		/* YANG: binary, length 8..32 */
#define MASA_NONCE_MAX 32
#define MASA_SERIAL_MAX 128		/* serial-number bytes */
#define MASA_HEADER_MAX 1024		/* Content-Type or Accept value */
#define MASA_ACCEPT_MAX_RANGES 16	/* media ranges in one Accept */

/* The status page (GET /status): audit entries it reads, newest first,
 * for its 48 hours of history; past this it says the history is cut. */
#define MASA_STATUS_AUDIT_MAX 200000

#endif
