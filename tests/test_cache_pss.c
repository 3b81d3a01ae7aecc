/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_cache_pss.c - RSA-PSS through the PKCS#11 interface, a card that
 * refuses it remembered across processes (the certificate cache), and no
 * signature of either RSA scheme that the certificate's key does not
 * verify ever reaching the caller.
 * Signatures are checked by OpenSSL with the certificate's key; what the
 * card did is read from its APDU log and image, never from the module.
 * Part of test_cache (its fixture: a private card, cache and log).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "test_cache.h"
#include "testutil.h"

static const char *const pins[2] = { "1234", "ABC123" };
static const char msg[] = "a message for RSA-PSS";
static CK_RSA_PKCS_PSS_PARAMS good = { CKM_SHA256, CKG_MGF1_SHA256, 32 };

#define P1_04_SIGNED() log_count("INS=2A P1=04", "SW=9000")

static CK_SESSION_HANDLE login(CK_SLOT_ID slot)
{
    CK_SESSION_HANDLE h = open_session(slot);
    OK(p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pins[slot],
                    strlen(pins[slot])));
    return h;
}

static CK_OBJECT_HANDLE object(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls)
{
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_OBJECT_HANDLE o[4];
    CK_ULONG n = 0;

    OK(p11->C_FindObjectsInit(h, &t, 1));
    OK(p11->C_FindObjects(h, o, 4, &n));
    OK(p11->C_FindObjectsFinal(h));
    ck_assert_uint_ge(n, 1);
    return o[0]; /* the token's own comes first, before its CA's */
}

/* The token's certificate key, from CKA_VALUE, for OpenSSL's check. */
static EVP_PKEY *cert_key(CK_SESSION_HANDLE h)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ULONG cat = 1, n = 0;
    CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls },
                         { CKA_CERTIFICATE_CATEGORY, &cat, sizeof cat } };
    CK_OBJECT_HANDLE o;
    unsigned char der[4096];
    CK_ATTRIBUTE v = { CKA_VALUE, der, sizeof der };

    OK(p11->C_FindObjectsInit(h, t, 2));
    OK(p11->C_FindObjects(h, &o, 1, &n));
    OK(p11->C_FindObjectsFinal(h));
    ck_assert_uint_eq(n, 1);
    OK(p11->C_GetAttributeValue(h, o, &v, 1));
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)v.ulValueLen);
    ck_assert_ptr_nonnull(x);
    EVP_PKEY *k = X509_get_pubkey(x);
    X509_free(x);
    return k;
}

static int listed(CK_SLOT_ID slot, CK_MECHANISM_TYPE type)
{
    CK_MECHANISM_TYPE list[32];
    CK_ULONG n = 32;

    OK(p11->C_GetMechanismList(slot, list, &n));
    for (CK_ULONG i = 0; i < n; i++)
        if (list[i] == type)
            return 1;
    return 0;
}

/* Both tokens: single- and multi-part SHA256-RSA-PKCS-PSS, RSA-PKCS-PSS
 * over a hash, each verified by OpenSSL; C_Verify on the host agrees. */
START_TEST(pss_both_tokens)
{
    CK_MECHANISM hashing = { CKM_SHA256_RSA_PKCS_PSS, &good, sizeof good };
    CK_MECHANISM raw = { CKM_RSA_PKCS_PSS, &good, sizeof good };
    unsigned char hash[32], sig[256];
    CK_ULONG len;

    SHA256((const unsigned char *)msg, strlen(msg), hash);
    OK(p11->C_Initialize(NULL));
    for (CK_SLOT_ID slot = 0; slot < 2; slot++) {
        log_clear();
        CK_SESSION_HANDLE h = login(slot);
        CK_OBJECT_HANDLE key = object(h, CKO_PRIVATE_KEY);
        EVP_PKEY *pub = cert_key(h);
        CK_MECHANISM_INFO mi;
        OK(p11->C_GetMechanismInfo(slot, CKM_SHA256_RSA_PKCS_PSS, &mi));
        ck_assert_uint_eq(mi.flags, CKF_SIGN | CKF_VERIFY);
        OK(p11->C_GetMechanismInfo(slot, CKM_RSA_PKCS_PSS, &mi));
        ck_assert_uint_eq(mi.flags, CKF_SIGN | CKF_VERIFY | CKF_HW);
        OK(p11->C_SignInit(h, &hashing, key));
        len = sizeof sig;
        OK(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &len));
        ck_assert_uint_eq(len, 256);
        ck_assert(tu_rsa_pss_ok(pub, hash, sig, len));
        OK(p11->C_SignInit(h, &hashing, key));
        OK(p11->C_SignUpdate(h, (CK_BYTE_PTR)msg, 5));
        OK(p11->C_SignUpdate(h, (CK_BYTE_PTR)msg + 5, strlen(msg) - 5));
        len = sizeof sig;
        OK(p11->C_SignFinal(h, sig, &len));
        ck_assert(tu_rsa_pss_ok(pub, hash, sig, len));
        OK(p11->C_SignInit(h, &raw, key));
        len = sizeof sig;
        OK(p11->C_Sign(h, hash, sizeof hash, sig, &len));
        ck_assert(tu_rsa_pss_ok(pub, hash, sig, len));
        /* the host's check agrees, and refuses another text */
        CK_OBJECT_HANDLE pk = object(h, CKO_PUBLIC_KEY);
        OK(p11->C_VerifyInit(h, &hashing, pk));
        OK(p11->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), sig, len));
        OK(p11->C_VerifyInit(h, &hashing, pk));
        ck_assert_uint_eq(p11->C_Verify(h, (CK_BYTE_PTR)msg, 4, sig, len),
                          CKR_SIGNATURE_INVALID);
        /* RSA-PKCS-PSS signs a 32-byte hash and nothing else */
        OK(p11->C_SignInit(h, &raw, key));
        len = sizeof sig;
        ck_assert_uint_eq(p11->C_Sign(h, hash, 20, sig, &len),
                          CKR_DATA_LEN_RANGE);
        ck_assert_int_eq(P1_04_SIGNED(), 3);
        ck_assert_int_eq(log_count("INS=2A P1=00", NULL), 0);
        EVP_PKEY_free(pub);
    }
    OK(p11->C_Finalize(NULL));
}
END_TEST

/* Any parameter but SHA-256 / MGF1-SHA-256 / 32 is refused at init, for
 * signing and verifying, before the card sees anything. */
START_TEST(pss_bad_parameters)
{
    CK_RSA_PKCS_PSS_PARAMS bad[] = {
        { CKM_SHA_1, CKG_MGF1_SHA256, 32 },
        { CKM_SHA256, CKG_MGF1_SHA1, 32 },
        { CKM_SHA256, CKG_MGF1_SHA256, 20 },
        { CKM_SHA256, CKG_MGF1_SHA256, 0 },
        { CKM_SHA384, CKG_MGF1_SHA384, 48 },
    };
    OK(p11->C_Initialize(NULL));
    CK_SESSION_HANDLE h = login(0);
    CK_OBJECT_HANDLE key = object(h, CKO_PRIVATE_KEY);
    CK_OBJECT_HANDLE pk = object(h, CKO_PUBLIC_KEY);
    log_clear();
    for (int m = 0; m < 2; m++) {
        CK_MECHANISM_TYPE type =
            m ? CKM_RSA_PKCS_PSS : CKM_SHA256_RSA_PKCS_PSS;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            CK_MECHANISM mech = { type, &bad[i], sizeof bad[i] };
            ck_assert_uint_eq(p11->C_SignInit(h, &mech, key),
                              CKR_MECHANISM_PARAM_INVALID);
            ck_assert_uint_eq(p11->C_VerifyInit(h, &mech, pk),
                              CKR_MECHANISM_PARAM_INVALID);
        }
        CK_MECHANISM none = { type, NULL, 0 };
        CK_MECHANISM shortp = { type, &good, sizeof good - 1 };
        ck_assert_uint_eq(p11->C_SignInit(h, &none, key),
                          CKR_MECHANISM_PARAM_INVALID);
        ck_assert_uint_eq(p11->C_SignInit(h, &shortp, key),
                          CKR_MECHANISM_PARAM_INVALID);
    }
    ck_assert_int_eq(log_count("INS=2A", NULL), 0);
    OK(p11->C_Finalize(NULL));
}
END_TEST

/* pss = off: no PSS listed, none usable. */
START_TEST(pss_off)
{
    CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS_PSS, &good, sizeof good };
    CK_MECHANISM_INFO mi;

    setenv("JPKI_PKCS11_PSS", "off", 1);
    OK(p11->C_Initialize(NULL));
    for (CK_SLOT_ID slot = 0; slot < 2; slot++) {
        ck_assert(!listed(slot, CKM_RSA_PKCS_PSS));
        ck_assert(!listed(slot, CKM_SHA256_RSA_PKCS_PSS));
        ck_assert(listed(slot, CKM_SHA256_RSA_PKCS));
        ck_assert_uint_eq(p11->C_GetMechanismInfo(slot, CKM_RSA_PKCS_PSS, &mi),
                          CKR_MECHANISM_INVALID);
    }
    CK_SESSION_HANDLE h = login(1);
    ck_assert_uint_eq(p11->C_SignInit(h, &mech, object(h, CKO_PRIVATE_KEY)),
                      CKR_MECHANISM_INVALID);
    OK(p11->C_Finalize(NULL));
    unsetenv("JPKI_PKCS11_PSS");
}
END_TEST

/* A card that knows P1 00 only: the PSS signature fails with
 * CKR_MECHANISM_INVALID, no try spent, the login kept, PKCS#1 v1.5 signs
 * right after; PSS is no longer listed, and a new process (the cache)
 * neither lists it nor asks the card. */
START_TEST(pss_refused_is_remembered)
{
    CK_MECHANISM pss = { CKM_SHA256_RSA_PKCS_PSS, &good, sizeof good };
    CK_MECHANISM v15 = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_SESSION_INFO si;
    unsigned char sig[256];
    CK_ULONG len = sizeof sig;

    ck_assert_int_eq(tu_card_set(card, "sign_v15_only", "1"), 0);
    OK(p11->C_Initialize(NULL));
    ck_assert(listed(1, CKM_SHA256_RSA_PKCS_PSS));
    log_clear();
    CK_SESSION_HANDLE h = login(1);
    CK_OBJECT_HANDLE key = object(h, CKO_PRIVATE_KEY);
    OK(p11->C_SignInit(h, &pss, key));
    ck_assert_uint_eq(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &len),
                      CKR_MECHANISM_INVALID);
    ck_assert_int_eq(log_count("INS=2A P1=04", "SW=6A86"), 2); /* 9A, 80 */
    OK(p11->C_GetSessionInfo(h, &si));
    ck_assert_uint_eq(si.state, CKS_RO_USER_FUNCTIONS);
    for (CK_SLOT_ID slot = 0; slot < 2; slot++) {
        CK_MECHANISM_INFO mi;
        ck_assert(!listed(slot, CKM_SHA256_RSA_PKCS_PSS));
        ck_assert(!listed(slot, CKM_RSA_PKCS_PSS));
        ck_assert_uint_eq(p11->C_GetMechanismInfo(slot, CKM_RSA_PKCS_PSS, &mi),
                          CKR_MECHANISM_INVALID);
    }
    ck_assert_uint_eq(p11->C_SignInit(h, &pss, key), CKR_MECHANISM_INVALID);
    OK(p11->C_SignInit(h, &v15, key));
    len = sizeof sig;
    OK(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &len));
    ck_assert_int_eq(log_count("INS=2A P1=00", "SW=9000"), 1);
    ck_assert_int_eq(VERIFIES(), 1); /* the one login, nothing more */
    OK(p11->C_Finalize(NULL));

    /* the next process: not listed, never asked */
    log_clear();
    OK(p11->C_Initialize(NULL));
    ck_assert(!listed(1, CKM_SHA256_RSA_PKCS_PSS));
    ck_assert(!listed(0, CKM_RSA_PKCS_PSS));
    ck_assert(listed(1, CKM_SHA256_RSA_PKCS));
    h = login(1);
    ck_assert_uint_eq(p11->C_SignInit(h, &pss, object(h, CKO_PRIVATE_KEY)),
                      CKR_MECHANISM_INVALID);
    OK(p11->C_Finalize(NULL));
    ck_assert_int_eq(log_count("INS=2A", NULL), 0);

    /* without the cache the next process asks again (and learns again) */
    setenv("JPKI_PKCS11_CACHE", "off", 1);
    OK(p11->C_Initialize(NULL));
    ck_assert(listed(1, CKM_SHA256_RSA_PKCS_PSS));
    OK(p11->C_Finalize(NULL));
    setenv("JPKI_PKCS11_CACHE", cdir, 1);
}
END_TEST

/* A PSS signature the certificate's key does not verify never reaches the
 * caller: the card signed (its log says so), the caller gets an error and
 * none of the card's bytes. */
START_TEST(pss_bad_signature_never_output)
{
    CK_MECHANISM pss = { CKM_SHA256_RSA_PKCS_PSS, &good, sizeof good };
    unsigned char sig[256], zero[256] = { 0 };
    CK_ULONG len = sizeof sig;

    setenv("JPKI_EMU_FAULTS", "bad-signature", 1);
    OK(p11->C_Initialize(NULL));
    CK_SESSION_HANDLE h = login(0);
    log_clear();
    memset(sig, 0, sizeof sig);
    OK(p11->C_SignInit(h, &pss, object(h, CKO_PRIVATE_KEY)));
    ck_assert_uint_eq(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &len),
                      CKR_FUNCTION_FAILED);
    ck_assert_int_eq(P1_04_SIGNED(), 1);
    ck_assert_mem_eq(sig, zero, sizeof sig);
    ck_assert(listed(0, CKM_SHA256_RSA_PKCS_PSS)); /* not a refusal */
    OK(p11->C_Finalize(NULL));
    unsetenv("JPKI_EMU_FAULTS");
}
END_TEST

/* The same for PKCS#1 v1.5, on both tokens (the key named by SFI: a card
 * that read P2 otherwise would sign with its other key): the card signed,
 * the caller gets an error and none of its bytes; the login stays. */
START_TEST(v15_bad_signature_never_output)
{
    CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    unsigned char sig[256], zero[256] = { 0 };
    CK_ULONG len = sizeof sig;

    setenv("JPKI_EMU_FAULTS", "bad-signature", 1);
    OK(p11->C_Initialize(NULL));
    CK_SESSION_HANDLE h = login((CK_SLOT_ID)_i);
    log_clear();
    memset(sig, 0, sizeof sig);
    OK(p11->C_SignInit(h, &m, object(h, CKO_PRIVATE_KEY)));
    ck_assert_uint_eq(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &len),
                      CKR_FUNCTION_FAILED);
    ck_assert_int_eq(log_count("INS=2A P1=00", "SW=9000"), 1);
    ck_assert_mem_eq(sig, zero, sizeof sig);
    CK_SESSION_INFO si;
    OK(p11->C_GetSessionInfo(h, &si));
    ck_assert_uint_eq(si.state, CKS_RO_USER_FUNCTIONS);
    OK(p11->C_Finalize(NULL));
    unsetenv("JPKI_EMU_FAULTS");
}
END_TEST

void add_pss_tests(TCase *tc)
{
    tcase_add_test(tc, pss_both_tokens);
    tcase_add_test(tc, pss_bad_parameters);
    tcase_add_test(tc, pss_off);
    tcase_add_test(tc, pss_refused_is_remembered);
    tcase_add_test(tc, pss_bad_signature_never_output);
    tcase_add_loop_test(tc, v15_bad_signature_never_output, 0, 2);
}
