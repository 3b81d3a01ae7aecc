/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_cache_cardfiles.c - through the PKCS#11 interface and the in-process
 * emulator (fixtures in test_cache.c), seen in the emulator's APDU log:
 * a card that refuses the key named by SFI in the signature command (the
 * classic way once, then remembered for the card, also by the next
 * process), and cards without one of their certificates (EF 0008): a
 * token that says so, no object, no login, no VERIFY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "test_cache.h"
#include "testutil.h"

/* A fresh card with these switches in place of the fixture's. */
static void use_card(const emu_init_opts *o)
{
    static char p[4300];
    char err[256] = "";

    snprintf(p, sizeof p, "%s/variant.card", dir);
    ck_assert_int_eq(emu_personalize(p, o, err, sizeof err), EMU_OK);
    setenv("JPKI_PKCS11_EMULATOR", p, 1);
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls)
{
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
    CK_ULONG n = 0;

    OK(p11->C_FindObjectsInit(h, &t, 1));
    OK(p11->C_FindObjects(h, &o, 1, &n));
    OK(p11->C_FindObjectsFinal(h));
    ck_assert_uint_eq(n, 1);
    return o;
}

/* Signs "data" with SHA256-RSA-PKCS and checks the signature with
 * OpenSSL against the token's own certificate: the right key signed. The
 * certificate is fetched first; clear: the APDU log is cleared then, so
 * it holds the signature's APDUs alone. */
static void sign_and_check(CK_SESSION_HANDLE h, int clear)
{
    CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_BYTE sig[512], der[4096];
    CK_ULONG len = sizeof sig;
    CK_ATTRIBUTE v = { CKA_VALUE, der, sizeof der };

    OK(p11->C_GetAttributeValue(h, find_one(h, CKO_CERTIFICATE), &v, 1));
    CK_OBJECT_HANDLE key = find_one(h, CKO_PRIVATE_KEY);
    if (clear)
        log_clear();
    OK(p11->C_SignInit(h, &m, key));
    OK(p11->C_Sign(h, (CK_BYTE_PTR) "data", 4, sig, &len));
    ck_assert(tu_verify_sha256(der, v.ulValueLen, "data", 4, sig, len));
}

/* _i: 0 the authentication token (PIN 1234), 1 the signature token. */
START_TEST(sfi_refused_is_remembered)
{
    static const char *const pins[2] = { EMU_DEFAULT_AUTH_PIN,
                                         EMU_DEFAULT_SIGN_PIN };
    static const char *const sfi[2] = { "P2=97", "P2=9A" };
    emu_init_opts o = { .no_sign_sfi = 1 };
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;

    use_card(&o);
    OK(p11->C_Initialize(NULL));
    CK_SESSION_HANDLE h = open_session(slot);
    OK(p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pins[_i],
                    (CK_ULONG)strlen(pins[_i])));
    log_clear();
    for (int i = 0; i < 3; i++)
        sign_and_check(h, 0);
    /* the SFI form once (refused), then SELECT + P2 80 every time */
    ck_assert_int_eq(log_count("INS=2A", sfi[_i]), 1);
    ck_assert_int_eq(log_count("INS=2A", "P2=80"), 3);
    ck_assert_int_eq(log_count("INS=2A", NULL), 4);
    ck_assert_int_eq(VERIFIES(), 0); /* the fallback spent no PIN try */
    OK(p11->C_Finalize(NULL));

    /* the next process knows the card from the cache: no SFI attempt */
    OK(p11->C_Initialize(NULL));
    h = open_session(slot);
    OK(p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pins[_i],
                    (CK_ULONG)strlen(pins[_i])));
    sign_and_check(h, 1);
    ck_assert_int_eq(log_count("INS=2A", NULL), 1);
    ck_assert_int_eq(log_count("INS=2A", "P2=80"), 1);
    OK(p11->C_Finalize(NULL));
}
END_TEST

/* A card that takes the SFI form signs with no SELECT of the key, the
 * signature verifying under the token's certificate. */
START_TEST(sfi_signs_with_the_right_key)
{
    OK(p11->C_Initialize(NULL));
    CK_SESSION_HANDLE h = open_session(1);
    OK(p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)EMU_DEFAULT_SIGN_PIN, 6));
    sign_and_check(h, 1);
    ck_assert_int_eq(log_count("INS=2A P1=00 P2=9A", NULL), 1);
    ck_assert_int_eq(log_count("INS=A4", NULL), 0);
    OK(p11->C_Finalize(NULL));
}
END_TEST

/* _i: 0 no signature certificate, 1 no authentication certificate. */
START_TEST(token_without_certificate)
{
    static const char *const none[2] = { "JPKI Digital Signature (none)",
                                         "JPKI User Authentication (none)" };
    emu_init_opts o = { .no_sign_cert = _i == 0, .no_auth_cert = _i == 1 };
    CK_SLOT_ID gone = _i == 0 ? 1 : 0, kept = 1 - gone;
    CK_TOKEN_INFO ti;
    CK_OBJECT_HANDLE objs[8];
    CK_ULONG n = 99;
    char label[33];

    use_card(&o);
    for (int proc = 0; proc < 2; proc++) {
        OK(p11->C_Initialize(NULL));
        log_clear();
        OK(p11->C_GetTokenInfo(gone, &ti));
        memcpy(label, ti.label, 32);
        label[32] = '\0';
        ck_assert_int_eq(strncmp(label, none[_i], strlen(none[_i])), 0);
        /* no client is asked for a PIN */
        ck_assert_uint_eq(
            ti.flags & (CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED), 0);
        ck_assert_uint_eq(ti.ulMaxPinLen, 0);
        ck_assert_int_eq(STATUS_QUERIES(), 0); /* its PIN is not asked */
        if (proc == 1) /* EF 0008 came from the cache */
            ck_assert_int_eq(READ_BINARY(), 0);
        CK_SESSION_HANDLE h = open_session(gone);
        ck_assert_uint_eq(
            p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "ABC123", 6),
            CKR_USER_PIN_NOT_INITIALIZED);
        OK(p11->C_FindObjectsInit(h, NULL, 0));
        OK(p11->C_FindObjects(h, objs, 8, &n));
        OK(p11->C_FindObjectsFinal(h));
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(VERIFIES(), 0);
        /* the other token is as ever */
        OK(p11->C_GetTokenInfo(kept, &ti));
        ck_assert_uint_ne(ti.flags & CKF_LOGIN_REQUIRED, 0);
        h = open_session(kept);
        OK(p11->C_Login(h, CKU_USER,
                        (CK_UTF8CHAR_PTR)(kept ? EMU_DEFAULT_SIGN_PIN
                                               : EMU_DEFAULT_AUTH_PIN),
                        kept ? 6 : 4));
        sign_and_check(h, 0);
        ck_assert_int_eq(VERIFIES(), 1);
        OK(p11->C_Finalize(NULL));
    }
}
END_TEST

void add_cardfiles_tests(TCase *tc)
{
    tcase_add_loop_test(tc, sfi_refused_is_remembered, 0, 2);
    tcase_add_test(tc, sfi_signs_with_the_right_key);
    tcase_add_loop_test(tc, token_without_certificate, 0, 2);
}
