/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cert.c - the certificate model: an X.509 certificate taken apart into the
 * DER pieces a consumer (the PKCS#11 object layer) needs. Not RSA-only: an
 * EC key (the next card generation signs with ECDSA P-384) gives its curve
 * and point instead of modulus and exponent.
 */
#include "jpki/jpki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

static int buf_set(jpki_buf *b, const uint8_t *p, size_t len)
{
    b->p = OPENSSL_malloc(len ? len : 1);
    if (!b->p)
        return -1;
    if (len)
        memcpy(b->p, p, len);
    b->len = len;
    return 0;
}

static void buf_clear(jpki_buf *b)
{
    if (b->p)
        OPENSSL_clear_free(b->p, b->len);
    b->p = NULL;
    b->len = 0;
}

/* Every jpki_buf is allocated by OpenSSL (i2d does so itself), so that
 * buf_clear can free them all the same way. */
static int buf_i2d(jpki_buf *b, int (*i2d)(const void *, unsigned char **),
                   const void *obj)
{
    unsigned char *p = NULL;
    int n = i2d(obj, &p);

    if (n <= 0)
        return -1;
    b->p = p;
    b->len = (size_t)n;
    return 0;
}

static int i2d_name(const void *n, unsigned char **p)
{
    return i2d_X509_NAME((const X509_NAME *)n, p);
}

static int i2d_integer(const void *n, unsigned char **p)
{
    return i2d_ASN1_INTEGER((const ASN1_INTEGER *)n, p);
}

static int i2d_pubkey(const void *k, unsigned char **p)
{
    return i2d_PUBKEY((const EVP_PKEY *)k, p);
}

static int bn_param(const EVP_PKEY *pk, const char *name, jpki_buf *out)
{
    BIGNUM *bn = NULL;
    int ok = -1;

    if (EVP_PKEY_get_bn_param(pk, name, &bn) == 1) {
        size_t n = (size_t)BN_num_bytes(bn);
        out->p = OPENSSL_malloc(n ? n : 1);
        if (out->p) {
            BN_bn2bin(bn, out->p);
            out->len = n;
            ok = 0;
        }
    }
    BN_free(bn);
    return ok;
}

static int rsa_parts(jpki_cert *c, const EVP_PKEY *pk)
{
    c->key_type = JPKI_KEYTYPE_RSA;
    return bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &c->modulus) ||
           bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &c->exponent);
}

/* EC: CKA_EC_PARAMS is the DER OID of the curve, CKA_EC_POINT the
 * uncompressed point wrapped in an OCTET STRING (PKCS#11 2.40). */
static int ec_parts(jpki_cert *c, const EVP_PKEY *pk)
{
    char curve[64];
    uint8_t point[256];
    size_t plen = 0;
    ASN1_OBJECT *oid;
    ASN1_OCTET_STRING *os;
    int rc = -1;

    c->key_type = JPKI_KEYTYPE_EC;
    if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve,
                                       sizeof curve, NULL) != 1 ||
        EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, point,
                                        sizeof point, &plen) != 1)
        return -1;
    oid = OBJ_txt2obj(curve, 0);
    os = ASN1_OCTET_STRING_new();
    if (oid && os && ASN1_OCTET_STRING_set(os, point, (int)plen) == 1) {
        unsigned char *p = NULL;
        int n = i2d_ASN1_OBJECT(oid, &p);
        if (n > 0) {
            c->ec_params.p = p;
            c->ec_params.len = (size_t)n;
            p = NULL;
            n = i2d_ASN1_OCTET_STRING(os, &p);
            if (n > 0) {
                c->ec_point.p = p;
                c->ec_point.len = (size_t)n;
                rc = 0;
            }
        }
    }
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(os);
    return rc;
}

static void date_of(const ASN1_TIME *t, char out[9])
{
    struct tm tm;

    out[0] = '\0';
    if (t && ASN1_TIME_to_tm(t, &tm) == 1 && tm.tm_year >= -1900 &&
        tm.tm_year < 8100)
        snprintf(out, 9, "%04u%02u%02u", (unsigned)(tm.tm_year + 1900),
                 (unsigned)(tm.tm_mon + 1) % 13u, (unsigned)tm.tm_mday % 32u);
}

static int fill(jpki_cert *c, X509 *x)
{
    EVP_PKEY *pk = X509_get0_pubkey(x);

    if (!pk || buf_i2d(&c->subject, i2d_name, X509_get_subject_name(x)) ||
        buf_i2d(&c->issuer, i2d_name, X509_get_issuer_name(x)) ||
        buf_i2d(&c->serial, i2d_integer, X509_get0_serialNumber(x)) ||
        buf_i2d(&c->spki, i2d_pubkey, pk))
        return -1;
    c->key_bits = (unsigned)EVP_PKEY_get_bits(pk);
    date_of(X509_get0_notBefore(x), c->not_before);
    date_of(X509_get0_notAfter(x), c->not_after);
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA: return rsa_parts(c, pk);
    case EVP_PKEY_EC: return ec_parts(c, pk);
    default: return -1; /* a key type no JPKI card has */
    }
}

jpki_rv jpki_cert_parse(const uint8_t *der, size_t len, jpki_cert **out)
{
    const unsigned char *p = der;
    jpki_cert *c;
    X509 *x;

    if (!der || !len || !out || len > 0x7FFFFFFF)
        return JPKI_ERR_ARGS;
    *out = NULL;
    x = d2i_X509(NULL, &p, (long)len);
    if (!x)
        return JPKI_ERR_BAD_DATA;
    /* Trailing bytes after the certificate mean it is not what we think. */
    if ((size_t)(p - der) != len) {
        X509_free(x);
        return JPKI_ERR_BAD_DATA;
    }
    c = calloc(1, sizeof *c);
    if (!c || buf_set(&c->der, der, len) || fill(c, x)) {
        X509_free(x);
        jpki_cert_free(c);
        return c ? JPKI_ERR_BAD_DATA : JPKI_ERR_MEMORY;
    }
    X509_free(x);
    *out = c;
    return JPKI_OK;
}

void jpki_cert_free(jpki_cert *c)
{
    if (!c)
        return;
    buf_clear(&c->der);
    buf_clear(&c->subject);
    buf_clear(&c->issuer);
    buf_clear(&c->serial);
    buf_clear(&c->spki);
    buf_clear(&c->modulus);
    buf_clear(&c->exponent);
    buf_clear(&c->ec_params);
    buf_clear(&c->ec_point);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

size_t jpki_cert_signature_len(const jpki_cert *c)
{
    if (!c)
        return 0;
    if (c->key_type == JPKI_KEYTYPE_RSA)
        return c->modulus.len;
    /* ECDSA as PKCS#11 returns it: r || s, each the size of the order. */
    return 2 * ((c->key_bits + 7) / 8);
}

size_t jpki_cert_max_sign_input(const jpki_cert *c)
{
    size_t k = jpki_cert_signature_len(c);

    if (!c || c->key_type != JPKI_KEYTYPE_RSA)
        return k;
    return k > 11 ? k - 11 : 0;
}
