/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign_ec.c - what differs on an emulated card of the ECDSA generation:
 * P-384 keys, ecdsa-with-SHA384 for the test CAs, and the card's signature
 * over a bare hash, answered raw (r||s) or as DER, per the image's switch.
 */
#include "emu/sign_ec.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>

EVP_PKEY *emu_keygen(int ec)
{
    if (ec)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

int emu_key_is_p384(const EVP_PKEY *key)
{
    char group[32];
    size_t len = 0;
    return key && EVP_PKEY_is_a(key, "EC") &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                          group, sizeof group, &len) == 1 &&
           strcmp(group, "secp384r1") == 0;
}

const EVP_MD *emu_ca_md(const EVP_PKEY *ca_key)
{
    return EVP_PKEY_is_a(ca_key, "EC") ? EVP_sha384() : EVP_sha256();
}

/* DER ECDSA-Sig-Value to r||s, each left-padded to the scalar size. */
static int der_to_raw(const uint8_t *der, size_t len, uint8_t *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r = NULL, *s = NULL;
    if (sig)
        ECDSA_SIG_get0(sig, &r, &s);
    int ok = sig && BN_bn2binpad(r, out, EMU_EC_SCALAR_LEN) > 0 &&
             BN_bn2binpad(s, out + EMU_EC_SCALAR_LEN, EMU_EC_SCALAR_LEN) > 0;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

int emu_ec_sign(EVP_PKEY *key, int der, const uint8_t *in, size_t in_len,
                uint8_t *out, size_t *out_len)
{
    uint8_t sig[2 * EMU_EC_SCALAR_LEN + 16];
    size_t sig_len = sizeof sig;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
             EVP_PKEY_sign(ctx, sig, &sig_len, in, in_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok)
        return -1;
    if (der) {
        memcpy(out, sig, sig_len);
        *out_len = sig_len;
        return 0;
    }
    *out_len = 2 * EMU_EC_SCALAR_LEN;
    return der_to_raw(sig, sig_len, out);
}
