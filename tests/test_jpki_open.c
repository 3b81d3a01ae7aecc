/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the JPKI layer against a scripted card (the fixture of
 * tests/test_jpki_mock.c): how a card is opened without disturbing a login
 * another program holds, the serial-number record and the phone token's
 * identifier, and the logout by a reset. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/jpki.h"
#include "jpki/card_priv.h"
#include "mockreader.h"
#include "test_jpki.h"
#include "test_jpki_mock.h"

START_TEST(mock_smartphone_token)
{
    char id[17], id2[17];

    mock_answer(&script, "6A82");
    mock_answer(&script, "9000");
    mock_answer(&script, "9000");
    mock_answer(&script,
                "4A504B4941504750534554 4F4B454E 9000"); /* JPKIAPGPSETOKEN */
    /* a phone: the serial-number AP, then back to the JPKI-AP. The record
     * is one TLV; the serial is characters [2, 15) of its value. */
    mock_answer(&script, "9000");
    mock_answer(&script, "0410 4142 31323334353637383941424344 5A 9000");
    mock_answer(&script, "9000");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert(jpki_card_is_smartphone(jc));
    ck_assert_str_eq(mock_cmd_hex(&script, 4),
                     "00A4040C0AD3921000310001010100");
    ck_assert_str_eq(mock_cmd_hex(&script, 5), "00B2010C00");
    ck_assert_str_eq(mock_cmd_hex(&script, 6), SELECT_AP);
    ck_assert_str_eq(jpki_card_serial(jc), "123456789ABCD");
    /* the card id comes from it, with no APDU */
    ck_assert_int_eq(jpki_card_id(jc, id), JPKI_OK);
    ck_assert_uint_eq(script.n_cmds, 7);
    ck_assert_int_eq(jpki_card_id(jc, id2), JPKI_OK);
    ck_assert_str_eq(id, id2);
}
END_TEST

/* The serial record as the card may garble it: never a crash, never a
 * byte read outside the record, never a wrong serial. */
START_TEST(mock_serial_record_malformed)
{
    static const struct {
        const char *hex;
        const char *want;
    } cases[] = {
        { "0410 4142 31323334353637383941424344 5A", "123456789ABCD" },
        /* long-form length, exactly 15 characters */
        { "048110 4142 31323334353637383941424344 5A", "123456789ABCD" },
        { "040F 4142 31323334353637383941424344", "123456789ABCD" },
        { "040E 4142 313233343536373839414243", "" }, /* value too short */
        { "0420 4142 31323334353637383941424344 5A",
          "" }, /* length past the end */
        { "048A 4142 31323334353637383941424344 5A",
          "" },              /* 10 length bytes */
        { "0480 4142", "" }, /* indefinite */
        { "1F01 10 4142 31323334353637383941424344 5A",
          "" },                                            /* multi-byte tag */
        { "0410 4142 31323334350037383941424344 5A", "" }, /* a NUL inside */
        { "0410 4142 31323334352037383941424344 5A", "" }, /* a blank inside */
        { "04", "" },
        { "", "" },
        { "0482FFFF 4142", "" },
    };
    char out[JPKI_SERIAL_LEN + 1];
    uint8_t rec[64];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = 0;
        unsigned v;
        for (const char *h = cases[i].hex; *h;) {
            if (*h == ' ') {
                h++;
                continue;
            }
            ck_assert(sscanf(h, "%2x", &v) == 1);
            rec[n++] = (uint8_t)v;
            h += 2;
        }
        memset(out, 'X', sizeof out);
        /* exactly n bytes: ASan sees any read past them */
        uint8_t *exact = malloc(n ? n : 1);
        memcpy(exact, rec, n);
        jpki_serial_from_record(exact, n, out);
        free(exact);
        ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: '%s'", i,
                      out);
    }
    jpki_serial_from_record(NULL, 5, out);
    ck_assert_str_eq(out, "");
}
END_TEST

/* A phone token without the serial-number AP: the id falls back to the
 * serialNumber field of EF 0006 (free, inside the JPKI-AP), and to none
 * when that field says nothing. */
START_TEST(mock_smartphone_no_serial_ap)
{
    char id[17];

    mock_answer(&script, "6A82");
    mock_answer(&script, "9000");
    mock_answer(&script, "9000");
    mock_answer(&script, "4A504B4941504750534554 4F4B454E 9000");
    mock_answer(&script, "6A82"); /* no serial-number AP: no error */
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_ptr_null(jpki_card_serial(jc));
    /* the JPKI-AP stayed current: not selected again */
    ck_assert_uint_eq(script.n_cmds, 5);
    script.n_cmds = script.n_steps = 0;
    mock_answer(&script, "9000"); /* SELECT 0006 */
    mock_answer(
        &script,
        "53452D303031323334353637383941 42 9000"); /* "SE-0123456789AB"+"B" */
    ck_assert_int_eq(jpki_card_id(jc, id), JPKI_OK);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), SELECT_TOKEN_INFO);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), "00B0005010");
    ck_assert_uint_eq(strlen(id), 16);
    ck_assert_uint_eq(script.n_cmds, 2);
}
END_TEST

START_TEST(mock_smartphone_no_id)
{
    static const char *const fields[] = {
        "20202020202020202020202020202020 9000", /* blanks */
        "30303030303030303030303030303030 9000", /* zeros */
        "00112233445566778899AABBCCDDEEFF 9000", /* not text */
        "6B00",                                  /* a 32-byte EF */
    };
    char id[17];

    mock_answer(&script, "6A82");
    mock_answer(&script, "9000");
    mock_answer(&script, "9000");
    mock_answer(&script, "4A504B4941504750534554 4F4B454E 9000");
    mock_answer(&script, "6A82");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        script.n_cmds = script.n_steps = 0;
        mock_answer(&script, "9000");
        mock_answer(&script, fields[i]);
        ck_assert_int_eq(jpki_card_id(jc, id), JPKI_ERR_NOT_FOUND);
    }
}
END_TEST

/* The JPKI-AP is already current (another program uses the card): it is
 * not selected again, which could end that program's login. */
START_TEST(mock_open_ap_current)
{
    mock_answer(&script, "9000"); /* SELECT 0006 */
    mock_answer(&script,
                "4A504B49415049434354 4F4B454E32 9000"); /* JPKIAPICCTOKEN2 */
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_uint_eq(script.n_cmds, 2);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), SELECT_TOKEN_INFO);
    ck_assert(!jpki_card_is_smartphone(jc));
    /* a public read goes on without a SELECT of the application */
    script.n_cmds = script.n_steps = 0;
    mock_answer(&script, "9000");
    mock_answer(&script, "3003020101 9000");
    uint8_t *der = NULL;
    size_t len = 0;
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_OK);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), "00A4020C02000A");
    ck_assert_uint_eq(script.n_cmds, 2);
    free(der);
}
END_TEST

/* A phone token whose JPKI-AP is current (another program may hold a
 * login): the serial-number AP is not selected. */
START_TEST(mock_open_phone_current)
{
    mock_answer(&script, "9000"); /* SELECT 0006 */
    mock_answer(&script, "4A504B4941504750534554 4F4B454E 9000");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert(jpki_card_is_smartphone(jc));
    ck_assert_uint_eq(script.n_cmds, 2);
    ck_assert_ptr_null(jpki_card_serial(jc));
}
END_TEST

/* Another application is current and has an EF 0006 of its own: its
 * content is not JPKI's label, so the JPKI-AP is selected. */
START_TEST(mock_open_other_app_same_fid)
{
    mock_answer(&script, "9000"); /* SELECT 0006 in the other application */
    mock_answer(&script, "0102030405060708 9000");
    mock_answer(&script, "9000"); /* SELECT AP */
    mock_answer(&script, "9000");
    mock_answer(&script, "4A504B49415049434354 4F4B454E32 9000");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_str_eq(mock_cmd_hex(&script, 2), SELECT_AP);
    jpki_card_close(jc);
    jc = NULL;
    /* ... or it needs a PIN there */
    script.n_cmds = script.n_steps = 0;
    mock_answer(&script, "9000");
    mock_answer(&script, "6982");
    mock_answer(&script, "9000");
    mock_answer(&script, "9000");
    mock_answer(&script, "4A504B49415049434354 4F4B454E32 9000");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_str_eq(mock_cmd_hex(&script, 2), SELECT_AP);
}
END_TEST

/* A logout does not rely on a re-select: the reader resets the card. */
START_TEST(mock_logout_resets)
{
    mock_open();
    ck_assert_int_eq(jpki_card_logout(jc), JPKI_OK);
    ck_assert_int_eq(script.card_resets, 1);
    ck_assert_uint_eq(script.n_cmds, 0);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

TCase *jpki_open_tcase(void)
{
    TCase *tc = tcase_create("open");

    tcase_add_checked_fixture(tc, mock_setup, mock_teardown);
    tcase_add_test(tc, mock_smartphone_token);
    tcase_add_test(tc, mock_serial_record_malformed);
    tcase_add_test(tc, mock_smartphone_no_serial_ap);
    tcase_add_test(tc, mock_smartphone_no_id);
    tcase_add_test(tc, mock_open_ap_current);
    tcase_add_test(tc, mock_open_phone_current);
    tcase_add_test(tc, mock_open_other_app_same_fid);
    tcase_add_test(tc, mock_logout_resets);
    return tc;
}
