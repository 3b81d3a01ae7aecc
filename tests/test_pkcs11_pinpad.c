/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11_pinpad.c - PINs typed on a reader's PIN pad (the emulator's
 * simulated keypad, emu.h): C_Login and C_SetPIN with NULL PINs
 * (CKF_PROTECTED_AUTHENTICATION_PATH), the holder cancelling or letting the
 * entry time out (CKR_FUNCTION_CANCELED, no try spent), a new PIN the card
 * refuses, and a reader without a keypad (fourth file of the PKCS#11 test
 * program).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11test.h"
#include "emu/emu.h"

static char dir[64], img[600];

/* A card in a PIN-pad reader, as the module's only emulator card; faults
 * (JPKI_EMU_FAULTS, NULL for none) are read when the module connects. */
static void pinpad_card(const char *faults)
{
    emu_init_opts o = { .pinpad = 1, .ec_p384 = t_ec };
    char err[256];

    snprintf(dir, sizeof dir, "/tmp/jpki-pinpad-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(img, sizeof img, "%s/card.img", dir);
    ck_assert_msg(emu_personalize(img, &o, err, sizeof err) == EMU_OK, "%s",
                  err);
    setenv("JPKI_PKCS11_EMULATOR", img, 1);
    if (faults)
        setenv("JPKI_EMU_FAULTS", faults, 1);
    else
        unsetenv("JPKI_EMU_FAULTS");
    OK(p11->C_Initialize(NULL));
}

static void pinpad_card_remove(void)
{
    char cmd[128];

    OK(p11->C_Finalize(NULL));
    unsetenv("JPKI_EMU_FAULTS");
    unsetenv("JPKI_EMU_PINPAD_NEW_PIN");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Tries left on the PIN-pad card for slot's PIN, read from its image. */
static unsigned tries(CK_SLOT_ID slot)
{
    unsigned auth = 0, sig = 0;

    t_image_tries(img, &auth, &sig);
    return slot == 0 ? auth : sig;
}

START_TEST(test_no_pinpad_needs_pin)
{
    CK_SESSION_HANDLE h = t_open(0, CKF_RW_SESSION);
    unsigned auth = 0, sig = 0;

    ck_assert(!(t_token_flags(0) & CKF_PROTECTED_AUTHENTICATION_PATH));
    RV(CKR_ARGUMENTS_BAD, p11->C_Login(h, CKU_USER, NULL, 0));
    RV(CKR_ARGUMENTS_BAD, p11->C_SetPIN(h, NULL, 0, NULL, 0));
    t_card_tries(&auth, &sig);
    ck_assert_uint_eq(auth, 3);
}
END_TEST

/* The module offers the protected path and C_Login(NULL) verifies on the
 * (simulated) keypad. */
START_TEST(test_pinpad_login)
{
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE h;

    pinpad_card(NULL);
    ck_assert(t_token_flags(slot) & CKF_PROTECTED_AUTHENTICATION_PATH);
    h = t_open(slot, 0);
    OK(p11->C_Login(h, CKU_USER, NULL, 0));
    ck_assert_uint_eq(t_state(h), CKS_RO_USER_FUNCTIONS);
    t_sign_verify(h);
    OK(p11->C_Logout(h));
    /* a PIN typed on the host still works too */
    OK(t_login(h, pins[slot]));
    pinpad_card_remove();
}
END_TEST

/* The holder presses Cancel (loop 0) or lets the entry time out (loop 1):
 * CKR_FUNCTION_CANCELED, no try spent, still logged out, and a later
 * host-typed login works. */
START_TEST(test_pinpad_cancel)
{
    CK_SESSION_HANDLE h;

    pinpad_card(_i ? "pinpad-timeout" : "pinpad-cancel");
    for (CK_SLOT_ID slot = 0; slot < 2; slot++) {
        unsigned before = tries(slot);
        h = t_open(slot, CKF_RW_SESSION);
        RV(CKR_FUNCTION_CANCELED, p11->C_Login(h, CKU_USER, NULL, 0));
        RV(CKR_FUNCTION_CANCELED, p11->C_SetPIN(h, NULL, 0, NULL, 0));
        ck_assert_uint_eq(tries(slot), before);
        ck_assert_uint_eq(t_state(h), CKS_RW_PUBLIC_SESSION);
        OK(t_login(h, pins[slot]));
        OK(p11->C_Logout(h));
    }
    pinpad_card_remove();
}
END_TEST

/* C_SetPIN(NULL, NULL): the old PIN and the new one (twice) typed on the
 * keypad. Afterwards the token is as logged in as before (not), the new
 * PIN works from the host and the old one no longer does. */
START_TEST(test_pinpad_set_pin)
{
    static const char *const fresh[2] = { "5678", "NEWPIN77" };
    CK_SLOT_ID slot = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE h;

    pinpad_card(NULL);
    h = t_open(slot, CKF_RW_SESSION);
    /* one PIN on the keypad and one from the host: refused, nothing sent */
    RV(CKR_ARGUMENTS_BAD,
       p11->C_SetPIN(h, NULL, 0, (CK_UTF8CHAR_PTR)fresh[slot],
                     strlen(fresh[slot])));
    /* no new PIN typed: the (simulated) holder cancels; nothing changed */
    RV(CKR_FUNCTION_CANCELED, p11->C_SetPIN(h, NULL, 0, NULL, 0));
    setenv("JPKI_EMU_PINPAD_NEW_PIN", fresh[slot], 1);
    OK(p11->C_SetPIN(h, NULL, 0, NULL, 0));
    ck_assert_uint_eq(t_state(h), CKS_RW_PUBLIC_SESSION);
    OK(t_login(h, fresh[slot]));
    OK(p11->C_Logout(h));
    RV(CKR_PIN_INCORRECT, t_login(h, pins[slot]));
    ck_assert_uint_eq(tries(slot), slot == 0 ? 2u : 4u);
    /* a new PIN the card refuses (too short for either PIN): CKR_PIN_INVALID,
     * and the PIN stays what it was */
    setenv("JPKI_EMU_PINPAD_NEW_PIN", "12", 1);
    RV(CKR_PIN_INVALID, p11->C_SetPIN(h, NULL, 0, NULL, 0));
    ck_assert_uint_eq(t_state(h), CKS_RW_PUBLIC_SESSION);
    OK(t_login(h, fresh[slot]));
    /* logged in already: C_SetPIN on the keypad keeps the login */
    setenv("JPKI_EMU_PINPAD_NEW_PIN", pins[slot], 1);
    OK(p11->C_SetPIN(h, NULL, 0, NULL, 0));
    ck_assert_uint_eq(t_state(h), CKS_RW_USER_FUNCTIONS);
    t_sign_verify(h);
    pinpad_card_remove();
}
END_TEST

void t_add_pinpad_tests(Suite *s)
{
    TCase *tc = t_tcase(s, "pinpad", t_setup_card);

    tcase_add_loop_test(tc, test_pinpad_login, 0, 2);
    tcase_add_loop_test(tc, test_pinpad_cancel, 0, 2);
    tcase_add_loop_test(tc, test_pinpad_set_pin, 0, 2);
    tc = t_tcase(s, "no_pinpad", t_setup_init);
    tcase_add_test(tc, test_no_pinpad_needs_pin);
}
