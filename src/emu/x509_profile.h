/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x509_profile.h - names and extensions of the JPKI certificate profile
 * (private to src/emu), used by personalization and the CRL writer. Each
 * add function returns 1 on success, 0 on an OpenSSL failure.
 */
#ifndef JPKI_EMU_X509_PROFILE_H
#define JPKI_EMU_X509_PROFILE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "emu/image.h"

typedef struct {
    const char *field;
    const char *value;
} rdn;

/* C as PrintableString, everything else UTF8String, as J-LIS does it. */
X509_NAME *emu_x509_name(const rdn *rdns, size_t n);
/* The CA's subject (= issuer; the same for every generation). */
X509_NAME *emu_x509_ca_name(int sign);
/* The Japanese directoryName of the roots' SAN and the leaves' IAN. */
X509_NAME *emu_x509_ja_name(int sign);
/* The leaves' per-municipality CRL distribution point. */
X509_NAME *emu_x509_crldp_name(int sign);

int emu_x509_add_ext_conf(X509 *x, X509 *issuer, int nid, const char *value);
/* One directoryName as extension nid; takes ownership of name. */
int emu_x509_add_dirname_ext(X509 *x, int nid, X509_NAME *name);
/* CRL distribution point as a directoryName; takes ownership of name. */
int emu_x509_add_crldp(X509 *x, X509_NAME *name);
int emu_x509_add_policy(X509 *x, const char *oid);
/* The signature certificate's SAN: the holder's six otherNames. */
int emu_x509_add_person_san(X509 *x, const emu_holder *h);

#endif
