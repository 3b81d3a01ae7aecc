/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign.c - COMPUTE DIGITAL SIGNATURE with one of the card's two keys.
 * The card takes a DigestInfo, pads it (PKCS#1 v1.5 type 1) itself and
 * returns the signature; it offers no raw RSA, PSS or decryption.
 */
#include "jpki/jpki.h"

#include "jpki/card_priv.h"

jpki_rv jpki_card_sign(jpki_card *c, jpki_key key, const uint8_t *in,
                       size_t in_len, uint8_t *sig, size_t *sig_len)
{
    apdu_cmd cmd = { .cla = 0x80,
                     .ins = 0x2A,
                     .p1 = 0x00,
                     .p2 = 0x80,
                     .data = in,
                     .lc = in_len,
                     .le = APDU_SHORT_MAX };
    unsigned long resets;
    size_t got = 0;
    uint16_t sw;
    jpki_rv rv;

    if (!c || !in || !in_len || in_len > 255 || !sig || !sig_len ||
        !jpki_key_valid(key))
        return JPKI_ERR_ARGS;
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
    if (sw != SW_OK)
        return JPKI_ERR_CARD;
    if (got == 0)
        return JPKI_ERR_BAD_DATA;
    *sig_len = got;
    return JPKI_OK;
}
