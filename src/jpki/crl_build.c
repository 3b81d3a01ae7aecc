/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_build.c - from a CRL's DER to a complete index image.
 *
 * Order matters: the outer structure is parsed, the issuer chosen (subject
 * name equal to the CRL's issuer, SKI equal to the CRL's AKI keyIdentifier
 * when it has one: every JPKI CA generation has the same name), and the
 * signature over the raw tbsCertList bytes verified, before a single entry
 * is read. Then three passes over revokedCertificates: a light one finds
 * the count and the longest serial (the entry width), a second counts the
 * entries per coarse bucket (top 12 bits of the serial), the third
 * validates every entry and writes it, fixed-width, straight into its
 * coarse bucket's next slot in the output image; each coarse bucket is then
 * sorted where it sits, and the lookup bucket table is read off the sorted
 * entries; last, every entry's check. Memory: the image plus one coarse bucket
 * and the tables.
 */
#include "jpki/crl_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#define CHUNK (size_t)(4u << 20)
#ifndef CRLX_MAX_BITS
/* A lookup interpolates inside its bucket, so buckets may be large; a
 * table of at most 4096 buckets (16 KiB) stays in cache and TLB, where
 * the former 2^17-bucket table (512 KiB, 128 pages) cost a miss of its own,
 * and lies inside the first page fault's 64 KiB with the header. 16384
 * buckets measured the same at 1M entries, faster at 5M (a window of 75
 * entries instead of 155), but a first check then faults one page more. */
#define CRLX_MAX_BITS 12
#endif

int crlx_spki_der(X509 *x, uint8_t **der)
{
    *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), der);
    return len > 0 ? len : -1;
}

uint64_t crlx_fnv(uint64_t h, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

static int issuer_matches(X509 *x, const crlx_crl *c)
{
    const unsigned char *name;
    size_t name_len;
    if (!X509_NAME_get0_der(X509_get_subject_name(x), &name, &name_len) ||
        name_len != c->issuer.len || memcmp(name, c->issuer.p, name_len) != 0)
        return 0;
    if (!c->aki_keyid.p)
        return 1;
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
    return ski && (size_t)ASN1_STRING_length(ski) == c->aki_keyid.len &&
           memcmp(ASN1_STRING_get0_data(ski), c->aki_keyid.p,
                  c->aki_keyid.len) == 0;
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
    if (!ok || md_nid == NID_undef ||
        (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL))
        return JPKI_CRLX_ERR_UNSUPPORTED; /* PSS, EdDSA, parameters: no */
    *md = EVP_get_digestbynid(md_nid);
    return *md ? JPKI_CRLX_OK : JPKI_CRLX_ERR_UNSUPPORTED;
}

typedef void (*release_fn)(const uint8_t *, size_t);

/* One pass over the whole DER: its SHA-256, and the signature over tbs
 * checked with key. 1 verified, 0 not, -1 error. */
static int hash_and_verify(const uint8_t *der, size_t len, const crlx_crl *c,
                           EVP_PKEY *key, const EVP_MD *md, uint8_t sha[32],
                           release_fn release)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new(), *sctx = EVP_MD_CTX_new();
    int ok = mctx && sctx &&
             EVP_DigestInit_ex(sctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestVerifyInit(mctx, NULL, md, NULL, key) == 1;
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

/* Finds the issuer whose key verifies the CRL; *who gets it. */
static jpki_crlx_rv check_signature(const uint8_t *der, size_t len,
                                    const crlx_crl *c,
                                    STACK_OF(X509) * issuers, uint8_t sha[32],
                                    X509 **who, release_fn release)
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
        if (v == 1) {
            *who = x;
            return JPKI_CRLX_OK;
        }
    }
    return candidates ? JPKI_CRLX_ERR_SIGNATURE : JPKI_CRLX_ERR_ISSUER;
}

/* Top `bits` bits of the serial right-aligned in a w-byte field. */
static uint32_t bucket_of_serial(const uint8_t *s, size_t len, size_t w,
                                 unsigned bits)
{
    if (bits == 0)
        return 0;
    uint32_t v = 0;
    size_t pad = w - len;
    for (size_t k = 0; k < 4; k++)
        v = v << 8 | (k < pad ? 0 : s[k - pad]);
    return v >> (32 - bits);
}

/* A light pass over the entries: only each one's serial (pass 3 validates
 * everything). counts NULL: the entry count and longest serial; otherwise
 * the number of entries per bucket. */
static jpki_crlx_rv light_pass(const crlx_crl *c, size_t w, unsigned bits,
                               uint32_t *counts, uint64_t *n, size_t *width,
                               release_fn release)
{
    const uint8_t *p = c->revoked.p, *end = p + c->revoked.len, *done = p;
    *n = 0;
    *width = 1;
    while (p < end) {
        crlx_span seq, serial;
        const uint8_t *s;
        size_t len;
        if (crlx_der_expect(&p, end, 0x30, &seq, NULL) != 0)
            return JPKI_CRLX_ERR_PARSE;
        const uint8_t *q = seq.p;
        if (crlx_der_expect(&q, seq.p + seq.len, 0x02, &serial, NULL) != 0 ||
            crlx_serial_norm(serial.p, serial.len, &s, &len) != 0)
            return JPKI_CRLX_ERR_PARSE;
        if (counts)
            counts[bucket_of_serial(s, len, w, bits)]++;
        else if (len > *width)
            *width = len;
        if (++*n >= UINT32_MAX)
            return JPKI_CRLX_ERR_UNSUPPORTED;
        if (release && (size_t)(p - done) >= CHUNK) {
            release(done, (size_t)(p - done));
            done = p;
        }
    }
    return JPKI_CRLX_OK;
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
    uint8_t t[CRLX_MAX_SERIAL + CRLX_ENTRY_EXTRA];
    memcpy(t, a, es);
    memcpy(a, b, es);
    memcpy(b, t, es);
}

static void insertion_sort(uint8_t *base, size_t n, size_t es, size_t k)
{
    uint8_t t[CRLX_MAX_SERIAL + CRLX_ENTRY_EXTRA];
    for (size_t i = 1; i < n; i++) {
        uint8_t *ri = base + i * es;
        if (memcmp(ri - es, ri, k) <= 0)
            continue;
        size_t j = i - 1;
        while (j > 0 && memcmp(base + (j - 1) * es, ri, k) > 0)
            j--;
        memcpy(t, ri, es);
        memmove(base + (j + 1) * es, base + j * es, (i - j) * es);
        memcpy(base + j * es, t, es);
    }
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
    if (n <= 64) {
        insertion_sort(base, n, es, k);
        return;
    }
    for (size_t i = n / 2; i-- > 0;)
        sift(base, es, k, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        swap_rec(base, base + end * es, es);
        sift(base, es, k, 0, end);
    }
}

static uint32_t top32(const uint8_t *rec)
{
    return (uint32_t)rec[0] << 24 | (uint32_t)rec[1] << 16 |
           (uint32_t)rec[2] << 8 | rec[3];
}

#define COARSE_BITS 12  /* scatter streams: 4096 (their cache lines fit L2) */
#define LOCAL_MAX 65536 /* larger coarse buckets (skewed serials): heapsort */

/* Sorts one coarse bucket: a counting sort on the next 8 bits through tmp
 * (a bucket's worth, cache-resident), then each tiny sub-bucket. */
static void local_sort(uint8_t *base, size_t m, size_t es, size_t k,
                       uint8_t *tmp)
{
    if (m <= 64 || !tmp || m > LOCAL_MAX) {
        sort_range(base, m, es, k);
        return;
    }
    uint32_t cnt[257] = { 0 };
    const unsigned shift = 32 - COARSE_BITS - 8;
    for (size_t i = 0; i < m; i++)
        cnt[((top32(base + i * es) >> shift) & 0xff) + 1]++;
    for (int d = 0; d < 256; d++)
        cnt[d + 1] += cnt[d];
    uint32_t pos[256];
    memcpy(pos, cnt, sizeof pos);
    for (size_t i = 0; i < m; i++) {
        const uint8_t *r = base + i * es;
        memcpy(tmp + (size_t)pos[(top32(r) >> shift) & 0xff]++ * es, r, es);
    }
    memcpy(base, tmp, m * es);
    for (int d = 0; d < 256; d++)
        sort_range(base + (size_t)cnt[d] * es, cnt[d + 1] - cnt[d], es, k);
}

/* Passes 2 and 3 and the sort: a light pass counts entries per coarse
 * bucket (top 12 bits of the serial); the full pass validates every entry
 * and writes it straight into its coarse bucket's next slot; each coarse
 * bucket is then sorted locally. */
static jpki_crlx_rv fill_entries(const crlx_crl *c, uint8_t *ents,
                                 uint32_t count, size_t w, release_fn release)
{
    size_t es = w + CRLX_ENTRY_EXTRA, nc = (size_t)1 << COARSE_BITS;
    uint32_t *cstart = calloc(nc + 1, sizeof *cstart),
             *next = calloc(nc, sizeof *next);
    uint8_t *tmp = NULL;
    uint64_t n;
    size_t unused;
    jpki_crlx_rv rv = cstart && next ? light_pass(c, w, COARSE_BITS, next, &n,
                                                  &unused, release)
                                     : JPKI_CRLX_ERR_MEMORY;
    if (rv == JPKI_CRLX_OK && n != count)
        rv = JPKI_CRLX_ERR_PARSE;
    size_t biggest = 0;
    if (rv == JPKI_CRLX_OK) {
        uint32_t sum = 0;
        for (size_t b = 0; b < nc; b++) {
            cstart[b] = sum;
            sum += next[b];
            biggest = next[b] > biggest ? next[b] : biggest;
            next[b] = cstart[b];
        }
        cstart[nc] = sum;
    }
    const uint8_t *p = c->revoked.p, *end = p + c->revoked.len, *done = p;
    while (rv == JPKI_CRLX_OK && p < end) {
        crlx_entry_raw e;
        rv = crlx_parse_entry(c, &p, end, &e);
        uint32_t b =
            rv == JPKI_CRLX_OK && e.serial_len <= w
                ? bucket_of_serial(e.serial, e.serial_len, w, COARSE_BITS)
                : 0;
        if (rv == JPKI_CRLX_OK &&
            (e.serial_len > w || next[b] >= cstart[b + 1]))
            rv = JPKI_CRLX_ERR_PARSE; /* the bytes changed between passes */
        if (rv != JPKI_CRLX_OK)
            break;
        put_entry(ents + (size_t)next[b]++ * es, w, &e);
        if (release && (size_t)(p - done) >= CHUNK) {
            release(done, (size_t)(p - done));
            done = p;
        }
    }
    if (rv == JPKI_CRLX_OK && biggest > 64 && biggest <= LOCAL_MAX)
        tmp = malloc(biggest * es);
    for (size_t b = 0; rv == JPKI_CRLX_OK && b < nc; b++)
        local_sort(ents + (size_t)cstart[b] * es, cstart[b + 1] - cstart[b],
                   es, w + 1, tmp);
    free(tmp);
    free(cstart);
    free(next);
    return rv;
}

/* The lookup table, read off the sorted entries (the geometry is in
 * crl_priv.h): the keys' common prefix, the bucket starts, and the search
 * window. The lookup bisects a fixed window around its interpolated guess
 * (a fixed size keeps it free of unpredictable branches) and falls back to
 * the rest of the bucket when the key lies outside; the window is the
 * smallest that holds CRLX_WINDOW_COVER per mille of this CRL's own
 * serials, measured here: wide for random serials, 1 for sequential ones. */
#ifndef CRLX_WINDOW_COVER
#define CRLX_WINDOW_COVER 999
#endif
static void lay_lookup(const uint8_t *ents, uint32_t count, size_t w,
                       crlx_hdr *h, uint32_t *starts)
{
    enum { HALF = CRLX_MAX_WINDOW / 2 };
    size_t es = w + CRLX_ENTRY_EXTRA, nb = (size_t)1 << h->bucket_bits;
    unsigned bits = h->bucket_bits;
    uint64_t mask = crlx_prefix_mask(w);
    uint64_t first = count ? crlx_be64(ents) & mask : 0;
    uint64_t last =
        count ? crlx_be64(ents + (size_t)(count - 1) * es) & mask : 0;
    h->shift = first == last ? 0 : (uint32_t)__builtin_clzll(first ^ last);
    h->prefix = first;
    size_t cur = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t b = crlx_bucket(crlx_be64(ents + (size_t)i * es) & mask,
                               h->shift, bits);
        while (cur <= b)
            starts[cur++] = i;
    }
    while (cur <= nb)
        starts[cur++] = count;
    /* entries by the half-width their lookup needs: a window of 2h + 1
     * centred on the guess holds entry i iff |i - guess| <= h (clamping to
     * the bucket only shifts it inwards), and holds a bucket of m entries
     * whole once 2h + 1 >= m */
    uint32_t need_h[HALF + 2] = { 0 };
    for (size_t k = 0; k < nb; k++) {
        size_t lo = starts[k], m = starts[k + 1] - lo, whole = m / 2;
        for (size_t i = lo; i < lo + m; i++) {
            uint64_t kp = crlx_be64(ents + i * es) & mask;
            size_t g = crlx_window_start(lo, m, kp, h->shift, bits, 1);
            size_t d = i > g ? i - g : g - i;
            d = d < whole ? d : whole;
            need_h[d <= HALF ? d : HALF + 1]++;
        }
    }
    uint64_t need = ((uint64_t)count * CRLX_WINDOW_COVER + 999) / 1000,
             have = 0;
    size_t half = 0;
    while (half < HALF && (have += need_h[half]) < need)
        half++;
    h->window = (uint32_t)(2 * half + 1);
}

/* Beyond CRLX_MAX_BITS buckets, only for CRLs of over 2M entries: up to
 * 16384 buckets (64 KiB), keeping buckets <= 512 entries on average. Their
 * windows stay short (75 entries instead of 155 at 5M, lookups 1.5-2x
 * faster); a first check then faults a table page of its own, which at
 * that size is worth it (bench/README.md). */
#define CRLX_BIG_MAX_BITS 14

static unsigned choose_bits(uint64_t n, size_t w)
{
    unsigned bits = 0;
    while (bits < CRLX_MAX_BITS && (UINT64_C(8) << bits) <= n)
        bits++;
    while (bits >= CRLX_MAX_BITS && bits < CRLX_BIG_MAX_BITS &&
           (UINT64_C(512) << bits) < n)
        bits++;
    return bits > 8 * w ? (unsigned)(8 * w) : bits; /* >= 8 entries/bucket */
}

static size_t align8(size_t x)
{
    return (x + 7) & ~(size_t)7;
}

jpki_crlx_rv crlx_build(const uint8_t *der, size_t len,
                        STACK_OF(X509) * issuers, const crlx_ident *id,
                        const crlx_sink *sink, size_t *size,
                        release_fn release)
{
    crlx_crl c;
    crlx_hdr h;
    memset(&h, 0, sizeof h);
    X509 *who = NULL;
    uint8_t *spki = NULL;
    int spki_len = -1;
    jpki_crlx_rv rv = crlx_parse(der, len, &c);
    if (rv == JPKI_CRLX_OK)
        rv = check_signature(der, len, &c, issuers, h.crl_sha256, &who,
                             release);
    if (rv == JPKI_CRLX_OK && (spki_len = crlx_spki_der(who, &spki)) < 0)
        rv = JPKI_CRLX_ERR_MEMORY;
    uint64_t n = 0;
    size_t w = 1;
    if (rv == JPKI_CRLX_OK)
        rv = light_pass(&c, 0, 0, NULL, &n, &w, release);
    if (rv != JPKI_CRLX_OK) {
        OPENSSL_free(spki);
        return rv;
    }
    SHA256(spki, (size_t)spki_len, h.issuer_spki_sha256);
    if (w < 4)
        w = 4; /* bucket_of reads 4 bytes */
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
    h.entry_size = (uint32_t)(w + CRLX_ENTRY_EXTRA);
    h.bucket_bits = choose_bits(n, w);
    h.issuer_off = align8(sizeof h);
    h.issuer_len = c.issuer.len;
    h.idp_off = align8(h.issuer_off + h.issuer_len);
    h.idp_len = c.idp.p ? c.idp.len : 0;
    h.num_off = align8(h.idp_off + h.idp_len);
    h.num_len = c.crl_number.p ? c.crl_number.len : 0;
    h.spki_off = align8(h.num_off + h.num_len);
    h.spki_len = (uint64_t)spki_len;
    h.buckets_off = align8(h.spki_off + h.spki_len);
    h.entries_off =
        align8(h.buckets_off + (((size_t)1 << h.bucket_bits) + 1) * 4);
    h.check_bytes = CRLX_CHECK_BYTES;
    h.file_size = h.entries_off + n * h.entry_size;
    uint8_t *img = sink->alloc(sink->ctx, h.file_size);
    if (!img) {
        OPENSSL_free(spki);
        return JPKI_CRLX_ERR_IO;
    }
    memcpy(img + h.spki_off, spki, h.spki_len);
    OPENSSL_free(spki);
    memcpy(img + h.issuer_off, c.issuer.p, h.issuer_len);
    if (h.idp_len)
        memcpy(img + h.idp_off, c.idp.p, h.idp_len);
    if (h.num_len)
        memcpy(img + h.num_off, c.crl_number.p, h.num_len);
    rv = fill_entries(&c, img + h.entries_off, (uint32_t)n, w, release);
    if (rv != JPKI_CRLX_OK)
        return rv;
    lay_lookup(img + h.entries_off, (uint32_t)n, w, &h,
               (uint32_t *)(void *)(img + h.buckets_off));
    for (uint64_t i = 0; i < n; i++) {
        uint8_t *rec = img + h.entries_off + i * h.entry_size;
        uint32_t check =
            crlx_entry_check(rec, h.entry_size - CRLX_CHECK_BYTES, i);
        memcpy(rec + h.entry_size - CRLX_CHECK_BYTES, &check,
               CRLX_CHECK_BYTES);
    }
    memcpy(img, &h, sizeof h);
    crlx_hdr_seal(img);
    *size = h.file_size;
    return JPKI_CRLX_OK;
}
