/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_part10.h - pure helpers of the PC/SC backend: the PC/SC part 10
 * feature list (PIN-pad readers), the CCID PIN_VERIFY/PIN_MODIFY structures
 * sent with SCardControl, and the reader-name filter of the configuration.
 * No PC/SC calls here, so unit tests can check them byte by byte.
 */
#ifndef JPKI_PCSC_PART10_H
#define JPKI_PCSC_PART10_H

#include <stddef.h>
#include <stdint.h>

#include "reader/reader.h"

/* PC/SC part 10 feature tags. */
#define PCSC_FEATURE_VERIFY_PIN_DIRECT 0x06
#define PCSC_FEATURE_MODIFY_PIN_DIRECT 0x07

/* Control codes a reader announces (0: the feature is absent). */
typedef struct {
    uint32_t verify_pin_direct;
    uint32_t modify_pin_direct;
} pcsc_features;

/* Parses the answer to CM_IOCTL_GET_FEATURE_REQUEST: a list of
 * tag (1 byte), length (1 byte, must be 4), control code (4 bytes,
 * big-endian). Unknown tags are skipped. Returns 0, or -1 for a malformed
 * list (then *f is all zero: no feature is trusted from a broken answer). */
int pcsc_parse_features(const uint8_t *buf, size_t len, pcsc_features *f);

/* Size of PIN_VERIFY_STRUCTURE and PIN_MODIFY_STRUCTURE before abData. */
#define PCSC_VERIFY_HDR 19
#define PCSC_MODIFY_HDR 24
#define PCSC_PIN_STRUCT_MAX 64

/* Build the CCID PIN_VERIFY_STRUCTURE for a VERIFY (header req->cla..p2)
 * whose PIN is req->min_len..req->max_len ASCII characters. A fixed-length
 * PIN (min == max) gets a PIN block of that size (Lc = length); a variable
 * one a block size of 0 (the reader sends exactly the characters typed and
 * sets Lc). Returns the structure's length, 0 if req is out of range. */
size_t pcsc_build_verify(const reader_pinpad_req *req, uint8_t *out,
                         size_t cap);

/* The same for PIN_MODIFY_STRUCTURE: a command carrying only the new PIN
 * (JPKI's CHANGE REFERENCE DATA after a VERIFY), entered twice on the
 * keypad (bConfirmPIN = 1: confirmation, no current-PIN entry). */
size_t pcsc_build_modify(const reader_pinpad_req *req, uint8_t *out,
                         size_t cap);

#endif
