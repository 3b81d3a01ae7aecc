/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_objects.c - the object layer on its own (src/pkcs11/object.c,
 * mech.c): objects built from a certificate, without a card. The proof that
 * the model is not RSA-only: an ECDSA P-384 key (the next card generation)
 * comes out with CKK_EC, its curve and point, and no RSA attribute; and no
 * mechanism is advertised for it until its signature command is known.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pkcs11/p11.h"

static p11_card card;
static p11_token *tok;
static jpki_cert *cert;

/* A self-signed certificate for a fresh key of the given kind. */
static jpki_cert *make_cert(const char *alg, const char *param)
{
    EVP_PKEY *pk = strcmp(alg, "EC") == 0
                       ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", param)
                       : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    X509 *x = X509_new();
    unsigned char *der = NULL;
    jpki_cert *c = NULL;
    int n;

    ck_assert_ptr_nonnull(pk);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"EC test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pk);
    ck_assert_int_gt(X509_sign(x, pk, EVP_sha384()), 0);
    n = i2d_X509(x, &der);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(jpki_cert_parse(der, (size_t)n, &c), JPKI_OK);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(pk);
    return c;
}

static void setup_ec(void)
{
    memset(&card, 0, sizeof(card));
    tok = &card.tok[JPKI_AUTH];
    tok->card = &card;
    tok->key = JPKI_AUTH;
    card.tok[JPKI_SIGN].card = &card;
    card.tok[JPKI_SIGN].key = JPKI_SIGN;
    cert = make_cert("EC", "P-384");
    tok->cert = cert;
}

static void teardown(void)
{
    int k;

    for (k = 0; k < P11_OBJ_KINDS; k++)
        p11_object_clear(&tok->obj[k]);
    jpki_cert_free(cert);
    tok->cert = NULL;
}

static CK_RV get(int kind, CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG *len)
{
    CK_ATTRIBUTE a = { type, buf, *len };
    CK_RV rv = p11_object_get_attrs(&tok->obj[kind], kind, &a, 1);

    *len = a.ulValueLen;
    return rv;
}

START_TEST(test_ec_cert_model)
{
    ck_assert_int_eq(cert->key_type, JPKI_KEYTYPE_EC);
    ck_assert_uint_eq(cert->key_bits, 384);
    /* r || s, 48 bytes each */
    ck_assert_uint_eq(jpki_cert_signature_len(cert), 96);
    ck_assert_uint_eq(cert->modulus.len, 0);
}
END_TEST

START_TEST(test_ec_key_objects)
{
    static const unsigned char p384_oid[] = { 0x06, 0x05, 0x2B, 0x81,
                                              0x04, 0x00, 0x22 };
    unsigned char buf[512];
    CK_ULONG len;
    CK_KEY_TYPE kt;
    CK_BBOOL b;
    int kind;

    for (kind = P11_OBJ_PUBKEY; kind <= P11_OBJ_PRIVKEY; kind++) {
        ck_assert_int_eq(p11_object_build(tok, kind, cert, 0), CKR_OK);
        len = sizeof(kt);
        ck_assert_int_eq(get(kind, CKA_KEY_TYPE, &kt, &len), CKR_OK);
        ck_assert_uint_eq(kt, CKK_EC);
        len = sizeof(buf);
        ck_assert_int_eq(get(kind, CKA_EC_PARAMS, buf, &len), CKR_OK);
        ck_assert_uint_eq(len, sizeof(p384_oid));
        ck_assert_mem_eq(buf, p384_oid, sizeof(p384_oid));
        len = sizeof(buf);
        ck_assert_int_eq(get(kind, CKA_MODULUS, buf, &len),
                         CKR_ATTRIBUTE_TYPE_INVALID);
        ck_assert_uint_eq(len, CK_UNAVAILABLE_INFORMATION);
        len = sizeof(buf);
        ck_assert_int_eq(get(kind, CKA_PUBLIC_KEY_INFO, buf, &len), CKR_OK);
        ck_assert_uint_eq(len, cert->spki.len);
    }
    /* the public key's point: an OCTET STRING of the uncompressed point */
    len = sizeof(buf);
    ck_assert_int_eq(get(P11_OBJ_PUBKEY, CKA_EC_POINT, buf, &len), CKR_OK);
    ck_assert_uint_eq(len, 2 + 97);
    ck_assert_uint_eq(buf[0], 0x04);
    ck_assert_uint_eq(buf[1], 97);
    ck_assert_uint_eq(buf[2], 0x04);
    /* the private key carries the point too, for clients that look there */
    unsigned char point[512];
    CK_ULONG plen = sizeof(point);
    ck_assert_int_eq(get(P11_OBJ_PRIVKEY, CKA_EC_POINT, point, &plen), CKR_OK);
    ck_assert_uint_eq(plen, len);
    ck_assert_mem_eq(point, buf, len);
    /* the private key signs, and its value stays on the card */
    len = sizeof(b);
    ck_assert_int_eq(get(P11_OBJ_PRIVKEY, CKA_SIGN, &b, &len), CKR_OK);
    ck_assert_uint_eq(b, CK_TRUE);
    len = sizeof(buf);
    ck_assert_int_eq(get(P11_OBJ_PRIVKEY, CKA_VALUE, buf, &len),
                     CKR_ATTRIBUTE_SENSITIVE);
}
END_TEST

START_TEST(test_ec_mechanisms_advertised)
{
    static const CK_MECHANISM_TYPE want[] = { CKM_ECDSA, CKM_ECDSA_SHA256,
                                              CKM_ECDSA_SHA384,
                                              CKM_ECDSA_SHA512 };
    CK_MECHANISM_TYPE list[16];
    CK_ULONG n = 16;
    CK_MECHANISM_INFO info;

    ck_assert_int_eq(p11_mech_list(tok, list, &n), CKR_OK);
    ck_assert_uint_eq(n, 4);
    for (CK_ULONG i = 0; i < n; i++) {
        ck_assert_uint_eq(list[i], want[i]);
        ck_assert_int_eq(p11_mech_info(tok, list[i], &info), CKR_OK);
        ck_assert_uint_eq(info.ulMinKeySize, 384);
        ck_assert_uint_eq(info.ulMaxKeySize, 384);
        ck_assert(info.flags & CKF_SIGN);
        ck_assert(info.flags & CKF_VERIFY);
        ck_assert(info.flags & CKF_EC_NAMEDCURVE);
        ck_assert(info.flags & CKF_EC_UNCOMPRESS);
    }
    /* no RSA mechanism on an EC card */
    ck_assert_int_eq(p11_mech_info(tok, CKM_RSA_PKCS, &info),
                     CKR_MECHANISM_INVALID);
    ck_assert_ptr_null(p11_mech_find(tok, CKM_SHA256_RSA_PKCS));
}
END_TEST

START_TEST(test_rsa_for_contrast)
{
    jpki_cert *rsa = make_cert("RSA", NULL);
    CK_MECHANISM_TYPE list[16];
    CK_ULONG n = 16, len;
    CK_KEY_TYPE kt;
    unsigned char buf[512];

    tok->cert = rsa;
    ck_assert_int_eq(p11_object_build(tok, P11_OBJ_PRIVKEY, rsa, 1), CKR_OK);
    len = sizeof(kt);
    ck_assert_int_eq(get(P11_OBJ_PRIVKEY, CKA_KEY_TYPE, &kt, &len), CKR_OK);
    ck_assert_uint_eq(kt, CKK_RSA);
    len = sizeof(buf);
    ck_assert_int_eq(get(P11_OBJ_PRIVKEY, CKA_MODULUS, buf, &len), CKR_OK);
    ck_assert_uint_eq(len, 256);
    len = sizeof(buf);
    ck_assert_int_eq(get(P11_OBJ_PRIVKEY, CKA_EC_PARAMS, buf, &len),
                     CKR_ATTRIBUTE_TYPE_INVALID);
    ck_assert_int_eq(p11_mech_list(tok, list, &n), CKR_OK);
    ck_assert_uint_eq(n, 6);
    p11_object_clear(&tok->obj[P11_OBJ_PRIVKEY]);
    tok->cert = cert;
    jpki_cert_free(rsa);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("objects");
    TCase *tc = tcase_create("ec");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup_ec, teardown);
    tcase_add_test(tc, test_ec_cert_model);
    tcase_add_test(tc, test_ec_key_objects);
    tcase_add_test(tc, test_ec_mechanisms_advertised);
    tcase_add_test(tc, test_rsa_for_contrast);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
