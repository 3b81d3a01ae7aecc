/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * event.c - C_WaitForSlotEvent: card insertion and removal.
 *
 * Presence is polled (a cheap call for both backends) every POLL_MS, with
 * the module lock held only for each look. C_Finalize cancels waiters and
 * waits for them to leave before it tears anything down: the waiters'
 * bookkeeping lives outside the module state for that reason.
 */
#include "pkcs11/p11.h"

#include <errno.h>
#include <time.h>

#define POLL_MS 200

static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond = PTHREAD_COND_INITIALIZER;
static int waiters;
static int cancelled;

/* One look at every reader: the first pending event, if any. */
static CK_RV poll_once(CK_SLOT_ID_PTR slot)
{
    size_t i;
    int k;

    for (i = 0; i < p11_g.n_cards; i++) {
        p11_card *c = &p11_g.cards[i];
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

static CK_RV look(CK_SLOT_ID_PTR slot)
{
    CK_RV rv = p11_enter();

    if (rv != CKR_OK)
        return rv;
    rv = poll_once(slot);
    p11_leave();
    return rv;
}

/* Sleeps up to POLL_MS; returns nonzero when C_Finalize wants us out. */
static int nap(void)
{
    struct timespec until;
    int stop;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += POLL_MS * 1000000L;
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

CK_RV p11_wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR slot)
{
    CK_RV rv;

    if (flags & CKF_DONT_BLOCK)
        return look(slot);
    pthread_mutex_lock(&wait_lock);
    if (cancelled) {
        pthread_mutex_unlock(&wait_lock);
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    waiters++;
    pthread_mutex_unlock(&wait_lock);
    do {
        rv = look(slot);
    } while (rv == CKR_NO_EVENT && !nap());
    if (rv == CKR_NO_EVENT)
        rv = CKR_CRYPTOKI_NOT_INITIALIZED; /* C_Finalize came */
    pthread_mutex_lock(&wait_lock);
    waiters--;
    pthread_cond_broadcast(&wait_cond);
    pthread_mutex_unlock(&wait_lock);
    return rv;
}

void p11_events_cancel(void)
{
    pthread_mutex_lock(&wait_lock);
    cancelled = 1;
    pthread_cond_broadcast(&wait_cond);
    while (waiters > 0)
        pthread_cond_wait(&wait_cond, &wait_lock);
    /* The next C_Initialize starts with a clean slate. */
    cancelled = 0;
    pthread_mutex_unlock(&wait_lock);
}
