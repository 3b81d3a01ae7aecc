/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mech_ec.c - the ECDSA mechanisms of a card of the ECDSA generation
 * (P-384): CKM_ECDSA (the caller hashes; any hash length, used as ECDSA
 * does) and CKM_ECDSA_SHA256/384/512 (the host hashes). The card gets a
 * bare hash and its answer, r||s or DER, comes back as PKCS#11's r||s after
 * the JPKI layer has decoded it strictly and verified it with the
 * certificate's key (src/jpki/ec_card.c). Verification on the host takes
 * r||s and hands OpenSSL its DER.
 */
#include "pkcs11/p11.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "jpki/ec_card.h"

/* The hash the card signs: the caller's for CKM_ECDSA, else the host's. */
static CK_RV input_hash(p11_op *op, unsigned char *in, size_t cap,
                        size_t *in_len)
{
    unsigned int hlen = 0;

    if (!op->md_ctx) {
        if (!op->buf_len || op->buf_len > cap)
            return CKR_DATA_LEN_RANGE; /* ECDSA needs a hash to sign */
        memcpy(in, op->buf, op->buf_len);
        *in_len = op->buf_len;
        return CKR_OK;
    }
    if (cap < EVP_MAX_MD_SIZE ||
        EVP_DigestFinal_ex(op->md_ctx, in, &hlen) != 1)
        return CKR_GENERAL_ERROR;
    *in_len = hlen;
    return CKR_OK;
}

/* The JPKI layer already made the answer r||s (p11_ec_card_sign). */
static CK_RV output_rs(const unsigned char *out, size_t out_len,
                       CK_BYTE_PTR sig, size_t k)
{
    if (out_len != k) {
        JLOG_ERR("ECDSA signature of %zu bytes, expected %zu", out_len, k);
        return CKR_DEVICE_ERROR;
    }
    memcpy(sig, out, k);
    return CKR_OK;
}

/* ECDSA has no padding to set. */
static int padding_none(void *pkey_ctx, const p11_op *op)
{
    (void)pkey_ctx;
    (void)op;
    return 1;
}

/* The card's scheme is the guessed P1 (ec_card.h); the JPKI layer checks
 * every signature, so no card_check here; always offered; the card's ECDSA
 * command. */
#define EC_CARD                                                               \
    (jpki_scheme) JPKI_EC_GUESS_SIGN_P1, NULL, NULL, p11_ec_card_sign

static const p11_mech ec_mechs[] = {
    { CKM_ECDSA, NULL, NULL, 0, 0, p11_mech_no_param, input_hash, output_rs,
      padding_none, EC_CARD },
    { CKM_ECDSA_SHA256, "SHA256", NULL, 0, 32, p11_mech_no_param, input_hash,
      output_rs, padding_none, EC_CARD },
    { CKM_ECDSA_SHA384, "SHA384", NULL, 0, 48, p11_mech_no_param, input_hash,
      output_rs, padding_none, EC_CARD },
    { CKM_ECDSA_SHA512, "SHA512", NULL, 0, 64, p11_mech_no_param, input_hash,
      output_rs, padding_none, EC_CARD },
};

const p11_mech *p11_ec_mechs(size_t *n)
{
    *n = sizeof ec_mechs / sizeof ec_mechs[0];
    return ec_mechs;
}

jpki_rv p11_ec_card_sign(p11_token *tok, const unsigned char *in,
                         size_t in_len, unsigned char *out, size_t *out_len)
{
    jpki_rv rv;

    if (*out_len < JPKI_EC_SIG_LEN)
        return JPKI_ERR_ARGS;
    rv = jpki_card_sign_ecdsa(tok->card->jc, tok->key, tok->cert, in, in_len,
                              out);
    if (rv == JPKI_OK)
        *out_len = JPKI_EC_SIG_LEN;
    return rv;
}

int p11_ec_sig_to_der(const unsigned char *rs, size_t rs_len,
                      unsigned char *der, size_t *der_len)
{
    size_t half = rs_len / 2;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(rs + half, (int)half, NULL);
    unsigned char *p = der;
    int n = -1;

    if (rs_len == JPKI_EC_SIG_LEN && sig && r && s &&
        ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* sig owns them */
        if (i2d_ECDSA_SIG(sig, NULL) <= (int)P11_EC_DER_MAX)
            n = i2d_ECDSA_SIG(sig, &p);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    if (n <= 0)
        return -1;
    *der_len = (size_t)n;
    return 0;
}
