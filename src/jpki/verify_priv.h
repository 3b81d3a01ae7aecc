/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify_priv.h - shared between verify.c and revocation.c. */
#ifndef JPKI_VERIFY_PRIV_H
#define JPKI_VERIFY_PRIV_H

#include "jpki/verify.h"

void jpki_vadd(jpki_vresult *r, jpki_vreason why);

/* Revocation of leaf (issued by issuer; NULL when no issuer was found)
 * against o->crls: sets r->revocation and the CRL reasons. */
void jpki_check_revocation(X509 *leaf, X509 *issuer, const jpki_anchors *anchors,
                           const jpki_vopts *o, jpki_vresult *r);

#endif
