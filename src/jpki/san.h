/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * san.h - the card holder's personal data in a JPKI signature certificate.
 *
 * The signature certificate's subjectAltName carries otherNames (UTF8String)
 * under 1.2.392.200149.8.5.5: .1 name, .2 name substitute-character
 * positions, .3 sex, .4 birth date "EYYYYMMDD", .5 address, .6 address
 * substitute-character positions (docs/card.md).
 *
 * This is personal data. Decode it only when the caller asks (a relying
 * party entitled to see it), never log it, and wipe it with
 * jpki_person_clear() as soon as it has been shown.
 */
#ifndef JPKI_SAN_H
#define JPKI_SAN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

typedef enum {
    JPKI_SAN_OK = 0,
    JPKI_SAN_NONE,      /* no subjectAltName, or none of the JPKI otherNames */
    JPKI_SAN_MALFORMED, /* bad DER, a duplicate attribute, a value of the
                          * wrong shape (birth date, sex, flags, UTF-8) */
    JPKI_SAN_MEMORY,
} jpki_san_rv;

/* Era codes of the birth date's first digit. */
typedef enum {
    JPKI_ERA_UNKNOWN = 0, /* 不明 */
    JPKI_ERA_MEIJI = 1,   /* 明治, from 1868 */
    JPKI_ERA_TAISHO = 2,  /* 大正, from 1912-07-30 */
    JPKI_ERA_SHOWA = 3,   /* 昭和, from 1926-12-25 */
    JPKI_ERA_HEISEI = 4,  /* 平成, from 1989-01-08 */
    JPKI_ERA_REIWA = 5,   /* 令和, from 2019-05-01 */
} jpki_era;

/* Bits of jpki_person.present. */
enum {
    JPKI_PD_NAME = 1 << 0,
    JPKI_PD_NAME_SUBST = 1 << 1,
    JPKI_PD_SEX = 1 << 2,
    JPKI_PD_BIRTH = 1 << 3,
    JPKI_PD_ADDRESS = 1 << 4,
    JPKI_PD_ADDRESS_SUBST = 1 << 5,
};

typedef struct {
    unsigned present; /* JPKI_PD_* of the attributes found */
    char *name;       /* UTF-8, NUL-terminated, NULL when absent */
    char *name_subst; /* one '0'/'1' per character of name, '1' where
                           * the character is a substitute ("" allowed) */
    int sex;          /* 1, 2 or 3; 0 when absent */
    jpki_era birth_era;
    int birth_year, birth_month, birth_day; /* Gregorian; 0 when absent */
    char *address;
    char *address_subst;
} jpki_person;

/* Decodes the personal data of a certificate. On anything but JPKI_SAN_OK,
 * *out is left cleared. */
jpki_san_rv jpki_san_from_cert(const X509 *cert, jpki_person *out);
/* The same from the DER of the subjectAltName extension's value
 * (GeneralNames). */
jpki_san_rv jpki_san_decode(const uint8_t *der, size_t len, jpki_person *out);

/* Parses a birth date "EYYYYMMDD" (exactly 9 ASCII digits). 0 on success,
 * -1 if malformed or if the date does not fall in the era it names. */
int jpki_san_birth(const char *s, size_t len, jpki_era *era, int *year,
                   int *month, int *day);

/* "Meiji", "Taisho", "Showa", "Heisei", "Reiwa", "unknown". */
const char *jpki_era_name(jpki_era era);
const char *jpki_san_strerror(jpki_san_rv rv);

/* Wipes and frees everything in p; p is cleared (safe to call twice). */
void jpki_person_clear(jpki_person *p);

/* One UTF-8 character of s (n bytes): its length, with the code point in
 * *cp; 0 for a malformed, overlong or truncated sequence, a surrogate or a
 * value beyond U+10FFFF. */
size_t jpki_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* C0 (U+0000..U+001F), DEL and C1 (U+0080..U+009F). */
int jpki_utf8_is_control(uint32_t c);

#endif
