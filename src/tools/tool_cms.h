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

/* A detached signature of content whose SHA-256 is md, for PAdES: no
 * signingTime attribute (the PDF's /M holds the time). */
jpki_rv tool_cms_sign_digest(jpki_card *card, X509 *signer, X509 *ca,
                             const unsigned char md[32], unsigned char **out,
                             size_t *out_len);

/* 1 if der is a signature by signer over exactly data (detached or
 * carried), checked as a relying party would; else 0. */
int tool_cms_check(const unsigned char *der, size_t der_len, X509 *signer,
                   const unsigned char *data, size_t len, int detached);

/* ---- the sign command's card session (cmd_sign.c) ----------------------- */

/* Called once the certificates are read, before the card signs: fills md
 * with the SHA-256 of what is to be signed. 0, or an exit status after a
 * message. */
typedef int (*tool_sign_prepare)(void *ctx, X509 *signer, X509 *ca,
                                 unsigned char md[32]);

/* The personal-data warning, the signature PIN asked (and checked), then
 * in one card transaction the PIN verified, the certificates read and a
 * signature made: of data (detached or carried), or with prepare of its
 * digest (PAdES). 0 with *sig (OPENSSL_malloc'd) and *signer, or an exit
 * status after a message. */
int tool_sign_on_card(const unsigned char *data, size_t len, int detached,
                      tool_sign_prepare prepare, void *ctx,
                      unsigned char **sig, size_t *sig_len, X509 **signer);

/* A regular file of at most 1 GiB, read whole (malloc'd), or NULL after a
 * message. */
unsigned char *tool_sign_read(const char *path, size_t *len);

/* "sign --pdf IN -o OUT" (tool_pdf_sign.c): the exit status. */
int tool_pdf_sign(const char *in, const char *out);

#endif
