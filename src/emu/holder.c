/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * holder.c - the test card's holder data and identities: validation, the
 * defaults of format-1 images, and the BER encodings of the card-info AP's
 * files and the serial AP's record (docs/card.md).
 */
#include "emu/holder.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "emu/personalize.h"
#include "common/sw.h"

static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static int all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if malformed:
 * overlong forms, surrogates and values past U+10FFFF are refused. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned long cp, min;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        cp = s[0] & 0x1Fu;
        min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        cp = s[0] & 0x0Fu;
        min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        cp = s[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        (cp >= 0x80 && cp <= 0x9F)) /* C1 controls */
        return 0;
    return len;
}

int emu_text_valid(const char *s, size_t len, size_t max)
{
    if (!s || len == 0 || len > max)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (u[i] < 0x20 || u[i] == 0x7F)
            return 0;
        size_t n = utf8_seq(u + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static void today(char out[EMU_BIRTH_LEN + 1])
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) ||
        strftime(out, EMU_BIRTH_LEN + 1, "%Y%m%d", &tm) == 0)
        snprintf(out, EMU_BIRTH_LEN + 1, "99991231");
}

int emu_birth_valid(const char *s, size_t len)
{
    static const int mdays[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    if (!s || len != EMU_BIRTH_LEN || !all_digits(s, len))
        return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
            (s[3] - '0');
    int m = (s[4] - '0') * 10 + (s[5] - '0');
    int d = (s[6] - '0') * 10 + (s[7] - '0');
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return 0;
    char now[EMU_BIRTH_LEN + 1];
    today(now);
    return memcmp(s, now, EMU_BIRTH_LEN) <= 0;
}

int emu_sex_valid(const char *s, size_t len)
{
    return s && len == 1 && s[0] >= '1' && s[0] <= '3';
}

/* The individual number's check digit over its first 11 digits. */
static char number_check_digit(const char *d)
{
    unsigned sum = 0;
    for (unsigned n = 1; n <= 11; n++) {
        unsigned p = (unsigned)(d[11 - n] - '0');
        unsigned q = n <= 6 ? n + 1 : n - 5;
        sum += p * q;
    }
    unsigned r = sum % 11;
    return (char)('0' + (r <= 1 ? 0 : 11 - r));
}

int emu_number_valid(const char *s, size_t len)
{
    return s && len == EMU_NUMBER_LEN && all_digits(s, len) &&
           s[11] == number_check_digit(s);
}

int emu_serial_valid(const char *s, size_t len)
{
    if (!s || len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!memchr(alnum, s[i], 36) || s[i] == '\0')
            return 0;
    return 1;
}

/* n characters of set (size k) from uniformly random bytes. */
static int random_chars(char *out, size_t n, const char *set, unsigned k)
{
    const unsigned limit = 256 - 256 % k; /* no modulo bias */
    for (size_t i = 0; i < n;) {
        unsigned char b[32];
        if (RAND_bytes(b, sizeof b) != 1)
            return -1;
        for (size_t j = 0; j < sizeof b && i < n; j++)
            if (b[j] < limit)
                out[i++] = set[b[j] % k];
    }
    out[n] = '\0';
    return 0;
}

int emu_serial_random(char out[EMU_SERIAL_LEN + 1])
{
    return random_chars(out, EMU_SERIAL_LEN, alnum, 36);
}

int emu_number_random(char out[EMU_NUMBER_LEN + 1])
{
    if (random_chars(out, EMU_NUMBER_LEN - 1, alnum, 10) != 0)
        return -1;
    out[11] = number_check_digit(out);
    out[12] = '\0';
    return 0;
}

void emu_holder_default(emu_holder *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->number, sizeof h->number, "%s", "00000000000");
    h->number[11] = number_check_digit(h->number);
    snprintf(h->name, sizeof h->name, "%s", EMU_PERSON_NAME);
    snprintf(h->address, sizeof h->address, "%s", EMU_PERSON_ADDRESS);
    snprintf(h->birth, sizeof h->birth, "%s", EMU_PERSON_BIRTH);
    snprintf(h->sex, sizeof h->sex, "%s", EMU_PERSON_SEX);
}

void emu_image_fill_v1(emu_image *img)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(img->file[EMU_FILE_AUTH_CERT], img->file_len[EMU_FILE_AUTH_CERT],
           md);
    emu_holder_default(&img->holder);
    for (size_t i = 0; i < EMU_SERIAL_LEN; i++)
        img->serial[i] = alnum[md[i] % 36];
    img->serial[EMU_SERIAL_LEN] = '\0';
    for (size_t i = 0; i < EMU_NUMBER_LEN - 1; i++)
        img->holder.number[i] = (char)('0' + md[EMU_SERIAL_LEN_V2 + i] % 10);
    img->holder.number[11] = number_check_digit(img->holder.number);
}

void emu_birth_with_era(const char *birth, char out[EMU_BIRTH_LEN + 2])
{
    static const struct {
        const char *from;
        char code;
    } eras[] = {
        { "20190501", '5' }, { "19890108", '4' }, { "19261225", '3' },
        { "19120730", '2' }, { "00000000", '1' },
    };
    char code = '1';
    for (size_t i = 0; i < sizeof eras / sizeof eras[0]; i++) {
        if (memcmp(birth, eras[i].from, EMU_BIRTH_LEN) >= 0) {
            code = eras[i].code;
            break;
        }
    }
    out[0] = code;
    memcpy(out + 1, birth, EMU_BIRTH_LEN);
    out[EMU_BIRTH_LEN + 1] = '\0';
}

/* ---- encodings ---------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, max;
    int overflow;
} ber_buf;

static void put(ber_buf *b, const void *data, size_t n)
{
    if (b->overflow || n > b->max - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* A TLV with a one- or two-byte tag and a definite BER length. */
static void put_tlv(ber_buf *b, const uint8_t *tag, size_t tag_len,
                    const void *value, size_t n)
{
    uint8_t l[3];
    size_t ll;
    if (n < 0x80) {
        l[0] = (uint8_t)n;
        ll = 1;
    } else if (n <= 0xFF) {
        l[0] = 0x81;
        l[1] = (uint8_t)n;
        ll = 2;
    } else {
        l[0] = 0x82;
        l[1] = (uint8_t)(n >> 8);
        l[2] = (uint8_t)n;
        ll = 3;
    }
    put(b, tag, tag_len);
    put(b, l, ll);
    if (value)
        put(b, value, n);
}

size_t emu_info_number_ef(const emu_holder *h, uint8_t *out, size_t max)
{
    static const uint8_t tag[] = { 0xD0 };
    ber_buf b = { out, 0, max, 0 };
    put_tlv(&b, tag, 1, h->number, strlen(h->number));
    return b.overflow ? 0 : b.len;
}

/* FF 20 { DF 21 header, DF 22 name, DF 23 address, DF 24 birth, DF 25 sex }.
 * The real header's content is not public; two zero bytes stand for it. */
size_t emu_info_attrs_ef(const emu_holder *h, uint8_t *out, size_t max)
{
    static const uint8_t header[2] = { 0, 0 };
    const struct {
        uint8_t tag;
        const void *v;
        size_t n;
    } f[] = {
        { 0x21, header, sizeof header },
        { 0x22, h->name, strlen(h->name) },
        { 0x23, h->address, strlen(h->address) },
        { 0x24, h->birth, strlen(h->birth) },
        { 0x25, h->sex, strlen(h->sex) },
    };
    uint8_t inner[EMU_INFO_ATTRS_MAX];
    ber_buf in = { inner, 0, sizeof inner, 0 };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        const uint8_t tag[2] = { 0xDF, f[i].tag };
        put_tlv(&in, tag, 2, f[i].v, f[i].n);
    }
    static const uint8_t outer[2] = { 0xFF, 0x20 };
    ber_buf b = { out, 0, max, in.overflow };
    put_tlv(&b, outer, 2, inner, in.len);
    return b.overflow ? 0 : b.len;
}

/* One BER TLV whose value's characters [2, 15) are the serial: tag 04
 * (OCTET STRING; the real tag is not public), length 0F, two leading
 * characters (their meaning is not public either; "00" here), then the 13
 * characters. A reader that takes [2, 15) of the raw record instead of the
 * value gets "00" and 11 characters: wrong, and visibly so. */
size_t emu_serial_record(const char *serial, uint8_t *out, size_t max)
{
    static const uint8_t tag[] = { 0x04 };
    char value[2 + EMU_SERIAL_LEN];
    size_t n = strlen(serial);
    if (n > EMU_SERIAL_LEN)
        return 0;
    value[0] = value[1] = '0';
    memcpy(value + 2, serial, n);
    ber_buf b = { out, 0, max, 0 };
    put_tlv(&b, tag, 1, value, 2 + n);
    return b.overflow ? 0 : b.len;
}

int emu_token_label_valid(const char *s, size_t len, int digits)
{
    if (!s || len == 0 || len > EMU_TOKEN_INFO_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') ||
              (digits && s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

int emu_blocked_sw_valid(unsigned sw)
{
    return sw == SW_BLOCKED || sw == SW_REF_DATA_UNUSABLE ||
           sw == SW_TRIES_LEFT;
}

int emu_unverified_sign_sw_valid(unsigned sw)
{
    return (sw & 0xFF00) == SW_NOT_ALLOWED;
}
