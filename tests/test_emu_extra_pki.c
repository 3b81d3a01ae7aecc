/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_extra_pki.c - the test PKI's options (expired leaves, CA
 * generations, smartphone token, holder data, switches), revocation and
 * CRLs, and an image that survives its writer being killed at any moment.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "emu/emu.h"
#include "emu_helpers.h"
#include "test_emu_extra.h"

/* Personalize <path>.<suffix> with o and make it the global card. */
static void use_new_card(const char *suffix, const emu_init_opts *o, char *p,
                         size_t plen)
{
    char err[512] = "";
    snprintf(p, plen, "%s.%s", path, suffix);
    ck_assert_msg(emu_personalize(p, o, err, sizeof err) == EMU_OK, "%s", err);
    emu_card_free(card);
    card = NULL;
    ck_assert_msg(emu_card_load(p, &card, err, sizeof err) == EMU_OK, "%s",
                  err);
}

static EVP_PKEY *pem_key(const char *p, const char *name)
{
    char f[4400];
    snprintf(f, sizeof f, "%s.pki/%s", p, name);
    FILE *fp = fopen(f, "r");
    ck_assert_ptr_nonnull(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(k);
    return k;
}

/* The sign certificate's otherName 1.2.392.200149.8.5.5.<arc>. */
static void expect_attr(X509 *sign, int arc, const char *want)
{
    GENERAL_NAMES *san =
        X509_get_ext_d2i(sign, NID_subject_alt_name, NULL, NULL);
    ck_assert_ptr_nonnull(san);
    ASN1_OBJECT *oid;
    ASN1_TYPE *val;
    ck_assert_int_eq(GENERAL_NAME_get0_otherName(
                         sk_GENERAL_NAME_value(san, arc - 1), &oid, &val),
                     1);
    const ASN1_STRING *s = val->value.utf8string;
    ck_assert_int_eq(ASN1_STRING_length(s), (int)strlen(want));
    ck_assert_mem_eq(ASN1_STRING_get0_data(s), want, strlen(want));
    GENERAL_NAMES_free(san);
}

/* The leaf is issued by ca: signature, and AKI = the CA's SKI. */
static int issued_by(X509 *leaf, X509 *ca)
{
    return X509_verify(leaf, X509_get0_pubkey(ca)) == 1 &&
           ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
                                 X509_get0_subject_key_id(ca)) == 0;
}

START_TEST(test_personalize_options)
{
    char p[4200];
    emu_init_opts o = { .name = "山田　太郎",
                        .address = "大阪府大阪市北区試験一丁目2-3",
                        .birth = "20000229",
                        .sex = "1",
                        .ca_generations = 3,
                        .expired = 1,
                        .smartphone = 1,
                        .pinpad = 1,
                        .blocked_status_63c0 = 1,
                        .sign_pin_single_use = 1 };
    use_new_card("opt", &o, p, sizeof p);
    emu_info in;
    ck_assert_int_eq(emu_card_get_info(card, &in), EMU_OK);
    ck_assert_str_eq(in.token_info, "JPKIAPGPSETOKEN");
    ck_assert_int_eq(in.pinpad, 1);
    ck_assert_int_eq(in.blocked_status_63c0, 1);
    ck_assert_int_eq(in.sign_pin_single_use, 1);
    ck_assert_int_eq(emu_card_has_pinpad(card), 1);
    /* smartphone: the auth certificate needs the auth PIN */
    uint8_t buf[0x8000];
    size_t n;
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(read_file(0x000A, buf, sizeof buf, &n), 0x6982);
    ck_assert_uint_eq(select_ef(0x0018), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(select_ef(0x001B), 0x9000);
    ck_assert_uint_eq(verify("ABC123"), 0x9000);
    X509 *auth = read_cert(0x000A), *sign = read_cert(0x0001);
    X509 *auth_ca = read_cert(0x000B), *sign_ca = read_cert(0x0002);
    /* expired yesterday, after a full term */
    time_t two_days_ago = time(NULL) - 2 * 86400;
    X509 *leaves[] = { auth, sign };
    for (int i = 0; i < 2; i++) {
        ck_assert_int_lt(X509_cmp_current_time(X509_get0_notAfter(leaves[i])),
                         0);
        ck_assert_int_gt(
            X509_cmp_time(X509_get0_notAfter(leaves[i]), &two_days_ago), 0);
        ck_assert_int_lt(
            X509_cmp_time(X509_get0_notBefore(leaves[i]), &two_days_ago), 0);
    }
    /* three generations per CA: one name, three keys, newest issues */
    static const char *const files[2][3] = {
        { "auth-ca-1.pem", "auth-ca-2.pem", "auth-ca.pem" },
        { "sign-ca-1.pem", "sign-ca-2.pem", "sign-ca.pem" }
    };
    for (int s = 0; s < 2; s++) {
        X509 *leaf = s ? sign : auth, *on_card = s ? sign_ca : auth_ca,
             *gen[3];
        for (int g = 0; g < 3; g++)
            gen[g] = pem_cert(p, files[s][g]);
        ck_assert_int_eq(X509_cmp(gen[2], on_card), 0);
        for (int g = 0; g < 3; g++) {
            ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(gen[g]),
                                           X509_get_subject_name(gen[2])),
                             0);
            ck_assert_int_eq(X509_check_issued(gen[g], gen[g]), X509_V_OK);
            ck_assert_int_eq(issued_by(leaf, gen[g]), g == 2);
            if (g > 0) {
                ck_assert_int_ne(EVP_PKEY_eq(X509_get0_pubkey(gen[g]),
                                             X509_get0_pubkey(gen[g - 1])),
                                 1);
                ck_assert_int_lt(
                    ASN1_TIME_compare(X509_get0_notBefore(gen[g - 1]),
                                      X509_get0_notBefore(gen[g])),
                    0);
            }
        }
        for (int g = 0; g < 3; g++)
            X509_free(gen[g]);
    }
    /* the holder, in the certificate and in the card-info AP */
    expect_attr(sign, 1, "山田　太郎");
    expect_attr(sign, 3, "1");
    expect_attr(sign, 4, "420000229"); /* Heisei */
    expect_attr(sign, 5, "大阪府大阪市北区試験一丁目2-3");
    ck_assert_uint_eq(tx(SELECT_CARD_INFO), 0x9000);
    ck_assert_uint_eq(select_ef(0x0011), 0x9000);
    ck_assert_uint_eq(verify("1234"), 0x9000);
    ck_assert_uint_eq(read_file(0x0002, buf, sizeof buf, &n), 0x9000);
    ck_assert_ptr_nonnull(memmem(buf, n, "山田　太郎", strlen("山田　太郎")));
    ck_assert_ptr_nonnull(memmem(buf, n,
                                 "\xDF\x24\x08"
                                 "20000229\xDF\x25\x01"
                                 "1",
                                 14));
    X509_free(auth);
    X509_free(sign);
    X509_free(auth_ca);
    X509_free(sign_ca);
}
END_TEST

START_TEST(test_personalize_rejects_bad_options)
{
    static const emu_init_opts bad[] = {
        { .name = "" },          { .name = "a\nb" },
        { .name = "\xff\xfe" },  { .name = "\xc0\xaf" },
        { .address = "x\x7f" },  { .birth = "2000022" },
        { .birth = "20010229" }, { .birth = "19991301" },
        { .birth = "29990101" }, { .birth = "18991231" },
        { .sex = "0" },          { .sex = "4" },
        { .sex = "12" },         { .ca_generations = 9 },
    };
    char p[4200], err[512];
    snprintf(p, sizeof p, "%s.bad", path);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(emu_personalize(p, &bad[i], err, sizeof err) ==
                          EMU_ERR_ARGS,
                      "case %zu accepted", i);
        ck_assert_msg(err[0] != '\0', "case %zu: no message", i);
        ck_assert_int_ne(access(p, F_OK), 0);
    }
}
END_TEST

/* ---- revocation --------------------------------------------------------- */

static X509_CRL *read_crl(const char *p, const char *name)
{
    char f[4400];
    snprintf(f, sizeof f, "%s.pki/%s", p, name);
    FILE *fp = fopen(f, "rb");
    ck_assert_msg(fp != NULL, "%s missing", f);
    X509_CRL *crl = d2i_X509_CRL_fp(fp, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(crl);
    return crl;
}

static long crl_number(X509_CRL *crl)
{
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    ck_assert_ptr_nonnull(n);
    long v = ASN1_INTEGER_get(n);
    ASN1_INTEGER_free(n);
    return v;
}

/* OpenSSL's own chain check with the CRL: X509_V_OK or the error. */
static int chain_check(X509 *leaf, X509 *ca, X509_CRL *crl)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ck_assert_int_eq(X509_STORE_add_cert(st, ca), 1);
    ck_assert_int_eq(X509_STORE_add_crl(st, crl), 1);
    X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
    ck_assert_int_eq(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
    int ok = X509_verify_cert(ctx);
    int e = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return e;
}

START_TEST(test_revoke_crl)
{
    char p[4200], err[512] = "";
    use_new_card("rev", NULL, p, sizeof p);
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    X509 *auth = read_cert(0x000A);
    X509 *ca = pem_cert(p, "auth-ca.pem");
    EVP_PKEY *ca_key = pem_key(p, "auth-ca.key");
    ck_assert_msg(emu_revoke(p, 0, err, sizeof err) == EMU_OK, "%s", err);
    X509_CRL *crl = read_crl(p, "auth-ca.crl");
    ck_assert_int_eq(X509_CRL_verify(crl, ca_key), 1);
    ck_assert_int_eq(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    ck_assert_int_eq(
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)), 0);
    ck_assert_int_eq(crl_number(crl), 1);
    int days = -1, secs = -1;
    ck_assert_int_eq(ASN1_TIME_diff(&days, &secs,
                                    X509_CRL_get0_lastUpdate(crl),
                                    X509_CRL_get0_nextUpdate(crl)),
                     1);
    ck_assert_int_eq(days, 1);
    ck_assert_int_eq(secs, 0);
    ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
    X509_REVOKED *rev = NULL;
    ck_assert_int_eq(
        X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(auth)), 1);
    ASN1_ENUMERATED *reason =
        X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
    ck_assert_ptr_nonnull(reason);
    ck_assert_int_eq(ASN1_ENUMERATED_get(reason), CRL_REASON_KEY_COMPROMISE);
    ASN1_ENUMERATED_free(reason);
    /* OpenSSL's CRL check agrees (the IDP matches the leaf's CRLDP) */
    ck_assert_int_eq(chain_check(auth, ca, crl), X509_V_ERR_CERT_REVOKED);
    X509_CRL_free(crl);
    /* the sign CA has its own CRL; revocations accumulate, never repeat */
    ck_assert_int_eq(emu_revoke(p, 1, err, sizeof err), EMU_OK);
    crl = read_crl(p, "sign-ca.crl");
    ck_assert_int_eq(crl_number(crl), 1);
    X509_CRL_free(crl);
    ck_assert_int_eq(emu_revoke(p, 0, err, sizeof err), EMU_OK);
    crl = read_crl(p, "auth-ca.crl");
    ck_assert_int_eq(X509_CRL_verify(crl, ca_key), 1);
    ck_assert_int_eq(crl_number(crl), 2);
    ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
    X509_CRL_free(crl);
    /* a fresh card of the same name starts without a CRL */
    ck_assert_int_eq(emu_personalize(p, NULL, err, sizeof err), EMU_OK);
    char f[4400];
    snprintf(f, sizeof f, "%s.pki/auth-ca.crl", p);
    ck_assert_int_ne(access(f, F_OK), 0);
    /* errors */
    ck_assert_int_eq(emu_revoke(p, 2, err, sizeof err), EMU_ERR_ARGS);
    err[0] = '\0';
    ck_assert_int_eq(emu_revoke(path, 0, err, sizeof err),
                     EMU_ERR_IO); /* no .pki */
    ck_assert_ptr_nonnull(strstr(err, "auth-ca"));
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    X509_free(auth);
}
END_TEST

/* ---- crash safety ------------------------------------------------------- */

static unsigned child_tx(emu_card *c, const uint8_t *cmd, size_t len)
{
    uint8_t rsp[EMU_RSP_MAX];
    size_t n = 0;
    if (emu_card_transmit(c, cmd, len, rsp, &n) != EMU_OK || n < 2)
        _exit(3);
    return (unsigned)(rsp[n - 2] << 8 | rsp[n - 1]);
}

/* Wrong PIN, right PIN, forever: every command saves the image. */
static void hammer(void)
{
    emu_card *c;
    if (emu_card_load(path, &c, NULL, 0) != EMU_OK)
        _exit(2);
    child_tx(c, SELECT_JPKI);
    child_tx(c, APDU(0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18));
    for (;;) {
        if (child_tx(c, APDU(0x00, 0x20, 0x00, 0x80, 0x04, '0', '0', '0',
                             '0')) != 0x63C2 ||
            child_tx(c, APDU(0x00, 0x20, 0x00, 0x80, 0x04, '1', '2', '3',
                             '4')) != 0x9000)
            _exit(4);
    }
}

START_TEST(test_kill_during_write)
{
    emu_card_free(card);
    card = NULL;
    for (int round = 0; round < 10; round++) {
        unsigned char r[2];
        ck_assert_int_eq(RAND_bytes(r, sizeof r), 1);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            hammer();
        struct timespec ts = { 0, (5 + (r[0] << 8 | r[1]) % 60) * 1000000L };
        nanosleep(&ts, NULL);
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                      "round %d: the child failed by itself (status %d)",
                      round, status);
        char err[512] = "";
        ck_assert_msg(emu_card_load(path, &card, err, sizeof err) == EMU_OK,
                      "round %d: %s", round, err);
        emu_info in;
        ck_assert_int_eq(emu_card_get_info(card, &in), EMU_OK);
        ck_assert_msg(in.auth_tries == 2 || in.auth_tries == 3,
                      "round %d: %u tries", round, in.auth_tries);
        ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
        ck_assert_uint_eq(select_ef(0x0018), 0x9000);
        ck_assert_uint_eq(query_on(card), 0x63C0 | in.auth_tries);
        ck_assert_uint_eq(verify("1234"), 0x9000);
        emu_card_free(card);
        card = NULL;
    }
    reload_card();
}
END_TEST

TCase *emu_extra_pki_tcase(void)
{
    TCase *tc = tcase("pki");
    tcase_add_test(tc, test_personalize_options);
    tcase_add_test(tc, test_personalize_rejects_bad_options);
    tcase_add_test(tc, test_revoke_crl);
    tcase_add_test(tc, test_kill_during_write);
    return tc;
}
