/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_pdf.c - jpki-tool's PDF reader and signature writer
 * (src/tools/tool_pdf*.c) over a fuzzed file: the cross-reference chain
 * (tables, streams, hybrids, /Prev loops), FlateDecode with PNG
 * predictors, object streams, the page tree and the AcroForm.
 *
 * What a success must be: the input is a prefix of the output; /Contents
 * is a '<' and '>' around the zeros asked for; /ByteRange covers all but
 * that; and the output is a PDF this reader opens again and can sign a
 * second time (an update that breaks the file would fail here).
 *
 * An input that starts with "R" is object bodies only: the harness appends
 * a cross-reference table with the offsets of every "N 0 obj" it finds and
 * a trailer with /Root 1 0 R, so the fuzzer reaches the page tree, the
 * AcroForm and the writer without having to get offsets right.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tool_pdf.h"

#define CONTENTS 16
#define DATE "D:20260101000000+00'00'"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_pdf: %s\n", what);
        abort();
    }
}

#define MAX_OBJ 64

/* data[1..] followed by a table of its "N 0 obj" offsets (N < MAX_OBJ). */
static uint8_t *with_xref(const uint8_t *data, size_t size, size_t *out_len)
{
    size_t off[MAX_OBJ] = { 0 }, n = size - 1, cap = n + MAX_OBJ * 20 + 200;
    uint8_t *b = malloc(cap);
    if (!b)
        return NULL;
    memcpy(b, data + 1, n);
    /* At a line start: one or two digits, then " 0 obj" (b is not a C
     * string). */
    for (size_t i = 0; i + 8 <= n; i++) {
        size_t d = 0;
        unsigned num = 0;
        if (i && b[i - 1] != '\n')
            continue;
        while (d < 2 && b[i + d] >= '0' && b[i + d] <= '9')
            num = num * 10 + (unsigned)(b[i + d++] - '0');
        if (d && num < MAX_OBJ && memcmp(b + i + d, " 0 obj", 6) == 0)
            off[num] = i;
    }
    size_t x = n;
    x += (size_t)snprintf((char *)b + x, cap - x, "\nxref\n0 %d\n", MAX_OBJ);
    for (int i = 0; i < MAX_OBJ; i++)
        x += (size_t)snprintf(
            (char *)b + x, cap - x,
            off[i] ? "%010zu 00000 n\r\n" : "%010zu 65535 f\r\n", off[i]);
    x += (size_t)snprintf(
        (char *)b + x, cap - x,
        "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
        MAX_OBJ, n + 1);
    *out_len = x;
    return b;
}

static int one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'R') {
        size_t n = 0;
        uint8_t *b = with_xref(data, size, &n);
        if (b)
            one(b, n);
        free(b);
        return 0;
    }
    return one(data, size);
}

static int one(const uint8_t *data, size_t size)
{
    pdf_signed s, again;
    char err[256], err2[256];

    if (pdf_prepare_signature(data, size, CONTENTS, DATE, &s, err,
                              sizeof err) != 0) {
        check(err[0] != 0 && memchr(err, 0, sizeof err),
              "a failure without a message");
        return 0;
    }
    check(s.len > size && memcmp(s.buf, data, size) == 0,
          "the original is not a prefix");
    check(s.contents_hex == 2 * CONTENTS && s.contents_at > size &&
              s.contents_at + s.contents_hex + 2 < s.len,
          "/Contents out of place");
    check(s.buf[s.contents_at] == '<' &&
              s.buf[s.contents_at + s.contents_hex + 1] == '>',
          "/Contents not delimited");
    for (size_t i = 0; i < s.contents_hex; i++)
        check(s.buf[s.contents_at + 1 + i] == '0', "/Contents not zeros");
    char want[80];
    snprintf(want, sizeof want, "/ByteRange [0 %zu %zu %zu", s.contents_at,
             s.contents_at + s.contents_hex + 2,
             s.len - s.contents_at - s.contents_hex - 2);
    check(memmem(s.buf + size, s.len - size, want, strlen(want)) != NULL,
          "/ByteRange wrong");
    if (pdf_prepare_signature(s.buf, s.len, CONTENTS, DATE, &again, err2,
                              sizeof err2) != 0) {
        fprintf(stderr, "fuzz_pdf: the update cannot be signed again: %s\n",
                err2);
        abort();
    }
    free(again.buf);
    free(s.buf);
    return 0;
}
