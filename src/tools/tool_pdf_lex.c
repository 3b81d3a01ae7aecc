/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_pdf_lex.c - PDF values (ISO 32000-1 7.2, 7.3): names, strings,
 * numbers, references, arrays and dictionaries, found by their extent
 * rather than decoded: the signature writer copies them byte for byte.
 * Every read is bounded by the end pointer, nesting by PDF_DEPTH, and each
 * step consumes at least one byte, so garbage ends in an error, never a
 * loop or a read past the buffer.
 */
#include "tools/tool_pdf.h"

#include <string.h>

#define PDF_DEPTH 32 /* nesting of arrays and dictionaries */

static int is_ws(unsigned char c)
{
    return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' ||
           c == ' ';
}

static int is_delim(unsigned char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
           c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

const unsigned char *pdf_skip_ws(const unsigned char *p,
                                 const unsigned char *e)
{
    while (p < e) {
        if (is_ws(*p)) {
            p++;
        } else if (*p == '%') {
            while (p < e && *p != '\n' && *p != '\r')
                p++;
        } else {
            break;
        }
    }
    return p;
}

static const unsigned char *tok_end(const unsigned char *p,
                                    const unsigned char *e)
{
    while (p < e && !is_ws(*p) && !is_delim(*p))
        p++;
    return p;
}

/* An unsigned decimal integer token of at most 18 digits: 1 and *v. */
static int int_token(const unsigned char *s, const unsigned char *t,
                     long long *v)
{
    long long n = 0;
    int neg = 0;
    if (s < t && (*s == '+' || *s == '-'))
        neg = *s++ == '-';
    if (s == t || t - s > 18)
        return 0;
    for (; s < t; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        n = n * 10 + (*s - '0');
    }
    *v = neg ? -n : n;
    return 1;
}

/* At p: the keyword kw as a whole token. */
int pdf_keyword(const unsigned char *p, const unsigned char *e, const char *kw)
{
    size_t n = strlen(kw);
    return (size_t)(e - p) >= n && memcmp(p, kw, n) == 0 &&
           tok_end(p, e) == p + n;
}

static int parse_at(const unsigned char **pp, const unsigned char *e,
                    pdf_val *v, int depth);

static int parse_string(const unsigned char **pp, const unsigned char *e)
{
    const unsigned char *p = *pp + 1;
    long nest = 1;
    while (p < e && nest > 0) {
        if (*p == '\\')
            p++;
        else if (*p == '(')
            nest++;
        else if (*p == ')')
            nest--;
        p++;
    }
    if (nest > 0 || p > e)
        return -1;
    *pp = p;
    return 0;
}

static int parse_container(const unsigned char **pp, const unsigned char *e,
                           pdf_val *v, int depth, int dict)
{
    const unsigned char *p = *pp + (dict ? 2 : 1);
    pdf_val k, x;
    if (depth >= PDF_DEPTH)
        return -1;
    for (;;) {
        p = pdf_skip_ws(p, e);
        if (p >= e)
            return -1;
        if (dict && e - p >= 2 && p[0] == '>' && p[1] == '>') {
            p += 2;
            break;
        }
        if (!dict && *p == ']') {
            p++;
            break;
        }
        if (dict && (parse_at(&p, e, &k, depth + 1) != 0 || k.kind != PV_NAME))
            return -1;
        if (parse_at(&p, e, &x, depth + 1) != 0)
            return -1;
    }
    v->kind = dict ? PV_DICT : PV_ARRAY;
    v->e = *pp = p;
    return 0;
}

static int parse_at(const unsigned char **pp, const unsigned char *e,
                    pdf_val *v, int depth)
{
    const unsigned char *p = pdf_skip_ws(*pp, e), *t;
    memset(v, 0, sizeof *v);
    if (p >= e)
        return -1;
    v->s = p;
    switch (*p) {
    case '/':
        v->kind = PV_NAME;
        v->e = *pp = tok_end(p + 1, e);
        return 0;
    case '(':
        v->kind = PV_OTHER;
        if (parse_string(&p, e) != 0)
            return -1;
        v->e = *pp = p;
        return 0;
    case '[': *pp = p; return parse_container(pp, e, v, depth, 0);
    case '<':
        if (e - p >= 2 && p[1] == '<') {
            *pp = p;
            return parse_container(pp, e, v, depth, 1);
        }
        for (p++; p < e && *p != '>'; p++)
            if (!is_ws(*p) && !((*p >= '0' && *p <= '9') ||
                                ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')))
                return -1;
        if (p >= e)
            return -1;
        v->kind = PV_OTHER;
        v->e = *pp = p + 1;
        return 0;
    default:
        if (is_delim(*p))
            return -1;
        break;
    }
    t = tok_end(p, e);
    v->e = *pp = t;
    v->kind = PV_OTHER;
    if (!int_token(p, t, &v->num))
        return 0;
    v->kind = PV_INT;
    /* "N G R" is a reference. */
    long long g;
    const unsigned char *q = pdf_skip_ws(t, e), *qt = tok_end(q, e), *r;
    if (v->num < 0 || q == t || !int_token(q, qt, &g) || g < 0 || g > 65535)
        return 0;
    r = pdf_skip_ws(qt, e);
    if (r == qt || !pdf_keyword(r, e, "R"))
        return 0;
    v->kind = PV_REF;
    v->gen = (long)g;
    v->e = *pp = r + 1;
    return 0;
}

int pdf_parse(const unsigned char **pp, const unsigned char *e, pdf_val *v)
{
    return parse_at(pp, e, v, 0);
}

int pdf_is_name(const pdf_val *v, const char *want)
{
    size_t n = strlen(want);
    return v->kind == PV_NAME && (size_t)(v->e - v->s) == n + 1 &&
           memcmp(v->s + 1, want, n) == 0;
}

int pdf_dict_get(const pdf_val *dict, const char *key, pdf_val *out)
{
    const unsigned char *p, *e;
    pdf_val k;
    if (dict->kind != PV_DICT)
        return -1;
    p = dict->s + 2;
    e = dict->e - 2;
    for (;;) {
        p = pdf_skip_ws(p, e);
        if (p >= e)
            return 0;
        if (pdf_parse(&p, e, &k) != 0 || k.kind != PV_NAME ||
            pdf_parse(&p, e, out) != 0)
            return -1;
        if (pdf_is_name(&k, key))
            return 1;
    }
}
