/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_crl_index_lookup.c - lookups in the CRL index for every shape of
 * serials the lookup's geometry treats differently (crl_priv.h): random,
 * sequential, long runs sharing their first 8 key bytes, clusters and
 * quadratic gaps that put keys outside their window, a single entry. Each
 * listed serial must be found with its date and reason, and each probe
 * next to it answered exactly as a search of the list itself answers.
 */
#include "test_crl_index.h"

#include "jpki/crl_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

enum {
    SHAPE_RANDOM,
    SHAPE_SEQUENTIAL,
    SHAPE_SHARED_PREFIX,
    SHAPE_CLUSTERS,
    SHAPE_QUADRATIC,
    SHAPE_SINGLE,
    SHAPES
};

#define MAXN 4000

typedef struct {
    uint8_t b[20];
    size_t len;
} tserial;

/* Big-endian bytes of v, no leading zero octets (v > 0). */
static size_t put_uint(uint8_t *out, uint64_t v)
{
    uint8_t tmp[8];
    size_t n = 0;
    for (; v; v >>= 8)
        tmp[n++] = (uint8_t)v;
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t make_serials(int shape, tserial *s)
{
    size_t n = shape == SHAPE_SINGLE ? 1 : MAXN;
    for (size_t i = 0; i < n; i++) {
        tserial *t = &s[i];
        memset(t, 0, sizeof *t);
        switch (shape) {
        case SHAPE_SEQUENTIAL: t->len = put_uint(t->b, i + 1); break;
        case SHAPE_QUADRATIC: /* gaps grow: interpolation is poor */
            t->len =
                put_uint(t->b, (uint64_t)(i + 1) * (i + 1) * (i + 1) * 977);
            break;
        case SHAPE_SHARED_PREFIX: /* 10 common bytes, then unique */
            t->len = 16;
            memset(t->b, 0x5a, 10);
            t->b[10] = (uint8_t)rand();
            t->b[11] = (uint8_t)rand();
            t->b[12] = (uint8_t)rand();
            t->b[13] = (uint8_t)(i >> 8);
            t->b[14] = (uint8_t)i;
            t->b[15] = (uint8_t)(rand() | 1);
            break;
        case SHAPE_CLUSTERS: /* two dense clusters, a few strays */
            t->len = 16;
            for (size_t k = 0; k < 16; k++)
                t->b[k] = (uint8_t)rand();
            if (i % 50 != 0) {
                t->b[0] = i % 2 ? 0x01 : 0x7e;
                t->b[1] = i % 2 ? 0x00 : 0xff;
                t->b[2] &= 0x03;
            }
            t->b[0] |= 0x01;
            t->b[0] &= 0x7f;
            t->b[14] = (uint8_t)(i >> 8);
            t->b[15] = (uint8_t)i;
            break;
        default: /* random positive 16-byte serials */
            t->len = 16;
            for (size_t k = 0; k < 16; k++)
                t->b[k] = (uint8_t)rand();
            t->b[0] = (uint8_t)((t->b[0] & 0x7f) | 0x01);
            t->b[14] = (uint8_t)(i >> 8);
            t->b[15] = (uint8_t)i;
            break;
        }
    }
    return n;
}

static int listed_in(const tserial *s, size_t n, const uint8_t *p, size_t len)
{
    while (len > 0 && p[0] == 0) {
        p++;
        len--;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i].len == len && memcmp(s[i].b, p, len) == 0)
            return 1;
    return 0;
}

static void probe(jpki_crlx *x, const tserial *s, size_t n, const uint8_t *p,
                  size_t len)
{
    jpki_crlx_entry e;
    ck_assert_int_eq(jpki_crlx_lookup(x, p, len, &e), JPKI_CRLX_OK);
    ck_assert_int_eq(e.revoked, listed_in(s, n, p, len));
}

START_TEST(test_serial_shapes)
{
    static tserial s[MAXN];
    static tentry es[MAXN];
    srand(11 + (unsigned)_i);
    size_t n = make_serials(_i, s);
    for (size_t i = 0; i < n; i++)
        es[i] = (tentry){ s[i].b, s[i].len, 0, (int)(i % 11) - 1,
                          1700000000 + (int64_t)i * 7 };
    tca ca = tca_make("CA one", 0x11, 0);
    STACK_OF(X509) *sk = tstack(&ca, NULL);
    uint8_t *der;
    size_t len = tcrl_make(&ca, es, n, 0, &der);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(jpki_crlx_open_mem(der, len, sk, &x), JPKI_CRLX_OK);
    ck_assert_uint_eq(jpki_crlx_get_info(x)->entries, n);
    if (_i == SHAPE_SEQUENTIAL)
        ck_assert_uint_eq(x->window, 1); /* interpolation is exact */
    for (size_t i = 0; i < n; i++) {
        jpki_crlx_entry e;
        ck_assert_int_eq(jpki_crlx_lookup(x, s[i].b, s[i].len, &e),
                         JPKI_CRLX_OK);
        ck_assert_msg(e.revoked == 1, "shape %d: entry %zu missing", _i, i);
        ck_assert_int_eq(e.revocation_date, es[i].date);
        ck_assert_int_eq(e.reason, es[i].reason);
        uint8_t p[21];
        memcpy(p, s[i].b, s[i].len);
        static const int near[] = { -2, -1, 1, 2 };
        for (size_t d = 0; d < sizeof near / sizeof near[0]; d++) {
            p[s[i].len - 1] = (uint8_t)(s[i].b[s[i].len - 1] + near[d]);
            probe(x, s, n, p, s[i].len);
        }
        p[s[i].len - 1] = s[i].b[s[i].len - 1];
        p[0] = (uint8_t)(p[0] ^ 0x40); /* far away */
        probe(x, s, n, p, s[i].len);
        memcpy(p + 1, s[i].b, s[i].len); /* one byte longer */
        p[0] = 0x01;
        probe(x, s, n, p, s[i].len + 1);
    }
    static const uint8_t lowest[] = { 0x01 },
                         highest[] = { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff };
    probe(x, s, n, lowest, sizeof lowest);
    probe(x, s, n, highest, sizeof highest);
    jpki_crlx_close(x);
    OPENSSL_free(der);
    tstack_free(sk);
    tca_free(&ca);
}
END_TEST

TCase *tcase_crl_lookup(void)
{
    TCase *tc = tcase_create("lookup");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_serial_shapes, 0, SHAPES);
    return tc;
}
