/* formats.c: see formats.h. */
#include "formats.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cose_codec.h"
#include "json_codec.h"

static const struct masa_codec *const codecs[] = {
	&masa_codec_cose,
	&masa_codec_cms,
	&masa_codec_jws,
};

const struct masa_codec *
masa_codec_for(enum masa_format f)
{
	size_t i;

	for (i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
		if (codecs[i]->format == f)
			return codecs[i];
	return NULL;
}

int
masa_formats_parse(const char *s, size_t len, uint64_t *mask)
{
	size_t i = 0, j, k;

	*mask = 0;
	while (i <= len) {
		for (j = i; j < len && s[j] != ','; j++)
			;
		for (k = 0; k < sizeof codecs / sizeof codecs[0]; k++)
			if (strlen(codecs[k]->name) == j - i && memcmp(codecs[k]->name, s + i, j - i) == 0)
				break;
		if (j == i || k == sizeof codecs / sizeof codecs[0])
			return -1;
		*mask |= (uint64_t)1 << codecs[k]->format;
		i = j + 1;
	}
	return 0;
}

void
masa_formats_known(char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof codecs / sizeof codecs[0] && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i > 0 ? "," : "",
		    codecs[i]->name);
}
