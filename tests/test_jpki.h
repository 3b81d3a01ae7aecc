/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JPKI layer's unit tests, in two files. */
#ifndef JPKI_TEST_JPKI_H
#define JPKI_TEST_JPKI_H

#include <check.h>
#include <stdint.h>

/* SELECT JPKI-AP, as the module sends it. */
#define SELECT_AP "00A4040C0AD392F000260100000001"

/* A SHA-256 DigestInfo, the input of a signature (both files sign it). */
static const uint8_t digest_info[] = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20, 1,    2,    3,
    4,    5,    6,    7,    8,    9,    10,   11,   12,   13,   14,
    15,   16,   17,   18,   19,   20,   21,   22,   23,   24,   25,
    26,   27,   28,   29,   30,   31,   32
};

/* tests/test_jpki_mock.c: against a scripted card. */
TCase *jpki_mock_tcase(void);
/* tests/test_jpki_open.c: opening, serial, logout (same fixture). */
TCase *jpki_open_tcase(void);
/* tests/test_jpki_pss.c: signature schemes and card facts (emulator, and
 * scripted card with the mock fixture). */
TCase *jpki_pss_tcase(void);
TCase *jpki_pss_mock_tcase(void);

/* SELECT of the token-info EF 0006. */
#define SELECT_TOKEN_INFO "00A4020C020006"


#endif
