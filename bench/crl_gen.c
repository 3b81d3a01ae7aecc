/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_gen.c - JPKI-shaped test CRLs of millions of entries, written as DER
 * directly (the lengths are known in advance: every entry has the same
 * size) and signed over the tbs as it streams out. Going through X509_CRL
 * objects would take minutes and gigabytes at 5 000 000 entries.
 */
#include "bench/crl_bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rsa.h>
#include <openssl/x509v3.h>

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void bench_serial(uint64_t seed, uint64_t i, uint8_t out[16])
{
    uint64_t a = splitmix(seed * 0x100000001b3ULL + 2 * i),
             b = splitmix(a ^ (2 * i + 1));
    for (int k = 0; k < 8; k++) {
        out[k] = (uint8_t)(a >> (8 * k));
        out[8 + k] = (uint8_t)(b >> (8 * k));
    }
    out[0] = (uint8_t)((out[0] & 0x7f) | 0x01);
}

static X509_NAME *name(const char *cn, const char *ou2)
{
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
                               (const unsigned char *)"JP", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                               (const unsigned char *)"JPKI-BENCH", -1, -1, 0);
    if (ou2)
        X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC,
                                   (const unsigned char *)ou2, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    return n;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

static DIST_POINT_NAME *dp_name(const X509_NAME *n)
{
    DIST_POINT_NAME *d = DIST_POINT_NAME_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    d->type = 0;
    d->name.fullname = GENERAL_NAMES_new();
    gn->type = GEN_DIRNAME;
    gn->d.directoryName = X509_NAME_dup(n);
    sk_GENERAL_NAME_push(d->name.fullname, gn);
    return d;
}

static X509 *cert(X509_NAME *subj, X509 *issuer, EVP_PKEY *pub, long serial)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_set_subject_name(x, subj);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subj);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_set_pubkey(x, pub);
    return x;
}

int bench_pki_make(bench_pki *p)
{
    memset(p, 0, sizeof *p);
    p->ca_key = EVP_RSA_gen(2048);
    EVP_PKEY *leaf_key = EVP_RSA_gen(2048);
    X509_NAME *ca_name = name("Bench CA", NULL),
              *leaf_name = name("Bench leaf", NULL);
    p->partition = name("Chiyoda-ku CRLDP", "CRL Distribution Points");
    int ok = p->ca_key && leaf_key;
    if (ok) {
        p->ca = cert(ca_name, NULL, p->ca_key, 1);
        ok =
            add_ext(p->ca, p->ca, NID_basic_constraints, "critical,CA:TRUE") &&
            add_ext(p->ca, p->ca, NID_key_usage,
                    "critical,keyCertSign,cRLSign") &&
            add_ext(p->ca, p->ca, NID_subject_key_identifier, "hash") &&
            X509_sign(p->ca, p->ca_key, EVP_sha256()) > 0;
    }
    if (ok) {
        p->leaf = cert(leaf_name, p->ca, leaf_key, 0x7e57);
        CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
        DIST_POINT *dp = DIST_POINT_new();
        dp->distpoint = dp_name(p->partition);
        sk_DIST_POINT_push(dps, dp);
        ok = X509_add1_ext_i2d(p->leaf, NID_crl_distribution_points, dps, 0,
                               0) == 1 &&
             add_ext(p->leaf, p->ca, NID_authority_key_identifier,
                     "keyid:always") &&
             add_ext(p->leaf, p->ca, NID_key_usage,
                     "critical,digitalSignature") &&
             X509_sign(p->leaf, p->ca_key, EVP_sha256()) > 0;
        CRL_DIST_POINTS_free(dps);
    }
    X509_NAME_free(ca_name);
    X509_NAME_free(leaf_name);
    EVP_PKEY_free(leaf_key);
    return ok ? 0 : -1;
}

void bench_pki_free(bench_pki *p)
{
    EVP_PKEY_free(p->ca_key);
    X509_free(p->ca);
    X509_free(p->leaf);
    X509_NAME_free(p->partition);
}

/* ---- DER writing -------------------------------------------------------- */

typedef struct {
    FILE *f;
    EVP_MD_CTX *md; /* non-NULL while inside the tbs */
    int ok;
} wout;

static void emit(wout *o, const void *p, size_t n)
{
    if (o->ok && fwrite(p, 1, n, o->f) != n)
        o->ok = 0;
    if (o->ok && o->md && EVP_DigestSignUpdate(o->md, p, n) != 1)
        o->ok = 0;
}

static size_t hdr(uint8_t *b, uint8_t tag, size_t len)
{
    size_t n = 0;
    b[n++] = tag;
    if (len < 0x80) {
        b[n++] = (uint8_t)len;
        return n;
    }
    int k = 0;
    for (size_t v = len; v; v >>= 8)
        k++;
    b[n++] = (uint8_t)(0x80 | k);
    for (int i = k - 1; i >= 0; i--)
        b[n++] = (uint8_t)(len >> (8 * i));
    return n;
}

static void emit_hdr(wout *o, uint8_t tag, size_t len)
{
    uint8_t b[16];
    emit(o, b, hdr(b, tag, len));
}

static size_t tlv_size(size_t len)
{
    uint8_t b[16];
    return hdr(b, 0, len) + len;
}

static void utc(time_t t, uint8_t out[15])
{
    struct tm tm;
    char s[24];
    gmtime_r(&t, &tm);
    strftime(s, sizeof s, "%Y%m%d%H%M%SZ", &tm);
    out[0] = 0x17; /* UTCTime: the year's last two digits */
    out[1] = 13;
    memcpy(out + 2, s + 2, 13);
}

/* The crlExtensions content: AKI, cRLNumber, IDP (critical). */
static int crl_exts(const bench_pki *p, uint64_t n, uint8_t **der)
{
    STACK_OF(X509_EXTENSION) *sk = sk_X509_EXTENSION_new_null();
    AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
    aki->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(p->ca));
    ASN1_INTEGER_set_uint64(num, n);
    idp->distpoint = dp_name(p->partition);
    idp->onlyuser = 1;
    int ok =
        X509V3_add1_i2d(&sk, NID_authority_key_identifier, aki, 0, 0) == 1 &&
        X509V3_add1_i2d(&sk, NID_crl_number, num, 0, 0) == 1 &&
        X509V3_add1_i2d(&sk, NID_issuing_distribution_point, idp, 1, 0) == 1;
    *der = NULL;
    int len = ok ? i2d_X509_EXTENSIONS(sk, der) : -1;
    sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
    AUTHORITY_KEYID_free(aki);
    ASN1_INTEGER_free(num);
    ISSUING_DIST_POINT_free(idp);
    return len;
}

#define ENTRY 49 /* 30 2f | 02 10 serial | 17 0d time | 30 0c ext */
#define BATCH 8192

int bench_crl_write(const bench_pki *p, const char *path, uint64_t n,
                    uint64_t seed)
{
    static const uint8_t alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
                                   0x86, 0x48, 0x86, 0xf7, 0x0d,
                                   0x01, 0x01, 0x0b, 0x05, 0x00 };
    static const uint8_t version[] = { 0x02, 0x01, 0x01 };
    static const uint8_t reasons[] = { 1, 1, 1, 4, 5, 3, 9, 1 };
    const unsigned char *issuer;
    size_t issuer_len;
    uint8_t *exts, this_u[15], next_u[15];
    time_t now = time(NULL);
    X509_NAME_get0_der(X509_get_subject_name(p->ca), &issuer, &issuer_len);
    int exts_len = crl_exts(p, n, &exts);
    if (exts_len <= 0)
        return -1;
    utc(now - 3600, this_u);
    utc(now + 86400, next_u);
    size_t revoked = (size_t)n * ENTRY;
    size_t tbs_content = sizeof version + sizeof alg + issuer_len + 30 +
                         (n ? tlv_size(revoked) : 0) +
                         tlv_size((size_t)exts_len);
    size_t sig_len = (size_t)EVP_PKEY_get_size(p->ca_key);
    size_t outer = tlv_size(tbs_content) + sizeof alg + tlv_size(sig_len + 1);

    wout o = { fopen(path, "wb"), EVP_MD_CTX_new(), 1 };
    uint8_t *buf = malloc(BATCH * ENTRY), *sig = malloc(sig_len);
    o.ok = o.f && o.md && buf && sig &&
           EVP_DigestSignInit(o.md, NULL, EVP_sha256(), NULL, p->ca_key) == 1;
    EVP_MD_CTX *md = o.md;
    o.md = NULL;
    emit_hdr(&o, 0x30, outer);
    o.md = md;
    emit_hdr(&o, 0x30, tbs_content);
    emit(&o, version, sizeof version);
    emit(&o, alg, sizeof alg);
    emit(&o, issuer, issuer_len);
    emit(&o, this_u, 15);
    emit(&o, next_u, 15);
    if (n)
        emit_hdr(&o, 0x30, revoked);
    uint8_t times[64][15];
    for (int i = 0; i < 64; i++)
        utc(now - 86400L * 30 * (i + 1) - 977 * i, times[i]);
    for (uint64_t i = 0; o.ok && i < n;) {
        size_t k = 0;
        for (; k < BATCH && i < n; k++, i++) {
            uint8_t *e = buf + k * ENTRY;
            static const uint8_t head[] = { 0x30, 0x2f, 0x02, 0x10 };
            static const uint8_t ext[] = { 0x30, 0x0c, 0x30, 0x0a, 0x06,
                                           0x03, 0x55, 0x1d, 0x15, 0x04,
                                           0x03, 0x0a, 0x01 };
            memcpy(e, head, 4);
            bench_serial(seed, i, e + 4);
            memcpy(e + 20, times[i % 64], 15);
            memcpy(e + 35, ext, sizeof ext);
            e[48] = reasons[i % 8];
        }
        emit(&o, buf, k * ENTRY);
    }
    emit_hdr(&o, 0xa0, (size_t)exts_len);
    emit(&o, exts, (size_t)exts_len);
    o.md = NULL;
    if (o.ok && EVP_DigestSignFinal(md, sig, &sig_len) != 1)
        o.ok = 0;
    emit(&o, alg, sizeof alg);
    emit_hdr(&o, 0x03, sig_len + 1);
    emit(&o, "", 1);
    emit(&o, sig, sig_len);
    if (o.f && fclose(o.f) != 0)
        o.ok = 0;
    EVP_MD_CTX_free(md);
    OPENSSL_free(exts);
    free(buf);
    free(sig);
    return o.ok ? 0 : -1;
}
