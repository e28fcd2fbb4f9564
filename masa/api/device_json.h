/* device_json.h: a device as operators see it, as a JSON object, for the
 * admin API and the command line alike. */
#ifndef MASA_DEVICE_JSON_H
#define MASA_DEVICE_JSON_H

#include <jansson.h>

#include "attr.h"
#include "config.h"
#include "store.h"

/* The device with this serial as a new JSON object in *out:
 * serial-number, public-key-sha256 (hex), idevid (bool), product, owner,
 * pinned-registrar (SHA-256 of its SPKI, hex), tokens-left,
 * vouchers-issued, retired, enrolled (RFC 3339). MASA_E_NOT_FOUND. */
MASA_NODISCARD enum masa_err masa_device_json(struct masa_txn *t, const struct masa_config *cfg,
    const char *serial, int64_t now_ms, json_t **out);

#endif
