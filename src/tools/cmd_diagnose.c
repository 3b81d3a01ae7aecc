/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_diagnose.c - "jpki-tool diagnose [--with-pin [--pin-fd N]] [--json]
 * [--reader TEXT]": a field report on the cards in the module's readers
 * (cmd_diagnose.h says what it contains and what it never shows).
 *
 * Without --with-pin no PIN is asked for or sent. With it, the command
 * first surveys the card, then says exactly which VERIFYs it will send,
 * then asks for each PIN once (without echo, or one per line from --pin-fd
 * in prompt order), and runs the experiments. A PIN the card refuses is
 * never sent again, and a PIN with fewer than two tries left is not risked.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "emu/emu.h"
#include "pkcs11/config.h"
#include "tools/cmd_diagnose.h"
#include "tools/tool.h"
#include "tools/tool_card.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char *const pin_name[2] = { "authentication", "signature" };

static void diagnose_usage(FILE *out)
{
    fprintf(
        out,
        _("Usage: %s diagnose [--with-pin [--pin-fd N]] [--json] [--reader "
          "TEXT]\n"
          "\n"
          "A report on the card in each reader the module sees, to attach to "
          "a bug\n"
          "report: reader, ATR, protocol, the answer (status word, length, "
          "time) to\n"
          "every command the module uses, the token info label, PIN status "
          "words,\n"
          "file sizes, and the issuer, validity and key type of the "
          "authentication\n"
          "certificate. Never the signature certificate, the authentication\n"
          "certificate's subject or serial, the card's serial, or the "
          "card-info\n"
          "application. Without --with-pin no PIN is asked for or sent.\n"
          "\n"
          "  --with-pin     also settle what needs a PIN (re-select and the "
          "login,\n"
          "                 signatures per signature-PIN VERIFY, the "
          "signature length,\n"
          "                 a signature without a PIN). It says which VERIFYs "
          "it will\n"
          "                 send before it asks for each PIN once, without "
          "echo.\n"
          "  --pin-fd N     read the PINs from file descriptor N, one per "
          "line, in\n"
          "                 the order they are asked for (for scripts)\n"
          "  --json         one JSON object (attach it to bug reports)\n"
          "  --reader TEXT  only readers whose name contains TEXT\n"
          "\n"
          "Exit status: 0 a JPKI card was examined, 1 none, 2 usage error.\n"),
        TOOL_NAME);
}

/* ---- readers ------------------------------------------------------------ */

static void hex_atr(const uint8_t *atr, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0, o = 0; i < n && o + 4 <= cap; i++)
        o += (size_t)snprintf(out + o, cap - o, i ? " %02X" : "%02X", atr[i]);
}

/* ATR and protocol of a PC/SC reader's card, from a look of our own that
 * leaves the card as it is. */
static void pcsc_atr(diag_report *rep)
{
    SCARDCONTEXT ctx;
    SCARDHANDLE h;
    DWORD proto = 0, state = 0, alen = MAX_ATR_SIZE, rlen = 0;
    BYTE atr[MAX_ATR_SIZE];
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) !=
        SCARD_S_SUCCESS)
        return;
    if (SCardConnect(ctx, rep->reader, SCARD_SHARE_SHARED,
                     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h,
                     &proto) == SCARD_S_SUCCESS) {
        if (SCardStatus(h, NULL, &rlen, &state, &proto, atr, &alen) ==
            SCARD_S_SUCCESS) {
            hex_atr(atr, alen, rep->atr, sizeof(rep->atr));
            snprintf(rep->protocol, sizeof(rep->protocol), "%s",
                     proto == SCARD_PROTOCOL_T1   ? "T=1"
                     : proto == SCARD_PROTOCOL_T0 ? "T=0"
                                                  : "other");
        }
        SCardDisconnect(h, SCARD_LEAVE_CARD);
    }
    SCardReleaseContext(ctx);
}

/* Survey one reader; the reader stays connected for the experiments. */
static diag_report *survey_reader(reader *r)
{
    diag_report *rep = calloc(1, sizeof(*rep));
    if (!rep)
        return NULL;
    snprintf(rep->reader, sizeof(rep->reader), "%s", r->name);
    rep->emulated = (r->flags & READER_FLAG_EMULATED) != 0;
    rep->link.r = r;
    rep->card = "none";
    rep->token_info_size = -1;
    if (rep->emulated) {
        uint8_t atr[40];
        size_t n = emu_card_atr(NULL, atr, sizeof(atr));
        hex_atr(atr, n < sizeof(atr) ? n : sizeof(atr), rep->atr,
                sizeof(rep->atr));
        snprintf(rep->protocol, sizeof(rep->protocol), "T=1");
    } else {
        pcsc_atr(rep);
    }
    reader_rv rv = reader_connect(r);
    if (rv != READER_OK) {
        rep->card = rv == READER_ERR_NO_CARD ? "none" : "error";
        return rep;
    }
    if (reader_begin(r) != READER_OK) {
        rep->card = "error";
        return rep;
    }
    diag_survey(rep);
    reader_end(r);
    return rep;
}

/* ---- PINs --------------------------------------------------------------- */

/* Each PIN an experiment needs, asked once (tool_pin.c: terminal without
 * echo, or --pin-fd; the rules checked, the signature PIN upper-cased). A
 * PIN that breaks the rules is not kept: what needs it is skipped. -1 when
 * no PIN could be read at all. */
static int get_pins(const int need[2], diag_pins *pins)
{
    static const char *const prompt[2] = {
        N_("Authentication PIN for jpki-tool diagnose: "),
        N_("Signature PIN for jpki-tool diagnose: ")
    };
    for (int w = 0; w < 2; w++) {
        tool_pin p;
        if (!need[w])
            continue;
        int rc = tool_pin_ask(w == DIAG_AUTH ? JPKI_AUTH : JPKI_SIGN,
                              _(prompt[w]), &p);
        if (rc == TOOL_EXIT_ERROR)
            return -1;
        if (rc == 0 && p.len <= DIAG_PIN_MAX) {
            pins->have[w] = 1;
            memcpy(pins->pin[w], p.s, p.len + 1);
        }
        tool_pin_wipe(&p);
    }
    return 0;
}

/* ---- the PIN part ------------------------------------------------------- */

/* Decide which experiments run: a PIN with fewer than two tries left (or an
 * unclear status) is not risked. Prints the announcement. */
static void plan(diag_report *rep, int need[2])
{
    unsigned total[2] = { 0, 0 };
    need[0] = need[1] = 0;
    for (size_t i = 0; i < diag_n_experiments; i++) {
        const diag_experiment *x = &diag_experiments[i];
        int ok = 1;
        for (int w = 0; w < 2; w++) {
            int left = diag_tries_left(rep->pin_sw[w]);
            if (x->verifies[w] && left < 2) {
                ok = 0;
                snprintf(rep->results[i].answer,
                         sizeof(rep->results[i].answer), "skipped");
                snprintf(rep->results[i].detail,
                         sizeof(rep->results[i].detail),
                         "the %s PIN %s: not risked", pin_name[w],
                         left < 0 ? "status is unclear or blocked"
                                  : "has 1 try left");
            }
        }
        if (!ok)
            continue;
        rep->run[i] = 1;
        for (int w = 0; w < 2; w++) {
            total[w] += x->verifies[w];
            need[w] |= x->verifies[w] > 0;
        }
    }
    rep->announced[0] = total[0];
    rep->announced[1] = total[1];
    fprintf(
        stderr,
        _("diagnose will send exactly %u VERIFY of the authentication PIN and "
          "%u VERIFY of the signature PIN, and make signatures over a fixed "
          "test text.\n"
          "A right PIN spends no try; a wrong one spends one and is not sent "
          "again.\n"),
        total[0], total[1]);
}

static void with_pin(diag_report *rep)
{
    diag_pins pins;
    int need[2];
    memset(&pins, 0, sizeof(pins));
    rep->with_pin = 1;
    plan(rep, need);
    if (get_pins(need, &pins) == 0 && reader_begin(rep->link.r) == READER_OK) {
        for (size_t i = 0; i < diag_n_experiments; i++)
            for (int w = 0; w < 2; w++)
                if (rep->run[i] && diag_experiments[i].verifies[w] &&
                    !pins.have[w]) {
                    rep->run[i] = 0;
                    snprintf(rep->results[i].answer,
                             sizeof(rep->results[i].answer), "skipped");
                    snprintf(rep->results[i].detail,
                             sizeof(rep->results[i].detail),
                             "no valid %s PIN was given", pin_name[w]);
                }
        diag_run_experiments(rep, &pins);
        reader_end(rep->link.r);
    }
    OPENSSL_cleanse(&pins, sizeof(pins));
}

/* ---- the command -------------------------------------------------------- */

static int parse_args(int argc, char **argv, int *json, int *pin,
                      const char **only)
{
    static const struct option opts[] = {
        { "with-pin", no_argument, NULL, 'p' },
        { "pin-fd", required_argument, NULL, 'f' },
        { "json", no_argument, NULL, 'j' },
        { "reader", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, pin_fd = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': *pin = 1; break;
        case 'j': *json = 1; break;
        case 'r': *only = optarg; break;
        case 'f':
            if (tool_pin_use_fd(optarg) != 0)
                return TOOL_EXIT_USAGE;
            pin_fd = 1;
            break;
        case 'h': diagnose_usage(stdout); return TOOL_EXIT_OK;
        default:
            tool_error(
                _("diagnose: bad or incomplete option '%s' (see --help)"),
                argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        tool_error(_("diagnose: unexpected argument '%s' (PINs are never "
                     "given on the "
                     "command line; see --help)"),
                   argv[optind]);
        return TOOL_EXIT_USAGE;
    }
    if (pin_fd && !*pin) {
        tool_error(_("diagnose: --pin-fd goes with --with-pin"));
        return TOOL_EXIT_USAGE;
    }
    return -1;
}

int cmd_diagnose(int argc, char **argv)
{
    int json = 0, pin = 0;
    const char *only = NULL;
    int rv = parse_args(argc, argv, &json, &pin, &only);
    if (rv >= 0)
        return rv;
    p11_config cfg;
    jlog_init(-1, NULL);
    p11_config_load(&cfg);
    jlog_init(cfg.log_level, cfg.log_file[0] ? cfg.log_file : NULL);
    reader **list = NULL;
    size_t n = 0, cards = 0, nrep = 0;
    if (reader_list_emulators(cfg.emulator, &list, &n) != READER_OK ||
        (cfg.pcsc && reader_pcsc_list(cfg.readers_allow, cfg.readers_deny,
                                      &list, &n) != READER_OK)) {
        tool_error(_("diagnose: out of memory"));
        return TOOL_EXIT_ERROR;
    }
    diag_report **reps = calloc(n ? n : 1, sizeof(*reps));
    diag_report *card = NULL;
    for (size_t i = 0; reps && i < n; i++) {
        if (only && !strstr(list[i]->name, only))
            continue;
        diag_report *r = survey_reader(list[i]);
        if (!r)
            continue;
        reps[nrep++] = r;
        if (!strcmp(r->card, "jpki")) {
            cards++;
            card = r;
        }
    }
    if (pin && cards != 1)
        tool_error(_("diagnose: --with-pin needs exactly one My Number Card "
                     "(found %zu); "
                     "choose its reader with --reader"),
                   cards);
    else if (pin)
        with_pin(card);
    if (!json)
        printf(_("jpki-tool diagnose %s: %s\n\n"), PACKAGE_VERSION,
               pin && cards == 1 ? _("with PINs (VERIFYs as announced)")
                                 : _("no PIN asked for or sent"));
    if (json)
        diag_print_json((const diag_report *const *)reps, nrep,
                        pin && cards == 1);
    for (size_t i = 0; i < nrep; i++) {
        if (!json)
            diag_print_text(reps[i]);
        free(reps[i]);
    }
    if (!nrep)
        printf("%s", json ? "" : _("no reader found\n"));
    free(reps);
    reader_list_free(list, n);
    jlog_close();
    if (pin && cards != 1)
        return TOOL_EXIT_USAGE;
    return cards ? TOOL_EXIT_OK : TOOL_EXIT_ERROR;
}
