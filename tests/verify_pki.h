/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * verify_pki.h - a small PKI for the verification tests: JPKI-shaped
 * roots, leaves and CRLs with knobs for every way they can be wrong, on
 * fast EC keys; plus emulator cards for the real profile. Files go to a
 * per-process temporary directory.
 */
#ifndef JPKI_TEST_VERIFY_PKI_H
#define JPKI_TEST_VERIFY_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "jpki/verify.h"

#define DAY 86400L

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
} vp_ca;

/* A root with the test auth CA's name; valid [nb, na). */
void vp_ca_make(vp_ca *ca, time_t nb, time_t na);
/* An intermediate CA named "C=JP, O=JPKI-TEST, CN=cn", issued by parent. */
void vp_ca_make_sub(vp_ca *ca, const vp_ca *parent, const char *cn);
void vp_ca_free(vp_ca *ca);

typedef struct {
    int sign;              /* signature-certificate profile */
    const char *key_usage; /* NULL: the purpose's; "" none */
    int no_eku;
    const char *policy;   /* NULL: the purpose's; "" none */
    int is_ca;            /* basicConstraints CA:TRUE */
    int unknown_critical; /* an unknown critical extension */
    /* CN of the CRL distribution point; NULL "Chiyoda-ku CRLDP" */
    const char *partition;
    time_t nb, na;      /* 0: 20 days ago .. in a year */
    const char *cn;     /* subject CN (UTF8String); NULL "TEST-LEAF" */
    const uint8_t *san; /* subjectAltName DER (vp_san_der), or NULL */
    size_t san_len;
} vp_leaf_opts;

/* A JPKI personal-data otherName. */
typedef struct {
    int arc;      /* under 1.2.392.200149.8.5.5; 0: another OID */
    unsigned tag; /* string tag, 0: UTF8String */
    const char *value;
} vp_attr;

/* GeneralNames DER of otherNames (short lengths only); its length. */
size_t vp_san_der(uint8_t *out, const vp_attr *a, size_t n);

X509 *vp_leaf(const vp_ca *ca, const vp_leaf_opts *o);

/* A CRL of ca listing the given certificates (revoked at `when`, reason
 * keyCompromise); IDP = partition's distribution point, NULL: no IDP.
 * this/next 0: now / now + a day; next VP_NO_NEXT_UPDATE: none. */
#define VP_NO_NEXT_UPDATE ((time_t)-1)
X509_CRL *vp_crl(const vp_ca *ca, X509 *const *revoked, size_t n, time_t when,
                 const char *partition, time_t this_update,
                 time_t next_update);

/* The temporary directory of this process, and a fresh subdirectory. */
const char *vp_dir(void);
void vp_subdir(char *buf, size_t len, const char *name);
/* Writers (DER); return the path in buf. */
void vp_write_cert(char *buf, size_t len, const char *dir, const char *name,
                   X509 *x);
void vp_write_crl(char *buf, size_t len, const char *dir, const char *name,
                  X509_CRL *c);
void vp_write_bytes(const char *path, const void *data, size_t n);

/* DER of a certificate (malloc'd). */
uint8_t *vp_der(X509 *x, size_t *len);

/* jpki_verify with the common options. */
jpki_vstatus vp_verify(X509 *leaf, const char *anchors, const char *crl,
                       int64_t at, jpki_purpose purpose, unsigned flags,
                       jpki_vresult *r);

/* An emulator card made once per process per kind: "plain", "expired",
 * "gens3". Returns the image path; its PKI is path + ".pki". */
const char *vp_card(const char *kind);
/* The card's auth (0) or sign (1) certificate. */
X509 *vp_card_cert(const char *image, int sign);

#endif
