/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_verify_san.c - personal data from the signature certificate's
 * subjectAltName (src/jpki/san.c): the emulator's card, era conversion,
 * substitute-character fields, garbage; and the six shipped J-LIS roots
 * against the fingerprints in docs/trust.md.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "jpki/san.h"
#include "jpki/verify.h"
#include "verify_pki.h"

Suite *verify_san_suite(void);

START_TEST(emu_sign_cert)
{
    X509 *s = vp_card_cert(vp_card("plain"), 1);
    jpki_person p;
    ck_assert_int_eq(jpki_san_from_cert(s, &p), JPKI_SAN_OK);
    ck_assert_str_eq(p.name, "試験　花子");
    ck_assert_str_eq(p.address, "東京都千代田区試験町一丁目1番1号");
    ck_assert_int_eq(p.sex, 2);
    ck_assert_int_eq(p.birth_era, JPKI_ERA_HEISEI);
    ck_assert_int_eq(p.birth_year, 1990);
    ck_assert_int_eq(p.birth_month, 1);
    ck_assert_int_eq(p.birth_day, 1);
    ck_assert_str_eq(p.name_subst, "");
    ck_assert_uint_eq(p.present, 0x3F);
    jpki_person_clear(&p);
    ck_assert_ptr_null(p.name);
    ck_assert_uint_eq(p.present, 0);
    jpki_person_clear(&p);
    X509 *a = vp_card_cert(vp_card("plain"), 0);
    ck_assert_int_eq(jpki_san_from_cert(a, &p), JPKI_SAN_NONE);
    X509_free(a);
    X509_free(s);
}
END_TEST

START_TEST(birth_dates)
{
    static const struct {
        const char *s;
        int ok, era, y, m, d;
    } c[] = {
        { "319800217", 1, 3, 1980, 2, 17 }, /* Gregorian digits, Showa */
        { "419900101", 1, 4, 1990, 1, 1 },
        { "400020101", 1, 4, 1990, 1, 1 }, /* Heisei 2 */
        { "300640107", 1, 3, 1989, 1, 7 }, /* Showa 64, its last day */
        { "319890107", 1, 3, 1989, 1, 7 },
        { "419890108", 1, 4, 1989, 1, 8 },
        { "419890107", 0, 0, 0, 0, 0 }, /* still Showa that day */
        { "520190501", 1, 5, 2019, 5, 1 },
        { "500070315", 1, 5, 2025, 3, 15 }, /* Reiwa 7 */
        { "519900101", 0, 0, 0, 0, 0 },     /* Reiwa cannot be 1990 */
        { "119000101", 1, 1, 1900, 1, 1 },
        { "219200229", 1, 2, 1920, 2, 29 }, /* Taisho, a leap day */
        { "019800217", 1, 0, 1980, 2, 17 }, /* era unknown */
        { "000010101", 0, 0, 0, 0, 0 },     /* unknown era, era year */
        { "420190229", 0, 0, 0, 0, 0 },     /* no such day */
        { "419901301", 0, 0, 0, 0, 0 },
        { "619900101", 0, 0, 0, 0, 0 }, /* no era 6 */
        { "41990010", 0, 0, 0, 0, 0 },
        { "4199001011", 0, 0, 0, 0, 0 },
        { "4-1990-01", 0, 0, 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        jpki_era era = 0;
        int y = 0, m = 0, d = 0;
        int rc = jpki_san_birth(c[i].s, strlen(c[i].s), &era, &y, &m, &d);
        ck_assert_msg((rc == 0) == c[i].ok, "%s", c[i].s);
        if (c[i].ok)
            ck_assert_msg((int)era == c[i].era && y == c[i].y && m == c[i].m &&
                              d == c[i].d,
                          "%s -> %d %d-%d-%d", c[i].s, era, y, m, d);
    }
    ck_assert_str_eq(jpki_era_name(JPKI_ERA_REIWA), "Reiwa");
    ck_assert_str_eq(jpki_era_name(JPKI_ERA_MEIJI), "Meiji");
}
END_TEST

START_TEST(substitutes_and_others)
{
    uint8_t der[300];
    const vp_attr a[] = {
        { 1, 0, "山田太郎" },  { 2, 0, "0010" },        { 3, 0, "1" },
        { 4, 0, "300450607" }, { 5, 0, "大阪府" },      { 6, 0, "010" },
        { 0, 0, "ignored" },   { 9, 0, "a later arc" },
    };
    size_t n = vp_san_der(der, a, 8);
    jpki_person p;
    ck_assert_int_eq(jpki_san_decode(der, n, &p), JPKI_SAN_OK);
    ck_assert_str_eq(p.name_subst, "0010");
    ck_assert_str_eq(p.address_subst, "010");
    ck_assert_int_eq(p.sex, 1);
    ck_assert_int_eq(p.birth_year, 1970);
    jpki_person_clear(&p);
    /* only some attributes */
    const vp_attr b[] = { { 3, 0, "3" } };
    n = vp_san_der(der, b, 1);
    ck_assert_int_eq(jpki_san_decode(der, n, &p), JPKI_SAN_OK);
    ck_assert_uint_eq(p.present, JPKI_PD_SEX);
    ck_assert_ptr_null(p.name);
    jpki_person_clear(&p);
    /* none of ours */
    const vp_attr c[] = { { 0, 0, "x" } };
    n = vp_san_der(der, c, 1);
    ck_assert_int_eq(jpki_san_decode(der, n, &p), JPKI_SAN_NONE);
}
END_TEST

START_TEST(garbage_san)
{
    static const vp_attr bad[][2] = {
        { { 2, 0, "01x" }, { 1, 0, "a" } }, /* flags not 0/1 */
        { { 3, 0, "4" }, { 1, 0, "a" } },   /* sex */
        { { 3, 0, "12" }, { 1, 0, "a" } },
        { { 4, 0, "519900101" }, { 1, 0, "a" } },
        { { 1, 0, "a" }, { 1, 0, "b" } },            /* twice */
        { { 1, 0, "\xff\xfe" }, { 3, 0, "1" } },     /* not UTF-8 */
        { { 1, 0, "\xe8\xa9" }, { 3, 0, "1" } },     /* cut UTF-8 */
        { { 1, 0, "\xc0\xaf" }, { 3, 0, "1" } },     /* overlong '/' */
        { { 1, 0, "\xe0\x80\xaf" }, { 3, 0, "1" } }, /* overlong, 3 bytes */
        { { 1, 0, "\xf0\x80\x80\xaf" },
          { 3, 0, "1" } },                           /* overlong, 4 bytes */
        { { 1, 0, "\xed\xa0\x80" }, { 3, 0, "1" } }, /* a surrogate */
        { { 1, 0, "\xf4\x90\x80\x80" }, { 3, 0, "1" } }, /* beyond U+10FFFF */
        { { 1, 0, "a\x1b[2Jb" }, { 3, 0, "1" } }, /* ESC: a terminal escape */
        { { 5, 0, "x\r\nstatus: valid" }, { 3, 0, "1" } }, /* CR LF */
        { { 5, 0, "x\ty" }, { 3, 0, "1" } },               /* TAB */
        { { 1, 0, "a\x7f" }, { 3, 0, "1" } },              /* DEL */
        { { 1, 0,
            "a\xc2\x9b"
            "2J" },
          { 3, 0, "1" } },                        /* C1 CSI */
        { { 1, 0, "a\xc2\x85" }, { 3, 0, "1" } }, /* C1 NEL */
        { { 1, 0, "" }, { 3, 0, "1" } },          /* empty name */
        { { 1, 0x02, "1" }, { 3, 0, "1" } },      /* INTEGER, not a string */
    };
    uint8_t der[300];
    jpki_person p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = vp_san_der(der, bad[i], 2);
        ck_assert_msg(jpki_san_decode(der, n, &p) == JPKI_SAN_MALFORMED,
                      "case %zu", i);
        ck_assert_ptr_null(p.name);
        ck_assert_uint_eq(p.present, 0);
    }
    const vp_attr good[] = { { 1, 0, "名前" }, { 3, 0, "2" } };
    size_t n = vp_san_der(der, good, 2);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < n; cut++)
        ck_assert_msg(jpki_san_decode(der, cut, &p) != JPKI_SAN_OK, "cut %zu",
                      cut);
    /* trailing bytes, wrong outer tag, long-form overflow */
    der[n] = 0;
    ck_assert_int_eq(jpki_san_decode(der, n + 1, &p), JPKI_SAN_MALFORMED);
    der[0] = 0x31;
    ck_assert_int_eq(jpki_san_decode(der, n, &p), JPKI_SAN_MALFORMED);
    static const uint8_t huge[] = { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00 };
    ck_assert_int_eq(jpki_san_decode(huge, sizeof huge, &p),
                     JPKI_SAN_MALFORMED);
    /* random bytes never crash */
    srand(7);
    for (int i = 0; i < 2000; i++) {
        uint8_t r[64];
        for (size_t j = 0; j < sizeof r; j++)
            r[j] = (uint8_t)rand();
        r[0] = 0x30;
        r[1] = (uint8_t)(rand() % 70);
        if (jpki_san_decode(r, sizeof r, &p) == JPKI_SAN_OK)
            jpki_person_clear(&p);
    }
    ck_assert_int_eq(jpki_san_decode(NULL, 0, &p), JPKI_SAN_NONE);
}
END_TEST

/* The six roots shipped in data/roots load, are self-signed CAs, and each
 * SHA-256 fingerprint is the one docs/trust.md publishes. */
START_TEST(shipped_roots)
{
    const char *src = getenv("top_srcdir");
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/data/roots", src ? src : "..");
    char err[256];
    jpki_anchors *a = jpki_anchors_load(dir, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    STACK_OF(X509) *certs = jpki_anchors_certs(a);
    ck_assert_int_eq(sk_X509_num(certs), 6);
    snprintf(path, sizeof path, "%s/docs/trust.md", src ? src : "..");
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char readme[1 << 17];
    size_t n = fread(readme, 1, sizeof readme - 1, f);
    readme[n] = '\0';
    fclose(f);
    int auth = 0, sign = 0;
    for (int i = 0; i < 6; i++) {
        X509 *x = sk_X509_value(certs, i);
        uint8_t md[32];
        unsigned mdlen;
        char hex[100];
        X509_digest(x, EVP_sha256(), md, &mdlen);
        for (int j = 0; j < 32; j++)
            snprintf(hex + 3 * j, 4, "%02X%s", md[j], j < 31 ? ":" : "");
        ck_assert_msg(strstr(readme, hex) != NULL, "docs/trust.md lacks %s",
                      hex);
        ck_assert_int_eq(X509_check_issued(x, x), X509_V_OK);
        ck_assert_int_eq(X509_verify(x, X509_get0_pubkey(x)), 1);
        ck_assert_int_eq(X509_check_ca(x), 1);
        char on[200];
        X509_NAME_oneline(X509_get_subject_name(x), on, sizeof on);
        auth += strstr(on, "OU=JPKI for user authentication") != NULL;
        sign += strstr(on, "OU=JPKI for digital signature") != NULL;
    }
    ck_assert_int_eq(auth, 3);
    ck_assert_int_eq(sign, 3);
    jpki_anchors_free(a);
}
END_TEST

Suite *verify_san_suite(void)
{
    Suite *s = suite_create("verify-san");
    TCase *tc = tcase_create("san");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, emu_sign_cert);
    tcase_add_test(tc, birth_dates);
    tcase_add_test(tc, substitutes_and_others);
    tcase_add_test(tc, garbage_san);
    tcase_add_test(tc, shipped_roots);
    suite_add_tcase(s, tc);
    return s;
}
