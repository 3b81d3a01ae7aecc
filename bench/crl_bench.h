/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/crl: shared by the driver (crl.c) and the CRL generator
 * (crl_gen.c). */
#ifndef BENCH_CRL_H
#define BENCH_CRL_H

#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Deterministic serials: entry i of a CRL made with seed. 16 octets, the
 * first in 0x01..0x7f (a positive INTEGER without padding, like JPKI's). */
void bench_serial(uint64_t seed, uint64_t i, uint8_t out[16]);

/* The test CA (RSA 2048, SKI, cRLSign) and a leaf with a CRL distribution
 * point (directoryName) equal to the CRLs' IDP, not on any list. */
typedef struct {
    EVP_PKEY *ca_key;
    X509 *ca, *leaf;
    X509_NAME *partition;
} bench_pki;

int bench_pki_make(bench_pki *p);
void bench_pki_free(bench_pki *p);

/* Writes a JPKI-shaped CRL of n entries (random-order 16-byte serials,
 * reason codes, cRLNumber, AKI, critical IDP with the partition name) as DER
 * to path, streaming: the tbs is signed as it is written. 0 or -1. */
int bench_crl_write(const bench_pki *p, const char *path, uint64_t n,
                    uint64_t seed);

#endif
