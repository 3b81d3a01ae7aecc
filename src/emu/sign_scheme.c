/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign_scheme.c - what the card does with the data of a signature command,
 * for each P1 (docs/card.md, "COMPUTE DIGITAL SIGNATURE"):
 *
 *   00  PKCS#1 v1.5 type-1 padding over the data as given (a DigestInfo)
 *   01  the card hashes the data with SHA-256 and pads the bare hash
 *   02  the data is a SHA-256 hash: the card wraps it in a DigestInfo
 *   03  the card hashes with SHA-256 and wraps the hash in a DigestInfo
 *   04  the data is a SHA-256 hash: RSASSA-PSS, MGF1-SHA-256, 32-byte
 *       random salt
 *   05  the card hashes with SHA-256, then RSASSA-PSS as 04
 *
 * A data length a scheme cannot take is a wrong length (6700), the answer
 * the card already gives for a DigestInfo too long for P1 00: the Lc byte
 * is what is wrong, not the content (6A80 would say the bytes are bad).
 */
#include "emu/sign_scheme.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#define SHA256_LEN 32

/* DigestInfo header of SHA-256 (RFC 8017, section 9.2, note 1). */
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                     0x01, 0x05, 0x00, 0x04, 0x20 };

int emu_scheme_known(unsigned p1, int v15_only)
{
    return v15_only ? p1 == 0 : p1 < EMU_SCHEMES;
}

/* The private-key operation over in: PKCS#1 v1.5 type 1 (pss 0) or
 * RSASSA-PSS over a SHA-256 hash (pss 1). */
static int rsa_sign(EVP_PKEY *key, int pss, const uint8_t *in, size_t len,
                    uint8_t *sig, size_t *sig_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = ctx && EVP_PKEY_sign_init(ctx) == 1;
    if (ok && pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, SHA256_LEN) == 1;
    else if (ok)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
    ok = ok && EVP_PKEY_sign(ctx, sig, sig_len, in, len) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : -1;
}

int emu_scheme_len_ok(unsigned p1, size_t len, size_t k)
{
    if (len == 0 || p1 >= EMU_SCHEMES)
        return 0;
    if (p1 == 0)
        return len + 11 <= k;
    return p1 == 2 || p1 == 4 ? len == SHA256_LEN : 1;
}

uint16_t emu_scheme_sign(EVP_PKEY *key, unsigned p1, const uint8_t *in,
                         size_t len, uint8_t *sig, size_t *sig_len)
{
    const size_t k = (size_t)EVP_PKEY_get_size(key);
    const int card_hashes = p1 == 1 || p1 == 3 || p1 == 5;
    const int wraps = p1 == 2 || p1 == 3, pss = p1 >= 4;
    uint8_t block[sizeof di_sha256 + SHA256_LEN];
    size_t n = 0;

    if (!emu_scheme_len_ok(p1, len, k))
        return 0x6700;
    if (p1 == 0)
        return rsa_sign(key, 0, in, len, sig, sig_len) == 0 ? 0x9000 : 0x6F00;
    if (wraps) {
        memcpy(block, di_sha256, sizeof di_sha256);
        n = sizeof di_sha256;
    }
    if (card_hashes) {
        unsigned int hl = 0;
        if (EVP_Digest(in, len, block + n, &hl, EVP_sha256(), NULL) != 1)
            return 0x6F00;
    } else {
        memcpy(block + n, in, SHA256_LEN);
    }
    n += SHA256_LEN;
    int rc = rsa_sign(key, pss, block, n, sig, sig_len);
    OPENSSL_cleanse(block, sizeof block);
    return rc == 0 ? 0x9000 : 0x6F00;
}
