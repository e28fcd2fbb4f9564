/* format.c: see format.h. */
#include "format.h"

const char *
masa_format_name(enum masa_format f)
{
	switch (f) {
	case MASA_FORMAT_COSE:
		return "cose";
	case MASA_FORMAT_CMS:
		return "cms";
	case MASA_FORMAT_JWS:
		return "jws";
	}
	return NULL;
}
