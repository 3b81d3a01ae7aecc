/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mech.c - the mechanisms a token offers: only what the card really does.
 * The card signs a DigestInfo with PKCS#1 v1.5 padding (P1 00), or a
 * SHA-256 hash with RSA-PSS (P1 04, mech_pss.c, while the card has not
 * refused it); hashing mechanisms hash on the host. Every signature is
 * verified with the certificate's key before it is returned. No raw RSA,
 * no decryption: not advertised.
 * A card of the ECDSA generation gets the ECDSA mechanisms instead
 * (mech_ec.c); the certificate's key type decides.
 * Also the operation record that signing and verification share (p11_op):
 * how one starts, collects its input and ends.
 */
#include "pkcs11/p11.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/log.h"

/* DER DigestInfo headers (RFC 8017, section 9.2, note 1). */
static const unsigned char di_sha1[] = { 0x30, 0x21, 0x30, 0x09, 0x06,
                                         0x05, 0x2b, 0x0e, 0x03, 0x02,
                                         0x1a, 0x05, 0x00, 0x04, 0x14 };
#define DI_SHA2(last, len)                                                    \
    {                                                                         \
        0x30, (unsigned char)(0x11 + (len)), 0x30, 0x0d, 0x06, 0x09, 0x60,    \
            0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, (last), 0x05, 0x00,     \
            0x04, (unsigned char)(len)                                        \
    }
static const unsigned char di_sha224[] = DI_SHA2(0x04, 28);
static const unsigned char di_sha256[] = DI_SHA2(0x01, 32);
static const unsigned char di_sha384[] = DI_SHA2(0x02, 48);
static const unsigned char di_sha512[] = DI_SHA2(0x03, 64);

/* PKCS#1 v1.5 and ECDSA mechanisms take no parameter. */
CK_RV p11_mech_no_param(p11_op *op, const CK_MECHANISM *mech)
{
    (void)op;
    return mech->pParameter || mech->ulParameterLen
               ? CKR_MECHANISM_PARAM_INVALID
               : CKR_OK;
}

/* CKM_RSA_PKCS: the card signs the caller's DigestInfo as given. */
static CK_RV input_as_given(p11_op *op, unsigned char *in, size_t cap,
                            size_t *in_len)
{
    if (op->buf_len > cap)
        return CKR_DATA_LEN_RANGE;
    memcpy(in, op->buf, op->buf_len);
    *in_len = op->buf_len;
    return CKR_OK;
}

/* CKM_SHAx_RSA_PKCS: the DigestInfo header and the hash of the input. */
static CK_RV input_digest_info(p11_op *op, unsigned char *in, size_t cap,
                               size_t *in_len)
{
    unsigned int hlen = 0;

    if (op->mech->prefix_len + EVP_MAX_MD_SIZE > cap)
        return CKR_GENERAL_ERROR;
    memcpy(in, op->mech->prefix, op->mech->prefix_len);
    if (EVP_DigestFinal_ex(op->md_ctx, in + op->mech->prefix_len, &hlen) != 1)
        return CKR_GENERAL_ERROR;
    *in_len = op->mech->prefix_len + hlen;
    return CKR_OK;
}

/* An RSA signature is the card's answer as it is, of the key's size. */
static CK_RV output_rsa(const unsigned char *out, size_t out_len,
                        CK_BYTE_PTR sig, size_t k)
{
    if (out_len != k) {
        JLOG_ERR("card returned a %zu-byte signature, expected %zu", out_len,
                 k);
        return CKR_DEVICE_ERROR;
    }
    memcpy(sig, out, k);
    return CKR_OK;
}

static int padding_pkcs1(void *pkey_ctx, const p11_op *op)
{
    (void)op;
    return EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING);
}

/* The card's PKCS#1 v1.5 signature is checked with the certificate's key
 * before the caller sees it (about 30 us on the host against the card's
 * hundreds of ms). The key is named by SFI in P2 on one public source's
 * word: a card that read P2 otherwise could sign with its other key, and
 * that signature must fail here, not at the relying party. */
static CK_RV check_pkcs1(p11_token *tok, const p11_op *op,
                         const unsigned char *in, size_t in_len,
                         const unsigned char *sig, size_t k)
{
    const unsigned char *p = tok->cert->spki.p;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)tok->cert->spki.len);
    EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
    unsigned char got[512];
    size_t got_len = sizeof got;
    int ok = ctx && EVP_PKEY_verify_recover_init(ctx) == 1 &&
             padding_pkcs1(ctx, op) == 1 &&
             EVP_PKEY_verify_recover(ctx, got, &got_len, sig, k) == 1 &&
             got_len == in_len && CRYPTO_memcmp(got, in, in_len) == 0;

    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    OPENSSL_cleanse(got, sizeof got);
    if (ok)
        return CKR_OK;
    JLOG_ERR("the card's signature does not verify with the certificate's "
             "key: not returned (please report the card)");
    return CKR_FUNCTION_FAILED;
}

#define PKCS1 JPKI_SCHEME_PKCS1, check_pkcs1, NULL, NULL /* the card pads */
static const p11_mech rsa_mechs[] = {
    { CKM_RSA_PKCS, NULL, NULL, 0, 0, p11_mech_no_param, input_as_given,
      output_rsa, padding_pkcs1, PKCS1 },
    { CKM_SHA1_RSA_PKCS, "SHA1", di_sha1, sizeof di_sha1, 20,
      p11_mech_no_param, input_digest_info, output_rsa, padding_pkcs1, PKCS1 },
    { CKM_SHA224_RSA_PKCS, "SHA224", di_sha224, sizeof di_sha224, 28,
      p11_mech_no_param, input_digest_info, output_rsa, padding_pkcs1, PKCS1 },
    { CKM_SHA256_RSA_PKCS, "SHA256", di_sha256, sizeof di_sha256, 32,
      p11_mech_no_param, input_digest_info, output_rsa, padding_pkcs1, PKCS1 },
    { CKM_SHA384_RSA_PKCS, "SHA384", di_sha384, sizeof di_sha384, 48,
      p11_mech_no_param, input_digest_info, output_rsa, padding_pkcs1, PKCS1 },
    { CKM_SHA512_RSA_PKCS, "SHA512", di_sha512, sizeof di_sha512, 64,
      p11_mech_no_param, input_digest_info, output_rsa, padding_pkcs1, PKCS1 },
    /* RSA-PSS (mech_pss.c): the card's scheme P1 04, checked on the host */
    { CKM_RSA_PKCS_PSS, NULL, NULL, 0, 32, p11_pss_param, p11_pss_input_hash,
      output_rsa, p11_pss_padding, JPKI_SCHEME_PSS_SHA256, p11_pss_check,
      p11_pss_offered, NULL },
    { CKM_SHA256_RSA_PKCS_PSS, "SHA256", NULL, 0, 32, p11_pss_param,
      p11_pss_input_digest, output_rsa, p11_pss_padding,
      JPKI_SCHEME_PSS_SHA256, p11_pss_check, p11_pss_offered, NULL },
};
#define N_RSA_MECHS (sizeof rsa_mechs / sizeof rsa_mechs[0])

/* Both keys of a card are of one generation; the authentication
 * certificate (readable without PIN on a card) tells which. */
static int token_is_rsa(p11_token *tok)
{
    p11_token *auth = &tok->card->tok[JPKI_AUTH];
    const jpki_cert *c = tok->cert ? tok->cert : auth->cert;

    if (!c && p11_token_load_cert(auth) == CKR_OK)
        c = auth->cert;
    return !c || c->key_type == JPKI_KEYTYPE_RSA;
}

static unsigned key_bits(p11_token *tok)
{
    const jpki_cert *c =
        tok->cert ? tok->cert : tok->card->tok[JPKI_AUTH].cert;
    return c ? c->key_bits : 2048;
}

/* The token's mechanisms, by its key type. */
static const p11_mech *mech_table(p11_token *tok, size_t *n)
{
    if (!token_is_rsa(tok))
        return p11_ec_mechs(n);
    *n = N_RSA_MECHS;
    return rsa_mechs;
}

static int offered(p11_token *tok, const p11_mech *m)
{
    return !m->offered || m->offered(tok);
}

const p11_mech *p11_mech_find(p11_token *tok, CK_MECHANISM_TYPE type)
{
    size_t i, n;
    const p11_mech *tab = mech_table(tok, &n);

    for (i = 0; i < n; i++)
        if (tab[i].type == type && offered(tok, &tab[i]))
            return &tab[i];
    return NULL;
}

CK_RV p11_mech_list(p11_token *tok, CK_MECHANISM_TYPE_PTR list,
                    CK_ULONG_PTR count)
{
    size_t n_tab;
    const p11_mech *tab;
    CK_MECHANISM_TYPE types[N_RSA_MECHS + 8];
    CK_ULONG n = 0, i;

    if (!count)
        return CKR_ARGUMENTS_BAD;
    tab = mech_table(tok, &n_tab);
    for (i = 0; i < n_tab && n < sizeof types / sizeof types[0]; i++)
        if (offered(tok, &tab[i]))
            types[n++] = tab[i].type;
    if (!list) {
        *count = n;
        return CKR_OK;
    }
    if (*count < n) {
        *count = n;
        return CKR_BUFFER_TOO_SMALL;
    }
    memcpy(list, types, n * sizeof types[0]);
    *count = n;
    return CKR_OK;
}

CK_RV p11_mech_info(p11_token *tok, CK_MECHANISM_TYPE type,
                    CK_MECHANISM_INFO_PTR info)
{
    const p11_mech *m = info ? p11_mech_find(tok, type) : NULL;

    if (!info)
        return CKR_ARGUMENTS_BAD;
    if (!m)
        return CKR_MECHANISM_INVALID;
    memset(info, 0, sizeof *info);
    info->ulMinKeySize = info->ulMaxKeySize = key_bits(tok);
    /* Verification runs on the host, with the certificate's key. */
    info->flags = CKF_SIGN | CKF_VERIFY | (m->digest ? 0 : CKF_HW);
    if (!token_is_rsa(tok)) /* P-384 by name, points uncompressed */
        info->flags |= CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
    return CKR_OK;
}

CK_RV p11_op_start(p11_op *op, p11_token *tok, const CK_MECHANISM *mech,
                   CK_OBJECT_HANDLE key)
{
    const p11_mech *m = p11_mech_find(tok, mech->mechanism);
    CK_RV rv;

    if (!m)
        return CKR_MECHANISM_INVALID;
    rv = m->param(op, mech);
    if (rv != CKR_OK) {
        p11_op_reset(op);
        return rv;
    }
    op->mech = m;
    op->key = key;
    return CKR_OK;
}

void p11_op_reset(p11_op *op)
{
    EVP_MD_CTX_free(op->md_ctx);
    EVP_PKEY_free(op->pkey);
    OPENSSL_cleanse(op, sizeof *op);
}

CK_RV p11_op_append(p11_op *op, size_t max, const CK_BYTE *data, CK_ULONG len)
{
    if (max > sizeof op->buf)
        max = sizeof op->buf;
    if (op->buf_len > max || len > max - op->buf_len)
        return CKR_DATA_LEN_RANGE;
    if (len)
        memcpy(op->buf + op->buf_len, data, len);
    op->buf_len += len;
    return CKR_OK;
}
