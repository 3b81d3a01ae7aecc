/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test CAs and CRLs for the CRL index tests, made with OpenSSL's API. */
#include "test_crl_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static EVP_PKEY *keys[4];

tca tca_make(const char *cn, uint8_t ski_byte, int key_index)
{
    tca ca = { X509_new(), NULL };
    if (!keys[key_index])
        keys[key_index] = EVP_RSA_gen(2048);
    ck_assert_ptr_nonnull(keys[key_index]);
    ca.key = keys[key_index];
    EVP_PKEY_up_ref(ca.key);
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
                               (const unsigned char *)"JP", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_version(ca.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(ca.cert), 1);
    X509_set_subject_name(ca.cert, n);
    X509_set_issuer_name(ca.cert, n);
    X509_gmtime_adj(X509_getm_notBefore(ca.cert), -86400);
    X509_gmtime_adj(X509_getm_notAfter(ca.cert), 86400L * 365);
    X509_set_pubkey(ca.cert, ca.key);
    uint8_t ski[20];
    memset(ski, ski_byte, sizeof ski);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, ski, sizeof ski);
    ck_assert_int_eq(
        X509_add1_ext_i2d(ca.cert, NID_subject_key_identifier, os, 0, 0), 1);
    ASN1_OCTET_STRING_free(os);
    ck_assert_int_gt(X509_sign(ca.cert, ca.key, EVP_sha256()), 0);
    X509_NAME_free(n);
    return ca;
}

void tca_free(tca *ca)
{
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
}

static void add_raw_ext(STACK_OF(X509_EXTENSION) * *sk, X509_CRL *crl,
                        X509_REVOKED *r, const char *oid, int crit)
{
    (void)sk;
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, o, crit, v);
    ck_assert_ptr_nonnull(ext);
    ck_assert_int_eq(crl ? X509_CRL_add_ext(crl, ext, -1)
                         : X509_REVOKED_add_ext(r, ext, -1),
                     1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(v);
    ASN1_OBJECT_free(o);
}

static void add_entry(X509_CRL *crl, const tentry *e, unsigned flags,
                      int first)
{
    X509_REVOKED *r = X509_REVOKED_new();
    BIGNUM *bn = BN_bin2bn(e->serial, (int)e->len, NULL);
    BN_set_negative(bn, e->negative);
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)e->date);
    ck_assert_int_eq(X509_REVOKED_set_serialNumber(r, ai), 1);
    ck_assert_int_eq(X509_REVOKED_set_revocationDate(r, t), 1);
    if (e->reason >= 0) {
        ASN1_ENUMERATED *en = ASN1_ENUMERATED_new();
        ASN1_ENUMERATED_set(en, e->reason);
        ck_assert_int_eq(
            X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, en, 0, 0), 1);
        ASN1_ENUMERATED_free(en);
    }
    if (first && (flags & T_ENTRY_CRIT))
        add_raw_ext(NULL, NULL, r, "1.2.3.4.99", 1);
    if (first && (flags & T_CERT_ISSUER)) {
        GENERAL_NAMES *gns = GENERAL_NAMES_new();
        GENERAL_NAME *gn = GENERAL_NAME_new();
        gn->type = GEN_DIRNAME;
        gn->d.directoryName = X509_NAME_dup(X509_CRL_get_issuer(crl));
        sk_GENERAL_NAME_push(gns, gn);
        ck_assert_int_eq(
            X509_REVOKED_add1_ext_i2d(r, NID_certificate_issuer, gns, 1, 0),
            1);
        GENERAL_NAMES_free(gns);
    }
    ck_assert_int_eq(X509_CRL_add0_revoked(crl, r), 1);
    ASN1_TIME_free(t);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
}

static void add_idp(X509_CRL *crl, const tca *ca, int indirect)
{
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
    idp->distpoint = DIST_POINT_NAME_new();
    idp->distpoint->type = 0;
    idp->distpoint->name.fullname = GENERAL_NAMES_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    gn->type = GEN_DIRNAME;
    gn->d.directoryName = X509_NAME_dup(X509_get_subject_name(ca->cert));
    X509_NAME_add_entry_by_txt(gn->d.directoryName, "OU", MBSTRING_ASC,
                               (const unsigned char *)"Chiyoda-ku CRLDP", -1,
                               -1, 0);
    sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn);
    idp->indirectCRL = indirect;
    ck_assert_int_eq(
        X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0),
        1);
    ISSUING_DIST_POINT_free(idp);
}

size_t tcrl_make(const tca *ca, const tentry *e, size_t n, unsigned flags,
                 uint8_t **der)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *tu = ASN1_TIME_set(NULL, 1800000000),
              *nu = ASN1_TIME_set(NULL, 1800086400);
    if (!(flags & T_V1))
        X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert));
    X509_CRL_set1_lastUpdate(crl, tu);
    X509_CRL_set1_nextUpdate(crl, nu);
    for (size_t i = 0; i < n; i++)
        add_entry(crl, &e[i], flags, i == 0);
    if (!(flags & (T_NO_AKI | T_V1))) {
        AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
        aki->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(ca->cert));
        ck_assert_int_eq(X509_CRL_add1_ext_i2d(
                             crl, NID_authority_key_identifier, aki, 0, 0),
                         1);
        AUTHORITY_KEYID_free(aki);
    }
    if (!(flags & T_V1)) {
        ASN1_INTEGER *num = ASN1_INTEGER_new();
        ASN1_INTEGER_set(num, 42);
        ck_assert_int_eq(X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0),
                         1);
        if (flags & T_DELTA)
            ck_assert_int_eq(
                X509_CRL_add1_ext_i2d(crl, NID_delta_crl, num, 1, 0), 1);
        ASN1_INTEGER_free(num);
    }
    if (flags & (T_IDP | T_INDIRECT))
        add_idp(crl, ca, !!(flags & T_INDIRECT));
    if (flags & T_UNKNOWN_CRIT)
        add_raw_ext(NULL, crl, NULL, "1.2.3.4.98", 1);
    if (flags & T_UNKNOWN_NONCRIT)
        add_raw_ext(NULL, crl, NULL, "1.2.3.4.97", 0);
    ck_assert_int_gt(X509_CRL_sign(crl, ca->key, EVP_sha256()), 0);
    *der = NULL;
    int len = i2d_X509_CRL(crl, der);
    ck_assert_int_gt(len, 0);
    X509_CRL_free(crl);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    return (size_t)len;
}

char *tcrl_pem(const uint8_t *der, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    ck_assert_int_gt(PEM_write_bio(b, "X509 CRL", "", der, (long)len), 0);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *out = calloc(1, (size_t)n + 1);
    memcpy(out, p, (size_t)n);
    BIO_free(b);
    return out;
}

STACK_OF(X509) * tstack(const tca *a, const tca *b)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    sk_X509_push(sk, a->cert);
    if (b)
        sk_X509_push(sk, b->cert);
    return sk;
}

void tstack_free(STACK_OF(X509) * sk)
{
    sk_X509_free(sk);
}

void tmpdir(char *out, size_t len)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, len, "%s/crlx-test-XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(out));
}

void trm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (de->d_type == DT_DIR)
            trm_rf(p);
        else
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

void twrite(const char *path, const void *buf, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, path), 0);
}

int tindex_file(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = -1;
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 4 && !strcmp(de->d_name + n - 4, ".idx")) {
            snprintf(out, len, "%s/%s", dir, de->d_name);
            found = 0;
        }
    }
    if (d)
        closedir(d);
    return found;
}
