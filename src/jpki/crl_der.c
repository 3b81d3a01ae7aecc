/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_der.c - the strict DER primitives the CRL reader is built from: one
 * TLV with bounds-checked, definite, minimal lengths; the two ASN.1 times;
 * serial number normalisation. No allocation, no OpenSSL.
 */
#include "jpki/crl_priv.h"

#include <string.h>

static int digits(const uint8_t *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int crlx_der_time(unsigned tag, crlx_span v, int64_t *out)
{
    const uint8_t *s = v.p;
    int y, mo, d, h, mi, se;
    if (tag == 0x17) { /* UTCTime YYMMDDHHMMSSZ */
        if (v.len != 13 || s[12] != 'Z' || digits(s, 2, &y) != 0)
            return -1;
        y += y < 50 ? 2000 : 1900;
        s += 2;
    } else if (tag == 0x18) { /* GeneralizedTime YYYYMMDDHHMMSSZ */
        if (v.len != 15 || s[14] != 'Z' || digits(s, 4, &y) != 0)
            return -1;
        s += 4;
    } else {
        return -1;
    }
    if (digits(s, 2, &mo) || digits(s + 2, 2, &d) || digits(s + 4, 2, &h) ||
        digits(s + 6, 2, &mi) || digits(s + 8, 2, &se))
        return -1;
    static const int mdays[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        se > 59)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

int crlx_serial_norm(const uint8_t *s, size_t len, const uint8_t **out,
                     size_t *out_len)
{
    if (len == 0)
        return -1;
    while (len > 0 && s[0] == 0) {
        s++;
        len--;
    }
    if (len > CRLX_MAX_SERIAL)
        return -1;
    *out = s;
    *out_len = len;
    return 0;
}
