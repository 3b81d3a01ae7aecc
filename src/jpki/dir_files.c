/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dir_files.c - the regular files of a directory, in name order (anchors
 * and CRL directories: the order makes the choice among equals, and the
 * report, the same on every run).
 */
#include "jpki/verify_priv.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int jpki_dir_files(const char *dir, void (*fn)(const char *path, void *ctx),
                   void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = ncap;
        }
        if ((names[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) <
                sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode))
            fn(path, ctx);
        free(names[i]);
    }
    free(names);
    return 0;
}
