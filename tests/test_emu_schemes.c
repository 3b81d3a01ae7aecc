/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_schemes.c - the emulated card's signature schemes (P1 of
 * 80 2A, docs/card.md): every scheme with both keys, each signature checked
 * by OpenSSL's own verification with that scheme's padding; unknown P1,
 * wrong lengths, the P1-00-only card and older images. Part of
 * test_emu_extra.
 */
#include <check.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "emu/emu.h"
#include "emu_helpers.h"
#include "test_emu_extra.h"
#include "testutil.h"

static const char msg[] = "a document for every scheme";

/* 80 2A p1 80 Lc data 00 to the global card. */
static unsigned sign_p1(unsigned p1, const uint8_t *data, size_t len,
                        uint8_t *sig, size_t *slen)
{
    uint8_t cmd[5 + 255 + 1] = { 0x80, 0x2A, (uint8_t)p1, 0x80, (uint8_t)len };
    memcpy(cmd + 5, data, len);
    cmd[5 + len] = 0x00;
    return txc(card, cmd, 6 + len, sig, slen);
}

/* Select the JPKI-AP, verify the key's PIN, select the key. */
static void ready_key(int sign)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(sign ? 0x001B : 0x0018), 0x9000);
    ck_assert_uint_eq(verify(sign ? "ABC123" : "1234"), 0x9000);
    ck_assert_uint_eq(select_ef(sign ? 0x001A : 0x0017), 0x9000);
}

/* What the card is given for scheme p1: the DigestInfo (00), the bare
 * hash (02, 04) or the message itself (the card hashes: 01, 03, 05). */
static size_t scheme_input(unsigned p1, uint8_t *out)
{
    if (p1 == 0)
        return digest_info(msg, out);
    if (p1 == 2 || p1 == 4) {
        SHA256((const unsigned char *)msg, strlen(msg), out);
        return 32;
    }
    memcpy(out, msg, strlen(msg));
    return strlen(msg);
}

/* OpenSSL's verification of sig over msg as scheme p1 pads it: 1 if good. */
static int openssl_verifies(EVP_PKEY *pub, unsigned p1, const uint8_t *sig,
                            size_t slen)
{
    uint8_t hash[32];
    SHA256((const unsigned char *)msg, strlen(msg), hash);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1;
    if (p1 >= 4) /* RSASSA-PSS, MGF1-SHA-256, salt exactly 32 bytes */
        ok = ok &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) == 1;
    else if (p1 == 1) /* PKCS#1 v1.5 over the bare hash, no DigestInfo */
        ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
    else /* PKCS#1 v1.5 over the SHA-256 DigestInfo */
        ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1;
    ok = ok && EVP_PKEY_verify(ctx, sig, slen, hash, sizeof hash) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* _i = 2 * P1 + key (0 auth, 1 sign): the card signs, OpenSSL verifies
 * with that scheme's padding and no other. */
START_TEST(test_every_scheme)
{
    unsigned p1 = (unsigned)_i / 2;
    int sign = _i % 2;
    ready_key(sign);
    X509 *x = read_cert(sign ? 0x0001 : 0x000A);
    EVP_PKEY *pub = X509_get0_pubkey(x);
    ck_assert_uint_eq(select_ef(sign ? 0x001A : 0x0017), 0x9000);
    uint8_t in[128], sig[256], sig2[256];
    size_t len = scheme_input(p1, in), slen, slen2;
    ck_assert_uint_eq(sign_p1(p1, in, len, sig, &slen), 0x9000);
    ck_assert_uint_eq(slen, 256);
    ck_assert_msg(openssl_verifies(pub, p1, sig, slen),
                  "P1 %02X: OpenSSL does not verify the signature", p1);
    /* the scheme and no other: the neighbouring paddings refuse it */
    if (p1 != 1)
        ck_assert(!openssl_verifies(pub, 1, sig, slen));
    if (p1 < 4)
        ck_assert(!openssl_verifies(pub, 4, sig, slen));
    else
        ck_assert(!openssl_verifies(pub, 0, sig, slen));
    /* PSS salts are random: the same hash twice, two signatures */
    ck_assert_uint_eq(sign_p1(p1, in, len, sig2, &slen2), 0x9000);
    if (p1 >= 4)
        ck_assert(memcmp(sig, sig2, 256) != 0);
    else
        ck_assert_mem_eq(sig, sig2, 256);
    emu_stats st = stats();
    ck_assert_uint_eq(st.signatures, 2);
    for (unsigned s = 0; s < 6; s++)
        ck_assert_uint_eq(st.scheme_signatures[s], s == p1 ? 2 : 0);
    X509_free(x);
}
END_TEST

/* An unknown P1 is 6A86 before anything else: no key, no PIN needed. */
START_TEST(test_unknown_scheme)
{
    static const unsigned bad[] = { 0x06, 0x07, 0x10, 0x80, 0xFF };
    uint8_t in[32] = { 0 }, sig[256];
    size_t slen;
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_uint_eq(sign_p1(bad[i], in, sizeof in, sig, &slen), 0x6A86);
    ready_key(1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_uint_eq(sign_p1(bad[i], in, sizeof in, sig, &slen), 0x6A86);
    emu_stats st = stats();
    ck_assert_uint_eq(st.unknown_schemes, 2 * sizeof bad / sizeof bad[0]);
    ck_assert_uint_eq(st.signatures, 0);
    ck_assert_int_eq(st.sign_verified, 1); /* a refusal keeps the PIN */
}
END_TEST

/* A length the scheme cannot take is 6700 (the Lc is wrong, not the
 * bytes); the PIN stays verified and the next right command signs. */
START_TEST(test_wrong_lengths)
{
    static const struct {
        unsigned p1;
        size_t len;
        unsigned sw;
    } cases[] = {
        { 0, 246, 0x6700 }, { 0, 245, 0x9000 }, { 1, 255, 0x9000 },
        { 2, 31, 0x6700 },  { 2, 33, 0x6700 },  { 2, 51, 0x6700 },
        { 3, 1, 0x9000 },   { 4, 31, 0x6700 },  { 4, 51, 0x6700 },
        { 4, 20, 0x6700 },  { 4, 32, 0x9000 },  { 5, 255, 0x9000 },
    };
    uint8_t in[255], sig[256];
    size_t slen;
    memset(in, 0x5A, sizeof in);
    ready_key(1);
    unsigned long good = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(sign_p1(cases[i].p1, in, cases[i].len, sig, &slen) ==
                          cases[i].sw,
                      "P1 %02X with %zu bytes", cases[i].p1, cases[i].len);
        good += cases[i].sw == 0x9000;
    }
    ck_assert_uint_eq(stats().signatures, good);
    ck_assert_int_eq(stats().sign_verified, 1);
}
END_TEST

/* The P1-00-only card: 6A86 for 01-05, PKCS#1 v1.5 unchanged, the PIN
 * neither spent nor dropped by the refusals. */
START_TEST(test_v15_only_card)
{
    rewrite_field(path, "sign_v15_only", "1");
    reload_card();
    ck_assert_int_eq(info().sign_v15_only, 1);
    ready_key(1);
    uint8_t in[128], sig[256];
    size_t slen;
    for (unsigned p1 = 1; p1 < 6; p1++) {
        size_t len = scheme_input(p1, in);
        ck_assert_uint_eq(sign_p1(p1, in, len, sig, &slen), 0x6A86);
    }
    size_t len = scheme_input(0, in);
    ck_assert_uint_eq(sign_p1(0, in, len, sig, &slen), 0x9000);
    X509 *x = read_cert(0x0001);
    ck_assert(openssl_verifies(X509_get0_pubkey(x), 0, sig, slen));
    X509_free(x);
    emu_stats st = stats();
    ck_assert_uint_eq(st.unknown_schemes, 5);
    ck_assert_uint_eq(st.scheme_signatures[0], 1);
    ck_assert_uint_eq(st.signatures, 1);
    ck_assert_uint_eq(st.verifies, 1);
    ck_assert_uint_eq(info().sign_tries, 5);
}
END_TEST

/* A format-3 image knows every scheme (today's card) and is saved as
 * format 4 with the switch off. */
START_TEST(test_format3_image_knows_every_scheme)
{
    make_old_image(path, 3);
    char *v = get_field(path, "JPKI-EMU-CARD");
    ck_assert_str_eq(v, "3");
    free(v);
    reload_card();
    ck_assert_uint_eq(info().format_version, 3);
    ck_assert_int_eq(info().sign_v15_only, 0);
    ready_key(0);
    uint8_t in[32], sig[256];
    size_t slen, len = scheme_input(4, in);
    ck_assert_uint_eq(sign_p1(4, in, len, sig, &slen), 0x9000);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("0000"), 0x63C2); /* a change: saved */
    reload_card();
    ck_assert_uint_eq(info().format_version, 4);
    v = get_field(path, "sign_v15_only");
    ck_assert_str_eq(v, "0");
    free(v);
}
END_TEST

/* Fault bad-signature: 9000 and a signature no key verifies, every scheme;
 * a value after it is a malformed list. */
START_TEST(test_fault_bad_signature)
{
    ck_assert_int_eq(emu_card_set_faults(card, "bad-signature=1"),
                     EMU_ERR_ARGS);
    ck_assert_int_eq(emu_card_set_faults(card, "bad-signature"), EMU_OK);
    ready_key(0);
    X509 *x = read_cert(0x000A);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    uint8_t in[128], sig[256];
    size_t slen;
    for (unsigned p1 = 0; p1 < 6; p1 += 4) {
        size_t len = scheme_input(p1, in);
        ck_assert_uint_eq(sign_p1(p1, in, len, sig, &slen), 0x9000);
        ck_assert_uint_eq(slen, 256);
        ck_assert(!openssl_verifies(X509_get0_pubkey(x), p1, sig, slen));
        sig[255] ^= 0x01; /* the flipped bit, and only it */
        ck_assert(openssl_verifies(X509_get0_pubkey(x), p1, sig, slen));
    }
    X509_free(x);
}
END_TEST

TCase *emu_schemes_tcase(void)
{
    TCase *tc = tcase("schemes");
    tcase_add_loop_test(tc, test_every_scheme, 0, 12);
    tcase_add_test(tc, test_unknown_scheme);
    tcase_add_test(tc, test_wrong_lengths);
    tcase_add_test(tc, test_v15_only_card);
    tcase_add_test(tc, test_format3_image_knows_every_scheme);
    tcase_add_test(tc, test_fault_bad_signature);
    return tc;
}
