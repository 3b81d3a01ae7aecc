/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign_ec.h - the emulated ECDSA P-384 card (the next card generation) and
 * the key and digest choices personalization makes per key kind (private to
 * src/emu).
 */
#ifndef JPKI_EMU_SIGN_EC_H
#define JPKI_EMU_SIGN_EC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* The scalar size of P-384: r and s are 48 bytes each in the raw answer. */
#define EMU_EC_SCALAR_LEN 48
/* The input the emulated EC card takes: a bare hash of exactly this many
 * bytes (a guess; docs/card.md, "assumptions for the ECDSA generation"). */
#define EMU_EC_INPUT_LEN 48

/* A new key: RSA-2048, or EC on P-384 when ec is set. */
EVP_PKEY *emu_keygen(int ec);

/* 1 if key is an EC key on P-384. */
int emu_key_is_p384(const EVP_PKEY *key);

/* The digest a CA with this key signs certificates and CRLs with:
 * SHA-384 (ecdsa-with-SHA384) for P-384, SHA-256 for RSA, as J-LIS. */
const EVP_MD *emu_ca_md(const EVP_PKEY *ca_key);

/* The EC card's COMPUTE DIGITAL SIGNATURE: ECDSA over the bare hash in
 * (EMU_EC_INPUT_LEN bytes), answered as r||s (96 bytes) or, with der set,
 * as the DER SEQUENCE of two INTEGERs. Returns 0, or -1 on an OpenSSL
 * failure; out must have room for 2 * EMU_EC_SCALAR_LEN + 8 bytes. */
int emu_ec_sign(EVP_PKEY *key, int der, const uint8_t *in, size_t in_len,
                uint8_t *out, size_t *out_len);

#endif
