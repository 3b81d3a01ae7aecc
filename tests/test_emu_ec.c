/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_emu_ec.c - the emulated card of the ECDSA generation
 * ("emu init --key ec-p384"): its test PKI (P-384 keys, ecdsa-with-SHA384,
 * the JPKI profile unchanged), its signature over a bare 48-byte hash in
 * both answer encodings, checked with OpenSSL against the certificates the
 * card holds, its CRLs, and the switch surviving the image.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "emu/emu.h"
#include "emu_helpers.h"

static char dir[4096];

/* A fresh EC card as the global card (emu_helpers.h): raw or DER answers. */
static void make_card(int der)
{
    char err[512] = "";
    emu_init_opts o = { .ec_p384 = 1, .ec_sig_der = der };
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/jpki-ec-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ec.card", dir);
    ck_assert_msg(emu_personalize(path, &o, err, sizeof err) == EMU_OK, "%s",
                  err);
    ck_assert_msg(emu_card_load(path, &card, err, sizeof err) == EMU_OK, "%s",
                  err);
}

static void setup_raw(void)
{
    make_card(0);
}

static void setup_der(void)
{
    make_card(1);
}

static void teardown_ec(void)
{
    char cmd[4200];
    emu_card_free(card);
    card = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void assert_p384(EVP_PKEY *k)
{
    char group[32];
    ck_assert(EVP_PKEY_is_a(k, "EC"));
    ck_assert_int_eq(EVP_PKEY_get_group_name(k, group, sizeof group, NULL), 1);
    ck_assert_str_eq(group, "secp384r1");
}

static int has_policy(X509 *x, const char *oid)
{
    CERTIFICATEPOLICIES *pols =
        X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    char buf[64];
    int found = 0;
    for (int i = 0; i < sk_POLICYINFO_num(pols); i++) {
        OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(pols, i)->policyid,
                    1);
        found |= strcmp(buf, oid) == 0;
    }
    CERTIFICATEPOLICIES_free(pols);
    return found;
}

/* Login to the key's PIN, then sign hash (len bytes) with the key EF. */
static unsigned ec_sign(uint16_t pin_fid, const char *pin, uint16_t key_fid,
                        const uint8_t *hash, size_t len, uint8_t *sig,
                        size_t *siglen)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(pin_fid), 0x9000);
    ck_assert_uint_eq(verify(pin), 0x9000);
    ck_assert_uint_eq(select_ef(key_fid), 0x9000);
    return sign_data(hash, len, 1, sig, siglen);
}

/* OpenSSL's verdict on a DER ECDSA signature of hash by x's key. */
static int openssl_verify(X509 *x, const uint8_t *hash, size_t hlen,
                          const uint8_t *der, size_t dlen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(x), NULL);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
    int ok = EVP_PKEY_verify(ctx, der, dlen, hash, hlen);
    EVP_PKEY_CTX_free(ctx);
    return ok == 1;
}

/* r||s as the DER OpenSSL verifies; each half exactly 48 bytes. */
static size_t raw_to_der(const uint8_t *raw, uint8_t *der)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 48, NULL), *ss = BN_bin2bn(raw + 48, 48, NULL);
    ck_assert(s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1);
    unsigned char *p = der;
    int n = i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    ck_assert_int_gt(n, 0);
    return (size_t)n;
}

START_TEST(test_ec_pki_profile)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    X509 *auth = read_cert(0x000A), *auth_ca = read_cert(0x000B),
         *sign_ca = read_cert(0x0002), *root = pem_cert(path, "auth-ca.pem");
    assert_p384(X509_get0_pubkey(auth));
    assert_p384(X509_get0_pubkey(auth_ca));
    assert_p384(X509_get0_pubkey(sign_ca));
    ck_assert_int_eq(X509_get_signature_nid(auth), NID_ecdsa_with_SHA384);
    ck_assert_int_eq(X509_get_signature_nid(auth_ca), NID_ecdsa_with_SHA384);
    ck_assert_int_eq(X509_cmp(auth_ca, root), 0);
    /* the chain holds with OpenSSL's own ECDSA verification */
    ck_assert_int_eq(X509_verify(auth, X509_get0_pubkey(auth_ca)), 1);
    ck_assert_int_eq(X509_verify(auth_ca, X509_get0_pubkey(auth_ca)), 1);
    ck_assert_int_eq(X509_verify(auth, X509_get0_pubkey(sign_ca)), 0);
    /* the JPKI profile is the RSA card's */
    ck_assert(has_policy(auth, "1.2.392.200149.8.5.1.3.30"));
    ck_assert_uint_eq(X509_get_key_usage(auth), KU_DIGITAL_SIGNATURE);
    ck_assert(X509_get_extended_key_usage(auth) & XKU_SSL_CLIENT);
    ck_assert_int_eq(X509_check_ca(auth_ca), 1);
    char name[256];
    X509_NAME_oneline(X509_get_subject_name(sign_ca), name, sizeof name);
    ck_assert_ptr_nonnull(strstr(name, "OU=JPKI for digital signature"));
    X509_free(auth);
    X509_free(auth_ca);
    X509_free(sign_ca);
    X509_free(root);
    emu_info in = info();
    ck_assert_int_eq(in.ec, 1);
    ck_assert_int_eq(in.ec_sig_der, 0);
}
END_TEST

START_TEST(test_ec_sign_raw)
{
    uint8_t hash[48], sig[256], der[128];
    size_t slen;
    SHA384((const unsigned char *)"message", 7, hash);
    ck_assert_uint_eq(
        ec_sign(0x0018, "1234", 0x0017, hash, sizeof hash, sig, &slen),
        0x9000);
    ck_assert_uint_eq(slen, 96); /* r||s, 48 bytes each */
    X509 *auth = read_cert(0x000A);
    size_t dlen = raw_to_der(sig, der);
    ck_assert(openssl_verify(auth, hash, sizeof hash, der, dlen));
    hash[0] ^= 1; /* the signature is over exactly this hash */
    ck_assert(!openssl_verify(auth, hash, sizeof hash, der, dlen));
    ck_assert_uint_eq(stats().signatures, 1);
    X509_free(auth);
}
END_TEST

START_TEST(test_ec_sign_der_and_sign_key)
{
    uint8_t hash[48], sig[256];
    size_t slen;
    SHA384((const unsigned char *)"contract", 8, hash);
    ck_assert_uint_eq(
        ec_sign(0x001B, "ABC123", 0x001A, hash, sizeof hash, sig, &slen),
        0x9000);
    /* a DER SEQUENCE of two INTEGERs, nothing after it */
    ck_assert_uint_eq(sig[0], 0x30);
    const unsigned char *p = sig;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)slen);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_eq(p, sig + slen);
    ECDSA_SIG_free(s);
    X509 *cert = read_cert(0x0001); /* readable now: the sign PIN is in */
    ck_assert(openssl_verify(cert, hash, sizeof hash, sig, slen));
    X509 *auth = read_cert(0x000A); /* signed with the sign key, not auth */
    ck_assert(!openssl_verify(auth, hash, sizeof hash, sig, slen));
    X509_free(cert);
    X509_free(auth);
    ck_assert_int_eq(info().ec_sig_der, 1);
}
END_TEST

START_TEST(test_ec_sign_refusals)
{
    uint8_t hash[64] = { 1 }, sig[256];
    size_t slen;
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(0x0017), 0x9000);
    /* no PIN: refused, nothing signed */
    ck_assert_uint_eq(sign_data(hash, 48, 1, sig, &slen), 0x6982);
    /* the input is a bare 48-byte hash; a DigestInfo or a SHA-256 hash is
     * the wrong length for this card */
    ck_assert_uint_eq(ec_sign(0x0018, "1234", 0x0017, hash, 32, sig, &slen),
                      0x6700);
    ck_assert_uint_eq(sign_data(hash, 64, 1, sig, &slen), 0x6700);
    ck_assert_uint_eq(sign_data(hash, 48, 1, sig, &slen), 0x9000);
    emu_stats st = stats();
    ck_assert_uint_eq(st.signatures, 1);
    ck_assert_uint_eq(st.refused_signatures, 1);
}
END_TEST

START_TEST(test_ec_switch_in_image)
{
    /* the switch is a field of the image, and only 0 or 1 */
    char *v = get_field(path, "ec_sig_der");
    ck_assert_str_eq(v, "1");
    free(v);
    rewrite_field(path, "ec_sig_der", "0");
    emu_card_free(card);
    char err[512] = "";
    ck_assert_msg(emu_card_load(path, &card, err, sizeof err) == EMU_OK, "%s",
                  err);
    uint8_t hash[48] = { 7 }, sig[256];
    size_t slen;
    ck_assert_uint_eq(
        ec_sign(0x0018, "1234", 0x0017, hash, sizeof hash, sig, &slen),
        0x9000);
    ck_assert_uint_eq(slen, 96);
    /* an RSA-only option on an RSA card is refused */
    emu_init_opts o = { .ec_sig_der = 1 };
    char p2[4200];
    snprintf(p2, sizeof p2, "%s/rsa.card", dir);
    ck_assert_int_eq(emu_personalize(p2, &o, err, sizeof err), EMU_ERR_ARGS);
    ck_assert_ptr_nonnull(strstr(err, "EC"));
}
END_TEST

START_TEST(test_ec_crl)
{
    char err[512] = "", f[4400];
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_msg(emu_revoke(path, 0, err, sizeof err) == EMU_OK, "%s", err);
    snprintf(f, sizeof f, "%s.pki/auth-ca.crl", path);
    FILE *fp = fopen(f, "rb");
    ck_assert_ptr_nonnull(fp);
    X509_CRL *crl = d2i_X509_CRL_fp(fp, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(crl);
    ck_assert_int_eq(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA384);
    X509 *ca = pem_cert(path, "auth-ca.pem"), *auth = read_cert(0x000A);
    ck_assert_int_eq(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
    X509_REVOKED *r = NULL;
    ck_assert_int_eq(
        X509_CRL_get0_by_serial(crl, &r, X509_get0_serialNumber(auth)), 1);
    /* a second revocation keeps the CA's ECDSA signature valid */
    ck_assert_msg(emu_revoke(path, 0, err, sizeof err) == EMU_OK, "%s", err);
    X509_CRL_free(crl);
    X509_free(ca);
    X509_free(auth);
}
END_TEST

static Suite *emu_ec_suite(void)
{
    Suite *s = suite_create("emu_ec");
    TCase *raw = tcase_create("raw");
    tcase_add_checked_fixture(raw, setup_raw, teardown_ec);
    tcase_set_timeout(raw, 120);
    tcase_add_test(raw, test_ec_pki_profile);
    tcase_add_test(raw, test_ec_sign_raw);
    tcase_add_test(raw, test_ec_sign_refusals);
    tcase_add_test(raw, test_ec_crl);
    suite_add_tcase(s, raw);
    TCase *der = tcase_create("der");
    tcase_add_checked_fixture(der, setup_der, teardown_ec);
    tcase_set_timeout(der, 120);
    tcase_add_test(der, test_ec_sign_der_and_sign_key);
    tcase_add_test(der, test_ec_switch_in_image);
    suite_add_tcase(s, der);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(emu_ec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
