/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_hold.c - another program using the card: connects to READER (shared)
 * and holds a PC/SC transaction for SECONDS, so a test can show that the
 * module waits its turn (tests/e2e/pcsc.sh).
 *
 *   pcsc_hold READER SECONDS [reset | select AID]
 *
 * With "reset" it leaves with SCardDisconnect(SCARD_RESET_CARD): the card
 * is reset under every other program connected to it (their PINs are no
 * longer verified). With "select AID" (hex) it selects that application
 * inside its transaction, as a program probing the card for its own
 * application does (OpenSC, loaded by p11-kit, does): the security state
 * of the application that was selected is gone. It prints "select SW".
 *
 * Prints "held T" once the transaction is ours and "released T" after it
 * ended (T: CLOCK_REALTIME seconds), each on its own flushed line.
 */
#include <stdint.h>
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

/* SELECT by AID (P2 0C: no response data) from HEX; its length, or 0. */
static size_t select_apdu(const char *hex, uint8_t *apdu, size_t cap)
{
    size_t n = 0;
    unsigned v;

    if (cap < 5)
        return 0;
    while (hex[0] && hex[1] && 5 + n < cap && n < 16 &&
           sscanf(hex, "%2x", &v) == 1) {
        apdu[5 + n++] = (uint8_t)v;
        hex += 2;
    }
    if (*hex || n == 0)
        return 0;
    apdu[0] = 0x00, apdu[1] = 0xA4, apdu[2] = 0x04, apdu[3] = 0x0C;
    apdu[4] = (uint8_t)n;
    return 5 + n;
}

int main(int argc, char **argv)
{
    SCARDCONTEXT ctx;
    SCARDHANDLE card;
    DWORD proto;
    LONG rc;
    uint8_t apdu[32], rsp[258];
    size_t apdu_len = 0;
    int reset = argc == 4 && strcmp(argv[3], "reset") == 0;

    if (argc == 5 && strcmp(argv[3], "select") == 0)
        apdu_len = select_apdu(argv[4], apdu, sizeof apdu);
    if (argc != 3 && !reset && apdu_len == 0) {
        fprintf(stderr,
                "usage: pcsc_hold READER SECONDS [reset | select AID]\n");
        return 2;
    }
    rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
    if (rc == SCARD_S_SUCCESS)
        rc =
            SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED,
                         SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
    if (rc == SCARD_S_SUCCESS)
        rc = SCardBeginTransaction(card);
    if (rc != SCARD_S_SUCCESS) {
        fprintf(stderr, "pcsc_hold: %s\n", pcsc_stringify_error(rc));
        return 1;
    }
    printf("held %.6f\n", now_s());
    fflush(stdout);
    if (apdu_len) {
        DWORD n = sizeof rsp;
        rc = SCardTransmit(
            card, proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1,
            apdu, (DWORD)apdu_len, NULL, rsp, &n);
        if (rc != SCARD_S_SUCCESS || n < 2) {
            fprintf(stderr, "pcsc_hold: select: %s\n",
                    pcsc_stringify_error(rc));
            return 1;
        }
        printf("select %02X%02X\n", rsp[n - 2], rsp[n - 1]);
        fflush(stdout);
    }
    sleep((unsigned)atoi(argv[2]));
    printf("released %.6f\n", now_s());
    fflush(stdout);
    SCardEndTransaction(card, SCARD_LEAVE_CARD);
    SCardDisconnect(card, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    return 0;
}
