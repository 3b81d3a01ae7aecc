/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_status.c - "jpki-tool status [--json]": what the module would see.
 *
 * Readers come from the module's own configuration (jpki-pkcs11.conf and
 * the JPKI_PKCS11_* environment), in the module's order, so "slot" here is
 * the module's slot id. For each JPKI card: both tokens, the PIN retry
 * counters (read with the card's status query: no try is spent, no PIN is
 * ever asked for or sent) and the certificates a host can read without a
 * PIN. The signature certificate carries personal data and needs the
 * signature PIN: it is never read here.
 *
 * Each authentication certificate's days left (from 90 days ahead a
 * warning with what to do, cmd_status_notes.c), a renewal seen since the
 * last run (jpki_cache_cert_changed), and notes on revocation and on
 * マイナポータル / e-Tax.
 *
 * Exit status: 0 a JPKI card was found; 1 no card (no reader, empty
 * readers, or other cards only); 2 usage; 3 PC/SC is wanted but pcscd is
 * not reachable, and no card was found elsewhere; 5 a card was found and a
 * certificate expires within 90 days; 6 a certificate has expired.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "jpki/cache.h"
#include "jpki/jpki.h"
#include "pkcs11/config.h"
#include "reader/reader.h"
#include "tools/cmd_status.h"
#include "tools/tool.h"

#define EXIT_NO_CARD 1
#define EXIT_NO_PCSC 3

static const char *const token_label[2] = { "JPKI User Authentication",
                                            "JPKI Digital Signature" };
static const char *const key_name[2] = { "auth", "sign" };

static int json;
static status_notes notes; /* what the end of the output tells */

/* ---- output helpers ------------------------------------------------------ */

static void jkey(const char *key, const char *val, int comma)
{
    tool_put_json(stdout, key);
    putchar(':');
    if (val)
        tool_put_json(stdout, val); /* from a card or a reader: escaped */
    else
        fputs("null", stdout);
    if (comma)
        putchar(',');
}

static const char *pin_state(int tries, int max)
{
    if (tries < 0)
        return "unknown";
    if (tries == 0)
        return "locked";
    if (tries == 1)
        return "final try";
    return tries < max ? "count low" : "ok";
}

/* "YYYY-MM-DD HH:MM:SS UTC" */
static void fmt_time(const ASN1_TIME *t, char *out, size_t n)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm) ||
        !strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(out, n, "unknown");
}

/* ---- one token ----------------------------------------------------------- */

typedef struct {
    char subject[512], not_before[32], not_after[32];
    char from_jst[48], until_jst[48]; /* dates for people */
    int expired;          /* 1 past notAfter, -1 not yet valid, 0 valid */
    long days_left;       /* whole days to notAfter (negative: since) */
    time_t until;         /* notAfter */
    unsigned char md[32]; /* SHA-256 of the certificate (renewals) */
    const char *why;      /* NULL: read; else why not */
} cert_view;

static void read_cert(jpki_card *jc, jpki_key key, cert_view *v)
{
    uint8_t *der = NULL;
    size_t len = 0;
    memset(v, 0, sizeof(*v));
    if (key == JPKI_SIGN) {
        /* Never even tried: it holds personal data and needs the PIN. */
        v->why = N_("needs the signature PIN (not read: status never asks "
                    "for a PIN; see jpki-tool cert sign)");
        return;
    }
    jpki_rv rv = jpki_card_read_cert(jc, key, 0, &der, &len);
    if (rv == JPKI_ERR_SECURITY) {
        v->why = N_("needs the authentication PIN on this token (not read)");
        return;
    }
    if (rv != JPKI_OK) {
        v->why = jpki_strerror(rv);
        return;
    }
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!EVP_Digest(der, len, v->md, NULL, EVP_sha256(), NULL))
        memset(v->md, 0, sizeof(v->md));
    free(der);
    if (!x) {
        v->why = N_("malformed certificate");
        return;
    }
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem &&
        X509_NAME_print_ex(mem, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int n = BIO_read(mem, v->subject, sizeof(v->subject) - 1);
        v->subject[n > 0 ? n : 0] = '\0';
    }
    BIO_free(mem);
    fmt_time(X509_get0_notBefore(x), v->not_before, sizeof(v->not_before));
    fmt_time(X509_get0_notAfter(x), v->not_after, sizeof(v->not_after));
    status_days(X509_get0_notBefore(x), X509_get0_notAfter(x), v->from_jst,
                v->until_jst, sizeof(v->until_jst), &v->days_left, &v->until);
    if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
        v->expired = 1;
    else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
        v->expired = -1;
    X509_free(x);
}

/* A certificate the card does not carry (EF 0008): no key, no PIN; the
 * module shows the token as "<label> (none)". Says why; returns 1. */
static int show_absent(jpki_card *jc, jpki_key key, size_t slot, int shown,
                       int first)
{
    static const char *const why[2] = {
        N_("this card carries no authentication certificate: it was "
           "declined when the card was issued"),
        N_("this card carries no signature certificate: cards issued to "
           "children under 15 have none, and an adult may decline it")
    };
    int present = 1;

    if (jpki_card_has_cert(jc, key, &present) != JPKI_OK || present)
        return 0;
    if (json) {
        printf("%s{", first ? "" : ",");
        jkey("key", key_name[key], 1);
        printf("\"label\":\"%s (none)\",\"slot\":%zu,\"offered\":%s,"
               "\"pin_tries_left\":null,\"certificate\":{\"read\":false,"
               "\"present\":false,",
               token_label[key], slot, shown ? "true" : "false");
        jkey("reason", why[key], 0);
        printf("}}");
        return 1;
    }
    printf(_("  token  %s (none) (slot %zu) - no key, no PIN\n    "
             "certificate  %s (the municipal office can issue one)\n"),
           token_label[key], slot, _(why[key]));
    return 1;
}

static void show_token(jpki_card *jc, jpki_key key, size_t slot, int shown,
                       int phone, int first)
{
    if (show_absent(jc, key, slot, shown, first))
        return;
    int tries = -1, max = jpki_pin_max_tries(key);
    jpki_rv prv = jpki_card_pin_status(jc, key, &tries);
    cert_view v;
    char label[64];

    if (prv != JPKI_OK)
        tries = -1;
    read_cert(jc, key, &v);
    int changed = 0;
    if (!v.why && key == JPKI_AUTH)
        changed = jpki_cache_cert_changed(jpki_card_serial(jc), v.md) == 1;
    if (!v.why)
        status_notes_cert(&notes, key, v.expired, v.days_left, v.until_jst,
                          changed);
    if (tries == 0)
        notes.locked |= 1 << key;
    snprintf(label, sizeof(label), "%s%s", token_label[key],
             phone ? " (phone)" : "");
    if (json) {
        printf("%s{", first ? "" : ",");
        jkey("key", key_name[key], 1);
        jkey("label", label, 1);
        printf("\"slot\":%zu,\"offered\":%s,", slot, shown ? "true" : "false");
        if (tries >= 0)
            printf("\"pin_tries_left\":%d,", tries);
        else
            printf("\"pin_tries_left\":null,");
        printf("\"pin_max_tries\":%d,", max);
        jkey("pin_state", pin_state(tries, max), 1);
        printf("\"certificate\":{\"read\":%s,", v.why ? "false" : "true");
        if (v.why) {
            jkey("reason", v.why, 0);
        } else {
            jkey("subject", v.subject, 1);
            jkey("not_before", v.not_before, 1);
            jkey("not_after", v.not_after, 1);
            jkey("validity",
                 v.expired > 0   ? "expired"
                 : v.expired < 0 ? "not yet valid"
                                 : "valid",
                 1);
            printf("\"days_left\":%ld,", v.days_left);
            /* status has no CRL: it never claims more than the dates */
            jkey("revocation", "not checked", 1);
            printf("\"changed_since_last_run\":%s",
                   changed ? "true" : "false");
        }
        printf("}}");
        return;
    }
    printf(_("  token  %s (slot %zu)"), label, slot);
    if (!shown)
        fputs(_(" - not offered: 'tokens' setting"), stdout);
    putchar('\n');
    if (tries < 0)
        printf(_("    PIN          retry counter unreadable: %s\n"),
               jpki_strerror(prv));
    else if (tries == 0)
        printf(_("    PIN          LOCKED (0 of %d tries left): see the note "
                 "below\n"),
               max);
    else if (tries == 1)
        printf(_("    PIN          %d of %d tries left (FINAL TRY: a wrong "
                 "PIN locks it)\n"),
               tries, max);
    else if (tries < max)
        printf(_("    PIN          %d of %d tries left (a wrong PIN was "
                 "entered before)\n"),
               tries, max);
    else
        printf(_("    PIN          %d of %d tries left\n"), tries, max);
    fputs(_("    certificate  "), stdout);
    /* why: English in JSON, the reader's language here */
    tool_put_text(stdout, v.why ? _(v.why) : v.subject);
    putchar('\n');
    if (v.why)
        return;
    if (v.expired > 0)
        printf(_("    valid        %s to %s: EXPIRED %ld days ago, the "
                 "certificate no longer works\n"),
               v.from_jst, v.until_jst, -v.days_left);
    else if (v.expired < 0)
        printf(_("    valid        %s to %s: NOT YET VALID\n"), v.from_jst,
               v.until_jst);
    else
        printf(_("    valid        %s to %s: valid, revocation not checked "
                 "(%ld days left)\n"),
               v.from_jst, v.until_jst, v.days_left);
    if (changed)
        printf(_("    renewed      this certificate is new since the last "
                 "run\n"));
}

/* ---- one reader ---------------------------------------------------------- */

/* Returns 1 when the reader holds a JPKI card. */
static int show_reader(reader *r, size_t idx, const p11_config *cfg, int first)
{
    jpki_card *jc = NULL;
    jpki_rv rv = jpki_card_open(r, &jc);
    const char *kind = (r->flags & READER_FLAG_EMULATED) ? "emulator" : "pcsc";
    const char *card = rv == JPKI_OK             ? "jpki"
                       : rv == JPKI_ERR_NO_CARD  ? "none"
                       : rv == JPKI_ERR_NOT_JPKI ? "other"
                       : rv == JPKI_ERR_BUSY     ? "busy"
                                                 : "error";
    int phone = rv == JPKI_OK && jpki_card_is_smartphone(jc);

    if (json) {
        printf("%s{", first ? "" : ",");
        jkey("name", r->name, 1);
        jkey("kind", kind, 1);
        printf("\"pinpad\":%s,",
               (r->flags & READER_FLAG_PINPAD) ? "true" : "false");
        jkey("card", card, 1);
        if (rv != JPKI_OK) {
            jkey("error", jpki_strerror(rv), 0);
        } else {
            jkey("token_kind", phone ? "smartphone" : "card", 1);
            /* A card's chip serial is read for renewals only: shown, as
             * before, for a smartphone token alone. */
            jkey("serial", phone ? jpki_card_serial(jc) : NULL, 1);
            printf("\"tokens\":[");
        }
    } else {
        fputs(_("reader "), stdout);
        tool_put_text(stdout, r->name);
        printf(" [%s%s]\n", kind,
               (r->flags & READER_FLAG_PINPAD) ? _(", PIN pad") : "");
        switch (rv) {
        case JPKI_OK:
            fputs(phone ? _("  card   JPKI smartphone token\n")
                        : _("  card   My Number Card (JPKI)\n"),
                  stdout);
            break;
        case JPKI_ERR_NO_CARD:
            fputs(_("  card   none: insert the My Number Card\n"), stdout);
            break;
        case JPKI_ERR_NOT_JPKI:
            fputs(_("  card   not a My Number Card (no JPKI application)\n"),
                  stdout);
            break;
        case JPKI_ERR_BUSY:
            fputs(_("  card   in use by another program (try again when it "
                    "is done)\n"),
                  stdout);
            break;
        default:
            printf(_("  card   unreadable: %s (reinsert the card)\n"),
                   jpki_strerror(rv));
        }
    }
    if (rv == JPKI_OK) {
        jpki_card_begin(jc);
        show_token(jc, JPKI_AUTH, 2 * idx, cfg->show_auth, phone, 1);
        show_token(jc, JPKI_SIGN, 2 * idx + 1, cfg->show_sign, phone, 0);
        jpki_card_end(jc);
        /* No logout: nothing was verified. (Selecting the JPKI-AP at open
         * already cleared any other program's login on this card.) */
        jpki_card_close(jc);
        if (json)
            printf("]");
    }
    if (json)
        printf("}");
    return rv == JPKI_OK;
}

/* ---- the command --------------------------------------------------------- */

static int pcsc_reachable(void)
{
    SCARDCONTEXT ctx;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) !=
        SCARD_S_SUCCESS)
        return 0;
    SCardReleaseContext(ctx);
    return 1;
}

static void status_usage(FILE *out)
{
    fprintf(out, _("Usage: %s status [--json]\n"), TOOL_NAME);
    fputs(_("\n"
            "Show the readers the module sees (same configuration: "
            "jpki-pkcs11.conf\n"
            "and JPKI_PKCS11_*), their cards, both tokens with their slot "
            "ids, PIN\n"
            "tries left (read without spending a try) and the certificates "
            "readable\n"
            "without a PIN, with their days left. Never asks for or sends a "
            "PIN.\n"
            "\n"
            "  --json   one JSON object, for scripts\n"
            "\n"
            "Exit status: 0 a JPKI card was found, 1 no card, 2 usage error,\n"
            "3 pcscd is not reachable (and no card was found elsewhere),\n"
            "5 a certificate ends within 90 days, 6 a certificate has "
            "expired.\n"),
          out);
}

int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    json = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'h': status_usage(stdout); return TOOL_EXIT_OK;
        default:
            tool_error(_("status: unknown option '%s' (see --help)"),
                       argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        tool_error(_("status: unexpected argument '%s' (see --help)"),
                   argv[optind]);
        return TOOL_EXIT_USAGE;
    }

    p11_config cfg;
    jlog_init(-1, NULL);
    p11_config_load(&cfg);
    jlog_init(cfg.log_level, cfg.log_file[0] ? cfg.log_file : NULL);
    jpki_cache_configure(cfg.cache); /* where renewals are remembered */
    jpki_card_want_serial(1);        /* renewals: the same chip */
    memset(&notes, 0, sizeof(notes));
    int pcsc_up = cfg.pcsc && pcsc_reachable();

    reader **list = NULL;
    size_t n = 0, cards = 0;
    /* The module's readers, in its order: emulator images, then the PC/SC
     * readers its readers_allow/readers_deny let through. */
    if (reader_list_emulators(cfg.emulator, &list, &n) != READER_OK ||
        (cfg.pcsc && reader_pcsc_list(cfg.readers_allow, cfg.readers_deny,
                                      &list, &n) != READER_OK)) {
        tool_error(_("status: out of memory"));
        return TOOL_EXIT_ERROR;
    }
    const char *pcsc = !cfg.pcsc ? "off" : pcsc_up ? "running" : "not running";
    if (json) {
        printf("{");
        jkey("version", PACKAGE_VERSION, 1);
        jkey("pcsc", pcsc, 1);
        printf("\"readers\":[");
    } else {
        printf("PC/SC  %s\n",
               !cfg.pcsc ? _("off (pcsc = off or JPKI_PKCS11_PCSC=off)")
               : pcsc_up ? _("pcscd is running")
                         : _("pcscd is NOT running: start it "
                             "(systemctl start pcscd.socket)"));
    }
    for (size_t i = 0; i < n; i++)
        cards += (size_t)show_reader(list[i], i, &cfg, i == 0);
    reader_list_free(list, n);
    if (json) {
        printf("],\"cards\":%zu}\n", cards);
    } else if (n == 0) {
        printf(_("no reader found: %s\n"),
               !cfg.pcsc ? _("PC/SC is off and no emulator card is configured")
               : pcsc_up ? _("connect a card reader")
                         : _("PC/SC readers are only seen while pcscd runs"));
    } else if (cards == 0) {
        fputs(_("no My Number Card found\n"), stdout);
    } else {
        status_notes_print(&notes);
    }
    jlog_close();
    if (cards)
        return status_notes_exit(&notes);
    return cfg.pcsc && !pcsc_up ? EXIT_NO_PCSC : EXIT_NO_CARD;
}
