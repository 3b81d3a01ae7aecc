/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers for the CRL index tests: test CAs and CRLs made with OpenSSL. */
#ifndef TEST_CRL_INDEX_H
#define TEST_CRL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <openssl/x509.h>

#include "jpki/crl_index.h"

typedef struct {
    X509 *cert;
    EVP_PKEY *key;
} tca;

/* A self-signed CA "CN=<cn>" with SKI = 20 bytes of ski_byte; RSA 2048.
 * Keys are made once per process and reused by index (0..3). */
tca tca_make(const char *cn, uint8_t ski_byte, int key_index);
void tca_free(tca *ca);

typedef struct {
    const uint8_t *serial; /* content octets, as ASN1_INTEGER gets them */
    size_t len;
    int negative;
    int reason; /* -1: none */
    int64_t date;
} tentry;

enum {
    T_NO_AKI = 1,
    T_DELTA = 2,
    T_UNKNOWN_CRIT = 4,
    T_ENTRY_CRIT = 8,
    T_CERT_ISSUER = 16,
    T_INDIRECT = 32,
    T_IDP = 64,
    T_V1 = 128,
    T_UNKNOWN_NONCRIT = 256,
};

/* A CRL by ca with entries, flags above; DER in *der (free with
 * OPENSSL_free). */
size_t tcrl_make(const tca *ca, const tentry *e, size_t n, unsigned flags,
                 uint8_t **der);
/* The same as PEM text. */
char *tcrl_pem(const uint8_t *der, size_t len);

STACK_OF(X509) * tstack(const tca *a, const tca *b); /* b may be NULL */
void tstack_free(STACK_OF(X509) * sk);

/* A fresh temporary directory (removed by trm_rf). */
void tmpdir(char *out, size_t len);
void trm_rf(const char *dir);
void twrite(const char *path, const void *buf, size_t len);
/* The one "*.idx" file in dir into out; 0, or -1 if none. */
int tindex_file(const char *dir, char *out, size_t len);

TCase *tcase_crl_cache(void);
TCase *tcase_crl_lookup(void);
TCase *tcase_crl_hostile(void);

#endif
