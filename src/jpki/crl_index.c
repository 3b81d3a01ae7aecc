/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_index.c - the public face of the CRL index (crl_index.h): open an
 * index (cached file or in memory), describe it, look serials up.
 *
 * A lookup reads a small bucket table (<= 4096 buckets, 16 KiB: it stays
 * in cache and TLB) on the serial's top bits, interpolates the serial's
 * place inside its bucket, fetches the fixed window of entries around the
 * guess that the build chose (crl_build.c) in one go and bisects it without
 * data-dependent branches (or, if the key lies outside, the rest of the
 * bucket): one random entry page in the common case, O(log n) always, no
 * allocation.
 *
 * Damage: an answer rests on at most two entries - the one found, or the
 * two neighbours between which the serial would lie - and the lookup
 * checks exactly those (their own checks, and that they do bracket the
 * serial) before it answers. A damaged entry or bucket table, even one
 * changed after the open, thus gives JPKI_CRLX_ERR_DAMAGED ("revocation
 * unknown" for the caller), never "not revoked". Only the header and
 * metadata copied at open are believed (crl_priv.h).
 */
#include "jpki/crl_priv.h"

#include "common/log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *jpki_crlx_strerror(jpki_crlx_rv rv)
{
    switch (rv) {
    case JPKI_CRLX_OK: return "ok";
    case JPKI_CRLX_ERR_ARGS: return "invalid arguments";
    case JPKI_CRLX_ERR_MEMORY: return "out of memory";
    case JPKI_CRLX_ERR_IO: return "CRL unreadable or CRL cache unwritable";
    case JPKI_CRLX_ERR_PARSE:
        return "not a valid CRL (truncated, garbage or bad DER/PEM)";
    case JPKI_CRLX_ERR_ISSUER:
        return "no given issuer matches the CRL's issuer and key identifier";
    case JPKI_CRLX_ERR_SIGNATURE: return "the CRL's signature does not verify";
    case JPKI_CRLX_ERR_UNSUPPORTED:
        return "unsupported CRL (delta, indirect, or an unknown critical "
               "extension)";
    case JPKI_CRLX_ERR_DAMAGED:
        return "the CRL index is damaged (revocation unknown)";
    }
    return "unknown error";
}

static void drop_image(uint8_t *image, size_t size, int mapped)
{
    if (mapped)
        munmap(image, size);
    else
        free(image);
}

/* image passed crlx_image_check: from here on only copies of its header
 * and metadata are believed. */
static jpki_crlx_rv wrap(uint8_t *image, size_t size, int mapped,
                         jpki_crlx **out)
{
    jpki_crlx *x = calloc(1, sizeof *x);
    if (x)
        memcpy(&x->hdr, image, sizeof x->hdr);
    const crlx_hdr *h = &x->hdr;
    if (x && !(x->meta = malloc(h->buckets_off - h->issuer_off + 1))) {
        free(x);
        x = NULL;
    }
    if (!x) {
        drop_image(image, size, mapped);
        return JPKI_CRLX_ERR_MEMORY;
    }
    memcpy(x->meta, image + h->issuer_off, h->buckets_off - h->issuer_off);
    if (crlx_image_check(image, size) != 0 ||
        memcmp(&x->hdr, image, sizeof x->hdr) != 0) {
        jpki_crlx_close(x); /* changed since it was checked */
        drop_image(image, size, mapped);
        return JPKI_CRLX_ERR_DAMAGED;
    }
    const uint8_t *meta = x->meta - h->issuer_off;
    x->image = image;
    x->size = size;
    x->mapped = mapped;
    x->info.this_update = h->this_update;
    x->info.next_update = h->next_update;
    x->info.issuer = meta + h->issuer_off;
    x->info.issuer_len = h->issuer_len;
    x->info.idp = h->idp_len ? meta + h->idp_off : NULL;
    x->info.idp_len = h->idp_len;
    x->info.crl_number = h->num_len ? meta + h->num_off : NULL;
    x->info.crl_number_len = h->num_len;
    memcpy(x->info.issuer_spki_sha256, h->issuer_spki_sha256, 32);
    memcpy(x->info.crl_sha256, h->crl_sha256, 32);
    x->info.entries = h->entries;
    x->window = h->window;
    *out = x;
    return JPKI_CRLX_OK;
}

jpki_crlx_rv jpki_crlx_open_mem(const uint8_t *crl, size_t len,
                                STACK_OF(X509) * issuers, jpki_crlx **out)
{
    if (!crl || !out || !issuers)
        return JPKI_CRLX_ERR_ARGS;
    *out = NULL;
    uint8_t *image;
    size_t size;
    jpki_crlx_rv rv = crlx_mem_build(crl, len, issuers, &image, &size);
    return rv == JPKI_CRLX_OK ? wrap(image, size, 0, out) : rv;
}

/* No cache (none wanted, or its directory failed the private rules): the
 * file read and indexed in memory. */
static jpki_crlx_rv open_uncached(const char *path, STACK_OF(X509) * issuers,
                                  jpki_crlx **out)
{
    size_t len = 0;
    jpki_crlx_rv rv;
    uint8_t *crl = crlx_read_crl(path, &len, &rv);
    if (!crl)
        return rv;
    rv = jpki_crlx_open_mem(crl, len, issuers, out);
    free(crl);
    return rv;
}

jpki_crlx_rv jpki_crlx_open(const char *crl_path, STACK_OF(X509) * issuers,
                            const char *cache_dir, jpki_crlx **out)
{
    if (!crl_path || !issuers || !out)
        return JPKI_CRLX_ERR_ARGS;
    *out = NULL;
    int dirfd = cache_dir ? crlx_cache_dir(cache_dir) : -1;
    if (dirfd < 0)
        return open_uncached(crl_path, issuers, out);
    uint8_t *image;
    size_t size;
    jpki_crlx_rv rv = crlx_file_open(crl_path, issuers, dirfd, &image, &size);
    close(dirfd);
    return rv == JPKI_CRLX_OK ? wrap(image, size, 1, out) : rv;
}

const jpki_crlx_info *jpki_crlx_get_info(const jpki_crlx *x)
{
    return x ? &x->info : NULL;
}

/* Compares an entry's key with key (prefix kp): the 8-byte prefixes
 * first, the whole key only when they are equal. */
static inline int key_cmp(const uint8_t *rec, const uint8_t *key, size_t kw,
                          uint64_t kp, uint64_t mask)
{
    uint64_t rp = crlx_be64(rec) & mask;
    return rp != kp ? (rp < kp ? -1 : 1) : memcmp(rec, key, kw);
}

/* The answer for key, whose place in the sorted entries is ip (its first
 * position, or where it would be inserted): it rests on the entry at ip
 * (equal: listed) or on the entries at ip - 1 and ip (below and above it:
 * not listed). Those are checked, their own checks too. */
static inline __attribute__((always_inline)) jpki_crlx_rv settle(
    const jpki_crlx *x, size_t ip, const uint8_t *key, uint64_t kp,
    uint64_t mask, jpki_crlx_entry *out)
{
    const crlx_hdr *h = &x->hdr;
    const uint8_t *ents = x->image + h->entries_off;
    size_t es = h->entry_size, kw = h->key_width + 1, n = h->entries;
    const uint8_t *rec = ip < n ? crlx_at(ents, es, ip) : NULL;
    int above = rec ? key_cmp(rec, key, kw, kp, mask) : 1;
    if (above == 0) {
        if (!crlx_entry_ok(rec, es, ip))
            return JPKI_CRLX_ERR_DAMAGED;
        uint64_t d = 0;
        for (int i = 0; i < 5; i++)
            d = d << 8 | rec[kw + i];
        out->revoked = 1;
        out->revocation_date = (int64_t)d - CRLX_DATE_BIAS;
        out->reason = rec[kw + 5] == CRLX_NO_REASON ? -1 : rec[kw + 5];
        return JPKI_CRLX_OK;
    }
    const uint8_t *below = ip > 0 ? crlx_at(ents, es, ip - 1) : NULL;
    if (above < 0 || (below && key_cmp(below, key, kw, kp, mask) >= 0))
        return JPKI_CRLX_ERR_DAMAGED; /* they do not bracket it: not sorted */
    if ((rec && !crlx_entry_ok(rec, es, ip)) ||
        (below && !crlx_entry_ok(below, es, ip - 1)))
        return JPKI_CRLX_ERR_DAMAGED;
    return JPKI_CRLX_OK;
}

/* The first position in [base, base + n] whose key prefix is >= kp. No
 * branch depends on the data (a conditional move per step, n fixed per
 * index), so the CPU does not stall on mispredictions and can start the
 * caller's next lookup while this one waits for memory. */
static inline __attribute__((always_inline)) size_t lower_bound(
    const uint8_t *ents, size_t es, size_t base, size_t n, uint64_t kp,
    uint64_t mask)
{
    if (n == 0)
        return base;
    while (n > 1) {
        size_t half = n / 2;
        base = (crlx_be64(crlx_at(ents, es, base + half - 1)) & mask) < kp
                   ? base + half
                   : base;
        n -= half;
    }
    return base + ((crlx_be64(crlx_at(ents, es, base)) & mask) < kp);
}

jpki_crlx_rv jpki_crlx_lookup(const jpki_crlx *x, const uint8_t *serial,
                              size_t serial_len, jpki_crlx_entry *out)
{
    const uint8_t *s;
    size_t len;
    if (!x || !serial || !out)
        return JPKI_CRLX_ERR_ARGS;
    out->revoked = 0;
    out->revocation_date = 0;
    out->reason = -1;
    if (crlx_serial_norm(serial, serial_len, &s, &len) != 0)
        return serial_len ? JPKI_CRLX_OK
                          : JPKI_CRLX_ERR_ARGS; /* too long: not listed */
    const crlx_hdr *h = &x->hdr; /* the validated copy, never the file's */
    size_t w = h->key_width, es = h->entry_size;
    if (len > w)
        return JPKI_CRLX_OK; /* longer than every listed serial */
    uint8_t key[CRLX_MAX_SERIAL + 8] = { 0 };
    memcpy(key + w - len, s, len);
    key[w] = (uint8_t)len;
    uint64_t mask = crlx_prefix_mask(w), kp = crlx_be64(key) & mask;
    unsigned shift = h->shift, bits = h->bucket_bits;
    if (shift && (kp ^ h->prefix) >> (64 - shift))
        return JPKI_CRLX_OK; /* outside the listed serials' range */
    const uint32_t *b =
        (const uint32_t *)(const void *)(x->image + h->buckets_off);
    size_t k = crlx_bucket(kp, shift, bits), lo = b[k], hi = b[k + 1];
    if (hi > h->entries)
        hi = h->entries; /* a damaged table cannot send us out */
    if (lo > hi)
        lo = hi; /* (and settle then sees the damage) */
    if (lo == hi)
        return settle(x, lo, key, kp, mask, out);
    /* One memory round trip: the cache lines of the window and of the entry
     * on each side of it at once, then a branch-free bisection; the rest of
     * the bucket only when a neighbour shows the key lies beyond (about 1 in
     * 1000 listed serials, by the build's choice of window). */
    const uint8_t *ents = x->image + h->entries_off;
    size_t a = crlx_window_start(lo, hi - lo, kp, shift, bits, x->window);
    size_t n = hi - lo < x->window ? hi - lo : x->window;
    const uint8_t *p = crlx_at(ents, es, a > lo ? a - 1 : a);
    const uint8_t *e = crlx_at(ents, es, a + n < hi ? a + n + 1 : a + n);
    for (p -= (uintptr_t)p % 64; p < e; p += 64)
        __builtin_prefetch(p);
    size_t pos = lower_bound(ents, es, a, n, kp, mask);
    if (pos == a && a > lo &&
        (crlx_be64(crlx_at(ents, es, a - 1)) & mask) >= kp)
        pos = lower_bound(ents, es, lo, a - 1 - lo, kp, mask);
    else if (pos == a + n && a + n < hi &&
             (crlx_be64(crlx_at(ents, es, a + n)) & mask) < kp)
        pos = lower_bound(ents, es, a + n + 1, hi - a - n - 1, kp, mask);
    if (pos == hi || (crlx_be64(crlx_at(ents, es, pos)) & mask) != kp ||
        memcmp(crlx_at(ents, es, pos), key, w + 1) >= 0)
        return settle(x, pos, key, kp, mask, out);
    /* Serials sharing their first 8 key bytes: bisect the rest on the whole
     * key (O(log n) however many share them) for the first >= key. */
    for (lo = pos + 1; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(crlx_at(ents, es, mid), key, w + 1) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return settle(x, lo, key, kp, mask, out);
}

void jpki_crlx_close(jpki_crlx *x)
{
    if (!x)
        return;
    if (x->image)
        drop_image(x->image, x->size, x->mapped);
    free(x->meta);
    free(x);
}
