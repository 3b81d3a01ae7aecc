/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_priv.h - internals shared by the CRL index files (private to src/jpki).
 *
 *   crl_der.c    strict DER primitives: tag/length, times, integers
 *   crl_parse.c  the CRL's structure and extensions, one entry at a time
 *   crl_build.c  issuer choice, signature check, the sorted entry table
 *   crl_file.c   the index file: layout, name, atomic write, mmap, checks
 *   crl_index.c  the public API of crl_index.h
 *
 * Index file: header, metadata (issuer, IDP, CRL number, issuer SPKI),
 * bucket table, then the sorted entries. Each entry carries a 32-bit
 * check (crlx_entry_check), which a lookup verifies for the entries its
 * answer rests on; it lies in the entry itself, so checking it costs no
 * memory access of its own.
 *
 * Index entry (fixed width E = W + 11, W = the longest serial of this CRL):
 *   [W bytes serial, big-endian, right-aligned, zero-padded]
 *   [1 byte: serial length]                       -- key = first W + 1 bytes
 *   [5 bytes revocation date, big-endian, seconds + CRLX_DATE_BIAS]
 *   [1 byte reason, 0xff = none]
 *   [4 bytes check of the 7 + W bytes before, native order]
 */
#ifndef JPKI_CRL_PRIV_H
#define JPKI_CRL_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "common/fileutil.h"
#include "jpki/crl_index.h"

#define CRLX_MAX_SERIAL 32 /* longer (RFC 5280: <= 20) -> PARSE */
#define CRLX_DATE_BIAS (INT64_C(1) << 39)
#define CRLX_NO_REASON 0xff

typedef struct {
    const uint8_t *p;
    size_t len;
} crlx_span;

/* ---- crl_der.c ---- */

/* Reads one TLV at *p (before end): single-byte tags only, definite minimal
 * lengths. On success *p moves past it. 0 or -1. (Inline: it runs ~10
 * times per CRL entry.) */
static inline int crlx_der_next(const uint8_t **p, const uint8_t *end,
                                unsigned *tag, crlx_span *val, crlx_span *tlv)
{
    const uint8_t *q = *p;
    if (q >= end || end - q < 2)
        return -1;
    unsigned t = *q++;
    if ((t & 0x1f) == 0x1f)
        return -1; /* multi-byte tags: never in a CRL */
    size_t len = *q++;
    if (len & 0x80) {
        size_t n = len & 0x7f;
        if (n == 0 || n > sizeof(size_t) || n > (size_t)(end - q))
            return -1; /* indefinite, or runs off the end */
        if (*q == 0)
            return -1; /* not minimal */
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | *q++;
        if (len < 0x80)
            return -1; /* long form for a short length */
    }
    if (len > (size_t)(end - q))
        return -1;
    if (tag)
        *tag = t;
    if (val) {
        val->p = q;
        val->len = len;
    }
    if (tlv) {
        tlv->p = *p;
        tlv->len = (size_t)(q + len - *p);
    }
    *p = q + len;
    return 0;
}

static inline int crlx_der_expect(const uint8_t **p, const uint8_t *end,
                                  unsigned tag, crlx_span *val, crlx_span *tlv)
{
    unsigned t;
    const uint8_t *q = *p;
    crlx_span v, w;
    if (crlx_der_next(&q, end, &t, &v, &w) != 0 || t != tag)
        return -1;
    if (val)
        *val = v;
    if (tlv)
        *tlv = w;
    *p = q;
    return 0;
}

/* crlx_der_expect: the same, requiring the tag. */
/* UTCTime (0x17) or GeneralizedTime (0x18), DER form ...Z, to epoch secs. */
int crlx_der_time(unsigned tag, crlx_span v, int64_t *out);
/* Serial normalisation: strip leading 0x00 octets. The sign is not kept:
 * callers pass either DER content octets (00 80 ..) or OpenSSL's
 * ASN1_INTEGER data, which is the magnitude (80 ..); both must hit. A
 * (non-conformant) negative serial thus matches its positive twin, which
 * errs towards "revoked". -1 if empty or longer than CRLX_MAX_SERIAL. */
int crlx_serial_norm(const uint8_t *s, size_t len, const uint8_t **out,
                     size_t *out_len);

/* ---- crl_parse.c ---- */

typedef struct {
    crlx_span tbs;     /* tbsCertList TLV: the signed bytes */
    crlx_span sig_alg; /* signatureAlgorithm TLV */
    crlx_span sig;     /* signature bits (unused-bits octet dropped) */
    crlx_span issuer;  /* issuer Name TLV */
    int64_t this_update, next_update;
    crlx_span revoked;    /* revokedCertificates content (may be empty) */
    crlx_span aki_keyid;  /* AKI keyIdentifier, p NULL if none */
    crlx_span idp;        /* IDP extnValue content, p NULL if none */
    crlx_span crl_number; /* cRLNumber INTEGER content, p NULL if none */
    int v2;
} crlx_crl;

typedef struct {
    const uint8_t *serial; /* normalised */
    size_t serial_len;
    int64_t date;
    int reason; /* -1 if none */
} crlx_entry_raw;

/* The CRL's outer structure and its extensions; the entries are only
 * skipped. Rejects delta/indirect CRLs and unknown critical extensions. */
jpki_crlx_rv crlx_parse(const uint8_t *der, size_t len, crlx_crl *out);
/* One entry at *p (within c->revoked); moves *p. */
jpki_crlx_rv crlx_parse_entry(const crlx_crl *c, const uint8_t **p,
                              const uint8_t *end, crlx_entry_raw *e);

/* ---- crl_build.c ---- */

/* Where a build writes: the caller provides the output buffer. */
typedef struct {
    uint8_t *(*alloc)(void *ctx, size_t size); /* the whole index file */
    void *ctx;
} crlx_sink;

typedef fu_ident crlx_ident;

/* Verifies der (already PEM-decoded) against issuers and lays out the
 * complete index (header, metadata, buckets, sorted entries) in the zeroed
 * buffer sink->alloc returns. *size gets its size. release (may be NULL) is
 * called with byte offsets of der already consumed, so a mapping can drop
 * them. */
jpki_crlx_rv crlx_build(const uint8_t *der, size_t len,
                        STACK_OF(X509) * issuers, const crlx_ident *id,
                        const crlx_sink *sink, size_t *size,
                        void (*release)(const uint8_t *from, size_t len));

/* An issuer's DER SubjectPublicKeyInfo (OPENSSL_free) and its length. */
int crlx_spki_der(X509 *x, uint8_t **der);
/* FNV-1a 64 over buf, continuing from h (start: CRLX_FNV_INIT). */
#define CRLX_FNV_INIT UINT64_C(0xcbf29ce484222325)
uint64_t crlx_fnv(uint64_t h, const void *buf, size_t len);

/* ---- crl_file.c ---- */

#define CRLX_MAGIC "JPKICRX"
/* Index formats: 2 <= 4096 buckets, interpolated lookups; 3 the keys'
 * common prefix, a search window chosen at build; 4 a check in every entry,
 * the header's check covers the bucket table; 5 the entry check is 32 bits
 * of folded products. An index of another format is rebuilt. */
#define CRLX_VERSION 5
#define CRLX_CHECK_BYTES 4  /* each entry's check (crlx_entry_check) */
#define CRLX_ENTRY_EXTRA 11 /* entry bytes besides the serial */
#define CRLX_MAX_FILE (UINT64_C(1) << 34) /* a larger index is not opened */

/* The index header, native byte order (a cache of this machine only). */
typedef struct {
    char magic[8];
    uint32_t version, hdr_size;
    uint64_t file_size;
    uint64_t crl_dev, crl_ino, crl_size;
    int64_t crl_mtime_ns, crl_ctime_ns;
    int64_t this_update, next_update;
    uint64_t entries;
    uint32_t key_width, entry_size, bucket_bits;
    uint32_t window; /* entries a lookup searches around its guess (odd,
                         * 1..CRLX_MAX_WINDOW), see crlx_window_start */
    uint32_t shift, pad;
    uint64_t check_bytes; /* of each entry's check: CRLX_CHECK_BYTES */
    uint64_t prefix;      /* every key's masked first 8 bytes share their top
                         * `shift` bits, those of prefix */
    uint64_t issuer_off, issuer_len, idp_off, idp_len, num_off, num_len;
    uint64_t buckets_off, entries_off;
    uint8_t crl_sha256[32], issuer_spki_sha256[32];
    uint64_t spki_off, spki_len; /* the verifying issuer's SPKI, DER */
    uint64_t check;              /* crlx_sum of the header (check zeroed), the
                         * metadata and the bucket table: catches damage,
                         * not forgery (the cache directory and file passed
                         * the private rules: only their owner writes) */
} crlx_hdr;

/* ---- the lookup's geometry, shared by crl_build.c and crl_index.c ---- */

#define CRLX_MAX_WINDOW 255

/* 8 bytes, big-endian, at any alignment: one load (and a byte swap). */
static inline uint64_t crlx_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#elif !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
    v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
#endif
    return v;
}

/* The part of an entry's first 8 bytes that belongs to its key (w + 1
 * bytes): keys shorter than 8 bytes are followed by the date. */
static inline uint64_t crlx_prefix_mask(size_t w)
{
    return w + 1 >= 8 ? ~UINT64_C(0) : ~UINT64_C(0) << (8 * (7 - w));
}

/* The lookup's geometry. Keys are compared on their masked first 8 bytes
 * (kp) first. All keys of an index share the top `shift` bits of kp (a
 * serial range's common prefix: leading zero bits of short or sequential
 * serials, a positive serial's clear top bit); the `bits` after them pick
 * the bucket, and the 32 after those place the key inside it. */
static inline size_t crlx_bucket(uint64_t kp, unsigned shift, unsigned bits)
{
    return bits ? (size_t)((kp << shift) >> (64 - bits)) : 0; /* shift <= 63 */
}

/* Where the search for kp starts inside its bucket [lo, lo + m): keys are
 * spread evenly, so its place is its fraction of the bucket's key range;
 * the window of `window` entries is centred there and kept inside the
 * bucket (the whole bucket when m <= window). */
static inline size_t crlx_window_start(size_t lo, size_t m, uint64_t kp,
                                       unsigned shift, unsigned bits,
                                       size_t window)
{
    if (m <= window)
        return lo;
    uint64_t frac = shift + bits < 64 ? (kp << (shift + bits)) >> 32 : 0;
    size_t guess = lo + (size_t)((frac * (uint64_t)m) >> 32),
           half = window / 2;
    size_t a = guess > lo + half ? guess - half : lo;
    return a < lo + m - window ? a : lo + m - window;
}

/* A fast 64-bit checksum of len bytes, continuing from seed: four lanes
 * of (x ^ word) * odd, x ^= x >> 29 over 32 bytes at a time (each step a
 * bijection, so a change in one word always changes its lane, and the
 * lanes are combined so that a change in one changes the result); a tail
 * is taken as the last 32 bytes (overlapping) when there are that many,
 * zero-padded otherwise. For damage, not for forgery. */
static inline uint64_t crlx_sum(uint64_t seed, const uint8_t *p, size_t len)
{
    const uint64_t k1 = UINT64_C(0xff51afd7ed558ccd),
                   k2 = UINT64_C(0xc4ceb9fe1a85ec53);
    uint64_t x[4] = { seed ^ UINT64_C(0x9e3779b97f4a7c15) ^ len,
                      seed + UINT64_C(0x27d4eb2f165667c5),
                      seed ^ UINT64_C(0x165667b19e3779f9),
                      seed + UINT64_C(0x85ebca77c2b2ae63) };
    uint64_t u[4] = { 0, 0, 0, 0 };
    for (size_t i = 0;; i += 32) {
        if (i + 32 <= len)
            memcpy(u, p + i, 32);
        else if (len >= 32)
            memcpy(u, p + len - 32, 32);
        else
            memcpy(u, p, len);
        for (int j = 0; j < 4; j++) {
            x[j] = (x[j] ^ u[j]) * (j & 1 ? k2 : k1);
            x[j] ^= x[j] >> 29;
        }
        if (i + 32 >= len)
            break;
    }
    uint64_t h = x[0] ^ (x[1] * k1 + (x[1] >> 31)) ^
                 (x[2] * k2 + (x[2] >> 27)) ^ ((x[3] << 17 | x[3] >> 47) * k1);
    h ^= h >> 32;
    h *= k2;
    return h ^ (h >> 29);
}

/* Entry i of the entry area. */
static inline const uint8_t *crlx_at(const uint8_t *ents, size_t es, size_t i)
{
    return ents + i * es;
}

/* The 64-bit product a * b folded to 64 bits (low half ^ high half):
 * every bit of a reaches most bits of the result, both above and below
 * its own place. */
static inline uint64_t crlx_fold_mul(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t al = a & 0xffffffffu, ah = a >> 32;
    uint64_t bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t lo = mid << 32 | (ll & 0xffffffffu);
    return lo ^ (hh + (lh >> 32) + (hl >> 32) + (mid >> 32));
#endif
}

/* The check of entry i (its first len = es - CRLX_CHECK_BYTES bytes,
 * 11..39), stored in its last four bytes. Each 8-byte word of the entry
 * (the last one overlapping), marked with its place (the first with i, so
 * that an entry moved elsewhere fails too), goes through a full
 * 64x64-bit product folded to 64 bits; the check is the sum of those,
 * folded to 32 bits. Every input bit thus reaches the whole check, and no
 * change to a few bytes cancels out by construction: any damage to an
 * entry passes with odds of about 1 in 4 billion. The products are
 * independent (a short dependency chain), and it reads only the entry
 * itself. (Format 4 summed plain 64-bit products and kept 16 bits: a
 * change to a word's top byte reached only the top 8 bits, so two such
 * changes could cancel, 1 time in 256.) */
static inline uint32_t crlx_entry_check(const uint8_t *rec, size_t len,
                                        uint64_t i)
{
    const uint64_t k = UINT64_C(0x9e3779b97f4a7c15),
                   m1 = UINT64_C(0xff51afd7ed558ccd),
                   m2 = UINT64_C(0xc4ceb9fe1a85ec53);
    uint64_t u, h;
    memcpy(&u, rec, 8);
    h = crlx_fold_mul(u ^ (i + 1) * m1, k);
    for (size_t o = 8; o + 8 < len; o += 8) {
        memcpy(&u, rec + o, 8);
        h += crlx_fold_mul(u ^ o * m2, k);
    }
    memcpy(&u, rec + len - 8, 8);
    h += crlx_fold_mul(u ^ ~(uint64_t)len * m2, k);
    return (uint32_t)(h ^ h >> 32);
}

static inline int crlx_entry_ok(const uint8_t *rec, size_t es, uint64_t i)
{
    uint32_t stored;
    memcpy(&stored, rec + es - CRLX_CHECK_BYTES, CRLX_CHECK_BYTES);
    return crlx_entry_check(rec, es - CRLX_CHECK_BYTES, i) == stored;
}

/* Computes hdr->check over the header and the metadata bytes in image. */
void crlx_hdr_seal(uint8_t *image);
/* Validates a whole image (sizes, offsets, check). 0 or -1. */
int crlx_image_check(const uint8_t *image, size_t size);

/* An opened index: a mapping (or heap buffer) that passed crlx_image_check.
 * Only the copies taken then are believed: the header (hdr) and the
 * metadata (meta); the bucket table and the entries are read from the
 * image, and every answer is checked against the entry checks there. */
struct jpki_crlx {
    uint8_t *image;
    size_t size;
    int mapped;
    crlx_hdr hdr;  /* the validated header, copied */
    uint8_t *meta; /* issuer .. SPKI, copied (info points here) */
    size_t window; /* hdr.window */
    jpki_crlx_info info;
};

/* The cache directory, checked (fileutil.h): a descriptor, or -1 after
 * saying once why it is not used (the caller then builds in memory). */
int crlx_cache_dir(const char *cache_dir);
/* Builds, writes and maps; or maps the existing valid index (in the
 * directory open at dirfd). */
jpki_crlx_rv crlx_file_open(const char *crl_path, STACK_OF(X509) * issuers,
                            int dirfd, uint8_t **image, size_t *size);
/* The CRL file's bytes, read (not mapped: a file that changes under the
 * build must give an error, never SIGBUS). A heap buffer, or NULL with
 * *rv set. */
uint8_t *crlx_read_crl(const char *path, size_t *len, jpki_crlx_rv *rv);
/* Builds in memory (heap). */
jpki_crlx_rv crlx_mem_build(const uint8_t *der, size_t len,
                            STACK_OF(X509) * issuers, uint8_t **image,
                            size_t *size);
/* DER of a CRL given as DER or PEM: *der points into in or to a heap
 * buffer (*owned, free with OPENSSL_free). */
jpki_crlx_rv crlx_pem_or_der(const uint8_t *in, size_t len,
                             const uint8_t **der, size_t *der_len,
                             uint8_t **owned);

#endif
