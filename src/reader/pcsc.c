/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc.c - reader backend for PCSC-lite: one reader, its card.
 *
 * One PC/SC context per reader, so a reader can be used from any thread the
 * PKCS#11 layer serializes onto it. Cards are opened in shared mode; every
 * multi-APDU operation runs inside SCardBeginTransaction so no other program
 * can slip commands in between (and break the card's security state).
 *
 * pcscd going away (stopped, restarted) kills the context: every call then
 * fails with SCARD_E_NO_SERVICE or SCARD_E_INVALID_HANDLE. The context is
 * dropped and the next connect or presence check establishes a new one, so
 * the module recovers without C_Initialize. The reader list and hot-plug
 * are in pcsc_monitor.c, PIN pads in pcsc_pinpad.c.
 */
#include "reader/pcsc_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"

int pcsc_context_lost(LONG rc)
{
    return rc == SCARD_E_NO_SERVICE || rc == SCARD_E_SERVICE_STOPPED ||
           rc == SCARD_E_INVALID_HANDLE || rc == SCARD_F_COMM_ERROR;
}

/* Written by pcscd at each start (pcsc-lite's USE_RUN_PID). */
#define PCSCD_PID_FILE "/run/pcscd/pcscd.pid"

reader_rv pcsc_map_error(LONG rc)
{
    switch (rc) {
    case SCARD_S_SUCCESS: return READER_OK;
    case SCARD_W_RESET_CARD: return READER_ERR_RESET;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD: return READER_ERR_REMOVED;
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
    case SCARD_E_INVALID_HANDLE:
    case SCARD_F_COMM_ERROR:
    case SCARD_E_NO_READERS_AVAILABLE:
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE: return READER_ERR_NO_SERVICE;
    case SCARD_E_SHARING_VIOLATION: return READER_ERR_BUSY;
    case SCARD_E_NO_MEMORY: return READER_ERR_MEMORY;
    default: return READER_ERR_COMM;
    }
}

void pcsc_drop_context(reader *r)
{
    pcsc_priv *p = r->priv;

    if (p->ctx) {
        JLOG_INFO("[%s] lost the smart card service (pcscd); will reconnect",
                  r->name);
        SCardReleaseContext(p->ctx);
    }
    p->ctx = 0;
    p->card = 0;
    p->in_transaction = 0;
}

/* rc from a call on this reader: maps it, dropping a dead context. The
 * codes that become a plain communication error are named in the log:
 * "communication error" alone would not say what pcscd answered. */
static reader_rv failed(reader *r, LONG rc)
{
    reader_rv rv = pcsc_map_error(rc);

    if (pcsc_context_lost(rc))
        pcsc_drop_context(r);
    if (rv == READER_ERR_COMM)
        JLOG_WARN("[%s] PC/SC: %s (0x%08lX)", r->name,
                  pcsc_stringify_error(rc), (unsigned long)rc);
    return rv;
}

static reader_rv need_context(reader *r)
{
    pcsc_priv *p = r->priv;
    LONG rc;

    if (p->ctx)
        return READER_OK;
    rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
    if (rc != SCARD_S_SUCCESS) {
        p->ctx = 0;
        return READER_ERR_NO_SERVICE;
    }
    return READER_OK;
}

static reader_rv pcsc_connect(reader *r)
{
    pcsc_priv *p = r->priv;
    reader_rv rv = need_context(r);
    LONG rc;

    if (rv != READER_OK)
        return rv;
    rc = SCardConnect(p->ctx, r->name, SCARD_SHARE_SHARED,
                      SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card,
                      &p->protocol);
    if (rc == SCARD_E_NO_SMARTCARD || rc == SCARD_W_REMOVED_CARD ||
        rc == SCARD_W_UNRESPONSIVE_CARD || rc == SCARD_W_UNPOWERED_CARD)
        return READER_ERR_NO_CARD;
    if (rc != SCARD_S_SUCCESS)
        return failed(r, rc);
    pcsc_probe_features(r);
    return READER_OK;
}

static void pcsc_disconnect(reader *r)
{
    pcsc_priv *p = r->priv;

    if (p->card) {
        if (p->in_transaction)
            SCardEndTransaction(p->card, SCARD_LEAVE_CARD);
        /* Reset on the way out only when we sent a PIN since the last
         * reset: then no PIN of ours stays verified after we leave. A
         * program that only looked leaves the card as it was, so a login
         * held by another program (a browser) survives it. */
        SCardDisconnect(p->card,
                        r->pin_sent ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
    }
    p->in_transaction = 0;
    p->card = 0;
    r->flags &= ~(READER_FLAG_PINPAD | READER_FLAG_PINPAD_MODIFY);
}

/* After SCARD_W_RESET_CARD the handle must be reconnected before it can be
 * used again; the card's security state is gone either way. */
static reader_rv after_reset(reader *r)
{
    pcsc_priv *p = r->priv;
    DWORD proto;
    LONG rc = SCardReconnect(p->card, SCARD_SHARE_SHARED,
                             SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                             SCARD_LEAVE_CARD, &proto);

    if (rc != SCARD_S_SUCCESS)
        return failed(r, rc);
    p->protocol = proto;
    JLOG_INFO("[%s] the card was reset (by another program or the reader): "
              "its PINs are no longer verified",
              r->name);
    return READER_ERR_RESET;
}

/* Our own warm reset (logout): SCardReconnect with SCARD_RESET_CARD keeps
 * the handle (and our transaction) and clears the card's security state
 * for everyone, whatever the card does on a re-select. Other programs'
 * handles are told SCARD_W_RESET_CARD. */
static reader_rv pcsc_reset(reader *r)
{
    pcsc_priv *p = r->priv;
    DWORD proto;
    LONG rc;

    if (!p->card)
        return READER_ERR_REMOVED;
    rc = SCardReconnect(p->card, SCARD_SHARE_SHARED,
                        SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                        SCARD_RESET_CARD, &proto);
    if (rc == SCARD_W_RESET_CARD) /* reset by another meanwhile: again */
        rc = SCardReconnect(p->card, SCARD_SHARE_SHARED,
                            SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                            SCARD_RESET_CARD, &proto);
    if (rc != SCARD_S_SUCCESS)
        return failed(r, rc);
    p->protocol = proto;
    return READER_OK;
}

static reader_rv pcsc_transmit(reader *r, const uint8_t *cmd, size_t cmd_len,
                               uint8_t *rsp, size_t *rsp_len)
{
    pcsc_priv *p = r->priv;
    const SCARD_IO_REQUEST *pci =
        p->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    DWORD n = (DWORD)*rsp_len;
    LONG rc;

    if (!p->card)
        return READER_ERR_REMOVED; /* the context died under us */
    rc = SCardTransmit(p->card, pci, cmd, (DWORD)cmd_len, NULL, rsp, &n);
    /* A protocol mismatch on a handle that worked is a reset too: pcscd
     * (1.9.9) flags the reset to every handle before it resets the card and
     * forgets the protocol, so a handle that reconnected in between is told
     * "mismatch" at its next transmit. Reconnecting negotiates it again. */
    if (rc == SCARD_W_RESET_CARD || rc == SCARD_E_PROTO_MISMATCH)
        return after_reset(r);
    if (rc != SCARD_S_SUCCESS)
        return failed(r, rc);
    *rsp_len = n;
    return READER_OK;
}

/* Waits while another program holds a transaction on the card: pcscd
 * grants it when that program ends its transaction, disconnects or dies
 * (its socket closes). PC/SC has no timeout for this wait, and with
 * pcsc-lite 1.9.9 nothing ends it from outside: SCardDisconnect from a
 * watchdog thread on the same handle blocks until the wait is over (tried:
 * the client library holds the context's mutex all along). */
static reader_rv pcsc_begin(reader *r)
{
    pcsc_priv *p = r->priv;
    LONG rc;

    if (!p->card)
        return READER_ERR_REMOVED;
    rc = SCardBeginTransaction(p->card);
    if (rc == SCARD_W_RESET_CARD)
        return after_reset(r); /* the caller begins again */
    if (rc != SCARD_S_SUCCESS)
        return failed(r, rc);
    p->in_transaction = 1;
    return READER_OK;
}

static void pcsc_end(reader *r)
{
    pcsc_priv *p = r->priv;

    if (p->in_transaction && p->card)
        SCardEndTransaction(p->card, SCARD_LEAVE_CARD);
    p->in_transaction = 0;
}

static reader_rv pcsc_present(reader *r, int *present)
{
    pcsc_priv *p = r->priv;
    SCARD_READERSTATE st;
    reader_rv rv;
    LONG rc;

    *present = 0;
    if ((rv = need_context(r)) != READER_OK)
        return rv;
    memset(&st, 0, sizeof st);
    st.szReader = r->name;
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    rc = SCardGetStatusChange(p->ctx, 0, &st, 1);
    if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT)
        return failed(r, rc);
    *present = (st.dwEventState & SCARD_STATE_PRESENT) &&
               !(st.dwEventState & SCARD_STATE_MUTE);
    return READER_OK;
}

/* The insertion identity (reader.h) without an APDU: pcscd counts card
 * insertions and removals per reader in the high word of dwEventState, so
 * within one pcscd process (reader name, counter) names one insertion. A
 * pcscd restart starts the counters again: its pid file (written at every
 * start: inode, mtime, pid) names the pcscd process. The ATR is added for
 * good measure. No pid file, no identity: the caller then caches nothing. */
static reader_rv pcsc_identity(reader *r, char *buf, size_t cap)
{
    pcsc_priv *p = r->priv;
    SCARD_READERSTATE st;
    struct stat ps;
    char atr[2 * MAX_ATR_SIZE + 1] = "", pid[16] = "";
    FILE *f;
    DWORD i;
    int n;

    if (stat(PCSCD_PID_FILE, &ps) != 0 || !(f = fopen(PCSCD_PID_FILE, "re")))
        return READER_ERR_ARGS;
    n = fgets(pid, sizeof pid, f) ? (int)strcspn(pid, "\n") : 0;
    fclose(f);
    pid[n] = '\0';
    memset(&st, 0, sizeof st);
    st.szReader = r->name;
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    if (!p->ctx ||
        SCardGetStatusChange(p->ctx, 0, &st, 1) != SCARD_S_SUCCESS ||
        !(st.dwEventState & SCARD_STATE_PRESENT) || st.cbAtr > MAX_ATR_SIZE)
        return READER_ERR_ARGS;
    for (i = 0; i < st.cbAtr; i++)
        snprintf(atr + 2 * i, 3, "%02X", st.rgbAtr[i]);
    n = snprintf(buf, cap, "pcsc:%s:%lu:%s:pcscd=%s/%ju/%jd.%09ld", r->name,
                 (unsigned long)(st.dwEventState >> 16) & 0xFFFFu, atr, pid,
                 (uintmax_t)ps.st_ino, (intmax_t)ps.st_mtim.tv_sec,
                 ps.st_mtim.tv_nsec);
    return n > 0 && (size_t)n < cap ? READER_OK : READER_ERR_ARGS;
}

static void pcsc_destroy(reader *r)
{
    pcsc_priv *p = r->priv;

    if (p->ctx)
        SCardReleaseContext(p->ctx);
    free(p);
    free(r);
}

static const reader_ops pcsc_ops = {
    .connect = pcsc_connect,
    .disconnect = pcsc_disconnect,
    .transmit = pcsc_transmit,
    .begin = pcsc_begin,
    .end = pcsc_end,
    .pinpad_verify = pcsc_pinpad_verify,
    .pinpad_modify = pcsc_pinpad_modify,
    .reset = pcsc_reset,
    .present = pcsc_present,
    .identity = pcsc_identity,
    .destroy = pcsc_destroy,
};

reader_rv reader_pcsc_new(const char *name, reader **out)
{
    reader *r;
    pcsc_priv *p;

    if (!name || !*name || !out)
        return READER_ERR_ARGS;
    r = calloc(1, sizeof *r);
    p = calloc(1, sizeof *p);
    if (!r || !p) {
        free(r);
        free(p);
        return READER_ERR_MEMORY;
    }
    r->ops = &pcsc_ops;
    r->priv = p;
    snprintf(r->name, sizeof r->name, "%s", name);
    *out = r;
    return READER_OK;
}
