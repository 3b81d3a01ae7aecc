/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_cardid.c - the card id behind the tokens' serial numbers
 * (src/jpki/card_id.c) from card-supplied bytes: the card's answers come
 * from the fuzzer through the fuzzing reader (fuzzreader.c). Opening the
 * card, then the id twice (the second from memory) and the chip serial.
 * An id is 16 uppercase hex digits and the same both times; a serial is
 * printable. Input: a flags byte (fuzzreader.h), then the answers.
 * FUZZ_WRITE_SEEDS=DIR records the emulator's answers (a card, and a
 * smartphone token) into seeds.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "fuzzreader.h"
#include "jpki/cache.h"
#include "jpki/jpki.h"

static void ids(reader *r)
{
    jpki_card *c = NULL;
    char a[17], b[17];
    if (jpki_card_open(r, &c) != JPKI_OK)
        return;
    const char *serial = jpki_card_serial(c);
    for (size_t i = 0; serial && serial[i]; i++)
        if (serial[i] < 0x20 || serial[i] > 0x7E)
            abort(); /* printed by jpki-tool status and in token labels */
    memset(a, 'x', sizeof a);
    if (jpki_card_id(c, a) == JPKI_OK) {
        if (a[16] != '\0' || strspn(a, "0123456789ABCDEF") != 16)
            abort();
        if (jpki_card_id(c, b) != JPKI_OK || memcmp(a, b, 17) != 0)
            abort(); /* the id does not change */
    }
    jpki_card_close(c);
}

static void seed(const char *out, const char *name, int smartphone)
{
    char card[4096], err[512] = "", path[4200];
    emu_init_opts o = { .smartphone = smartphone };
    reader *inner = NULL, *r;
    fz_recording rec = { 0 };
    uint8_t flags = 0;
    fz_path(card, sizeof card, name);
    if (emu_personalize(card, &o, err, sizeof err) != EMU_OK ||
        reader_emu_new(card, &inner) != READER_OK)
        abort();
    fz_rec_put(&rec, &flags, 1);
    r = fz_recorder_new(inner, &rec);
    ids(r);
    reader_free(r);
    reader_free(inner);
    snprintf(path, sizeof path, "%s/%s", out, name);
    if (fz_write_file(path, rec.buf, rec.len))
        abort();
    free(rec.buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* no cache: each input is a card seen for the first time */
    jpki_cache_configure("off");
    const char *out = getenv("FUZZ_WRITE_SEEDS");
    if (out) {
        seed(out, "seed-cardid-card", 0);
        seed(out, "seed-cardid-phone", 1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    reader *r = fz_reader_new(&in, flags);
    ids(r);
    reader_free(r);
    return 0;
}
