/*
 * err.h: the one error enum shared by every module.
 *
 * Codes are grouped in ranges so that classification is a comparison, and
 * they are never renumbered: a retired code keeps its number as a
 * placeholder. masa/errors.c maps each code to a name, an HTTP status and a
 * one-sentence public message; tests/unit/test_errors.c pins the numbers.
 */
#ifndef MASA_ERR_H
#define MASA_ERR_H

enum masa_err {
	MASA_OK = 0,

	/* 1..99: resources, store, crypto library (HTTP 500/503) */
	MASA_E_INTERNAL = 1,
	MASA_E_NOMEM = 2,
	MASA_E_IO = 3,
	MASA_E_STORE = 4,
	MASA_E_STORE_BUSY = 5,
	MASA_E_CRYPTO = 6,
	MASA_E_KEY_UNAVAILABLE = 7,
	MASA_E_SHUTTING_DOWN = 8,	/* a request arriving while serve stops */
	MASA_E_KEY_RETIRED = 18,	/* the device's own signing key is retired (keys.h) */

	/* 100..199: transport: route, method, size, media type */
	MASA_E_NO_ROUTE = 100,
	MASA_E_METHOD = 101,
	MASA_E_TOO_LARGE = 102,
	MASA_E_MEDIA_TYPE = 103,
	MASA_E_NOT_ACCEPTABLE = 104,
	MASA_E_ACCEPT = 105,
	MASA_E_FRAMING = 106,		/* conflicting Content-Length, or with Transfer-Encoding */
	MASA_E_BODY = 107,		/* a body on a route that takes none */

	/* 200..299: malformed input (400) */
	MASA_E_MALFORMED = 200,
	MASA_E_CBOR = 201,
	MASA_E_CBOR_LIMIT = 202,
	MASA_E_CBOR_TRAILING = 203,
	MASA_E_DUPLICATE_KEY = 204,
	MASA_E_COSE = 205,
	MASA_E_COSE_CRIT = 206,
	MASA_E_VREQ = 207,
	MASA_E_PVR_MALFORMED = 208,
	MASA_E_RECORD = 209,
	MASA_E_JSON = 210,
	MASA_E_PROXY_HEADER = 211,	/* forwarded identity headers from an untrusted peer */
	MASA_E_FORWARDED = 212,		/* from a trusted proxy, but malformed or ambiguous */
	MASA_E_CMS = 220,		/* not CMS SignedData as a voucher-request must be */
	MASA_E_CMS_CONTENT_TYPE = 221,	/* eContentType not id-ct-animaJSONVoucher or id-data */
	MASA_E_CMS_SIGNER = 222,	/* the RVR's signer is not among its certificates */
	MASA_E_JWS = 223,		/* not General JWS JSON Serialization */

	/* 300..399: verification failures (403) */
	MASA_E_SIGNATURE = 300,
	MASA_E_ALG = 301,
	MASA_E_REGISTRAR_KEYS_DISAGREE = 302,
	MASA_E_NO_REGISTRAR_KEY = 303,
	MASA_E_PVR_SIGNATURE = 304,
	MASA_E_SERIAL_MISMATCH = 305,
	MASA_E_PROXIMITY = 306,
	MASA_E_NONCE_MISMATCH = 307,
	MASA_E_STALE = 308,
	MASA_E_PVR_MISSING = 309,
	MASA_E_NOT_RA = 310,
	MASA_E_CERT_VALIDITY = 320,	/* a registrar certificate of the path not valid now */

	/* 400..499: policy outcomes */
	MASA_E_UNKNOWN_DEVICE = 400,
	MASA_E_BLOCKED = 401,
	MASA_E_PINNED_ELSEWHERE = 402,
	MASA_E_NOT_OWNER = 403,
	MASA_E_RATE_LIMITED = 404,
	MASA_E_NONCELESS = 405,
	MASA_E_NET_PINNED = 406,
	MASA_E_UNAUTHENTICATED = 410,
	MASA_E_FORBIDDEN = 411,
	MASA_E_THROTTLED = 412,
	MASA_E_CONFLICT = 413,
	/* 420..429: the pledge's identity and renewals (issue 15) */
	MASA_E_IDEVID_ISSUER = 420,	/* answered as MASA_E_UNKNOWN_DEVICE */
	MASA_E_RENEWAL_NOT_OURS = 421,
	MASA_E_RENEWAL_SERIAL = 422,
	MASA_E_RENEWAL_REGISTRAR = 423,
	MASA_E_RENEWAL_RELEASED = 424,
	/* 430..439: a voucher the device's product cannot take (406) */
	MASA_E_PLEDGE_FORMAT = 430,
	MASA_E_PLEDGE_KEY_TYPE = 431,
	MASA_E_PLEDGE_CA_PIN = 432,
	MASA_E_PLEDGE_NONCELESS = 433,

	/* 500..599: local problems of the command line, configuration, key
	 * files and database settings. Never sent over HTTP. */
	MASA_E_USAGE = 500,
	MASA_E_CONFIG = 501,
	MASA_E_FILE_PERM = 502,
	MASA_E_EXISTS = 503,
	MASA_E_KEY = 504,
	MASA_E_STORE_SETTINGS = 505,
	MASA_E_SCHEMA = 506,
	MASA_E_NOT_FOUND = 507,
};

#endif
