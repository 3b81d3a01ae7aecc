/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_crl_index.c - the CRL index (src/jpki/crl_*.c): parsing, signature
 * and issuer choice, lookups, refusals. The cache file tests are in
 * test_crl_index_cache.c.
 */
#include "test_crl_index.h"

#include "jpki/crl_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

static const uint8_t s1[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                              0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
static const uint8_t s2[] = {
    0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
}; /* high bit */
static const uint8_t s3[] = { 0x05 };
static const uint8_t s20[20] = { 0x7f, 1,  2,  3,  4,  5,  6,  7,  8,  9,
                                 10,   11, 12, 13, 14, 15, 16, 17, 18, 19 };

static const tentry three[] = {
    { s1, sizeof s1, 0, 1, 1799990000 },
    { s2, sizeof s2, 0, -1, 1799990001 },
    { s3, sizeof s3, 0, 6, 1799990002 },
};

static jpki_crlx_entry look(jpki_crlx *x, const uint8_t *s, size_t n)
{
    jpki_crlx_entry e;
    ck_assert_int_eq(jpki_crlx_lookup(x, s, n, &e), JPKI_CRLX_OK);
    return e;
}

static jpki_crlx_rv open_der(const tca *ca, const tca *other,
                             const uint8_t *der, size_t len, jpki_crlx **x)
{
    STACK_OF(X509) *sk = tstack(ca, other);
    jpki_crlx_rv rv = jpki_crlx_open_mem(der, len, sk, x);
    tstack_free(sk);
    return rv;
}

START_TEST(test_lookup_found_and_not)
{
    tca ca = tca_make("CA one", 0x11, 0);
    uint8_t *der;
    size_t len = tcrl_make(&ca, three, 3, T_IDP, &der);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x), JPKI_CRLX_OK);
    jpki_crlx_entry e = look(x, s1, sizeof s1);
    ck_assert_int_eq(e.revoked, 1);
    ck_assert_int_eq(e.revocation_date, 1799990000);
    ck_assert_int_eq(e.reason, 1);
    e = look(x, s3, 1);
    ck_assert_int_eq(e.revoked, 1);
    ck_assert_int_eq(e.reason, 6);
    ck_assert_int_eq(e.revocation_date, 1799990002);
    uint8_t other[sizeof s1];
    memcpy(other, s1, sizeof s1);
    other[15] ^= 1;
    e = look(x, other, sizeof other);
    ck_assert_int_eq(e.revoked, 0);
    ck_assert_int_eq(e.reason, -1);
    ck_assert_int_eq(look(x, s1, 15).revoked,
                     0); /* a prefix is another serial */
    const uint8_t six = 6;
    ck_assert_int_eq(look(x, &six, 1).revoked, 0);

    const jpki_crlx_info *in = jpki_crlx_get_info(x);
    ck_assert_uint_eq(in->entries, 3);
    ck_assert_int_eq(in->this_update, 1800000000);
    ck_assert_int_eq(in->next_update, 1800086400);
    ck_assert_uint_eq(in->crl_number_len, 1);
    ck_assert_uint_eq(in->crl_number[0], 42);
    const unsigned char *name;
    size_t nlen;
    X509_NAME_get0_der(X509_get_subject_name(ca.cert), &name, &nlen);
    ck_assert_uint_eq(in->issuer_len, nlen);
    ck_assert_mem_eq(in->issuer, name, nlen);
    ck_assert_ptr_nonnull(in->idp);
    ck_assert_uint_eq(in->idp[0], 0x30); /* the IDP SEQUENCE itself */
    uint8_t h[32];
    SHA256(der, len, h);
    ck_assert_mem_eq(in->crl_sha256, h, 32);
    unsigned char *spki = NULL;
    int sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca.cert), &spki);
    SHA256(spki, (size_t)sl, h);
    OPENSSL_free(spki);
    ck_assert_mem_eq(in->issuer_spki_sha256, h, 32);

    ck_assert_int_eq(jpki_crlx_lookup(x, s1, 0, &e), JPKI_CRLX_ERR_ARGS);
    ck_assert_int_eq(jpki_crlx_lookup(NULL, s1, 1, &e), JPKI_CRLX_ERR_ARGS);
    jpki_crlx_close(x);
    OPENSSL_free(der);
    tca_free(&ca);
}
END_TEST

START_TEST(test_leading_zeros_and_sign)
{
    tca ca = tca_make("CA one", 0x11, 0);
    const uint8_t m128[] = { 0x80 };
    tentry es[] = { { s2, sizeof s2, 0, 0, 1799990000 },
                    { s3, 1, 0, 0, 1799990000 },
                    { m128, 1, 1, 0, 1799990000 },
                    { s20, 20, 0, 0, 1799990000 } };
    uint8_t *der;
    size_t len = tcrl_make(&ca, es, 4, 0, &der);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x), JPKI_CRLX_OK);
    uint8_t padded[40] = { 0 };
    memcpy(padded + 1, s2, sizeof s2); /* 00 80 01 ...: DER form */
    ck_assert_int_eq(look(x, padded + 1, sizeof s2).revoked, 1);
    ck_assert_int_eq(look(x, padded, sizeof s2 + 1).revoked, 1);
    memset(padded, 0, sizeof padded);
    padded[3] = 0x05;
    ck_assert_int_eq(look(x, padded, 4).revoked, 1); /* 00 00 00 05 */
    ck_assert_int_eq(look(x, padded + 3, 1).revoked, 1);
    /* -128 is listed: matched by magnitude, so 80 and 00 80 both hit (a
     * non-conformant negative serial errs towards "revoked"). */
    const uint8_t p128[] = { 0x00, 0x80 }, n128[] = { 0x80 },
                  p129[] = { 0x00, 0x81 };
    ck_assert_int_eq(look(x, n128, 1).revoked, 1);
    ck_assert_int_eq(look(x, p128, 2).revoked, 1);
    ck_assert_int_eq(look(x, p129, 2).revoked, 0);
    ck_assert_int_eq(look(x, s20, 20).revoked, 1); /* 20 octets, exact */
    uint8_t s20b[20];
    memcpy(s20b, s20, 20);
    s20b[19] ^= 0x80;
    ck_assert_int_eq(look(x, s20b, 20).revoked, 0);
    uint8_t long33[33];
    memset(long33, 0x7f, sizeof long33);
    ck_assert_int_eq(look(x, long33, sizeof long33).revoked, 0);
    jpki_crlx_close(x);
    OPENSSL_free(der);
    tca_free(&ca);
}
END_TEST

START_TEST(test_empty_and_v1)
{
    tca ca = tca_make("CA one", 0x11, 0);
    uint8_t *der;
    size_t len = tcrl_make(&ca, NULL, 0, 0, &der);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x), JPKI_CRLX_OK);
    ck_assert_uint_eq(jpki_crlx_get_info(x)->entries, 0);
    ck_assert_ptr_null(jpki_crlx_get_info(x)->idp);
    ck_assert_int_eq(look(x, s1, sizeof s1).revoked, 0);
    jpki_crlx_close(x);
    OPENSSL_free(der);
    tentry v1e = { s1, sizeof s1, 0, -1, 1799990000 };
    len = tcrl_make(&ca, &v1e, 1, T_V1, &der);
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x), JPKI_CRLX_OK);
    ck_assert_int_eq(look(x, s1, sizeof s1).revoked, 1);
    ck_assert_ptr_null(jpki_crlx_get_info(x)->crl_number);
    jpki_crlx_close(x);
    OPENSSL_free(der);
    tca_free(&ca);
}
END_TEST

START_TEST(test_pem)
{
    tca ca = tca_make("CA one", 0x11, 0);
    uint8_t *der;
    size_t len = tcrl_make(&ca, three, 3, 0, &der);
    char *pem = tcrl_pem(der, len);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(open_der(&ca, NULL, (uint8_t *)pem, strlen(pem), &x),
                     JPKI_CRLX_OK);
    ck_assert_int_eq(look(x, s2, sizeof s2).revoked, 1);
    uint8_t h[32];
    SHA256(der, len, h);
    ck_assert_mem_eq(jpki_crlx_get_info(x)->crl_sha256, h, 32);
    jpki_crlx_close(x);
    memcpy(pem + 11, "CERTIFICATE", 11); /* not a CRL's PEM label */
    ck_assert_int_eq(open_der(&ca, NULL, (uint8_t *)pem, strlen(pem), &x),
                     JPKI_CRLX_ERR_PARSE);
    const char *bad =
        "-----BEGIN X509 CRL-----\n!!!!\n-----END X509 CRL-----\n";
    ck_assert_int_eq(
        open_der(&ca, NULL, (const uint8_t *)bad, strlen(bad), &x),
        JPKI_CRLX_ERR_PARSE);
    ck_assert_ptr_null(x);
    free(pem);
    OPENSSL_free(der);
    tca_free(&ca);
}
END_TEST

START_TEST(test_wrong_issuer)
{
    tca ca = tca_make("CA one", 0x11, 0), other = tca_make("CA two", 0x22, 1);
    tca same_name = tca_make("CA one", 0x33, 1);
    uint8_t *der;
    size_t len = tcrl_make(&ca, three, 3, 0, &der);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(open_der(&other, NULL, der, len, &x),
                     JPKI_CRLX_ERR_ISSUER);
    ck_assert_int_eq(open_der(&same_name, NULL, der, len, &x),
                     JPKI_CRLX_ERR_ISSUER);
    ck_assert_ptr_null(x);
    OPENSSL_free(der);
    /* Without an AKI the name alone picks the candidates: the wrong key of
     * the right name is a signature failure. */
    len = tcrl_make(&ca, three, 3, T_NO_AKI, &der);
    ck_assert_int_eq(open_der(&same_name, NULL, der, len, &x),
                     JPKI_CRLX_ERR_SIGNATURE);
    ck_assert_int_eq(open_der(&same_name, &ca, der, len, &x), JPKI_CRLX_OK);
    jpki_crlx_close(x);
    OPENSSL_free(der);
    tca_free(&ca);
    tca_free(&other);
    tca_free(&same_name);
}
END_TEST

START_TEST(test_generations_by_aki)
{
    tca g1 = tca_make("JPKI CA", 0x01, 0), g2 = tca_make("JPKI CA", 0x02, 1);
    uint8_t *der;
    size_t len = tcrl_make(&g2, three, 3, 0, &der);
    jpki_crlx *x = NULL;
    uint8_t spki2[32];
    unsigned char *spki = NULL;
    int sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(g2.cert), &spki);
    SHA256(spki, (size_t)sl, spki2);
    OPENSSL_free(spki);
    ck_assert_int_eq(open_der(&g1, &g2, der, len, &x), JPKI_CRLX_OK);
    ck_assert_mem_eq(jpki_crlx_get_info(x)->issuer_spki_sha256, spki2, 32);
    jpki_crlx_close(x);
    ck_assert_int_eq(open_der(&g2, &g1, der, len, &x), JPKI_CRLX_OK);
    ck_assert_mem_eq(jpki_crlx_get_info(x)->issuer_spki_sha256, spki2, 32);
    jpki_crlx_close(x);
    ck_assert_int_eq(open_der(&g1, NULL, der, len, &x), JPKI_CRLX_ERR_ISSUER);
    OPENSSL_free(der);
    tca_free(&g1);
    tca_free(&g2);
}
END_TEST

START_TEST(test_bad_signature)
{
    tca ca = tca_make("CA one", 0x11, 0);
    uint8_t *der;
    size_t len = tcrl_make(&ca, three, 3, 0, &der);
    jpki_crlx *x = NULL;
    der[len - 10] ^= 0x04; /* in the signature value */
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x),
                     JPKI_CRLX_ERR_SIGNATURE);
    der[len - 10] ^= 0x04;
    uint8_t *hit = memmem(der, len, s1, sizeof s1);
    ck_assert_ptr_nonnull(hit);
    hit[3] ^= 0x01; /* an entry's serial */
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x),
                     JPKI_CRLX_ERR_SIGNATURE);
    ck_assert_ptr_null(x);
    OPENSSL_free(der);
    tca_free(&ca);
}
END_TEST

/* Every prefix, every single-byte change, trailing bytes, random garbage:
 * never OK, never a crash (ASan build). */
START_TEST(test_truncated_and_garbage)
{
    tca ca = tca_make("CA one", 0x11, 0);
    uint8_t *der;
    size_t len = tcrl_make(&ca, three, 3, T_IDP, &der);
    jpki_crlx *x = NULL;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, der, cut);
        jpki_crlx_rv rv = open_der(&ca, NULL, p, cut, &x);
        ck_assert_msg(rv == JPKI_CRLX_ERR_PARSE, "cut at %zu: %d", cut, rv);
        free(p);
    }
    for (size_t i = 0; i < len; i++) {
        der[i] ^= 0x01;
        ck_assert_msg(open_der(&ca, NULL, der, len, &x) != JPKI_CRLX_OK,
                      "byte %zu", i);
        der[i] ^= 0x01;
        der[i] ^= 0x80;
        ck_assert_msg(open_der(&ca, NULL, der, len, &x) != JPKI_CRLX_OK,
                      "byte %zu", i);
        der[i] ^= 0x80;
    }
    uint8_t *more = malloc(len + 2);
    memcpy(more, der, len);
    more[len] = 0;
    more[len + 1] = 0;
    ck_assert_int_eq(open_der(&ca, NULL, more, len + 2, &x),
                     JPKI_CRLX_ERR_PARSE);
    free(more);
    uint8_t junk[512];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)rand();
        junk[0] = 0x30;
        ck_assert_int_ne(open_der(&ca, NULL, junk, (size_t)(rand() % 512), &x),
                         JPKI_CRLX_OK);
    }
    ck_assert_ptr_null(x);
    OPENSSL_free(der);
    tca_free(&ca);
}
END_TEST

START_TEST(test_unsupported)
{
    tca ca = tca_make("CA one", 0x11, 0);
    const unsigned bad[] = { T_DELTA, T_UNKNOWN_CRIT, T_ENTRY_CRIT,
                             T_CERT_ISSUER, T_INDIRECT };
    jpki_crlx *x = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *der;
        size_t len = tcrl_make(&ca, three, 3, bad[i], &der);
        ck_assert_msg(open_der(&ca, NULL, der, len, &x) ==
                          JPKI_CRLX_ERR_UNSUPPORTED,
                      "flags %u accepted", bad[i]);
        OPENSSL_free(der);
    }
    ck_assert_ptr_null(x);
    uint8_t *der; /* unknown but not critical: fine */
    size_t len = tcrl_make(&ca, three, 3, T_UNKNOWN_NONCRIT | T_IDP, &der);
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x), JPKI_CRLX_OK);
    jpki_crlx_close(x);
    OPENSSL_free(der);
    ck_assert_str_ne(jpki_crlx_strerror(JPKI_CRLX_ERR_UNSUPPORTED), "");
    tca_free(&ca);
}
END_TEST

/* Thousands of entries of every serial length 2..20 in random order:
 * exercises the buckets and the in-place sort against OpenSSL's view.
 * Loop 0: random serials; 1: all share their top 12 bits (one coarse
 * bucket: the local counting sort); 2: all share 20 bits (sub-buckets of
 * hundreds: the heapsort). */
START_TEST(test_many_entries)
{
    tca ca = tca_make("CA one", 0x11, 0);
    enum { N = 3000 };
    static uint8_t ser[N][20];
    static tentry es[N];
    srand(7);
    for (size_t i = 0; i < N; i++) {
        size_t l = _i && i % 2
                       ? 20
                       : 2 + (i * 7) % 19; /* 2..20 octets, unique by i */
        for (size_t k = 0; k < l; k++)
            ser[i][k] = (uint8_t)rand();
        ser[i][0] = (uint8_t)((ser[i][0] & 0x7f) | 1);
        if (_i >= 1 && l == 20) {
            ser[i][0] = 0x12;
            ser[i][1] = (uint8_t)((ser[i][1] & 0x0f) | 0x30);
        }
        if (_i == 2 && l == 20)
            ser[i][2] = (uint8_t)((ser[i][2] & 0x0f) | 0x40);
        ser[i][l - 2] = (uint8_t)(i >> 8);
        ser[i][l - 1] = (uint8_t)i;
        es[i] = (tentry){ ser[i], l, 0, i % 11 == 7 ? -1 : (int)(i % 11),
                          1700000000 + (int64_t)i };
    }
    uint8_t *der;
    size_t len = tcrl_make(&ca, es, N, 0, &der);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(open_der(&ca, NULL, der, len, &x), JPKI_CRLX_OK);
    ck_assert_uint_eq(jpki_crlx_get_info(x)->entries, N);
    for (size_t i = 0; i < N; i++) {
        jpki_crlx_entry e = look(x, es[i].serial, es[i].len);
        ck_assert_msg(e.revoked == 1, "entry %zu missing", i);
        ck_assert_int_eq(e.revocation_date, es[i].date);
        ck_assert_int_eq(e.reason, es[i].reason);
        uint8_t probe[20];
        memcpy(probe, es[i].serial, es[i].len);
        probe[es[i].len - 1] ^= 0x40;
        int listed = 0;
        for (size_t j = 0; j < N; j++)
            listed |= es[j].len == es[i].len &&
                      !memcmp(es[j].serial, probe, es[i].len);
        ck_assert_int_eq(look(x, probe, es[i].len).revoked, listed);
    }
    jpki_crlx_close(x);
    OPENSSL_free(der);
    tca_free(&ca);
}
END_TEST

/* Lengths must be definite and minimal; times strict DER. */
START_TEST(test_non_der)
{
    tca ca = tca_make("CA one", 0x11, 0);
    uint8_t *der;
    size_t len = tcrl_make(&ca, three, 3, 0, &der);
    jpki_crlx *x = NULL;
    ck_assert_uint_eq(der[1], 0x82); /* 30 82 hi lo */
    uint8_t *longer = malloc(len + 1);
    longer[0] = 0x30;
    longer[1] = 0x83;
    longer[2] = 0x00; /* 30 83 00 hi lo */
    memcpy(longer + 3, der + 2, len - 2);
    ck_assert_int_eq(open_der(&ca, NULL, longer, len + 1, &x),
                     JPKI_CRLX_ERR_PARSE);
    longer[1] = 0x80; /* indefinite */
    ck_assert_int_eq(open_der(&ca, NULL, longer, len + 1, &x),
                     JPKI_CRLX_ERR_PARSE);
    free(longer);
    ck_assert_ptr_null(x);
    OPENSSL_free(der);
    tca_free(&ca);

    const struct {
        const char *t;
        unsigned tag;
        int ok;
        int64_t want;
    } tv[] = {
        { "270115083000Z", 0x17, 1, 1800001800 },
        { "20270115083000Z", 0x18, 1, 1800001800 },
        { "491231235959Z", 0x17, 1, 2524607999 },
        { "500101000000Z", 0x17, 1, -631152000 },
        { "20240229000000Z", 0x18, 1, 1709164800 },
        { "20230229000000Z", 0x18, 0, 0 },
        { "270115083000", 0x17, 0, 0 },
        { "2701150830Z", 0x17, 0, 0 },
        { "270115083000+0900", 0x17, 0, 0 },
        { "271315083000Z", 0x17, 0, 0 },
        { "270115246000Z", 0x17, 0, 0 },
        { "27011508300aZ", 0x17, 0, 0 },
        { "20270115083000.5Z", 0x18, 0, 0 },
        { "270115083000Z", 0x18, 0, 0 },
    };
    for (size_t i = 0; i < sizeof tv / sizeof tv[0]; i++) {
        int64_t got = 0;
        crlx_span v = { (const uint8_t *)tv[i].t, strlen(tv[i].t) };
        ck_assert_msg((crlx_der_time(tv[i].tag, v, &got) == 0) == tv[i].ok,
                      "%s", tv[i].t);
        if (tv[i].ok)
            ck_assert_msg(got == tv[i].want, "%s: %lld", tv[i].t,
                          (long long)got);
    }
}
END_TEST

Suite *crl_suite(void);
Suite *crl_suite(void)
{
    Suite *s = suite_create("crl_index");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lookup_found_and_not);
    tcase_add_test(tc, test_leading_zeros_and_sign);
    tcase_add_test(tc, test_empty_and_v1);
    tcase_add_test(tc, test_pem);
    tcase_add_test(tc, test_wrong_issuer);
    tcase_add_test(tc, test_generations_by_aki);
    tcase_add_test(tc, test_bad_signature);
    tcase_add_test(tc, test_truncated_and_garbage);
    tcase_add_test(tc, test_unsupported);
    tcase_add_loop_test(tc, test_many_entries, 0, 3);
    tcase_add_test(tc, test_non_der);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tcase_crl_cache());
    suite_add_tcase(s, tcase_crl_lookup());
    suite_add_tcase(s, tcase_crl_hostile());
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(crl_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
