/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cardfacts.c - what the module has learnt about a card by using it (jpki.h,
 * JPKI_FACT_*): that it refuses a command form every card was expected to
 * take. A fact is learnt once and then spares every later operation, in
 * this process and in the next ones, the attempt that is known to fail.
 *
 * The record is a 4-byte big-endian bit set kept in memory and, like the
 * card id, with the card's public files in the certificate cache
 * (cache.c), so it belongs to one card insertion and goes with it. With
 * the cache off, a fact lives as long as the process. Facts are only ever
 * added: a card that learns nothing costs nothing (no cache write).
 */
#include "jpki/jpki.h"

#include "jpki/card_priv.h"

static void load(jpki_card *c)
{
    const uint8_t *p;
    size_t n;

    if (c->facts_loaded)
        return;
    c->facts_loaded = 1;
    if (jpki_cache_get(c->cache, JPKI_CACHE_CARD_FACTS, &p, &n) && n == 4)
        c->facts |= (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
                    (unsigned)p[2] << 8 | p[3];
}

int jpki_card_knows(jpki_card *c, unsigned fact)
{
    if (!c)
        return 0;
    load(c);
    return (c->facts & fact) != 0;
}

void jpki_card_learn(jpki_card *c, unsigned fact)
{
    uint8_t rec[4];

    if (!c)
        return;
    load(c);
    if ((c->facts & fact) == fact)
        return;
    c->facts |= fact;
    rec[0] = (uint8_t)(c->facts >> 24);
    rec[1] = (uint8_t)(c->facts >> 16);
    rec[2] = (uint8_t)(c->facts >> 8);
    rec[3] = (uint8_t)c->facts;
    jpki_cache_put(c->cache, JPKI_CACHE_CARD_FACTS, rec, sizeof(rec));
    /* Written at once (rare: once per card), even inside a transaction,
     * so a process that is killed later has not learnt in vain. */
    jpki_cache_flush(c->cache);
}
