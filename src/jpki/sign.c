/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign.c - COMPUTE DIGITAL SIGNATURE with one of the card's two keys.
 * P1 picks how the card pads (docs/card.md): 00 PKCS#1 v1.5 over the
 * DigestInfo given, 04 RSASSA-PSS over a SHA-256 hash. The card offers no
 * raw RSA and no decryption.
 *
 * The key is named in P2 by its short EF identifier (80|SFI: 97 for EF
 * 0017, 9A for EF 001A), so no SELECT goes before the signature: one
 * round trip less (docs/card.md, one public source). A card that refuses
 * that form is asked once more the classic way, SELECT of the key EF and
 * P2 80; when that works the card's refusal is remembered (cardfacts.c)
 * and later signatures go the classic way at once. Neither way sends a
 * VERIFY, so the fallback costs no PIN try, and the fallback selects the
 * very key the caller asked for.
 *
 * PSS rests on one public source too. A card that does not know P1 04
 * answers "not supported" (6A86 wrong P1-P2, or 6A81 function / 6D00
 * instruction not supported) in both forms: that is remembered for the
 * card (JPKI_FACT_NO_PSS) and the card is not asked again. A 69xx is never
 * read as a refusal of the scheme: it is the PIN (or the state) the card
 * is talking about.
 */
#include "jpki/jpki.h"

#include "jpki/card_priv.h"

#define P2_SELECTED 0x80 /* the key EF that is current */

static uint8_t key_sfi_p2(jpki_key key)
{
    return (uint8_t)(0x80 |
                     ((key == JPKI_AUTH ? EF_AUTH_KEY : EF_SIGN_KEY) & 0x1F));
}

/* How a card that does not take P2 = 80|SFI answers it: wrong P1-P2 (what
 * the emulator's switch answers, as a card does for a P2 it does not
 * know), function not supported, no such file (the SFI), wrong data,
 * instruction or offset. Every 69xx keeps its meaning, "not allowed now"
 * (a lost login): a card may answer a signature without its PIN with any
 * of them, 6986 included, and a second try would only be refused again. */
static int refuses_sfi(uint16_t sw)
{
    return sw == 0x6A86 || sw == 0x6A81 || sw == 0x6A82 || sw == 0x6A80 ||
           sw == 0x6D00 || sw == 0x6B00;
}

/* How a card that does not know a scheme (P1) answers, in the classic
 * form, where P2 cannot be what it refuses. */
static int refuses_scheme(uint16_t sw)
{
    return sw == 0x6A86 || sw == 0x6A81 || sw == 0x6D00;
}

static int input_ok(jpki_scheme scheme, size_t in_len)
{
    if (scheme == JPKI_SCHEME_PSS_SHA256)
        return in_len == JPKI_SHA256_LEN;
    return scheme == JPKI_SCHEME_PKCS1 && in_len && in_len <= 255;
}

static jpki_rv send_sign(jpki_card *c, jpki_scheme scheme, uint8_t p2,
                         const uint8_t *in, size_t in_len, uint8_t *sig,
                         size_t cap, size_t *got, uint16_t *sw)
{
    apdu_cmd cmd = { .cla = 0x80,
                     .ins = 0x2A,
                     .p1 = (uint8_t)scheme,
                     .p2 = p2,
                     .data = in,
                     .lc = in_len,
                     .le = APDU_SHORT_MAX };

    return jpki_send_apdu(c, &cmd, sig, cap, got, sw);
}

/* Inside the transaction: the signature by SFI, else the classic way. */
static jpki_rv sign_in_transaction(jpki_card *c, jpki_key key,
                                   jpki_scheme scheme, const uint8_t *in,
                                   size_t in_len, uint8_t *sig, size_t cap,
                                   size_t *got, uint16_t *sw)
{
    int by_sfi = !jpki_card_knows(c, JPKI_FACT_NO_SFI);
    jpki_rv rv;

    if (by_sfi) {
        rv = c->ap_selected ? JPKI_OK : jpki_ensure_ap(c);
        if (rv == JPKI_OK)
            rv = send_sign(c, scheme, key_sfi_p2(key), in, in_len, sig, cap,
                           got, sw);
        if (rv != JPKI_OK || !refuses_sfi(*sw))
            return rv;
    }
    /* The key EF must be the current file when the command comes. */
    rv = jpki_select_ef(c, key == JPKI_AUTH ? EF_AUTH_KEY : EF_SIGN_KEY);
    if (rv == JPKI_OK)
        rv = send_sign(c, scheme, P2_SELECTED, in, in_len, sig, cap, got, sw);
    /* Only a signature made the classic way proves that the card refused
     * the form and not, say, that another application was current (or, a
     * refused P1 04 in both forms, that it does not know PSS). */
    if (by_sfi && rv == JPKI_OK && *sw == SW_OK && *got > 0)
        jpki_card_learn(c, JPKI_FACT_NO_SFI);
    return rv;
}

jpki_rv jpki_card_sign(jpki_card *c, jpki_key key, jpki_scheme scheme,
                       const uint8_t *in, size_t in_len, uint8_t *sig,
                       size_t *sig_len)
{
    unsigned long resets;
    size_t got = 0;
    uint16_t sw = 0;
    jpki_rv rv;

    if (!c || !in || !input_ok(scheme, in_len) || !sig || !sig_len ||
        !jpki_key_valid(key))
        return JPKI_ERR_ARGS;
    if (scheme == JPKI_SCHEME_PSS_SHA256 &&
        jpki_card_knows(c, JPKI_FACT_NO_PSS))
        return JPKI_ERR_UNSUPPORTED; /* learnt before: not asked again */
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    resets = c->resets;
    rv = sign_in_transaction(c, key, scheme, in, in_len, sig, *sig_len, &got,
                             &sw);
    jpki_card_end(c);
    if (jpki_reset_midway(c, resets, rv))
        return JPKI_ERR_SECURITY; /* reset under us: the PIN is gone */
    if (rv != JPKI_OK)
        return rv;
    /* 6982, or another 69xx (a card may answer a signature without its
     * PIN with any "command not allowed" word): the key is not usable
     * now, which is a login lost, not a broken card. */
    if (SW1(sw) == 0x69)
        return JPKI_ERR_SECURITY;
    if (scheme == JPKI_SCHEME_PSS_SHA256 && refuses_scheme(sw)) {
        jpki_card_learn(c, JPKI_FACT_NO_PSS);
        return JPKI_ERR_UNSUPPORTED;
    }
    if (sw != SW_OK)
        return JPKI_ERR_CARD;
    if (got == 0)
        return JPKI_ERR_BAD_DATA;
    *sig_len = got;
    return JPKI_OK;
}
