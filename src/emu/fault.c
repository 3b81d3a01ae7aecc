/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fault.c - parse and apply JPKI_EMU_FAULTS (syntax in emu.h).
 *
 * Parsing is strict: a typo in a test's fault list must fail loudly, not
 * run a test that injects nothing.
 */
#include "emu/fault.h"
#include "common/sw.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

__attribute__((format(printf, 3, 4))) static emu_rv bad(char *err,
                                                        size_t errlen,
                                                        const char *fmt, ...)
{
    if (err && errlen) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "JPKI_EMU_FAULTS: %s", msg);
    }
    return EMU_ERR_ARGS;
}

/* Decimal number 0..1e9 filling all of s[0..len). */
static int parse_num(const char *s, size_t len, unsigned long *out)
{
    unsigned long v = 0;
    if (len == 0 || len > 10)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 1000000000UL)
        return -1;
    *out = v;
    return 0;
}

/* Four hex digits that make a status word a card could send. */
static int parse_sw(const char *s, size_t len, uint16_t *out)
{
    unsigned v = 0;
    if (len != 4)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    unsigned sw1 = v >> 8;
    if (!((sw1 >= 0x61 && sw1 <= 0x6F) || (sw1 >= 0x90 && sw1 <= 0x9F)))
        return -1;
    *out = (uint16_t)v;
    return 0;
}

/* One "name" or "name=value" item. */
static emu_rv parse_item(const char *item, size_t len, emu_faults *f,
                         char *err, size_t errlen)
{
    const char *eq = memchr(item, '=', len);
    size_t nlen = eq ? (size_t)(eq - item) : len;
    const char *val = eq ? eq + 1 : NULL;
    size_t vlen = eq ? len - nlen - 1 : 0;
    unsigned long n = 0;
#define IS(name) (nlen == strlen(name) && memcmp(item, name, nlen) == 0)
    if (IS("get-response") && !val) {
        f->get_response = 1;
    } else if (IS("wrong-le") && !val) {
        f->wrong_le = 1;
    } else if (IS("pinpad-cancel") && !val) {
        f->pinpad_sw = SW_PINPAD_CANCELED;
    } else if (IS("pinpad-timeout") && !val) {
        f->pinpad_sw = SW_PINPAD_TIMEOUT;
    } else if (IS("bad-signature") && !val) {
        f->bad_signature = 1;
    } else if (IS("power-loss-at-sign")) {
        if (val && (parse_num(val, vlen, &n) != 0 || n == 0))
            return bad(err, errlen, "'%.*s' needs a signature number from 1",
                       (int)len, item);
        f->power_loss_sign = val ? n : 1;
    } else if (IS("drop-after") && val && parse_num(val, vlen, &n) == 0) {
        f->drop = 1;
        f->drop_after = n;
    } else if (IS("delay-ms") && val && parse_num(val, vlen, &n) == 0 &&
               n <= EMU_FAULT_MAX_DELAY_MS) {
        f->delay_ms = (unsigned)n;
    } else if (IS("garbage-at") && val && parse_num(val, vlen, &n) == 0 &&
               n > 0) {
        if (f->n_garbage == EMU_FAULT_MAX_AT)
            return bad(err, errlen, "more than %d garbage-at",
                       EMU_FAULT_MAX_AT);
        f->garbage_at[f->n_garbage++] = n;
    } else if (IS("sw-at") && val) {
        const char *colon = memchr(val, ':', vlen);
        uint16_t sw;
        if (!colon || parse_num(val, (size_t)(colon - val), &n) != 0 ||
            n == 0 ||
            parse_sw(colon + 1, vlen - (size_t)(colon - val) - 1, &sw) != 0)
            return bad(err, errlen,
                       "'%.*s' must be sw-at=N:XXXX (N from 1, XXXX a status "
                       "word 61xx-6Fxx or 9xxx)",
                       (int)len, item);
        if (f->n_sw == EMU_FAULT_MAX_AT)
            return bad(err, errlen, "more than %d sw-at", EMU_FAULT_MAX_AT);
        f->sw_at[f->n_sw] = n;
        f->sw_value[f->n_sw++] = sw;
    } else {
        return bad(err, errlen, "unknown or malformed fault '%.*s'", (int)len,
                   item);
    }
#undef IS
    return EMU_OK;
}

emu_rv emu_faults_parse(const char *spec, emu_faults *out, char *err,
                        size_t errlen)
{
    emu_faults f;
    memset(&f, 0, sizeof f);
    for (const char *p = spec; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == 0)
            return bad(err, errlen, "empty item in '%s'", spec);
        emu_rv rv = parse_item(p, len, &f, err, errlen);
        if (rv != EMU_OK)
            return rv;
        p += len;
        if (*p == ',' && *++p == '\0')
            return bad(err, errlen, "trailing comma in '%s'", spec);
    }
    *out = f;
    return EMU_OK;
}

int emu_faults_garbage_at(const emu_faults *f, unsigned long seq)
{
    for (size_t i = 0; i < f->n_garbage; i++)
        if (f->garbage_at[i] == seq)
            return 1;
    return 0;
}

int emu_faults_sw_at(const emu_faults *f, unsigned long seq, uint16_t *sw)
{
    for (size_t i = 0; i < f->n_sw; i++) {
        if (f->sw_at[i] == seq) {
            *sw = f->sw_value[i];
            return 1;
        }
    }
    return 0;
}

size_t emu_faults_garbage(uint8_t *buf, size_t max)
{
    uint8_t n[2];
    if (max == 0)
        return 0;
    if (RAND_bytes(n, sizeof n) != 1) {
        memset(buf, 0xA5, max);
        return max;
    }
    size_t len = 1 + ((size_t)n[0] << 8 | n[1]) % max;
    if (RAND_bytes(buf, (int)len) != 1)
        memset(buf, 0x5A, len);
    /* Random bytes end in a status word a card could mean (61xx-6Fxx,
     * 9xxx) once in eight: a 69xx on a signature then reads as a lost
     * login, which is a different fault (sw-...). Garbage stays garbage. */
    if (len >= 2 &&
        ((buf[len - 2] & 0xF0) == 0x60 || (buf[len - 2] & 0xF0) == 0x90))
        buf[len - 2] ^= 0x80;
    return len;
}

void emu_faults_delay(const emu_faults *f)
{
    if (!f->delay_ms)
        return;
    struct timespec ts = { (time_t)(f->delay_ms / 1000),
                           (long)(f->delay_ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
