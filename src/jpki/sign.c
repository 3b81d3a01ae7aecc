/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign.c - COMPUTE DIGITAL SIGNATURE with one of the card's two keys.
 * P1 picks how the card pads (docs/card.md): 00 PKCS#1 v1.5 over the
 * DigestInfo given, 04 RSASSA-PSS over a SHA-256 hash. The card offers no
 * raw RSA and no decryption.
 *
 * PSS rests on one public source. A card that does not know P1 04 answers
 * "not supported" (6A86 wrong P1-P2, or 6A81 function / 6D00 instruction
 * not supported): that is remembered for the card (card_facts.c) and the
 * card is not asked again. A 69xx is never read as a refusal of the
 * scheme: it is the PIN (or the state) the card is talking about.
 */
#include "jpki/jpki.h"

#include "jpki/card_priv.h"

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

jpki_rv jpki_card_sign(jpki_card *c, jpki_key key, jpki_scheme scheme,
                       const uint8_t *in, size_t in_len, uint8_t *sig,
                       size_t *sig_len)
{
    apdu_cmd cmd = { .cla = 0x80,
                     .ins = 0x2A,
                     .p1 = (uint8_t)scheme,
                     .p2 = 0x80,
                     .data = in,
                     .lc = in_len,
                     .le = APDU_SHORT_MAX };
    unsigned long resets;
    size_t got = 0;
    uint16_t sw;
    jpki_rv rv;

    if (!c || !in || !input_ok(scheme, in_len) || !sig || !sig_len ||
        (key != JPKI_AUTH && key != JPKI_SIGN))
        return JPKI_ERR_ARGS;
    if (scheme == JPKI_SCHEME_PSS_SHA256 &&
        (jpki_card_facts(c) & JPKI_FACT_NO_PSS))
        return JPKI_ERR_UNSUPPORTED; /* learnt before: not asked again */
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    resets = c->resets;
    /* The key EF must be the current file when the command comes. */
    rv = jpki_select_ef(c, key == JPKI_AUTH ? EF_AUTH_KEY : EF_SIGN_KEY);
    if (rv == JPKI_OK)
        rv = jpki_send_apdu(c, &cmd, sig, *sig_len, &got, &sw);
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
        jpki_card_learn(c, JPKI_FACT_NO_PSS); /* outside the transaction */
        return JPKI_ERR_UNSUPPORTED;
    }
    if (sw != SW_OK)
        return JPKI_ERR_CARD;
    if (got == 0)
        return JPKI_ERR_BAD_DATA;
    *sig_len = got;
    return JPKI_OK;
}
