/* formats.c: see formats.h. */
#include "formats.h"

#include <stddef.h>

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
