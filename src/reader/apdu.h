/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apdu.h - ISO 7816-4 command/response APDUs.
 *
 * Encoding of cases 1-4 in short and extended form, status-word helpers, and
 * apdu_transmit(), which handles 61xx (GET RESPONSE) and 6Cxx (re-issue with
 * the length the card asked for) in one place for every caller. Included by
 * reader.h.
 */
#ifndef JPKI_APDU_H
#define JPKI_APDU_H

#include <stddef.h>
#include <stdint.h>

#include "common/sw.h"
#include "reader/reader.h"

#define APDU_SHORT_MAX 256 /* most data a short APDU can carry */
#define APDU_CMD_MAX (4 + 3 + 65535 + 3)

typedef struct {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data; /* command data, lc bytes (may be NULL if lc == 0) */
    size_t lc;           /* 0..65535 */
    size_t le;           /* 0: no response data expected; 1..65536 */
} apdu_cmd;

#define SW1(sw) ((uint8_t)((sw) >> 8))
#define SW2(sw) ((uint8_t)((sw)&0xFF))

/* Encodes c into buf. Short form when lc <= 255 and le <= 256, extended
 * form otherwise. Returns 0, or -1 if c is invalid or buf is too small. */
int apdu_encode(const apdu_cmd *c, uint8_t *buf, size_t cap, size_t *len);

/* Sends c and collects the response data into rsp (capacity cap). Follows
 * 61xx with GET RESPONSE (appending the pieces) and re-issues once with
 * Le = xx after 6Cxx. *sw receives the final status word. Response data that
 * does not fit in cap is an error (READER_ERR_COMM), never a truncation. */
reader_rv apdu_transmit(reader *r, const apdu_cmd *c, uint8_t *rsp, size_t cap,
                        size_t *rsp_len, uint16_t *sw);

#endif
