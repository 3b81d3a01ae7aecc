/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_cache.c - the certificate cache's file parser (src/jpki/cache.c),
 * through its public interface only: the fuzzer's bytes become the cache
 * file of a fixed card identity (the harness appends the right SHA-256, so
 * the parser itself is reached; a first byte 'X' leaves it wrong), then
 * the cache is opened. Whatever it keeps must be a public file of a sane
 * size, a damaged file must leave nothing, and what is kept must survive
 * a write and a second open byte for byte. FUZZ_WRITE_SEEDS=DIR writes a
 * seed: a cache file with every kind of entry, without its checksum.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jpki/cache.h"

#define IDENTITY                                                              \
    "fuzz-reader\x1f"                                                         \
    "42\x1f"                                                                  \
    "7"
static const uint16_t fids[] = { 0x0006, 0x000A, 0x000B, 0x0002, 0xFF01 };
#define N_FIDS (sizeof fids / sizeof fids[0])
static char dir[4096];

/* The file the cache keeps for IDENTITY: made once, then found by name. */
static const char *cache_file(void)
{
    static char path[4400];
    if (path[0])
        return path;
    static const uint8_t info[] = "JPKIAPICCTOKEN2";
    jpki_cache *c = jpki_cache_open(IDENTITY);
    if (!c)
        abort();
    jpki_cache_put(c, fids[0], info, sizeof info);
    jpki_cache_flush(c);
    jpki_cache_free(c);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "card-", 5) == 0)
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (d)
        closedir(d);
    if (!path[0])
        abort();
    return path;
}

static void write_seeds(const char *out)
{
    jpki_cache *c = jpki_cache_open(IDENTITY);
    static uint8_t blob[3000];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < N_FIDS; i++)
        jpki_cache_put(c, fids[i], blob, i == N_FIDS - 1 ? 16 : 100 + 900 * i);
    jpki_cache_flush(c);
    jpki_cache_free(c);
    FILE *f = fopen(cache_file(), "rb");
    static uint8_t buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/seed-cache-file", out);
    if (n < 32 || fz_write_file(path, buf, n - 32))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_path(dir, sizeof dir, "cache");
    jpki_cache_configure(dir);
    const char *seeds = getenv("FUZZ_WRITE_SEEDS");
    if (seeds)
        write_seeds(seeds);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 300000)
        return 0;
    const char *path = cache_file();
    uint8_t *file = malloc(size + 32);
    unsigned mdlen = 0;
    if (!file)
        return 0;
    memcpy(file, data, size);
    EVP_Digest(data, size, file + size, &mdlen, EVP_sha256(), NULL);
    if (size && data[0] == 'X')
        file[size] ^= 1;
    if (fz_write_file(path, file, size + 32))
        abort();
    free(file);

    jpki_cache *c = jpki_cache_open(IDENTITY);
    if (!c)
        abort();
    const uint8_t *kept[N_FIDS] = { 0 };
    size_t len[N_FIDS] = { 0 }, any = 0;
    for (size_t i = 0; i < N_FIDS; i++) {
        if (!jpki_cache_get(c, fids[i], &kept[i], &len[i]))
            continue;
        if (len[i] == 0 || len[i] > 0x7FFF)
            abort();
        (void)kept[i][len[i] - 1]; /* readable to the end */
        any++;
    }
    const uint8_t *p;
    size_t n;
    if (jpki_cache_get(c, 0x0001, &p, &n) || jpki_cache_get(c, 0x0004, &p, &n))
        abort(); /* the signature certificate and the others never */
    if (any && size && data[0] == 'X')
        abort(); /* a wrong checksum keeps nothing */
    /* a new entry makes it write the file; the reopened cache has the same */
    if (!kept[0]) {
        static const uint8_t info[] = "JPKIAPICCTOKEN2";
        jpki_cache_put(c, fids[0], info, sizeof info);
        jpki_cache_flush(c);
        jpki_cache *d = jpki_cache_open(IDENTITY);
        if (!d)
            abort();
        for (size_t i = 0; i < N_FIDS; i++) {
            const uint8_t *a, *b;
            size_t la, lb;
            int ha = jpki_cache_get(c, fids[i], &a, &la),
                hb = jpki_cache_get(d, fids[i], &b, &lb);
            if (ha != hb || (ha && (la != lb || memcmp(a, b, la) != 0)))
                abort();
        }
        jpki_cache_free(d);
    }
    jpki_cache_free(c);
    fz_empty_dir(dir);
    return 0;
}
