/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzzutil.c - helpers declared in fuzz.h. */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t fz_u8(fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

uint16_t fz_u16(fz_in *in)
{
    uint16_t hi = fz_u8(in);
    return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t fz_u32(fz_in *in)
{
    uint32_t hi = fz_u16(in);
    return hi << 16 | fz_u16(in);
}

const uint8_t *fz_bytes(fz_in *in, size_t want, size_t *got)
{
    const uint8_t *p = in->p;

    *got = want < in->n ? want : in->n;
    in->p += *got;
    in->n -= *got;
    return p;
}

static char tmp_dir[1024];
static pid_t tmp_owner;

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* nftw callback for fz_empty_dir: every entry below the top. */
static int rm_below(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    return ftw->level == 0 ? 0 : rm_entry(path, st, flag, ftw);
}

int fz_empty_dir(const char *dir)
{
    return nftw(dir, rm_below, 16, FTW_DEPTH | FTW_PHYS) == 0 ||
                   errno == ENOENT
               ? 0
               : -1;
}

static void rm_tmpdir(void)
{
    if (tmp_dir[0] && getpid() == tmp_owner)
        nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fz_tmpdir(void)
{
    if (!tmp_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/jpki-fuzz-XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(tmp_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        tmp_owner = getpid();
        atexit(rm_tmpdir);
    }
    return tmp_dir;
}

void fz_path(char *buf, size_t cap, const char *name)
{
    if ((size_t)snprintf(buf, cap, "%s/%s", fz_tmpdir(), name) >= cap)
        abort();
}

int fz_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const uint8_t *p = data;

    if (fd < 0)
        return -1;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd);
}
