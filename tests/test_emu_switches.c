/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_switches.c - the emulator's switches for card behaviours that
 * no real card has confirmed yet: each one in each of its settings, seen
 * through the card's answers and its counters (emu_stats), plus images of
 * older formats, which must keep today's behaviour. Part of test_emu_extra.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/emu.h"
#include "emu_helpers.h"
#include "test_emu_extra.h"
#include "testutil.h"

#define SELECT_JPKI_FCI                                                       \
    APDU(0x00, 0xA4, 0x04, 0x00, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01,    \
         0x00, 0x00, 0x00, 0x01, 0x00)

static void set_and_reload(const char *key, const char *value)
{
    rewrite_field(path, key, value);
    reload_card();
}

static void verify_pin(uint16_t fid, const char *pin)
{
    ck_assert_uint_eq(select_ef(fid), 0x9000);
    ck_assert_uint_eq(verify(pin), 0x9000);
}

/* ---- 1. re-selecting the current JPKI-AP -------------------------------- */

/* _i = 0: clears the PINs (default); 1: keeps them. */
START_TEST(test_reselect)
{
    int keeps = _i;
    if (keeps)
        set_and_reload("reselect_keeps_pins", "1");
    ck_assert_int_eq(info().reselect_keeps_pins, keeps);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(stats().jpki_reselects,
                      0); /* the first is no re-select */
    verify_pin(0x0018, "1234");
    verify_pin(0x001B, "ABC123");
    ck_assert_int_eq(stats().auth_verified, 1);
    ck_assert_int_eq(stats().sign_verified, 1);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    emu_stats st = stats();
    ck_assert_uint_eq(st.jpki_reselects, 1);
    ck_assert_uint_eq(st.app_selects, 2);
    ck_assert_int_eq(st.jpki_current, 1);
    ck_assert_int_eq(st.auth_verified, keeps);
    ck_assert_int_eq(st.sign_verified, keeps);
    /* the signature key works only with the PIN still verified */
    uint8_t di[64], sig[256];
    size_t slen, dlen = digest_info("m", di);
    ck_assert_uint_eq(select_ef(0x001A), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen),
                      keeps ? 0x9000 : 0x6982);
    /* another application always ends the security state */
    ck_assert_uint_eq(tx(SELECT_SERIAL), 0x9000);
    ck_assert_int_eq(stats().jpki_current, 0);
    ck_assert_int_eq(stats().auth_verified, 0);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(stats().jpki_reselects, 1);
    ck_assert_int_eq(stats().auth_verified, 0);
    /* and so does a reset */
    verify_pin(0x0018, "1234");
    emu_card_reset(card);
    ck_assert_int_eq(stats().auth_verified, 0);
    ck_assert_int_eq(stats().jpki_current, 0);
}
END_TEST

/* ---- 2. the blocked PIN's status word ----------------------------------- */

static const struct {
    const char *verify, *query;
    unsigned vsw, qsw;
} blocked[] = {
    { "6983", "6983", 0x6983, 0x6983 },
    { "6984", "6984", 0x6984, 0x6984 },
    { "63c0", "63c0", 0x63C0, 0x63C0 },
    { "6983", "63c0", 0x6983, 0x63C0 }, /* the two may differ */
};

START_TEST(test_blocked_sw)
{
    rewrite_field(path, "blocked_sw", blocked[_i].verify);
    rewrite_field(path, "blocked_query_sw", blocked[_i].query);
    set_and_reload("sign_tries", "0");
    ck_assert_uint_eq(info().blocked_sw, blocked[_i].vsw);
    ck_assert_uint_eq(info().blocked_query_sw, blocked[_i].qsw);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(query_on(card), blocked[_i].qsw);
    ck_assert_uint_eq(verify("ABC123"),
                      blocked[_i].vsw); /* even the right PIN */
    ck_assert_uint_eq(verify("WRONG1"), blocked[_i].vsw);
    emu_stats st = stats();
    ck_assert_uint_eq(st.verifies, 2);
    ck_assert_uint_eq(st.status_queries, 1);
    ck_assert_int_eq(st.sign_verified, 0);
    ck_assert_uint_eq(info().sign_tries, 0);
    /* a PIN that is not blocked is not affected */
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x63C3);
}
END_TEST

/* Format 2 had one flag: the retry query alone answered 63C0. */
START_TEST(test_blocked_status_switch)
{
    make_old_image(path, 2); /* the switch as format 2 had it */
    rewrite_field(path, "blocked_status_63c0", "1");
    rewrite_field(path, "auth_tries", "0");
    reload_card();
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x63C0);
    ck_assert_uint_eq(verify("1234"), 0x6983);
}
END_TEST

/* The last wrong try answers 63C0 whatever the switch: the card counts it. */
START_TEST(test_blocking_try_then_switch)
{
    rewrite_field(path, "blocked_query_sw", "6984");
    set_and_reload("blocked_sw", "6984");
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("0000"), 0x63C2);
    ck_assert_uint_eq(verify("0000"), 0x63C1);
    ck_assert_uint_eq(verify("0000"), 0x63C0);
    ck_assert_uint_eq(verify("1234"), 0x6984);
    ck_assert_uint_eq(query_on(card), 0x6984);
}
END_TEST

/* ---- 3. a signature without its PIN ------------------------------------- */

START_TEST(test_unverified_sign_sw)
{
    static const char *const sws[] = { NULL, "6985", "6982" };
    static const unsigned want[] = { 0x6982, 0x6985, 0x6982 };
    if (sws[_i])
        set_and_reload("unverified_sign_sw", sws[_i]);
    ck_assert_uint_eq(info().unverified_sign_sw, want[_i]);
    uint8_t di[64], sig[256];
    size_t slen, dlen = digest_info("m", di);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x001A), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), want[_i]);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 0, sig, &slen), want[_i]);
    ck_assert_uint_eq(stats().refused_signatures, 2);
    ck_assert_uint_eq(stats().signatures, 0);
    verify_pin(0x0018, "1234");
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x9000);
    ck_assert_uint_eq(slen, 256);
    ck_assert_uint_eq(stats().signatures, 1);
    ck_assert_uint_eq(stats().refused_signatures, 2);
}
END_TEST

/* ---- 4. how many signatures one signature-PIN VERIFY covers ------------- */

START_TEST(test_sign_pin_covers)
{
    int single = _i;
    if (single)
        set_and_reload("sign_pin_single_use", "1");
    uint8_t di[64], sig[256];
    size_t slen, dlen = digest_info("m", di);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    verify_pin(0x001B, "ABC123");
    ck_assert_uint_eq(select_ef(0x001A), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x9000);
    ck_assert_int_eq(stats().sign_verified, !single);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen),
                      single ? 0x6982 : 0x9000);
    ck_assert_uint_eq(stats().signatures, single ? 1 : 2);
    ck_assert_uint_eq(stats().verifies, 1);
}
END_TEST

/* ---- 5. SELECT by AID with P2=00 ---------------------------------------- */

START_TEST(test_select_fci)
{
    int fci = _i;
    uint8_t d[256];
    size_t n;
    if (fci)
        set_and_reload("select_fci", "1");
    ck_assert_int_eq(info().select_fci, fci);
    unsigned sw = txc(card, SELECT_JPKI_FCI, d, &n);
    if (!fci) {
        ck_assert_uint_eq(sw, 0x6A86);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(stats().jpki_current, 0);
        ck_assert_uint_eq(stats().fci_selects, 0);
        return;
    }
    static const uint8_t want[] = { 0x6F, 0x0C, 0x84, 0x0A, 0xD3, 0x92, 0xF0,
                                    0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
    ck_assert_uint_eq(sw, 0x9000);
    ck_assert_uint_eq(n, sizeof want);
    ck_assert_mem_eq(d, want, sizeof want);
    ck_assert_int_eq(stats().jpki_current, 1);
    ck_assert_uint_eq(stats().fci_selects, 1);
    ck_assert_uint_eq(select_ef(0x0006), 0x9000); /* an ordinary selection */
    ck_assert_uint_eq(stats().ef_selects, 1);
    /* P2=00 by file identifier stays unsupported */
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x00, 0x02, 0x00, 0x0A)),
                      0x6A86);
}
END_TEST

/* ---- 6. token info variants --------------------------------------------- */

START_TEST(test_token_info_labels)
{
    static const char *const labels[] = { NULL, "JPKIAPICCTOKEN",
                                          "JPKIAPGPSETOKEN",
                                          "JPKIAPIOSTOKEN" };
    const char *label = labels[_i] ? labels[_i] : "JPKIAPICCTOKEN2";
    if (labels[_i])
        set_and_reload("token_info", labels[_i]);
    ck_assert_str_eq(info().token_info, label);
    uint8_t d[256], want[32];
    size_t n;
    memset(want, ' ', sizeof want);
    memcpy(want, label, strlen(label));
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0006), 0x9000);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x20), d, &n),
                      0x9000);
    ck_assert_uint_eq(n, 32); /* what the module reads */
    ck_assert_mem_eq(d, want, 32);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x00), d, &n),
                      0x9000);
    ck_assert_uint_eq(n, 160);
    ck_assert_uint_eq(d[96 + 3] & 0x04, 0x04); /* flags: CKF_LOGIN_REQUIRED */
    ck_assert_uint_eq(d[96 + 23], 16);         /* ulMaxPinLen, big-endian */
    ck_assert_uint_eq(d[96 + 27], 4);          /* ulMinPinLen */
    ck_assert_mem_eq(d + 140, "0301", 4);      /* versions, in ASCII */
}
END_TEST

/* ---- 7. the serial-number AP -------------------------------------------- */

START_TEST(test_serial_ap_absent)
{
    set_and_reload("serial_ap", "0");
    ck_assert_int_eq(info().serial_ap, 0);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    verify_pin(0x0018, "1234");
    ck_assert_uint_eq(tx(SELECT_SERIAL), 0x6A82);
    /* a failed SELECT changes nothing: still the JPKI-AP, PIN verified */
    emu_stats st = stats();
    ck_assert_int_eq(st.jpki_current, 1);
    ck_assert_int_eq(st.auth_verified, 1);
    ck_assert_uint_eq(st.app_selects, 1);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x01, 0x0C, 0x00)), 0x6D00);
}
END_TEST

/* ---- older images, and the switches through emu_personalize ------------- */

START_TEST(test_v2_image_keeps_todays_behaviour)
{
    char *v2serial;
    make_old_image(path, 2);
    v2serial = get_field(path, "serial");
    ck_assert_uint_eq(strlen(v2serial), 14);
    reload_card();
    emu_info in = info();
    ck_assert_uint_eq(in.format_version, 2);
    ck_assert_str_eq(in.token_info, "JPKIAPICCTOKEN");
    ck_assert_uint_eq(in.blocked_sw, 0x6983);
    ck_assert_uint_eq(in.blocked_query_sw, 0x6983);
    ck_assert_int_eq(in.reselect_keeps_pins, 0);
    ck_assert_uint_eq(in.unverified_sign_sw, 0x6982);
    ck_assert_int_eq(in.select_fci, 0);
    ck_assert_int_eq(in.serial_ap, 1);
    ck_assert_uint_eq(strlen(in.serial), 13);
    ck_assert_mem_eq(in.serial, v2serial,
                     13); /* the first 13 are the serial */
    /* a spent try saves format 4 with the same behaviour */
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("0000"), 0x63C2);
    reload_card();
    ck_assert_uint_eq(info().format_version, 4);
    ck_assert_str_eq(info().serial, in.serial);
    ck_assert_str_eq(info().token_info, "JPKIAPICCTOKEN");
    ck_assert_uint_eq(info().unverified_sign_sw, 0x6982);
    free(v2serial);
}
END_TEST

START_TEST(test_personalize_switches)
{
    char p[4200];
    snprintf(p, sizeof p, "%s.sw", path);
    emu_init_opts o = { .token_info = "JPKIAPIOSTOKEN",
                        .blocked_sw = 0x6984,
                        .blocked_query_sw = 0x63C0,
                        .reselect_keeps_pins = 1,
                        .unverified_sign_sw = 0x6985,
                        .select_fci = 1,
                        .no_serial_ap = 1,
                        .sign_pin_single_use = 1 };
    char err[256] = "";
    ck_assert_int_eq(emu_personalize(p, &o, err, sizeof err), EMU_OK);
    emu_card *c = NULL;
    ck_assert_int_eq(emu_card_load(p, &c, err, sizeof err), EMU_OK);
    emu_info in;
    ck_assert_int_eq(emu_card_get_info(c, &in), EMU_OK);
    ck_assert_str_eq(in.token_info, "JPKIAPIOSTOKEN");
    ck_assert_uint_eq(in.blocked_sw, 0x6984);
    ck_assert_uint_eq(in.blocked_query_sw, 0x63C0);
    ck_assert_int_eq(in.reselect_keeps_pins, 1);
    ck_assert_uint_eq(in.unverified_sign_sw, 0x6985);
    ck_assert_int_eq(in.select_fci, 1);
    ck_assert_int_eq(in.serial_ap, 0);
    ck_assert_int_eq(in.sign_pin_single_use, 1);
    emu_card_free(c);
    tu_card_remove(p); /* p.pki goes with the test directory */
    /* values no switch allows are refused, naming what is wrong */
    static const emu_init_opts bad[] = {
        { .blocked_sw = 0x6982 },
        { .blocked_query_sw = 0x9000 },
        { .unverified_sign_sw = 0x6A82 },
        { .token_info = "jpki" },
        { .token_info = "JPKIAPICCTOKEN2", .smartphone = 1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(emu_personalize(p, &bad[i], err, sizeof err),
                         EMU_ERR_ARGS);
        ck_assert_int_ne(err[0], '\0');
        ck_assert_int_ne(access(p, F_OK), 0);
    }
}
END_TEST

TCase *emu_switches_tcase(void)
{
    TCase *tc = tcase("switches");
    tcase_add_loop_test(tc, test_reselect, 0, 2);
    tcase_add_loop_test(tc, test_blocked_sw, 0,
                        (int)(sizeof blocked / sizeof blocked[0]));
    tcase_add_test(tc, test_blocked_status_switch);
    tcase_add_test(tc, test_blocking_try_then_switch);
    tcase_add_loop_test(tc, test_unverified_sign_sw, 0, 3);
    tcase_add_loop_test(tc, test_sign_pin_covers, 0, 2);
    tcase_add_loop_test(tc, test_select_fci, 0, 2);
    tcase_add_loop_test(tc, test_token_info_labels, 0, 4);
    tcase_add_test(tc, test_serial_ap_absent);
    tcase_add_test(tc, test_v2_image_keeps_todays_behaviour);
    tcase_add_test(tc, test_personalize_switches);
    return tc;
}
