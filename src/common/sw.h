/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sw.h - the status words (SW1 SW2) the JPKI-AP answers, by name, for the
 * module (src/jpki, src/reader), the emulator (src/emu) and jpki-tool, so
 * both sides of the card speak the same words. ISO/IEC 7816-4 meanings;
 * which command answers which is in docs/card.md.
 */
#ifndef JPKI_SW_H
#define JPKI_SW_H

#define SW_OK 0x9000
#define SW_BYTES_REMAINING 0x6100 /* 61xx: xx more bytes (GET RESPONSE) */
#define SW_TRIES_LEFT 0x63C0      /* 63Cx: wrong PIN / x tries left */
#define SW_PINPAD_TIMEOUT 0x6400  /* PIN pad: nothing typed in time */
#define SW_PINPAD_CANCELED 0x6401 /* PIN pad: the holder pressed Cancel */
#define SW_MEMORY_FAILURE 0x6581
#define SW_WRONG_LENGTH 0x6700
#define SW_NOT_ALLOWED 0x6900 /* 69xx: command not allowed (the class) */
#define SW_INCOMPATIBLE_EF 0x6981
#define SW_SECURITY 0x6982 /* security status not satisfied (no PIN) */
#define SW_BLOCKED 0x6983  /* authentication method blocked */
#define SW_REF_DATA_UNUSABLE 0x6984
#define SW_CONDITIONS 0x6985
#define SW_NO_CURRENT_EF 0x6986
#define SW_WRONG_DATA 0x6A80
#define SW_FUNC_UNSUPPORTED 0x6A81
#define SW_NOT_FOUND 0x6A82 /* file or application not found */
#define SW_RECORD_NOT_FOUND 0x6A83
#define SW_WRONG_P1P2 0x6A86
#define SW_WRONG_OFFSET 0x6B00 /* offset beyond the file */
#define SW_WRONG_LE 0x6C00     /* 6Cxx: wrong Le, xx is right */
#define SW_BAD_INS 0x6D00
#define SW_BAD_CLA 0x6E00
#define SW_NO_DIAGNOSIS 0x6F00

#endif
