/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the configuration (src/pkcs11/config.c) and its effect on
 * the slots the module offers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "jpki/ec_card.h"
#include "pkcs11/config.h"
#include "testutil.h"

static char conf[] = "/tmp/jpki-conf-XXXXXX";

static void write_conf(const char *text)
{
    FILE *f = fopen(conf, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    int fd = mkstemp(conf);

    ck_assert_int_ge(fd, 0);
    close(fd);
    unsetenv("JPKI_PKCS11_TOKENS");
    unsetenv("JPKI_PKCS11_PCSC");
    unsetenv("JPKI_PKCS11_EMULATOR");
    unsetenv("JPKI_PKCS11_READERS_ALLOW");
    unsetenv("JPKI_PKCS11_READERS_DENY");
}

static void teardown(void)
{
    unlink(conf);
    strcpy(conf, "/tmp/jpki-conf-XXXXXX");
    unsetenv("JPKI_PKCS11_CONF");
    unsetenv("JPKI_PKCS11_TOKENS");
}

START_TEST(test_defaults)
{
    p11_config cfg;

    p11_config_load_file(&cfg, NULL);
    ck_assert_int_eq(cfg.log_level, -1);
    ck_assert_int_eq(cfg.show_auth, 1);
    ck_assert_int_eq(cfg.show_sign, 1);
    ck_assert_int_eq(cfg.pcsc, 1);
    ck_assert_str_eq(cfg.emulator, "");
    ck_assert_str_eq(cfg.readers_allow, "");
    ck_assert_str_eq(cfg.readers_deny, "");
    /* a missing file is the defaults, not an error */
    p11_config_load_file(&cfg, "/nonexistent/jpki-pkcs11.conf");
    ck_assert_int_eq(cfg.pcsc, 1);
}
END_TEST

START_TEST(test_file)
{
    p11_config cfg;

    write_conf(
        "# comment\n\n  log_level = 3  \ntokens=sign # only the signature\n"
        "pcsc = off\nemulator = /a.img:/b.img\nlog_file = /tmp/x.log\n");
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.log_level, 3);
    ck_assert_int_eq(cfg.show_auth, 0);
    ck_assert_int_eq(cfg.show_sign, 1);
    ck_assert_int_eq(cfg.pcsc, 0);
    ck_assert_str_eq(cfg.emulator, "/a.img:/b.img");
    ck_assert_str_eq(cfg.log_file, "/tmp/x.log");
}
END_TEST

START_TEST(test_env_wins)
{
    p11_config cfg;

    write_conf("tokens = sign\npcsc = off\n");
    setenv("JPKI_PKCS11_TOKENS", "auth", 1);
    setenv("JPKI_PKCS11_PCSC", "on", 1);
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.show_auth, 1);
    ck_assert_int_eq(cfg.show_sign, 0);
    ck_assert_int_eq(cfg.pcsc, 1);
}
END_TEST

/* pss: on by default, off from the file, the environment wins, a bad
 * value keeps the default. */
START_TEST(test_pss_key)
{
    p11_config cfg;

    unsetenv("JPKI_PKCS11_PSS");
    p11_config_load_file(&cfg, NULL);
    ck_assert_int_eq(cfg.pss, 1);
    write_conf("pss = off\n");
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.pss, 0);
    setenv("JPKI_PKCS11_PSS", "on", 1);
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.pss, 1);
    setenv("JPKI_PKCS11_PSS", "no", 1);
    write_conf("pss = maybe\n");
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.pss, 0);
    unsetenv("JPKI_PKCS11_PSS");
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.pss, 1);
}
END_TEST

START_TEST(test_bad_lines_skipped)
{
    static char big[9000];
    p11_config cfg;

    memset(big, 'x', sizeof(big) - 1);
    write_conf("log_level = 9\ntokens = some\nno equals sign\ncolour = blue\n"
               "pcsc = maybe\n=\n");
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.log_level, -1);
    ck_assert_int_eq(cfg.show_auth, 1);
    ck_assert_int_eq(cfg.show_sign, 1);
    ck_assert_int_eq(cfg.pcsc, 1);
    /* a line longer than the buffer, and binary junk: no crash */
    write_conf(big);
    p11_config_load_file(&cfg, conf);
    write_conf("emulator = \x01\x02\xff\ntokens\n");
    p11_config_load_file(&cfg, conf);
    ck_assert_int_eq(cfg.show_sign, 1);
}
END_TEST

/* The last byte of the AID the card layer would try after the usual one
 * (0 if none). */
static unsigned alt_aid_last(void)
{
    uint8_t aid[16];
    size_t n = jpki_ec_guess_alt_aid(aid);
    return n ? aid[n - 1] : 0;
}

/* Every setting from the file and from its variable, which wins; the
 * two log variables are jlog_init's, not the loader's. */
static const struct {
    const char *key, *env, *file_value, *env_value;
} every[] = {
    { "tokens", "JPKI_PKCS11_TOKENS", "sign", "auth" },
    { "pcsc", "JPKI_PKCS11_PCSC", "off", "yes" },
    { "emulator", "JPKI_PKCS11_EMULATOR", "/f.img", "/e.img" },
    { "readers_allow", "JPKI_PKCS11_READERS_ALLOW", "fa", "ea" },
    { "readers_deny", "JPKI_PKCS11_READERS_DENY", "fd", "ed" },
    { "anchors", "JPKI_PKCS11_ANCHORS", "/fa", "/ea" },
    { "crl", "JPKI_PKCS11_CRL", "/f.crl", "/e.crl" },
    { "invalid_cert", "JPKI_PKCS11_INVALID_CERT", "offer", "hide" },
    { "allow_test_pki", "JPKI_PKCS11_ALLOW_TEST_PKI", "0", "on" },
    { "cache", "JPKI_PKCS11_CACHE", "/fc", "off" },
    { "ec_aid", "JPKI_PKCS11_EC_AID", "D392F000260100000002",
      "D392F000260100000003" },
    { "log_level", "JPKI_PKCS11_DEBUG", "4", "2" },
    { "log_file", "JPKI_PKCS11_LOG_FILE", "/f.log", "/e.log" },
};
#define EVERY (sizeof(every) / sizeof(every[0]))

START_TEST(test_every_setting)
{
    char text[2048] = "";
    p11_config cfg;

    for (size_t i = 0; i < EVERY; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s = %s\n",
                 every[i].key, every[i].file_value);
    write_conf(text);
    p11_config_load_file(&cfg, conf);
    ck_assert(!cfg.show_auth && cfg.show_sign && !cfg.pcsc);
    ck_assert_str_eq(cfg.emulator, "/f.img");
    ck_assert_str_eq(cfg.readers_allow, "fa");
    ck_assert_str_eq(cfg.readers_deny, "fd");
    ck_assert_str_eq(cfg.anchors, "/fa");
    ck_assert_str_eq(cfg.crl, "/f.crl");
    ck_assert(!cfg.invalid_cert_hide && !cfg.allow_test_pki);
    ck_assert_str_eq(cfg.cache, "/fc");
    ck_assert_int_eq(cfg.log_level, 4);
    ck_assert_str_eq(cfg.log_file, "/f.log");
    ck_assert_str_eq(cfg.ec_aid, "D392F000260100000002");
    ck_assert_uint_eq(alt_aid_last(), 0x02); /* the card layer has it */
    for (size_t i = 0; i < EVERY; i++)
        setenv(every[i].env, every[i].env_value, 1);
    p11_config_load_file(&cfg, conf);
    for (size_t i = 0; i < EVERY; i++)
        unsetenv(every[i].env);
    ck_assert(cfg.show_auth && !cfg.show_sign && cfg.pcsc);
    ck_assert_str_eq(cfg.emulator, "/e.img");
    ck_assert_str_eq(cfg.readers_allow, "ea");
    ck_assert_str_eq(cfg.readers_deny, "ed");
    ck_assert_str_eq(cfg.anchors, "/ea");
    ck_assert_str_eq(cfg.crl, "/e.crl");
    ck_assert(cfg.invalid_cert_hide && cfg.allow_test_pki);
    ck_assert_str_eq(cfg.cache, "off");
    ck_assert_str_eq(cfg.ec_aid, "D392F000260100000003");
    ck_assert_uint_eq(alt_aid_last(), 0x03);
    ck_assert_int_eq(cfg.log_level, 4);
    ck_assert_str_eq(cfg.log_file, "/f.log");
}
END_TEST

/* A bad value in a variable is ignored: the file's value stays. */
START_TEST(test_every_bad_variable)
{
    p11_config cfg;

    write_conf("tokens = sign\ninvalid_cert = hide\ncache = /fc\n"
               "allow_test_pki = on\nec_aid = D392F000260100000002\n");
    setenv("JPKI_PKCS11_EC_AID", "D392", 1);
    setenv("JPKI_PKCS11_TOKENS", "neither", 1);
    setenv("JPKI_PKCS11_INVALID_CERT", "show", 1);
    setenv("JPKI_PKCS11_CACHE", "relative/dir", 1);
    setenv("JPKI_PKCS11_ALLOW_TEST_PKI", "maybe", 1);
    p11_config_load_file(&cfg, conf);
    for (size_t i = 0; i < EVERY; i++)
        unsetenv(every[i].env);
    ck_assert(!cfg.show_auth && cfg.show_sign);
    ck_assert(cfg.invalid_cert_hide && cfg.allow_test_pki);
    ck_assert_str_eq(cfg.cache, "/fc");
    ck_assert_str_eq(cfg.ec_aid, "D392F000260100000002");
    ck_assert_uint_eq(alt_aid_last(), 0x02);
}
END_TEST

/* Reader selection: read from the file, the environment wins, a value
 * too long is refused (the old value stays), not truncated. */
START_TEST(test_readers_keys)
{
    static char text[3000];
    p11_config cfg;

    write_conf("readers_allow = SCR 3310, Virtual PCD\n"
               "readers_deny = Virtual PCD 00 01 # the second one\n");
    p11_config_load_file(&cfg, conf);
    ck_assert_str_eq(cfg.readers_allow, "SCR 3310, Virtual PCD");
    ck_assert_str_eq(cfg.readers_deny, "Virtual PCD 00 01");
    setenv("JPKI_PKCS11_READERS_DENY", "ACS", 1);
    p11_config_load_file(&cfg, conf);
    ck_assert_str_eq(cfg.readers_deny, "ACS");
    ck_assert_str_eq(cfg.readers_allow, "SCR 3310, Virtual PCD");
    unsetenv("JPKI_PKCS11_READERS_DENY");
    strcpy(text, "readers_allow = Gemalto\nreaders_deny = ");
    memset(text + strlen(text), 'x', 1500);
    strcat(text, "\n");
    write_conf(text);
    p11_config_load_file(&cfg, conf);
    ck_assert_str_eq(cfg.readers_allow, "Gemalto");
    ck_assert_str_eq(cfg.readers_deny, "");
}
END_TEST

/* "tokens = sign" through the PKCS#11 API: the auth slot is not offered. */
START_TEST(test_one_token_only)
{
    CK_FUNCTION_LIST_PTR p11;
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    CK_TOKEN_INFO ti;
    char card[4096], text[4200];

    ck_assert_int_eq(tu_card_copy(card, sizeof(card)), 0);
    snprintf(text, sizeof(text), "tokens = sign\npcsc = off\nemulator = %s\n",
             card);
    write_conf(text);
    setenv("JPKI_PKCS11_CONF", conf, 1);
    ck_assert_int_eq(C_GetFunctionList(&p11), CKR_OK);
    ck_assert_int_eq(p11->C_Initialize(NULL), CKR_OK);
    ck_assert_int_eq(p11->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(slots[0], 1);
    ck_assert_int_eq(p11->C_GetTokenInfo(0, &ti), CKR_SLOT_ID_INVALID);
    ck_assert_int_eq(p11->C_GetTokenInfo(1, &ti), CKR_OK);
    ck_assert(memcmp(ti.label, "JPKI Digital Signature", 22) == 0);
    ck_assert_int_eq(p11->C_Finalize(NULL), CKR_OK);
    tu_card_remove(card);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_file);
    tcase_add_test(tc, test_env_wins);
    tcase_add_test(tc, test_pss_key);
    tcase_add_test(tc, test_every_setting);
    tcase_add_test(tc, test_every_bad_variable);
    tcase_add_test(tc, test_bad_lines_skipped);
    tcase_add_test(tc, test_one_token_only);
    tcase_add_test(tc, test_readers_keys);
    suite_add_tcase(s, tc);
    tu_template_pki_dir();
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
