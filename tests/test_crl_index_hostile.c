/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_crl_index_hostile.c - the CRL index against damage and other users:
 * flipped bits in the entries and the bucket table, an index rewritten
 * or truncated in place after it was opened, an old format version, a
 * cache directory or index file another user could have planted
 * (group-writable, foreign owner, symlink, FIFO), and a CRL that changes
 * while it is indexed. The answer
 * is always right or "damaged" (revocation unknown), never "not revoked"
 * for a listed serial, and never a crash or a hang.
 */
#include "test_crl_index.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jpki/crl_priv.h"

enum { N = 2000 };

typedef struct {
    char dir[4096], cache[4200], crl[4200], idx[4400];
    tca ca;
    uint8_t ser[N][16];
    tentry es[N];
    STACK_OF(X509) * sk;
} hfix;

/* A CRL of N random 16-byte serials, indexed once into cache. */
static void hf_setup(hfix *f, unsigned seed)
{
    jpki_crlx *x = NULL;
    uint8_t *der;

    tmpdir(f->dir, sizeof f->dir);
    snprintf(f->cache, sizeof f->cache, "%s/cache", f->dir);
    snprintf(f->crl, sizeof f->crl, "%s/ca.crl", f->dir);
    f->ca = tca_make("CA one", 0x11, 0);
    srand(seed);
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < 16; k++)
            f->ser[i][k] = (uint8_t)rand();
        f->ser[i][0] = (uint8_t)((f->ser[i][0] & 0x7f) | 1);
        f->ser[i][14] = (uint8_t)(i >> 8);
        f->ser[i][15] = (uint8_t)i;
        f->es[i] = (tentry){ f->ser[i], 16, 0, 1, 1700000000 };
    }
    size_t len = tcrl_make(&f->ca, f->es, N, 0, &der);
    twrite(f->crl, der, len);
    OPENSSL_free(der);
    f->sk = tstack(&f->ca, NULL);
    ck_assert_int_eq(jpki_crlx_open(f->crl, f->sk, f->cache, &x),
                     JPKI_CRLX_OK);
    jpki_crlx_close(x);
    ck_assert_int_eq(tindex_file(f->cache, f->idx, sizeof f->idx), 0);
}

static void hf_teardown(hfix *f)
{
    tstack_free(f->sk);
    trm_rf(f->dir);
    tca_free(&f->ca);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    uint8_t *b = malloc((size_t)st.st_size);
    ck_assert_int_eq(read(fd, b, (size_t)st.st_size), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return b;
}

/* The fixture's valid index file (malloc'd) and a copy of its header. */
static uint8_t *slurp_index(hfix *f, size_t *len, crlx_hdr *h)
{
    uint8_t *good = slurp(f->idx, len);
    ck_assert_uint_ge(*len, sizeof *h);
    memcpy(h, good, sizeof *h);
    return good;
}

/* Every listed serial is revoked or unknown (damaged); never "not
 * revoked". Unlisted neighbours are not revoked or unknown. Returns the
 * number of "damaged" answers. */
static int answers_safe(hfix *f, jpki_crlx *x)
{
    int damaged = 0;
    for (size_t i = 0; i < N; i++) {
        jpki_crlx_entry e;
        jpki_crlx_rv rv = jpki_crlx_lookup(x, f->ser[i], 16, &e);
        if (rv == JPKI_CRLX_ERR_DAMAGED) {
            damaged++;
            continue;
        }
        ck_assert_int_eq(rv, JPKI_CRLX_OK);
        ck_assert_msg(e.revoked == 1 && e.revocation_date == 1700000000,
                      "listed serial %zu answered %d", i, e.revoked);
        uint8_t probe[16];
        memcpy(probe, f->ser[i], 16);
        probe[13] ^= 0x5a;
        rv = jpki_crlx_lookup(x, probe, 16, &e);
        ck_assert(rv == JPKI_CRLX_ERR_DAMAGED ||
                  (rv == JPKI_CRLX_OK && e.revoked == 0));
    }
    return damaged;
}

/* One flipped bit anywhere in the entries or the bucket table, before the
 * open: the table is in the checked part (rebuilt), an entry is caught by
 * its own check when a lookup rests on it. */
START_TEST(test_flipped_bits_never_good)
{
    hfix f;
    hf_setup(&f, 11);
    size_t len;
    crlx_hdr h;
    uint8_t *good = slurp_index(&f, &len, &h);
    int damaged = 0;
    srand(5);
    for (int t = 0; t < 60; t++) {
        uint8_t *img = malloc(len);
        memcpy(img, good, len);
        size_t off =
            t % 3 == 0
                ? h.buckets_off +
                      (size_t)rand() % (h.entries_off - h.buckets_off)
                : h.entries_off + (size_t)rand() % (len - h.entries_off);
        img[off] ^= (uint8_t)(1u << (rand() % 8));
        twrite(f.idx, img, len);
        jpki_crlx *x = NULL;
        ck_assert_int_eq(jpki_crlx_open(f.crl, f.sk, f.cache, &x),
                         JPKI_CRLX_OK);
        damaged += answers_safe(&f, x);
        jpki_crlx_close(x);
        free(img);
    }
    ck_assert_int_gt(damaged, 0); /* the entry flips were seen */
    free(good);
    hf_teardown(&f);
}
END_TEST

/* The fixture's CRL indexed in memory, and the place of listed serial k
 * among its entries. */
typedef struct {
    uint8_t *crl;
    jpki_crlx *x;
    uint8_t *ents; /* the entries, writable */
    size_t es;     /* entry size */
    size_t at;     /* serial k's entry */
} memidx;

static void mi_open(hfix *f, size_t k, memidx *m)
{
    size_t len;
    m->crl = slurp(f->crl, &len);
    m->x = NULL;
    ck_assert_int_eq(jpki_crlx_open_mem(m->crl, len, f->sk, &m->x),
                     JPKI_CRLX_OK);
    const crlx_hdr *h = &m->x->hdr;
    size_t kw = h->key_width + 1;
    uint8_t key[CRLX_MAX_SERIAL + 1] = { 0 };
    memcpy(key + h->key_width - 16, f->ser[k], 16);
    key[h->key_width] = 16;
    m->ents = m->x->image + h->entries_off;
    m->es = h->entry_size;
    for (m->at = 0; m->at < h->entries; m->at++)
        if (memcmp(m->ents + m->at * m->es, key, kw) == 0)
            break;
    ck_assert_uint_lt(m->at, h->entries);
}

/* The index is whole again: every answer is right. */
static void mi_close(hfix *f, memidx *m)
{
    ck_assert_int_eq(answers_safe(f, m->x), 0);
    jpki_crlx_close(m->x);
    free(m->crl);
}

/* Serial k looked up: right, or "damaged"; 1 if damaged. */
static int revoked_or_damaged(hfix *f, memidx *m, size_t k)
{
    jpki_crlx_entry r;
    jpki_crlx_rv rv = jpki_crlx_lookup(m->x, f->ser[k], 16, &r);
    if (rv == JPKI_CRLX_ERR_DAMAGED)
        return 1;
    ck_assert_int_eq(rv, JPKI_CRLX_OK);
    ck_assert_msg(r.revoked == 1 && r.revocation_date == 1700000000,
                  "listed serial %zu answered %d", k, r.revoked);
    return 0;
}

/* Every single bit of the entries around a listed serial flipped in turn,
 * in an index in memory: each is caught (or harmless), never "not
 * revoked". */
START_TEST(test_every_bit_of_an_entry)
{
    hfix f;
    memidx m;
    hf_setup(&f, 17);
    mi_open(&f, 7, &m);
    size_t at = m.at, es = m.es, n = m.x->hdr.entries;
    int caught = 0;
    for (size_t e = at > 0 ? at - 1 : at; e <= at + 1 && e < n; e++) {
        for (size_t bit = 0; bit < es * 8; bit++) {
            m.ents[e * es + bit / 8] ^= (uint8_t)(1u << (bit % 8));
            int damaged = revoked_or_damaged(&f, &m, 7);
            caught += e == at && damaged;
            m.ents[e * es + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    ck_assert_int_eq(caught,
                     (int)(es * 8)); /* every flip of the entry itself */
    mi_close(&f, &m);
    hf_teardown(&f);
}
END_TEST

/* Two bytes of the listed serial's entry changed by the same XOR, for
 * every pair of places and every XOR value (the damage a fuzzer found to
 * cancel out in format 4's check: the top bytes of two words): never "not
 * revoked". */
START_TEST(test_every_byte_pair_of_an_entry)
{
    hfix f;
    memidx m;
    hf_setup(&f, 19);
    mi_open(&f, 3, &m);
    uint8_t *rec = m.ents + m.at * m.es;
    for (size_t a = 0; a < m.es; a++)
        for (size_t b = a + 1; b < m.es; b++)
            for (unsigned v = 1; v < 256; v++) {
                rec[a] ^= (uint8_t)v;
                rec[b] ^= (uint8_t)v;
                revoked_or_damaged(&f, &m, 3);
                rec[a] ^= (uint8_t)v;
                rec[b] ^= (uint8_t)v;
            }
    mi_close(&f, &m);
    hf_teardown(&f);
}
END_TEST

/* The index rewritten in place after the open (entries, bucket table,
 * everything): no crash, and never "not revoked" for a listed serial. */
START_TEST(test_rewritten_after_open)
{
    hfix f;
    hf_setup(&f, 12);
    size_t len;
    crlx_hdr h;
    uint8_t *good = slurp_index(&f, &len, &h);
    for (int t = 0; t < 3; t++) {
        jpki_crlx *x = NULL;
        ck_assert_int_eq(jpki_crlx_open(f.crl, f.sk, f.cache, &x),
                         JPKI_CRLX_OK);
        uint8_t *junk = malloc(len);
        for (size_t i = 0; i < len; i++)
            junk[i] = t == 0   ? 0xff
                      : t == 1 ? (uint8_t)rand()
                               : good[len - 1 - i];
        if (t == 1) /* the header stays, the table and entries change */
            memcpy(junk, good, h.buckets_off);
        int fd = open(f.idx, O_WRONLY);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(pwrite(fd, junk, len, 0), (ssize_t)len);
        close(fd);
        int damaged = answers_safe(&f, x);
        ck_assert_int_gt(damaged, N / 2);
        jpki_crlx_close(x);
        free(junk);
        twrite(f.idx, good, len);
    }
    /* Replaced by rename (as a writer does) and emptied: the open mapping
     * keeps the old file. */
    jpki_crlx *x = NULL;
    ck_assert_int_eq(jpki_crlx_open(f.crl, f.sk, f.cache, &x), JPKI_CRLX_OK);
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.new", f.idx);
    twrite(tmp, "", 0);
    ck_assert_int_eq(rename(tmp, f.idx), 0);
    ck_assert_int_eq(answers_safe(&f, x), 0);
    jpki_crlx_close(x);
    free(good);
    hf_teardown(&f);
}
END_TEST

/* A child opens the index, the index is truncated in place to cut bytes
 * (then grown back to regrow bytes, if not 0: the cut part reads as
 * zeros), and the child looks every listed serial up. Its exit status:
 * 0 all answers right or "damaged" and some "damaged", 4 a listed serial
 * answered "not revoked", 7 a lookup faulted (SIGBUS; its own handler, so
 * that a sanitizer's does not report it), others a setup failure. */
static void bus_exit(int sig)
{
    (void)sig;
    _exit(7);
}

static int truncated_child(hfix *f, off_t cut, off_t regrow)
{
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        jpki_crlx *x = NULL;
        int damaged = 0;
        if (jpki_crlx_open(f->crl, f->sk, f->cache, &x) != JPKI_CRLX_OK)
            _exit(2);
        signal(SIGBUS, bus_exit);
        if (truncate(f->idx, cut) != 0 ||
            (regrow && truncate(f->idx, regrow) != 0))
            _exit(3);
        for (size_t i = 0; i < N; i++) {
            jpki_crlx_entry e;
            jpki_crlx_rv rv = jpki_crlx_lookup(x, f->ser[i], 16, &e);
            if (rv == JPKI_CRLX_ERR_DAMAGED)
                damaged++;
            else if (rv != JPKI_CRLX_OK || e.revoked != 1)
                _exit(4);
        }
        jpki_crlx_close(x);
        _exit(damaged ? 0 : 5);
    }
    int status;
    ck_assert_int_eq(waitpid(c, &status, 0), c);
    return status;
}

/* The index truncated in place while it is open. This module never does
 * it (a writer renames a new file over the name, test_rewritten_after_open)
 * and nobody but the owner can (the file and its directory passed the
 * private rules); the mapping is kept rather than read into memory, whose
 * cost grows with the CRL (crl_file.c). So: emptied, a lookup may fault
 * (SIGBUS) but never answer "not revoked"; shrunk and grown back, the
 * zeros are damage and every answer is right or "damaged". */
START_TEST(test_truncated_after_open)
{
    hfix f;
    hf_setup(&f, 13);
    size_t len;
    crlx_hdr h;
    uint8_t *good = slurp_index(&f, &len, &h);
    off_t half = (off_t)(h.entries_off + h.entries / 2 * h.entry_size + 3);

    int st = truncated_child(&f, half, (off_t)len);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "shrunk and grown back: status %#x", st);
    twrite(f.idx, good, len);
    st = truncated_child(&f, 0, 0);
    ck_assert_msg(WIFEXITED(st) &&
                      (WEXITSTATUS(st) == 7 || WEXITSTATUS(st) == 0),
                  "emptied: status %#x", st);
    twrite(f.idx, good, len);
    free(good);
    hf_teardown(&f);
}
END_TEST

/* An index of an older format, resealed: rebuilt, not trusted. */
START_TEST(test_old_version_rebuilt)
{
    hfix f;
    hf_setup(&f, 13);
    size_t len;
    uint8_t *img = slurp(f.idx, &len);
    crlx_hdr *h = (crlx_hdr *)(void *)img;
    h->version = CRLX_VERSION - 1;
    crlx_hdr_seal(img);
    twrite(f.idx, img, len);
    struct stat before, after;
    ck_assert_int_eq(stat(f.idx, &before), 0);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(jpki_crlx_open(f.crl, f.sk, f.cache, &x), JPKI_CRLX_OK);
    ck_assert_int_eq(stat(f.idx, &after), 0);
    ck_assert_msg(before.st_ino != after.st_ino, "the old index was trusted");
    ck_assert_int_eq(answers_safe(&f, x), 0);
    jpki_crlx_close(x);
    free(img);
    hf_teardown(&f);
}
END_TEST

/* A forged index for f.crl: the index of an empty CRL by the same CA,
 * bound to f.crl's identity and resealed, as another user would plant it. */
static uint8_t *forge(hfix *f, size_t *len)
{
    char crl2[4300], cache2[4300], idx2[4400];
    uint8_t *der;
    jpki_crlx *x = NULL;
    snprintf(crl2, sizeof crl2, "%s/empty.crl", f->dir);
    snprintf(cache2, sizeof cache2, "%s/cache2", f->dir);
    size_t dl = tcrl_make(&f->ca, NULL, 0, 0, &der);
    twrite(crl2, der, dl);
    OPENSSL_free(der);
    ck_assert_int_eq(jpki_crlx_open(crl2, f->sk, cache2, &x), JPKI_CRLX_OK);
    jpki_crlx_close(x);
    ck_assert_int_eq(tindex_file(cache2, idx2, sizeof idx2), 0);
    uint8_t *img = slurp(idx2, len);
    struct stat st;
    ck_assert_int_eq(stat(f->crl, &st), 0);
    crlx_ident id;
    fu_ident_of(&st, &id);
    crlx_hdr *h = (crlx_hdr *)(void *)img;
    h->crl_dev = id.dev;
    h->crl_ino = id.ino;
    h->crl_size = id.size;
    h->crl_mtime_ns = id.mtime_ns;
    h->crl_ctime_ns = id.ctime_ns;
    crlx_hdr_seal(img);
    return img;
}

static void expect_revoked(hfix *f)
{
    jpki_crlx *x = NULL;
    ck_assert_int_eq(jpki_crlx_open(f->crl, f->sk, f->cache, &x),
                     JPKI_CRLX_OK);
    ck_assert_int_eq(answers_safe(f, x), 0);
    jpki_crlx_close(x);
}

/* The cache directory writable by others, holding a forged index: not
 * used (indexed in memory), the forgery neither trusted nor touched. */
START_TEST(test_shared_dir_not_trusted)
{
    hfix f;
    hf_setup(&f, 14);
    size_t len;
    uint8_t *img = forge(&f, &len);
    twrite(f.idx, img, len);
    /* the forgery works where the rules hold... */
    jpki_crlx *x = NULL;
    jpki_crlx_entry e;
    ck_assert_int_eq(jpki_crlx_open(f.crl, f.sk, f.cache, &x), JPKI_CRLX_OK);
    ck_assert_int_eq(jpki_crlx_lookup(x, f.ser[0], 16, &e), JPKI_CRLX_OK);
    ck_assert_int_eq(e.revoked, 0);
    jpki_crlx_close(x);
    /* ...which another user's directory does not pass */
    for (int t = 0; t < 3; t++) {
        twrite(f.idx, img, len);
        if (t == 0)
            ck_assert_int_eq(chmod(f.cache, 0777), 0);
        else if (t == 1)
            ck_assert_int_eq(chmod(f.cache, 0770), 0);
        else if (geteuid() == 0)
            ck_assert_int_eq(
                chown(f.cache, 65534, 65534) | chmod(f.cache, 0755), 0);
        else
            continue;
        struct stat before, after;
        ck_assert_int_eq(stat(f.idx, &before), 0);
        expect_revoked(&f);
        ck_assert_int_eq(stat(f.idx, &after), 0);
        ck_assert_msg(before.st_ino == after.st_ino &&
                          before.st_mtim.tv_nsec == after.st_mtim.tv_nsec,
                      "a file was written in an unsafe directory");
        ck_assert_int_eq(
            chown(f.cache, geteuid(), getegid()) | chmod(f.cache, 0700), 0);
    }
    /* the directory a symlink to a private one: not followed */
    char link[4300];
    snprintf(link, sizeof link, "%s/link", f.dir);
    ck_assert_int_eq(symlink(f.cache, link), 0);
    twrite(f.idx, img, len);
    x = NULL;
    ck_assert_int_eq(jpki_crlx_open(f.crl, f.sk, link, &x), JPKI_CRLX_OK);
    ck_assert_int_eq(answers_safe(&f, x), 0);
    jpki_crlx_close(x);
    free(img);
    hf_teardown(&f);
}
END_TEST

/* The index file itself planted: a symlink to the forgery, a FIFO (no
 * hang), a foreign owner, group-writable. Each is replaced by a real
 * index and the answer stays right. */
START_TEST(test_planted_index_file)
{
    hfix f;
    hf_setup(&f, 15);
    size_t len;
    uint8_t *img = forge(&f, &len);
    char target[4300];
    snprintf(target, sizeof target, "%s/forged.idx", f.dir);
    twrite(target, img, len);
    for (int t = 0; t < 4; t++) {
        unlink(f.idx);
        if (t == 0) {
            ck_assert_int_eq(symlink(target, f.idx), 0);
        } else if (t == 1) {
            ck_assert_int_eq(mkfifo(f.idx, 0600), 0);
        } else {
            twrite(f.idx, img, len);
            if (t == 2 && geteuid() != 0)
                continue;
            ck_assert_int_eq(
                t == 2 ? chown(f.idx, 65534, 65534) : chmod(f.idx, 0620), 0);
        }
        alarm(20); /* a FIFO must not hang the open */
        expect_revoked(&f);
        alarm(0);
        struct stat st;
        ck_assert_int_eq(lstat(f.idx, &st), 0);
        ck_assert(S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                  (st.st_mode & 0777) == 0600);
    }
    free(img);
    hf_teardown(&f);
}
END_TEST

/* The CRL truncated and rewritten over and over while it is indexed: each
 * open ends with an answer or an error, never a signal. */
START_TEST(test_crl_changes_during_build)
{
    hfix f;
    hf_setup(&f, 16);
    size_t len;
    uint8_t *crl = slurp(f.crl, &len);
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        int fd = open(f.crl, O_WRONLY);
        for (unsigned i = 0;; i++) {
            if (ftruncate(fd, (off_t)(i % 7) * 512) != 0 ||
                pwrite(fd, crl, len, 0) != (ssize_t)len)
                _exit(1);
        }
    }
    time_t end = time(NULL) + 3;
    int runs = 0;
    while (time(NULL) < end) {
        char cache[4400];
        snprintf(cache, sizeof cache, "%s/c%d", f.dir, runs++);
        pid_t c = fork();
        ck_assert_int_ge(c, 0);
        if (c == 0) {
            for (int k = 0; k < 4; k++) {
                jpki_crlx *x = NULL;
                if (jpki_crlx_open(f.crl, f.sk, k % 2 ? NULL : cache, &x) ==
                    JPKI_CRLX_OK)
                    jpki_crlx_close(x);
            }
            _exit(0);
        }
        int status;
        ck_assert_int_eq(waitpid(c, &status, 0), c);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "open while the CRL changed: status %#x", status);
    }
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    ck_assert_int_gt(runs, 3);
    free(crl);
    hf_teardown(&f);
}
END_TEST

TCase *tcase_crl_hostile(void)
{
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_flipped_bits_never_good);
    tcase_add_test(tc, test_every_bit_of_an_entry);
    tcase_add_test(tc, test_every_byte_pair_of_an_entry);
    tcase_add_test(tc, test_rewritten_after_open);
    tcase_add_test(tc, test_truncated_after_open);
    tcase_add_test(tc, test_old_version_rebuilt);
    tcase_add_test(tc, test_shared_dir_not_trusted);
    tcase_add_test(tc, test_planted_index_file);
    tcase_add_test(tc, test_crl_changes_during_build);
    return tc;
}
