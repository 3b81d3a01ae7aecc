/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_extra.c - unit tests of the emulator's other applications
 * (serial-number AP, card-info AP), its injected faults, its APDU log, the
 * simulated PIN pad and format-1 images. The test PKI options, CRLs and the
 * crash test are in test_emu_extra_pki.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "emu/emu.h"
#include "emu_helpers.h"
#include "test_emu_extra.h"
#include "testutil.h"

/* Raw exchange: the emu_rv and the whole response. */
static emu_rv raw(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *n)
{
    *n = 0;
    return emu_card_transmit(card, cmd, len, rsp, n);
}

/* ---- serial-number AP --------------------------------------------------- */

START_TEST(test_serial_record)
{
    uint8_t rec[256];
    size_t n;
    const char *serial = info().serial;
    ck_assert_uint_eq(strlen(serial), 13);
    ck_assert_uint_eq(strspn(serial, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                      13);
    ck_assert_uint_eq(tx(SELECT_SERIAL), 0x9000);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB2, 0x01, 0x0C, 0x00), rec, &n),
                      0x9000);
    ck_assert_uint_eq(n, 17);
    ck_assert_uint_eq(rec[0], 0x04); /* one BER TLV ... */
    ck_assert_uint_eq(rec[1], 15);
    ck_assert_mem_eq(rec + 2 + 2, serial,
                     13); /* ... value characters [2, 15) */
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x02, 0x0C, 0x00)),
                      0x6A83); /* record 2 */
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x01, 0x14, 0x00)),
                      0x6A82); /* SFI 2 */
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x01, 0x0D, 0x00)), 0x6A86);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x01, 0x0C, 0x05)), 0x6C11);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x01, 0x0C)), 0x6700);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)), 0x6986);
    /* stable for the image */
    char before[15];
    snprintf(before, sizeof before, "%s", serial);
    reload_card();
    ck_assert_str_eq(info().serial, before);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(tx(APDU(0x00, 0xB2, 0x01, 0x0C, 0x00)), 0x6D00);
}
END_TEST

/* ---- card-info AP ------------------------------------------------------- */

static char check_digit(const char *d)
{
    unsigned sum = 0;
    for (unsigned k = 1; k <= 11; k++)
        sum += (unsigned)(d[11 - k] - '0') * (k <= 6 ? k + 1 : k - 5);
    return (char)('0' + (sum % 11 <= 1 ? 0 : 11 - sum % 11));
}

START_TEST(test_card_info_ap)
{
    uint8_t buf[2048];
    size_t n;
    ck_assert_uint_eq(stats().card_info_selects, 0);
    ck_assert_uint_eq(tx(SELECT_CARD_INFO), 0x9000);
    ck_assert_uint_eq(stats().card_info_selects, 1);
    ck_assert_uint_eq(read_file(0x0001, buf, sizeof buf, &n), 0x6982);
    ck_assert_uint_eq(read_file(0x0002, buf, sizeof buf, &n), 0x6982);
    ck_assert_uint_eq(select_ef(0x000A),
                      0x6A82); /* JPKI's files are not here */
    ck_assert_uint_eq(select_ef(0x0011), 0x9000);
    ck_assert_uint_eq(query_on(card), 0x63C3);
    ck_assert_uint_eq(verify("9999"), 0x63C2);
    ck_assert_uint_eq(info().info_tries, 2);
    ck_assert_uint_eq(info().auth_tries, 3);   /* a counter of its own */
    ck_assert_uint_eq(verify("1234"), 0x9000); /* the auth PIN's value */
    ck_assert_uint_eq(info().info_tries, 3);
    ck_assert_uint_eq(change_pin("4321"), 0x6A81);
    ck_assert_uint_eq(read_file(0x0001, buf, sizeof buf, &n), 0x9000);
    ck_assert_uint_eq(n, 14);
    ck_assert_uint_eq(buf[0], 0xD0);
    ck_assert_uint_eq(buf[1], 12);
    ck_assert_uint_eq(strspn((char *)buf + 2, "0123456789"), 12);
    ck_assert_int_eq(buf[13], check_digit((char *)buf + 2));
    ck_assert_uint_eq(read_file(0x0002, buf, sizeof buf, &n), 0x9000);
    ck_assert_uint_eq(buf[0], 0xFF);
    ck_assert_uint_eq(buf[1], 0x20);
    ck_assert_uint_eq(buf[2], n - 3); /* short form length */
    static const uint8_t header[] = { 0xDF, 0x21, 0x02, 0x00, 0x00 };
    ck_assert_mem_eq(buf + 3, header, sizeof header);
    const char *name = "試験　花子";
    ck_assert_uint_eq(buf[8], 0xDF);
    ck_assert_uint_eq(buf[9], 0x22);
    ck_assert_uint_eq(buf[10], strlen(name));
    ck_assert_mem_eq(buf + 11, name, strlen(name));
    const uint8_t birth_sex[] = { 0xDF, 0x24, 0x08, '1',  '9',  '9',  '0', '0',
                                  '1',  '0',  '1',  0xDF, 0x25, 0x01, '2' };
    ck_assert_mem_eq(buf + n - sizeof birth_sex, birth_sex, sizeof birth_sex);
    /* every SELECT counts, and clears the PIN */
    ck_assert_uint_eq(tx(SELECT_CARD_INFO), 0x9000);
    ck_assert_uint_eq(stats().card_info_selects, 2);
    ck_assert_uint_eq(read_file(0x0001, buf, sizeof buf, &n), 0x6982);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(stats().card_info_selects, 2);
    /* three wrong PINs block it; the JPKI auth PIN is untouched */
    ck_assert_uint_eq(tx(SELECT_CARD_INFO), 0x9000);
    ck_assert_uint_eq(select_ef(0x0011), 0x9000);
    ck_assert_uint_eq(verify("0000"), 0x63C2);
    ck_assert_uint_eq(verify("0000"), 0x63C1);
    ck_assert_uint_eq(verify("0000"), 0x63C0);
    ck_assert_uint_eq(verify("1234"), 0x6983);
    ck_assert_uint_eq(query_on(card), 0x6983);
    ck_assert_uint_eq(info().auth_tries, 3);
    reload_card(); /* it was saved */
    ck_assert_uint_eq(info().info_tries, 0);
}
END_TEST

/* ---- faults ------------------------------------------------------------- */

START_TEST(test_fault_drop_after)
{
    uint8_t rsp[EMU_RSP_MAX];
    size_t n;
    ck_assert_int_eq(emu_card_set_faults(card, "drop-after=3"), EMU_OK);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x000A), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_int_eq(raw(SELECT_JPKI, rsp, &n), EMU_ERR_GONE);
    ck_assert_uint_eq(n, 0);
    emu_card_reset(card); /* pulled stays pulled */
    ck_assert_int_eq(raw(SELECT_JPKI, rsp, &n), EMU_ERR_GONE);
    ck_assert_uint_eq(stats().apdus, 3);
    ck_assert_int_eq(emu_card_set_faults(card, NULL), EMU_OK);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
}
END_TEST

START_TEST(test_fault_garbage_and_sw)
{
    uint8_t rsp[EMU_RSP_MAX];
    size_t n;
    ck_assert_int_eq(emu_card_set_faults(card, "garbage-at=3,sw-at=5:6F00"),
                     EMU_OK);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    /* APDU 3 is processed (a try is spent) but its answer is noise */
    ck_assert_int_eq(
        raw(APDU(0x00, 0x20, 0x00, 0x80, 0x04, '9', '9', '9', '9'), rsp, &n),
        EMU_OK);
    ck_assert_uint_ge(n, 1);
    ck_assert_uint_le(n, EMU_RSP_MAX);
    ck_assert_uint_eq(query_on(card), 0x63C2);
    /* APDU 5 is not processed: it answers 6F00 alone */
    ck_assert_uint_eq(
        txc(card, APDU(0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06), rsp, &n),
        0x6F00);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(query_on(card), 0x63C2); /* 0018 still selected */
    ck_assert_int_eq(emu_card_set_faults(card, "sw-at=1:9000"), EMU_OK);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x00), rsp, &n),
                      0x9000);
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* Read a whole EF through 61xx / GET RESPONSE. */
static void read_chained(uint16_t fid, uint8_t *buf, size_t *len)
{
    uint8_t d[256];
    size_t n;
    ck_assert_uint_eq(select_ef(fid), 0x9000);
    *len = 0;
    for (;;) {
        unsigned sw = txc(
            card, APDU(0x00, 0xB0, (uint8_t)(*len >> 8), (uint8_t)*len, 0x00),
            d, &n);
        if (sw == 0x6B00)
            return;
        ck_assert_uint_eq(sw & 0xFF00, 0x6100);
        ck_assert_uint_eq(n, 0);
        size_t want = (sw & 0xFF) ? (sw & 0xFF) : 256;
        ck_assert_uint_eq(
            txc(card, APDU(0x00, 0xC0, 0x00, 0x00, (uint8_t)want), d, &n),
            0x9000);
        ck_assert_uint_eq(n, want);
        memcpy(buf + *len, d, n);
        *len += n;
        if (n < 256)
            return;
    }
}

START_TEST(test_fault_get_response)
{
    static uint8_t plain[0x8000], chained[0x8000];
    uint8_t d[256], di[64];
    size_t plen, clen, n;
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(read_file(0x000A, plain, sizeof plain, &plen), 0x9000);
    ck_assert_int_eq(emu_card_set_faults(card, "get-response"), EMU_OK);
    read_chained(0x000A, chained, &clen);
    ck_assert_uint_eq(clen, plen);
    ck_assert_mem_eq(chained, plain, plen);
    /* in parts: 16 bytes, then 61F0 for the rest */
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x00), d, &n),
                      0x6100);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xC0, 0x00, 0x00, 0x10), d, &n),
                      0x61F0);
    ck_assert_mem_eq(d, plain, 16);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xC0, 0x00, 0x00, 0xF0), d, &n),
                      0x9000);
    ck_assert_uint_eq(n, 0xF0);
    ck_assert_mem_eq(d, plain + 16, 0xF0);
    ck_assert_uint_eq(tx(APDU(0x00, 0xC0, 0x00, 0x00, 0x00)),
                      0x6985); /* all given */
    /* another command throws held-back data away */
    ck_assert_uint_eq(tx(APDU(0x00, 0xB0, 0x00, 0x00, 0x00)), 0x6100);
    ck_assert_uint_eq(select_ef(0x0006), 0x9000); /* no data: plain 9000 */
    ck_assert_uint_eq(tx(APDU(0x00, 0xC0, 0x00, 0x00, 0x00)), 0x6985);
    /* a signature comes the same way, and verifies */
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    size_t dlen = digest_info("chained", di);
    ck_assert_uint_eq(sign_data(di, dlen, 1, d, &n), 0x6100);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xC0, 0x00, 0x00, 0x00), d, &n),
                      0x9000);
    ck_assert_uint_eq(n, 256);
    ck_assert(tu_verify_sha256(plain, plen, "chained", 7, d, n));
}
END_TEST

START_TEST(test_fault_wrong_le)
{
    uint8_t d[256];
    size_t n;
    ck_assert_int_eq(emu_card_set_faults(card, "wrong-le"), EMU_OK);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0006), 0x9000);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0x00), d, &n),
                      0x6CA0);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x00, 0xA0), d, &n),
                      0x9000);
    ck_assert_uint_eq(n, 0xA0);
    ck_assert_mem_eq(d, "JPKIAPICCTOKEN2 ", 16);
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x10, 0x08), d, &n),
                      0x9000);
    ck_assert_uint_eq(n, 8); /* asking less is fine */
    ck_assert_uint_eq(txc(card, APDU(0x00, 0xB0, 0x00, 0x9C, 0x00), d, &n),
                      0x6C04);
}
END_TEST

START_TEST(test_fault_power_loss_at_sign)
{
    uint8_t rsp[EMU_RSP_MAX], di[64], sig[256];
    size_t n, slen, dlen = digest_info("x", di);
    ck_assert_int_eq(emu_card_set_faults(card, "power-loss-at-sign"), EMU_OK);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    uint8_t cmd[5 + 64 + 1] = { 0x80, 0x2A, 0x00, 0x80, (uint8_t)dlen };
    memcpy(cmd + 5, di, dlen);
    ck_assert_int_eq(raw(cmd, 6 + dlen, rsp, &n), EMU_ERR_GONE);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(raw(SELECT_JPKI, rsp, &n), EMU_ERR_GONE);
    ck_assert_uint_eq(stats().signatures, 0);
    emu_card_reset(card); /* power comes back */
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen),
                      0x6982); /* PIN forgotten */
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen),
                      0x9000); /* only the first */
}
END_TEST

START_TEST(test_fault_spec_and_env)
{
    static const char *bad[] = { "bogus",          "drop-after",
                                 "drop-after=",    "drop-after=x",
                                 "garbage-at=0",   "sw-at=1",
                                 "sw-at=1:1234",   "sw-at=0:6F00",
                                 "sw-at=1:6F0",    "delay-ms=60001",
                                 "get-response=1", "wrong-le,",
                                 ",wrong-le",      "power-loss-at-sign=0" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(emu_card_set_faults(card, bad[i]) == EMU_ERR_ARGS, "%s",
                      bad[i]);
    ck_assert_int_eq(emu_card_set_faults(card, ""), EMU_OK);
    ck_assert_int_eq(
        emu_card_set_faults(card, "sw-at=1:6a82,sw-at=2:9000,delay-ms=0,"
                                  "power-loss-at-sign=2,drop-after=0"),
        EMU_OK);
    /* a bad list in the environment fails the load loudly */
    char err[512] = "";
    emu_card *c = NULL;
    setenv("JPKI_EMU_FAULTS", "garbage-at=", 1);
    ck_assert_int_eq(emu_card_load(path, &c, err, sizeof err), EMU_ERR_ARGS);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(err, "JPKI_EMU_FAULTS"));
    /* a good one applies to every card the process loads */
    setenv("JPKI_EMU_FAULTS", "delay-ms=40,sw-at=2:6581", 1);
    ck_assert_int_eq(emu_card_load(path, &c, err, sizeof err), EMU_OK);
    unsetenv("JPKI_EMU_FAULTS");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_uint_eq(txc(c, SELECT_JPKI, NULL, NULL), 0x9000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms =
        (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_ge(ms, 40);
    ck_assert_uint_eq(txc(c, SELECT_JPKI, NULL, NULL), 0x6581);
    emu_card_free(c);
}
END_TEST

/* ---- APDU log ----------------------------------------------------------- */

static void hex_of(const char *s, char *out, int upper)
{
    for (size_t i = 0; s[i]; i++)
        sprintf(out + 2 * i, upper ? "%02X" : "%02x", (unsigned char)s[i]);
}

START_TEST(test_log_has_no_pins)
{
    char logp[4200], err[512];
    emu_card *c;
    snprintf(logp, sizeof logp, "%s.log", path);
    setenv("JPKI_EMU_LOG", logp, 1);
    ck_assert_int_eq(emu_card_load(path, &c, err, sizeof err), EMU_OK);
    unsetenv("JPKI_EMU_LOG");
    emu_card_free(card);
    card = c;
    uint8_t cert[0x8000];
    size_t certlen;
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(read_file(0x000A, cert, sizeof cert, &certlen), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("9876"), 0x63C2);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(change_pin("5678"), 0x9000);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    ck_assert_uint_eq(change_pin("QWXZKJ7"), 0x9000);
    ck_assert_int_eq(emu_card_set_faults(card, "drop-after=0"), EMU_OK);
    uint8_t rsp[EMU_RSP_MAX];
    size_t n;
    ck_assert_int_eq(raw(SELECT_JPKI, rsp, &n), EMU_ERR_GONE);
    size_t len;
    char *log = slurp(logp, &len);
    /* one line per APDU, the gone one included */
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += log[i] == '\n';
    ck_assert_uint_eq(lines, stats().apdus + 1);
    ck_assert_ptr_nonnull(
        strstr(log, "CLA=00 INS=20 P1=00 P2=80 Lc=4 Le=- -> len=0 SW=63C2"));
    ck_assert_ptr_nonnull(strstr(log, "no response fault=drop"));
    /* PINs as hex, either case, anywhere; as text outside the two numeric
     * time fields (which may hold any digits) */
    const char *pins[] = { "9876", "1234", "5678", "ABC123", "QWXZKJ7" };
    char hex[64];
    for (size_t i = 0; i < 5; i++) {
        hex_of(pins[i], hex, 1);
        ck_assert_msg(!strcasestr(log, hex), "PIN %s as hex in the log",
                      pins[i]);
    }
    for (char *line = log; *line; line = strchr(line, '\n') + 1) {
        char *rest = strstr(line, "us ");
        ck_assert_ptr_nonnull(rest);
        char *nl = strchr(rest, '\n');
        *nl = '\0';
        for (size_t i = 0; i < 5; i++)
            ck_assert_msg(!strstr(rest, pins[i]), "PIN %s in log line '%s'",
                          pins[i], rest);
        /* nor file contents: no run of 8 hex digits at all */
        for (const char *q = rest; *q;) {
            size_t run = strspn(q, "0123456789ABCDEFabcdef");
            ck_assert_msg(run < 8, "data in log line '%s'", rest);
            q += run ? run : 1;
        }
        *nl = '\n';
    }
    free(log);
    unlink(logp);
}
END_TEST

/* ---- PIN pad ------------------------------------------------------------ */

START_TEST(test_pinpad)
{
    uint16_t sw = 0;
    uint8_t buf[0x8000];
    size_t n;
    ck_assert_int_eq(emu_card_has_pinpad(card), 0);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 0, &sw), EMU_ERR_ARGS);
    rewrite_field(path, "pinpad", "1");
    reload_card();
    ck_assert_int_eq(emu_card_has_pinpad(card), 1);
    ck_assert_int_eq(info().pinpad, 1);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 2, &sw), EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x6986); /* nothing selected */
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 1, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x9000);
    ck_assert_uint_eq(read_file(0x0001, buf, sizeof buf, &n), 0x9000);
    /* the user types the sign PIN while the auth PIN EF is selected */
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 1, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x63C2);
    ck_assert_uint_eq(info().auth_tries, 2);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x9000);
    ck_assert_uint_eq(info().auth_tries, 3);
    ck_assert_uint_eq(stats().verifies, 3);
    /* it follows a PIN changed on the card */
    ck_assert_uint_eq(change_pin("2468"), 0x9000);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x9000);
    /* a change typed on the keypad: without a new PIN the holder cancels,
     * with one the card takes it (the auth PIN EF is selected, verified) */
    unsetenv("JPKI_EMU_PINPAD_NEW_PIN");
    ck_assert_int_eq(emu_card_pinpad_modify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x6401);
    setenv("JPKI_EMU_PINPAD_NEW_PIN", "12", 1); /* too short */
    ck_assert_int_eq(emu_card_pinpad_modify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x6A80);
    setenv("JPKI_EMU_PINPAD_NEW_PIN", "1357", 1);
    ck_assert_int_eq(emu_card_pinpad_modify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x9000);
    unsetenv("JPKI_EMU_PINPAD_NEW_PIN");
    ck_assert_uint_eq(verify("1357"), 0x9000);
    /* the holder cancels, or lets the entry time out: the reader's status,
     * nothing reaches the card */
    unsigned long before = stats().verifies;
    ck_assert_int_eq(emu_card_set_faults(card, "pinpad-cancel"), EMU_OK);
    ck_assert_int_eq(emu_card_pinpad_verify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x6401);
    ck_assert_int_eq(emu_card_set_faults(card, "pinpad-timeout"), EMU_OK);
    ck_assert_int_eq(emu_card_pinpad_modify(card, 0, &sw), EMU_OK);
    ck_assert_uint_eq(sw, 0x6400);
    ck_assert_uint_eq(stats().verifies, before);
    ck_assert_uint_eq(info().auth_tries, 3);
    ck_assert_int_eq(emu_card_set_faults(card, NULL), EMU_OK);
}
END_TEST

/* ---- format 1 ----------------------------------------------------------- */

START_TEST(test_v1_image_loads)
{
    char serial[15];
    make_old_image(path, 1);
    reload_card();
    emu_info in = info();
    ck_assert_uint_eq(in.format_version, 1);
    ck_assert_int_eq(in.pinpad, 0);
    ck_assert_uint_eq(in.info_tries, 3);
    ck_assert_uint_eq(strlen(in.serial), 13);
    snprintf(serial, sizeof serial, "%s", in.serial);
    reload_card();
    ck_assert_str_eq(info().serial, serial); /* derived, stable */
    ck_assert_uint_eq(tx(SELECT_CARD_INFO), 0x9000);
    ck_assert_uint_eq(select_ef(0x0011), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    uint8_t buf[64];
    size_t n;
    ck_assert_uint_eq(read_file(0x0001, buf, sizeof buf, &n), 0x9000);
    ck_assert_uint_eq(buf[13], check_digit((char *)buf + 2));
    /* the first change of state writes the current format, keeping the serial */
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("0000"), 0x63C2);
    reload_card();
    ck_assert_uint_eq(info().format_version, 4);
    ck_assert_str_eq(info().serial, serial);
    ck_assert_uint_eq(info().auth_tries, 2);
    char *v = get_field(path, "holder_number");
    ck_assert_mem_eq(v, buf + 2, 12);
    free(v);
}
END_TEST

START_TEST(test_smartphone_token)
{
    uint8_t buf[0x8000];
    size_t n;
    rewrite_field(path, "token_info", "JPKIAPGPSETOKEN");
    reload_card();
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(read_file(0x000A, buf, sizeof buf, &n), 0x6982);
    ck_assert_uint_eq(read_file(0x000B, buf, sizeof buf, &n),
                      0x9000); /* CA free */
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(read_file(0x000A, buf, sizeof buf, &n), 0x9000);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000); /* state gone */
    ck_assert_uint_eq(read_file(0x000A, buf, sizeof buf, &n), 0x6982);
}
END_TEST

/* ---- runner ------------------------------------------------------------- */

static Suite *emu_extra_suite(void)
{
    Suite *s = suite_create("emu_extra");
    TCase *tc = tcase("apps");
    tcase_add_test(tc, test_serial_record);
    tcase_add_test(tc, test_card_info_ap);
    tcase_add_test(tc, test_smartphone_token);
    tcase_add_test(tc, test_pinpad);
    tcase_add_test(tc, test_v1_image_loads);
    suite_add_tcase(s, tc);

    tc = tcase("faults");
    tcase_add_test(tc, test_fault_drop_after);
    tcase_add_test(tc, test_fault_garbage_and_sw);
    tcase_add_test(tc, test_fault_get_response);
    tcase_add_test(tc, test_fault_wrong_le);
    tcase_add_test(tc, test_fault_power_loss_at_sign);
    tcase_add_test(tc, test_fault_spec_and_env);
    tcase_add_test(tc, test_log_has_no_pins);
    suite_add_tcase(s, tc);

    suite_add_tcase(s, emu_extra_pki_tcase());
    suite_add_tcase(s, emu_switches_tcase());
    suite_add_tcase(s, emu_cardfiles_tcase());
    suite_add_tcase(s, emu_schemes_tcase());
    return s;
}

int main(void)
{
    /* Personalize the template once, here, so forked tests only copy it. */
    if (!tu_template_pki_dir())
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(emu_extra_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
