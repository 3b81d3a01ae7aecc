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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdf_signed s, again;
    char err[256], err2[256];

    if (pdf_prepare_signature(data, size, CONTENTS, DATE, &s, err, sizeof err) != 0) {
        check(err[0] != 0 && memchr(err, 0, sizeof err), "a failure without a message");
        return 0;
    }
    check(s.len > size && memcmp(s.buf, data, size) == 0, "the original is not a prefix");
    check(s.contents_hex == 2 * CONTENTS && s.contents_at > size &&
              s.contents_at + s.contents_hex + 2 < s.len,
          "/Contents out of place");
    check(s.buf[s.contents_at] == '<' && s.buf[s.contents_at + s.contents_hex + 1] == '>',
          "/Contents not delimited");
    for (size_t i = 0; i < s.contents_hex; i++)
        check(s.buf[s.contents_at + 1 + i] == '0', "/Contents not zeros");
    char want[80];
    snprintf(want, sizeof want, "/ByteRange [0 %zu %zu %zu", s.contents_at,
             s.contents_at + s.contents_hex + 2, s.len - s.contents_at - s.contents_hex - 2);
    check(memmem(s.buf + size, s.len - size, want, strlen(want)) != NULL, "/ByteRange wrong");
    if (pdf_prepare_signature(s.buf, s.len, CONTENTS, DATE, &again, err2, sizeof err2) != 0) {
        fprintf(stderr, "fuzz_pdf: the update cannot be signed again: %s\n", err2);
        abort();
    }
    free(again.buf);
    free(s.buf);
    return 0;
}
