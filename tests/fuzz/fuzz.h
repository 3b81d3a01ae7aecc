/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz.h - shared by the fuzz targets (tests/fuzz/fuzz_*.c): the libFuzzer
 * entry points, a reader of the fuzzer's bytes, and a private temporary
 * directory for targets whose code under test reads files.
 *
 * Every target is linked twice: with libFuzzer (tests/fuzz/build.sh, clang)
 * and with replay.c (make check, any compiler), which feeds it the files of
 * its committed corpus.
 */
#ifndef JPKI_FUZZ_H
#define JPKI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Every target defines both (Initialize may do nothing). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzzer's bytes, consumed from the front. Past the end every read
 * gives zeros, so a harness never needs to check for the end itself. */
typedef struct {
    const uint8_t *p;
    size_t n;
} fz_in;

uint8_t fz_u8(fz_in *in);
uint16_t fz_u16(fz_in *in);
uint32_t fz_u32(fz_in *in);
/* Up to want bytes (fewer at the end); *got says how many. */
const uint8_t *fz_bytes(fz_in *in, size_t want, size_t *got);

/* A directory made once per process (removed at exit), and a file path in
 * it. fz_write_file replaces the file with exactly the given bytes. */
const char *fz_tmpdir(void);
void fz_path(char *buf, size_t cap, const char *name);
int fz_write_file(const char *path, const void *data, size_t len);
/* Removes everything inside DIR (DIR stays); 0 also when DIR is missing. */
int fz_empty_dir(const char *dir);

#endif
