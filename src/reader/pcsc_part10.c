/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_part10.c - PC/SC part 10 feature TLVs, the CCID PIN_VERIFY and
 * PIN_MODIFY structures (USB CCID 1.1, 6.1.11.7/8: packed, multi-byte fields
 * little-endian), and the reader-name filter. Pure functions.
 */
#include "reader/pcsc_part10.h"

#include <string.h>

int pcsc_parse_features(const uint8_t *buf, size_t len, pcsc_features *f)
{
    size_t i = 0;

    memset(f, 0, sizeof *f);
    if (!buf && len)
        return -1;
    while (i < len) {
        uint32_t code;
        if (len - i < 2 || buf[i + 1] != 4 || len - i - 2 < 4) {
            memset(f, 0, sizeof *f);
            return -1;
        }
        code = (uint32_t)buf[i + 2] << 24 | (uint32_t)buf[i + 3] << 16 |
               (uint32_t)buf[i + 4] << 8 | buf[i + 5];
        if (buf[i] == PCSC_FEATURE_VERIFY_PIN_DIRECT)
            f->verify_pin_direct = code;
        else if (buf[i] == PCSC_FEATURE_MODIFY_PIN_DIRECT)
            f->modify_pin_direct = code;
        i += 6;
    }
    return 0;
}

static void put_le16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v & 0xFFFF);
    put_le16(p + 2, v >> 16);
}

#define PIN_TIMEOUT_S 30 /* bTimerOut: seconds for the whole entry */
#define PIN_FORMAT_ASCII                                                      \
    0x82                      /* bmFormatString: units of bytes, PIN at
                                    offset 0 of the block, left, ASCII */
#define PIN_VALIDATE_KEY 0x02 /* bEntryValidationCondition: OK key */
#define PIN_LANG_EN_US 0x0409

/* The part both structures share: format, block, length format. */
static int pin_block(const reader_pinpad_req *req, uint8_t *block_size)
{
    if (req->min_len < 1 || req->max_len > 16 || req->min_len > req->max_len)
        return -1;
    /* Fixed length: a block of that size. Variable: block size 0, only the
     * characters typed go to the card, and the reader sets Lc. */
    *block_size = req->min_len == req->max_len ? (uint8_t)req->max_len : 0;
    return 0;
}

/* abData: the command header, Lc = the block size, and the block's
 * placeholder bytes (overwritten by the reader). Returns its length. */
static size_t apdu_template(const reader_pinpad_req *req, uint8_t block,
                            uint8_t *out)
{
    out[0] = req->cla;
    out[1] = req->ins;
    out[2] = req->p1;
    out[3] = req->p2;
    out[4] = block;
    memset(out + 5, 0xFF, block);
    return 5u + block;
}

size_t pcsc_build_verify(const reader_pinpad_req *req, uint8_t *out,
                         size_t cap)
{
    uint8_t block;
    size_t data_len;

    if (!req || !out || pin_block(req, &block) != 0 ||
        cap < PCSC_VERIFY_HDR + 5u + block)
        return 0;
    memset(out, 0, PCSC_VERIFY_HDR);
    out[0] = PIN_TIMEOUT_S;    /* bTimerOut */
    out[1] = PIN_TIMEOUT_S;    /* bTimerOut2 */
    out[2] = PIN_FORMAT_ASCII; /* bmFormatString */
    out[3] = block;            /* bmPINBlockString: no length
                                               field, block size */
    out[4] = 0x00;             /* bmPINLengthFormat */
    put_le16(out + 5, (unsigned)(req->min_len << 8 | req->max_len));
    /* wPINMaxExtraDigit */
    out[7] = PIN_VALIDATE_KEY;         /* bEntryValidationCondition */
    out[8] = 0x01;                     /* bNumberMessage */
    put_le16(out + 9, PIN_LANG_EN_US); /* wLangId */
    out[11] = 0x00;                    /* bMsgIndex */
    /* out[12..14]: bTeoPrologue, zero for T=0/T=1 short APDUs */
    data_len = apdu_template(req, block, out + PCSC_VERIFY_HDR);
    put_le32(out + 15, (uint32_t)data_len); /* ulDataLength */
    return PCSC_VERIFY_HDR + data_len;
}

size_t pcsc_build_modify(const reader_pinpad_req *req, uint8_t *out,
                         size_t cap)
{
    uint8_t block;
    size_t data_len;

    if (!req || !out || pin_block(req, &block) != 0 ||
        cap < PCSC_MODIFY_HDR + 5u + block)
        return 0;
    memset(out, 0, PCSC_MODIFY_HDR);
    out[0] = PIN_TIMEOUT_S;    /* bTimerOut */
    out[1] = PIN_TIMEOUT_S;    /* bTimerOut2 */
    out[2] = PIN_FORMAT_ASCII; /* bmFormatString */
    out[3] = block;            /* bmPINBlockString */
    out[4] = 0x00;             /* bmPINLengthFormat */
    out[5] = 0x00;             /* bInsertionOffsetOld: unused */
    out[6] = 0x00;             /* bInsertionOffsetNew: at 0 */
    put_le16(out + 7, (unsigned)(req->min_len << 8 | req->max_len));
    /* wPINMaxExtraDigit */
    out[9] = 0x01;                      /* bConfirmPIN: confirm, no
                                               current PIN */
    out[10] = PIN_VALIDATE_KEY;         /* bEntryValidationCondition */
    out[11] = 0x02;                     /* bNumberMessage: new, confirm */
    put_le16(out + 12, PIN_LANG_EN_US); /* wLangId */
    out[14] = 0x01;                     /* bMsgIndex1: "enter new PIN" */
    out[15] = 0x02;                     /* bMsgIndex2: "confirm" */
    out[16] = 0x02;                     /* bMsgIndex3 (unused) */
    /* out[17..19]: bTeoPrologue */
    data_len = apdu_template(req, block, out + PCSC_MODIFY_HDR);
    put_le32(out + 20, (uint32_t)data_len); /* ulDataLength */
    return PCSC_MODIFY_HDR + data_len;
}
