/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11_ops.c - PKCS#11 tests: objects and attributes, login and
 * PIN handling. Fixtures and helpers are in p11test.c (p11test.h).
 */
#include "p11test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "emu/emu.h"

/* ---- objects ------------------------------------------------------------ */

START_TEST(test_objects_public)
{
    CK_SESSION_HANDLE a = t_open(0, 0), s = t_open(1, 0);
    CK_OBJECT_HANDLE o[16];
    CK_ULONG n, i;

    n = t_find(a, NULL, 0, o, 16);
    ck_assert_uint_eq(n, 3);
    for (i = 0; i < n; i++) {
        ck_assert_uint_eq(t_attr_bool(a, o[i], CKA_PRIVATE), CK_FALSE);
        ck_assert_uint_eq(t_attr_bool(a, o[i], CKA_TOKEN), CK_TRUE);
    }
    ck_assert_uint_eq(t_count(a, CKO_CERTIFICATE), 2);
    ck_assert_uint_eq(t_count(a, CKO_PUBLIC_KEY), 1);
    ck_assert_uint_eq(t_count(a, CKO_PRIVATE_KEY), 0);
    t_find_obj(a, CKO_CERTIFICATE, 1);
    t_find_obj(a, CKO_CERTIFICATE, 2);
    /* The signature certificate is personal data: only its CA before login. */
    n = t_find(s, NULL, 0, o, 16);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(t_attr_ulong(s, o[0], CKA_CLASS), CKO_CERTIFICATE);
    ck_assert_uint_eq(t_attr_ulong(s, o[0], CKA_CERTIFICATE_CATEGORY), 2);
    ck_assert_uint_eq(t_attr_bool(s, o[0], CKA_PRIVATE), CK_FALSE);
}
END_TEST

START_TEST(test_objects_login_logout)
{
    CK_SLOT_ID s = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE h = t_open(s, 0);
    CK_ULONG before = t_find(h, NULL, 0, NULL, 0);
    CK_OBJECT_HANDLE k;

    ck_assert_uint_eq(before, s ? 1 : 3);
    OK(t_login(h, pins[s]));
    ck_assert_uint_eq(t_find(h, NULL, 0, NULL, 0), 4);
    k = t_privkey(h);
    ck_assert_uint_eq(t_attr_bool(h, k, CKA_PRIVATE), CK_TRUE);
    /* The signature token's certificate and public key need the PIN too. */
    ck_assert_uint_eq(t_attr_bool(h, t_usercert(h), CKA_PRIVATE),
                      s ? CK_TRUE : CK_FALSE);
    ck_assert_uint_eq(
        t_attr_bool(h, t_find_obj(h, CKO_PUBLIC_KEY, 0), CKA_PRIVATE),
        s ? CK_TRUE : CK_FALSE);
    ck_assert_uint_eq(
        t_attr_bool(h, t_find_obj(h, CKO_CERTIFICATE, 2), CKA_PRIVATE),
        CK_FALSE);
    OK(p11->C_Logout(h));
    ck_assert_uint_eq(t_find(h, NULL, 0, NULL, 0), before);
    ck_assert_uint_eq(t_count(h, CKO_PRIVATE_KEY), 0);
    RV(CKR_OBJECT_HANDLE_INVALID,
       p11->C_GetAttributeValue(h, k, &(CK_ATTRIBUTE){ CKA_CLASS, NULL, 0 },
                                1));
}
END_TEST

static void check_bn(EVP_PKEY *pk, const char *name, const unsigned char *v,
                     CK_ULONG len)
{
    BIGNUM *want = NULL, *got = BN_bin2bn(v, (int)len, NULL);

    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, name, &want), 1);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(BN_cmp(want, got) == 0, "%s differs from the certificate",
                  name);
    BN_free(want);
    BN_free(got);
}

/* An EC card's keys: the curve by name and the certificate's point, on the
 * public key and on the private key too (where libp11 looks). */
static void check_ec_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k,
                         CK_OBJECT_HANDLE pub, EVP_PKEY *pk)
{
    static const unsigned char p384[] = { 0x06, 0x05, 0x2B, 0x81,
                                          0x04, 0x00, 0x22 };
    unsigned char pt[128], *v;
    size_t pt_len = 0;
    CK_ULONG len;
    const CK_OBJECT_HANDLE both[2] = { k, pub };

    ck_assert_int_eq(EVP_PKEY_get_octet_string_param(
                         pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &pt_len),
                     1);
    for (int i = 0; i < 2; i++) {
        v = t_attr(h, both[i], CKA_EC_PARAMS, &len);
        ck_assert_uint_eq(len, sizeof p384);
        ck_assert_mem_eq(v, p384, sizeof p384);
        free(v);
        v = t_attr(h, both[i], CKA_EC_POINT, &len);
        ck_assert_uint_eq(len, 2 + pt_len); /* an OCTET STRING of it */
        ck_assert_uint_eq(v[0], 0x04);
        ck_assert_uint_eq(v[1], pt_len);
        ck_assert_mem_eq(v + 2, pt, pt_len);
        free(v);
    }
}

START_TEST(test_privkey_attributes)
{
    CK_SLOT_ID s = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE h = t_open_login(s);
    CK_OBJECT_HANDLE k = t_privkey(h), pub = t_find_obj(h, CKO_PUBLIC_KEY, 0),
                     c[4];
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ULONG id_len, len;
    unsigned char *id = t_attr(h, k, CKA_ID, &id_len), *v;
    CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof(cls) },
                          { CKA_ID, id, id_len } };
    CK_ATTRIBUTE a = { CKA_PRIVATE_EXPONENT, NULL, 0 };
    EVP_PKEY *pk = t_token_pkey(h);
    const CK_ATTRIBUTE_TYPE bn[2] = { CKA_MODULUS, CKA_PUBLIC_EXPONENT };
    const char *bn_name[2] = { OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E };
    int i;

    ck_assert_uint_gt(id_len, 0);
    ck_assert_uint_eq(t_find(h, t, 2, c, 4),
                      1); /* cert and key share CKA_ID */
    ck_assert_uint_eq(c[0], t_usercert(h));
    v = t_attr(h, pub, CKA_ID, &len);
    ck_assert(len == id_len && memcmp(v, id, len) == 0);
    free(v);
    if (t_ec) {
        check_ec_key(h, k, pub, pk);
        a.type = CKA_VALUE; /* an EC private key's scalar */
    }
    for (i = 0; i < 2 && !t_ec; i++) {
        v = t_attr(h, k, bn[i], &len);
        check_bn(pk, bn_name[i], v, len);
        free(v);
        v = t_attr(h, pub, bn[i], &len);
        check_bn(pk, bn_name[i], v, len);
        free(v);
    }
    ck_assert_uint_eq(t_attr_ulong(h, k, CKA_KEY_TYPE),
                      t_ec ? CKK_EC : CKK_RSA);
    ck_assert_uint_eq(t_attr_bool(h, k, CKA_SIGN), CK_TRUE);
    ck_assert_uint_eq(t_attr_bool(h, k, CKA_DECRYPT), CK_FALSE);
    ck_assert_uint_eq(t_attr_bool(h, k, CKA_SENSITIVE), CK_TRUE);
    ck_assert_uint_eq(t_attr_bool(h, k, CKA_EXTRACTABLE), CK_FALSE);
    ck_assert_uint_eq(t_attr_bool(h, k, CKA_ALWAYS_AUTHENTICATE), CK_FALSE);
    if (!t_ec)
        ck_assert_uint_eq(t_attr_ulong(h, pub, CKA_MODULUS_BITS), 2048);
    RV(CKR_ATTRIBUTE_SENSITIVE, p11->C_GetAttributeValue(h, k, &a, 1));
    ck_assert_uint_eq(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    a.type = t_ec ? CKA_VALUE : CKA_PRIME_1;
    RV(CKR_ATTRIBUTE_SENSITIVE, p11->C_GetAttributeValue(h, k, &a, 1));
    ck_assert_uint_eq(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    EVP_PKEY_free(pk);
    free(id);
}
END_TEST

START_TEST(test_attribute_errors)
{
    CK_SESSION_HANDLE h = t_open_login(0);
    CK_OBJECT_HANDLE c = t_usercert(h), k = t_privkey(h);
    CK_OBJECT_CLASS cls = 0;
    CK_BBOOL b = CK_FALSE;
    char label[128] = "", big[4096];
    CK_ATTRIBUTE t[3] = { { CKA_CLASS, &cls, sizeof(cls) },
                          { CKA_VENDOR_DEFINED | 0x4242, big, sizeof(big) },
                          { CKA_LABEL, label, sizeof(label) } };
    CK_ATTRIBUTE s[2] = { { CKA_PRIVATE_EXPONENT, big, sizeof(big) },
                          { CKA_SIGN, &b, sizeof(b) } };
    CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };

    RV(CKR_ATTRIBUTE_TYPE_INVALID, p11->C_GetAttributeValue(h, c, t, 3));
    ck_assert_uint_eq(t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    ck_assert_uint_eq(cls, CKO_CERTIFICATE);
    ck_assert_uint_eq(t[0].ulValueLen, sizeof(cls));
    ck_assert(t[2].ulValueLen > 0 && t[2].ulValueLen < sizeof(label));
    RV(CKR_ATTRIBUTE_SENSITIVE, p11->C_GetAttributeValue(h, k, s, 2));
    ck_assert_uint_eq(s[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    ck_assert_uint_eq(b, CK_TRUE);
    OK(p11->C_GetAttributeValue(h, c, &v, 1)); /* length query */
    ck_assert(v.ulValueLen > 500 && v.ulValueLen < sizeof(big));
    v.pValue = big;
    v.ulValueLen = 10;
    RV(CKR_BUFFER_TOO_SMALL, p11->C_GetAttributeValue(h, c, &v, 1));
    ck_assert_uint_eq(v.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    RV(CKR_ARGUMENTS_BAD, p11->C_GetAttributeValue(h, c, NULL, 1));
}
END_TEST

START_TEST(test_find_objects)
{
    CK_SESSION_HANDLE h = t_open_login(1), f = t_open(1, 0);
    CK_OBJECT_CLASS cert = CKO_CERTIFICATE, secret = CKO_SECRET_KEY;
    CK_ULONG id_len, n, i;
    unsigned char *id = t_attr(h, t_privkey(h), CKA_ID, &id_len);
    CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cert, sizeof(cert) },
                          { CKA_ID, id, id_len } };
    CK_ATTRIBUTE none[2] = { { CKA_CLASS, &secret, sizeof(secret) },
                             { CKA_LABEL, "no such label", 13 } };
    CK_OBJECT_HANDLE o[8], all[8];

    ck_assert_uint_eq(t_find(h, t, 1, NULL, 0), 2);
    ck_assert_uint_eq(t_find(h, t, 2, o, 8), 1);
    ck_assert_uint_eq(o[0], t_usercert(h));
    ck_assert_uint_eq(t_find(h, &t[1], 1, NULL, 0), 3); /* cert, pub, priv */
    ck_assert_uint_eq(t_find(h, &none[0], 1, NULL, 0), 0);
    ck_assert_uint_eq(t_find(h, &none[1], 1, NULL, 0), 0);
    ck_assert_uint_eq(t_find(h, NULL, 0, all, 8), 4);
    /* One at a time, then nothing. */
    OK(p11->C_FindObjectsInit(h, NULL, 0));
    RV(CKR_OPERATION_ACTIVE, p11->C_FindObjectsInit(h, t, 1));
    for (i = 0; i < 4; i++) {
        OK(p11->C_FindObjects(h, &o[i], 1, &n));
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(o[i], all[i]);
    }
    OK(p11->C_FindObjects(h, o, 8, &n));
    ck_assert_uint_eq(n, 0);
    RV(CKR_ARGUMENTS_BAD, p11->C_FindObjects(h, o, 8, NULL));
    OK(p11->C_FindObjectsFinal(h));
    RV(CKR_OPERATION_NOT_INITIALIZED, p11->C_FindObjectsFinal(h));
    RV(CKR_OPERATION_NOT_INITIALIZED, p11->C_FindObjects(h, o, 8, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED, p11->C_FindObjects(f, o, 8, &n));
    free(id);
}
END_TEST

START_TEST(test_object_handle_invalid)
{
    CK_SESSION_HANDLE a = t_open_login(0), s = t_open(1, 0);
    CK_ATTRIBUTE t = { CKA_CLASS, NULL, 0 };
    CK_OBJECT_HANDLE ca = t_find_obj(a, CKO_CERTIFICATE, 2);
    CK_ULONG n;

    RV(CKR_OBJECT_HANDLE_INVALID,
       p11->C_GetAttributeValue(a, 0xdeadbeefUL, &t, 1));
    RV(CKR_OBJECT_HANDLE_INVALID,
       p11->C_GetAttributeValue(a, CK_INVALID_HANDLE, &t, 1));
    RV(CKR_OBJECT_HANDLE_INVALID, p11->C_GetObjectSize(a, 0xdeadbeefUL, &n));
    /* A handle of the other token is no object of this one. */
    RV(CKR_OBJECT_HANDLE_INVALID, p11->C_GetAttributeValue(s, ca, &t, 1));
    RV(CKR_OBJECT_HANDLE_INVALID,
       p11->C_GetAttributeValue(s, t_privkey(a), &t, 1));
}
END_TEST

/* ---- login -------------------------------------------------------------- */

START_TEST(test_pin_incorrect_flags)
{
    CK_SESSION_HANDLE h = t_open(1, 0);
    unsigned auth, sig;
    int i;

    ck_assert_uint_eq(t_token_flags(1) & PIN_FLAGS, 0);
    RV(CKR_PIN_INCORRECT, t_login(h, "ZZZ999"));
    ck_assert_uint_eq(t_token_flags(1) & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
    ck_assert_uint_eq(t_state(h), CKS_RO_PUBLIC_SESSION);
    for (i = 0; i < 3; i++)
        RV(CKR_PIN_INCORRECT, t_login(h, "ZZZ999"));
    ck_assert_uint_eq(t_token_flags(1) & PIN_FLAGS,
                      CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    t_card_tries(&auth, &sig);
    ck_assert_uint_eq(sig, 1);
    ck_assert_uint_eq(auth, 3);
    ck_assert_uint_eq(t_token_flags(0) & PIN_FLAGS, 0);
    OK(t_login(h, pins[1]));
    ck_assert_uint_eq(t_token_flags(1) & PIN_FLAGS, 0);
    t_sign_verify(h);
}
END_TEST

START_TEST(test_auth_pin_lockout)
{
    CK_SESSION_HANDLE h = t_open(0, 0), s = t_open(1, 0);
    unsigned auth, sig;

    RV(CKR_PIN_INCORRECT, t_login(h, "0000"));
    ck_assert_uint_eq(t_token_flags(0) & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
    RV(CKR_PIN_INCORRECT, t_login(h, "0000"));
    ck_assert_uint_eq(t_token_flags(0) & PIN_FLAGS,
                      CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    RV(CKR_PIN_LOCKED, t_login(h, "0000"));
    ck_assert(t_token_flags(0) & CKF_USER_PIN_LOCKED);
    RV(CKR_PIN_LOCKED, t_login(h, pins[0]));
    ck_assert_uint_eq(t_state(h), CKS_RO_PUBLIC_SESSION);
    t_card_tries(&auth, &sig);
    ck_assert_uint_eq(auth, 0);
    ck_assert_uint_eq(sig, 5);
    ck_assert_uint_eq(t_token_flags(1) & PIN_FLAGS, 0);
    OK(t_login(s, pins[1]));
    t_sign_verify(s);
}
END_TEST

/* _i: the token that gets the wrong PIN while the other is logged in. */
START_TEST(test_wrong_pin_other_token)
{
    CK_SLOT_ID bad = (CK_SLOT_ID)_i, good = 1 - bad;
    CK_SESSION_HANDLE g = t_open_login(good), b = t_open(bad, 0);

    RV(CKR_PIN_INCORRECT, t_login(b, bad ? "ZZZ999" : "0000"));
    ck_assert_uint_eq(t_state(g), CKS_RO_USER_FUNCTIONS);
    t_sign_verify(g);
    OK(t_login(b, pins[bad]));
    t_sign_verify(b);
    t_sign_verify(g);
}
END_TEST

START_TEST(test_pin_format)
{
    static const char *const bad_auth[] = { "12345",   "12a4", "123",
                                            "12 4",    "",     "ABC123",
                                            "１２３４" };
    static const char *const bad_sign[] = {
        "abc-12",  "ABC12", "ABC-123", "1234", "ABCDEFGHIJ1234567",
        "ABC 123", ""
    };
    CK_SESSION_HANDLE a = t_open(0, 0), s = t_open(1, 0);
    unsigned auth, sig;
    size_t i;

    for (i = 0; i < sizeof(bad_auth) / sizeof(bad_auth[0]); i++)
        RV(CKR_PIN_INCORRECT, t_login(a, bad_auth[i]));
    for (i = 0; i < sizeof(bad_sign) / sizeof(bad_sign[0]); i++)
        RV(CKR_PIN_INCORRECT, t_login(s, bad_sign[i]));
    ck_assert_uint_eq(t_token_flags(0) & PIN_FLAGS, 0);
    ck_assert_uint_eq(t_token_flags(1) & PIN_FLAGS, 0);
    t_card_tries(&auth, &sig);
    ck_assert_uint_eq(auth, 3);
    ck_assert_uint_eq(sig, 5);
    OK(t_login(a, pins[0]));
    OK(t_login(s, pins[1]));
}
END_TEST

START_TEST(test_login_state_errors)
{
    CK_SESSION_HANDLE h = t_open(0, CKF_RW_SESSION), h2 = t_open(0, 0);

    /* h2 is read-only: an SO login is refused for that first */
    RV(CKR_SESSION_READ_ONLY_EXISTS,
       p11->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "1234", 4));
    RV(CKR_USER_TYPE_INVALID,
       p11->C_Login(h, 42, (CK_UTF8CHAR_PTR) "1234", 4));
    RV(CKR_OPERATION_NOT_INITIALIZED,
       p11->C_Login(h, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) "1234", 4));
    RV(CKR_USER_NOT_LOGGED_IN, p11->C_Logout(h));
    OK(t_login(h, pins[0]));
    RV(CKR_USER_ALREADY_LOGGED_IN, t_login(h, pins[0]));
    RV(CKR_USER_ALREADY_LOGGED_IN, t_login(h2, pins[0])); /* per token */
    OK(p11->C_Logout(h2));
    RV(CKR_USER_NOT_LOGGED_IN, p11->C_Logout(h));
    ck_assert_uint_eq(t_state(h), CKS_RW_PUBLIC_SESSION);
    /* only read-write sessions left: the card has no SO PIN */
    OK(p11->C_CloseSession(h2));
    RV(CKR_USER_TYPE_INVALID,
       p11->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "1234", 4));
}
END_TEST

START_TEST(test_close_last_session_logs_out)
{
    CK_SLOT_ID s = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE a = t_open_login(s), b = t_open(s, 0), c;

    OK(p11->C_CloseSession(a));
    ck_assert_uint_eq(t_state(b), CKS_RO_USER_FUNCTIONS);
    t_sign_verify(b);
    OK(p11->C_CloseSession(b));
    c = t_open(s, 0);
    ck_assert_uint_eq(t_state(c), CKS_RO_PUBLIC_SESSION);
    ck_assert_uint_eq(t_count(c, CKO_PRIVATE_KEY), 0);
    OK(t_login(c, pins[s]));
}
END_TEST

/* PKCS#11 2.40 section 5.6 (C_CloseSession): closing the last session of
 * a token returns that token's login state to public. Each token has its
 * own login state; the other token's sessions are not touched. */
START_TEST(test_close_last_session_other_token)
{
    CK_SLOT_ID closed = (CK_SLOT_ID)_i, kept = 1 - closed;
    CK_SESSION_HANDLE c = t_open_login(closed), k = t_open_login(kept);

    OK(p11->C_CloseSession(c));
    ck_assert_uint_eq(t_state(k), CKS_RO_USER_FUNCTIONS);
    t_sign_verify(k);
}
END_TEST

/* ---- registration ------------------------------------------------------- */

void t_add_ops_tests(Suite *s)
{
    TCase *tc;

    tc = t_tcase(s, "objects", t_setup_init);
    tcase_add_test(tc, test_objects_public);
    tcase_add_loop_test(tc, test_objects_login_logout, 0, 2);
    tcase_add_loop_test(tc, test_privkey_attributes, 0, 2);
    tcase_add_test(tc, test_attribute_errors);
    tcase_add_test(tc, test_find_objects);
    tcase_add_test(tc, test_object_handle_invalid);
    tc = t_tcase(s, "login", t_setup_init);
    tcase_add_test(tc, test_pin_incorrect_flags);
    tcase_add_test(tc, test_auth_pin_lockout);
    tcase_add_loop_test(tc, test_wrong_pin_other_token, 0, 2);
    tcase_add_test(tc, test_pin_format);
    tcase_add_test(tc, test_login_state_errors);
    tcase_add_loop_test(tc, test_close_last_session_logs_out, 0, 2);
    tcase_add_loop_test(tc, test_close_last_session_other_token, 0, 2);
}
