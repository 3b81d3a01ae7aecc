/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify_pki.c - see verify_pki.h. */
#include "verify_pki.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "emu/emu.h"
#include "emu/image.h"
#include "emu/x509_profile.h"

static char tmpdir[256];
static pid_t owner; /* Check forks a child per test: only the maker removes */

static void cleanup(void)
{
    if (tmpdir[0] && getpid() == owner) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

const char *vp_dir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/jpki-test-verify.XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
        owner = getpid();
        atexit(cleanup);
    }
    return tmpdir;
}

void vp_subdir(char *buf, size_t len, const char *name)
{
    static unsigned n;
    snprintf(buf, len, "%s/%s.%u.%d", vp_dir(), name, n++, (int)getpid());
    ck_assert_int_eq(mkdir(buf, 0700), 0);
}

static EVP_PKEY *ec_key(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ck_assert_ptr_nonnull(k);
    return k;
}

static void add_conf(X509 *x, X509 *issuer, int nid, const char *v)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
    ck_assert_ptr_nonnull(e);
    ck_assert(X509_add_ext(x, e, -1));
    X509_EXTENSION_free(e);
}

static void set_serial(X509 *x)
{
    static long n = 0x1000;
    unsigned char b[16];
    memset(b, 0xA5, sizeof b);
    b[0] = 0x51;
    b[15] = (unsigned char)n;
    b[14] = (unsigned char)(n++ >> 8);
    b[13] = (unsigned char)getpid();
    BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    X509_set_serialNumber(x, ai);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
}

static void set_times(X509 *x, time_t nb, time_t na)
{
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), nb));
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), na));
}

void vp_ca_make(vp_ca *ca, time_t nb, time_t na)
{
    ca->key = ec_key();
    X509 *x = ca->cert = X509_new();
    X509_NAME *n = emu_x509_ca_name(0);
    X509_set_version(x, X509_VERSION_3);
    set_serial(x);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_NAME_free(n);
    set_times(x, nb, na);
    X509_set_pubkey(x, ca->key);
    add_conf(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_conf(x, x, NID_basic_constraints, "critical,CA:TRUE");
    add_conf(x, x, NID_subject_key_identifier, "hash");
    ck_assert(X509_sign(x, ca->key, EVP_sha256()) > 0);
}

void vp_ca_make_sub(vp_ca *ca, const vp_ca *parent, const char *cn)
{
    time_t now = time(NULL);
    const rdn r[] = { { "C", "JP" }, { "O", "JPKI-TEST" }, { "CN", cn } };
    ca->key = ec_key();
    X509 *x = ca->cert = X509_new();
    X509_NAME *n = emu_x509_name(r, 3);
    X509_set_version(x, X509_VERSION_3);
    set_serial(x);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, X509_get_subject_name(parent->cert));
    X509_NAME_free(n);
    set_times(x, now - 25 * DAY, now + 3000 * DAY);
    X509_set_pubkey(x, ca->key);
    add_conf(x, parent->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_conf(x, parent->cert, NID_basic_constraints, "critical,CA:TRUE");
    add_conf(x, x, NID_subject_key_identifier, "hash");
    add_conf(x, parent->cert, NID_authority_key_identifier, "keyid:always");
    ck_assert(X509_sign(x, parent->key, EVP_sha256()) > 0);
}

void vp_ca_free(vp_ca *ca)
{
    EVP_PKEY_free(ca->key);
    X509_free(ca->cert);
}

static X509_NAME *partition_name(const char *cn)
{
    const rdn r[] = { { "C", "JP" },
                      { "O", "JPKI-TEST" },
                      { "OU", "JPKI for user authentication" },
                      { "OU", "CRL Distribution Points" },
                      { "OU", "Tokyo-to" },
                      { "CN", cn ? cn : "Chiyoda-ku CRLDP" } };
    return emu_x509_name(r, 6);
}

X509 *vp_leaf(const vp_ca *ca, const vp_leaf_opts *o)
{
    static const vp_leaf_opts none = { 0 };
    if (!o)
        o = &none;
    EVP_PKEY *k = ec_key();
    X509 *x = X509_new();
    const rdn subj[] = { { "C", "JP" },
                         { "CN", o->cn ? o->cn : "TEST-LEAF" } };
    X509_NAME *n = emu_x509_name(subj, 2);
    time_t now = time(NULL);
    X509_set_version(x, X509_VERSION_3);
    set_serial(x);
    X509_set_subject_name(x, n);
    X509_NAME_free(n);
    X509_set_issuer_name(x, X509_get_subject_name(ca->cert));
    set_times(x, o->nb ? o->nb : now - 20 * DAY,
              o->na ? o->na : now + 365 * DAY);
    X509_set_pubkey(x, k);
    const char *ku = o->key_usage ? o->key_usage
                     : o->sign    ? "critical,digitalSignature,nonRepudiation"
                                  : "critical,digitalSignature";
    if (*ku)
        add_conf(x, ca->cert, NID_key_usage, ku);
    if (!o->sign && !o->no_eku)
        add_conf(x, ca->cert, NID_ext_key_usage, "clientAuth");
    const char *pol = o->policy ? o->policy
                      : o->sign ? JPKI_POLICY_SIGN
                                : JPKI_POLICY_AUTH;
    if (*pol)
        ck_assert(emu_x509_add_policy(x, pol));
    if (o->is_ca)
        add_conf(x, ca->cert, NID_basic_constraints, "critical,CA:TRUE");
    if (o->unknown_critical) {
        ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
        ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, v);
        ck_assert(e && X509_add_ext(x, e, -1));
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(v);
        ASN1_OBJECT_free(obj);
    }
    if (o->san) {
        ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
        ck_assert(v && ASN1_OCTET_STRING_set(v, o->san, (int)o->san_len));
        X509_EXTENSION *e =
            X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, v);
        ck_assert(e && X509_add_ext(x, e, -1));
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(v);
    }
    ck_assert(emu_x509_add_crldp(x, partition_name(o->partition)));
    add_conf(x, ca->cert, NID_authority_key_identifier, "keyid:always");
    ck_assert(X509_sign(x, ca->key, EVP_sha256()) > 0);
    EVP_PKEY_free(k);
    return x;
}

X509_CRL *vp_crl(const vp_ca *ca, X509 *const *revoked, size_t n, time_t when,
                 const char *partition, time_t this_update, time_t next_update)
{
    time_t now = time(NULL);
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, this_update ? this_update : now);
    ASN1_TIME *t2 = ASN1_TIME_set(NULL, next_update ? next_update : now + DAY);
    X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert));
    X509_CRL_set1_lastUpdate(crl, t1);
    if (next_update != VP_NO_NEXT_UPDATE)
        X509_CRL_set1_nextUpdate(crl, t2);
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_TIME *t = ASN1_TIME_set(NULL, when ? when : now - 60);
        ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
        ASN1_ENUMERATED_set(reason, CRL_REASON_KEY_COMPROMISE);
        X509_REVOKED_set_serialNumber(
            r, (ASN1_INTEGER *)X509_get0_serialNumber(revoked[i]));
        X509_REVOKED_set_revocationDate(r, t);
        X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0);
        X509_CRL_add0_revoked(crl, r);
        ASN1_TIME_free(t);
        ASN1_ENUMERATED_free(reason);
    }
    X509_CRL_sort(crl);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
    X509_EXTENSION *aki = X509V3_EXT_conf_nid(
        NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    ck_assert(aki && X509_CRL_add_ext(crl, aki, -1));
    X509_EXTENSION_free(aki);
    if (partition) {
        ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
        GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
        GENERAL_NAME *gn = GENERAL_NAME_new();
        GENERAL_NAME_set0_value(gn, GEN_DIRNAME, partition_name(partition));
        sk_GENERAL_NAME_push(gens, gn);
        idp->distpoint = DIST_POINT_NAME_new();
        idp->distpoint->type = 0;
        idp->distpoint->name.fullname = gens;
        ck_assert_int_eq(X509_CRL_add1_ext_i2d(
                             crl, NID_issuing_distribution_point, idp, 1, 0),
                         1);
        ISSUING_DIST_POINT_free(idp);
    }
    ck_assert(X509_CRL_sign(crl, ca->key, EVP_sha256()) > 0);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    return crl;
}

/* see verify_pki.h */
size_t vp_san_der(uint8_t *out, const vp_attr *a, size_t n)
{
    uint8_t body[2048];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t vl = strlen(a[i].value);
        ck_assert_uint_lt(vl, 100);
        uint8_t *p = body + len;
        p[0] = 0xA0;
        p[1] = (uint8_t)(12 + 4 + vl);
        static const uint8_t oid[] = { 0x06, 0x0A, 0x2A, 0x83, 0x08, 0x8C,
                                       0x9B, 0x55, 0x08, 0x05, 0x05 };
        memcpy(p + 2, oid, sizeof oid);
        p[2 + sizeof oid] = (uint8_t)(a[i].arc ? a[i].arc : 0x7F);
        if (!a[i].arc)
            p[2 + 9] = 0x06; /* 1.2.392.200149.8.5.6.x: not ours */
        p[14] = 0xA0;
        p[15] = (uint8_t)(2 + vl);
        p[16] = (uint8_t)(a[i].tag ? a[i].tag : 0x0C);
        p[17] = (uint8_t)vl;
        memcpy(p + 18, a[i].value, vl);
        len += 18 + vl;
    }
    ck_assert_uint_lt(len, 256);
    out[0] = 0x30;
    out[1] = 0x81;
    out[2] = (uint8_t)len;
    memcpy(out + 3, body, len);
    return len + 3;
}

void vp_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

uint8_t *vp_der(X509 *x, size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    ck_assert_int_gt(n, 0);
    *len = (size_t)n;
    return der;
}

void vp_write_cert(char *buf, size_t len, const char *dir, const char *name,
                   X509 *x)
{
    size_t n;
    uint8_t *der = vp_der(x, &n);
    snprintf(buf, len, "%s/%s", dir, name);
    vp_write_bytes(buf, der, n);
    OPENSSL_free(der);
}

void vp_write_crl(char *buf, size_t len, const char *dir, const char *name,
                  X509_CRL *c)
{
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(c, &der);
    ck_assert_int_gt(n, 0);
    snprintf(buf, len, "%s/%s", dir, name);
    vp_write_bytes(buf, der, (size_t)n);
    OPENSSL_free(der);
}

jpki_vstatus vp_verify(X509 *leaf, const char *anchors, const char *crl,
                       int64_t at, jpki_purpose purpose, unsigned flags,
                       jpki_vresult *r)
{
    const char *crls[1] = { crl };
    jpki_vopts o;
    memset(&o, 0, sizeof o);
    o.anchors_dir = anchors;
    o.crls = crls;
    o.n_crls = crl ? 1 : 0;
    o.at = at;
    o.purpose = purpose;
    o.flags = flags | JPKI_VF_NO_CRL_CACHE;
    return jpki_verify_x509(leaf, &o, r);
}

const char *vp_card(const char *kind)
{
    static char paths[3][512];
    static const char *const kinds[3] = { "plain", "expired", "gens3" };
    for (int i = 0; i < 3; i++) {
        if (strcmp(kind, kinds[i]) != 0)
            continue;
        if (!paths[i][0]) {
            char err[256];
            emu_init_opts o;
            memset(&o, 0, sizeof o);
            o.expired = i == 1;
            o.ca_generations = i == 2 ? 3 : 1;
            snprintf(paths[i], sizeof paths[i], "%s/%s.img", vp_dir(), kind);
            if (emu_personalize(paths[i], &o, err, sizeof err) != EMU_OK) {
                fprintf(stderr, "cannot make a test card: %s\n",
                        err); /* maybe outside a test */
                exit(1);
            }
        }
        return paths[i];
    }
    ck_abort_msg("unknown card kind %s", kind);
    return NULL;
}

X509 *vp_card_cert(const char *image, int sign)
{
    char err[256];
    emu_image img;
    ck_assert_msg(emu_image_load(image, &img, NULL, err, sizeof err) == EMU_OK,
                  "%s", err);
    int f = sign ? EMU_FILE_SIGN_CERT : EMU_FILE_AUTH_CERT;
    const unsigned char *p = img.file[f];
    X509 *x = d2i_X509(NULL, &p, (long)img.file_len[f]);
    emu_image_clear(&img);
    ck_assert_ptr_nonnull(x);
    return x;
}
