/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the JPKI layer (src/jpki): against the emulator for the
 * real flows; tests/test_jpki_mock.c against a scripted card, for what
 * only a broken card does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "emu/image.h"
#include "jpki/jpki.h"
#include "test_jpki.h"
#include "testutil.h"


/* ---- against the emulator ---------------------------------------------------- */

static char card_path[512];
static reader *rd;
static jpki_card *jc;

static void emu_setup(void)
{
    ck_assert_int_eq(tu_card_copy(card_path, sizeof(card_path)), 0);
    ck_assert_int_eq(reader_emu_new(card_path, &rd), READER_OK);
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
}

static void emu_teardown(void)
{
    jpki_card_close(jc);
    reader_free(rd);
    tu_card_remove(card_path);
}

static jpki_cert *read_cert(jpki_key key, int ca)
{
    uint8_t *der = NULL;
    size_t len = 0;
    jpki_cert *c = NULL;

    ck_assert_int_eq(jpki_card_read_cert(jc, key, ca, &der, &len), JPKI_OK);
    ck_assert_int_eq(jpki_cert_parse(der, len, &c), JPKI_OK);
    free(der);
    return c;
}

/* The signature verifies with the certificate's key, as PKCS#1 v1.5. */
static void assert_signature(const jpki_cert *c, const uint8_t *di,
                             size_t di_len, const uint8_t *sig, size_t sig_len)
{
    const unsigned char *p = c->der.p;
    X509 *x = d2i_X509(NULL, &p, (long)c->der.len);
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pk;

    ck_assert_ptr_nonnull(x);
    pk = X509_get0_pubkey(x);
    ctx = EVP_PKEY_CTX_new(pk, NULL);
    ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
    /* No digest set: the DigestInfo is compared as it is. */
    ck_assert_int_eq(EVP_PKEY_verify(ctx, sig, sig_len, di, di_len), 1);
    EVP_PKEY_CTX_free(ctx);
    X509_free(x);
}

START_TEST(emu_open_and_read_public_certs)
{
    jpki_cert *auth = read_cert(JPKI_AUTH, 0);
    jpki_cert *auth_ca = read_cert(JPKI_AUTH, 1);
    jpki_cert *sign_ca = read_cert(JPKI_SIGN, 1);

    ck_assert(!jpki_card_is_smartphone(jc));
    ck_assert_int_eq(auth->key_type, JPKI_KEYTYPE_RSA);
    ck_assert_uint_eq(auth->key_bits, 2048);
    ck_assert_uint_eq(auth->modulus.len, 256);
    ck_assert_uint_eq(jpki_cert_signature_len(auth), 256);
    ck_assert_uint_eq(jpki_cert_max_sign_input(auth), 245);
    ck_assert_uint_eq(strlen(auth->not_after), 8);
    /* the leaf is issued by the auth CA */
    ck_assert_uint_eq(auth->issuer.len, auth_ca->subject.len);
    ck_assert_mem_eq(auth->issuer.p, auth_ca->subject.p, auth->issuer.len);
    ck_assert_uint_ne(sign_ca->der.len, 0);
    jpki_cert_free(auth);
    jpki_cert_free(auth_ca);
    jpki_cert_free(sign_ca);
}
END_TEST

START_TEST(emu_sign_cert_needs_pin)
{
    uint8_t *der = NULL;
    size_t len = 0;
    jpki_cert *c;
    int tries = -1;

    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_SIGN, 0, &der, &len),
                     JPKI_ERR_SECURITY);
    ck_assert_ptr_null(der);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_SIGN, "ABC123", 6, &tries),
                     JPKI_OK);
    ck_assert_int_eq(tries, 5);
    c = read_cert(JPKI_SIGN, 0);
    ck_assert_int_eq(c->key_type, JPKI_KEYTYPE_RSA);
    jpki_cert_free(c);
    /* logout wipes the security state */
    ck_assert_int_eq(jpki_card_logout(jc), JPKI_OK);
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_SIGN, 0, &der, &len),
                     JPKI_ERR_SECURITY);
}
END_TEST

START_TEST(emu_pin_status_and_wrong_pin)
{
    int tries = -1;

    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 3);
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 5);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "9999", 4, &tries),
                     JPKI_ERR_PIN_INCORRECT);
    ck_assert_int_eq(tries, 2);
    /* the status query itself spends nothing */
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 2);
    /* the sign PIN is untouched */
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 5);
    /* a right PIN resets the counter */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, &tries),
                     JPKI_OK);
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 3);
}
END_TEST

START_TEST(emu_malformed_pins_spend_nothing)
{
    static const char *const bad_auth[] = { "123", "12345", "12a4", "" };
    static const char *const bad_sign[] = { "abc-12", "ABC12",
                                            "ABCDEFGHIJ1234567", "ABC 12" };
    int tries, i;

    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, bad_auth[i],
                                              strlen(bad_auth[i]), NULL),
                         JPKI_ERR_PIN_FORMAT);
        ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_SIGN, bad_sign[i],
                                              strlen(bad_sign[i]), NULL),
                         JPKI_ERR_PIN_FORMAT);
    }
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, NULL, 4, NULL),
                     JPKI_ERR_PIN_FORMAT);
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 3);
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 5);
}
END_TEST

START_TEST(emu_lockout)
{
    int tries = -1;

    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "0000", 4, &tries),
                     JPKI_ERR_PIN_INCORRECT);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "0000", 4, &tries),
                     JPKI_ERR_PIN_INCORRECT);
    ck_assert_int_eq(tries, 1);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "0000", 4, &tries),
                     JPKI_ERR_PIN_LOCKED);
    ck_assert_int_eq(tries, 0);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, &tries),
                     JPKI_ERR_PIN_LOCKED);
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, &tries), JPKI_OK);
    ck_assert_int_eq(tries, 0);
}
END_TEST

START_TEST(emu_sign_both_keys)
{
    uint8_t sig[512];
    size_t sig_len = sizeof(sig);
    jpki_cert *auth = read_cert(JPKI_AUTH, 0), *sign;

    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, NULL),
                     JPKI_OK);
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_OK);
    ck_assert_uint_eq(sig_len, 256);
    assert_signature(auth, digest_info, sizeof(digest_info), sig, sig_len);
    /* the auth PIN does not open the signature key */
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_SIGN, "ABC123", 6, NULL),
                     JPKI_OK);
    sign = read_cert(JPKI_SIGN, 0);
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, JPKI_SCHEME_PKCS1,
                                    digest_info, sizeof(digest_info), sig,
                                    &sig_len),
                     JPKI_OK);
    assert_signature(sign, digest_info, sizeof(digest_info), sig, sig_len);
    jpki_cert_free(auth);
    jpki_cert_free(sign);
}
END_TEST

START_TEST(emu_bad_args)
{
    uint8_t *der;
    size_t len;
    int tries;
    uint8_t sig[8];
    size_t sig_len = sizeof(sig);

    ck_assert_int_eq(jpki_card_open(NULL, &jc), JPKI_ERR_ARGS);
    ck_assert_int_eq(jpki_card_read_cert(NULL, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_ARGS);
    ck_assert_int_eq(jpki_card_read_cert(jc, (jpki_key)7, 0, &der, &len),
                     JPKI_ERR_ARGS);
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_AUTH, NULL), JPKI_ERR_ARGS);
    ck_assert_int_eq(jpki_card_pin_status(NULL, JPKI_AUTH, &tries),
                     JPKI_ERR_ARGS);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, JPKI_SCHEME_PKCS1, NULL, 0,
                                    sig, &sig_len),
                     JPKI_ERR_ARGS);
    ck_assert_int_eq(jpki_cert_parse(NULL, 0, NULL), JPKI_ERR_ARGS);
}
END_TEST

/* A key that is neither of the two is refused by every entry point before
 * anything reaches the card: no try is spent and nothing is verified. */
START_TEST(emu_bad_key)
{
    const jpki_key bad[] = { (jpki_key)2, (jpki_key)-1 };
    uint8_t *der = NULL, sig[256], in[32] = { 0 };
    size_t len, sig_len;
    int tries;
    emu_image img;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jpki_key k = bad[i];
        sig_len = sizeof(sig);
        ck_assert_int_eq(jpki_card_read_cert(jc, k, 0, &der, &len),
                         JPKI_ERR_ARGS);
        ck_assert_int_eq(jpki_card_pin_status(jc, k, &tries), JPKI_ERR_ARGS);
        ck_assert_int_eq(jpki_card_verify_pin(jc, k, "1234", 4, &tries),
                         JPKI_ERR_ARGS);
        ck_assert_int_eq(jpki_card_verify_pinpad(jc, k, &tries),
                         JPKI_ERR_ARGS);
        ck_assert_int_eq(
            jpki_card_change_pin(jc, k, "1234", 4, "5678", 4, &tries),
            JPKI_ERR_ARGS);
        ck_assert_int_eq(jpki_card_change_pin_pinpad(jc, k, &tries),
                         JPKI_ERR_ARGS);
        ck_assert_int_eq(jpki_card_sign(jc, k, JPKI_SCHEME_PKCS1, in,
                                        sizeof(in), sig, &sig_len),
                         JPKI_ERR_ARGS);
    }
    ck_assert_ptr_null(der);
    /* The card's own record: both PINs as personalized, every try left. */
    ck_assert_int_eq(emu_image_load(card_path, &img, NULL, NULL, 0), EMU_OK);
    ck_assert_str_eq(img.pins.pin[EMU_PIN_AUTH], "1234");
    ck_assert_str_eq(img.pins.pin[EMU_PIN_SIGN], "ABC123");
    ck_assert_uint_eq(img.pins.tries[EMU_PIN_AUTH], EMU_AUTH_PIN_TRIES);
    ck_assert_uint_eq(img.pins.tries[EMU_PIN_SIGN], EMU_SIGN_PIN_TRIES);
    emu_image_clear(&img);
}
END_TEST

START_TEST(emu_card_removed)
{
    char moved[600];
    uint8_t *der = NULL;
    size_t len;

    snprintf(moved, sizeof(moved), "%s.away", card_path);
    ck_assert_int_eq(rename(card_path, moved), 0);
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_REMOVED);
    ck_assert_int_eq(rename(moved, card_path), 0);
}
END_TEST

static Suite *jpki_suite(void)
{
    Suite *s = suite_create("jpki");
    TCase *emu = tcase_create("emulator");
    TCase *mock = jpki_mock_tcase();
    TCase *open_tc = jpki_open_tcase();

    tcase_set_timeout(emu, 60);
    tcase_add_checked_fixture(emu, emu_setup, emu_teardown);
    tcase_add_test(emu, emu_open_and_read_public_certs);
    tcase_add_test(emu, emu_sign_cert_needs_pin);
    tcase_add_test(emu, emu_pin_status_and_wrong_pin);
    tcase_add_test(emu, emu_malformed_pins_spend_nothing);
    tcase_add_test(emu, emu_lockout);
    tcase_add_test(emu, emu_sign_both_keys);
    tcase_add_test(emu, emu_bad_args);
    tcase_add_test(emu, emu_bad_key);
    tcase_add_test(emu, emu_card_removed);
    suite_add_tcase(s, emu);

    suite_add_tcase(s, mock);
    suite_add_tcase(s, open_tc);
    suite_add_tcase(s, jpki_pss_tcase());
    suite_add_tcase(s, jpki_pss_mock_tcase());
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jpki_suite());
    int failed;

    /* Make the template card once, before Check forks a child per test. */
    tu_template_pki_dir();
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
