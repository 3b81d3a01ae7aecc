/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_ec_card.c - the JPKI layer's half of the ECDSA generation
 * (src/jpki/ec_card.c): the card's answer decoded strictly in both
 * encodings, the hash shaped as ECDSA uses it, a signature that does not
 * verify never returned, and the configured alternative AID; against the
 * EC emulator card (raw and DER answers) and a scripted card.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "emu/emu.h"
#include "jpki/ec_card.h"
#include "jpki/jpki.h"
#include "mockreader.h"

static const uint8_t order[48] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xC7, 0x63, 0x4D, 0x81, 0xF4, 0x37, 0x2D, 0xDF, 0x58, 0x1A, 0x0D, 0xB2,
    0x48, 0xB0, 0xA7, 0x7A, 0xEC, 0xEC, 0x19, 0x6A, 0xCC, 0xC5, 0x29, 0x73
};

static int decode(const uint8_t *ans, size_t len, uint8_t *rs)
{
    uint8_t alt[96];
    int n_alt = 0;
    return jpki_ec_decode_sig(ans, len, rs, alt, &n_alt) == JPKI_OK;
}

/* DER of r and s given as their minimal big-endian bytes. */
static size_t der_of(const uint8_t *r, size_t rl, const uint8_t *s, size_t sl,
                     uint8_t *out)
{
    size_t n = 0, body = 2 + rl + 2 + sl;
    out[n++] = 0x30;
    if (body >= 0x80)
        out[n++] = 0x81;
    out[n++] = (uint8_t)body;
    out[n++] = 0x02;
    out[n++] = (uint8_t)rl;
    memcpy(out + n, r, rl);
    n += rl;
    out[n++] = 0x02;
    out[n++] = (uint8_t)sl;
    memcpy(out + n, s, sl);
    return n + sl;
}

START_TEST(test_decode_raw)
{
    uint8_t ans[97], rs[96];
    memset(ans, 0x11, sizeof ans);
    ck_assert(decode(ans, 96, rs));
    ck_assert_mem_eq(rs, ans, 96);
    ck_assert(!decode(ans, 95, rs)); /* not 96, and not DER */
    ck_assert(!decode(ans, 97, rs));
    memset(ans, 0, 48); /* r = 0 */
    ck_assert(!decode(ans, 96, rs));
    memcpy(ans, order, 48); /* r = n */
    ck_assert(!decode(ans, 96, rs));
    memcpy(ans + 48, order, 48); /* s = n - 1 is the largest allowed */
    ans[95]--;
    memset(ans, 0x22, 48);
    ck_assert(decode(ans, 96, rs));
}
END_TEST

START_TEST(test_decode_der)
{
    uint8_t r[49], s[48], der[128], rs[96];
    size_t n;
    memset(r, 0x7F, sizeof r);
    memset(s, 0x01, sizeof s);
    /* 48-byte r and s with a high bit: a leading 00 */
    r[0] = 0x00;
    r[1] = 0x80;
    n = der_of(r, 49, s, 48, der);
    ck_assert(decode(der, n, rs));
    ck_assert_mem_eq(rs, r + 1, 48);
    ck_assert_mem_eq(rs + 48, s, 48);
    /* short r: left-padded */
    n = der_of(s, 20, s, 48, der);
    ck_assert(decode(der, n, rs));
    ck_assert_uint_eq(rs[27], 0);
    ck_assert_uint_eq(rs[28], 1);
    /* trailing byte after the SEQUENCE */
    n = der_of(s, 48, s, 48, der);
    der[n] = 0;
    ck_assert(!decode(der, n + 1, rs));
    /* a leading zero DER forbids */
    uint8_t lz[3] = { 0x00, 0x01, 0x02 };
    n = der_of(lz, 3, s, 48, der);
    ck_assert(!decode(der, n, rs));
    /* negative r */
    uint8_t neg[2] = { 0x80, 0x01 };
    n = der_of(neg, 2, s, 48, der);
    ck_assert(!decode(der, n, rs));
    /* zero s */
    uint8_t zero[1] = { 0x00 };
    n = der_of(s, 48, zero, 1, der);
    ck_assert(!decode(der, n, rs));
    /* r = n, out of range */
    uint8_t big[49] = { 0x00 };
    memcpy(big + 1, order, 48);
    n = der_of(big, 49, s, 48, der);
    ck_assert(!decode(der, n, rs));
    /* 49 significant bytes */
    memset(big, 0x01, sizeof big);
    n = der_of(big, 49, s, 20, der);
    ck_assert(!decode(der, n, rs));
    /* a non-minimal length form (81 for a short body) */
    uint8_t nm[] = { 0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };
    ck_assert(!decode(nm, sizeof nm, rs));
    uint8_t ok[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };
    ck_assert(decode(ok, sizeof ok, rs));
    ok[1] = 0x07; /* the SEQUENCE claims more than there is */
    ck_assert(!decode(ok, sizeof ok, rs));
    ok[1] = 0x06;
    ok[2] = 0x03; /* not an INTEGER */
    ck_assert(!decode(ok, sizeof ok, rs));
}
END_TEST

/* 96 bytes that are r||s and DER at once: both readings come back. */
START_TEST(test_decode_ambiguous)
{
    uint8_t r[45], s[45], der[96], rs[96], alt[96];
    int n_alt = 0;
    memset(r, 0x33, sizeof r);
    memset(s, 0x44, sizeof s);
    ck_assert_uint_eq(der_of(r, 45, s, 45, der), 96);
    ck_assert_int_eq(jpki_ec_decode_sig(der, 96, rs, alt, &n_alt), JPKI_OK);
    ck_assert_int_eq(n_alt, 1);
    ck_assert_uint_eq(rs[3], 0x33); /* DER reading, left-padded r */
    ck_assert_mem_eq(alt, der, 96); /* raw reading */
}
END_TEST

START_TEST(test_shape_hash)
{
    uint8_t h[64], out[48];
    for (int i = 0; i < 64; i++)
        h[i] = (uint8_t)(i + 1);
    ck_assert_int_eq(jpki_ec_shape_hash(h, 64, out), JPKI_OK);
    ck_assert_mem_eq(out, h, 48); /* leftmost 384 bits */
    ck_assert_int_eq(jpki_ec_shape_hash(h, 32, out), JPKI_OK);
    ck_assert_uint_eq(out[15], 0);
    ck_assert_mem_eq(out + 16, h, 32); /* the same integer */
    ck_assert_int_eq(jpki_ec_shape_hash(h, 0, out), JPKI_ERR_ARGS);
}
END_TEST

/* ---- against the EC emulator card ---------------------------------------- */

static char dir[512], card_path[600];
static reader *rd;
static jpki_card *jc;
static jpki_cert *auth_cert;

static void ec_card(int der)
{
    char err[512] = "";
    emu_init_opts o = { .ec_p384 = 1, .ec_sig_der = der };
    uint8_t *cd = NULL;
    size_t len = 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/jpki-ecj-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(card_path, sizeof card_path, "%s/ec.card", dir);
    ck_assert_msg(emu_personalize(card_path, &o, err, sizeof err) == EMU_OK,
                  "%s", err);
    ck_assert_int_eq(reader_emu_new(card_path, &rd), READER_OK);
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &cd, &len),
                     JPKI_OK);
    ck_assert_int_eq(jpki_cert_parse(cd, len, &auth_cert), JPKI_OK);
    free(cd);
}

static void setup_raw(void)
{
    ec_card(0);
}

static void setup_der(void)
{
    ec_card(1);
}

static void teardown_ec(void)
{
    char cmd[700];
    jpki_cert_free(auth_cert);
    jpki_card_close(jc);
    reader_free(rd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* OpenSSL's own check of r||s over hash (any length) by the cert's key. */
static int openssl_ok(const jpki_cert *c, const uint8_t *hash, size_t hlen,
                      const uint8_t *rs)
{
    const unsigned char *p = c->spki.p;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)c->spki.len);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(rs, 48, NULL), BN_bin2bn(rs + 48, 48, NULL));
    unsigned char *der = NULL;
    int dl = i2d_ECDSA_SIG(sig, &der);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_verify(ctx, der, (size_t)dl, hash, hlen) == 1;
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    EVP_PKEY_free(pk);
    return ok;
}

static void sign_check_all_lengths(void)
{
    static const size_t lens[] = { 20, 32, 48, 64 };
    uint8_t hash[64], rs[96];
    int tries = -1;
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, &tries),
                     JPKI_OK);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        SHA512((const unsigned char *)"abc", 3, hash);
        ck_assert_int_eq(
            jpki_card_sign_ecdsa(jc, JPKI_AUTH, auth_cert, hash, lens[i], rs),
            JPKI_OK);
        ck_assert_msg(openssl_ok(auth_cert, hash, lens[i], rs),
                      "hash of %zu bytes", lens[i]);
    }
}

START_TEST(test_emu_sign_raw)
{
    sign_check_all_lengths();
}
END_TEST

START_TEST(test_emu_sign_der)
{
    sign_check_all_lengths();
}
END_TEST

/* ---- against a scripted card --------------------------------------------- */

static mock_script script;

/* A card fresh from a reset, opened, with the JPKI-AP at the configured
 * alternative AID (at_alt) or at the usual one. */
static jpki_card *mock_open(reader **mr, int at_alt)
{
    jpki_card *c = NULL;
    memset(&script, 0, sizeof script);
    *mr = mock_reader_new(&script);
    mock_answer(&script, "6A82"); /* SELECT 0006: nothing current */
    if (at_alt)
        mock_answer(&script, "6A82"); /* the JPKI-AP's AID: not here */
    mock_answer(&script, "9000");     /* the AP (at whichever AID) */
    mock_answer(&script, "9000");     /* SELECT 0006 */
    mock_answer(&script, "4A504B49415049434354 4F4B454E 9000");
    ck_assert_int_eq(jpki_card_open(*mr, &c), JPKI_OK);
    return c;
}

START_TEST(test_alt_aid)
{
    reader *mr;
    ck_assert_int_eq(jpki_ec_set_alt_aid("D392F0"), -1); /* < 5 bytes */
    ck_assert_int_eq(jpki_ec_set_alt_aid("D392F000260100000002X"), -1);
    ck_assert_int_eq(jpki_ec_set_alt_aid("D392F000260100000002"), 0);
    ck_assert_int_eq(jpki_ec_set_alt_aid("D392F00026010000000"), -1); /* odd */
    uint8_t aid[16];
    ck_assert_uint_eq(jpki_ec_guess_alt_aid(aid), 10); /* a bad one: kept */
    ck_assert_uint_eq(aid[9], 0x02);
    jpki_card *c = mock_open(&mr, 1);
    ck_assert_str_eq(mock_cmd_hex(&script, 1),
                     "00A4040C0AD392F000260100000001");
    ck_assert_str_eq(mock_cmd_hex(&script, 2),
                     "00A4040C0AD392F000260100000002");
    jpki_card_close(c);
    reader_free(mr);
    /* without a configured AID, a card without the JPKI-AP is no card */
    jpki_ec_set_alt_aid(NULL);
    memset(&script, 0, sizeof script);
    mr = mock_reader_new(&script);
    mock_answer(&script, "6A82");
    mock_answer(&script, "6A82");
    c = NULL;
    ck_assert_int_eq(jpki_card_open(mr, &c), JPKI_ERR_NOT_JPKI);
    ck_assert_uint_eq(script.n_cmds, 2);
    reader_free(mr);
}
END_TEST

/* Answers that are no signature, or not this key's, never come back. */
START_TEST(test_mock_bad_answers)
{
    static const char *const answers[] = {
        /* DER with a byte after it */
        "3006020101020101 00 9000",
        /* 95 bytes */
        NULL,
        /* r||s in range that does not verify */
        NULL,
    };
    char hex[2 * 100 + 8];
    uint8_t hash[48] = { 1 }, rs[96];
    reader *mr;
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        jpki_card *c = mock_open(&mr, 0);
        const char *a = answers[i];
        if (!a) {
            size_t n = i == 1 ? 95 : 96;
            hex[0] = '\0';
            for (size_t j = 0; j < n; j++)
                strcat(hex, "11");
            strcat(hex, "9000");
            a = hex;
        }
        mock_answer(&script, a); /* the key named by SFI, no SELECT */
        memset(rs, 0xAA, sizeof rs);
        ck_assert_int_eq(
            jpki_card_sign_ecdsa(c, JPKI_AUTH, auth_cert, hash, 48, rs),
            JPKI_ERR_BAD_DATA);
        uint8_t zero[96] = { 0 };
        ck_assert_mem_eq(rs, zero, 96); /* nothing of it left for a caller */
        /* the card was asked for exactly the bare 48-byte hash */
        const char *cmd = mock_cmd_hex(&script, script.n_cmds - 1);
        ck_assert_uint_eq(strncmp(cmd, "802A00", 6), 0); /* P1 00 */
        ck_assert_uint_eq(strncmp(cmd + 8, "30", 2), 0); /* Lc 48 */
        ck_assert_uint_eq(strlen(cmd), 10 + 96 + 2);
        jpki_card_close(c);
        reader_free(mr);
    }
}
END_TEST

static Suite *ec_suite(void)
{
    Suite *s = suite_create("ec_card");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_decode_raw);
    tcase_add_test(tc, test_decode_der);
    tcase_add_test(tc, test_decode_ambiguous);
    tcase_add_test(tc, test_shape_hash);
    suite_add_tcase(s, tc);
    tc = tcase_create("emu_raw");
    tcase_add_checked_fixture(tc, setup_raw, teardown_ec);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_emu_sign_raw);
    tcase_add_test(tc, test_mock_bad_answers);
    tcase_add_test(tc, test_alt_aid);
    suite_add_tcase(s, tc);
    tc = tcase_create("emu_der");
    tcase_add_checked_fixture(tc, setup_der, teardown_ec);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_emu_sign_der);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
