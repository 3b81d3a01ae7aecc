/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_verify_crl.c - revocation (src/jpki/revocation.c): revoked, good,
 * stale, not yet valid, wrong issuer, bad signature, garbage, partitions,
 * directories, and the emulator's own CRL.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "emu/emu.h"
#include "jpki/verify.h"
#include "verify_pki.h"

Suite *verify_crl_suite(void);

static jpki_vresult res;

typedef struct {
    vp_ca ca;
    char anchors[600], crls[600];
    X509 *leaf;
} fixture;

static void setup(fixture *f)
{
    time_t now = time(NULL);
    char path[700];
    vp_ca_make(&f->ca, now - 30 * DAY, now + 3650 * DAY);
    vp_subdir(f->anchors, sizeof f->anchors, "anchors");
    vp_write_cert(path, sizeof path, f->anchors, "ca.der", f->ca.cert);
    vp_subdir(f->crls, sizeof f->crls, "crls");
    f->leaf = vp_leaf(&f->ca, NULL);
}

static void teardown(fixture *f)
{
    X509_free(f->leaf);
    vp_ca_free(&f->ca);
}

static void write_crl(char *path, size_t len, const fixture *f,
                      const char *name, X509_CRL *c)
{
    vp_write_crl(path, len, f->crls, name, c);
    X509_CRL_free(c);
}

START_TEST(revoked_and_good)
{
    fixture f;
    setup(&f);
    char path[700];
    X509 *other = vp_leaf(&f.ca, NULL);
    time_t when = time(NULL) - 3600;
    write_crl(path, sizeof path, &f, "r.crl",
              vp_crl(&f.ca, &f.leaf, 1, when, "Chiyoda-ku CRLDP", 0, 0));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOKED);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_REVOKED));
    ck_assert_int_eq(res.revocation, JPKI_REV_REVOKED);
    ck_assert_int_eq(res.revocation_date, (int64_t)when);
    ck_assert_int_eq(res.revocation_reason, 1);
    ck_assert_str_eq(res.crl_path, path);
    /* another certificate of the same partition is good */
    ck_assert_int_eq(vp_verify(other, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_VALID);
    ck_assert_int_eq(res.revocation, JPKI_REV_GOOD);
    ck_assert_uint_eq(res.reasons, 0);
    /* at a time before the revocation, the certificate was good */
    ck_assert_int_eq(
        vp_verify(f.leaf, f.anchors, path, (int64_t)when - 60, 0, 0, &res),
        JPKI_VS_REVOCATION_UNKNOWN); /* the CRL is younger than that time */
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_NOT_YET_VALID));
    X509_free(other);
    teardown(&f);
}
END_TEST

START_TEST(stale_crl)
{
    fixture f;
    setup(&f);
    char path[700];
    time_t now = time(NULL);
    write_crl(path, sizeof path, &f, "s.crl",
              vp_crl(&f.ca, NULL, 0, 0, NULL, now - 3 * DAY, now - 2 * DAY));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_CRL_STALE);
    ck_assert_int_eq(res.revocation, JPKI_REV_GOOD_STALE);
    ck_assert_uint_eq(res.reasons, UINT64_C(1) << JPKI_VR_CRL_STALE);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0,
                               JPKI_VF_ALLOW_STALE_CRL, &res),
                     JPKI_VS_VALID);
    /* at a time when it was current */
    ck_assert_int_eq(
        vp_verify(f.leaf, f.anchors, path, now - 2 * DAY - 3600, 0, 0, &res),
        JPKI_VS_VALID);
    /* a stale CRL that lists the certificate still revokes it */
    write_crl(path, sizeof path, &f, "s2.crl",
              vp_crl(&f.ca, &f.leaf, 1, now - 4 * DAY, NULL, now - 3 * DAY,
                     now - 2 * DAY));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOKED);
    /* a fresh CRL wins over a stale one in a directory */
    unlink(path);
    write_crl(path, sizeof path, &f, "t.crl",
              vp_crl(&f.ca, NULL, 0, 0, NULL, 0, 0));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_VALID);
    ck_assert_str_eq(res.crl_path, path);
    teardown(&f);
}
END_TEST

START_TEST(wrong_issuer_and_bad_signature)
{
    fixture f;
    setup(&f);
    char path[700];
    /* same name, another key: a CRL that no anchor issued */
    vp_ca impostor;
    time_t now = time(NULL);
    vp_ca_make(&impostor, now - DAY, now + 365 * DAY);
    write_crl(path, sizeof path, &f, "w.crl",
              vp_crl(&impostor, &f.leaf, 1, 0, NULL, 0, 0));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_WRONG_ISSUER));
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_MISSING));
    ck_assert(!jpki_vresult_has(&res, JPKI_VR_REVOKED));
    ck_assert_ptr_nonnull(strstr(res.crl_error, "w.crl"));
    vp_ca_free(&impostor);
    /* the right issuer, a broken signature */
    X509_CRL *c = vp_crl(&f.ca, &f.leaf, 1, 0, NULL, 0, 0);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(c, &der);
    der[n - 3] ^= 0x40;
    snprintf(path, sizeof path, "%s/bad.crl", f.crls);
    vp_write_bytes(path, der, (size_t)n);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_BAD_SIGNATURE));
    ck_assert(!jpki_vresult_has(&res, JPKI_VR_REVOKED));
    OPENSSL_free(der);
    X509_CRL_free(c);
    teardown(&f);
}
END_TEST

START_TEST(garbage_and_truncated)
{
    fixture f;
    setup(&f);
    char path[700];
    snprintf(path, sizeof path, "%s/garbage.crl", f.crls);
    vp_write_bytes(path, "\x30\x82\xff\xff garbage", 12);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_UNREADABLE));
    ck_assert_ptr_nonnull(strstr(res.crl_error, "garbage.crl"));
    X509_CRL *c = vp_crl(&f.ca, &f.leaf, 1, 0, NULL, 0, 0);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(c, &der);
    snprintf(path, sizeof path, "%s/trunc.crl", f.crls);
    vp_write_bytes(path, der, (size_t)n / 2);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_UNREADABLE));
    snprintf(path, sizeof path, "%s/empty.crl", f.crls);
    vp_write_bytes(path, "", 0);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert_int_eq(
        vp_verify(f.leaf, f.anchors, "/nonexistent.crl", 0, 0, 0, &res),
        JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_UNREADABLE));
    /* the good CRL in the same directory still decides: garbage is reported */
    snprintf(path, sizeof path, "%s/good.crl", f.crls);
    vp_write_bytes(path, der, (size_t)n);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_REVOKED);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_UNREADABLE));
    OPENSSL_free(der);
    X509_CRL_free(c);
    teardown(&f);
}
END_TEST

/* Partitions: a CRL of another municipality does not cover the leaf even
 * if it lists its serial; the leaf's own does; one without IDP covers all. */
START_TEST(partitions)
{
    fixture f;
    setup(&f);
    char path[700], other[700];
    write_crl(other, sizeof other, &f, "minato.crl",
              vp_crl(&f.ca, &f.leaf, 1, 0, "Minato-ku CRLDP", 0, 0));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, other, 0, 0, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert_uint_eq(res.reasons, UINT64_C(1) << JPKI_VR_CRL_MISSING);
    write_crl(path, sizeof path, &f, "chiyoda.crl",
              vp_crl(&f.ca, NULL, 0, 0, "Chiyoda-ku CRLDP", 0, 0));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_VALID);
    ck_assert_str_eq(res.crl_path, path);
    /* a leaf of the Minato partition is revoked by the Minato CRL only */
    vp_leaf_opts mo = { .partition = "Minato-ku CRLDP" };
    X509 *m = vp_leaf(&f.ca, &mo);
    X509 *both[2] = { f.leaf, m };
    write_crl(other, sizeof other, &f, "minato.crl",
              vp_crl(&f.ca, both, 2, 0, "Minato-ku CRLDP", 0, 0));
    ck_assert_int_eq(vp_verify(m, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_REVOKED);
    ck_assert_str_eq(res.crl_path, other);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_VALID);
    /* a CRL without IDP covers every certificate of its issuer */
    unlink(path);
    unlink(other);
    write_crl(path, sizeof path, &f, "all.crl",
              vp_crl(&f.ca, &m, 1, 0, NULL, 0, 0));
    ck_assert_int_eq(vp_verify(m, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_REVOKED);
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_VALID);
    X509_free(m);
    teardown(&f);
}
END_TEST

/* Another generation's CRL (same name, other key) does not cover a leaf. */
START_TEST(other_generation_crl)
{
    fixture f;
    setup(&f);
    vp_ca gen2;
    char path[700];
    time_t now = time(NULL);
    vp_ca_make(&gen2, now - DAY, now + 3650 * DAY);
    vp_write_cert(path, sizeof path, f.anchors, "gen2.der", gen2.cert);
    write_crl(path, sizeof path, &f, "gen2.crl",
              vp_crl(&gen2, &f.leaf, 1, 0, NULL, 0, 0));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert_uint_eq(res.reasons, UINT64_C(1) << JPKI_VR_CRL_MISSING);
    vp_ca_free(&gen2);
    teardown(&f);
}
END_TEST

/* The emulator's own revocation: emu revoke writes a partitioned CRL. */
START_TEST(emu_revoke_crl)
{
    char dir[600], img[700], err[256], crl[800];
    vp_subdir(dir, sizeof dir, "card");
    snprintf(img, sizeof img, "%s/card.img", dir);
    emu_init_opts o = { 0 };
    ck_assert_msg(emu_personalize(img, &o, err, sizeof err) == EMU_OK, "%s",
                  err);
    ck_assert_int_eq(emu_revoke(img, 1, err, sizeof err), EMU_OK);
    char pki[720];
    snprintf(pki, sizeof pki, "%s.pki", img);
    snprintf(crl, sizeof crl, "%s/sign-ca.crl", pki);
    X509 *a = vp_card_cert(img, 0), *s = vp_card_cert(img, 1);
    ck_assert_int_eq(vp_verify(s, pki, crl, 0, JPKI_PURPOSE_SIGN,
                               JPKI_VF_ALLOW_TEST_PKI, &res),
                     JPKI_VS_REVOKED);
    ck_assert_int_eq(res.revocation_reason, 1);
    /* the sign CA's CRL does not cover the auth certificate */
    ck_assert_int_eq(vp_verify(a, pki, crl, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_MISSING));
    ck_assert_int_eq(emu_revoke(img, 0, err, sizeof err), EMU_OK);
    ck_assert_int_eq(vp_verify(a, pki, pki, 0, JPKI_PURPOSE_AUTH, 0, &res),
                     JPKI_VS_REVOKED);
    X509_free(a);
    X509_free(s);
}
END_TEST

/* A CRL without nextUpdate never says when it stops being current: it is
 * stale, whatever its age, and does not make a certificate "good". */
START_TEST(no_next_update_is_stale)
{
    fixture f;
    setup(&f);
    char path[700];
    time_t now = time(NULL);
    write_crl(path, sizeof path, &f, "n.crl",
              vp_crl(&f.ca, NULL, 0, 0, NULL, now - 3600, VP_NO_NEXT_UPDATE));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_CRL_STALE);
    ck_assert_int_eq(res.revocation, JPKI_REV_GOOD_STALE);
    ck_assert_int_eq(res.crl_next_update, 0);
    ck_assert_uint_eq(res.reasons, UINT64_C(1) << JPKI_VR_CRL_STALE);
    /* accepted only on request */
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0,
                               JPKI_VF_ALLOW_STALE_CRL, &res),
                     JPKI_VS_VALID);
    /* years later it is no better */
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path,
                               (int64_t)now + 300 * DAY, 0, 0, &res),
                     JPKI_VS_CRL_STALE);
    /* it still revokes what it lists */
    write_crl(path, sizeof path, &f, "n.crl",
              vp_crl(&f.ca, &f.leaf, 1, now - 7200, NULL, now - 3600,
                     VP_NO_NEXT_UPDATE));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, path, 0, 0, 0, &res),
                     JPKI_VS_REVOKED);
    /* a current CRL beside it decides */
    unlink(path);
    write_crl(path, sizeof path, &f, "n.crl",
              vp_crl(&f.ca, NULL, 0, 0, NULL, now - 3600, VP_NO_NEXT_UPDATE));
    write_crl(path, sizeof path, &f, "z.crl",
              vp_crl(&f.ca, NULL, 0, 0, NULL, 0, 0));
    ck_assert_int_eq(vp_verify(f.leaf, f.anchors, f.crls, 0, 0, 0, &res),
                     JPKI_VS_VALID);
    ck_assert_str_eq(res.crl_path, path);
    teardown(&f);
}
END_TEST

/* root -> I2 -> I1 -> leaf: the leaf's revocation is I1's business. */
static jpki_vstatus verify_chain(X509 *leaf, const char *anchors,
                                 STACK_OF(X509) * inter, const char *crl)
{
    const char *crls[1] = { crl };
    jpki_vopts o;
    memset(&o, 0, sizeof o);
    o.anchors_dir = anchors;
    o.intermediates = inter;
    o.crls = crls;
    o.n_crls = 1;
    o.flags = JPKI_VF_NO_CRL_CACHE;
    return jpki_verify_x509(leaf, &o, &res);
}

START_TEST(two_intermediates_direct_issuer)
{
    fixture f;
    setup(&f);
    vp_ca i2, i1;
    vp_ca_make_sub(&i2, &f.ca, "Intermediate 2");
    vp_ca_make_sub(&i1, &i2, "Intermediate 1");
    X509 *leaf = vp_leaf(&i1, NULL), *other = vp_leaf(&i1, NULL);
    STACK_OF(X509) *inter = sk_X509_new_null();
    ck_assert(sk_X509_push(inter, i2.cert) && sk_X509_push(inter, i1.cert));
    char by_i1[700], by_i2[700], by_root[700];
    write_crl(by_i1, sizeof by_i1, &f, "i1.crl",
              vp_crl(&i1, &leaf, 1, 0, NULL, 0, 0));
    write_crl(by_i2, sizeof by_i2, &f, "i2.crl",
              vp_crl(&i2, NULL, 0, 0, NULL, 0, 0));
    write_crl(by_root, sizeof by_root, &f, "root.crl",
              vp_crl(&f.ca, NULL, 0, 0, NULL, 0, 0));
    /* the chain itself is fine */
    ck_assert_int_eq(verify_chain(other, f.anchors, inter, by_i1),
                     JPKI_VS_VALID);
    ck_assert_int_eq(res.chain_len, 4);
    ck_assert_int_eq(res.revocation, JPKI_REV_GOOD);
    /* I1's CRL revokes the leaf, and is not refused as another issuer's */
    ck_assert_int_eq(verify_chain(leaf, f.anchors, inter, by_i1),
                     JPKI_VS_REVOKED);
    ck_assert(!jpki_vresult_has(&res, JPKI_VR_CRL_WRONG_ISSUER));
    ck_assert_str_eq(res.crl_path, by_i1);
    /* the empty CRLs of I2 and of the root do not cover the leaf */
    ck_assert_int_eq(verify_chain(leaf, f.anchors, inter, by_i2),
                     JPKI_VS_REVOCATION_UNKNOWN);
    ck_assert_int_ne(res.revocation, JPKI_REV_GOOD);
    ck_assert(jpki_vresult_has(&res, JPKI_VR_CRL_MISSING));
    ck_assert_int_eq(verify_chain(leaf, f.anchors, inter, by_root),
                     JPKI_VS_REVOCATION_UNKNOWN);
    /* all three in one directory: revoked */
    ck_assert_int_eq(verify_chain(leaf, f.anchors, inter, f.crls),
                     JPKI_VS_REVOKED);
    sk_X509_free(inter);
    X509_free(leaf);
    X509_free(other);
    vp_ca_free(&i1);
    vp_ca_free(&i2);
    teardown(&f);
}
END_TEST

Suite *verify_crl_suite(void)
{
    Suite *s = suite_create("verify-crl");
    TCase *tc = tcase_create("crl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, revoked_and_good);
    tcase_add_test(tc, stale_crl);
    tcase_add_test(tc, wrong_issuer_and_bad_signature);
    tcase_add_test(tc, garbage_and_truncated);
    tcase_add_test(tc, partitions);
    tcase_add_test(tc, other_generation_crl);
    tcase_add_test(tc, emu_revoke_crl);
    tcase_add_test(tc, no_next_update_is_stale);
    tcase_add_test(tc, two_intermediates_direct_issuer);
    suite_add_tcase(s, tc);
    return s;
}
