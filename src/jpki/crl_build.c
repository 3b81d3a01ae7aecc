/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_build.c - from a CRL's DER to a complete index image.
 *
 * Order matters: the outer structure is parsed, the issuer chosen (subject
 * name equal to the CRL's issuer, SKI equal to the CRL's AKI keyIdentifier
 * when it has one: every JPKI CA generation has the same name), and the
 * signature over the raw tbsCertList bytes verified, before a single entry
 * is read. Then two passes over revokedCertificates: one validates every
 * entry and finds the count and the longest serial (the entry width), the
 * second writes fixed-width entries straight into the output image, which
 * is then sorted in place (a counting pass on the top serial bits gives the
 * bucket table, an in-place permutation fills the buckets, each small
 * bucket is sorted on its own). Memory: the image plus O(buckets).
 */
#include "jpki/crl_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#define CHUNK (size_t)(4u << 20)

int crlx_spki_sha256(X509 *x, uint8_t out[32])
{
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    if (len <= 0)
        return -1;
    SHA256(der, (size_t)len, out);
    OPENSSL_free(der);
    return 0;
}

static int issuer_matches(X509 *x, const crlx_crl *c)
{
    const unsigned char *name;
    size_t name_len;
    if (!X509_NAME_get0_der(X509_get_subject_name(x), &name, &name_len)
        || name_len != c->issuer.len || memcmp(name, c->issuer.p, name_len) != 0)
        return 0;
    if (!c->aki_keyid.p)
        return 1;
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
    return ski && (size_t)ASN1_STRING_length(ski) == c->aki_keyid.len
        && memcmp(ASN1_STRING_get0_data(ski), c->aki_keyid.p, c->aki_keyid.len) == 0;
}

/* The digest and key type the signatureAlgorithm names. */
static jpki_crlx_rv sig_algs(const crlx_crl *c, const EVP_MD **md, int *pk_nid)
{
    const unsigned char *p = c->sig_alg.p;
    X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)c->sig_alg.len);
    if (!alg)
        return JPKI_CRLX_ERR_PARSE;
    const ASN1_OBJECT *obj;
    int ptype;
    X509_ALGOR_get0(&obj, &ptype, NULL, alg);
    int md_nid, ok = OBJ_find_sigid_algs(OBJ_obj2nid(obj), &md_nid, pk_nid);
    X509_ALGOR_free(alg);
    if (!ok || md_nid == NID_undef || (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL))
        return JPKI_CRLX_ERR_UNSUPPORTED;   /* PSS, EdDSA, parameters: not here */
    *md = EVP_get_digestbynid(md_nid);
    return *md ? JPKI_CRLX_OK : JPKI_CRLX_ERR_UNSUPPORTED;
}

typedef void (*release_fn)(const uint8_t *, size_t);

/* One pass over the whole DER: its SHA-256, and the signature over tbs
 * checked with key. 1 verified, 0 not, -1 error. */
static int hash_and_verify(const uint8_t *der, size_t len, const crlx_crl *c, EVP_PKEY *key,
                           const EVP_MD *md, uint8_t sha[32], release_fn release)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new(), *sctx = EVP_MD_CTX_new();
    int ok = mctx && sctx && EVP_DigestInit_ex(sctx, EVP_sha256(), NULL) == 1
        && EVP_DigestVerifyInit(mctx, NULL, md, NULL, key) == 1;
    size_t t0 = (size_t)(c->tbs.p - der), t1 = t0 + c->tbs.len;
    for (size_t off = 0; ok && off < len; off += CHUNK) {
        size_t end = off + CHUNK < len ? off + CHUNK : len;
        ok = EVP_DigestUpdate(sctx, der + off, end - off) == 1;
        size_t a = off > t0 ? off : t0, b = end < t1 ? end : t1;
        if (ok && a < b)
            ok = EVP_DigestVerifyUpdate(mctx, der + a, b - a) == 1;
        if (release && end < len)
            release(der + off, end - off);
    }
    int rv = -1;
    if (ok) {
        rv = EVP_DigestFinal_ex(sctx, sha, NULL) == 1 ? 0 : -1;
        if (rv == 0)
            rv = EVP_DigestVerifyFinal(mctx, c->sig.p, c->sig.len) == 1;
    }
    EVP_MD_CTX_free(mctx);
    EVP_MD_CTX_free(sctx);
    return rv;
}

/* Finds the issuer whose key verifies the CRL; its SPKI hash to spki. */
static jpki_crlx_rv check_signature(const uint8_t *der, size_t len, const crlx_crl *c,
                                    STACK_OF(X509) *issuers, uint8_t sha[32],
                                    uint8_t spki[32], release_fn release)
{
    const EVP_MD *md;
    int pk_nid, candidates = 0;
    jpki_crlx_rv rv = sig_algs(c, &md, &pk_nid);
    if (rv != JPKI_CRLX_OK)
        return rv;
    for (int i = 0; i < sk_X509_num(issuers); i++) {
        X509 *x = sk_X509_value(issuers, i);
        if (!issuer_matches(x, c))
            continue;
        candidates++;
        EVP_PKEY *key = X509_get0_pubkey(x);
        if (!key || EVP_PKEY_get_base_id(key) != pk_nid)
            continue;
        int v = hash_and_verify(der, len, c, key, md, sha, release);
        if (v == 1)
            return crlx_spki_sha256(x, spki) == 0 ? JPKI_CRLX_OK : JPKI_CRLX_ERR_MEMORY;
    }
    return candidates ? JPKI_CRLX_ERR_SIGNATURE : JPKI_CRLX_ERR_ISSUER;
}

/* Pass 1: every entry valid; count and longest serial. */
static jpki_crlx_rv scan_entries(const crlx_crl *c, uint64_t *n, size_t *width,
                                 release_fn release)
{
    const uint8_t *p = c->revoked.p, *end = p + c->revoked.len, *done = p;
    *n = 0;
    *width = 1;
    while (p < end) {
        crlx_entry_raw e;
        jpki_crlx_rv rv = crlx_parse_entry(c, &p, end, &e);
        if (rv != JPKI_CRLX_OK)
            return rv;
        if (e.serial_len > *width)
            *width = e.serial_len;
        if (++*n >= UINT32_MAX)
            return JPKI_CRLX_ERR_UNSUPPORTED;
        if (release && (size_t)(p - done) >= CHUNK) {
            release(done, (size_t)(p - done));
            done = p;
        }
    }
    return JPKI_CRLX_OK;
}

static uint32_t bucket_of(const uint8_t *rec, unsigned bits)
{
    if (bits == 0)
        return 0;
    uint32_t v = (uint32_t)rec[0] << 24 | (uint32_t)rec[1] << 16 | (uint32_t)rec[2] << 8
        | rec[3];
    return v >> (32 - bits);
}

static void put_entry(uint8_t *rec, size_t w, const crlx_entry_raw *e)
{
    memset(rec, 0, w - e->serial_len);
    memcpy(rec + w - e->serial_len, e->serial, e->serial_len);
    rec[w] = (uint8_t)e->serial_len;
    uint64_t d = (uint64_t)(e->date + CRLX_DATE_BIAS);
    for (int i = 0; i < 5; i++)
        rec[w + 1 + i] = (uint8_t)(d >> (8 * (4 - i)));
    rec[w + 6] = e->reason < 0 ? CRLX_NO_REASON : (uint8_t)e->reason;
}

static void swap_rec(uint8_t *a, uint8_t *b, size_t es)
{
    uint8_t t[CRLX_MAX_SERIAL + 8];
    memcpy(t, a, es);
    memcpy(a, b, es);
    memcpy(b, t, es);
}

/* In-place heapsort of n records by their first k bytes (large buckets). */
static void sift(uint8_t *base, size_t es, size_t k, size_t i, size_t n)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && memcmp(base + l * es, base + m * es, k) > 0)
            m = l;
        if (r < n && memcmp(base + r * es, base + m * es, k) > 0)
            m = r;
        if (m == i)
            return;
        swap_rec(base + i * es, base + m * es, es);
        i = m;
    }
}

static void sort_range(uint8_t *base, size_t n, size_t es, size_t k)
{
    if (n <= 24) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && memcmp(base + (j - 1) * es, base + j * es, k) > 0; j--)
                swap_rec(base + (j - 1) * es, base + j * es, es);
        return;
    }
    for (size_t i = n / 2; i-- > 0;)
        sift(base, es, k, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        swap_rec(base, base + end * es, es);
        sift(base, es, k, 0, end);
    }
}

/* Pass 2 and the sort: entries into ents, bucket starts into starts. */
static jpki_crlx_rv fill_entries(const crlx_crl *c, uint8_t *ents, size_t w, unsigned bits,
                                 uint32_t *starts, release_fn release)
{
    size_t es = w + 7, nb = (size_t)1 << bits;
    uint32_t *next = calloc(nb, sizeof *next);
    if (!next)
        return JPKI_CRLX_ERR_MEMORY;
    const uint8_t *p = c->revoked.p, *end = p + c->revoked.len, *done = p;
    uint32_t n = 0;
    while (p < end) {
        crlx_entry_raw e;
        if (crlx_parse_entry(c, &p, end, &e) != JPKI_CRLX_OK) {
            free(next);
            return JPKI_CRLX_ERR_PARSE;     /* cannot happen after pass 1 */
        }
        put_entry(ents + (size_t)n * es, w, &e);
        next[bucket_of(ents + (size_t)n * es, bits)]++;
        n++;
        if (release && (size_t)(p - done) >= CHUNK) {
            release(done, (size_t)(p - done));
            done = p;
        }
    }
    uint32_t sum = 0;
    for (size_t b = 0; b < nb; b++) {
        starts[b] = sum;
        sum += next[b];
        next[b] = starts[b];
    }
    starts[nb] = sum;
    for (size_t b = 0; b < nb; b++) {           /* American flag permutation */
        while (next[b] < starts[b + 1]) {
            uint8_t *rec = ents + (size_t)next[b] * es;
            uint32_t to = bucket_of(rec, bits);
            if (to == b)
                next[b]++;
            else
                swap_rec(rec, ents + (size_t)next[to]++ * es, es);
        }
    }
    free(next);
    for (size_t b = 0; b < nb; b++)
        sort_range(ents + (size_t)starts[b] * es, starts[b + 1] - starts[b], es, w + 1);
    return JPKI_CRLX_OK;
}

static unsigned choose_bits(uint64_t n, size_t w)
{
    unsigned bits = 0;
    while (bits < 20 && (UINT64_C(16) << bits) <= n)
        bits++;
    return bits > 8 * w ? (unsigned)(8 * w) : bits;     /* ~8-16 entries/bucket */
}

static size_t align8(size_t x)
{
    return (x + 7) & ~(size_t)7;
}

jpki_crlx_rv crlx_build(const uint8_t *der, size_t len, STACK_OF(X509) *issuers,
                        const crlx_ident *id, const crlx_sink *sink, size_t *size,
                        release_fn release)
{
    crlx_crl c;
    crlx_hdr h;
    memset(&h, 0, sizeof h);
    jpki_crlx_rv rv = crlx_parse(der, len, &c);
    if (rv == JPKI_CRLX_OK)
        rv = check_signature(der, len, &c, issuers, h.crl_sha256, h.issuer_spki_sha256, release);
    uint64_t n = 0;
    size_t w = 1;
    if (rv == JPKI_CRLX_OK)
        rv = scan_entries(&c, &n, &w, release);
    if (rv != JPKI_CRLX_OK)
        return rv;
    if (w < 4)
        w = 4;                          /* bucket_of reads 4 bytes */
    memcpy(h.magic, CRLX_MAGIC, sizeof CRLX_MAGIC);
    h.version = CRLX_VERSION;
    h.hdr_size = sizeof h;
    if (id) {
        h.crl_dev = (uint64_t)id->dev;
        h.crl_ino = (uint64_t)id->ino;
        h.crl_size = (uint64_t)id->size;
        h.crl_mtime_ns = id->mtime_ns;
        h.crl_ctime_ns = id->ctime_ns;
    }
    h.this_update = c.this_update;
    h.next_update = c.next_update;
    h.entries = n;
    h.key_width = (uint32_t)w;
    h.entry_size = (uint32_t)(w + 7);
    h.bucket_bits = choose_bits(n, w);
    h.issuer_off = align8(sizeof h);
    h.issuer_len = c.issuer.len;
    h.idp_off = align8(h.issuer_off + h.issuer_len);
    h.idp_len = c.idp.p ? c.idp.len : 0;
    h.num_off = align8(h.idp_off + h.idp_len);
    h.num_len = c.crl_number.p ? c.crl_number.len : 0;
    h.buckets_off = align8(h.num_off + h.num_len);
    h.entries_off = align8(h.buckets_off + (((size_t)1 << h.bucket_bits) + 1) * 4);
    h.file_size = h.entries_off + n * h.entry_size;
    uint8_t *img = sink->alloc(sink->ctx, h.file_size);
    if (!img)
        return JPKI_CRLX_ERR_IO;
    memcpy(img, &h, sizeof h);
    memcpy(img + h.issuer_off, c.issuer.p, h.issuer_len);
    if (h.idp_len)
        memcpy(img + h.idp_off, c.idp.p, h.idp_len);
    if (h.num_len)
        memcpy(img + h.num_off, c.crl_number.p, h.num_len);
    rv = fill_entries(&c, img + h.entries_off, w, h.bucket_bits,
                      (uint32_t *)(void *)(img + h.buckets_off), release);
    if (rv != JPKI_CRLX_OK)
        return rv;
    crlx_hdr_seal(img);
    *size = h.file_size;
    return JPKI_CRLX_OK;
}
