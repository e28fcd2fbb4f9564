/*
 * formats.h: the voucher formats this build speaks, as codecs (format.h).
 * Adding a format is a codec file in masa/format/ and a row here (and its
 * media type names in http/negotiate.c).
 */
#ifndef MASA_FORMATS_H
#define MASA_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

/* The codec of format f, or NULL if this build has none. */
const struct masa_codec *masa_codec_for(enum masa_format f);
/* A comma-separated list of codec names of this build ("cose") -> bit
 * mask (1 << enum masa_format), as products store it; -1 if a name is not
 * a codec of this build or the list is empty. */
int masa_formats_parse(const char *s, size_t len, uint64_t *mask);
/* The codec names of this build, comma-separated, into out. */
void masa_formats_known(char *out, size_t cap);

#endif
