/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_jpki_pss.c - the signature schemes of jpki_card_sign (src/jpki/
 * sign.c) and the facts a card teaches (cardfacts.c): RSA-PSS on the
 * emulator checked by OpenSSL, a card that knows P1 00 only (what the card
 * saw read from the emulator's APDU log), and on a scripted card which
 * answers count as "this card refuses PSS" and which never do. Part of
 * test_jpki.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "jpki/jpki.h"
#include "test_jpki.h"
#include "test_jpki_mock.h"
#include "testutil.h"

static char img[512], logp[600];
static reader *erd;
static jpki_card *ejc;

static const uint8_t hash[JPKI_SHA256_LEN] = {
    0xA5, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    16,   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
};

static void pss_setup(void)
{
    ck_assert_int_eq(tu_card_copy(img, sizeof img), 0);
    snprintf(logp, sizeof logp, "%s.apdu", img);
    setenv("JPKI_EMU_LOG", logp, 1);
    erd = NULL;
    ejc = NULL;
}

static void pss_teardown(void)
{
    jpki_card_close(ejc);
    reader_free(erd);
    unsetenv("JPKI_EMU_LOG");
    remove(logp);
    tu_card_remove(img);
}

static void open_card(void)
{
    ck_assert_int_eq(reader_emu_new(img, &erd), READER_OK);
    ck_assert_int_eq(jpki_card_open(erd, &ejc), JPKI_OK);
}

/* Lines of the card's APDU log holding a and b (b may be NULL). */
static int card_saw(const char *a, const char *b)
{
    return tu_log_count(logp, a, b);
}

/* OpenSSL's RSASSA-PSS verification (SHA-256, MGF1-SHA-256, salt 32) of
 * sig over hash with the key certificate's key. */
static int pss_verifies(jpki_key key, const uint8_t *sig, size_t sig_len)
{
    uint8_t *der = NULL;
    size_t len = 0;

    ck_assert_int_eq(jpki_card_read_cert(ejc, key, 0, &der, &len), JPKI_OK);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    ck_assert_ptr_nonnull(x);
    int ok = tu_rsa_pss_ok(X509_get0_pubkey(x), hash, sig, sig_len);
    X509_free(x);
    free(der);
    return ok;
}

/* Both keys sign with P1 04; OpenSSL verifies; only a 32-byte hash goes. */
START_TEST(pss_both_keys)
{
    static const char *const pins[] = { "1234", "ABC123" };
    uint8_t sig[512];
    size_t sig_len;

    open_card();
    for (int k = JPKI_AUTH; k <= JPKI_SIGN; k++) {
        ck_assert_int_eq(jpki_card_verify_pin(ejc, (jpki_key)k, pins[k],
                                              strlen(pins[k]), NULL),
                         JPKI_OK);
        sig_len = sizeof sig;
        ck_assert_int_eq(jpki_card_sign(ejc, (jpki_key)k,
                                        JPKI_SCHEME_PSS_SHA256, hash,
                                        sizeof hash, sig, &sig_len),
                         JPKI_OK);
        ck_assert_uint_eq(sig_len, 256);
        ck_assert(pss_verifies((jpki_key)k, sig, sig_len));
        /* a DigestInfo or a short hash is not a PSS input */
        sig_len = sizeof sig;
        ck_assert_int_eq(jpki_card_sign(ejc, (jpki_key)k,
                                        JPKI_SCHEME_PSS_SHA256, digest_info,
                                        sizeof digest_info, sig, &sig_len),
                         JPKI_ERR_ARGS);
        ck_assert_int_eq(jpki_card_sign(ejc, (jpki_key)k,
                                        JPKI_SCHEME_PSS_SHA256, hash, 20, sig,
                                        &sig_len),
                         JPKI_ERR_ARGS);
    }
    ck_assert_int_eq(card_saw("INS=2A P1=04", "SW=9000"), 2);
    ck_assert_int_eq(card_saw("INS=2A", NULL), 2); /* the refused: not sent */
    ck_assert(!jpki_card_knows(ejc, JPKI_FACT_NO_PSS));
}
END_TEST

/* The P1-00-only card: PSS refused once (the card is asked once), then
 * known; the login stays, PKCS#1 v1.5 signs without another VERIFY. */
START_TEST(pss_refused_by_card)
{
    uint8_t sig[512];
    size_t sig_len = sizeof sig;

    ck_assert_int_eq(tu_card_set(img, "sign_v15_only", "1"), 0);
    open_card();
    ck_assert_int_eq(jpki_card_verify_pin(ejc, JPKI_SIGN, "ABC123", 6, NULL),
                     JPKI_OK);
    for (int i = 0; i < 2; i++) {
        sig_len = sizeof sig;
        ck_assert_int_eq(jpki_card_sign(ejc, JPKI_SIGN, JPKI_SCHEME_PSS_SHA256,
                                        hash, sizeof hash, sig, &sig_len),
                         JPKI_ERR_UNSUPPORTED);
        ck_assert(jpki_card_knows(ejc, JPKI_FACT_NO_PSS));
    }
    /* refused in the SFI form and the classic one, once, never again */
    ck_assert_int_eq(card_saw("INS=2A P1=04", "SW=6A86"), 2);
    ck_assert(!jpki_card_knows(ejc, JPKI_FACT_NO_SFI));
    sig_len = sizeof sig;
    ck_assert_int_eq(jpki_card_sign(ejc, JPKI_SIGN, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof digest_info, sig,
                                    &sig_len),
                     JPKI_OK);
    ck_assert_int_eq(card_saw("INS=2A P1=00", "SW=9000"), 1);
    /* one VERIFY with a PIN in all: the refusal cost no try, no login */
    ck_assert_int_eq(card_saw("INS=20", NULL) - card_saw("INS=20", "Lc=-"), 1);
    int tries = -1;
    ck_assert_int_eq(jpki_card_pin_status(ejc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 5);
}
END_TEST

/* Scripts the answer sw to a P1 04 signature by SFI and, when the card
 * would be asked again the classic way (sw also refuses the SFI form), the
 * SELECT of the key and the same answer once more. Returns the commands
 * the card will see. */
static size_t script_pss_answer(const char *sw, int classic_too)
{
    mock_answer(&script, sw);
    if (!classic_too)
        return 1;
    mock_answer(&script, "9000"); /* SELECT of the key EF */
    mock_answer(&script, sw);
    return 3;
}

/* The "not supported" family is a refusal of the scheme and is learnt
 * (after the classic form is refused too: the SFI form alone cannot tell
 * P1 from P2); a 69xx (the PIN) or another error is not. */
START_TEST(pss_which_answers_are_refusals)
{
    static const struct {
        const char *sw;
        int classic_too;
        jpki_rv rv;
        int learnt;
    } cases[] = {
        { "6985", 0, JPKI_ERR_SECURITY, 0 },
        { "6982", 0, JPKI_ERR_SECURITY, 0 },
        { "6A88", 0, JPKI_ERR_CARD, 0 },
        { "6700", 0, JPKI_ERR_CARD, 0 },
        { "6A81", 1, JPKI_ERR_UNSUPPORTED, 1 },
    };
    uint8_t sig[300];
    size_t sig_len, at = 0;

    mock_open();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = script_pss_answer(cases[i].sw, cases[i].classic_too);
        sig_len = sizeof sig;
        ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PSS_SHA256,
                                        hash, sizeof hash, sig, &sig_len),
                         cases[i].rv);
        ck_assert_int_eq(jpki_card_knows(jc, JPKI_FACT_NO_PSS),
                         cases[i].learnt);
        ck_assert_uint_eq(script.n_cmds, at + n);
        for (size_t j = at; j < at + n; j += 2) {
            ck_assert_uint_eq(script.cmd[j][1], 0x2A);
            ck_assert_uint_eq(script.cmd[j][2], 0x04); /* P1 */
            ck_assert_uint_eq(script.cmd[j][4], 32);   /* Lc */
        }
        at += n;
    }
    ck_assert(!jpki_card_knows(jc, JPKI_FACT_NO_SFI));
    /* known now: not asked again */
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PSS_SHA256,
                                    hash, sizeof hash, sig, &sig_len),
                     JPKI_ERR_UNSUPPORTED);
    ck_assert_uint_eq(script.n_cmds, at);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

START_TEST(pss_6d00_and_v15_refusal)
{
    uint8_t sig[300];
    size_t sig_len = sizeof sig;

    mock_open();
    /* P1 00 refused in both forms: a broken card, not a fact about PSS */
    script_pss_answer("6A86", 1);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof digest_info, sig,
                                    &sig_len),
                     JPKI_ERR_CARD);
    ck_assert(!jpki_card_knows(jc, JPKI_FACT_NO_PSS));
    script_pss_answer("6D00", 1);
    sig_len = sizeof sig;
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PSS_SHA256,
                                    hash, sizeof hash, sig, &sig_len),
                     JPKI_ERR_UNSUPPORTED);
    ck_assert(jpki_card_knows(jc, JPKI_FACT_NO_PSS));
    ck_assert(!jpki_card_knows(jc, JPKI_FACT_NO_SFI));
}
END_TEST

TCase *jpki_pss_tcase(void)
{
    TCase *tc = tcase_create("pss");
    tcase_add_checked_fixture(tc, pss_setup, pss_teardown);
    tcase_add_test(tc, pss_both_keys);
    tcase_add_test(tc, pss_refused_by_card);
    tcase_set_timeout(tc, 60);
    return tc;
}

TCase *jpki_pss_mock_tcase(void)
{
    TCase *tc = tcase_create("pss_mock");
    tcase_add_checked_fixture(tc, mock_setup, mock_teardown);
    tcase_add_test(tc, pss_which_answers_are_refusals);
    tcase_add_test(tc, pss_6d00_and_v15_refusal);
    return tc;
}
