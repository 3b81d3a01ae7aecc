/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fileutil.c - private directories, private files, atomic replacement
 * (the rules are in fileutil.h).
 */
#include "common/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PIECE 65536

/* All of len bytes read or written, retrying EINTR; writes in pieces. */
static int io_all(int fd, uint8_t *p, size_t len, int writing)
{
    while (len > 0) {
        ssize_t k = writing ? write(fd, p, len > PIECE ? PIECE : len)
                            : read(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

int fu_write_all(int fd, const void *buf, size_t len)
{
    return io_all(fd, (uint8_t *)(uintptr_t)buf, len, 1);
}

int fu_read_all(int fd, void *buf, size_t len)
{
    return io_all(fd, buf, len, 0);
}

void fu_ident_of(const struct stat *st, fu_ident *id)
{
    id->dev = (uint64_t)st->st_dev;
    id->ino = (uint64_t)st->st_ino;
    id->size = (uint64_t)st->st_size;
    id->mtime_ns =
        (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    id->ctime_ns =
        (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

int fu_ident_same(const fu_ident *a, const fu_ident *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

int fu_ident_path(const char *path, fu_ident *id)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        memset(id, 0, sizeof(*id));
        return -1;
    }
    fu_ident_of(&st, id);
    return 0;
}

static void say(const char **why, const char *what)
{
    if (why)
        *why = what;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char parent[PATH_MAX];
    if ((size_t)snprintf(parent, sizeof parent, "%s", path) >= sizeof parent)
        return -1;
    char *slash = strrchr(parent, '/');
    if (!slash || slash == parent)
        return -1;
    *slash = '\0';
    if (make_dirs(parent) != 0)
        return -1;
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int fu_private_dir(const char *path, int create, const char **why)
{
    struct stat st;
    if (!path || !path[0]) {
        say(why, "no directory given");
        return -1;
    }
    if (create && make_dirs(path) != 0) {
        say(why, "cannot be created");
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        say(why, errno == ENOENT ? "missing"
                 : errno == ELOOP || errno == ENOTDIR
                     ? "not a directory (or a symlink)"
                     : "cannot be opened");
        return -1;
    }
    const char *bad = NULL;
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))
        bad = "not a directory";
    else if (st.st_uid != geteuid())
        bad = "owned by another user";
    else if (st.st_mode & 022)
        bad = "writable by other users";
    else if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0)
        bad = "cannot be made private (0700)";
    if (bad) {
        close(fd);
        say(why, bad);
        return -1;
    }
    return fd;
}

/* Opens with O_NONBLOCK and checks the type (and owner, mode and size when
 * priv); clears O_NONBLOCK again. */
static int open_checked(int dirfd, const char *name, int priv,
                        uint64_t max_size, struct stat *st, const char **why)
{
    int fd = openat(dirfd, name,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        say(why, errno == ENOENT  ? "missing"
                 : errno == ELOOP ? "a symlink"
                                  : "cannot be opened");
        return -1;
    }
    const char *bad = NULL;
    int flags;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))
        bad = "not a regular file";
    else if (priv && st->st_uid != geteuid())
        bad = "owned by another user";
    else if (priv && (st->st_mode & 022))
        bad = "writable by other users";
    else if (priv && (uint64_t)st->st_size > max_size)
        bad = "too large";
    else if ((flags = fcntl(fd, F_GETFL)) < 0 ||
             fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        bad = "cannot be opened";
    if (bad) {
        close(fd);
        say(why, bad);
        errno = EPERM;
        return -1;
    }
    return fd;
}

int fu_open_private(int dirfd, const char *name, uint64_t max_size,
                    struct stat *st, const char **why)
{
    return open_checked(dirfd, name, 1, max_size, st, why);
}

int fu_open_regular(const char *path, struct stat *st, const char **why)
{
    return open_checked(AT_FDCWD, path, 0, 0, st, why);
}

int fu_atomic_begin(fu_atomic *a, int dirfd, const char *name)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    a->dirfd = dirfd;
    a->fd = -1;
    if ((size_t)snprintf(a->name, sizeof a->name, "%s", name) >=
        sizeof a->name)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t r = (uint64_t)ts.tv_nsec * UINT64_C(0x9e3779b97f4a7c15) ^
                 (uint64_t)getpid() << 20 ^ (uint64_t)(uintptr_t)a;
    for (int tries = 0; tries < 100; tries++) {
        char sfx[7];
        for (int i = 0; i < 6;
             i++, r = r * UINT64_C(6364136223846793005) + 1442695040888963407u)
            sfx[i] = digits[(r >> 33) % (sizeof digits - 1)];
        sfx[6] = '\0';
        snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%s", name, sfx);
        a->fd =
            openat(dirfd, a->tmp,
                   O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (a->fd >= 0 || errno != EEXIST)
            break;
    }
    return a->fd >= 0 ? 0 : -1;
}

void fu_atomic_abort(fu_atomic *a)
{
    if (a->fd < 0)
        return;
    unlinkat(a->dirfd, a->tmp, 0);
    close(a->fd);
    a->fd = -1;
}

/* fu_atomic_commit, saying which step failed. */
static int commit(fu_atomic *a, const char **why)
{
    if (a->fd < 0 || fsync(a->fd) != 0 ||
        renameat(a->dirfd, a->tmp, a->dirfd, a->name) != 0) {
        int e = errno;
        if (a->fd >= 0)
            unlinkat(a->dirfd, a->tmp, 0);
        errno = e;
        say(why, "cannot write");
        return -1;
    }
    if (fsync(a->dirfd) != 0) {
        say(why, "cannot sync its directory");
        return -1;
    }
    return 0;
}

int fu_atomic_commit(fu_atomic *a)
{
    return commit(a, NULL);
}

int fu_atomic_replace(int dirfd, const char *name, const void *buf, size_t len)
{
    fu_atomic a;
    if (fu_atomic_begin(&a, dirfd, name) != 0)
        return -1;
    if (fu_write_all(a.fd, buf, len) != 0) {
        fu_atomic_abort(&a);
        return -1;
    }
    int rc = fu_atomic_commit(&a);
    if (close(a.fd) != 0)
        rc = -1;
    return rc;
}

/* The directory part of path opened for fsync (".": no slash). */
static int open_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (n == 0)
        memcpy(dir, ".", 2);
    else {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int fu_replace_path(const char *path, const void *buf, size_t len, mode_t mode,
                    fu_ident *id, const char **why)
{
    const char *slash = strrchr(path, '/');
    const char *bad = NULL;
    struct stat st;
    fu_atomic a;
    int dirfd = open_parent(path);
    if (dirfd < 0) {
        say(why, "cannot open its directory");
        return -1;
    }
    if (fu_atomic_begin(&a, dirfd, slash ? slash + 1 : path) != 0)
        bad = "cannot create a temporary file";
    else if ((mode != 0600 && fchmod(a.fd, mode) != 0) ||
             fu_write_all(a.fd, buf, len) != 0) {
        int e = errno;
        fu_atomic_abort(&a);
        errno = e;
        bad = "cannot write";
    } else {
        /* fstat after the rename, which may change the ctime. */
        if (commit(&a, &bad) == 0 && fstat(a.fd, &st) != 0)
            bad = "cannot write";
        int e = errno;
        if (close(a.fd) != 0 && !bad)
            bad = "cannot write";
        else
            errno = e;
    }
    int e = errno;
    close(dirfd);
    errno = e;
    if (bad) {
        say(why, bad);
        return -1;
    }
    if (id)
        fu_ident_of(&st, id);
    return 0;
}
