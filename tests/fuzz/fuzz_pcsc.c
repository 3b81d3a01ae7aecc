/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_pcsc.c - what a PC/SC reader says about itself: the part 10
 * feature list (pcsc_parse_features, src/reader/pcsc_part10.c), checked
 * against a plain reading of the format, and the PIN_VERIFY/PIN_MODIFY
 * structures built for fuzzed PIN shapes (pcsc_build_verify/modify), which
 * must fit their buffer and carry the command they were given.
 * Input: the feature list; a first byte 0xFF: a PIN request instead.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "reader/pcsc_part10.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* The format read the simplest way: 6-byte records, length byte 4. */
static int reference(const uint8_t *b, size_t n, pcsc_features *f)
{
    memset(f, 0, sizeof *f);
    if (n % 6)
        return -1;
    for (size_t i = 0; i < n; i += 6) {
        if (b[i + 1] != 4) {
            memset(f, 0, sizeof *f);
            return -1;
        }
        uint32_t code = (uint32_t)b[i + 2] << 24 | (uint32_t)b[i + 3] << 16 |
                        (uint32_t)b[i + 4] << 8 | b[i + 5];
        if (b[i] == PCSC_FEATURE_VERIFY_PIN_DIRECT)
            f->verify_pin_direct = code;
        else if (b[i] == PCSC_FEATURE_MODIFY_PIN_DIRECT)
            f->modify_pin_direct = code;
    }
    return 0;
}

static void pin_structs(fz_in *in)
{
    reader_pinpad_req req;
    uint8_t out[PCSC_PIN_STRUCT_MAX + 64];
    memset(&req, 0, sizeof req);
    req.cla = fz_u8(in);
    req.ins = fz_u8(in);
    req.p1 = fz_u8(in);
    req.p2 = fz_u8(in);
    req.min_len = fz_u8(in);
    req.max_len = fz_u8(in);
    req.which = fz_u8(in);
    size_t cap = fz_u8(in) % sizeof out;
    memset(out, 0xAA, sizeof out);
    size_t n = pcsc_build_verify(&req, out, cap);
    if (n > cap ||
        (n && (n < PCSC_VERIFY_HDR + 5 || out[PCSC_VERIFY_HDR] != req.cla ||
               out[PCSC_VERIFY_HDR + 1] != req.ins ||
               out[PCSC_VERIFY_HDR + 3] != req.p2)))
        abort(); /* too long, or not the command it was asked for */
    for (size_t i = cap; i < sizeof out; i++)
        if (out[i] != 0xAA)
            abort(); /* wrote past what it was given */
    memset(out, 0xAA, sizeof out);
    n = pcsc_build_modify(&req, out, cap);
    if (n > cap ||
        (n && (n < PCSC_MODIFY_HDR + 5 || out[PCSC_MODIFY_HDR] != req.cla ||
               out[PCSC_MODIFY_HDR + 1] != req.ins)))
        abort();
    for (size_t i = cap; i < sizeof out; i++)
        if (out[i] != 0xAA)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size && data[0] == 0xFF) {
        fz_in in = { data + 1, size - 1 };
        pin_structs(&in);
        return 0;
    }
    /* a copy of exactly size bytes, so that ASan sees any over-read */
    uint8_t *b = calloc(1, size ? size : 1);
    if (!b)
        return 0;
    memcpy(b, data, size);
    pcsc_features f, g;
    memset(&f, 0x55, sizeof f);
    int rv = pcsc_parse_features(b, size, &f);
    int want = reference(b, size, &g);
    if (rv != want || memcmp(&f, &g, sizeof f) != 0)
        abort();
    free(b);
    return 0;
}
