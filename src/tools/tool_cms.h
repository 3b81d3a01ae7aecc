/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_cms.h - CMS SignedData signed by the card (tool_cms.c).
 */
#ifndef JPKI_TOOL_CMS_H
#define JPKI_TOOL_CMS_H

#include <stddef.h>

#include <openssl/x509.h>

#include "jpki/jpki.h"

/* Signs data with the card's signature key (its PIN verified in the same
 * security state) into a DER ContentInfo: SHA-256, the signer certificate
 * and ca (may be NULL) included, the content unless detached. *out is
 * OPENSSL_malloc'd. JPKI_ERR_MEMORY on an OpenSSL failure. */
jpki_rv tool_cms_sign(jpki_card *card, X509 *signer, X509 *ca,
                      const unsigned char *data, size_t len, int detached,
                      unsigned char **out, size_t *out_len);

/* 1 if der is a signature by signer over exactly data (detached or
 * carried), checked as a relying party would; else 0. */
int tool_cms_check(const unsigned char *der, size_t der_len, X509 *signer,
                   const unsigned char *data, size_t len, int detached);

#endif
