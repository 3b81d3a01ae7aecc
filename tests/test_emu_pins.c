/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_pins.c - the card emulator's PIN commands, through emu.h only:
 * VERIFY (retry counter queries, lockout of each PIN, a right PIN resetting
 * its counter, lockout surviving a reload, a wrong PIN dropping the
 * verification) and CHANGE REFERENCE DATA. Part of test_emu.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "emu_helpers.h"

/* ---- VERIFY ------------------------------------------------------------- */

START_TEST(test_verify_retry_query)
{
    emu_stats st;
    ck_assert_uint_eq(query_on(card), 0x6986); /* no application */
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x6986); /* no EF */
    ck_assert_uint_eq(select_ef(0x000A), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x6986); /* not a PIN EF */
    ck_assert_uint_eq(verify("1234"), 0x6986);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(query_on(card), 0x63C3); /* spends nothing */
    ck_assert_uint_eq(tx(APDU(0x00, 0x20, 0x00, 0x80, 0x00)), 0x6700); /* Le */
    ck_assert_uint_eq(
        tx(APDU(0x00, 0x20, 0x00, 0x80, 0x04, '1', '2', '3', '4', 0x00)),
        0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0x20, 0x01, 0x80)), 0x6A86);
    ck_assert_uint_eq(
        tx(APDU(0x00, 0x20, 0x00, 0x81, 0x04, '1', '2', '3', '4')), 0x6A86);
    ck_assert_uint_eq(query_on(card), 0x63C3);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x63C5);
    emu_card_get_stats(card, &st);
    ck_assert_uint_eq(st.status_queries, 5);
    ck_assert_uint_eq(st.verifies, 0);
}
END_TEST

START_TEST(test_verify_auth_lockout)
{
    emu_stats st;
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1111"), 0x63C2);
    ck_assert_uint_eq(query_on(card), 0x63C2);
    ck_assert_uint_eq(verify("123"),
                      0x63C1); /* any wrong value spends a try */
    ck_assert_uint_eq(verify("0000"), 0x63C0); /* the try that blocks */
    ck_assert_uint_eq(query_on(card), 0x6983);
    ck_assert_uint_eq(verify("1234"), 0x6983); /* right PIN, still blocked */
    ck_assert_uint_eq(verify("9999"), 0x6983);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x80, 0x2A, 0x00, 0x80, 0x01, 0x00)), 0x6982);
    /* the other PIN is untouched */
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x63C5);
    emu_card_get_stats(card, &st);
    ck_assert_uint_eq(st.verifies, 5);
}
END_TEST

START_TEST(test_verify_sign_lockout)
{
    select_in_ap(0x001B);
    for (unsigned left = 4; left != (unsigned)-1; left--)
        ck_assert_uint_eq(verify("WRONG1"), 0x63C0 | left);
    ck_assert_uint_eq(query_on(card), 0x6983);
    ck_assert_uint_eq(verify("ABC123"), 0x6983);
}
END_TEST

START_TEST(test_verify_success_resets_counter)
{
    select_in_ap(0x001B);
    ck_assert_uint_eq(verify("WRONG1"), 0x63C4);
    ck_assert_uint_eq(verify("WRONG2"), 0x63C3);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x63C5);
    ck_assert_uint_eq(verify("ABC1234"), 0x63C4); /* a prefix match is wrong */
    ck_assert_uint_eq(verify("ABC12"), 0x63C3);
}
END_TEST

START_TEST(test_lockout_persists)
{
    char err[512];
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1111"), 0x63C2);
    reload_card(); /* spent try was saved */
    select_in_ap(0x0018);
    ck_assert_uint_eq(query_on(card), 0x63C2);
    ck_assert_uint_eq(verify("1111"), 0x63C1);
    ck_assert_uint_eq(verify("1111"), 0x63C0);
    emu_card_free(card);
    card = NULL;
    ck_assert_int_eq(emu_card_load(path, &card, err, sizeof err), EMU_OK);
    select_in_ap(0x0018);
    ck_assert_uint_eq(query_on(card), 0x6983);
    ck_assert_uint_eq(verify("1234"), 0x6983);
    emu_info info;
    ck_assert_int_eq(emu_card_get_info(card, &info), EMU_OK);
    ck_assert_uint_eq(info.auth_tries, 0);
    ck_assert_uint_eq(info.sign_tries, 5);
}
END_TEST

START_TEST(test_wrong_pin_drops_verification)
{
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(verify("4321"), 0x63C2);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x80, 0x2A, 0x00, 0x80, 0x01, 0x00)), 0x6982);
}
END_TEST

/* ---- CHANGE REFERENCE DATA ---------------------------------------------- */

START_TEST(test_change_auth_pin)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(change_pin("5678"), 0x6986);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(change_pin("5678"), 0x6982);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(change_pin("12345"), 0x6A80);
    ck_assert_uint_eq(change_pin("12a4"), 0x6A80);
    ck_assert_uint_eq(change_pin("123"), 0x6A80);
    ck_assert_uint_eq(
        tx(APDU(0x00, 0x24, 0x00, 0x80, 0x04, '5', '6', '7', '8')), 0x6A86);
    ck_assert_uint_eq(
        tx(APDU(0x00, 0x24, 0x01, 0x81, 0x04, '5', '6', '7', '8')), 0x6A86);
    ck_assert_uint_eq(tx(APDU(0x00, 0x24, 0x01, 0x80)), 0x6700);
    ck_assert_uint_eq(
        tx(APDU(0x00, 0x24, 0x01, 0x80, 0x04, '5', '6', '7', '8', 0x00)),
        0x6700);
    ck_assert_uint_eq(change_pin("5678"), 0x9000);
    reload_card();
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1234"), 0x63C2);
    ck_assert_uint_eq(verify("5678"), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x63C3);
}
END_TEST

START_TEST(test_change_sign_pin)
{
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(change_pin("NEWPIN1"),
                      0x6982); /* auth PIN does not count */
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    ck_assert_uint_eq(change_pin("abc123"), 0x6A80);
    ck_assert_uint_eq(change_pin("ABC12"), 0x6A80);
    ck_assert_uint_eq(change_pin("ABCDEFGHIJ1234567"), 0x6A80);
    ck_assert_uint_eq(change_pin("ABC-123"), 0x6A80);
    ck_assert_uint_eq(change_pin("ABCDEFGHIJ123456"), 0x9000);
    ck_assert_uint_eq(verify("ABC123"), 0x63C4);
    ck_assert_uint_eq(verify("ABCDEFGHIJ123456"), 0x9000);
}
END_TEST


TCase *emu_pins_tcase(void)
{
    TCase *tc = tcase("pins");
    tcase_add_test(tc, test_verify_retry_query);
    tcase_add_test(tc, test_verify_auth_lockout);
    tcase_add_test(tc, test_verify_sign_lockout);
    tcase_add_test(tc, test_verify_success_resets_counter);
    tcase_add_test(tc, test_lockout_persists);
    tcase_add_test(tc, test_wrong_pin_drops_verification);
    tcase_add_test(tc, test_change_auth_pin);
    tcase_add_test(tc, test_change_sign_pin);
    return tc;
}
