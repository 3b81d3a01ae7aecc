/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11_slot_events.c - C_WaitForSlotEvent, blocking and not, and
 * C_Finalize waking a waiter or running at exit (in the test_pkcs11
 * program).
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
#include "thread_wait.h"
#include "emu/emu.h"

/* ---- C_WaitForSlotEvent ------------------------------------------------- */

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

/* Instead of sleeping and hoping: the waiter is past the point where it
 * noted its id (nothing else sleeps after that) and asleep, in
 * C_WaitForSlotEvent. */
static void wait_blocked(waiter *w)
{
    ck_assert_msg(tw_blocked(&w->tid),
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

/* ---- finalize from atexit (NSS does) ------------------------------------ */

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

void t_add_slot_event_tests(Suite *s)
{
    TCase *tc = t_tcase(s, "slot_events", t_setup_init);

    tcase_add_test(tc, test_slot_events_nonblocking);
    tcase_add_test(tc, test_slot_event_blocking);
    tcase_add_test(tc, test_finalize_wakes_waiter);
    tc = t_tcase(s, "atexit", t_setup_card);
    tcase_add_test(tc, test_finalize_at_exit);
}
