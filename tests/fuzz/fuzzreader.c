/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzzreader.c - see fuzzreader.h. */
#include "fuzzreader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    fz_in *in;
    unsigned flags;
    int begins;
} fz_card;

/* The next answer: READER_OK with (p, n), or the reader error it encodes. */
static reader_rv next_answer(fz_card *fc, const uint8_t **p, size_t *n)
{
    uint8_t t;

    if (!fc->in->n)
        return READER_ERR_REMOVED;
    t = fz_u8(fc->in);
    if (t < 0xF0) {
        *p = fz_bytes(fc->in, t, n);
        return READER_OK;
    }
    if (t == 0xF0) {
        size_t want = fz_u16(fc->in);
        *p = fz_bytes(fc->in, want, n);
        return READER_OK;
    }
    if (t <= 0xF8)
        return (reader_rv)(t - 0xF0);
    return READER_ERR_COMM;
}

static reader_rv f_connect(reader *r)
{
    (void)r;
    return READER_OK;
}

static void f_disconnect(reader *r)
{
    (void)r;
}

static reader_rv f_transmit(reader *r, const uint8_t *cmd, size_t cmd_len,
                            uint8_t *rsp, size_t *rsp_len)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    reader_rv rv;

    if (!cmd || cmd_len < 4 || !rsp || !rsp_len)
        abort(); /* the layer above never sends such a command */
    if ((rv = next_answer(r->priv, &p, &n)) != READER_OK)
        return rv;
    if (n > *rsp_len)
        return READER_ERR_COMM; /* as PC/SC: the buffer is too small */
    if (n)
        memcpy(rsp, p, n);
    *rsp_len = n;
    return READER_OK;
}

static reader_rv f_begin(reader *r)
{
    fz_card *fc = r->priv;

    if (fc->begins++ == 0 && (fc->flags & FZR_RESET_FIRST))
        return READER_ERR_RESET;
    return READER_OK;
}

static void f_end(reader *r)
{
    (void)r;
}

static reader_rv f_pinpad(reader *r, const reader_pinpad_req *req,
                          uint16_t *sw)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    reader_rv rv;

    if (!req || !sw || req->min_len > req->max_len)
        abort();
    if ((rv = next_answer(r->priv, &p, &n)) != READER_OK)
        return rv;
    if (n < 2)
        return READER_ERR_COMM;
    *sw = (uint16_t)(p[n - 2] << 8 | p[n - 1]);
    return READER_OK;
}

static reader_rv f_present(reader *r, int *present)
{
    *present = ((fz_card *)r->priv)->in->n > 0;
    return READER_OK;
}

static void f_destroy(reader *r)
{
    free(r->priv);
    free(r);
}

static const reader_ops fz_ops = {
    .connect = f_connect,
    .disconnect = f_disconnect,
    .transmit = f_transmit,
    .begin = f_begin,
    .end = f_end,
    .pinpad_verify = f_pinpad,
    .pinpad_modify = f_pinpad,
    .present = f_present,
    .destroy = f_destroy,
};

static const reader_ops fz_ops_nopad = {
    .connect = f_connect,
    .disconnect = f_disconnect,
    .transmit = f_transmit,
    .begin = f_begin,
    .end = f_end,
    .present = f_present,
    .destroy = f_destroy,
};

reader *fz_reader_new(fz_in *in, unsigned flags)
{
    reader *r = calloc(1, sizeof *r);
    fz_card *fc = calloc(1, sizeof *fc);

    if (!r || !fc)
        abort();
    fc->in = in;
    fc->flags = flags;
    r->ops = (flags & FZR_PINPAD) ? &fz_ops : &fz_ops_nopad;
    r->flags = (flags & FZR_PINPAD)
                   ? READER_FLAG_PINPAD | READER_FLAG_PINPAD_MODIFY
                   : 0;
    r->priv = fc;
    snprintf(r->name, sizeof r->name, "fuzz");
    return r;
}

/* ---- recording ---------------------------------------------------------- */

typedef struct {
    reader *inner;
    fz_recording *rec;
} rec_state;

int fz_rec_put(fz_recording *rec, const void *p, size_t n)
{
    if (rec->len + n > rec->cap) {
        size_t cap = rec->cap ? rec->cap : 4096;
        while (cap < rec->len + n)
            cap *= 2;
        uint8_t *nb = realloc(rec->buf, cap);
        if (!nb)
            return -1;
        rec->buf = nb;
        rec->cap = cap;
    }
    if (n)
        memcpy(rec->buf + rec->len, p, n);
    rec->len += n;
    return 0;
}

static void rec_answer(fz_recording *rec, reader_rv rv, const uint8_t *p,
                       size_t n)
{
    uint8_t h[3];

    if (rv != READER_OK) {
        h[0] = (uint8_t)(0xF0 + (rv > 8 ? 7 : rv));
        fz_rec_put(rec, h, 1);
    } else if (n < 0xF0) {
        h[0] = (uint8_t)n;
        fz_rec_put(rec, h, 1);
        fz_rec_put(rec, p, n);
    } else {
        h[0] = 0xF0;
        h[1] = (uint8_t)(n >> 8);
        h[2] = (uint8_t)n;
        fz_rec_put(rec, h, 3);
        fz_rec_put(rec, p, n);
    }
}

static reader_rv r_connect(reader *r)
{
    rec_state *s = r->priv;
    reader_rv rv = reader_connect(s->inner);

    r->flags = s->inner->flags; /* the PIN pad is known once connected */
    return rv;
}

static void r_disconnect(reader *r)
{
    reader_disconnect(((rec_state *)r->priv)->inner);
}

static reader_rv r_transmit(reader *r, const uint8_t *cmd, size_t cmd_len,
                            uint8_t *rsp, size_t *rsp_len)
{
    rec_state *s = r->priv;
    reader_rv rv = reader_transmit_raw(s->inner, cmd, cmd_len, rsp, rsp_len);

    rec_answer(s->rec, rv, rsp, rv == READER_OK ? *rsp_len : 0);
    return rv;
}

static reader_rv r_begin(reader *r)
{
    return reader_begin(((rec_state *)r->priv)->inner);
}

static void r_end(reader *r)
{
    reader_end(((rec_state *)r->priv)->inner);
}

static reader_rv r_record_sw(rec_state *s, reader_rv rv, uint16_t sw)
{
    uint8_t b[2] = { 0, 0 };

    if (rv == READER_OK) {
        b[0] = (uint8_t)(sw >> 8);
        b[1] = (uint8_t)sw;
    }
    rec_answer(s->rec, rv, b, 2);
    return rv;
}

static reader_rv r_pinpad(reader *r, const reader_pinpad_req *req,
                          uint16_t *sw)
{
    rec_state *s = r->priv;
    return r_record_sw(s, reader_pinpad_verify(s->inner, req, sw), *sw);
}

static reader_rv r_pinpad_modify(reader *r, const reader_pinpad_req *req,
                                 uint16_t *sw)
{
    rec_state *s = r->priv;
    return r_record_sw(s, reader_pinpad_modify(s->inner, req, sw), *sw);
}

static reader_rv r_present(reader *r, int *present)
{
    return reader_present(((rec_state *)r->priv)->inner, present);
}

static void r_destroy(reader *r)
{
    free(r->priv);
    free(r);
}

static const reader_ops rec_ops = {
    .connect = r_connect,
    .disconnect = r_disconnect,
    .transmit = r_transmit,
    .begin = r_begin,
    .end = r_end,
    .pinpad_verify = r_pinpad,
    .pinpad_modify = r_pinpad_modify,
    .present = r_present,
    .destroy = r_destroy,
};

reader *fz_recorder_new(reader *inner, fz_recording *rec)
{
    reader *r = calloc(1, sizeof *r);
    rec_state *s = calloc(1, sizeof *s);

    if (!r || !s)
        abort();
    s->inner = inner;
    s->rec = rec;
    r->ops = &rec_ops;
    r->flags = inner->flags;
    r->priv = s;
    snprintf(r->name, sizeof r->name, "record");
    return r;
}
