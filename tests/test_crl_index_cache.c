/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_crl_index_cache.c - the CRL index file: warm reuse, rebuild on a
 * changed CRL or a damaged index, refusal for a foreign issuer, a crash
 * mid-build, the cache directory's mode, and the emulator's own CRL.
 */
#include "test_crl_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "emu/emu.h"
#include "jpki/crl_priv.h"
#include "jpki/test_hooks.h"

static const uint8_t sa[] = { 0x4a, 0x50, 0x4b, 0x49, 1, 2,  3,  4,
                              5,    6,    7,    8,    9, 10, 11, 12 };
static const uint8_t sb[] = { 0x4a, 0x50, 0x4b, 0x49, 1, 2,  3,  4,
                              5,    6,    7,    8,    9, 10, 11, 13 };

typedef struct {
    char dir[4096], cache[4200], crl[4200];
    tca ca;
} fixture;

/* dir with crl.der listing sa (or sb if second), cache dir not yet made. */
static void fx_setup(fixture *f)
{
    tmpdir(f->dir, sizeof f->dir);
    snprintf(f->cache, sizeof f->cache, "%s/a/b/cache", f->dir);
    snprintf(f->crl, sizeof f->crl, "%s/crl.der", f->dir);
    f->ca = tca_make("CA one", 0x11, 0);
}

static void fx_write_crl(fixture *f, const uint8_t *serial, int pem)
{
    tentry e = { serial, 16, 0, 1, 1799990000 };
    uint8_t *der;
    size_t len = tcrl_make(&f->ca, &e, 1, T_IDP, &der);
    if (pem) {
        char *p = tcrl_pem(der, len);
        twrite(f->crl, p, strlen(p));
        free(p);
    } else {
        twrite(f->crl, der, len);
    }
    OPENSSL_free(der);
}

static void fx_teardown(fixture *f)
{
    trm_rf(f->dir);
    tca_free(&f->ca);
}

static jpki_crlx_rv fx_open(fixture *f, const tca *with, jpki_crlx **x)
{
    STACK_OF(X509) *sk = tstack(with ? with : &f->ca, NULL);
    jpki_crlx_rv rv = jpki_crlx_open(f->crl, sk, f->cache, x);
    tstack_free(sk);
    return rv;
}

static int listed(jpki_crlx *x, const uint8_t *s)
{
    jpki_crlx_entry e;
    ck_assert_int_eq(jpki_crlx_lookup(x, s, 16, &e), JPKI_CRLX_OK);
    return e.revoked;
}

static void idx_stat(fixture *f, struct stat *st)
{
    char idx[4400];
    ck_assert_int_eq(tindex_file(f->cache, idx, sizeof idx), 0);
    ck_assert_int_eq(stat(idx, st), 0);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_size == b->st_size;
}

/* A fixture whose CRL (listing sa) has been indexed once into the cache. */
static void fx_built(fixture *f)
{
    jpki_crlx *x = NULL;

    fx_setup(f);
    fx_write_crl(f, sa, 0);
    ck_assert_int_eq(fx_open(f, NULL, &x), JPKI_CRLX_OK);
    jpki_crlx_close(x);
}

START_TEST(test_warm_open_reuses)
{
    fixture f;
    fx_setup(&f);
    fx_write_crl(&f, sa, 0);
    jpki_crlx *x = NULL;
    ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_OK);
    ck_assert_int_eq(listed(x, sa), 1);
    jpki_crlx_close(x);
    struct stat c, st1, st2;
    ck_assert_int_eq(stat(f.cache, &c), 0);
    ck_assert_uint_eq(c.st_mode & 0777, 0700);
    idx_stat(&f, &st1);
    ck_assert_uint_eq(st1.st_mode & 0777, 0600);
    ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_OK);
    idx_stat(&f, &st2);
    ck_assert_msg(same_file(&st1, &st2), "a warm open rebuilt the index");
    ck_assert_int_eq(listed(x, sa), 1);
    ck_assert_int_eq(listed(x, sb), 0);
    jpki_crlx_close(x);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_replaced_crl_rebuilds)
{
    fixture f;
    jpki_crlx *x = NULL;
    fx_built(&f);
    struct stat st1, st2;
    idx_stat(&f, &st1);
    fx_write_crl(&f, sb, 1); /* a new CRL, now as PEM */
    ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_OK);
    idx_stat(&f, &st2);
    ck_assert(!same_file(&st1, &st2));
    ck_assert_int_eq(listed(x, sa), 0);
    ck_assert_int_eq(listed(x, sb), 1);
    jpki_crlx_close(x);
    fx_write_crl(&f, sb, 0); /* garbage replaces it */
    twrite(f.crl, "garbage", 7);
    ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_ERR_PARSE);
    ck_assert_ptr_null(x);
    fx_teardown(&f);
}
END_TEST

static void damage(const char *idx, long off, int truncate_to)
{
    FILE *fp = fopen(idx, "r+b");
    ck_assert_ptr_nonnull(fp);
    if (truncate_to >= 0) {
        ck_assert_int_eq(ftruncate(fileno(fp), truncate_to), 0);
    } else {
        ck_assert_int_eq(fseek(fp, off, SEEK_SET), 0);
        int c = fgetc(fp);
        ck_assert_int_eq(fseek(fp, off, SEEK_SET), 0);
        fputc(c ^ 0x10, fp);
    }
    fclose(fp);
}

/* A damaged index is never believed: rebuilt, and the answers are right. */
START_TEST(test_corrupt_index_rebuilt)
{
    fixture f;
    jpki_crlx *x = NULL;
    fx_built(&f);
    char idx[4400];
    ck_assert_int_eq(tindex_file(f.cache, idx, sizeof idx), 0);
    const long offs[] = { 0,
                          9,
                          16,
                          60,
                          100,
                          (long)sizeof(crlx_hdr) - 1,
                          (long)sizeof(crlx_hdr) + 3 };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0] + 3; i++) {
        struct stat st1, st2;
        ck_assert_int_eq(stat(idx, &st1), 0);
        if (i < sizeof offs / sizeof offs[0])
            damage(idx, offs[i], -1);
        else
            damage(idx, 0,
                   i == sizeof offs / sizeof offs[0]
                       ? 0
                       : (int)(st1.st_size / (i - 5)));
        ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_OK);
        ck_assert_int_eq(stat(idx, &st2), 0);
        ck_assert_msg(st1.st_ino != st2.st_ino,
                      "damage %zu: index not rebuilt", i);
        ck_assert_int_eq(listed(x, sa), 1);
        ck_assert_int_eq(listed(x, sb), 0);
        jpki_crlx_close(x);
    }
    fx_teardown(&f);
}
END_TEST

/* An index made with one issuer key is not answered for another. */
START_TEST(test_foreign_issuer_refused)
{
    fixture f;
    jpki_crlx *x = NULL;
    fx_built(&f);
    tca other =
        tca_make("CA one", 0x11, 1); /* same name, same SKI, other key */
    ck_assert_int_eq(fx_open(&f, &other, &x), JPKI_CRLX_ERR_SIGNATURE);
    tca named = tca_make("CA zwei", 0x11, 1);
    ck_assert_int_eq(fx_open(&f, &named, &x), JPKI_CRLX_ERR_ISSUER);
    ck_assert_ptr_null(x);
    ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_OK); /* still fine */
    jpki_crlx_close(x);
    tca_free(&other);
    tca_free(&named);
    fx_teardown(&f);
}
END_TEST

static void die_now(void)
{
    raise(SIGKILL);
}

/* A build killed after writing its temporary file, before the rename:
 * the previous index is untouched and still valid. */
/* How many "*.tmp.*" files dir holds; the last one's path into out. */
static int temp_files(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".tmp.")) {
            snprintf(out, len, "%s/%s", dir, de->d_name);
            n++;
        }
    if (d)
        closedir(d);
    return n;
}

START_TEST(test_crash_mid_build)
{
    fixture f;
    jpki_crlx *x = NULL;
    fx_built(&f);
    struct stat st1, st2;
    idx_stat(&f, &st1);
    fx_write_crl(&f, sb, 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        jpki_test_set_crlx_mid_write_hook(die_now);
        fx_open(&f, NULL, &x);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    idx_stat(&f, &st2);
    ck_assert_msg(same_file(&st1, &st2),
                  "the crashed build replaced the index");
    char idx[4400];
    size_t len;
    ck_assert_int_eq(tindex_file(f.cache, idx, sizeof idx), 0);
    FILE *fp = fopen(idx, "rb");
    static uint8_t buf[1 << 16];
    len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    ck_assert_int_eq(crlx_image_check(buf, len), 0); /* whole and valid */
    /* the dead build's temporary file is left; the next build removes it
     * once it is a minute old (younger, it might be a live writer's) */
    char tmpf[4600];
    ck_assert_int_eq(temp_files(f.cache, tmpf, sizeof tmpf), 1);
    ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_OK); /* now rebuilt */
    ck_assert_int_eq(listed(x, sb), 1);
    ck_assert_int_eq(listed(x, sa), 0);
    jpki_crlx_close(x);
    ck_assert_int_eq(temp_files(f.cache, tmpf, sizeof tmpf), 1);
    struct timespec old[2] = { { .tv_sec = time(NULL) - 120 },
                               { .tv_sec = time(NULL) - 120 } };
    ck_assert_int_eq(utimensat(AT_FDCWD, tmpf, old, 0), 0);
    fx_write_crl(&f, sa, 0); /* a new CRL: a new build */
    ck_assert_int_eq(fx_open(&f, NULL, &x), JPKI_CRLX_OK);
    ck_assert_int_eq(listed(x, sa), 1);
    jpki_crlx_close(x);
    ck_assert_int_eq(temp_files(f.cache, tmpf, sizeof tmpf), 0);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_no_cache_and_errors)
{
    fixture f;
    fx_setup(&f);
    fx_write_crl(&f, sa, 1);
    jpki_crlx *x = NULL;
    STACK_OF(X509) *sk = tstack(&f.ca, NULL);
    ck_assert_int_eq(jpki_crlx_open(f.crl, sk, NULL, &x), JPKI_CRLX_OK);
    ck_assert_int_eq(listed(x, sa), 1);
    jpki_crlx_close(x);
    ck_assert_int_ne(access(f.cache, F_OK), 0); /* nothing written */
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/none.crl", f.dir);
    ck_assert_int_eq(jpki_crlx_open(missing, sk, f.cache, &x),
                     JPKI_CRLX_ERR_IO);
    ck_assert_int_eq(jpki_crlx_open(missing, sk, NULL, &x), JPKI_CRLX_ERR_IO);
    ck_assert_int_eq(jpki_crlx_open(f.dir, sk, f.cache, &x), JPKI_CRLX_ERR_IO);
    ck_assert_int_eq(jpki_crlx_open(NULL, sk, f.cache, &x),
                     JPKI_CRLX_ERR_ARGS);
    twrite(f.crl, "", 0);
    ck_assert_int_eq(jpki_crlx_open(f.crl, sk, f.cache, &x),
                     JPKI_CRLX_ERR_PARSE);
    ck_assert_int_eq(jpki_crlx_open(f.crl, sk, NULL, &x), JPKI_CRLX_ERR_PARSE);
    ck_assert_ptr_null(x);
    tstack_free(sk);
    fx_teardown(&f);
}
END_TEST

static X509 *pem_cert(const char *path)
{
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(x);
    return x;
}

/* The emulator's test PKI: emu revoke's CRL, read by OpenSSL and by us. */
START_TEST(test_emulator_crl)
{
    char dir[4096], card[4200], path[4300], err[512] = "";
    tmpdir(dir, sizeof dir);
    snprintf(card, sizeof card, "%s/card.img", dir);
    ck_assert_msg(emu_personalize(card, NULL, err, sizeof err) == EMU_OK, "%s",
                  err);
    ck_assert_msg(emu_revoke(card, 0, err, sizeof err) == EMU_OK, "%s", err);
    snprintf(path, sizeof path, "%s.pki/auth-ca.pem", card);
    X509 *auth_ca = pem_cert(path);
    snprintf(path, sizeof path, "%s.pki/sign-ca.pem", card);
    X509 *sign_ca = pem_cert(path);
    snprintf(path, sizeof path, "%s.pki/auth-ca.crl", card);
    FILE *fp = fopen(path, "rb");
    X509_CRL *crl = d2i_X509_CRL_fp(fp, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(crl);
    const ASN1_INTEGER *serial = X509_REVOKED_get0_serialNumber(
        sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0));

    STACK_OF(X509) *sk = sk_X509_new_null();
    sk_X509_push(sk, sign_ca);
    jpki_crlx *x = NULL;
    char cache[4300];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    ck_assert_int_eq(jpki_crlx_open(path, sk, cache, &x),
                     JPKI_CRLX_ERR_ISSUER);
    sk_X509_push(sk, auth_ca);
    ck_assert_int_eq(jpki_crlx_open(path, sk, cache, &x), JPKI_CRLX_OK);
    jpki_crlx_entry e;
    ck_assert_int_eq(jpki_crlx_lookup(x, ASN1_STRING_get0_data(serial),
                                      (size_t)ASN1_STRING_length(serial), &e),
                     JPKI_CRLX_OK);
    ck_assert_int_eq(e.revoked, 1);
    ck_assert_int_eq(e.reason, 1); /* keyCompromise */
    ck_assert_ptr_nonnull(jpki_crlx_get_info(x)->idp);
    ck_assert_uint_eq(jpki_crlx_get_info(x)->entries, 1);
    jpki_crlx_close(x);
    X509_CRL_free(crl);
    sk_X509_pop_free(sk, X509_free);
    trm_rf(dir);
}
END_TEST

TCase *tcase_crl_cache(void)
{
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_warm_open_reuses);
    tcase_add_test(tc, test_replaced_crl_rebuilds);
    tcase_add_test(tc, test_corrupt_index_rebuilt);
    tcase_add_test(tc, test_foreign_issuer_refused);
    tcase_add_test(tc, test_crash_mid_build);
    tcase_add_test(tc, test_no_cache_and_errors);
    tcase_add_test(tc, test_emulator_crl);
    return tc;
}
