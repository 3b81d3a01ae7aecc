/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * certmap.c - which certificates the card carries (jpki.h,
 * jpki_card_has_cert), from EF 0008 (docs/card.md: 3 bytes, 8F 8F 00 on a
 * card with both; byte 0 the signature certificate, byte 1 the
 * authentication one; anything but 8F: absent; one public source).
 *
 * A child under 15 gets no signature certificate, and an adult may decline
 * either certificate. Such a card has no key and no PIN to go with it, so
 * the module must not offer a token there, nor ask for its PIN.
 *
 * The file is free to read and public (the same on every card that carries
 * the same certificates), so it is cached with the other public files: a
 * warm process reads nothing. The authentication certificate is free to
 * read, and its first chunk is read anyway (the card id, the certificate):
 * for that token the file is asked only when the certificate answered "not
 * found" (so one wrong answer never hides a token: the file decides). Defensive where the source is thin: a card
 * without the file, or with an answer that cannot be read, counts as
 * carrying both certificates, which is how the module behaved before it
 * knew of the file; only an explicit "not 8F" hides a token.
 */
#include "jpki/jpki.h"

#include <string.h>

#include "jpki/card_priv.h"

#define CERT_MAP_LEN 3
#define CERT_PRESENT 0x8F

/* EF 0008 into map (CERT_MAP_LEN bytes); *got its length. */
static jpki_rv read_map(jpki_card *c, uint8_t *map, size_t *got)
{
    const uint8_t *cached;
    unsigned long resets;
    jpki_rv rv;

    if (jpki_cache_get(c->cache, EF_CERT_MAP, &cached, got) &&
        *got <= CERT_MAP_LEN) {
        memcpy(map, cached, *got);
        return JPKI_OK;
    }
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    for (int attempt = 0; attempt < 2; attempt++) {
        resets = c->resets;
        rv = jpki_select_ef(c, EF_CERT_MAP);
        if (rv == JPKI_OK)
            rv = jpki_read_binary(c, 0, CERT_MAP_LEN, map, got);
        if (!jpki_reset_midway(c, resets, rv)) /* public: read it again */
            break;
    }
    jpki_card_end(c);
    if (rv == JPKI_OK) {
        jpki_cache_put(c->cache, EF_CERT_MAP, map, *got);
        jpki_cache_flush(c->cache);
    }
    return rv;
}

/* The authentication certificate without EF 0008: 1 when it is known to
 * be there (*present = 1), 0 when the file must tell. */
static int auth_known(jpki_card *c, int *present)
{
    const uint8_t *p;
    size_t n;

    if (c->auth_cert_absent ||
        jpki_cache_get(c->cache, EF_CERT_MAP, &p, &n)) /* free: cached */
        return 0;
    if (!c->auth_head_len && !jpki_card_is_smartphone(c) &&
        !jpki_cache_get(c->cache, EF_AUTH_CERT, &p, &n) &&
        jpki_read_auth_head(c) != JPKI_OK && c->auth_cert_absent)
        return 0; /* read for the card id and the certificate anyway */
    *present = 1;
    return 1;
}

jpki_rv jpki_card_has_cert(jpki_card *c, jpki_key key, int *present)
{
    uint8_t map[CERT_MAP_LEN];
    size_t got = 0, byte;
    jpki_rv rv;

    if (!c || !present || (key != JPKI_AUTH && key != JPKI_SIGN))
        return JPKI_ERR_ARGS;
    *present = 1;
    if (key == JPKI_AUTH && !c->map_known && auth_known(c, present))
        return JPKI_OK;
    if (!c->map_known) {
        rv = read_map(c, map, &got);
        if (rv == JPKI_ERR_NOT_FOUND || rv == JPKI_ERR_CARD ||
            rv == JPKI_ERR_BAD_DATA || rv == JPKI_ERR_SECURITY)
            got = 0; /* no usable file: both present, as before */
        else if (rv != JPKI_OK)
            return rv; /* the card is gone or busy: ask again later */
        c->map[0] = c->map[1] = CERT_PRESENT;
        memcpy(c->map, map, got < 2 ? got : 2);
        c->map_known = 1;
    }
    byte = key == JPKI_SIGN ? 0 : 1;
    *present = c->map[byte] == CERT_PRESENT;
    return JPKI_OK;
}
