/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * verify.c - C_VerifyInit / C_Verify / C_VerifyUpdate / C_VerifyFinal, done
 * on the host with the public key of the token's certificate (the card has
 * no verify command, and needs none). Same mechanisms as signing.
 */
#include "pkcs11/p11.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

void p11_verify_reset(p11_session *s)
{
    EVP_MD_CTX_free(s->verify_md_ctx);
    EVP_PKEY_free(s->verify_pkey);
    s->verify_md_ctx = NULL;
    s->verify_pkey = NULL;
    OPENSSL_cleanse(s->verify_buf, sizeof(s->verify_buf));
    s->verify_buf_len = 0;
    s->verify_active = 0;
    s->verify_multipart = 0;
}

static EVP_PKEY *public_key(const jpki_cert *c)
{
    const unsigned char *p = c->spki.p;
    return d2i_PUBKEY(NULL, &p, (long)c->spki.len);
}

CK_RV p11_verify_init(p11_session *s, CK_MECHANISM_PTR mech,
                      CK_OBJECT_HANDLE key)
{
    p11_token *tok = s->tok;
    EVP_PKEY_CTX *pctx = NULL;
    const p11_mech *m;
    int kind = -1;

    /* Only the public key object verifies (CKA_VERIFY). */
    if (!p11_object_get(tok, key, &kind) || kind != P11_OBJ_PUBKEY ||
        !tok->cert)
        return CKR_KEY_HANDLE_INVALID;
    if (!(m = p11_mech_find(tok, mech->mechanism)))
        return CKR_MECHANISM_INVALID;
    if (mech->pParameter || mech->ulParameterLen)
        return CKR_MECHANISM_PARAM_INVALID;
    if (!(s->verify_pkey = public_key(tok->cert)))
        return CKR_HOST_MEMORY;
    if (m->digest) {
        s->verify_md_ctx = EVP_MD_CTX_new();
        if (!s->verify_md_ctx ||
            EVP_DigestVerifyInit_ex(s->verify_md_ctx, &pctx, m->digest, NULL,
                                    NULL, s->verify_pkey, NULL) != 1 ||
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
            p11_verify_reset(s);
            return CKR_HOST_MEMORY;
        }
    }
    s->verify_mech = m->type;
    s->verify_active = 1;
    return CKR_OK;
}

/* CKM_RSA_PKCS: the signature must recover exactly the data (a DigestInfo
 * or whatever the signer padded). */
static CK_RV verify_raw(p11_session *s, const unsigned char *sig,
                        size_t sig_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(s->verify_pkey, NULL);
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_verify(ctx, sig, sig_len, s->verify_buf,
                             s->verify_buf_len) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok ? CKR_OK : CKR_SIGNATURE_INVALID;
}

/* The key is the session's own copy: a logout that drops the token's
 * certificate meanwhile does not pull it away. */
static size_t key_size(const p11_session *s)
{
    int n = EVP_PKEY_get_size(s->verify_pkey);
    return n > 0 ? (size_t)n : 0;
}

static CK_RV finish(p11_session *s, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    size_t k = key_size(s);
    CK_RV rv;

    if (sig_len != k)
        rv = CKR_SIGNATURE_LEN_RANGE;
    else if (s->verify_md_ctx)
        rv = EVP_DigestVerifyFinal(s->verify_md_ctx, sig, sig_len) == 1
                 ? CKR_OK
                 : CKR_SIGNATURE_INVALID;
    else
        rv = verify_raw(s, sig, sig_len);
    p11_verify_reset(s);
    return rv;
}

static CK_RV take(p11_session *s, CK_BYTE_PTR data, CK_ULONG len)
{
    if (s->verify_md_ctx)
        return EVP_DigestVerifyUpdate(s->verify_md_ctx, data, len) == 1
                   ? CKR_OK
                   : CKR_GENERAL_ERROR;
    return p11_input_append(
        s->verify_buf, sizeof(s->verify_buf), &s->verify_buf_len,
        key_size(s) > 11 ? key_size(s) - 11 : 0, data, len);
}

CK_RV p11_verify(p11_session *s, CK_BYTE_PTR data, CK_ULONG len,
                 CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    CK_RV rv;

    if (s->verify_multipart) {
        p11_verify_reset(s);
        return CKR_OPERATION_ACTIVE; /* C_Verify after C_VerifyUpdate */
    }
    rv = take(s, data, len);
    if (rv != CKR_OK) {
        p11_verify_reset(s);
        return rv;
    }
    return finish(s, sig, sig_len);
}

CK_RV p11_verify_update(p11_session *s, CK_BYTE_PTR data, CK_ULONG len)
{
    CK_RV rv = take(s, data, len);

    if (rv != CKR_OK)
        p11_verify_reset(s);
    else
        s->verify_multipart = 1;
    return rv;
}

CK_RV p11_verify_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    return finish(s, sig, sig_len);
}
