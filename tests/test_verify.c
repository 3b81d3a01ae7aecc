/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_verify.c - the relying-party checks (src/jpki/verify.h): chain and
 * profile here, CRLs in test_verify_crl.c, personal data and the shipped
 * roots in test_verify_san.c. Every failure reason has a test that makes
 * it happen and checks that the verdict follows.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "jpki/verify.h"
#include "verify_pki.h"

Suite *verify_crl_suite(void);
Suite *verify_san_suite(void);

static jpki_vresult res;

/* A directory holding just these anchors. */
static void anchors_dir(char *dir, size_t len, X509 *const *certs, size_t n)
{
    char path[600], name[32];
    vp_subdir(dir, len, "anchors");
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "a%zu.der", i);
        vp_write_cert(path, sizeof path, dir, name, certs[i]);
    }
}

static void one_ca(vp_ca *ca, char *dir, size_t len)
{
    time_t now = time(NULL);
    vp_ca_make(ca, now - 30 * DAY, now + 3650 * DAY);
    anchors_dir(dir, len, &ca->cert, 1);
}

#define ONLY(r, why)                                                          \
    ck_assert_msg((r)->reasons == (UINT64_C(1) << (why)), "reasons %#llx",    \
                  (unsigned long long)(r)->reasons)

START_TEST(emu_auth_valid)
{
    const char *card = vp_card("plain");
    char pki[600];
    snprintf(pki, sizeof pki, "%s.pki", card);
    X509 *x = vp_card_cert(card, 0);
    ck_assert_int_eq(vp_verify(x, pki, NULL, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_VALID);
    ck_assert_uint_eq(res.reasons, 0);
    ck_assert_uint_eq(res.chain_len, 2);
    ck_assert(!res.chain[0].is_anchor && res.chain[1].is_anchor);
    ck_assert_ptr_nonnull(strstr(res.chain[1].subject, "O=JPKI-TEST"));
    ck_assert_int_eq(res.revocation, JPKI_REV_NOT_CHECKED);
    /* the sign certificate is no auth certificate */
    X509 *s = vp_card_cert(card, 1);
    ck_assert_int_eq(vp_verify(s, pki, NULL, 0, JPKI_PURPOSE_AUTH,
                               JPKI_VF_ALLOW_TEST_PKI, &res),
                     JPKI_VS_INVALID);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_EXT_KEY_USAGE));
    ck_assert(jpki_vresult_has(&res, JPKI_VR_POLICY));
    /* the auth certificate is no sign certificate (no nonRepudiation) */
    ck_assert_int_eq(vp_verify(x, pki, NULL, 0, JPKI_PURPOSE_SIGN,
                               JPKI_VF_ALLOW_TEST_PKI, &res),
                     JPKI_VS_INVALID);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_KEY_USAGE));
    X509_free(s);
    X509_free(x);
}
END_TEST

START_TEST(emu_sign_needs_test_flag)
{
    const char *card = vp_card("plain");
    char pki[600];
    snprintf(pki, sizeof pki, "%s.pki", card);
    X509 *s = vp_card_cert(card, 1);
    ck_assert_int_eq(vp_verify(s, pki, NULL, 0, JPKI_PURPOSE_SIGN, 0, &res),
                     JPKI_VS_INVALID);
    ONLY(&res, JPKI_VR_POLICY_TEST);
    ck_assert_int_eq(vp_verify(s, pki, NULL, 0, JPKI_PURPOSE_SIGN,
                               JPKI_VF_ALLOW_TEST_PKI, &res),
                     JPKI_VS_VALID);
    X509_free(s);
}
END_TEST

START_TEST(emu_expired)
{
    const char *card = vp_card("expired");
    char pki[600];
    snprintf(pki, sizeof pki, "%s.pki", card);
    X509 *x = vp_card_cert(card, 0);
    ck_assert_int_eq(vp_verify(x, pki, NULL, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_EXPIRED);
    ONLY(&res, JPKI_VR_EXPIRED);
    /* valid at a time inside its validity */
    int64_t mid = (res.chain[0].not_before + res.chain[0].not_after) / 2;
    ck_assert_int_eq(vp_verify(x, pki, NULL, mid, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_VALID);
    X509_free(x);
}
END_TEST

/* Three generations, one name: the issuer is found by key identifier;
 * with only the older generations it is not found at all. */
START_TEST(emu_generations_by_aki)
{
    const char *card = vp_card("gens3");
    char pki[600], path[700], dir[600];
    snprintf(pki, sizeof pki, "%s.pki", card);
    X509 *x = vp_card_cert(card, 0);
    ck_assert_int_eq(vp_verify(x, pki, NULL, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_VALID);
    snprintf(path, sizeof path, "%s/auth-ca.pem", pki);
    FILE *f = fopen(path, "r");
    X509 *newest = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    uint8_t fpr[32];
    unsigned n;
    X509_digest(newest, EVP_sha256(), fpr, &n);
    ck_assert_mem_eq(res.chain[1].sha256, fpr, 32);
    X509 *old[2];
    for (int g = 0; g < 2; g++) {
        snprintf(path, sizeof path, "%s/auth-ca-%d.pem", pki, g + 1);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        old[g] = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(old[g]),
                                       X509_get_subject_name(newest)),
                         0);
    }
    anchors_dir(dir, sizeof dir, old, 2);
    ck_assert_int_eq(vp_verify(x, dir, NULL, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_UNTRUSTED);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_NO_ISSUER));
    X509_free(old[0]);
    X509_free(old[1]);
    X509_free(newest);
    X509_free(x);
}
END_TEST

/* An expired root serves a check at a past time, not now. */
START_TEST(past_time_expired_root)
{
    time_t now = time(NULL);
    vp_ca ca;
    char dir[600];
    vp_ca_make(&ca, now - 4000 * DAY, now - 400 * DAY);
    anchors_dir(dir, sizeof dir, &ca.cert, 1);
    vp_leaf_opts lo = { .nb = now - 3000 * DAY, .na = now - 1200 * DAY };
    X509 *x = vp_leaf(&ca, &lo);
    int64_t then = now - 2000 * DAY;
    ck_assert_int_eq(vp_verify(x, dir, NULL, then, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_VALID);
    ck_assert_int_eq(vp_verify(x, dir, NULL, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_EXPIRED);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_EXPIRED));
    ck_assert(jpki_vresult_has(&res, JPKI_VR_ISSUER_EXPIRED));
    /* before the leaf began */
    ck_assert_int_eq(
        vp_verify(x, dir, NULL, now - 3500 * DAY, JPKI_PURPOSE_AUTH, 0, &res),
        JPKI_VS_EXPIRED);
    ONLY(&res, JPKI_VR_NOT_YET_VALID);
    /* before the root began, too */
    ck_assert_int_eq(
        vp_verify(x, dir, NULL, now - 5000 * DAY, JPKI_PURPOSE_AUTH, 0, &res),
        JPKI_VS_EXPIRED);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_ISSUER_NOT_YET_VALID));
    X509_free(x);
    vp_ca_free(&ca);
}
END_TEST

START_TEST(bad_signature)
{
    vp_ca ca;
    char dir[600];
    one_ca(&ca, dir, sizeof dir);
    X509 *x = vp_leaf(&ca, NULL);
    size_t n;
    uint8_t *der = vp_der(x, &n);
    der[n - 5] ^= 0x01; /* inside the signature */
    ck_assert_int_eq(vp_verify(NULL, dir, NULL, 0, 0, 0, &res),
                     JPKI_VS_BAD_INPUT);
    jpki_vopts o = { .anchors_dir = dir };
    ck_assert_int_eq(jpki_verify(der, n, &o, &res), JPKI_VS_UNTRUSTED);
    ONLY(&res, JPKI_VR_BAD_SIGNATURE);
    OPENSSL_free(der);
    X509_free(x);
    vp_ca_free(&ca);
}
END_TEST

START_TEST(bad_input)
{
    static const uint8_t junk[] = "this is no certificate";
    jpki_vopts o = { .anchors_dir = "/nonexistent" };
    ck_assert_int_eq(jpki_verify(junk, sizeof junk, &o, &res),
                     JPKI_VS_BAD_INPUT);
    ONLY(&res, JPKI_VR_BAD_INPUT);
    ck_assert_int_eq(jpki_verify(NULL, 0, &o, &res), JPKI_VS_BAD_INPUT);
    /* a truncated certificate */
    vp_ca ca;
    char dir[600];
    one_ca(&ca, dir, sizeof dir);
    X509 *x = vp_leaf(&ca, NULL);
    size_t n;
    uint8_t *der = vp_der(x, &n);
    o.anchors_dir = dir;
    ck_assert_int_eq(jpki_verify(der, n - 10, &o, &res), JPKI_VS_BAD_INPUT);
    /* anchors that cannot be loaded */
    o.anchors_dir = "/nonexistent";
    ck_assert_int_eq(jpki_verify(der, n, &o, &res), JPKI_VS_UNTRUSTED);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_NO_ANCHORS));
    ck_assert_ptr_null(jpki_anchors_load("/nonexistent", (char[64]){ 0 }, 64));
    OPENSSL_free(der);
    X509_free(x);
    vp_ca_free(&ca);
}
END_TEST

START_TEST(profile_reasons)
{
    vp_ca ca;
    char dir[600];
    one_ca(&ca, dir, sizeof dir);
    static const struct {
        vp_leaf_opts o;
        jpki_purpose p;
        unsigned flags;
        jpki_vreason why;
    } cases[] = {
        { { .key_usage = "critical,keyEncipherment" },
          JPKI_PURPOSE_AUTH,
          0,
          JPKI_VR_KEY_USAGE },
        { { .key_usage = "" }, JPKI_PURPOSE_AUTH, 0, JPKI_VR_KEY_USAGE },
        { { .sign = 1, .key_usage = "critical,digitalSignature" },
          JPKI_PURPOSE_SIGN,
          0,
          JPKI_VR_KEY_USAGE },
        { { .no_eku = 1 }, JPKI_PURPOSE_AUTH, 0, JPKI_VR_EXT_KEY_USAGE },
        { { .policy = "" }, JPKI_PURPOSE_AUTH, 0, JPKI_VR_POLICY },
        { { .policy = "1.2.3.4" }, JPKI_PURPOSE_AUTH, 0, JPKI_VR_POLICY },
        { { .sign = 1, .policy = JPKI_POLICY_SIGN_TEST },
          JPKI_PURPOSE_SIGN,
          0,
          JPKI_VR_POLICY_TEST },
        { { .sign = 1, .policy = JPKI_POLICY_AUTH },
          JPKI_PURPOSE_SIGN,
          JPKI_VF_ALLOW_TEST_PKI,
          JPKI_VR_POLICY },
        { { .unknown_critical = 1 },
          JPKI_PURPOSE_AUTH,
          0,
          JPKI_VR_CRITICAL_EXT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509 *x = vp_leaf(&ca, &cases[i].o);
        ck_assert_int_eq(
            vp_verify(x, dir, NULL, 0, cases[i].p, cases[i].flags, &res),
            JPKI_VS_INVALID);
        ck_assert_msg(res.reasons == (UINT64_C(1) << cases[i].why),
                      "case %zu: %#llx", i, (unsigned long long)res.reasons);
        X509_free(x);
    }
    /* the good ones */
    vp_leaf_opts sign = { .sign = 1 };
    X509 *x = vp_leaf(&ca, &sign);
    ck_assert_int_eq(vp_verify(x, dir, NULL, 0, JPKI_PURPOSE_SIGN, 0, &res),
                     JPKI_VS_VALID);
    X509_free(x);
    /* a leaf claiming to be a CA */
    vp_leaf_opts ca_leaf = { .is_ca = 1 };
    x = vp_leaf(&ca, &ca_leaf);
    ck_assert_int_eq(vp_verify(x, dir, NULL, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_INVALID);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_LEAF_IS_CA));
    X509_free(x);
    vp_ca_free(&ca);
}
END_TEST

/* Every reason has a name and a text; names are unique. */
START_TEST(reason_names)
{
    for (int i = 0; i < JPKI_VR_COUNT; i++) {
        ck_assert_str_ne(jpki_vreason_name((jpki_vreason)i), "?");
        ck_assert_str_ne(jpki_vreason_text((jpki_vreason)i), "?");
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(jpki_vreason_name((jpki_vreason)i),
                             jpki_vreason_name((jpki_vreason)j));
    }
    ck_assert_str_eq(jpki_vstatus_name(JPKI_VS_REVOCATION_UNKNOWN),
                     "revocation-unknown");
}
END_TEST

static Suite *verify_suite(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("chain");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, emu_auth_valid);
    tcase_add_test(tc, emu_sign_needs_test_flag);
    tcase_add_test(tc, emu_expired);
    tcase_add_test(tc, emu_generations_by_aki);
    tcase_add_test(tc, past_time_expired_root);
    tcase_add_test(tc, bad_signature);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, profile_reasons);
    tcase_add_test(tc, reason_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* The cards are made once, before Check forks a child per test. */
    vp_card("plain");
    vp_card("expired");
    vp_card("gens3");
    SRunner *sr = srunner_create(verify_suite());
    srunner_add_suite(sr, verify_crl_suite());
    srunner_add_suite(sr, verify_san_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
