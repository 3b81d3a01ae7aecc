/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_cache.c - the certificate cache across processes (src/jpki/cache.c)
 * (and, in test_cache_pin.c, the remembered PIN retry counter), through the
 * PKCS#11 interface and the in-process emulator. What the card did is
 * read from the emulator's APDU log (JPKI_EMU_LOG), never assumed.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "emu/emu.h"
#include "pkcs11/config.h"
#include "testutil.h"
#include "test_cache.h"

CK_FUNCTION_LIST_PTR p11;
char card[4096], dir[4096], cdir[4200], logp[4200];


static void setup(void)
{
    const char *tmp = getenv("TMPDIR");

    ck_assert_int_eq(tu_card_copy(card, sizeof card), 0);
    snprintf(dir, sizeof dir, "%s/jpki-cache-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cdir, sizeof cdir, "%s/cache", dir);
    snprintf(logp, sizeof logp, "%s/apdu.log", dir);
    setenv("JPKI_PKCS11_EMULATOR", card, 1);
    setenv("JPKI_PKCS11_PCSC", "off", 1);
    setenv("JPKI_PKCS11_CACHE", cdir, 1);
    setenv("JPKI_EMU_LOG", logp, 1);
    OK(C_GetFunctionList(&p11));
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static void teardown(void)
{
    tu_card_remove(card);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Lines of the APDU log that contain all of a and b (b may be NULL). */
int log_count(const char *a, const char *b)
{
    return tu_log_count(logp, a, b);
}

void log_clear(void)
{
    FILE *f = fopen(logp, "we");
    if (f)
        fclose(f);
}

CK_SESSION_HANDLE open_session(CK_SLOT_ID slot)
{
    CK_SESSION_HANDLE h;
    OK(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h));
    return h;
}

/* The user certificate of the session's token (CKA_VALUE), malloc'd. */
static unsigned char *user_cert(CK_SESSION_HANDLE h, CK_ULONG *len)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ULONG cat = 1, n = 0;
    CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls },
                         { CKA_CERTIFICATE_CATEGORY, &cat, sizeof cat } };
    CK_OBJECT_HANDLE o;
    CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };

    OK(p11->C_FindObjectsInit(h, t, 2));
    OK(p11->C_FindObjects(h, &o, 1, &n));
    OK(p11->C_FindObjectsFinal(h));
    ck_assert_uint_eq(n, 1);
    OK(p11->C_GetAttributeValue(h, o, &v, 1));
    v.pValue = malloc(v.ulValueLen);
    ck_assert_ptr_nonnull(v.pValue);
    OK(p11->C_GetAttributeValue(h, o, &v, 1));
    *len = v.ulValueLen;
    return v.pValue;
}

/* What a program does when it lists tokens and objects of the auth token:
 * one whole process life (C_Initialize .. C_Finalize). Returns the auth
 * certificate it saw and how many READ BINARY it cost. */
static unsigned char *one_process(CK_ULONG *len, int *reads)
{
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    CK_TOKEN_INFO ti;
    CK_OBJECT_HANDLE all[8];
    unsigned char *der;

    log_clear();
    OK(p11->C_Initialize(NULL));
    OK(p11->C_GetSlotList(CK_TRUE, slots, &n));
    ck_assert_uint_eq(n, 2);
    OK(p11->C_GetTokenInfo(0, &ti));
    OK(p11->C_GetTokenInfo(1, &ti));
    CK_SESSION_HANDLE h = open_session(0);
    OK(p11->C_FindObjectsInit(h, NULL, 0));
    OK(p11->C_FindObjects(h, all, 8, &n));
    OK(p11->C_FindObjectsFinal(h));
    ck_assert_uint_eq(
        n, 3); /* cert, public key, CA (the private key: after login) */
    der = user_cert(h, len);
    OK(p11->C_Finalize(NULL));
    *reads = READ_BINARY();
    return der;
}

/* The one cache file in cdir (its path in out), or 0 if none. */
static int cache_file(char *out, size_t cap)
{
    DIR *d = opendir(cdir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "card-", 5) == 0) {
            snprintf(out, cap, "%s/%s", cdir, e->d_name);
            n++;
        }
    closedir(d);
    return n;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    struct stat st;
    unsigned char *buf;
    FILE *f = fopen(path, "rbe");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fstat(fileno(f), &st), 0);
    buf = malloc((size_t)st.st_size + 1);
    *len = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    return buf;
}

static int contains(const unsigned char *hay, size_t n,
                    const unsigned char *needle, size_t m)
{
    size_t i;

    for (i = 0; m && i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

/* ---- the certificate cache ---------------------------------------------- */

START_TEST(warm_open_reads_nothing)
{
    CK_ULONG l1, l2;
    int r1, r2;
    unsigned char *c1 = one_process(&l1, &r1);
    /* cold: read from the card, each file's first chunk once (token info,
     * certificate map EF 0008, auth certificate, auth CA): the chunk read
     * for the token serial is reused by the certificate's full read */
    int heads = log_count("INS=B0 P1=00 P2=00", NULL);
    unsigned char *c2 = one_process(&l2, &r2);
    char path[4600];
    struct stat st;

    ck_assert_int_gt(r1, 0);
    ck_assert_int_eq(heads, 4);
    ck_assert_int_eq(r2, 0); /* warm: no READ BINARY at all */
    ck_assert_uint_eq(l1, l2);
    ck_assert_mem_eq(c1, c2, l1);
    ck_assert_int_eq(cache_file(path, sizeof path), 1);
    ck_assert_int_eq(stat(cdir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    free(c1);
    free(c2);
}
END_TEST

/* Another card under the same image path (so the same reader) is never
 * served the first card's certificates. */
START_TEST(other_card_never_served)
{
    char other[4400], err[256];
    CK_ULONG la, lb, lb2;
    int r;
    unsigned char *a, *b, *b2;

    a = one_process(&la, &r);
    snprintf(other, sizeof other, "%s/other.card", dir);
    ck_assert_int_eq(emu_personalize(other, NULL, err, sizeof err), EMU_OK);
    ck_assert_int_eq(rename(other, card), 0);
    b = one_process(&lb, &r);
    ck_assert_int_gt(r, 0);
    ck_assert(la != lb || memcmp(a, b, la) != 0);
    /* and what was read is the new card's own certificate */
    setenv("JPKI_PKCS11_CACHE", "off", 1);
    b2 = one_process(&lb2, &r);
    ck_assert_uint_eq(lb, lb2);
    ck_assert_mem_eq(b, b2, lb);
    free(a);
    free(b);
    free(b2);
}
END_TEST

static void damaged(int truncate_it)
{
    char path[4600];
    CK_ULONG l1, l2, l3;
    int r;
    size_t n;
    unsigned char *c1 = one_process(&l1, &r), *buf, *c2, *c3;
    FILE *f;

    ck_assert_int_eq(cache_file(path, sizeof path), 1);
    buf = slurp(path, &n);
    if (truncate_it)
        n /= 2;
    else
        buf[n / 2] ^= 0x01; /* one bit in a certificate */
    f = fopen(path, "wbe");
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    fclose(f);
    free(buf);
    c2 = one_process(&l2, &r);
    ck_assert_int_gt(r, 0); /* ignored: read from the card */
    ck_assert_uint_eq(l1, l2);
    ck_assert_mem_eq(c1, c2, l1); /* never the damaged bytes */
    c3 = one_process(&l3, &r);
    ck_assert_int_eq(r, 0); /* rewritten whole */
    ck_assert_mem_eq(c1, c3, l1);
    free(c1);
    free(c2);
    free(c3);
}

START_TEST(corrupted_file_ignored_and_rewritten)
{
    damaged(0);
}
END_TEST

START_TEST(truncated_file_ignored_and_rewritten)
{
    damaged(1);
}
END_TEST

/* Files of insertions long gone are removed when a new one is written;
 * recent ones (another card in another reader) stay. */
START_TEST(old_files_pruned)
{
    char old[4400], recent[4400];
    struct timespec ts[2] = { { time(NULL) - 8 * 24 * 3600, 0 },
                              { time(NULL) - 8 * 24 * 3600, 0 } };
    struct stat st;
    CK_ULONG l;
    int r;
    FILE *f;

    ck_assert_int_eq(mkdir(cdir, 0700), 0);
    snprintf(old, sizeof old, "%s/card-0123456789abcdef0123456789abcdef",
             cdir);
    snprintf(recent, sizeof recent, "%s/card-fedcba9876543210fedcba9876543210",
             cdir);
    ck_assert_ptr_nonnull(f = fopen(old, "we"));
    fclose(f);
    ck_assert_ptr_nonnull(f = fopen(recent, "we"));
    fclose(f);
    ck_assert_int_eq(utimensat(AT_FDCWD, old, ts, 0), 0);
    free(one_process(&l, &r));
    ck_assert_int_ne(stat(old, &st), 0);
    ck_assert_int_eq(stat(recent, &st), 0);
}
END_TEST

START_TEST(loose_directory_tightened)
{
    struct stat st;
    CK_ULONG l;
    int r;

    ck_assert_int_eq(mkdir(cdir, 0755), 0);
    ck_assert_int_eq(chmod(cdir, 0755), 0);
    free(one_process(&l, &r));
    ck_assert_int_eq(stat(cdir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
}
END_TEST

/* The default directory: $XDG_CACHE_HOME/jpki-pkcs11. */
START_TEST(default_directory)
{
    char xdg[4400], want[4500];
    struct stat st;
    CK_ULONG l;
    int r;

    snprintf(xdg, sizeof xdg, "%s/xdg", dir);
    setenv("XDG_CACHE_HOME", xdg, 1);
    unsetenv("JPKI_PKCS11_CACHE");
    setenv("JPKI_PKCS11_CONF", "/nonexistent", 1);
    free(one_process(&l, &r));
    free(one_process(&l, &r));
    ck_assert_int_eq(r, 0);
    snprintf(want, sizeof want, "%s/jpki-pkcs11", xdg);
    ck_assert_int_eq(stat(want, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
}
END_TEST

START_TEST(cache_off)
{
    char xdg[4400];
    struct stat st;
    CK_ULONG l;
    int r1, r2;

    snprintf(xdg, sizeof xdg, "%s/xdg", dir);
    setenv("XDG_CACHE_HOME", xdg, 1);
    setenv("JPKI_PKCS11_CACHE", "off", 1);
    free(one_process(&l, &r1));
    free(one_process(&l, &r2));
    ck_assert_int_gt(r1, 0);
    ck_assert_int_eq(r2, r1); /* nothing remembered */
    ck_assert_int_ne(stat(cdir, &st), 0);
    ck_assert_int_ne(stat(xdg, &st), 0);
}
END_TEST

/* The signature certificate (personal data) is read after the PIN and
 * never written anywhere; the auth certificate is (control). */
START_TEST(no_signature_certificate_on_disk)
{
    char path[4600];
    CK_ULONG la, ls;
    size_t n;
    int r;
    unsigned char *auth = one_process(&la, &r), *sign, *file;

    OK(p11->C_Initialize(NULL));
    CK_SESSION_HANDLE h = open_session(1);
    OK(p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)EMU_DEFAULT_SIGN_PIN,
                    strlen(EMU_DEFAULT_SIGN_PIN)));
    sign = user_cert(h, &ls);
    OK(p11->C_Finalize(NULL));
    ck_assert_int_eq(cache_file(path, sizeof path), 1);
    file = slurp(path, &n);
    ck_assert(contains(file, n, auth, la));
    ck_assert(!contains(file, n, sign, ls));
    ck_assert(!contains(file, n, sign + ls / 2, 32)); /* not even a part */
    free(file);
    free(auth);
    free(sign);
}
END_TEST

/* cache = off | an absolute directory; anything else is refused (and the
 * default kept), never taken as a path relative to the program's cwd. */
START_TEST(config_key)
{
    char conf[4400];
    p11_config cfg;
    FILE *f;

    unsetenv("JPKI_PKCS11_CACHE");
    snprintf(conf, sizeof conf, "%s/c.conf", dir);
    ck_assert_ptr_nonnull(f = fopen(conf, "we"));
    fputs("cache = /var/cache/x\n", f);
    fclose(f);
    p11_config_load_file(&cfg, conf);
    ck_assert_str_eq(cfg.cache, "/var/cache/x");
    ck_assert_ptr_nonnull(f = fopen(conf, "we"));
    fputs("cache = relative/dir\n", f);
    fclose(f);
    p11_config_load_file(&cfg, conf);
    ck_assert_str_eq(cfg.cache, "");
    setenv("JPKI_PKCS11_CACHE", "off", 1);
    p11_config_load_file(&cfg, conf);
    ck_assert_str_eq(cfg.cache, "off");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    SRunner *sr;
    int failed;

    /* The template card (key generation) once, here, not in every test. */
    char tmpl[4096];
    if (tu_card_copy(tmpl, sizeof tmpl) != 0)
        return EXIT_FAILURE;
    tu_card_remove(tmpl);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, warm_open_reads_nothing);
    tcase_add_test(tc, other_card_never_served);
    tcase_add_test(tc, corrupted_file_ignored_and_rewritten);
    tcase_add_test(tc, truncated_file_ignored_and_rewritten);
    tcase_add_test(tc, loose_directory_tightened);
    tcase_add_test(tc, old_files_pruned);
    tcase_add_test(tc, default_directory);
    tcase_add_test(tc, cache_off);
    tcase_add_test(tc, no_signature_certificate_on_disk);
    add_pin_tests(tc);
    add_pss_tests(tc);
    add_cardfiles_tests(tc);
    tcase_add_test(tc, config_key);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
