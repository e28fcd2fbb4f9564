/*
 * formats.h: the voucher formats this build speaks, as codecs (format.h).
 * Adding a format is a codec file in masa/format/ and a row here (and its
 * media type names in http/negotiate.c).
 */
#ifndef MASA_FORMATS_H
#define MASA_FORMATS_H

#include "format.h"

/* The codec of format f, or NULL if this build has none. */
const struct masa_codec *masa_codec_for(enum masa_format f);

#endif
