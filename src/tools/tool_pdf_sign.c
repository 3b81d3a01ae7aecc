/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_pdf_sign.c - "jpki-tool sign --pdf IN -o OUT": a PAdES signature
 * (ETSI.CAdES.detached) added to a PDF as an incremental update.
 *
 * The update is built once before the PIN is asked, so that a file this
 * tool cannot sign (not a PDF, encrypted, damaged, certified) costs no PIN
 * and touches no card. Once the card has given the certificates, it is
 * built again with a /Contents placeholder sized to them (the signature is
 * the two certificates, the RSA signature and a few hundred bytes of
 * structure), hashed over its /ByteRange, and signed. The CMS is checked
 * against the signed bytes before OUT is written (new, mode 0600).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tools/tool.h"
#include "tools/tool_card.h"
#include "tools/tool_cms.h"
#include "tools/tool_pdf.h"

/* Room in /Contents beyond the certificates: the RSA signature (up to
 * 512 bytes for RSA-4096), the signed attributes with the issuer's name,
 * and the SignedData structure. */
#define CMS_OVERHEAD 1536

typedef struct {
    const char *in;
    const unsigned char *pdf;
    size_t len;
    char date[32];
    pdf_signed doc;
} pdf_job;

/* The bytes the /ByteRange covers, in one buffer (for the check). */
static unsigned char *covered(const pdf_signed *s, size_t *n)
{
    size_t gap = s->contents_hex + 2, after = s->contents_at + gap;
    unsigned char *b = malloc(s->len - gap + 1);
    if (!b)
        return NULL;
    memcpy(b, s->buf, s->contents_at);
    memcpy(b + s->contents_at, s->buf + after, s->len - after);
    *n = s->len - gap;
    return b;
}

static int build(pdf_job *j, size_t contents)
{
    char err[256];
    free(j->doc.buf);
    j->doc.buf = NULL;
    if (pdf_prepare_signature(j->pdf, j->len, contents, j->date, &j->doc, err,
                              sizeof err) != 0) {
        tool_error(_("sign: cannot sign %s: %s"), j->in, err);
        return TOOL_EXIT_ERROR;
    }
    return 0;
}

static int prepare(void *ctx, X509 *signer, X509 *ca, unsigned char md[32])
{
    pdf_job *j = ctx;
    int a = i2d_X509(signer, NULL), b = ca ? i2d_X509(ca, NULL) : 0;
    EVP_MD_CTX *h = NULL;
    int rc;

    if (a <= 0 || b < 0)
        return TOOL_EXIT_ERROR;
    if ((rc = build(j, (size_t)a + (size_t)b + CMS_OVERHEAD)) != 0)
        return rc;
    const pdf_signed *s = &j->doc;
    size_t after = s->contents_at + s->contents_hex + 2;
    int ok = (h = EVP_MD_CTX_new()) &&
             EVP_DigestInit_ex(h, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(h, s->buf, s->contents_at) &&
             EVP_DigestUpdate(h, s->buf + after, s->len - after) &&
             EVP_DigestFinal_ex(h, md, NULL);
    EVP_MD_CTX_free(h);
    if (!ok) {
        tool_error(_("sign: hashing the PDF failed"));
        return TOOL_EXIT_ERROR;
    }
    return 0;
}

/* The CMS into the placeholder, in hex; the rest stays zeros. */
static int embed(pdf_signed *s, const unsigned char *sig, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (n * 2 > s->contents_hex)
        return -1;
    for (size_t i = 0; i < n; i++) {
        s->buf[s->contents_at + 1 + 2 * i] = (unsigned char)hex[sig[i] >> 4];
        s->buf[s->contents_at + 2 + 2 * i] = (unsigned char)hex[sig[i] & 15];
    }
    return 0;
}

int tool_pdf_sign(const char *in, const char *out)
{
    pdf_job j;
    unsigned char *pdf, *sig = NULL, *signed_bytes = NULL;
    size_t sig_len = 0, n = 0;
    X509 *signer = NULL;
    int rc = TOOL_EXIT_ERROR;
    time_t now = time(NULL);
    struct tm tm;

    memset(&j, 0, sizeof j);
    if (!(pdf = tool_sign_read(in, &j.len)))
        return TOOL_EXIT_ERROR;
    j.in = in;
    j.pdf = pdf;
    if (!gmtime_r(&now, &tm) ||
        !strftime(j.date, sizeof j.date, "D:%Y%m%d%H%M%S+00'00'", &tm))
        goto done;
    /* Everything that can be wrong with the file, before the PIN. */
    if ((rc = build(&j, CMS_OVERHEAD)) != 0 ||
        (rc = tool_out_free("sign", out)) != 0)
        goto done;
    rc = tool_sign_on_card(NULL, 0, 1, prepare, &j, &sig, &sig_len, &signer);
    if (rc != 0)
        goto done;
    rc = TOOL_EXIT_ERROR;
    if (embed(&j.doc, sig, sig_len) != 0) {
        tool_error(
            _("sign: the signature is larger than the room reserved for it: "
              "nothing was written"));
        goto done;
    }
    if (!(signed_bytes = covered(&j.doc, &n)) ||
        !tool_cms_check(sig, sig_len, signer, signed_bytes, n, 1)) {
        tool_error(_("sign: the signature made by the card does not verify: "
                     "nothing was written"));
        goto done;
    }
    rc = tool_write_new("sign", out, j.doc.buf, j.doc.len);
    if (rc == 0)
        fprintf(stderr,
                _("Signed: %s (PAdES signature added to %s: %zu bytes more, "
                  "verified against your certificate).\n"),
                out, in, j.doc.len - j.len);
done:
    X509_free(signer);
    OPENSSL_free(sig);
    free(signed_bytes);
    free(j.doc.buf);
    free(pdf);
    return rc;
}
