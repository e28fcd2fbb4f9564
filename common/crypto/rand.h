/* rand.h: random bytes from OpenSSL's CSPRNG, failing closed. */
#ifndef MASA_RAND_H
#define MASA_RAND_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "err.h"

MASA_NODISCARD enum masa_err masa_rand_bytes(uint8_t *out, size_t n);

#endif
