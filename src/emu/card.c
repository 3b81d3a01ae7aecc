/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card.c - life cycle of an emulated card: load (with the environment's
 * faults and log), free, reset, the cross-process lock that reloads what
 * another process saved, and what a caller may read about the card.
 */
#include "emu/card_model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

static const uint8_t card_atr[] = { 0x3B, 0xE0, 0x00, 0xFF, 0x81,
                                    0x31, 0xFE, 0x45, 0x14 };

emu_rv emu_card_load(const char *path, emu_card **out, char *err,
                     size_t errlen)
{
    if (out)
        *out = NULL;
    if (!path || !out) {
        if (err && errlen)
            snprintf(err, errlen, "emu_card_load: no %s given",
                     path ? "output" : "path");
        return EMU_ERR_ARGS;
    }
    uint64_t t0 = emu_trace_now_us();
    emu_card *c = OPENSSL_zalloc(sizeof *c);
    if (!c || !(c->path = OPENSSL_strdup(path))) {
        OPENSSL_free(c);
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", path);
        return EMU_ERR_MEMORY;
    }
    c->lock_fd = -1;
    c->ef = -1;
    c->trace.fd = -1;
    emu_rv rv =
        emu_faults_parse(getenv("JPKI_EMU_FAULTS"), &c->faults, err, errlen);
    if (rv == EMU_OK &&
        emu_latency_parse(getenv("JPKI_EMU_LATENCY"), &c->latency) != 0) {
        snprintf(
            err, errlen,
            "JPKI_EMU_LATENCY: expected off, on or APDU_MS,BYTE_US,SIGN_MS");
        rv = EMU_ERR_ARGS;
    }
    if (rv == EMU_OK)
        rv = emu_image_load(path, &c->img, &c->file_id, err, errlen);
    if (rv != EMU_OK) {
        emu_card_free(c);
        return rv;
    }
    emu_card_refresh(c);
    emu_trace_open(&c->trace);
    /* The card's own power-up time (parsing the image, loading its keys),
     * for benchmarks that subtract the card's time from the module's:
     * only when asked, so that every other line of the log is an APDU. */
    if (c->trace.fd >= 0 && getenv("JPKI_EMU_LOG_LOAD")) {
        char line[96];
        int n = snprintf(line, sizeof line,
                         "%" PRIu64 " %" PRIu64 "us LOAD image\n", t0,
                         emu_trace_now_us() - t0);
        if (n > 0 && write(c->trace.fd, line, (size_t)n) < 0)
            n = 0; /* a log that cannot be written must not disturb the card */
    }
    *out = c;
    return EMU_OK;
}

void emu_card_free(emu_card *card)
{
    if (!card)
        return;
    emu_image_clear(&card->img);
    if (card->lock_fd >= 0)
        close(card->lock_fd); /* also releases a lock still held */
    emu_trace_close(&card->trace);
    OPENSSL_free(card->path);
    OPENSSL_clear_free(card, sizeof *card);
}

void emu_card_reset(emu_card *card)
{
    if (!card)
        return;
    emu_card_clear_session(card);
    card->pending_len = card->pending_off = 0;
    card->powered_off = 0;
}

emu_rv emu_card_set_faults(emu_card *card, const char *spec)
{
    if (!card)
        return EMU_ERR_ARGS;
    emu_rv rv = emu_faults_parse(spec, &card->faults, NULL, 0);
    if (rv == EMU_OK)
        card->dropped = card->powered_off = 0;
    return rv;
}

size_t emu_card_atr(const emu_card *card, uint8_t *atr, size_t max)
{
    (void)card; /* every emulated card has the same ATR */
    if (atr)
        memcpy(atr, card_atr, max < sizeof card_atr ? max : sizeof card_atr);
    return sizeof card_atr;
}

/* Adopt the image another process saved; the security state stays, as it
 * is this process's own session with the card. */
static emu_rv reload(emu_card *c)
{
    emu_image fresh;
    fu_ident id;
    emu_rv rv = emu_image_load(c->path, &fresh, &id, NULL, 0);
    if (rv != EMU_OK)
        return rv;
    emu_image_clear(&c->img);
    c->img = fresh;
    c->file_id = id;
    emu_card_refresh(c);
    return EMU_OK;
}

emu_rv emu_card_lock(emu_card *card)
{
    if (!card)
        return EMU_ERR_ARGS;
    emu_rv rv = emu_image_lock(card->path, &card->lock_fd);
    if (rv != EMU_OK)
        return rv;
    if (emu_image_changed(card->path, &card->file_id) &&
        (rv = reload(card)) != EMU_OK) {
        emu_image_unlock(card->lock_fd);
        return rv;
    }
    card->locked = 1;
    return EMU_OK;
}

void emu_card_unlock(emu_card *card)
{
    if (!card || !card->locked)
        return;
    card->locked = 0;
    emu_image_unlock(card->lock_fd);
}

void emu_card_get_stats(const emu_card *card, emu_stats *st)
{
    if (!st)
        return;
    if (!card) {
        memset(st, 0, sizeof *st);
        return;
    }
    *st = card->stats;
    st->jpki_current = card->app == EMU_APP_JPKI;
    st->auth_verified = card->verified[EMU_PIN_AUTH];
    st->sign_verified = card->verified[EMU_PIN_SIGN];
}

int emu_card_has_pinpad(const emu_card *card)
{
    return card && card->img.pinpad;
}

emu_rv emu_card_get_info(const emu_card *card, emu_info *info)
{
    if (!card || !info)
        return EMU_ERR_ARGS;
    memset(info, 0, sizeof *info);
    info->format_version = card->img.version;
    snprintf(info->token_info, sizeof info->token_info, "%s",
             card->img.token_info);
    info->auth_tries = card->img.pins.tries[EMU_PIN_AUTH];
    info->auth_max_tries = EMU_AUTH_PIN_TRIES;
    info->sign_tries = card->img.pins.tries[EMU_PIN_SIGN];
    info->sign_max_tries = EMU_SIGN_PIN_TRIES;
    info->info_tries = card->img.pins.tries[EMU_PIN_INFO];
    info->info_max_tries = EMU_INFO_PIN_TRIES;
    info->blocked_status_63c0 = card->img.blocked_query_sw == 0x63C0;
    info->blocked_sw = card->img.blocked_sw;
    info->blocked_query_sw = card->img.blocked_query_sw;
    info->sign_pin_single_use = card->img.sign_pin_single_use;
    info->reselect_keeps_pins = card->img.reselect_keeps_pins;
    info->unverified_sign_sw = card->img.unverified_sign_sw;
    info->select_fci = card->img.select_fci;
    info->serial_ap = card->img.serial_ap;
    info->sign_sfi = card->img.sign_sfi;
    memcpy(info->ef0008, card->img.ef0008, sizeof info->ef0008);
    info->sign_v15_only = card->img.sign_v15_only;
    info->pinpad = card->img.pinpad;
    info->ec = EVP_PKEY_is_a(card->img.key[EMU_PIN_AUTH], "EC");
    info->ec_sig_der = card->img.ec_sig_der;
    snprintf(info->serial, sizeof info->serial, "%s", card->img.serial);
    return EMU_OK;
}

const char *emu_strerror(emu_rv rv)
{
    switch (rv) {
    case EMU_OK: return "success";
    case EMU_ERR_ARGS: return "bad arguments";
    case EMU_ERR_IO: return "card image cannot be read or written";
    case EMU_ERR_FORMAT:
        return "card image corrupt, truncated or not an image";
    case EMU_ERR_VERSION: return "card image has an unknown format version";
    case EMU_ERR_CRYPTO: return "cryptographic operation failed";
    case EMU_ERR_MEMORY: return "out of memory";
    case EMU_ERR_GONE: return "the card is gone (removed or without power)";
    }
    return "unknown error";
}
