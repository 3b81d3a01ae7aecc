/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache.c - a card's public files on disk, so that the next process (the
 * next pkcs11-tool, the next browser start) needs no READ BINARY at all.
 *
 * What proves "same card", cheaply: the reader's insertion identity
 * (reader_identity: for PC/SC the reader name, pcscd's per-reader count of
 * insertions and removals, the ATR and the pcscd process's pid file; for
 * the emulator the image file's path, inode, size and mtime). It costs no
 * APDU. pcscd raises the counter at every insertion and every removal, so
 * as long as one pcscd process lives, another card - or the same card
 * pulled out and pushed back - always has another identity; a new pcscd
 * process has another pid file (inode, mtime, pid). The card's own
 * contents are never needed to tell cards apart, which is why a warm open
 * reads no file at all.
 *
 * Why it is safe: a cache file is named by a hash of the identity and
 * holds the identity itself, compared in full at load; its contents are
 * covered by a SHA-256 checksum, so a truncated or damaged file is ignored
 * (and rewritten at the next read from the card). Only public data is
 * stored (token info, authentication certificate, the two CA
 * certificates, the certificate map EF 0008, and what was learnt about the
 * card, such as a refused command form), in a directory of the user (0700), files 0600, written
 * to a temporary file, fsynced and renamed into place. The directory and
 * the file must pass the private rules of common/fileutil.h (owner, mode,
 * no symlink, regular file, size): a directory another user could write
 * is not used at all (logged once), a file that fails is ignored.
 *
 * Worst case: the identity repeats for another card. That needs pcscd's
 * 16-bit counter to wrap (32768 insertions in one reader within one pcscd
 * lifetime) while another card with the same ATR sits in that reader, or
 * a pid file rewritten within the same nanosecond with the same inode and
 * pid. The module would then show the other card's public certificates
 * for this card: the token's serial and labels are wrong and a signature
 * made with the card's key does not verify under the shown certificate -
 * no secret leaks, nothing is signed that the user did not ask for, and
 * pulling the card out and in again (or `cache = off`) clears it. An
 * attacker who can write the user's cache directory can already run code
 * as that user. Without an identity (no pid file, other backends) nothing
 * is cached.
 */
#include "jpki/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/fileutil.h"
#include "common/log.h"
#include "jpki/card_priv.h"

#define MAGIC "JPKI-PKCS11 CACHE 1\n"
#define MAX_FILE (256u * 1024u)
#define MAX_ENTRY 0x7FFFu
#define N_PUBLIC 7
/* An insertion identity never comes back once the card is out, so old
 * files are only litter: a file untouched this long is removed when
 * another is written (a card left in its reader that long costs one
 * re-read). */
#define PRUNE_AGE_S (7 * 24 * 3600)

/* The files that may be cached: public data only (and the card id, a hash
 * of the authentication certificate's issuer and serial number, and the
 * facts learnt about the card, cardfacts.c). */
static const uint16_t public_fids[N_PUBLIC] = {
    EF_TOKEN_INFO,      EF_AUTH_CERT, EF_AUTH_CA,           EF_SIGN_CA,
    JPKI_CACHE_CARD_ID, EF_CERT_MAP,  JPKI_CACHE_CARD_FACTS
};

struct jpki_cache {
    char *identity;
    int dirfd;           /* the checked cache directory (fileutil.h) */
    char name[40];       /* "card-<hash>" inside it */
    char path[PATH_MAX]; /* for the log */
    uint8_t *data[N_PUBLIC];
    size_t len[N_PUBLIC];
    int dirty; /* entries not yet on disk */
};

static char g_setting[PATH_MAX];

void jpki_cache_configure(const char *setting)
{
    snprintf(g_setting, sizeof(g_setting), "%s", setting ? setting : "");
}

static int slot_of(uint16_t fid)
{
    int i;

    for (i = 0; i < N_PUBLIC; i++)
        if (public_fids[i] == fid)
            return i;
    return -1;
}

/* ---- the directory ------------------------------------------------------ */

/* Says once per process why the cache directory is not used. */
static void refuse_dir(const char *dir, const char *why)
{
    static int said;

    if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
        return;
    JLOG_ERR("cache directory %s not used (%s): nothing is cached and no "
             "CRL index is kept on disk",
             dir, why);
}

/* The configured (or default) directory's path; -1 when the cache is off
 * or there is none. */
static int cache_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;

    if (strcmp(g_setting, "off") == 0)
        return -1;
    if (g_setting[0])
        n = snprintf(out, cap, "%s", g_setting);
    else if (xdg && xdg[0] == '/')
        n = snprintf(out, cap, "%s/jpki-pkcs11", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, cap, "%s/.cache/jpki-pkcs11", home);
    else
        return -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* The cache directory, opened and checked (fileutil.h): its descriptor,
 * or -1 (the reason logged once). */
static int cache_dir(char *out, size_t cap)
{
    const char *why = NULL;
    int fd;

    if (cache_path(out, cap) != 0)
        return -1;
    if ((fd = fu_private_dir(out, 1, &why)) < 0)
        refuse_dir(out, why);
    return fd;
}

const char *jpki_cache_crl_dir(char *buf, size_t len)
{
    char dir[PATH_MAX];
    int fd = cache_dir(dir, sizeof(dir));

    if (fd < 0)
        return NULL;
    close(fd);
    return (size_t)snprintf(buf, len, "%s/crl", dir) < len ? buf : NULL;
}

/* ---- the file ------------------------------------------------------------ */

static int sha256(const uint8_t *p, size_t n, uint8_t md[32])
{
    unsigned int len = 0;

    return EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) == 1 && len == 32
               ? 0
               : -1;
}

static uint32_t get_be(const uint8_t *p, int n)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be(uint8_t *p, uint32_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Parses a whole file into c; -1 (and nothing kept) if anything is off. */
static int parse(jpki_cache *c, const uint8_t *buf, size_t n)
{
    size_t ml = strlen(MAGIC), il = strlen(c->identity), off;
    uint8_t md[32];
    int i;

    if (n < ml + il + 1 + 32 || memcmp(buf, MAGIC, ml) != 0 ||
        sha256(buf, n - 32, md) != 0 || memcmp(md, buf + n - 32, 32) != 0)
        return -1;
    if (memcmp(buf + ml, c->identity, il) != 0 || buf[ml + il] != '\n')
        return -1; /* another card's file under a colliding name */
    n -= 32;
    for (off = ml + il + 1; off < n;) {
        uint16_t fid;
        uint32_t len;
        if (n - off < 6)
            return -1;
        fid = (uint16_t)get_be(buf + off, 2);
        len = get_be(buf + off + 2, 4);
        off += 6;
        i = slot_of(fid);
        if (i < 0 || c->data[i] || len == 0 || len > MAX_ENTRY ||
            len > n - off)
            return -1;
        if (!(c->data[i] = malloc(len)))
            return -1;
        memcpy(c->data[i], buf + off, len);
        c->len[i] = len;
        off += len;
    }
    return 0;
}

static void drop_entries(jpki_cache *c)
{
    int i;

    for (i = 0; i < N_PUBLIC; i++) {
        free(c->data[i]);
        c->data[i] = NULL;
        c->len[i] = 0;
    }
}

static void load(jpki_cache *c)
{
    uint8_t *buf;
    struct stat st;
    const char *why = NULL;
    int fd = fu_open_private(c->dirfd, c->name, MAX_FILE, &st, &why);

    if (fd < 0) {
        if (errno != ENOENT) /* not cached yet: nothing to say */
            JLOG_WARN("cache file %s ignored: %s", c->path, why);
        return;
    }
    if (st.st_size <= 0 || !(buf = malloc((size_t)st.st_size))) {
        close(fd);
        return;
    }
    if (fu_read_all(fd, buf, (size_t)st.st_size) != 0 ||
        parse(c, buf, (size_t)st.st_size) != 0) {
        drop_entries(c);
        JLOG_WARN("cache file %s is damaged: ignored, rewritten at the next "
                  "read",
                  c->path);
    }
    close(fd);
    free(buf);
}

jpki_cache *jpki_cache_open(const char *identity)
{
    char dir[PATH_MAX];
    uint8_t md[32];
    jpki_cache *c;
    int i, n, dfd;

    if (!identity || !identity[0] || strchr(identity, '\n') ||
        sha256((const uint8_t *)identity, strlen(identity), md) != 0 ||
        (dfd = cache_dir(dir, sizeof(dir))) < 0)
        return NULL;
    if (!(c = calloc(1, sizeof(*c))) || !(c->identity = strdup(identity))) {
        free(c);
        close(dfd);
        return NULL;
    }
    c->dirfd = dfd;
    n = snprintf(c->name, sizeof(c->name), "card-");
    for (i = 0; i < 16; i++)
        n += snprintf(c->name + n, sizeof(c->name) - (size_t)n, "%02x", md[i]);
    if ((size_t)snprintf(c->path, sizeof(c->path), "%s/%s", dir, c->name) >=
        sizeof(c->path)) {
        jpki_cache_free(c);
        return NULL;
    }
    load(c);
    return c;
}

void jpki_cache_free(jpki_cache *c)
{
    if (!c)
        return;
    drop_entries(c);
    if (c->dirfd >= 0)
        close(c->dirfd);
    free(c->identity);
    free(c);
}

int jpki_cache_get(const jpki_cache *c, uint16_t fid, const uint8_t **p,
                   size_t *len)
{
    int i = slot_of(fid);

    if (!c || i < 0 || !c->data[i])
        return 0;
    *p = c->data[i];
    *len = c->len[i];
    return 1;
}

/* The file's bytes: magic, identity, entries, checksum. */
static uint8_t *serialize(const jpki_cache *c, size_t *out_len)
{
    size_t ml = strlen(MAGIC), il = strlen(c->identity), n = ml + il + 1 + 32;
    size_t off;
    uint8_t *buf;
    int i;

    for (i = 0; i < N_PUBLIC; i++)
        if (c->data[i])
            n += 6 + c->len[i];
    if (!(buf = malloc(n)))
        return NULL;
    memcpy(buf, MAGIC, ml);
    memcpy(buf + ml, c->identity, il);
    buf[ml + il] = '\n';
    off = ml + il + 1;
    for (i = 0; i < N_PUBLIC; i++) {
        if (!c->data[i])
            continue;
        put_be(buf + off, public_fids[i], 2);
        put_be(buf + off + 2, (uint32_t)c->len[i], 4);
        memcpy(buf + off + 6, c->data[i], c->len[i]);
        off += 6 + c->len[i];
    }
    if (sha256(buf, off, buf + off) != 0) {
        free(buf);
        return NULL;
    }
    *out_len = n;
    return buf;
}

static void prune(int dirfd, const char *keep)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    time_t now = time(NULL);

    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strncmp(e->d_name, "card-", 5) != 0 ||
            strcmp(e->d_name, keep) == 0)
            continue;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && st.st_mtime + PRUNE_AGE_S < now)
            unlinkat(dirfd, e->d_name, 0);
    }
    closedir(d);
}

/* An atomic replacement in the checked directory (fileutil.h): a reader
 * sees the old file or the new one, never a part. */
static int save(const jpki_cache *c)
{
    size_t len = 0;
    uint8_t *buf = serialize(c, &len);
    int ok = buf && fu_atomic_replace(c->dirfd, c->name, buf, len) == 0;

    free(buf);
    if (ok)
        prune(c->dirfd, c->name);
    return ok ? 0 : -1;
}

void jpki_cache_put(jpki_cache *c, uint16_t fid, const uint8_t *p, size_t len)
{
    int i = slot_of(fid);
    uint8_t *copy;

    if (!c || i < 0 || !p || !len || len > MAX_ENTRY)
        return; /* the signature certificate never comes here */
    if (c->data[i] && c->len[i] == len && memcmp(c->data[i], p, len) == 0)
        return;
    if (!(copy = malloc(len)))
        return;
    memcpy(copy, p, len);
    free(c->data[i]);
    c->data[i] = copy;
    c->len[i] = len;
    c->dirty = 1;
}

void jpki_cache_flush(jpki_cache *c)
{
    if (!c || !c->dirty)
        return;
    c->dirty = 0;
    if (save(c) != 0)
        JLOG_WARN("cannot write the cache file %s: %s", c->path,
                  strerror(errno));
}

/* ---- renewals: the authentication certificate a card showed last ------- */

/* "seen-<hash of the chip serial>" holds the SHA-256 of the authentication
 * certificate the card showed last (a digest of public data, 32 bytes). The
 * insertion identity above changes at every insertion, so it cannot tell a
 * renewed card from another card; the chip serial, which a renewal keeps,
 * can. The prune above leaves these files alone (one per card, 32 bytes). */
int jpki_cache_cert_changed(const char *chip_serial, const uint8_t md[32])
{
    char dir[PATH_MAX], name[40];
    uint8_t key[32], old[32];
    struct stat st;
    const char *why = NULL;
    int dfd, fd, i, n, changed = 0;

    if (!chip_serial || !chip_serial[0] ||
        sha256((const uint8_t *)chip_serial, strlen(chip_serial), key) != 0 ||
        (dfd = cache_dir(dir, sizeof(dir))) < 0)
        return -1;
    n = snprintf(name, sizeof(name), "seen-");
    for (i = 0; i < 16; i++)
        n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x", key[i]);
    fd = fu_open_private(dfd, name, sizeof(old), &st, &why);
    if (fd >= 0) {
        changed = st.st_size == (off_t)sizeof(old) &&
                  fu_read_all(fd, old, sizeof(old)) == 0 &&
                  memcmp(old, md, sizeof(old)) != 0;
        close(fd);
        if (!changed && st.st_size == (off_t)sizeof(old)) {
            close(dfd);
            return 0; /* the same certificate: nothing to write */
        }
    }
    if (fu_atomic_replace(dfd, name, md, 32) != 0)
        JLOG_WARN("cannot write %s/%s: %s", dir, name, strerror(errno));
    close(dfd);
    return changed;
}
