/* errors.c: the one table from error code to name, status and message.
 * Messages are public: they never carry internal detail. */
#include "errors.h"

#include <stddef.h>

static const struct {
	enum masa_err rc;
	const char *name;
	unsigned status;
	const char *message;
} table[] = {
	{ MASA_OK, "MASA_OK", 200, "OK." },
	{ MASA_E_INTERNAL, "MASA_E_INTERNAL", 500, "Internal error." },
	{ MASA_E_NOMEM, "MASA_E_NOMEM", 503, "The server is out of memory; try again later." },
	{ MASA_E_IO, "MASA_E_IO", 500, "Input/output error." },
	{ MASA_E_STORE, "MASA_E_STORE", 503, "The store is unavailable; try again later." },
	{ MASA_E_STORE_BUSY, "MASA_E_STORE_BUSY", 503, "The store is busy; try again later." },
	{ MASA_E_CRYPTO, "MASA_E_CRYPTO", 500, "Cryptographic operation failed." },
	{ MASA_E_KEY_UNAVAILABLE, "MASA_E_KEY_UNAVAILABLE", 503, "The voucher-signing key is unavailable." },
	{ MASA_E_SHUTTING_DOWN, "MASA_E_SHUTTING_DOWN", 503, "The server is shutting down; try again shortly." },
	{ MASA_E_KEY_RETIRED, "MASA_E_KEY_RETIRED", 503, "The voucher-signing key that this device trusts is retired or not held by this server." },

	{ MASA_E_NO_ROUTE, "MASA_E_NO_ROUTE", 404, "No such resource." },
	{ MASA_E_METHOD, "MASA_E_METHOD", 405, "Method not allowed for this resource." },
	{ MASA_E_TOO_LARGE, "MASA_E_TOO_LARGE", 413, "Request body is larger than the server accepts." },
	{ MASA_E_MEDIA_TYPE, "MASA_E_MEDIA_TYPE", 415, "Unsupported request media type." },
	{ MASA_E_NOT_ACCEPTABLE, "MASA_E_NOT_ACCEPTABLE", 406, "No acceptable response format can be produced." },
	{ MASA_E_ACCEPT, "MASA_E_ACCEPT", 415, "The Accept header is not understood." },
	{ MASA_E_FRAMING, "MASA_E_FRAMING", 400, "The request's length is ambiguous: give one Content-Length, or Transfer-Encoding alone." },
	{ MASA_E_BODY, "MASA_E_BODY", 413, "This resource takes no request body." },

	{ MASA_E_MALFORMED, "MASA_E_MALFORMED", 400, "The request body is malformed." },
	{ MASA_E_CBOR, "MASA_E_CBOR", 400, "The request body is not well-formed CBOR, or uses a construct that is not accepted." },
	{ MASA_E_CBOR_LIMIT, "MASA_E_CBOR_LIMIT", 400, "The request body exceeds a nesting, count or size limit." },
	{ MASA_E_CBOR_TRAILING, "MASA_E_CBOR_TRAILING", 400, "The request body has bytes after its CBOR item." },
	{ MASA_E_DUPLICATE_KEY, "MASA_E_DUPLICATE_KEY", 400, "A map in the request repeats a key." },
	{ MASA_E_COSE, "MASA_E_COSE", 400, "The request is not a well-formed COSE_Sign1 message." },
	{ MASA_E_COSE_CRIT, "MASA_E_COSE_CRIT", 400, "The request marks a COSE header parameter critical that is not understood." },
	{ MASA_E_VREQ, "MASA_E_VREQ", 400, "The voucher-request lacks a required leaf or has a leaf of the wrong type." },
	{ MASA_E_PVR_MALFORMED, "MASA_E_PVR_MALFORMED", 400, "The prior-signed-voucher-request is malformed." },
	{ MASA_E_RECORD, "MASA_E_RECORD", 400, "The enrollment record is invalid." },
	{ MASA_E_JSON, "MASA_E_JSON", 400, "The request body is not the JSON this resource expects." },
	{ MASA_E_PROXY_HEADER, "MASA_E_PROXY_HEADER", 400, "Forwarded client address or certificate headers are accepted only from a trusted proxy." },
	{ MASA_E_FORWARDED, "MASA_E_FORWARDED", 400, "The forwarded client address or certificate is malformed or ambiguous." },
	{ MASA_E_CMS, "MASA_E_CMS", 400, "The request is not a CMS SignedData message with one signer and its content attached." },
	{ MASA_E_CMS_CONTENT_TYPE, "MASA_E_CMS_CONTENT_TYPE", 400, "The CMS content type is not id-ct-animaJSONVoucher or id-data." },
	{ MASA_E_CMS_SIGNER, "MASA_E_CMS_SIGNER", 400, "The CMS signer's certificate is not among the request's certificates." },
	{ MASA_E_JWS, "MASA_E_JWS", 400, "The request is not a JWS in General JSON Serialization with one signature." },

	{ MASA_E_SIGNATURE, "MASA_E_SIGNATURE", 403, "The registrar voucher-request signature does not verify." },
	{ MASA_E_ALG, "MASA_E_ALG", 403, "The signature algorithm is missing, unsupported, not in the protected header, or does not match the key." },
	{ MASA_E_REGISTRAR_KEYS_DISAGREE, "MASA_E_REGISTRAR_KEYS_DISAGREE", 403, "The registrar keys presented by the request do not agree." },
	{ MASA_E_NO_REGISTRAR_KEY, "MASA_E_NO_REGISTRAR_KEY", 403, "No registrar key that verifies the request was found." },
	{ MASA_E_PVR_SIGNATURE, "MASA_E_PVR_SIGNATURE", 403, "The pledge voucher-request does not verify with the enrolled key." },
	{ MASA_E_SERIAL_MISMATCH, "MASA_E_SERIAL_MISMATCH", 403, "The serial-number of the pledge voucher-request differs from the registrar's." },
	{ MASA_E_PROXIMITY, "MASA_E_PROXIMITY", 403, "The pledge's proximity registrar is not the registrar that signed the request." },
	{ MASA_E_NONCE_MISMATCH, "MASA_E_NONCE_MISMATCH", 403, "The registrar and pledge nonces differ." },
	{ MASA_E_STALE, "MASA_E_STALE", 403, "The voucher-request created-on is outside the accepted time window." },
	{ MASA_E_PVR_MISSING, "MASA_E_PVR_MISSING", 403, "The request carries no prior-signed-voucher-request." },

	{ MASA_E_NOT_RA, "MASA_E_NOT_RA", 403, "The registrar certificate lacks the id-kp-cmcRA extended key usage." },
	{ MASA_E_CERT_VALIDITY, "MASA_E_CERT_VALIDITY", 403, "The registrar certificate or a CA certificate of its chain is outside its validity period." },

	{ MASA_E_UNKNOWN_DEVICE, "MASA_E_UNKNOWN_DEVICE", 404, "The serial-number is not a device this MASA can vouch for." },
	{ MASA_E_BLOCKED, "MASA_E_BLOCKED", 403, "The registrar key is blocked." },
	{ MASA_E_PINNED_ELSEWHERE, "MASA_E_PINNED_ELSEWHERE", 403, "The device is pinned to another registrar until it is released." },
	{ MASA_E_NOT_OWNER, "MASA_E_NOT_OWNER", 403, "The registrar is not a registrar of the device's owner." },
	{ MASA_E_RATE_LIMITED, "MASA_E_RATE_LIMITED", 429, "Too many vouchers for this device; retry later." },
	{ MASA_E_NONCELESS, "MASA_E_NONCELESS", 403, "Nonceless vouchers are issued only to the device owner's registrar." },
	{ MASA_E_NET_PINNED, "MASA_E_NET_PINNED", 403, "The registrar key is pinned to another network." },
	{ MASA_E_UNAUTHENTICATED, "MASA_E_UNAUTHENTICATED", 401, "A valid API token is required." },
	{ MASA_E_FORBIDDEN, "MASA_E_FORBIDDEN", 403, "This API token's role does not allow this request." },
	{ MASA_E_THROTTLED, "MASA_E_THROTTLED", 429, "Too many failed authentication attempts; retry later." },
	{ MASA_E_CONFLICT, "MASA_E_CONFLICT", 409, "The serial-number is already enrolled with a different record." },
	/* A wrong idevid-issuer is answered exactly like an unknown serial
	 * (nothing is revealed about what is enrolled); the audit trail
	 * names it. */
	{ MASA_E_IDEVID_ISSUER, "MASA_E_IDEVID_ISSUER", 404, "The serial-number is not a device this MASA can vouch for." },
	{ MASA_E_RENEWAL_NOT_OURS, "MASA_E_RENEWAL_NOT_OURS", 403, "The voucher in this renewal request was not signed by this MASA." },
	{ MASA_E_RENEWAL_SERIAL, "MASA_E_RENEWAL_SERIAL", 403, "The voucher in this renewal request is for another serial-number." },
	{ MASA_E_RENEWAL_REGISTRAR, "MASA_E_RENEWAL_REGISTRAR", 403, "The voucher in this renewal request pins another registrar." },
	{ MASA_E_RENEWAL_RELEASED, "MASA_E_RENEWAL_RELEASED", 403, "The device has been released since that voucher; a new voucher needs a pledge voucher-request." },
	{ MASA_E_PLEDGE_FORMAT, "MASA_E_PLEDGE_FORMAT", 406, "This device's product does not take vouchers in the format of this answer." },
	{ MASA_E_PLEDGE_KEY_TYPE, "MASA_E_PLEDGE_KEY_TYPE", 406, "This device's product cannot pin a registrar key of this type." },
	{ MASA_E_PLEDGE_CA_PIN, "MASA_E_PLEDGE_CA_PIN", 406, "This device's product pins a CA certificate, and the registrar showed no verified CA certificate." },
	{ MASA_E_PLEDGE_NONCELESS, "MASA_E_PLEDGE_NONCELESS", 406, "This device's product does not take nonceless vouchers." },

	{ MASA_E_USAGE, "MASA_E_USAGE", 500, "Invalid command line." },
	{ MASA_E_CONFIG, "MASA_E_CONFIG", 500, "Invalid configuration." },
	{ MASA_E_FILE_PERM, "MASA_E_FILE_PERM", 500, "A secret file has unsafe permissions or ownership." },
	{ MASA_E_EXISTS, "MASA_E_EXISTS", 500, "Refusing to overwrite something that already exists." },
	{ MASA_E_KEY, "MASA_E_KEY", 500, "A key or certificate is unusable." },
	{ MASA_E_STORE_SETTINGS, "MASA_E_STORE_SETTINGS", 500, "The database cannot be opened with WAL journaling and synchronous=FULL." },
	{ MASA_E_SCHEMA, "MASA_E_SCHEMA", 500, "The database schema is newer than this program." },
	{ MASA_E_NOT_FOUND, "MASA_E_NOT_FOUND", 404, "Not found." },
};

static size_t
find(enum masa_err rc)
{
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].rc == rc)
			return i;
	return 1;	/* unknown codes are reported as internal errors */
}

const char *
masa_err_name(enum masa_err rc)
{
	size_t i = find(rc);
	return table[i].rc == rc ? table[i].name : "MASA_E_UNKNOWN";
}

unsigned
masa_err_status(enum masa_err rc)
{
	return table[find(rc)].status;
}

const char *
masa_err_message(enum masa_err rc)
{
	return table[find(rc)].message;
}
