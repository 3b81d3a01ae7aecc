/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_file.c - the index file in the cache directory.
 *
 * Name: "<cache_dir>/crl-<128-bit FNV-1a of the CRL's realpath>.idx",
 * so a warm open finds it without reading the CRL. Whether it still
 * describes the CRL is decided by the CRL file's identity recorded in the
 * header (device, inode, size, mtime and ctime in ns): a replaced or
 * rewritten CRL changes at least one of them, and the index is rebuilt.
 * The CRL's own SHA-256 is in the header too (computed during the build,
 * never on a warm open).
 *
 * Write: the image is built in anonymous memory (transparent huge pages:
 * first-touch faults of 4 KiB pages are slow on virtual machines), written
 * to a temporary file in the cache directory, fsync, rename over the old
 * name, fsync of the directory; then the file is mapped read-only.
 * A crash at any point leaves the previous index (or none) in place; the
 * writer holds a flock on its temporary file, so the next build of the
 * same index can tell a dead writer's leftover (unlocked, and untouched
 * for a minute) from a live one and removes it.
 *
 * Read: mmap read-only; the header, every size and offset, and a checksum
 * over header and metadata are checked before anything is believed; the
 * verifying issuer's SPKI (stored whole) must be among the given issuers
 * (no hashing and no OpenSSL digest on this path: it is the warm first
 * check, whose budget is a fraction of a millisecond); a bad
 * or truncated file is rebuilt. Lookups clamp bucket bounds, so even an
 * entry table damaged later cannot make them read outside the mapping.
 */
#include "jpki/crl_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

void (*crlx_test_mid_write_hook)(void);

static uint64_t meta_check(const uint8_t *image)
{
    crlx_hdr h;
    memcpy(&h, image, sizeof h);
    h.check = 0;
    uint64_t c = crlx_fnv(CRLX_FNV_INIT, &h, sizeof h);
    return crlx_fnv(c, image + h.issuer_off, h.buckets_off - h.issuer_off);
}

void crlx_hdr_seal(uint8_t *image)
{
    crlx_hdr *h = (crlx_hdr *)(void *)image;
    h->check = meta_check(image);
}

static int span_ok(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
    return off >= lo && off <= hi && len <= hi - off;
}

int crlx_image_check(const uint8_t *image, size_t size)
{
    crlx_hdr h;
    if (size < sizeof h)
        return -1;
    memcpy(&h, image, sizeof h);
    if (memcmp(h.magic, CRLX_MAGIC, sizeof CRLX_MAGIC) != 0 || h.version != CRLX_VERSION
        || h.hdr_size != sizeof h || h.file_size != size)
        return -1;
    if (h.key_width < 4 || h.key_width > CRLX_MAX_SERIAL || h.entry_size != h.key_width + 7
        || h.bucket_bits > 20 || h.entries >= UINT32_MAX || h.window % 2 != 1
        || h.window > CRLX_MAX_WINDOW || h.shift > 63)
        return -1;
    uint64_t nb = (UINT64_C(1) << h.bucket_bits) + 1;
    if (!span_ok(h.issuer_off, h.issuer_len, sizeof h, size)
        || !span_ok(h.idp_off, h.idp_len, h.issuer_off + h.issuer_len, size)
        || !span_ok(h.num_off, h.num_len, h.idp_off + h.idp_len, size)
        || !span_ok(h.spki_off, h.spki_len, h.num_off + h.num_len, size)
        || !span_ok(h.buckets_off, nb * 4, h.spki_off + h.spki_len, size)
        || h.buckets_off % 4 != 0
        || !span_ok(h.entries_off, h.entries * h.entry_size, h.buckets_off + nb * 4, size)
        || h.entries_off + h.entries * h.entry_size != size)
        return -1;
    if (meta_check(image) != h.check)
        return -1;
    const uint32_t *b = (const uint32_t *)(const void *)(image + h.buckets_off);
    return b[0] == 0 && b[nb - 1] == h.entries ? 0 : -1;
}

jpki_crlx_rv crlx_pem_or_der(const uint8_t *in, size_t len, const uint8_t **der,
                             size_t *der_len, uint8_t **owned)
{
    size_t i = 0;
    *owned = NULL;
    while (i < len && (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n'))
        i++;
    if (len - i < 10 || memcmp(in + i, "-----BEGIN", 10) != 0) {
        *der = in;
        *der_len = len;
        return JPKI_CRLX_OK;
    }
    if (len > INT_MAX)
        return JPKI_CRLX_ERR_PARSE;
    BIO *bio = BIO_new_mem_buf(in, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long dlen = 0;
    int ok = bio && PEM_read_bio(bio, &name, &header, &data, &dlen) == 1
        && strcmp(name, "X509 CRL") == 0 && dlen > 0;
    BIO_free(bio);
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (!ok) {
        OPENSSL_free(data);
        return JPKI_CRLX_ERR_PARSE;
    }
    *owned = data;
    *der = data;
    *der_len = (size_t)dlen;
    return JPKI_CRLX_OK;
}

/* ---- building ---------------------------------------------------------- */

static uint8_t *heap_alloc(void *ctx, size_t size)
{
    uint8_t **out = ctx;
    *out = calloc(1, size);
    return *out;
}

jpki_crlx_rv crlx_mem_build(const uint8_t *in, size_t len, STACK_OF(X509) *issuers,
                            uint8_t **image, size_t *size)
{
    const uint8_t *der;
    size_t der_len;
    uint8_t *owned;
    *image = NULL;
    jpki_crlx_rv rv = crlx_pem_or_der(in, len, &der, &der_len, &owned);
    if (rv != JPKI_CRLX_OK)
        return rv;
    crlx_sink sink = { heap_alloc, image };
    rv = crlx_build(der, der_len, issuers, NULL, &sink, size, NULL);
    OPENSSL_free(owned);
    if (rv != JPKI_CRLX_OK) {
        free(*image);
        *image = NULL;
    }
    return rv;
}

/* Drops already-read pages of the CRL mapping from this process (the page
 * cache keeps them), so peak RSS does not include the whole CRL. */
static void release_behind(const uint8_t *from, size_t len)
{
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)from & ~(pg - 1), b = ((uintptr_t)from + len) & ~(pg - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

typedef struct {
    uint8_t *map;
    size_t size;
} anon_sink;

static uint8_t *anon_alloc(void *ctx, size_t size)
{
    anon_sink *s = ctx;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    madvise(m, size, MADV_HUGEPAGE);
    s->map = m;
    s->size = size;
    return m;
}

/* Written in 64 KiB pieces: the page cache sizes its folios by the write,
 * and a lookup's page fault maps the whole folio (up to 2 MiB, with one
 * PMD when aligned) into the checking process. Small folios keep a check's
 * memory growth to the fault-around window. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, p, len > 65536 ? 65536 : len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static int mkdir_0700(const char *dir)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (!slash || slash == parent)
        return -1;
    *slash = '\0';
    if (mkdir_0700(parent) != 0)
        return -1;
    return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static int index_path(const char *crl_path, const char *cache_dir, char *out, size_t outlen)
{
    char real[PATH_MAX];
    if (!realpath(crl_path, real))
        return -1;
    uint64_t a = crlx_fnv(CRLX_FNV_INIT, real, strlen(real));
    uint64_t b = crlx_fnv(a ^ UINT64_C(0x9e3779b97f4a7c15), real, strlen(real));
    int n = snprintf(out, outlen, "%s/crl-%016llx%016llx.idx", cache_dir, (unsigned long long)a,
                     (unsigned long long)b);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static void ident_of(const struct stat *st, crlx_ident *id)
{
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = st->st_size;
    id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    id->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* Maps an index file read-only for lookups: no readahead; the header,
 * metadata and (<= 16 KiB) bucket table come in with the first fault, a
 * lookup then touches one entry page in the common case. */
static void *map_index(int fd, size_t size)
{
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED)
        madvise(m, size, MADV_RANDOM);
    return m;
}

/* The existing index, if valid, for this very CRL file and these issuers. */
static int try_existing(const char *idx, const crlx_ident *id, STACK_OF(X509) *issuers,
                        uint8_t **image, size_t *size)
{
    int fd = open(idx, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    void *m = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(crlx_hdr))
        m = map_index(fd, (size_t)st.st_size);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    const crlx_hdr *h = m;
    int ok = crlx_image_check(m, (size_t)st.st_size) == 0 && h->crl_dev == (uint64_t)id->dev
        && h->crl_ino == (uint64_t)id->ino && h->crl_size == (uint64_t)id->size
        && h->crl_mtime_ns == id->mtime_ns && h->crl_ctime_ns == id->ctime_ns;
    int found = 0;
    for (int i = 0; ok && !found && i < sk_X509_num(issuers); i++) {
        uint8_t *spki;
        int len = crlx_spki_der(sk_X509_value(issuers, i), &spki);
        found = len > 0 && (uint64_t)len == h->spki_len
            && memcmp(spki, (const uint8_t *)m + h->spki_off, (size_t)len) == 0;
        OPENSSL_free(spki);
    }
    if (!ok || !found) {
        munmap(m, (size_t)st.st_size);
        return -1;
    }
    *image = m;
    *size = (size_t)st.st_size;
    return 0;
}

static int sync_dir(const char *cache_dir)
{
    int fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Removes "<idx>.tmp.*" files that a killed build left behind: a live
 * writer holds its file's flock from creation to rename, and writes to it
 * all along; a file unlocked and a minute old has no writer. */
static void remove_dead_temps(const char *cache_dir, const char *idx)
{
    const char *base = strrchr(idx, '/') ? strrchr(idx, '/') + 1 : idx;
    size_t blen = strlen(base);
    DIR *d = opendir(cache_dir);
    struct dirent *de;
    time_t now = time(NULL);

    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, base, blen) != 0 || strncmp(de->d_name + blen, ".tmp.", 5) != 0)
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= 60
            && flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlinkat(dirfd(d), de->d_name, 0);
        close(fd);
    }
    if (d)
        closedir(d);
}

/* Builds the index of the CRL open at crl_fd into a new file at idx. */
static jpki_crlx_rv build_file(int crl_fd, const crlx_ident *id, STACK_OF(X509) *issuers,
                               const char *cache_dir, const char *idx, uint8_t **image,
                               size_t *size)
{
    if (id->size <= 0)
        return JPKI_CRLX_ERR_PARSE;
    uint8_t *in = mmap(NULL, (size_t)id->size, PROT_READ, MAP_PRIVATE, crl_fd, 0);
    if (in == MAP_FAILED)
        return JPKI_CRLX_ERR_IO;
    const uint8_t *der;
    size_t der_len;
    uint8_t *owned;
    jpki_crlx_rv rv = crlx_pem_or_der(in, (size_t)id->size, &der, &der_len, &owned);
    if (rv != JPKI_CRLX_OK) {
        munmap(in, (size_t)id->size);
        return rv;
    }
    anon_sink s = { NULL, 0 };
    crlx_sink sink = { anon_alloc, &s };
    rv = crlx_build(der, der_len, issuers, id, &sink, size, owned ? NULL : release_behind);
    OPENSSL_free(owned);
    munmap(in, (size_t)id->size);
    struct stat st;                     /* the bytes indexed are the bytes verified */
    crlx_ident now;
    if (rv == JPKI_CRLX_OK && fstat(crl_fd, &st) == 0) {
        ident_of(&st, &now);
        if (now.dev != id->dev || now.ino != id->ino || now.size != id->size
            || now.mtime_ns != id->mtime_ns || now.ctime_ns != id->ctime_ns)
            rv = JPKI_CRLX_ERR_IO;      /* the CRL changed during the import */
    }
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", idx);
    if (rv == JPKI_CRLX_OK)
        remove_dead_temps(cache_dir, idx);
    int fd = rv == JPKI_CRLX_OK ? mkostemp(tmp, O_CLOEXEC) : -1;
    if (rv == JPKI_CRLX_OK && (fd < 0 || flock(fd, LOCK_EX) != 0))
        rv = JPKI_CRLX_ERR_IO;
    if (rv == JPKI_CRLX_OK && write_all(fd, s.map, s.size / 2) != 0)
        rv = JPKI_CRLX_ERR_IO;
    if (rv == JPKI_CRLX_OK && crlx_test_mid_write_hook)
        crlx_test_mid_write_hook();
    if (rv == JPKI_CRLX_OK && (write_all(fd, s.map + s.size / 2, s.size - s.size / 2) != 0
                               || fsync(fd) != 0 || rename(tmp, idx) != 0
                               || sync_dir(cache_dir) != 0))
        rv = JPKI_CRLX_ERR_IO;
    if (s.map)
        munmap(s.map, s.size);
    void *m = MAP_FAILED;
    if (rv == JPKI_CRLX_OK) {           /* the renamed file, read-only */
        m = map_index(fd, *size);
        if (m == MAP_FAILED)
            rv = JPKI_CRLX_ERR_IO;
    } else if (fd >= 0) {
        unlink(tmp);
    }
    if (fd >= 0)
        close(fd);
    if (rv != JPKI_CRLX_OK)
        return rv;
    *image = m;
    return JPKI_CRLX_OK;
}

jpki_crlx_rv crlx_file_open(const char *crl_path, STACK_OF(X509) *issuers,
                            const char *cache_dir, uint8_t **image, size_t *size)
{
    char idx[PATH_MAX];
    struct stat st;
    crlx_ident id;
    int fd = open(crl_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return JPKI_CRLX_ERR_IO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
        || index_path(crl_path, cache_dir, idx, sizeof idx) != 0) {
        close(fd);
        return JPKI_CRLX_ERR_IO;
    }
    ident_of(&st, &id);
    jpki_crlx_rv rv = JPKI_CRLX_OK;
    if (try_existing(idx, &id, issuers, image, size) != 0)      /* the warm path: no mkdir */
        rv = mkdir_0700(cache_dir) != 0 ? JPKI_CRLX_ERR_IO
                                        : build_file(fd, &id, issuers, cache_dir, idx, image, size);
    close(fd);
    return rv;
}
