/*
 * client_json.h: the client's view of CMS and JWS vouchers: which answer
 * types they are, and opening one (signature, JSON, serial and nonce).
 */
#ifndef MASA_CLIENT_JSON_H
#define MASA_CLIENT_JSON_H

#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "bytes.h"
#include "client.h"
#include "format.h"
#include "masa_limits.h"

/* MASA_FORMAT_CMS or _JWS for an answer's Content-Type, else 0. */
enum masa_format masa_client_json_format(const char *content_type);
/* Verifies voucher (format f) with key (from source; NULL: not checked),
 * prints its JSON and whether it names o's serial-number and the request's
 * nonce; 1 if all of that holds. */
int masa_client_json_report(const struct masa_client_opts *o, enum masa_format f,
    struct masa_bytes voucher, EVP_PKEY *key, const char *source,
    const uint8_t nonce[MASA_NONCE_MIN], FILE *out);

#endif
