/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reader/apdu.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"

/* A card that keeps answering 61xx must not loop us forever. */
#define MAX_GET_RESPONSE 64

int apdu_encode(const apdu_cmd *c, uint8_t *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    int ext;

    if (!c || !buf || !len || c->lc > 65535 || c->le > 65536 ||
        (c->lc && !c->data))
        return -1;
    ext = c->lc > 255 || c->le > 256;
    if (cap < 4 + (ext ? 3 : 1) + c->lc + (ext ? 3 : 1))
        return -1;
    buf[n++] = c->cla;
    buf[n++] = c->ins;
    buf[n++] = c->p1;
    buf[n++] = c->p2;
    if (c->lc) {
        if (ext) {
            buf[n++] = 0;
            buf[n++] = (uint8_t)(c->lc >> 8);
        }
        buf[n++] = (uint8_t)c->lc;
        memcpy(buf + n, c->data, c->lc);
        n += c->lc;
    }
    if (c->le) {
        if (ext) {
            if (!c->lc)
                buf[n++] = 0; /* extended case 2 starts with a 00 byte */
            /* 65536 encodes as 00 00, 256 (short) as 00: the casts do it. */
            buf[n++] = (uint8_t)(c->le >> 8);
        }
        buf[n++] = (uint8_t)c->le;
    }
    *len = n;
    return 0;
}

/* The APDU trace shows headers, lengths and status words. Data is shown only
 * for SELECT (AIDs and file ids are public); never PINs (VERIFY, CHANGE
 * REFERENCE DATA) nor file contents, which may carry personal data. */
static void trace_cmd(const reader *r, const uint8_t *cmd, size_t len)
{
    char hex[3 * 32 + 1] = "";
    size_t i, shown = 0;

    if (!jlog_enabled(JLOG_LEVEL_TRACE))
        return;
    if (len > 5 && cmd[1] == 0xA4)
        shown = len - 5 > 32 ? 32 : len - 5;
    for (i = 0; i < shown; i++)
        snprintf(hex + 3 * i, sizeof hex - 3 * i, " %02X", cmd[5 + i]);
    jlog(JLOG_LEVEL_TRACE, "[%s] > %02X %02X %02X %02X (%zu bytes)%s%s",
         r->name, cmd[0], cmd[1], cmd[2], cmd[3], len, shown ? ":" : "", hex);
}

static void trace_rsp(const reader *r, size_t data_len, uint16_t sw)
{
    if (jlog_enabled(JLOG_LEVEL_TRACE))
        jlog(JLOG_LEVEL_TRACE, "[%s] < %zu data bytes, SW %04X", r->name,
             data_len, sw);
}

/* One exchange: encode, send, split off the status word. */
static reader_rv exchange(reader *r, const apdu_cmd *c, uint8_t *data,
                          size_t *data_len, uint16_t *sw)
{
    uint8_t cmd[4 + 3 + APDU_SHORT_MAX + 3];
    uint8_t rsp[APDU_SHORT_MAX + 2];
    size_t cmd_len, rsp_len = sizeof rsp;
    reader_rv rv;

    if (apdu_encode(c, cmd, sizeof cmd, &cmd_len) != 0)
        return READER_ERR_ARGS;
    trace_cmd(r, cmd, cmd_len);
    rv = reader_transmit_raw(r, cmd, cmd_len, rsp, &rsp_len);
    OPENSSL_cleanse(cmd, sizeof cmd); /* it may have held a PIN */
    if (rv == READER_OK && (rsp_len < 2 || rsp_len > sizeof rsp))
        rv = READER_ERR_COMM;
    if (rv == READER_OK) {
        *sw = (uint16_t)(rsp[rsp_len - 2] << 8 | rsp[rsp_len - 1]);
        *data_len = rsp_len - 2;
        memcpy(data, rsp, *data_len);
        trace_rsp(r, *data_len, *sw);
    }
    /* The answer may be a piece of the signature certificate. */
    OPENSSL_cleanse(rsp, sizeof rsp);
    return rv;
}

static reader_rv append(uint8_t *rsp, size_t cap, size_t *used,
                        const uint8_t *piece, size_t n)
{
    if (n > cap - *used)
        return READER_ERR_COMM;
    if (n)
        memcpy(rsp + *used, piece, n);
    *used += n;
    return READER_OK;
}

/* The exchange and its GET RESPONSE / 6Cxx follow-ups; piece is scratch. */
static reader_rv transmit(reader *r, const apdu_cmd *c, uint8_t *rsp,
                          size_t cap, size_t *rsp_len, uint16_t *sw,
                          uint8_t piece[APDU_SHORT_MAX])
{
    size_t n = 0;
    apdu_cmd again;
    reader_rv rv;
    int i;

    *rsp_len = 0;
    rv = exchange(r, c, piece, &n, sw);
    if (rv == READER_OK && SW1(*sw) == 0x6C && c->le) {
        /* Wrong Le: the card says how many bytes it has; ask once more.
         * Only a command that asked for data: 6Cxx to one without Le
         * (SELECT, VERIFY) is a broken answer, and re-sending it would
         * send a PIN twice for one C_Login. */
        again = *c;
        again.le = SW2(*sw) ? SW2(*sw) : 256;
        rv = exchange(r, &again, piece, &n, sw);
    }
    if (rv != READER_OK)
        return rv;
    rv = append(rsp, cap, rsp_len, piece, n);
    for (i = 0; rv == READER_OK && SW1(*sw) == 0x61; i++) {
        apdu_cmd gr = { .cla = c->cla & 0x03,
                        .ins = 0xC0,
                        .le = SW2(*sw) ? SW2(*sw) : 256 };
        if (i == MAX_GET_RESPONSE)
            return READER_ERR_COMM;
        rv = exchange(r, &gr, piece, &n, sw);
        if (rv == READER_OK)
            rv = append(rsp, cap, rsp_len, piece, n);
    }
    return rv;
}

reader_rv apdu_transmit(reader *r, const apdu_cmd *c, uint8_t *rsp, size_t cap,
                        size_t *rsp_len, uint16_t *sw)
{
    uint8_t piece[APDU_SHORT_MAX];
    reader_rv rv;

    if (!r || !c || !sw || !rsp_len || (cap && !rsp))
        return READER_ERR_ARGS;
    if (c->lc > 255 || c->le > 256)
        return READER_ERR_ARGS; /* extended length: no card use needs it */
    rv = transmit(r, c, rsp, cap, rsp_len, sw, piece);
    OPENSSL_cleanse(piece, sizeof piece); /* as in exchange() */
    return rv;
}
