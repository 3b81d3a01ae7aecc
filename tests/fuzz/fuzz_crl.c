/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_crl.c - the CRL index (src/jpki/crl_index.h) over fuzzed input.
 * The first byte picks what the rest is:
 *   0  a whole CRL, DER or PEM: jpki_crlx_open_mem (parse, issuer choice,
 *      signature check: a fuzzed CRL rarely gets further)
 *   1  a TBSCertList: the harness signs it with its test CA's key (a fixed
 *      EC P-256 key, so seeds stay valid) and opens the CRL: the fuzzer
 *      reaches the entries, extensions and the index build
 *   2  edits to the valid cache index of a valid CRL file (each 4 bytes: a
 *      3-byte offset into the index, a byte to XOR there), written before
 *      jpki_crlx_open; the checksums are never recomputed
 *   3  the same edits made to the index file after it was opened (the
 *      mapping sees them), before the lookups
 * In modes 2 and 3 every answer must be the valid CRL's own (from an index
 * built in memory) or JPKI_CRLX_ERR_DAMAGED: a damaged index may say
 * "unknown", never "not revoked" for a listed serial. The harness looks up
 * every listed serial as well as the input's.
 * The input is: mode, 2-byte length L, L bytes, then serials to look up
 * (a length byte, then the serial). FUZZ_WRITE_SEEDS=DIR writes seeds.
 */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "jpki/crl_index.h"
#include "jpki/crl_priv.h"

/* A test key, for fuzzing only. */
static const uint8_t ca_key_der[] = {
    0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20, 0x4d, 0x0c, 0x94, 0x5b,
    0x61, 0x2b, 0xea, 0x77, 0x3d, 0x6e, 0x02, 0x5d, 0x5d, 0x78, 0xbd,
    0x8a, 0x99, 0x51, 0xc9, 0x83, 0x91, 0x82, 0x64, 0x28, 0x18, 0x3a,
    0x6a, 0x58, 0x35, 0x74, 0x3c, 0xf2, 0xa0, 0x0a, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42,
    0x00, 0x04, 0xba, 0x65, 0x1c, 0xf7, 0x53, 0x73, 0x14, 0x16, 0xb7,
    0x7c, 0x0a, 0x48, 0xf1, 0xbf, 0xbe, 0x9a, 0xb2, 0xd8, 0x82, 0x7b,
    0xfa, 0xf6, 0x8b, 0x60, 0x70, 0x1f, 0xb7, 0x04, 0x23, 0x00, 0x78,
    0x60, 0xe9, 0xa3, 0xe0, 0x38, 0x22, 0xf6, 0x56, 0x91, 0xe8, 0xf7,
    0x61, 0x4b, 0x19, 0x9e, 0x7e, 0x6b, 0xe0, 0x49, 0x17, 0x86, 0x9f,
    0x6f, 0xfb, 0x92, 0x44, 0xfd, 0x78, 0x19, 0x9b, 0xbc, 0x26, 0x86
};

static EVP_PKEY *ca_key;
static STACK_OF(X509) * issuers;
static char crl_path[4096], cache_dir[4096], idx_path[4096 + 300];
static uint8_t *good_idx; /* the valid index of crl_path */
static size_t good_idx_len;
static jpki_crlx *ref; /* the same CRL indexed in memory */

static void die(const char *what)
{
    fprintf(stderr, "fuzz_crl: %s\n", what);
    abort();
}

static void add_ext(X509V3_CTX *ctx, X509 *x, X509_CRL *crl, int nid,
                    const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!e || (x ? !X509_add_ext(x, e, -1) : !X509_CRL_add_ext(crl, e, -1)))
        die("extension");
    X509_EXTENSION_free(e);
}

static X509 *make_ca(void)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_get_subject_name(x);
    X509V3_CTX ctx;

    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
                               (const unsigned char *)"JP", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)"Fuzz CRL CA", -1, -1,
                               0);
    X509_set_issuer_name(x, n);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20991231000000Z");
    X509_set_pubkey(x, ca_key);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    add_ext(&ctx, x, NULL, NID_subject_key_identifier, "hash");
    add_ext(&ctx, x, NULL, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(&ctx, x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!X509_sign(x, ca_key, EVP_sha256()))
        die("CA certificate");
    return x;
}

/* A valid CRL of the CA with a few entries; DER, malloc'd. */
static uint8_t *make_crl(X509 *ca, size_t *len)
{
    static const char *const serials[] = {
        "01", "1234", "00FF", "7FEDCBA9876543210FEDCBA987654321"
    };
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t = ASN1_TIME_new();
    X509V3_CTX ctx;
    unsigned char *der = NULL;
    int n;

    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    ASN1_TIME_set_string(t, "20250101000000Z");
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set_string(t, "20990101000000Z");
    X509_CRL_set1_nextUpdate(crl, t);
    for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        BIGNUM *bn = NULL;
        ASN1_INTEGER *ai;
        BN_hex2bn(&bn, serials[i]);
        ai = BN_to_ASN1_INTEGER(bn, NULL);
        X509_REVOKED_set_serialNumber(r, ai);
        ASN1_TIME_set_string(t, "20250101000000Z");
        X509_REVOKED_set_revocationDate(r, t);
        if (i % 2) {
            ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
            ASN1_ENUMERATED_set(e, 1);
            X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
            ASN1_ENUMERATED_free(e);
        }
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(ai);
        BN_free(bn);
    }
    X509_CRL_sort(crl);
    X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
    add_ext(&ctx, NULL, crl, NID_authority_key_identifier, "keyid:always");
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    ASN1_INTEGER_set(num, 42);
    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
    ASN1_INTEGER_free(num);
    if (!X509_CRL_sign(crl, ca_key, EVP_sha256()) ||
        (n = i2d_X509_CRL(crl, &der)) <= 0)
        die("CRL");
    uint8_t *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
    return out;
}

static size_t put_len(uint8_t *p, size_t n)
{
    if (n < 0x80) {
        p[0] = (uint8_t)n;
        return 1;
    }
    if (n < 0x100) {
        p[0] = 0x81;
        p[1] = (uint8_t)n;
        return 2;
    }
    if (n < 0x10000) {
        p[0] = 0x82;
        p[1] = (uint8_t)(n >> 8);
        p[2] = (uint8_t)n;
        return 3;
    }
    p[0] = 0x83;
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
    return 4;
}

/* SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature }, malloc'd. */
static uint8_t *sign_tbs(const uint8_t *tbs, size_t tbs_len, size_t *len)
{
    static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                   0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
    uint8_t sig[80];
    size_t sig_len = sizeof sig, body, n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t *out;

    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ca_key) != 1 ||
        EVP_DigestSign(md, sig, &sig_len, tbs, tbs_len) != 1)
        die("sign");
    EVP_MD_CTX_free(md);
    body = tbs_len + sizeof alg + 1 + 4 + sig_len + 1;
    if (!(out = malloc(body + 8)))
        abort();
    out[n++] = 0x30;
    n += put_len(out + n, body);
    memcpy(out + n, tbs, tbs_len);
    n += tbs_len;
    memcpy(out + n, alg, sizeof alg);
    n += sizeof alg;
    out[n++] = 0x03;
    n += put_len(out + n, sig_len + 1);
    out[n++] = 0x00;
    memcpy(out + n, sig, sig_len);
    n += sig_len;
    *len = n;
    return out;
}

static void read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f || !(*buf = malloc(1 << 20)))
        die("read");
    *len = fread(*buf, 1, 1 << 20, f);
    fclose(f);
}

static void write_seed(const char *dir, const char *name, uint8_t mode,
                       const uint8_t *body, size_t len)
{
    char path[4200];
    uint8_t *b = malloc(len + 3 + 6);
    snprintf(path, sizeof path, "%s/seed-%s", dir, name);
    b[0] = mode;
    b[1] = (uint8_t)(len >> 8);
    b[2] = (uint8_t)len;
    memcpy(b + 3, body, len);
    /* Look up 01 and 1235 afterwards. */
    memcpy(b + 3 + len, "\x01\x01\x02\x12\x35", 5);
    if (fz_write_file(path, b, len + 3 + 5) != 0)
        die("seed");
    free(b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const unsigned char *p = ca_key_der;
    const char *seeds = getenv("FUZZ_WRITE_SEEDS");
    X509 *ca;
    jpki_crlx *x = NULL;
    uint8_t *crl, *tbs = NULL, *idx;
    size_t crl_len, idx_len;
    DIR *d;
    struct dirent *e;

    (void)argc;
    (void)argv;
    if (!(ca_key = d2i_AutoPrivateKey(NULL, &p, sizeof ca_key_der)))
        die("key");
    ca = make_ca();
    issuers = sk_X509_new_null();
    sk_X509_push(issuers, ca);
    crl = make_crl(ca, &crl_len);
    fz_path(crl_path, sizeof crl_path, "ca.crl");
    fz_path(cache_dir, sizeof cache_dir, "cache");
    if (fz_write_file(crl_path, crl, crl_len) != 0)
        die("write");
    if (jpki_crlx_open(crl_path, issuers, cache_dir, &x) != JPKI_CRLX_OK)
        die("the valid CRL does not open");
    jpki_crlx_close(x);
    if (!(d = opendir(cache_dir)))
        die("cache dir");
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".idx") && !strstr(e->d_name, ".tmp"))
            snprintf(idx_path, sizeof idx_path, "%s/%s", cache_dir, e->d_name);
    closedir(d);
    if (!idx_path[0])
        die("no index file");
    read_file(idx_path, &idx, &idx_len);
    good_idx = idx;
    good_idx_len = idx_len;
    if (jpki_crlx_open_mem(crl, crl_len, issuers, &ref) != JPKI_CRLX_OK)
        die("the valid CRL does not open in memory");
    if (seeds) {
        const uint8_t *q = crl;
        X509_CRL *c = d2i_X509_CRL(NULL, &q, (long)crl_len);
        int n = i2d_re_X509_CRL_tbs(c, &tbs);
        write_seed(seeds, "crl-der", 0, crl, crl_len);
        write_seed(seeds, "tbs", 1, tbs, (size_t)n);
        /* one flipped bit in the first entry, before and after the open */
        crlx_hdr h;
        memcpy(&h, idx, sizeof h);
        uint8_t edit[4] = { (uint8_t)(h.entries_off >> 16),
                            (uint8_t)(h.entries_off >> 8),
                            (uint8_t)h.entries_off, 0x01 };
        write_seed(seeds, "index", 2, edit, sizeof edit);
        write_seed(seeds, "index-after-open", 3, edit, sizeof edit);
        OPENSSL_free(tbs);
        X509_CRL_free(c);
    }
    free(crl);
    return 0;
}

/* One lookup; checked against the valid CRL's answer when checked. */
static void lookup_one(jpki_crlx *x, const uint8_t *s, size_t len, int checked)
{
    uint8_t *copy = malloc(len ? len : 1);
    jpki_crlx_entry got, want;
    memcpy(copy, s, len);
    jpki_crlx_rv rv = jpki_crlx_lookup(x, copy, len, &got);
    if (rv == JPKI_CRLX_OK && got.revoked != 0 && got.revoked != 1)
        abort();
    if (checked && rv != JPKI_CRLX_ERR_DAMAGED) {
        if (jpki_crlx_lookup(ref, copy, len, &want) != rv)
            abort();
        if (rv == JPKI_CRLX_OK &&
            (got.revoked != want.revoked ||
             got.revocation_date != want.revocation_date ||
             got.reason != want.reason))
            abort(); /* a damaged index answered wrong */
    }
    free(copy);
}

static void lookups(jpki_crlx *x, fz_in *in, int checked)
{
    const jpki_crlx_info *info = jpki_crlx_get_info(x);
    volatile uint8_t sink = 0;

    if (!info)
        abort();
    for (size_t i = 0; i < info->issuer_len; i++)
        sink ^= info->issuer[i];
    for (size_t i = 0; i < info->idp_len; i++)
        sink ^= info->idp[i];
    for (size_t i = 0; i < info->crl_number_len; i++)
        sink ^= info->crl_number[i];
    for (int i = 0; i < 8 && in->n; i++) {
        size_t want = fz_u8(in) % 40, got;
        const uint8_t *s = fz_bytes(in, want, &got);
        lookup_one(x, s, got, checked);
    }
    if (checked) {
        static const uint8_t listed[][16] = {
            { 0x01 },
            { 0x12, 0x34 },
            { 0x00, 0xff },
            { 0x7f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21, 0x0f, 0xed, 0xcb,
              0xa9, 0x87, 0x65, 0x43, 0x21 }
        };
        static const size_t lens[] = { 1, 2, 2, 16 };
        for (size_t i = 0; i < 4; i++)
            lookup_one(x, listed[i], lens[i], 1);
    }
}

/* Applies the input's edits (3-byte offset, XOR byte) to img, or in place
 * to the file open at fd. */
static void apply_edits(const uint8_t *e, size_t n, uint8_t *img, int fd)
{
    for (; n >= 4; e += 4, n -= 4) {
        size_t off =
            ((size_t)e[0] << 16 | (size_t)e[1] << 8 | e[2]) % good_idx_len;
        uint8_t b = good_idx[off] ^ e[3];
        if (img)
            img[off] = b;
        else if (pwrite(fd, &b, 1, (off_t)off) != 1)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    uint8_t mode = fz_u8(&in) % 4;
    size_t want = fz_u16(&in), got;
    const uint8_t *body = fz_bytes(&in, want, &got);
    uint8_t *buf = malloc(got ? got : 1), *crl = NULL, *img = NULL;
    size_t crl_len = 0;
    jpki_crlx *x = NULL;
    jpki_crlx_rv rv;

    memcpy(buf, body, got);
    if (mode == 0) {
        rv = jpki_crlx_open_mem(buf, got, issuers, &x);
    } else if (mode == 1) {
        crl = sign_tbs(buf, got, &crl_len);
        rv = jpki_crlx_open_mem(crl, crl_len, issuers, &x);
    } else {
        img = malloc(good_idx_len);
        memcpy(img, good_idx, good_idx_len);
        if (mode == 2)
            apply_edits(buf, got, img, -1);
        if (fz_write_file(idx_path, img, good_idx_len) != 0)
            abort();
        rv = jpki_crlx_open(crl_path, issuers, cache_dir, &x);
        /* The CRL file is valid: a bad index is rebuilt, never an error. */
        if (rv != JPKI_CRLX_OK)
            abort();
        if (mode == 3) {
            int fd = open(idx_path, O_WRONLY | O_CLOEXEC);
            if (fd < 0)
                abort();
            apply_edits(buf, got, NULL, fd);
            close(fd);
        }
    }
    if (rv == JPKI_CRLX_OK) {
        if (!x)
            abort();
        lookups(x, &in, mode >= 2);
        jpki_crlx_close(x);
    }
    free(img);
    free(crl);
    free(buf);
    return 0;
}
