/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_image.c - unit tests of the card emulator's image file, through
 * emu.h only: the loader's validation and error messages, optional fields,
 * saving, several handles on one image, and personalization (PIN checks,
 * file modes, the generated certificates' profile).
 *
 * Several tests edit an image's text the way a foreign writer would (a field
 * changed, the checksum recomputed) to reach the loader's checks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "emu/emu.h"
#include "emu_helpers.h"
#include "testutil.h"

/* ---- optional fields ---------------------------------------------------- */

START_TEST(test_ca_file_absent)
{
    rewrite_field(path, "auth_ca_cert", "-");
    reload_card();
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x000B), 0x6A82);
    ck_assert_uint_eq(select_ef(0x0002), 0x9000);
}
END_TEST

START_TEST(test_token_info_variant)
{
    uint8_t buf[256];
    size_t n;
    rewrite_field(path, "token_info", "JPKIAPGPSETOKEN");
    reload_card();
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0006), 0x9000);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x00), buf, &n),
                      0x9000);
    ck_assert_uint_eq(n, 160);
    ck_assert_mem_eq(buf, "JPKIAPGPSETOKEN                 ", 0x20);
}
END_TEST

/* ---- the image file ----------------------------------------------------- */

START_TEST(test_load_missing_and_odd_files)
{
    char p[4200];
    expect_load_error("/nonexistent/dir/card", EMU_ERR_IO, "cannot open");
    snprintf(p, sizeof p, "%s.pki", path); /* the template's copy has none */
    ck_assert_int_eq(mkdir(p, 0700), 0);
    expect_load_error(p, EMU_ERR_IO, "not a regular file");
    rmdir(p);
    spit(path, "", 0);
    expect_load_error(path, EMU_ERR_FORMAT, "bad magic");
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    spit(path, (const char *)junk, sizeof junk);
    expect_load_error(path, EMU_ERR_FORMAT, "bad magic");
    spit(path, "JPKI-EMU-CARD x\n", 16);
    expect_load_error(path, EMU_ERR_FORMAT, "version");
}
END_TEST

START_TEST(test_load_truncated)
{
    size_t len;
    char *buf = slurp(path, &len);
    emu_card_free(card);
    card = NULL;
    const size_t cuts[] = {
        1, 15, 16, 100, len / 2, len - 73, len - 2, len - 1
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        spit(path, buf, cuts[i]);
        char err[512] = "";
        ck_assert_int_eq(load_err(path, err, sizeof err), EMU_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(err, path));
    }
    spit(path, buf, len);
    reload_card();
    free(buf);
}
END_TEST

START_TEST(test_load_corrupt)
{
    size_t len;
    char *buf = slurp(path, &len);
    char *cert = strstr(buf, "\nauth_cert ");
    ck_assert_ptr_nonnull(cert);
    cert[40] = cert[40] == '0' ? '1' : '0'; /* one flipped digit */
    spit(path, buf, len);
    expect_load_error(path, EMU_ERR_FORMAT, "checksum");
    free(buf);
}
END_TEST

START_TEST(test_load_bad_fields)
{
    size_t len;
    char *orig = slurp(path, &len);
    char *sign_key = get_field(path, "sign_key");
    const struct {
        const char *key, *value, *what;
        emu_rv rv;
    } cases[] = {
        { "JPKI-EMU-CARD", "5", "version 5", EMU_ERR_VERSION },
        { "ec_sig_der", "2", "ec_sig_der", EMU_ERR_FORMAT },
        { "auth_tries", "4", "auth_tries", EMU_ERR_FORMAT },
        { "sign_tries", "-1", "sign_tries", EMU_ERR_FORMAT },
        { "auth_pin", "12345", "auth_pin", EMU_ERR_FORMAT },
        { "sign_pin", "abc123", "sign_pin", EMU_ERR_FORMAT },
        { "token_info", "jpki", "token_info", EMU_ERR_FORMAT },
        { "token_info", "JPKI-AP", "token_info", EMU_ERR_FORMAT },
        { "blocked_sw", "6982", "blocked_sw", EMU_ERR_FORMAT },
        { "blocked_query_sw", "63C0", "blocked_query_sw", EMU_ERR_FORMAT },
        { "unverified_sign_sw", "6a82", "unverified_sign_sw", EMU_ERR_FORMAT },
        { "unverified_sign_sw", "698", "unverified_sign_sw", EMU_ERR_FORMAT },
        { "reselect_keeps_pins", "2", "reselect_keeps_pins", EMU_ERR_FORMAT },
        { "select_fci", "x", "select_fci", EMU_ERR_FORMAT },
        { "serial_ap", "2", "serial_ap", EMU_ERR_FORMAT },
        { "sign_sfi", "2", "sign_sfi", EMU_ERR_FORMAT },
        { "ef0008", "8f8f0", "ef0008", EMU_ERR_FORMAT },
        { "ef0008", "8F8F00", "ef0008", EMU_ERR_FORMAT },
        { "serial", "ABCDEFGHIJKLMN", "serial", EMU_ERR_FORMAT },
        { "auth_key", sign_key, "does not match", EMU_ERR_FORMAT },
        { "auth_key", "3082", "auth_key", EMU_ERR_FORMAT },
        { "auth_cert", "-", "auth_cert", EMU_ERR_FORMAT },
        { "sign_cert", "30", "sign_cert", EMU_ERR_FORMAT },
        { "sign_ca_cert", "ABCD", "sign_ca_cert", EMU_ERR_FORMAT },
        { "auth_cert", "3", "auth_cert", EMU_ERR_FORMAT },
        { "bogus", "1", "extra", EMU_ERR_FORMAT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        spit(path, orig, len);
        rewrite_field(path, cases[i].key, cases[i].value);
        expect_load_error(path, cases[i].rv, cases[i].what);
    }
    free(sign_key);
    free(orig);
}
END_TEST

START_TEST(test_save_failure_answers_6581)
{
    char dir[4200], p[4300];
    snprintf(dir, sizeof dir, "%s.dir", path);
    snprintf(p, sizeof p, "%s/card", dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    size_t len;
    char *buf = slurp(path, &len);
    spit(p, buf, len);
    free(buf);
    emu_card *c;
    char err[512];
    ck_assert_int_eq(emu_card_load(p, &c, err, sizeof err), EMU_OK);
    ck_assert_int_eq(unlink(p), 0); /* nowhere left to save */
    ck_assert_int_eq(rmdir(dir), 0);
    ck_assert_uint_eq(txc(c, SELECT_JPKI, NULL, NULL), 0x9000);
    ck_assert_uint_eq(select_ef_on(c, 0x0018), 0x9000);
    ck_assert_uint_eq(verify_on(c, "1111"), 0x6581);
    ck_assert_uint_eq(query_on(c), 0x63C3);          /* nothing was spent */
    ck_assert_uint_eq(verify_on(c, "1234"), 0x9000); /* nothing to save */
    emu_card_free(c);
}
END_TEST

START_TEST(test_two_handles_share_counters)
{
    emu_card *a = card, *b;
    char err[512];
    ck_assert_int_eq(emu_card_load(path, &b, err, sizeof err), EMU_OK);
    ck_assert_uint_eq(txc(a, SELECT_JPKI, NULL, NULL), 0x9000);
    ck_assert_uint_eq(txc(b, SELECT_JPKI, NULL, NULL), 0x9000);
    ck_assert_uint_eq(select_ef_on(a, 0x0018), 0x9000);
    ck_assert_uint_eq(select_ef_on(b, 0x0018), 0x9000);

    ck_assert_int_eq(emu_card_lock(a), EMU_OK);
    ck_assert_uint_eq(verify_on(a, "1111"), 0x63C2);
    emu_card_unlock(a);
    ck_assert_int_eq(emu_card_lock(b), EMU_OK);
    ck_assert_uint_eq(query_on(b), 0x63C2);
    ck_assert_uint_eq(verify_on(b, "2222"), 0x63C1);
    emu_card_unlock(b);
    /* without an explicit lock each command still sees the latest file */
    ck_assert_uint_eq(query_on(a), 0x63C1);
    ck_assert_uint_eq(verify_on(a, "1234"), 0x9000);
    ck_assert_uint_eq(query_on(b), 0x63C3);
    emu_info info;
    ck_assert_int_eq(emu_card_lock(b), EMU_OK);
    ck_assert_int_eq(emu_card_get_info(b, &info), EMU_OK);
    emu_card_unlock(b);
    ck_assert_uint_eq(info.auth_tries, 3);
    /* each handle is its own session: a's VERIFY does not help b */
    ck_assert_uint_eq(select_ef_on(b, 0x0017), 0x9000);
    ck_assert_uint_eq(
        txc(b, APDU(0x80, 0x2A, 0x00, 0x80, 0x01, 0x00), NULL, NULL), 0x6982);
    emu_card_free(b);
}
END_TEST

START_TEST(test_lock_reloads_changed_image)
{
    emu_info info;
    rewrite_field(path, "sign_tries", "2");
    ck_assert_int_eq(emu_card_get_info(card, &info), EMU_OK);
    ck_assert_uint_eq(info.sign_tries, 5); /* not yet noticed */
    ck_assert_int_eq(emu_card_lock(card), EMU_OK);
    ck_assert_int_eq(emu_card_get_info(card, &info), EMU_OK);
    ck_assert_uint_eq(info.sign_tries, 2);
    ck_assert_uint_eq(info.format_version, 4);
    ck_assert_str_eq(info.token_info, "JPKIAPICCTOKEN2");
    emu_card_unlock(card);
    /* a corrupt replacement is refused by lock; the card keeps its state */
    spit(path, "garbage", 7);
    ck_assert_int_ne(emu_card_lock(card), EMU_OK);
    ck_assert_int_eq(emu_card_get_info(card, &info), EMU_OK);
    ck_assert_uint_eq(info.sign_tries, 2);
}
END_TEST

/* ---- personalization ---------------------------------------------------- */

START_TEST(test_personalize_rejects_bad_pins)
{
    static const char *bad_auth[] = { "",     "123",      "12345",
                                      "12a4", "１２３４", "12 4" };
    static const char *bad_sign[] = {
        "", "ABC12", "abc123", "ABC-123", "ABCDEFGHIJ1234567", "ABC 123"
    };
    char p[4200], err[512];
    struct stat st;
    snprintf(p, sizeof p, "%s.new", path);
    for (size_t i = 0; i < sizeof bad_auth / sizeof bad_auth[0]; i++) {
        emu_init_opts o = { .auth_pin = bad_auth[i] };
        err[0] = '\0';
        ck_assert_int_eq(emu_personalize(p, &o, err, sizeof err),
                         EMU_ERR_ARGS);
        ck_assert_ptr_nonnull(strstr(err, "authentication PIN"));
    }
    for (size_t i = 0; i < sizeof bad_sign / sizeof bad_sign[0]; i++) {
        emu_init_opts o = { .sign_pin = bad_sign[i] };
        err[0] = '\0';
        ck_assert_int_eq(emu_personalize(p, &o, err, sizeof err),
                         EMU_ERR_ARGS);
        ck_assert_ptr_nonnull(strstr(err, "signature PIN"));
    }
    ck_assert_int_ne(stat(p, &st), 0); /* nothing was written */
}
END_TEST

START_TEST(test_personalize_custom_pins)
{
    char p[4200], k[4300], err[512];
    struct stat st;
    snprintf(p, sizeof p, "%s.custom", path);
    emu_init_opts o = { .auth_pin = "0000", .sign_pin = "ZZZZZZZZZZZZZZZ9" };
    ck_assert_msg(emu_personalize(p, &o, err, sizeof err) == EMU_OK, "%s",
                  err);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    snprintf(k, sizeof k, "%s.pki", p);
    ck_assert_int_eq(stat(k, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    const char *files[] = { "auth-ca.key", "sign-ca.key", "auth-ca.pem",
                            "sign-ca.pem" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(k, sizeof k, "%s.pki/%s", p, files[i]);
        ck_assert_int_eq(stat(k, &st), 0);
        if (i < 2)
            ck_assert_uint_eq(st.st_mode & 0077, 0);
    }
    emu_card *c;
    ck_assert_int_eq(emu_card_load(p, &c, err, sizeof err), EMU_OK);
    ck_assert_uint_eq(txc(c, SELECT_JPKI, NULL, NULL), 0x9000);
    ck_assert_uint_eq(select_ef_on(c, 0x0018), 0x9000);
    ck_assert_uint_eq(verify_on(c, "0000"), 0x9000);
    ck_assert_uint_eq(select_ef_on(c, 0x001B), 0x9000);
    ck_assert_uint_eq(verify_on(c, "ZZZZZZZZZZZZZZZ9"), 0x9000);
    emu_card_free(c);
}
END_TEST

static int has_policy(X509 *x, const char *oid)
{
    int crit = 0;
    CERTIFICATEPOLICIES *pols =
        X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
    char buf[64] = "";
    if (pols && sk_POLICYINFO_num(pols) == 1)
        OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(pols, 0)->policyid,
                    1);
    CERTIFICATEPOLICIES_free(pols);
    return crit == 1 && strcmp(buf, oid) == 0;
}

START_TEST(test_certificate_profile)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    X509 *auth = read_cert(0x000A), *sign = read_cert(0x0001),
         *ca = read_cert(0x000B);
    /* CA name types: C PrintableString, the rest UTF8String */
    const X509_NAME *n = X509_get_subject_name(ca);
    ck_assert_int_eq(X509_NAME_entry_count(n), 4);
    ck_assert_int_eq(
        ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, 0))),
        V_ASN1_PRINTABLESTRING);
    for (int i = 1; i < 4; i++)
        ck_assert_int_eq(ASN1_STRING_type(X509_NAME_ENTRY_get_data(
                             X509_NAME_get_entry(n, i))),
                         V_ASN1_UTF8STRING);
    ck_assert_int_eq(X509_check_ca(ca), 1);
    ck_assert_ptr_null(X509_get0_authority_key_id(ca));
    /* leaf AKI = CA SKI */
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(auth),
                                           X509_get0_subject_key_id(ca)),
                     0);
    ck_assert_uint_eq(X509_get_key_usage(auth), KU_DIGITAL_SIGNATURE);
    ck_assert_uint_eq(X509_get_extended_key_usage(auth), XKU_SSL_CLIENT);
    ck_assert_uint_eq(X509_get_key_usage(sign),
                      KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
    ck_assert(has_policy(auth, "1.2.392.200149.8.5.1.3.30"));
    ck_assert(has_policy(sign, "1.2.392.200149.8.5.1.0.20"));
    ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(auth)), 2);
    ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(sign)), 4);
    /* the sign certificate's personal data: six otherNames */
    GENERAL_NAMES *san =
        X509_get_ext_d2i(sign, NID_subject_alt_name, NULL, NULL);
    ck_assert_ptr_nonnull(san);
    ck_assert_int_eq(sk_GENERAL_NAME_num(san), 6);
    for (int i = 0; i < 6; i++) {
        ASN1_OBJECT *oid;
        ASN1_TYPE *val;
        char buf[64], want[64];
        ck_assert_int_eq(GENERAL_NAME_get0_otherName(
                             sk_GENERAL_NAME_value(san, i), &oid, &val),
                         1);
        OBJ_obj2txt(buf, sizeof buf, oid, 1);
        snprintf(want, sizeof want, "1.2.392.200149.8.5.5.%d", i + 1);
        ck_assert_str_eq(buf, want);
        ck_assert_int_eq(val->type, V_ASN1_UTF8STRING);
    }
    GENERAL_NAMES_free(san);
    /* the leaf is valid now */
    ck_assert_int_lt(X509_cmp_current_time(X509_get0_notBefore(auth)), 0);
    ck_assert_int_gt(X509_cmp_current_time(X509_get0_notAfter(auth)), 0);
    X509_free(auth);
    X509_free(sign);
    X509_free(ca);
}
END_TEST

/* ---- runner ------------------------------------------------------------- */

static Suite *emu_image_suite(void)
{
    Suite *s = suite_create("emu_image");
    TCase *tc = tcase("image");
    tcase_add_test(tc, test_ca_file_absent);
    tcase_add_test(tc, test_token_info_variant);
    tcase_add_test(tc, test_load_missing_and_odd_files);
    tcase_add_test(tc, test_load_truncated);
    tcase_add_test(tc, test_load_corrupt);
    tcase_add_test(tc, test_load_bad_fields);
    tcase_add_test(tc, test_save_failure_answers_6581);
    tcase_add_test(tc, test_two_handles_share_counters);
    tcase_add_test(tc, test_lock_reloads_changed_image);
    suite_add_tcase(s, tc);

    tc = tcase("personalize");
    tcase_add_test(tc, test_personalize_rejects_bad_pins);
    tcase_add_test(tc, test_personalize_custom_pins);
    tcase_add_test(tc, test_certificate_profile);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Personalize the template once, here, so forked tests only copy it. */
    if (!tu_template_pki_dir())
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(emu_image_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
