/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_pinpad.c - PIN-pad readers through SCardControl (PC/SC part 10):
 * the feature list at connect, then FEATURE_VERIFY_PIN_DIRECT for a VERIFY
 * whose PIN is typed on the reader's keypad and never reaches the host, and
 * FEATURE_MODIFY_PIN_DIRECT for a change typed there.
 * The structures are built in pcsc_part10.c.
 */
#include "reader/pcsc_priv.h"

#include <string.h>

#include <PCSC/reader.h>

#include "common/log.h"

/* PC/SC part 10: SCARD_CTL_CODE(3400). */
#define PCSC_GET_FEATURE_REQUEST CM_IOCTL_GET_FEATURE_REQUEST

void pcsc_probe_features(reader *r)
{
    pcsc_priv *p = r->priv;
    uint8_t buf[256];
    DWORD n = 0;
    LONG rc = SCardControl(p->card, PCSC_GET_FEATURE_REQUEST, NULL, 0, buf,
                           sizeof buf, &n);

    memset(&p->features, 0, sizeof p->features);
    r->flags &= ~(READER_FLAG_PINPAD | READER_FLAG_PINPAD_MODIFY);
    if (rc != SCARD_S_SUCCESS)
        return; /* no part 10 support: an ordinary reader */
    if (pcsc_parse_features(buf, n, &p->features) != 0) {
        JLOG_WARN("[%s] malformed PC/SC feature list (%lu bytes): PIN pad "
                  "not used",
                  r->name, (unsigned long)n);
        return;
    }
    if (p->features.verify_pin_direct) {
        r->flags |= READER_FLAG_PINPAD;
        JLOG_DBG("[%s] PIN pad: VERIFY_PIN_DIRECT 0x%08lX", r->name,
                 (unsigned long)p->features.verify_pin_direct);
        if (p->features.modify_pin_direct)
            r->flags |= READER_FLAG_PINPAD_MODIFY;
    }
}

/* One PIN structure to the reader's control code; the answer is the
 * card's status word, or the reader's own for a cancelled (6401) or
 * timed-out (6400) entry: neither is a PIN try. */
static reader_rv control(reader *r, uint32_t code, const uint8_t *in,
                         size_t len, uint16_t *sw)
{
    pcsc_priv *p = r->priv;
    uint8_t out[2];
    DWORD n = 0;
    LONG rc;

    rc = SCardControl(p->card, code, in, (DWORD)len, out, sizeof out, &n);
    if (rc != SCARD_S_SUCCESS) {
        if (pcsc_context_lost(rc))
            pcsc_drop_context(r);
        return pcsc_map_error(rc);
    }
    if (n != 2)
        return READER_ERR_COMM;
    *sw = (uint16_t)(out[0] << 8 | out[1]);
    return READER_OK;
}

/* VERIFY or MODIFY PIN DIRECT: the structure made by build, sent with the
 * reader's control code for it (0: the reader has no such feature). */
static reader_rv pinpad(reader *r, uint32_t code,
                        size_t (*build)(const reader_pinpad_req *, uint8_t *,
                                        size_t),
                        const reader_pinpad_req *req, uint16_t *sw)
{
    pcsc_priv *p = r->priv;
    uint8_t in[PCSC_PIN_STRUCT_MAX];
    size_t len;

    if (!p->card)
        return READER_ERR_REMOVED;
    if (!code)
        return READER_ERR_ARGS;
    if (!(len = build(req, in, sizeof in)))
        return READER_ERR_ARGS;
    return control(r, code, in, len, sw);
}

reader_rv pcsc_pinpad_verify(reader *r, const reader_pinpad_req *req,
                             uint16_t *sw)
{
    pcsc_priv *p = r->priv;

    return pinpad(r, p->features.verify_pin_direct, pcsc_build_verify, req,
                  sw);
}

reader_rv pcsc_pinpad_modify(reader *r, const reader_pinpad_req *req,
                             uint16_t *sw)
{
    pcsc_priv *p = r->priv;

    return pinpad(r, p->features.modify_pin_direct, pcsc_build_modify, req,
                  sw);
}
