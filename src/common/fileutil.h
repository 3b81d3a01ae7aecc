/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fileutil.h - the one place for the rules about files the module and the
 * tool write and later trust again (the certificate cache, the CRL index):
 *
 *   - a private directory is a real directory (never a symlink) owned by
 *     the effective uid and writable by nobody else; it is created 0700
 *     when missing, and a readable one is tightened to 0700. Everything
 *     inside is then reached relative to the descriptor of that very
 *     directory (openat, renameat), so a swap of the path afterwards
 *     changes nothing;
 *   - a private file is opened with O_NOFOLLOW | O_NONBLOCK (a FIFO or a
 *     device cannot hang the open), then must be a regular file owned by
 *     the effective uid, writable by nobody else and not larger than the
 *     caller's cap; O_NONBLOCK is then cleared;
 *   - a file is replaced atomically: a temporary file created O_EXCL 0600
 *     beside it, written, fsynced, renamed over the name, and the
 *     directory fsynced; any failure removes the temporary file.
 *
 * Every function that refuses something can say why in a short static
 * string (for one log line; never a file's contents).
 */
#ifndef JPKI_FILEUTIL_H
#define JPKI_FILEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Writes all of buf (in 64 KiB pieces, retrying EINTR). 0 or -1. */
int fu_write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes. 0, or -1 (error, or the file ended early). */
int fu_read_all(int fd, void *buf, size_t len);

/* A file's identity: it changes whenever the file is replaced or written. */
typedef struct {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
} fu_ident;

void fu_ident_of(const struct stat *st, fu_ident *id);
int fu_ident_same(const fu_ident *a, const fu_ident *b);
/* The identity of the file at path now (following a symlink). 0, or -1
 * when it cannot be stat'ed (id is then zeroed). */
int fu_ident_path(const char *path, fu_ident *id);

/* Opens the private directory at path (O_DIRECTORY | O_NOFOLLOW) and checks
 * it; create: make it (and missing parents) 0700 first. The descriptor, or
 * -1 with *why set (why may be NULL). */
int fu_private_dir(const char *path, int create, const char **why);

/* Opens name relative to dirfd (AT_FDCWD: a path) read-only as a private
 * file of at most max_size bytes; *st gets its stat. The descriptor, or -1:
 * errno ENOENT when there is no such file (why "missing"), else *why says
 * what is wrong with it. */
int fu_open_private(int dirfd, const char *name, uint64_t max_size,
                    struct stat *st, const char **why);

/* Opens a file to be read (any owner: its contents are checked by other
 * means) without following a FIFO's open into a hang: O_NONBLOCK, then a
 * regular-file check, then O_NONBLOCK cleared. -1 with *why on refusal. */
int fu_open_regular(const char *path, struct stat *st, const char **why);

/* An atomic replacement in progress: fd is the temporary file's. */
typedef struct {
    int dirfd;
    int fd;
    char name[256];
    char tmp[256 + 24];
} fu_atomic;

/* The temporary file "<name>.tmp.XXXXXX" in dirfd, 0600, O_EXCL. 0 or -1. */
int fu_atomic_begin(fu_atomic *a, int dirfd, const char *name);
/* fsync, rename over name, fsync of the directory. a->fd stays open (the
 * caller closes it). On failure the temporary file is removed. 0 or -1. */
int fu_atomic_commit(fu_atomic *a);
/* Removes the temporary file and closes it. */
void fu_atomic_abort(fu_atomic *a);
/* begin, write, commit and close in one. 0 or -1. */
int fu_atomic_replace(int dirfd, const char *name, const void *buf,
                      size_t len);
/* The same for a file named by path (its directory is the path's, opened
 * as it is, not checked as private): the new file gets mode (0600 for
 * secrets) and, when id is not NULL, its identity as it stands in place.
 * 0, or -1 with errno and *why naming the step that failed (why may be
 * NULL). Failing the directory's fsync leaves the new file in place. */
int fu_replace_path(const char *path, const void *buf, size_t len, mode_t mode,
                    fu_ident *id, const char **why);

#endif
