/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the PC/SC backend's pure parts (src/reader/pcsc_part10.c):
 * the part 10 feature list, the CCID PIN structures for both JPKI PINs,
 * and the reader-name filter of the configuration. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reader/pcsc_part10.h"
#include "reader/reader_filter.h"

START_TEST(test_features)
{
    /* VERIFY 0x42330006, an unknown tag 0x12, MODIFY 0x42330007 */
    static const uint8_t list[] = { 0x06, 0x04, 0x42, 0x33, 0x00, 0x06,
                                    0x12, 0x04, 0x42, 0x33, 0x00, 0x12,
                                    0x07, 0x04, 0x42, 0x33, 0x00, 0x07 };
    pcsc_features f;

    ck_assert_int_eq(pcsc_parse_features(list, sizeof list, &f), 0);
    ck_assert_uint_eq(f.verify_pin_direct, 0x42330006u);
    ck_assert_uint_eq(f.modify_pin_direct, 0x42330007u);
    /* only the unknown tag: no PIN pad */
    ck_assert_int_eq(pcsc_parse_features(list + 6, 6, &f), 0);
    ck_assert_uint_eq(f.verify_pin_direct, 0);
    ck_assert_uint_eq(f.modify_pin_direct, 0);
    /* empty list: a reader without features */
    ck_assert_int_eq(pcsc_parse_features(list, 0, &f), 0);
    ck_assert_uint_eq(f.verify_pin_direct, 0);
    ck_assert_int_eq(pcsc_parse_features(NULL, 0, &f), 0);
}
END_TEST

START_TEST(test_features_malformed)
{
    static const uint8_t bad_len[] = { 0x06, 0x02, 0x42, 0x33 };
    static const uint8_t truncated[] = { 0x06, 0x04, 0x42, 0x33, 0x00 };
    static const uint8_t tail[] = { 0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x07 };
    static const uint8_t long_len[] = { 0x06, 0x04, 0x42, 0x33, 0x00,
                                        0x06, 0x07, 0x05, 0x42, 0x33,
                                        0x00, 0x07, 0x00 };
    pcsc_features f;

    ck_assert_int_eq(pcsc_parse_features(bad_len, sizeof bad_len, &f), -1);
    ck_assert_int_eq(pcsc_parse_features(truncated, sizeof truncated, &f), -1);
    ck_assert_uint_eq(f.verify_pin_direct, 0);
    /* a valid first entry is not trusted when the rest is broken */
    ck_assert_int_eq(pcsc_parse_features(tail, sizeof tail, &f), -1);
    ck_assert_uint_eq(f.verify_pin_direct, 0);
    ck_assert_int_eq(pcsc_parse_features(long_len, sizeof long_len, &f), -1);
    ck_assert_uint_eq(f.verify_pin_direct, 0);
    ck_assert_uint_eq(f.modify_pin_direct, 0);
    ck_assert_int_eq(pcsc_parse_features(NULL, 6, &f), -1);
}
END_TEST

/* The auth PIN: exactly 4 ASCII digits, a 4-byte PIN block, Lc = 4. */
START_TEST(test_verify_auth_pin)
{
    static const uint8_t expect[] = {
        0x1E, 0x1E,             /* bTimerOut, bTimerOut2: 30 s */
        0x82,                   /* bmFormatString: bytes, offset 0, ASCII */
        0x04,                   /* bmPINBlockString: block of 4 */
        0x00,                   /* bmPINLengthFormat */
        0x04, 0x04,             /* wPINMaxExtraDigit: min 4, max 4 */
        0x02,                   /* bEntryValidationCondition: OK key */
        0x01,                   /* bNumberMessage */
        0x09, 0x04,             /* wLangId 0x0409 */
        0x00,                   /* bMsgIndex */
        0x00, 0x00, 0x00,       /* bTeoPrologue */
        0x09, 0x00, 0x00, 0x00, /* ulDataLength = 9 */
        0x00, 0x20, 0x00, 0x80, 0x04, 0xFF, 0xFF, 0xFF, 0xFF
    };
    reader_pinpad_req req = { .cla = 0x00,
                              .ins = 0x20,
                              .p1 = 0x00,
                              .p2 = 0x80,
                              .min_len = 4,
                              .max_len = 4 };
    uint8_t out[PCSC_PIN_STRUCT_MAX];
    size_t n = pcsc_build_verify(&req, out, sizeof out);

    ck_assert_uint_eq(n, sizeof expect);
    ck_assert_mem_eq(out, expect, sizeof expect);
    /* one byte short of room: refused, not truncated */
    ck_assert_uint_eq(pcsc_build_verify(&req, out, sizeof expect - 1), 0);
}
END_TEST

/* The sign PIN: 6..16 characters, variable: block size 0, Lc set by the
 * reader from what was typed. */
START_TEST(test_verify_sign_pin)
{
    static const uint8_t expect[] = { 0x1E, 0x1E, 0x82, 0x00, 0x00,
                                      0x10, 0x06, /* PIN length 6..16 */
                                      0x02, 0x01, 0x09, 0x04, 0x00,
                                      0x00, 0x00, 0x00, 0x05, 0x00,
                                      0x00, 0x00, /* ulDataLength = 5 */
                                      0x00, 0x20, 0x00, 0x80, 0x00 };
    reader_pinpad_req req = { .cla = 0x00,
                              .ins = 0x20,
                              .p1 = 0x00,
                              .p2 = 0x80,
                              .min_len = 6,
                              .max_len = 16 };
    uint8_t out[PCSC_PIN_STRUCT_MAX];
    size_t n = pcsc_build_verify(&req, out, sizeof out);

    ck_assert_uint_eq(n, sizeof expect);
    ck_assert_uint_eq(PCSC_VERIFY_HDR, 19);
    ck_assert_mem_eq(out, expect, sizeof expect);
}
END_TEST

START_TEST(test_modify_sign_pin)
{
    static const uint8_t expect[] = {
        0x1E, 0x1E, 0x82, 0x00, 0x00,
        0x00, 0x00,             /* bInsertionOffsetOld, New */
        0x10, 0x06,             /* wPINMaxExtraDigit */
        0x01,                   /* bConfirmPIN: confirm, no current PIN */
        0x02,                   /* bEntryValidationCondition */
        0x02,                   /* bNumberMessage */
        0x09, 0x04,             /* wLangId */
        0x01, 0x02, 0x02,       /* bMsgIndex1..3 */
        0x00, 0x00, 0x00,       /* bTeoPrologue */
        0x05, 0x00, 0x00, 0x00, /* ulDataLength */
        0x00, 0x24, 0x01, 0x80, 0x00
    };
    reader_pinpad_req req = { .cla = 0x00,
                              .ins = 0x24,
                              .p1 = 0x01,
                              .p2 = 0x80,
                              .min_len = 6,
                              .max_len = 16 };
    uint8_t out[PCSC_PIN_STRUCT_MAX];
    size_t n = pcsc_build_modify(&req, out, sizeof out);

    ck_assert_uint_eq(PCSC_MODIFY_HDR, 24);
    ck_assert_uint_eq(n, sizeof expect);
    ck_assert_mem_eq(out, expect, sizeof expect);
    /* the auth PIN's fixed block */
    req.min_len = req.max_len = 4;
    n = pcsc_build_modify(&req, out, sizeof out);
    ck_assert_uint_eq(n, PCSC_MODIFY_HDR + 9);
    ck_assert_uint_eq(out[3], 4);
    ck_assert_uint_eq(out[7], 4);
    ck_assert_uint_eq(out[8], 4);
    ck_assert_uint_eq(out[20], 9);
    ck_assert_uint_eq(out[PCSC_MODIFY_HDR + 4], 4);
}
END_TEST

START_TEST(test_pin_struct_bad_input)
{
    reader_pinpad_req req = { .cla = 0x00, .ins = 0x20, .p2 = 0x80 };
    uint8_t out[PCSC_PIN_STRUCT_MAX];

    req.min_len = 0, req.max_len = 4;
    ck_assert_uint_eq(pcsc_build_verify(&req, out, sizeof out), 0);
    req.min_len = 8, req.max_len = 6;
    ck_assert_uint_eq(pcsc_build_verify(&req, out, sizeof out), 0);
    req.min_len = 6, req.max_len = 17;
    ck_assert_uint_eq(pcsc_build_modify(&req, out, sizeof out), 0);
    ck_assert_uint_eq(pcsc_build_verify(NULL, out, sizeof out), 0);
    req.min_len = req.max_len = 16;
    ck_assert_uint_eq(pcsc_build_verify(&req, out, sizeof out),
                      PCSC_VERIFY_HDR + 5 + 16);
    ck_assert_uint_eq(pcsc_build_verify(&req, NULL, 99), 0);
}
END_TEST

START_TEST(test_reader_filter)
{
    const char *v0 = "Virtual PCD 00 00", *v1 = "Virtual PCD 00 01";
    const char *scm = "SCM Microsystems Inc. SCR 3310 [CCID Interface] 00 00";

    /* no lists: every reader */
    ck_assert(pcsc_reader_allowed(NULL, NULL, v0));
    ck_assert(pcsc_reader_allowed("", " , ", scm));
    /* allow: a substring, any case, blanks around patterns ignored */
    ck_assert(pcsc_reader_allowed("scr 3310", NULL, scm));
    ck_assert(!pcsc_reader_allowed("scr 3310", NULL, v0));
    ck_assert(pcsc_reader_allowed(" acs ,  virtual pcd ", NULL, v1));
    ck_assert(pcsc_reader_allowed("[CCID Interface]", NULL, scm));
    /* deny wins over allow */
    ck_assert(!pcsc_reader_allowed("Virtual", "00 01", v1));
    ck_assert(pcsc_reader_allowed("Virtual", "00 01", v0));
    ck_assert(!pcsc_reader_allowed(NULL, "x,SCM", scm));
    /* a pattern longer than the name, NULL name */
    ck_assert(!pcsc_reader_allowed("Virtual PCD 00 00 and more", NULL, v0));
    ck_assert(!pcsc_reader_allowed(NULL, NULL, NULL));
    /* a list of only separators allows all, denies none */
    ck_assert(pcsc_reader_allowed(",,,", ",,", v0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pcsc");
    TCase *tc = tcase_create("part10");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_features);
    tcase_add_test(tc, test_features_malformed);
    tcase_add_test(tc, test_verify_auth_pin);
    tcase_add_test(tc, test_verify_sign_pin);
    tcase_add_test(tc, test_modify_sign_pin);
    tcase_add_test(tc, test_pin_struct_bad_input);
    tcase_add_test(tc, test_reader_filter);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
