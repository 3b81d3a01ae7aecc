/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_pdf_write.c - the incremental update that adds a signature to a PDF
 * (ISO 32000-1 7.5.6 and 12.8): the original bytes unchanged, then
 *   - a signature dictionary (/Type /Sig, /SubFilter /ETSI.CAdES.detached
 *     for PAdES) whose /Contents is a zero-filled hex placeholder and whose
 *     /ByteRange covers everything but that placeholder,
 *   - an invisible signature field that is also its widget annotation
 *     (/Rect [0 0 0 0], /F 132: hidden and locked),
 *   - the first page with the widget added to its /Annots (or the /Annots
 *     array object, when it is one),
 *   - the catalog with an /AcroForm (or the AcroForm, or its /Fields array
 *     object) listing the field, /SigFlags 3,
 *   - a cross-reference section of the kind the file's last one is: a table
 *     and trailer, or a cross-reference stream (some readers stop at a
 *     table after stream-only files), with /Prev, then %%EOF.
 * Dictionaries are rewritten entry by entry from their original bytes, so
 * everything not changed is kept as it was.
 */
#include "tools/tool_pdf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHANGED 8
#define PAGES_DEPTH 64

typedef struct {
    unsigned char *p;
    size_t len, cap;
    int oom;
} obuf;

static void put(obuf *b, const void *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void putf(obuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(obuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->oom = 1;
    else
        put(b, tmp, (size_t)n);
}

static void putv(obuf *b, const pdf_val *v)
{
    put(b, v->s, (size_t)(v->e - v->s));
}

/* An object written anew: its number, generation and body. */
typedef struct {
    long long num;
    long gen;
    obuf body;
} changed;

typedef struct {
    pdf_doc *d;
    changed ch[MAX_CHANGED];
    int n;
    long long widget;
    pdf_val page;
    char *err;
    size_t errlen;
} update;

static int ufail(update *u, const char *msg)
{
    snprintf(u->err, u->errlen, "%s", msg);
    return -1;
}

static int dfail(update *u)
{
    return ufail(u, pdf_error(u->d));
}

static obuf *add_changed(update *u, long long num, long gen)
{
    for (int i = 0; i < u->n; i++)
        if (u->ch[i].num == num)
            return NULL; /* the same object changed twice: a hostile file */
    if (u->n == MAX_CHANGED)
        return NULL;
    changed *c = &u->ch[u->n++];
    c->num = num;
    c->gen = gen;
    return &c->body;
}

/* dict with key set to val, the other entries copied; key2/val2 likewise
 * when key2 is not NULL. Values are bytes, not C strings: a PDF may hold a
 * NUL anywhere. */
static int dict_with(obuf *b, const pdf_val *dict, const char *key,
                     const obuf *val, const char *key2, const obuf *val2)
{
    const unsigned char *p = dict->s + 2, *e = dict->e - 2;
    pdf_val k, v;
    put(b, "<<", 2);
    for (;;) {
        if (pdf_parse(&p, e, &k) != 0)
            break;
        if (k.kind != PV_NAME || pdf_parse(&p, e, &v) != 0)
            return -1;
        if (pdf_is_name(&k, key) || (key2 && pdf_is_name(&k, key2)))
            continue;
        put(b, "\n", 1);
        put(b, k.s, (size_t)(v.e - k.s));
    }
    putf(b, "\n/%s ", key);
    put(b, val->p, val->len);
    if (key2) {
        putf(b, "\n/%s ", key2);
        put(b, val2->p, val2->len);
    }
    put(b, "\n>>", 3);
    return 0;
}

/* arr with "N 0 R" appended, into out. */
static void array_plus(obuf *out, const pdf_val *arr, long long num)
{
    put(out, arr->s, (size_t)(arr->e - arr->s) - 1);
    putf(out, " %lld 0 R]", num);
}

/* In holder (object num/gen, or the caller's dict when num < 0), the array
 * entry key gets the widget: set inline, or the array object rewritten.
 * *inline_val: the value to put into holder, or empty (p NULL) when the
 * array object itself was rewritten. */
static int add_to_array(update *u, const pdf_val *holder, const char *key,
                        obuf *inline_val)
{
    pdf_val v, arr;
    int got = pdf_dict_get(holder, key, &v);
    if (got < 0)
        return ufail(u, "a dictionary of the PDF is malformed");
    if (got == 0) {
        putf(inline_val, "[%lld 0 R]", u->widget);
        return inline_val->oom ? ufail(u, "out of memory") : 0;
    }
    if (v.kind == PV_ARRAY) {
        array_plus(inline_val, &v, u->widget);
        return inline_val->oom ? ufail(u, "out of memory") : 0;
    }
    if (v.kind != PV_REF)
        return ufail(u,
                     "an /Annots or /Fields entry of the PDF is not an array");
    int is_stream = 0;
    if (pdf_get(u->d, v.num, &arr, &is_stream) != 0)
        return dfail(u);
    if (arr.kind != PV_ARRAY)
        return ufail(u,
                     "an /Annots or /Fields entry of the PDF is not an array");
    obuf *b = add_changed(u, v.num, v.gen);
    if (!b)
        return ufail(u, "the PDF's objects are tangled");
    array_plus(b, &arr, u->widget);
    return 0;
}

/* Rewrites object ref (a dictionary) with key set through add_to_array,
 * or with an AcroForm. */
static int rewrite_obj(update *u, const pdf_val *ref, const pdf_val *dict,
                       const char *key, const obuf *val, const char *key2,
                       const obuf *val2)
{
    obuf *b = add_changed(u, ref->num, ref->gen);
    if (val->oom || (key2 && val2->oom))
        return ufail(u, "out of memory");
    if (!b)
        return ufail(u, "the PDF's objects are tangled");
    return dict_with(b, dict, key, val, key2, val2) == 0
               ? 0
               : ufail(u, "a dictionary of the PDF is malformed");
}

static int get_dict(update *u, const pdf_val *ref, pdf_val *dict,
                    const char *what)
{
    int is_stream = 0;
    if (ref->kind != PV_REF)
        return snprintf(u->err, u->errlen,
                        "the PDF's %s is not an indirect object", what),
               -1;
    if (pdf_get(u->d, ref->num, dict, &is_stream) != 0)
        return dfail(u);
    if (dict->kind != PV_DICT || is_stream)
        return snprintf(u->err, u->errlen, "the PDF's %s is not a dictionary",
                        what),
               -1;
    return 0;
}

/* The first page: the first leaf of the page tree. */
static int first_page(update *u, const pdf_val *catalog, pdf_val *ref,
                      pdf_val *page)
{
    pdf_val kids, first;
    if (pdf_dict_get(catalog, "Pages", ref) != 1 ||
        get_dict(u, ref, page, "page tree") != 0)
        return u->err[0] ? -1 : ufail(u, "the PDF has no page tree");
    for (int depth = 0; depth < PAGES_DEPTH; depth++) {
        int got = pdf_dict_get(page, "Kids", &kids);
        if (got == 0)
            return 0;
        if (got < 0 || kids.kind != PV_ARRAY)
            return ufail(u, "the PDF's page tree is malformed");
        const unsigned char *p = kids.s + 1;
        if (pdf_parse(&p, kids.e - 1, &first) != 0)
            return ufail(u, "the PDF has no pages");
        *ref = first;
        if (get_dict(u, ref, page, "page") != 0)
            return -1;
    }
    return ufail(u, "the PDF's page tree is too deep");
}

static int page_and_form(update *u)
{
    const pdf_val *tr = pdf_trailer(u->d);
    pdf_val root, catalog, pref, page, form, x;
    obuf annots = { 0 }, fields = { 0 }, formval = { 0 }, three = { 0 };
    int rc = -1;

    if (pdf_dict_get(tr, "Root", &root) != 1 ||
        get_dict(u, &root, &catalog, "catalog") != 0)
        return u->err[0] ? -1 : ufail(u, "the PDF has no catalog");
    /* A certification signature (DocMDP) restricts what may be added. */
    int perms = pdf_dict_get(&catalog, "Perms", &x);
    if (perms == 1 && pdf_resolve(u->d, &x, &x) == 0 && x.kind == PV_DICT)
        perms = pdf_dict_get(&x, "DocMDP", &x) != 0;
    if (perms != 0)
        return ufail(
            u, "the PDF is certified (/Perms /DocMDP): it restricts changes, "
               "so a signature is not added");
    if (first_page(u, &catalog, &pref, &page) != 0)
        return -1;
    if (add_to_array(u, &page, "Annots", &annots) != 0)
        goto done;
    if (annots.p &&
        rewrite_obj(u, &pref, &page, "Annots", &annots, NULL, NULL) != 0)
        goto done;
    u->page = pref; /* the widget's /P */
    int got = pdf_dict_get(&catalog, "AcroForm", &form);
    if (got < 0)
        goto bad;
    if (got == 0) {
        putf(&formval, "<< /Fields [%lld 0 R] /SigFlags 3 >>", u->widget);
        rc = rewrite_obj(u, &root, &catalog, "AcroForm", &formval, NULL, NULL);
        goto done;
    }
    pdf_val fref = form;
    if (form.kind == PV_REF && get_dict(u, &fref, &form, "AcroForm") != 0)
        goto done;
    if (form.kind != PV_DICT)
        goto bad;
    if (add_to_array(u, &form, "Fields", &fields) != 0)
        goto done;
    put(&three, "3", 1);
    if (fref.kind == PV_REF) {
        /* The AcroForm object: /SigFlags, and /Fields when inline. */
        rc = rewrite_obj(u, &fref, &form, "SigFlags", &three,
                         fields.p ? "Fields" : NULL, &fields);
        goto done;
    }
    if (dict_with(&formval, &form, "SigFlags", &three,
                  fields.p ? "Fields" : NULL, &fields) != 0)
        goto bad;
    rc = rewrite_obj(u, &root, &catalog, "AcroForm", &formval, NULL, NULL);
    goto done;
bad:
    ufail(u, "the PDF's /AcroForm is malformed");
done:
    free(annots.p);
    free(fields.p);
    free(formval.p);
    free(three.p);
    return rc;
}

typedef struct {
    long long num;
    long gen;
    size_t at;
} xrow;

static int xrow_cmp(const void *a, const void *b)
{
    const xrow *x = a, *y = b;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* The trailer entries carried over: /Root, /Info, /ID. */
static void carry(obuf *b, const pdf_val *tr)
{
    static const char *keys[] = { "Root", "Info", "ID" };
    pdf_val v;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (pdf_dict_get(tr, keys[i], &v) == 1) {
            putf(b, " /%s ", keys[i]);
            putv(b, &v);
        }
}

/* Runs of consecutive numbers in rows[0..n): calls back per run. */
static size_t run_len(const xrow *rows, size_t i, size_t n)
{
    size_t k = 1;
    while (i + k < n && rows[i + k].num == rows[i].num + (long long)k)
        k++;
    return k;
}

static void xref_table(obuf *b, xrow *rows, size_t n, const pdf_val *tr,
                       long long size, size_t prev)
{
    size_t at = b->len;
    put(b, "xref\n", 5);
    for (size_t i = 0; i < n;) {
        size_t k = run_len(rows, i, n);
        putf(b, "%lld %zu\n", rows[i].num, k);
        for (size_t j = i; j < i + k; j++)
            putf(b, "%010zu %05ld n\r\n", rows[j].at, rows[j].gen);
        i += k;
    }
    putf(b, "trailer\n<< /Size %lld", size);
    carry(b, tr);
    putf(b, " /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n", prev, at);
}

static void xref_stream(obuf *b, xrow *rows, size_t n, const pdf_val *tr,
                        long long size, size_t prev)
{
    size_t at = b->len;
    /* The stream's own entry is the last row (the highest number). */
    rows[n - 1].at = at;
    putf(b, "%lld 0 obj\n<< /Type /XRef /Size %lld /W [1 4 2] /Index [",
         rows[n - 1].num, size);
    for (size_t i = 0; i < n;) {
        size_t k = run_len(rows, i, n);
        putf(b, "%s%lld %zu", i ? " " : "", rows[i].num, k);
        i += k;
    }
    put(b, "]", 1);
    carry(b, tr);
    putf(b, " /Prev %zu /Length %zu >>\nstream\r\n", prev, n * 7);
    for (size_t i = 0; i < n; i++) {
        unsigned char r[7] = { 1,
                               (unsigned char)(rows[i].at >> 24),
                               (unsigned char)(rows[i].at >> 16),
                               (unsigned char)(rows[i].at >> 8),
                               (unsigned char)rows[i].at,
                               (unsigned char)(rows[i].gen >> 8),
                               (unsigned char)rows[i].gen };
        put(b, r, sizeof r);
    }
    putf(b, "\r\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", at);
}

#define BR_WIDTH 32 /* three offsets of up to 10 digits, two spaces */

int pdf_prepare_signature(const unsigned char *pdf, size_t len,
                          size_t contents_bytes, const char *date,
                          pdf_signed *out, char *err, size_t errlen)
{
    update u;
    obuf b = { 0 };
    xrow rows[MAX_CHANGED + 3];
    size_t nrows = 0, br_at, contents_at;
    pdf_val x;
    int rc = -1;

    memset(&u, 0, sizeof u);
    memset(out, 0, sizeof *out);
    u.err = err;
    u.errlen = errlen;
    err[0] = 0;
    if (len > 0xF0000000u || contents_bytes > 1u << 20)
        return ufail(&u, "the PDF is too large");
    if (!(u.d = pdf_open(pdf, len, err, errlen)))
        return -1;
    const pdf_val *tr = pdf_trailer(u.d);
    if (pdf_dict_get(tr, "Encrypt", &x) != 0) {
        ufail(&u,
              "the PDF is encrypted: this tool does not sign encrypted PDFs "
              "(qpdf --decrypt makes an unencrypted copy, if you may)");
        goto done;
    }
    long long size = pdf_size(u.d), sig = size, xs = pdf_xref_is_stream(u.d);
    u.widget = size + 1;
    if (page_and_form(&u) != 0)
        goto done;

    put(&b, pdf, len);
    if (len && pdf[len - 1] != '\n' && pdf[len - 1] != '\r')
        put(&b, "\n", 1);
    for (int i = 0; i < u.n; i++) {
        if (u.ch[i].body.oom) {
            ufail(&u, "out of memory");
            goto done;
        }
        rows[nrows++] = (xrow){ u.ch[i].num, u.ch[i].gen, b.len };
        putf(&b, "%lld %ld obj\n", u.ch[i].num, u.ch[i].gen);
        put(&b, u.ch[i].body.p, u.ch[i].body.len);
        put(&b, "\nendobj\n", 8);
    }
    rows[nrows++] = (xrow){ u.widget, 0, b.len };
    putf(&b,
         "%lld 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T "
         "(Signature%lld)"
         " /V %lld 0 R /P %lld %ld R /F 132 /Rect [0 0 0 0] >>\nendobj\n",
         u.widget, u.widget, sig, u.page.num, u.page.gen);
    rows[nrows++] = (xrow){ sig, 0, b.len };
    putf(&b,
         "%lld 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter "
         "/ETSI.CAdES.detached"
         " /M (%s)\n/ByteRange [0 ",
         sig, date);
    br_at = b.len;
    putf(&b, "%*s]\n/Contents ", BR_WIDTH, "");
    contents_at = b.len;
    put(&b, "<", 1);
    for (size_t i = 0; i < contents_bytes * 2 && !b.oom; i += 64) {
        static const char zeros[64] =
            "0000000000000000000000000000000000000000000000000000000000000000";
        put(&b, zeros,
            contents_bytes * 2 - i < 64 ? contents_bytes * 2 - i : 64);
    }
    put(&b, "> >>\nendobj\n", 12);
    if (xs)
        rows[nrows++] = (xrow){ size + 2, 0, 0 };
    qsort(rows, nrows, sizeof *rows, xrow_cmp);
    if (xs)
        xref_stream(&b, rows, nrows, tr, size + 3, pdf_startxref(u.d));
    else
        xref_table(&b, rows, nrows, tr, size + 2, pdf_startxref(u.d));
    if (b.oom || b.len > 0xFFFFFFF0u) {
        ufail(&u, "out of memory");
        goto done;
    }
    size_t after = contents_at + 2 + contents_bytes * 2;
    char br[BR_WIDTH + 1];
    int n = snprintf(br, sizeof br, "%zu %zu %zu", contents_at, after,
                     b.len - after);
    if (n < 0 || n > BR_WIDTH) {
        ufail(&u, "the PDF is too large");
        goto done;
    }
    memcpy(b.p + br_at, br, (size_t)n);
    out->buf = b.p;
    out->len = b.len;
    out->contents_at = contents_at;
    out->contents_hex = contents_bytes * 2;
    b.p = NULL;
    rc = 0;
done:
    for (int i = 0; i < u.n; i++)
        free(u.ch[i].body.p);
    free(b.p);
    pdf_close(u.d);
    return rc;
}
