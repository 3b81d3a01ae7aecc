/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_index.c - the public face of the CRL index (crl_index.h): open an
 * index (cached file or in memory), describe it, look serials up.
 *
 * A lookup reads a small bucket table (<= 4096 buckets, 16 KiB: it stays
 * in cache and TLB) on the serial's top bits, interpolates the serial's
 * place inside its bucket, fetches a window of +-sqrt(bucket size) entries
 * around the guess in one go and bisects it (or, if the key lies outside,
 * the rest of the bucket): one random entry page in the common case,
 * O(log n) always, no allocation.
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

static int cmp_at(const uint8_t *ents, size_t i, size_t es, const uint8_t *key, size_t w)
{
    return memcmp(ents + i * es, key, w + 1);
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
    uint8_t key[CRLX_MAX_SERIAL + 1] = { 0 };
    memcpy(key + w - len, s, len);
    key[w] = (uint8_t)len;
    const uint32_t *b = (const uint32_t *)(const void *)(x->image + h->buckets_off);
    uint64_t top = 0;
    for (int i = 0; i < 8; i++)
        top = top << 8 | key[i];
    unsigned bits = h->bucket_bits;
    size_t lo = b[bits ? top >> (64 - bits) : 0], hi = b[(bits ? top >> (64 - bits) : 0) + 1];
    if (hi > h->entries)
        hi = h->entries;                /* a damaged table cannot send us out */
    if (lo >= hi)
        return JPKI_CRLX_OK;
    const uint8_t *ents = x->image + h->entries_off;
    /* Interpolate: serials are spread evenly, so the key's place inside
     * its bucket is its fraction of the bucket's key range. */
    uint64_t frac = (bits ? top << bits : top) >> 32;
    size_t i = lo + (size_t)((frac * (uint64_t)(hi - lo)) >> 32);
    /* The guess is off by ~sqrt(m)/2 entries for m entries in the bucket:
     * ask for the cache lines of +-sqrt(m) entries at once (one memory
     * round trip instead of a chain of dependent misses), then bisect
     * that window, or the rest of the bucket if the key lies outside. */
    size_t m = hi - lo, r = 2;
    while (r * r < m)
        r *= 2;
    for (size_t d = r / 4; d; d /= 2)   /* down to ~ceil(sqrt(m)), r >= 2 */
        if ((r - d) * (r - d) >= m)
            r -= d;
    size_t a = i > lo + r ? i - r : lo, z = i + r + 1 < hi ? i + r + 1 : hi;
    for (const uint8_t *p = ents + a * es; p < ents + z * es; p += 64)
        __builtin_prefetch(p);
    int c;
    if (a > lo && (c = cmp_at(ents, a, es, key, w)) >= 0) {
        if (c == 0)
            return found(ents + a * es, w, out);
        hi = a;                         /* below the window */
    } else {
        if (a > lo)
            lo = a + 1;
        if (z < hi && (c = cmp_at(ents, z - 1, es, key, w)) <= 0) {
            if (c == 0)
                return found(ents + (z - 1) * es, w, out);
            lo = z;                     /* above the window */
        } else if (z < hi) {
            hi = z - 1;
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        c = cmp_at(ents, mid, es, key, w);
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
