/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_cert.c - "jpki-tool cert auth|sign|auth-ca|sign-ca [--pem|--der]
 * [-o FILE]": a readable summary of one of the card's certificates, or the
 * certificate itself.
 *
 * The signature certificate holds the holder's name, address, birth date
 * and sex, and the card gives it only after the signature PIN: the command
 * says so before asking. Its personal data goes to stdout only (the
 * summary, or the certificate itself); never to stderr, a log or a
 * temporary file. A file written with -o is created afresh with mode 0600,
 * never through a symlink and never over an existing file. Every text taken
 * from a certificate is escaped before it reaches the terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tools/tool.h"
#include "tools/tool_card.h"

enum { FMT_SUMMARY, FMT_PEM, FMT_DER };

static void cert_usage(FILE *out)
{
    fprintf(
        out,
        _("Usage: %s cert auth|sign|auth-ca|sign-ca [--pem|--der] [-o FILE]\n"
          "                 [--pin-fd N]\n"
          "\n"
          "Show a summary of one of the card's certificates, or export it.\n"
          "  auth     the user-authentication certificate (no PIN needed)\n"
          "  sign     the digital-signature certificate: it holds your name,\n"
          "           address, birth date and sex, and needs the signature "
          "PIN\n"
          "  auth-ca  the authentication CA's certificate on the card\n"
          "  sign-ca  the signature CA's certificate on the card\n"
          "\n"
          "  --pem        print or write the certificate in PEM\n"
          "  --der        write it in DER (binary: not to a terminal)\n"
          "  -o, --out FILE  write to FILE (a new file, mode 0600; PEM unless "
          "--der)\n"
          "  --pin-fd N   read the PIN from file descriptor N (one line)\n"
          "\n"
          "Exit status: 0 done, 1 error, 2 usage, 4 wrong, locked or "
          "malformed PIN.\n"),
        TOOL_NAME);
}

/* A label in a column 13 wide and a space, by the columns the terminal
 * shows (a Japanese character takes two). */
static void label13(const char *label)
{
    tool_put_padded(stdout, label, 13);
    putchar(' ');
}

/* ---- the summary ----------------------------------------------------------- */

static void put_name(const char *label, const X509_NAME *name)
{
    BIO *mem = BIO_new(BIO_s_secmem());
    char *txt = NULL;
    long n;
    if (!mem ||
        X509_NAME_print_ex(mem, name, 0,
                           XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) < 0 ||
        BIO_write(mem, "", 1) != 1 || (n = BIO_get_mem_data(mem, &txt)) <= 0) {
        BIO_free(mem);
        label13(label);
        fputs(_("(unreadable)\n"), stdout);
        return;
    }
    label13(label);
    tool_put_text(stdout, txt);
    putchar('\n');
    BIO_free(mem);
}

/* Renewal opens 3 months before expiry; 90 days is the safe side of it. */
#define RENEWAL_DAYS 90

enum { LEFT_OK, LEFT_RENEWABLE, LEFT_EXPIRED };

static int put_time(const char *label, const ASN1_TIME *t, int with_days)
{
    struct tm tm;
    int days = 0, secs = 0, state = LEFT_OK;
    char buf[48];
    if (!t || !ASN1_TIME_to_tm(t, &tm)) {
        label13(label);
        fputs(_("unknown\n"), stdout);
        return LEFT_OK;
    }
    tool_date_jst(timegm(&tm), buf, sizeof buf);
    label13(label);
    fputs(buf, stdout);
    if (with_days && ASN1_TIME_diff(&days, &secs, NULL, t)) {
        if (days > 0 || (days == 0 && secs > 0)) {
            if (days == 1)
                printf(_(" (1 day left)"));
            else
                printf(_(" (%d days left)"), days);
            if (days < RENEWAL_DAYS)
                state = LEFT_RENEWABLE;
        } else {
            if (days == -1)
                printf(_(" (EXPIRED 1 day ago)"));
            else
                printf(_(" (EXPIRED %d days ago)"), -days);
            state = LEFT_EXPIRED;
        }
    }
    putchar('\n');
    return state;
}

static int all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* n decimal digits (checked by all_digits) as a number. */
static int atoi_n(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* The birth date is "EYYYYMMDD" (an era code, then the Gregorian date);
 * sex is a code, 1 male, 2 female. Anything else is shown as it is. */
static void put_holder_value(const char *oid, const char *v)
{
    if (strcmp(oid, "1.2.392.200149.8.5.5.4") == 0 && all_digits(v, 9))
        /* TRANSLATORS: a birth date, year month day; Japanese: %d年%d月%d日 */
        printf(_("%04d-%02d-%02d"), atoi_n(v + 1, 4), atoi_n(v + 5, 2),
               atoi_n(v + 7, 2));
    else if (strcmp(oid, "1.2.392.200149.8.5.5.3") == 0 && strcmp(v, "1") == 0)
        printf(_("male (1)"));
    else if (strcmp(oid, "1.2.392.200149.8.5.5.3") == 0 && strcmp(v, "2") == 0)
        printf(_("female (2)"));
    else
        tool_put_text(stdout, v);
}

/* The holder's data in the signature certificate: subjectAltName
 * otherNames 1.2.392.200149.8.5.5.N, UTF8String. */
static void put_holder(X509 *x)
{
    static const struct {
        const char *oid, *label;
    } fields[] = {
        { "1.2.392.200149.8.5.5.1", N_("name") },
        { "1.2.392.200149.8.5.5.5", N_("address") },
        { "1.2.392.200149.8.5.5.4", N_("birth date") },
        { "1.2.392.200149.8.5.5.3", N_("sex") },
    };
    GENERAL_NAMES *gens =
        X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!gens)
        return;
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            char oid[64];
            if (g->type != GEN_OTHERNAME ||
                OBJ_obj2txt(oid, sizeof oid, g->d.otherName->type_id, 1) <=
                    0 ||
                strcmp(oid, fields[f].oid) != 0)
                continue;
            ASN1_TYPE *v = g->d.otherName->value;
            if (!v || v->type != V_ASN1_UTF8STRING)
                continue;
            const ASN1_STRING *s = v->value.utf8string;
            char *txt = OPENSSL_strndup((const char *)ASN1_STRING_get0_data(s),
                                        (size_t)ASN1_STRING_length(s));
            if (!txt)
                continue;
            label13(_(fields[f].label));
            put_holder_value(fields[f].oid, txt);
            putchar('\n');
            OPENSSL_clear_free(txt, strlen(txt));
        }
    }
    GENERAL_NAMES_free(gens);
}

static void summary(X509 *x, const char *what, int leaf, int holder)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_PKEY *pk = X509_get0_pubkey(x);
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);

    label13(_("certificate"));
    printf("%s\n", what);
    put_name(_("subject"), X509_get_subject_name(x));
    put_name(_("issuer"), X509_get_issuer_name(x));
    if (serial) {
        label13(_("serial"));
        for (int i = 0; i < serial->length; i++)
            printf("%02X", serial->data[i]);
        putchar('\n');
    }
    put_time(_("valid from"), X509_get0_notBefore(x), 0);
    int left = put_time(_("valid until"), X509_get0_notAfter(x), 1);
    if (leaf && left == LEFT_RENEWABLE) {
        label13(_("renewal"));
        printf("%s\n", _("possible now: renew it free of charge at your "
                         "municipal office (市区町村窓口; from 3 months "
                         "before expiry)"));
    } else if (leaf && left == LEFT_EXPIRED) {
        label13(_("renewal"));
        printf("%s\n", _("this certificate no longer works: get a new one at "
                         "your municipal office (市区町村窓口)"));
    }
    if (pk) {
        label13(_("key"));
        printf(_("%s %d bits\n"),
               EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA  ? "RSA"
               : EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC ? "EC"
                                                         : _("other"),
               EVP_PKEY_get_bits(pk));
    }
    if (X509_digest(x, EVP_sha256(), md, &mdlen)) {
        label13("SHA-256");
        for (unsigned i = 0; i < mdlen; i++)
            printf("%02X%s", md[i], i + 1 < mdlen ? ":" : "\n");
    }
    if (holder)
        put_holder(x);
}

/* ---- export ---------------------------------------------------------------- */

static int export(const unsigned char *der, size_t len, int fmt,
                  const char *out)
{
    BIO *mem = NULL;
    const unsigned char *data = der;
    char *pem = NULL;
    long n = (long)len;
    int rc;

    if (fmt == FMT_PEM) {
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        mem = BIO_new(BIO_s_secmem()); /* wiped when freed */
        if (!x || !mem || !PEM_write_bio_X509(mem, x) ||
            (n = BIO_get_mem_data(mem, &pem)) <= 0) {
            X509_free(x);
            BIO_free(mem);
            tool_error(_("cert: out of memory"));
            return TOOL_EXIT_ERROR;
        }
        X509_free(x);
        data = (const unsigned char *)pem;
    }
    if (!out && fmt == FMT_DER && isatty(STDOUT_FILENO)) {
        tool_error(_("cert: DER is binary: write it with -o FILE or redirect "
                     "the output"));
        BIO_free(mem);
        return TOOL_EXIT_USAGE;
    }
    rc = tool_write_new("cert", out, data, (size_t)n);
    if (rc == 0 && out)
        fprintf(stderr, _("Wrote %s (mode 0600).\n"), out);
    BIO_free(mem);
    return rc;
}

/* ---- the command ----------------------------------------------------------- */

int cmd_cert(int argc, char **argv)
{
    static const struct option opts[] = {
        { "pem", no_argument, NULL, 'P' },
        { "der", no_argument, NULL, 'D' },
        { "out", required_argument, NULL, 'o' },
        { "pin-fd", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const struct {
        const char *name, *what;
        jpki_key key;
        int ca;
    } which[] = {
        { "auth", N_("user authentication (利用者証明用)"), JPKI_AUTH, 0 },
        { "sign", N_("digital signature (署名用)"), JPKI_SIGN, 0 },
        { "auth-ca", N_("user authentication CA"), JPKI_AUTH, 1 },
        { "sign-ca", N_("digital signature CA"), JPKI_SIGN, 1 },
    };
    int c, fmt = FMT_SUMMARY, w = -1;
    const char *out = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'P': fmt = FMT_PEM; break;
        case 'D': fmt = FMT_DER; break;
        case 'o': out = optarg; break;
        case 'p':
            if (tool_pin_use_fd(optarg) != 0)
                return TOOL_EXIT_USAGE;
            break;
        case 'h': cert_usage(stdout); return TOOL_EXIT_OK;
        default:
            tool_error(
                _("cert: unknown option or missing value: '%s' (see --help)"),
                argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    for (size_t i = 0;
         optind + 1 == argc && i < sizeof which / sizeof which[0]; i++)
        if (strcmp(argv[optind], which[i].name) == 0)
            w = (int)i;
    if (w < 0) {
        cert_usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (out && fmt == FMT_SUMMARY)
        fmt = FMT_PEM;
    int personal = which[w].key == JPKI_SIGN && !which[w].ca;
    tool_pin pin;
    tool_card tc;
    unsigned char *der = NULL;
    size_t len = 0;
    int rc;
    memset(&pin, 0, sizeof pin);
    if (out && (rc = tool_out_free("cert", out)) != 0)
        return rc;
    if (personal) {
        fprintf(stderr,
                _("The signature certificate holds your name, address, "
                  "birth date and sex\n"
                  "(氏名・住所・生年月日・性別). The card gives it only "
                  "after the signature PIN.\n"));
        rc = tool_pin_ask(
            JPKI_SIGN, _("Signature PIN (6-16 characters, A-Z 0-9): "), &pin);
        if (rc != 0)
            return rc;
    }
    if ((rc = tool_card_open(&tc, "cert")) != 0) {
        tool_pin_wipe(&pin);
        return rc;
    }
    if (personal) {
        jpki_rv brv = jpki_card_begin(tc.card);
        rc = brv != JPKI_OK ? tool_card_fail("cert", brv)
                            : tool_card_verify(&tc, "cert", JPKI_SIGN, &pin);
        tool_pin_wipe(&pin);
        if (rc == 0)
            rc = tool_card_read_cert(&tc, "cert", JPKI_SIGN, 0, &der, &len);
        if (brv == JPKI_OK) {
            jpki_card_logout(tc.card);
            jpki_card_end(tc.card);
        }
    } else {
        rc = tool_card_read_cert(&tc, "cert", which[w].key, which[w].ca, &der,
                                 &len);
    }
    tool_card_close(&tc);
    if (rc != 0)
        return rc;
    if (fmt == FMT_SUMMARY) {
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (!x) {
            tool_error(_("cert: the card's certificate is malformed"));
            rc = TOOL_EXIT_ERROR;
        } else {
            summary(x, _(which[w].what), !which[w].ca, personal);
            X509_free(x);
        }
    } else {
        rc = export(der, len, fmt, out);
    }
    OPENSSL_clear_free(der, len);
    return rc;
}
