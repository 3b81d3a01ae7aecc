/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl.h - the test CAs' certificate revocation lists (private to src/emu).
 * emu_revoke() itself is declared in emu.h.
 */
#ifndef JPKI_EMU_CRL_H
#define JPKI_EMU_CRL_H

#include <openssl/x509.h>

#include "emu.h"

/* Hours between a CRL's thisUpdate and nextUpdate: J-LIS refreshes daily. */
#define EMU_CRL_HOURS 24

/* A new CRL of ca: the entries of prev (may be NULL) plus serial if it is
 * not there yet, CRL number one above prev's (1 without prev), signed with
 * ca_key. idp_from, if given, is a certificate whose CRL distribution point
 * becomes the CRL's issuingDistributionPoint (CRLs are partitioned per
 * municipality). NULL on failure. */
X509_CRL *emu_crl_next(X509 *ca, EVP_PKEY *ca_key, const X509_CRL *prev,
                       const ASN1_INTEGER *serial, X509 *idp_from);

#endif
