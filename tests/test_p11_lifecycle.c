/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_p11_lifecycle.c - the module's lifetime against threads and fork()
 * (src/pkcs11/module.c, event.c):
 *   - the child of a process with a blocked C_WaitForSlotEvent initializes
 *     and finalizes at once, and the parent's waiter and module go on;
 *   - a child forked while other threads log and take the reader list's
 *     lock never inherits those locks held;
 *   - C_Finalize racing calls of other threads with the application's mutex
 *     callbacks: nobody locks a destroyed mutex, the mutex is not destroyed
 *     while a thread waits on it, no call fails other than "not
 *     initialized". Also run under ThreadSanitizer (make check-unit).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p11test.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Waits for pid at most secs; kills it if it is still there. Returns its
 * exit code, or -1 when it hung or died of a signal. */
static int reap(pid_t pid, double secs)
{
    double until = now() + secs;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        ck_assert_int_eq(r, 0);
        if (now() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        usleep(10 * 1000);
    }
}

/* ---- fork with a waiter ------------------------------------------------- */

typedef struct {
    atomic_int done;
    CK_RV rv;
    CK_SLOT_ID slot;
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    w->rv = p11->C_WaitForSlotEvent(0, &w->slot, NULL);
    atomic_store(&w->done, 1);
    return NULL;
}

/* In the child: everything within a second, or exit code says where not. */
static int child_run(void)
{
    CK_ULONG n = 0;
    CK_SLOT_ID slot;
    double t0 = now();
    alarm(5); /* a hang ends the child, never the test */
    if (p11->C_Finalize(NULL) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 10; /* the parent's module is not the child's */
    if (p11->C_Initialize(NULL) != CKR_OK)
        return 11;
    if (p11->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || n < 2)
        return 12;
    if (p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL) != CKR_NO_EVENT)
        return 13;
    if (p11->C_Finalize(NULL) != CKR_OK)
        return 14;
    return now() - t0 < 1.0 ? 0 : 15;
}

static void fork_with_waiter(void)
{
    waiter w = { 0, CKR_GENERAL_ERROR, 99 };
    pthread_t th;
    CK_ULONG n = 0;

    ck_assert_int_eq(pthread_create(&th, NULL, wait_thread, &w), 0);
    usleep(300 * 1000); /* the waiter is in its wait */
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(child_run());
        int code = reap(pid, 3.0);
        ck_assert_msg(code == 0, "child %d: exit code %d (-1: hung or killed)",
                      i, code);
    }
    /* The parent's waiter was not cancelled by the children... */
    usleep(300 * 1000);
    ck_assert_int_eq(atomic_load(&w.done), 0);
    OK(p11->C_GetSlotList(CK_TRUE, NULL, &n));
    ck_assert_uint_ge(n, 2);
    /* ...it still sees the card go, and the module finalizes */
    ck_assert_int_eq(rename(card, away), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    OK(w.rv);
    ck_assert_uint_eq(w.slot, 0);
    ck_assert_int_eq(rename(away, card), 0);
    double t0 = now();
    OK(p11->C_Finalize(NULL));
    ck_assert_msg(now() - t0 < 1.0, "C_Finalize took %.3f s", now() - t0);
}

START_TEST(fork_child_finalizes)
{
    fork_with_waiter();
}
END_TEST

/* PC/SC on, the waiter registered with a watch (pcscd is not reachable in
 * the unit tests: the watch has no context and the wait polls). */
static void setup_pcsc(void)
{
    t_setup_card();
    ck_assert_int_eq(setenv("JPKI_PKCS11_PCSC", "on", 1), 0);
    OK(p11->C_Initialize(NULL));
}

START_TEST(fork_child_finalizes_pcsc)
{
    fork_with_waiter();
}
END_TEST

/* ---- fork while other threads hold the static locks --------------------- */

static atomic_int stop;

static void *busy_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        CK_ULONG n = 0;
        CK_SLOT_ID slot;
        /* slot lists (the reader list's lock with PC/SC on), events, and
         * a debug log line for each */
        p11->C_GetSlotList(CK_TRUE, NULL, &n);
        p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
    }
    return NULL;
}

START_TEST(fork_while_logging)
{
    char logp[4200];
    pthread_t th[2];
    snprintf(logp, sizeof logp, "%s.log", card);
    ck_assert_int_eq(setenv("JPKI_PKCS11_DEBUG", "5", 1), 0);
    ck_assert_int_eq(setenv("JPKI_PKCS11_LOG_FILE", logp, 1), 0);
    ck_assert_int_eq(setenv("JPKI_PKCS11_PCSC", "on", 1), 0);
    OK(p11->C_Initialize(NULL));
    atomic_store(&stop, 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, busy_thread, NULL), 0);
    int hung = 0;
    for (int i = 0; i < 40 && !hung; i++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(child_run());
        int code = reap(pid, 3.0);
        ck_assert_msg(code == 0 || code == -1, "child %d: exit code %d", i,
                      code);
        hung = code != 0;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    OK(p11->C_Finalize(NULL));
    unsetenv("JPKI_PKCS11_DEBUG");
    unsetenv("JPKI_PKCS11_LOG_FILE");
    unlink(logp);
    ck_assert_msg(!hung, "a child hung on a lock held at fork");
}
END_TEST

/* ---- C_Finalize against other threads, with mutex callbacks ------------- */

/* The application's mutex: never freed, so that a use after destroy is
 * seen rather than undefined. */
typedef struct {
    pthread_mutex_t m;
    atomic_int destroyed;
    atomic_int waiting; /* threads inside LockMutex */
} app_mutex;

static app_mutex mutexes[64];
static atomic_int n_mutexes, bad_lock, bad_destroy, bad_rv;

static CK_RV app_create(CK_VOID_PTR_PTR out)
{
    int i = atomic_fetch_add(&n_mutexes, 1);
    if (i >= 64)
        return CKR_HOST_MEMORY;
    pthread_mutex_init(&mutexes[i].m, NULL);
    *out = &mutexes[i];
    return CKR_OK;
}

static CK_RV app_destroy(CK_VOID_PTR p)
{
    app_mutex *m = p;
    if (atomic_load(&m->waiting) > 0)
        atomic_fetch_add(&bad_destroy, 1); /* a thread waits on it */
    atomic_store(&m->destroyed, 1);
    return CKR_OK; /* not destroyed for real: see bad_lock */
}

static CK_RV app_lock(CK_VOID_PTR p)
{
    app_mutex *m = p;
    atomic_fetch_add(&m->waiting, 1);
    if (atomic_load(&m->destroyed))
        atomic_fetch_add(&bad_lock, 1);
    pthread_mutex_lock(&m->m);
    atomic_fetch_sub(&m->waiting, 1);
    if (atomic_load(&m->destroyed))
        atomic_fetch_add(&bad_lock, 1); /* got a destroyed mutex */
    return CKR_OK;
}

static CK_RV app_unlock(CK_VOID_PTR p)
{
    app_mutex *m = p;
    pthread_mutex_unlock(&m->m);
    return CKR_OK;
}

static atomic_int go;

static void *caller_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&go))
        ;
    for (;;) {
        CK_ULONG n = 0;
        CK_SESSION_HANDLE h;
        CK_RV rv = p11->C_GetSlotList(CK_TRUE, NULL, &n);
        if (rv == CKR_OK)
            rv = p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h);
        if (rv == CKR_OK)
            rv = p11->C_CloseSession(h);
        if (rv == CKR_CRYPTOKI_NOT_INITIALIZED)
            return NULL;
        /* a session closed by C_Finalize is fine too */
        if (rv != CKR_OK && rv != CKR_SESSION_HANDLE_INVALID)
            atomic_fetch_add(&bad_rv, 1);
    }
}

static void finalize_race(CK_C_INITIALIZE_ARGS *a)
{
    enum { THREADS = 4, ROUNDS = 25 };
    atomic_store(&n_mutexes, 0);
    atomic_store(&bad_lock, 0);
    atomic_store(&bad_destroy, 0);
    atomic_store(&bad_rv, 0);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_t th[THREADS];
        OK(p11->C_Initialize(a));
        atomic_store(&go, 0);
        for (int i = 0; i < THREADS; i++)
            ck_assert_int_eq(pthread_create(&th[i], NULL, caller_thread, NULL),
                             0);
        atomic_store(&go, 1);
        usleep((useconds_t)(1000 + 700 * r));
        OK(p11->C_Finalize(NULL));
        for (int i = 0; i < THREADS; i++)
            ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    }
    ck_assert_int_eq(atomic_load(&bad_lock), 0);
    ck_assert_int_eq(atomic_load(&bad_destroy), 0);
    ck_assert_int_eq(atomic_load(&bad_rv), 0);
}

START_TEST(finalize_race_callbacks)
{
    CK_C_INITIALIZE_ARGS a;
    memset(&a, 0, sizeof a);
    a.CreateMutex = app_create;
    a.DestroyMutex = app_destroy;
    a.LockMutex = app_lock;
    a.UnlockMutex = app_unlock;
    finalize_race(&a);
    ck_assert_int_eq(atomic_load(&n_mutexes), 25);
    for (int i = 0; i < 25; i++)
        ck_assert_int_eq(atomic_load(&mutexes[i].destroyed), 1);
}
END_TEST

START_TEST(finalize_race_os)
{
    finalize_race(NULL);
    ck_assert_int_eq(atomic_load(&n_mutexes), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("p11-lifecycle");
    TCase *tc = t_tcase(s, "fork", t_setup_init);
    tcase_add_test(tc, fork_child_finalizes);
    tc = t_tcase(s, "fork-pcsc", setup_pcsc);
    tcase_add_test(tc, fork_child_finalizes_pcsc);
    tc = t_tcase(s, "fork-locks", t_setup_card);
    tcase_add_test(tc, fork_while_logging);
    tc = t_tcase(s, "finalize", t_setup_card);
    tcase_add_test(tc, finalize_race_callbacks);
    tcase_add_test(tc, finalize_race_os);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
