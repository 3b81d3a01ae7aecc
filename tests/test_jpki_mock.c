/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the JPKI layer (src/jpki) against a scripted card: what
 * only a broken or unusual card does (tests/test_jpki.c runs the suite). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/jpki.h"
#include "mockreader.h"
#include "test_jpki.h"
#include "test_jpki_mock.h"

reader *rd;
jpki_card *jc;
mock_script script;

void mock_setup(void)
{
    memset(&script, 0, sizeof(script));
    rd = mock_reader_new(&script);
    jc = NULL;
}

void mock_teardown(void)
{
    jpki_card_close(jc);
    reader_free(rd);
}

/* A card fresh from a reset: no application is current, so the look at
 * EF 0006 finds nothing and the JPKI-AP is selected. */
void mock_open(void)
{
    mock_answer(&script, "6A82"); /* SELECT 0006: no JPKI-AP current */
    mock_answer(&script, "9000"); /* SELECT AP */
    mock_answer(&script, "9000"); /* SELECT 0006 */
    mock_answer(&script,
                "4A504B49415049434354 4F4B454E 9000"); /* "JPKIAPICCTOKEN" */
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), SELECT_TOKEN_INFO);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), SELECT_AP);
    ck_assert_str_eq(mock_cmd_hex(&script, 2), SELECT_TOKEN_INFO);
    ck_assert_str_eq(mock_cmd_hex(&script, 3), "00B0000020");
    script.n_cmds = script.n_steps = 0;
    /* These tests script every status query: none is remembered. */
    jpki_card_set_pin_status_ttl(jc, 0);
}

START_TEST(mock_not_jpki)
{
    mock_answer(&script, "6A82"); /* no EF 0006 in what is current */
    mock_answer(&script, "6A82");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_ERR_NOT_JPKI);
    ck_assert_ptr_null(jc);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

/* A 600-byte DER file is read in 3 commands: 256 + 256 + 88 bytes. */
START_TEST(mock_read_length_from_header)
{
    char first[2 * 256 + 8], chunk[2 * 256 + 8], last[2 * 88 + 8];
    uint8_t *der = NULL;
    size_t len = 0, i;

    mock_open();
    /* 30 82 02 54: 4 + 596 = 600 bytes */
    strcpy(first, "30820254");
    for (i = 4; i < 256; i++)
        strcat(first, "AB");
    strcat(first, "9000");
    for (i = 0, chunk[0] = '\0'; i < 256; i++)
        strcat(chunk, "CD");
    strcat(chunk, "9000");
    for (i = 0, last[0] = '\0'; i < 88; i++)
        strcat(last, "EF");
    strcat(last, "9000");
    mock_answer(&script, "9000");
    mock_answer(&script, first);
    mock_answer(&script, chunk);
    mock_answer(&script, last);
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_OK);
    ck_assert_uint_eq(len, 600);
    ck_assert_uint_eq(der[599], 0xEF);
    ck_assert_uint_eq(script.n_cmds, 4);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), "00A4020C02000A");
    ck_assert_str_eq(mock_cmd_hex(&script, 1), "00B0000000");
    ck_assert_str_eq(mock_cmd_hex(&script, 2), "00B0010000");
    ck_assert_str_eq(mock_cmd_hex(&script, 3), "00B0020058");
    ck_assert_int_eq(script.begins, script.ends);
    free(der);
}
END_TEST

START_TEST(mock_read_garbage)
{
    uint8_t *der = NULL;
    size_t len;

    mock_open();
    mock_answer(&script, "9000");
    mock_answer(&script, "31820254 00 9000"); /* not a SEQUENCE */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_BAD_DATA);
    mock_answer(&script, "9000");
    mock_answer(&script, "3084FFFFFFFF 9000"); /* absurd length */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_BAD_DATA);
    mock_answer(&script, "9000");
    mock_answer(&script, "FFFFFFFF 9000"); /* unwritten file */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 1, &der, &len),
                     JPKI_ERR_NOT_FOUND);
    mock_answer(&script, "9000");
    mock_answer(&script, "9000"); /* no data at all */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_BAD_DATA);
    mock_answer(&script, "9000");
    mock_answer(&script, "308201F4 0102 9000"); /* file shorter than header */
    mock_answer(&script, "6B00");
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_BAD_DATA);
    ck_assert_ptr_null(der);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

START_TEST(mock_ca_absent)
{
    uint8_t *der = NULL;
    size_t len;

    mock_open();
    /* The JPKI-AP is still current: the file is absent, and the AP is not
     * selected again (that could end another program's login). */
    mock_answer(&script, "6A82"); /* SELECT 000B */
    mock_answer(&script, "9000"); /* SELECT 0006 */
    mock_answer(&script, "4A504B49415049434354 4F4B454E 9000");
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 1, &der, &len),
                     JPKI_ERR_NOT_FOUND);
    ck_assert_uint_eq(script.n_cmds, 3);
    ck_assert_uint_eq(jpki_card_resets(jc), 0);
    /* Another program selected another application meanwhile. */
    script.n_cmds = script.n_steps = 0;
    mock_answer(&script, "6A82"); /* SELECT 000B */
    mock_answer(&script, "6A82"); /* SELECT 0006 */
    mock_answer(&script, "9000"); /* SELECT AP again */
    mock_answer(&script, "6A82"); /* still not there */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 1, &der, &len),
                     JPKI_ERR_NOT_FOUND);
    ck_assert_str_eq(mock_cmd_hex(&script, 2), SELECT_AP);
    /* re-selecting the AP wiped the security state: that is reported */
    ck_assert_uint_eq(jpki_card_resets(jc), 1);
}
END_TEST

START_TEST(mock_pin_status_words)
{
    int tries = -1;

    mock_open();
    mock_answer(&script, "9000");
    mock_answer(&script, "63C2");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 2);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), "00A4020C020018");
    ck_assert_str_eq(mock_cmd_hex(&script, 1), "00200080");
    mock_answer(&script, "9000");
    mock_answer(&script, "6983");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 0);
    ck_assert_str_eq(mock_cmd_hex(&script, 2), "00A4020C02001B");
    mock_answer(&script, "9000");
    mock_answer(&script, "63C0");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 0);
    mock_answer(&script, "9000");
    mock_answer(&script, "6984");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 0);
    mock_answer(&script, "9000");
    mock_answer(&script, "6700");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries),
                     JPKI_ERR_CARD);
}
END_TEST

/* A blocked PIN (either answer) is never sent to the card. */
START_TEST(mock_locked_pin_not_sent)
{
    int tries = -1;

    mock_open();
    mock_answer(&script, "9000");
    mock_answer(&script, "6983");
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_SIGN, "ABC123", 6, &tries),
                     JPKI_ERR_PIN_LOCKED);
    mock_answer(&script, "9000");
    mock_answer(&script, "63C0");
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_SIGN, "ABC123", 6, &tries),
                     JPKI_ERR_PIN_LOCKED);
    mock_answer(&script, "9000");
    mock_answer(&script, "6984");
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, &tries),
                     JPKI_ERR_PIN_LOCKED);
    ck_assert_uint_eq(script.n_cmds, 6); /* 3 x (select, status): no VERIFY */
    ck_assert_int_eq(tries, 0);
}
END_TEST

/* A retry counter is remembered for the TTL: C_GetTokenInfo in a loop
 * costs one query, and a VERIFY right after needs no status query. Our
 * own VERIFY's answer is what the next status says, with no APDU. */
START_TEST(mock_pin_status_remembered)
{
    int tries = -1;

    mock_open();
    jpki_card_set_pin_status_ttl(jc, 60000);
    mock_answer(&script, "9000");
    mock_answer(&script, "63C3");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 3);
    ck_assert_uint_eq(script.n_cmds, 2);
    mock_answer(&script, "9000"); /* SELECT 0018 */
    mock_answer(&script, "63C2"); /* the wrong PIN: no status before */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1111", 4, &tries),
                     JPKI_ERR_PIN_INCORRECT);
    ck_assert_uint_eq(script.n_cmds, 4);
    ck_assert_str_eq(mock_cmd_hex(&script, 3), "002000800431313131");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 2);
    ck_assert_uint_eq(script.n_cmds, 4);
    /* The other PIN is its own: asked once. */
    mock_answer(&script, "9000");
    mock_answer(&script, "63C5");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 5);
    ck_assert_uint_eq(script.n_cmds, 6);
    /* TTL 0: asked again. */
    jpki_card_set_pin_status_ttl(jc, 0);
    mock_answer(&script, "9000");
    mock_answer(&script, "63C1");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 1);
    ck_assert_uint_eq(script.n_cmds, 8);
}
END_TEST

START_TEST(mock_verify_answers)
{
    int tries = -1;

    mock_open();
    mock_answer(&script, "9000");
    mock_answer(&script, "63C3");
    mock_answer(&script, "63C2");
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1111", 4, &tries),
                     JPKI_ERR_PIN_INCORRECT);
    ck_assert_int_eq(tries, 2);
    ck_assert_str_eq(mock_cmd_hex(&script, 2), "002000800431313131");
    mock_answer(&script, "9000");
    mock_answer(&script, "63C1");
    mock_answer(&script, "63C0"); /* the try that blocks */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1111", 4, &tries),
                     JPKI_ERR_PIN_LOCKED);
    mock_answer(&script, "9000");
    mock_answer(&script, "63C3");
    mock_answer(&script, "6A80"); /* nonsense */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1111", 4, &tries),
                     JPKI_ERR_CARD);
    /* the try that blocks, answered by either blocked word */
    mock_answer(&script, "9000");
    mock_answer(&script, "63C1");
    mock_answer(&script, "6983");
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_SIGN, "ABC124", 6, &tries),
                     JPKI_ERR_PIN_LOCKED);
    ck_assert_int_eq(tries, 0);
    mock_answer(&script, "9000");
    mock_answer(&script, "63C1");
    mock_answer(&script, "6984");
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1111", 4, &tries),
                     JPKI_ERR_PIN_LOCKED);
    ck_assert_int_eq(tries, 0);
}
END_TEST

START_TEST(mock_sign_commands)
{
    uint8_t sig[300];
    size_t sig_len = sizeof(sig);

    mock_open();
    /* the key named by SFI in P2 (9A: EF 001A), no SELECT before it */
    mock_answer(&script, "6982");
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_uint_eq(script.n_cmds, 1);
    ck_assert_uint_eq(script.cmd[0][0], 0x80);
    ck_assert_uint_eq(script.cmd[0][1], 0x2A);
    ck_assert_uint_eq(script.cmd[0][2], 0x00);
    ck_assert_uint_eq(script.cmd[0][3], 0x9A);
    ck_assert_uint_eq(script.cmd[0][4], sizeof(digest_info));
    ck_assert_uint_eq(script.cmd[0][script.cmd_len[0] - 1], 0x00); /* Le */
    /* any 69xx is the key not usable now: a lost login, never a broken card */
    static const char *const refusals[] = { "6985", "6984", "6983", "6986",
                                            "6981" };
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        mock_answer(&script, refusals[i]);
        sig_len = sizeof(sig);
        ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PKCS1,
                                        digest_info, sizeof(digest_info), sig,
                                        &sig_len),
                         JPKI_ERR_SECURITY);
    }
    /* 6A82 (no such SFI) is a card that does not know the form: the
     * classic way follows; its 6982 is then a lost login, and nothing is
     * learnt (only a signature proves the card refused the form) */
    size_t n0 = script.n_cmds;
    mock_answer(&script, "6A82");
    mock_answer(&script, "9000"); /* SELECT 0017 */
    mock_answer(&script, "6982");
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_uint_eq(script.n_cmds, n0 + 3);
    ck_assert_uint_eq(script.cmd[n0][3], 0x97);
    ck_assert_str_eq(mock_cmd_hex(&script, n0 + 1), "00A4020C020017");
    ck_assert_uint_eq(script.cmd[n0 + 2][3], 0x80);
    ck_assert_int_eq(jpki_card_knows(jc, JPKI_FACT_NO_SFI), 0);
    mock_answer(&script, "6A88"); /* not 69xx: the card's error */
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_ERR_CARD);
    mock_fail(&script, READER_ERR_REMOVED);
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_ERR_REMOVED);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

/* A card that refuses P2 = 80|SFI (6A86): the same signature the classic
 * way (SELECT of the right key EF, P2 80), once; then the card is known
 * and the next signature goes the classic way at once. No VERIFY. */
START_TEST(mock_sign_sfi_refused)
{
    uint8_t sig[300];
    size_t sig_len = sizeof(sig);

    mock_open();
    mock_answer(&script, "6A86");
    mock_answer(&script, "9000"); /* SELECT 001A */
    mock_answer(&script, "0102 9000");
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_OK);
    ck_assert_uint_eq(sig_len, 2);
    ck_assert_uint_eq(script.n_cmds, 3);
    ck_assert_uint_eq(script.cmd[0][3], 0x9A);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), "00A4020C02001A");
    ck_assert_uint_eq(script.cmd[2][1], 0x2A);
    ck_assert_uint_eq(script.cmd[2][3], 0x80);
    ck_assert_int_eq(jpki_card_knows(jc, JPKI_FACT_NO_SFI), 1);
    mock_answer(&script, "9000"); /* SELECT 0017 */
    mock_answer(&script, "0304 9000");
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_OK);
    ck_assert_uint_eq(script.n_cmds, 5);
    ck_assert_str_eq(mock_cmd_hex(&script, 3), "00A4020C020017");
    ck_assert_uint_eq(script.cmd[4][3], 0x80);
    for (size_t i = 0; i < script.n_cmds; i++)
        ck_assert_uint_ne(script.cmd[i][1], 0x20); /* never a VERIFY */
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

/* Programs that end one after another each reset the card: the resets
 * reported as a transaction begins are got through, up to a bound, and no
 * command goes out before the transaction is ours. */
START_TEST(mock_resets_at_begin)
{
    uint8_t *der = NULL;
    size_t len = 0;

    mock_open();
    script.begin_resets = 8;
    mock_answer(&script, "6A82"); /* SELECT 0006: nothing current */
    mock_answer(&script, "9000"); /* SELECT JPKI-AP, again */
    mock_answer(&script, "9000"); /* SELECT 000A */
    mock_answer(&script, "3003020101 9000");
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_OK);
    ck_assert_uint_eq(jpki_card_resets(jc), 8);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), SELECT_AP);
    free(der);
    der = NULL;
    script.n_cmds = script.n_steps = 0;
    script.begin_resets = 9;
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_COMM);
    ck_assert_ptr_null(der);
    ck_assert_uint_eq(jpki_card_resets(jc), 17);
    ck_assert_uint_eq(script.n_cmds, 0);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

/* Another program resets the card inside our transaction (pcscd refuses
 * the command, sends nothing, and the handle is connected again). */
START_TEST(mock_reset_midway)
{
    uint8_t *der = NULL, sig[300];
    size_t len = 0, sig_len = sizeof(sig);
    int tries = -1;

    mock_open();
    jpki_card_set_pin_status_ttl(jc, 0);
    /* A public read runs again: the AP is selected anew. */
    mock_fail(&script, READER_ERR_RESET); /* SELECT 000A */
    mock_answer(&script, "6A82");         /* SELECT 0006: nothing current */
    mock_answer(&script, "9000");         /* SELECT JPKI-AP */
    mock_answer(&script, "9000");         /* SELECT 000A */
    mock_answer(&script, "3003020101 9000");
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_OK);
    ck_assert_uint_eq(len, 5);
    ck_assert_uint_eq(jpki_card_resets(jc), 1);
    ck_assert_str_eq(mock_cmd_hex(&script, script.n_cmds - 3),
                     "00A4040C0AD392F000260100000001");
    free(der);
    der = NULL;
    /* ... once: a second reset in the same read is an error. */
    mock_fail(&script, READER_ERR_RESET);
    mock_fail(&script, READER_ERR_RESET);
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_COMM);
    ck_assert_ptr_null(der);
    ck_assert_uint_eq(jpki_card_resets(jc), 3);
    /* A PIN status (no PIN in it) is asked again. */
    mock_fail(&script, READER_ERR_RESET); /* SELECT 0006 */
    mock_answer(&script, "6A82");         /* SELECT 0006 */
    mock_answer(&script, "9000");         /* SELECT JPKI-AP */
    mock_answer(&script, "9000");         /* SELECT 0018 */
    mock_answer(&script, "63C3");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 3);
    /* A signature is not: its PIN went with the reset. */
    mock_fail(&script, READER_ERR_RESET); /* COMPUTE DIGITAL SIGNATURE */
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_uint_eq(jpki_card_resets(jc), 5);
    /* A login: before the PIN goes out, the preparation runs again... */
    mock_fail(&script, READER_ERR_RESET); /* SELECT 0006 */
    mock_answer(&script, "6A82");         /* SELECT 0006 */
    mock_answer(&script, "9000");         /* SELECT JPKI-AP */
    mock_answer(&script, "9000");         /* SELECT 0018 */
    mock_answer(&script, "63C3");
    mock_answer(&script, "9000"); /* VERIFY 1234 */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, &tries),
                     JPKI_OK);
    /* ... but a VERIFY refused by a reset is not sent again. */
    mock_answer(&script, "9000"); /* SELECT 0018 */
    mock_answer(&script, "63C3");
    mock_fail(&script, READER_ERR_RESET); /* VERIFY 1234 */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, &tries),
                     JPKI_ERR_COMM);
    size_t verifies = 0;
    for (size_t i = 0; i < script.n_cmds; i++)
        verifies += strncmp(mock_cmd_hex(&script, i), "0020008004", 10) == 0;
    ck_assert_uint_eq(verifies, 2); /* one per jpki_card_verify_pin */
    ck_assert_str_eq(mock_cmd_hex(&script, script.n_cmds - 1),
                     "002000800431323334");
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

TCase *jpki_mock_tcase(void)
{
    TCase *mock = tcase_create("scripted");

    tcase_add_checked_fixture(mock, mock_setup, mock_teardown);
    tcase_add_test(mock, mock_not_jpki);
    tcase_add_test(mock, mock_read_length_from_header);
    tcase_add_test(mock, mock_read_garbage);
    tcase_add_test(mock, mock_ca_absent);
    tcase_add_test(mock, mock_pin_status_words);
    tcase_add_test(mock, mock_locked_pin_not_sent);
    tcase_add_test(mock, mock_verify_answers);
    tcase_add_test(mock, mock_pin_status_remembered);
    tcase_add_test(mock, mock_sign_commands);
    tcase_add_test(mock, mock_sign_sfi_refused);
    tcase_add_test(mock, mock_resets_at_begin);
    tcase_add_test(mock, mock_reset_midway);
    return mock;
}
