/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign.c - C_SignInit / C_Sign / C_SignUpdate / C_SignFinal.
 *
 * CKM_RSA_PKCS takes the DigestInfo from the caller; CKM_SHAx_RSA_PKCS
 * hash on the host and build the DigestInfo here. Either way the card gets
 * one DigestInfo and returns the signature.
 */
#include "pkcs11/p11.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"

void p11_sign_reset(p11_session *s)
{
    EVP_MD_CTX_free(s->md_ctx);
    s->md_ctx = NULL;
    OPENSSL_cleanse(s->sign_buf, sizeof(s->sign_buf));
    s->sign_buf_len = 0;
    s->sign_active = 0;
    s->sign_multipart = 0;
}

CK_RV p11_sign_init(p11_session *s, CK_MECHANISM_PTR mech,
                    CK_OBJECT_HANDLE key)
{
    p11_token *tok = s->tok;
    const p11_mech *m;
    int kind = -1;

    if (!p11_object_get(tok, key, &kind) || kind != P11_OBJ_PRIVKEY) {
        /* A private key is only visible after login. */
        if (!p11_token_logged_in(tok) && (key & 0xF) == P11_OBJ_PRIVKEY + 1)
            return CKR_USER_NOT_LOGGED_IN;
        return CKR_KEY_HANDLE_INVALID;
    }
    m = p11_mech_find(tok, mech->mechanism);
    if (!m)
        return CKR_MECHANISM_INVALID;
    if (mech->pParameter || mech->ulParameterLen)
        return CKR_MECHANISM_PARAM_INVALID;
    if (m->digest) {
        EVP_MD *md = EVP_MD_fetch(NULL, m->digest, NULL);
        s->md_ctx = EVP_MD_CTX_new();
        if (!md || !s->md_ctx || EVP_DigestInit_ex(s->md_ctx, md, NULL) != 1) {
            EVP_MD_free(md);
            p11_sign_reset(s);
            return CKR_HOST_MEMORY;
        }
        EVP_MD_free(md);
    }
    s->sign_mech = m->type;
    s->sign_active = 1;
    return CKR_OK;
}

/* The DigestInfo the card signs: the caller's data for CKM_RSA_PKCS, else
 * the DigestInfo header and the hash of everything given so far. */
static CK_RV make_input(p11_session *s, const p11_mech *m, unsigned char *in,
                        size_t *in_len)
{
    unsigned int hlen = 0;

    if (!m->digest) {
        memcpy(in, s->sign_buf, s->sign_buf_len);
        *in_len = s->sign_buf_len;
        return CKR_OK;
    }
    memcpy(in, m->prefix, m->prefix_len);
    if (EVP_DigestFinal_ex(s->md_ctx, in + m->prefix_len, &hlen) != 1)
        return CKR_GENERAL_ERROR;
    *in_len = m->prefix_len + hlen;
    return CKR_OK;
}

/* Shared end of C_Sign and C_SignFinal: length query, card, result. */
static CK_RV finish(p11_session *s, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    p11_token *tok = s->tok;
    p11_card *c = tok->card;
    const p11_mech *m = p11_mech_find(tok, s->sign_mech);
    size_t k = jpki_cert_signature_len(tok->cert), in_len = 0, out_len;
    unsigned char in[512], out[512];
    jpki_rv jrv;
    CK_RV rv;

    if (!sig) {
        *sig_len = k; /* length query: the operation stays active */
        return CKR_OK;
    }
    if (*sig_len < k) {
        *sig_len = k;
        return CKR_BUFFER_TOO_SMALL;
    }
    if (!m) {
        p11_sign_reset(s);
        return CKR_GENERAL_ERROR;
    }
    rv = make_input(s, m, in, &in_len);
    if (rv == CKR_OK && in_len > jpki_cert_max_sign_input(tok->cert))
        rv = CKR_DATA_LEN_RANGE;
    if (rv == CKR_OK) {
        out_len = sizeof(out);
        jrv = jpki_card_sign(c->jc, tok->key, JPKI_SCHEME_PKCS1, in, in_len,
                             out, &out_len);
        if (jrv == JPKI_ERR_SECURITY) {
            /* The card no longer holds this PIN (reset, another program,
             * or a single-use signature PIN): tell the truth. */
            JLOG_INFO("signature refused by the card: PIN not verified");
            p11_token_logout(tok);
            rv = CKR_USER_NOT_LOGGED_IN;
        } else if (jrv != JPKI_OK) {
            rv = p11_card_error(c, jrv);
        } else if (out_len != k) {
            JLOG_ERR("card returned a %zu-byte signature, expected %zu",
                     out_len, k);
            rv = CKR_DEVICE_ERROR;
        } else {
            memcpy(sig, out, k);
            *sig_len = k;
        }
    }
    OPENSSL_cleanse(in, sizeof(in));
    p11_sign_reset(s);
    return rv;
}

/* A logout (in any session, or by the card) ends what a signing operation
 * may do: say so without asking the card. */
static int key_gone(p11_session *s)
{
    if (s->tok->cert && p11_token_logged_in(s->tok))
        return 0;
    p11_sign_reset(s);
    return 1;
}

/* Data for CKM_RSA_PKCS collects in sign_buf; more than one block can
 * carry is an error the caller must hear about. */
static CK_RV take(p11_session *s, CK_BYTE_PTR data, CK_ULONG len)
{
    if (s->md_ctx)
        return EVP_DigestUpdate(s->md_ctx, data, len) == 1 ? CKR_OK
                                                           : CKR_GENERAL_ERROR;
    return p11_input_append(s->sign_buf, sizeof(s->sign_buf), &s->sign_buf_len,
                            jpki_cert_max_sign_input(s->tok->cert), data, len);
}

CK_RV p11_sign(p11_session *s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
               CK_ULONG_PTR sig_len)
{
    CK_RV rv;

    if (key_gone(s))
        return CKR_USER_NOT_LOGGED_IN;
    if (s->sign_multipart) {
        p11_sign_reset(s);
        return CKR_OPERATION_ACTIVE; /* C_Sign after C_SignUpdate */
    }
    if (!sig) {
        *sig_len = jpki_cert_signature_len(s->tok->cert);
        return CKR_OK;
    }
    if (*sig_len < jpki_cert_signature_len(s->tok->cert))
        return finish(s, sig, sig_len);
    rv = take(s, data, len);
    if (rv != CKR_OK) {
        p11_sign_reset(s);
        return rv;
    }
    return finish(s, sig, sig_len);
}

CK_RV p11_sign_update(p11_session *s, CK_BYTE_PTR data, CK_ULONG len)
{
    CK_RV rv;

    if (key_gone(s))
        return CKR_USER_NOT_LOGGED_IN;
    rv = take(s, data, len);

    if (rv != CKR_OK)
        p11_sign_reset(s);
    else
        s->sign_multipart = 1;
    return rv;
}

CK_RV p11_sign_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    if (key_gone(s))
        return CKR_USER_NOT_LOGGED_IN;
    return finish(s, sig, sig_len);
}
