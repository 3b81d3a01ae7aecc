/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_verify.c - "jpki-tool verify": a relying party's check of a JPKI
 * certificate (src/jpki/verify.h): the chain to the trust anchors, the
 * revocation status from CRL files, every reason found, and on request
 * the holder's personal data (src/jpki/san.h). Exit codes in verify_usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "jpki/san.h"
#include "jpki/verify.h"
#include "tools/tool.h"

/* Exit codes (also in docs/trust.md). */
enum {
    VX_VALID = 0,
    VX_ERROR = TOOL_EXIT_ERROR, /* 1 */
    VX_USAGE = TOOL_EXIT_USAGE, /* 2 */
    VX_BAD_INPUT = 3,
    VX_UNTRUSTED = 4,
    VX_EXPIRED = 5,
    VX_REVOKED = 6,
    VX_CRL_STALE = 7,
    VX_INVALID = 8,
    VX_REVOCATION_UNKNOWN = 9,
};

#define CERT_MAX (1 << 20)
#define MAX_CRLS 64

static void verify_usage(FILE *out)
{
    fprintf(
        out,
        _("Usage: %s verify CERT [--anchors DIR] [--crl FILE|DIR]... [--at "
          "TIME]\n"
          "                        [--purpose auth|sign] [--allow-test-pki] "
          "[--allow-stale-crl]\n"
          "                        [--crl-cache DIR | --no-crl-cache] "
          "[--show-personal-data]\n"
          "\n"
          "Checks a JPKI certificate CERT (DER or PEM): its chain to a trust "
          "anchor\n"
          "(chosen by key identifier among roots of the same name), validity, "
          "key usage\n"
          "and policy for the purpose, and revocation from CRL files.\n"
          "\n"
          "  --anchors DIR        trust anchors: a directory of PEM/DER "
          "certificates, or\n"
          "                       one file (default %s; an emulator card's\n"
          "                       CARD.pki works with --allow-test-pki)\n"
          "  --crl FILE|DIR       CRL (DER or PEM), or a directory of CRLs; "
          "repeatable\n"
          "  --at TIME            check at TIME: YYYY-MM-DD[THH:MM[:SS]][Z] "
          "(UTC) or @EPOCH\n"
          "                       (default now); expired roots serve only "
          "past times\n"
          "  --purpose auth|sign  user authentication (default) or signature "
          "certificate\n"
          "  --allow-test-pki     accept the test cards' signature policy\n"
          "  --allow-stale-crl    a CRL past its nextUpdate (or without one) "
          "counts as good\n"
          "  --crl-cache DIR      CRL index cache (default "
          "$XDG_CACHE_HOME/jpki-pkcs11/crl\n"
          "                       or ~/.cache/jpki-pkcs11/crl)\n"
          "  --no-crl-cache       build CRL indexes in memory only\n"
          "  --show-personal-data print the holder's name, sex, birth date "
          "and address\n"
          "                       from a signature certificate (personal "
          "data!)\n"
          "\n"
          "Exit status: 0 valid, 1 error, 2 usage, 3 bad input (CERT or "
          "anchors unreadable),\n"
          "4 untrusted, 5 expired or not yet valid, 6 revoked, 7 stale CRL, 8 "
          "invalid for\n"
          "the purpose (key usage, policy, critical extension), 9 revocation "
          "unknown\n"
          "(CRLs given, none usable for the certificate's partition).\n"),
        TOOL_NAME, jpki_anchors_default_dir());
}

/* TIME: @EPOCH, or YYYY-MM-DD with optional THH:MM[:SS] and Z, in UTC. */
static int parse_time(const char *s, int64_t *out)
{
    if (s[0] == '@') {
        char *end;
        long long v = strtoll(s + 1, &end, 10);
        if (!s[1] || *end || v <= 0)
            return -1;
        *out = v;
        return 0;
    }
    static const char *const fmts[] = {
        "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M",     "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"
    };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(s, fmts[i], &tm);
        if (end && !*end) {
            time_t t = timegm(&tm);
            if (t <= 0)
                return -1;
            *out = (int64_t)t;
            return 0;
        }
    }
    return -1;
}

static const char *fmt_time(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!t || !gmtime_r(&tt, &tm) ||
        !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, len, "-");
    return buf;
}

static void print_fpr(const uint8_t *d)
{
    for (int i = 0; i < 32; i++)
        printf("%02X%s", d[i], i < 31 ? ":" : "\n");
}

static const char *reason_name(int reason)
{
    static const char *const n[] = { "unspecified",     "keyCompromise",
                                     "cACompromise",    "affiliationChanged",
                                     "superseded",      "cessationOfOperation",
                                     "certificateHold", "?",
                                     "removeFromCRL",   "privilegeWithdrawn",
                                     "aACompromise" };
    if (reason < 0)
        return "none given";
    return (size_t)reason < sizeof n / sizeof n[0] ? n[reason] : "?";
}

/* label, then text from a certificate, a CRL or a file name, escaped. */
static void put_line(const char *label, const char *text)
{
    fputs(label, stdout);
    tool_put_text(stdout, text);
    putchar('\n');
}

static void print_result(const char *path, const jpki_vresult *r,
                         jpki_purpose purpose)
{
    char t1[40], t2[40];
    put_line(_("certificate: "), path);
    printf(_("purpose:     %s\n"),
           purpose == JPKI_PURPOSE_SIGN ? "sign" : "auth");
    printf(_("checked at:  %s\n"), fmt_time(r->at, t1, sizeof t1));
    printf(_("chain:\n"));
    for (size_t i = 0; i < r->chain_len; i++) {
        const jpki_vcert *c = &r->chain[i];
        printf(_("  [%zu]%s subject: "), i, c->is_anchor ? _(" anchor") : "");
        put_line("", c->subject);
        put_line(_("       issuer:  "), c->issuer);
        put_line(_("       serial:  "), c->serial);
        printf(_("       valid:   %s .. %s\n"),
               fmt_time(c->not_before, t1, sizeof t1),
               fmt_time(c->not_after, t2, sizeof t2));
        printf(_("       sha256:  "));
        print_fpr(c->sha256);
    }
    printf(_("revocation:  %s"), jpki_revstate_name(r->revocation));
    if (r->revocation == JPKI_REV_REVOKED)
        printf(_(" on %s, reason %s"),
               fmt_time(r->revocation_date, t1, sizeof t1),
               reason_name(r->revocation_reason));
    printf("\n");
    if (r->crl_path[0]) {
        fputs(_("  CRL:       "), stdout);
        tool_put_text(stdout, r->crl_path);
        printf(_(" (thisUpdate %s, nextUpdate %s)\n"),
               fmt_time(r->crl_this_update, t1, sizeof t1),
               fmt_time(r->crl_next_update, t2, sizeof t2));
    }
    if (r->crl_error[0])
        put_line(_("  CRL problem: "), r->crl_error);
    if (r->reasons) {
        printf(_("reasons:\n"));
        for (int i = 0; i < JPKI_VR_COUNT; i++)
            if (jpki_vresult_has(r, (jpki_vreason)i))
                printf("  %-20s %s\n", jpki_vreason_name((jpki_vreason)i),
                       jpki_vreason_text((jpki_vreason)i));
        if (r->openssl_error[0]) {
            fputs(_("  (OpenSSL: "), stdout);
            tool_put_text(stdout, r->openssl_error);
            puts(")");
        }
    }
    printf(_("status:      %s\n"), jpki_vstatus_name(r->status));
}

static void print_subst(const char *label, const char *flags)
{
    printf("  %-21s", label);
    int any = 0;
    for (size_t i = 0; flags && flags[i]; i++)
        if (flags[i] == '1')
            printf("%s%zu", any++ ? "," : "", i + 1);
    printf("%s\n", any ? "" : _("none"));
}

/* Only on request; the buffers are wiped at once. */
static int print_personal(X509 *x)
{
    jpki_person p;
    jpki_san_rv rv = jpki_san_from_cert(x, &p);
    if (rv != JPKI_SAN_OK) {
        printf(_("personal data: %s\n"), jpki_san_strerror(rv));
        return rv == JPKI_SAN_MALFORMED ? -1 : 0;
    }
    static const char *const sex[] = { "-", N_("1 (male)"), N_("2 (female)"),
                                       N_("3 (not known)") };
    printf(_("personal data:\n"));
    put_line(_("  name:                "), p.name ? p.name : "-");
    print_subst(_("name substitutes:"), p.name_subst);
    printf(_("  sex:                 %s\n"),
           _(sex[p.sex >= 0 && p.sex <= 3 ? p.sex : 0]));
    if (p.present & JPKI_PD_BIRTH)
        printf(_("  birth date:          %04d-%02d-%02d (era code %d, %s)\n"),
               p.birth_year, p.birth_month, p.birth_day, (int)p.birth_era,
               jpki_era_name(p.birth_era));
    else
        printf(_("  birth date:          -\n"));
    put_line(_("  address:             "), p.address ? p.address : "-");
    print_subst(_("address substitutes:"), p.address_subst);
    fflush(stdout);
    jpki_person_clear(&p);
    return 0;
}

static int exit_code(jpki_vstatus st)
{
    switch (st) {
    case JPKI_VS_VALID: return VX_VALID;
    case JPKI_VS_BAD_INPUT: return VX_BAD_INPUT;
    case JPKI_VS_UNTRUSTED: return VX_UNTRUSTED;
    case JPKI_VS_REVOKED: return VX_REVOKED;
    case JPKI_VS_EXPIRED: return VX_EXPIRED;
    case JPKI_VS_INVALID: return VX_INVALID;
    case JPKI_VS_CRL_STALE: return VX_CRL_STALE;
    case JPKI_VS_REVOCATION_UNKNOWN: return VX_REVOCATION_UNKNOWN;
    }
    return VX_ERROR;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rbe");
    uint8_t *buf = f ? malloc(CERT_MAX) : NULL;
    *len = buf ? fread(buf, 1, CERT_MAX, f) : 0;
    if (f)
        fclose(f);
    if (buf && (*len == 0 || *len >= CERT_MAX)) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        { "anchors", required_argument, NULL, 'a' },
        { "crl", required_argument, NULL, 'c' },
        { "at", required_argument, NULL, 't' },
        { "purpose", required_argument, NULL, 'p' },
        { "allow-test-pki", no_argument, NULL, 'T' },
        { "allow-stale-crl", no_argument, NULL, 'S' },
        { "crl-cache", required_argument, NULL, 'C' },
        { "no-crl-cache", no_argument, NULL, 'N' },
        { "show-personal-data", no_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *crls[MAX_CRLS];
    jpki_vopts o;
    memset(&o, 0, sizeof o);
    o.crls = crls;
    int show = 0, c;
    opterr = 0;
    /* Options may follow CERT (GNU argument permutation). */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': o.anchors_dir = optarg; break;
        case 'c':
            if (o.n_crls == MAX_CRLS) {
                tool_error(_("verify: at most %d --crl (give a directory)"),
                           MAX_CRLS);
                return VX_USAGE;
            }
            crls[o.n_crls++] = optarg;
            break;
        case 't':
            if (parse_time(optarg, &o.at) != 0) {
                tool_error(
                    _("verify: bad --at '%s' (YYYY-MM-DD[THH:MM[:SS]][Z] "
                      "or @EPOCH)"),
                    optarg);
                return VX_USAGE;
            }
            break;
        case 'p':
            if (strcmp(optarg, "auth") == 0)
                o.purpose = JPKI_PURPOSE_AUTH;
            else if (strcmp(optarg, "sign") == 0)
                o.purpose = JPKI_PURPOSE_SIGN;
            else {
                tool_error(_("verify: --purpose is auth or sign"));
                return VX_USAGE;
            }
            break;
        case 'T': o.flags |= JPKI_VF_ALLOW_TEST_PKI; break;
        case 'S': o.flags |= JPKI_VF_ALLOW_STALE_CRL; break;
        case 'C': o.crl_cache_dir = optarg; break;
        case 'N': o.flags |= JPKI_VF_NO_CRL_CACHE; break;
        case 'P': show = 1; break;
        case 'h': verify_usage(stdout); return VX_VALID;
        default:
            tool_error(_("verify: unknown option '%s' (see --help)"),
                       argv[optind - 1]);
            return VX_USAGE;
        }
    }
    if (optind != argc - 1) {
        verify_usage(stderr);
        return VX_USAGE;
    }
    const char *path = argv[optind];
    size_t len;
    uint8_t *der = read_all(path, &len);
    X509 *x = der ? jpki_x509_read(der, len) : NULL;
    free(der);
    if (!x) {
        tool_error(_("verify: %s: cannot read a certificate (DER or PEM)"),
                   path);
        return VX_BAD_INPUT;
    }
    char err[512];
    jpki_anchors *anchors = jpki_anchors_load(
        o.anchors_dir ? o.anchors_dir : jpki_anchors_default_dir(), err,
        sizeof err);
    if (!anchors) {
        tool_error(_("verify: trust anchors: %s"), err);
        X509_free(x);
        return VX_BAD_INPUT;
    }
    o.anchors = anchors;
    jpki_vresult *r = malloc(sizeof *r);
    int rc = VX_ERROR;
    if (r) {
        jpki_verify_x509(x, &o, r);
        print_result(path, r, o.purpose);
        rc = exit_code(r->status);
        if (show && print_personal(x) != 0 && rc == VX_VALID)
            rc = VX_BAD_INPUT;
        free(r);
    }
    jpki_anchors_free(anchors);
    X509_free(x);
    return rc;
}
