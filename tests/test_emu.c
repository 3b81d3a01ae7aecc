/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu.c - unit tests of the card emulator's commands, through emu.h
 * only: every command and status word of the JPKI-AP as docs/card.md describes
 * it, and the security state. VERIFY and CHANGE REFERENCE DATA (PIN
 * counters and their persistence) are in test_emu_pins.c; the image file
 * and personalization are tested in test_emu_image.c.
 *
 * A few tests edit an image's text the way a foreign writer would (a field
 * changed, the checksum recomputed) to reach the behaviour switches.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "emu/emu.h"
#include "emu_helpers.h"
#include "testutil.h"

/* ---- ATR, SELECT -------------------------------------------------------- */

START_TEST(test_atr)
{
    static const uint8_t expect[] = { 0x3B, 0xE0, 0x00, 0xFF, 0x81,
                                      0x31, 0xFE, 0x45, 0x14 };
    uint8_t atr[32];
    memset(atr, 0xEE, sizeof atr);
    ck_assert_uint_eq(emu_card_atr(card, atr, sizeof atr), sizeof expect);
    ck_assert_mem_eq(atr, expect, sizeof expect);
    memset(atr, 0xEE, sizeof atr);
    ck_assert_uint_eq(emu_card_atr(card, atr, 3), sizeof expect);
    ck_assert_mem_eq(atr, expect, 3);
    ck_assert_uint_eq(atr[3], 0xEE);
    ck_assert_uint_eq(emu_card_atr(card, NULL, 0), sizeof expect);
}
END_TEST

START_TEST(test_select_applications)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10,
                              0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08)),
                      0x9000);
    ck_assert_uint_eq(select_ef(0x000A), 0x6A82); /* no files modelled there */
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10,
                              0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02)),
                      0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10,
                              0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00)),
                      0x9000);
    /* unknown, truncated and over-long AIDs */
    ck_assert_uint_eq(
        tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x03)),
        0x6A82);
    ck_assert_uint_eq(
        tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x05, 0xD3, 0x92, 0xF0, 0x00, 0x26)),
        0x6A82);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x0B, 0xD3, 0x92, 0xF0,
                              0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00)),
                      0x6A82);
    /* SELECT with an Le byte after the AID is accepted (P2=0C: no data) */
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0,
                              0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00)),
                      0x9000);
}
END_TEST

START_TEST(test_select_unknown_aid_keeps_state)
{
    uint8_t di[64], sig[256];
    size_t slen, dlen = digest_info("x", di);
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(
        tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x03)),
        0x6A82);
    /* still the JPKI-AP, still EF 0017, still verified */
    ck_assert_uint_eq(sign_data(di, dlen, 0, sig, &slen), 0x9000);
    ck_assert_uint_eq(select_ef(0x1234),
                      0x6A82); /* failed EF select keeps EF too */
    ck_assert_uint_eq(sign_data(di, dlen, 0, sig, &slen), 0x9000);
}
END_TEST

START_TEST(test_select_ef_errors)
{
    ck_assert_uint_eq(select_ef(0x000A), 0x6A82); /* no application */
    select_in_ap(0x000A);
    ck_assert_uint_eq(select_ef(0x1234), 0x6A82);
    ck_assert_uint_eq(select_ef(0x0003), 0x6A82);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x09, 0x0C, 0x02, 0x00, 0x0A)),
                      0x6A86);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x00, 0x02, 0x00, 0x0A)),
                      0x6A86);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x04, 0x02, 0x00, 0x0A)),
                      0x6A86);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x01, 0x0C, 0x02, 0x00, 0x0A)),
                      0x6A86);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x0C, 0x03, 0x00, 0x0A, 0x00)),
                      0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x0C, 0x01, 0x0A)), 0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x0C)), 0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x0C, 0x00)), 0x6700);
}
END_TEST

/* ---- READ BINARY -------------------------------------------------------- */

START_TEST(test_read_certificates)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    X509 *auth = read_cert(0x000A), *auth_ca = read_cert(0x000B),
         *sign_ca = read_cert(0x0002);
    ck_assert_int_eq(X509_verify(auth, X509_get0_pubkey(auth_ca)), 1);
    ck_assert_int_eq(X509_check_issued(auth_ca, auth), X509_V_OK);
    ck_assert_int_eq(X509_check_issued(sign_ca, sign_ca), X509_V_OK);
    /* the template's PKI directory holds the same CA */
    char p[4200];
    snprintf(p, sizeof p, "%s/auth-ca.pem", tu_template_pki_dir());
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    X509 *pem = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_int_eq(X509_cmp(pem, auth_ca), 0);
    X509_free(pem);
    X509_free(auth);
    X509_free(auth_ca);
    X509_free(sign_ca);
}
END_TEST

START_TEST(test_read_token_info_and_chunks)
{
    uint8_t buf[300];
    size_t n;
    select_in_ap(0x0006);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x00), buf, &n),
                      0x9000);
    ck_assert_uint_eq(n, 160); /* a serialised CK_TOKEN_INFO */
    ck_assert_mem_eq(buf, "JPKIAPICCTOKEN2                 ", 0x20);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x9E, 0x10), buf, &n),
                      0x9000);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0xA0, 0x01)), 0x6B00);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x7F, 0xFF, 0x01)), 0x6B00);
    /* certificate: Le=00 gives 256 bytes, other Le that many */
    ck_assert_uint_eq(select_ef(0x000A), 0x9000);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x00), buf, &n),
                      0x9000);
    ck_assert_uint_eq(n, 256);
    ck_assert_uint_eq(buf[0], 0x30);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x01, 0x00, 0x11), buf, &n),
                      0x9000);
    ck_assert_uint_eq(n, 0x11);
}
END_TEST

START_TEST(test_read_binary_errors)
{
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)),
                      0x6986); /* no app */
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)),
                      0x6986); /* no EF */
    ck_assert_uint_eq(select_ef(0x000A), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x8A, 0x00, 0x00)),
                      0x6A86); /* SFI */
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00)), 0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x01, 0x00)), 0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x01, 0x00, 0x00)),
                      0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00)),
                      0x6700); /* ext */
    const uint16_t secret[] = { 0x0017, 0x0018, 0x001A, 0x001B };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(select_ef(secret[i]), 0x9000);
        ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)), 0x6981);
    }
}
END_TEST

START_TEST(test_sign_cert_needs_sign_pin)
{
    select_in_ap(0x0001);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)), 0x6982);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000); /* the auth PIN does not do */
    ck_assert_uint_eq(select_ef(0x0001), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)), 0x6982);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    X509 *sign = read_cert(0x0001);
    X509 *ca = read_cert(0x0002);
    ck_assert_int_eq(X509_verify(sign, X509_get0_pubkey(ca)), 1);
    X509_free(sign);
    X509_free(ca);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000); /* reselect: state gone */
    ck_assert_uint_eq(select_ef(0x0001), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)), 0x6982);
}
END_TEST

/* ---- COMPUTE DIGITAL SIGNATURE ------------------------------------------ */

START_TEST(test_sign_with_auth_key)
{
    uint8_t di[64], sig[256];
    size_t slen, dlen = digest_info("hello", di);
    select_in_ap(0x0017);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x6982);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x001A), 0x9000); /* the other key */
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x6982);
    sign_and_check(0x0017, 0x000A, "hello");
    sign_and_check(0x0017, 0x000A, "again, no new VERIFY needed");
    emu_stats st;
    emu_card_get_stats(card, &st);
    ck_assert_uint_eq(st.signatures, 2);
}
END_TEST

START_TEST(test_sign_with_sign_key)
{
    select_in_ap(0x001B);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    sign_and_check(0x001A, 0x0001, "contract");
    sign_and_check(0x001A, 0x0001,
                   "second contract"); /* switch off: PIN stays */
}
END_TEST

START_TEST(test_sign_pin_single_use)
{
    uint8_t di[64], sig[256];
    size_t slen, dlen = digest_info("x", di);
    rewrite_field(path, "sign_pin_single_use", "1");
    reload_card();
    select_in_ap(0x001B);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    sign_and_check(0x001A, 0x0001, "one");
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x6982);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    ck_assert_uint_eq(select_ef(0x001A), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x9000);
    /* the auth key is not affected */
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x9000);
}
END_TEST

START_TEST(test_sign_errors)
{
    uint8_t data[255], sig[256];
    size_t slen;
    memset(data, 0x5A, sizeof data);
    ck_assert_uint_eq(sign_data(data, 32, 1, sig, &slen), 0x6986); /* no app */
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(sign_data(data, 32, 1, sig, &slen), 0x6986); /* PIN EF */
    ck_assert_uint_eq(select_ef(0x000A), 0x9000);
    ck_assert_uint_eq(sign_data(data, 32, 1, sig, &slen),
                      0x6986); /* data EF */
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0x2A, 0x00, 0x80, 0x01, 0x00)), 0x6E00);
    ck_assert_uint_eq(tx(APDU(0x80, 0x2A, 0x9E, 0x9A, 0x01, 0x00)), 0x6A86);
    ck_assert_uint_eq(tx(APDU(0x80, 0x2A, 0x00, 0x80)), 0x6700);
    ck_assert_uint_eq(tx(APDU(0x80, 0x2A, 0x00, 0x80, 0x00)), 0x6700);
    ck_assert_uint_eq(sign_data(data, 246, 1, sig, &slen),
                      0x6700); /* > k - 11 */
    ck_assert_uint_eq(sign_data(data, 255, 0, sig, &slen), 0x6700);
    ck_assert_uint_eq(sign_data(data, 245, 0, sig, &slen), 0x9000);
    ck_assert_uint_eq(slen, 256);
    ck_assert_uint_eq(sign_data(data, 1, 0, sig, &slen), 0x9000);
}
END_TEST

/* ---- security state, malformed commands --------------------------------- */

START_TEST(test_security_state_cleared)
{
    uint8_t di[64], sig[256];
    size_t slen, dlen = digest_info("x", di);
    static const uint8_t card_info_ap[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A,
                                            0xD3, 0x92, 0x10, 0x00, 0x31,
                                            0x00, 0x01, 0x01, 0x04, 0x08 };
    select_in_ap(0x0018);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000); /* same AP again */
    ck_assert_uint_eq(query_on(card), 0x6986);  /* current EF gone too */
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x6982);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(tx(card_info_ap, sizeof card_info_ap), 0x9000);
    select_in_ap(0x0017);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x6982);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    emu_card_reset(card);
    ck_assert_uint_eq(select_ef(0x0017), 0x6A82); /* no application */
    select_in_ap(0x0017);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x6982);
}
END_TEST

START_TEST(test_get_response)
{
    ck_assert_uint_eq(tx(APDU(0x00, 0xC0, 0x00, 0x00, 0x00)), 0x6985);
    ck_assert_uint_eq(tx(APDU(0x00, 0xC0, 0x00, 0x00, 0x10)), 0x6985);
    ck_assert_uint_eq(tx(APDU(0x00, 0xC0, 0x00, 0x00)), 0x6700);
}
END_TEST

START_TEST(test_malformed_apdus)
{
    uint8_t cmd[300], rsp[EMU_RSP_MAX];
    size_t n;
    memset(cmd, 0, sizeof cmd);
    for (size_t len = 0; len < 4; len++)
        ck_assert_uint_eq(txc(card, cmd, len, NULL, NULL), 0x6700);
    ck_assert_uint_eq(txc(card, NULL, 0, NULL, NULL), 0x6700);
    ck_assert_uint_eq(tx(APDU(0x84, 0xA4, 0x04, 0x0C)), 0x6E00);
    ck_assert_uint_eq(tx(APDU(0x0C, 0xB0, 0x00, 0x00, 0x00)), 0x6E00);
    ck_assert_uint_eq(tx(APDU(0xFF, 0x00, 0x00, 0x00)), 0x6E00);
    ck_assert_uint_eq(tx(APDU(0x80, 0xA4, 0x04, 0x0C, 0x01, 0x00)), 0x6E00);
    ck_assert_uint_eq(tx(APDU(0x80, 0xB0, 0x00, 0x00, 0x00)), 0x6E00);
    ck_assert_uint_eq(tx(APDU(0x00, 0xCA, 0x00, 0x00, 0x00)), 0x6D00);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x01, 0x0C, 0x00)), 0x6D00);
    ck_assert_uint_eq(tx(APDU(0x80, 0xCA, 0x00, 0x00, 0x00)), 0x6D00);
    /* extended length, Lc that does not fit, trailing bytes */
    ck_assert_uint_eq(
        tx(APDU(0x00, 0xA4, 0x04, 0x0C, 0x00, 0x00, 0x02, 0x00, 0x0A)),
        0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xA4, 0x02, 0x0C, 0x05, 0x00, 0x0A)),
                      0x6700);
    ck_assert_uint_eq(
        tx(APDU(0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A, 0x00, 0x00)),
        0x6700);
    cmd[4] = 0xFF;
    ck_assert_uint_eq(txc(card, cmd, sizeof cmd, NULL, NULL), 0x6700);
    /* no response possible: argument errors, never a crash */
    ck_assert_int_eq(emu_card_transmit(NULL, cmd, 5, rsp, &n), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_transmit(card, cmd, 5, NULL, &n), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_transmit(card, cmd, 5, rsp, NULL), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_transmit(card, NULL, 5, rsp, &n), EMU_ERR_ARGS);
    emu_stats st;
    emu_card_get_stats(card, &st);
    ck_assert_uint_eq(st.apdus, 17);
}
END_TEST

START_TEST(test_null_arguments)
{
    char err[256];
    emu_stats st;
    emu_info info;
    emu_card_free(NULL);
    emu_card_reset(NULL);
    emu_card_unlock(NULL);
    ck_assert_int_eq(emu_card_lock(NULL), EMU_ERR_ARGS);
    ck_assert_uint_eq(emu_card_atr(NULL, NULL, 0), 9);
    emu_card_get_stats(NULL, &st);
    ck_assert_uint_eq(st.apdus, 0);
    emu_card_get_stats(card, NULL);
    ck_assert_int_eq(emu_card_get_info(NULL, &info), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_get_info(card, NULL), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_load(NULL, NULL, NULL, 0), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_load(path, NULL, err, sizeof err), EMU_ERR_ARGS);
    ck_assert_int_eq(load_err(NULL, err, sizeof err), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_personalize(NULL, NULL, NULL, 0), EMU_ERR_ARGS);
    for (int rv = EMU_OK; rv <= EMU_ERR_MEMORY + 1; rv++)
        ck_assert_ptr_nonnull(emu_strerror((emu_rv)rv));
}
END_TEST

START_TEST(test_stats)
{
    uint8_t buf[0x8000];
    size_t len;
    emu_stats st;
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(read_file(0x0006, buf, sizeof buf, &len), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0xA0, 0x00)), 0x6B00);
    emu_card_get_stats(card, &st);
    ck_assert_uint_eq(st.apdus, 4);
    ck_assert_uint_eq(st.read_binary, 2);
    ck_assert_uint_eq(st.bytes_read, 160);
    ck_assert_uint_eq(st.signatures, 0);
}
END_TEST

/* ---- runner ------------------------------------------------------------- */

static Suite *emu_suite(void)
{
    Suite *s = suite_create("emu");
    TCase *tc = tcase("commands");
    tcase_add_test(tc, test_atr);
    tcase_add_test(tc, test_select_applications);
    tcase_add_test(tc, test_select_unknown_aid_keeps_state);
    tcase_add_test(tc, test_select_ef_errors);
    tcase_add_test(tc, test_read_certificates);
    tcase_add_test(tc, test_read_token_info_and_chunks);
    tcase_add_test(tc, test_read_binary_errors);
    tcase_add_test(tc, test_sign_cert_needs_sign_pin);
    tcase_add_test(tc, test_get_response);
    tcase_add_test(tc, test_malformed_apdus);
    tcase_add_test(tc, test_null_arguments);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_security_state_cleared);
    suite_add_tcase(s, tc);

    suite_add_tcase(s, emu_pins_tcase());

    tc = tcase("signature");
    tcase_add_test(tc, test_sign_with_auth_key);
    tcase_add_test(tc, test_sign_with_sign_key);
    tcase_add_test(tc, test_sign_pin_single_use);
    tcase_add_test(tc, test_sign_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Personalize the template once, here, so forked tests only copy it. */
    if (!tu_template_pki_dir())
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(emu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
