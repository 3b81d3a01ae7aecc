/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * san.c - decodes the personal data in a signature certificate's
 * subjectAltName (san.h), walking the extension's DER in place so that no
 * copy of it is left in freed memory; the strings it hands out are wiped by
 * jpki_person_clear().
 *
 * Birth date "EYYYYMMDD": E is the era code 1 明治 Meiji, 2 大正 Taisho,
 * 3 昭和 Showa, 4 平成 Heisei, 5 令和 Reiwa, 0 不明 unknown. Public write-ups
 * of J-LIS's profile (the "Japanese PKI Blog" page on the card's
 * certificates, pki.world-tls.com/kojinbango-card, quoted in several
 * projects that read real cards) give that list, and real certificates
 * carry the Gregorian date in YYYYMMDD (e.g. 3 1980 02 17: Showa era, 17
 * February 1980). A YYYY below 1868 cannot be Gregorian here, so it is
 * read as the year of the named era (Heisei 2 = 1990), the other way a
 * Japanese date is written. Either way the date must fall inside its era.
 */
#include "jpki/san.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

/* 1.2.392.200149.8.5.5 as DER content octets; the attribute is one more
 * arc. */
static const uint8_t jpki_attr_oid[] = { 0x2A, 0x83, 0x08, 0x8C, 0x9B,
                                         0x55, 0x08, 0x05, 0x05 };

/* ---- a bounds-checked DER reader ---------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
} der_cur;

/* Reads one TLV; its content in *val. 0 ok, -1 malformed. */
static int der_next(der_cur *c, unsigned *tag, der_cur *val)
{
    if (c->end - c->p < 2)
        return -1;
    *tag = *c->p++;
    if ((*tag & 0x1F) == 0x1F)
        return -1; /* multi-byte tags do not occur here */
    size_t len = *c->p++;
    if (len & 0x80) {
        size_t n = len & 0x7F;
        if (n == 0 || n > 4 || (size_t)(c->end - c->p) < n)
            return -1;
        len = 0;
        while (n--)
            len = (len << 8) | *c->p++;
    }
    if (len > (size_t)(c->end - c->p))
        return -1;
    val->p = c->p;
    val->end = c->p + len;
    c->p += len;
    return 0;
}

/* ---- values ------------------------------------------------------------- */

size_t jpki_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    uint8_t b = s[0];
    size_t k;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b < 0xE0) {
        k = 1, c = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        k = 2, c = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b < 0xF5) {
        k = 3, c = b & 0x07, min = 0x10000;
    } else {
        return 0; /* a continuation byte, C0/C1 (overlong), F5.. */
    }
    if (n - 1 < k)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[j] & 0x3F);
    }
    /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
    if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0;
    *cp = c;
    return k + 1;
}

int jpki_utf8_is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

/* Text for a terminal: well-formed UTF-8 without C0, DEL or C1 controls
 * (a name or an address has no line breaks, tabs or escape sequences). */
static int utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t k = jpki_utf8_decode(s + i, n - i, &c);
        if (k == 0 || jpki_utf8_is_control(c))
            return 0;
        i += k;
    }
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* First day of each era as YYYYMMDD, and its first year for era years. */
static const struct {
    long from;
    int base;
    const char *name;
} eras[] = {
    [JPKI_ERA_UNKNOWN] = { 0, 0, "unknown" },
    [JPKI_ERA_MEIJI] = { 18680101, 1868, "Meiji" },
    [JPKI_ERA_TAISHO] = { 19120730, 1912, "Taisho" },
    [JPKI_ERA_SHOWA] = { 19261225, 1926, "Showa" },
    [JPKI_ERA_HEISEI] = { 19890108, 1989, "Heisei" },
    [JPKI_ERA_REIWA] = { 20190501, 2019, "Reiwa" },
};

const char *jpki_era_name(jpki_era era)
{
    return (unsigned)era <= JPKI_ERA_REIWA ? eras[era].name : "?";
}

int jpki_san_birth(const char *s, size_t len, jpki_era *era, int *year,
                   int *month, int *day)
{
    if (!s || len != 9)
        return -1;
    for (size_t i = 0; i < 9; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    int e = s[0] - '0';
    int y = (s[1] - '0') * 1000 + (s[2] - '0') * 100 + (s[3] - '0') * 10 +
            (s[4] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[7] - '0') * 10 + (s[8] - '0');
    if (e > JPKI_ERA_REIWA)
        return -1;
    if (y < 1868) { /* the year of the era */
        if (e == JPKI_ERA_UNKNOWN || y < 1)
            return -1;
        y = eras[e].base + y - 1;
    }
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    long ymd = (long)y * 10000 + m * 100 + d;
    if (e != JPKI_ERA_UNKNOWN &&
        (ymd < eras[e].from ||
         (e < JPKI_ERA_REIWA && ymd >= eras[e + 1].from)))
        return -1;
    *era = (jpki_era)e;
    *year = y;
    *month = m;
    *day = d;
    return 0;
}

static char *dup_value(const der_cur *v)
{
    size_t n = (size_t)(v->end - v->p);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, v->p, n);
        s[n] = '\0';
    }
    return s;
}

static int flags_valid(const der_cur *v)
{
    for (const uint8_t *p = v->p; p < v->end; p++)
        if (*p != '0' && *p != '1')
            return 0;
    return 1;
}

/* Stores one attribute (arc 1..6). */
static jpki_san_rv set_attr(jpki_person *out, unsigned arc, const der_cur *v)
{
    size_t n = (size_t)(v->end - v->p);
    unsigned bit = 1u << (arc - 1);
    if (out->present & bit)
        return JPKI_SAN_MALFORMED; /* one of each */
    if (!utf8_valid(v->p, n))
        return JPKI_SAN_MALFORMED;
    char **slot = NULL;
    switch (arc) {
    case 1: slot = &out->name; break;
    case 2: slot = &out->name_subst; break;
    case 5: slot = &out->address; break;
    case 6: slot = &out->address_subst; break;
    case 3:
        if (n != 1 || v->p[0] < '1' || v->p[0] > '3')
            return JPKI_SAN_MALFORMED;
        out->sex = v->p[0] - '0';
        break;
    case 4:
        if (jpki_san_birth((const char *)v->p, n, &out->birth_era,
                           &out->birth_year, &out->birth_month,
                           &out->birth_day) != 0)
            return JPKI_SAN_MALFORMED;
        break;
    }
    if ((arc == 2 || arc == 6) && !flags_valid(v))
        return JPKI_SAN_MALFORMED;
    if ((arc == 1 || arc == 5) && n == 0)
        return JPKI_SAN_MALFORMED;
    if (slot && !(*slot = dup_value(v)))
        return JPKI_SAN_MEMORY;
    out->present |= bit;
    return JPKI_SAN_OK;
}

/* otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }, here
 * already inside its [0] IMPLICIT tag. Other OIDs are skipped. */
static jpki_san_rv other_name(jpki_person *out, der_cur on)
{
    unsigned tag;
    der_cur oid, wrap, val;
    if (der_next(&on, &tag, &oid) || tag != 0x06 ||
        der_next(&on, &tag, &wrap) || tag != 0xA0 || on.p != on.end)
        return JPKI_SAN_MALFORMED;
    size_t olen = (size_t)(oid.end - oid.p);
    if (olen != sizeof jpki_attr_oid + 1 ||
        memcmp(oid.p, jpki_attr_oid, sizeof jpki_attr_oid))
        return JPKI_SAN_OK;
    unsigned arc = oid.p[sizeof jpki_attr_oid];
    if (der_next(&wrap, &tag, &val) || wrap.p != wrap.end)
        return JPKI_SAN_MALFORMED;
    /* UTF8String as the profile says; Printable/IA5 tolerated. */
    if (tag != 0x0C && tag != 0x13 && tag != 0x16)
        return JPKI_SAN_MALFORMED;
    if (arc < 1 || arc > 6)
        return JPKI_SAN_OK; /* an attribute this version does not know */
    return set_attr(out, arc, &val);
}

jpki_san_rv jpki_san_decode(const uint8_t *der, size_t len, jpki_person *out)
{
    if (!out)
        return JPKI_SAN_MALFORMED;
    memset(out, 0, sizeof *out);
    if (!der)
        return JPKI_SAN_NONE;
    der_cur all = { der, der + len }, seq, gn;
    unsigned tag;
    jpki_san_rv rv = JPKI_SAN_OK;
    if (der_next(&all, &tag, &seq) || tag != 0x30 || all.p != all.end)
        rv = JPKI_SAN_MALFORMED;
    while (rv == JPKI_SAN_OK && seq.p < seq.end) {
        if (der_next(&seq, &tag, &gn))
            rv = JPKI_SAN_MALFORMED;
        else if (tag == 0xA0)
            rv = other_name(out, gn);
    }
    if (rv == JPKI_SAN_OK && !out->present)
        rv = JPKI_SAN_NONE;
    if (rv != JPKI_SAN_OK)
        jpki_person_clear(out);
    return rv;
}

jpki_san_rv jpki_san_from_cert(const X509 *cert, jpki_person *out)
{
    if (!out)
        return JPKI_SAN_MALFORMED;
    memset(out, 0, sizeof *out);
    int i = cert ? X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) : -1;
    if (i < 0)
        return JPKI_SAN_NONE;
    if (X509_get_ext_by_NID(cert, NID_subject_alt_name, i) >= 0)
        return JPKI_SAN_MALFORMED; /* two SANs */
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(cert, i));
    return jpki_san_decode(ASN1_STRING_get0_data(v),
                           (size_t)ASN1_STRING_length(v), out);
}

const char *jpki_san_strerror(jpki_san_rv rv)
{
    switch (rv) {
    case JPKI_SAN_OK: return "ok";
    case JPKI_SAN_NONE: return "no JPKI personal data in the certificate";
    case JPKI_SAN_MALFORMED:
        return "malformed personal data in subjectAltName";
    case JPKI_SAN_MEMORY: return "out of memory";
    }
    return "?";
}

static void wipe_str(char **s)
{
    if (*s) {
        OPENSSL_cleanse(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

void jpki_person_clear(jpki_person *p)
{
    if (!p)
        return;
    wipe_str(&p->name);
    wipe_str(&p->name_subst);
    wipe_str(&p->address);
    wipe_str(&p->address_subst);
    OPENSSL_cleanse(p, sizeof *p);
}
