/*
 * fuzz_media.c: libFuzzer target for Content-Type and Accept parsing and
 * negotiation: the input is "<content-type>\n<accept>" (no newline: no
 * Accept). Header values are NUL-terminated as libmicrohttpd gives them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct masa_answer a;
	enum masa_format format;
	char *text = malloc(size + 1), *nl;
	enum masa_err rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl != NULL)
		*nl = '\0';
	rc = masa_negotiate(text, nl ? nl + 1 : NULL, &a);
	if (rc == MASA_OK && a.voucher_type == NULL)
		abort();	/* a successful answer always names its type */
	rc = masa_negotiate_json(text, nl ? nl + 1 : NULL, &format);
	free(text);
	if (rc == MASA_E_INTERNAL)
		abort();	/* bad input is a client error, never ours */
	return 0;
}
