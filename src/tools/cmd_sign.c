/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_sign.c - "jpki-tool sign FILE [-o OUT] [--detached]": a CMS
 * (PKCS#7) signature of FILE with the card's signature key, SHA-256, the
 * signature certificate and the card's signature CA certificate included.
 *
 * The signature certificate carries the holder's name, address, birth
 * date and sex, and whoever gets the signed file can read them: that is
 * said before the PIN is asked. The PIN rules are checked before the card
 * is opened. The signature is verified against the certificate before the
 * file is written; OUT (default FILE.p7s) is created afresh, mode 0600.
 * "sign --pdf IN -o OUT" signs a PDF instead (tool_pdf_sign.c), through
 * the same card session (tool_sign_on_card).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "tools/tool.h"
#include "tools/tool_card.h"
#include "tools/tool_cms.h"

#define SIGN_FILE_MAX (1024L * 1024 * 1024) /* the content is held in memory */

static void sign_usage(FILE *out)
{
    fprintf(
        out,
        _("Usage: %s sign FILE [-o OUT] [--detached] [--pin-fd N]\n"
          "       %s sign --pdf IN -o OUT [--pin-fd N]\n"
          "\n"
          "Sign FILE with the card's signature key: a CMS (PKCS#7) SignedData "
          "in\n"
          "DER, SHA-256, with your signature certificate and the card's "
          "signature CA\n"
          "certificate. The signature certificate holds your name, address, "
          "birth\n"
          "date and sex: whoever receives the signature can read them.\n"
          "\n"
          "  -o, --out OUT  where to write the signature (default FILE.p7s); "
          "a new\n"
          "                 file, mode 0600\n"
          "  --detached     leave FILE out of the signature (the receiver "
          "needs both)\n"
          "  --pdf          sign the PDF file IN into OUT: a PAdES signature "
          "added as\n"
          "                 an incremental update (the original bytes "
          "unchanged)\n"
          "  --pin-fd N     read the signature PIN from file descriptor N\n"
          "\n"
          "Check it with: openssl cms -verify -inform DER -in OUT -CAfile "
          "CA.pem\n"
          "(add -content FILE for --detached); a signed PDF with: pdfsig OUT\n"
          "\n"
          "Exit status: 0 signed, 1 error, 2 usage, 4 wrong, locked or "
          "malformed PIN.\n"),
        TOOL_NAME, TOOL_NAME);
}

unsigned char *tool_sign_read(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    unsigned char *buf = NULL;
    size_t got = 0;

    if (fd < 0 || fstat(fd, &st) != 0) {
        tool_error(_("sign: cannot read %s: %s"), path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > SIGN_FILE_MAX) {
        tool_error(_("sign: %s is not a regular file of at most 1 GiB"), path);
        goto fail;
    }
    if (!(buf = malloc((size_t)st.st_size + 1))) {
        tool_error(_("sign: out of memory"));
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            tool_error(_("sign: cannot read %s: %s"), path,
                       r < 0 ? strerror(errno) : _("it shrank"));
            goto fail;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return buf;
fail:
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static X509 *to_x509(unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = der ? d2i_X509(NULL, &p, (long)len) : NULL;
    OPENSSL_clear_free(der, len);
    return x;
}

/* The card session of tool_sign_on_card, once the PIN is read. */
static int sign_session(const tool_pin *pin, const unsigned char *data,
                        size_t len, int detached, tool_sign_prepare prepare,
                        void *ctx, unsigned char **sig, size_t *sig_len,
                        X509 **signer)
{
    unsigned char md[32];
    tool_card tc;
    unsigned char *der = NULL, *ca_der = NULL;
    size_t der_len = 0, ca_len = 0;
    X509 *ca = NULL;
    int rc = tool_card_open(&tc, "sign");

    if (rc != 0)
        return rc;
    jpki_rv brv = jpki_card_begin(tc.card);
    if (brv != JPKI_OK) {
        rc = tool_card_fail("sign", brv);
        tool_card_close(&tc);
        return rc;
    }
    rc = tool_card_verify(&tc, "sign", JPKI_SIGN, pin);
    if (rc == 0)
        rc = tool_card_read_cert(&tc, "sign", JPKI_SIGN, 0, &der, &der_len);
    if (rc == 0) {
        jpki_rv crv =
            jpki_card_read_cert(tc.card, JPKI_SIGN, 1, &ca_der, &ca_len);
        if (crv == JPKI_ERR_NOT_FOUND)
            fprintf(stderr,
                    _("The card holds no signature CA certificate: the "
                      "signature goes without it.\n"));
        else if (crv != JPKI_OK)
            rc = tool_card_fail("sign", crv);
    }
    if (rc == 0) {
        *signer = to_x509(der, der_len);
        ca = to_x509(ca_der, ca_len);
        der = ca_der = NULL;
        if (!*signer || (ca_len && !ca)) {
            tool_error(_("sign: the card's certificate is malformed"));
            rc = TOOL_EXIT_ERROR;
        } else if (X509_cmp_current_time(X509_get0_notAfter(*signer)) < 0) {
            fprintf(
                stderr,
                _("Warning: your signature certificate has expired: whoever "
                  "checks this signature will reject it. A new certificate "
                  "is issued at your municipal office.\n"));
        }
    }
    if (rc == 0 && prepare)
        rc = prepare(ctx, *signer, ca, md);
    if (rc == 0) {
        jpki_rv srv = prepare ? tool_cms_sign_digest(tc.card, *signer, ca, md,
                                                     sig, sig_len)
                              : tool_cms_sign(tc.card, *signer, ca, data, len,
                                              detached, sig, sig_len);
        if (srv == JPKI_ERR_MEMORY) {
            tool_error(_("sign: building the signature failed"));
            rc = TOOL_EXIT_ERROR;
        } else if (srv != JPKI_OK) {
            rc = tool_card_fail("sign", srv);
        }
    }
    jpki_card_logout(tc.card);
    jpki_card_end(tc.card);
    tool_card_close(&tc);
    OPENSSL_clear_free(der, der_len);
    OPENSSL_clear_free(ca_der, ca_len);
    X509_free(ca);
    return rc;
}

int tool_sign_on_card(const unsigned char *data, size_t len, int detached,
                      tool_sign_prepare prepare, void *ctx,
                      unsigned char **sig, size_t *sig_len, X509 **signer)
{
    tool_pin pin;
    fprintf(stderr, _("The signature will carry your signature certificate, "
                      "which holds your\n"
                      "name, address, birth date and sex "
                      "(氏名・住所・生年月日・性別): whoever\n"
                      "receives the signed file can read them.\n"));
    int rc = tool_pin_ask(
        JPKI_SIGN, _("Signature PIN (6-16 characters, A-Z 0-9): "), &pin);
    if (rc != 0)
        return rc;
    rc = sign_session(&pin, data, len, detached, prepare, ctx, sig, sig_len,
                      signer);
    tool_pin_wipe(&pin);
    return rc;
}

int cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "detached", no_argument, NULL, 'd' },
        { "pdf", no_argument, NULL, 'P' },
        { "pin-fd", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    char *def_out = NULL;
    int c, detached = 0, pdf = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'd': detached = 1; break;
        case 'P': pdf = 1; break;
        case 'p':
            if (tool_pin_use_fd(optarg) != 0)
                return TOOL_EXIT_USAGE;
            break;
        case 'h': sign_usage(stdout); return TOOL_EXIT_OK;
        default:
            tool_error(
                _("sign: unknown option or missing value: '%s' (see --help)"),
                argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        sign_usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    const char *in = argv[optind];
    if (pdf) {
        if (!out || detached) {
            tool_error(
                _("sign: --pdf needs -o OUT, and no --detached (see --help)"));
            return TOOL_EXIT_USAGE;
        }
        return tool_pdf_sign(in, out);
    }
    if (!out) {
        size_t n = strlen(in) + sizeof ".p7s";
        if (!(def_out = malloc(n)))
            return TOOL_EXIT_ERROR;
        snprintf(def_out, n, "%s.p7s", in);
        out = def_out;
    }
    size_t len = 0, sig_len = 0;
    unsigned char *data = tool_sign_read(in, &len), *sig = NULL;
    X509 *signer = NULL;
    int rc = TOOL_EXIT_ERROR;

    if (!data)
        goto done;
    if (tool_out_free("sign", out) !=
        0) /* before the PIN; checked again at the end */
        goto done;
    rc = tool_sign_on_card(data, len, detached, NULL, NULL, &sig, &sig_len,
                           &signer);
    if (rc != 0)
        goto done;
    if (!tool_cms_check(sig, sig_len, signer, data, len, detached)) {
        tool_error(_("sign: the signature made by the card does not verify: "
                     "nothing was written"));
        rc = TOOL_EXIT_ERROR;
        goto done;
    }
    rc = tool_write_new("sign", out, sig, sig_len);
    if (rc == 0)
        fprintf(stderr,
                _("Signed: %s (%s signature, verified against your "
                  "certificate).\n"),
                out, detached ? _("detached") : _("attached"));
done:
    X509_free(signer);
    OPENSSL_free(sig);
    free(data);
    free(def_out);
    return rc;
}
