/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mech_pss.c - RSA-PSS: CKM_RSA_PKCS_PSS (the caller gives a SHA-256 hash)
 * and CKM_SHA256_RSA_PKCS_PSS (the host hashes), both signed by the card's
 * scheme P1 04 (docs/card.md): SHA-256, MGF1-SHA-256, a 32-byte salt, and
 * nothing else, so any other parameter is CKR_MECHANISM_PARAM_INVALID.
 *
 * The card's PSS rests on one public source, so the module checks every PSS
 * signature with the certificate's key before the caller sees it. The
 * mechanisms are offered while the configuration allows (pss = on) and the
 * card has not refused the scheme (JPKI_FACT_NO_PSS, remembered per card).
 */
#include "pkcs11/p11.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/log.h"

int p11_pss_offered(p11_token *tok)
{
    jpki_card *jc = tok->card ? tok->card->jc : NULL;

    return p11_g.cfg.pss && !jpki_card_knows(jc, JPKI_FACT_NO_PSS);
}

CK_RV p11_pss_param(p11_op *op, const CK_MECHANISM *mech)
{
    const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;

    if (!p || mech->ulParameterLen != sizeof(*p) || p->hashAlg != CKM_SHA256 ||
        p->mgf != CKG_MGF1_SHA256 || p->sLen != JPKI_SHA256_LEN)
        return CKR_MECHANISM_PARAM_INVALID;
    op->param.pss = *p;
    op->param_len = sizeof(*p);
    return CKR_OK;
}

CK_RV p11_pss_input_hash(p11_op *op, unsigned char *in, size_t cap,
                         size_t *in_len)
{
    if (op->buf_len != JPKI_SHA256_LEN || cap < JPKI_SHA256_LEN)
        return CKR_DATA_LEN_RANGE; /* CKM_RSA_PKCS_PSS signs a hash */
    memcpy(in, op->buf, JPKI_SHA256_LEN);
    *in_len = JPKI_SHA256_LEN;
    return CKR_OK;
}

CK_RV p11_pss_input_digest(p11_op *op, unsigned char *in, size_t cap,
                           size_t *in_len)
{
    unsigned int hlen = 0;

    if (cap < EVP_MAX_MD_SIZE ||
        EVP_DigestFinal_ex(op->md_ctx, in, &hlen) != 1 ||
        hlen != JPKI_SHA256_LEN)
        return CKR_GENERAL_ERROR;
    *in_len = hlen;
    return CKR_OK;
}

int p11_pss_padding(void *pkey_ctx, const p11_op *op)
{
    (void)op; /* p11_pss_param allowed one set of parameters */
    return EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) ==
               1 &&
           EVP_PKEY_CTX_set_signature_md(pkey_ctx, EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pkey_ctx, EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, JPKI_SHA256_LEN) == 1;
}

CK_RV p11_pss_check(p11_token *tok, const p11_op *op, const unsigned char *in,
                    size_t in_len, const unsigned char *sig, size_t k)
{
    const unsigned char *p = tok->cert->spki.p;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)tok->cert->spki.len);
    EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             p11_pss_padding(ctx, op) == 1 &&
             EVP_PKEY_verify(ctx, sig, k, in, in_len) == 1;

    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (ok)
        return CKR_OK;
    JLOG_ERR("the card's RSA-PSS signature does not verify with the "
             "certificate's key: not returned (pss = off in the "
             "configuration avoids PSS; please report it)");
    return CKR_FUNCTION_FAILED;
}
