/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mockreader.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static reader_rv m_connect(reader *r)
{
    (void)r;
    return READER_OK;
}
static void m_disconnect(reader *r)
{
    (void)r;
}

static reader_rv m_transmit(reader *r, const uint8_t *cmd, size_t len,
                            uint8_t *rsp, size_t *rsp_len)
{
    mock_script *s = r->priv;
    size_t i = s->n_cmds;

    if (i >= MOCK_MAX_STEPS || len > sizeof s->cmd[0])
        return READER_ERR_COMM;
    memcpy(s->cmd[i], cmd, len);
    s->cmd_len[i] = len;
    s->n_cmds++;
    if (i >= s->n_steps) {
        rsp[0] = 0x6F;
        rsp[1] = 0x00;
        *rsp_len = 2;
        return READER_OK;
    }
    if (s->fail[i] != READER_OK)
        return s->fail[i];
    if (s->rsp_len[i] > *rsp_len)
        return READER_ERR_COMM;
    memcpy(rsp, s->rsp[i], s->rsp_len[i]);
    *rsp_len = s->rsp_len[i];
    return READER_OK;
}

static reader_rv m_begin(reader *r)
{
    mock_script *s = r->priv;

    if (s->begin_resets > 0) {
        s->begin_resets--;
        return READER_ERR_RESET; /* connected again, no transaction */
    }
    s->begins++;
    return READER_OK;
}
static reader_rv m_reset(reader *r)
{
    mock_script *s = r->priv;

    s->card_resets++;
    s->reset_at = s->n_cmds;
    return READER_OK;
}
static void m_end(reader *r)
{
    ((mock_script *)r->priv)->ends++;
}
static reader_rv m_present(reader *r, int *p)
{
    (void)r;
    *p = 1;
    return READER_OK;
}
static void m_destroy(reader *r)
{
    free(r);
}

static const reader_ops mock_ops = {
    .connect = m_connect,
    .disconnect = m_disconnect,
    .transmit = m_transmit,
    .begin = m_begin,
    .end = m_end,
    .present = m_present,
    .reset = m_reset,
    .destroy = m_destroy,
};

reader *mock_reader_new(mock_script *script)
{
    reader *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    r->ops = &mock_ops;
    r->priv = script;
    snprintf(r->name, sizeof r->name, "mock");
    return r;
}

void mock_answer(mock_script *s, const char *hex)
{
    size_t n = 0;

    while (*hex && s->n_steps < MOCK_MAX_STEPS) {
        unsigned v;
        if (isspace((unsigned char)*hex)) {
            hex++;
            continue;
        }
        if (sscanf(hex, "%2x", &v) != 1 || n >= sizeof s->rsp[0])
            break;
        s->rsp[s->n_steps][n++] = (uint8_t)v;
        hex += 2;
    }
    s->rsp_len[s->n_steps] = n;
    s->fail[s->n_steps] = READER_OK;
    s->n_steps++;
}

void mock_fail(mock_script *s, reader_rv rv)
{
    if (s->n_steps < MOCK_MAX_STEPS) {
        s->fail[s->n_steps] = rv;
        s->rsp_len[s->n_steps] = 0;
        s->n_steps++;
    }
}

const char *mock_cmd_hex(const mock_script *s, size_t i)
{
    static char buf[2 * 300 + 1];
    size_t k;

    buf[0] = '\0';
    if (i >= s->n_cmds)
        return buf;
    for (k = 0; k < s->cmd_len[i]; k++)
        snprintf(buf + 2 * k, 3, "%02X", s->cmd[i][k]);
    return buf;
}
