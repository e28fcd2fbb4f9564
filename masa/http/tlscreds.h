/*
 * tlscreds.h: the HTTPS certificate chain and key, handed to GnuTLS at
 * each handshake through libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK,
 * so that SIGHUP can replace them while the listeners run: handshakes
 * after masa_tlscreds_set use the new set, connections already open go on
 * with theirs. One set serves every listener of the process.
 *
 * A replaced set is kept, not freed, until masa_tlscreds_free_all: GnuTLS
 * does not tell when a session stops using what the callback returned.
 * Each set is a few kilobytes and reloads are rare.
 */
#ifndef MASA_TLSCREDS_H
#define MASA_TLSCREDS_H

#include <stddef.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "attr.h"
#include "diag.h"
#include "err.h"

/* Parses the PEM certificate chain (leaf first, at most 8) and private key
 * and makes them the set new handshakes use. On failure the current set
 * stays and diag says why. */
MASA_NODISCARD enum masa_err masa_tlscreds_set(const char *cert_pem, size_t cert_len,
    const char *key_pem, size_t key_len, struct masa_diag *diag);

/* The GnuTLS certificate retrieval function (gnutls_certificate_retrieve_function2):
 * the current set, whatever the client asked for; -1 (handshake fails)
 * before any set was installed. */
int masa_tlscreds_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *privkey);

/* Frees the current and every replaced set. Only once no listener runs. */
void masa_tlscreds_free_all(void);

#endif
