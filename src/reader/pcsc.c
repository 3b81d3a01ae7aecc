/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc.c - reader backend for PCSC-lite.
 *
 * One PC/SC context per reader, so a reader can be used from any thread the
 * PKCS#11 layer serializes onto it. Cards are opened in shared mode; every
 * multi-APDU operation runs inside SCardBeginTransaction so no other program
 * can slip commands in between (and break the card's security state).
 */
#include "reader/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "common/log.h"

/* Written by pcscd at each start (pcsc-lite's USE_RUN_PID). */
#define PCSCD_PID_FILE "/run/pcscd/pcscd.pid"

typedef struct {
    SCARDCONTEXT ctx;
    SCARDHANDLE card;
    DWORD protocol;
    int in_transaction;
} pcsc_priv;

static reader_rv map_error(LONG rc)
{
    switch (rc) {
    case SCARD_S_SUCCESS: return READER_OK;
    case SCARD_W_RESET_CARD: return READER_ERR_RESET;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD:
        return READER_ERR_REMOVED;
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
    case SCARD_E_NO_READERS_AVAILABLE:
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
        return READER_ERR_NO_SERVICE;
    case SCARD_E_SHARING_VIOLATION: return READER_ERR_BUSY;
    case SCARD_E_NO_MEMORY: return READER_ERR_MEMORY;
    default: return READER_ERR_COMM;
    }
}

static reader_rv pcsc_connect(reader *r)
{
    pcsc_priv *p = r->priv;
    LONG rc;

    if (!p->ctx) {
        rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
        if (rc != SCARD_S_SUCCESS) {
            p->ctx = 0;
            return map_error(rc);
        }
    }
    rc = SCardConnect(p->ctx, r->name, SCARD_SHARE_SHARED,
                      SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card,
                      &p->protocol);
    if (rc == SCARD_E_NO_SMARTCARD || rc == SCARD_W_REMOVED_CARD ||
        rc == SCARD_W_UNRESPONSIVE_CARD || rc == SCARD_W_UNPOWERED_CARD)
        return READER_ERR_NO_CARD;
    return map_error(rc);
}

static void pcsc_disconnect(reader *r)
{
    pcsc_priv *p = r->priv;

    if (p->in_transaction)
        SCardEndTransaction(p->card, SCARD_LEAVE_CARD);
    p->in_transaction = 0;
    /* Reset on the way out: no PIN stays verified after we leave. */
    SCardDisconnect(p->card, SCARD_RESET_CARD);
    p->card = 0;
}

static reader_rv pcsc_transmit(reader *r, const uint8_t *cmd, size_t cmd_len,
                               uint8_t *rsp, size_t *rsp_len)
{
    pcsc_priv *p = r->priv;
    const SCARD_IO_REQUEST *pci = p->protocol == SCARD_PROTOCOL_T0
                                      ? SCARD_PCI_T0 : SCARD_PCI_T1;
    DWORD n = (DWORD)*rsp_len;
    LONG rc = SCardTransmit(p->card, pci, cmd, (DWORD)cmd_len, NULL, rsp, &n);

    if (rc != SCARD_S_SUCCESS)
        return map_error(rc);
    *rsp_len = n;
    return READER_OK;
}

static reader_rv pcsc_begin(reader *r)
{
    pcsc_priv *p = r->priv;
    LONG rc = SCardBeginTransaction(p->card);

    if (rc == SCARD_W_RESET_CARD) {
        /* Someone reset the card: reconnect, then report the lost state. */
        DWORD proto;
        rc = SCardReconnect(p->card, SCARD_SHARE_SHARED,
                            SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                            SCARD_LEAVE_CARD, &proto);
        if (rc == SCARD_S_SUCCESS)
            p->protocol = proto;
        return rc == SCARD_S_SUCCESS ? READER_ERR_RESET : map_error(rc);
    }
    if (rc == SCARD_S_SUCCESS)
        p->in_transaction = 1;
    return map_error(rc);
}

static void pcsc_end(reader *r)
{
    pcsc_priv *p = r->priv;

    if (p->in_transaction)
        SCardEndTransaction(p->card, SCARD_LEAVE_CARD);
    p->in_transaction = 0;
}

static reader_rv pcsc_present(reader *r, int *present)
{
    pcsc_priv *p = r->priv;
    SCARD_READERSTATE st;
    LONG rc;

    *present = 0;
    if (!p->ctx &&
        SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx) !=
            SCARD_S_SUCCESS) {
        p->ctx = 0;
        return READER_ERR_NO_SERVICE;
    }
    memset(&st, 0, sizeof(st));
    st.szReader = r->name;
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    rc = SCardGetStatusChange(p->ctx, 0, &st, 1);
    if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT)
        return map_error(rc);
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
    n = fgets(pid, sizeof(pid), f) ? (int)strcspn(pid, "\n") : 0;
    fclose(f);
    pid[n] = '\0';
    memset(&st, 0, sizeof(st));
    st.szReader = r->name;
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    if (!p->ctx || SCardGetStatusChange(p->ctx, 0, &st, 1) != SCARD_S_SUCCESS ||
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
    .present = pcsc_present,
    .identity = pcsc_identity,
    .destroy = pcsc_destroy,
};

static reader_rv pcsc_new(const char *name, reader **out)
{
    reader *r = calloc(1, sizeof(*r));
    pcsc_priv *p = calloc(1, sizeof(*p));

    if (!r || !p) {
        free(r);
        free(p);
        return READER_ERR_MEMORY;
    }
    r->ops = &pcsc_ops;
    r->priv = p;
    snprintf(r->name, sizeof(r->name), "%s", name);
    *out = r;
    return READER_OK;
}

reader_rv reader_pcsc_list(reader ***list, size_t *count)
{
    SCARDCONTEXT ctx;
    DWORD len = 0;
    char *names = NULL, *name;
    reader_rv rv = READER_OK;
    LONG rc;

    rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
    if (rc != SCARD_S_SUCCESS) {
        JLOG_DBG("PC/SC not available: %s", pcsc_stringify_error(rc));
        return READER_OK;
    }
    rc = SCardListReaders(ctx, NULL, NULL, &len);
    if (rc == SCARD_S_SUCCESS && len > 0 && (names = malloc(len)) != NULL)
        rc = SCardListReaders(ctx, NULL, names, &len);
    if (rc == SCARD_S_SUCCESS && names) {
        for (name = names; *name && rv == READER_OK; name += strlen(name) + 1) {
            reader *r = NULL;
            rv = pcsc_new(name, &r);
            if (rv == READER_OK &&
                (rv = reader_list_push(list, count, r)) != READER_OK)
                reader_free(r);
        }
    } else if (rc != SCARD_E_NO_READERS_AVAILABLE && rc != SCARD_S_SUCCESS) {
        JLOG_DBG("SCardListReaders: %s", pcsc_stringify_error(rc));
    }
    free(names);
    SCardReleaseContext(ctx);
    return rv;
}
