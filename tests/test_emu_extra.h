/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_emu_extra - shared between its two source files. */
#ifndef JPKI_TESTS_EMU_EXTRA_H
#define JPKI_TESTS_EMU_EXTRA_H

#include <check.h>

/* The test PKI tests (test_emu_extra_pki.c). */
TCase *emu_extra_pki_tcase(void);
/* The card-behaviour switches (test_emu_switches.c). */
TCase *emu_switches_tcase(void);
/* SFI in the signature command, EF 0008 (test_emu_cardfiles.c). */
TCase *emu_cardfiles_tcase(void);
/* The signature schemes, P1 of 80 2A (test_emu_schemes.c). */
TCase *emu_schemes_tcase(void);

/* SELECT of the serial-number AP and of the card-info AP. */
#define SELECT_SERIAL                                                         \
    APDU(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00,    \
         0x01, 0x01, 0x01, 0x00)
#define SELECT_CARD_INFO                                                      \
    APDU(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00,    \
         0x01, 0x01, 0x04, 0x08)

#endif
