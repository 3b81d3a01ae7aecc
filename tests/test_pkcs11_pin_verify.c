/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11_pin_verify.c - C_SetPIN and its rules, host-side C_Verify,
 * and the answer to the RNG functions (in the test_pkcs11 program).
 */
#include <stdlib.h>
#include <string.h>

#include "p11test.h"
#include "emu/emu.h"

START_TEST(test_no_rng)
{
    CK_SESSION_HANDLE h = t_open(0, 0);
    CK_BYTE buf[8];

    RV(CKR_RANDOM_NO_RNG, p11->C_GenerateRandom(h, buf, sizeof buf));
    RV(CKR_RANDOM_NO_RNG, p11->C_SeedRandom(h, buf, sizeof buf));
    RV(CKR_SESSION_HANDLE_INVALID, p11->C_GenerateRandom(h + 100, buf, 8));
    /* a NULL buffer: CKR_ARGUMENTS_BAD before anything else, even a bad
     * session handle */
    RV(CKR_ARGUMENTS_BAD, p11->C_GenerateRandom(h, NULL, 8));
    RV(CKR_ARGUMENTS_BAD, p11->C_SeedRandom(h, NULL, 8));
    RV(CKR_ARGUMENTS_BAD, p11->C_GenerateRandom(h + 100, NULL, 8));
    RV(CKR_ARGUMENTS_BAD, p11->C_SeedRandom(h + 100, NULL, 0));
}
END_TEST

/* ---- C_SetPIN ----------------------------------------------------------- */

static CK_RV set_pin(CK_SESSION_HANDLE h, const char *old_pin,
                     const char *new_pin)
{
    return p11->C_SetPIN(h, (CK_UTF8CHAR_PTR)old_pin, strlen(old_pin),
                         (CK_UTF8CHAR_PTR)new_pin, strlen(new_pin));
}

START_TEST(test_set_pin)
{
    static const char *const new_pins[2] = { "9876", "NEWPIN7" };
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE ro = t_open(slot, 0), rw = t_open(slot, CKF_RW_SESSION);

    RV(CKR_SESSION_READ_ONLY, set_pin(ro, pins[slot], new_pins[slot]));
    OK(set_pin(rw, pins[slot], new_pins[slot]));
    /* C_SetPIN does not log in */
    ck_assert_uint_eq(t_state(rw), CKS_RW_PUBLIC_SESSION);
    RV(CKR_PIN_INCORRECT, t_login(rw, pins[slot]));
    OK(t_login(rw, new_pins[slot]));
    t_sign_verify(rw);
}
END_TEST

START_TEST(test_set_pin_rules)
{
    CK_SESSION_HANDLE a = t_open(0, CKF_RW_SESSION),
                      s = t_open(1, CKF_RW_SESSION);
    unsigned auth = 0, sig = 0;

    RV(CKR_PIN_LEN_RANGE, set_pin(a, "1234", "12345"));
    RV(CKR_PIN_INVALID, set_pin(a, "1234", "12a4"));
    RV(CKR_PIN_LEN_RANGE, set_pin(s, "ABC123", "ABC"));
    RV(CKR_PIN_LEN_RANGE, set_pin(s, "ABC123", "ABCDEFGHIJKLMNOPQ"));
    RV(CKR_PIN_INVALID, set_pin(s, "ABC123", "abc-12"));
    RV2(CKR_ARGUMENTS_BAD, CKR_PIN_INVALID,
        p11->C_SetPIN(s, NULL, 0, (CK_UTF8CHAR_PTR) "ABC123", 6));
    /* none of that reached the card */
    t_card_tries(&auth, &sig);
    ck_assert_uint_eq(auth, 3);
    ck_assert_uint_eq(sig, 5);
    /* a wrong old PIN is a real try */
    RV(CKR_PIN_INCORRECT, set_pin(s, "WRONG1", "XYZ999"));
    t_card_tries(&auth, &sig);
    ck_assert_uint_eq(sig, 4);
    ck_assert(t_token_flags(1) & CKF_USER_PIN_COUNT_LOW);
}
END_TEST

/* ---- C_Verify ----------------------------------------------------------- */

static CK_OBJECT_HANDLE pubkey(CK_SESSION_HANDLE h)
{
    return t_find_obj(h, CKO_PUBLIC_KEY, 0);
}

START_TEST(test_verify)
{
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE h = t_open_login(slot);
    unsigned char sig[512];
    size_t k;

    for (k = 0; k < T_N_HASH_MECHS; k++) {
        CK_MECHANISM m = { T_HASH_MECHS[k].type, NULL, 0 };
        CK_ULONG n = t_sign(h, m.mechanism, msg, strlen(msg), sig);

        OK(p11->C_VerifyInit(h, &m, pubkey(h)));
        OK(p11->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), sig, n));
        /* multi-part */
        OK(p11->C_VerifyInit(h, &m, pubkey(h)));
        OK(p11->C_VerifyUpdate(h, (CK_BYTE_PTR)msg, 5));
        OK(p11->C_VerifyUpdate(h, (CK_BYTE_PTR)msg + 5, strlen(msg) - 5));
        OK(p11->C_VerifyFinal(h, sig, n));
        /* a flipped bit */
        sig[10] ^= 1;
        OK(p11->C_VerifyInit(h, &m, pubkey(h)));
        RV(CKR_SIGNATURE_INVALID,
           p11->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), sig, n));
        /* the operation ended with the answer */
        RV(CKR_OPERATION_NOT_INITIALIZED,
           p11->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), sig, n));
        OK(p11->C_VerifyInit(h, &m, pubkey(h)));
        RV(CKR_SIGNATURE_LEN_RANGE,
           p11->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), sig, n - 1));
    }
}
END_TEST

START_TEST(test_verify_errors)
{
    CK_SESSION_HANDLE h = t_open_login(0);
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_MECHANISM pss = { CKM_RSA_PKCS_PSS, NULL, 0 }; /* no parameters */
    CK_MECHANISM pss1 = { CKM_SHA1_RSA_PKCS_PSS, NULL, 0 };
    unsigned char sig[512] = { 0 };

    RV(CKR_OPERATION_NOT_INITIALIZED,
       p11->C_Verify(h, (CK_BYTE_PTR)msg, 3, sig, T_SIG_LEN));
    RV(CKR_KEY_HANDLE_INVALID, p11->C_VerifyInit(h, &m, t_privkey(h)));
    RV(t_ec ? CKR_MECHANISM_INVALID : CKR_MECHANISM_PARAM_INVALID,
       p11->C_VerifyInit(h, &pss, pubkey(h)));
    RV(CKR_MECHANISM_INVALID, p11->C_VerifyInit(h, &pss1, pubkey(h)));
    RV(CKR_ARGUMENTS_BAD, p11->C_VerifyInit(h, NULL, pubkey(h)));
    OK(p11->C_VerifyInit(h, &m, pubkey(h)));
    RV(CKR_OPERATION_ACTIVE, p11->C_VerifyInit(h, &m, pubkey(h)));
    RV(CKR_ARGUMENTS_BAD,
       p11->C_Verify(h, (CK_BYTE_PTR)msg, 3, NULL, T_SIG_LEN));
}
END_TEST

void t_add_pin_verify_tests(Suite *s)
{
    TCase *tc = t_tcase(s, "setpin_verify", t_setup_init);

    tcase_add_test(tc, test_no_rng);
    tcase_add_loop_test(tc, test_set_pin, 0, 2);
    tcase_add_test(tc, test_set_pin_rules);
    tcase_add_loop_test(tc, test_verify, 0, 2);
    tcase_add_test(tc, test_verify_errors);
}
