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

static EVP_PKEY *public_key(const jpki_cert *c)
{
    const unsigned char *p = c->spki.p;
    return d2i_PUBKEY(NULL, &p, (long)c->spki.len);
}

CK_RV p11_verify_init(p11_session *s, CK_MECHANISM_PTR mech,
                      CK_OBJECT_HANDLE key)
{
    p11_token *tok = s->tok;
    p11_op *op = &s->verify;
    EVP_PKEY_CTX *pctx = NULL;
    int kind = -1;
    CK_RV rv;

    if (!mech)
        return CKR_ARGUMENTS_BAD;
    if (op->mech)
        return CKR_OPERATION_ACTIVE;
    /* Only the public key object verifies (CKA_VERIFY). */
    if (!p11_object_get(tok, key, &kind) || kind != P11_OBJ_PUBKEY ||
        !tok->cert)
        return CKR_KEY_HANDLE_INVALID;
    rv = p11_op_start(op, tok, mech, key);
    if (rv != CKR_OK)
        return rv;
    if (!(op->pkey = public_key(tok->cert)))
        rv = CKR_HOST_MEMORY;
    else if (op->mech->digest &&
             (!(op->md_ctx = EVP_MD_CTX_new()) ||
              EVP_DigestVerifyInit_ex(op->md_ctx, &pctx, op->mech->digest,
                                      NULL, NULL, op->pkey, NULL) != 1 ||
              op->mech->host_padding(pctx, op) != 1))
        rv = CKR_HOST_MEMORY;
    if (rv != CKR_OK)
        p11_op_reset(op);
    return rv;
}

/* A mechanism that does not hash: the signature must recover exactly the
 * data (a DigestInfo or whatever the signer padded). */
static CK_RV verify_raw(p11_op *op, const unsigned char *sig, size_t sig_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(op->pkey, NULL);
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             op->mech->host_padding(ctx, op) == 1 &&
             EVP_PKEY_verify(ctx, sig, sig_len, op->buf, op->buf_len) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok ? CKR_OK : CKR_SIGNATURE_INVALID;
}

/* The key is the operation's own copy: a logout that drops the token's
 * certificate meanwhile does not pull it away. */
static size_t key_size(const p11_op *op)
{
    int n = EVP_PKEY_get_size(op->pkey);
    return n > 0 ? (size_t)n : 0;
}

static CK_RV finish(p11_op *op, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    unsigned char der[P11_EC_DER_MAX];
    size_t der_len = 0;
    CK_RV rv;

    /* ECDSA: PKCS#11's r||s becomes the DER OpenSSL checks (mech_ec.c) */
    if (EVP_PKEY_is_a(op->pkey, "EC") &&
        p11_ec_sig_to_der(sig, sig_len, der, &der_len) == 0) {
        sig = der;
        sig_len = der_len;
    } else if (EVP_PKEY_is_a(op->pkey, "EC") || sig_len != key_size(op)) {
        p11_op_reset(op);
        return CKR_SIGNATURE_LEN_RANGE;
    }
    if (op->md_ctx)
        rv = EVP_DigestVerifyFinal(op->md_ctx, sig, sig_len) == 1
                 ? CKR_OK
                 : CKR_SIGNATURE_INVALID;
    else
        rv = verify_raw(op, sig, sig_len);
    p11_op_reset(op);
    return rv;
}

/* Every call but C_VerifyInit: the operation must be active; bad
 * arguments end it. */
static CK_RV check(p11_op *op, int args_ok)
{
    if (!op->mech)
        return CKR_OPERATION_NOT_INITIALIZED;
    if (args_ok)
        return CKR_OK;
    p11_op_reset(op);
    return CKR_ARGUMENTS_BAD;
}

static CK_RV take(p11_op *op, CK_BYTE_PTR data, CK_ULONG len)
{
    size_t k = key_size(op);
    CK_RV rv;

    if (op->md_ctx)
        rv = EVP_DigestVerifyUpdate(op->md_ctx, data, len) == 1
                 ? CKR_OK
                 : CKR_GENERAL_ERROR;
    else
        rv = p11_op_append(op, k > 11 ? k - 11 : 0, data, len);
    if (rv != CKR_OK)
        p11_op_reset(op);
    return rv;
}

CK_RV p11_verify(p11_session *s, CK_BYTE_PTR data, CK_ULONG len,
                 CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    p11_op *op = &s->verify;
    CK_RV rv = check(op, (data || !len) && sig);

    if (rv != CKR_OK)
        return rv;
    if (op->multipart) {
        p11_op_reset(op);
        return CKR_OPERATION_ACTIVE; /* C_Verify after C_VerifyUpdate */
    }
    rv = take(op, data, len);
    return rv == CKR_OK ? finish(op, sig, sig_len) : rv;
}

CK_RV p11_verify_update(p11_session *s, CK_BYTE_PTR data, CK_ULONG len)
{
    p11_op *op = &s->verify;
    CK_RV rv = check(op, data || !len);

    if (rv == CKR_OK)
        rv = take(op, data, len);
    if (rv == CKR_OK)
        op->multipart = 1;
    return rv;
}

CK_RV p11_verify_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    CK_RV rv = check(&s->verify, sig != NULL);

    return rv == CKR_OK ? finish(&s->verify, sig, sig_len) : rv;
}
