/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11_more.c - the PKCS#11 3.0 interfaces, C_SetPIN, host-side
 * verification and the RNG answer (third file of the PKCS#11 test program).
 */
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p11test.h"
#include "emu/emu.h"
#include "pkcs11/pkcs11_3.h"

static CK_FUNCTION_LIST_3_0_PTR v3(void)
{
    CK_INTERFACE_PTR i = NULL;

    OK(C_GetInterface(NULL, NULL, &i, 0));
    ck_assert_ptr_nonnull(i);
    return i->pFunctionList;
}

START_TEST(test_interface_list)
{
    CK_INTERFACE list[4];
    CK_ULONG n = 0;

    /* No C_Initialize needed to find the interfaces. */
    RV(CKR_ARGUMENTS_BAD, C_GetInterfaceList(list, NULL));
    OK(C_GetInterfaceList(NULL, &n));
    ck_assert_uint_eq(n, 2);
    n = 1;
    RV(CKR_BUFFER_TOO_SMALL, C_GetInterfaceList(list, &n));
    ck_assert_uint_eq(n, 2);
    n = 4;
    OK(C_GetInterfaceList(list, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq((char *)list[0].pInterfaceName, "PKCS 11");
    ck_assert_uint_eq(((CK_VERSION *)list[0].pFunctionList)->major, 3);
    ck_assert_uint_eq(((CK_VERSION *)list[1].pFunctionList)->major, 2);
    ck_assert_uint_eq(((CK_VERSION *)list[1].pFunctionList)->minor, 40);
}
END_TEST

START_TEST(test_get_interface)
{
    CK_VERSION v240 = { 2, 40 }, v30 = { 3, 0 }, v99 = { 9, 9 };
    CK_INTERFACE_PTR i = NULL;
    CK_FUNCTION_LIST_3_0_PTR f = v3();
    void *const *fp = (void *const *)&f->C_Initialize;
    size_t k, n = (sizeof(*f) - offsetof(CK_FUNCTION_LIST_3_0, C_Initialize)) /
                  sizeof(void *);

    /* every slot of the 3.0 list is filled */
    ck_assert_uint_eq(n, 92);
    for (k = 0; k < n; k++)
        ck_assert_ptr_nonnull(fp[k]);
    ck_assert_uint_eq(f->version.major, 3);
    OK(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &i, 0));
    ck_assert_ptr_eq(i->pFunctionList, p11);
    OK(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &i, 0));
    ck_assert_ptr_eq(i->pFunctionList, f);
    RV(CKR_ARGUMENTS_BAD,
       C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v99, &i, 0));
    RV(CKR_ARGUMENTS_BAD,
       C_GetInterface((CK_UTF8CHAR_PTR) "Vendor", NULL, &i, 0));
    /* not fork safe: a child must initialize again */
    RV(CKR_ARGUMENTS_BAD,
       C_GetInterface(NULL, NULL, &i, CKF_INTERFACE_FORK_SAFE));
    RV(CKR_ARGUMENTS_BAD, C_GetInterface(NULL, NULL, NULL, 0));
}
END_TEST

START_TEST(test_v3_functions)
{
    CK_FUNCTION_LIST_3_0_PTR f = v3();
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    unsigned char sig[512];
    CK_ULONG sig_len = sizeof(sig);
    CK_SESSION_HANDLE h;

    RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_SessionCancel(1, CKF_SIGN));
    OK(f->C_Initialize(NULL));
    OK(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h));
    RV(CKR_ARGUMENTS_BAD, f->C_LoginUser(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234",
                                         4, (CK_UTF8CHAR_PTR) "taro", 4));
    OK(f->C_LoginUser(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4, NULL, 0));
    OK(f->C_SignInit(h, &m, t_privkey(h)));
    OK(f->C_SessionCancel(h, CKF_SIGN));
    RV(CKR_OPERATION_NOT_INITIALIZED,
       f->C_Sign(h, (CK_BYTE_PTR)msg, 3, sig, &sig_len));
    RV(CKR_SESSION_HANDLE_INVALID, f->C_SessionCancel(h + 100, CKF_SIGN));
    RV(CKR_FUNCTION_NOT_SUPPORTED, f->C_MessageSignInit(h, &m, t_privkey(h)));
    RV(CKR_FUNCTION_NOT_SUPPORTED, f->C_MessageEncryptFinal(h));
    /* the old entry points work through the new list */
    sig_len = t_sign(h, T_MECH, msg, strlen(msg), sig);
    ck_assert_uint_eq(sig_len, T_SIG_LEN);
}
END_TEST

START_TEST(test_no_rng)
{
    CK_SESSION_HANDLE h = t_open(0, 0);
    CK_BYTE buf[8];

    RV(CKR_RANDOM_NO_RNG, p11->C_GenerateRandom(h, buf, sizeof(buf)));
    RV(CKR_RANDOM_NO_RNG, p11->C_SeedRandom(h, buf, sizeof(buf)));
    RV(CKR_SESSION_HANDLE_INVALID, p11->C_GenerateRandom(h + 100, buf, 8));
    /* a NULL buffer: CKR_ARGUMENTS_BAD before anything else, even a bad
     * session handle */
    RV(CKR_ARGUMENTS_BAD, p11->C_GenerateRandom(h, NULL, 8));
    RV(CKR_ARGUMENTS_BAD, p11->C_SeedRandom(h, NULL, 8));
    RV(CKR_ARGUMENTS_BAD, p11->C_GenerateRandom(h + 100, NULL, 8));
    RV(CKR_ARGUMENTS_BAD, p11->C_SeedRandom(h + 100, NULL, 0));
}
END_TEST

/* ---- C_SetPIN ------------------------------------------------------------ */

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

/* ---- C_Verify --------------------------------------------------------------- */

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

/* ---- C_WaitForSlotEvent ------------------------------------------------------ */

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static CK_RV event(CK_SLOT_ID *slot)
{
    return p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, slot, NULL);
}

START_TEST(test_slot_events_nonblocking)
{
    CK_SLOT_ID slots[8], slot = 99;
    CK_ULONG n = 8;

    OK(p11->C_GetSlotList(CK_TRUE, slots, &n));
    /* the card that was there from the start is no event */
    RV(CKR_NO_EVENT, event(&slot));
    RV(CKR_ARGUMENTS_BAD, p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL));
    ck_assert_int_eq(rename(card, away), 0);
    OK(event(&slot));
    ck_assert_uint_eq(slot, 0);
    OK(event(&slot));
    ck_assert_uint_eq(slot, 1);
    RV(CKR_NO_EVENT, event(&slot));
    ck_assert_int_eq(rename(away, card), 0);
    OK(event(&slot));
    ck_assert_uint_eq(slot, 0);
    OK(event(&slot));
    ck_assert_uint_eq(slot, 1);
    RV(CKR_NO_EVENT, event(&slot));
}
END_TEST

typedef struct {
    CK_RV rv;
    CK_SLOT_ID slot;
    double returned_at;
    atomic_long tid; /* set just before the call */
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;

    atomic_store(&w->tid, (long)syscall(SYS_gettid));
    w->rv = p11->C_WaitForSlotEvent(0, &w->slot, NULL);
    w->returned_at = now();
    return NULL;
}

/* Thread TID of this process is asleep (state S in its /proc stat). */
static int thread_asleep(long tid)
{
    char path[64], buf[512], *p;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    if (!(f = fopen(path, "r")))
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

/* Instead of sleeping and hoping: the waiter is past the point where it
 * noted its id (nothing else sleeps after that) and asleep, in C_Wait-
 * ForSlotEvent, in three samples 20 ms apart. */
static void wait_blocked(waiter *w)
{
    int i, asleep = 0;

    for (i = 0; i < 250 && asleep < 3; i++) {
        long tid = atomic_load(&w->tid);
        asleep = tid && thread_asleep(tid) ? asleep + 1 : 0;
        usleep(20 * 1000);
    }
    ck_assert_msg(asleep == 3,
                  "the waiter never blocked in C_WaitForSlotEvent");
}

START_TEST(test_slot_event_blocking)
{
    waiter w = { CKR_GENERAL_ERROR, 99, 0, 0 };
    CK_SLOT_ID slot;
    pthread_t th;
    double removed_at;

    RV(CKR_NO_EVENT, event(&slot)); /* baseline */
    ck_assert_int_eq(pthread_create(&th, NULL, wait_thread, &w), 0);
    wait_blocked(&w);
    removed_at = now();
    ck_assert_int_eq(rename(card, away), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    OK(w.rv);
    ck_assert_uint_eq(w.slot, 0);
    /* reported within a second of the removal */
    ck_assert_msg(w.returned_at - removed_at < 1.0, "took %.3f s",
                  w.returned_at - removed_at);
    ck_assert_int_eq(rename(away, card), 0);
}
END_TEST

START_TEST(test_finalize_wakes_waiter)
{
    waiter w = { CKR_GENERAL_ERROR, 99, 0, 0 };
    CK_SLOT_ID slot;
    pthread_t th;
    double t0;

    RV(CKR_NO_EVENT, event(&slot));
    ck_assert_int_eq(pthread_create(&th, NULL, wait_thread, &w), 0);
    wait_blocked(&w);
    t0 = now();
    OK(p11->C_Finalize(NULL));
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    RV(CKR_CRYPTOKI_NOT_INITIALIZED, w.rv);
    ck_assert_msg(w.returned_at - t0 < 1.0, "waiter took %.3f s",
                  w.returned_at - t0);
    /* and the module initializes again afterwards */
    OK(p11->C_Initialize(NULL));
}
END_TEST

/* ---- finalize from atexit (NSS does) ------------------------------------------ */

static void at_exit_finalize(void)
{
    /* Exit status tells the parent what the module answered here. */
    if (p11->C_CloseAllSessions(0) != CKR_OK ||
        p11->C_CloseAllSessions(1) != CKR_OK)
        _exit(3);
    if (p11->C_Finalize(NULL) != CKR_OK)
        _exit(4);
}

START_TEST(test_finalize_at_exit)
{
    int status = -1;
    pid_t pid = fork();

    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        CK_SESSION_HANDLE h;
        if (p11->C_Initialize(NULL) != CKR_OK)
            _exit(2);
        atexit(at_exit_finalize);
        h = t_open_login(1);
        t_sign_verify(h);
        exit(0); /* sessions still open, token logged in */
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child status 0x%x", status);
}
END_TEST

void t_add_more_tests(Suite *s)
{
    TCase *tc = t_tcase(s, "interfaces", t_setup_card);

    tcase_add_test(tc, test_interface_list);
    tcase_add_test(tc, test_get_interface);
    tcase_add_test(tc, test_v3_functions);
    tc = t_tcase(s, "setpin_verify", t_setup_init);
    tcase_add_test(tc, test_no_rng);
    tcase_add_loop_test(tc, test_set_pin, 0, 2);
    tcase_add_test(tc, test_set_pin_rules);
    tcase_add_loop_test(tc, test_verify, 0, 2);
    tcase_add_test(tc, test_verify_errors);
    tc = t_tcase(s, "slot_events", t_setup_init);
    tcase_add_test(tc, test_slot_events_nonblocking);
    tcase_add_test(tc, test_slot_event_blocking);
    tcase_add_test(tc, test_finalize_wakes_waiter);
    tc = t_tcase(s, "atexit", t_setup_card);
    tcase_add_test(tc, test_finalize_at_exit);
}
