/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the APDU codec (src/reader/apdu.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mockreader.h"
#include "reader/reader.h"

static const char *hex(const uint8_t *p, size_t n)
{
    static char buf[1024];
    size_t i;

    for (i = 0; i < n && i < 500; i++)
        snprintf(buf + 2 * i, 3, "%02X", p[i]);
    buf[2 * i] = '\0';
    return buf;
}

static const char *encode_hex(const apdu_cmd *c)
{
    static uint8_t buf[APDU_CMD_MAX];
    size_t len = 0;

    if (apdu_encode(c, buf, sizeof buf, &len) != 0)
        return "ERROR";
    return hex(buf, len);
}

START_TEST(encode_case1)
{
    apdu_cmd c = { .cla = 0x00, .ins = 0x20, .p1 = 0x00, .p2 = 0x80 };
    ck_assert_str_eq(encode_hex(&c), "00200080");
}
END_TEST

START_TEST(encode_case2_short)
{
    apdu_cmd c = { .ins = 0xB0, .p1 = 0x01, .p2 = 0x02, .le = 256 };
    ck_assert_str_eq(encode_hex(&c), "00B0010200");
    c.le = 0x20;
    ck_assert_str_eq(encode_hex(&c), "00B0010220");
}
END_TEST

START_TEST(encode_case3_short)
{
    const uint8_t fid[2] = { 0x00, 0x0A };
    apdu_cmd c = { .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = fid, .lc = 2 };
    ck_assert_str_eq(encode_hex(&c), "00A4020C02000A");
}
END_TEST

START_TEST(encode_case4_short)
{
    const uint8_t d[3] = { 1, 2, 3 };
    apdu_cmd c = { .cla = 0x80,
                   .ins = 0x2A,
                   .p1 = 0x00,
                   .p2 = 0x80,
                   .data = d,
                   .lc = 3,
                   .le = 256 };
    ck_assert_str_eq(encode_hex(&c), "802A008003010203"
                                     "00");
}
END_TEST

START_TEST(encode_extended)
{
    static uint8_t big[300];
    apdu_cmd c2 = { .ins = 0xB0, .le = 65536 };
    apdu_cmd c3 = { .ins = 0xD6, .data = big, .lc = 300 };
    apdu_cmd c4 = { .ins = 0x2A, .data = big, .lc = 300, .le = 512 };
    uint8_t buf[APDU_CMD_MAX];
    size_t len;

    ck_assert_str_eq(encode_hex(&c2), "00B00000000000");
    ck_assert_int_eq(apdu_encode(&c3, buf, sizeof buf, &len), 0);
    ck_assert_uint_eq(len, 4 + 3 + 300);
    ck_assert_str_eq(hex(buf, 7), "00D6000000012C");
    ck_assert_int_eq(apdu_encode(&c4, buf, sizeof buf, &len), 0);
    ck_assert_uint_eq(len, 4 + 3 + 300 + 2);
    ck_assert_str_eq(hex(buf + len - 2, 2), "0200");
}
END_TEST

START_TEST(encode_bad_args)
{
    uint8_t buf[8];
    size_t len;
    apdu_cmd nodata = { .ins = 0xA4, .lc = 2 };
    apdu_cmd toolong = { .ins = 0xB0, .le = 65537 };
    apdu_cmd fits = { .ins = 0xB0, .le = 1 };
    static uint8_t d[10];
    apdu_cmd big = { .ins = 0xA4, .data = d, .lc = 10 };

    ck_assert_int_eq(apdu_encode(NULL, buf, sizeof buf, &len), -1);
    ck_assert_int_eq(apdu_encode(&fits, NULL, sizeof buf, &len), -1);
    ck_assert_int_eq(apdu_encode(&fits, buf, sizeof buf, NULL), -1);
    ck_assert_int_eq(apdu_encode(&nodata, buf, sizeof buf, &len), -1);
    ck_assert_int_eq(apdu_encode(&toolong, buf, sizeof buf, &len), -1);
    /* buffer too small is refused, never overrun */
    ck_assert_int_eq(apdu_encode(&big, buf, sizeof buf, &len), -1);
    ck_assert_int_eq(apdu_encode(&fits, buf, 4, &len), -1);
}
END_TEST

/* ---- apdu_transmit against a scripted card ------------------------------ */

static mock_script script;
static reader *rd;

static void setup(void)
{
    memset(&script, 0, sizeof script);
    rd = mock_reader_new(&script);
    ck_assert_ptr_nonnull(rd);
    ck_assert_int_eq(reader_connect(rd), READER_OK);
}

static void teardown(void)
{
    reader_free(rd);
}

static reader_rv send_read(uint8_t *out, size_t cap, size_t *len, uint16_t *sw)
{
    apdu_cmd c = { .ins = 0xB0, .le = 256 };
    return apdu_transmit(rd, &c, out, cap, len, sw);
}

START_TEST(transmit_plain)
{
    uint8_t out[16];
    size_t len;
    uint16_t sw;

    mock_answer(&script, "0102 9000");
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_OK);
    ck_assert_uint_eq(sw, 0x9000);
    ck_assert_uint_eq(len, 2);
    ck_assert_str_eq(hex(out, len), "0102");
    ck_assert_uint_eq(script.n_cmds, 1);
}
END_TEST

START_TEST(transmit_get_response_chain)
{
    uint8_t out[16];
    size_t len;
    uint16_t sw;

    mock_answer(&script, "AA 6102");
    mock_answer(&script, "BBCC 6101");
    mock_answer(&script, "DD 9000");
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_OK);
    ck_assert_uint_eq(sw, 0x9000);
    ck_assert_str_eq(hex(out, len), "AABBCCDD");
    ck_assert_uint_eq(script.n_cmds, 3);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), "00C0000002");
    ck_assert_str_eq(mock_cmd_hex(&script, 2), "00C0000001");
}
END_TEST

START_TEST(transmit_wrong_le_reissued)
{
    uint8_t out[16];
    size_t len;
    uint16_t sw;

    mock_answer(&script, "6C20");
    mock_answer(&script, "0102 9000");
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_OK);
    ck_assert_uint_eq(sw, 0x9000);
    ck_assert_uint_eq(len, 2);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), "00B0000020");
}
END_TEST

START_TEST(transmit_status_only)
{
    uint8_t out[4];
    size_t len;
    uint16_t sw;

    mock_answer(&script, "6A82");
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_OK);
    ck_assert_uint_eq(sw, 0x6A82);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(transmit_garbage)
{
    uint8_t out[4];
    size_t len;
    uint16_t sw;

    /* One byte is no response at all. */
    mock_answer(&script, "90");
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_ERR_COMM);
}
END_TEST

START_TEST(transmit_overflow_refused)
{
    uint8_t out[2];
    size_t len;
    uint16_t sw;

    mock_answer(&script, "010203 9000");
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_ERR_COMM);
}
END_TEST

START_TEST(transmit_endless_61xx_bounded)
{
    uint8_t out[4096];
    size_t len, i;
    uint16_t sw;

    for (i = 0; i < MOCK_MAX_STEPS; i++)
        mock_answer(&script, "6100");
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_ERR_COMM);
    ck_assert_uint_le(script.n_cmds, MOCK_MAX_STEPS);
}
END_TEST

START_TEST(transmit_transport_errors)
{
    uint8_t out[4];
    size_t len;
    uint16_t sw;

    mock_fail(&script, READER_ERR_REMOVED);
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw),
                     READER_ERR_REMOVED);
    mock_answer(&script, "6101");
    mock_fail(&script, READER_ERR_RESET);
    ck_assert_int_eq(send_read(out, sizeof out, &len, &sw), READER_ERR_RESET);
}
END_TEST

START_TEST(transmit_bad_args)
{
    apdu_cmd c = { .ins = 0xB0, .le = 256 };
    apdu_cmd ext = { .ins = 0xB0, .le = 1000 };
    uint8_t out[4];
    size_t len;
    uint16_t sw;

    ck_assert_int_eq(apdu_transmit(NULL, &c, out, 4, &len, &sw),
                     READER_ERR_ARGS);
    ck_assert_int_eq(apdu_transmit(rd, NULL, out, 4, &len, &sw),
                     READER_ERR_ARGS);
    ck_assert_int_eq(apdu_transmit(rd, &c, out, 4, NULL, &sw),
                     READER_ERR_ARGS);
    ck_assert_int_eq(apdu_transmit(rd, &c, out, 4, &len, NULL),
                     READER_ERR_ARGS);
    ck_assert_int_eq(apdu_transmit(rd, &ext, out, 4, &len, &sw),
                     READER_ERR_ARGS);
    ck_assert_uint_eq(script.n_cmds, 0);
}
END_TEST

static Suite *apdu_suite(void)
{
    Suite *s = suite_create("apdu");
    TCase *enc = tcase_create("encode");
    TCase *tx = tcase_create("transmit");

    tcase_add_test(enc, encode_case1);
    tcase_add_test(enc, encode_case2_short);
    tcase_add_test(enc, encode_case3_short);
    tcase_add_test(enc, encode_case4_short);
    tcase_add_test(enc, encode_extended);
    tcase_add_test(enc, encode_bad_args);
    suite_add_tcase(s, enc);

    tcase_add_checked_fixture(tx, setup, teardown);
    tcase_add_test(tx, transmit_plain);
    tcase_add_test(tx, transmit_get_response_chain);
    tcase_add_test(tx, transmit_wrong_le_reissued);
    tcase_add_test(tx, transmit_status_only);
    tcase_add_test(tx, transmit_garbage);
    tcase_add_test(tx, transmit_overflow_refused);
    tcase_add_test(tx, transmit_endless_61xx_bounded);
    tcase_add_test(tx, transmit_transport_errors);
    tcase_add_test(tx, transmit_bad_args);
    suite_add_tcase(s, tx);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(apdu_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
