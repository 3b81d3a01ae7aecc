/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mockreader.h - a reader whose card answers from a script, for tests of
 * the APDU codec and the JPKI layer against answers no real card (nor the
 * emulator) gives: garbage, odd status words, GET RESPONSE chains.
 */
#ifndef JPKI_MOCKREADER_H
#define JPKI_MOCKREADER_H

#include <stddef.h>
#include <stdint.h>

#include "reader/reader.h"

#define MOCK_MAX_STEPS 64

typedef struct {
    /* The scripted answers, in order; after the last: 6F00. */
    uint8_t rsp[MOCK_MAX_STEPS][300];
    size_t rsp_len[MOCK_MAX_STEPS];
    reader_rv fail[MOCK_MAX_STEPS]; /* transport error at this step */
    size_t n_steps;
    /* What the host sent. */
    uint8_t cmd[MOCK_MAX_STEPS][300];
    size_t cmd_len[MOCK_MAX_STEPS];
    size_t n_cmds;
    int begins, ends;
    /* reader_begin answers READER_ERR_RESET this many times first. */
    int begin_resets;
    /* Warm resets asked for (reader_reset), and the number of commands
     * sent before the last one. */
    int card_resets;
    size_t reset_at;
} mock_script;

reader *mock_reader_new(mock_script *script);
/* Appends an answer given as hex ("9000", "6A82", "0102 9000"). */
void mock_answer(mock_script *s, const char *hex);
void mock_fail(mock_script *s, reader_rv rv);
/* The i-th command as hex without spaces, for comparison. */
const char *mock_cmd_hex(const mock_script *s, size_t i);

#endif
