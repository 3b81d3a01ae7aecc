/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign.c - C_SignInit / C_Sign / C_SignUpdate / C_SignFinal.
 *
 * CKM_RSA_PKCS takes the DigestInfo from the caller; CKM_SHAx_RSA_PKCS
 * hash on the host and build the DigestInfo here. Either way the card gets
 * one DigestInfo and returns the signature. The PSS mechanisms give the
 * card a SHA-256 hash with their scheme, and check what it returns. ECDSA
 * (mech_ec.c): the card gets a hash and the JPKI layer returns r||s,
 * verified.
 */
#include "pkcs11/p11.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"

int p11_sign_active(const p11_session *s)
{
    return s->sign.mech != NULL;
}

CK_RV p11_sign_init(p11_session *s, CK_MECHANISM_PTR mech,
                    CK_OBJECT_HANDLE key)
{
    p11_token *tok = s->tok;
    p11_op *op = &s->sign;
    EVP_MD *md;
    int kind = -1;
    CK_RV rv;

    if (!mech)
        return CKR_ARGUMENTS_BAD;
    if (op->mech)
        return CKR_OPERATION_ACTIVE;
    if (!p11_object_get(tok, key, &kind) || kind != P11_OBJ_PRIVKEY)
        return p11_object_needs_login(tok, key) ? CKR_USER_NOT_LOGGED_IN
                                                : CKR_KEY_HANDLE_INVALID;
    rv = p11_op_start(op, tok, mech, key);
    if (rv != CKR_OK || !op->mech->digest)
        return rv;
    md = EVP_MD_fetch(NULL, op->mech->digest, NULL);
    op->md_ctx = EVP_MD_CTX_new();
    if (!md || !op->md_ctx || EVP_DigestInit_ex(op->md_ctx, md, NULL) != 1)
        rv = CKR_HOST_MEMORY;
    EVP_MD_free(md);
    if (rv != CKR_OK)
        p11_op_reset(op);
    return rv;
}

/* The card's answer to one input, as the caller's signature. */
static CK_RV card_sign(p11_token *tok, const p11_op *op,
                       const unsigned char *in, size_t in_len, CK_BYTE_PTR sig,
                       size_t k)
{
    unsigned char out[512];
    size_t out_len = sizeof out;
    jpki_rv jrv =
        op->mech->card_sign
            ? op->mech->card_sign(tok, in, in_len, out, &out_len)
            : jpki_card_sign(tok->card->jc, tok->key, op->mech->scheme, in,
                             in_len, out, &out_len);
    CK_RV rv;

    if (jrv == JPKI_ERR_SECURITY) {
        /* The card no longer holds this PIN (reset, another program, or a
         * single-use signature PIN): tell the truth. */
        JLOG_INFO("signature refused by the card: PIN not verified");
        p11_token_logout(tok);
        return CKR_USER_NOT_LOGGED_IN;
    }
    if (jrv == JPKI_ERR_UNSUPPORTED) {
        /* The card does not know the scheme (PSS): it is no longer
         * offered for this card; the login stays, PKCS#1 v1.5 works. */
        JLOG_WARN("the card refuses RSA-PSS (its scheme P1 04): PSS is no "
                  "longer offered for this card; use PKCS#1 v1.5");
        return CKR_MECHANISM_INVALID;
    }
    if (jrv != JPKI_OK)
        return p11_card_error(tok->card, jrv);
    rv = op->mech->card_output(out, out_len, sig, k);
    if (rv == CKR_OK && op->mech->card_check &&
        (rv = op->mech->card_check(tok, op, in, in_len, sig, k)) != CKR_OK)
        OPENSSL_cleanse(sig, k); /* never output */
    return rv;
}

/* Shared end of C_Sign and C_SignFinal: length query, card, result. */
static CK_RV finish(p11_session *s, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    p11_token *tok = s->tok;
    p11_op *op = &s->sign;
    size_t k = jpki_cert_signature_len(tok->cert), in_len = 0;
    unsigned char in[512];
    CK_RV rv;

    if (!sig) {
        *sig_len = k; /* length query: the operation stays active */
        return CKR_OK;
    }
    if (*sig_len < k) {
        *sig_len = k;
        return CKR_BUFFER_TOO_SMALL;
    }
    rv = op->mech->card_input(op, in, sizeof in, &in_len);
    if (rv == CKR_OK && in_len > jpki_cert_max_sign_input(tok->cert))
        rv = CKR_DATA_LEN_RANGE;
    if (rv == CKR_OK)
        rv = card_sign(tok, op, in, in_len, sig, k);
    if (rv == CKR_OK)
        *sig_len = k;
    OPENSSL_cleanse(in, sizeof in);
    p11_op_reset(op);
    return rv;
}

/* Every call but C_SignInit: the operation must be active; a logout (in
 * any session, or by the card) ends what it may do, said without asking
 * the card. Bad arguments end the operation too. */
static CK_RV check(p11_session *s, int args_ok)
{
    if (!s->sign.mech)
        return CKR_OPERATION_NOT_INITIALIZED;
    if (!args_ok) {
        p11_op_reset(&s->sign);
        return CKR_ARGUMENTS_BAD;
    }
    if (s->tok->cert && p11_token_logged_in(s->tok))
        return CKR_OK;
    p11_op_reset(&s->sign);
    return CKR_USER_NOT_LOGGED_IN;
}

/* Hashed, or collected for a mechanism that does not hash: more than one
 * block can carry is an error the caller must hear about. */
static CK_RV take(p11_session *s, CK_BYTE_PTR data, CK_ULONG len)
{
    p11_op *op = &s->sign;
    CK_RV rv;

    if (op->md_ctx)
        rv = EVP_DigestUpdate(op->md_ctx, data, len) == 1 ? CKR_OK
                                                          : CKR_GENERAL_ERROR;
    else
        rv = p11_op_append(op, jpki_cert_max_sign_input(s->tok->cert), data,
                           len);
    if (rv != CKR_OK)
        p11_op_reset(op);
    return rv;
}

CK_RV p11_sign(p11_session *s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
               CK_ULONG_PTR sig_len)
{
    CK_RV rv = check(s, sig_len && (data || !len));

    if (rv != CKR_OK)
        return rv;
    if (s->sign.multipart) {
        p11_op_reset(&s->sign);
        return CKR_OPERATION_ACTIVE; /* C_Sign after C_SignUpdate */
    }
    if (!sig) {
        *sig_len = jpki_cert_signature_len(s->tok->cert);
        return CKR_OK;
    }
    if (*sig_len < jpki_cert_signature_len(s->tok->cert))
        return finish(s, sig, sig_len);
    rv = take(s, data, len);
    return rv == CKR_OK ? finish(s, sig, sig_len) : rv;
}

CK_RV p11_sign_update(p11_session *s, CK_BYTE_PTR data, CK_ULONG len)
{
    CK_RV rv = check(s, data || !len);

    if (rv == CKR_OK)
        rv = take(s, data, len);
    if (rv == CKR_OK)
        s->sign.multipart = 1;
    return rv;
}

CK_RV p11_sign_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    CK_RV rv = check(s, sig_len != NULL);

    return rv == CKR_OK ? finish(s, sig, sig_len) : rv;
}
