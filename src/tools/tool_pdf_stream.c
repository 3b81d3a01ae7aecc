/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_pdf_stream.c - the data of a PDF stream: FlateDecode (zlib) and the
 * PNG predictors that cross-reference streams use (ISO 32000-1 7.4.4).
 * Only what cross-reference streams and object streams need; any other
 * filter is refused. Decoded data is capped.
 */
#include "tools/tool_pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define STREAM_MAX (64u * 1024 * 1024) /* decoded bytes of one stream */

static int inflate_all(const unsigned char *in, size_t len,
                       unsigned char **out, size_t *out_len)
{
    z_stream z;
    size_t cap = len * 4 + 1024, got = 0;
    unsigned char *buf = NULL;
    int zr = Z_OK;

    if (len > STREAM_MAX || cap > STREAM_MAX)
        cap = STREAM_MAX;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return -1;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    while (zr != Z_STREAM_END) {
        if (got == cap) {
            if (cap == STREAM_MAX)
                break;
            cap = cap * 2 > STREAM_MAX ? STREAM_MAX : cap * 2;
        }
        unsigned char *nb = realloc(buf, cap);
        if (!nb)
            break;
        buf = nb;
        z.next_out = buf + got;
        z.avail_out = (uInt)(cap - got);
        zr = inflate(&z, Z_NO_FLUSH);
        got = cap - z.avail_out;
        if (zr != Z_OK && zr != Z_STREAM_END)
            break;
        /* No progress and no end: the input is cut short. */
        if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0)
            break;
    }
    inflateEnd(&z);
    if (zr != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = got;
    return 0;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* PNG predictors, in place: rows of 1 tag byte + cols bytes become rows of
 * cols bytes (bpp bytes per pixel). */
static int unpredict(unsigned char *buf, size_t *len, size_t cols, size_t bpp)
{
    size_t rows = *len / (cols + 1);
    unsigned char *prev = NULL;
    if (cols == 0 || *len % (cols + 1))
        return -1;
    for (size_t r = 0; r < rows; r++) {
        unsigned char *src = buf + r * (cols + 1), tag = src[0];
        unsigned char *row = buf + r * cols;
        memmove(row, src + 1, cols);
        for (size_t i = 0; i < cols; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0;
            int c = prev && i >= bpp ? prev[i - bpp] : 0;
            switch (tag) {
            case 0: break;
            case 1: row[i] = (unsigned char)(row[i] + a); break;
            case 2: row[i] = (unsigned char)(row[i] + b); break;
            case 3: row[i] = (unsigned char)(row[i] + (a + b) / 2); break;
            case 4: row[i] = (unsigned char)(row[i] + paeth(a, b, c)); break;
            default: return -1;
            }
        }
        prev = row;
    }
    *len = rows * cols;
    return 0;
}

static long long int_of(const pdf_val *dict, const char *key, long long dflt)
{
    pdf_val v;
    int got = dict->kind == PV_DICT ? pdf_dict_get(dict, key, &v) : 0;
    return got == 1 && v.kind == PV_INT ? v.num : got == 0 ? dflt : -1;
}

int pdf_stream_decode(const pdf_val *dict, long long length,
                      const unsigned char *after, const unsigned char *end,
                      unsigned char **out, size_t *out_len, char *err,
                      size_t errlen)
{
    pdf_val filter, parms;
    const unsigned char *p = after + 6; /* "stream" */
    int got;

    *out = NULL;
    if (end - after < 6 || memcmp(after, "stream", 6) != 0)
        goto bad;
    if (p < end && *p == '\r')
        p++;
    if (p >= end || *p != '\n')
        goto bad;
    p++;
    if (length < 0 || (unsigned long long)length > (size_t)(end - p))
        goto bad;
    if ((got = pdf_dict_get(dict, "Filter", &filter)) < 0)
        goto bad;
    if (got && filter.kind == PV_ARRAY) {
        /* [/FlateDecode] only: one filter. */
        const unsigned char *q = filter.s + 1;
        pdf_val one, more;
        if (pdf_parse(&q, filter.e - 1, &one) != 0 ||
            pdf_parse(&q, filter.e - 1, &more) == 0)
            goto unsupported;
        filter = one;
    }
    if (!got) {
        if (!(*out = malloc(length ? (size_t)length : 1)))
            goto bad;
        memcpy(*out, p, (size_t)length);
        *out_len = (size_t)length;
        return 0;
    }
    if (!pdf_is_name(&filter, "FlateDecode"))
        goto unsupported;
    if (inflate_all(p, (size_t)length, out, out_len) != 0) {
        snprintf(err, errlen, "a compressed stream of the PDF is damaged");
        return -1;
    }
    got = pdf_dict_get(dict, "DecodeParms", &parms);
    if (got && parms.kind == PV_ARRAY) {
        const unsigned char *q = parms.s + 1;
        if (pdf_parse(&q, parms.e - 1, &parms) != 0)
            got = 0;
    }
    if (got < 0)
        goto bad;
    long long pred =
        got && parms.kind == PV_DICT ? int_of(&parms, "Predictor", 1) : 1;
    if (pred == 1)
        return 0;
    long long cols = int_of(&parms, "Columns", 1),
              colors = int_of(&parms, "Colors", 1);
    long long bpc = int_of(&parms, "BitsPerComponent", 8);
    if (pred < 10 || pred > 15 || bpc != 8 || colors < 1 || colors > 4 ||
        cols < 1 || cols > 1 << 20 ||
        unpredict(*out, out_len, (size_t)(cols * colors), (size_t)colors) != 0)
        goto unsupported;
    return 0;
unsupported:
    free(*out);
    *out = NULL;
    snprintf(err, errlen,
             "a stream of the PDF uses an encoding this tool does not read "
             "(rewrite the file with qpdf first)");
    return -1;
bad:
    free(*out);
    *out = NULL;
    snprintf(err, errlen, "a stream of the PDF is malformed");
    return -1;
}
