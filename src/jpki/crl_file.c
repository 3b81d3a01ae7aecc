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
 * Trust: the identity and the issuer key are public, so the index is only
 * as good as the directory it lies in. The directory must pass the private
 * rules of common/fileutil.h (ours, writable by nobody else, no symlink),
 * and the index file those for a file (regular, ours, not group/other
 * writable, size capped; opened O_NOFOLLOW | O_NONBLOCK, so a FIFO cannot
 * hang us), both reached through the directory's descriptor. A directory
 * that fails is not used at all: the caller builds the index in memory and
 * the reason is logged once.
 *
 * Write: the image is built in anonymous memory (transparent huge pages:
 * first-touch faults of 4 KiB pages are slow on virtual machines), written
 * to a temporary file in the cache directory, fsync, rename over the old
 * name, fsync of the directory (fileutil.h); then the file is mapped.
 * A crash at any point leaves the previous index (or none) in place; the
 * writer holds a flock on its temporary file, so the next build of the
 * same index can tell a dead writer's leftover (unlocked, and untouched
 * for a minute) from a live one and removes it.
 *
 * The CRL is never mapped while it is indexed: it is copied first (into an
 * unnamed file in the cache directory, which nobody else can reach, or
 * read into memory), so a CRL truncated under the build gives an error
 * instead of SIGBUS.
 *
 * Read: mmap MAP_PRIVATE, read-only; the header, every size and offset,
 * and a checksum over header, metadata and bucket table are checked before
 * anything is believed, and the header and metadata are then copied
 * (crl_index.c uses only the copies); the verifying issuer's SPKI (stored
 * whole) must be among the given issuers (no hashing and no OpenSSL digest
 * on this path: it is the warm first check, whose budget is a fraction of
 * a millisecond); a bad or truncated file is rebuilt. The entries are
 * checked lazily: each lookup verifies the checks of the entries its
 * answer rests on (crl_index.c). What is assumed: only the owner can write
 * or truncate the file (its owner and mode were checked); if the owner
 * rewrites it while it is open, lookups see damage and answer "unknown";
 * if the owner truncates it in place (this module never does: it renames
 * a new file over the name), a lookup may fault. Reading the index into
 * memory instead would cost its size at every open (bench/README.md).
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

#include "common/log.h"

#include "jpki/test_hooks.h"

static void (*mid_write_hook)(void); /* tests only: test_hooks.h */

void jpki_test_set_crlx_mid_write_hook(void (*hook)(void))
{
    mid_write_hook = hook;
}

static uint64_t meta_check(const uint8_t *image)
{
    crlx_hdr h;
    memcpy(&h, image, sizeof h);
    h.check = 0;
    uint64_t c = crlx_sum(0, (const uint8_t *)&h, sizeof h);
    return crlx_sum(c, image + h.issuer_off, h.entries_off - h.issuer_off);
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
    if (memcmp(h.magic, CRLX_MAGIC, sizeof CRLX_MAGIC) != 0 ||
        h.version != CRLX_VERSION || h.hdr_size != sizeof h ||
        h.file_size != size)
        return -1;
    if (h.key_width < 4 || h.key_width > CRLX_MAX_SERIAL ||
        h.entry_size != h.key_width + CRLX_ENTRY_EXTRA || h.bucket_bits > 20 ||
        h.entries >= UINT32_MAX || h.window % 2 != 1 ||
        h.window > CRLX_MAX_WINDOW || h.shift > 63)
        return -1;
    uint64_t nb = (UINT64_C(1) << h.bucket_bits) + 1;
    if (!span_ok(h.issuer_off, h.issuer_len, sizeof h, size) ||
        !span_ok(h.idp_off, h.idp_len, h.issuer_off + h.issuer_len, size) ||
        !span_ok(h.num_off, h.num_len, h.idp_off + h.idp_len, size) ||
        !span_ok(h.spki_off, h.spki_len, h.num_off + h.num_len, size) ||
        !span_ok(h.buckets_off, nb * 4, h.spki_off + h.spki_len, size) ||
        h.buckets_off % 4 != 0 || h.check_bytes != CRLX_CHECK_BYTES ||
        !span_ok(h.entries_off, h.entries * h.entry_size,
                 h.buckets_off + nb * 4, size) ||
        h.entries_off + h.entries * h.entry_size != size)
        return -1;
    if (meta_check(image) != h.check)
        return -1;
    const uint32_t *b =
        (const uint32_t *)(const void *)(image + h.buckets_off);
    return b[0] == 0 && b[nb - 1] == h.entries ? 0 : -1;
}

jpki_crlx_rv crlx_pem_or_der(const uint8_t *in, size_t len,
                             const uint8_t **der, size_t *der_len,
                             uint8_t **owned)
{
    size_t i = 0;
    *owned = NULL;
    while (i < len &&
           (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n'))
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
    int ok = bio && PEM_read_bio(bio, &name, &header, &data, &dlen) == 1 &&
             strcmp(name, "X509 CRL") == 0 && dlen > 0;
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

jpki_crlx_rv crlx_mem_build(const uint8_t *in, size_t len,
                            STACK_OF(X509) * issuers, uint8_t **image,
                            size_t *size)
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
    uintptr_t a = (uintptr_t)from & ~(pg - 1),
              b = ((uintptr_t)from + len) & ~(pg - 1);
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
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    madvise(m, size, MADV_HUGEPAGE);
    s->map = m;
    s->size = size;
    return m;
}

/* The index's file name (written in 64 KiB pieces by fu_write_all: the
 * page cache sizes its folios by the write, and a lookup's page fault maps
 * the whole folio into the checking process; small folios keep a check's
 * memory growth to the fault-around window). */
static int index_name(const char *crl_path, char *out, size_t outlen)
{
    char real[PATH_MAX];
    if (!realpath(crl_path, real))
        return -1;
    uint64_t a = crlx_fnv(CRLX_FNV_INIT, real, strlen(real));
    uint64_t b =
        crlx_fnv(a ^ UINT64_C(0x9e3779b97f4a7c15), real, strlen(real));
    int n = snprintf(out, outlen, "crl-%016llx%016llx.idx",
                     (unsigned long long)a, (unsigned long long)b);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int crlx_cache_dir(const char *cache_dir)
{
    static int said;
    const char *why = NULL;
    int fd = fu_private_dir(cache_dir, 0, &why);
    if (fd < 0 && why && strcmp(why, "missing") == 0)
        fd = fu_private_dir(cache_dir, 1, &why);
    if (fd < 0 && !__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
        JLOG_ERR(
            "CRL cache directory %s not used (%s): CRLs are indexed in memory",
            cache_dir, why ? why : "unusable");
    return fd;
}

/* Maps an index file privately and read-only for lookups: no readahead;
 * the header, metadata and (<= 16 KiB) bucket table come in with the first
 * fault, a lookup then touches one entry page in the common case. */
static void *map_index(int fd, size_t size)
{
    void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED)
        madvise(m, size, MADV_RANDOM);
    return m;
}

/* The existing index, if valid, for this very CRL file and these issuers. */
static int try_existing(int dirfd, const char *idx, const crlx_ident *id,
                        STACK_OF(X509) * issuers, uint8_t **image,
                        size_t *size)
{
    struct stat st;
    const char *why = NULL;
    int fd = fu_open_private(dirfd, idx, CRLX_MAX_FILE, &st, &why);
    if (fd < 0) {
        if (errno != ENOENT)
            JLOG_WARN("CRL index %s not trusted (%s): rebuilt", idx, why);
        return -1;
    }
    void *m = MAP_FAILED;
    if (st.st_size >= (off_t)sizeof(crlx_hdr))
        m = map_index(fd, (size_t)st.st_size);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    crlx_hdr h; /* checked below, from this copy only */
    memcpy(&h, m, sizeof h);
    int ok = crlx_image_check(m, (size_t)st.st_size) == 0 &&
             memcmp(&h, m, sizeof h) == 0 && h.crl_dev == id->dev &&
             h.crl_ino == id->ino && h.crl_size == id->size &&
             h.crl_mtime_ns == id->mtime_ns && h.crl_ctime_ns == id->ctime_ns;
    int found = 0;
    for (int i = 0; ok && !found && i < sk_X509_num(issuers); i++) {
        uint8_t *spki;
        int len = crlx_spki_der(sk_X509_value(issuers, i), &spki);
        found =
            len > 0 && (uint64_t)len == h.spki_len &&
            memcmp(spki, (const uint8_t *)m + h.spki_off, (size_t)len) == 0;
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

/* Removes "<idx>.tmp.*" files that a killed build left behind: a live
 * writer holds its file's flock from creation to rename, and writes to it
 * all along; a file unlocked and a minute old has no writer. */
static void remove_dead_temps(int dirfd, const char *base)
{
    size_t blen = strlen(base);
    int dfd = dup(dirfd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d && dfd >= 0)
        close(dfd);
    struct dirent *de;
    time_t now = time(NULL);

    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, base, blen) != 0 ||
            strncmp(de->d_name + blen, ".tmp.", 5) != 0)
            continue;
        int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            now - st.st_mtime >= 60 && flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlinkat(dirfd, de->d_name, 0);
        close(fd);
    }
    if (d)
        closedir(d);
}

/* The CRL's bytes as they are now, never a mapping of the CRL file itself:
 * copied into an unnamed file in the cache directory and mapped from there
 * (the page cache holds it, and release_behind can drop what was read), or
 * read into anonymous memory when that is not possible. The CRL must still
 * have identity id afterwards. */
typedef struct {
    uint8_t *p;
    size_t len;
    int file; /* 1: a mapping of the private copy */
} crl_copy;

static jpki_crlx_rv copy_crl(int crl_fd, const crlx_ident *id, int dirfd,
                             crl_copy *c)
{
    struct stat st;
    crlx_ident now;
    size_t len = (size_t)id->size;
    c->p = MAP_FAILED;
    c->len = len;
    c->file = 0;
    int t = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (t >= 0) {
        loff_t in = 0;
        size_t got = 0;
        ssize_t k = 1;
        while (got < len &&
               (k = copy_file_range(crl_fd, &in, t, NULL, len - got, 0)) > 0)
            got += (size_t)k;
        if (got == len && fstat(t, &st) == 0 && (uint64_t)st.st_size == len)
            c->p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, t, 0);
        c->file = c->p != MAP_FAILED;
        close(t);
    }
    if (c->p == MAP_FAILED) {
        c->p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (c->p == MAP_FAILED)
            return JPKI_CRLX_ERR_MEMORY;
        if (pread(crl_fd, c->p, len, 0) != (ssize_t)len) {
            munmap(c->p, len);
            return JPKI_CRLX_ERR_IO; /* shorter than it was: changed */
        }
    }
    if (fstat(crl_fd, &st) != 0 ||
        (fu_ident_of(&st, &now), !fu_ident_same(&now, id))) {
        munmap(c->p, len);
        return JPKI_CRLX_ERR_IO; /* the CRL changed while it was copied */
    }
    return JPKI_CRLX_OK;
}

/* Builds the index of the CRL open at crl_fd into a new file idx in the
 * directory open at dirfd. */
static jpki_crlx_rv build_file(int crl_fd, const crlx_ident *id,
                               STACK_OF(X509) * issuers, int dirfd,
                               const char *idx, uint8_t **image, size_t *size)
{
    if (id->size == 0)
        return JPKI_CRLX_ERR_PARSE;
    crl_copy in;
    jpki_crlx_rv rv = copy_crl(crl_fd, id, dirfd, &in);
    if (rv != JPKI_CRLX_OK)
        return rv;
    const uint8_t *der;
    size_t der_len;
    uint8_t *owned;
    rv = crlx_pem_or_der(in.p, in.len, &der, &der_len, &owned);
    if (rv != JPKI_CRLX_OK) {
        munmap(in.p, in.len);
        return rv;
    }
    anon_sink s = { NULL, 0 };
    crlx_sink sink = { anon_alloc, &s };
    rv = crlx_build(der, der_len, issuers, id, &sink, size,
                    owned || !in.file ? NULL : release_behind);
    OPENSSL_free(owned);
    munmap(in.p, in.len);
    fu_atomic a = { .fd = -1 };
    if (rv == JPKI_CRLX_OK)
        remove_dead_temps(dirfd, idx);
    if (rv == JPKI_CRLX_OK &&
        (fu_atomic_begin(&a, dirfd, idx) != 0 || flock(a.fd, LOCK_EX) != 0))
        rv = JPKI_CRLX_ERR_IO;
    if (rv == JPKI_CRLX_OK && fu_write_all(a.fd, s.map, s.size / 2) != 0)
        rv = JPKI_CRLX_ERR_IO;
    if (rv == JPKI_CRLX_OK && mid_write_hook)
        mid_write_hook();
    if (rv == JPKI_CRLX_OK &&
        fu_write_all(a.fd, s.map + s.size / 2, s.size - s.size / 2) != 0)
        rv = JPKI_CRLX_ERR_IO;
    if (rv == JPKI_CRLX_OK && fu_atomic_commit(&a) != 0) {
        close(a.fd); /* the temporary file is gone */
        a.fd = -1;
        rv = JPKI_CRLX_ERR_IO;
    }
    if (s.map)
        munmap(s.map, s.size);
    void *m = MAP_FAILED;
    if (rv == JPKI_CRLX_OK) { /* the renamed file, read-only */
        m = map_index(a.fd, *size);
        if (m == MAP_FAILED)
            rv = JPKI_CRLX_ERR_IO;
        close(a.fd);
    } else {
        fu_atomic_abort(&a);
    }
    if (rv != JPKI_CRLX_OK)
        return rv;
    *image = m;
    return JPKI_CRLX_OK;
}

jpki_crlx_rv crlx_file_open(const char *crl_path, STACK_OF(X509) * issuers,
                            int dirfd, uint8_t **image, size_t *size)
{
    char idx[64];
    struct stat st;
    crlx_ident id;
    int fd = fu_open_regular(crl_path, &st, NULL);
    if (fd < 0)
        return JPKI_CRLX_ERR_IO;
    if (index_name(crl_path, idx, sizeof idx) != 0) {
        close(fd);
        return JPKI_CRLX_ERR_IO;
    }
    fu_ident_of(&st, &id);
    jpki_crlx_rv rv = JPKI_CRLX_OK;
    if (try_existing(dirfd, idx, &id, issuers, image, size) != 0)
        rv = build_file(fd, &id, issuers, dirfd, idx, image, size);
    close(fd);
    return rv;
}

uint8_t *crlx_read_crl(const char *path, size_t *len, jpki_crlx_rv *rv)
{
    struct stat st;
    uint8_t *buf = NULL;
    int fd = fu_open_regular(path, &st, NULL);
    *rv = JPKI_CRLX_ERR_IO;
    if (fd < 0)
        return NULL;
    if (st.st_size == 0)
        *rv = JPKI_CRLX_ERR_PARSE;
    else if ((uint64_t)st.st_size > SIZE_MAX / 2 ||
             !(buf = malloc((size_t)st.st_size)))
        *rv = JPKI_CRLX_ERR_MEMORY;
    else if (fu_read_all(fd, buf, (size_t)st.st_size) != 0) {
        free(buf); /* shorter than it was: changed */
        buf = NULL;
    } else {
        *len = (size_t)st.st_size;
        *rv = JPKI_CRLX_OK;
    }
    close(fd);
    return buf;
}
