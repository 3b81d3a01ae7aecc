/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_cache_pin.c - the remembered PIN retry counter (src/jpki/pin.c) and
 * the signature floor, through the PKCS#11 interface and the in-process
 * emulator (fixtures in test_cache.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu/emu.h"
#include "test_cache.h"

static CK_FLAGS token_flags(CK_SLOT_ID slot)
{
    CK_TOKEN_INFO ti;
    OK(p11->C_GetTokenInfo(slot, &ti));
    return ti.flags;
}

/* C_GetTokenInfo in a loop asks the card once per PIN; a wrong PIN typed
 * in another session shows at once (it went through us); no VERIFY is
 * ever sent that was not a C_Login. */
START_TEST(pin_status_other_session)
{
    int i;

    OK(p11->C_Initialize(NULL));
    log_clear();
    for (i = 0; i < 5; i++) {
        ck_assert_uint_eq(token_flags(0) & CKF_USER_PIN_COUNT_LOW, 0);
        ck_assert_uint_eq(token_flags(1) & CKF_USER_PIN_COUNT_LOW, 0);
    }
    ck_assert_int_eq(STATUS_QUERIES(), 2);
    CK_SESSION_HANDLE a = open_session(0), b = open_session(0);
    ck_assert_uint_eq(p11->C_Login(b, CKU_USER, (CK_UTF8CHAR_PTR) "9999", 4),
                      CKR_PIN_INCORRECT);
    ck_assert_uint_ne(token_flags(0) & CKF_USER_PIN_COUNT_LOW, 0);
    ck_assert_int_eq(VERIFIES(), 1);
    OK(p11->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR)EMU_DEFAULT_AUTH_PIN, 4));
    ck_assert_uint_eq(token_flags(0) & CKF_USER_PIN_COUNT_LOW, 0);
    ck_assert_int_eq(VERIFIES(), 2);
    ck_assert_int_eq(STATUS_QUERIES(), 2); /* the logins needed none */
    OK(p11->C_Finalize(NULL));
}
END_TEST

/* Another program (here: another process on the card image) types a wrong
 * PIN. The design's promise: our token flags show it within the PIN
 * status TTL (1 s), and we never send a VERIFY for it. */
START_TEST(pin_status_other_process)
{
    pid_t pid;
    int st, i;
    struct timespec nap = { 1, 200 * 1000 * 1000 };

    OK(p11->C_Initialize(NULL));
    ck_assert_uint_eq(token_flags(0) & CKF_USER_PIN_COUNT_LOW, 0);
    log_clear();
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        static const uint8_t sel_ap[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A,
                                          0xD3, 0x92, 0xF0, 0x00, 0x26,
                                          0x01, 0x00, 0x00, 0x00, 0x01 };
        static const uint8_t sel_pin[] = { 0x00, 0xA4, 0x02, 0x0C,
                                           0x02, 0x00, 0x18 };
        static const uint8_t wrong[] = { 0x00, 0x20, 0x00, 0x80, 0x04,
                                         '9',  '9',  '9',  '9' };
        uint8_t rsp[300];
        size_t n;
        emu_card *c;
        char err[256];
        int ok = emu_card_load(card, &c, err, sizeof err) == EMU_OK &&
                 emu_card_lock(c) == EMU_OK;
        n = sizeof rsp;
        ok = ok &&
             emu_card_transmit(c, sel_ap, sizeof sel_ap, rsp, &n) == EMU_OK;
        n = sizeof rsp;
        ok = ok &&
             emu_card_transmit(c, sel_pin, sizeof sel_pin, rsp, &n) == EMU_OK;
        n = sizeof rsp;
        ok = ok &&
             emu_card_transmit(c, wrong, sizeof wrong, rsp, &n) == EMU_OK &&
             n == 2 && rsp[0] == 0x63 && rsp[1] == 0xC2;
        emu_card_unlock(c);
        emu_card_free(c);
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    nanosleep(&nap, NULL);
    for (i = 0; i < 3; i++)
        ck_assert_uint_ne(token_flags(0) & CKF_USER_PIN_COUNT_LOW, 0);
    ck_assert_int_eq(VERIFIES(), 1); /* the other program's, only */
    ck_assert_int_eq(STATUS_QUERIES(), 1);
    CK_SESSION_HANDLE h = open_session(0);
    OK(p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)EMU_DEFAULT_AUTH_PIN, 4));
    ck_assert_int_eq(VERIFIES(), 2);
    ck_assert_uint_eq(token_flags(0) & CKF_USER_PIN_COUNT_LOW, 0);
    OK(p11->C_Finalize(NULL));
}
END_TEST

/* In a logged-in session a signature is the floor: COMPUTE DIGITAL
 * SIGNATURE with the key named by SFI in P2 (97: EF 0017), no SELECT.
 * Nothing else, however many. */
START_TEST(sign_at_the_floor)
{
    CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_OBJECT_HANDLE key;
    CK_BYTE sig[512];
    CK_ULONG n = 0, len;
    int i;

    OK(p11->C_Initialize(NULL));
    CK_SESSION_HANDLE h = open_session(0);
    OK(p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)EMU_DEFAULT_AUTH_PIN, 4));
    OK(p11->C_FindObjectsInit(h, &t, 1));
    OK(p11->C_FindObjects(h, &key, 1, &n));
    OK(p11->C_FindObjectsFinal(h));
    ck_assert_uint_eq(n, 1);
    log_clear();
    for (i = 0; i < 3; i++) {
        len = sizeof sig;
        OK(p11->C_SignInit(h, &m, key));
        OK(p11->C_Sign(h, (CK_BYTE_PTR) "data", 4, sig, &len));
    }
    ck_assert_int_eq(log_count("INS=", NULL), 3);
    ck_assert_int_eq(log_count("INS=2A P1=00 P2=97", NULL), 3);
    OK(p11->C_Finalize(NULL));
}
END_TEST

void add_pin_tests(TCase *tc)
{
    tcase_add_test(tc, pin_status_other_session);
    tcase_add_test(tc, pin_status_other_process);
    tcase_add_test(tc, sign_at_the_floor);
}
