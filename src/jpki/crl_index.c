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
 */
#include "jpki/crl_priv.h"

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
    case JPKI_CRLX_ERR_PARSE: return "not a valid CRL (truncated, garbage or bad DER/PEM)";
    case JPKI_CRLX_ERR_ISSUER: return "no given issuer matches the CRL's issuer and key identifier";
    case JPKI_CRLX_ERR_SIGNATURE: return "the CRL's signature does not verify";
    case JPKI_CRLX_ERR_UNSUPPORTED:
        return "unsupported CRL (delta, indirect, or an unknown critical extension)";
    }
    return "unknown error";
}

static jpki_crlx_rv wrap(uint8_t *image, size_t size, int mapped, jpki_crlx **out)
{
    jpki_crlx *x = calloc(1, sizeof *x);
    if (!x) {
        if (mapped)
            munmap(image, size);
        else
            free(image);
        return JPKI_CRLX_ERR_MEMORY;
    }
    const crlx_hdr *h = (const crlx_hdr *)(const void *)image;
    x->image = image;
    x->size = size;
    x->mapped = mapped;
    x->info.this_update = h->this_update;
    x->info.next_update = h->next_update;
    x->info.issuer = image + h->issuer_off;
    x->info.issuer_len = h->issuer_len;
    x->info.idp = h->idp_len ? image + h->idp_off : NULL;
    x->info.idp_len = h->idp_len;
    x->info.crl_number = h->num_len ? image + h->num_off : NULL;
    x->info.crl_number_len = h->num_len;
    memcpy(x->info.issuer_spki_sha256, h->issuer_spki_sha256, 32);
    memcpy(x->info.crl_sha256, h->crl_sha256, 32);
    x->info.entries = h->entries;
    x->window = h->window;
    *out = x;
    return JPKI_CRLX_OK;
}

jpki_crlx_rv jpki_crlx_open_mem(const uint8_t *crl, size_t len, STACK_OF(X509) *issuers,
                                jpki_crlx **out)
{
    if (!crl || !out || !issuers)
        return JPKI_CRLX_ERR_ARGS;
    *out = NULL;
    uint8_t *image;
    size_t size;
    jpki_crlx_rv rv = crlx_mem_build(crl, len, issuers, &image, &size);
    return rv == JPKI_CRLX_OK ? wrap(image, size, 0, out) : rv;
}

/* No cache: the file mapped (or read) and indexed in memory. */
static jpki_crlx_rv open_uncached(const char *path, STACK_OF(X509) *issuers, jpki_crlx **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return JPKI_CRLX_ERR_IO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return JPKI_CRLX_ERR_IO;
    }
    if (st.st_size == 0) {
        close(fd);
        return JPKI_CRLX_ERR_PARSE;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return JPKI_CRLX_ERR_IO;
    jpki_crlx_rv rv = jpki_crlx_open_mem(m, (size_t)st.st_size, issuers, out);
    munmap(m, (size_t)st.st_size);
    return rv;
}

jpki_crlx_rv jpki_crlx_open(const char *crl_path, STACK_OF(X509) *issuers,
                            const char *cache_dir, jpki_crlx **out)
{
    if (!crl_path || !issuers || !out)
        return JPKI_CRLX_ERR_ARGS;
    *out = NULL;
    if (!cache_dir)
        return open_uncached(crl_path, issuers, out);
    uint8_t *image;
    size_t size;
    jpki_crlx_rv rv = crlx_file_open(crl_path, issuers, cache_dir, &image, &size);
    return rv == JPKI_CRLX_OK ? wrap(image, size, 1, out) : rv;
}

const jpki_crlx_info *jpki_crlx_get_info(const jpki_crlx *x)
{
    return x ? &x->info : NULL;
}

static jpki_crlx_rv found(const uint8_t *rec, size_t w, jpki_crlx_entry *out)
{
    uint64_t d = 0;
    for (int i = 0; i < 5; i++)
        d = d << 8 | rec[w + 1 + i];
    out->revoked = 1;
    out->revocation_date = (int64_t)d - CRLX_DATE_BIAS;
    out->reason = rec[w + 6] == CRLX_NO_REASON ? -1 : rec[w + 6];
    return JPKI_CRLX_OK;
}

/* The first position in [base, base + n] whose key prefix is >= kp. No
 * branch depends on the data (a conditional move per step, n fixed per
 * index), so the CPU does not stall on mispredictions and can start the
 * caller's next lookup while this one waits for memory. */
static size_t lower_bound(const uint8_t *ents, size_t es, size_t base, size_t n, uint64_t kp,
                          uint64_t mask)
{
    if (n == 0)
        return base;
    while (n > 1) {
        size_t half = n / 2;
        base = (crlx_be64(ents + (base + half - 1) * es) & mask) < kp ? base + half : base;
        n -= half;
    }
    return base + ((crlx_be64(ents + base * es) & mask) < kp);
}

jpki_crlx_rv jpki_crlx_lookup(const jpki_crlx *x, const uint8_t *serial, size_t serial_len,
                              jpki_crlx_entry *out)
{
    const uint8_t *s;
    size_t len;
    if (!x || !serial || !out)
        return JPKI_CRLX_ERR_ARGS;
    out->revoked = 0;
    out->revocation_date = 0;
    out->reason = -1;
    if (crlx_serial_norm(serial, serial_len, &s, &len) != 0)
        return serial_len ? JPKI_CRLX_OK : JPKI_CRLX_ERR_ARGS;  /* too long: not listed */
    const crlx_hdr *h = (const crlx_hdr *)(const void *)x->image;
    size_t w = h->key_width, es = h->entry_size;
    if (len > w)
        return JPKI_CRLX_OK;
    uint8_t key[CRLX_MAX_SERIAL + 8] = { 0 };
    memcpy(key + w - len, s, len);
    key[w] = (uint8_t)len;
    uint64_t mask = crlx_prefix_mask(w), kp = crlx_be64(key) & mask;
    unsigned shift = h->shift, bits = h->bucket_bits;
    if (shift && (kp ^ h->prefix) >> (64 - shift))
        return JPKI_CRLX_OK;            /* outside the listed serials' range */
    const uint32_t *b = (const uint32_t *)(const void *)(x->image + h->buckets_off);
    size_t k = crlx_bucket(kp, shift, bits), lo = b[k], hi = b[k + 1];
    if (hi > h->entries)
        hi = h->entries;                /* a damaged table cannot send us out */
    if (lo >= hi)
        return JPKI_CRLX_OK;
    /* One memory round trip: the cache lines of the window and of the entry
     * on each side of it at once, then a branch-free bisection; the rest of
     * the bucket only when a neighbour shows the key lies beyond (about 1 in
     * 1000 listed serials, by the build's choice of window). */
    const uint8_t *ents = x->image + h->entries_off;
    size_t a = crlx_window_start(lo, hi - lo, kp, shift, bits, x->window);
    size_t n = hi - lo < x->window ? hi - lo : x->window;
    const uint8_t *p = ents + (a > lo ? a - 1 : a) * es;
    const uint8_t *e = ents + (a + n < hi ? a + n + 1 : a + n) * es;
    for (p -= (uintptr_t)p % 64; p < e; p += 64)
        __builtin_prefetch(p);
    size_t pos = lower_bound(ents, es, a, n, kp, mask);
    if (pos == a && a > lo && (crlx_be64(ents + (a - 1) * es) & mask) >= kp)
        pos = lower_bound(ents, es, lo, a - 1 - lo, kp, mask);
    else if (pos == a + n && a + n < hi && (crlx_be64(ents + (a + n) * es) & mask) < kp)
        pos = lower_bound(ents, es, a + n + 1, hi - a - n - 1, kp, mask);
    if (pos == hi || (crlx_be64(ents + pos * es) & mask) != kp)
        return JPKI_CRLX_OK;
    int c = memcmp(ents + pos * es, key, w + 1);
    if (c == 0)
        return found(ents + pos * es, w, out);
    if (c > 0 || pos + 1 == hi || (crlx_be64(ents + (pos + 1) * es) & mask) != kp)
        return JPKI_CRLX_OK;
    /* Serials sharing their first 8 key bytes: bisect the rest on the whole
     * key (O(log n) however many share them). */
    for (lo = pos + 1; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        c = memcmp(ents + mid * es, key, w + 1);
        if (c == 0)
            return found(ents + mid * es, w, out);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return JPKI_CRLX_OK;
}

void jpki_crlx_close(jpki_crlx *x)
{
    if (!x)
        return;
    if (x->mapped)
        munmap(x->image, x->size);
    else
        free(x->image);
    free(x);
}
