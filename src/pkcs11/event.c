/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * event.c - C_WaitForSlotEvent: card insertion and removal, readers
 * plugged in and out.
 *
 * With PC/SC the waiting thread blocks in SCardGetStatusChange on every
 * reader and on "\\?PnP?\Notification" (reader_watch), without the module
 * lock, and looks at the slots whenever pcscd reports a change. The watch's
 * snapshot is taken *before* each look, so a change between the look and
 * the wait is not lost. The in-process emulator is not seen by pcscd: with
 * an emulator reader (or without pcscd) presence is polled every POLL_MS.
 * C_Finalize cancels waiters (a flag, a condition variable and SCardCancel)
 * and waits for them to leave before it tears anything down: the waiters'
 * bookkeeping lives outside the module state for that reason. That wait is
 * bounded (CANCEL_MS): a waiter that is still out by then finds the module
 * finalized at its next look (p11_enter) and leaves on its own.
 *
 * fork(): the child has none of the parent's threads, so none of its
 * waiters; p11_events_fork() (pthread_atfork, module.c) gives the child a
 * clean table without touching the parent's PC/SC contexts: SCardCancel on
 * one of them would end the parent's wait in pcscd.
 */
#include "pkcs11/p11.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define POLL_MS 200
/* Longest single block in pcscd: a missed wake-up costs at most this. */
#define WATCH_MS 1000
/* Longest C_Finalize waits for the waiters to leave. */
#define CANCEL_MS 3000

static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond = PTHREAD_COND_INITIALIZER;
static int waiters;
static int cancelled;

/* The watches of the threads now waiting, for p11_events_cancel. */
#define MAX_WATCHES 16
static reader_watch *watches[MAX_WATCHES];

/* One look at every reader: the first pending event, if any. */
static CK_RV poll_once(CK_SLOT_ID_PTR slot)
{
    size_t i;
    int k;

    p11_readers_refresh();
    for (i = 0; i < p11_g.n_cards; i++) {
        p11_card *c = p11_g.cards[i];
        p11_card_refresh(c);
        for (k = 0; k < 2; k++) {
            if (c->events & (1u << k)) {
                c->events &= ~(1u << k);
                if (!p11_slot_shown(c->tok[k].slot_id))
                    continue;
                *slot = c->tok[k].slot_id;
                return CKR_OK;
            }
        }
    }
    return CKR_NO_EVENT;
}

/* *poll: set when pcscd cannot tell us about every change. */
static CK_RV look(CK_SLOT_ID_PTR slot, int *poll)
{
    CK_RV rv = p11_enter();

    if (rv != CKR_OK)
        return rv;
    rv = poll_once(slot);
    if (poll)
        *poll = p11_g.has_emulator || !p11_g.cfg.pcsc;
    p11_leave();
    return rv;
}

/* Sleeps up to ms; returns nonzero when C_Finalize wants us out. */
static int nap(long ms)
{
    struct timespec until;
    int stop;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&wait_lock);
    while (!cancelled &&
           pthread_cond_timedwait(&wait_cond, &wait_lock, &until) != ETIMEDOUT)
        ;
    stop = cancelled;
    pthread_mutex_unlock(&wait_lock);
    return stop;
}

static int is_cancelled(void)
{
    int c;

    pthread_mutex_lock(&wait_lock);
    c = cancelled;
    pthread_mutex_unlock(&wait_lock);
    return c;
}

/* Registers w (may be NULL) as a waiter; 0 if C_Finalize is under way. */
static int enter_wait(reader_watch *w)
{
    int i;

    pthread_mutex_lock(&wait_lock);
    if (cancelled) {
        pthread_mutex_unlock(&wait_lock);
        return 0;
    }
    waiters++;
    for (i = 0; w && i < MAX_WATCHES; i++)
        if (!watches[i]) {
            watches[i] = w;
            break;
        }
    pthread_mutex_unlock(&wait_lock);
    return 1;
}

static void leave_wait(reader_watch *w)
{
    int i;

    pthread_mutex_lock(&wait_lock);
    for (i = 0; w && i < MAX_WATCHES; i++)
        if (watches[i] == w)
            watches[i] = NULL;
    waiters--;
    pthread_cond_broadcast(&wait_cond);
    pthread_mutex_unlock(&wait_lock);
}

/* Waits for the next change: in pcscd when it can tell, else a nap.
 * Returns nonzero when C_Finalize wants us out. */
static int wait_change(reader_watch *w, int poll, int have_snapshot)
{
    if (w && have_snapshot &&
        reader_watch_wait(w, poll ? POLL_MS : WATCH_MS) == READER_OK)
        return is_cancelled();
    return nap(POLL_MS);
}

CK_RV p11_wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR slot)
{
    reader_watch *w = NULL;
    int poll = 1, snap;
    CK_RV rv;

    if (flags & CKF_DONT_BLOCK)
        return look(slot, NULL);
    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    snap = p11_g.cfg.pcsc;
    p11_leave();
    /* Without a watch (PC/SC off, no memory) the wait polls. */
    if (!snap || reader_watch_new(&w) != READER_OK)
        w = NULL;
    if (!enter_wait(w)) {
        reader_watch_free(w);
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    for (;;) {
        snap = w && reader_watch_snapshot(w) == READER_OK;
        rv = look(slot, &poll);
        if (rv != CKR_NO_EVENT || wait_change(w, poll, snap))
            break;
    }
    if (rv == CKR_NO_EVENT)
        rv = CKR_CRYPTOKI_NOT_INITIALIZED; /* C_Finalize came */
    leave_wait(w);
    reader_watch_free(w);
    return rv;
}

void p11_events_cancel(void)
{
    int i, rounds;

    pthread_mutex_lock(&wait_lock);
    cancelled = 1;
    pthread_cond_broadcast(&wait_cond);
    for (rounds = 0; waiters > 0 && rounds < CANCEL_MS / 50; rounds++) {
        /* SCardCancel ends a wait in pcscd; a wait that began just after
         * this still ends within WATCH_MS, seeing the flag. */
        for (i = 0; i < MAX_WATCHES; i++)
            if (watches[i])
                reader_watch_cancel(watches[i]);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 50 * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&wait_cond, &wait_lock, &t);
    }
    if (waiters > 0)
        JLOG_WARN("C_Finalize: %d C_WaitForSlotEvent call(s) still returning",
                  waiters);
    /* The next C_Initialize starts with a clean slate. */
    cancelled = 0;
    pthread_mutex_unlock(&wait_lock);
}

void p11_events_fork(int phase)
{
    switch (phase) {
    case P11_FORK_PREPARE: pthread_mutex_lock(&wait_lock); break;
    case P11_FORK_PARENT: pthread_mutex_unlock(&wait_lock); break;
    case P11_FORK_CHILD:
        /* The parent's waiters are not here: forget them and their watches
         * (never cancel those), and a condition variable they waited on. */
        waiters = 0;
        cancelled = 0;
        memset(watches, 0, sizeof watches);
        pthread_cond_init(&wait_cond, NULL);
        pthread_mutex_unlock(&wait_lock);
        break;
    }
}
