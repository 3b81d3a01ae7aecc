/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * transmit.c - the card's link: one command in, one answer out. Around the
 * card model (card_model.c) it takes the image lock, applies the injected
 * faults (fault.h), holds data back for GET RESPONSE after a 61xx, writes
 * the APDU log (trace.h), and offers the simulated PIN-pad reader.
 */
#include "emu/card_model.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static void put_sw(uint8_t *rsp, size_t n, uint16_t sw, size_t *rsp_len)
{
    rsp[n] = (uint8_t)(sw >> 8);
    rsp[n + 1] = (uint8_t)sw;
    *rsp_len = n + 2;
}

/* 61xx announcing n bytes (xx = 00 for 256 or more). */
static uint16_t sw_more(size_t n)
{
    return (uint16_t)(0x6100 | (n >= 256 ? 0 : n));
}

static int is_get_response(const uint8_t *cmd, size_t len)
{
    return len == 5 && cmd[0] == 0x00 && cmd[1] == 0xC0 && cmd[2] == 0x00 &&
           cmd[3] == 0x00;
}

/* Hand out the next part of the held-back data. An Le larger than what is
 * left gets what is left, as after 61xx the caller asks for exactly xx. */
static void serve_pending(emu_card *c, const uint8_t *cmd, uint8_t *rsp,
                          size_t *rsp_len)
{
    size_t le = cmd[4] ? cmd[4] : 256;
    size_t left = c->pending_len - c->pending_off;
    size_t n = le < left ? le : left;
    memcpy(rsp, c->pending + c->pending_off, n);
    c->pending_off += n;
    left -= n;
    uint16_t sw = left ? sw_more(left) : c->pending_sw;
    if (!left)
        c->pending_len = c->pending_off = 0;
    put_sw(rsp, n, sw, rsp_len);
}

/* The card itself, under the image lock. */
static uint16_t run_card(emu_card *c, const uint8_t *cmd, size_t len,
                         uint8_t *rsp, size_t *n)
{
    /* A caller that did not lock still must not work on a stale image or
     * race another process's save; if the lock is unavailable (say, a
     * read-only directory) the command runs on the state in memory. */
    int implicit = !c->locked && emu_card_lock(c) == EMU_OK;
    uint16_t sw = emu_card_process(c, cmd, len, rsp, n);
    if (implicit)
        emu_card_unlock(c);
    return sw;
}

/* Everything but the log: returns EMU_OK with a response, or EMU_ERR_GONE. */
static emu_rv link_transmit(emu_card *c, const uint8_t *cmd, size_t len,
                            uint8_t *rsp, size_t *rsp_len, const char **note)
{
    emu_faults *f = &c->faults;
    if (c->dropped || c->powered_off)
        return EMU_ERR_GONE;
    unsigned long seq = ++f->seq;
    if (f->drop && seq > f->drop_after) {
        c->dropped = 1;
        *note = "fault=drop";
        return EMU_ERR_GONE;
    }
    emu_faults_delay(f);
    uint16_t sw;
    size_t n = 0;
    if (emu_faults_sw_at(f, seq, &sw)) {
        c->pending_len = c->pending_off = 0;
        *note = "fault=sw";
    } else if (c->pending_len && is_get_response(cmd, len)) {
        serve_pending(c, cmd, rsp, rsp_len);
        c->stats.apdus++;
        goto out;
    } else {
        /* Any other command throws held-back data away, as ISO 7816-4 says. */
        c->pending_len = c->pending_off = 0;
        sw = run_card(c, cmd, len, rsp, &n);
        if (sw == EMU_SW_GONE) {
            emu_card_clear_session(c);
            c->powered_off = 1;
            *note = "fault=power-loss";
            return EMU_ERR_GONE;
        }
        /* Fault bad-signature: a signature the key does not verify. */
        if (f->bad_signature && cmd[1] == 0x2A && sw == 0x9000 && n > 0) {
            rsp[n - 1] ^= 0x01;
            *note = "fault=bad-signature";
        }
        if (f->get_response && n > 0) {
            memcpy(c->pending, rsp, n);
            c->pending_len = n;
            c->pending_sw = sw;
            sw = sw_more(n);
            n = 0;
        }
    }
    c->stats.apdus++;
    put_sw(rsp, n, sw, rsp_len);
out:
    if (emu_faults_garbage_at(f, seq)) {
        *rsp_len = emu_faults_garbage(rsp, EMU_RSP_MAX);
        *note = "fault=garbage";
    }
    return EMU_OK;
}

emu_rv emu_card_transmit(emu_card *card, const uint8_t *cmd, size_t cmd_len,
                         uint8_t *rsp, size_t *rsp_len)
{
    if (!card || !rsp || !rsp_len || (!cmd && cmd_len))
        return EMU_ERR_ARGS;
    uint64_t t0 = emu_trace_now_us();
    const char *note = NULL;
    *rsp_len = 0;
    emu_rv rv =
        link_transmit(card, cmd, cmd ? cmd_len : 0, rsp, rsp_len, &note);
    emu_trace_apdu(&card->trace, t0, cmd, cmd ? cmd_len : 0, rsp, *rsp_len,
                   note);
    if (card->latency.on)
        emu_latency_wait(&card->latency, t0,
                         emu_latency_cost_us(&card->latency, cmd_len, *rsp_len,
                                             cmd_len >= 2 && cmd[0] == 0x80 &&
                                                 cmd[1] == 0x2A));
    return rv;
}

/* The keypad sends header + pin as one command (under the lock, so the
 * PIN is the one the image holds now); *sw the card's answer. */
static emu_rv keypad_send(emu_card *card, const uint8_t hdr[4],
                          const char *pin, uint16_t *sw)
{
    uint8_t cmd[5 + EMU_PIN_MAX_LEN], rsp[EMU_RSP_MAX];
    size_t plen = strlen(pin), n = 0;
    if (plen > EMU_PIN_MAX_LEN) {
        *sw = 0x6A80; /* more than the keypad takes: the card never sees it */
        return EMU_OK;
    }
    memcpy(cmd, hdr, 4);
    cmd[4] = (uint8_t)plen;
    memcpy(cmd + 5, pin, plen);
    emu_rv rv = emu_card_transmit(card, cmd, 5 + plen, rsp, &n);
    OPENSSL_cleanse(cmd, sizeof cmd);
    if (rv == EMU_OK && n >= 2)
        *sw = (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
    else if (rv == EMU_OK)
        *sw = 0x6F00; /* a garbled answer: the reader saw no status */
    return rv;
}

/* A keypad entry: the holder's behaviour from the faults, else keypad_send
 * of hdr with the PIN the holder types (NULL: they cancel). */
static emu_rv keypad(emu_card *card, int which, const uint8_t hdr[4],
                     int modify, uint16_t *sw)
{
    if (!card || !sw || (which != EMU_PIN_AUTH && which != EMU_PIN_SIGN))
        return EMU_ERR_ARGS;
    if (!card->img.pinpad)
        return EMU_ERR_ARGS;
    if (card->faults.pinpad_sw) {
        *sw = card->faults.pinpad_sw;
        return EMU_OK;
    }
    int implicit = !card->locked && emu_card_lock(card) == EMU_OK;
    const char *pin =
        modify ? getenv("JPKI_EMU_PINPAD_NEW_PIN") : card->img.pins.pin[which];
    emu_rv rv = EMU_OK;
    if (pin)
        rv = keypad_send(card, hdr, pin, sw);
    else
        *sw = 0x6401;
    if (implicit)
        emu_card_unlock(card);
    return rv;
}

emu_rv emu_card_pinpad_verify(emu_card *card, int which, uint16_t *sw)
{
    static const uint8_t verify[4] = { 0x00, 0x20, 0x00, 0x80 };
    return keypad(card, which, verify, 0, sw);
}

emu_rv emu_card_pinpad_modify(emu_card *card, int which, uint16_t *sw)
{
    static const uint8_t change[4] = { 0x00, 0x24, 0x01, 0x80 };
    return keypad(card, which, change, 1, sw);
}
