/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * token_info.c - the emulated card's EF 0006, the token-information file
 * (docs/card.md, docs/emulator.md).
 */
#include "emu/card_model.h"

#include <string.h>

/* EF 0006: a CK_TOKEN_INFO with 32-bit big-endian integers. Only the
 * label is known from real cards; the rest is plausible filler (text fields
 * space padded, counts and memory "unavailable", versions in ASCII). */
void emu_token_info_build(const emu_image *img,
                          uint8_t t[EMU_TOKEN_INFO_EF_LEN])
{
    memset(t, ' ', 32 + 32 + 16 + 16);
    memcpy(t, img->token_info, strlen(img->token_info));
    memcpy(t + 32, "JPKI emulator", 13);
    memcpy(t + 64, "JPKI-AP", 7);
    memcpy(t + 80, img->serial, strlen(img->serial));
    static const uint32_t ints[11] = {
        0x0000040C, /* TOKEN_INITIALIZED | USER_PIN_INITIALIZED | LOGIN_REQUIRED */
        0xFFFFFFFF,      0xFFFFFFFF,
        0xFFFFFFFF,      0xFFFFFFFF, /* session counts */
        EMU_PIN_MAX_LEN, 4,          /* max, min PIN length */
        0xFFFFFFFF,      0xFFFFFFFF,
        0xFFFFFFFF,      0xFFFFFFFF, /* memory */
    };
    uint8_t *p = t + 96;
    for (size_t i = 0; i < 11; i++, p += 4) {
        p[0] = (uint8_t)(ints[i] >> 24);
        p[1] = (uint8_t)(ints[i] >> 16);
        p[2] = (uint8_t)(ints[i] >> 8);
        p[3] = (uint8_t)ints[i];
    }
    memcpy(p, "0301", 4);   /* hardware, firmware version */
    memset(p + 4, ' ', 16); /* utcTime: no clock */
}
