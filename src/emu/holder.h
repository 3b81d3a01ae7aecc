/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * holder.h - the test card's holder and identities (private to src/emu):
 * rules for the holder's data (shared by personalization and the image
 * loader), the values a format-1 image lacks, and the encodings of the
 * card-info AP's files and the serial AP's record.
 */
#ifndef JPKI_EMU_HOLDER_H
#define JPKI_EMU_HOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "emu/image.h"

/* Well-formed UTF-8 of 1..max bytes without control characters (so it fits
 * on one image line and in a certificate's UTF8String). */
int emu_text_valid(const char *s, size_t len, size_t max);
/* YYYYMMDD, a real calendar date from 1900-01-01 up to today (UTC). */
int emu_birth_valid(const char *s, size_t len);
/* "1", "2" or "3". */
int emu_sex_valid(const char *s, size_t len);
/* 12 digits whose last is the individual number's check digit. */
int emu_number_valid(const char *s, size_t len);
/* 1..len of 0-9 A-Z (callers check the length: 13, or 14 in format 2). */
int emu_serial_valid(const char *s, size_t len);
/* An EF 0006 label: 1-32 of A-Z, and of 0-9 too if digits. */
int emu_token_label_valid(const char *s, size_t len, int digits);

/* Fresh random identities for a new card; 0 or -1 (no randomness). */
int emu_serial_random(char out[EMU_SERIAL_LEN + 1]);
int emu_number_random(char out[EMU_NUMBER_LEN + 1]);

/* The fictional default holder (personalize.h's EMU_PERSON_*). */
void emu_holder_default(emu_holder *h);

/* Fill what a format-1 image does not store: holder = the default, and a
 * serial and individual number derived from the authentication
 * certificate, so they are stable for the image. */
void emu_image_fill_v1(emu_image *img);

/* The signature certificate's birth attribute: era code (1 Meiji, 2 Taisho,
 * 3 Showa, 4 Heisei, 5 Reiwa) then YYYYMMDD. */
void emu_birth_with_era(const char *birth, char out[EMU_BIRTH_LEN + 2]);

/* EF contents. Each returns the length written, 0 if max is too small. */
size_t emu_info_number_ef(const emu_holder *h, uint8_t *out, size_t max);
size_t emu_info_attrs_ef(const emu_holder *h, uint8_t *out, size_t max);
size_t emu_serial_record(const char *serial, uint8_t *out, size_t max);
/* Longest serial record: tag, length, two characters and the serial. */
#define EMU_SERIAL_RECORD_MAX (2 + 2 + EMU_SERIAL_LEN)

/* Room the card keeps for the card-info AP's attributes EF. */
#define EMU_INFO_ATTRS_MAX (EMU_NAME_MAX + EMU_ADDRESS_MAX + 64)

#endif
