/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify_priv.h - shared between verify.c, anchors.c, revocation.c and
 * dir_files.c. */
#ifndef JPKI_VERIFY_PRIV_H
#define JPKI_VERIFY_PRIV_H

#include <openssl/x509v3.h>

#include "jpki/verify.h"

void jpki_vadd(jpki_vresult *r, jpki_vreason why);

/* Revocation of leaf (issued by issuer; NULL when no issuer was found)
 * against o->crls: sets r->revocation and the CRL reasons. */
void jpki_check_revocation(X509 *leaf, X509 *issuer,
                           const jpki_anchors *anchors, const jpki_vopts *o,
                           jpki_vresult *r);

/* Does a CRL with this issuingDistributionPoint (DER; NULL: none) cover
 * a certificate with these CRL distribution points (NULL: none)? Only a
 * full IDP naming one of the certificate's directoryName points, or none
 * at all; never one limited to CAs, attributes, some reasons or indirect.
 * (revocation.c; exposed for its fuzz target) */
int jpki_crl_covers(const CRL_DIST_POINTS *dps, const uint8_t *idp_der,
                    size_t idp_len);

/* Calls fn for each regular file of dir (names starting with '.' skipped),
 * in name order. -1 if dir cannot be read. (dir_files.c) */
int jpki_dir_files(const char *dir, void (*fn)(const char *path, void *ctx),
                   void *ctx);

#endif
