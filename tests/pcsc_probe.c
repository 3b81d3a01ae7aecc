/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_probe.c - a second program on the card, asking it to sign without a
 * PIN: what is still verified on the card after another program is done
 * with it (tests/e2e/card_state.sh).
 *
 *   pcsc_probe READER
 *
 * Connects to READER (shared) at once and keeps that connection, so pcscd
 * never powers the card down meanwhile (that would clear the card and hide
 * what the other program left). Prints "connected". Then, for each line
 * "probe" on stdin, in one transaction, in the state the card is in: it
 * selects the signature key's EF (no SELECT of the application: that
 * would clear the security state itself) and, if that worked, sends
 * COMPUTE DIGITAL SIGNATURE over a SHA-256 DigestInfo; prints
 * "probe SELECT-SW SIGN-SW" (SIGN-SW "-" when not sent). 9000 for the
 * signature means a PIN was still verified. A reset by another program
 * is followed by SCardReconnect (the card stays as that reset left it).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

static SCARDHANDLE card;
static DWORD proto;

/* One APDU; its status word, or 0 on a PC/SC error (printed). */
static unsigned transmit(const uint8_t *apdu, DWORD len)
{
    uint8_t rsp[258];
    DWORD n = sizeof rsp;
    LONG rc = SCardTransmit(
        card, proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1, apdu,
        len, NULL, rsp, &n);

    if (rc != SCARD_S_SUCCESS || n < 2) {
        fprintf(stderr, "pcsc_probe: transmit: %s\n",
                pcsc_stringify_error(rc));
        return 0;
    }
    return (unsigned)rsp[n - 2] << 8 | rsp[n - 1];
}

static LONG begin(void)
{
    LONG rc = SCardBeginTransaction(card);

    if (rc == SCARD_W_RESET_CARD || rc == SCARD_W_REMOVED_CARD ||
        rc == SCARD_W_UNPOWERED_CARD) {
        rc = SCardReconnect(card, SCARD_SHARE_SHARED,
                            SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                            SCARD_LEAVE_CARD, &proto);
        if (rc == SCARD_S_SUCCESS)
            rc = SCardBeginTransaction(card);
    }
    return rc;
}

static int probe(void)
{
    static const uint8_t select_key[] = { 0x00, 0xA4, 0x02, 0x0C,
                                          0x02, 0x00, 0x1A };
    /* 80 2A 00 80, Lc 51: the DigestInfo of SHA-256 over 32 zero bytes'
     * worth of "hash" (the card does not check it), Le 00 */
    uint8_t sign[5 + 51 + 1] = { 0x80, 0x2A, 0x00, 0x80, 51,   0x30,
                                 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60,
                                 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                                 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
    unsigned sw_sel, sw_sign = 0;
    LONG rc = begin();

    if (rc != SCARD_S_SUCCESS) {
        fprintf(stderr, "pcsc_probe: transaction: %s\n",
                pcsc_stringify_error(rc));
        return -1;
    }
    sw_sel = transmit(select_key, sizeof select_key);
    if (sw_sel == 0x9000)
        sw_sign = transmit(sign, sizeof sign);
    SCardEndTransaction(card, SCARD_LEAVE_CARD);
    if (!sw_sel || (sw_sel == 0x9000 && !sw_sign))
        return -1;
    if (sw_sel == 0x9000)
        printf("probe %04X %04X\n", sw_sel, sw_sign);
    else
        printf("probe %04X -\n", sw_sel);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    SCARDCONTEXT ctx;
    char line[64];
    int status = 0;
    LONG rc;

    if (argc != 2) {
        fprintf(stderr, "usage: pcsc_probe READER\n");
        return 2;
    }
    rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
    if (rc == SCARD_S_SUCCESS)
        rc =
            SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED,
                         SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
    if (rc != SCARD_S_SUCCESS) {
        fprintf(stderr, "pcsc_probe: %s\n", pcsc_stringify_error(rc));
        return 1;
    }
    printf("connected\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin))
        if (strncmp(line, "probe", 5) == 0 && probe() != 0) {
            status = 1;
            break;
        }
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    return status;
}
