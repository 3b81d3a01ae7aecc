/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the JPKI layer (src/jpki): against the emulator for the
 * real flows, against a scripted card for what only a broken card does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "jpki/jpki.h"
#include "mockreader.h"
#include "testutil.h"

/* SELECT JPKI-AP, as the module sends it. */
#define SELECT_AP "00A4040C0AD392F000260100000001"

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

static const uint8_t digest_info[] = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
    0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
};

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
    static const char *const bad_sign[] = { "abc123", "ABC12",
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

    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, digest_info,
                                    sizeof(digest_info), sig, &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1234", 4, NULL),
                     JPKI_OK);
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, digest_info,
                                    sizeof(digest_info), sig, &sig_len),
                     JPKI_OK);
    ck_assert_uint_eq(sig_len, 256);
    assert_signature(auth, digest_info, sizeof(digest_info), sig, sig_len);
    /* the auth PIN does not open the signature key */
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, digest_info,
                                    sizeof(digest_info), sig, &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_SIGN, "ABC123", 6, NULL),
                     JPKI_OK);
    sign = read_cert(JPKI_SIGN, 0);
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, digest_info,
                                    sizeof(digest_info), sig, &sig_len),
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
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, NULL, 0, sig, &sig_len),
                     JPKI_ERR_ARGS);
    ck_assert_int_eq(jpki_cert_parse(NULL, 0, NULL), JPKI_ERR_ARGS);
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

/* ---- against a scripted card ----------------------------------------------- */

static mock_script script;

static void mock_setup(void)
{
    memset(&script, 0, sizeof(script));
    rd = mock_reader_new(&script);
    jc = NULL;
}

static void mock_teardown(void)
{
    jpki_card_close(jc);
    reader_free(rd);
}

static void mock_open(void)
{
    mock_answer(&script, "9000");   /* SELECT AP */
    mock_answer(&script, "9000");   /* SELECT 0006 */
    mock_answer(&script, "4A504B49415049434354 4F4B454E 9000"); /* "JPKIAPICCTOKEN" */
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), SELECT_AP);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), "00A4020C020006");
    ck_assert_str_eq(mock_cmd_hex(&script, 2), "00B0000020");
    script.n_cmds = script.n_steps = 0;
    /* These tests script every status query: none is remembered. */
    jpki_card_set_pin_status_ttl(jc, 0);
}

START_TEST(mock_not_jpki)
{
    mock_answer(&script, "6A82");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_ERR_NOT_JPKI);
    ck_assert_ptr_null(jc);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

START_TEST(mock_smartphone_token)
{
    mock_answer(&script, "9000");
    mock_answer(&script, "9000");
    mock_answer(&script, "4A504B4941504750534554 4F4B454E 9000"); /* JPKIAPGPSETOKEN */
    /* a phone: the serial-number AP, then back to the JPKI-AP */
    mock_answer(&script, "9000");
    mock_answer(&script, "040E 3132333435363738394142434445 9000");
    mock_answer(&script, "9000");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert(jpki_card_is_smartphone(jc));
    ck_assert_str_eq(mock_cmd_hex(&script, 3), "00A4040C0AD3921000310001010100");
    ck_assert_str_eq(mock_cmd_hex(&script, 4), "00B2010C00");
    ck_assert_str_eq(mock_cmd_hex(&script, 5), SELECT_AP);
    ck_assert_str_eq(jpki_card_serial(jc), "123456789ABCDE");
}
END_TEST

START_TEST(mock_smartphone_no_serial_ap)
{
    mock_answer(&script, "9000");
    mock_answer(&script, "9000");
    mock_answer(&script, "4A504B4941504750534554 4F4B454E 9000");
    mock_answer(&script, "6A82");   /* no serial-number AP: no error */
    mock_answer(&script, "9000");
    ck_assert_int_eq(jpki_card_open(rd, &jc), JPKI_OK);
    ck_assert_ptr_null(jpki_card_serial(jc));
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
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len), JPKI_OK);
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
    mock_answer(&script, "31820254 00 9000");  /* not a SEQUENCE */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_BAD_DATA);
    mock_answer(&script, "9000");
    mock_answer(&script, "3084FFFFFFFF 9000");  /* absurd length */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_BAD_DATA);
    mock_answer(&script, "9000");
    mock_answer(&script, "FFFFFFFF 9000");      /* unwritten file */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 1, &der, &len),
                     JPKI_ERR_NOT_FOUND);
    mock_answer(&script, "9000");
    mock_answer(&script, "9000");               /* no data at all */
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
    mock_answer(&script, "6A82");   /* SELECT 000B */
    mock_answer(&script, "9000");   /* SELECT AP again */
    mock_answer(&script, "6A82");   /* still not there */
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 1, &der, &len),
                     JPKI_ERR_NOT_FOUND);
    ck_assert_str_eq(mock_cmd_hex(&script, 1), SELECT_AP);
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
    mock_answer(&script, "6700");
    ck_assert_int_eq(jpki_card_pin_status(jc, JPKI_SIGN, &tries), JPKI_ERR_CARD);
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
    ck_assert_uint_eq(script.n_cmds, 4); /* 2 x (select, status): no VERIFY */
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
    mock_answer(&script, "9000");   /* SELECT 0018 */
    mock_answer(&script, "63C2");   /* the wrong PIN: no status before */
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
    mock_answer(&script, "63C0");   /* the try that blocks */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1111", 4, &tries),
                     JPKI_ERR_PIN_LOCKED);
    mock_answer(&script, "9000");
    mock_answer(&script, "63C3");
    mock_answer(&script, "6A80");   /* nonsense */
    ck_assert_int_eq(jpki_card_verify_pin(jc, JPKI_AUTH, "1111", 4, &tries),
                     JPKI_ERR_CARD);
}
END_TEST

START_TEST(mock_sign_commands)
{
    uint8_t sig[300];
    size_t sig_len = sizeof(sig);

    mock_open();
    mock_answer(&script, "9000");
    mock_answer(&script, "6982");
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_SIGN, digest_info,
                                    sizeof(digest_info), sig, &sig_len),
                     JPKI_ERR_SECURITY);
    ck_assert_str_eq(mock_cmd_hex(&script, 0), "00A4020C02001A");
    ck_assert_uint_eq(script.cmd[1][0], 0x80);
    ck_assert_uint_eq(script.cmd[1][1], 0x2A);
    ck_assert_uint_eq(script.cmd[1][4], sizeof(digest_info));
    ck_assert_uint_eq(script.cmd[1][script.cmd_len[1] - 1], 0x00); /* Le */
    mock_answer(&script, "9000");
    mock_fail(&script, READER_ERR_REMOVED);
    sig_len = sizeof(sig);
    ck_assert_int_eq(jpki_card_sign(jc, JPKI_AUTH, digest_info,
                                    sizeof(digest_info), sig, &sig_len),
                     JPKI_ERR_REMOVED);
    ck_assert_int_eq(script.begins, script.ends);
}
END_TEST

START_TEST(mock_reset_counted)
{
    uint8_t *der = NULL;
    size_t len;

    mock_open();
    mock_fail(&script, READER_ERR_RESET);
    ck_assert_int_eq(jpki_card_read_cert(jc, JPKI_AUTH, 0, &der, &len),
                     JPKI_ERR_COMM);
    ck_assert_uint_eq(jpki_card_resets(jc), 1);
}
END_TEST

static Suite *jpki_suite(void)
{
    Suite *s = suite_create("jpki");
    TCase *emu = tcase_create("emulator");
    TCase *mock = tcase_create("scripted");

    tcase_set_timeout(emu, 60);
    tcase_add_checked_fixture(emu, emu_setup, emu_teardown);
    tcase_add_test(emu, emu_open_and_read_public_certs);
    tcase_add_test(emu, emu_sign_cert_needs_pin);
    tcase_add_test(emu, emu_pin_status_and_wrong_pin);
    tcase_add_test(emu, emu_malformed_pins_spend_nothing);
    tcase_add_test(emu, emu_lockout);
    tcase_add_test(emu, emu_sign_both_keys);
    tcase_add_test(emu, emu_bad_args);
    tcase_add_test(emu, emu_card_removed);
    suite_add_tcase(s, emu);

    tcase_add_checked_fixture(mock, mock_setup, mock_teardown);
    tcase_add_test(mock, mock_not_jpki);
    tcase_add_test(mock, mock_smartphone_token);
    tcase_add_test(mock, mock_smartphone_no_serial_ap);
    tcase_add_test(mock, mock_read_length_from_header);
    tcase_add_test(mock, mock_read_garbage);
    tcase_add_test(mock, mock_ca_absent);
    tcase_add_test(mock, mock_pin_status_words);
    tcase_add_test(mock, mock_locked_pin_not_sent);
    tcase_add_test(mock, mock_verify_answers);
    tcase_add_test(mock, mock_pin_status_remembered);
    tcase_add_test(mock, mock_sign_commands);
    tcase_add_test(mock, mock_reset_counted);
    suite_add_tcase(s, mock);
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
