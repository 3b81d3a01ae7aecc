/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * emu.c - reader backend that hands APDUs to the bundled emulator (src/emu)
 * in this process. Used only when JPKI_PKCS11_EMULATOR names a card image.
 *
 * The card is "present" while its image file exists: renaming the image
 * away pulls the card out, putting it back inserts it (a fresh power-up).
 */
#include "reader/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileutil.h"
#include "common/log.h"
#include "emu/emu.h"

typedef struct {
    char *path;
    emu_card *card;
    int locked;
    char last_error[256]; /* said once, not at every presence check */
    int seen;             /* the image has loaded once: missing = pulled out */
    char ident[192];      /* this insertion: see emu_identity */
} emu_priv;

/* An emulated card's insertion is the image file as it was when loaded:
 * path, device, inode, size and modification time (a save renames a new
 * file into place, so any change to the image, another image copied over
 * it, or another card image under that name gives another identity). The
 * file is looked at before and after loading: if it changed meanwhile the
 * insertion has no identity (no cache) rather than a wrong one. */
static void file_ident(const char *path, char *out, size_t cap)
{
    fu_ident id;

    if (fu_ident_path(path, &id) != 0) {
        out[0] = '\0';
        return;
    }
    snprintf(out, cap, "emu:%s:%ju:%ju:%jd:%jd.%09ld", path, (uintmax_t)id.dev,
             (uintmax_t)id.ino, (intmax_t)id.size,
             (intmax_t)(id.mtime_ns / 1000000000),
             (long)(id.mtime_ns % 1000000000));
}

/* A path that never named an image is a mistake in the setting, not an
 * empty slot: say so once. After the image has loaded, a missing file is
 * a card pulled out, which needs no word. */
static void note_missing(emu_priv *p)
{
    if (!p->seen && strcmp(p->last_error, "missing") != 0)
        JLOG_ERR(
            "emulator card image %s (JPKI_PKCS11_EMULATOR) does not exist; "
            "its slot stays empty until it does",
            p->path);
    snprintf(p->last_error, sizeof(p->last_error), "missing");
}

static reader_rv emu_connect(reader *r)
{
    emu_priv *p = r->priv;
    char err[256];

    char before[sizeof(p->ident)];

    if (access(p->path, F_OK) != 0) {
        note_missing(p);
        return READER_ERR_NO_CARD;
    }
    file_ident(p->path, before, sizeof(before));
    if (emu_card_load(p->path, &p->card, err, sizeof(err)) != EMU_OK) {
        /* A broken image is a card that does not answer: say why, once. */
        if (strcmp(err, p->last_error) != 0)
            JLOG_ERR("emulator card: %s", err);
        snprintf(p->last_error, sizeof(p->last_error), "%s", err);
        return READER_ERR_NO_CARD;
    }
    p->last_error[0] = '\0';
    p->seen = 1;
    file_ident(p->path, p->ident, sizeof(p->ident));
    if (strcmp(before, p->ident) != 0)
        p->ident[0] = '\0';
    if (emu_card_has_pinpad(p->card))
        r->flags |= READER_FLAG_PINPAD | READER_FLAG_PINPAD_MODIFY;
    return READER_OK;
}

static void emu_disconnect(reader *r)
{
    emu_priv *p = r->priv;

    emu_card_free(p->card);
    p->card = NULL;
    p->ident[0] = '\0';
    r->flags &= ~(READER_FLAG_PINPAD | READER_FLAG_PINPAD_MODIFY);
}

static reader_rv emu_begin(reader *r)
{
    emu_priv *p = r->priv;

    if (!p->card)
        return READER_ERR_NO_CARD;
    /* The image vanished: the card was pulled out. */
    if (access(p->path, F_OK) != 0 || emu_card_lock(p->card) != EMU_OK)
        return READER_ERR_REMOVED;
    p->locked = 1;
    return READER_OK;
}

static void emu_end(reader *r)
{
    emu_priv *p = r->priv;

    if (p->locked && p->card)
        emu_card_unlock(p->card);
    p->locked = 0;
}

static reader_rv emu_transmit(reader *r, const uint8_t *cmd, size_t cmd_len,
                              uint8_t *rsp, size_t *rsp_len)
{
    emu_priv *p = r->priv;
    uint8_t buf[EMU_RSP_MAX];
    size_t n = sizeof(buf);

    if (!p->card)
        return READER_ERR_NO_CARD;
    if (access(p->path, F_OK) != 0)
        return READER_ERR_REMOVED;
    switch (emu_card_transmit(p->card, cmd, cmd_len, buf, &n)) {
    case EMU_OK: break;
    case EMU_ERR_GONE:
        return READER_ERR_REMOVED; /* a fault test pulled the card */
    default: return READER_ERR_COMM;
    }
    if (n > *rsp_len)
        return READER_ERR_COMM;
    memcpy(rsp, buf, n);
    *rsp_len = n;
    return READER_OK;
}

static reader_rv keypad_rv(emu_rv rv)
{
    switch (rv) {
    case EMU_OK: return READER_OK;
    case EMU_ERR_GONE: return READER_ERR_REMOVED;
    default: return READER_ERR_COMM;
    }
}

/* The simulated keypad "types" the image's PIN for req->which. */
static reader_rv emu_pinpad_verify(reader *r, const reader_pinpad_req *req,
                                   uint16_t *sw)
{
    emu_priv *p = r->priv;

    if (!p->card)
        return READER_ERR_NO_CARD;
    return keypad_rv(emu_card_pinpad_verify(p->card, (int)req->which, sw));
}

/* ... and a new PIN for a change (emu.h: JPKI_EMU_PINPAD_NEW_PIN). */
static reader_rv emu_pinpad_modify(reader *r, const reader_pinpad_req *req,
                                   uint16_t *sw)
{
    emu_priv *p = r->priv;

    if (!p->card)
        return READER_ERR_NO_CARD;
    return keypad_rv(emu_card_pinpad_modify(p->card, (int)req->which, sw));
}

/* The emulated card's warm reset: no application, no PIN verified. */
static reader_rv emu_reset(reader *r)
{
    emu_priv *p = r->priv;

    if (!p->card)
        return READER_ERR_NO_CARD;
    if (access(p->path, F_OK) != 0)
        return READER_ERR_REMOVED;
    emu_card_reset(p->card);
    return READER_OK;
}

static reader_rv emu_present(reader *r, int *present)
{
    emu_priv *p = r->priv;

    *present = access(p->path, F_OK) == 0;
    if (!*present)
        note_missing(p);
    return READER_OK;
}

static reader_rv emu_identity(reader *r, char *buf, size_t cap)
{
    emu_priv *p = r->priv;

    if (!p->card || !p->ident[0] || strlen(p->ident) >= cap)
        return READER_ERR_ARGS;
    memcpy(buf, p->ident, strlen(p->ident) + 1);
    return READER_OK;
}

static void emu_destroy(reader *r)
{
    emu_priv *p = r->priv;

    emu_card_free(p->card);
    free(p->path);
    free(p);
    free(r);
}

/* A software slot, and a card that says where it comes from. */
static const reader_labels emu_labels = { "jpki-pkcs11 emulator", 0,
                                          "jpki-pkcs11", "JPKI emulator" };

static const reader_ops emu_ops = {
    .connect = emu_connect,
    .disconnect = emu_disconnect,
    .transmit = emu_transmit,
    .begin = emu_begin,
    .end = emu_end,
    .pinpad_verify = emu_pinpad_verify,
    .pinpad_modify = emu_pinpad_modify,
    .reset = emu_reset,
    .present = emu_present,
    .identity = emu_identity,
    .destroy = emu_destroy,
    .labels = &emu_labels,
};

reader_rv reader_emu_new(const char *image_path, reader **out)
{
    const char *base;
    reader *r;
    emu_priv *p;

    if (!image_path || !*image_path || !out)
        return READER_ERR_ARGS;
    r = calloc(1, sizeof(*r));
    p = calloc(1, sizeof(*p));
    if (!r || !p || !(p->path = strdup(image_path))) {
        free(r);
        free(p);
        return READER_ERR_MEMORY;
    }
    r->ops = &emu_ops;
    r->priv = p;
    r->flags = READER_FLAG_EMULATED;
    /* The file name only: slot descriptions have 64 characters. */
    base = strrchr(image_path, '/');
    snprintf(r->name, sizeof(r->name), "JPKI emulator (%s)",
             base ? base + 1 : image_path);
    *out = r;
    return READER_OK;
}
