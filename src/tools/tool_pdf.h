/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_pdf.h - reading a PDF's cross-reference data and objects
 * (tool_pdf.c, tool_pdf_stream.c) and writing the incremental update of a
 * signature (tool_pdf_write.c).
 */
#ifndef JPKI_TOOL_PDF_H
#define JPKI_TOOL_PDF_H

#include <stddef.h>
#include <stdint.h>

/* ---- values ------------------------------------------------------------- */

enum { PV_NONE, PV_INT, PV_REF, PV_NAME, PV_DICT, PV_ARRAY, PV_OTHER };

/* One parsed value: its kind and its bytes [s, e) in the buffer it came
 * from (the file, or a decoded object stream the document keeps). */
typedef struct {
    int kind;
    const unsigned char *s, *e;
    long long num; /* PV_INT: the value; PV_REF: the object number */
    long gen;      /* PV_REF: the generation */
} pdf_val;

/* Parses one value at *pp (whitespace and comments skipped first) and
 * moves *pp past it. 0, or -1 on malformed input. */
int pdf_parse(const unsigned char **pp, const unsigned char *e, pdf_val *v);
/* Past whitespace and comments. */
const unsigned char *pdf_skip_ws(const unsigned char *p,
                                 const unsigned char *e);
/* 1 if the keyword kw is at p, as a whole token. */
int pdf_keyword(const unsigned char *p, const unsigned char *e,
                const char *kw);
/* dict's entry for key (without the slash): 1 found, 0 not, -1 malformed. */
int pdf_dict_get(const pdf_val *dict, const char *key, pdf_val *out);
/* 1 if v is the name /want. */
int pdf_is_name(const pdf_val *v, const char *want);

/* ---- the document ------------------------------------------------------- */

typedef struct pdf_doc pdf_doc;

/* Reads the cross-reference chain of pdf (len bytes, kept by the caller
 * while the document lives). NULL with a message in err. */
pdf_doc *pdf_open(const unsigned char *pdf, size_t len, char *err,
                  size_t errlen);
void pdf_close(pdf_doc *d);

/* The newest trailer (or cross-reference stream dictionary). */
const pdf_val *pdf_trailer(const pdf_doc *d);
/* 1 if the newest cross-reference section is a stream. */
int pdf_xref_is_stream(const pdf_doc *d);
/* The offset the last startxref gives, and the trailer's /Size. */
size_t pdf_startxref(const pdf_doc *d);
long long pdf_size(const pdf_doc *d);

/* Loads object num: its value; *is_stream set if it is a stream object.
 * 0, or -1 with a message in the document's error buffer. */
int pdf_get(pdf_doc *d, long long num, pdf_val *v, int *is_stream);
/* Follows v if it is a reference (once). 0 or -1. */
int pdf_resolve(pdf_doc *d, const pdf_val *v, pdf_val *out);
/* The last error message. */
const char *pdf_error(const pdf_doc *d);

/* ---- streams (tool_pdf_stream.c) ---------------------------------------- */

/* The decoded data of the stream whose dictionary is dict, whose "stream"
 * keyword is at after and whose /Length is length: no filter or
 * FlateDecode, with the PNG predictors. *out malloc'd. 0, or -1 with a
 * message in err. */
int pdf_stream_decode(const pdf_val *dict, long long length,
                      const unsigned char *after, const unsigned char *end,
                      unsigned char **out, size_t *out_len, char *err,
                      size_t errlen);

/* ---- the signature update (tool_pdf_write.c) --------------------------- */

typedef struct {
    unsigned char *buf; /* the original file followed by the update */
    size_t len;
    size_t contents_at;  /* offset of the '<' of /Contents */
    size_t contents_hex; /* hex digits between '<' and '>' */
} pdf_signed;

/* Builds pdf followed by an incremental update that adds an invisible
 * signature field with a signature dictionary whose /Contents holds
 * contents_bytes zero bytes (in hex) and whose /ByteRange is already
 * filled in; date is a PDF date "D:...". 0, or -1 with a message in err. */
int pdf_prepare_signature(const unsigned char *pdf, size_t len,
                          size_t contents_bytes, const char *date,
                          pdf_signed *out, char *err, size_t errlen);

#endif
