/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_cardfiles.c - the signature command naming its key by short
 * EF identifier in P2 (80|SFI), the switch for a card that refuses that
 * form, EF 0008 (which certificates the card carries) and the variants of
 * a card without one of its certificates: seen through the card's answers,
 * OpenSSL's verification of its signatures and its counters (emu_stats).
 * Part of test_emu_extra.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "emu/emu.h"
#include "emu_helpers.h"
#include "test_emu_extra.h"
#include "testutil.h"

#define P2_AUTH_KEY 0x97 /* 80 | SFI 17 */
#define P2_SIGN_KEY 0x9A /* 80 | SFI 1A */

static void verify_pin(uint16_t fid, const char *pin)
{
    ck_assert_uint_eq(select_ef(fid), 0x9000);
    ck_assert_uint_eq(verify(pin), 0x9000);
}

/* COMPUTE DIGITAL SIGNATURE with P2 as given over the DigestInfo of msg. */
static unsigned sign_p2(uint8_t p2, const char *msg, uint8_t *sig,
                        size_t *slen)
{
    uint8_t di[64], cmd[5 + 64 + 1];
    size_t dlen = digest_info(msg, di);
    cmd[0] = 0x80, cmd[1] = 0x2A, cmd[2] = 0x00, cmd[3] = p2;
    cmd[4] = (uint8_t)dlen;
    memcpy(cmd + 5, di, dlen);
    cmd[5 + dlen] = 0x00;
    return txc(card, cmd, 6 + dlen, sig, slen);
}

/* Does sig verify as RSA-SHA256 PKCS#1 v1.5 over msg under the
 * certificate in EF cert_fid? (OpenSSL's ordinary verification.) */
static int verifies(uint16_t cert_fid, const char *msg, const uint8_t *sig,
                    size_t slen)
{
    uint8_t der[4096];
    size_t n = 0;
    ck_assert_uint_eq(read_file(cert_fid, der, sizeof der, &n), 0x9000);
    return tu_verify_sha256(der, n, msg, strlen(msg), sig, slen);
}

/* ---- P2 = 80|SFI ---------------------------------------------------------- */

/* _i = 0: the card takes the SFI form (default); 1: switch sign_sfi 0. */
START_TEST(test_sign_by_sfi)
{
    int refuses = _i;
    uint8_t sig[256], sig2[256];
    size_t slen = 0, slen2 = 0;
    if (refuses) {
        rewrite_field(path, "sign_sfi", "0");
        reload_card();
    }
    ck_assert_int_eq(info().sign_sfi, !refuses);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    verify_pin(0x0018, "1234");
    verify_pin(0x001B, "ABC123");
    unsigned efs = (unsigned)stats().ef_selects;
    /* the current EF is the signature PIN: P2 names the key itself */
    ck_assert_uint_eq(sign_p2(P2_AUTH_KEY, "a", sig, &slen),
                      refuses ? 0x6A86 : 0x9000);
    ck_assert_uint_eq(stats().ef_selects, efs); /* no SELECT was needed */
    if (!refuses) {
        ck_assert_uint_eq(slen, 256);
        ck_assert(verifies(0x000A, "a", sig, slen));
        ck_assert(!verifies(0x0001, "a", sig, slen)); /* not the other key */
    }
    ck_assert_uint_eq(sign_p2(P2_SIGN_KEY, "s", sig, &slen),
                      refuses ? 0x6A86 : 0x9000);
    if (!refuses) {
        ck_assert(verifies(0x0001, "s", sig, slen));
        ck_assert(!verifies(0x000A, "s", sig, slen));
    }
    emu_stats st = stats();
    ck_assert_uint_eq(st.signatures, refuses ? 0 : 2);
    ck_assert_uint_eq(st.sfi_signatures, refuses ? 0 : 2);
    /* the SFI form selected nothing: P2 80 still finds no key EF */
    ck_assert_uint_eq(sign_p2(0x80, "a", sig, &slen), 0x6986);
    /* P2 80 after a SELECT works either way: byte-identical signature */
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    ck_assert_uint_eq(sign_p2(0x80, "same", sig2, &slen2), 0x9000);
    ck_assert(verifies(0x000A, "same", sig2, slen2));
    if (!refuses) {
        ck_assert_uint_eq(select_ef(0x001B), 0x9000);
        ck_assert_uint_eq(sign_p2(P2_AUTH_KEY, "same", sig, &slen), 0x9000);
        ck_assert_mem_eq(sig, sig2, 256);
    }
    ck_assert_uint_eq(stats().sfi_signatures, refuses ? 0 : 3);
}
END_TEST

/* What the SFI form answers when it names no key, or a key whose PIN is
 * not verified. */
START_TEST(test_sign_sfi_errors)
{
    uint8_t sig[256];
    size_t slen = 0;
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(sign_p2(P2_SIGN_KEY, "x", sig, &slen), 0x6982);
    ck_assert_uint_eq(sign_p2(P2_AUTH_KEY, "x", sig, &slen), 0x6982);
    ck_assert_uint_eq(stats().refused_signatures, 2);
    ck_assert_uint_eq(sign_p2(0x98, "x", sig, &slen), 0x6981); /* a PIN EF */
    ck_assert_uint_eq(sign_p2(0x8A, "x", sig, &slen), 0x6981); /* a cert */
    ck_assert_uint_eq(sign_p2(0x9F, "x", sig, &slen), 0x6A82); /* nothing */
    ck_assert_uint_eq(sign_p2(0xA0, "x", sig, &slen), 0x6A86); /* not SFI */
    ck_assert_uint_eq(sign_p2(0x00, "x", sig, &slen), 0x6A86);
    /* another application has no such key */
    ck_assert_uint_eq(tx(SELECT_CARD_INFO), 0x9000);
    ck_assert_uint_eq(sign_p2(P2_AUTH_KEY, "x", sig, &slen), 0x6A82);
    ck_assert_uint_eq(stats().signatures, 0);
}
END_TEST

/* ---- EF 0008 ---------------------------------------------------------------- */

static void read_0008(uint8_t out[3])
{
    uint8_t buf[256];
    size_t n = 0;
    ck_assert_uint_eq(select_ef(0x0008), 0x9000);
    /* free to read: no PIN verified */
    ck_assert_uint_eq(read_file(0x0008, buf, sizeof buf, &n), 0x9000);
    ck_assert_uint_eq(n, 3);
    memcpy(out, buf, 3);
}

START_TEST(test_ef0008_default)
{
    uint8_t f[3];
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    read_0008(f);
    ck_assert_mem_eq(f, "\x8F\x8F\x00", 3);
    ck_assert_int_eq(stats().auth_verified + stats().sign_verified, 0);
}
END_TEST

/* _i = 0: no signature certificate (008f00); 1: no authentication one
 * (8f0000). The certificate, its key and its PIN answer 6A82; the other
 * certificate works as ever. */
START_TEST(test_cert_absent)
{
    static const char *const field[] = { "008f00", "8f0000" };
    static const uint16_t gone[2][3] = { { 0x0001, 0x001A, 0x001B },
                                         { 0x000A, 0x0017, 0x0018 } };
    static const uint16_t kept_pin[2] = { 0x0018, 0x001B };
    static const char *const kept_value[2] = { "1234", "ABC123" };
    static const uint16_t kept_cert[2] = { 0x000A, 0x0001 };
    static const uint8_t gone_p2[2] = { P2_SIGN_KEY, P2_AUTH_KEY };
    static const uint8_t kept_p2[2] = { P2_AUTH_KEY, P2_SIGN_KEY };
    int v = _i;
    uint8_t f[3], sig[256];
    size_t slen = 0;
    rewrite_field(path, "ef0008", field[v]);
    reload_card();
    ck_assert_uint_eq(info().ef0008[v], 0x00);
    ck_assert_uint_eq(info().ef0008[!v], 0x8F);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    read_0008(f);
    ck_assert_uint_eq(f[v], 0x00);
    ck_assert_uint_eq(f[!v], 0x8F);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(select_ef(gone[v][i]), 0x6A82);
    ck_assert_uint_eq(sign_p2(gone_p2[v], "x", sig, &slen), 0x6A82);
    /* the CA certificates stay */
    ck_assert_uint_eq(select_ef(0x000B), 0x9000);
    ck_assert_uint_eq(select_ef(0x0002), 0x9000);
    verify_pin(kept_pin[v], kept_value[v]);
    ck_assert_uint_eq(sign_p2(kept_p2[v], "k", sig, &slen), 0x9000);
    ck_assert(verifies(kept_cert[v], "k", sig, slen));
    ck_assert_uint_eq(stats().verifies, 1);
    ck_assert_uint_eq(stats().signatures, 1);
}
END_TEST

/* A current EF that a reload makes absent is no longer current. */
START_TEST(test_cert_absent_after_reload)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x001A), 0x9000);
    rewrite_field(path, "ef0008", "008f00");
    reload_card();
    uint8_t sig[256];
    size_t slen = 0;
    ck_assert_uint_eq(sign_p2(0x80, "x", sig, &slen), 0x6986);
}
END_TEST

/* Images of format 3 take the SFI form and carry both certificates. */
START_TEST(test_v3_image_defaults)
{
    make_old_image(path, 3);
    reload_card();
    ck_assert_uint_eq(info().format_version, 3);
    ck_assert_int_eq(info().sign_sfi, 1);
    ck_assert_mem_eq(info().ef0008, "\x8F\x8F\x00", 3);
}
END_TEST

/* emu_personalize's options set the switches. */
START_TEST(test_personalize_cardfiles)
{
    char p[4200], err[256] = "";
    snprintf(p, sizeof p, "%s.new", path);
    emu_init_opts o = { .no_sign_sfi = 1, .no_sign_cert = 1 };
    ck_assert_int_eq(emu_personalize(p, &o, err, sizeof err), EMU_OK);
    emu_card *c = NULL;
    ck_assert_int_eq(emu_card_load(p, &c, err, sizeof err), EMU_OK);
    emu_info in;
    ck_assert_int_eq(emu_card_get_info(c, &in), EMU_OK);
    ck_assert_int_eq(in.sign_sfi, 0);
    ck_assert_mem_eq(in.ef0008, "\x00\x8F\x00", 3);
    emu_card_free(c);
    tu_card_remove(p);
    o = (emu_init_opts){ .no_auth_cert = 1 };
    ck_assert_int_eq(emu_personalize(p, &o, err, sizeof err), EMU_OK);
    ck_assert_int_eq(emu_card_load(p, &c, err, sizeof err), EMU_OK);
    ck_assert_int_eq(emu_card_get_info(c, &in), EMU_OK);
    ck_assert_int_eq(in.sign_sfi, 1);
    ck_assert_mem_eq(in.ef0008, "\x8F\x00\x00", 3);
    emu_card_free(c);
    tu_card_remove(p);
}
END_TEST

TCase *emu_cardfiles_tcase(void)
{
    TCase *tc = tcase("cardfiles");
    tcase_add_loop_test(tc, test_sign_by_sfi, 0, 2);
    tcase_add_test(tc, test_sign_sfi_errors);
    tcase_add_test(tc, test_ef0008_default);
    tcase_add_loop_test(tc, test_cert_absent, 0, 2);
    tcase_add_test(tc, test_cert_absent_after_reload);
    tcase_add_test(tc, test_v3_image_defaults);
    tcase_add_test(tc, test_personalize_cardfiles);
    return tc;
}
