/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_anchors.c - loading trust anchors (src/jpki/anchors.c): a directory
 * of up to four fuzzed files (PEM bundles, DER, anything), loaded as the
 * anchors; then every certificate found asks for its issuer among them.
 * The anchors found must be certificates of the set; a load that finds
 * nothing must say why. Input: a count byte, then each file as a 2-byte
 * big-endian length and its bytes; a single file if the count byte is 0.
 * FUZZ_WRITE_SEEDS=DIR writes seeds from a fresh test card's PKI.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emu/emu.h"
#include "jpki/verify.h"

static char dir[4096];

/* The seed format from whole files. */
static void write_seed(const char *out, const char *name,
                       const char *const *files, size_t n)
{
    static uint8_t buf[1 << 17];
    size_t len = 0;
    buf[len++] = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        FILE *f = fopen(files[i], "rb");
        uint8_t tmp[1 << 15];
        size_t k = f ? fread(tmp, 1, sizeof tmp, f) : 0;
        if (f)
            fclose(f);
        if (!k || len + 2 + k > sizeof buf)
            abort();
        buf[len++] = (uint8_t)(k >> 8);
        buf[len++] = (uint8_t)k;
        memcpy(buf + len, tmp, k);
        len += k;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", out, name);
    if (fz_write_file(path, buf, len))
        abort();
}

static void write_seeds(const char *out)
{
    char card[4096], err[512] = "", a[4200], s[4200], key[4200];
    fz_path(card, sizeof card, "anchors.card");
    emu_init_opts o = { .ca_generations = 2 };
    if (emu_personalize(card, &o, err, sizeof err) != EMU_OK)
        abort();
    snprintf(a, sizeof a, "%s.pki/auth-ca.pem", card);
    snprintf(s, sizeof s, "%s.pki/sign-ca.pem", card);
    snprintf(key, sizeof key, "%s.pki/auth-ca.key", card);
    const char *two[] = { a, s }, *with_key[] = { key, a };
    write_seed(out, "seed-two-roots", two, 2);
    write_seed(out, "seed-key-and-root", with_key, 2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_path(dir, sizeof dir, "anchors");
    mkdir(dir, 0700);
    const char *seeds = getenv("FUZZ_WRITE_SEEDS");
    if (seeds)
        write_seeds(seeds);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned n = fz_u8(&in) % 5;
    char path[4200];
    fz_empty_dir(dir);
    if (n == 0) {
        size_t got;
        const uint8_t *p = fz_bytes(&in, in.n, &got);
        snprintf(path, sizeof path, "%s/only.pem", dir);
        if (fz_write_file(path, p, got))
            abort();
    }
    for (unsigned i = 0; i < n; i++) {
        size_t want = fz_u16(&in), got;
        const uint8_t *p = fz_bytes(&in, want, &got);
        snprintf(path, sizeof path, "%s/%c%u.crt", dir, i == 3 ? '.' : 'f', i);
        if (fz_write_file(path, p, got))
            abort();
    }
    char err[256] = "";
    jpki_anchors *a = jpki_anchors_load(dir, err, sizeof err);
    if (!a) {
        if (!err[0])
            abort(); /* a failure says why */
        return 0;
    }
    STACK_OF(X509) *certs = jpki_anchors_certs(a);
    int m = sk_X509_num(certs);
    if (m <= 0)
        abort(); /* "NULL ... when nothing was found" */
    for (int i = 0; i < m; i++) {
        X509 *x = sk_X509_value(certs, i);
        for (int64_t at = 0; at <= 2000000000; at += 1000000000) {
            X509 *issuer = jpki_anchors_find_issuer(a, x, at);
            int found = 0;
            for (int j = 0; issuer && j < m; j++)
                found |= sk_X509_value(certs, j) == issuer;
            if (issuer && !found)
                abort(); /* an issuer from outside the anchors */
        }
    }
    jpki_anchors_free(a);
    return 0;
}
