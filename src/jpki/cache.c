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
 * certificates), in a directory of the user (0700), files 0600, written
 * to a temporary file, fsynced and renamed into place.
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

#include "common/log.h"
#include "jpki/card_priv.h"

#define MAGIC "JPKI-PKCS11 CACHE 1\n"
#define MAX_FILE (256u * 1024u)
#define MAX_ENTRY 0x7FFFu
#define N_PUBLIC 5
/* An insertion identity never comes back once the card is out, so old
 * files are only litter: a file untouched this long is removed when
 * another is written (a card left in its reader that long costs one
 * re-read). */
#define PRUNE_AGE_S (7 * 24 * 3600)

/* The files that may be cached: public data only (and the card id, a hash
 * of the authentication certificate's issuer and serial number). */
static const uint16_t public_fids[N_PUBLIC] = { EF_TOKEN_INFO, EF_AUTH_CERT,
                                                EF_AUTH_CA, EF_SIGN_CA,
                                                JPKI_CACHE_CARD_ID };

struct jpki_cache {
    char *identity;
    char path[PATH_MAX];
    uint8_t *data[N_PUBLIC];
    size_t len[N_PUBLIC];
    int dirty;              /* entries not yet on disk */
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

/* mkdir that accepts an existing directory. */
static int make_dir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* The directory exists, is ours and is 0700 (tightened if it was looser). */
static int own_private_dir(const char *dir)
{
    struct stat st;

    if (make_dir(dir) != 0 || lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != geteuid())
        return -1;
    if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) != 0)
        return -1;
    return 0;
}

static int cache_dir(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[PATH_MAX];

    if (strcmp(g_setting, "off") == 0)
        return -1;
    if (g_setting[0]) {
        if ((size_t)snprintf(out, cap, "%s", g_setting) >= cap)
            return -1;
        return own_private_dir(out);
    }
    if (xdg && xdg[0] == '/') {
        snprintf(base, sizeof(base), "%s", xdg);
    } else if (home && home[0] == '/') {
        if ((size_t)snprintf(base, sizeof(base), "%s/.cache", home) >=
            sizeof(base))
            return -1;
    } else {
        return -1;
    }
    if (make_dir(base) != 0 ||
        (size_t)snprintf(out, cap, "%s/jpki-pkcs11", base) >= cap)
        return -1;
    return own_private_dir(out);
}

/* ---- the file ------------------------------------------------------------ */

static int sha256(const uint8_t *p, size_t n, uint8_t md[32])
{
    unsigned int len = 0;

    return EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) == 1 && len == 32
               ? 0 : -1;
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
    size_t got = 0;
    int fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return; /* not cached yet */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid() || st.st_size <= 0 ||
        (size_t)st.st_size > MAX_FILE ||
        !(buf = malloc((size_t)st.st_size))) {
        close(fd);
        return;
    }
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (got != (size_t)st.st_size || parse(c, buf, got) != 0) {
        drop_entries(c);
        JLOG_WARN("cache file %s is damaged: ignored, rewritten at the next "
                  "read", c->path);
    }
    free(buf);
}

jpki_cache *jpki_cache_open(const char *identity)
{
    char dir[PATH_MAX];
    uint8_t md[32];
    jpki_cache *c;
    int i, n;

    if (!identity || !identity[0] || strchr(identity, '\n') ||
        cache_dir(dir, sizeof(dir)) != 0 ||
        sha256((const uint8_t *)identity, strlen(identity), md) != 0)
        return NULL;
    if (!(c = calloc(1, sizeof(*c))) || !(c->identity = strdup(identity))) {
        free(c);
        return NULL;
    }
    n = snprintf(c->path, sizeof(c->path), "%s/card-", dir);
    for (i = 0; i < 16 && n > 0 && (size_t)n + 3 < sizeof(c->path); i++)
        n += snprintf(c->path + n, sizeof(c->path) - (size_t)n, "%02x", md[i]);
    if (i < 16) {
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

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void prune(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    time_t now = time(NULL);

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char p[PATH_MAX];
        struct stat st;
        if (strncmp(e->d_name, "card-", 5) != 0 ||
            (size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p) ||
            strcmp(p, keep) == 0)
            continue;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
            st.st_mtime + PRUNE_AGE_S < now)
            unlink(p);
    }
    closedir(d);
}

/* Temporary file beside the target, fsync, rename, fsync of the directory:
 * a reader sees the old file or the new one, never a part. */
static int save(const jpki_cache *c)
{
    char tmp[PATH_MAX + 8], dir[PATH_MAX];
    size_t len = 0;
    uint8_t *buf = serialize(c, &len);
    char *slash;
    int fd, ok;

    if (!buf || (size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", c->path) >=
                    sizeof(tmp)) {
        free(buf);
        return -1;
    }
    fd = mkstemp(tmp); /* 0600 */
    ok = fd >= 0 && fchmod(fd, 0600) == 0 && write_all(fd, buf, len) == 0 &&
         fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    if (ok && rename(tmp, c->path) != 0)
        ok = 0;
    if (!ok && fd >= 0)
        unlink(tmp);
    free(buf);
    snprintf(dir, sizeof(dir), "%s", c->path);
    if (ok && (slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
            fsync(fd);
            close(fd);
        }
        prune(dir, c->path);
    }
    return ok ? 0 : -1;
}

void jpki_cache_put(jpki_cache *c, uint16_t fid, const uint8_t *p,
                    size_t len)
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
