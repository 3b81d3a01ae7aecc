/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_fileutil.c - the shared file rules (src/common/fileutil.h): private
 * directories and files against what another user could plant (symlink,
 * FIFO, foreign owner, group or other write, oversized), atomic
 * replacement (and its clean-up on failure), the read/write loops and file
 * identity. Foreign-owner cases need root (they chown to nobody) and are
 * skipped otherwise.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileutil.h"

static char top[4096];

static void setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(top, sizeof top, "%s/fileutil.XXXXXX", t && t[0] ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(top));
}

static void teardown(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fu_write_all(fd, text, strlen(text)), 0);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(dir_created_private)
{
    char p[4300];
    struct stat st;
    const char *why = NULL;
    snprintf(p, sizeof p, "%s/a/b/c", top);
    ck_assert_int_eq(fu_private_dir(p, 0, &why), -1);
    ck_assert_str_eq(why, "missing");
    int fd = fu_private_dir(p, 1, &why);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(chmod(p, 0755), 0); /* readable: tightened */
    fd = fu_private_dir(p, 0, &why);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
}
END_TEST

START_TEST(dir_hostile)
{
    char p[4300], l[4300], f[4300];
    const char *why = NULL;
    struct stat st;
    snprintf(p, sizeof p, "%s/d", top);
    snprintf(l, sizeof l, "%s/link", top);
    snprintf(f, sizeof f, "%s/file", top);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    ck_assert_int_eq(symlink(p, l), 0);
    ck_assert_int_eq(fu_private_dir(l, 1, &why), -1); /* symlink */
    ck_assert_str_eq(why, "not a directory (or a symlink)");
    put(f, "x", 0600);
    ck_assert_int_eq(fu_private_dir(f, 1, &why), -1); /* a file */
    ck_assert_int_eq(chmod(p, 0770), 0);
    ck_assert_int_eq(fu_private_dir(p, 1, &why), -1); /* group-writable */
    ck_assert_str_eq(why, "writable by other users");
    ck_assert_int_eq(chmod(p, 01777), 0);
    ck_assert_int_eq(fu_private_dir(p, 1, &why), -1); /* like /tmp */
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 01777); /* left as it was */
    if (geteuid() == 0) {
        ck_assert_int_eq(chmod(p, 0700), 0);
        ck_assert_int_eq(chown(p, 65534, 65534), 0);
        ck_assert_int_eq(fu_private_dir(p, 1, &why), -1);
        ck_assert_str_eq(why, "owned by another user");
    }
}
END_TEST

START_TEST(file_hostile)
{
    char p[4300];
    struct stat st;
    const char *why = NULL;
    int dfd = fu_private_dir(top, 0, NULL);
    ck_assert_int_ge(dfd, 0);
    ck_assert_int_eq(fu_open_private(dfd, "none", 100, &st, &why), -1);
    ck_assert_int_eq(errno, ENOENT);
    snprintf(p, sizeof p, "%s/good", top);
    put(p, "hello", 0600);
    int fd = fu_open_private(dfd, "good", 5, &st, &why);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); /* cleared again */
    char buf[6] = { 0 };
    ck_assert_int_eq(fu_read_all(fd, buf, 5), 0);
    ck_assert_str_eq(buf, "hello");
    ck_assert_int_eq(fu_read_all(fd, buf, 1), -1); /* past the end */
    close(fd);
    ck_assert_int_eq(fu_open_private(dfd, "good", 4, &st, &why),
                     -1); /* oversized */
    ck_assert_str_eq(why, "too large");
    ck_assert_int_eq(symlinkat("good", dfd, "sym"), 0);
    ck_assert_int_eq(fu_open_private(dfd, "sym", 100, &st, &why), -1);
    ck_assert_str_eq(why, "a symlink");
    snprintf(p, sizeof p, "%s/fifo", top);
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    alarm(10); /* never hangs */
    ck_assert_int_eq(fu_open_private(dfd, "fifo", 100, &st, &why), -1);
    ck_assert_int_eq(fu_open_regular(p, &st, &why), -1);
    alarm(0);
    ck_assert_str_eq(why, "not a regular file");
    ck_assert_int_eq(mkdirat(dfd, "sub", 0700), 0);
    ck_assert_int_eq(fu_open_private(dfd, "sub", 100, &st, &why), -1);
    snprintf(p, sizeof p, "%s/gw", top);
    put(p, "x", 0620);
    ck_assert_int_eq(fu_open_private(dfd, "gw", 100, &st, &why), -1);
    ck_assert_str_eq(why, "writable by other users");
    snprintf(p, sizeof p, "%s/ow", top);
    put(p, "x", 0602);
    ck_assert_int_eq(fu_open_private(dfd, "ow", 100, &st, &why), -1);
    fd = fu_open_regular(p, &st, &why); /* any owner and mode: opened */
    ck_assert_int_ge(fd, 0);
    close(fd);
    if (geteuid() == 0) {
        snprintf(p, sizeof p, "%s/theirs", top);
        put(p, "x", 0600);
        ck_assert_int_eq(chown(p, 65534, 65534), 0);
        ck_assert_int_eq(fu_open_private(dfd, "theirs", 100, &st, &why), -1);
        ck_assert_str_eq(why, "owned by another user");
    }
    close(dfd);
}
END_TEST

START_TEST(atomic_replace)
{
    char p[4300];
    struct stat st;
    int dfd = fu_private_dir(top, 0, NULL);
    ck_assert_int_ge(dfd, 0);
    ck_assert_int_eq(fu_atomic_replace(dfd, "f", "one", 3), 0);
    ck_assert_int_eq(fu_atomic_replace(dfd, "f", "second", 6), 0);
    snprintf(p, sizeof p, "%s/f", top);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 6);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(entries(top), 1); /* no temporary left */
    /* A symlink at the name is replaced, its target untouched. */
    put(p, "target", 0600);
    ck_assert_int_eq(symlinkat("f", dfd, "l"), 0);
    ck_assert_int_eq(fu_atomic_replace(dfd, "l", "new", 3), 0);
    ck_assert_int_eq(fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 6);
    /* The rename fails (a directory there): the temporary file goes. */
    ck_assert_int_eq(mkdirat(dfd, "d", 0700), 0);
    ck_assert_int_eq(mkdirat(dfd, "d/x", 0700), 0);
    int before = entries(top);
    ck_assert_int_eq(fu_atomic_replace(dfd, "d", "data", 4), -1);
    ck_assert_int_eq(entries(top), before);
    /* A failed write: aborted, nothing left. */
    fu_atomic a;
    ck_assert_int_eq(fu_atomic_begin(&a, dfd, "g"), 0);
    ck_assert_int_eq(entries(top), before + 1);
    fu_atomic_abort(&a);
    ck_assert_int_eq(entries(top), before);
    close(dfd);
}
END_TEST

START_TEST(identity)
{
    char p[4300];
    struct stat a, b;
    fu_ident ia, ib;
    snprintf(p, sizeof p, "%s/i", top);
    put(p, "abc", 0600);
    ck_assert_int_eq(stat(p, &a), 0);
    fu_ident_of(&a, &ia);
    ck_assert_int_eq(stat(p, &b), 0);
    fu_ident_of(&b, &ib);
    ck_assert(fu_ident_same(&ia, &ib));
    struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000, 5 } };
    ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
    ck_assert_int_eq(stat(p, &b), 0);
    fu_ident_of(&b, &ib);
    ck_assert(!fu_ident_same(&ia, &ib));
    ck_assert_int_eq(ib.mtime_ns, INT64_C(1000000000005));
    ck_assert_uint_eq(ib.size, 3);
}
END_TEST

/* By path: the emulator's image (0600) and CRL (0644). */
START_TEST(replace_by_path)
{
    char p[4300], q[4300];
    struct stat st;
    fu_ident id, now;
    const char *why = NULL;
    snprintf(p, sizeof p, "%s/crl", top);
    put(p, "old contents", 0600);
    ck_assert_int_eq(fu_replace_path(p, "new", 3, 0644, &id, &why), 0);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0644);
    ck_assert_int_eq(st.st_size, 3);
    ck_assert_int_eq(entries(top), 1); /* no temporary left */
    /* id is the file as it stands after the rename. */
    ck_assert_int_eq(fu_ident_path(p, &now), 0);
    ck_assert(fu_ident_same(&id, &now));
    ck_assert_int_eq(fu_replace_path(p, "secret", 6, 0600, NULL, &why), 0);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(fu_ident_path(p, &now), 0);
    ck_assert(!fu_ident_same(&id, &now));
    /* No directory: refused before anything is written. */
    snprintf(q, sizeof q, "%s/none/crl", top);
    ck_assert_int_eq(fu_replace_path(q, "x", 1, 0600, NULL, &why), -1);
    ck_assert_str_eq(why, "cannot open its directory");
    ck_assert_int_eq(fu_ident_path(q, &now), -1);
    /* The rename fails (a directory there): the temporary file goes. */
    snprintf(q, sizeof q, "%s/d", top);
    ck_assert_int_eq(mkdir(q, 0700), 0);
    snprintf(q, sizeof q, "%s/d/x", top);
    ck_assert_int_eq(mkdir(q, 0700), 0);
    snprintf(q, sizeof q, "%s/d", top);
    why = NULL;
    ck_assert_int_eq(fu_replace_path(q, "x", 1, 0600, &id, &why), -1);
    ck_assert_str_eq(why, "cannot write");
    ck_assert_int_eq(entries(top), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fileutil");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dir_created_private);
    tcase_add_test(tc, dir_hostile);
    tcase_add_test(tc, file_hostile);
    tcase_add_test(tc, atomic_replace);
    tcase_add_test(tc, identity);
    tcase_add_test(tc, replace_by_path);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
