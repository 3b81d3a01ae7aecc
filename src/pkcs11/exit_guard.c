/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exit_guard.c - a program that ends without C_Finalize leaves nothing
 * verified on the card.
 *
 * pcscd does not reset a card when a client goes away while another client
 * keeps it connected, so a PIN this process verified would stay verified
 * for the next program. C_Finalize resets such cards (the PC/SC disconnect
 * resets when a PIN was sent); this handler does the same for a process
 * that exits, or unloads the module, without calling it.
 *
 * It runs from atexit, which for a shared object means at exit or at
 * dlclose, whichever comes first; it never blocks: if another thread holds
 * the module lock, it leaves the cards as they are and says so. It touches
 * PC/SC readers only: the in-process emulator's security state ends with
 * the process. NSS calls C_Finalize from its own atexit handler: if that
 * ran first, the module is no longer initialized and this does nothing; if
 * this runs first, the cards it reset are disconnected, which C_Finalize
 * handles as a reader without a card.
 */
#include "pkcs11/p11.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/log.h"

static void reset_verified_cards(void)
{
    size_t i;
    CK_RV rv = p11_try_enter();

    if (rv == CKR_CRYPTOKI_NOT_INITIALIZED) /* finalized, or a fork child */
        return;
    /* Never wait at exit for a lock a thread may hold forever (and the
     * application's mutex callbacks have no try-lock). */
    if (rv != CKR_OK) {
        JLOG_WARN("exit without C_Finalize while the module was in use: "
                  "PINs verified by this program may stay verified until "
                  "the card is reset or removed");
        return;
    }
    for (i = 0; i < p11_g.n_cards; i++) {
        reader *r = p11_g.cards[i]->rd;

        if (r && r->connected && r->pin_sent &&
            !(r->flags & READER_FLAG_EMULATED)) {
            JLOG_DBG("exit without C_Finalize: resetting the card in '%s'",
                     r->name);
            reader_disconnect(r);
        }
    }
    p11_leave();
}

static void install(void)
{
    if (atexit(reset_verified_cards) != 0)
        JLOG_WARN("cannot register the exit handler: a program that exits "
                  "without C_Finalize may leave its PINs verified");
}

void p11_exit_guard_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, install);
}
