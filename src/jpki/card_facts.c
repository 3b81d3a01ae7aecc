/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card_facts.c - what the module learnt about a card by trying a command
 * the card may not know (today: the PSS signature scheme). Each fact saves
 * a refused command, and the user an error, the next time: it is kept in
 * memory for the card and, with the card's public files, in the cache
 * (entry JPKI_CACHE_CARD_FACTS, 4 bytes, a big-endian bit set), so a new
 * process starts knowing it. The cache is keyed by the card's insertion
 * (cache.c): a card pulled out and pushed back is asked once more. Facts
 * are only ever added; none is personal data.
 */
#include "jpki/jpki.h"

#include "jpki/card_priv.h"

#define FACTS_LEN 4

unsigned jpki_card_facts(jpki_card *c)
{
    const uint8_t *p;
    size_t n;

    if (!c)
        return 0;
    if (!c->facts_loaded) {
        c->facts_loaded = 1;
        if (jpki_cache_get(c->cache, JPKI_CACHE_CARD_FACTS, &p, &n) &&
            n == FACTS_LEN)
            c->facts |= (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
                        (unsigned)p[2] << 8 | p[3];
    }
    return c->facts;
}

void jpki_card_learn(jpki_card *c, unsigned fact)
{
    uint8_t b[FACTS_LEN];
    unsigned f;

    if (!c || (jpki_card_facts(c) & fact) == fact)
        return;
    f = c->facts |= fact;
    b[0] = (uint8_t)(f >> 24);
    b[1] = (uint8_t)(f >> 16);
    b[2] = (uint8_t)(f >> 8);
    b[3] = (uint8_t)f;
    jpki_cache_put(c->cache, JPKI_CACHE_CARD_FACTS, b, sizeof(b));
    jpki_cache_flush(c->cache);
}
