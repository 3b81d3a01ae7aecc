/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slot.c - slots and the cards behind them: presence, insertion and
 * removal, and what a card error means for the sessions on it.
 */
#include "pkcs11/p11.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"

static const char *const token_role[2] = { "User Authentication",
                                           "Digital Signature" };

void p11_pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
    size_t len = strlen(src);

    /* Fixed-width PKCS#11 strings: blank padded, never NUL terminated. */
    memset(dst, ' ', n);
    memcpy(dst, src, len < n ? len : n);
}

/* Everything known about the card is dropped: it is gone or replaced. */
void p11_card_forget(p11_card *c)
{
    int k;

    /* Nothing to log out on a card that is gone: forget the logins first
     * so that closing the sessions sends nothing. */
    p11_card_logged_out(c);
    for (k = 0; k < 2; k++) {
        p11_session_close_token(&c->tok[k]);
        p11_token_free(&c->tok[k]);
    }
    if (c->jc) {
        jpki_card_close(c->jc);
        c->jc = NULL;
        c->generation++;
        c->events |= 3u; /* both slots lost their token */
    }
    c->foreign = 0;
    c->serial[0] = '\0';
    reader_disconnect(c->rd);
}

static void card_insert(p11_card *c)
{
    jpki_rv rv = jpki_card_open(c->rd, &c->jc);

    if (rv == JPKI_OK) {
        if (p11_trust_card_inserted(c))
            return; /* invalid certificate and invalid_cert = hide */
        c->generation++;
        /* A card already there when we first looked is no event. */
        if (c->seen)
            c->events |= 3u;
        JLOG_INFO("JPKI card found in '%s'", c->rd->name);
        return;
    }
    c->jc = NULL;
    if (rv == JPKI_ERR_NOT_JPKI) {
        /* Another kind of card: quietly no token, until it is removed. */
        c->foreign = 1;
        JLOG_DBG("card in '%s' is not a JPKI card", c->rd->name);
    } else if (rv != JPKI_ERR_NO_CARD) {
        JLOG_WARN("card in '%s' cannot be used: %s", c->rd->name,
                  jpki_strerror(rv));
    }
    reader_disconnect(c->rd);
}

/* Brings our view of the reader up to date: a card that went away is
 * forgotten (its sessions closed), a new one is opened. */
void p11_card_refresh(p11_card *c)
{
    int present = 0;

    if (c->gone || reader_present(c->rd, &present) != READER_OK)
        present = 0;
    if (!present) {
        if (c->jc || c->foreign)
            p11_card_forget(c);
    } else if (!c->jc && !c->foreign) {
        card_insert(c);
    }
    c->seen = 1;
}

CK_RV p11_card_error(p11_card *c, jpki_rv rv)
{
    switch (rv) {
    case JPKI_OK: return CKR_OK;
    case JPKI_ERR_ARGS: return CKR_ARGUMENTS_BAD;
    case JPKI_ERR_MEMORY: return CKR_HOST_MEMORY;
    case JPKI_ERR_NO_CARD:
    case JPKI_ERR_REMOVED: p11_card_forget(c); return CKR_DEVICE_REMOVED;
    case JPKI_ERR_PIN_FORMAT:
    case JPKI_ERR_PIN_INCORRECT: return CKR_PIN_INCORRECT;
    case JPKI_ERR_PIN_LOCKED: return CKR_PIN_LOCKED;
    case JPKI_ERR_SECURITY: return CKR_USER_NOT_LOGGED_IN;
    case JPKI_ERR_PIN_CANCELED: return CKR_FUNCTION_CANCELED;
    case JPKI_ERR_UNSUPPORTED: return CKR_MECHANISM_INVALID;
    case JPKI_ERR_NOT_JPKI:
    case JPKI_ERR_BUSY:
    case JPKI_ERR_COMM:
    case JPKI_ERR_NOT_FOUND:
    case JPKI_ERR_CARD:
    case JPKI_ERR_BAD_DATA: break;
    }
    JLOG_ERR("card in '%s': %s", c->rd->name, jpki_strerror(rv));
    return CKR_DEVICE_ERROR;
}

int p11_slot_shown(CK_SLOT_ID id)
{
    if (id / 2 >= p11_g.n_cards)
        return 0;
    return id % 2 == JPKI_AUTH ? p11_g.cfg.show_auth : p11_g.cfg.show_sign;
}

static CK_RV slot_card(CK_SLOT_ID id, p11_card **c)
{
    if (!p11_slot_shown(id))
        return CKR_SLOT_ID_INVALID;
    *c = p11_g.cards[id / 2];
    return CKR_OK;
}

CK_RV p11_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    CK_ULONG n = 0;
    size_t i;
    int k;

    if (!count)
        return CKR_ARGUMENTS_BAD;
    /* Readers plugged in or out since the last look (PC/SC). */
    p11_readers_refresh();
    for (i = 0; i < p11_g.n_cards; i++) {
        p11_card *c = p11_g.cards[i];
        if (c->gone)
            continue; /* an unplugged reader has no slots */
        p11_card_refresh(c);
        for (k = 0; k < 2; k++) {
            if ((present && !c->jc) || !p11_slot_shown(c->tok[k].slot_id))
                continue;
            if (list && n < *count)
                list[n] = c->tok[k].slot_id;
            n++;
        }
    }
    if (list && n > *count) {
        *count = n;
        return CKR_BUFFER_TOO_SMALL;
    }
    *count = n;
    return CKR_OK;
}

CK_RV p11_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
    char desc[160];
    p11_card *c;
    CK_RV rv = info ? slot_card(id, &c) : CKR_ARGUMENTS_BAD;

    if (rv != CKR_OK)
        return rv;
    p11_card_refresh(c);
    memset(info, 0, sizeof(*info));
    snprintf(desc, sizeof(desc), "%s (%s)", c->rd->name, token_role[id % 2]);
    p11_pad(info->slotDescription, sizeof(info->slotDescription), desc);
    p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
            reader_labels_of(c->rd)->slot_maker);
    info->flags = CKF_REMOVABLE_DEVICE;
    if (reader_labels_of(c->rd)->hardware)
        info->flags |= CKF_HW_SLOT;
    if (c->jc)
        info->flags |= CKF_TOKEN_PRESENT;
    info->hardwareVersion.major = 0;
    info->firmwareVersion.major = 0;
    return CKR_OK;
}

CK_RV p11_token_get(CK_SLOT_ID id, p11_token **tok)
{
    p11_card *c;
    CK_RV rv = slot_card(id, &c);

    if (rv != CKR_OK)
        return rv;
    p11_card_refresh(c);
    if (!c->jc)
        return CKR_TOKEN_NOT_PRESENT;
    *tok = &c->tok[id % 2];
    return CKR_OK;
}

CK_RV p11_token_check(p11_token *tok)
{
    p11_card *c = tok->card;

    p11_card_refresh(c);
    return c->jc ? CKR_OK : CKR_DEVICE_REMOVED;
}
