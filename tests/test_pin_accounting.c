/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pin_accounting.c - every flow spends exactly the PIN tries the user
 * asked for: none for listing, information, flags, objects and
 * certificates; one per C_Login and per C_SetPIN; none for a PIN refused
 * on the host, a locked PIN, or after the card was reset or pulled (a PIN
 * is never replayed: after a removal, which is also a reset). The tries are
 * counted by the card itself (VERIFY commands with data, test_faults_stats.h),
 * and no flow ever selects the card-info application (personal data the module
 * has no use for).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "emu/emu.h"
#include "p11test.h"
#include "test_faults_stats.h"
#include "testutil.h"

static unsigned long verifies(void)
{
    emu_stats st;

    ts_stats(&st);
    ck_assert_uint_eq(st.card_info_selects, 0);
    return st.verifies;
}

/* The call returns rv and the card counts `tries` more VERIFYs. */
#define SPENDS(tries, rv, call)                                               \
    do {                                                                      \
        unsigned long before_ = verifies();                                   \
        RV(rv, call);                                                         \
        ck_assert_msg(verifies() - before_ == (tries),                        \
                      "%s: %lu PIN tries, expected %d", #call,                \
                      verifies() - before_, (int)(tries));                    \
    } while (0)


static void setup(void)
{
    ts_stats_reset();
    t_setup_init();
}

static CK_RV login(CK_SESSION_HANDLE h, const char *pin)
{
    return p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static CK_RV set_pin(CK_SESSION_HANDLE h, const char *old_pin,
                     const char *new_pin)
{
    return p11->C_SetPIN(h, (CK_UTF8CHAR_PTR)old_pin, strlen(old_pin),
                         (CK_UTF8CHAR_PTR)new_pin, strlen(new_pin));
}

/* Reads every attribute a client reads of every object it can see. */
static CK_RV read_all(CK_SESSION_HANDLE h)
{
    static const CK_ATTRIBUTE_TYPE types[] = {
        CKA_CLASS,
        CKA_LABEL,
        CKA_ID,
        CKA_VALUE,
        CKA_SUBJECT,
        CKA_ISSUER,
        CKA_SERIAL_NUMBER,
        CKA_MODULUS,
        CKA_PUBLIC_EXPONENT,
        CKA_KEY_TYPE,
        CKA_PRIVATE,
        CKA_SIGN,
        CKA_ALWAYS_AUTHENTICATE,
    };
    CK_OBJECT_HANDLE o[16];
    CK_ULONG n = 0, i, k;
    CK_RV rv = p11->C_FindObjectsInit(h, NULL, 0);

    if (rv == CKR_OK)
        rv = p11->C_FindObjects(h, o, 16, &n);
    p11->C_FindObjectsFinal(h);
    for (i = 0; rv == CKR_OK && i < n; i++) {
        for (k = 0; k < sizeof types / sizeof types[0]; k++) {
            unsigned char buf[4096];
            CK_ATTRIBUTE a = { types[k], buf, sizeof buf };
            CK_RV r = p11->C_GetAttributeValue(h, o[i], &a, 1);
            if (r != CKR_OK && r != CKR_ATTRIBUTE_TYPE_INVALID &&
                r != CKR_ATTRIBUTE_SENSITIVE)
                rv = r;
        }
    }
    return rv;
}

/* Everything a client does before it asks for a PIN, on both tokens. */
static CK_RV browse(void)
{
    CK_SLOT_ID slots[4];
    CK_ULONG n = 4, i, nm = 32;
    CK_MECHANISM_TYPE mechs[32];
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_SESSION_INFO ssi;
    CK_SESSION_HANDLE h;
    CK_RV rv = p11->C_GetSlotList(CK_TRUE, slots, &n);

    for (i = 0; rv == CKR_OK && i < n; i++) {
        nm = 32;
        if ((rv = p11->C_GetSlotInfo(slots[i], &si)) != CKR_OK ||
            (rv = p11->C_GetTokenInfo(slots[i], &ti)) != CKR_OK ||
            (rv = p11->C_GetMechanismList(slots[i], mechs, &nm)) != CKR_OK ||
            (rv = p11->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL,
                                     &h)) != CKR_OK)
            break;
        if ((rv = p11->C_GetSessionInfo(h, &ssi)) == CKR_OK)
            rv = read_all(h);
        p11->C_CloseSession(h);
    }
    return rv;
}

START_TEST(test_listing_spends_nothing)
{
    int i;

    for (i = 0; i < 5; i++)
        SPENDS(0, CKR_OK, browse());
    SPENDS(0, CKR_OK, p11->C_Finalize(NULL));
    SPENDS(0, CKR_OK, p11->C_Initialize(NULL));
    SPENDS(0, CKR_OK, browse());
    /* flags carry the retry counter: read without a try */
    ck_assert_uint_eq(t_token_flags(0) & PIN_FLAGS, 0);
    ck_assert_uint_eq(verifies(), 0);
}
END_TEST

/* _i: the token (0 auth, 1 sign). */
START_TEST(test_one_try_per_login)
{
    CK_SESSION_HANDLE h = t_open((CK_SLOT_ID)_i, 0), h2;
    unsigned char sig[512];

    SPENDS(1, CKR_OK, login(h, pins[_i]));
    SPENDS(0, CKR_USER_ALREADY_LOGGED_IN, login(h, pins[_i]));
    SPENDS(0, CKR_OK, browse());
    SPENDS(0, CKR_OK, read_all(h));
    t_sign(h, T_MECH, msg, strlen(msg), sig);
    t_sign(h, T_MECH, msg, strlen(msg), sig);
    ck_assert_uint_eq(verifies(), 1); /* signatures spend nothing more */
    /* another session of the same token shares the login */
    h2 = t_open((CK_SLOT_ID)_i, 0);
    SPENDS(0, CKR_USER_ALREADY_LOGGED_IN, login(h2, pins[_i]));
    SPENDS(0, CKR_OK, p11->C_Logout(h));
    SPENDS(0, CKR_USER_NOT_LOGGED_IN, p11->C_Logout(h));
    SPENDS(1, CKR_OK, login(h, pins[_i]));
    SPENDS(0, CKR_OK, p11->C_CloseAllSessions((CK_SLOT_ID)_i));
    ck_assert_uint_eq(verifies(), 2);
}
END_TEST

/* PINs that cannot be right never reach the card. */
START_TEST(test_malformed_pins_spend_nothing)
{
    static const char *const bad[2][7] = {
        { "123", "12345", "12a4", "ABCD", "1 34", "", "1234567890123456" },
        { "abc-12", "AB12", "ABCDEFGHIJ1234567", "ABC-12", "ABC 123",
          "ＡＢＣ１２３", "" },
    };
    CK_SESSION_HANDLE h = t_open((CK_SLOT_ID)_i, 0);
    unsigned a, s;
    size_t k;

    for (k = 0; k < 7; k++)
        SPENDS(0, CKR_PIN_INCORRECT, login(h, bad[_i][k]));
    /* a PIN with a NUL inside: the length counts, not the string */
    SPENDS(0, CKR_PIN_INCORRECT,
           p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "12\0004ABC", 4));
    SPENDS(0, CKR_ARGUMENTS_BAD, p11->C_Login(h, CKU_USER, NULL, 4));
    /* h is read-only: the standard's answer comes before "no SO" */
    SPENDS(0, CKR_SESSION_READ_ONLY_EXISTS,
           p11->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "1234", 4));
    SPENDS(0, CKR_OPERATION_NOT_INITIALIZED,
           p11->C_Login(h, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pins[_i],
                        strlen(pins[_i])));
    t_card_tries(&a, &s);
    ck_assert_uint_eq(a, 3);
    ck_assert_uint_eq(s, 5);
}
END_TEST

/* A wrong PIN spends one try each; a locked PIN spends none. */
START_TEST(test_wrong_and_locked)
{
    static const char *const wrong[2] = { "9999", "WRONG1" };
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE h = t_open(slot, CKF_RW_SESSION);
    int max = _i ? 5 : 3, k;
    unsigned tries[2];

    for (k = 1; k < max; k++) {
        SPENDS(1, CKR_PIN_INCORRECT, login(h, wrong[_i]));
        t_card_tries(&tries[0], &tries[1]);
        ck_assert_uint_eq(tries[_i], (unsigned)(max - k));
        ck_assert(t_token_flags(slot) & CKF_USER_PIN_COUNT_LOW);
    }
    ck_assert(t_token_flags(slot) & CKF_USER_PIN_FINAL_TRY);
    SPENDS(1, CKR_PIN_LOCKED, login(h, wrong[_i]));
    ck_assert(t_token_flags(slot) & CKF_USER_PIN_LOCKED);
    /* locked: not even the right PIN goes to the card */
    SPENDS(0, CKR_PIN_LOCKED, login(h, pins[_i]));
    SPENDS(0, CKR_PIN_LOCKED, set_pin(h, pins[_i], _i ? "NEW123" : "5678"));
    /* after a restart too: the module asks the card, not a cache */
    SPENDS(0, CKR_OK, p11->C_Finalize(NULL));
    SPENDS(0, CKR_OK, p11->C_Initialize(NULL));
    h = t_open(slot, 0);
    SPENDS(0, CKR_PIN_LOCKED, login(h, pins[_i]));
    ck_assert_uint_eq(verifies(), (unsigned long)max);
}
END_TEST

/* After a removal or a reset the login is gone and is never replayed. */
START_TEST(test_never_replayed)
{
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE h = t_open_login(slot);
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_OBJECT_HANDLE key = t_privkey(h);
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_TOKEN_INFO ti;

    ck_assert_uint_eq(verifies(), 1);
    ck_assert_int_eq(rename(card, away), 0);
    RV2(CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID,
        p11->C_SignInit(h, &m, key));
    SPENDS(0, CKR_TOKEN_NOT_PRESENT, p11->C_GetTokenInfo(slot, &ti));
    ck_assert_int_eq(rename(away, card), 0);
    SPENDS(0, CKR_OK, browse());
    h = t_open(slot, 0);
    ck_assert_uint_eq(t_state(h), CKS_RO_PUBLIC_SESSION);
    ck_assert_uint_eq(t_find(h, &t, 1, NULL, 0),
                      0); /* no key: not logged in */
    RV(CKR_USER_NOT_LOGGED_IN, p11->C_SignInit(h, &m, key));
    ck_assert_uint_eq(verifies(), 1);
}
END_TEST

START_TEST(test_set_pin_accounting)
{
    static const char *const next[2] = { "5678", "NEW456" };
    static const char *const wrong[2] = { "9999", "WRONG1" };
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE ro = t_open(slot, 0), h = t_open(slot, CKF_RW_SESSION);
    unsigned tries[2];

    SPENDS(0, CKR_SESSION_READ_ONLY, set_pin(ro, pins[_i], next[_i]));
    /* the new PIN's rules are checked first, on the host */
    SPENDS(0, CKR_PIN_LEN_RANGE, set_pin(h, pins[_i], _i ? "AB1" : "123"));
    SPENDS(0, CKR_PIN_LEN_RANGE,
           set_pin(h, pins[_i], _i ? "ABCDEFGHIJ1234567" : "12345"));
    SPENDS(0, CKR_PIN_INVALID, set_pin(h, pins[_i], _i ? "abc-123" : "12a4"));
    /* an old PIN that cannot be right */
    SPENDS(0, CKR_PIN_INCORRECT,
           set_pin(h, _i ? "abc-123" : "12a4", next[_i]));
    SPENDS(0, CKR_ARGUMENTS_BAD,
           p11->C_SetPIN(h, NULL, 0, (CK_UTF8CHAR_PTR)next[_i], 4));
    /* a wrong old PIN: one try, and the PIN stays */
    SPENDS(1, CKR_PIN_INCORRECT, set_pin(h, wrong[_i], next[_i]));
    t_card_tries(&tries[0], &tries[1]);
    ck_assert_uint_eq(tries[_i], _i ? 4u : 2u);
    /* the change: one VERIFY of the old PIN (CHANGE REFERENCE DATA is
     * not a try), and it does not log in */
    SPENDS(1, CKR_OK, set_pin(h, pins[_i], next[_i]));
    ck_assert_uint_eq(t_state(h), CKS_RW_PUBLIC_SESSION);
    SPENDS(1, CKR_PIN_INCORRECT, login(h, pins[_i]));
    SPENDS(1, CKR_OK, login(h, next[_i]));
    /* logged in: still one VERIFY for the old PIN */
    SPENDS(1, CKR_OK, set_pin(h, next[_i], pins[_i]));
    ck_assert_uint_eq(t_state(h), CKS_RW_USER_FUNCTIONS);
    t_card_tries(&tries[0], &tries[1]);
    ck_assert_uint_eq(tries[_i], _i ? 5u : 3u);
}
END_TEST

/* The card holds the signature PIN in upper case: a PIN typed in lower
 * case is upper-cased before the rules and the card. It logs in with one
 * VERIFY (the card's counter stays full: no try was spent on the case)
 * and signs; C_SetPIN upper-cases both PINs. */
START_TEST(test_lower_case_sign_pin)
{
    CK_SESSION_HANDLE h = t_open(1, CKF_RW_SESSION);
    unsigned char sig[512];
    unsigned a, s;

    SPENDS(1, CKR_OK, login(h, "abc123"));
    t_card_tries(&a, &s);
    ck_assert_uint_eq(s, 5);
    ck_assert_uint_eq(t_sign(h, T_MECH, "doc", 3, sig), T_SIG_LEN);
    SPENDS(0, CKR_OK, p11->C_Logout(h));
    SPENDS(1, CKR_OK, login(h, "aBc123"));
    SPENDS(0, CKR_OK, p11->C_Logout(h));
    /* both PINs of C_SetPIN: the card then holds "NEW4567" */
    SPENDS(1, CKR_OK, set_pin(h, "abc123", "new4567"));
    SPENDS(1, CKR_OK, login(h, "NEW4567"));
    SPENDS(0, CKR_OK, p11->C_Logout(h));
    SPENDS(1, CKR_OK, set_pin(h, "New4567", "ABC123"));
    t_card_tries(&a, &s);
    ck_assert_uint_eq(s, 5);
    /* the auth PIN is digits: a letter stays wrong, and is never sent */
    SPENDS(0, CKR_PIN_INCORRECT, login(t_open(0, 0), "123a"));
}
END_TEST

/* The card's switch KEY (a field of the image) set to VALUE, with the
 * image's checksum over everything before its "sha256" line. */
static void set_card_switch(const char *key, const char *value)
{
    ck_assert_int_eq(tu_card_set(card, key, value), 0);
}

static int sign_verified(void)
{
    emu_stats st;

    ts_stats(&st);
    return st.sign_verified;
}

/* A card on which one signature-PIN VERIFY covers one signature: the
 * second signature on the same login is refused by the card; the module
 * says CKR_USER_NOT_LOGGED_IN, the session is public again, and no PIN is
 * sent that the user did not type. A context-specific login (the PKCS#11
 * way to authenticate one operation) before the signature makes it work. */
START_TEST(test_sign_pin_single_use)
{
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_BYTE sig[512];
    CK_ULONG len = sizeof sig;
    CK_SESSION_HANDLE h;

    OK(p11->C_Finalize(NULL));
    set_card_switch("sign_pin_single_use", "1");
    OK(p11->C_Initialize(NULL));
    h = t_open(1, 0);
    SPENDS(1, CKR_OK, login(h, "abc123"));
    ck_assert_int_eq(sign_verified(), 1);
    ck_assert_uint_eq(t_sign(h, T_MECH, "one", 3, sig), T_SIG_LEN);
    ck_assert_int_eq(sign_verified(), 0); /* the card spent it */
    OK(p11->C_SignInit(h, &m, t_privkey(h)));
    SPENDS(0, CKR_USER_NOT_LOGGED_IN,
           p11->C_Sign(h, (CK_BYTE_PTR) "two", 3, sig, &len));
    ck_assert_uint_eq(t_state(h), CKS_RO_PUBLIC_SESSION);
    /* log in again; each signature authenticated on its own */
    SPENDS(1, CKR_OK, login(h, "ABC123"));
    for (int i = 0; i < 2; i++) {
        CK_OBJECT_HANDLE key = t_privkey(h);
        len = sizeof sig;
        OK(p11->C_SignInit(h, &m, key));
        if (i)
            SPENDS(1, CKR_OK,
                   p11->C_Login(h, CKU_CONTEXT_SPECIFIC,
                                (CK_UTF8CHAR_PTR) "abc123", 6));
        SPENDS(0, CKR_OK, p11->C_Sign(h, (CK_BYTE_PTR) "doc", 3, sig, &len));
        ck_assert_uint_eq(len, T_SIG_LEN);
    }
    SPENDS(0, CKR_OK, p11->C_Logout(h));
    ck_assert_int_eq(sign_verified(), 0);
}
END_TEST

/* A smartphone token: its serial number lives in another application,
 * which the module selects at open (and the JPKI-AP again after it). The
 * card-info application never: SPENDS reads the card's own count of its
 * SELECTs. The control: the card counts at least three applications
 * selected (the JPKI-AP, the serial's, the JPKI-AP), so the module did
 * select another application and the count could see a wrong one. */
START_TEST(test_phone_selects_no_card_info)
{
    CK_SESSION_HANDLE h;
    emu_stats st;

    OK(p11->C_Finalize(NULL));
    set_card_switch("token_info", EMU_TOKEN_INFO_PHONE);
    SPENDS(0, CKR_OK, p11->C_Initialize(NULL));
    SPENDS(0, CKR_OK, browse());
    ts_stats(&st);
    ck_assert_uint_ge(st.app_selects, 3);
    h = t_open(0, 0);
    SPENDS(1, CKR_OK, login(h, pins[0]));
    t_sign_verify(h);
    SPENDS(0, CKR_OK, p11->C_Logout(h));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pin_accounting");
    TCase *tc;
    SRunner *sr;
    int failed, total;

    if (!tu_template_pki_dir())
        return EXIT_FAILURE;
    tc = t_tcase(s, "pin_accounting", setup);
    tcase_add_test(tc, test_listing_spends_nothing);
    tcase_add_loop_test(tc, test_one_try_per_login, 0, 2);
    tcase_add_loop_test(tc, test_malformed_pins_spend_nothing, 0, 2);
    tcase_add_loop_test(tc, test_wrong_and_locked, 0, 2);
    tcase_add_loop_test(tc, test_never_replayed, 0, 2);
    tcase_add_loop_test(tc, test_set_pin_accounting, 0, 2);
    tcase_add_test(tc, test_lower_case_sign_pin);
    tcase_add_test(tc, test_sign_pin_single_use);
    tcase_add_test(tc, test_phone_selects_no_card_info);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    total = srunner_ntests_run(sr);
    srunner_free(sr);
    printf("%d PIN-accounting tests\n", total);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
