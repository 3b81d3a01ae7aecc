/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * module.c - module lifetime: C_Initialize/C_Finalize, the module lock
 * (OS locking or the application's mutex callbacks), and fork awareness.
 *
 * No library constructor or destructor: NSS calls C_Finalize from atexit
 * handlers, so nothing may be torn down behind its back. The one exit
 * handler (exit_guard.c) frees nothing: it resets cards this process left
 * a PIN verified on.
 *
 * C_Finalize racing other calls, with either kind of lock: every caller
 * counts itself in `entered` before it looks at `live`, and C_Finalize,
 * after clearing `live` under the lock, waits for that count to fall to
 * zero before it destroys the lock (the application's mutex, with
 * callbacks) and clears the state. A caller that was waiting for the lock
 * gets it, sees the module finalized and leaves; one that comes later sees
 * `live` clear and never touches the lock.
 *
 * fork(): pthread_atfork handlers (registered at the first C_Initialize)
 * hold the log's, the reader list's and the slot-event waiters' locks
 * across fork(), so the child never inherits one held by a thread it does
 * not have, and give the child an empty waiter table (event.c).
 */
#include "pkcs11/p11.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "jpki/cache.h"

p11_module p11_g;

/* Read without the lock (atomics): set by C_Initialize last, cleared by
 * C_Finalize first. */
static int live;
static pid_t live_pid;
/* Threads between the start of p11_enter and the end of p11_leave. */
static unsigned entered;
/* Longest C_Finalize waits for them (they only take the lock and leave). */
#define DRAIN_MS 5000

int p11_is_initialized(void)
{
    /* A child of fork() must call C_Initialize again: the parent's reader
     * handles and sessions are not its own. */
    return __atomic_load_n(&live, __ATOMIC_SEQ_CST) &&
           __atomic_load_n(&live_pid, __ATOMIC_RELAXED) == getpid();
}

static void fork_prepare(void)
{
    /* The order every thread takes them in: list, then log. */
    reader_pcsc_fork_lock(1);
    p11_events_fork(P11_FORK_PREPARE);
    jlog_fork_lock(1);
}

static void fork_parent(void)
{
    jlog_fork_lock(0);
    p11_events_fork(P11_FORK_PARENT);
    reader_pcsc_fork_lock(0);
}

static void fork_child(void)
{
    jlog_fork_lock(0);
    p11_events_fork(P11_FORK_CHILD);
    reader_pcsc_fork_lock(0);
    /* The parent's callers are not here either. */
    __atomic_store_n(&entered, 0, __ATOMIC_SEQ_CST);
}

static void register_fork_handlers(void)
{
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        JLOG_WARN(
            "pthread_atfork failed: a child of fork() may inherit held locks");
}

static CK_RV lock_create(void)
{
    if (p11_g.use_callbacks)
        return p11_g.args.CreateMutex(&p11_g.cb_mutex);
    return pthread_mutex_init(&p11_g.mutex, NULL) == 0 ? CKR_OK
                                                       : CKR_CANT_LOCK;
}

static void lock_destroy(void)
{
    if (p11_g.use_callbacks)
        p11_g.args.DestroyMutex(p11_g.cb_mutex);
    else
        pthread_mutex_destroy(&p11_g.mutex);
}

static CK_RV check_args(const CK_C_INITIALIZE_ARGS *a)
{
    int n = (a->CreateMutex != NULL) + (a->DestroyMutex != NULL) +
            (a->LockMutex != NULL) + (a->UnlockMutex != NULL);

    if (a->pReserved)
        return CKR_ARGUMENTS_BAD;
    if (n != 0 && n != 4)
        return CKR_ARGUMENTS_BAD;
    return CKR_OK;
}

/* The child of a fork inherits a copy of the parent's state. It must not
 * close the parent's PC/SC handles or sessions: forget them (a one-time
 * leak in the child, by design). */
static void abandon_parent_state(void)
{
    if (p11_g.initialized && p11_g.pid != getpid()) {
        JLOG_DBG("C_Initialize after fork: dropping the parent's state");
        memset(&p11_g, 0, sizeof p11_g);
        __atomic_store_n(&live, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&entered, 0, __ATOMIC_SEQ_CST);
        reader_pcsc_abandon();
    }
}

static void free_cards(void)
{
    size_t i;

    for (i = 0; i < p11_g.n_cards; i++) {
        reader_free(p11_g.cards[i]->rd);
        free(p11_g.cards[i]);
    }
    free(p11_g.cards);
    p11_g.cards = NULL;
    p11_g.n_cards = 0;
}

CK_RV p11_initialize(CK_VOID_PTR init_args)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    reader **readers = NULL;
    size_t n = 0, i;
    CK_RV rv;

    pthread_once(&once, register_fork_handlers);
    abandon_parent_state();
    if (p11_g.initialized)
        return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    memset(&p11_g, 0, sizeof p11_g);
    if (init_args) {
        rv = check_args(init_args);
        if (rv != CKR_OK)
            return rv;
        p11_g.args = *(CK_C_INITIALIZE_ARGS *)init_args;
        /* Callbacks only when the application gives them and does not
         * also allow OS locking (then ours are as good). */
        p11_g.use_callbacks = p11_g.args.CreateMutex != NULL &&
                              !(p11_g.args.flags & CKF_OS_LOCKING_OK);
    }
    jlog_init(-1, NULL);
    p11_config_load(&p11_g.cfg);
    jlog_init(p11_g.cfg.log_level,
              p11_g.cfg.log_file[0] ? p11_g.cfg.log_file : NULL);
    jpki_cache_configure(p11_g.cfg.cache);
    if ((rv = lock_create()) != CKR_OK)
        return rv;
    /* The emulator's readers first (indexes 0..), then PC/SC's; PC/SC
     * readers plugged in later are added by p11_readers_refresh(). */
    if (reader_list_emulators(p11_g.cfg.emulator, &readers, &n) != READER_OK) {
        lock_destroy();
        return CKR_HOST_MEMORY;
    }
    for (i = 0; i < n; i++) {
        if (p11_card_add(readers[i]) != CKR_OK) {
            for (; i < n; i++)
                reader_free(readers[i]);
            free(readers);
            free_cards();
            lock_destroy();
            return CKR_HOST_MEMORY;
        }
    }
    free(readers); /* the readers now belong to the cards */
    p11_readers_refresh();
    p11_g.next_session = 1;
    p11_g.pid = getpid();
    p11_g.initialized = 1;
    p11_exit_guard_install();
    __atomic_store_n(&live_pid, p11_g.pid, __ATOMIC_RELAXED);
    __atomic_store_n(&live, 1, __ATOMIC_SEQ_CST);
    JLOG_DBG("initialized with %zu reader(s)", p11_g.n_cards);
    return CKR_OK;
}

/* Waits until no other thread is inside p11_enter/p11_leave; 0 when none
 * is left, -1 after DRAIN_MS. */
static int drain(void)
{
    struct timespec ms = { 0, 1000000L };
    int i;

    for (i = 0; i < DRAIN_MS; i++) {
        if (__atomic_load_n(&entered, __ATOMIC_SEQ_CST) == 0)
            return 0;
        nanosleep(&ms, NULL);
    }
    return -1;
}

CK_RV p11_finalize(void)
{
    size_t i;

    /* First, under the lock: callers waiting for it will see this. */
    __atomic_store_n(&live, 0, __ATOMIC_SEQ_CST);
    p11_g.initialized = 0;
    p11_session_close_all();
    for (i = 0; i < p11_g.n_cards; i++)
        p11_card_forget(p11_g.cards[i]);
    free_cards();
    reader_pcsc_release();
    free(p11_g.sessions);
    p11_leave();
    if (drain() == 0)
        lock_destroy();
    else /* someone is stuck in the application's LockMutex: never free it */
        JLOG_ERR("C_Finalize: a thread still waits for the module lock; not "
                 "destroyed");
    jlog_close();
    memset(&p11_g, 0, sizeof p11_g);
    return CKR_OK;
}

CK_RV p11_enter(void)
{
    __atomic_add_fetch(&entered, 1, __ATOMIC_SEQ_CST);
    if (!p11_is_initialized()) {
        __atomic_sub_fetch(&entered, 1, __ATOMIC_SEQ_CST);
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    if (p11_g.use_callbacks) {
        if (p11_g.args.LockMutex(p11_g.cb_mutex) != CKR_OK) {
            __atomic_sub_fetch(&entered, 1, __ATOMIC_SEQ_CST);
            return CKR_GENERAL_ERROR;
        }
    } else {
        pthread_mutex_lock(&p11_g.mutex);
    }
    /* Finalized by another thread while we waited for the lock. */
    if (!p11_g.initialized) {
        p11_leave();
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    return CKR_OK;
}

/* As p11_enter, but never waits: CKR_FUNCTION_FAILED when another thread
 * holds the module lock, or when the lock is the application's (its
 * callbacks have no try-lock). For the exit handler (exit_guard.c). */
CK_RV p11_try_enter(void)
{
    __atomic_add_fetch(&entered, 1, __ATOMIC_SEQ_CST);
    if (!p11_is_initialized()) {
        __atomic_sub_fetch(&entered, 1, __ATOMIC_SEQ_CST);
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    if (p11_g.use_callbacks || pthread_mutex_trylock(&p11_g.mutex) != 0) {
        __atomic_sub_fetch(&entered, 1, __ATOMIC_SEQ_CST);
        return CKR_FUNCTION_FAILED;
    }
    if (!p11_g.initialized) {
        p11_leave();
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    return CKR_OK;
}

void p11_leave(void)
{
    if (p11_g.use_callbacks)
        p11_g.args.UnlockMutex(p11_g.cb_mutex);
    else
        pthread_mutex_unlock(&p11_g.mutex);
    __atomic_sub_fetch(&entered, 1, __ATOMIC_SEQ_CST);
}
