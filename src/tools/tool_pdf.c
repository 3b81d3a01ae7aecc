/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_pdf.c - a small reader of PDF objects and cross-reference data, for
 * "jpki-tool sign --pdf".
 *
 * Why our own reader rather than a library: signing needs only the
 * cross-reference chain, the trailer, the catalog, the first page and the
 * AcroForm, and an incremental update written after the original bytes,
 * which stay untouched. poppler's signing API is C++ with glib/NSS
 * underneath and signs through NSS, not through our card layer; qpdf is
 * C++ and rewrites files rather than appending to them. Either would add
 * a large dependency to a tool that otherwise needs OpenSSL only. The
 * only addition is zlib (jpki-tool only, not the module), because cross-
 * reference streams and object streams are FlateDecode-compressed.
 *
 * Values are parsed by tool_pdf_lex.c. The input is hostile: every read is
 * bounded by the buffer, nesting is limited, the cross-reference chain is
 * limited in length and checked for loops, and object streams are never
 * nested. Anything this reader does not understand is refused with a message,
 * never guessed.
 */
#include "tools/tool_pdf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PDF_SECTIONS 256      /* cross-reference sections in the chain */
#define PDF_OBJECTS 4000000LL /* object numbers */
#define PDF_OBJSTM_CACHE 32   /* object streams decoded and kept */

typedef struct {
    unsigned char type; /* 0 unknown, 1 at an offset, 2 in an object stream */
    uint32_t idx;       /* type 2: index in the stream */
    uint64_t at;        /* type 1: offset; type 2: the stream's number */
} xent;

typedef struct {
    long long num;
    unsigned char *data;
    size_t len;
} objstm;

struct pdf_doc {
    const unsigned char *buf;
    size_t len;
    xent *x;
    size_t nx;
    pdf_val trailer;
    int last_stream;
    size_t startxref;
    long long size;
    objstm cache[PDF_OBJSTM_CACHE];
    int ncache;
    int busy; /* streams being decoded: a /Length inside one */
    char err[256];
};

static int fail(pdf_doc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(pdf_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *pdf_error(const pdf_doc *d)
{
    return d->err;
}
const pdf_val *pdf_trailer(const pdf_doc *d)
{
    return &d->trailer;
}
int pdf_xref_is_stream(const pdf_doc *d)
{
    return d->last_stream;
}
size_t pdf_startxref(const pdf_doc *d)
{
    return d->startxref;
}
long long pdf_size(const pdf_doc *d)
{
    return d->size;
}

/* ---- objects ------------------------------------------------------------ */

/* "num gen obj" at p, then the value; *after: past it. */
static int obj_at(pdf_doc *d, const unsigned char *p, const unsigned char *e,
                  long long num, pdf_val *v, const unsigned char **after,
                  int *is_stream)
{
    pdf_val n, g;
    if (pdf_parse(&p, e, &n) != 0 || n.kind != PV_INT ||
        pdf_parse(&p, e, &g) != 0 || g.kind != PV_INT ||
        (num >= 0 && n.num != num))
        return fail(d,
                    "object %lld is not where the cross-reference data says "
                    "(a damaged file: qpdf IN OUT repairs it)",
                    num);
    p = pdf_skip_ws(p, e);
    if (!pdf_keyword(p, e, "obj"))
        return fail(d,
                    "object %lld is not where the cross-reference data says "
                    "(a damaged file: qpdf IN OUT repairs it)",
                    num);
    p += 3;
    if (pdf_parse(&p, e, v) != 0)
        return fail(d, "object %lld is malformed", n.num);
    p = pdf_skip_ws(p, e);
    if (is_stream)
        *is_stream = v->kind == PV_DICT && pdf_keyword(p, e, "stream");
    if (after)
        *after = p;
    return 0;
}

static int get_depth(pdf_doc *d, long long num, pdf_val *v, int *is_stream);

/* A stream's decoded data; its /Length may be another object. */
static int stream_data(pdf_doc *d, const pdf_val *dict,
                       const unsigned char *after, unsigned char **data,
                       size_t *len)
{
    pdf_val l;
    int rc = -1;
    if (pdf_dict_get(dict, "Length", &l) != 1)
        return fail(d, "a stream has no /Length");
    if (l.kind == PV_REF) {
        if (d->busy >= 2)
            return fail(d, "a stream's /Length refers in circles");
        d->busy++;
        rc = get_depth(d, l.num, &l, NULL);
        d->busy--;
        if (rc != 0)
            return -1;
    }
    if (l.kind != PV_INT || l.num < 0)
        return fail(d, "a stream's /Length is malformed");
    return pdf_stream_decode(dict, l.num, after, d->buf + d->len, data, len,
                             d->err, sizeof d->err);
}

static int objstm_get(pdf_doc *d, long long snum, objstm **out)
{
    pdf_val dict;
    const unsigned char *after;
    unsigned char *data = NULL;
    size_t len = 0;
    int stream = 0;

    for (int i = 0; i < d->ncache; i++)
        if (d->cache[i].num == snum) {
            *out = &d->cache[i];
            return 0;
        }
    if (d->ncache == PDF_OBJSTM_CACHE)
        return fail(d, "too many object streams");
    if (snum < 0 || (size_t)snum >= d->nx || d->x[snum].type != 1 ||
        d->x[snum].at >= d->len)
        return fail(d, "object stream %lld not found", snum);
    if (obj_at(d, d->buf + d->x[snum].at, d->buf + d->len, snum, &dict, &after,
               &stream) != 0)
        return -1;
    pdf_val type;
    if (!stream || pdf_dict_get(&dict, "Type", &type) != 1 ||
        !pdf_is_name(&type, "ObjStm"))
        return fail(d, "object %lld is not an object stream", snum);
    if (stream_data(d, &dict, after, &data, &len) != 0)
        return -1;
    objstm *s = &d->cache[d->ncache++];
    s->num = snum;
    s->data = data;
    s->len = len;
    *out = s;
    return 0;
}

static int get_depth(pdf_doc *d, long long num, pdf_val *v, int *is_stream)
{
    if (num < 0 || (size_t)num >= d->nx || d->x[num].type == 0)
        return fail(d, "object %lld is missing from the cross-reference data",
                    num);
    xent *x = &d->x[num];
    if (x->type == 1) {
        if (x->at >= d->len)
            return fail(d, "object %lld lies beyond the end of the file", num);
        return obj_at(d, d->buf + x->at, d->buf + d->len, num, v, NULL,
                      is_stream);
    }
    objstm *s = NULL;
    pdf_val n, off, first, cnt;
    if (objstm_get(d, (long long)x->at, &s) != 0)
        return -1;
    /* The stream's dictionary again, for /N and /First. */
    pdf_val dict;
    if (obj_at(d, d->buf + d->x[x->at].at, d->buf + d->len, (long long)x->at,
               &dict, NULL, NULL) != 0 ||
        pdf_dict_get(&dict, "N", &cnt) != 1 || cnt.kind != PV_INT ||
        pdf_dict_get(&dict, "First", &first) != 1 || first.kind != PV_INT ||
        first.num < 0 || (size_t)first.num > s->len)
        return fail(d, "object stream %llu is malformed",
                    (unsigned long long)x->at);
    const unsigned char *p = s->data, *e = s->data + first.num;
    for (long long i = 0; i < cnt.num; i++) {
        if (pdf_parse(&p, e, &n) != 0 || n.kind != PV_INT ||
            pdf_parse(&p, e, &off) != 0 || off.kind != PV_INT)
            break;
        if (n.num != num)
            continue;
        if (off.num < 0 || off.num >= (long long)(s->len - (size_t)first.num))
            break;
        p = s->data + first.num + off.num;
        if (pdf_parse(&p, s->data + s->len, v) != 0)
            break;
        if (is_stream)
            *is_stream = 0;
        return 0;
    }
    return fail(d, "object %lld is not in its object stream", num);
}

int pdf_get(pdf_doc *d, long long num, pdf_val *v, int *is_stream)
{
    return get_depth(d, num, v, is_stream);
}

int pdf_resolve(pdf_doc *d, const pdf_val *v, pdf_val *out)
{
    if (v->kind != PV_REF) {
        *out = *v;
        return 0;
    }
    return pdf_get(d, v->num, out, NULL);
}

/* ---- cross-reference data ----------------------------------------------- */

static void put(pdf_doc *d, long long num, int type, uint64_t at, uint32_t idx)
{
    /* The newest section is read first: an entry already set stays. */
    if (num < 0 || (size_t)num >= d->nx || d->x[num].type)
        return;
    d->x[num].type = (unsigned char)type;
    d->x[num].at = at;
    d->x[num].idx = idx;
}

static int read_table(pdf_doc *d, const unsigned char *p, pdf_val *trailer)
{
    const unsigned char *e = d->buf + d->len;
    p += 4; /* "xref" */
    for (;;) {
        pdf_val start, count;
        p = pdf_skip_ws(p, e);
        if (pdf_keyword(p, e, "trailer")) {
            p += 7;
            if (pdf_parse(&p, e, trailer) != 0 || trailer->kind != PV_DICT)
                return fail(d, "the trailer is malformed");
            return 0;
        }
        if (pdf_parse(&p, e, &start) != 0 || start.kind != PV_INT ||
            start.num < 0 || pdf_parse(&p, e, &count) != 0 ||
            count.kind != PV_INT || count.num < 0 || count.num > (e - p) / 18)
            return fail(d, "the cross-reference table is malformed");
        for (long long i = 0; i < count.num; i++) {
            pdf_val off, gen;
            if (pdf_parse(&p, e, &off) != 0 || off.kind != PV_INT ||
                pdf_parse(&p, e, &gen) != 0 || gen.kind != PV_INT)
                return fail(d, "the cross-reference table is malformed");
            p = pdf_skip_ws(p, e);
            if (pdf_keyword(p, e, "n"))
                put(d, start.num + i, 1, (uint64_t)off.num, 0);
            else if (!pdf_keyword(p, e, "f"))
                return fail(d, "the cross-reference table is malformed");
            p++;
        }
    }
}

static uint64_t be(const unsigned char *p, long long n)
{
    uint64_t v = 0;
    while (n-- > 0)
        v = (v << 8) | *p++;
    return v;
}

static int read_stream(pdf_doc *d, size_t at, pdf_val *dict)
{
    const unsigned char *after;
    unsigned char *data = NULL;
    size_t len = 0;
    int stream = 0, rc = -1;
    pdf_val type, w, idx, sz;
    long long wv[3], rowlen = 0, pairs[2 * 64];
    int npairs = 0;

    if (obj_at(d, d->buf + at, d->buf + d->len, -1, dict, &after, &stream) !=
        0)
        return fail(d, "the cross-reference data is not where startxref says");
    if (!stream || pdf_dict_get(dict, "Type", &type) != 1 ||
        !pdf_is_name(&type, "XRef"))
        return fail(d, "the cross-reference data is not where startxref says");
    if (pdf_dict_get(dict, "W", &w) != 1 || w.kind != PV_ARRAY ||
        pdf_dict_get(dict, "Size", &sz) != 1 || sz.kind != PV_INT ||
        sz.num < 0)
        return fail(d, "the cross-reference stream is malformed");
    const unsigned char *p = w.s + 1;
    for (int i = 0; i < 3; i++) {
        pdf_val x;
        if (pdf_parse(&p, w.e - 1, &x) != 0 || x.kind != PV_INT || x.num < 0 ||
            x.num > 8)
            return fail(d, "the cross-reference stream has odd field widths");
        wv[i] = x.num;
        rowlen += x.num;
    }
    if (rowlen == 0)
        return fail(d, "the cross-reference stream has odd field widths");
    int got = pdf_dict_get(dict, "Index", &idx);
    if (got == 1 && idx.kind == PV_ARRAY) {
        p = idx.s + 1;
        pdf_val x;
        while (pdf_parse(&p, idx.e - 1, &x) == 0) {
            if (x.kind != PV_INT || x.num < 0 ||
                npairs == (int)(sizeof pairs / sizeof *pairs))
                return fail(
                    d, "the cross-reference stream's /Index is malformed");
            pairs[npairs++] = x.num;
        }
        if (npairs % 2)
            return fail(d, "the cross-reference stream's /Index is malformed");
    } else if (got == 0) {
        pairs[0] = 0;
        pairs[1] = sz.num;
        npairs = 2;
    } else {
        return fail(d, "the cross-reference stream's /Index is malformed");
    }
    if (stream_data(d, dict, after, &data, &len) != 0)
        return -1;
    size_t row = 0, rows = len / (size_t)rowlen;
    for (int i = 0; i < npairs; i += 2) {
        for (long long k = 0; k < pairs[i + 1]; k++, row++) {
            if (row >= rows) {
                fail(d,
                     "the cross-reference stream is shorter than its /Index");
                goto done;
            }
            const unsigned char *r = data + row * (size_t)rowlen;
            uint64_t t = wv[0] ? be(r, wv[0]) : 1;
            uint64_t f2 = be(r + wv[0], wv[1]),
                     f3 = be(r + wv[0] + wv[1], wv[2]);
            if (t == 1 || t == 2)
                put(d, pairs[i] + k, (int)t, f2, (uint32_t)f3);
        }
    }
    rc = 0;
done:
    free(data);
    return rc;
}

/* The offset after the last "startxref". */
static int find_startxref(pdf_doc *d, size_t *at)
{
    size_t from = d->len > 4096 ? d->len - 4096 : 0;
    for (size_t i = d->len >= 9 ? d->len - 9 : 0; i + 1 > from; i--) {
        if (i + 9 <= d->len && memcmp(d->buf + i, "startxref", 9) == 0) {
            const unsigned char *p = d->buf + i + 9;
            pdf_val v;
            if (pdf_parse(&p, d->buf + d->len, &v) != 0 || v.kind != PV_INT ||
                v.num < 0 || (unsigned long long)v.num >= d->len)
                break;
            *at = (size_t)v.num;
            return 0;
        }
        if (i == 0)
            break;
    }
    return fail(
        d,
        "no valid startxref at the end: the file is truncated or not a PDF");
}

static int read_chain(pdf_doc *d)
{
    size_t seen[PDF_SECTIONS], at = d->startxref;
    int n = 0;
    for (;;) {
        pdf_val trailer, prev, xs;
        for (int i = 0; i < n; i++)
            if (seen[i] == at)
                return fail(d, "the cross-reference chain loops");
        if (n == PDF_SECTIONS)
            return fail(d, "too many cross-reference sections");
        seen[n++] = at;
        const unsigned char *p = pdf_skip_ws(d->buf + at, d->buf + d->len);
        int table = pdf_keyword(p, d->buf + d->len, "xref");
        if ((table ? read_table(d, p, &trailer)
                   : read_stream(d, at, &trailer)) != 0)
            return -1;
        if (n == 1) {
            d->trailer = trailer;
            d->last_stream = !table;
        }
        /* A hybrid file's table points at a stream for the rest. */
        if (table && pdf_dict_get(&trailer, "XRefStm", &xs) == 1 &&
            xs.kind == PV_INT) {
            pdf_val sd;
            if (xs.num < 0 || (unsigned long long)xs.num >= d->len ||
                read_stream(d, (size_t)xs.num, &sd) != 0)
                return fail(d, "the /XRefStm of a hybrid file is malformed");
        }
        int got = pdf_dict_get(&trailer, "Prev", &prev);
        if (got == 0)
            return 0;
        if (got < 0 || prev.kind != PV_INT || prev.num < 0 ||
            (unsigned long long)prev.num >= d->len)
            return fail(d, "the trailer's /Prev is malformed");
        at = (size_t)prev.num;
    }
}

pdf_doc *pdf_open(const unsigned char *pdf, size_t len, char *err,
                  size_t errlen)
{
    pdf_doc *d = calloc(1, sizeof *d);
    pdf_val sz;
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->buf = pdf;
    d->len = len;
    const unsigned char *h =
        len >= 5 ? memmem(pdf, len < 1024 ? len : 1024, "%PDF-", 5) : NULL;
    if (!h) {
        fail(d, "not a PDF file (no %%PDF- header)");
        goto bad;
    }
    if (find_startxref(d, &d->startxref) != 0)
        goto bad;
    /* The newest /Size bounds the object numbers; a first pass finds it. */
    const unsigned char *p = pdf_skip_ws(pdf + d->startxref, pdf + len);
    if (pdf_keyword(p, pdf + len, "xref")) {
        const unsigned char *t =
            memmem(p, (size_t)(pdf + len - p), "trailer", 7);
        if (t) {
            t += 7;
            pdf_val tr;
            if (pdf_parse(&t, pdf + len, &tr) == 0 &&
                pdf_dict_get(&tr, "Size", &sz) == 1 && sz.kind == PV_INT)
                d->size = sz.num;
        }
    } else {
        pdf_val dict;
        if (obj_at(d, p, pdf + len, -1, &dict, NULL, NULL) == 0 &&
            pdf_dict_get(&dict, "Size", &sz) == 1 && sz.kind == PV_INT)
            d->size = sz.num;
    }
    if (d->size <= 0 || d->size > PDF_OBJECTS) {
        fail(d, "the trailer's /Size is missing or out of range");
        goto bad;
    }
    d->nx = (size_t)d->size;
    if (!(d->x = calloc(d->nx, sizeof *d->x))) {
        fail(d, "out of memory");
        goto bad;
    }
    if (read_chain(d) != 0)
        goto bad;
    if (pdf_dict_get(&d->trailer, "Size", &sz) != 1 || sz.kind != PV_INT ||
        sz.num != d->size) {
        fail(d, "the trailer's /Size is malformed");
        goto bad;
    }
    return d;
bad:
    snprintf(err, errlen, "%s", d->err);
    pdf_close(d);
    return NULL;
}

void pdf_close(pdf_doc *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->ncache; i++)
        free(d->cache[i].data);
    free(d->x);
    free(d);
}
