/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_san.c - the decoder of the card holder's personal data in a
 * signature certificate's subjectAltName (src/jpki/san.c) over fuzzed
 * GeneralNames DER, and the birth-date parser over fuzzed text. A decoded
 * person must be consistent: what `present` says is there, is there, and
 * the strings are NUL-terminated. FUZZ_WRITE_SEEDS=DIR writes seeds (the
 * subjectAltName of a fresh test card's signature certificate).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "emu/emu.h"
#include "jpki/san.h"

static void write_seeds(const char *dir)
{
    char card[4096], err[512] = "", path[4200], line[65536];
    FILE *f;
    X509 *x = NULL;

    fz_path(card, sizeof card, "san.card");
    if (emu_personalize(card, NULL, err, sizeof err) != EMU_OK ||
        !(f = fopen(card, "r")))
        abort();
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "sign_cert ", 10) != 0)
            continue;
        size_t n = strcspn(line + 10, "\n") / 2;
        uint8_t *der = malloc(n);
        for (size_t i = 0; i < n; i++) {
            unsigned v;
            sscanf(line + 10 + 2 * i, "%2x", &v);
            der[i] = (uint8_t)v;
        }
        const unsigned char *p = der;
        x = d2i_X509(NULL, &p, (long)n);
        free(der);
    }
    fclose(f);
    int i = x ? X509_get_ext_by_NID(x, NID_subject_alt_name, -1) : -1;
    if (i < 0)
        abort();
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, i));
    snprintf(path, sizeof path, "%s/seed-sign-cert-san", dir);
    if (fz_write_file(path, ASN1_STRING_get0_data(v),
                      (size_t)ASN1_STRING_length(v)))
        abort();
    snprintf(path, sizeof path, "%s/seed-birth", dir);
    if (fz_write_file(path,
                      "\xff"
                      "419900101",
                      10))
        abort();
    X509_free(x);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *seeds = getenv("FUZZ_WRITE_SEEDS");

    (void)argc;
    (void)argv;
    if (seeds)
        write_seeds(seeds);
    return 0;
}

/* Safe for a terminal: no C0, DEL or C1 control (C1 is C2 80..9F in
 * UTF-8), no overlong lead byte (C0, C1, E0 80..9F, F0 80..8F), no
 * surrogate (ED A0..BF), nothing beyond U+10FFFF (F4 90.., F5..FF). */
static void check_text(const unsigned char *s)
{
    for (; *s; s++) {
        if (*s < 0x20 || *s == 0x7F || *s == 0xC0 || *s == 0xC1 || *s >= 0xF5)
            abort();
        if (s[1] &&
            ((s[0] == 0xC2 && s[1] < 0xA0) || (s[0] == 0xE0 && s[1] < 0xA0) ||
             (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xED && s[1] >= 0xA0) ||
             (s[0] == 0xF4 && s[1] >= 0x90)))
            abort();
    }
}

static void check_str(const char *s, unsigned present, unsigned bit)
{
    if (!!s != !!(present & bit))
        abort();
    if (s)
        check_text((const unsigned char *)s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jpki_person p;
    jpki_era era;
    int y, m, d;

    /* A first byte 0xFF: the rest is a birth date to parse. */
    if (size && data[0] == 0xFF) {
        if (jpki_san_birth((const char *)data + 1, size - 1, &era, &y, &m,
                           &d) == 0 &&
            (era > JPKI_ERA_REIWA || m < 1 || m > 12 || d < 1 || d > 31))
            abort();
        return 0;
    }
    if (jpki_san_decode(data, size, &p) == JPKI_SAN_OK) {
        check_str(p.name, p.present, JPKI_PD_NAME);
        check_str(p.name_subst, p.present, JPKI_PD_NAME_SUBST);
        check_str(p.address, p.present, JPKI_PD_ADDRESS);
        check_str(p.address_subst, p.present, JPKI_PD_ADDRESS_SUBST);
        if ((p.present & JPKI_PD_SEX) && (p.sex < 1 || p.sex > 3))
            abort();
        if ((p.present & JPKI_PD_BIRTH) &&
            (p.birth_month < 1 || p.birth_month > 12))
            abort();
    } else if (p.name || p.address || p.present) {
        abort(); /* "On anything but JPKI_SAN_OK, *out is left cleared." */
    }
    jpki_person_clear(&p);
    jpki_person_clear(&p); /* "safe to call twice" */
    return 0;
}
