/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seed_apdu.c - makes seeds for the apdu target: runs fz_apdu_ops against
 * the emulator (fresh test cards: plain, PIN pad, smartphone) through a
 * recording reader and writes header + recorded answers, one file per
 * scenario, into DIR. Built by tests/fuzz/build.sh seeds; not part of
 * make check.
 *
 *   seed-apdu DIR
 */
#include "fuzz.h"
#include "fuzz_apdu.h"
#include "fuzzreader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"

typedef struct {
    const char *name;
    const char *faults; /* JPKI_EMU_FAULTS */
    int variant;        /* 0 plain card, 1 PIN pad, 2 smartphone */
    unsigned flags;
    uint8_t ops[15];
    size_t n_ops;
} scenario;

static const scenario scenarios[] = {
    { "read-all", NULL, 0, 0, { 0x00, 0x01, 0x10, 0x11, 0x02, 0x12 }, 6 },
    { "login-sign",
      NULL,
      0,
      0,
      { 0x02, 0x03, 0x05 | 0x80, 0x13, 0x15 | 0x80, 0x10 },
      6 },
    { "wrong-pin", NULL, 0, 0, { 0x23, 0x02, 0x33, 0x12, 0x03 }, 5 },
    { "change-pin", NULL, 0, 0, { 0x06, 0x26, 0x16, 0x36, 0x07 }, 5 },
    { "group", NULL, 0, 0, { 0x03, 0x08, 0x07, 0x05, 0x0A }, 5 },
    { "pinpad",
      NULL,
      1,
      FZR_PINPAD,
      { 0x04, 0x05 | 0x80, 0x14, 0x15 | 0x80 },
      4 },
    { "smartphone", NULL, 2, 0, { 0x00, 0x03, 0x00, 0x09, 0x10 }, 5 },
    { "get-response",
      "get-response",
      0,
      0,
      { 0x00, 0x10, 0x03, 0x05 | 0x80 },
      4 },
    { "wrong-le", "wrong-le", 0, 0, { 0x00, 0x01, 0x11 }, 3 },
    { "reset",
      NULL,
      0,
      FZR_RESET_FIRST,
      { 0x07, 0x00, 0x03, 0x05 | 0x80 },
      4 },
};

static int make(const char *dir, const scenario *s)
{
    char copy[4096], out[4096], err[512] = "";
    fz_recording rec = { 0 };
    uint8_t head[2] = { (uint8_t)s->flags, (uint8_t)s->n_ops };
    emu_init_opts opts = { .pinpad = s->variant == 1,
                           .smartphone = s->variant == 2 };
    reader *inner = NULL, *r;
    int rc;

    snprintf(copy, sizeof copy, "%s/seed-%s.card", fz_tmpdir(), s->name);
    snprintf(out, sizeof out, "%s/seed-%s", dir, s->name);
    if (emu_personalize(copy, &opts, err, sizeof err) != EMU_OK) {
        fprintf(stderr, "seed-apdu: cannot make a card: %s\n", err);
        return -1;
    }
    if (s->faults)
        setenv("JPKI_EMU_FAULTS", s->faults, 1);
    else
        unsetenv("JPKI_EMU_FAULTS");
    if (reader_emu_new(copy, &inner) != READER_OK) {
        fprintf(stderr, "seed-apdu: cannot load %s\n", copy);
        return -1;
    }
    fz_rec_put(&rec, head, 2);
    fz_rec_put(&rec, s->ops, s->n_ops);
    r = fz_recorder_new(inner, &rec);
    fz_apdu_ops(r, s->ops, s->n_ops);
    reader_free(r);
    reader_free(inner);
    rc = fz_write_file(out, rec.buf, rec.len);
    free(rec.buf);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seed-apdu DIR\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        if (make(argv[1], &scenarios[i]) != 0)
            return 1;
    return 0;
}
