/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hotplug.c - PC/SC readers plugged in and out while the module runs.
 *
 * Slot ids are 2 * reader index + key, and a reader keeps its index for the
 * module's lifetime:
 *  - a reader that appears gets the next index (new slot ids);
 *  - a reader that disappears is marked gone: its card is forgotten (the
 *    sessions on it become invalid) and its slots leave C_GetSlotList; its
 *    ids stay valid for C_GetSlotInfo (no token);
 *  - a reader that comes back under the same name (replugged, or pcscd
 *    restarted) gets its old index, so its old slot ids, back; sessions from
 *    before stay invalid, the card in it is opened afresh.
 * Every appearance and disappearance is a slot event for both its slots.
 */
#include "pkcs11/p11.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

CK_RV p11_card_add(reader *r)
{
    p11_card **grown, *c;
    size_t i = p11_g.n_cards;
    int k;

    grown = realloc(p11_g.cards, (i + 1) * sizeof *grown);
    if (!grown)
        return CKR_HOST_MEMORY;
    p11_g.cards = grown;
    if (!(c = calloc(1, sizeof *c)))
        return CKR_HOST_MEMORY;
    c->rd = r;
    for (k = 0; k < 2; k++) {
        c->tok[k].card = c;
        c->tok[k].key = (jpki_key)k;
        c->tok[k].slot_id = (CK_SLOT_ID)(2 * i + (size_t)k);
        c->tok[k].pin_tries = -1;
    }
    if (r->flags & READER_FLAG_EMULATED)
        p11_g.has_emulator = 1;
    p11_g.cards[p11_g.n_cards++] = c;
    return CKR_OK;
}

static int listed(const char *names, const char *name)
{
    const char *n;

    for (n = names; n && *n; n += strlen(n) + 1)
        if (strcmp(n, name) == 0)
            return 1;
    return 0;
}

static p11_card *find_by_name(const char *name)
{
    size_t i;

    for (i = 0; i < p11_g.n_cards; i++) {
        p11_card *c = p11_g.cards[i];
        if (!(c->rd->flags & READER_FLAG_EMULATED) &&
            strcmp(c->rd->name, name) == 0)
            return c;
    }
    return NULL;
}

void p11_readers_refresh(void)
{
    char *names = NULL;
    const char *n;
    reader_rv rv;
    size_t i;

    if (!p11_g.cfg.pcsc)
        return;
    rv = reader_pcsc_names(p11_g.cfg.readers_allow, p11_g.cfg.readers_deny,
                           &names);
    if (rv != READER_OK && rv != READER_ERR_NO_SERVICE)
        return; /* out of memory: keep what we know */
    /* Without pcscd no reader is there. */
    for (i = 0; i < p11_g.n_cards; i++) {
        p11_card *c = p11_g.cards[i];
        if ((c->rd->flags & READER_FLAG_EMULATED) || c->gone ||
            listed(names, c->rd->name))
            continue;
        JLOG_INFO("reader '%s' went away", c->rd->name);
        p11_card_forget(c);
        reader_disconnect(c->rd);
        c->gone = 1;
        c->events |= 3u;
    }
    for (n = names; n && *n; n += strlen(n) + 1) {
        p11_card *c = find_by_name(n);
        reader *r = NULL;
        if (c && !c->gone)
            continue;
        if (c) {
            JLOG_INFO("reader '%s' is back", n);
            c->gone = 0;
            c->seen = 1;
            c->events |= 3u;
            continue;
        }
        if (reader_pcsc_new(n, &r) != READER_OK)
            break;
        if (p11_card_add(r) != CKR_OK) {
            reader_free(r);
            break;
        }
        c = p11_g.cards[p11_g.n_cards - 1];
        /* Readers there at C_Initialize are no event; later ones are. */
        if (p11_g.initialized) {
            JLOG_INFO("reader '%s' plugged in", n);
            c->seen = 1;
            c->events |= 3u;
        }
    }
    free(names);
}
