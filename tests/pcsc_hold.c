/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_hold.c - another program using the card: connects to READER (shared)
 * and holds a PC/SC transaction for SECONDS, so a test can show that the
 * module waits its turn (tests/e2e/pcsc.sh).
 *
 *   pcsc_hold READER SECONDS [reset]
 *
 * With "reset" it leaves with SCardDisconnect(SCARD_RESET_CARD): the card
 * is reset under every other program connected to it (their PINs are no
 * longer verified).
 *
 * Prints "held T" once the transaction is ours and "released T" after it
 * ended (T: CLOCK_REALTIME seconds), each on its own flushed line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    SCARDCONTEXT ctx;
    SCARDHANDLE card;
    DWORD proto;
    LONG rc;

    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "reset") == 0)) {
        fprintf(stderr, "usage: pcsc_hold READER SECONDS [reset]\n");
        return 2;
    }
    rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
    if (rc == SCARD_S_SUCCESS)
        rc = SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED,
                          SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
    if (rc == SCARD_S_SUCCESS)
        rc = SCardBeginTransaction(card);
    if (rc != SCARD_S_SUCCESS) {
        fprintf(stderr, "pcsc_hold: %s\n", pcsc_stringify_error(rc));
        return 1;
    }
    printf("held %.6f\n", now_s());
    fflush(stdout);
    sleep((unsigned)atoi(argv[2]));
    printf("released %.6f\n", now_s());
    fflush(stdout);
    SCardEndTransaction(card, SCARD_LEAVE_CARD);
    SCardDisconnect(card, argc == 4 ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    return 0;
}
