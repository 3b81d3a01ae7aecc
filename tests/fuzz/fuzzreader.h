/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzzreader.h - a reader backend whose card answers with the fuzzer's
 * bytes, and a recording reader that writes a real card's answers in the
 * same encoding (to make seeds from the emulator).
 *
 * Encoding of the answers, one after the other:
 *   T < 0xF0      an answer of T bytes follows (data and status word)
 *   T = 0xF0      a 2-byte big-endian length, then that many bytes
 *   T = 0xF1..F8  the transmit fails with reader error T - 0xF0
 *                 (READER_ERR_ARGS .. READER_ERR_BUSY)
 *   T > 0xF8      the transmit fails with READER_ERR_COMM
 * When the bytes run out the card is gone (READER_ERR_REMOVED), so every
 * exchange consumes input or ends the flow: a harness cannot loop.
 * A PIN-pad VERIFY takes its status word from the next answer.
 */
#ifndef JPKI_FUZZREADER_H
#define JPKI_FUZZREADER_H

#include "fuzz.h"
#include "reader/reader.h"

#define FZR_PINPAD 0x01u      /* the reader has a PIN pad */
#define FZR_RESET_FIRST 0x02u /* the first begin reports a reset */

reader *fz_reader_new(fz_in *in, unsigned flags);

/* Wraps inner (owned by the caller): every answer is also appended to the
 * recording, in the encoding above. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
} fz_recording;
reader *fz_recorder_new(reader *inner, fz_recording *rec);
int fz_rec_put(fz_recording *rec, const void *p, size_t n);

#endif
