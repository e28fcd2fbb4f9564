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

	{ MASA_E_NO_ROUTE, "MASA_E_NO_ROUTE", 404, "No such resource." },
	{ MASA_E_METHOD, "MASA_E_METHOD", 405, "Method not allowed for this resource." },
	{ MASA_E_TOO_LARGE, "MASA_E_TOO_LARGE", 413, "Request body is larger than the server accepts." },
	{ MASA_E_MEDIA_TYPE, "MASA_E_MEDIA_TYPE", 415, "Unsupported request media type." },
	{ MASA_E_NOT_ACCEPTABLE, "MASA_E_NOT_ACCEPTABLE", 406, "No acceptable response format can be produced." },

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
