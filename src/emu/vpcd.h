/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpcd.h - bridge from the card emulator to vsmartcard's vpcd, the pcscd
 * driver that makes a virtual reader ("Virtual PCD 00 00") out of a TCP
 * connection. The emulator is the TCP client; while it stays connected the
 * reader holds a card, and closing the connection removes it.
 *
 * Reconnecting, retrying and signal handling belong to the caller.
 */
#ifndef JPKI_EMU_VPCD_H
#define JPKI_EMU_VPCD_H

#include <signal.h>
#include <stddef.h>

#include "emu/emu.h"

/* vpcd's first reader listens here, the second on the next port. */
#define EMU_VPCD_DEFAULT_PORT 35963

typedef enum {
    EMU_VPCD_WOKEN = 0, /* *wake was set; stopped between two messages, so
                         * serving may go on on the same connection */
    EMU_VPCD_CLOSED,    /* vpcd closed the connection (pcscd went away) */
    EMU_VPCD_GONE,      /* the card went away (an injected fault, see
                         * emu.h): closing the connection removes it */
    EMU_VPCD_ERROR      /* I/O or protocol error; err says which */
} emu_vpcd_rv;

/* Connect to vpcd at host:port (a name or a numeric address). Returns the
 * socket, or -1 with err filled in; *refused is set to 1 when nobody listens
 * there yet, which is worth retrying while pcscd starts. */
int emu_vpcd_connect(const char *host, int port, int *refused, char *err,
                     size_t errlen);

/* Answer vpcd's requests on fd with card until vpcd closes, an error, or
 * *wake (if not NULL) becomes non-zero. Signals should interrupt system
 * calls (no SA_RESTART) for a prompt return; *wake is looked at least every
 * quarter second anyway. The caller closes fd. Never logs APDU contents. */
emu_vpcd_rv emu_vpcd_serve(emu_card *card, int fd, volatile sig_atomic_t *wake,
                           char *err, size_t errlen);

#endif
